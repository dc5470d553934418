/* Windows console key events -> the bytes a Unix terminal sends, the
 * sequences Wine 8 was seen to give from a Unix tty (tmux): text keys with
 * their character, '你' with virtual-key 0 (as an IME hands it over), an
 * emoji as two events (its surrogates), Ctrl-U as 0x15, Left with no
 * character. And what goes through the line editor comes out intact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "socklab/console_keys.h"
#include "socklab/lineedit.h"

/* The bytes of a key press (down, then the release, which gives none). */
static size_t press(struct sl_console_keys *st, uint16_t vk, uint16_t ch, char *out)
{
    struct sl_console_key down = {.down = true, .repeat = 1, .vk = vk, .ch = ch};
    struct sl_console_key up = {.down = false, .repeat = 1, .vk = vk, .ch = ch};
    char scratch[SL_CONSOLE_KEY_BYTES];
    size_t n = sl_console_key_bytes(st, &down, out);
    assert_int_equal(sl_console_key_bytes(st, &up, scratch), 0);
    return n;
}

static void expect_press(struct sl_console_keys *st, uint16_t vk, uint16_t ch, const char *want)
{
    char out[SL_CONSOLE_KEY_BYTES];
    size_t n = press(st, vk, ch, out);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
}

static void test_text_keys_give_utf8(void **state)
{
    (void)state;
    struct sl_console_keys st = {0};
    expect_press(&st, 0x41, 'a', "a");
    expect_press(&st, 0x00, 0x4F60, "\xe4\xbd\xa0"); /* 你, an IME's key event */
    expect_press(&st, 0xE5, 0x597D, "\xe5\xa5\xbd"); /* 好 with VK_PROCESSKEY */
    expect_press(&st, 0x00, 0x00E9, "\xc3\xa9");     /* é: two bytes */
    expect_press(&st, 0x0D, '\r', "\r");             /* Enter */
    expect_press(&st, 0x08, 0x08, "\x08");           /* Backspace */
    expect_press(&st, 0x55, 0x15, "\x15");           /* Ctrl-U */
    expect_press(&st, 0x43, 0x03, "\x03");           /* Ctrl-C, processed input off */
}

static void test_surrogate_pair_gives_one_character(void **state)
{
    (void)state;
    struct sl_console_keys st = {0};
    char out[SL_CONSOLE_KEY_BYTES];
    assert_int_equal(press(&st, 0, 0xD83D, out), 0);  /* high half: wait */
    expect_press(&st, 0, 0xDE00, "\xf0\x9f\x98\x80"); /* U+1F600 */
    /* U+20000, a CJK Extension B ideograph */
    assert_int_equal(press(&st, 0, 0xD840, out), 0);
    expect_press(&st, 0, 0xDC00, "\xf0\xa0\x80\x80");
}

static void test_broken_pairs_give_the_replacement_character(void **state)
{
    (void)state;
    struct sl_console_keys st = {0};
    char out[SL_CONSOLE_KEY_BYTES];
    expect_press(&st, 0, 0xDE00, "\xef\xbf\xbd"); /* a low half alone */
    assert_int_equal(press(&st, 0, 0xD83D, out), 0);
    /* A high half followed by a plain character: both shown. */
    expect_press(&st, 0x41, 'a',
                 "\xef\xbf\xbd"
                 "a");
    assert_int_equal(st.high, 0);
}

static void test_keys_without_text_give_escape_sequences(void **state)
{
    (void)state;
    struct sl_console_keys st = {0};
    expect_press(&st, SL_VK_LEFT, 0, "\033[D");
    expect_press(&st, SL_VK_RIGHT, 0, "\033[C");
    expect_press(&st, SL_VK_UP, 0, "\033[A");
    expect_press(&st, SL_VK_DOWN, 0, "\033[B");
    expect_press(&st, SL_VK_HOME, 0, "\033[H");
    expect_press(&st, SL_VK_END, 0, "\033[F");
    expect_press(&st, SL_VK_DELETE, 0, "\033[3~");
    expect_press(&st, 0x11, 0, ""); /* Ctrl alone */
    expect_press(&st, 0x10, 0, ""); /* Shift alone */
}

static void test_repeat_and_alt_numpad(void **state)
{
    (void)state;
    struct sl_console_keys st = {0};
    char out[SL_CONSOLE_KEY_BYTES];
    struct sl_console_key held = {.down = true, .repeat = 3, .vk = 0, .ch = 0x4E2D}; /* 中 */
    assert_int_equal(sl_console_key_bytes(&st, &held, out), 9);
    assert_memory_equal(out, "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad", 9);
    held = (struct sl_console_key){.down = true, .repeat = 60000, .vk = SL_VK_DELETE};
    assert_true(sl_console_key_bytes(&st, &held, out) <= SL_CONSOLE_KEY_BYTES);
    /* Alt+0233: é arrives as Alt is released. */
    struct sl_console_key alt_up = {.down = false, .repeat = 1, .vk = SL_VK_MENU, .ch = 0xE9};
    assert_int_equal(sl_console_key_bytes(&st, &alt_up, out), 2);
    assert_memory_equal(out, "\xc3\xa9", 2);
}

/* "你好😀", Left twice, "世", Enter through the line editor: the line is
 * 你世好😀, valid UTF-8, every character whole. */
static void test_events_through_the_line_editor(void **state)
{
    (void)state;
    static const uint16_t units[] = {0x4F60, 0x597D, 0xD83D, 0xDE00};
    struct sl_console_keys st = {0};
    struct sl_lineedit le;
    assert_int_equal(sl_le_init(&le, 200, 0), 0);
    char out[SL_CONSOLE_KEY_BYTES];
    enum sl_le_event last = SL_LE_NONE;
    size_t n;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        for (size_t j = 0, k = press(&st, 0, units[i], out); j < k; j++)
            sl_le_key(&le, (unsigned char)out[j]);
    for (int i = 0; i < 2; i++)
        for (size_t j = 0, k = press(&st, SL_VK_LEFT, 0, out); j < k; j++)
            sl_le_key(&le, (unsigned char)out[j]);
    n = press(&st, 0, 0x4E16, out);
    n += press(&st, 0x0D, '\r', out + n);
    for (size_t j = 0; j < n; j++)
        last = sl_le_key(&le, (unsigned char)out[j]);
    assert_int_equal(last, SL_LE_LINE);
    size_t len;
    const char *line = sl_le_done_line(&le, &len);
    const char want[] = "\xe4\xbd\xa0\xe4\xb8\x96\xe5\xa5\xbd\xf0\x9f\x98\x80";
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(line, want, len);
    sl_le_free(&le);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_keys_give_utf8),
        cmocka_unit_test(test_surrogate_pair_gives_one_character),
        cmocka_unit_test(test_broken_pairs_give_the_replacement_character),
        cmocka_unit_test(test_keys_without_text_give_escape_sequences),
        cmocka_unit_test(test_repeat_and_alt_numpad),
        cmocka_unit_test(test_events_through_the_line_editor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
