/* A server's socket, steps 2-4 of the notes (socket, address, bind), on
 * the wildcard - dual-stack when it can - or on a named address. */
#include <errno.h>
#include <stddef.h>

#include "internal.h"
#include "socklab/addr.h"
#include "socklab/platform.h"
#include "socklab/trace.h"

/* Without it a restarted TCP server fails to bind for a minute while its
 * old connections sit in TIME_WAIT (the platform picks the option that
 * means that; see platform.h). */
static int reuse_addr(int fd, char err[SL_ERRLEN])
{
    if (sl_socket_reuse_addr(fd) < 0) {
        sl_socket_failed();
        sl_errno(err, "setsockopt SO_REUSEADDR");
        return -1;
    }
    return 0;
}

static int set_flag(int fd, int level, int name, int on, const char *what, char err[SL_ERRLEN])
{
    if (setsockopt(fd, level, name, (const void *)&on, sizeof on) < 0) {
        sl_socket_failed();
        sl_errno(err, "setsockopt %s", what);
        return -1;
    }
    return 0;
}

/* V6ONLY: 1 or 0 to set IPV6_V6ONLY on an IPv6 socket, -1 to keep the
 * system default. Returns the fd or -1 with ERR filled. */
static int open_on(const struct addrinfo *ai, int v6only, const struct sl_passive *p,
                   char err[SL_ERRLEN])
{
    const struct sl_trace *t = p->t;
    const char *type = p->socktype == SOCK_STREAM ? "SOCK_STREAM" : "SOCK_DGRAM";
    char where[SL_ADDRSTRLEN];
    sl_format_addr(ai->ai_addr, ai->ai_addrlen, where, sizeof where);

    sl_trace_before(t, SL_STEP_SOCKET);
    int fd = (int)socket(ai->ai_family, p->socktype, 0);
    if (fd < 0) {
        sl_socket_failed();
        sl_errno(err, "socket(%s, %s)", sl_family_name(ai->ai_family), type);
        return -1;
    }
    sl_trace_step(t, SL_STEP_SOCKET, -1, "socket(%s, %s) = %d", sl_family_name(ai->ai_family), type,
                  fd);

    /* Without SO_REUSEADDR a restarted TCP server fails to bind for a
     * minute while its old connections sit in TIME_WAIT; UDP peers use it
     * to share one port for broadcast and multicast (on Windows too, where
     * the TCP meaning needs another option: platform.h). */
    if ((p->reuse_addr && reuse_addr(fd, err) < 0) ||
        (p->share_port && set_flag(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", err) < 0) ||
        (p->broadcast && set_flag(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST", err) < 0) ||
        (ai->ai_family == AF_INET6 && v6only >= 0 &&
         set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only, "IPV6_V6ONLY", err) < 0))
        goto fail;

    sl_trace_before(t, SL_STEP_ADDRESS);
    sl_trace_step(t, SL_STEP_ADDRESS, -1, "%s %s (%s%s)", p->naming, where,
                  sl_family_name(ai->ai_family),
                  ai->ai_family == AF_INET6 && v6only == 0 ? ", IPv4 too" : "");

    sl_trace_before(t, SL_STEP_BIND);
    if (bind(fd, ai->ai_addr, (socklen_t)ai->ai_addrlen) < 0) {
        sl_socket_failed();
        sl_errno(err, "bind %s", where);
        goto fail;
    }
    sl_trace_step(t, SL_STEP_BIND, -1, "bind %s", sl_format_local(fd, where, sizeof where));
    if (p->after_bind != NULL && p->after_bind(fd, p, err) < 0)
        goto fail;
    return fd;
fail:
    sl_socket_close(fd);
    return -1;
}

int sl_open_passive(const char *host, const char *port, int family, const struct sl_passive *p,
                    char err[SL_ERRLEN])
{
    int socktype = p->socktype;
    struct addrinfo *res, *ai;
    int fd = -1;
    bool wildcard = host == NULL || *host == '\0';
    int v6only = -1;

    if (wildcard && family != AF_INET && p->dual_stack) {
        /* "::" with IPV6_V6ONLY off takes IPv4 and IPv6 on one socket. */
        v6only = family == AF_INET6 ? 1 : 0;
        if (sl_resolve("::", port, AF_INET6, socktype, AI_PASSIVE | AI_NUMERICHOST, &res, err) ==
            0) {
            fd = open_on(res, v6only, p, err);
            freeaddrinfo(res);
            if (fd >= 0 || family == AF_INET6)
                return fd;
            /* No IPv6 on this host: fall back to IPv4 alone. */
            if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL && errno != EPROTONOSUPPORT)
                return -1;
        } else if (family == AF_INET6) {
            return -1;
        }
        v6only = -1;
    }
    if (wildcard) {
        host = family == AF_INET6 ? "::" : "0.0.0.0";
        family = family == AF_INET6 ? AF_INET6 : AF_INET;
    }
    if (sl_resolve(host, port, family, socktype, AI_PASSIVE, &res, err) < 0)
        return -1;
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = open_on(ai, v6only, p, err);
    freeaddrinfo(res);
    return fd;
}
