/* windows: skip — tests SIGPIPE and RLIMIT_NOFILE (sys/resource.h), which Windows has not */
/* Process-level helpers: step 1 (SIGPIPE ignored), the client limit a host
 * can carry (descriptors, threads, memory), the monotonic clock and the
 * absolute deadlines pthread_cond_timedwait wants. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "socklab/runtime.h"

static unsigned long long read_proc(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

static void test_startup_ignores_sigpipe(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    assert_int_equal(sl_startup(NULL, err), 0);
    struct sigaction sa;
    assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
    assert_ptr_equal(sa.sa_handler, SIG_IGN);
    sl_cleanup(NULL);
}

static void test_client_limit_follows_the_descriptor_limit(void **state)
{
    (void)state;
    struct rlimit saved, rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    rl = saved;
    rl.rlim_cur = 1000;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    /* 80 kept for the server's own descriptors. */
    assert_int_equal(sl_host_client_limit(0, 1, 0), 920);
    assert_int_equal(sl_host_client_limit(0, 4, 0), 230);
    rl.rlim_cur = 40; /* a small limit: half of it kept */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    assert_int_equal(sl_host_client_limit(0, 1, 0), 20);
    rl.rlim_cur = 1;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    assert_int_equal(sl_host_client_limit(0, 1, 0), 1); /* never 0 */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

static void test_client_limit_leaves_half_the_tasks_and_memory(void **state)
{
    (void)state;
    unsigned long long tasks = read_proc("/proc/sys/kernel/threads-max");
    unsigned long long pids = read_proc("/proc/sys/kernel/pid_max");
    if (tasks == 0 || pids == 0)
        skip();
    if (pids < tasks)
        tasks = pids;
    struct rlimit nproc;
    if (getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY &&
        nproc.rlim_cur < tasks)
        tasks = nproc.rlim_cur;
    assert_true(sl_host_client_limit(1, 0, 0) <= tasks / 2);
    assert_true(sl_host_client_limit(2, 0, 0) <= tasks / 4);
    assert_true(sl_host_client_limit(2, 0, 0) >= tasks / 4 - 1);
    /* A client costing 1 TiB: the memory of this machine carries one at most. */
    assert_int_equal(sl_host_client_limit(0, 0, (size_t)1 << 40), 1);
}

static void test_monotonic_clock_and_deadlines(void **state)
{
    (void)state;
    uint64_t t0 = sl_monotonic_ns();
    int64_t m0 = sl_monotonic_ms();
    usleep(20000);
    uint64_t t1 = sl_monotonic_ns();
    assert_true(t1 - t0 >= 20000000u);
    assert_true(sl_monotonic_ms() - m0 >= 20);
    assert_true((int64_t)(t1 / 1000000u) >= m0);

    struct timespec now, deadline;
    clock_gettime(CLOCK_REALTIME, &now);
    sl_deadline_after_ms(&deadline, 1999); /* carries into the seconds */
    assert_true(deadline.tv_nsec >= 0 && deadline.tv_nsec < 1000000000L);
    double ahead =
        (double)(deadline.tv_sec - now.tv_sec) + (double)(deadline.tv_nsec - now.tv_nsec) / 1e9;
    assert_true(ahead > 1.99 && ahead < 2.1);
}

static void test_raise_nofile_takes_the_hard_limit(void **state)
{
    (void)state;
    struct rlimit saved, rl;
    long now = 0;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    if (saved.rlim_max == RLIM_INFINITY || saved.rlim_max < 64)
        skip();
    rl = saved;
    rl.rlim_cur = 32;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    assert_int_equal(sl_raise_nofile(&now), 0);
    assert_int_equal(now, (long)saved.rlim_max);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup_ignores_sigpipe),
        cmocka_unit_test(test_client_limit_follows_the_descriptor_limit),
        cmocka_unit_test(test_client_limit_leaves_half_the_tasks_and_memory),
        cmocka_unit_test(test_monotonic_clock_and_deadlines),
        cmocka_unit_test(test_raise_nofile_takes_the_hard_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
