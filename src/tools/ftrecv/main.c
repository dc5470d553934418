/* ftrecv: receives files sent by ftsend into a directory. The notes'
 * file-transfer "server" (the receiving end): TCP server steps 1-9, with a
 * thread per sender so a whole class can hand in files at once. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ftrecv.h"
#include "socklab/zerocopy.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7071"

struct options {
    struct sl_cli_common cli; /* what every server shares */
    const char *dir;
    bool once;
    int clean_days; /* --clean-partial DAYS; -1 with --list-partial; -2: neither */
    int idle_ms;
    struct ftrecv *r;
};

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS]\n"
           "Receives files sent with ftsend into DIR, from many senders at once, until\n"
           "SIGINT/SIGTERM. Every file is verified (CRC-32C) and written under a\n"
           "temporary name first: a final name only ever holds a complete file.\n\n"
           "  -d, --dir DIR         where files go (default: the current directory);\n"
           "                        created if missing (its last component only)\n"
           "      --once            exit after one sender, with its status\n"
           "      --overwrite       replace existing files (atomically) instead of\n"
           "                        storing under a new name (name.1.ext, ...)\n"
           "      --max-size BYTES  refuse files larger than this (suffixes K, M, G)\n"
           "      --timeout SECS    drop a sender silent for this long (default 30;\n"
           "                        its hello must come within 10 s or SECS if less)\n"
           "  -q, --quiet           do not print a line per stored file\n"
           "      --per-sender      each sender's files in DIR/NAME/ (ftsend --as NAME)\n"
           "                        or DIR/ADDRESS/\n"
           "      --list-partial    list the partial files in DIR (age, size), exit\n"
           "      --clean-partial DAYS  remove partial files older than DAYS (0: all\n"
           "                        not being received right now), exit\n"
           "Every stored file gets a line in DIR/.ftrecv.log (CSV: time, sender, name\n"
           "given, stored path, bytes, CRC-32C, resumed).\n",
           prog);
    sl_cli_print_server_options(DEFAULT_PORT);
}

enum {
    OPT_ONCE = SL_OPT_FIRST_TOOL,
    OPT_OVERWRITE,
    OPT_MAX_SIZE,
    OPT_TIMEOUT,
    OPT_PER_SENDER,
    OPT_LIST_PARTIAL,
    OPT_CLEAN_PARTIAL,
};

#define HELLO_MS 10000        /* a connection that says nothing is no sender */
#define DEFAULT_IDLE_MS 30000 /* between any two receives, once the hello is done */

/* ftrecv's own options; the shared ones are sl_cli_parse_server's. */
static int ftrecv_option(int c, const char *arg, void *ctx)
{
    struct options *opt = ctx;
    switch (c) {
    case 'd':
        opt->dir = arg;
        return SL_CLI_NEXT;
    case OPT_ONCE:
        opt->once = true;
        return SL_CLI_NEXT;
    case OPT_OVERWRITE:
        opt->r->overwrite = true;
        return SL_CLI_NEXT;
    case OPT_MAX_SIZE:
        if (sl_parse_size(arg, 1, UINT64_MAX, &opt->r->max_size) < 0)
            return sl_cli_usage_error(opt->r->prog, "--max-size: not a size: %s", arg);
        return SL_CLI_NEXT;
    case 'q':
        opt->r->quiet = true;
        return SL_CLI_NEXT;
    case OPT_PER_SENDER:
        opt->r->per_sender = true;
        return SL_CLI_NEXT;
    case OPT_LIST_PARTIAL:
        opt->clean_days = -1;
        return SL_CLI_NEXT;
    case OPT_CLEAN_PARTIAL: {
        unsigned long days;
        if (sl_parse_ulong(arg, 0, 36500, &days) < 0)
            return sl_cli_usage_error(opt->r->prog, "--clean-partial: not a number of days: %s",
                                      arg);
        opt->clean_days = (int)days;
        return SL_CLI_NEXT;
    }
    case OPT_TIMEOUT:
        if (sl_parse_seconds_ms(arg, &opt->idle_ms) < 0 || opt->idle_ms < 1000)
            return sl_cli_usage_error(opt->r->prog, "--timeout: not a time >= 1 s: %s", arg);
        return SL_CLI_NEXT;
    }
    return sl_cli_usage_hint(opt->r->prog); /* not reached: getopt knows only these */
}

static int parse_options(int argc, char **argv, struct options *opt)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"per-sender", no_argument, NULL, OPT_PER_SENDER},
        {"list-partial", no_argument, NULL, OPT_LIST_PARTIAL},
        {"clean-partial", required_argument, NULL, OPT_CLEAN_PARTIAL},
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    const struct sl_cli_server_spec spec = {
        .default_port = DEFAULT_PORT,
        .usage = usage,
        .shortopts = "d:q",
        .longopts = longopts,
        .option = ftrecv_option,
        .ctx = opt,
    };
    opt->dir = ".";
    opt->clean_days = -2;
    opt->idle_ms = DEFAULT_IDLE_MS;
    return sl_cli_parse_server(argc, argv, opt->r->prog, &spec, &opt->cli);
}

