/* udppeer's options: one tool, three modes, the same conventions. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "socklab/socklab.h"

static void usage(const char *prog)
{
    printf(
        "Usage: %s [OPTIONS] [HOST [PORT]]\n"
        "       %s --probe [-n COUNT] [-s SIZE] [--rate PPS|max] [--tcp] HOST [PORT]\n"
        "       %s --probe-listen [-p PORT] [--once]\n"
        "UDP peer messenger: no server in the middle. Binds a local port, sends each\n"
        "input line as one datagram to its peers and prints every datagram it receives.\n"
        "With no peer named it answers whoever wrote to it last.\n\n"
        "  -p, --port PORT       local port (default " UDPPEER_DEFAULT_PORT ", 0: any free port)\n"
        "  -b, --bind ADDR       local address (default: all, IPv4 and IPv6)\n"
        "  -4, --ipv4            IPv4 only\n"
        "  -6, --ipv6            IPv6 only\n"
        "      --peer HOST:PORT  send every line to this peer too (repeatable)\n"
        "      --broadcast       IPv4 broadcast: send to 255.255.255.255 (or HOST) on PORT\n"
        "      --group ADDR      join multicast group ADDR (IPv6: ADDR%%IFNAME) and send to it\n"
        "      --raw             print payloads alone (the default when stdout is not a tty)\n"
        "      --wait SECONDS    after end of input, keep receiving this long (default 0);\n"
        "                        with --probe: wait this long for the report (default 2)\n"
        "      --bufsize BYTES   receive buffer per datagram (default 65536); bigger\n"
        "                        datagrams are reported as truncated\n"
        "      --rcvbuf BYTES    socket receive buffer (SO_RCVBUF)\n\n"
        "Probe (numbered, timestamped datagrams: loss, duplicates, order, jitter):\n"
        "      --probe           send COUNT probe datagrams to HOST PORT, print the report\n"
        "      --probe-listen    receive probes on -p PORT (UDP and TCP), report each run\n"
        "  -n, --count N         datagrams to send (default 1000)\n"
        "  -s, --size BYTES      datagram size, header included (40-65507, default 64)\n"
        "      --rate PPS|max    datagrams per second (default 1000)\n"
        "      --tcp             the same run over TCP, for contrast\n"
        "      --once            --probe-listen: exit after the first report\n"
        "      --interval SEC    --probe-listen: progress every SEC seconds (default 1, 0: off)\n\n"
        "      --trace           print each numbered step of the notes (UDP 1-7 / 1-6)\n"
        "      --step            pause before each step until Enter (or SIGUSR1)\n"
        "  -h, --help            show this help and exit\n"
        "      --version         show the version and exit\n\n"
        "Once bound it prints \"listening on ADDR:PORT\" on stderr.\n",
        prog, prog, prog);
}

static int add_peer(struct udppeer_options *opt, const char *prog, const char *hostport)
{
    char err[SL_ERRLEN];
    char host[256], port[64];
    if (opt->npeers == UDPPEER_MAX_PEERS)
        return sl_cli_usage_error(prog, "at most %d peers", UDPPEER_MAX_PEERS);
    if (sl_split_hostport(hostport, host, sizeof host, port, sizeof port, err) < 0)
        return sl_cli_usage_error(prog, "--peer %s: %s", hostport, err);
    opt->peers[opt->npeers++] = hostport;
    return -1;
}

int udppeer_parse_options(int argc, char **argv, const char *prog, struct udppeer_options *opt)
{
    enum {
        OPT_PEER = SL_OPT_FIRST_TOOL,
        OPT_BROADCAST,
        OPT_GROUP,
        OPT_RAW,
        OPT_WAIT,
        OPT_BUFSIZE,
        OPT_RCVBUF,
        OPT_PROBE,
        OPT_PROBE_LISTEN,
        OPT_RATE,
        OPT_TCP,
        OPT_ONCE,
        OPT_INTERVAL,
    };
    static const struct option longopts[] = {
        {"peer", required_argument, NULL, OPT_PEER},
        {"broadcast", no_argument, NULL, OPT_BROADCAST},
        {"group", required_argument, NULL, OPT_GROUP},
        {"raw", no_argument, NULL, OPT_RAW},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"bufsize", required_argument, NULL, OPT_BUFSIZE},
        {"rcvbuf", required_argument, NULL, OPT_RCVBUF},
        {"probe", no_argument, NULL, OPT_PROBE},
        {"probe-listen", no_argument, NULL, OPT_PROBE_LISTEN},
        {"count", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, OPT_RATE},
        {"tcp", no_argument, NULL, OPT_TCP},
        {"once", no_argument, NULL, OPT_ONCE},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        SL_CLI_OPTS_NET,
        SL_CLI_OPTS_BIND,
        SL_CLI_OPTS_BASE,
        {NULL, 0, NULL, 0},
    };
    char err[SL_ERRLEN];
    unsigned long v;
    bool wait_set = false;
    int c, rc;

    *opt = (struct udppeer_options){
        .mode = MODE_MESSENGER,
        .cli = {.port = UDPPEER_DEFAULT_PORT, .family = AF_UNSPEC},
        .bufsize = 65536,
        .count = 1000,
        .size = 64,
        .rate = 1000,
        .interval_ms = 1000,
    };
    while ((c = getopt_long(argc, argv, "p:b:46n:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_PEER:
            if ((rc = add_peer(opt, prog, optarg)) >= 0)
                return rc;
            break;
        case OPT_BROADCAST:
            opt->broadcast = true;
            break;
        case OPT_GROUP:
            opt->group = optarg;
            break;
        case OPT_RAW:
            opt->raw = true;
            break;
        case OPT_WAIT:
            if (sl_parse_seconds_ms(optarg, &opt->wait_ms) < 0)
                return sl_cli_usage_error(prog, "--wait: not a number of seconds: %s", optarg);
            wait_set = true;
            break;
        case OPT_BUFSIZE:
            if (sl_parse_ulong(optarg, 1, 1 << 20, &v) < 0)
                return sl_cli_usage_error(prog, "--bufsize: not a size 1-1048576: %s", optarg);
            opt->bufsize = v;
            break;
        case OPT_RCVBUF:
            if (sl_parse_ulong(optarg, 1, 1 << 30, &v) < 0)
                return sl_cli_usage_error(prog, "--rcvbuf: not a size: %s", optarg);
            opt->rcvbuf = (int)v;
            break;
        case OPT_PROBE:
        case OPT_PROBE_LISTEN:
            if (opt->mode != MODE_MESSENGER)
                return sl_cli_usage_error(prog, "--probe and --probe-listen exclude each other");
            opt->mode = c == OPT_PROBE ? MODE_PROBE_SEND : MODE_PROBE_LISTEN;
            break;
        case 'n':
            if (sl_parse_ulong(optarg, 1, SL_PROBE_MAX_COUNT, &v) < 0)
                return sl_cli_usage_error(prog, "-n: not a count 1-%lu: %s",
                                          (unsigned long)SL_PROBE_MAX_COUNT, optarg);
            opt->count = v;
            break;
        case 's':
            if (sl_parse_ulong(optarg, SL_PROBE_HEADER_LEN, SL_UDP_MAX_PAYLOAD_V4, &v) < 0)
                return sl_cli_usage_error(prog, "-s: not a size %d-%d: %s", SL_PROBE_HEADER_LEN,
                                          SL_UDP_MAX_PAYLOAD_V4, optarg);
            opt->size = v;
            break;
        case OPT_RATE:
            if (strcmp(optarg, "max") == 0) {
                opt->rate = 0;
            } else if (sl_parse_ulong(optarg, 1, 100000000UL, &v) == 0) {
                opt->rate = (double)v;
            } else {
                return sl_cli_usage_error(prog, "--rate: not a rate in datagrams/s or max: %s",
                                          optarg);
            }
            break;
        case OPT_TCP:
            opt->tcp = true;
            break;
        case OPT_ONCE:
            opt->once = true;
            break;
        case OPT_INTERVAL:
            if (sl_parse_seconds_ms(optarg, &opt->interval_ms) < 0)
                return sl_cli_usage_error(prog, "--interval: not a number of seconds: %s", optarg);
            break;
        default:
            /* -p -b -4 -6 --trace --step -h --version, and getopt's complaints */
            if ((rc = sl_cli_common_option(c, optarg, prog, usage, &opt->cli)) != SL_CLI_NEXT)
                return rc;
        }
    }

    /* HOST [PORT]: one more peer. */
    const char *host = optind < argc ? argv[optind++] : NULL;
    const char *hport = optind < argc ? argv[optind++] : UDPPEER_DEFAULT_PORT;
    if (optind < argc)
        return sl_cli_usage_error(prog, "unexpected argument: %s", argv[optind]);
    if (sl_check_port(opt->cli.port, SOCK_DGRAM, err) < 0 ||
        sl_check_port(hport, SOCK_DGRAM, err) < 0)
        return sl_cli_usage_error(prog, "%s", err);
    for (size_t i = 0; i < opt->npeers; i++) {
        (void)sl_split_hostport(opt->peers[i], opt->split[i][0], sizeof opt->split[i][0],
                                opt->split[i][1], sizeof opt->split[i][1], err);
        opt->peer_hosts[i] = opt->split[i][0];
        opt->peer_ports[i] = opt->split[i][1];
    }

    switch (opt->mode) {
    case MODE_PROBE_SEND:
        if (host == NULL)
            return sl_cli_usage_error(prog, "--probe needs the receiver: HOST [PORT]");
        if (opt->npeers || opt->broadcast || opt->group)
            return sl_cli_usage_error(prog, "--probe sends to HOST PORT only");
        opt->peer_hosts[0] = host;
        opt->peer_ports[0] = hport;
        opt->npeers = 1;
        if (!wait_set)
            opt->wait_ms = 2000;
        break;
    case MODE_PROBE_LISTEN:
        if (host != NULL || opt->npeers || opt->broadcast || opt->group)
            return sl_cli_usage_error(prog, "--probe-listen takes no peer");
        break;
    case MODE_MESSENGER:
        if (opt->tcp || opt->once)
            return sl_cli_usage_error(prog, "--tcp and --once go with --probe/--probe-listen");
        if (opt->broadcast && opt->group)
            return sl_cli_usage_error(prog, "--broadcast and --group exclude each other");
        if (opt->broadcast && opt->cli.family == AF_INET6)
            return sl_cli_usage_error(prog, "--broadcast is IPv4 only");
        if (opt->broadcast && host == NULL) {
            /* The whole class on one port: broadcast to our own. */
            host = "255.255.255.255";
            hport = opt->cli.port;
            if (strcmp(hport, "0") == 0)
                return sl_cli_usage_error(prog, "--broadcast needs a port: -p PORT or HOST PORT");
        }
        if (host != NULL) {
            if (opt->npeers == UDPPEER_MAX_PEERS)
                return sl_cli_usage_error(prog, "at most %d peers", UDPPEER_MAX_PEERS);
            opt->peer_hosts[opt->npeers] = host;
            opt->peer_ports[opt->npeers] = hport;
            opt->npeers++;
        }
        if (opt->group != NULL) {
            if (strcmp(opt->cli.port, "0") == 0)
                return sl_cli_usage_error(prog, "--group needs the group's port: -p PORT");
            if (opt->npeers > 0)
                return sl_cli_usage_error(prog, "--group sends to the group: name no peer");
        }
        break;
    }
    return -1;
}
