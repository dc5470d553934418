/* A client's bounded outgoing queue, drained by its own writer thread.
 *
 * Anyone may push (under the room's lock); only the writer sends, and it
 * never holds the queue's lock while it does: it swaps the pending bytes
 * out and sends them unlocked, so every line that piled up meanwhile goes
 * out in one send(). A client that stops reading fills its queue; the push
 * that would exceed the bound fails, and the client is dropped instead of
 * stalling whoever was talking. */
#ifndef CHAT_OUTQUEUE_H
#define CHAT_OUTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct outqueue {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    int fd;
    char *buf; /* pending bytes, swapped with the writer's spare */
    size_t len, cap;
    size_t limit;
    bool closing;    /* the writer exits once the queue is empty */
    bool overflowed; /* a push exceeded the limit */
    bool dead;       /* a send failed: drop everything from now on */
    bool finished;   /* the writer has exited its loop */
    bool started;    /* outq_start() launched the writer */
    pthread_cond_t done;
    pthread_t writer;
};

/* Makes an empty queue for socket FD that can take pushes at once (they
 * wait until outq_start()). Returns 0 or an errno value. */
int outq_init(struct outqueue *q, int fd, size_t limit);

/* Starts the writer. Returns 0 or an errno value. */
int outq_start(struct outqueue *q);

/* Appends LEN bytes. Returns 0, or -1 if the queue would exceed its limit
 * (then nothing is appended and the queue is marked overflowed) or the
 * client is already gone. */
int outq_push(struct outqueue *q, const char *data, size_t len);

/* Lets the writer send what is queued, then stops and joins it, and frees
 * the queue (also one whose writer never started: its bytes are dropped).
 * A client that does not read within WAIT_MS is cut off (shutdown) so the
 * writer's blocked send() fails and the join cannot hang. */
void outq_finish(struct outqueue *q, int wait_ms);

bool outq_overflowed(struct outqueue *q);

#endif
