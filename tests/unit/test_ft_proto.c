/* File-transfer protocol: header round trips, every malformed case, the
 * name check against hostile names, and CRC-32C. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/crc32c.h"
#include "socklab/ft_proto.h"

static void test_header_round_trip(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {0, 1, 65537, (1ULL << 32) + 5, (uint64_t)INT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct ft_file_header h = {.type = FT_FILE, .mode = 0644, .size = sizes[i],
                                   .mtime = -5 + (int64_t)i * 1700000000LL};
        strcpy(h.name, "目录/文件.txt");
        h.name_len = (uint16_t)strlen(h.name);
        uint8_t buf[FT_HEADER_MAX];
        size_t n = ft_encode_file_header(&h, buf);
        assert_int_equal(n, FT_HEADER_FIXED + h.name_len);

        struct ft_file_header back;
        char err[SL_ERRLEN];
        for (size_t part = 0; part < n; part++) /* incomplete: asks for more */
            assert_true(ft_parse_file_header(buf, part, &back, err) > (ssize_t)part);
        assert_int_equal(ft_parse_file_header(buf, n, &back, err), (ssize_t)n);
        assert_int_equal(back.size, sizes[i]);
        assert_int_equal(back.mtime, h.mtime);
        assert_int_equal(back.mode, 0644);
        assert_string_equal(back.name, h.name);
    }
}

static void test_end_and_hello(void **state)
{
    (void)state;
    struct ft_file_header h = {.type = FT_END}, back;
    uint8_t buf[FT_HEADER_MAX], hello[FT_HELLO_LEN], status = 9;
    char err[SL_ERRLEN];
    assert_int_equal(ft_encode_file_header(&h, buf), 1);
    assert_int_equal(ft_parse_file_header(buf, 1, &back, err), 1);
    assert_int_equal(back.type, FT_END);
    ft_encode_hello(hello, 0);
    assert_int_equal(ft_parse_hello(hello, &status, err), 0);
    assert_int_equal(status, 0);
    hello[0] = 'X';
    assert_int_equal(ft_parse_hello(hello, &status, err), -1);
    assert_non_null(strstr(err, "bad magic"));
    ft_encode_hello(hello, 0);
    hello[4] = 99;
    assert_int_equal(ft_parse_hello(hello, &status, err), -1);
    assert_non_null(strstr(err, "version 99"));
}

static void expect_malformed(const uint8_t *buf, size_t len, const char *why)
{
    struct ft_file_header h;
    char err[SL_ERRLEN] = "";
    assert_int_equal(ft_parse_file_header(buf, len, &h, err), -1);
    if (strstr(err, why) == NULL)
        fail_msg("got \"%s\", want \"%s\"", err, why);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    uint8_t buf[FT_HEADER_MAX] = {0};
    struct ft_file_header h = {.type = FT_FILE, .size = 1, .name_len = 1, .name = "a"};
    size_t n = ft_encode_file_header(&h, buf);

    buf[0] = 7; /* unknown type */
    expect_malformed(buf, n, "unknown type 7");
    buf[0] = FT_FILE;
    ft_put_u16(buf + 1, 0); /* empty name */
    expect_malformed(buf, n, "name length 0");
    ft_put_u16(buf + 1, 65535); /* huge name length: refused before reading it */
    expect_malformed(buf, FT_HEADER_FIXED, "name length 65535");
    ft_put_u16(buf + 1, FT_NAME_MAX + 1);
    expect_malformed(buf, FT_HEADER_FIXED, "name length 4097");
    ft_put_u16(buf + 1, 1);
    ft_put_u64(buf + 7, UINT64_MAX); /* size overflow */
    expect_malformed(buf, n, "does not fit a file");
    ft_put_u64(buf + 7, (uint64_t)INT64_MAX + 1);
    expect_malformed(buf, n, "does not fit a file");
    /* Short input is never malformed, only incomplete. */
    struct ft_file_header out;
    char err[SL_ERRLEN];
    assert_int_equal(ft_parse_file_header(buf, 0, &out, err), 1);
}

static void name_ok(const char *name)
{
    char err[SL_ERRLEN];
    if (ft_check_name(name, strlen(name), err) != 0)
        fail_msg("\"%s\" refused: %s", name, err);
}

static void name_bad(const char *name, size_t len, const char *why)
{
    char err[SL_ERRLEN] = "";
    assert_int_equal(ft_check_name(name, len, err), -1);
    if (strstr(err, why) == NULL)
        fail_msg("\"%.*s\": got \"%s\", want \"%s\"", (int)len, name, err, why);
}

#define BAD(lit, why) name_bad(lit, sizeof(lit) - 1, why)

static void test_hostile_names(void **state)
{
    (void)state;
    name_ok("homework.c");
    name_ok("作业/第一章/练习.c");
    name_ok("a/b/c.d.e");
    name_ok(".hidden");
    name_ok("..dots.. in the middle");
    name_ok("-rf");

    BAD("", "empty name");
    BAD("/etc/passwd", "absolute path");
    BAD("../escape", "'..' path component");
    BAD("a/../../b", "'..' path component");
    BAD("a/..", "'..' path component");
    BAD("./a", "'.' path component");
    BAD("a//b", "empty path component");
    BAD("a/", "empty path component");
    BAD("nul\0inside", "control characters");
    BAD("esc\x1b[2Jname", "control characters");
    BAD("new\nline", "control characters");
    BAD("tab\tname", "control characters");
    BAD("del\x7f", "control characters");
    BAD("c1\xc2\x9bname", "control characters or invalid UTF-8");
    BAD("bad\xff utf8", "invalid UTF-8");
    BAD("overlong\xc0\xaf", "invalid UTF-8");

    char longc[300];
    memset(longc, 'x', sizeof longc);
    name_bad(longc, 256, "longer than 255");
}

static void test_long_names(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    char longc[300];
    memset(longc, 'x', sizeof longc);
    assert_int_equal(ft_check_name(longc, 255, err), 0);
    char *huge = malloc(FT_NAME_MAX + 2);
    for (size_t i = 0; i < FT_NAME_MAX + 1; i++)
        huge[i] = i % 100 == 99 ? '/' : 'y';
    assert_int_equal(ft_check_name(huge, FT_NAME_MAX, err), 0);
    assert_int_equal(ft_check_name(huge, FT_NAME_MAX + 1, err), -1);
    assert_non_null(strstr(err, "longer than 4096"));
    free(huge);
}

static void test_crc32c(void **state)
{
    (void)state;
    /* The standard check value, and the iSCSI test vectors (RFC 3720). */
    assert_int_equal(sl_crc32c(0, "123456789", 9), 0xE3069283);
    assert_int_equal(sl_crc32c_portable(0, "123456789", 9), 0xE3069283);
    uint8_t zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof ones);
    assert_int_equal(sl_crc32c(0, zeros, 32), 0x8A9136AA);
    assert_int_equal(sl_crc32c(0, ones, 32), 0x62A8AB43);
    assert_int_equal(sl_crc32c_portable(0, ones, 32), 0x62A8AB43);
    /* Both paths agree on every length and alignment, and in pieces. */
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= sizeof buf; len += 37) {
            uint32_t a = sl_crc32c(0, buf + off, len);
            assert_int_equal(a, sl_crc32c_portable(0, buf + off, len));
            uint32_t b = sl_crc32c(sl_crc32c(0, buf + off, len / 3), buf + off + len / 3,
                                   len - len / 3);
            assert_int_equal(a, b);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_round_trip), cmocka_unit_test(test_end_and_hello),
        cmocka_unit_test(test_malformed_headers), cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_long_names),        cmocka_unit_test(test_crc32c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
