/* Steps 1 and last of the notes, and process limits for big servers. */
#include "socklab/runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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

/* The first number in FILE (e.g. /proc/sys/kernel/threads-max), or
 * FALLBACK. For memory: the "KEY: N kB" line of /proc/meminfo, in bytes. */
static unsigned long long read_number(const char *file, const char *key,
                                      unsigned long long fallback)
{
    FILE *f = fopen(file, "re");
    char line[256];
    unsigned long long v = fallback;
    if (f == NULL)
        return fallback;
    while (fgets(line, sizeof line, f)) {
        size_t klen = key ? strlen(key) : 0;
        if (key && strncmp(line, key, klen) != 0)
            continue;
        if (sscanf(line + klen, " %llu", &v) == 1 && key)
            v *= 1024; /* meminfo says kB */
        break;
    }
    fclose(f);
    return v;
}

static unsigned long long min_ull(unsigned long long a, unsigned long long b)
{
    return a < b ? a : b;
}

unsigned long sl_host_client_limit(unsigned threads_per_client, unsigned fds_per_client,
                                   size_t bytes_per_client)
{
    unsigned long long n = 10000000; /* --max-clients' own ceiling */
    struct rlimit rl;
    if (fds_per_client && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        /* Ours: stdio, the listener, pipes, a lingering refusal or 64
         * (server.h), logs: 80 of a big limit, half of a small one. */
        unsigned long long reserve = min_ull(80, rl.rlim_cur / 2);
        n = min_ull(n, rl.rlim_cur > reserve ? (rl.rlim_cur - reserve) / fds_per_client : 1);
    }
    if (threads_per_client) {
        unsigned long long tasks = min_ull(read_number("/proc/sys/kernel/threads-max", NULL, n),
                                           read_number("/proc/sys/kernel/pid_max", NULL, n));
        if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
            tasks = min_ull(tasks, rl.rlim_cur);
        n = min_ull(n, tasks / 2 / threads_per_client);
    }
    if (bytes_per_client) {
        unsigned long long avail = read_number("/proc/meminfo", "MemAvailable:", 0);
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
