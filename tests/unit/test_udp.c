/* UDP on loopback: bind, a datagram there and back, the largest payload,
 * address mapping on a dual-stack socket, which errors count as ICMP ones.
 * (The ICMP errors themselves: test_udp_icmp.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/addr.h"
#include "socklab/udp.h"
#include "udp_helpers.h"

static void test_bind_port_zero(void **state)
{
    (void)state;
    int fd = bind_or_fail("127.0.0.1", AF_INET, 0);
    assert_true(sl_local_port(fd) > 0);
    assert_int_equal(int_option(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    assert_int_equal(int_option(fd, SOL_SOCKET, SO_REUSEADDR), 0);
    assert_int_equal(int_option(fd, SOL_SOCKET, SO_BROADCAST), 0);
    sl_socket_close(fd);

    fd = bind_or_fail("127.0.0.1", AF_INET, SL_UDP_BROADCAST);
    assert_int_equal(int_option(fd, SOL_SOCKET, SO_BROADCAST), 1);
    sl_socket_close(fd);
}

/* Several peers on one machine share a port only when all ask for it. */
static void test_bind_reuse(void **state)
{
    (void)state;
    char err[SL_ERRLEN] = "", port[8];
    int a = bind_or_fail("127.0.0.1", AF_INET, SL_UDP_REUSE);
    port_string(a, port);
    int b = sl_bind_udp("127.0.0.1", port, AF_INET, SL_UDP_REUSE, NULL, err);
    if (b < 0)
        fail_msg("second SL_UDP_REUSE bind: %s", err);
    assert_int_equal(sl_bind_udp("127.0.0.1", port, AF_INET, 0, NULL, err), -1);
    if (strstr(err, "Address already in use") == NULL)
        fail_msg("got \"%s\"", err);
    sl_socket_close(b);
    sl_socket_close(a);
}

/* Client socket of FAMILY -> server bound on HOST, and the answer back to
 * the address the datagram came from. */
static void datagram_round_trip(const char *host, int family)
{
    char err[SL_ERRLEN] = "", port[8], buf[64];
    char from_name[SL_ADDRSTRLEN], client_name[SL_ADDRSTRLEN];
    struct sockaddr_storage to, from;
    socklen_t tolen, fromlen = sizeof from;

    int server = bind_or_fail(host, family, 0);
    port_string(server, port);
    int client = sl_socket_udp(family, NULL, err);
    if (client < 0)
        fail_msg("sl_socket_udp: %s", err);
    resolve_or_fail(client, host, port, &to, &tolen);

    static const char hello[] = "hello, 你好";
    assert_int_equal(sendto(client, hello, sizeof hello, 0, (struct sockaddr *)&to, tolen),
                     sizeof hello);
    wait_for(server, POLLIN);
    assert_int_equal(recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen),
                     sizeof hello);
    assert_memory_equal(buf, hello, sizeof hello);
    sl_format_addr((struct sockaddr *)&from, fromlen, from_name, sizeof from_name);
    /* The client is bound to the wildcard: it sends from HOST, its port. */
    snprintf(client_name, sizeof client_name, family == AF_INET6 ? "[%s]:%d" : "%s:%d", host,
             sl_local_port(client));
    assert_string_equal(from_name, client_name);

    assert_int_equal(sendto(server, "ok", 2, 0, (struct sockaddr *)&from, fromlen), 2);
    wait_for(client, POLLIN);
    assert_int_equal(recv(client, buf, sizeof buf, 0), 2);
    assert_memory_equal(buf, "ok", 2);
    sl_socket_close(client);
    sl_socket_close(server);
}

static void test_round_trip_ipv4(void **state)
{
    (void)state;
    datagram_round_trip("127.0.0.1", AF_INET);
}

static void test_round_trip_ipv6(void **state)
{
    (void)state;
    if (!have_ipv6_loopback())
        skip();
    datagram_round_trip("::1", AF_INET6);
}

/* The wildcard socket takes both families; an IPv4 peer must be written in
 * its v4-mapped form for it, and it does arrive. */
