/* udppeer's command line: the messenger, the probe sender and receiver. */
#ifndef UDPPEER_OPTIONS_H
#define UDPPEER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socklab/cli.h"

#define UDPPEER_DEFAULT_PORT "7072"
#define UDPPEER_MAX_PEERS 64

enum udppeer_mode { MODE_MESSENGER, MODE_PROBE_SEND, MODE_PROBE_LISTEN };

struct udppeer_options {
    enum udppeer_mode mode;
    struct sl_cli_common cli;             /* -p local port, -b, -4 -6, --trace, --step */
    const char *peers[UDPPEER_MAX_PEERS]; /* "HOST:PORT" or, split, below */
    const char *peer_hosts[UDPPEER_MAX_PEERS];
    const char *peer_ports[UDPPEER_MAX_PEERS];
    size_t npeers;
    char split[UDPPEER_MAX_PEERS][2][256]; /* --peer HOST:PORT, split */
    bool broadcast;
    const char *group;
    bool raw;
    int wait_ms; /* linger after stdin EOF (messenger); wait for the report (probe) */
    size_t bufsize;
    int rcvbuf;
    /* probe */
    uint64_t count;
    size_t size;
    double rate; /* datagrams per second; 0 = max */
    bool tcp;
    bool once;
    int interval_ms;
};

/* Parses argv into OPT. Returns -1 to go on, or the exit status. */
int udppeer_parse_options(int argc, char **argv, const char *prog, struct udppeer_options *opt);

#endif
