/* A sender waits for the listeners it filled (see backpressure.h). */
#include "backpressure.h"

#include <stdio.h>
#include <stdlib.h>

/* Notes that the sender must wait for Q. False when out of memory. */
static bool hold(struct bp_waits *w, struct outqueue *q, bool unsent)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        struct bp_held *grown = realloc(w->held, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        w->held = grown;
        w->cap = cap;
    }
    outq_hold(q);
    w->held[w->n++] = (struct bp_held){q, unsent};
    return true;
}

void bp_deliver(struct bp_waits *w, struct outqueue *q, const char *line, size_t len)
{
    enum outq_push_result r = outq_push(q, line, len);
    if (r == OUTQ_OK || r == OUTQ_GONE)
        return;
    if (w != NULL && hold(w, q, r == OUTQ_FULL))
        return;
    if (r == OUTQ_FULL) /* no one can wait: a notice still goes in */
        (void)outq_push_force(q, line, len);
}

/* Drops a listener that stopped reading, telling it why first. */
static void evict(struct outqueue *q, int stall_ms)
{
    char notice[160];
    int n = snprintf(notice, sizeof notice,
                     "!!! disconnected: you read nothing for %g s while over %d KiB waited\n",
                     stall_ms / 1000.0, (int)(q->high / 1024));
    outq_evict(q, notice, (size_t)n);
}

/* Waits for one held queue; pushes the line once it fits. */
static void wait_one(struct bp_held *h, const char *line, size_t len, int stall_ms)
{
    for (;;) {
        switch (outq_wait_drained(h->q, stall_ms)) {
        case OUTQ_ENDED:
            return;
        case OUTQ_STALLED:
            evict(h->q, stall_ms);
            return;
        case OUTQ_DRAINED:
            break;
        }
        if (!h->unsent)
            return;
        enum outq_push_result r = outq_push(h->q, line, len);
        if (r != OUTQ_FULL) /* another sender may have filled it again */
            h->unsent = false;
        if (r != OUTQ_CONGESTED && r != OUTQ_FULL)
            return;
    }
}

void bp_wait(struct bp_waits *w, const char *line, size_t len)
{
    for (size_t i = 0; i < w->n; i++) {
        wait_one(&w->held[i], line, len, w->stall_ms);
        outq_release(w->held[i].q);
    }
    w->n = 0;
}

void bp_free(struct bp_waits *w)
{
    free(w->held);
    w->held = NULL;
    w->n = w->cap = 0;
}
