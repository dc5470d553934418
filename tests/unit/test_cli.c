/* The shared command line: number, size and seconds parsing, the common
 * options, and what they print. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/cli.h"

/* Output of FD (1 or 2) while a call runs goes to a temporary file. */
struct capture {
    int fd;
    int saved;
    FILE *tmp;
    char text[1024];
};

static void capture_start(struct capture *c, int fd)
{
    fflush(NULL);
    c->fd = fd;
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved = dup(fd);
    assert_true(c->saved >= 0);
    assert_true(dup2(fileno(c->tmp), fd) >= 0);
}

static const char *capture_end(struct capture *c)
{
    fflush(NULL);
    assert_true(dup2(c->saved, c->fd) >= 0);
    close(c->saved);
    rewind(c->tmp);
    size_t n = fread(c->text, 1, sizeof c->text - 1, c->tmp);
    c->text[n] = '\0';
    fclose(c->tmp);
    return c->text;
}

static void assert_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", text, want);
}

static void ulong_ok(const char *s, unsigned long min, unsigned long max, unsigned long want)
{
    unsigned long v = 12345;
    if (sl_parse_ulong(s, min, max, &v) != 0)
        fail_msg("sl_parse_ulong(\"%s\") refused", s);
    assert_int_equal(v, want);
}

static void ulong_bad(const char *s, unsigned long min, unsigned long max)
{
    unsigned long v = 12345;
    if (sl_parse_ulong(s, min, max, &v) != -1)
        fail_msg("sl_parse_ulong(\"%s\", %lu, %lu) accepted it", s, min, max);
    assert_int_equal(v, 12345); /* untouched on failure */
}

static void test_parse_ulong(void **state)
{
    (void)state;
    ulong_ok("0", 0, 10, 0);
    ulong_ok("10", 0, 10, 10);
    ulong_ok("007", 0, 10, 7);
    ulong_ok("65535", 1, 65535, 65535);
    ulong_bad("11", 0, 10);
    ulong_bad("0", 1, 10);
    ulong_bad("", 0, 10);
    ulong_bad(NULL, 0, 10);
    ulong_bad("-1", 0, ULONG_MAX); /* strtoul would wrap it to ULONG_MAX */
    ulong_bad(" 1", 0, 10);
    ulong_bad("+1", 0, 10);
    ulong_bad("1 ", 0, 10);
    ulong_bad("1x", 0, 10);
    ulong_bad("0x10", 0, 100);
    ulong_bad("99999999999999999999999", 0, ULONG_MAX); /* ERANGE */
}

static void size_ok(const char *s, uint64_t want)
{
    uint64_t v = 12345;
    if (sl_parse_size(s, 0, UINT64_MAX, &v) != 0)
        fail_msg("sl_parse_size(\"%s\") refused", s);
    if (v != want)
        fail_msg("sl_parse_size(\"%s\") = %llu, want %llu", s, (unsigned long long)v,
                 (unsigned long long)want);
}

static void size_bad_in(const char *s, uint64_t min, uint64_t max)
{
    uint64_t v = 12345;
    if (sl_parse_size(s, min, max, &v) != -1)
        fail_msg("sl_parse_size(\"%s\") accepted it as %llu", s, (unsigned long long)v);
    assert_int_equal(v, 12345);
}

static void size_bad(const char *s)
{
    size_bad_in(s, 0, UINT64_MAX);
}

static void test_parse_size(void **state)
{
    (void)state;
    size_ok("0", 0);
    size_ok("1000", 1000);
    size_ok("64K", 64 * 1024);
    size_ok("64k", 64 * 1024);
    size_ok("10M", 10ull << 20);
    size_ok("10m", 10ull << 20);
    size_ok("2G", 2ull << 30);
    size_ok("2g", 2ull << 30);
    size_ok("18446744073709551615", UINT64_MAX);
    size_ok("17179869183G", 17179869183ull << 30); /* the largest that fits */
    size_bad("17179869184G");                      /* 2^64: one too many */
    size_bad("18446744073709551616");              /* ERANGE */
    size_bad("");
    size_bad(NULL);
    size_bad("-1");
    size_bad("-1K");
    size_bad(" 1");
    size_bad("+1");
    size_bad("K");
    size_bad("1KB");
    size_bad("1Ki");
    size_bad("1 K");
    size_bad("1.5M");
    size_bad("1T");
    size_bad("abc");
    /* The range applies to the bytes, after the suffix. */
    uint64_t v = 0;
    assert_int_equal(sl_parse_size("1K", 1024, 1024, &v), 0);
    assert_int_equal(v, 1024);
    size_bad_in("1K", 0, 1023);
    size_bad_in("1K", 1025, 2048);
}

