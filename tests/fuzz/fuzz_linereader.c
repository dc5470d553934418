/* fuzz-sources: src/lib/linereader.c src/lib/platform/posix_calls.c */
/* libFuzzer harness: the line reader gets arbitrary bytes in arbitrary
 * chunks through a non-blocking socketpair (each chunk is written, then
 * read until EAGAIN, so the chunks are the reads). What it returns must be
 * exactly what a simple model of the framing says: each LF-terminated
 * piece, one trailing CR dropped, as a line if it fits the maximum, else
 * one SL_LINE_TOOLONG; a last piece without LF the same; then EOF.
 *
 * Input: byte 0 picks the maximum line (1-64, so long lines are easy to
 * find), bytes 1-2 seed the chunk lengths, the rest is the stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/linereader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct expectation {
    const uint8_t *stream;
    size_t len;
    size_t pos; /* start of the next piece not yet matched */
    size_t max_line;
};

/* The next piece of the stream per the model: its status and bytes. */
static enum sl_line_status expected_next(struct expectation *e, const uint8_t **line, size_t *len)
{
    if (e->pos >= e->len)
        return SL_LINE_EOF;
    const uint8_t *start = e->stream + e->pos;
    const uint8_t *lf = memchr(start, '\n', e->len - e->pos);
    size_t n = lf ? (size_t)(lf - start) : e->len - e->pos;
    e->pos += n + (lf != NULL);
    if (n > 0 && start[n - 1] == '\r')
        n--;
    *line = start;
    *len = n;
    return n > e->max_line ? SL_LINE_TOOLONG : SL_LINE_OK;
}

/* Takes every line the reader can give without blocking; false at EOF. */
static bool drain(struct sl_linereader *lr, struct expectation *e)
{
    for (;;) {
        const char *line;
        size_t len;
        enum sl_line_status got = sl_lr_next(lr, &line, &len);
        if (got == SL_LINE_ERROR) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                abort();
            return true;
        }
        const uint8_t *want;
        size_t want_len;
        if (got != expected_next(e, &want, &want_len))
            abort();
        if (got == SL_LINE_EOF)
            return false;
        if (got == SL_LINE_OK) {
            if (len > lr->max_line || len != want_len || memcmp(line, want, len) != 0)
                abort();
            if (line < lr->buf || line + len > lr->buf + lr->cap)
                abort();
        }
    }
}

static size_t next_chunk(uint32_t *rng, size_t left, size_t max_line)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 17;
    *rng ^= *rng << 5;
    size_t n = 1 + *rng % (2 * max_line + 4);
    return n < left ? n : left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    struct expectation e = {data + 3, size - 3, 0, 1 + data[0] % 64};
    uint32_t rng = 0x9E3779B9u ^ ((uint32_t)data[1] << 8 | data[2]);
    int sv[2];
    struct sl_linereader lr;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
        sl_lr_init(&lr, sv[0], e.max_line) < 0)
        abort();

    for (size_t off = 0; off < e.len;) {
        size_t n = next_chunk(&rng, e.len - off, e.max_line);
        if (write(sv[1], e.stream + off, n) != (ssize_t)n)
            abort();
        off += n;
        if (!drain(&lr, &e))
            abort(); /* EOF before the writer closed */
    }
    shutdown(sv[1], SHUT_WR);
    if (drain(&lr, &e) || e.pos < e.len)
        abort(); /* no EOF, or bytes never returned */

    sl_lr_free(&lr);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
