/* TCP client steps 2-4: socket, server address, connect - for every
 * address the name resolves to, each with its own time limit. */
#include "socklab/tcp.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "socklab/addr.h"
#include "socklab/platform.h"
#include "socklab/runtime.h"

/* connect() that gives up after TIMEOUT_MS (<= 0: the kernel's own limit),
 * or with ECANCELED when STOP_FD (if >= 0) becomes readable. A non-blocking
 * connect returns EINPROGRESS at once; poll() then waits for the handshake
 * and SO_ERROR tells how it ended. */
static int connect_with_timeout(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms,
                                int stop_fd)
{
    if (sl_socket_set_nonblocking(fd, true) < 0)
        return -1;
    int rc = sl_socket_connect(fd, sa, len);
    if (rc < 0 && (errno == EINPROGRESS || errno == EINTR)) {
        int64_t deadline = sl_monotonic_ms() + timeout_ms;
        struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = stop_fd, .events = POLLIN}};
        for (;;) {
            int wait = -1;
            if (timeout_ms > 0) {
                int64_t left = deadline - sl_monotonic_ms();
                wait = left > 0 ? (int)left : 0;
            }
            rc = sl_poll(p, stop_fd >= 0 ? 2 : 1, wait);
            if (rc < 0 && errno == EINTR)
                continue;
            break;
        }
        if (rc > 0 && p[1].revents && !p[0].revents) {
            errno = ECANCELED;
            return -1;
        }
        if (rc == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (rc < 0)
            return -1;
        int soerr = 0;
        socklen_t l = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, (void *)&soerr, &l) < 0)
            return sl_socket_failed();
        if (soerr != 0) {
            errno = sl_socket_error_errno(soerr);
            return -1;
        }
        rc = 0;
    }
    if (rc < 0)
        return -1;
    return sl_socket_set_nonblocking(fd, false); /* sockets start blocking */
}

int sl_connect_tcp(const char *host, const char *port, int family, int timeout_ms, int stop_fd,
                   const struct sl_trace *t, char err[SL_ERRLEN])
{
    struct addrinfo *res, *ai;
    char where[SL_ADDRSTRLEN], local[SL_ADDRSTRLEN];
    int fd = -1;

    if (sl_resolve(host, port, family, SOCK_STREAM, 0, &res, err) < 0)
        return -1;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        sl_format_addr(ai->ai_addr, ai->ai_addrlen, where, sizeof where);

        sl_trace_before(t, SL_STEP_SOCKET);
        fd = (int)socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            sl_socket_failed();
            sl_errno(err, "socket(%s, SOCK_STREAM)", sl_family_name(ai->ai_family));
            continue;
        }
        sl_trace_step(t, SL_STEP_SOCKET, -1, "socket(%s, SOCK_STREAM) = %d",
                      sl_family_name(ai->ai_family), fd);

        sl_trace_before(t, SL_STEP_ADDRESS);
        sl_trace_step(t, SL_STEP_ADDRESS, -1, "server address %s (%s from \"%s\")", where,
                      sl_family_name(ai->ai_family), host);

        sl_trace_before(t, SL_STEP_CONNECT);
        if (connect_with_timeout(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms, stop_fd) == 0) {
            sl_trace_step(t, SL_STEP_CONNECT, fd, "connect %s from %s", where,
                          sl_format_local(fd, local, sizeof local));
            break;
        }
        if (errno == ETIMEDOUT && timeout_ms > 0)
            sl_errf(err, "connect %s: timed out after %d ms", where, timeout_ms);
        else if (errno == ECANCELED)
            sl_errf(err, "connect %s: stopped by a signal", where);
        else
            sl_errno(err, "connect %s", where);
        char why[SL_ERRLEN];
        sl_trace_step(t, SL_STEP_CONNECT, -1, "connect %s failed: %s", where,
                      sl_strerror(errno, why, sizeof why));
        int saved = errno;
        sl_socket_close(fd);
        errno = saved;
        fd = -1;
        if (saved == ECANCELED)
            break; /* no further addresses: the user wants out */
    }
    freeaddrinfo(res);
    return fd;
}
