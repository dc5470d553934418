/* Process-level helpers on every system: the monotonic clock, the absolute
 * deadlines pthread_cond_timedwait wants, and the client limit that the
 * host's memory sets. (POSIX's limits and SIGPIPE: test_runtime_limits.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>
#include <unistd.h>

#include "socklab/runtime.h"

static void test_client_limit_follows_memory(void **state)
{
    (void)state;
    /* A client costing 1 TiB: the memory of this machine carries one at most. */
    assert_int_equal(sl_host_client_limit(0, 0, (size_t)1 << 40), 1);
    assert_true(sl_host_client_limit(0, 0, 1 << 20) > 1);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_limit_follows_memory),
        cmocka_unit_test(test_monotonic_clock_and_deadlines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
