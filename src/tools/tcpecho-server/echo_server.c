/* RFC 862 echo: what a client sends comes back, byte for byte. */
#include "echo_server.h"

#include <errno.h>
#include <string.h>

#include "socklab/socklab.h"

/* Per-connection echo buffer. It lives on the thread's small stack and its
 * pages are only touched once data flows, so idle clients cost little. */
#define ECHO_BUF (32 * 1024)

/* 7. communicate: send back every byte as it arrives. */
static unsigned long long echo_bytes(const struct echo_server *srv, int fd, const char *peer)
{
    char buf[ECHO_BUF];
    unsigned long long total = 0;
    for (;;) {
        ssize_t n = sl_recv_some(fd, buf, sizeof buf);
        /* --trace shows each recv()'s size: TCP keeps no message boundaries,
         * so one recv() may return several of the client's sends together
         * (or part of one). 0 bytes: the client's FIN, end of stream. */
        if (n >= 0)
            sl_trace_step(&srv->trace, SL_STEP_COMMUNICATE, fd, "recv fd %d: %zd bytes%s", fd, n,
                          n == 0 ? " (end of stream)" : "");
        if (n == 0)
            break;
        if (n < 0 || sl_send_all(fd, buf, (size_t)n) < 0) {
            /* A reset or a vanished client ends its session, not the server. */
            char why[SL_ERRLEN];
            if (srv->verbose)
                sl_cli_log(srv->prog, "%s: %s", peer, sl_strerror(errno, why, sizeof why));
            break;
        }
        total += (unsigned long long)n;
    }
    return total;
}

void echo_serve(struct sl_conn *conn, void *ctx)
{
    struct echo_server *srv = ctx;
    if (srv->verbose)
        sl_cli_log(srv->prog, "%s connected (%lu clients)", conn->peer,
                   sl_server_clients(&srv->server));
    unsigned long long total = echo_bytes(srv, conn->fd, conn->peer);
    sl_trace_step(&srv->trace, SL_STEP_COMMUNICATE, conn->fd,
                  "communicate fd %d: echoed %llu bytes", conn->fd, total);
    if (srv->verbose)
        sl_cli_log(srv->prog, "%s left after %llu bytes (%lu clients)", conn->peer, total,
                   sl_server_clients(&srv->server) - 1);
}

void echo_log(void *ctx, enum sl_server_log_level level, const char *msg)
{
    struct echo_server *srv = ctx;
    if (level == SL_SERVER_ERROR || srv->verbose)
        sl_cli_log(srv->prog, "%s", msg);
}
