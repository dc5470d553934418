/* The echo server's state and its thread-per-client loop. */
#ifndef TCPECHO_SERVER_H
#define TCPECHO_SERVER_H

#include <pthread.h>
#include <stdbool.h>

#include "socklab/trace.h"

struct echo_session;

struct echo_server {
    const char *prog;
    struct sl_trace trace;
    bool verbose;
    unsigned long max_clients; /* 0: no limit but the system's */

    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t all_gone;
    struct echo_session *sessions; /* live clients, to stop them on shutdown */
    unsigned long nclients;
};

int echo_server_init(struct echo_server *srv);

/* Steps 6-8: accepts clients on LFD until STOP_FD becomes readable, each in
 * its own thread (6. accept, 7. communicate, 8. disconnect). */
void echo_server_run(struct echo_server *srv, int lfd, int stop_fd);

/* Disconnects every client and waits (up to WAIT_MS) for their threads. */
void echo_server_stop_all(struct echo_server *srv, int wait_ms);

#endif
