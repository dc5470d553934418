/* ftrecv: receives files sent by ftsend into a directory. The notes'
 * file-transfer "server" (the receiving end): TCP server steps 1-9, with a
 * thread per sender so a whole class can hand in files at once. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ftrecv.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7071"

struct options {
    struct sl_cli_common cli; /* -p -b -4 -6 --trace --step */
    const char *dir;
    bool once;
};

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS]\n"
           "Receives files sent with ftsend into DIR, from many senders at once, until\n"
           "SIGINT/SIGTERM. Every file is verified (CRC-32C) and written under a\n"
           "temporary name first: a final name only ever holds a complete file.\n\n"
           "  -p, --port PORT       port to listen on (default " DEFAULT_PORT
           ", 0: any free port)\n"
           "  -b, --bind ADDR       address to listen on (default: all, IPv4 and IPv6)\n"
           "  -4, --ipv4            IPv4 only\n"
           "  -6, --ipv6            IPv6 only\n"
           "  -d, --dir DIR         where files go (default: the current directory)\n"
           "      --once            exit after one sender, with its status\n"
           "      --overwrite       replace existing files (atomically) instead of\n"
           "                        storing under a new name (name.1.ext, ...)\n"
           "      --max-size BYTES  refuse files larger than this (suffixes K, M, G)\n"
           "  -q, --quiet           do not print a line per stored file\n"
           "      --trace           print each numbered step of the notes (TCP server 1-9)\n"
           "      --step            pause before each step until Enter (or SIGUSR1)\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n",
           prog);
}

