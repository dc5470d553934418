/* --watch: poll the socket table and print each change of state. */
#ifndef TCPSTATE_WATCH_H
#define TCPSTATE_WATCH_H

#include "sockets.h"

/* Polls every INTERVAL_MS until STOP_FD becomes readable, printing one
 * flushed line per change to stdout. Returns 0, or -1 with ERR filled when
 * no snapshot can be taken. */
int watch_run(const struct tcp_query *q, int interval_ms, int stop_fd, const char *prog,
              char err[SL_ERRLEN]);

#endif
