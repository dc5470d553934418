/* Whole-buffer I/O. send() and recv() may move fewer bytes than asked
 * (the socket buffer is full, a signal arrived, the data came in pieces):
 * every caller in the project goes through these loops instead. */
#include "socklab/io.h"

#include "internal.h"

#include <errno.h>
#include <stdbool.h>

#include "socklab/platform.h"

int sl_io_wait_ready(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int rc = sl_poll(&p, 1, -1);
        if (rc >= 0 || errno != EINTR)
            return rc < 0 ? -1 : 0;
    }
}

bool sl_io_timed_out(int fd)
{
    if (sl_socket_is_nonblocking(fd))
        return false;
    errno = ETIMEDOUT;
    return true;
}

/* The calls xfer_all() loops over, with one signature. */
typedef ssize_t (*xfer_fn)(int fd, void *buf, size_t len);

static ssize_t send_op(int fd, void *buf, size_t len)
{
    /* MSG_NOSIGNAL: a vanished peer gives EPIPE here, not a SIGPIPE that
     * would kill the whole server. */
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    return n < 0 ? sl_socket_failed() : n;
}

static ssize_t write_op(int fd, void *buf, size_t len)
{
    return write(fd, buf, len);
}

static ssize_t recv_op(int fd, void *buf, size_t len)
{
    ssize_t n = recv(fd, buf, len, 0);
    return n < 0 ? sl_socket_failed() : n;
}

/* One loop for every "move all LEN bytes" call, as OpenBSD's atomicio():
 * repeats OP over short transfers, retries EINTR, and waits in poll() for
 * EVENTS when a non-blocking FD says EAGAIN. Returns the bytes moved (fewer
 * than LEN only when OP hit end of stream), or -1 with errno set. */
static ssize_t xfer_all(int fd, void *buf, size_t len, xfer_fn op, short events)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = op(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && !sl_io_timed_out(fd) &&
                sl_io_wait_ready(fd, events) == 0)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* For the writing side a short count is a failure: nothing was lost
 * silently, so say so (a 0 from send()/write() cannot happen for len > 0). */
static int all_or_fail(ssize_t moved, size_t len)
{
    if (moved == (ssize_t)len)
        return 0;
    if (moved >= 0)
        errno = EIO;
    return -1;
}

int sl_send_all(int fd, const void *buf, size_t len)
{
    return all_or_fail(xfer_all(fd, (void *)buf, len, send_op, POLLOUT), len);
}

int sl_write_all(int fd, const void *buf, size_t len)
{
    return all_or_fail(xfer_all(fd, (void *)buf, len, write_op, POLLOUT), len);
}

ssize_t sl_recv_some(int fd, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = recv_op(fd, buf, len);
        if (n >= 0 || errno != EINTR) {
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                (void)sl_io_timed_out(fd);
            return n;
        }
    }
}

ssize_t sl_read_some(int fd, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = sl_fd_read(fd, buf, len);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

ssize_t sl_recv_all(int fd, void *buf, size_t len)
{
    /* A short count means the peer closed: the caller sees what we have. */
    return xfer_all(fd, buf, len, recv_op, POLLIN);
}