static void seconds_ok(const char *s, int want)
{
    int ms = -7;
    if (sl_parse_seconds_ms(s, &ms) != 0)
        fail_msg("sl_parse_seconds_ms(\"%s\") refused", s);
    assert_int_equal(ms, want);
}

static void seconds_bad(const char *s)
{
    int ms = -7;
    if (sl_parse_seconds_ms(s, &ms) != -1)
        fail_msg("sl_parse_seconds_ms(\"%s\") accepted it as %d ms", s, ms);
    assert_int_equal(ms, -7);
}

static void test_parse_seconds_ms(void **state)
{
    (void)state;
    seconds_ok("0", 0);
    seconds_ok("5", 5000);
    seconds_ok("0.5", 500);
    seconds_ok(".25", 250);
    seconds_ok("0.0004", 0); /* rounded to the nearest millisecond */
    seconds_ok("0.0006", 1);
    /* The milliseconds must fit the int: beyond INT_MAX the conversion
     * used to give a negative time, which callers read as "no limit". */
    seconds_ok("2147483.647", INT_MAX);
    seconds_bad("2147483.648");
    seconds_bad("3000000");
    seconds_bad("31536000");
    seconds_bad("1e99");
    seconds_bad("");
    seconds_bad(NULL);
    seconds_bad("-1");
    seconds_bad(" 1");
    seconds_bad("1s");
    seconds_bad("inf");
    seconds_bad("nan");
    seconds_bad("abc");
}

/* sl_cli_basename cuts ".exe" off in place: a writable copy of ARGV0. */
static void basename_is(const char *argv0, const char *want)
{
    char copy[64];
    snprintf(copy, sizeof copy, "%s", argv0);
    assert_string_equal(sl_cli_basename(copy), want);
}

static void test_basename(void **state)
{
    (void)state;
    basename_is("tcpecho-server", "tcpecho-server");
    basename_is("build/bin/tcpecho-server", "tcpecho-server");
    basename_is("/usr/local/bin/ftsend", "ftsend");
    basename_is("./udppeer", "udppeer");
    basename_is("dir/", "");
    basename_is("", "");
    /* Windows names: the .exe suffix goes, in either case. */
    basename_is("bin/tcpecho-server.exe", "tcpecho-server");
    basename_is("Z:/build/tcpstate.EXE", "tcpstate");
    basename_is(".exe", ".exe");
    basename_is("udppeer.exe.txt", "udppeer.exe.txt");
}

static int usage_calls;

static void count_usage(const char *prog)
{
    usage_calls++;
    printf("Usage: %s [OPTION]...\n", prog);
}

static struct sl_cli_common fresh_common(void)
{
    return (struct sl_cli_common){.port = "7007", .family = AF_UNSPEC};
}

