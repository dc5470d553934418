/* One client's thread, as in the notes: receive this client's lines and
 * broadcast them to everyone connected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void *session_main(void *arg)
{
    struct chat_client *c = arg;
    struct chat_room *room = c->room;
    struct sl_linereader lr;
    char why[128];
    const char *error = "out of memory";

    sl_trace_before(&room->trace, SL_STEP_COMMUNICATE);
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

    /* 8. disconnect */
    sl_trace_before(&room->trace, SL_STEP_CLOSE);
    sl_close_traced(&room->trace, c->fd, "close fd %d (%s)", c->fd, c->peer);
    free(c);

    pthread_mutex_lock(&room->count_lock);
    if (--room->threads == 0)
        pthread_cond_broadcast(&room->all_gone);
    pthread_mutex_unlock(&room->count_lock);
    return NULL;
}
