/* TCP server step 6: accept, robust against the ways accept() fails. */
#include "socklab/tcp.h"

#include <errno.h>

#include "internal.h"
#include "socklab/addr.h"
#include "socklab/platform.h"

/* Errors that mean "this one connection is gone", not "we are broken".
 * A client that reset before we accepted it is ECONNABORTED on Linux,
 * WSAECONNRESET on Windows, and WSAENOTCONN (10057) under Wine. */
static int transient(int e)
{
    return e == EINTR || e == ECONNABORTED || e == ECONNRESET || e == ENOTCONN || e == EAGAIN ||
           e == EWOULDBLOCK || e == EPROTO || e == EPERM; /* Linux: a firewall rule refused it */
}

/* Out of descriptors or memory: every retry would fail the same way at once.
 * The pending connection stays in the backlog and is served later. */
static int exhausted(int e)
{
    return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

int sl_accept(int lfd, int stop_fd, struct sockaddr_storage *peer, socklen_t *peerlen,
              const struct sl_trace *t, char err[SL_ERRLEN])
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};

    if (peer == NULL)
        peer = &ss;
    sl_trace_before(t, SL_STEP_ACCEPT);
    for (;;) {
        if (sl_poll(p, stop_fd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            sl_errno(err, "poll");
            return -1;
        }
        if (stop_fd >= 0 && p[1].revents) {
            sl_errf(err, "accept: shutting down");
            errno = ECANCELED;
            return -1;
        }
        sslen = sizeof *peer;
        int fd = (int)accept(lfd, (struct sockaddr *)peer, &sslen);
        if (fd >= 0) {
            /* Linux does not pass O_NONBLOCK on to accepted sockets but the
             * BSDs and Windows do; our per-client code wants blocking sockets. */
            (void)sl_socket_set_nonblocking(fd, false);
            if (peerlen)
                *peerlen = sslen;
            if (t && t->enabled) {
                char who[SL_ADDRSTRLEN];
                sl_trace_step(t, SL_STEP_ACCEPT, fd, "accept -> fd %d from %s", fd,
                              sl_format_addr((struct sockaddr *)peer, sslen, who, sizeof who));
            }
            return fd;
        }
        sl_socket_failed();
        if (transient(errno))
            continue;
        sl_errno(err, "accept");
        if (exhausted(errno)) {
            int saved = errno;
            (void)sl_poll(p + 1, stop_fd >= 0 ? 1 : 0, 100);
            errno = saved;
        }
        return -1;
    }
}
