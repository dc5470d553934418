/* A small fixed pool of writer threads for sockets that are backlogged.
 *
 * Fan-out writes straight into each listener's socket from the thread that
 * broadcasts (outqueue.c); only what a full socket buffer does not take is
 * queued, and then the queue asks the pool to call it back once the
 * socket is writable again (writer_pool_arm). The pool is about one thread
 * per core, whatever the number of clients: on Linux one epoll set
 * (writerpool.c), elsewhere a poll() loop (writerpool_poll.c, for
 * Windows' WSAPoll), chosen by CMake.
 *
 * One-shot rule: every arm gives exactly one call of READY (EPOLLONESHOT),
 * and the fd is never armed twice before that call. So the owner of an
 * item knows when no pool thread can touch it any more: when it is not
 * armed. To end an armed item whose socket never becomes writable, shut
 * the socket down (the hang-up is an event too) and wait for the call. */
#ifndef CHAT_WRITERPOOL_H
#define CHAT_WRITERPOOL_H

#include <pthread.h>
#include <stdbool.h>

#define WRITER_POOL_MAX 8

struct writer_pool_state; /* the back end's own */

struct writer_pool {
    struct writer_pool_state *state;
};

/* About one thread per online core, at least 1 and at most WRITER_POOL_MAX. */
unsigned writer_pool_default_size(void);

/* Starts NTHREADS threads that call READY. Returns 0 or an errno value. */
int writer_pool_start(struct writer_pool *p, unsigned nthreads, void (*ready)(void *item));

/* Asks for one READY(ITEM) call once FD is writable. ADD: FD is not in
 * the set yet. Returns 0, or -1 with errno (the call will not come). */
int writer_pool_arm(struct writer_pool *p, int fd, void *item, bool add);

/* Takes FD out of the set; only once it is not armed. */
void writer_pool_forget(struct writer_pool *p, int fd);

/* Stops and joins the threads (at exit: items still armed are not called). */
void writer_pool_stop(struct writer_pool *p);

#endif
