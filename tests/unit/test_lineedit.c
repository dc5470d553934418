/* The line editor's core, fed key bytes as a terminal sends them: editing
 * by whole UTF-8 characters, cursor keys, history, the length limit (never
 * a cut line, never a split character) and the columns CJK text takes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "socklab/lineedit.h"

#define LEFT "\033[D"
#define RIGHT "\033[C"
#define UP "\033[A"
#define DOWN "\033[B"
#define HOME "\033[H"
#define END "\033[F"
#define DEL "\033[3~"
#define BS "\x7f"
#define CHANG "\xe9\x95\xbf" /* 长, three bytes, two columns */

/* Feeds KEYS byte by byte; returns the last event that was not NONE. */
static enum sl_le_event type(struct sl_lineedit *le, const char *keys)
{
    enum sl_le_event last = SL_LE_NONE;
    for (const char *p = keys; *p; p++) {
        enum sl_le_event ev = sl_le_key(le, (unsigned char)*p);
        if (ev != SL_LE_NONE)
            last = ev;
    }
    return last;
}

static void assert_line(const struct sl_lineedit *le, const char *want, size_t cursor)
{
    assert_int_equal(le->len, strlen(want));
    assert_memory_equal(le->buf, want, le->len);
    assert_int_equal(le->cursor, cursor);
}

