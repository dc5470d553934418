/* The chat sanitiser: what may reach another user's terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "socklab/utf8.h"

static void expect_clean(const char *in, size_t len, const char *want)
{
    char out[SL_SANITIZED_MAX(64)];
    assert_true(len <= 64);
    size_t n = sl_sanitize_text(in, len, out);
    if (n != strlen(want) || memcmp(out, want, n) != 0)
        fail_msg("sanitised %zu bytes to \"%.*s\", want \"%s\"", len, (int)n, out, want);
}

#define CLEAN(lit, want) expect_clean(lit, sizeof(lit) - 1, want)
#define FFFD "\xEF\xBF\xBD"

static void test_valid_text_untouched(void **state)
{
    (void)state;
    CLEAN("hello, world", "hello, world");
    CLEAN("你好，世界！", "你好，世界！");
    CLEAN("tab\there", "tab\there");
    CLEAN("emoji \xF0\x9F\x98\x80 and \xE2\x82\xAC", "emoji \xF0\x9F\x98\x80 and \xE2\x82\xAC");
    CLEAN("max \xF4\x8F\xBF\xBF", "max \xF4\x8F\xBF\xBF"); /* U+10FFFF */
    CLEAN("", "");
}

static void test_controls_neutralised(void **state)
{
    (void)state;
    CLEAN("\x1b[2J\x1b]0;pwned\x07", "^[[2J^[]0;pwned^G");
    CLEAN("a\rb\nc\bd", "a^Mb^Jc^Hd");
    CLEAN("nul\0here", "nul^@here");
    CLEAN("del\x7f", "del^?");
    CLEAN("\xC2\x9B"
          "31m",
          FFFD "31m");             /* C1 CSI, valid UTF-8 but a control */
    CLEAN("\xC2\x85", FFFD);       /* NEL */
    CLEAN("\xC2\xA0", "\xC2\xA0"); /* U+00A0 is not a control */
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    CLEAN("\xff", FFFD);
    CLEAN("a\x80z", "a" FFFD "z");
    CLEAN("\xC0\xAF", FFFD FFFD);                   /* overlong '/' */
    CLEAN("\xE0\x80\xAF", FFFD FFFD FFFD);          /* overlong, 3 bytes */
    CLEAN("\xED\xA0\x80", FFFD FFFD FFFD);          /* surrogate */
    CLEAN("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
    CLEAN("\xE4\xBD", FFFD);                        /* truncated 你: one maximal subpart */
    CLEAN("\xE4\xBD"
          "x",
          FFFD "x");
    CLEAN("\xF0\x9F\x98", FFFD);
}

static void test_output_bound(void **state)
{
    (void)state;
    char in[64], out[SL_SANITIZED_MAX(64)];
    memset(in, 0xff, sizeof in);
    assert_int_equal(sl_sanitize_text(in, sizeof in, out), SL_SANITIZED_MAX(sizeof in));
}

static void test_last_char_len(void **state)
{
    (void)state;
    assert_int_equal(sl_utf8_last_char_len("", 0), 0);
    assert_int_equal(sl_utf8_last_char_len("ab", 2), 1);
    assert_int_equal(sl_utf8_last_char_len("a你", 4), 3);
    assert_int_equal(sl_utf8_last_char_len("\xF0\x9F\x98\x80", 4), 4);
    assert_int_equal(sl_utf8_last_char_len("a\x80", 2), 1);
    assert_int_equal(sl_utf8_last_char_len("\xE4\xBD", 2), 1);
}

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(sl_utf8_width("abc", 3), 3);
    assert_int_equal(sl_utf8_width("你好", 6), 4);
    assert_int_equal(sl_utf8_width("e\xCC\x81", 3), 1); /* e + combining acute */
}

static void test_decode(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(sl_utf8_decode("a", 1, &cp), 1);
    assert_int_equal(cp, 'a');
    assert_int_equal(sl_utf8_decode("\xE3\x80\x80x", 4, &cp), 3);
    assert_int_equal(cp, 0x3000);
    assert_int_equal(sl_utf8_decode("\xF0\x9F\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(sl_utf8_decode("", 0, &cp), 0);
    assert_int_equal(sl_utf8_decode("\xE3\x80", 2, &cp), 0);     /* truncated */
    assert_int_equal(sl_utf8_decode("\xC0\xAF", 2, &cp), 0);     /* overlong */
    assert_int_equal(sl_utf8_decode("\xED\xA0\x80", 3, &cp), 0); /* surrogate */
    assert_int_equal(sl_utf8_decode("\xE3\x80\x80", 2, &cp), 0); /* LEN is the limit */
}

/* Each predicate against its list, over every code point: a range one too
 * wide or a missing entry fails. */
static void expect_exactly(bool (*is)(uint32_t), const char *name, const uint32_t (*ranges)[2],
                           size_t nranges)
{
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        bool listed = false;
        for (size_t i = 0; i < nranges; i++)
            listed |= cp >= ranges[i][0] && cp <= ranges[i][1];
        if (is(cp) != listed)
            fail_msg("%s(U+%04X) is %d, want %d", name, (unsigned)cp, is(cp), listed);
    }
}

#define EXPECT_EXACTLY(fn, ranges) expect_exactly(fn, #fn, ranges, sizeof ranges / sizeof ranges[0])

static void test_white_space_is_proplist(void **state)
{
    (void)state;
    static const uint32_t white_space[][2] = {
        {0x0009, 0x000D}, {0x0020, 0x0020}, {0x0085, 0x0085}, {0x00A0, 0x00A0}, {0x1680, 0x1680},
        {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
    };
    EXPECT_EXACTLY(sl_unicode_is_white_space, white_space);
}

static void test_bidi_controls(void **state)
{
    (void)state;
    static const uint32_t bidi[][2] = {
        {0x061C, 0x061C}, {0x200E, 0x200F}, {0x202A, 0x202E}, {0x2066, 0x2069}};
    EXPECT_EXACTLY(sl_unicode_is_bidi_control, bidi);
}

static void test_zero_width(void **state)
{
    (void)state;
    static const uint32_t zero_width[][2] = {{0x200B, 0x200D}, {0x2060, 0x2060}, {0xFEFF, 0xFEFF}};
    EXPECT_EXACTLY(sl_unicode_is_zero_width, zero_width);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_text_untouched),
        cmocka_unit_test(test_controls_neutralised),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_output_bound),
        cmocka_unit_test(test_last_char_len),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_white_space_is_proplist),
        cmocka_unit_test(test_bidi_controls),
        cmocka_unit_test(test_zero_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