static void test_common_network_options(void **state)
{
    (void)state;
    struct sl_cli_common c = fresh_common();

    assert_int_equal(sl_cli_common_option('p', "0", "prog", count_usage, &c), SL_CLI_NEXT);
    assert_string_equal(c.port, "0");
    assert_int_equal(sl_cli_common_option('b', "::1", "prog", count_usage, &c), SL_CLI_NEXT);
    assert_string_equal(c.bind, "::1");
    assert_int_equal(sl_cli_common_option('4', NULL, "prog", count_usage, &c), SL_CLI_NEXT);
    assert_int_equal(c.family, AF_INET);

    c = fresh_common();
    assert_int_equal(sl_cli_common_option('6', NULL, "prog", count_usage, &c), SL_CLI_NEXT);
    assert_int_equal(c.family, AF_INET6);
    assert_false(c.trace);
    assert_false(c.step);
    assert_int_equal(sl_cli_common_option(SL_OPT_TRACE, NULL, "prog", count_usage, &c),
                     SL_CLI_NEXT);
    assert_true(c.trace);
    assert_false(c.step);
    assert_int_equal(sl_cli_common_option(SL_OPT_STEP, NULL, "prog", count_usage, &c), SL_CLI_NEXT);
    assert_true(c.step);
    assert_int_equal(usage_calls, 0);
}

/* -4 with -6 is a usage error, whichever comes first, and says why. */
static void test_common_4_and_6_exclude_each_other(void **state)
{
    (void)state;
    static const int orders[2][2] = {{'4', '6'}, {'6', '4'}};
    for (int i = 0; i < 2; i++) {
        struct sl_cli_common c = fresh_common();
        struct capture cap;
        assert_int_equal(sl_cli_common_option(orders[i][0], NULL, "prog", count_usage, &c),
                         SL_CLI_NEXT);
        int first = c.family;
        capture_start(&cap, 2);
        int rc = sl_cli_common_option(orders[i][1], NULL, "prog", count_usage, &c);
        const char *out = capture_end(&cap);
        assert_int_equal(rc, SL_EXIT_USAGE);
        assert_int_equal(c.family, first); /* the first choice stands */
        assert_contains(out, "prog: -4 and -6 exclude each other\n");
        assert_contains(out, "Try 'prog --help'");
    }
}

/* The port is taken as written: whether it names a port is the tool's
 * sl_check_port() step, which also knows TCP from UDP. A missing or
 * unknown option (getopt_long's '?' or ':') is a usage error that leaves
 * the tool's default in place. */
static void test_common_bad_port_and_getopt_complaints(void **state)
{
    (void)state;
    struct sl_cli_common c = fresh_common();
    assert_int_equal(sl_cli_common_option('p', "http-alt", "prog", count_usage, &c), SL_CLI_NEXT);
    assert_string_equal(c.port, "http-alt");

    static const int complaints[] = {'?', ':'};
    for (size_t i = 0; i < sizeof complaints / sizeof complaints[0]; i++) {
        struct capture cap;
        c = fresh_common();
        capture_start(&cap, 2);
        int rc = sl_cli_common_option(complaints[i], NULL, "prog", count_usage, &c);
        const char *out = capture_end(&cap);
        assert_int_equal(rc, SL_EXIT_USAGE);
        assert_string_equal(c.port, "7007");
        /* getopt_long said what was wrong; we add only the hint. */
        assert_string_equal(out, "Try 'prog --help' for more information.\n");
    }
    assert_int_equal(usage_calls, 0);
}

/* Runs sl_cli_client_operands on the operands ARGV (NULL-ended) with -p
 * already set to PORT; returns its result, the host and port in *C. */
static int client_operands(char **argv, const char *port, const char **host,
                           struct sl_cli_common *c, const char **err_out)
{
    static struct capture cap;
    int argc = 0;
    while (argv[argc])
        argc++;
    *c = fresh_common();
    c->port = port;
    *host = "localhost";
    optind = 1;
    capture_start(&cap, 2);
    int rc = sl_cli_client_operands(argc, argv, "prog", "7007", host, c);
    *err_out = capture_end(&cap);
    return rc;
}

