/* The line editor's state machine (socklab/lineedit.h). Bytes arrive one at
 * a time, so a UTF-8 character and an escape sequence (an arrow key is
 * ESC [ D) are collected first and acted on whole. The buffer only ever
 * holds whole, valid characters: that is what lets every edit move by
 * characters and what makes "never split a character" hold. */
#include "socklab/lineedit.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/utf8.h"

#define KEY_CTRL(c) ((c)&0x1F)
#define ESC 0x1B

int sl_le_init(struct sl_lineedit *le, size_t max, size_t history_max)
{
    *le = (struct sl_lineedit){.max = max, .hist_max = history_max};
    if (max == 0) {
        errno = EINVAL;
        return -1;
    }
    le->buf = malloc(max);
    le->done = malloc(max);
    le->draft = malloc(max);
    le->hist = history_max ? calloc(history_max, sizeof *le->hist) : NULL;
    if (le->buf == NULL || le->done == NULL || le->draft == NULL ||
        (history_max && le->hist == NULL)) {
        sl_le_free(le);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void sl_le_free(struct sl_lineedit *le)
{
    for (size_t i = 0; i < le->hist_len; i++)
        free(le->hist[i]);
    free(le->hist);
    free(le->buf);
    free(le->done);
    free(le->draft);
    *le = (struct sl_lineedit){0};
}

const char *sl_le_done_line(const struct sl_lineedit *le, size_t *len)
{
    *len = le->done_len;
    return le->done;
}

void sl_le_clear(struct sl_lineedit *le)
{
    le->len = le->cursor = 0;
    le->overlong = false;
    le->refused_len = 0;
    le->hist_pos = le->hist_len;
}

/* Bytes of the character starting at OFF (the buffer is valid UTF-8). */
static size_t next_char_len(const struct sl_lineedit *le, size_t off)
{
    uint32_t cp;
    size_t n = sl_utf8_decode(le->buf + off, le->len - off, &cp);
    return n ? n : 1;
}

/* Inserts one whole character at the cursor - or refuses it whole. */
static enum sl_le_event insert(struct sl_lineedit *le, const char *ch, size_t n)
{
    if (le->overlong || le->len + n > le->max) {
        bool first = !le->overlong;
        if (first)
            le->refused_len = le->len;
        le->overlong = true;
        le->refused_len += n;
        return first ? SL_LE_TOO_LONG : SL_LE_NONE;
    }
    memmove(le->buf + le->cursor + n, le->buf + le->cursor, le->len - le->cursor);
    memcpy(le->buf + le->cursor, ch, n);
    le->len += n;
    le->cursor += n;
    return SL_LE_CHANGED;
}

static void delete_at(struct sl_lineedit *le, size_t off, size_t n)
{
    memmove(le->buf + off, le->buf + off + n, le->len - off - n);
    le->len -= n;
}

static enum sl_le_event backspace(struct sl_lineedit *le)
{
    if (le->cursor == 0)
        return SL_LE_NONE;
    size_t n = sl_utf8_last_char_len(le->buf, le->cursor);
    le->cursor -= n;
    delete_at(le, le->cursor, n);
    return SL_LE_CHANGED;
}

static enum sl_le_event delete_under(struct sl_lineedit *le)
{
    if (le->cursor == le->len)
        return SL_LE_NONE;
    delete_at(le, le->cursor, next_char_len(le, le->cursor));
    return SL_LE_CHANGED;
}

static enum sl_le_event move_to(struct sl_lineedit *le, size_t off)
{
    le->cursor = off;
    return SL_LE_CHANGED;
}

static enum sl_le_event left(struct sl_lineedit *le)
{
    return move_to(le, le->cursor - sl_utf8_last_char_len(le->buf, le->cursor));
}

static enum sl_le_event right(struct sl_lineedit *le)
{
    return move_to(le, le->cursor + (le->cursor < le->len ? next_char_len(le, le->cursor) : 0));
}

static void load(struct sl_lineedit *le, const char *text, size_t len)
{
    memcpy(le->buf, text, len);
    le->len = le->cursor = len;
}

/* Up (DIR -1) and Down (+1). Leaving the line being typed saves it as the
 * draft, coming back restores it. An over-long line stays put: recalling
 * over it would drop what did not fit, and keeping only the rest is a cut. */
static enum sl_le_event browse(struct sl_lineedit *le, int dir)
{
    if (le->overlong || (dir < 0 && le->hist_pos == 0) || (dir > 0 && le->hist_pos == le->hist_len))
        return SL_LE_NONE;
    if (le->hist_pos == le->hist_len) {
        memcpy(le->draft, le->buf, le->len);
        le->draft_len = le->len;
    }
    le->hist_pos = dir < 0 ? le->hist_pos - 1 : le->hist_pos + 1;
    if (le->hist_pos == le->hist_len)
        load(le, le->draft, le->draft_len);
    else
        load(le, le->hist[le->hist_pos], strlen(le->hist[le->hist_pos]));
    return SL_LE_CHANGED;
}

/* Remembers LINE, unless it is empty or repeats the newest entry. Out of
 * memory it is simply not remembered. */
static void remember(struct sl_lineedit *le, const char *line, size_t len)
{
    if (le->hist_max == 0 || len == 0)
        return;
    if (le->hist_len > 0) {
        const char *last = le->hist[le->hist_len - 1];
        if (strlen(last) == len && memcmp(last, line, len) == 0)
            return;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, line, len);
    copy[len] = '\0';
    if (le->hist_len == le->hist_max) {
        free(le->hist[0]);
        memmove(le->hist, le->hist + 1, (le->hist_len - 1) * sizeof *le->hist);
        le->hist_len--;
    }
    le->hist[le->hist_len++] = copy;
}

static enum sl_le_event enter(struct sl_lineedit *le)
{
    if (le->overlong) {
        size_t refused = le->refused_len;
        sl_le_clear(le);
        le->refused_len = refused; /* for the caller's notice */
        return SL_LE_REFUSED;
    }
    memcpy(le->done, le->buf, le->len);
    le->done_len = le->len;
    remember(le, le->buf, le->len);
    sl_le_clear(le);
    return SL_LE_LINE;
}

/* Acts on a whole escape sequence: CSI (ESC [ params final) or SS3
 * (ESC O final), as xterm, the Linux console and tmux send them. */
static enum sl_le_event escape_done(struct sl_lineedit *le)
{
    char final = le->esc[le->esc_len - 1];
    int param = le->esc[1] == '[' ? atoi(le->esc + 2) : 0;
    le->esc_len = 0;
    switch (final) {
    case 'A':
        return browse(le, -1);
    case 'B':
        return browse(le, +1);
    case 'C':
        return right(le);
    case 'D':
        return left(le);
    case 'H':
        return move_to(le, 0);
    case 'F':
        return move_to(le, le->len);
    case '~': /* ESC [ n ~: 1/7 Home, 4/8 End, 3 Delete */
        if (param == 1 || param == 7)
            return move_to(le, 0);
        if (param == 4 || param == 8)
            return move_to(le, le->len);
        if (param == 3)
            return delete_under(le);
        return SL_LE_NONE;
    default:
        return SL_LE_NONE;
    }
}

/* One byte of an escape sequence. A sequence longer than our buffer is
 * nothing we know: it is swallowed to its final byte and ignored. */
static enum sl_le_event escape_byte(struct sl_lineedit *le, unsigned char c)
{
    if (le->esc_len == 1) {
        if (c != '[' && c != 'O') { /* Alt+key: ignored */
            le->esc_len = 0;
            return SL_LE_NONE;
        }
        le->esc[le->esc_len++] = (char)c;
        return SL_LE_NONE;
    }
    bool final = le->esc[1] == 'O' || (c >= 0x40 && c <= 0x7E);
    if (le->esc_len < sizeof le->esc - 1)
        le->esc[le->esc_len++] = (char)c;
    else
        le->esc[1] = '?'; /* too long: nothing we know, ignored at its end */
    if (!final)
        return SL_LE_NONE;
    le->esc[le->esc_len] = '\0';
    if (le->esc[1] == '?') {
        le->esc_len = 0;
        return SL_LE_NONE;
    }
    return escape_done(le);
}

static enum sl_le_event control(struct sl_lineedit *le, unsigned char c)
{
    switch (c) {
    case '\r':
    case '\n':
        return enter(le);
    case '\t':
        return insert(le, " ", 1);
    case 0x7F:
    case KEY_CTRL('H'):
        return backspace(le);
    case KEY_CTRL('C'):
        return SL_LE_INTERRUPT;
    case KEY_CTRL('D'): /* as a shell: end of input on an empty line */
        return le->len == 0 && !le->overlong ? SL_LE_EOF : delete_under(le);
    case KEY_CTRL('A'):
        return move_to(le, 0);
    case KEY_CTRL('E'):
        return move_to(le, le->len);
    case KEY_CTRL('B'):
        return left(le);
    case KEY_CTRL('F'):
        return right(le);
    case KEY_CTRL('P'):
        return browse(le, -1);
    case KEY_CTRL('N'):
        return browse(le, +1);
    case KEY_CTRL('U'):
        sl_le_clear(le);
        return SL_LE_CHANGED;
    case ESC:
        le->esc[0] = ESC;
        le->esc_len = 1;
        return SL_LE_NONE;
    default:
        return SL_LE_NONE; /* other control keys do nothing */
    }
}

/* Bytes a UTF-8 character with lead byte C has, or 0 for a byte that
 * cannot start one. */
static size_t utf8_need(unsigned char c)
{
    return c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
}

/* One byte of a multi-byte character. Invalid input (a stray continuation
 * byte, a lead byte cut short, an overlong form, a C1 control) is dropped:
 * it could only become U+FFFD on the other side. */
static enum sl_le_event utf8_byte(struct sl_lineedit *le, unsigned char c)
{
    if (le->pending_len == 0) {
        le->pending_need = utf8_need(c);
        if (le->pending_need == 0)
            return SL_LE_NONE;
        le->pending[le->pending_len++] = (char)c;
        return SL_LE_NONE;
    }
    le->pending[le->pending_len++] = (char)c;
    if (le->pending_len < le->pending_need)
        return SL_LE_NONE;
    size_t n = le->pending_len;
    le->pending_len = 0;
    uint32_t cp;
    if (sl_utf8_decode(le->pending, n, &cp) != n || cp <= 0x9F)
        return SL_LE_NONE;
    return insert(le, le->pending, n);
}

enum sl_le_event sl_le_key(struct sl_lineedit *le, unsigned char c)
{
    if (le->esc_len > 0) {
        if (c == ESC || c < 0x20) { /* a control key ends a broken sequence */
            le->esc_len = 0;
            return control(le, c);
        }
        return escape_byte(le, c);
    }
    if (le->pending_len > 0 && (c & 0xC0) != 0x80)
        le->pending_len = 0; /* a character cut short by the next key */
    if (c >= 0x80)
        return utf8_byte(le, c);
    if (c < 0x20 || c == 0x7F)
        return control(le, c);
    char ch = (char)c;
    return insert(le, &ch, 1);
}

/* Steps START back from the cursor while the text up to the cursor fits
 * COLS - 1 columns (the cursor needs the last one) and MAX_BYTES bytes. */
static size_t view_start(const struct sl_lineedit *le, size_t cols, size_t max_bytes)
{
    size_t start = le->cursor, width = 0;
    while (start > 0) {
        size_t k = sl_utf8_last_char_len(le->buf, start);
        size_t w = sl_utf8_width(le->buf + start - k, k);
        if (width + w > cols - 1 || le->cursor - (start - k) > max_bytes)
            break;
        width += w;
        start -= k;
    }
    return start;
}

size_t sl_le_view(const struct sl_lineedit *le, size_t cols, size_t max_bytes, size_t *start,
                  size_t *end)
{
    if (cols == 0)
        cols = 1;
    /* The head of the line while the cursor is within it, else the part
     * that ends at the cursor; then as much after it as fits. */
    size_t s = view_start(le, cols, max_bytes);
    size_t e = s, width = 0;
    while (e < le->len) {
        size_t k = next_char_len(le, e);
        size_t w = sl_utf8_width(le->buf + e, k);
        if (width + w > cols || e + k - s > max_bytes)
            break;
        width += w;
        e += k;
    }
    *start = s;
    *end = e;
    return sl_utf8_width(le->buf + s, le->cursor - s);
}
