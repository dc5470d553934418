/* windows: skip — reads Linux's error queue, Windows' errors come by recvfrom (none in Wine 8) */
/* UDP's ICMP errors on Linux: IP_RECVERR is on, and the "port unreachable"
 * that only reaches an unconnected socket through the error queue names the
 * closed destination, on IPv4, IPv6 and a dual-stack socket. (Windows
 * reports them through sl_udp_recvfrom instead: it.test_windows.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "socklab/addr.h"
#include "socklab/udp.h"
#include "udp_helpers.h"

static void test_errors_are_on(void **state)
{
    (void)state;
    int fd = bind_or_fail("127.0.0.1", AF_INET, 0);
    assert_int_equal(int_option(fd, IPPROTO_IP, IP_RECVERR), 1);
    sl_socket_close(fd);
}

/* A port on HOST that nobody listens on: bound, then closed again. */
static void closed_port(const char *host, int family, char port[8])
{
    int fd = bind_or_fail(host, family, 0);
    port_string(fd, port);
    sl_socket_close(fd);
}

/* Sends from socket FD to a closed port on HOST (of FAMILY); the ICMP port
 * unreachable must come out of the error queue naming that destination.
 * Closes FD. */
static void expect_port_unreachable(int fd, const char *host, int family)
{
    struct sockaddr_storage to, offender;
    socklen_t tolen, olen = 0;
    char closed[8], name[SL_ADDRSTRLEN], want[SL_ADDRSTRLEN];

    closed_port(host, family, closed);
    snprintf(want, sizeof want, family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, closed);
    assert_int_equal(sl_udp_take_error(fd, &offender, &olen), 0); /* none yet */
    resolve_or_fail(fd, host, closed, &to, &tolen);
    assert_int_equal(sendto(fd, "anyone?", 7, 0, (struct sockaddr *)&to, tolen), 7);
    wait_for(fd, 0);
    int e = sl_udp_take_error(fd, &offender, &olen);
    if (e != ECONNREFUSED)
        fail_msg("sl_udp_take_error gave %d (%s), want ECONNREFUSED", e, strerror(e));
    assert_true(sl_udp_is_icmp_error(e));
    sl_format_addr((struct sockaddr *)&offender, olen, name, sizeof name);
    assert_string_equal(name, want);
    assert_int_equal(sl_udp_take_error(fd, &offender, &olen), 0); /* taken off */
    sl_socket_close(fd);
}

static void test_icmp_port_unreachable_ipv4(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    int fd = sl_socket_udp(AF_INET, NULL, err);
    assert_true(fd >= 0);
    expect_port_unreachable(fd, "127.0.0.1", AF_INET);
}

static void test_icmp_port_unreachable_ipv6(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    if (!have_ipv6_loopback())
        skip();
    int fd = sl_socket_udp(AF_INET6, NULL, err);
    assert_true(fd >= 0);
    expect_port_unreachable(fd, "::1", AF_INET6);
}

/* The dual-stack socket hears about its IPv4 peers too (IP_RECVERR). */
static void test_icmp_port_unreachable_dual_stack(void **state)
{
    (void)state;
    expect_port_unreachable(bind_or_fail(NULL, AF_UNSPEC, 0), "127.0.0.1", AF_INET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_are_on),
        cmocka_unit_test(test_icmp_port_unreachable_ipv4),
        cmocka_unit_test(test_icmp_port_unreachable_ipv6),
        cmocka_unit_test(test_icmp_port_unreachable_dual_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
