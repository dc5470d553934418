/* Buffered line reader. The buffer holds at most one maximal line plus its
 * CRLF, so a peer that never sends a newline cannot make us grow memory. */
#include "socklab/linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/platform.h"

int sl_lr_init(struct sl_linereader *lr, int fd, size_t max_line)
{
    memset(lr, 0, sizeof *lr);
    if (max_line == 0) {
        errno = EINVAL;
        return -1;
    }
    lr->fd = fd;
    lr->max_line = max_line;
    lr->cap = max_line + 2;
    lr->buf = malloc(lr->cap);
    return lr->buf ? 0 : -1;
}

void sl_lr_free(struct sl_linereader *lr)
{
    free(lr->buf);
    lr->buf = NULL;
}

size_t sl_lr_pending(const struct sl_linereader *lr)
{
    return lr->end - lr->start;
}

bool sl_lr_line_buffered(const struct sl_linereader *lr)
{
    return !lr->skipping && memchr(lr->buf + lr->start, '\n', lr->end - lr->start) != NULL;
}

/* Moves unread bytes to the front and reads more. 1: got bytes, 0: EOF. */
static int fill(struct sl_linereader *lr)
{
    if (lr->start > 0) {
        memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
        lr->end -= lr->start;
        lr->start = 0;
    }
    for (;;) {
        ssize_t n = sl_fd_read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            lr->eof = true;
            return 0;
        }
        lr->end += (size_t)n;
        return 1;
    }
}

enum sl_line_status sl_lr_next(struct sl_linereader *lr, const char **line, size_t *len)
{
    size_t scanned = 0; /* bytes after start already known to hold no LF */

    for (;;) {
        char *base = lr->buf + lr->start;
        size_t avail = lr->end - lr->start;
        char *lf = memchr(base + scanned, '\n', avail - scanned);

        if (lr->skipping) {
            /* Drop the tail of an over-long line up to and including LF. */
            if (lf) {
                lr->start += (size_t)(lf - base) + 1;
                lr->skipping = false;
                scanned = 0;
                continue;
            }
            lr->start = lr->end = 0;
            scanned = 0;
        } else if (lf) {
            size_t n = (size_t)(lf - base);
            lr->start += n + 1;
            if (n > 0 && base[n - 1] == '\r')
                n--;
            if (n > lr->max_line) {
                /* Only possible for max_line+1 bytes + LF without CR. */
                return SL_LINE_TOOLONG;
            }
            *line = base;
            *len = n;
            return SL_LINE_OK;
        } else {
            scanned = avail;
            /* The buffer holds max_line + 2 bytes. If it is full without an
             * LF, the line is too long - unless it is exactly max_line bytes
             * plus CR waiting for its LF. */
            if (avail > lr->max_line && !(avail == lr->max_line + 1 && base[avail - 1] == '\r')) {
                lr->skipping = true;
                lr->start = lr->end = 0;
                return SL_LINE_TOOLONG;
            }
        }

        if (lr->eof) {
            avail = lr->end - lr->start;
            if (avail == 0 || lr->skipping) {
                lr->start = lr->end = 0;
                return SL_LINE_EOF;
            }
            /* The last line had no newline: still a line. */
            *line = lr->buf + lr->start;
            lr->start = lr->end;
            if ((*line)[avail - 1] == '\r')
                avail--;
            *len = avail;
            return SL_LINE_OK;
        }
        if (fill(lr) < 0)
            return SL_LINE_ERROR;
    }
}
