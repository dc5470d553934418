/* SIGINT/SIGTERM turned into a readable fd, by a thread that sigwait()s.
 * No signal handler runs, so there is no global flag and nothing that is
 * unsafe in a handler: the waiter is an ordinary thread. */
#include "socklab/shutdown.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "internal.h"
#include "socklab/trace.h"
#include "socklab/runtime.h"

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

static void *wait_for_signal(void *arg)
{
    struct sl_shutdown *s = arg;
    sigset_t set;
    stop_signals(&set);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        int expected = 0;
        if (atomic_compare_exchange_strong(&s->signo, &expected, sig)) {
            char byte = 1;
            (void)!write(s->pipe_wr, &byte, 1);
            continue;
        }
        /* Second request: the program is not stopping. End it the way the
         * signal would have without us. */
        signal(sig, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
    }
    return NULL;
}

int sl_shutdown_init(struct sl_shutdown *s, struct sl_trace *t, char err[SL_ERRLEN])
{
    int fds[2];
    sigset_t set;

    s->started = false;
    atomic_init(&s->signo, 0);
    atomic_init(&s->watching, false);
    if (pipe(fds) < 0) {
        sl_errno(err, "pipe");
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    s->pipe_rd = fds[0];
    s->pipe_wr = fds[1];
    stop_signals(&set);
    int rc = pthread_sigmask(SIG_BLOCK, &set, &s->old_mask);
    if (rc == 0)
        rc = sl_thread_start(&s->waiter, wait_for_signal, s, 64 * 1024);
    if (rc != 0) {
        errno = rc;
        sl_errno(err, "shutdown watcher");
        pthread_sigmask(SIG_SETMASK, &s->old_mask, NULL);
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    s->started = true;
    atomic_store(&s->watching, true);
    if (t != NULL)
        sl_trace_watch_stop(t, s); /* Ctrl-C ends a --step pause */
    return 0;
}

int sl_shutdown_fd(const struct sl_shutdown *s)
{
    return s->pipe_rd;
}

int sl_shutdown_requested(const struct sl_shutdown *s)
{
    return atomic_load(&s->signo);
}

bool sl_shutdown_watching(const struct sl_shutdown *s)
{
    return atomic_load(&s->watching);
}

void sl_shutdown_request(struct sl_shutdown *s)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&s->signo, &expected, -1)) {
        char byte = 1;
        (void)!write(s->pipe_wr, &byte, 1);
    }
}

void sl_shutdown_free(struct sl_shutdown *s)
{
    if (!s->started)
        return;
    /* sigwait() is a cancellation point. */
    pthread_cancel(s->waiter);
    pthread_join(s->waiter, NULL);
    atomic_store(&s->watching, false);
    close(s->pipe_rd);
    close(s->pipe_wr);
    /* SIGINT/SIGTERM stay blocked to the end: one that comes while the
     * program is already finishing must not turn its exit status into
     * "killed by a signal". */
    s->started = false;
}
