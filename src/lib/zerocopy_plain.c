/* zerocopy.h where sendfile/splice/mmap do not exist (Windows): the plain
 * path, a read() + send() loop and a checksum by reading; no splice pipe,
 * so ftrecv receives with recv() + write(). */
#include "socklab/zerocopy.h"

#include <errno.h>
#include <stdlib.h>

#include "internal.h"
#include "socklab/io.h"
#include "socklab/platform.h"

#define SEND_PIECE 65536

int sl_map_guard_install(char err[SL_ERRLEN])
{
    (void)err;
    return 0; /* nothing is mapped here: no truncated mapping to guard */
}

int sl_crc32c_file(int file, uint64_t off, uint64_t len, uint32_t *crc)
{
    return sl_crc32c_read(file, off, len, crc);
}

int64_t sl_sendfile_all(int sock, int file, uint64_t off, uint64_t len)
{
    unsigned char *buf = malloc(SEND_PIECE);
    uint64_t done = 0;
    if (buf == NULL)
        return -1;
    while (done < len) {
        size_t want = len - done < SEND_PIECE ? (size_t)(len - done) : SEND_PIECE;
        ssize_t n = sl_file_pread(file, buf, want, off + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && sl_send_all(sock, buf, (size_t)n) < 0)) {
            free(buf);
            return -1;
        }
        if (n == 0)
            break; /* the file ended before LEN */
        done += (uint64_t)n;
    }
    free(buf);
    return (int64_t)done;
}

int sl_splice_pipe_open(struct sl_splice_pipe *p)
{
    *p = (struct sl_splice_pipe){.rd = -1, .wr = -1};
    errno = ENOSYS;
    return -1;
}

void sl_splice_pipe_close(struct sl_splice_pipe *p)
{
    p->rd = p->wr = -1; /* never opened */
}

ssize_t sl_splice_recv(struct sl_splice_pipe *p, int sock, int file, uint64_t *off, size_t len,
                       bool *file_failed)
{
    (void)p, (void)sock, (void)file, (void)off, (void)len;
    *file_failed = false;
    errno = ENOSYS;
    return -1;
}
