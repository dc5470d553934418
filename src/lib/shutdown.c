/* Stop requests (SIGINT/SIGTERM, Ctrl-C) turned into a readable fd. The
 * platform layer watches for them (platform.h: sl_stop_watch_start); no
 * signal handler touches this module's state. */
#include "socklab/shutdown.h"

#include <errno.h>

#include "internal.h"
#include "socklab/trace.h"
#include "socklab/runtime.h"

/* The platform's watcher calls this for each stop request. The first one
 * is recorded and wakes the fd; a second one is not taken, and ends the
 * program the system's way. */
static bool on_stop_request(void *arg, int signo)
{
    struct sl_shutdown *s = arg;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&s->signo, &expected, signo))
        return false;
    sl_wakeup_signal(s->pipe_wr);
    return true;
}

int sl_shutdown_init(struct sl_shutdown *s, struct sl_trace *t, char err[SL_ERRLEN])
{
    int fds[2];

    s->started = false;
    atomic_init(&s->signo, 0);
    atomic_init(&s->watching, false);
    if (sl_wakeup_open(fds) < 0) {
        sl_errno(err, "pipe");
        return -1;
    }
    s->pipe_rd = fds[0];
    s->pipe_wr = fds[1];
    int rc = sl_stop_watch_start(&s->watch, on_stop_request, s);
    if (rc != 0) {
        errno = rc;
        sl_errno(err, "shutdown watcher");
        sl_wakeup_close(fds);
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
    if (atomic_compare_exchange_strong(&s->signo, &expected, -1))
        sl_wakeup_signal(s->pipe_wr);
}

void sl_shutdown_free(struct sl_shutdown *s)
{
    if (!s->started)
        return;
    sl_stop_watch_end(&s->watch);
    atomic_store(&s->watching, false);
    int fds[2] = {s->pipe_rd, s->pipe_wr};
    sl_wakeup_close(fds);
    s->started = false;
}
