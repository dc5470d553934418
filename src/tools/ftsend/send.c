/* The notes' recipe from the sending side, for each file:
 *   2. open the file, send its name and size (and mode, mtime)
 *   4. read the content and send it until the end, close the file
 * and then wait for the receiver's word that it was stored and verified. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ftsend.h"
#include "socklab/socklab.h"
#include "socklab/zerocopy.h"

/* TEXT (LEN bytes, from a file name or the receiver) made safe to print. */
static const char *shown(const char *text, size_t len, char *buf)
{
    buf[sl_sanitize_text(text, len, buf)] = '\0';
    return buf;
}

/* Reads the receiver's answer of KIND to the file NAME. Returns 0, or -1
 * with ERR saying why the connection cannot go on. */
static int read_answer(int fd, enum sl_ft_answer_kind kind, struct sl_ft_answer *a,
                       const char *name, char *err)
{
    char why[SL_ERRLEN];
    int got = sl_ft_recv_answer(fd, kind, a, why);
    if (got > 0)
        return 0;
    if (got == 0)
        snprintf(err, SL_ERRLEN, "%s: connection lost: the receiver closed it", name);
    else if (errno == EBADMSG)
        snprintf(err, SL_ERRLEN, "%s: %s", name, why);
    else
        snprintf(err, SL_ERRLEN, "%s: connection lost: %s", name, why);
    return -1;
}

/* Prints the receiver's REFUSED or FAILED message for NAME. */
static void log_refusal(const char *prog, const char *name, const struct sl_ft_answer *a)
{
    char clean[SL_SANITIZED_MAX(SL_FT_MESSAGE_MAX) + 1];
    sl_cli_log(prog, "%s: refused by receiver: %s", name, shown(a->text, a->text_len, clean));
}

/* What the sender proved about its own prefix: the receiver resumes only
 * from OFFSET bytes it asked us to digest (CHECK), and the checksum of the
 * whole file starts from their CRC. */
struct checked {
    bool done;
    uint64_t offset;
    uint32_t crc;
};

/* Answers a CHECK: the SHA-256 of our first A->offset bytes (and their
 * CRC-32C, kept in *C for a GO from there). Returns 0, or -1 with ERR. */
static int answer_check(int fd, int file, const struct sl_ft_header *h,
                        const struct sl_ft_answer *a, char *buf, struct checked *c,
                        const char *name, char *err)
{
    uint8_t digest[SL_FT_DIGEST_SIZE], out[SL_FT_DIGEST_LEN];
    if (a->offset > h->size ||
        sl_ft_prefix_sums(file, a->offset, (uint8_t *)buf, FT_BUF, &c->crc, digest) < 0) {
        snprintf(err, SL_ERRLEN, "%s: bad digest request for %llu bytes", name,
                 (unsigned long long)a->offset);
        return -1;
    }
    c->done = true;
    c->offset = a->offset;
    if (sl_send_all(fd, out, sl_ft_encode_digest(out, a->offset, digest)) < 0) {
        snprintf(err, SL_ERRLEN, "%s: connection lost: %s", name, SL_STRERROR(errno));
        return -1;
    }
    return 0;
}

/* Reads the receiver's offer answer into A, answering its CHECKs (at most
 * SL_FT_CHECKS_MAX) on the way. After a GO from OFFSET > 0, *CRC is the
 * CRC-32C of the first OFFSET bytes: a resume only from a prefix the
 * receiver checked. Returns 0, or -1 with ERR. */
static int read_offer(int fd, int file, const struct sl_ft_header *h, struct sl_ft_answer *a,
                      char *buf, uint32_t *crc, const char *name, char *err)
{
    struct checked c = {0};
    for (int checks = 0;; checks++) {
        if (read_answer(fd, SL_FT_OFFER, a, name, err) < 0)
            return -1;
        if (a->status != SL_FT_CHECK)
            break;
        if (checks == SL_FT_CHECKS_MAX) {
            snprintf(err, SL_ERRLEN, "%s: more than %d digest requests", name, SL_FT_CHECKS_MAX);
            return -1;
        }
        if (answer_check(fd, file, h, a, buf, &c, name, err) < 0)
            return -1;
    }
    *crc = 0;
    if (a->status != SL_FT_GO || a->offset == 0)
        return 0;
    if (!c.done || c.offset != a->offset) {
        snprintf(err, SL_ERRLEN, "%s: bad resume offset %llu (never checked)", name,
                 (unsigned long long)a->offset);
        return -1;
    }
    *crc = c.crc;
    return 0;
}

