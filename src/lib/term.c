/* The prompt row of an interactive tool (socklab/term.h). The row is
 * redrawn whole each time - "\r", erase to the end, prompt, the visible
 * part of the line, then the cursor moved to its column - so it never
 * depends on what the terminal showed before. */
#include "socklab/term.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "socklab/io.h"
#include "socklab/utf8.h"

#define CLEAR_ROW "\r\033[K"
/* Bytes of the line drawn at most: a row of 512 four-byte characters. */
#define VIEW_BYTES_MAX 2048

int sl_term_start(struct sl_term *t, int in_fd, int out_fd, const char *prompt)
{
    *t = (struct sl_term){.in_fd = in_fd, .out_fd = out_fd};
    size_t n = strlen(prompt);
    if (n >= sizeof t->prompt) {
        errno = EINVAL;
        return -1;
    }
    memcpy(t->prompt, prompt, n);
    t->prompt_len = n;
    if (sl_term_sys_start(t) < 0)
        return -1;
    t->raw = true;
    return 0;
}

void sl_term_stop(struct sl_term *t)
{
    if (!t->raw)
        return;
    (void)sl_write_all(t->out_fd, CLEAR_ROW, sizeof CLEAR_ROW - 1);
    sl_term_sys_stop(t);
    t->raw = false;
}

int sl_term_draw(struct sl_term *t, const struct sl_lineedit *le)
{
    char out[sizeof CLEAR_ROW + SL_TERM_PROMPT_MAX + VIEW_BYTES_MAX + 32];
    if (!t->raw)
        return 0;
    size_t prompt_cols = sl_utf8_width(t->prompt, t->prompt_len);
    size_t cols = sl_term_sys_columns(t);
    /* Leave the prompt and one column: the cursor stays on this row. */
    size_t room = cols > prompt_cols + 2 ? cols - prompt_cols - 1 : 1;
    size_t start, end;
    size_t col = sl_le_view(le, room, VIEW_BYTES_MAX, &start, &end);
    size_t n = 0;
    memcpy(out, CLEAR_ROW, sizeof CLEAR_ROW - 1);
    n += sizeof CLEAR_ROW - 1;
    memcpy(out + n, t->prompt, t->prompt_len);
    n += t->prompt_len;
    memcpy(out + n, le->buf + start, end - start);
    n += end - start;
    out[n++] = '\r';
    if (prompt_cols + col > 0)
        n += (size_t)snprintf(out + n, 24, "\033[%zuC", prompt_cols + col);
    return sl_write_all(t->out_fd, out, n);
}

int sl_term_print_above(struct sl_term *t, const struct sl_lineedit *le, int fd, const char *text,
                        size_t len)
{
    if (t->raw && sl_write_all(t->out_fd, CLEAR_ROW, sizeof CLEAR_ROW - 1) < 0)
        return -1;
    if (sl_write_all(fd, text, len) < 0)
        return -1;
    if ((len == 0 || text[len - 1] != '\n') && sl_write_all(fd, "\n", 1) < 0)
        return -1;
    return sl_term_draw(t, le);
}
