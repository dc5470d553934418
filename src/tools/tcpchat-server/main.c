/* tcpchat-server: the notes' chat room. The main thread accepts clients
 * (steps 1-6); each client gets its own thread that receives its lines and
 * broadcasts them to everyone connected (7-8); SIGINT/SIGTERM end it (9). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7070"
#define BACKLOG 4096

struct options {
    struct sl_cli_common cli; /* -p -b -4 -6 --trace --step */
    unsigned long max_clients;
    bool verbose;
};

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS]\n"
           "Chat room over TCP: every line a client sends reaches every other client,\n"
           "prefixed with its nick. One thread per client. Plain UTF-8 lines, so\n"
           "'nc HOST " DEFAULT_PORT "' works as a client; see tcpchat-client(1).\n\n"
           "  -p, --port PORT       port to listen on (default " DEFAULT_PORT
           ", 0: any free port)\n"
           "  -b, --bind ADDR       address to listen on (default: all, IPv4 and IPv6)\n"
           "  -4, --ipv4            IPv4 only\n"
           "  -6, --ipv6            IPv6 only\n"
           "      --max-clients N   refuse clients beyond N with a \"server full\" line\n"
           "  -v, --verbose         log clients joining and leaving\n"
           "      --trace           print each numbered step of the notes (TCP server 1-9)\n"
           "      --step            pause before each step until Enter (or SIGUSR1)\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n\n"
           "Commands for clients: /nick NAME, /who, /msg NICK text, /me action, /quit, /help.\n",
           prog);
}

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

/* A client we cannot take: one line saying why, then close. The send must
 * not block the accept loop, so it is best effort. */
static void refuse(int fd, const char *line)
{
    (void)!send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
}

/* Step 6 done: gives the new client its nick, queue and thread. */
static void admit(struct chat_room *room, int fd, const struct sockaddr_storage *peer,
                  socklen_t peerlen)
{
    char line[128];
    struct chat_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        refuse(fd, "!!! server out of memory, try again later\n");
        return;
    }
    c->room = room;
    c->fd = fd;
    /* A fixed send buffer bounds what a lagging client can hold in the
     * kernel (autotuning would let each grow to megabytes), so its queue
     * limit is reached, and it is dropped, in bounded time and memory. */
    int sndbuf = CHAT_SOCKET_SNDBUF;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    sl_format_addr((const struct sockaddr *)peer, peerlen, c->peer, sizeof c->peer);
    /* The queue must exist before the room can see C: a broadcast may
     * push to it the moment room_join() returns. */
    int rc = outq_init(&c->out, fd, CHAT_QUEUE_LIMIT);
    if (rc != 0) {
        refuse(fd, "!!! server out of memory, try again later\n");
        free(c);
        return;
    }
    if (room_join(room, c) < 0) {
        outq_finish(&c->out, 0);
        snprintf(line, sizeof line, "!!! server full (%lu clients), try again later\n",
                 room->max_clients);
        if (room->verbose)
            sl_cli_log(room->prog, "%s refused: server full", c->peer);
        refuse(fd, line);
        free(c);
        return;
    }
    rc = outq_start(&c->out);
    if (rc == 0) {
        room_announce(room, c, false, "*** %s joined", c->nick);
        pthread_mutex_lock(&room->count_lock);
        room->threads++;
        pthread_mutex_unlock(&room->count_lock);
        if (room->verbose)
            sl_cli_log(room->prog, "%s joined as %s", c->peer, c->nick);
        rc = sl_thread_start_detached(session_main, c, 0);
        if (rc == 0)
            return;
        pthread_mutex_lock(&room->count_lock);
        room->threads--;
        pthread_mutex_unlock(&room->count_lock);
    }
    room_leave(room, c);
    outq_finish(&c->out, 0);
    sl_cli_log(room->prog, "%s refused: cannot start a thread: %s", c->peer, strerror(rc));
    close(fd);
    free(c);
}

static void accept_loop(struct chat_room *room, int lfd, int stop_fd)
{
    char err[SL_ERRLEN];
    time_t last_complaint = 0;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peerlen = sizeof peer;
        int fd = sl_accept(lfd, stop_fd, &peer, &peerlen, &room->trace, err);
        if (fd >= 0) {
            admit(room, fd, &peer, peerlen);
            continue;
        }
        if (errno == ECANCELED)
            return;
        time_t now = time(NULL); /* EMFILE and friends: say so once a second */
        if (now != last_complaint) {
            sl_cli_log(room->prog, "%s", err);
            last_complaint = now;
        }
    }
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    struct options opt;
    /* Static: a client thread still running when main returns (after the
     * stop timeout) must not find its room gone from under it. */
    static struct chat_room room;
    room.prog = prog;
    struct sl_shutdown stop;
    char err[SL_ERRLEN];

    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    int rc = parse_options(argc, argv, prog, &opt);
    if (rc >= 0)
        return rc;
    if (sl_trace_init(&room.trace, SL_ROLE_TCP_SERVER, opt.cli.trace, opt.cli.step) < 0)
        return sl_cli_fail(prog, "--step: %s", strerror(errno));
    room.verbose = opt.verbose;
    room.max_clients = opt.max_clients;
    if (room_init(&room) < 0)
        return sl_cli_fail(prog, "initialisation failed");
    (void)sl_raise_nofile(NULL); /* one descriptor per client */

    /* 1. protocol version */
    if (sl_startup(&room.trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    if (sl_shutdown_init(&stop, &room.trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);

    /* 2. socket  3. address  4. bind  5. listen */
    int lfd = sl_listen_tcp(opt.cli.bind, opt.cli.port, opt.cli.family, BACKLOG, &room.trace, err);
    if (lfd < 0) {
        sl_shutdown_free(&stop);
        return sl_cli_fail(prog, "%s", err);
    }
    sl_cli_print_listening(lfd);

    /* 6. accept clients, a thread each: 7. communicate  8. disconnect */
    accept_loop(&room, lfd, sl_shutdown_fd(&stop));

    if (opt.verbose)
        sl_cli_log(prog, "shutting down");
    close(lfd);
    room_close(&room, 2000);
    sl_shutdown_free(&stop);

    /* 9. cleanup */
    sl_cleanup(&room.trace);
    return SL_EXIT_OK;
}
