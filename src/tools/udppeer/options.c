/* udppeer's options: one tool, three modes, the same conventions.
 * Three stages: parse the command line, validate the combination (usage
 * errors, exit 2), then build the peers each mode sends to. Every peer is
 * one struct udppeer_peer, split from its HOST:PORT once. */
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
        "                        and send lines without their newline\n"
        "      --wait SECONDS    after end of input, keep receiving this long (default 0);\n"
        "                        with --probe: wait this long for the report (default 2)\n"
        "      --bufsize BYTES   receive buffer per datagram (default 65536); bigger\n"
        "                        datagrams are reported as truncated\n"
        "      --rcvbuf BYTES    socket receive buffer (SO_RCVBUF)\n"
        "                        BYTES and SIZE take K, M or G (x1024): --rcvbuf 8M\n\n"
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

/* Our long options; the shared ones come from socklab/cli.h. */
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

/* Handed back by an option parser that does not know the option. */
enum { NOT_MINE = -2 };

/* Room for a --peer's HOST and PORT: 255 and 63 characters; longer ones
 * are refused as "too long" by the split. */
#define PEER_HOST_MAX 256
#define PEER_PORT_MAX 64

/* The command line beyond OPT: HOST [PORT], and whether --wait was given
 * (the probe sender's default differs). */
struct command_line {
    const char *host; /* NULL: none given */
    const char *port;
    bool wait_set;
};

static int room_for_peer(const struct udppeer_options *opt, const char *prog)
{
    if (opt->npeers == UDPPEER_MAX_PEERS)
        return sl_cli_usage_error(prog, "at most %d peers", UDPPEER_MAX_PEERS);
    return SL_CLI_NEXT;
}

/* Appends a copy of HOST and PORT (one block) to the peers; room checked. */
static int add_peer(struct udppeer_options *opt, const char *prog, const char *host,
                    const char *port)
{
    size_t hostlen = strlen(host) + 1, portlen = strlen(port) + 1;
    char *block = malloc(hostlen + portlen);
    if (block == NULL)
        return sl_cli_fail(prog, "out of memory");
    memcpy(block, host, hostlen);
    memcpy(block + hostlen, port, portlen);
    opt->peers[opt->npeers++] = (struct udppeer_peer){.host = block, .port = block + hostlen};
    return SL_CLI_NEXT;
}

/* --peer HOST:PORT: split here, once. */
static int add_peer_option(struct udppeer_options *opt, const char *prog, const char *hostport)
{
    char err[SL_ERRLEN];
    char host[PEER_HOST_MAX], port[PEER_PORT_MAX];
    int rc = room_for_peer(opt, prog);
    if (rc != SL_CLI_NEXT)
        return rc;
    if (sl_split_hostport(hostport, host, sizeof host, port, sizeof port, err) < 0)
        return sl_cli_usage_error(prog, "--peer %s: %s", hostport, err);
    return add_peer(opt, prog, host, port);
}

/* The options that name peers or pick a mode. */
static int parse_mode_option(int c, const char *arg, const char *prog, struct udppeer_options *opt)
{
    switch (c) {
    case OPT_PEER:
        return add_peer_option(opt, prog, arg);
    case OPT_BROADCAST:
        opt->broadcast = true;
        break;
    case OPT_GROUP:
        opt->group = arg;
        break;
    case OPT_RAW:
        opt->raw = true;
        break;
    case OPT_PROBE:
    case OPT_PROBE_LISTEN:
        if (opt->mode != MODE_MESSENGER)
            return sl_cli_usage_error(prog, "--probe and --probe-listen exclude each other");
        opt->mode = c == OPT_PROBE ? MODE_PROBE_SEND : MODE_PROBE_LISTEN;
        break;
    case OPT_TCP:
        opt->tcp = true;
        break;
    case OPT_ONCE:
        opt->once = true;
        break;
    default:
        return NOT_MINE;
    }
    return SL_CLI_NEXT;
}

