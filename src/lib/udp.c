/* UDP steps 2-4, multicast, broadcast and ICMP error reporting (the error
 * queue itself, sl_udp_enable_errors and sl_udp_take_error, is the
 * platform layer's: IP_RECVERR on Linux, WSAECONNRESET on Windows). */
#include "socklab/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "socklab/addr.h"

/* After the bind: ICMP errors on, so an unreachable peer is reported. */
static int udp_after_bind(int fd, const struct sl_passive *p, char err[SL_ERRLEN])
{
    (void)p;
    if (sl_udp_enable_errors(fd) < 0) {
        sl_errno(err, "setsockopt IP_RECVERR");
        return -1;
    }
    return 0;
}

int sl_bind_udp(const char *host, const char *port, int family, unsigned flags,
                const struct sl_trace *t, char err[SL_ERRLEN])
{
    const struct sl_passive p = {.socktype = SOCK_DGRAM,
                                 .share_port = (flags & SL_UDP_REUSE) != 0,
                                 .broadcast = (flags & SL_UDP_BROADCAST) != 0,
                                 /* broadcast is IPv4 only: not on a dual-stack socket */
                                 .dual_stack = !(flags & SL_UDP_BROADCAST),
                                 .naming = "local address",
                                 .after_bind = udp_after_bind,
                                 .t = t};
    return sl_open_passive(host, port, family, &p, err);
}

int sl_socket_udp(int family, const struct sl_trace *t, char err[SL_ERRLEN])
{
    sl_trace_before(t, SL_STEP_SOCKET);
    int fd = socket(family, SOCK_DGRAM, 0);
    if (fd < 0) {
        sl_errno(err, "socket(%s, SOCK_DGRAM)", sl_family_name(family));
        return -1;
    }
    sl_trace_step(t, SL_STEP_SOCKET, -1, "socket(%s, SOCK_DGRAM) = %d", sl_family_name(family), fd);
    /* IP_RECVERR needs a bound socket to tell the family by: bind to the
     * wildcard, port 0, as the first sendto() would. */
    struct sockaddr_storage any = {.ss_family = (sa_family_t)family};
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&any, len) < 0 || sl_udp_enable_errors(fd) < 0) {
        sl_errno(err, "UDP socket set-up");
        sl_socket_close(fd);
        return -1;
    }
    return fd;
}

int sl_udp_resolve_peer(int fd, const char *host, const char *port, struct sockaddr_storage *out,
                        socklen_t *outlen, char err[SL_ERRLEN])
{
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    struct addrinfo *res;
    int v6only = 1;
    socklen_t vlen = sizeof v6only;

    if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0) {
        sl_errno(err, "getsockname");
        return -1;
    }
    if (local.ss_family == AF_INET6)
        (void)getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, (void *)&v6only, &vlen);
    int family = local.ss_family == AF_INET ? AF_INET : v6only ? AF_INET6 : AF_UNSPEC;
    if (sl_resolve(host, port, family, SOCK_DGRAM, 0, &res, err) < 0)
        return -1;
    if (res->ai_family == AF_INET && local.ss_family == AF_INET6) {
        /* IPv4 through a dual-stack socket: the v4-mapped form. */
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)res->ai_addr;
        struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = v4->sin_port};
        v6.sin6_addr.s6_addr[10] = 0xff;
        v6.sin6_addr.s6_addr[11] = 0xff;
        memcpy(&v6.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
        memcpy(out, &v6, sizeof v6);
        *outlen = sizeof v6;
    } else {
        memcpy(out, res->ai_addr, res->ai_addrlen);
        *outlen = res->ai_addrlen;
    }
    freeaddrinfo(res);
    return 0;
}

int sl_udp_join_group(int fd, const struct sockaddr *group, socklen_t len, char err[SL_ERRLEN])
{
    char name[SL_ADDRSTRLEN];
    int one = 1;
    sl_format_addr(group, len, name, sizeof name);

    if (group->sa_family == AF_INET) {
        const struct sockaddr_in *g = (const struct sockaddr_in *)group;
        struct ip_mreq mr = {.imr_multiaddr = g->sin_addr}; /* the default interface */
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, (const void *)&mr, sizeof mr) < 0 ||
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, (const void *)&one, sizeof one) < 0) {
            sl_socket_failed();
            sl_errno(err, "join multicast group %s", name);
            return -1;
        }
        return 0;
    }
    const struct sockaddr_in6 *g = (const struct sockaddr_in6 *)group;
    struct ipv6_mreq mr = {.ipv6mr_multiaddr = g->sin6_addr, .ipv6mr_interface = g->sin6_scope_id};
    unsigned ifindex = g->sin6_scope_id;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, (const void *)&mr, sizeof mr) < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, (const void *)&one, sizeof one) < 0 ||
        (ifindex != 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (const void *)&ifindex,
                                    sizeof ifindex) < 0)) {
        sl_socket_failed();
        sl_errno(err, "join multicast group %s", name);
        return -1;
    }
    return 0;
}

bool sl_udp_is_icmp_error(int err)
{
    return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN ||
           err == ENETDOWN || err == EPROTO;
}

int sl_udp_max_payload(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_INET)
        return SL_UDP_MAX_PAYLOAD_V4;
    return SL_UDP_MAX_PAYLOAD_V6;
}
