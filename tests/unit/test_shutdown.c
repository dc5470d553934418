/* labels: threaded */
/* windows: skip — stops by kill(SIGINT/SIGTERM), Windows by console events (it.test_windows) */
/* Shutdown on SIGINT/SIGTERM, and its contract with the trace: a stop
 * request makes the fd readable and is remembered; --step pauses end on
 * it and are skipped after it; after sl_shutdown_free a pause takes
 * SIGINT itself. Threads that go on reading the trace while main frees the
 * shutdown must not race with it (TSan runs this file). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "socklab/runtime.h"
#include "socklab/shutdown.h"
#include "socklab/trace.h"

static bool readable(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, wait_ms) == 1 && (p.revents & POLLIN);
}

/* A --step trace whose pause lines go to /dev/null. */
static void step_trace(struct sl_trace *t)
{
    assert_int_equal(sl_trace_init(t, SL_ROLE_TCP_SERVER, false, true), 0);
    t->out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert_true(t->out_fd >= 0);
}

static void test_signal_makes_the_fd_readable(void **state)
{
    (void)state;
    static struct sl_shutdown s;
    char err[SL_ERRLEN];
    assert_int_equal(sl_shutdown_init(&s, NULL, err), 0);
    assert_true(sl_shutdown_watching(&s));
    assert_false(readable(sl_shutdown_fd(&s), 0));
    assert_int_equal(sl_shutdown_requested(&s), 0);
    kill(getpid(), SIGTERM); /* blocked here: the watcher thread takes it */
    assert_true(readable(sl_shutdown_fd(&s), 2000));
    assert_int_equal(sl_shutdown_requested(&s), SIGTERM);
    sl_shutdown_free(&s);
    assert_false(sl_shutdown_watching(&s));
    assert_int_equal(sl_shutdown_requested(&s), SIGTERM); /* still readable by late threads */
}

static void test_request_from_the_program(void **state)
{
    (void)state;
    static struct sl_shutdown s;
    char err[SL_ERRLEN];
    assert_int_equal(sl_shutdown_init(&s, NULL, err), 0);
    sl_shutdown_request(&s);
    sl_shutdown_request(&s); /* a second request changes nothing */
    assert_true(readable(sl_shutdown_fd(&s), 0));
    assert_int_equal(sl_shutdown_requested(&s), -1);
    sl_shutdown_free(&s);
}

struct pauser {
    const struct sl_trace *t;
    atomic_bool started, done;
    int rounds;
};

static void *pause_once(void *arg)
{
    struct pauser *p = arg;
    atomic_store(&p->started, true);
    sl_trace_before(p->t, SL_STEP_CLOSE);
    atomic_store(&p->done, true);
    return NULL;
}

static void *pause_many(void *arg)
{
    struct pauser *p = arg;
    atomic_store(&p->started, true);
    for (int i = 0; i < p->rounds; i++)
        sl_trace_before(p->t, SL_STEP_COMMUNICATE);
    atomic_store(&p->done, true);
    return NULL;
}

static void test_stop_request_ends_a_pause(void **state)
{
    (void)state;
    static struct sl_trace t;
    static struct sl_shutdown s;
    char err[SL_ERRLEN];
    step_trace(&t);
    assert_int_equal(sl_shutdown_init(&s, &t, err), 0);
    struct pauser p = {.t = &t};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, pause_once, &p), 0);
    usleep(100000);
    assert_false(atomic_load(&p.done)); /* paused: no Enter, no SIGUSR1 */
    kill(getpid(), SIGINT);
    pthread_join(tid, NULL);
    assert_true(atomic_load(&p.done));
    sl_shutdown_free(&s);
    close(t.out_fd);
}

/* The race the old contract had: sl_shutdown_free wrote into the trace
 * while threads that outlived the stop read it. Under TSan a write there
 * is reported and fails the test. */
static void test_threads_outliving_the_stop_do_not_race_with_free(void **state)
{
    (void)state;
    static struct sl_trace t;
    static struct sl_shutdown s;
    char err[SL_ERRLEN];
    step_trace(&t);
    assert_int_equal(sl_shutdown_init(&s, &t, err), 0);
    sl_shutdown_request(&s); /* stopping: every pause is skipped at once */
    struct pauser p[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        p[i] = (struct pauser){.t = &t, .rounds = 20000};
        assert_int_equal(pthread_create(&tid[i], NULL, pause_many, &p[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        while (!atomic_load(&p[i].started))
            usleep(1000);
    sl_shutdown_free(&s); /* while they still read the trace */
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        assert_true(atomic_load(&p[i].done));
    }
    close(t.out_fd);
}

static void test_after_free_a_pause_takes_sigint_itself(void **state)
{
    (void)state;
    static struct sl_trace t;
    static struct sl_shutdown s;
    char err[SL_ERRLEN];
    step_trace(&t);
    assert_int_equal(sl_shutdown_init(&s, &t, err), 0);
    sl_shutdown_free(&s); /* no stop was requested: pauses still wait */
    struct pauser p = {.t = &t};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, pause_once, &p), 0);
    usleep(100000);
    assert_false(atomic_load(&p.done));
    kill(getpid(), SIGINT); /* still blocked everywhere: only the pause can take it */
    pthread_join(tid, NULL);
    assert_true(atomic_load(&p.done));
    close(t.out_fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_makes_the_fd_readable),
        cmocka_unit_test(test_request_from_the_program),
        cmocka_unit_test(test_stop_request_ends_a_pause),
        cmocka_unit_test(test_threads_outliving_the_stop_do_not_race_with_free),
        cmocka_unit_test(test_after_free_a_pause_takes_sigint_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