/* Clients take [HOST [PORT]] as nc does; a PORT operand stands for -p. */
static void test_client_operands_host_and_port(void **state)
{
    (void)state;
    struct sl_cli_common c;
    const char *host, *err;

    assert_int_equal(client_operands((char *[]){"prog", NULL}, "7007", &host, &c, &err),
                     SL_CLI_NEXT);
    assert_string_equal(host, "localhost");
    assert_string_equal(c.port, "7007");
    assert_int_equal(client_operands((char *[]){"prog", "::1", NULL}, "9", &host, &c, &err),
                     SL_CLI_NEXT);
    assert_string_equal(host, "::1");
    assert_string_equal(c.port, "9");
    assert_int_equal(
        client_operands((char *[]){"prog", "example", "7070", NULL}, "7007", &host, &c, &err),
        SL_CLI_NEXT);
    assert_string_equal(host, "example");
    assert_string_equal(c.port, "7070");
    assert_string_equal(err, "");
    /* The same port twice is no contradiction. */
    assert_int_equal(
        client_operands((char *[]){"prog", "h", "7070", NULL}, "7070", &host, &c, &err),
        SL_CLI_NEXT);
}

static void test_client_operands_refused(void **state)
{
    (void)state;
    struct sl_cli_common c;
    const char *host, *err;

    assert_int_equal(
        client_operands((char *[]){"prog", "h", "7070", NULL}, "7071", &host, &c, &err),
        SL_EXIT_USAGE);
    assert_contains(err, "prog: two ports: -p 7071 and 7070\n");
    assert_int_equal(
        client_operands((char *[]){"prog", "h", "1", "2", NULL}, "7007", &host, &c, &err),
        SL_EXIT_USAGE);
    assert_contains(err, "prog: unexpected argument: 2\n");
    assert_int_equal(
        client_operands((char *[]){"prog", "h", "70000", NULL}, "7007", &host, &c, &err),
        SL_EXIT_USAGE);
    assert_contains(err, "70000");
}

/* One rate unit family, scaled so a small file never reads "0.0 MB/s". */
static void test_format_rate(void **state)
{
    (void)state;
    char out[SL_RATELEN];
    static const struct {
        uint64_t bytes;
        double secs;
        const char *want;
    } cases[] = {
        {0, 1, "0 B/s"},
        {30, 0.5, "60 B/s"},
        {999, 1, "999 B/s"},
        {1000, 1, "1.00 kB/s"},
        {12345, 1, "12.3 kB/s"},
        {999499, 1, "999 kB/s"},
        {999500, 1, "1.00 MB/s"},
        {45600000, 1, "45.6 MB/s"},
        {1048576, 1, "1.05 MB/s"}, /* a MiB a second is not 1.00 MB/s */
        {314572800, 0.762, "413 MB/s"},
        {1230000000, 1, "1.23 GB/s"},
        {5000000000000000ULL, 1, "5000 TB/s"},
        {100, 0, "- B/s"},
        {100, -1, "- B/s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(sl_format_rate(cases[i].bytes, cases[i].secs, out), cases[i].want);
}

static void test_common_help_and_version(void **state)
{
    (void)state;
    struct sl_cli_common c = fresh_common();
    struct capture cap;

    usage_calls = 0;
    capture_start(&cap, 1);
    int rc = sl_cli_common_option('h', NULL, "prog", count_usage, &c);
    const char *out = capture_end(&cap);
    assert_int_equal(rc, SL_EXIT_OK);
    assert_int_equal(usage_calls, 1);
    assert_string_equal(out, "Usage: prog [OPTION]...\n");

    capture_start(&cap, 1);
    rc = sl_cli_common_option(SL_OPT_VERSION, NULL, "prog", count_usage, &c);
    out = capture_end(&cap);
    assert_int_equal(rc, SL_EXIT_OK);
    assert_int_equal(usage_calls, 1);
    assert_contains(out, "prog (socklab) ");
}

static int reset_usage(void **state)
{
    (void)state;
    usage_calls = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ulong),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_seconds_ms),
        cmocka_unit_test(test_basename),
        cmocka_unit_test_setup(test_common_network_options, reset_usage),
        cmocka_unit_test_setup(test_common_4_and_6_exclude_each_other, reset_usage),
        cmocka_unit_test_setup(test_common_bad_port_and_getopt_complaints, reset_usage),
        cmocka_unit_test_setup(test_common_help_and_version, reset_usage),
        cmocka_unit_test(test_client_operands_host_and_port),
        cmocka_unit_test(test_format_rate),
        cmocka_unit_test(test_client_operands_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
