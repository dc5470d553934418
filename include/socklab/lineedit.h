/* A line editor for the interactive tools (tcpchat-client, udppeer): a pure
 * state machine. Key bytes go in one at a time; out come the edit buffer,
 * the cursor, the history and events ("a line is done", "too long"). It
 * reads and writes nothing - the terminal part is socklab/term.h - so it is
 * unit-tested byte by byte.
 *
 * Rules it keeps:
 *   - the buffer is always valid UTF-8; the cursor sits between characters,
 *     and every edit (insert, Backspace, Delete, Left/Right) moves by whole
 *     characters, never inside one;
 *   - nothing is ever cut: a character that would take the line past MAX
 *     bytes is not inserted, the line becomes "over-long" (SL_LE_TOO_LONG,
 *     once), and Enter then refuses the whole line (SL_LE_REFUSED) rather
 *     than send the part that fitted. Ctrl-U clears it;
 *   - history (Up/Down) keeps the half-typed line: Down past the newest
 *     entry brings it back.
 * Keys: printable text, Enter, Backspace, Delete, Ctrl-D (deletes, or ends
 * input on an empty line), Left/Right, Home/End, Ctrl-A/Ctrl-E, Ctrl-B/
 * Ctrl-F, Up/Down, Ctrl-P/Ctrl-N, Ctrl-U (clear the line), Ctrl-C. TAB is
 * inserted as a space (a tab's width depends on the column). */
#ifndef SOCKLAB_LINEEDIT_H
#define SOCKLAB_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>

/* What one key byte did. */
enum sl_le_event {
    SL_LE_NONE,      /* nothing to show yet (inside a character or an escape sequence) */
    SL_LE_CHANGED,   /* the line or the cursor may have changed: redraw */
    SL_LE_LINE,      /* Enter: a line is done, see sl_le_done_line(); the buffer is empty */
    SL_LE_TOO_LONG,  /* a character did not fit: the line is over-long from now on */
    SL_LE_REFUSED,   /* Enter on an over-long line: nothing is done with it; the buffer is empty */
    SL_LE_EOF,       /* Ctrl-D on an empty line */
    SL_LE_INTERRUPT, /* Ctrl-C */
};

struct sl_lineedit {
    size_t max;    /* bytes a line may have */
    char *buf;     /* the line being edited: LEN bytes, valid UTF-8 */
    size_t len;    /* bytes in BUF */
    size_t cursor; /* byte offset of the cursor in BUF, at a character boundary */
    char *done;    /* the last finished line (SL_LE_LINE) */
    size_t done_len;
    bool overlong;      /* a character was refused: Enter will not accept this line */
    size_t refused_len; /* bytes the over-long line had, refused ones counted */
    char pending[4];    /* a UTF-8 character arriving byte by byte */
    size_t pending_len, pending_need;
    char esc[16]; /* an escape sequence arriving: ESC [ ... final, ESC O final */
    size_t esc_len;
    char **hist; /* oldest first; each a NUL-terminated copy */
    size_t hist_len, hist_max;
    size_t hist_pos; /* == hist_len: the line being typed; below: a recalled entry */
    char *draft;     /* the half-typed line while the user browses the history */
    size_t draft_len;
};

/* Sets LE up for lines of at most MAX bytes and HISTORY_MAX remembered
 * lines (0: no history). Returns 0, or -1 with errno ENOMEM or EINVAL
 * (MAX is 0). */
int sl_le_init(struct sl_lineedit *le, size_t max, size_t history_max);

/* Frees what sl_le_init() allocated. */
void sl_le_free(struct sl_lineedit *le);

/* Feeds one key byte. */
enum sl_le_event sl_le_key(struct sl_lineedit *le, unsigned char byte);

/* The line finished by the last SL_LE_LINE (LEN bytes, no newline); valid
 * until the next SL_LE_LINE. */
const char *sl_le_done_line(const struct sl_lineedit *le, size_t *len);

/* Empties the line (what Ctrl-U does) and leaves the history browse. */
void sl_le_clear(struct sl_lineedit *le);

/* The part of the line to show in COLS columns with the cursor visible:
 * bytes [*START, *END) of the buffer and the cursor's column in them.
 * Columns are counted by sl_utf8_width() - socklab's own East Asian Width
 * table (CJK, Hangul, fullwidth forms take two), not wcwidth(), which
 * would depend on the program's locale. At most MAX_BYTES bytes are shown.
 * Returns the cursor's column (0 .. COLS-1). */
size_t sl_le_view(const struct sl_lineedit *le, size_t cols, size_t max_bytes, size_t *start,
                  size_t *end);

#endif
