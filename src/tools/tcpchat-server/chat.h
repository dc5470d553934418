/* The chat room: who is connected, and how a line reaches everyone. */
#ifndef CHAT_H
#define CHAT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "backpressure.h"
#include "command_parse.h"
#include "fanout.h"
#include "floodlimit.h"
#include "outqueue.h"
#include "socklab/addr.h"
#include "socklab/chat_proto.h" /* SL_CHAT_LINE_MAX */
#include "socklab/server.h"
#include "socklab/trace.h"

/* Per-client backlog bound (bytes queued because its socket buffer was
 * full); its talkers wait above half of it (see outqueue.h). */
#define CHAT_QUEUE_LIMIT (256 * 1024)
#define CHAT_SOCKET_SNDBUF (64 * 1024) /* per-client kernel send buffer (Linux doubles it) */
/* What a client may cost at worst, for the default cap: a full queue, a
 * full send buffer, and its reader's stack and line buffers. */
#define CHAT_CLIENT_BYTES                                                                          \
    (CHAT_QUEUE_LIMIT + OUTQ_NOTICE_SLACK + 2 * CHAT_SOCKET_SNDBUF + 64 * 1024)
/* A listener over its high-water mark that takes no byte for this long is
 * dropped (--stall-timeout). */
#define CHAT_STALL_MS_DEFAULT 10000
/* Joins and leaves are announced while the room holds at most this many
 * clients: beyond that, announcing each of N joins to N people costs N^2
 * deliveries (use /who instead). Drops for not reading are always told. */
#define CHAT_ANNOUNCE_MAX 500
/* A broadcast to at least this many clients shares the work with a fan-out
 * helper (fanout.h): below it, waking the helper costs about what it saves. */
#define CHAT_FANOUT_MIN 32
#define CHAT_NO_MEMORY "!!! server out of memory, try again later\n"

struct chat_client {
    struct chat_room *room;
    int fd;
    char peer[SL_ADDRSTRLEN];
    char nick[CHAT_NICK_MAX_BYTES + 1]; /* written under the room's write lock */
    struct outqueue out;
    struct bp_waits waits;           /* listeners this client's last line must wait for */
    struct bp_waits helper_waits;    /* the same, noted by a fan-out helper (fanout.h) */
    struct flood_bucket flood;       /* its flood limit */
    unsigned long lines;             /* lines received, for the trace */
    char quit_reason[256];           /* from /quit, sanitised */
    struct chat_client *prev, *next; /* the room's list */
};

struct chat_room {
    const char *prog;
    struct sl_trace trace;
    bool verbose;
    struct flood_rate flood; /* per-client limit (--flood) */
    int stall_ms;            /* --stall-timeout */
    /* Sends for listeners whose socket buffer was full: the only threads
     * besides one per client and the server's own. */
    struct writer_pool writers;
    /* A second thread for large broadcasts (fanout.h), a fixed few. */
    struct fanout_pool fanout;

    /* Readers (broadcasts, /who, /msg) share it; joins, leaves and renames
     * take it exclusively. Never held across a blocking call: a push is a
     * non-blocking send, or a copy into a queue. */
    pthread_rwlock_t lock;
    struct chat_client *clients; /* newest first */
    struct chat_client *oldest;  /* the list's tail, where a fan-out helper starts */
    unsigned long nclients;
    unsigned long next_guest;
    atomic_bool closing;
};

int room_init(struct chat_room *room);

/* Adds C under a fresh unique "guestN" nick and queues its welcome line,
 * both under the write lock: no broadcast can reach C before its queue
 * exists (outq_init) or before its welcome. Returns 0, or -1 when the room
 * is closing (C is not added). The cap on clients is sl_server's. */
int room_join(struct chat_room *room, struct chat_client *c);

/* Removes C; afterwards nobody can push to its queue. */
void room_leave(struct chat_room *room, struct chat_client *c);

/* Sends LEN bytes (a whole line with its LF) to every client but FROM.
 * Only FROM's own thread calls it (and the others below that take a
 * client): the call returns once every listener FROM filled past its
 * high-water mark is back under its low-water mark, or was dropped for
 * taking nothing for the stall time (backpressure.h). */
void room_broadcast(struct chat_room *room, struct chat_client *from, const char *line, size_t len);

/* Formats "*** text" and broadcasts it, from FROM, if the room is small
 * enough (CHAT_ANNOUNCE_MAX) or ALWAYS is set. */
void room_announce(struct chat_room *room, struct chat_client *from, bool always, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* Sends a formatted line to C alone (from C's own thread). */
void room_tell(struct chat_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Renames C. Returns 0, or -1 when NICK is taken by someone else. OLD gets
 * the previous nick. */
int room_rename(struct chat_room *room, struct chat_client *c, const char *nick, char *old,
                size_t oldlen);

/* Sends LEN bytes, from FROM, to the client called NICK. Returns 0, -1 if
 * none. */
int room_send_to(struct chat_room *room, struct chat_client *from, const char *nick,
                 const char *line, size_t len);

/* Sends C the list of nicks in one line. */
void room_who(struct chat_room *room, struct chat_client *c);

/* Server shutdown, first half: no one joins any more and everyone is told.
 * sl_server_stop() then ends their readers and waits for their threads. */
void room_close(struct chat_room *room);

/* sl_server's SERVE for the room (session.c): the notes' "thread that
 * communicates with this client". CTX is the room. */
void chat_serve(struct sl_conn *conn, void *ctx);

/* Handles a line starting with '/'. Returns false when the client quits. */
bool chat_command(struct chat_client *c, const char *line, size_t len);

#endif
