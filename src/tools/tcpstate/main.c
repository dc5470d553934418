/* tcpstate: this machine's TCP sockets and what their states mean, or,
 * with --watch, every change of state as it happens. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "socklab/socklab.h"
#include "owners.h"
#include "sockets.h"
#include "states.h"
#include "watch.h"

/* Short enough to catch FIN_WAIT2 and CLOSE_WAIT on loopback. */
#define DEFAULT_INTERVAL_MS 5

struct options {
    struct tcp_query query;
    bool watch;
    int interval_ms;
};

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS]\n"
           "Lists this machine's TCP sockets with their state and what the state means,\n"
           "or with --watch prints every change of state as it happens.\n\n"
           "  -p, --port PORT       only sockets whose local or remote port is PORT\n"
           "  -w, --watch           poll and print one line per change of state\n"
           "      --interval MS     --watch polling period in ms (default %d)\n"
           "  -4, --ipv4            IPv4 sockets only\n"
           "  -6, --ipv6            IPv6 sockets only\n"
           "      --proc            read /proc/net/tcp{,6} instead of netlink sock_diag\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n\n"
           "Listing columns: LOCAL REMOTE STATE PROGRAM MEANING (PROGRAM: the owning\n"
           "process as NAME/PID where we may see it, as ss -p; else -).\n"
           "Watch lines: HH:MM:SS.mmm LOCAL REMOTE OLD -> NEW, where (new) and (gone)\n"
           "mark a connection appearing and vanishing. SIGINT/SIGTERM stop --watch.\n",
           prog, DEFAULT_INTERVAL_MS);
}

/* Returns -1 to go on, or the exit status. */
static int parse_options(int argc, char **argv, const char *prog, struct options *opt)
{
    enum { OPT_INTERVAL = SL_OPT_FIRST_TOOL, OPT_PROC };
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"watch", no_argument, NULL, 'w'},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"ipv4", no_argument, NULL, '4'},
        {"ipv6", no_argument, NULL, '6'},
        {"proc", no_argument, NULL, OPT_PROC},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, SL_OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct sl_cli_common cli = {.family = AF_UNSPEC};
    unsigned long n;
    int c, rc;

    *opt = (struct options){.query = {.family = AF_UNSPEC}, .interval_ms = DEFAULT_INTERVAL_MS};
    while ((c = getopt_long(argc, argv, "p:w46h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (sl_parse_ulong(optarg, 1, 65535, &n) < 0)
                return sl_cli_usage_error(prog, "--port: not a port 1-65535: %s", optarg);
            opt->query.port = (int)n;
            break;
        case 'w':
            opt->watch = true;
            break;
        case OPT_INTERVAL:
            if (sl_parse_ulong(optarg, 1, 60000, &n) < 0)
                return sl_cli_usage_error(prog, "--interval: not a number of ms 1-60000: %s",
                                          optarg);
            opt->interval_ms = (int)n;
            break;
        case OPT_PROC:
            opt->query.force_proc = true;
            break;
        default:
            /* -p -b -4 -6 --trace --step -h --version, and getopt's complaints */
            if ((rc = sl_cli_common_option(c, optarg, prog, usage, &cli)) != SL_CLI_NEXT)
                return rc;
        }
    }
    if (optind < argc)
        return sl_cli_usage_error(prog, "unexpected argument: %s", argv[optind]);
    opt->query.family = cli.family;
    return -1;
}

static void print_table(const struct tcp_sock_list *l, const struct tcp_owners *o)
{
    char local[SL_ADDRSTRLEN], remote[SL_ADDRSTRLEN];
    int wl = (int)strlen("LOCAL"), wr = (int)strlen("REMOTE"), wp = (int)strlen("PROGRAM");

    /* Columns as wide as their longest entry, so IPv6 lines stay aligned. */
    for (size_t i = 0; i < l->len; i++) {
        int a = (int)strlen(tcp_sock_format_local(&l->items[i], local, sizeof local));
        int b = (int)strlen(tcp_sock_format_remote(&l->items[i], remote, sizeof remote));
        int c = (int)strlen(tcp_owners_label(o, &l->items[i]));
        wl = a > wl ? a : wl;
        wr = b > wr ? b : wr;
        wp = c > wp ? c : wp;
    }
    printf("%-*s  %-*s  %-11s  %-*s  %s\n", wl, "LOCAL", wr, "REMOTE", "STATE", wp, "PROGRAM",
           "MEANING");
    for (size_t i = 0; i < l->len; i++) {
        const struct tcp_sock_entry *e = &l->items[i];
        printf("%-*s  %-*s  %-11s  %-*s  %s\n", wl, tcp_sock_format_local(e, local, sizeof local),
               wr, tcp_sock_format_remote(e, remote, sizeof remote), tcp_state_name(e->state), wp,
               tcp_owners_label(o, e), tcp_state_explain(e->state));
    }
}

static int list_once(const char *prog, const struct options *opt)
{
    struct tcp_sock_list l = {0};
    char err[SL_ERRLEN];

    struct tcp_owners owners;
    if (tcp_sockets_collect(&opt->query, &l, NULL, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    if (tcp_owners_find(&owners, &l) < 0) {
        tcp_sock_list_free(&l);
        return sl_cli_fail(prog, "out of memory");
    }
    print_table(&l, &owners);
    tcp_owners_free(&owners);
    tcp_sock_list_free(&l);
    if (fflush(stdout) != 0)
        return sl_cli_fail(prog, "write: standard output");
    return SL_EXIT_OK;
}

static int watch(const char *prog, const struct options *opt)
{
    struct sl_shutdown stop;
    char err[SL_ERRLEN];

    /* Line-buffered even into a pipe: each change is read as it happens. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sl_shutdown_init(&stop, NULL, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    int rc = watch_run(&opt->query, opt->interval_ms, sl_shutdown_fd(&stop), prog, err);
    sl_shutdown_free(&stop);
    if (rc < 0)
        return sl_cli_fail(prog, "%s", err);
    return SL_EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    struct options opt;

    int rc = parse_options(argc, argv, prog, &opt);
    if (rc >= 0)
        return rc;
    /* Winsock for the stop channel, and on Windows stdout as UTF-8 bytes
     * (the meanings are Chinese); on Linux only SIGPIPE is ignored. */
    char what[160], err[SL_ERRLEN];
    if (sl_platform_startup(what, sizeof what, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    rc = opt.watch ? watch(prog, &opt) : list_once(prog, &opt);
    sl_platform_cleanup(what, sizeof what);
    return rc;
}