/* 4. the content from OFFSET to SIZE: each piece checksummed where it lies
 * in the page cache, then handed to the socket from there (sendfile), with
 * no copy of ours in between. Returns 0, -1 (connection), -2 (file). */
static int send_content(int fd, int file, const struct send_item *it, uint64_t size,
                        uint64_t offset, bool bar, uint32_t *crc)
{
    struct progress p;
    progress_start(&p, bar, it->name, size, offset);
    for (uint64_t done = offset; done < size;) {
        uint64_t want = size - done < SEND_PIECE ? size - done : SEND_PIECE;
        if (sl_crc32c_file(file, done, want, crc) < 0)
            return -2; /* shrank or unreadable: we cannot deliver what we announced */
        int64_t n = sl_sendfile_all(fd, file, done, want);
        if (n < 0)
            return -1;
        if ((uint64_t)n < want)
            return -2; /* the file ended early: it shrank while we sent it */
        done += want;
        progress_update(&p, done);
    }
    progress_end(&p);
    return 0;
}

/* One file. Returns 1 stored, 0 refused, -1 connection lost. */
static int send_one(int fd, const char *prog, const struct send_item *it, char *buf, bool bar,
                    char *err)
{
    char name_shown[SL_SANITIZED_MAX(SL_FT_NAME_MAX) + 1];
    struct sl_ft_header *h = calloc(1, sizeof *h);
    struct sl_ft_answer *a = malloc(sizeof *a);
    uint8_t *hdr = malloc(SL_FT_HEADER_MAX);
    struct sl_file_stat st;
    int rc = -1;
    int file = sl_file_open_read(it->path);

    shown(it->name, strlen(it->name), name_shown);
    if (!h || !a || !hdr) {
        snprintf(err, SL_ERRLEN, "out of memory");
        goto out;
    }
    if (file < 0 || sl_file_stat(file, &st) < 0) {
        sl_cli_log(prog, "%s: %s", it->path, SL_STRERROR(errno));
        rc = 0;
        goto out;
    }
    size_t nlen = strlen(it->name);
    if (nlen > SL_FT_NAME_MAX) {
        sl_cli_log(prog, "%s: name longer than %d bytes", name_shown, SL_FT_NAME_MAX);
        rc = 0;
        goto out;
    }
    /* 2. name and size */
    *h = (struct sl_ft_header){.type = SL_FT_FILE,
                               .mode = st.mode,
                               .size = st.size,
                               .mtime = st.mtime,
                               .name_len = (uint16_t)nlen};
    memcpy(h->name, it->name, nlen);
    if (sl_send_all(fd, hdr, sl_ft_encode_header(h, hdr)) < 0)
        goto lost;
    uint32_t crc;
    if (read_offer(fd, file, h, a, buf, &crc, name_shown, err) < 0)
        goto out;
    if (a->status == SL_FT_IDENTICAL) {
        char stored_shown[SL_SANITIZED_MAX(SL_FT_STORED_MAX) + 1];
        bool same_name = a->text_len == nlen && memcmp(a->text, it->name, nlen) == 0;
        sl_cli_log(prog, "%s: already stored, identical%s%s", name_shown, same_name ? "" : " as ",
                   same_name ? "" : shown(a->text, a->text_len, stored_shown));
        rc = 1;
        goto out;
    }
    if (a->status == SL_FT_REFUSED) {
        log_refusal(prog, name_shown, a);
        rc = a->code == SL_FT_E_MALFORMED ? -1 : 0;
        snprintf(err, SL_ERRLEN, "the receiver ended the connection");
        goto out;
    }
    uint64_t offset = a->offset;
    if (offset > 0)
        sl_cli_log(prog, "%s: resuming at byte %llu of %llu (%.0f%% already there)", name_shown,
                   (unsigned long long)offset, (unsigned long long)h->size,
                   100.0 * (double)offset / (double)h->size);
    /* 4. the content, then its checksum */
    int sent = send_content(fd, file, it, h->size, offset, bar, &crc);
    if (sent == -2) {
        snprintf(err, SL_ERRLEN, "%s: the file changed or could not be read while sending",
                 name_shown);
        goto out;
    }
    uint8_t trailer[SL_FT_TRAILER_LEN];
    sl_ft_encode_trailer(trailer, crc);
    if (sent < 0 || sl_send_all(fd, trailer, sizeof trailer) < 0)
        goto lost;
    if (read_answer(fd, SL_FT_RESULT, a, name_shown, err) < 0)
        goto out;
    if (a->status == SL_FT_FAILED) {
        log_refusal(prog, name_shown, a);
        rc = 0;
        goto out;
    }
    if (a->text_len != nlen || memcmp(a->text, it->name, nlen) != 0) {
        /* a name clash there: say where it went */
        char stored_shown[SL_SANITIZED_MAX(SL_FT_STORED_MAX) + 1];
        sl_cli_log(prog, "%s: stored as %s", name_shown, shown(a->text, a->text_len, stored_shown));
    }
    rc = 1;
    goto out;
lost:
    snprintf(err, SL_ERRLEN, "%s: connection lost: %s", name_shown,
             errno ? SL_STRERROR(errno) : "the receiver closed it");
out:
    if (file >= 0)
        close(file);
    free(h);
    free(a);
    free(hdr);
    return rc;
}