static int parse_options(int argc, char **argv, const char *prog, struct options *opt,
                         struct ftrecv *r)
{
    enum { OPT_ONCE = SL_OPT_FIRST_TOOL, OPT_OVERWRITE, OPT_MAX_SIZE };
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
        {"quiet", no_argument, NULL, 'q'},
        SL_CLI_OPTS_NET,
        SL_CLI_OPTS_BIND,
        SL_CLI_OPTS_BASE,
        {NULL, 0, NULL, 0},
    };
    char err[SL_ERRLEN];
    int c, rc;

    *opt = (struct options){.cli = {.port = DEFAULT_PORT, .family = AF_UNSPEC}, .dir = "."};
    while ((c = getopt_long(argc, argv, "p:b:46d:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            opt->dir = optarg;
            break;
        case OPT_ONCE:
            opt->once = true;
            break;
        case OPT_OVERWRITE:
            r->overwrite = true;
            break;
        case OPT_MAX_SIZE:
            if (sl_parse_size(optarg, 1, UINT64_MAX, &r->max_size) < 0)
                return sl_cli_usage_error(prog, "--max-size: not a size: %s", optarg);
            break;
        case 'q':
            r->quiet = true;
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

struct conn {
    struct ftrecv *r;
    int fd;
    char peer[SL_ADDRSTRLEN];
};

/* 7. communicate  8. disconnect, for one sender, in its own thread. */
static void *conn_thread(void *arg)
{
    struct conn *c = arg;
    struct ftrecv *r = c->r;
    int fd = c->fd;
    sl_trace_before(&r->trace, SL_STEP_COMMUNICATE);
    int rc = receive_files(r, fd, c->peer);
    sl_trace_step(&r->trace, SL_STEP_COMMUNICATE, fd, "communicate fd %d: %s", fd,
                  rc == 0 ? "all files stored" : "not all files stored");

    /* Out of the list stop_senders() shuts down before the close: the
     * number may belong to the next sender a moment later. */
    pthread_mutex_lock(&r->lock);
    for (unsigned long i = 0; i < r->nfds; i++)
        if (r->fds[i] == fd) {
            r->fds[i] = r->fds[--r->nfds];
            break;
        }
    pthread_mutex_unlock(&r->lock);
    sl_trace_before(&r->trace, SL_STEP_CLOSE);
    sl_close_traced(&r->trace, fd, "close fd %d (%s)", fd, c->peer);
    free(c);

    pthread_mutex_lock(&r->lock);
    if (r->once_done >= 0) { /* --once: tell main how it went */
        r->once_status = rc;
        (void)!write(r->once_done, "", 1);
    }
    if (--r->active == 0)
        pthread_cond_broadcast(&r->all_gone);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Returns false when the sender was refused (no thread). */
static bool start_thread(struct ftrecv *r, struct conn *c)
{
    pthread_mutex_lock(&r->lock);
    if (r->nfds == r->capfds) {
        unsigned long cap = r->capfds ? r->capfds * 2 : 64;
        int *fds = realloc(r->fds, cap * sizeof *fds);
        if (fds == NULL) {
            pthread_mutex_unlock(&r->lock);
            goto refuse;
        }
        r->fds = fds;
        r->capfds = cap;
    }
    r->fds[r->nfds++] = c->fd;
    r->active++;
    int rc = sl_thread_start_detached(conn_thread, c, 0);
    if (rc != 0) {
        r->nfds--;
        r->active--;
    }
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        return true;
refuse:
    sl_cli_log(r->prog, "%s refused: cannot start a thread", c->peer);
    close(c->fd);
    free(c);
    return false;
}

/* --once: the sender's thread ends, or a signal ends the wait first
 * (stop_senders() then cuts the transfer off). */
static int await_once(struct ftrecv *r, int done_fd, int stop_fd)
{
    struct pollfd p[2] = {{.fd = done_fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    while (poll(p, 2, -1) < 0)
        if (errno != EINTR)
            return SL_EXIT_FAILURE;
    if (!p[0].revents)
        return SL_EXIT_FAILURE;
    pthread_mutex_lock(&r->lock);
    int rc = r->once_status;
    pthread_mutex_unlock(&r->lock);
    return rc == 0 ? SL_EXIT_OK : SL_EXIT_FAILURE;
}

/* 6. accept senders. Returns the exit status. With ONCE_DONE (the read
 * end of a pipe, else -1) only one sender is served. */
static int accept_senders(struct ftrecv *r, int lfd, int stop_fd, int once_done)
{
    char err[SL_ERRLEN];
    time_t last_complaint = 0;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peerlen = sizeof peer;
        int fd = sl_accept(lfd, stop_fd, &peer, &peerlen, &r->trace, err);
        if (fd < 0) {
            if (errno == ECANCELED)
                return once_done >= 0 ? SL_EXIT_FAILURE : SL_EXIT_OK;
            time_t now = time(NULL);
            if (now != last_complaint)
                sl_cli_log(r->prog, "%s", err);
            last_complaint = now;
            continue;
        }
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->r = r;
        c->fd = fd;
        sl_format_addr((struct sockaddr *)&peer, peerlen, c->peer, sizeof c->peer);
        bool started = start_thread(r, c);
        if (once_done >= 0)
            return started ? await_once(r, once_done, stop_fd) : SL_EXIT_FAILURE;
    }
}

/* Ends every transfer still running (their partial files stay for a
 * resume) and waits for the threads. */
static void stop_senders(struct ftrecv *r)
{
    struct timespec deadline;
    sl_deadline_after_ms(&deadline, 5000);
    pthread_mutex_lock(&r->lock);
    for (unsigned long i = 0; i < r->nfds; i++)
        shutdown(r->fds[i], SHUT_RDWR);
    while (r->active > 0)
        if (pthread_cond_timedwait(&r->all_gone, &r->lock, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&r->lock);
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    static struct ftrecv r; /* outlives main for threads cut off at exit */
    struct options opt;
    struct sl_shutdown stop;
    char err[SL_ERRLEN];

    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    r.prog = prog;
    int rc = parse_options(argc, argv, prog, &opt, &r);
    if (rc >= 0)
        return rc;
    if (sl_trace_init(&r.trace, SL_ROLE_TCP_SERVER, opt.cli.trace, opt.cli.step) < 0)
        return sl_cli_fail(prog, "--step: %s", strerror(errno));
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.all_gone, NULL);
    r.dirfd = open(opt.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r.dirfd < 0)
        return sl_cli_fail(prog, "directory %s: %s", opt.dir, strerror(errno));

    /* 1. protocol version */
    if (sl_startup(&r.trace, err) < 0 || sl_shutdown_init(&stop, &r.trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);

    /* 2. socket  3. address  4. bind  5. listen */
    int lfd = sl_listen_tcp(opt.cli.bind, opt.cli.port, opt.cli.family, 128, &r.trace, err);
    if (lfd < 0) {
        sl_shutdown_free(&stop);
        return sl_cli_fail(prog, "%s", err);
    }
    sl_cli_print_listening(lfd);

    /* 6. accept senders, a thread each: 7. communicate  8. disconnect */
    int once_pipe[2] = {-1, -1};
    if (opt.once && pipe(once_pipe) < 0) {
        sl_shutdown_free(&stop);
        return sl_cli_fail(prog, "pipe: %s", strerror(errno));
    }
    r.once_done = once_pipe[1];
    rc = accept_senders(&r, lfd, sl_shutdown_fd(&stop), once_pipe[0]);

    close(lfd);
    stop_senders(&r);
    if (opt.once) { /* a thread cut off after the wait must not write to a reused number */
        pthread_mutex_lock(&r.lock);
        r.once_done = -1;
        pthread_mutex_unlock(&r.lock);
        close(once_pipe[0]);
        close(once_pipe[1]);
    }
    sl_shutdown_free(&stop);
    close(r.dirfd);

    /* 9. cleanup */
    sl_cleanup(&r.trace);
    return rc;
}