/* The sizes: plain bytes or K, M, G. */
static int parse_size_option(int c, const char *arg, const char *prog, struct udppeer_options *opt)
{
    uint64_t v;
    switch (c) {
    case OPT_BUFSIZE:
        if (sl_parse_size(arg, 1, 1 << 20, &v) < 0)
            return sl_cli_usage_error(prog, "--bufsize: not a size 1-1048576: %s", arg);
        opt->bufsize = (size_t)v;
        break;
    case OPT_RCVBUF:
        if (sl_parse_size(arg, 1, 1 << 30, &v) < 0)
            return sl_cli_usage_error(prog, "--rcvbuf: not a size: %s", arg);
        opt->rcvbuf = (int)v;
        break;
    case 's':
        if (sl_parse_size(arg, SL_PROBE_HEADER_LEN, SL_UDP_MAX_PAYLOAD_V4, &v) < 0)
            return sl_cli_usage_error(prog, "-s: not a size %d-%d: %s", SL_PROBE_HEADER_LEN,
                                      SL_UDP_MAX_PAYLOAD_V4, arg);
        opt->size = (size_t)v;
        break;
    default:
        return NOT_MINE;
    }
    return SL_CLI_NEXT;
}

/* Counts, rates and times. */
static int parse_number_option(int c, const char *arg, const char *prog,
                               struct udppeer_options *opt, struct command_line *cmd)
{
    unsigned long v;
    switch (c) {
    case OPT_WAIT:
        if (sl_parse_seconds_ms(arg, &opt->wait_ms) < 0)
            return sl_cli_usage_error(prog, "--wait: not a number of seconds: %s", arg);
        cmd->wait_set = true;
        break;
    case OPT_INTERVAL:
        if (sl_parse_seconds_ms(arg, &opt->interval_ms) < 0)
            return sl_cli_usage_error(prog, "--interval: not a number of seconds: %s", arg);
        break;
    case 'n':
        if (sl_parse_ulong(arg, 1, SL_PROBE_MAX_COUNT, &v) < 0)
            return sl_cli_usage_error(prog, "-n: not a count 1-%lu: %s",
                                      (unsigned long)SL_PROBE_MAX_COUNT, arg);
        opt->count = v;
        break;
    case OPT_RATE:
        if (strcmp(arg, "max") == 0)
            opt->rate = 0;
        else if (sl_parse_ulong(arg, 1, 100000000UL, &v) == 0)
            opt->rate = (double)v;
        else
            return sl_cli_usage_error(prog, "--rate: not a rate in datagrams/s or max: %s", arg);
        break;
    default:
        return NOT_MINE;
    }
    return SL_CLI_NEXT;
}

/* One option: ours, else the shared ones (-p -b -4 -6 --trace --step -h
 * --version) and getopt's complaints. */
static int parse_option(int c, const char *arg, const char *prog, struct udppeer_options *opt,
                        struct command_line *cmd)
{
    int rc = parse_mode_option(c, arg, prog, opt);
    if (rc == NOT_MINE)
        rc = parse_size_option(c, arg, prog, opt);
    if (rc == NOT_MINE)
        rc = parse_number_option(c, arg, prog, opt, cmd);
    if (rc == NOT_MINE)
        rc = sl_cli_common_option(c, arg, prog, usage, &opt->cli);
    return rc;
}

/* Stage 1: the options, then HOST [PORT]. */
static int parse_command_line(int argc, char **argv, const char *prog, struct udppeer_options *opt,
                              struct command_line *cmd)
{
    int c, rc;
    while ((c = getopt_long(argc, argv, "p:b:46n:s:h", longopts, NULL)) != -1)
        if ((rc = parse_option(c, optarg, prog, opt, cmd)) != SL_CLI_NEXT)
            return rc;
    cmd->host = optind < argc ? argv[optind++] : NULL;
    cmd->port = optind < argc ? argv[optind++] : UDPPEER_DEFAULT_PORT;
    if (optind < argc)
        return sl_cli_usage_error(prog, "unexpected argument: %s", argv[optind]);
    return SL_CLI_NEXT;
}

