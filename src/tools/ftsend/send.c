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

#define ERRLEN 256

static const char *shown(const char *name, char *buf)
{
    buf[sl_sanitize_text(name, strlen(name), buf)] = '\0';
    return buf;
}

/* Reads the receiver's error answer (after its status byte) into MSG. */
static int read_error(int fd, int *code, char *msg, size_t msglen)
{
    uint8_t head[4];
    char raw[256], clean[SL_SANITIZED_MAX(256) + 1];
    if (sl_recv_all(fd, head, 4) != 4)
        return -1;
    *code = ft_get_u16(head);
    size_t len = ft_get_u16(head + 2);
    if (len > sizeof raw || sl_recv_all(fd, raw, len) != (ssize_t)len)
        return -1;
    clean[sl_sanitize_text(raw, len, clean)] = '\0'; /* the receiver's words, made safe */
    snprintf(msg, msglen, "%s", clean);
    return 0;
}

/* CRC of the first OFFSET bytes, which the receiver already has: the
 * checksum covers the whole file even when only the rest is sent. */
static int crc_prefix(int file, uint64_t offset, char *buf, uint32_t *crc)
{
    uint64_t done = 0;
    *crc = 0;
    while (done < offset) {
        size_t want = offset - done < FT_BUF ? (size_t)(offset - done) : FT_BUF;
        ssize_t n = pread(file, buf, want, (off_t)done);
        if (n <= 0)
            return -1;
        *crc = sl_crc32c(*crc, buf, (size_t)n);
        done += (uint64_t)n;
    }
    return 0;
}

/* 4. the content from OFFSET to SIZE. Returns 0, -1 (connection), -2 (file). */
static int send_content(int fd, int file, const struct send_item *it, uint64_t size,
                        uint64_t offset, char *buf, bool bar, uint32_t *crc)
{
    struct progress p;
    progress_start(&p, bar, it->name, size, offset);
    if (lseek(file, (off_t)offset, SEEK_SET) < 0)
        return -2;
    for (uint64_t done = offset; done < size;) {
        size_t want = size - done < FT_BUF ? (size_t)(size - done) : FT_BUF;
        ssize_t n = sl_read_some(file, buf, want);
        if (n <= 0)
            return -2; /* shrank or unreadable: we cannot deliver what we announced */
        *crc = sl_crc32c(*crc, buf, (size_t)n);
        if (sl_send_all(fd, buf, (size_t)n) < 0)
            return -1;
        done += (uint64_t)n;
        progress_update(&p, done);
    }
    progress_end(&p);
    return 0;
}

