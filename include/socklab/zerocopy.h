/* File content between a file and a socket without a copy through our own
 * buffers (Linux): sendfile() from the page cache, splice() socket -> pipe
 * -> file, and the CRC-32C of a file range read where it lies, through a
 * read-only mapping of the page cache. */
#ifndef SOCKLAB_ZEROCOPY_H
#define SOCKLAB_ZEROCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "socklab/err.h"

/* At most this much of a file is mapped at once (RSS stays small). */
#define SL_MAP_WINDOW (2u << 20)

/* A file mapped by sl_crc32c_file() and truncated by someone else meanwhile
 * raises SIGBUS on the pages past its new end, which kills the process. Call
 * once from main: from then on such a fault (BUS_ADRERR) reads zeros, and
 * sl_crc32c_file() notices the shorter file and fails. Any other SIGBUS
 * still ends the process. Returns 0, or -1 with ERR filled. */
int sl_map_guard_install(char err[SL_ERRLEN]);

/* Extends *CRC over the LEN bytes of FILE from offset OFF (any alignment),
 * read through a mapping of at most SL_MAP_WINDOW bytes at a time (pread()
 * where the file cannot be mapped). Returns 0, or -1 with errno: ENODATA
 * when the file ends before OFF + LEN (it shrank meanwhile). */
int sl_crc32c_file(int file, uint64_t off, uint64_t len, uint32_t *crc);

/* Sends LEN bytes of FILE from offset OFF on socket SOCK with sendfile(),
 * retrying EINTR; a socket's SO_SNDTIMEO running out is ETIMEDOUT. Returns
 * the bytes sent, fewer than LEN only when the file ended first (it
 * shrank), or -1 with errno. */
int64_t sl_sendfile_all(int sock, int file, uint64_t off, uint64_t len);

/* A pipe for splice(): data goes socket -> pipe -> file, the pages moved,
 * not copied, where the kernel can. */
struct sl_splice_pipe {
    int rd, wr;
    size_t cap;    /* bytes one splice moves at most: the pipe's size */
    bool copy_out; /* the file cannot take a splice: the pipe is read */
};

/* Opens P with the largest pipe an unprivileged process gets (1 MiB by
 * default). Returns 0, or -1 with errno (e.g. EMFILE). */
int sl_splice_pipe_open(struct sl_splice_pipe *p);
void sl_splice_pipe_close(struct sl_splice_pipe *p);

/* Moves up to LEN bytes (at most P->cap) from socket SOCK into FILE at
 * offset *OFF, and advances *OFF. Returns the bytes moved, 0 when the peer
 * has closed, or -1 with errno; *FILE_FAILED tells whether writing the file
 * (e.g. ENOSPC) failed, rather than the socket. A file system that cannot
 * splice gets the bytes written from the pipe instead. */
ssize_t sl_splice_recv(struct sl_splice_pipe *p, int sock, int file, uint64_t *off, size_t len,
                       bool *file_failed);

#endif
