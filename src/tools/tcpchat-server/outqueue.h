/* A client's outgoing bytes: written at once when the socket takes them,
 * queued (bounded) only when it does not.
 *
 * Anyone may push (under the room's lock). A push to a client with nothing
 * queued is a non-blocking send() straight into its socket from the
 * pushing thread: a broadcast costs no wake-up of any other thread. What
 * the socket buffer does not take is queued, and the writer pool
 * (writerpool.h) is asked to call outq_drain() once the socket is writable
 * again; while anything is queued, pushes only append, so bytes leave in
 * the order they were pushed. Every push and send happens under the
 * queue's lock: two senders' lines never interleave inside a line, and a
 * line cut by a full buffer is finished before anything else.
 *
 * Backpressure, not eviction: the backlog (bytes queued, not yet sent)
 * never exceeds LIMIT bytes. A push that would exceed it is refused
 * (OUTQ_FULL) and one that leaves the backlog above HIGH says so
 * (OUTQ_CONGESTED): the sender then waits, without the room's lock, with
 * outq_wait_drained() until the pool has brought it down to LOW, and does
 * not read on meanwhile, so TCP slows it down. Only a client that has
 * taken no byte for the stall time while its backlog stays above LOW is
 * dropped (outq_evict), and it is told why first if it ever reads again.
 *
 * Memory: one buffer of at most LIMIT + OUTQ_NOTICE_SLACK bytes, only
 * while something is queued (a client that keeps up has none). */
#ifndef CHAT_OUTQUEUE_H
#define CHAT_OUTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "writerpool.h"

#define OUTQ_NOTICE_SLACK 1024 /* room for a forced notice past LIMIT */

struct outqueue {
    pthread_mutex_t lock;
    /* To waiting senders and outq_finish: the backlog fell to LOW or to
     * nothing, the queue ended, or the pool's call came. */
    pthread_cond_t drained;
    int fd;
    struct writer_pool *pool;
    char *buf;               /* the backlog is buf[head, len) */
    size_t head, len, cap;   /* cap <= limit + OUTQ_NOTICE_SLACK */
    size_t limit, high, low; /* bounds on the backlog */
    int64_t progress_ms;     /* when the client last took bytes, or the backlog began */
    unsigned holders;        /* senders that may still touch the queue unlocked */
    bool armed;              /* the pool owes us one outq_drain() call */
    bool registered;         /* FD is in the pool's epoll set */
    bool mid_line;           /* what the client got so far ends inside a line */
    bool closing;            /* outq_finish: no more pushes, the backlog goes out */
    bool evicted;            /* dropped for not reading: pushes fail, its notice goes out */
    bool dead;               /* a send failed: drop everything from now on */
};

enum outq_push_result {
    OUTQ_OK,        /* sent or appended */
    OUTQ_CONGESTED, /* appended; the backlog is now over HIGH: wait for it */
    OUTQ_FULL,      /* not appended: over LIMIT; wait, then push again */
    OUTQ_GONE,      /* not appended: the client is gone or going */
};

enum outq_wait_result { OUTQ_DRAINED, OUTQ_STALLED, OUTQ_ENDED };

/* Makes an empty queue for non-blocking-capable socket FD, drained by
 * POOL when backlogged: backlog bounds LIMIT, HIGH = LIMIT/2, LOW =
 * LIMIT/4. Returns 0 or an errno value. */
int outq_init(struct outqueue *q, int fd, size_t limit, struct writer_pool *pool);

/* Sends or appends LEN bytes (see enum outq_push_result). */
enum outq_push_result outq_push(struct outqueue *q, const char *data, size_t len);

/* Sends or appends a server notice of at most OUTQ_NOTICE_SLACK bytes
 * even over LIMIT, for who cannot wait (the welcome, under the room's
 * write lock, and the shutdown notice). Returns 0, or -1 if the client is
 * gone. */
int outq_push_force(struct outqueue *q, const char *data, size_t len);

/* The writer pool's call (writer_pool_start's READY): sends what the
 * socket takes now, and asks again while anything is left. */
void outq_drain(void *q);

/* Keeps Q alive for a sender that will wait on it after dropping the room
 * lock: call it under the room lock, and outq_release() when done. */
void outq_hold(struct outqueue *q);
void outq_release(struct outqueue *q);

/* Waits until the backlog is at most LOW (OUTQ_DRAINED), the queue ends
 * (OUTQ_ENDED), or the client has taken no byte for STALL_MS with the
 * backlog still above LOW (OUTQ_STALLED). Q must be held. */
enum outq_wait_result outq_wait_drained(struct outqueue *q, int stall_ms);

/* Drops a client that stopped reading: its backlog is discarded (but for
 * the rest of a line it already got part of) for NOTICE (sent if it ever
 * reads again), pushes fail from now on, and its reader wakes with
 * end-of-stream. Returns false if it was already gone. */
bool outq_evict(struct outqueue *q, const char *notice, size_t len);

/* Lets the pool send what is queued, for WAIT_MS at most: a client that
 * does not read meanwhile is cut off (shutdown). Then waits for the pool's
 * last call and for the holders, and frees the queue. */
void outq_finish(struct outqueue *q, int wait_ms);

bool outq_evicted(struct outqueue *q);

#endif
