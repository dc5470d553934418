/* ftsend: sends files to ftrecv, and exits 0 only when the receiver has
 * confirmed every one stored and verified. main() follows the notes' TCP
 * client steps 1-7; the file recipe is in send.c. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ftsend.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7071"
#define DEFAULT_WAIT_MS 30000 /* for a connect, and for each answer */

struct options {
    struct sl_cli_common cli; /* -p -b -4 -6 --trace --step */
    int timeout_ms;
    const char *as; /* --as NAME, or NULL */
    bool recursive;
    bool quiet;
};

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS] HOST FILE...\n"
           "Sends files to ftrecv on HOST over one connection. Exit status 0 means the\n"
           "receiver stored every file and verified its checksum. An interrupted\n"
           "transfer, sent again, only sends what is missing.\n\n"
           "  -p, --port PORT       receiver port (default " DEFAULT_PORT ")\n"
           "  -r, --recursive       send directories as whole trees\n"
           "      --as NAME         tell the receiver who sends (ftrecv --per-sender\n"
           "                        stores under NAME/; its hand-in log records it)\n"
           "  -w, --wait SECONDS    give up on an address that does not connect, or a\n"
           "                        receiver that does not answer, within SECONDS\n"
           "                        (default 30)\n"
           "  -4, --ipv4            IPv4 only\n"
           "  -6, --ipv6            IPv6 only\n"
           "  -q, --quiet           no progress bar\n"
           "      --trace           print each numbered step of the notes (TCP client 1-7)\n"
           "      --step            pause before each step until Enter (or SIGUSR1)\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n",
           prog);
}

enum { OPT_AS = SL_OPT_FIRST_TOOL };

static int parse_options(int argc, char **argv, const char *prog, struct options *opt)
{
    static const struct option longopts[] = {
        {"recursive", no_argument, NULL, 'r'},
        {"as", required_argument, NULL, OPT_AS},
        {"wait", required_argument, NULL, 'w'},
        {"quiet", no_argument, NULL, 'q'},
        SL_CLI_OPTS_NET,
        SL_CLI_OPTS_BASE,
        {NULL, 0, NULL, 0},
    };
    char err[SL_ERRLEN];
    int c, rc;

    *opt = (struct options){.cli = {.port = DEFAULT_PORT, .family = AF_UNSPEC},
                            .timeout_ms = DEFAULT_WAIT_MS};
    while ((c = getopt_long(argc, argv, "p:rw:46qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            opt->recursive = true;
            break;
        case OPT_AS:
            if (strlen(optarg) == 0 || strlen(optarg) > SL_FT_SENDER_NAME_MAX)
                return sl_cli_usage_error(prog, "--as: a name of 1-%d bytes",
                                          SL_FT_SENDER_NAME_MAX);
            opt->as = optarg;
            break;
        case 'w':
            if (sl_parse_seconds_ms(optarg, &opt->timeout_ms) < 0 || opt->timeout_ms == 0)
                return sl_cli_usage_error(prog, "-w: not a positive number of seconds: %s", optarg);
            break;
        case 'q':
            opt->quiet = true;
            break;
        default:
            /* -p -b -4 -6 --trace --step -h --version, and getopt's complaints */
            if ((rc = sl_cli_common_option(c, optarg, prog, usage, &opt->cli)) != SL_CLI_NEXT)
                return rc;
        }
    }
    if (argc - optind < 2)
        return sl_cli_usage_error(prog, "need a HOST and at least one FILE");
    if (sl_check_port(opt->cli.port, SOCK_STREAM, err) < 0)
        return sl_cli_usage_error(prog, "%s", err);
    return -1;
}

int main(int argc, char **argv)
{
    /* File names as UTF-8, as they go on the wire (Windows: from UTF-16). */
    if (sl_platform_utf8_args(&argc, &argv) < 0) {
        perror("ftsend: command line");
        return SL_EXIT_FAILURE;
    }
    const char *prog = sl_cli_basename(argv[0]);
    struct options opt;
    struct sl_trace trace;
    struct send_list list = {0};
    char err[SL_ERRLEN];

    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    int rc = parse_options(argc, argv, prog, &opt);
    if (rc >= 0)
        return rc;
    const char *host = argv[optind];
    for (int i = optind + 1; i < argc; i++)
        if (walk_add(&list, prog, argv[i], opt.recursive) < 0) {
            walk_free(&list);
            return SL_EXIT_FAILURE;
        }
    if (sl_trace_init(&trace, SL_ROLE_TCP_CLIENT, opt.cli.trace, opt.cli.step) < 0)
        return sl_cli_fail(prog, "--step: %s", SL_STRERROR(errno));

    /* 1. protocol version */
    if (sl_startup(&trace, err) < 0 || sl_map_guard_install(err) < 0)
        return sl_cli_fail(prog, "%s", err);

    /* 2. socket  3. server address  4. connect */
    int fd = sl_connect_tcp(host, opt.cli.port, opt.cli.family, opt.timeout_ms, -1, &trace, err);
    if (fd < 0) {
        walk_free(&list);
        return sl_cli_fail(prog, "%s", err);
    }
    (void)sl_socket_set_recv_timeout(fd, opt.timeout_ms); /* a receiver gone silent: ETIMEDOUT */

    /* 5. communicate: each file's name and size, then its content */
    sl_trace_before(&trace, SL_STEP_COMMUNICATE);
    int failed = send_files(fd, prog, &list, opt.as, !opt.quiet && isatty(STDERR_FILENO), err);
    sl_trace_step(&trace, SL_STEP_COMMUNICATE, fd, "communicate: %zu files, %s", list.n,
                  failed == 0 ? "all stored and verified" : "not all stored");

    /* 6. disconnect */
    sl_trace_before(&trace, SL_STEP_CLOSE);
    sl_close_traced(&trace, fd, "close fd %d", fd);

    /* 7. cleanup */
    sl_cleanup(&trace);
    walk_free(&list);
    if (failed < 0)
        return sl_cli_fail(prog, "%s", err);
    return failed == 0 ? SL_EXIT_OK : SL_EXIT_FAILURE;
}
