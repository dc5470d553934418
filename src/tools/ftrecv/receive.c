/* One sender's connection: the notes' recipe from the receiving side.
 *   3. receive the file's name and size, create the file
 *   4. receive the content and write it, until all of it is there
 * repeated for every file the sender has, with a checksum and an answer per
 * file so that the sender knows what was stored. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ftrecv.h"
#include "socklab/socklab.h"
#include "socklab/zerocopy.h"

struct session {
    struct ftrecv *r;
    int fd;
    const char *peer;
    char *buf;                  /* FT_BUF bytes */
    struct sl_splice_pipe pipe; /* rd -1: none (out of descriptors), recv() instead */
    struct handin_sender who;
    unsigned long files; /* headers seen */
};

/* Refuses the current file: SL_FT_REFUSED/SL_FT_FAILED (both 1), a code and a
 * message the sender prints. */
static int answer_error(struct session *s, int code, const char *msg)
{
    uint8_t out[SL_FT_ERROR_MAX];
    return sl_send_all(s->fd, out, sl_ft_encode_error(out, (uint16_t)code, msg, strlen(msg)));
}

/* Logs "PEER: NAME " and what happened to the file, its name escaped for
 * the terminal. */
static void log_file(struct session *s, const struct sl_ft_header *h, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void log_file(struct session *s, const struct sl_ft_header *h, const char *fmt, ...)
{
    char shown[SL_SANITIZED_MAX(SL_FT_NAME_MAX) + 1], what[SL_ERRLEN];
    va_list ap;
    shown[sl_sanitize_text(h->name, h->name_len, shown)] = '\0';
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    sl_cli_log(s->r->prog, "%s: %s %s", s->peer, shown, what);
}

/* Step 4 the plain way, when there is no pipe: recv() into our buffer,
 * checksum it there, write() it. Returns as receive_content(). */
static int receive_by_copy(struct session *s, struct ft_target *t, uint64_t size, uint32_t *crc)
{
    uint64_t left = size - t->offset;
    while (left > 0) {
        size_t want = left < FT_BUF ? (size_t)left : FT_BUF;
        ssize_t n = sl_recv_some(s->fd, s->buf, want);
        if (n <= 0)
            return -1;
        *crc = sl_crc32c(*crc, s->buf, (size_t)n);
        if (sl_write_all(t->fd, s->buf, (size_t)n) < 0)
            return -2;
        left -= (uint64_t)n;
    }
    return 0;
}

/* Step 4: the content, from the resume offset to the end, spliced from the
 * socket into the file through the pipe; the checksum is taken from the
 * file's page cache, what was written, every CRC_STEP bytes. Returns 0, -1
 * when the sender is gone (the partial file is kept for a resume), or -2
 * when the file cannot take it (errno). */
static int receive_content(struct session *s, struct ft_target *t, uint64_t size, uint32_t *crc)
{
    if (s->pipe.rd < 0)
        return receive_by_copy(s, t, size, crc);
    uint64_t at = t->offset, summed = t->offset;
    while (at < size) {
        bool file_failed;
        uint64_t left = size - at;
        ssize_t n = sl_splice_recv(&s->pipe, s->fd, t->fd, &at,
                                   left < s->pipe.cap ? (size_t)left : s->pipe.cap, &file_failed);
        if (n <= 0)
            return file_failed ? -2 : -1;
        if (at - summed >= CRC_STEP || at == size) {
            if (sl_crc32c_file(t->fd, summed, at - summed, crc) < 0)
                return -2;
            summed = at;
        }
    }
    return 0;
}

/* Asks the sender for the SHA-256 of its first LEN bytes (CHECK), and
 * compares it with the SHA-256 of the first LEN bytes of FILE, ours,
 * hashed meanwhile; *CRC (if not NULL) gets their CRC-32C. Returns 1 when
 * they are the sender's own bytes, 0 when not, -1 when the connection
 * cannot go on (ERR says why). */
static int same_as_sender(struct session *s, int file, uint64_t len, uint32_t *crc, char *err)
{
    uint8_t check[SL_FT_CHECK_LEN], theirs[SL_FT_DIGEST_LEN];
    uint8_t mine[SL_FT_DIGEST_SIZE], digest[SL_FT_DIGEST_SIZE];
    uint64_t offset;
    if (sl_send_all(s->fd, check, sl_ft_encode_check(check, len)) < 0) {
        snprintf(err, SL_ERRLEN, "send: %s", SL_STRERROR(errno));
        return -1;
    }
    if (sl_ft_prefix_sums(file, len, (uint8_t *)s->buf, FT_BUF, crc, mine) < 0) {
        snprintf(err, SL_ERRLEN, "reading what is already here: %s", SL_STRERROR(errno));
        return -1;
    }
    if (sl_recv_all(s->fd, theirs, sizeof theirs) != sizeof theirs) {
        snprintf(err, SL_ERRLEN, "the sender left before sending its digest");
        return -1;
    }
    if (sl_ft_decode_digest(theirs, &offset, digest, err) < 0)
        return -1;
    if (offset != len) {
        snprintf(err, SL_ERRLEN, "malformed digest: of %llu bytes, %llu asked",
                 (unsigned long long)offset, (unsigned long long)len);
        return -1;
    }
    return memcmp(mine, digest, SL_FT_DIGEST_SIZE) == 0;
}

/* A file of this name and size is stored already: when its SHA-256 is the
 * sender's, answers IDENTICAL instead of storing a copy as name.1. Returns
 * 1 answered, 0 not the same file (go on), -1 the connection is over. */
static int answer_if_identical(struct session *s, struct ft_target *t, const struct sl_ft_header *h)
{
    char err[SL_ERRLEN], name[SL_FT_STORED_MAX + 1];
    int stored = store_open_stored(t, h);
    if (stored < 0)
        return 0;
    int same = same_as_sender(s, stored, h->size, NULL, err);
    close(stored);
    if (same < 0) {
        log_file(s, h, "interrupted: %s", err);
        return -1;
    }
    if (same == 0)
        return 0;
    store_abort(t, false); /* a partial copy of a stored file is of no use */
    uint8_t out[SL_FT_ANSWER_MAX];
    size_t len = (size_t)snprintf(name, sizeof name, "%s%s", t->dir, t->base);
    if (!s->r->quiet) {
        char shown[SL_SANITIZED_MAX(sizeof name) + 1];
        shown[sl_sanitize_text(name, len, shown)] = '\0';
        printf("%s: %s already stored, identical (%llu bytes, SHA-256 checked)\n", s->peer, shown,
               (unsigned long long)h->size);
        fflush(stdout);
    }
    return sl_send_all(s->fd, out, sl_ft_encode_identical(out, name, len)) < 0 ? -1 : 1;
}

/* A partial file from an interrupted transfer is resumed only if its bytes
 * are the sender's own (SHA-256); else it is emptied and the whole file
 * comes again: a classmate's planted prefix never becomes part of it.
 * *CRC gets the CRC-32C of what is kept. Returns 0, or -1 (connection over,
 * the partial file kept). */
static int check_partial(struct session *s, struct ft_target *t, const struct sl_ft_header *h,
                         uint32_t *crc)
{
    char err[SL_ERRLEN];
    *crc = 0;
    if (t->offset == 0)
        return 0;
    int same = same_as_sender(s, t->fd, t->offset, crc, err);
    if (same < 0) {
        store_abort(t, true);
        log_file(s, h, "interrupted: %s", err);
        return -1;
    }
    if (same == 0) {
        log_file(s, h, "the %llu bytes kept are not the sender's: starting over",
                 (unsigned long long)t->offset);
        *crc = 0;
        if (store_restart(t) < 0) {
            log_file(s, h, "failed: emptying the partial file: %s", SL_STRERROR(errno));
            store_abort(t, false);
            return -1;
        }
    }
    return 0;
}

/* One file. Returns 1 stored, 0 refused (the connection goes on), -1 when
 * the connection cannot go on. */
static int receive_one(struct session *s, const struct sl_ft_header *h)
{
    struct ftrecv *r = s->r;
    struct ft_target t;
    char err[SL_ERRLEN], stored[SL_FT_STORED_MAX + 1];
    int code;

    if (sl_ft_check_name(h->name, h->name_len, err) < 0 ||
        sl_platform_check_name(h->name, h->name_len, err) < 0) {
        log_file(s, h, "refused: %s", err);
        return answer_error(s, SL_FT_E_NAME, err) < 0 ? -1 : 0;
    }
    if (r->max_size && h->size > r->max_size) {
        snprintf(err, sizeof err, "%llu bytes is over the limit of %llu",
                 (unsigned long long)h->size, (unsigned long long)r->max_size);
        log_file(s, h, "refused: %s", err);
        return answer_error(s, SL_FT_E_TOO_BIG, err) < 0 ? -1 : 0;
    }
    int root = handin_root(r, &s->who, &code, err);
    if (root < 0 || store_open(root, h, &t, &code, err) < 0) {
        log_file(s, h, "refused: %s", err);
        return answer_error(s, code, err) < 0 ? -1 : 0;
    }
    int same = answer_if_identical(s, &t, h);
    if (same != 0) {
        if (same < 0)
            store_abort(&t, true);
        return same;
    }
    uint32_t crc;
    if (check_partial(s, &t, h, &crc) < 0)
        return -1;

    uint8_t go[SL_FT_GO_LEN];
    uint64_t t0 = sl_monotonic_ns();
    if (sl_send_all(s->fd, go, sl_ft_encode_go(go, t.offset)) < 0) {
        store_abort(&t, true);
        return -1;
    }
    int rc = receive_content(s, &t, h->size, &crc);
    uint8_t trailer[SL_FT_TRAILER_LEN];
    if (rc == -2) {
        snprintf(err, sizeof err, "write: %s", SL_STRERROR(errno));
        store_abort(&t, false);
        log_file(s, h, "failed: %s", err);
        return -1; /* the sender is mid-stream: no way to resync */
    }
    if (rc < 0 || sl_recv_all(s->fd, trailer, sizeof trailer) != sizeof trailer) {
        store_abort(&t, true);
        log_file(s, h, "interrupted: the sender left; the part received is kept for a resume");
        return -1;
    }
    if (sl_ft_decode_trailer(trailer) != crc) {
        store_abort(&t, false);
        log_file(s, h, "failed: checksum mismatch");
        return answer_error(s, SL_FT_E_CHECKSUM, "checksum mismatch: the file was not stored") < 0
                   ? -1
                   : 0;
    }
    if (store_finish(&t, h, r->overwrite, stored, sizeof stored, err) < 0) {
        store_abort(&t, false);
        log_file(s, h, "failed: %s", err);
        return answer_error(s, SL_FT_E_IO, err) < 0 ? -1 : 0;
    }
    double secs = (double)(sl_monotonic_ns() - t0) / 1e9;
    uint8_t ok[SL_FT_ANSWER_MAX];
    size_t len = strlen(stored), n = sl_ft_encode_stored(ok, stored, len);
    if (n == 0)
        return -1; /* cannot be: store_finish() makes 1 to SL_FT_STORED_MAX bytes */
    if (!r->quiet) {
        char shown[SL_SANITIZED_MAX(sizeof stored) + 1];
        shown[sl_sanitize_text(stored, len, shown)] = '\0';
        char rate[SL_RATELEN];
        printf("%s: %s stored (%llu bytes%s, %s)\n", s->peer, shown, (unsigned long long)h->size,
               t.offset ? ", resumed" : "", sl_format_rate(h->size - t.offset, secs, rate));
        fflush(stdout);
    }
    handin_log_stored(r, &s->who, stored, h->size, crc, t.offset != 0);
    return sl_send_all(s->fd, ok, n) < 0 ? -1 : 1;
}

/* SENDER (ftsend --as NAME): before any file. Returns 0 or -1 as
 * receive_one(). */
static int take_sender_name(struct session *s, const struct sl_ft_header *h)
{
    char err[SL_ERRLEN];
    if (s->files > 0)
        snprintf(err, sizeof err, "the sender's name must come before its files");
    else if (handin_set_name(&s->who, h->name, h->name_len, err) == 0) {
        uint8_t go[SL_FT_GO_LEN];
        return sl_send_all(s->fd, go, sl_ft_encode_go(go, 0)) < 0 ? -1 : 0;
    }
    sl_cli_log(s->r->prog, "%s: sender name refused: %s", s->peer, err);
    return answer_error(s, SL_FT_E_NAME, err) < 0 ? -1 : 0;
}

/* After a malformed header the stream cannot be followed any more. Closing
 * with unread bytes would send a reset that can destroy our error message
 * before the sender reads it: end our side, then drop what still comes for
 * a moment (bounded in time and bytes). */
static void linger_close(int fd)
{
    char sink[4096];
    shutdown(fd, SHUT_WR);
    (void)sl_socket_set_recv_timeout(fd, 1000);
    for (int i = 0; i < 256 && sl_recv_some(fd, sink, sizeof sink) > 0; i++)
        ;
}

int receive_files(struct ftrecv *r, struct sl_conn *conn)
{
    int fd = conn->fd;
    const char *peer = conn->peer;
    struct session s = {.r = r, .fd = fd, .peer = peer, .buf = malloc(FT_BUF)};
    s.who = (struct handin_sender){.peer = peer, .root = -1};
    if (sl_splice_pipe_open(&s.pipe) < 0)
        s.pipe.rd = s.pipe.wr = -1; /* out of descriptors, or no splice: by recv() */
    struct sl_ft_header *h = malloc(sizeof *h);
    uint8_t hello[SL_FT_HELLO_LEN], status;
    char err[SL_ERRLEN];
    int failures = 0, rc = -1;

    if (!s.buf || !h)
        goto out;
    if (sl_recv_all(fd, hello, sizeof hello) != sizeof hello)
        goto out;
    if (sl_ft_decode_hello(hello, &status, err) < 0) {
        sl_cli_log(r->prog, "%s: %s", peer, err);
        if (sl_ft_hello_is_ours(hello)) { /* another version: our hello tells it why */
            sl_ft_encode_hello(hello, 0);
            (void)sl_send_all(fd, hello, sizeof hello);
        }
        linger_close(fd);
        goto out;
    }
    sl_ft_encode_hello(hello, SL_FT_HELLO_OK);
    if (sl_send_all(fd, hello, sizeof hello) < 0)
        goto out;
    sl_conn_hello_done(conn); /* from now on the idle limit (--timeout) */

    for (;;) {
        /* 3. the file's name and size (and mode, mtime) */
        int got = sl_ft_recv_header(fd, h, err);
        if (got == 0)
            goto out; /* no END: the sender did not finish */
        if (got < 0) {
            bool malformed = errno == EBADMSG; /* the stream cannot be followed any further */
            sl_cli_log(r->prog, "%s: %s", peer, err);
            if (malformed) {
                answer_error(&s, SL_FT_E_MALFORMED, err);
                linger_close(fd);
            }
            goto out;
        }
        if (h->type == SL_FT_END) {
            rc = failures ? -1 : 0;
            goto out;
        }
        if (h->type == SL_FT_SENDER) {
            if (take_sender_name(&s, h) < 0)
                goto out;
            continue;
        }
        s.files++;
        int one = receive_one(&s, h);
        if (one < 0)
            goto out;
        failures += one == 0;
    }
out:
    handin_sender_free(r, &s.who);
    sl_splice_pipe_close(&s.pipe);
    free(s.buf);
    free(h);
    return rc;
}
