/* Steps 1 and last of the notes, and process limits for big servers. */
#include "socklab/runtime.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

#include "internal.h"

int sl_startup(const struct sl_trace *t, char err[SL_ERRLEN])
{
    sl_trace_before(t, SL_STEP_STARTUP);
    /* Windows: WSAStartup(MAKEWORD(2, 2), &wsa) picks Winsock 2.2 here.
     * POSIX sockets need no start-up; we only stop SIGPIPE from killing us
     * when we write to a peer that has gone. */
    struct sigaction sa = {.sa_handler = SIG_IGN};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) < 0) {
        sl_errno(err, "sigaction SIGPIPE");
        return -1;
    }
    sl_trace_step(t, SL_STEP_STARTUP, -1,
                  "protocol version: POSIX sockets, nothing to start (SIGPIPE ignored)");
    return 0;
}

void sl_cleanup(const struct sl_trace *t)
{
    sl_trace_before(t, SL_STEP_CLEANUP);
    /* Windows: WSACleanup(). POSIX: nothing to release. */
    sl_trace_step(t, SL_STEP_CLEANUP, -1, "cleanup: POSIX sockets, nothing to release");
}

int sl_raise_nofile(long *now)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            return -1;
    }
    if (now)
        *now = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
    return 0;
}

uint64_t sl_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t sl_monotonic_ms(void)
{
    return (int64_t)(sl_monotonic_ns() / 1000000u);
}

void sl_deadline_after_ms(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int start_thread(pthread_t *tid, void *(*fn)(void *), void *arg, size_t stack, int detach)
{
    pthread_attr_t attr;
    pthread_t ignored;
    int rc = pthread_attr_init(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_attr_setstacksize(&attr, stack ? stack : SL_THREAD_STACK);
    if (rc == 0 && detach)
        rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (rc == 0)
        rc = pthread_create(tid ? tid : &ignored, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return rc;
}

int sl_thread_start_detached(void *(*fn)(void *), void *arg, size_t stack)
{
    return start_thread(NULL, fn, arg, stack, 1);
}

int sl_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg, size_t stack)
{
    return start_thread(tid, fn, arg, stack, 0);
}
