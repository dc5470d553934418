/* wrap: accept */
/* labels: threaded */
/* sl_server, the thread-per-connection server: connections served in their
 * own threads and closed by the module; the cap and its refusal line; the
 * accept limit (--once); hello and idle limits; stop-all by a deadline,
 * also against a client that reads nothing; accept failing with EMFILE
 * neither spins nor floods the log. Real sockets on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/addr.h"
#include "socklab/io.h"
#include "socklab/runtime.h"
#include "socklab/server.h"
#include "socklab/tcp.h"

int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);

static atomic_int accept_calls;
static atomic_bool accept_emfile; /* every accept() fails with EMFILE */

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    atomic_fetch_add(&accept_calls, 1);
    if (atomic_load(&accept_emfile)) {
        errno = EMFILE;
        return -1;
    }
    return __real_accept(fd, addr, len);
}

/* What the serve functions saw, and what the log said. */
struct fixture {
    struct sl_server server;
    char port[8];
    pthread_t runner;
    enum sl_server_end end;
    atomic_bool run_returned;
    atomic_int served;
    atomic_int last_errno; /* errno of a serve's failed receive */
    atomic_int info_lines, error_lines;
    char last_log[256];
    pthread_mutex_t log_lock;
};

static void test_log(void *ctx, enum sl_server_log_level level, const char *msg)
{
    struct fixture *f = ctx;
    atomic_fetch_add(level == SL_SERVER_INFO ? &f->info_lines : &f->error_lines, 1);
    pthread_mutex_lock(&f->log_lock);
    snprintf(f->last_log, sizeof f->last_log, "%s", msg);
    pthread_mutex_unlock(&f->log_lock);
}

/* Echoes until end of stream; a failed receive leaves its errno. */
static void serve_echo(struct sl_conn *conn, void *ctx)
{
    struct fixture *f = ctx;
    char buf[256];
    atomic_fetch_add(&f->served, 1);
    for (;;) {
        ssize_t n = sl_recv_some(conn->fd, buf, sizeof buf);
        if (n < 0)
            atomic_store(&f->last_errno, errno);
        if (n <= 0 || sl_send_all(conn->fd, buf, (size_t)n) < 0)
            return;
    }
}

/* Receives once (the hello), then waits for more with the idle limit. */
static void serve_hello_then_idle(struct sl_conn *conn, void *ctx)
{
    struct fixture *f = ctx;
    char buf[64];
    if (sl_recv_some(conn->fd, buf, sizeof buf) <= 0) {
        atomic_store(&f->last_errno, errno);
        return;
    }
    sl_conn_hello_done(conn);
    serve_echo(conn, ctx);
}

/* Sends until the send fails: a client that never reads blocks it. */
static void serve_flood(struct sl_conn *conn, void *ctx)
{
    struct fixture *f = ctx;
    static const char chunk[16384];
    atomic_fetch_add(&f->served, 1);
    while (sl_send_all(conn->fd, chunk, sizeof chunk) == 0)
        ;
    atomic_store(&f->last_errno, errno);
}

static void *run_server(void *arg)
{
    struct fixture *f = arg;
    f->end = sl_server_run(&f->server);
    atomic_store(&f->run_returned, true);
    return NULL;
}

static struct fixture *start(struct sl_server_config cfg)
{
    static struct fixture f; /* static: it outlives any thread, as in the tools */
    char err[SL_ERRLEN];
    memset(&f, 0, sizeof f);
    pthread_mutex_init(&f.log_lock, NULL);
    atomic_store(&accept_emfile, false);
    atomic_store(&accept_calls, 0);
    cfg.ctx = &f;
    cfg.log = test_log;
    assert_int_equal(sl_server_init(&f.server, &cfg, err), 0);
    int lfd = sl_server_listen(&f.server, "127.0.0.1", "0", AF_INET, 16, err);
    assert_true(lfd >= 0);
    char where[SL_ADDRSTRLEN];
    sl_format_local(lfd, where, sizeof where);
    snprintf(f.port, sizeof f.port, "%s", strrchr(where, ':') + 1);
    assert_int_equal(pthread_create(&f.runner, NULL, run_server, &f), 0);
    return &f;
}

