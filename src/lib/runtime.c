/* Steps 1 and last of the notes, and process limits for big servers. */
#include "socklab/runtime.h"

#include <errno.h>

#include "internal.h"
#include "socklab/platform.h"

int sl_startup(const struct sl_trace *t, char err[SL_ERRLEN])
{
    char what[160];
    sl_trace_before(t, SL_STEP_STARTUP);
    /* Windows: WSAStartup(MAKEWORD(2, 2)) picks Winsock 2.2 here; POSIX
     * sockets need no start-up (see the platform layer). */
    if (sl_platform_startup(what, sizeof what, err) < 0)
        return -1;
    sl_trace_step(t, SL_STEP_STARTUP, -1, "%s", what);
    return 0;
}

void sl_cleanup(const struct sl_trace *t)
{
    char what[160];
    sl_trace_before(t, SL_STEP_CLEANUP);
    sl_platform_cleanup(what, sizeof what); /* Windows: WSACleanup() */
    sl_trace_step(t, SL_STEP_CLEANUP, -1, "%s", what);
}

int sl_raise_nofile(long *now)
{
    return sl_platform_raise_fd_limit(now);
}

uint64_t sl_monotonic_ns(void)
{
    return sl_platform_clock_ns();
}

int64_t sl_monotonic_ms(void)
{
    return (int64_t)(sl_monotonic_ns() / 1000000u);
}

static unsigned long long min_ull(unsigned long long a, unsigned long long b)
{
    return a < b ? a : b;
}

unsigned long sl_host_client_limit(unsigned threads_per_client, unsigned fds_per_client,
                                   size_t bytes_per_client)
{
    unsigned long long n = 10000000; /* --max-clients' own ceiling */
    uint64_t fds = sl_platform_fd_limit();
    if (fds_per_client && fds != UINT64_MAX) {
        /* Ours: stdio, the listener, pipes, a lingering refusal or 64
         * (server.h), logs: 80 of a big limit, half of a small one. */
        unsigned long long reserve = min_ull(80, fds / 2);
        n = min_ull(n, fds > reserve ? (fds - reserve) / fds_per_client : 1);
    }
    if (threads_per_client)
        n = min_ull(n, sl_platform_task_limit(n) / 2 / threads_per_client);
    if (bytes_per_client) {
        unsigned long long avail = sl_platform_memory_available();
        if (avail > 0)
            n = min_ull(n, avail / 2 / bytes_per_client);
    }
    return n > 0 ? (unsigned long)n : 1;
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