/* 7. communicate with one sender, in its own thread (sl_server's SERVE). */
static void serve_sender(struct sl_conn *conn, void *ctx)
{
    struct ftrecv *r = ctx;
    if (r->verbose)
        sl_cli_log(r->prog, "%s connected", conn->peer);
    int rc = receive_files(r, conn);
    sl_trace_step(&r->trace, SL_STEP_COMMUNICATE, conn->fd, "communicate fd %d: %s", conn->fd,
                  rc == 0 ? "all files stored" : "not all files stored");
    atomic_store(&r->last_status, rc);
}

static void ftrecv_log(void *ctx, enum sl_server_log_level level, const char *msg)
{
    struct ftrecv *r = ctx;
    if (level == SL_SERVER_ERROR || r->verbose)
        sl_cli_log(r->prog, "%s", msg);
}

/* -d DIR is created when missing, its last component only (mode 0755,
 * less the umask): a typo in a parent must not grow a tree. Returns the
 * directory's fd, or -1 after saying why. */
static int open_inbox(const char *prog, const char *dir)
{
    if (sl_dir_make(dir) == 0)
        sl_cli_log(prog, "created directory %s", dir);
    else if (errno != EEXIST) {
        int e = errno;
        sl_cli_fail(prog, "directory %s: cannot create it: %s%s", dir, SL_STRERROR(e),
                    e == ENOENT ? " (only its last component is created)" : "");
        return -1;
    }
    int fd = sl_dir_open(dir);
    if (fd < 0)
        sl_cli_fail(prog, "directory %s: %s", dir, SL_STRERROR(errno));
    return fd;
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    /* Static: threads cut off at the stop deadline may outlive main. */
    static struct ftrecv r;
    static struct sl_server server;
    static uint8_t busy[SL_FT_HELLO_LEN];
    struct options opt = {.r = &r};
    char err[SL_ERRLEN];

    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    r.prog = prog;
    int rc = parse_options(argc, argv, &opt);
    if (rc != SL_CLI_NEXT)
        return rc;
    r.verbose = opt.cli.verbose;
    atomic_init(&r.last_status, -1);
    sl_ft_encode_hello(busy, SL_FT_HELLO_BUSY);
    if (opt.clean_days > -2) /* a one-shot look at the partial files */
        return handin_partials(prog, opt.dir, opt.clean_days);
    r.dirfd = open_inbox(prog, opt.dir);
    if (r.dirfd < 0)
        return SL_EXIT_FAILURE;
    if (handin_open_log(&r, err) < 0)
        return sl_cli_fail(prog, "hand-in log: %s", err);
    const struct sl_server_config cfg = {
        .trace = &r.trace,
        .serve = serve_sender,
        .log = ftrecv_log,
        .ctx = &r,
        .max_clients = opt.cli.max_clients,
        .fds_per_client = 4,                     /* its socket, the file, its directory, a lookup */
        .bytes_per_client = FT_BUF + 128 * 1024, /* its buffer, stack and kernel buffers */
        .refusal = (const char *)busy,           /* the hello, saying BUSY */
        .refusal_len = sizeof busy,
        .accept_limit = opt.once ? 1 : 0,
        .hello_ms = opt.idle_ms < HELLO_MS ? opt.idle_ms : HELLO_MS,
        .idle_ms = opt.idle_ms,
    };
    if (sl_trace_init(&r.trace, SL_ROLE_TCP_SERVER, opt.cli.trace, opt.cli.step) < 0 ||
        sl_server_init(&server, &cfg, err) < 0)
        return sl_cli_fail(prog, "set-up: %s", SL_STRERROR(errno));
    if (r.verbose)
        sl_cli_log(prog, "at most %lu senders at once", server.cfg.max_clients);

    /* 1. protocol version */
    if (sl_startup(&r.trace, err) < 0 || sl_map_guard_install(err) < 0)
        return sl_cli_fail(prog, "%s", err);
    /* 2. socket  3. address  4. bind  5. listen */
    int lfd = sl_server_listen(&server, opt.cli.bind, opt.cli.port, opt.cli.family, 128, err);
    if (lfd < 0)
        return sl_cli_fail(prog, "%s", err);
    sl_cli_print_listening(lfd);
    /* 6. accept senders, a thread each: 7. communicate (serve_sender)  8. close.
     * With --once: the first sender, and its status is ours. */
    enum sl_server_end end = sl_server_run(&server);

    /* Transfers still running end here; their partial files stay for a resume. */
    sl_server_stop(&server, 5000);
    close(r.dirfd);
    if (r.logfd >= 0)
        close(r.logfd);
    rc = SL_EXIT_OK;
    if (opt.once && (end != SL_SERVER_DONE || atomic_load(&r.last_status) != 0))
        rc = SL_EXIT_FAILURE;
    /* 9. cleanup */
    sl_cleanup(&r.trace);
    return rc;
}