/* Requests the stop, waits for the loop, stops everyone by GRACE_MS. */
static void finish(struct fixture *f, int grace_ms)
{
    sl_server_request_stop(&f->server);
    pthread_join(f->runner, NULL);
    sl_server_stop(&f->server, grace_ms);
    assert_int_equal(f->server.nconns, 0); /* every thread ended by the deadline */
    pthread_mutex_destroy(&f->log_lock);
}

static int client(struct fixture *f)
{
    char err[SL_ERRLEN];
    int fd = sl_connect_tcp("127.0.0.1", f->port, AF_INET, 2000, -1, NULL, err);
    if (fd < 0)
        fail_msg("connect: %s", err);
    return fd;
}

static void wait_for(atomic_int *counter, int want)
{
    for (int i = 0; i < 500 && atomic_load(counter) < want; i++)
        usleep(10000);
    assert_true(atomic_load(counter) >= want);
}

/* Reads until end of stream (2 s at most); returns the bytes read. */
static size_t read_to_eof(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 2000) <= 0)
            fail_msg("no end of stream within 2 s");
        ssize_t n = recv(fd, buf + got, cap - got, 0);
        if (n <= 0)
            return got;
        got += (size_t)n;
    }
}

static void test_serves_each_connection_in_its_own_thread(void **state)
{
    (void)state;
    struct fixture *f = start((struct sl_server_config){.serve = serve_echo});
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = client(f);
    wait_for(&f->served, 3);
    assert_int_equal(sl_server_clients(&f->server), 3);
    for (int i = 0; i < 3; i++) { /* all three at once: none waits for another */
        char msg[8], back[8] = "";
        snprintf(msg, sizeof msg, "hi %d", i);
        assert_int_equal(sl_send_all(fds[i], msg, strlen(msg)), 0);
        assert_int_equal(sl_recv_all(fds[i], back, strlen(msg)), (ssize_t)strlen(msg));
        assert_memory_equal(back, msg, strlen(msg));
    }
    sl_socket_close(fds[0]); /* a client leaving: the module closes its side */
    for (int i = 0; i < 200 && sl_server_clients(&f->server) != 2; i++)
        usleep(10000);
    assert_int_equal(sl_server_clients(&f->server), 2);
    finish(f, 1000); /* the other two see end of stream */
    assert_int_equal(f->end, SL_SERVER_STOPPED);
    char buf[16];
    assert_int_equal(read_to_eof(fds[1], buf, sizeof buf), 0);
    assert_int_equal(read_to_eof(fds[2], buf, sizeof buf), 0);
    sl_socket_close(fds[1]);
    sl_socket_close(fds[2]);
}

static void test_cap_refuses_with_the_tools_line(void **state)
{
    (void)state;
    struct fixture *f = start(
        (struct sl_server_config){.serve = serve_echo, .max_clients = 1, .refusal = "!!! full\n"});
    int first = client(f);
    wait_for(&f->served, 1);
    int second = client(f);
    char buf[64] = "";
    assert_int_equal(read_to_eof(second, buf, sizeof buf - 1), strlen("!!! full\n"));
    assert_string_equal(buf, "!!! full\n");
    wait_for(&f->info_lines, 1);
    pthread_mutex_lock(&f->log_lock);
    assert_non_null(strstr(f->last_log, "refused: --max-clients 1 reached"));
    pthread_mutex_unlock(&f->log_lock);
    assert_int_equal(atomic_load(&f->served), 1);
    sl_socket_close(second);
    sl_socket_close(first); /* room again: the next one is served */
    for (int i = 0; i < 200 && sl_server_clients(&f->server) != 0; i++)
        usleep(10000);
    int third = client(f);
    wait_for(&f->served, 2);
    sl_socket_close(third);
    finish(f, 1000);
}

static void test_accept_limit_ends_after_the_last_connection(void **state)
{
    (void)state;
    struct fixture *f = start((struct sl_server_config){.serve = serve_echo, .accept_limit = 1});
    int fd = client(f);
    wait_for(&f->served, 1);
    usleep(50000);
    assert_false(atomic_load(&f->run_returned)); /* still serving it */
    sl_socket_close(fd);
    pthread_join(f->runner, NULL);
    assert_int_equal(f->end, SL_SERVER_DONE);
    sl_server_stop(&f->server, 100);
    pthread_mutex_destroy(&f->log_lock);
}

