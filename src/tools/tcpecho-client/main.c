/* tcpecho-client: sends stdin to an echo server and prints what comes back.
 * main() follows the notes' TCP client steps 1-7. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_client.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7007"

struct options {
    struct sl_cli_common cli; /* -p -4 -6 --trace --step */
    struct bench_options net; /* host, port, family, timeout + bench knobs */
    bool bench;
};

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS] [HOST [PORT]]\n"
           "       %s --bench [-c CONNECTIONS] [-n ROUNDTRIPS] [-s SIZE] [HOST [PORT]]\n"
           "       %s --bench --idle N [--hold SECONDS] [HOST [PORT]]\n"
           "Echo client: sends standard input to HOST (default localhost) and PORT\n"
           "(default " DEFAULT_PORT ", or -p), as nc takes them, and prints\n"
           "what the server sends back. At the end of input it half-closes the\n"
           "connection and prints the rest of the echo before exiting.\n\n"
           "  -p, --port PORT       server port (default " DEFAULT_PORT "; or PORT after HOST)\n"
           "  -w, --wait SECONDS    connect timeout per address (default: none)\n"
           "  -4, --ipv4            IPv4 only\n"
           "  -6, --ipv6            IPv6 only\n"
           "      --trace           print each numbered step of the notes (TCP client 1-7)\n"
           "      --step            pause before each step until Enter (or SIGUSR1)\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n\n"
           "Benchmark (--bench): ping-pong round trips, one thread per connection.\n"
           "  -c, --connections N   connections at once (default 1)\n"
           "  -n, --roundtrips N    round trips per connection (default 10000)\n"
           "  -s, --size BYTES      message size (default 64; K, M: x1024)\n"
           "  -T, --threads N       client threads sharing the connections (default 2)\n"
           "      --idle N          open N connections, check each echoes, hold them\n"
           "      --hold SECONDS    how long to hold --idle connections (default: until\n"
           "                        standard input ends)\n",
           prog, prog, prog);
}

static int parse_options(int argc, char **argv, const char *prog, struct options *opt)
{
    enum { OPT_BENCH = SL_OPT_FIRST_TOOL, OPT_IDLE, OPT_HOLD };
    static const struct option longopts[] = {
        {"wait", required_argument, NULL, 'w'},
        {"bench", no_argument, NULL, OPT_BENCH},
        {"connections", required_argument, NULL, 'c'},
        {"roundtrips", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 'T'},
        {"idle", required_argument, NULL, OPT_IDLE},
        {"hold", required_argument, NULL, OPT_HOLD},
        SL_CLI_OPTS_NET,
        SL_CLI_OPTS_BASE,
        {NULL, 0, NULL, 0},
    };
    struct bench_options *n = &opt->net;
    uint64_t size;
    int c, rc;

    *opt = (struct options){
        .cli = {.port = DEFAULT_PORT, .family = AF_UNSPEC},
        .net = {
            .host = "localhost", .connections = 1, .roundtrips = 10000, .size = 64, .hold_ms = -1}};
    while ((c = getopt_long(argc, argv, "p:w:46c:n:s:T:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (sl_parse_seconds_ms(optarg, &n->timeout_ms) < 0 || n->timeout_ms == 0)
                return sl_cli_usage_error(prog, "-w: not a positive number of seconds: %s", optarg);
            break;
        case OPT_BENCH:
            opt->bench = true;
            break;
        case 'c':
            if (sl_parse_ulong(optarg, 1, 10000, &n->connections) < 0)
                return sl_cli_usage_error(prog, "-c: not a number in 1-10000: %s", optarg);
            break;
        case 'n':
            if (sl_parse_ulong(optarg, 1, 100000000, &n->roundtrips) < 0)
                return sl_cli_usage_error(prog, "-n: not a number >= 1: %s", optarg);
            break;
        case 's':
            if (sl_parse_size(optarg, 1, 64UL << 20, &size) < 0)
                return sl_cli_usage_error(prog, "-s: not a size in 1-64M: %s", optarg);
            n->size = (unsigned long)size;
            break;
        case 'T':
            if (sl_parse_ulong(optarg, 1, 1000, &n->threads) < 0)
                return sl_cli_usage_error(prog, "-T: not a number in 1-1000: %s", optarg);
            break;
        case OPT_IDLE:
            if (sl_parse_ulong(optarg, 1, 100000, &n->idle) < 0)
                return sl_cli_usage_error(prog, "--idle: not a number in 1-100000: %s", optarg);
            break;
        case OPT_HOLD:
            if (sl_parse_seconds_ms(optarg, &n->hold_ms) < 0)
                return sl_cli_usage_error(prog, "--hold: not a number of seconds: %s", optarg);
            break;
        default:
            /* -p -b -4 -6 --trace --step -h --version, and getopt's complaints */
            if ((rc = sl_cli_common_option(c, optarg, prog, usage, &opt->cli)) != SL_CLI_NEXT)
                return rc;
        }
    }
    if ((rc = sl_cli_client_operands(argc, argv, prog, DEFAULT_PORT, &n->host, &opt->cli)) !=
        SL_CLI_NEXT)
        return rc;
    n->port = opt->cli.port; /* the benchmark reads them from its own options */
    n->family = opt->cli.family;
    if (!opt->bench && (n->idle || n->hold_ms >= 0))
        return sl_cli_usage_error(prog, "--idle and --hold need --bench");
    return -1;
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    struct options opt;
    struct sl_trace trace;
    char err[SL_ERRLEN];

    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    int rc = parse_options(argc, argv, prog, &opt);
    if (rc >= 0)
        return rc;
    if (sl_trace_init(&trace, SL_ROLE_TCP_CLIENT, opt.cli.trace, opt.cli.step) < 0)
        return sl_cli_fail(prog, "--step: %s", SL_STRERROR(errno));

    /* 1. protocol version */
    if (sl_startup(&trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    if (opt.bench)
        return echo_bench(prog, &opt.net);

    /* 2. socket  3. server address  4. connect */
    int fd = sl_connect_tcp(opt.net.host, opt.net.port, opt.net.family, opt.net.timeout_ms, -1,
                            &trace, err);
    if (fd < 0)
        return sl_cli_fail(prog, "%s", err);

    /* 5. communicate */
    sl_trace_before(&trace, SL_STEP_COMMUNICATE);
    rc = echo_relay(fd, err);
    sl_trace_step(&trace, SL_STEP_COMMUNICATE, fd, "communicate: %s",
                  rc == 0 ? "input sent and echoed, server closed" : err);

    /* 6. disconnect */
    sl_trace_before(&trace, SL_STEP_CLOSE);
    sl_close_traced(&trace, fd, "close fd %d", fd);

    /* 7. cleanup */
    sl_cleanup(&trace);
    return rc == 0 ? SL_EXIT_OK : sl_cli_fail(prog, "%s", err);
}
