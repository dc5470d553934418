/* The room: the list of clients and the ways a line reaches them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "chat.h"
#include "socklab/runtime.h"

int room_init(struct chat_room *room)
{
    room->clients = room->oldest = NULL;
    room->nclients = 0;
    room->next_guest = 1;
    atomic_init(&room->closing, false);
    return pthread_rwlock_init(&room->lock, NULL) != 0 ? -1 : 0;
}

/* Nicks compare without ASCII case: "Alice" and "alice" are one person. */
static struct chat_client *find_nick(struct chat_room *room, const char *nick)
{
    for (struct chat_client *c = room->clients; c; c = c->next)
        if (strcasecmp(c->nick, nick) == 0)
            return c;
    return NULL;
}

int room_join(struct chat_room *room, struct chat_client *c)
{
    pthread_rwlock_wrlock(&room->lock);
    if (room->closing) {
        pthread_rwlock_unlock(&room->lock);
        return -1;
    }
    do /* someone may have taken "guestN" with /nick */
        snprintf(c->nick, sizeof c->nick, "guest%lu", room->next_guest++);
    while (find_nick(room, c->nick));
    c->prev = NULL;
    c->next = room->clients;
    if (c->next)
        c->next->prev = c;
    else
        room->oldest = c;
    room->clients = c;
    room->nclients++;
    /* Forced: under the write lock no one may wait, and the queue is empty. */
    char welcome[CHAT_NICK_MAX_BYTES + 64];
    int n = snprintf(welcome, sizeof welcome, "*** welcome, you are %s; /help lists the commands\n",
                     c->nick);
    (void)outq_push_force(&c->out, welcome, (size_t)n);
    pthread_rwlock_unlock(&room->lock);
    return 0;
}

void room_leave(struct chat_room *room, struct chat_client *c)
{
    pthread_rwlock_wrlock(&room->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        room->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        room->oldest = c->prev;
    room->nclients--;
    pthread_rwlock_unlock(&room->lock);
}

/* Queues LINE for C. Called with the room lock held, so C cannot leave
 * meanwhile; W (the sender's, NULL: who cannot wait) notes whether the
 * sender must wait for C once the lock is released (bp_wait). */
static void deliver(struct chat_client *c, const char *line, size_t len, struct bp_waits *w)
{
    bp_deliver(w, &c->out, line, len);
}

/* A broadcast shared by the sender (from the list's head) and a fan-out
 * helper (from its tail). Every client is claimed once, by whoever gets
 * to it first: together they claim exactly NCLIENTS, so their parts
 * meet and never overlap. */
struct shared_broadcast {
    struct chat_room *room;
    struct chat_client *from;
    const char *line;
    size_t len;
    atomic_ulong claimed;
};

static bool claim(struct shared_broadcast *b)
{
    return atomic_fetch_add_explicit(&b->claimed, 1, memory_order_relaxed) < b->room->nclients;
}

/* The helper's half: under the sender's read lock, which it holds until
 * fanout_finish. Holds go to FROM's second list (the first is the
 * sender's, written meanwhile). */
static void deliver_from_oldest(void *arg)
{
    struct shared_broadcast *b = arg;
    for (struct chat_client *c = b->room->oldest; c && claim(b); c = c->prev)
        if (c != b->from)
            deliver(c, b->line, b->len, &b->from->helper_waits);
}

void room_broadcast(struct chat_room *room, struct chat_client *from, const char *line, size_t len)
{
    pthread_rwlock_rdlock(&room->lock);
    struct shared_broadcast b = {room, from, line, len, 0};
    struct fanout_helper *helper = room->nclients >= CHAT_FANOUT_MIN
                                       ? fanout_try_start(&room->fanout, deliver_from_oldest, &b)
                                       : NULL;
    for (struct chat_client *c = room->clients; c && (!helper || claim(&b)); c = c->next)
        if (c != from)
            deliver(c, line, len, &from->waits);
    if (helper)
        fanout_finish(helper);
    pthread_rwlock_unlock(&room->lock);
    bp_wait(&from->waits, line, len);
    bp_wait(&from->helper_waits, line, len);
}

/* Formats a server line with its LF into LINE (SIZE bytes); its length. */
static size_t format_line(char *line, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(line, size - 1, fmt, ap);
    if (n < 0)
        return 0;
    if ((size_t)n > size - 2)
        n = (int)size - 2;
    line[n++] = '\n';
    return (size_t)n;
}

void room_announce(struct chat_room *room, struct chat_client *from, bool always, const char *fmt,
                   ...)
{
    char line[SL_CHAT_LINE_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n == 0)
        return;
    pthread_rwlock_rdlock(&room->lock);
    if (always || room->nclients <= CHAT_ANNOUNCE_MAX)
        for (struct chat_client *c = room->clients; c; c = c->next)
            if (c != from)
                deliver(c, line, n, &from->waits);
    pthread_rwlock_unlock(&room->lock);
    bp_wait(&from->waits, line, n);
}

void room_tell(struct chat_client *c, const char *fmt, ...)
{
    char line[SL_CHAT_LINE_MAX * 3 + 256];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n == 0)
        return;
    /* Only C's own thread tells C: its queue outlives the call. */
    deliver(c, line, n, &c->waits);
    bp_wait(&c->waits, line, n);
}

int room_rename(struct chat_room *room, struct chat_client *c, const char *nick, char *old,
                size_t oldlen)
{
    pthread_rwlock_wrlock(&room->lock);
    struct chat_client *owner = find_nick(room, nick);
    if (owner && owner != c) {
        pthread_rwlock_unlock(&room->lock);
        return -1;
    }
    snprintf(old, oldlen, "%s", c->nick);
    snprintf(c->nick, sizeof c->nick, "%s", nick);
    pthread_rwlock_unlock(&room->lock);
    return 0;
}

int room_send_to(struct chat_room *room, struct chat_client *from, const char *nick,
                 const char *line, size_t len)
{
    pthread_rwlock_rdlock(&room->lock);
    struct chat_client *c = find_nick(room, nick);
    if (c)
        deliver(c, line, len, &from->waits);
    pthread_rwlock_unlock(&room->lock);
    bp_wait(&from->waits, line, len);
    return c ? 0 : -1;
}

void room_who(struct chat_room *room, struct chat_client *c)
{
    char line[SL_CHAT_LINE_MAX + 256];
    size_t n = 0, listed = 0;

    pthread_rwlock_rdlock(&room->lock);
    n += (size_t)snprintf(line, sizeof line, "*** %lu online:", room->nclients);
    /* The list is one line: past what fits, say how many more there are. */
    for (struct chat_client *w = room->clients; w; w = w->next, listed++) {
        size_t nick_len = strlen(w->nick);
        if (n + nick_len + 2 > SL_CHAT_LINE_MAX) {
            n += (size_t)snprintf(line + n, sizeof line - n, " ... and %lu more",
                                  room->nclients - listed);
            break;
        }
        n += (size_t)snprintf(line + n, sizeof line - n, "%s %s", listed ? "," : "", w->nick);
    }
    line[n++] = '\n';
    deliver(c, line, n, &c->waits);
    pthread_rwlock_unlock(&room->lock);
    bp_wait(&c->waits, line, n);
}

void room_close(struct chat_room *room)
{
    static const char notice[] = "*** server shutting down\n";

    pthread_rwlock_wrlock(&room->lock);
    room->closing = true;
    for (struct chat_client *c = room->clients; c; c = c->next)
        deliver(c, notice, sizeof notice - 1, NULL); /* forced: no one waits */
    pthread_rwlock_unlock(&room->lock);
}