static void test_idle_limit_ends_a_silent_connection(void **state)
{
    (void)state;
    struct fixture *f = start((struct sl_server_config){.serve = serve_echo, .idle_ms = 150});
    int fd = client(f);
    wait_for(&f->served, 1);
    int64_t t0 = sl_monotonic_ms();
    char buf[8];
    assert_int_equal(read_to_eof(fd, buf, sizeof buf), 0); /* the server closed it */
    int64_t waited = sl_monotonic_ms() - t0;
    assert_true(waited >= 100 && waited < 1500);
    assert_int_equal(atomic_load(&f->last_errno), ETIMEDOUT);
    sl_socket_close(fd);
    finish(f, 1000);
}

static void test_hello_limit_then_no_idle_limit(void **state)
{
    (void)state;
    struct fixture *f = start(
        (struct sl_server_config){.serve = serve_hello_then_idle, .hello_ms = 150, .idle_ms = 0});
    /* Silent past the hello limit: cut off. */
    int slow = client(f);
    char buf[8];
    assert_int_equal(read_to_eof(slow, buf, sizeof buf), 0);
    assert_int_equal(atomic_load(&f->last_errno), ETIMEDOUT);
    sl_socket_close(slow);
    /* A prompt hello, then a pause longer than the hello limit: served. */
    atomic_store(&f->last_errno, 0);
    int fd = client(f);
    assert_int_equal(sl_send_all(fd, "hello", 5), 0);
    usleep(400000);
    assert_int_equal(sl_send_all(fd, "late", 4), 0);
    assert_int_equal(sl_recv_all(fd, buf, 4), 4);
    assert_memory_equal(buf, "late", 4);
    assert_int_equal(atomic_load(&f->last_errno), 0);
    sl_socket_close(fd);
    finish(f, 1000);
}

static void test_stop_cuts_off_a_client_that_reads_nothing(void **state)
{
    (void)state;
    struct fixture *f = start((struct sl_server_config){.serve = serve_flood});
    int fd = client(f);
    wait_for(&f->served, 1);
    usleep(100000); /* its send buffer fills: the serve blocks in send() */
    int64_t t0 = sl_monotonic_ms();
    finish(f, 200); /* shutting the read side cannot wake a sender... */
    int64_t took = sl_monotonic_ms() - t0;
    assert_true(took >= 150 && took < 1500); /* ...the deadline does */
    assert_int_equal(atomic_load(&f->last_errno), EPIPE);
    sl_socket_close(fd);
}

static void test_emfile_neither_spins_nor_floods_the_log(void **state)
{
    (void)state;
    if (!SL_UNIT_WRAP_REACHES_LIBRARY)
        skip(); /* our __wrap_accept never sees the library's accept() */
    struct fixture *f = start((struct sl_server_config){.serve = serve_echo});
    atomic_store(&accept_emfile, true);
    int fd = client(f); /* queued in the backlog; accept() keeps failing */
    usleep(1500000);
    int calls = atomic_load(&accept_calls);
    int complaints = atomic_load(&f->error_lines);
    assert_true(calls >= 5 && calls <= 20);          /* a pause of 100 ms after each */
    assert_true(complaints >= 1 && complaints <= 2); /* once a second */
    pthread_mutex_lock(&f->log_lock);
    assert_non_null(strstr(f->last_log, "Too many open files"));
    pthread_mutex_unlock(&f->log_lock);
    atomic_store(&accept_emfile, false); /* descriptors again: it is served */
    wait_for(&f->served, 1);
    sl_socket_close(fd);
    finish(f, 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serves_each_connection_in_its_own_thread),
        cmocka_unit_test(test_cap_refuses_with_the_tools_line),
        cmocka_unit_test(test_accept_limit_ends_after_the_last_connection),
        cmocka_unit_test(test_idle_limit_ends_a_silent_connection),
        cmocka_unit_test(test_hello_limit_then_no_idle_limit),
        cmocka_unit_test(test_stop_cuts_off_a_client_that_reads_nothing),
        cmocka_unit_test(test_emfile_neither_spins_nor_floods_the_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