static void assert_done(const struct sl_lineedit *le, const char *want)
{
    size_t len;
    const char *line = sl_le_done_line(le, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(line, want, len);
}

static int setup(void **state)
{
    struct sl_lineedit *le = malloc(sizeof *le);
    assert_non_null(le);
    assert_int_equal(sl_le_init(le, 64, 3), 0);
    *state = le;
    return 0;
}

static int teardown(void **state)
{
    sl_le_free(*state);
    free(*state);
    return 0;
}

static void test_insert_and_delete_by_character(void **state)
{
    struct sl_lineedit *le = *state;
    assert_int_equal(type(le, "ab你好"), SL_LE_CHANGED);
    assert_line(le, "ab你好", 8);
    type(le, BS);
    assert_line(le, "ab你", 5);
    type(le, LEFT BS); /* the cursor before 你: Backspace takes b */
    assert_line(le, "a你", 1);
    type(le, DEL); /* Delete takes the whole 你 */
    assert_line(le, "a", 1);
    type(le, HOME "\x04"); /* Ctrl-D on a non-empty line deletes too */
    assert_line(le, "", 0);
    assert_int_equal(type(le, BS DEL), SL_LE_NONE); /* nothing left to delete */
}

static void test_cursor_moves_by_character_home_end(void **state)
{
    struct sl_lineedit *le = *state;
    type(le, "x" CHANG "y");
    type(le, LEFT LEFT);
    assert_int_equal(le->cursor, 1); /* over the three bytes of 长 in one step */
    type(le, "\x01");                /* Ctrl-A */
    assert_int_equal(le->cursor, 0);
    type(le, LEFT); /* stays */
    assert_int_equal(le->cursor, 0);
    type(le, "\x05"); /* Ctrl-E */
    assert_int_equal(le->cursor, 5);
    type(le, RIGHT);
    assert_int_equal(le->cursor, 5);
    type(le, HOME RIGHT);
    assert_int_equal(le->cursor, 1);
    type(le, "\033OF"); /* End as SS3, as some terminals send it */
    assert_int_equal(le->cursor, 5);
    type(le, "\033[1~"); /* Home as the Linux console sends it */
    assert_int_equal(le->cursor, 0);
    type(le, "\033[4~"
             "\x02"
             "\x02"
             "!"); /* End, Ctrl-B twice, insert mid-line */
    assert_line(le, "x!" CHANG "y", 2);
    type(le, "\033[1;5C"); /* Ctrl-Right: a move right */
    assert_int_equal(le->cursor, 5);
}

static void test_enter_gives_the_line_and_empties_the_buffer(void **state)
{
    struct sl_lineedit *le = *state;
    assert_int_equal(type(le, "hello 世界\r"), SL_LE_LINE);
    assert_done(le, "hello 世界");
    assert_line(le, "", 0);
    assert_int_equal(type(le, "\n"), SL_LE_LINE);
    assert_done(le, "");
}

static void test_history_up_down_keeps_the_half_typed_line(void **state)
{
    struct sl_lineedit *le = *state;
    type(le, "first\rsecond\r第三\r");
    type(le, "half 长");
    type(le, UP);
    assert_line(le, "第三", 6);
    type(le, UP UP);
    assert_line(le, "first", 5);
    assert_int_equal(type(le, UP), SL_LE_NONE); /* the oldest: stays */
    assert_line(le, "first", 5);
    type(le, DOWN);
    assert_line(le, "second", 6);
    type(le, DOWN DOWN); /* past the newest: the half-typed line, intact */
    assert_line(le, "half " CHANG, 8);
    assert_int_equal(type(le, DOWN), SL_LE_NONE);
    type(le, "\x10"
             "\x10"
             "!\r"); /* Ctrl-P twice, edit and send a recalled line */
    assert_done(le, "second!");
    /* Three remembered at most: "first" fell out. */
    type(le, UP UP UP UP);
    assert_line(le, "second", 6);
    type(le, "\x0e"
             "\x0e"
             "\x0e"); /* Ctrl-N back to the (empty) new line */
    assert_line(le, "", 0);
}

static void test_history_skips_empty_and_repeated_lines(void **state)
{
    struct sl_lineedit *le = *state;
    type(le, "same\rsame\r\r");
    type(le, UP);
    assert_line(le, "same", 4);
    assert_int_equal(type(le, UP), SL_LE_NONE);
}

/* A paste that takes the line past the limit: nothing is inserted past it,
 * no character is split, the caller hears of it once, and Enter refuses
 * the whole line instead of giving the part that fitted. */
static void test_paste_over_the_limit_is_refused_not_cut(void **state)
{
    struct sl_lineedit *le = *state; /* 64 bytes */
    type(le, "abc");
    int too_long = 0;
    for (int i = 0; i < 30; i++) /* 90 bytes of 长 */
        for (int b = 0; b < 3; b++)
            if (sl_le_key(le, (unsigned char)CHANG[b]) == SL_LE_TOO_LONG)
                too_long++;
    assert_int_equal(too_long, 1);
    assert_true(le->overlong);
    assert_int_equal(le->len, 3 + 20 * 3);      /* whole characters only: 63 of 64 bytes */
    assert_int_equal(type(le, UP), SL_LE_NONE); /* no escape into the history either */
    assert_int_equal(type(le, "\r"), SL_LE_REFUSED);
    assert_int_equal(le->refused_len, 3 + 90);
    assert_line(le, "", 0);
    size_t len;
    sl_le_done_line(le, &len);
    assert_int_equal(len, 0);                   /* no line was given out */
    assert_int_equal(type(le, UP), SL_LE_NONE); /* and none remembered */
    /* The next line is a fresh start. */
    assert_int_equal(type(le, "ok\r"), SL_LE_LINE);
    assert_done(le, "ok");
}

static void test_ctrl_u_clears_an_overlong_line(void **state)
{
    struct sl_lineedit *le = *state;
    for (int i = 0; i < 65; i++)
        type(le, "x");
    assert_true(le->overlong);
    assert_int_equal(le->len, 64);
    type(le, "\x15");
    assert_false(le->overlong);
    assert_int_equal(type(le, "y\r"), SL_LE_LINE);
    assert_done(le, "y");
}

static void test_exactly_the_limit_is_accepted(void **state)
{
    struct sl_lineedit *le = *state;
    char line[65];
    memset(line, 'z', 64);
    line[64] = '\0';
    type(le, line);
    assert_false(le->overlong);
    assert_int_equal(type(le, "\r"), SL_LE_LINE);
    assert_done(le, line);
}

static void test_invalid_utf8_and_controls_never_enter_the_line(void **state)
{
    struct sl_lineedit *le = *state;
    /* A stray continuation byte, a lead byte cut short by ASCII, an
     * overlong '/', a C1 control, a bell, Alt+x, then a tab. */
    type(le, "\x80"
             "a\xe9"
             "b\xc0\xaf\xc2\x85\x07\033x\t");
    assert_line(le, "ab ", 3);
    type(le, "\033[99;99;99;99;99;99;99;99Z"); /* an unknown long sequence: ignored */
    assert_line(le, "ab ", 3);
    assert_int_equal(type(le, "\x03"), SL_LE_INTERRUPT);
    sl_le_clear(le);
    assert_int_equal(type(le, "\x04"), SL_LE_EOF);
}

static void test_view_counts_cjk_as_two_columns(void **state)
{
    struct sl_lineedit *le = *state;
    size_t start, end;
    type(le, "ab你好");
    assert_int_equal(sl_le_view(le, 40, 2048, &start, &end), 6); /* 1+1+2+2 */
    assert_int_equal(start, 0);
    assert_int_equal(end, 8);
    type(le, LEFT);
    assert_int_equal(sl_le_view(le, 40, 2048, &start, &end), 4);
    sl_le_clear(le);
    /* Twenty 长 (40 columns) in 11: the cursor at the end needs the last
     * column, so five (10 columns) show and the cursor is at column 10. */
    for (int i = 0; i < 20; i++)
        type(le, CHANG);
    assert_int_equal(sl_le_view(le, 11, 2048, &start, &end), 10);
    assert_int_equal(start, 15 * 3);
    assert_int_equal(end, 60);
    /* At the start of the line: its head shows, never half a character. */
    type(le, HOME);
    assert_int_equal(sl_le_view(le, 11, 2048, &start, &end), 0);
    assert_int_equal(start, 0);
    assert_int_equal(end, 5 * 3);
    /* A byte budget smaller than the width allows. */
    type(le, END);
    sl_le_view(le, 80, 7, &start, &end);
    assert_int_equal(end - start, 6);
}

static void test_init_refuses_a_zero_limit(void **state)
{
    (void)state;
    struct sl_lineedit le;
    assert_int_equal(sl_le_init(&le, 0, 10), -1);
    assert_int_equal(sl_le_init(&le, 4096, 0), 0); /* no history: Up does nothing */
    type(&le, "a\r");
    assert_int_equal(type(&le, UP), SL_LE_NONE);
    sl_le_free(&le);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_insert_and_delete_by_character, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_moves_by_character_home_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enter_gives_the_line_and_empties_the_buffer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_up_down_keeps_the_half_typed_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_history_skips_empty_and_repeated_lines, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_paste_over_the_limit_is_refused_not_cut, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ctrl_u_clears_an_overlong_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exactly_the_limit_is_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_and_controls_never_enter_the_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_view_counts_cjk_as_two_columns, setup, teardown),
        cmocka_unit_test(test_init_refuses_a_zero_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