static void test_dual_stack_maps_ipv4_peers(void **state)
{
    (void)state;
    char port[8], name[SL_ADDRSTRLEN], want[SL_ADDRSTRLEN], buf[8];
    struct sockaddr_storage to;
    socklen_t tolen;
    int any = bind_or_fail(NULL, AF_UNSPEC, 0);
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    assert_int_equal(getsockname(any, (struct sockaddr *)&local, &llen), 0);
    if (local.ss_family != AF_INET6) {
        sl_socket_close(any);
        skip(); /* the documented IPv4-only fallback */
    }
    assert_int_equal(int_option(any, IPPROTO_IPV6, IPV6_V6ONLY), 0);

    int v4 = bind_or_fail("127.0.0.1", AF_INET, 0);
    port_string(v4, port);
    resolve_or_fail(any, "127.0.0.1", port, &to, &tolen);
    assert_int_equal(to.ss_family, AF_INET6);
    assert_int_equal(tolen, sizeof(struct sockaddr_in6));
    assert_true(IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&to)->sin6_addr));
    sl_format_addr((struct sockaddr *)&to, tolen, name, sizeof name);
    snprintf(want, sizeof want, "127.0.0.1:%s", port);
    assert_string_equal(name, want);

    assert_int_equal(sendto(any, "v4", 2, 0, (struct sockaddr *)&to, tolen), 2);
    wait_for(v4, POLLIN);
    assert_int_equal(recv(v4, buf, sizeof buf, 0), 2);

    /* An IPv4 socket gets a plain IPv4 address. */
    resolve_or_fail(v4, "127.0.0.1", port, &to, &tolen);
    assert_int_equal(to.ss_family, AF_INET);
    assert_int_equal(tolen, sizeof(struct sockaddr_in));
    sl_socket_close(v4);
    sl_socket_close(any);
}

/* SL_UDP_MAX_PAYLOAD_V4 is exactly what one IPv4 datagram carries. */
static void test_max_payload(void **state)
{
    (void)state;
    char err[SL_ERRLEN] = "", port[8];
    struct sockaddr_storage to;
    socklen_t tolen;
    int server = bind_or_fail("127.0.0.1", AF_INET, 0);
    port_string(server, port);
    int client = sl_socket_udp(AF_INET, NULL, err);
    assert_true(client >= 0);
    assert_int_equal(sl_udp_max_payload(client), SL_UDP_MAX_PAYLOAD_V4);
    resolve_or_fail(client, "127.0.0.1", port, &to, &tolen);

    size_t max = SL_UDP_MAX_PAYLOAD_V4;
    char *big = calloc(1, max + 1);
    assert_non_null(big);
    assert_int_equal(sendto(client, big, max, 0, (struct sockaddr *)&to, tolen), (ssize_t)max);
    wait_for(server, POLLIN);
    assert_int_equal(recv(server, big, max + 1, 0), (ssize_t)max);
    assert_int_equal(sendto(client, big, max + 1, 0, (struct sockaddr *)&to, tolen), -1);
    sl_socket_failed(); /* Winsock's error into errno */
    assert_int_equal(errno, EMSGSIZE);
    free(big);
    sl_socket_close(client);
    sl_socket_close(server);

    if (have_ipv6_loopback()) {
        int v6 = bind_or_fail("::1", AF_INET6, 0);
        assert_int_equal(sl_udp_max_payload(v6), SL_UDP_MAX_PAYLOAD_V6);
        sl_socket_close(v6);
    }
}

static void test_is_icmp_error(void **state)
{
    (void)state;
    static const int icmp[] = {ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN};
    static const int other[] = {0, EAGAIN, EINTR, EMSGSIZE, EBADF, ENOBUFS};
    for (size_t i = 0; i < sizeof icmp / sizeof icmp[0]; i++)
        assert_true(sl_udp_is_icmp_error(icmp[i]));
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        assert_false(sl_udp_is_icmp_error(other[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_port_zero),
        cmocka_unit_test(test_bind_reuse),
        cmocka_unit_test(test_round_trip_ipv4),
        cmocka_unit_test(test_round_trip_ipv6),
        cmocka_unit_test(test_dual_stack_maps_ipv4_peers),
        cmocka_unit_test(test_max_payload),
        cmocka_unit_test(test_is_icmp_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