/* One file. Returns 1 stored, 0 refused, -1 connection lost. */
static int send_one(int fd, const char *prog, const struct send_item *it, char *buf, bool bar,
                    char *err)
{
    char name_shown[SL_SANITIZED_MAX(FT_NAME_MAX) + 1], msg[ERRLEN];
    struct ft_file_header *h = calloc(1, sizeof *h);
    uint8_t *hdr = malloc(FT_HEADER_MAX);
    struct stat st;
    int rc = -1, code;
    int file = open(it->path, O_RDONLY | O_CLOEXEC);

    shown(it->name, name_shown);
    if (!h || !hdr) {
        snprintf(err, ERRLEN, "out of memory");
        goto out;
    }
    if (file < 0 || fstat(file, &st) < 0) {
        sl_cli_log(prog, "%s: %s", it->path, strerror(errno));
        rc = 0;
        goto out;
    }
    size_t nlen = strlen(it->name);
    if (nlen > FT_NAME_MAX) {
        sl_cli_log(prog, "%s: name longer than %d bytes", name_shown, FT_NAME_MAX);
        rc = 0;
        goto out;
    }
    /* 2. name and size */
    *h = (struct ft_file_header){.type = FT_FILE,
                                 .mode = (uint32_t)st.st_mode & 0777,
                                 .size = (uint64_t)st.st_size,
                                 .mtime = st.st_mtime,
                                 .name_len = (uint16_t)nlen};
    memcpy(h->name, it->name, nlen);
    uint8_t answer[9];
    if (sl_send_all(fd, hdr, ft_encode_file_header(h, hdr)) < 0 || sl_recv_all(fd, answer, 1) != 1)
        goto lost;
    if (answer[0] != FT_GO) {
        if (read_error(fd, &code, msg, sizeof msg) < 0)
            goto lost;
        sl_cli_log(prog, "%s: refused by receiver: %s", name_shown, msg);
        rc = code == FT_E_MALFORMED ? -1 : 0;
        snprintf(err, ERRLEN, "the receiver ended the connection");
        goto out;
    }
    if (sl_recv_all(fd, answer + 1, 8) != 8)
        goto lost;
    uint64_t offset = ft_get_u64(answer + 1);
    uint32_t crc;
    if (offset > h->size || crc_prefix(file, offset, buf, &crc) < 0) {
        snprintf(err, ERRLEN, "%s: bad resume offset %llu", name_shown, (unsigned long long)offset);
        goto out;
    }
    /* 4. the content, then its checksum */
    int sent = send_content(fd, file, it, h->size, offset, buf, bar, &crc);
    if (sent == -2) {
        snprintf(err, ERRLEN, "%s: the file changed or could not be read while sending",
                 name_shown);
        goto out;
    }
    uint8_t trailer[4];
    ft_put_u32(trailer, crc);
    if (sent < 0 || sl_send_all(fd, trailer, 4) < 0 || sl_recv_all(fd, answer, 1) != 1)
        goto lost;
    if (answer[0] != FT_STORED) {
        if (read_error(fd, &code, msg, sizeof msg) < 0)
            goto lost;
        sl_cli_log(prog, "%s: refused by receiver: %s", name_shown, msg);
        rc = 0;
        goto out;
    }
    uint8_t lenbuf[2];
    char stored[FT_NAME_MAX + 32], stored_shown[SL_SANITIZED_MAX(sizeof stored) + 1];
    if (sl_recv_all(fd, lenbuf, 2) != 2)
        goto lost;
    size_t slen = ft_get_u16(lenbuf);
    if (slen >= sizeof stored || sl_recv_all(fd, stored, slen) != (ssize_t)slen)
        goto lost;
    stored[slen] = '\0';
    if (strcmp(stored, it->name) != 0) /* a name clash there: say where it went */
        sl_cli_log(prog, "%s: stored as %s", name_shown, shown(stored, stored_shown));
    rc = 1;
    goto out;
lost:
    snprintf(err, ERRLEN, "%s: connection lost: %s", name_shown,
             errno ? strerror(errno) : "the receiver closed it");
out:
    if (file >= 0)
        close(file);
    free(h);
    free(hdr);
    return rc;
}

int send_files(int fd, const char *prog, const struct send_list *list, bool progress, char *err)
{
    uint8_t hello[FT_HELLO_LEN], status;
    char *buf = malloc(FT_BUF);
    int failed = 0, rc = -1;

    if (buf == NULL) {
        snprintf(err, ERRLEN, "out of memory");
        return -1;
    }
    ft_encode_hello(hello, 0);
    errno = 0;
    if (sl_send_all(fd, hello, sizeof hello) < 0 || sl_recv_all(fd, hello, sizeof hello) != 8) {
        snprintf(err, ERRLEN, "no answer from the receiver: %s",
                 errno ? strerror(errno) : "connection closed");
        goto out;
    }
    if (ft_parse_hello(hello, &status, err) < 0)
        goto out;
    for (size_t i = 0; i < list->n; i++) {
        errno = 0;
        int one = send_one(fd, prog, &list->items[i], buf, progress, err);
        if (one < 0)
            goto out;
        failed += one == 0;
    }
    uint8_t end = FT_END;
    if (sl_send_all(fd, &end, 1) < 0) {
        snprintf(err, ERRLEN, "send: %s", strerror(errno));
        goto out;
    }
    rc = failed;
out:
    free(buf);
    return rc;
}
