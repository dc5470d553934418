/* The client's step 5: what you type (or pipe) goes out, what comes back is
 * printed. One poll() loop serves a terminal and a pipe alike.
 *
 * We never block in send(): with a big piped input, the server may be
 * blocked sending its echo to us while we are blocked sending to it, and
 * neither would ever read again. So the socket is made non-blocking (Windows
 * has no MSG_DONTWAIT), a chunk of stdin is sent as far as the socket takes
 * it, and stdin is read again only once the chunk is gone; meanwhile we keep
 * reading the echo. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_client.h"
#include "socklab/socklab.h"

#define RELAY_BUF (64 * 1024)

struct relay {
    char in[RELAY_BUF]; /* from stdin, waiting to be sent */
    size_t in_off, in_len;
    char out[RELAY_BUF]; /* from the socket, to stdout */
    bool stdin_open;
    int in_fd; /* stdin as poll() takes it (platform.h: sl_stdin_pollable) */
};

static int fail(char *err, const char *what)
{
    char why[SL_ERRLEN];
    snprintf(err, SL_ERRLEN, "%s: %s", what, sl_strerror(errno, why, sizeof why));
    return -1;
}

/* Returns 1 to go on, 0 when the server closed after our half-close, -1. */
static int from_socket(struct relay *r, int fd, char *err)
{
    ssize_t n = sl_recv_some(fd, r->out, sizeof r->out);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 1; /* a spurious wake-up: nothing after all */
    if (n < 0)
        return fail(err, "recv");
    if (n == 0) {
        if (r->stdin_open || r->in_len > r->in_off) {
            snprintf(err, SL_ERRLEN, "the server closed the connection");
            return -1;
        }
        return 0;
    }
    if (sl_write_all(STDOUT_FILENO, r->out, (size_t)n) < 0)
        return fail(err, "write to stdout");
    return 1;
}

static int to_socket(struct relay *r, int fd, char *err)
{
    ssize_t n = send(fd, r->in + r->in_off, r->in_len - r->in_off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
        sl_socket_failed(); /* errno from Winsock's error on Windows */
        return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ? 0 : fail(err, "send");
    }
    r->in_off += (size_t)n;
    return 0;
}

static int from_stdin(struct relay *r, int fd, char *err)
{
    ssize_t n = sl_read_some(r->in_fd, r->in, sizeof r->in);
    if (n < 0)
        return fail(err, "read stdin");
    if (n == 0) {
        /* Half-close: the server sees end-of-stream, echoes what it still
         * has and closes; we keep reading until then. */
        r->stdin_open = false;
        if (shutdown(fd, SHUT_WR) < 0)
            return fail(err, "shutdown");
        return 0;
    }
    r->in_off = 0;
    r->in_len = (size_t)n;
    return to_socket(r, fd, err);
}

static int relay_loop(struct relay *r, int fd, char *err);

int echo_relay(int fd, char *err)
{
    struct relay *r = calloc(1, sizeof *r); /* 128 KiB: kept off the stack */
    if (r == NULL)
        return fail(err, "relay buffer");
    r->stdin_open = true;
    if (sl_socket_set_nonblocking(fd, true) < 0) {
        free(r);
        return fail(err, "non-blocking socket");
    }
    r->in_fd = sl_stdin_pollable();
    if (r->in_fd < 0) {
        free(r);
        return fail(err, "stdin");
    }
    int rc = relay_loop(r, fd, err);
    free(r);
    return rc;
}

static int relay_loop(struct relay *r, int fd, char *err)
{

    for (;;) {
        bool pending = r->in_len > r->in_off;
        struct pollfd p[2] = {
            {.fd = fd, .events = POLLIN | (pending ? POLLOUT : 0)},
            {.fd = r->in_fd, .events = POLLIN},
        };
        int np = r->stdin_open && !pending ? 2 : 1;
        if (poll(p, (nfds_t)np, -1) < 0) {
            if (errno == EINTR)
                continue;
            return fail(err, "poll");
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int rc = from_socket(r, fd, err);
            if (rc <= 0)
                return rc;
        }
        if (pending && (p[0].revents & POLLOUT) && to_socket(r, fd, err) < 0)
            return -1;
        if (np == 2 && p[1].revents && from_stdin(r, fd, err) < 0)
            return -1;
    }
}
