/* Whole-buffer I/O: finish partial transfers, retry EINTR, never SIGPIPE. */
#ifndef SOCKLAB_IO_H
#define SOCKLAB_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Sends all LEN bytes on socket FD with MSG_NOSIGNAL, looping over short
 * sends, retrying EINTR and waiting in poll() if FD is non-blocking.
 * Returns 0, or -1 with errno set (EPIPE/ECONNRESET when the peer left). */
int sl_send_all(int fd, const void *buf, size_t len);

/* write() counterpart of sl_send_all for files, pipes and terminals. */
int sl_write_all(int fd, const void *buf, size_t len);

/* Receives exactly LEN bytes unless the peer closes first. Returns the
 * number of bytes received (< LEN only at end of stream), or -1. */
ssize_t sl_recv_all(int fd, void *buf, size_t len);

/* One recv() that retries EINTR. Returns bytes (0 at end of stream) or -1.
 * Here and in sl_recv_all/sl_send_all, a blocking socket whose
 * SO_RCVTIMEO/SO_SNDTIMEO runs out fails with ETIMEDOUT (not EAGAIN). */
ssize_t sl_recv_some(int fd, void *buf, size_t len);

/* One read() that retries EINTR, for files, pipes and terminals. */
ssize_t sl_read_some(int fd, void *buf, size_t len);

#endif
