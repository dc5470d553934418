/* Address parsing and formatting: v4, v6, brackets, bad ports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/addr.h"

static void split_ok(const char *in, const char *host, const char *port)
{
    char h[64], p[16], err[SL_ERRLEN];
    assert_int_equal(sl_split_hostport(in, h, sizeof h, p, sizeof p, err), 0);
    assert_string_equal(h, host);
    assert_string_equal(p, port);
}

static void split_bad(const char *in, const char *why)
{
    char h[64], p[16], err[SL_ERRLEN] = "";
    assert_int_equal(sl_split_hostport(in, h, sizeof h, p, sizeof p, err), -1);
    if (strstr(err, why) == NULL)
        fail_msg("\"%s\": got \"%s\", want \"%s\"", in, err, why);
}

static void test_split_hostport(void **state)
{
    (void)state;
    split_ok("127.0.0.1:7007", "127.0.0.1", "7007");
    split_ok("localhost:0", "localhost", "0");
    split_ok("[::1]:7007", "::1", "7007");
    split_ok("[fe80::1%lo]:65535", "fe80::1%lo", "65535");
    split_ok("example.org:echo", "example.org", "echo");
    split_bad("127.0.0.1", "expected HOST:PORT");
    split_bad("::1:7007", "write an IPv6 address as [ADDR]:PORT");
    split_bad("[::1]7007", "expected [HOST]:PORT");
    split_bad("[::1:7007", "missing ']'");
    split_bad(":7007", "empty host");
    split_bad("[]:7007", "empty host");
    split_bad("host:", "empty port");
    split_bad("host:65536", "out of range");
    split_bad("host:99999999999999999999", "out of range");
    split_bad("host:no-such-service-x", "not a number or a known service");
}

static void test_split_hostport_buffers(void **state)
{
    (void)state;
    char h[4], p[16], err[SL_ERRLEN];
    assert_int_equal(sl_split_hostport("abcd:1", h, sizeof h, p, sizeof p, err), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_int_equal(sl_split_hostport("abc:1", h, sizeof h, p, sizeof p, err), 0);
    assert_string_equal(h, "abc");
}

static void test_check_port(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    assert_int_equal(sl_check_port("0", SOCK_STREAM, err), 0);
    assert_int_equal(sl_check_port("65535", SOCK_STREAM, err), 0);
    assert_int_equal(sl_check_port("echo", SOCK_STREAM, err), 0);
    assert_int_equal(sl_check_port("65536", SOCK_STREAM, err), -1);
    assert_int_equal(sl_check_port("", SOCK_STREAM, err), -1);
    assert_int_equal(sl_check_port("-1", SOCK_STREAM, err), -1);
    assert_int_equal(sl_check_port("7a", SOCK_STREAM, err), -1);
}

static void test_unbracket(void **state)
{
    (void)state;
    char h[64], err[SL_ERRLEN];
    assert_int_equal(sl_unbracket_host("[::1]", h, sizeof h, err), 0);
    assert_string_equal(h, "::1");
    assert_int_equal(sl_unbracket_host("::1", h, sizeof h, err), 0);
    assert_string_equal(h, "::1");
    assert_int_equal(sl_unbracket_host("[::1", h, sizeof h, err), -1);
    assert_int_equal(sl_unbracket_host("[", h, sizeof h, err), -1);
}

static void test_format(void **state)
{
    (void)state;
    char buf[SL_ADDRSTRLEN];
    struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(7007)};
    inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
    assert_string_equal(sl_format_addr((struct sockaddr *)&in4, sizeof in4, buf, sizeof buf),
                        "127.0.0.1:7007");

    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(7007)};
    inet_pton(AF_INET6, "::1", &in6.sin6_addr);
    assert_string_equal(sl_format_addr((struct sockaddr *)&in6, sizeof in6, buf, sizeof buf),
                        "[::1]:7007");

    /* A dual-stack socket reports IPv4 peers as v4-mapped: print them as IPv4. */
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);
    in6.sin6_port = htons(51514);
    assert_string_equal(sl_format_addr((struct sockaddr *)&in6, sizeof in6, buf, sizeof buf),
                        "10.1.2.3:51514");

    /* A short buffer is cut, never overrun. */
    char tiny[6];
    sl_format_addr((struct sockaddr *)&in4, sizeof in4, tiny, sizeof tiny);
    assert_string_equal(tiny, "127.0");
}

static void test_resolve(void **state)
{
    (void)state;
    struct addrinfo *res;
    char err[SL_ERRLEN], buf[SL_ADDRSTRLEN];

    assert_int_equal(sl_resolve("[::1]", "7007", AF_UNSPEC, SOCK_STREAM, 0, &res, err), 0);
    assert_int_equal(res->ai_family, AF_INET6);
    assert_string_equal(sl_format_addr(res->ai_addr, res->ai_addrlen, buf, sizeof buf),
                        "[::1]:7007");
    freeaddrinfo(res);

    assert_int_equal(sl_resolve("localhost", "echo", AF_INET, SOCK_STREAM, 0, &res, err), 0);
    assert_string_equal(sl_format_addr(res->ai_addr, res->ai_addrlen, buf, sizeof buf),
                        "127.0.0.1:7");
    freeaddrinfo(res);

    /* -6 with an IPv4 literal: a clear refusal, not a wrong address. */
    assert_int_equal(sl_resolve("127.0.0.1", "1", AF_INET6, SOCK_STREAM, 0, &res, err), -1);
    assert_non_null(strstr(err, "no IPv6 address"));
    assert_int_equal(sl_resolve("127.0.0.1", "70000", AF_UNSPEC, SOCK_STREAM, 0, &res, err), -1);
    assert_non_null(strstr(err, "out of range"));
}

static void test_local_port(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&in4, sizeof in4), 0);
    int port = sl_local_port(fd);
    assert_true(port > 0 && port <= 65535);
    char buf[SL_ADDRSTRLEN], want[SL_ADDRSTRLEN];
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    assert_string_equal(sl_format_local(fd, buf, sizeof buf), want);
    sl_socket_close(fd);
    assert_string_equal(sl_family_name(AF_INET6), "AF_INET6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_hostport), cmocka_unit_test(test_split_hostport_buffers),
        cmocka_unit_test(test_check_port),     cmocka_unit_test(test_unbracket),
        cmocka_unit_test(test_format),         cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_local_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
