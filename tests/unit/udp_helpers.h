/* Helpers of the UDP unit tests (test_udp.c, test_udp_icmp.c): bound
 * sockets, ports as strings, waiting for a datagram, reading an option.
 * Include after cmocka.h. (Not a test itself: the glob takes test_*.c.) */
#ifndef TESTS_UDP_HELPERS_H
#define TESTS_UDP_HELPERS_H

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>

#include "socklab/addr.h"
#include "socklab/udp.h"

static inline int bind_or_fail(const char *host, int family, unsigned flags)
{
    char err[SL_ERRLEN] = "";
    int fd = sl_bind_udp(host, "0", family, flags, NULL, err);
    if (fd < 0)
        fail_msg("sl_bind_udp(%s): %s", host ? host : "NULL", err);
    return fd;
}

static inline bool have_ipv6_loopback(void)
{
    char err[SL_ERRLEN];
    int fd = sl_bind_udp("::1", "0", AF_INET6, 0, NULL, err);
    if (fd < 0)
        return false;
    sl_socket_close(fd);
    return true;
}

static inline void port_string(int fd, char port[8])
{
    int p = sl_local_port(fd);
    assert_true(p > 0);
    snprintf(port, 8, "%d", p);
}

/* Waits up to 2 s for EVENTS (POLLERR is always reported) on FD. */
static inline void wait_for(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    if (poll(&p, 1, 2000) != 1)
        fail_msg("nothing arrived on fd %d within 2 s", fd);
}

static inline void resolve_or_fail(int fd, const char *host, const char *port,
                                   struct sockaddr_storage *to, socklen_t *tolen)
{
    char err[SL_ERRLEN] = "";
    if (sl_udp_resolve_peer(fd, host, port, to, tolen, err) < 0)
        fail_msg("sl_udp_resolve_peer(%s, %s): %s", host, port, err);
}

static inline int int_option(int fd, int level, int name)
{
    int v = 0; /* Wine writes IPV6_V6ONLY's lowest byte only */
    socklen_t len = sizeof v;
    assert_int_equal(getsockopt(fd, level, name, (void *)&v, &len), 0);
    return v;
}

#endif
