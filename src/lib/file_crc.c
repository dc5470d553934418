/* CRC-32C of a file's bytes, read in pieces (internal.h). */
#include <errno.h>

#include "internal.h"
#include "socklab/crc32c.h"
#include "socklab/platform.h"

#define READ_PIECE 16384 /* on the stack */

int sl_crc32c_read(int file, uint64_t off, uint64_t len, uint32_t *crc)
{
    unsigned char buf[READ_PIECE];
    while (len > 0) {
        ssize_t n = sl_file_pread(file, buf, len < sizeof buf ? (size_t)len : sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENODATA;
            return -1;
        }
        *crc = sl_crc32c(*crc, buf, (size_t)n);
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}
