/* tcpecho-server: RFC 862 echo over TCP, one thread per client.
 * main() follows the notes' TCP server steps 1-9. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7007"
#define BACKLOG 1024

struct options {
    struct sl_cli_common cli; /* -p -b -4 -6 --trace --step */
    unsigned long max_clients;
    bool verbose;
};

static void usage(const char *prog)
{
    printf(
        "Usage: %s [OPTIONS]\n"
        "Echo server (RFC 862) over TCP: sends back every byte it receives,\n"
        "one thread per client.\n\n"
        "  -p, --port PORT       port to listen on (default " DEFAULT_PORT ", 0: any free port)\n"
        "  -b, --bind ADDR       address to listen on (default: all, IPv4 and IPv6)\n"
        "  -4, --ipv4            IPv4 only\n"
        "  -6, --ipv6            IPv6 only\n"
        "      --max-clients N   close connections beyond N clients at once (default: no limit)\n"
        "  -v, --verbose         log every client that connects and leaves\n"
        "      --trace           print each numbered step of the notes (TCP server 1-9)\n"
        "      --step            pause before each step until Enter (or SIGUSR1)\n"
        "  -h, --help            show this help and exit\n"
        "      --version         show the version and exit\n\n"
        "Once ready it prints \"listening on ADDR:PORT\" on stderr. SIGINT/SIGTERM stop it.\n",
        prog);
}

/* Returns -1 to go on, or the exit status. */
static int parse_options(int argc, char **argv, const char *prog, struct options *opt)
{
    enum { OPT_MAX_CLIENTS = SL_OPT_FIRST_TOOL };
    static const struct option longopts[] = {
        {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
        {"verbose", no_argument, NULL, 'v'},
        SL_CLI_OPTS_NET,
        SL_CLI_OPTS_BIND,
        SL_CLI_OPTS_BASE,
        {NULL, 0, NULL, 0},
    };
    char err[SL_ERRLEN];
    int c, rc;

    *opt = (struct options){.cli = {.port = DEFAULT_PORT, .family = AF_UNSPEC}};
    while ((c = getopt_long(argc, argv, "p:b:46vh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MAX_CLIENTS:
            if (sl_parse_ulong(optarg, 1, 10000000, &opt->max_clients) < 0)
                return sl_cli_usage_error(prog, "--max-clients: not a number >= 1: %s", optarg);
            break;
        case 'v':
            opt->verbose = true;
            break;
        default:
            /* -p -b -4 -6 --trace --step -h --version, and getopt's complaints */
            if ((rc = sl_cli_common_option(c, optarg, prog, usage, &opt->cli)) != SL_CLI_NEXT)
                return rc;
        }
    }
    if (optind < argc)
        return sl_cli_usage_error(prog, "unexpected argument: %s", argv[optind]);
    if (sl_check_port(opt->cli.port, SOCK_STREAM, err) < 0)
        return sl_cli_usage_error(prog, "%s", err);
    return -1;
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    struct options opt;
    /* Static: a client thread still running when main returns (after the
     * stop timeout) must not find its server gone from under it. */
    static struct echo_server srv;
    srv.prog = prog;
    struct sl_shutdown stop;
    char err[SL_ERRLEN];

    int rc = parse_options(argc, argv, prog, &opt);
    if (rc >= 0)
        return rc;
    if (sl_trace_init(&srv.trace, SL_ROLE_TCP_SERVER, opt.cli.trace, opt.cli.step) < 0)
        return sl_cli_fail(prog, "--step: %s", strerror(errno));
    srv.verbose = opt.verbose;
    srv.max_clients = opt.max_clients;
    if (echo_server_init(&srv) < 0)
        return sl_cli_fail(prog, "initialisation failed");
    /* One descriptor per client: take all the system allows us. */
    (void)sl_raise_nofile(NULL);

    /* 1. protocol version */
    if (sl_startup(&srv.trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    if (sl_shutdown_init(&stop, &srv.trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);

    /* 2. socket  3. address  4. bind  5. listen */
    int lfd = sl_listen_tcp(opt.cli.bind, opt.cli.port, opt.cli.family, BACKLOG, &srv.trace, err);
    if (lfd < 0) {
        sl_shutdown_free(&stop);
        return sl_cli_fail(prog, "%s", err);
    }
    sl_cli_print_listening(lfd);

    /* 6. accept, one thread per client: 7. communicate  8. disconnect */
    echo_server_run(&srv, lfd, sl_shutdown_fd(&stop));

    if (opt.verbose)
        sl_cli_log(prog, "shutting down");
    close(lfd);
    echo_server_stop_all(&srv, 2000);
    sl_shutdown_free(&stop);

    /* 9. cleanup */
    sl_cleanup(&srv.trace);
    return SL_EXIT_OK;
}
