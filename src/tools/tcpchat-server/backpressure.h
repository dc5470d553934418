/* Backpressure: a sender that filled someone's queue waits for it.
 *
 * Delivering a line happens under the room's lock, which must never be
 * held across a blocking call. So delivery only notes, for each listener
 * whose queue is over its high-water mark or too full to take the line,
 * that the sender must wait for it (bp_note, holding the queue), and the
 * sender waits after the room lock is released (bp_wait): until each such
 * queue is down to its low-water mark, pushing the lines that did not fit
 * then. The sender reads nothing meanwhile, so TCP slows it down. A
 * listener that takes no byte for the stall time is dropped instead, and
 * told why first. Lines from one sender keep their order for everyone. */
#ifndef CHAT_BACKPRESSURE_H
#define CHAT_BACKPRESSURE_H

#include <stdbool.h>
#include <stddef.h>

#include "outqueue.h"

struct bp_held {
    struct outqueue *q;
    bool unsent; /* the line did not fit: push it after the wait */
};

/* A sender's list of queues to wait for; reused from line to line. */
struct bp_waits {
    struct bp_held *held;
    size_t n, cap;
    int stall_ms;
};

/* Under the room lock: pushes LEN bytes to Q and, if it must wait for Q,
 * holds Q in W. W NULL (cannot wait, e.g. under the write lock): a line
 * that does not fit is forced in if short, else lost for Q. */
void bp_deliver(struct bp_waits *w, struct outqueue *q, const char *line, size_t len);

/* Without the room lock: waits for every queue noted since the last call,
 * pushes LINE (the same LEN bytes) where it did not fit, drops listeners
 * that stalled, and lets go of the queues. */
void bp_wait(struct bp_waits *w, const char *line, size_t len);

void bp_free(struct bp_waits *w);

#endif