/* The messenger: broadcast or a group, and where each sends. */
static int validate_messenger(const char *prog, const struct udppeer_options *opt,
                              const struct command_line *cmd)
{
    bool any_port = strcmp(opt->cli.port, "0") == 0;
    if (opt->tcp || opt->once)
        return sl_cli_usage_error(prog, "--tcp and --once go with --probe/--probe-listen");
    if (opt->broadcast && opt->group)
        return sl_cli_usage_error(prog, "--broadcast and --group exclude each other");
    if (opt->broadcast && opt->cli.family == AF_INET6)
        return sl_cli_usage_error(prog, "--broadcast is IPv4 only");
    /* With no HOST, broadcast goes to our own port: the whole class on one. */
    if (opt->broadcast && cmd->host == NULL && any_port)
        return sl_cli_usage_error(prog, "--broadcast needs a port: -p PORT or HOST PORT");
    if (opt->broadcast || cmd->host != NULL) {
        int rc = room_for_peer(opt, prog);
        if (rc != SL_CLI_NEXT)
            return rc;
    }
    if (opt->group != NULL && any_port)
        return sl_cli_usage_error(prog, "--group needs the group's port: -p PORT");
    if (opt->group != NULL && (opt->npeers > 0 || cmd->host != NULL))
        return sl_cli_usage_error(prog, "--group sends to the group: name no peer");
    return SL_CLI_NEXT;
}

/* Stage 2: the ports, then what goes with each mode. */
static int validate(const char *prog, const struct udppeer_options *opt,
                    const struct command_line *cmd)
{
    char err[SL_ERRLEN];
    bool named_peer = cmd->host != NULL || opt->npeers > 0;
    if (sl_check_port(opt->cli.port, SOCK_DGRAM, err) < 0 ||
        sl_check_port(cmd->port, SOCK_DGRAM, err) < 0)
        return sl_cli_usage_error(prog, "%s", err);
    switch (opt->mode) {
    case MODE_PROBE_SEND:
        if (cmd->host == NULL)
            return sl_cli_usage_error(prog, "--probe needs the receiver: HOST [PORT]");
        if (opt->npeers || opt->broadcast || opt->group)
            return sl_cli_usage_error(prog, "--probe sends to HOST PORT only");
        return SL_CLI_NEXT;
    case MODE_PROBE_LISTEN:
        if (named_peer || opt->broadcast || opt->group)
            return sl_cli_usage_error(prog, "--probe-listen takes no peer");
        return SL_CLI_NEXT;
    case MODE_MESSENGER:
        break;
    }
    return validate_messenger(prog, opt, cmd);
}

/* Stage 3: HOST [PORT] becomes a peer (the probe's receiver, or one more
 * for the messenger); a broadcast with no HOST goes to our own port. */
static int build_peers(const char *prog, struct udppeer_options *opt,
                       const struct command_line *cmd)
{
    if (opt->mode == MODE_PROBE_SEND && !cmd->wait_set)
        opt->wait_ms = 2000;
    if (opt->mode == MODE_PROBE_LISTEN)
        return SL_CLI_NEXT;
    if (cmd->host != NULL)
        return add_peer(opt, prog, cmd->host, cmd->port);
    if (opt->broadcast)
        return add_peer(opt, prog, "255.255.255.255", opt->cli.port);
    return SL_CLI_NEXT;
}

int udppeer_parse_options(int argc, char **argv, const char *prog, struct udppeer_options *opt)
{
    struct command_line cmd = {0};
    *opt = (struct udppeer_options){
        .mode = MODE_MESSENGER,
        .cli = {.port = UDPPEER_DEFAULT_PORT, .family = AF_UNSPEC},
        .bufsize = 65536,
        .count = 1000,
        .size = 64,
        .rate = 1000,
        .interval_ms = 1000,
    };
    int rc = parse_command_line(argc, argv, prog, opt, &cmd);
    if (rc == SL_CLI_NEXT)
        rc = validate(prog, opt, &cmd);
    if (rc == SL_CLI_NEXT)
        rc = build_peers(prog, opt, &cmd);
    return rc;
}

void udppeer_free_options(struct udppeer_options *opt)
{
    for (size_t i = 0; i < opt->npeers; i++)
        free(opt->peers[i].host); /* the port is in the same block */
    opt->npeers = 0;
}
