/* A buffered line reader with a hard maximum line length.
 *
 * Lines end in LF or CRLF; the terminator is not returned. A last line
 * without a newline is still returned. Lines are byte strings: they may
 * hold NUL, so always use the returned length. A line longer than the
 * maximum is reported once as SL_LINE_TOOLONG and the rest of it is
 * skipped up to the next LF: the buffer never grows past the maximum. */
#ifndef SOCKLAB_LINEREADER_H
#define SOCKLAB_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>

enum sl_line_status {
    SL_LINE_ERROR = -1,  /* read failed: errno is set */
    SL_LINE_EOF = 0,     /* end of stream, no more lines */
    SL_LINE_OK = 1,      /* *line, *len hold the next line */
    SL_LINE_TOOLONG = 2, /* a line exceeded the maximum; it is being skipped */
};

struct sl_linereader {
    int fd;
    char *buf;
    size_t cap; /* max_line + 2: room for the line and its CRLF */
    size_t max_line;
    size_t start; /* first unconsumed byte */
    size_t end;   /* one past the last buffered byte */
    bool eof;
    bool skipping; /* inside an over-long line, dropping bytes until LF */
};

/* Prepares LR to read lines of at most MAX_LINE bytes from FD.
 * Returns 0, or -1 (ENOMEM, or EINVAL for a zero maximum). */
int sl_lr_init(struct sl_linereader *lr, int fd, size_t max_line);
void sl_lr_free(struct sl_linereader *lr);

/* Reads the next line. On SL_LINE_OK *LINE points into the reader's buffer
 * and stays valid until the next call. Retries EINTR. On a non-blocking FD,
 * SL_LINE_ERROR with errno EAGAIN loses nothing: call again once readable
 * (tests/fuzz/fuzz_linereader.c feeds it that way). */
enum sl_line_status sl_lr_next(struct sl_linereader *lr, const char **line, size_t *len);

/* Bytes already buffered but not yet returned (e.g. to hand them over). */
size_t sl_lr_pending(const struct sl_linereader *lr);

/* True when the next sl_lr_next() will return a line without reading: a
 * whole line is buffered. Lets a caller batch the work of several lines
 * that arrived together. */
bool sl_lr_line_buffered(const struct sl_linereader *lr);

#endif
