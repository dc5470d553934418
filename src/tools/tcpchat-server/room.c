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
    room->clients = NULL;
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
    room->clients = c;
    room->nclients++;
    room_tell(c, "*** welcome, you are %s; /help lists the commands", c->nick);
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
    room->nclients--;
    pthread_rwlock_unlock(&room->lock);
}

/* Queues LINE for C, or cuts C off if it is too far behind. Called with
 * the room lock held (shared), so C cannot leave meanwhile. */
static void deliver(struct chat_client *c, const char *line, size_t len)
{
    if (outq_push(&c->out, line, len) < 0 && outq_overflowed(&c->out))
        /* Its reader wakes with end-of-stream and announces the drop; its
         * writer, maybe blocked in send(), fails at once. */
        shutdown(c->fd, SHUT_RDWR);
}

void room_broadcast(struct chat_room *room, const struct chat_client *from, const char *line,
                    size_t len)
{
    pthread_rwlock_rdlock(&room->lock);
    for (struct chat_client *c = room->clients; c; c = c->next)
        if (c != from)
            deliver(c, line, len);
    pthread_rwlock_unlock(&room->lock);
}

void room_announce(struct chat_room *room, const struct chat_client *from, bool always,
                   const char *fmt, ...)
{
    char line[SL_CHAT_LINE_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    pthread_rwlock_rdlock(&room->lock);
    if (always || room->nclients <= CHAT_ANNOUNCE_MAX)
        for (struct chat_client *c = room->clients; c; c = c->next)
            if (c != from)
                deliver(c, line, (size_t)n);
    pthread_rwlock_unlock(&room->lock);
}

void room_tell(struct chat_client *c, const char *fmt, ...)
{
    char line[SL_CHAT_LINE_MAX * 3 + 256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    deliver(c, line, (size_t)n);
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

int room_send_to(struct chat_room *room, const char *nick, const char *line, size_t len)
{
    pthread_rwlock_rdlock(&room->lock);
    struct chat_client *c = find_nick(room, nick);
    if (c)
        deliver(c, line, len);
    pthread_rwlock_unlock(&room->lock);
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
    deliver(c, line, n);
    pthread_rwlock_unlock(&room->lock);
}

void room_close(struct chat_room *room)
{
    static const char notice[] = "*** server shutting down\n";

    pthread_rwlock_wrlock(&room->lock);
    room->closing = true;
    for (struct chat_client *c = room->clients; c; c = c->next)
        deliver(c, notice, sizeof notice - 1);
    pthread_rwlock_unlock(&room->lock);
}
