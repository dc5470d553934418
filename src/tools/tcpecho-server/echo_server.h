/* The echo server's per-connection work: step 7 of the notes. */
#ifndef TCPECHO_SERVER_H
#define TCPECHO_SERVER_H

#include <stdbool.h>

#include "socklab/server.h"

struct echo_server {
    const char *prog;
    struct sl_trace trace;
    bool verbose;
    struct sl_server server;
};

/* sl_server's SERVE: sends back every byte CONN sends until it leaves.
 * CTX is the struct echo_server. */
void echo_serve(struct sl_conn *conn, void *ctx);

/* sl_server's LOG: errors always, routine lines with -v. */
void echo_log(void *ctx, enum sl_server_log_level level, const char *msg);

#endif
