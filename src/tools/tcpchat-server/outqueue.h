/* A client's bounded outgoing queue, drained by its own writer thread.
 *
 * Anyone may push (under the room's lock); only the writer sends, and it
 * never holds the queue's lock while it does: it swaps the pending bytes
 * out and sends them unlocked, so every line that piled up meanwhile goes
 * out in one send().
 *
 * Backpressure, not eviction: the backlog (pending plus what the writer
 * still holds) never exceeds LIMIT bytes. A push that would exceed it is
 * refused (OUTQ_FULL) and one that leaves the backlog above HIGH says so
 * (OUTQ_CONGESTED): the sender then waits, without the room's lock, with
 * outq_wait_drained() until the writer has brought it down to LOW, and
 * does not read on meanwhile, so TCP slows it down. Only a client that has
 * taken no byte for the stall time while its backlog stays above LOW is
 * dropped (outq_evict), and it is told why first if it ever reads again.
 *
 * Memory: a backlog of at most LIMIT bytes (plus one server notice, see
 * outq_push_force), in two buffers of at most LIMIT + OUTQ_NOTICE_SLACK
 * bytes each (the pending one and the writer's). */
#ifndef CHAT_OUTQUEUE_H
#define CHAT_OUTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTQ_NOTICE_SLACK 1024 /* room for a forced notice past LIMIT */

struct outqueue {
    pthread_mutex_t lock;
    pthread_cond_t ready;   /* to the writer: bytes to send, or closing */
    pthread_cond_t drained; /* to waiting senders: backlog <= low, or the queue ended */
    pthread_cond_t done;    /* to outq_finish: the writer is out of its loop */
    int fd;
    char *buf; /* pending bytes, swapped with the writer's spare */
    size_t len, cap;
    size_t inflight;         /* taken by the writer, not sent yet */
    size_t limit, high, low; /* bounds on len + inflight */
    int64_t progress_ms;     /* when the client last took bytes (or the writer took a backlog) */
    unsigned holders;        /* senders that may still touch the queue unlocked */
    bool closing;            /* the writer exits once the queue is empty */
    bool evicted;            /* dropped for not reading: pushes fail, its notice goes out */
    bool dead;               /* a send failed: drop everything from now on */
    bool finished;           /* the writer has exited its loop */
    bool started;            /* outq_start() launched the writer */
    pthread_t writer;
};

enum outq_push_result {
    OUTQ_OK,        /* appended */
    OUTQ_CONGESTED, /* appended; the backlog is now over HIGH: wait for it */
    OUTQ_FULL,      /* not appended: over LIMIT; wait, then push again */
    OUTQ_GONE,      /* not appended: the client is gone or going */
};

enum outq_wait_result { OUTQ_DRAINED, OUTQ_STALLED, OUTQ_ENDED };

/* Makes an empty queue for socket FD that can take pushes at once (they
 * wait until outq_start()): backlog bounds LIMIT, HIGH = LIMIT/2, LOW =
 * LIMIT/4. Returns 0 or an errno value. */
int outq_init(struct outqueue *q, int fd, size_t limit);

/* Starts the writer. Returns 0 or an errno value. */
int outq_start(struct outqueue *q);

/* Appends LEN bytes (see enum outq_push_result). */
enum outq_push_result outq_push(struct outqueue *q, const char *data, size_t len);

/* Appends a server notice of at most OUTQ_NOTICE_SLACK bytes even over
 * LIMIT, for who cannot wait (the welcome, under the room's write lock,
 * and the shutdown notice). Returns 0, or -1 if the client is gone. */
int outq_push_force(struct outqueue *q, const char *data, size_t len);

/* Keeps Q alive for a sender that will wait on it after dropping the room
 * lock: call it under the room lock, and outq_release() when done. */
void outq_hold(struct outqueue *q);
void outq_release(struct outqueue *q);

/* Waits until the backlog is at most LOW (OUTQ_DRAINED), the queue ends
 * (OUTQ_ENDED), or the client has taken no byte for STALL_MS with the
 * backlog still above LOW (OUTQ_STALLED). Q must be held. */
enum outq_wait_result outq_wait_drained(struct outqueue *q, int stall_ms);

/* Drops a client that stopped reading: its backlog is discarded for
 * NOTICE (sent if it ever reads again), pushes fail from now on, and its
 * reader wakes with end-of-stream. Returns false if it was already gone. */
bool outq_evict(struct outqueue *q, const char *notice, size_t len);

/* Lets the writer send what is queued, then stops and joins it, waits for
 * the holders, and frees the queue (also one whose writer never started:
 * its bytes are dropped). A client that does not read within WAIT_MS is
 * cut off (shutdown) so the writer's blocked send fails and the join
 * cannot hang. */
void outq_finish(struct outqueue *q, int wait_ms);

bool outq_evicted(struct outqueue *q);

#endif
