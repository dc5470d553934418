/* Fan-out helpers: a second thread for one large broadcast.
 *
 * A line to a thousand listeners is a thousand sends, each also running
 * the loopback receiver's side of TCP; from one thread that is one core's
 * work while the other cores wait. A broadcast to many listeners offers
 * half of its work to an idle helper (fanout_try_start): the helper walks
 * the room's list from the tail while the sender walks it from the head,
 * and they stop where they meet (room.c). The sender then waits for its
 * helper (fanout_finish), so a sender's lines still go out one after the
 * other. No helper idle (another sender has it): the sender does it all,
 * as before. The helpers are a fixed few (one less than the cores, at
 * least one, at most FANOUT_MAX), whatever the number of clients. */
#ifndef CHAT_FANOUT_H
#define CHAT_FANOUT_H

#include <pthread.h>
#include <stdbool.h>

#define FANOUT_MAX 4

struct fanout_helper {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    void (*work)(void *arg); /* the job while busy */
    void *arg;
    bool busy, done, stopping;
};

struct fanout_pool {
    struct fanout_helper helpers[FANOUT_MAX];
    unsigned n;
};

/* One less than the online cores, at least 1 and at most FANOUT_MAX. */
unsigned fanout_default_size(void);

/* Starts N helper threads. Returns 0 or an errno value. */
int fanout_start(struct fanout_pool *p, unsigned n);

/* Hands WORK(ARG) to an idle helper: the helper, or NULL when all are busy
 * (the caller then does the work itself). */
struct fanout_helper *fanout_try_start(struct fanout_pool *p, void (*work)(void *), void *arg);

/* Waits until H has finished the work fanout_try_start gave it. */
void fanout_finish(struct fanout_helper *h);

/* Stops and joins the helpers (none may be busy). */
void fanout_stop(struct fanout_pool *p);

#endif
