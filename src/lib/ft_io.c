/* File-transfer protocol: one whole message from a socket (see ft_proto.h).
 * The decoder says how many bytes the message needs, from what is already
 * there; we read exactly that many more and ask again. So a length field
 * is checked before a byte of what it announces is read, and nothing of
 * the next message (or of the content) is ever consumed. */
#include "socklab/ft_proto.h"

#include <errno.h>
#include <unistd.h>

#include "internal.h"
#include "socklab/crc32c.h"
#include "socklab/io.h"
#include "socklab/sha256.h"

/* One decoder, whatever the message: MSG is what it fills. */
typedef ssize_t (*decode_fn)(const uint8_t *in, size_t len, void *msg, char err[SL_ERRLEN]);

static int recv_message(int fd, uint8_t *buf, size_t cap, decode_fn decode, void *msg,
                        const char *what, char err[SL_ERRLEN])
{
    size_t have = 0;
    ssize_t need = 1;
    while ((size_t)need > have) {
        if ((size_t)need > cap) { /* a decoder bug: never read past BUF */
            sl_errf(err, "%s longer than %zu bytes", what, cap);
            errno = EBADMSG;
            return -1;
        }
        errno = 0;
        ssize_t n = sl_recv_all(fd, buf + have, (size_t)need - have);
        if (n == 0 && have == 0)
            return 0;
        if (n < 0) {
            sl_errno(err, "receiving %s", what);
            return -1;
        }
        if ((size_t)n < (size_t)need - have) {
            sl_errf(err, "connection ended inside %s", what);
            errno = ECONNRESET;
            return -1;
        }
        have = (size_t)need;
        need = decode(buf, have, msg, err);
        if (need < 0) {
            errno = EBADMSG;
            return -1;
        }
    }
    return 1;
}

static ssize_t decode_header(const uint8_t *in, size_t len, void *h, char err[SL_ERRLEN])
{
    return sl_ft_decode_header(in, len, h, err);
}

int sl_ft_recv_header(int fd, struct sl_ft_header *h, char err[SL_ERRLEN])
{
    uint8_t buf[SL_FT_HEADER_MAX];
    return recv_message(fd, buf, sizeof buf, decode_header, h, "a header", err);
}

struct answer_of {
    enum sl_ft_answer_kind kind;
    struct sl_ft_answer *a;
};

static ssize_t decode_answer(const uint8_t *in, size_t len, void *msg, char err[SL_ERRLEN])
{
    struct answer_of *of = msg;
    return sl_ft_decode_answer(in, len, of->kind, of->a, err);
}

int sl_ft_recv_answer(int fd, enum sl_ft_answer_kind kind, struct sl_ft_answer *a,
                      char err[SL_ERRLEN])
{
    uint8_t buf[SL_FT_ANSWER_MAX];
    struct answer_of of = {kind, a};
    return recv_message(fd, buf, sizeof buf, decode_answer, &of, "an answer", err);
}

int sl_ft_prefix_sums(int file, uint64_t len, uint8_t *buf, size_t cap, uint32_t *crc,
                      uint8_t digest[SL_FT_DIGEST_SIZE])
{
    struct sl_sha256 sha;
    uint32_t c = 0;
    sl_sha256_init(&sha);
    for (uint64_t done = 0; done < len;) {
        size_t want = len - done < cap ? (size_t)(len - done) : cap;
        ssize_t n = sl_file_pread(file, buf, want, done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        if (crc)
            c = sl_crc32c(c, buf, (size_t)n);
        if (digest)
            sl_sha256_update(&sha, buf, (size_t)n);
        done += (uint64_t)n;
    }
    if (crc)
        *crc = c;
    if (digest)
        sl_sha256_final(&sha, digest);
    return 0;
}
