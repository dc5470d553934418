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

/* A peer to send to: from --peer HOST:PORT (split once, while parsing),
 * from HOST [PORT], or the broadcast address. HOST and PORT live in one
 * heap block starting at HOST, freed by udppeer_free_options(). */
struct udppeer_peer {
    char *host;
    char *port;
};

struct udppeer_options {
    enum udppeer_mode mode;
    struct sl_cli_common cli; /* -p local port, -b, -4 -6, --trace, --step */
    struct udppeer_peer peers[UDPPEER_MAX_PEERS];
    size_t npeers;
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

/* Parses argv into OPT. Returns SL_CLI_NEXT to go on, or the exit status.
 * Either way OPT is then set up for udppeer_free_options(). */
int udppeer_parse_options(int argc, char **argv, const char *prog, struct udppeer_options *opt);

/* Frees the peers' strings. */
void udppeer_free_options(struct udppeer_options *opt);

#endif
