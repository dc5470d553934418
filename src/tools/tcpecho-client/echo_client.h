/* tcpecho-client's two modes: relaying stdin, and the benchmark. */
#ifndef TCPECHO_CLIENT_H
#define TCPECHO_CLIENT_H

#include <stdbool.h>

#include "socklab/trace.h"

/* Step 5, communicate: copies stdin to the socket and the socket to stdout
 * until the server closes. At the end of stdin it half-closes the socket
 * (shutdown SHUT_WR) and keeps printing until everything sent came back.
 * Returns 0, or -1 with ERR filled. */
int echo_relay(int fd, char *err);

struct bench_options {
    const char *host;
    const char *port;
    int family;
    int timeout_ms;
    unsigned long connections; /* -c */
    unsigned long roundtrips;  /* -n, per connection */
    unsigned long size;        /* -s, bytes per message */
    unsigned long threads;     /* -T, client threads (0: min(connections, 2)) */
    unsigned long idle;        /* --idle: connections to open and hold */
    int hold_ms;               /* --hold: how long to hold them (-1: until stdin ends) */
};

/* --bench: prints round trips/s, throughput and latency percentiles.
 * Returns the exit status. */
int echo_bench(const char *prog, const struct bench_options *opt);

#endif
