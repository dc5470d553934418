/* Graceful shutdown on SIGINT/SIGTERM without global variables.
 *
 * sl_shutdown_init() has the platform layer watch for stop requests: on
 * POSIX it blocks SIGINT and SIGTERM in the calling thread (and so in every
 * thread it creates afterwards) and starts a small thread that waits for
 * them with sigwait(); on Windows a console control handler takes Ctrl-C,
 * Ctrl-Break and the console's closing. When one arrives it records it and makes
 * sl_shutdown_fd() readable, so an accept loop polling that fd wakes up.
 * A second signal of the same kind ends the process at once (the default
 * action), so a stuck program can always be stopped with a second Ctrl-C. */
#ifndef SOCKLAB_SHUTDOWN_H
#define SOCKLAB_SHUTDOWN_H

#include <stdatomic.h>
#include <stdbool.h>

#include "socklab/err.h"
#include "socklab/platform.h"

struct sl_shutdown {
    int pipe_rd;
    int pipe_wr;
    atomic_int signo;           /* the signal that asked us to stop, or 0 */
    atomic_bool watching;       /* the waiter thread is there to take the signals */
    struct sl_stop_watch watch; /* the platform's: a sigwait thread, a console handler */
    bool started;
};

struct sl_trace;

/* Call from main before creating any thread. When T is not NULL, a stop
 * request also ends a --step pause of T (sl_trace_watch_stop). S must
 * then outlive every thread using T (keep it static in a server).
 * Returns 0 or -1 + ERR. */
int sl_shutdown_init(struct sl_shutdown *s, struct sl_trace *t, char err[SL_ERRLEN]);

/* Readable once shutdown has been requested; poll it beside other fds. */
int sl_shutdown_fd(const struct sl_shutdown *s);

/* The signal number that requested shutdown, -1 for sl_shutdown_request,
 * or 0 while none has. */
int sl_shutdown_requested(const struct sl_shutdown *s);

/* True while the waiter thread takes SIGINT/SIGTERM (between init and
 * free). Afterwards they stay blocked, and a --step pause takes them. */
bool sl_shutdown_watching(const struct sl_shutdown *s);

/* Requests shutdown from the program itself (as if a signal arrived). */
void sl_shutdown_request(struct sl_shutdown *s);

/* Stops the waiter thread and closes the pipe. After a stop request a
 * trace's remaining --step pauses are skipped; otherwise SIGINT/SIGTERM end
 * such a pause (e.g. at clean-up). The signals stay blocked, so one
 * arriving while the program finishes does not change how it exits. The
 * state that threads may still read (sl_shutdown_requested/_watching)
 * stays valid. */
void sl_shutdown_free(struct sl_shutdown *s);

#endif