/* --as NAME: tells the receiver who we are, before any file. */
static int send_sender(int fd, const char *prog, const char *as, char *err)
{
    struct sl_ft_header *h = calloc(1, sizeof *h);
    uint8_t *out = malloc(SL_FT_HEADER_MAX);
    struct sl_ft_answer a;
    int rc = -1;
    if (h == NULL || out == NULL) {
        snprintf(err, SL_ERRLEN, "out of memory");
        goto out;
    }
    h->type = SL_FT_SENDER;
    h->name_len = (uint16_t)strlen(as);
    memcpy(h->name, as, h->name_len);
    if (sl_send_all(fd, out, sl_ft_encode_header(h, out)) < 0) {
        snprintf(err, SL_ERRLEN, "send: %s", SL_STRERROR(errno));
        goto out;
    }
    if (read_answer(fd, SL_FT_OFFER, &a, "--as", err) < 0)
        goto out;
    if (a.status != SL_FT_GO) {
        log_refusal(prog, "--as", &a);
        snprintf(err, SL_ERRLEN, "the receiver did not accept the sender name");
        goto out;
    }
    rc = 0;
out:
    free(h);
    free(out);
    return rc;
}

int send_files(int fd, const char *prog, const struct send_list *list, const char *as,
               bool progress, char *err)
{
    uint8_t hello[SL_FT_HELLO_LEN], status;
    char *buf = malloc(FT_BUF);
    int failed = 0, rc = -1;

    if (buf == NULL) {
        snprintf(err, SL_ERRLEN, "out of memory");
        return -1;
    }
    sl_ft_encode_hello(hello, SL_FT_HELLO_OK);
    errno = 0;
    if (sl_send_all(fd, hello, sizeof hello) < 0 ||
        sl_recv_all(fd, hello, sizeof hello) != sizeof hello) {
        /* An ftrecv of protocol version 1 closes without a word. */
        snprintf(err, SL_ERRLEN,
                 "no answer from the receiver: %s (a receiver of another protocol version "
                 "closes without answering; this ftsend speaks version %d)",
                 errno ? SL_STRERROR(errno) : "connection closed", SL_FT_VERSION);
        goto out;
    }
    if (sl_ft_decode_hello(hello, &status, err) < 0)
        goto out;
    if (status == SL_FT_HELLO_BUSY) {
        snprintf(err, SL_ERRLEN,
                 "the receiver is busy (as many senders as it takes): "
                 "try again in a moment");
        goto out;
    }
    if (as != NULL && send_sender(fd, prog, as, err) < 0)
        goto out;
    for (size_t i = 0; i < list->n; i++) {
        errno = 0;
        int one = send_one(fd, prog, &list->items[i], buf, progress, err);
        if (one < 0)
            goto out;
        failed += one == 0;
    }
    struct sl_ft_header end = {.type = SL_FT_END};
    uint8_t end_byte[1];
    if (sl_send_all(fd, end_byte, sl_ft_encode_header(&end, end_byte)) < 0) {
        snprintf(err, SL_ERRLEN, "send: %s", SL_STRERROR(errno));
        goto out;
    }
    rc = failed;
out:
    free(buf);
    return rc;
}
