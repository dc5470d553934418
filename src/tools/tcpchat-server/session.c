/* One client's thread, as in the notes: receive this client's lines and
 * broadcast them to everyone connected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"
#include "socklab/socklab.h"

/* Lines that arrived together are broadcast together: one push per
 * listener for the whole batch instead of one per line, so a busy sender
 * costs each listener one send(). */
#define BATCH_MAX (64 * 1024)

struct batch {
    size_t len;
    char buf[BATCH_MAX];
};

static void flush(struct chat_client *c, struct batch *b)
{
    if (b->len > 0)
        room_broadcast(c->room, c, b->buf, b->len);
    b->len = 0;
}

/* A chat line from C: "nick: text", sanitised, to everyone else. */
static void say(struct chat_client *c, struct batch *b, const char *text, size_t len)
{
    size_t need = strlen(c->nick) + 2 + SL_SANITIZED_MAX(len) + 1;
    if (b->len + need > sizeof b->buf)
        flush(c, b);
    size_t n = b->len;
    n += (size_t)snprintf(b->buf + n, sizeof b->buf - n, "%s: ", c->nick);
    n += sl_sanitize_text(text, len, b->buf + n);
    b->buf[n++] = '\n';
    b->len = n;
}

/* The flood limit: before reading on after a line of LEN bytes, waits
 * as long as C's bucket owes (floodlimit.h), with what C said so far sent
 * out first. Slices of at most 100 ms notice a server shutting down. */
static void pace(struct chat_client *c, struct batch *b, size_t len)
{
    struct chat_room *room = c->room;
    uint64_t now = sl_monotonic_ns();
    uint64_t until = now + flood_take(&c->flood, &room->flood, len + 1, now);
    if (until == now)
        return;
    flush(c, b);
    while ((now = sl_monotonic_ns()) < until && !atomic_load(&room->closing)) {
        uint64_t ns = until - now < 100000000u ? until - now : 100000000u;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ns};
        nanosleep(&ts, NULL);
    }
}

/* 7. communicate: read lines until the client leaves. Returns why it left
 * (NULL: it closed or quit), in BUF. */
static const char *read_lines(struct chat_client *c, struct sl_linereader *lr, struct batch *b,
                              char *buf, size_t buflen)
{
    for (;;) {
        const char *line;
        size_t len;
        if (!sl_lr_line_buffered(lr))
            flush(c, b); /* about to wait for the network: send what we have */
        switch (sl_lr_next(lr, &line, &len)) {
        case SL_LINE_OK:
            c->lines++;
            pace(c, b, len);
            if (len == 0)
                continue;
            if (line[0] == '/' && !(len > 1 && line[1] == '/')) {
                flush(c, b); /* keep lines and command effects in order */
                if (!chat_command(c, line, len))
                    return NULL; /* /quit */
                continue;
            }
            if (line[0] == '/')
                line++, len--; /* "//text" says "/text" */
            say(c, b, line, len);
            continue;
        case SL_LINE_TOOLONG:
            pace(c, b, SL_CHAT_LINE_MAX);
            flush(c, b);
            room_tell(c, "!!! line too long (over %d bytes), not sent", SL_CHAT_LINE_MAX);
            continue;
        case SL_LINE_EOF:
            flush(c, b);
            return NULL;
        case SL_LINE_ERROR:
            flush(c, b);
            char why[SL_ERRLEN];
            snprintf(buf, buflen, "%s", sl_strerror(errno, why, sizeof why));
            return buf;
        }
    }
}

/* Tells the others why C is gone. */
static void announce_leave(struct chat_client *c, const char *error)
{
    struct chat_room *room = c->room;
    if (atomic_load(&room->closing))
        return;
    /* From C (no longer in the room): C's thread waits for the listeners. */
    if (outq_evicted(&c->out))
        room_announce(room, c, true, "*** %s was disconnected (not reading for %g s)", c->nick,
                      room->stall_ms / 1000.0);
    else if (c->quit_reason[0])
        room_announce(room, c, false, "*** %s left (%s)", c->nick, c->quit_reason);
    else if (error)
        room_announce(room, c, false, "*** %s left (%s)", c->nick, error);
    else
        room_announce(room, c, false, "*** %s left", c->nick);
}

/* Gives the new client its nick and queue, and tells the room.
 * Returns false when it cannot join (out of memory, the room closing). */
static bool join(struct chat_room *room, struct chat_client *c)
{
    /* A fixed send buffer bounds what a lagging client can hold in the
     * kernel (autotuning would let each grow to megabytes), so its queue's
     * high-water mark is reached, and its talkers wait, in bounded time
     * and memory. */
    int sndbuf = CHAT_SOCKET_SNDBUF;
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, (const void *)&sndbuf, sizeof sndbuf);
    /* Broadcasts already send whatever piled up in one go; Nagle would
     * only hold a short line back until the previous one is acknowledged
     * (tens of ms with delayed ACKs, when lines trickle in during a flood). */
    sl_set_nodelay(c->fd);
    /* The queue must exist before the room can see C: a broadcast may
     * push to it the moment room_join() returns. */
    if (outq_init(&c->out, c->fd, CHAT_QUEUE_LIMIT, &room->writers) != 0)
        return false;
    if (room_join(room, c) < 0) {
        outq_finish(&c->out, 0);
        return false;
    }
    room_announce(room, c, false, "*** %s joined", c->nick);
    if (room->verbose)
        sl_cli_log(room->prog, "%s joined as %s", c->peer, c->nick);
    return true;
}

/* 7. communicate with one client until it leaves. */
static void talk(struct chat_room *room, struct chat_client *c)
{
    struct sl_linereader lr;
    char why[128];
    const char *error = "out of memory";

    struct batch *b = malloc(sizeof *b);
    if (b && sl_lr_init(&lr, c->fd, SL_CHAT_LINE_MAX) == 0) {
        b->len = 0;
        error = read_lines(c, &lr, b, why, sizeof why);
        sl_lr_free(&lr);
    }
    free(b);
    sl_trace_step(&room->trace, SL_STEP_COMMUNICATE, c->fd,
                  "communicate fd %d (%s): %lu lines received", c->fd, c->nick, c->lines);

    room_leave(room, c); /* from here on, nobody queues lines for c */
    announce_leave(c, error);
    if (room->verbose)
        sl_cli_log(room->prog, "%s (%s) left%s%s", c->peer, c->nick, error ? ": " : "",
                   error ? error : "");
    outq_finish(&c->out, 2000); /* last lines, e.g. "*** bye", go out */
}

void chat_serve(struct sl_conn *conn, void *ctx)
{
    struct chat_room *room = ctx;
    struct chat_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        (void)!sl_send_all(conn->fd, CHAT_NO_MEMORY, sizeof CHAT_NO_MEMORY - 1);
        return;
    }
    c->room = room;
    c->fd = conn->fd;
    c->waits.stall_ms = c->helper_waits.stall_ms = room->stall_ms;
    flood_start(&c->flood, &room->flood, sl_monotonic_ns());
    memcpy(c->peer, conn->peer, sizeof c->peer);
    if (join(room, c))
        talk(room, c);
    else if (!atomic_load(&room->closing))
        (void)!sl_send_all(conn->fd, CHAT_NO_MEMORY, sizeof CHAT_NO_MEMORY - 1);
    bp_free(&c->waits);
    bp_free(&c->helper_waits);
    free(c); /* 8. disconnect: sl_server closes the socket */
}
