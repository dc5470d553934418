/* tcpchat-server: the notes' chat room. The main thread accepts clients
 * (steps 1-6); each client gets its own thread that receives its lines and
 * broadcasts them to everyone connected (7-8), writing into their sockets
 * itself; a few writer threads finish what a full socket did not take.
 * SIGINT/SIGTERM end it (9). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "chat.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7070"
#define BACKLOG 4096

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS]\n"
           "Chat room over TCP: every line a client sends reaches every other client,\n"
           "prefixed with its nick. One thread per client, plus a few writer threads\n"
           "for clients whose socket buffer is full. Plain UTF-8 lines, so\n"
           "'nc HOST " DEFAULT_PORT "' works as a client; see tcpchat-client(1).\n"
           "Over --max-clients a client gets a \"server full\" line and is closed.\n\n"
           "      --flood LIMIT     per-client flood limit: LINES,BYTES[,BURST_LINES,\n"
           "                        BURST_BYTES] per second (sizes take K, M), or off;\n"
           "                        a client over it is read more slowly, never dropped\n"
           "                        (default " FLOOD_DEFAULT ")\n"
           "      --stall-timeout SECS  drop a client that takes nothing for SECS while its\n"
           "                        queue is over half full (default 10)\n",
           prog);
    sl_cli_print_server_options(DEFAULT_PORT);
    printf("\nCommands for clients: /nick NAME, /who, /msg NICK text, /me action, /quit, /help.\n");
}

enum { OPT_FLOOD = SL_OPT_FIRST_TOOL, OPT_STALL_TIMEOUT };

/* tcpchat-server's own options; the shared ones are sl_cli_parse_server's. */
static int chat_option(int c, const char *arg, void *ctx)
{
    struct chat_room *room = ctx;
    switch (c) {
    case OPT_FLOOD:
        if (flood_parse(arg, &room->flood) < 0)
            return sl_cli_usage_error(room->prog,
                                      "--flood: not LINES,BYTES[,BURST_LINES,"
                                      "BURST_BYTES] or off: %s",
                                      arg);
        return SL_CLI_NEXT;
    case OPT_STALL_TIMEOUT:
        if (sl_parse_seconds_ms(arg, &room->stall_ms) < 0 || room->stall_ms < 100)
            return sl_cli_usage_error(room->prog, "--stall-timeout: not a time >= 0.1 s: %s", arg);
        return SL_CLI_NEXT;
    }
    return sl_cli_usage_hint(room->prog); /* not reached: getopt knows only these */
}

static int parse_options(int argc, char **argv, struct chat_room *room, struct sl_cli_common *opt)
{
    static const struct option longopts[] = {
        {"flood", required_argument, NULL, OPT_FLOOD},
        {"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT},
        {NULL, 0, NULL, 0},
    };
    const struct sl_cli_server_spec spec = {
        .default_port = DEFAULT_PORT,
        .usage = usage,
        .longopts = longopts,
        .option = chat_option,
        .ctx = room,
    };
    (void)flood_parse(FLOOD_DEFAULT, &room->flood);
    room->stall_ms = CHAT_STALL_MS_DEFAULT;
    return sl_cli_parse_server(argc, argv, room->prog, &spec, opt);
}

static void chat_log(void *ctx, enum sl_server_log_level level, const char *msg)
{
    struct chat_room *room = ctx;
    if (level == SL_SERVER_ERROR || room->verbose)
        sl_cli_log(room->prog, "%s", msg);
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    /* Static: a client thread still running when main returns (after the
     * stop deadline) must not find its room gone from under it. */
    static struct chat_room room;
    static struct sl_server server;
    static char full_line[96];
    struct sl_cli_common opt;
    char err[SL_ERRLEN];

    room.prog = prog;
    int rc = parse_options(argc, argv, &room, &opt);
    if (rc != SL_CLI_NEXT)
        return rc;
    const struct sl_server_config cfg = {
        .trace = &room.trace,
        .serve = chat_serve,
        .log = chat_log,
        .ctx = &room,
        .max_clients = opt.max_clients,
        .threads_per_client = 1, /* its reader; writes need no thread of their own */
        .bytes_per_client = CHAT_CLIENT_BYTES,
        .refusal = full_line, /* filled once the cap is known */
    };
    room.verbose = opt.verbose;
    if (sl_trace_init(&room.trace, SL_ROLE_TCP_SERVER, opt.trace, opt.step) < 0 ||
        room_init(&room) < 0 || sl_server_init(&server, &cfg, err) < 0)
        return sl_cli_fail(prog, "set-up: %s", sl_strerror(errno, err, SL_ERRLEN));
    snprintf(full_line, sizeof full_line, "!!! server full (%lu clients), try again later\n",
             server.cfg.max_clients);
    if (opt.verbose)
        sl_cli_log(prog, "at most %lu clients at once", server.cfg.max_clients);

    /* 1. protocol version */
    if (sl_startup(&room.trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    /* 2. socket  3. address  4. bind  5. listen */
    int lfd = sl_server_listen(&server, opt.bind, opt.port, opt.family, BACKLOG, err);
    if (lfd < 0)
        return sl_cli_fail(prog, "%s", err);
    /* After sl_server_listen: the pool must not take SIGINT/SIGTERM. */
    unsigned writers = writer_pool_default_size();
    rc = writer_pool_start(&room.writers, writers, outq_drain);
    if (rc != 0)
        return sl_cli_fail(prog, "writer threads: %s", SL_STRERROR(rc));
    unsigned helpers = fanout_default_size();
    rc = fanout_start(&room.fanout, helpers);
    if (rc != 0)
        return sl_cli_fail(prog, "fan-out threads: %s", SL_STRERROR(rc));
    if (opt.verbose)
        sl_cli_log(prog, "%u writer threads, %u fan-out helpers", writers, helpers);
    sl_cli_print_listening(lfd);
    /* 6. accept clients, a thread each: 7. communicate (chat_serve)  8. close */
    sl_server_run(&server);

    if (opt.verbose)
        sl_cli_log(prog, "shutting down");
    room_close(&room);             /* "*** server shutting down" to everyone */
    sl_server_stop(&server, 2000); /* 8. for the clients still there */
    writer_pool_stop(&room.writers);
    fanout_stop(&room.fanout);
    /* 9. cleanup */
    sl_cleanup(&room.trace);
    return SL_EXIT_OK;
}
