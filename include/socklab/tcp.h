/* TCP: listen, accept, connect - the notes' steps 2 to 6 in one call each. */
#ifndef SOCKLAB_TCP_H
#define SOCKLAB_TCP_H

#include "socklab/platform.h"

#include "socklab/err.h"
#include "socklab/trace.h"

/* Steps 2-5 of the TCP server: socket, address, bind, listen.
 * HOST NULL or "" listens on every address: "::" with IPV6_V6ONLY off (one
 * socket for IPv4 and IPv6), falling back to "0.0.0.0" where IPv6 is absent.
 * FAMILY AF_INET or AF_INET6 restricts it (-4, -6). PORT "0" lets the kernel
 * choose; sl_local_port() tells which. SO_REUSEADDR is set so a restarted
 * server can bind while old connections sit in TIME_WAIT.
 * Returns the listening fd, or -1 with ERR filled. */
int sl_listen_tcp(const char *host, const char *port, int family, int backlog,
                  const struct sl_trace *t, char err[SL_ERRLEN]);

/* Step 6: waits for a connection on LFD or for STOP_FD (may be -1) to become
 * readable. Retries EINTR and ECONNABORTED (a client that left before we
 * accepted it). On EMFILE/ENFILE/ENOBUFS/ENOMEM it waits 100 ms before
 * returning -1, so a caller that simply loops does not spin at 100% CPU.
 * Returns the connected fd (PEER filled), or -1 with ERR filled; errno is
 * ECANCELED when STOP_FD became readable. */
int sl_accept(int lfd, int stop_fd, struct sockaddr_storage *peer, socklen_t *peerlen,
              const struct sl_trace *t, char err[SL_ERRLEN]);

/* TCP client steps 2-4: resolve HOST/PORT, then for every address in turn
 * socket, address, connect, giving each TIMEOUT_MS (<= 0: no limit).
 * Returns the connected (blocking) fd, or -1 with ERR naming the last
 * failure; errno is ECANCELED when STOP_FD (-1: none, e.g.
 * sl_shutdown_fd()) became readable while connecting. */
int sl_connect_tcp(const char *host, const char *port, int family, int timeout_ms, int stop_fd,
                   const struct sl_trace *t, char err[SL_ERRLEN]);

/* Disables Nagle's algorithm: small request/response exchanges go out at
 * once instead of waiting up to 40 ms for an ACK. Returns 0 or -1. */
int sl_set_nodelay(int fd);

/* A receive time limit: sl_socket_set_recv_timeout() in platform.h. */

#endif
