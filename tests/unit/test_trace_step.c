/* labels: threaded */
/* windows: skip — --step's pause ends with SIGUSR1 there is no kill() for (Windows: Enter) */
/* --step: a pause that waits (no terminal, no signal) until SIGUSR1 ends it,
 * and says so. (The trace lines: test_trace.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "socklab/trace.h"

/* A trace writing into a pipe, and what came out of it. */
struct captured {
    struct sl_trace t;
    int pipe[2];
    char text[4096];
};

static const char *output(struct captured *c)
{
    ssize_t n = read(c->pipe[0], c->text, sizeof c->text - 1);
    c->text[n > 0 ? n : 0] = '\0';
    return c->text;
}

struct pauser {
    const struct sl_trace *t;
    atomic_bool done;
};

static void *pause_once(void *arg)
{
    struct pauser *p = arg;
    sl_trace_before(p->t, SL_STEP_ACCEPT);
    atomic_store(&p->done, true);
    return NULL;
}

static void test_step_pauses_until_sigusr1(void **state)
{
    (void)state;
    struct captured c;
    assert_int_equal(sl_trace_init(&c.t, SL_ROLE_TCP_SERVER, false, true), 0);
    assert_int_equal(pipe(c.pipe), 0);
    fcntl(c.pipe[0], F_SETFL, O_NONBLOCK);
    c.t.out_fd = c.pipe[1];
    struct pauser p = {.t = &c.t};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, pause_once, &p), 0);
    usleep(150000);
    assert_false(atomic_load(&p.done)); /* waiting: no terminal, no signal */
    kill(getpid(), SIGUSR1);            /* blocked everywhere: the pause takes it */
    pthread_join(tid, NULL);
    assert_true(atomic_load(&p.done));
    char want[128];
    snprintf(want, sizeof want, "--step: next [6/9] accept: press Enter (or kill -USR1 %ld)\n",
             (long)getpid());
    assert_string_equal(output(&c), want);
    close(c.pipe[0]);
    close(c.pipe[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_pauses_until_sigusr1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
