/* One client's thread, as in the notes: receive this client's lines and
 * broadcast them to everyone connected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chat.h"
#include "socklab/socklab.h"

/* Lines that arrived together are broadcast together: one push per
 * listener for the whole batch instead of one per line, so a busy sender
 * costs each listener's writer one wake-up and one send(). */
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
            flush(c, b);
            room_tell(c, "!!! line too long (over %d bytes), not sent", SL_CHAT_LINE_MAX);
            continue;
        case SL_LINE_EOF:
            flush(c, b);
            return NULL;
        case SL_LINE_ERROR:
            flush(c, b);
            snprintf(buf, buflen, "%s", strerror(errno));
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
    if (outq_overflowed(&c->out))
        room_announce(room, NULL, true, "*** %s was disconnected (not reading, %d KiB queued)",
                      c->nick, CHAT_QUEUE_LIMIT / 1024);
    else if (c->quit_reason[0])
        room_announce(room, NULL, false, "*** %s left (%s)", c->nick, c->quit_reason);
    else if (error)
        room_announce(room, NULL, false, "*** %s left (%s)", c->nick, error);
    else
        room_announce(room, NULL, false, "*** %s left", c->nick);
}

/* Gives the new client its nick, queue and writer, and tells the room.
 * Returns false when it cannot join (out of memory, the room closing). */
static bool join(struct chat_room *room, struct chat_client *c)
{
    /* A fixed send buffer bounds what a lagging client can hold in the
     * kernel (autotuning would let each grow to megabytes), so its queue
     * limit is reached, and it is dropped, in bounded time and memory. */
    int sndbuf = CHAT_SOCKET_SNDBUF;
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    /* The queue must exist before the room can see C: a broadcast may
     * push to it the moment room_join() returns. */
    if (outq_init(&c->out, c->fd, CHAT_QUEUE_LIMIT) != 0)
        return false;
    if (room_join(room, c) < 0) {
        outq_finish(&c->out, 0);
        return false;
    }
    int rc = outq_start(&c->out);
    if (rc != 0) {
        room_leave(room, c);
        outq_finish(&c->out, 0);
        sl_cli_log(room->prog, "%s refused: cannot start a thread: %s", c->peer, strerror(rc));
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
    memcpy(c->peer, conn->peer, sizeof c->peer);
    if (join(room, c))
        talk(room, c);
    else if (!atomic_load(&room->closing))
        (void)!sl_send_all(conn->fd, CHAT_NO_MEMORY, sizeof CHAT_NO_MEMORY - 1);
    free(c); /* 8. disconnect: sl_server closes the socket */
}
