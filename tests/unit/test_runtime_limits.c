/* windows: skip — sets RLIMIT_NOFILE, reads /proc and SIGPIPE's handler: POSIX's */
/* Process-level helpers on POSIX: step 1 (SIGPIPE ignored), the client
 * limit a host can carry by its descriptor, thread and pid limits, and
 * raising RLIMIT_NOFILE. (The clock and the memory limit: test_runtime.c.) */
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

static void test_client_limit_leaves_half_the_tasks(void **state)
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
        cmocka_unit_test(test_client_limit_leaves_half_the_tasks),
        cmocka_unit_test(test_raise_nofile_takes_the_hard_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
