/* One sender's connection: the notes' recipe from the receiving side.
 *   3. receive the file's name and size, create the file
 *   4. receive the content and write it, until all of it is there
 * repeated for every file the sender has, with a checksum and an answer per
 * file so that the sender knows what was stored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ftrecv.h"
#include "socklab/socklab.h"

struct session {
    struct ftrecv *r;
    int fd;
    const char *peer;
    char *buf; /* FT_BUF bytes */
};

/* Refuses the current file: FT_REFUSED/FT_FAILED (both 1), a code and a
 * message the sender prints. */
static int answer_error(struct session *s, int code, const char *msg)
{
    uint8_t out[5 + 256];
    size_t len = strlen(msg) < 256 ? strlen(msg) : 256;
    out[0] = FT_REFUSED;
    ft_put_u16(out + 1, (uint16_t)code);
    ft_put_u16(out + 3, (uint16_t)len);
    memcpy(out + 5, msg, len);
    return sl_send_all(s->fd, out, 5 + len);
}

/* Logs what happened to a file, its name escaped for the terminal. */
static void log_file(struct session *s, const char *name, size_t len, const char *fmt,
                     const char *detail)
{
    char shown[SL_SANITIZED_MAX(FT_NAME_MAX) + 1];
    shown[sl_sanitize_text(name, len, shown)] = '\0';
    sl_cli_log(s->r->prog, fmt, s->peer, shown, detail);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Step 4: the content, from the resume offset to the end. Returns 0, or -1
 * when the sender is gone (the partial file is kept for a resume). */
static int receive_content(struct session *s, struct ft_target *t, uint64_t size, uint32_t *crc)
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

/* One file. Returns 1 stored, 0 refused (the connection goes on), -1 when
 * the connection cannot go on. */
static int receive_one(struct session *s, const struct ft_file_header *h)
{
    struct ftrecv *r = s->r;
    struct ft_target t;
    char err[SL_ERRLEN], stored[FT_NAME_MAX + 32];
    int code;

    if (ft_check_name(h->name, h->name_len, err) < 0) {
        log_file(s, h->name, h->name_len, "%s: %s refused: %s", err);
        return answer_error(s, FT_E_NAME, err) < 0 ? -1 : 0;
    }
    if (r->max_size && h->size > r->max_size) {
        snprintf(err, sizeof err, "%llu bytes is over the limit of %llu",
                 (unsigned long long)h->size, (unsigned long long)r->max_size);
        log_file(s, h->name, h->name_len, "%s: %s refused: %s", err);
        return answer_error(s, FT_E_TOO_BIG, err) < 0 ? -1 : 0;
    }
    if (store_open(r->dirfd, h, &t, &code, err) < 0) {
        log_file(s, h->name, h->name_len, "%s: %s refused: %s", err);
        return answer_error(s, code, err) < 0 ? -1 : 0;
    }
    uint32_t crc = 0;
    if (t.offset > 0 && store_crc_existing(&t, &crc) < 0) {
        store_abort(&t, false); /* unreadable: start over next time */
        log_file(s, h->name, h->name_len, "%s: %s refused: %s", "cannot read the partial file");
        return answer_error(s, FT_E_IO, "cannot read the partial file") < 0 ? -1 : 0;
    }

    uint8_t go[9] = {FT_GO};
    ft_put_u64(go + 1, t.offset);
    double t0 = now_s();
    if (sl_send_all(s->fd, go, sizeof go) < 0) {
        store_abort(&t, true);
        return -1;
    }
    int rc = receive_content(s, &t, h->size, &crc);
    uint8_t trailer[4];
    if (rc == -2) {
        snprintf(err, sizeof err, "write: %s", strerror(errno));
        store_abort(&t, false);
        log_file(s, h->name, h->name_len, "%s: %s failed: %s", err);
        return -1; /* the sender is mid-stream: no way to resync */
    }
    if (rc < 0 || sl_recv_all(s->fd, trailer, 4) != 4) {
        store_abort(&t, true);
        log_file(s, h->name, h->name_len, "%s: %s interrupted: %s",
                 "the sender left; the part received is kept for a resume");
        return -1;
    }
    if (ft_get_u32(trailer) != crc) {
        store_abort(&t, false);
        log_file(s, h->name, h->name_len, "%s: %s failed: %s", "checksum mismatch");
        return answer_error(s, FT_E_CHECKSUM, "checksum mismatch: the file was not stored") < 0 ? -1
                                                                                                : 0;
    }
    if (store_finish(&t, h, r->overwrite, stored, sizeof stored, err) < 0) {
        store_abort(&t, false);
        log_file(s, h->name, h->name_len, "%s: %s failed: %s", err);
        return answer_error(s, FT_E_IO, err) < 0 ? -1 : 0;
    }
    double secs = now_s() - t0;
    uint8_t ok[3 + sizeof stored];
    size_t len = strlen(stored);
    ok[0] = FT_STORED;
    ft_put_u16(ok + 1, (uint16_t)len);
    memcpy(ok + 3, stored, len);
    if (!r->quiet) {
        char shown[SL_SANITIZED_MAX(sizeof stored) + 1];
        shown[sl_sanitize_text(stored, len, shown)] = '\0';
        printf("%s: %s stored (%llu bytes%s, %.1f MB/s)\n", s->peer, shown,
               (unsigned long long)h->size, t.offset ? ", resumed" : "",
               secs > 0 ? (double)(h->size - t.offset) / secs / 1e6 : 0.0);
        fflush(stdout);
    }
    return sl_send_all(s->fd, ok, 3 + len) < 0 ? -1 : 1;
}

/* After a malformed header the stream cannot be followed any more. Closing
 * with unread bytes would send a reset that can destroy our error message
 * before the sender reads it: end our side, then drop what still comes for
 * a moment (bounded in time and bytes). */
static void linger_close(int fd)
{
    char sink[4096];
    struct timeval tv = {.tv_sec = 1};
    shutdown(fd, SHUT_WR);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (int i = 0; i < 256 && sl_recv_some(fd, sink, sizeof sink) > 0; i++)
        ;
}

int receive_files(struct ftrecv *r, int fd, const char *peer)
{
    struct session s = {.r = r, .fd = fd, .peer = peer, .buf = malloc(FT_BUF)};
    struct ft_file_header *h = malloc(sizeof *h);
    uint8_t hello[FT_HELLO_LEN], *hdr = malloc(FT_HEADER_MAX), status;
    char err[SL_ERRLEN];
    int failures = 0, rc = -1;

    if (!s.buf || !h || !hdr)
        goto out;
    if (sl_recv_all(fd, hello, sizeof hello) != sizeof hello)
        goto out;
    if (ft_parse_hello(hello, &status, err) < 0) {
        sl_cli_log(r->prog, "%s: %s", peer, err);
        linger_close(fd);
        goto out;
    }
    ft_encode_hello(hello, 0);
    if (sl_send_all(fd, hello, sizeof hello) < 0)
        goto out;

    for (;;) {
        /* 3. the file's name and size (and mode, mtime) */
        size_t have = 0;
        ssize_t need = 1;
        while ((size_t)need > have) {
            ssize_t n = sl_recv_all(fd, hdr + have, (size_t)need - have);
            if (n <= 0 || (size_t)n < (size_t)need - have) {
                if (have > 0 || n < 0)
                    sl_cli_log(r->prog, "%s: connection ended inside a header", peer);
                goto out; /* no END: the sender did not finish */
            }
            have = (size_t)need;
            need = ft_parse_file_header(hdr, have, h, err);
            if (need < 0) {
                sl_cli_log(r->prog, "%s: %s", peer, err);
                answer_error(&s, FT_E_MALFORMED, err);
                linger_close(fd);
                goto out;
            }
        }
        if (h->type == FT_END) {
            rc = failures ? -1 : 0;
            goto out;
        }
        int one = receive_one(&s, h);
        if (one < 0)
            goto out;
        failures += one == 0;
    }
out:
    free(s.buf);
    free(h);
    free(hdr);
    return rc;
}
