/* wrap: accept */
/* TCP listen, accept and connect on loopback: the happy paths on IPv4 and
 * IPv6, and the ways they must fail - a stop request, descriptor
 * exhaustion, a refused or unanswered connect. accept() is wrapped so a
 * test can make it fail the way a loaded server sees it fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "socklab/addr.h"
#include "socklab/runtime.h"
#include "socklab/tcp.h"

int __real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len);

/* Test-side knobs: the next ACCEPT_FAILS calls fail with ACCEPT_ERRNO. */
static int accept_fails;
static int accept_errno;
static int accept_calls;

int __wrap_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    accept_calls++;
    if (accept_fails > 0) {
        accept_fails--;
        errno = accept_errno;
        return -1;
    }
    return __real_accept(fd, addr, len);
}

static int reset(void **state)
{
    (void)state;
    accept_fails = 0;
    accept_errno = 0;
    accept_calls = 0;
    return 0;
}

static void assert_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", text, want);
}

static void port_string(int fd, char port[8])
{
    int p = sl_local_port(fd);
    assert_true(p > 0);
    snprintf(port, 8, "%d", p);
}

/* Blocking, seen from outside (Windows cannot be asked): with nothing to
 * read, a receive waits for its time limit instead of failing at once.
 * A timed-out receive may leave a Windows socket unusable: check last. */
static bool waits_for_data(int fd)
{
    char c;
    assert_int_equal(sl_socket_set_recv_timeout(fd, 100), 0);
    int64_t t0 = sl_monotonic_ms();
    assert_int_equal(recv(fd, &c, 1, 0), -1);
    return sl_monotonic_ms() - t0 >= 50;
}

/* Sends BYTE from A and expects it at B. */
static void assert_carries(int a, int b, char byte)
{
    char got = 0;
    assert_int_equal(send(a, &byte, 1, 0), 1);
    assert_int_equal(recv(b, &got, 1, 0), 1);
    assert_int_equal(got, byte);
}

/* Listen on HOST port 0, connect to it, accept: both ends are connected
 * blocking sockets and the peer accept() reports is the client's address. */
static void listen_connect_accept(const char *listen_host, int family, const char *connect_host)
{
    char err[SL_ERRLEN] = "", port[8];
    char peer_name[SL_ADDRSTRLEN], client_name[SL_ADDRSTRLEN];
    struct sockaddr_storage peer;
    socklen_t peerlen = 0;

    int lfd = sl_listen_tcp(listen_host, "0", family, 16, NULL, err);
    if (lfd < 0)
        fail_msg("sl_listen_tcp(%s): %s", listen_host ? listen_host : "NULL", err);
    int reuse = 0;
    socklen_t rlen = sizeof reuse;
    assert_int_equal(getsockopt(lfd, SOL_SOCKET, SL_SO_LISTEN_REUSE, (void *)&reuse, &rlen), 0);
    assert_true(reuse);
    port_string(lfd, port);

    int cfd = sl_connect_tcp(connect_host, port, AF_UNSPEC, 2000, -1, NULL, err);
    if (cfd < 0)
        fail_msg("sl_connect_tcp(%s, %s): %s", connect_host, port, err);

    int afd = sl_accept(lfd, -1, &peer, &peerlen, NULL, err);
    if (afd < 0)
        fail_msg("sl_accept: %s", err);
    assert_true(peerlen > 0);
    sl_format_addr((struct sockaddr *)&peer, peerlen, peer_name, sizeof peer_name);
    sl_format_local(cfd, client_name, sizeof client_name);
    assert_string_equal(peer_name, client_name);

    assert_carries(cfd, afd, 'x');
    assert_carries(afd, cfd, 'y');
    assert_true(waits_for_data(cfd));
    assert_true(waits_for_data(afd)); /* our per-client code wants blocking sockets */
    sl_socket_close(afd);
    sl_socket_close(cfd);
    sl_socket_close(lfd);
}

static void test_listen_accept_ipv4(void **state)
{
    (void)state;
    listen_connect_accept("127.0.0.1", AF_INET, "127.0.0.1");
}

static void test_listen_accept_ipv6(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    int probe = sl_listen_tcp("::1", "0", AF_INET6, 1, NULL, err);
    if (probe < 0)
        skip(); /* no IPv6 loopback here */
    sl_socket_close(probe);
    listen_connect_accept("::1", AF_INET6, "::1");
}

/* No host: one socket for both families, so an IPv4 client gets in too. */
static void test_listen_wildcard_is_dual_stack(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    int lfd = sl_listen_tcp(NULL, "0", AF_UNSPEC, 4, NULL, err);
    assert_true(lfd >= 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    sl_socket_close(lfd);
    if (ss.ss_family != AF_INET6)
        skip(); /* the documented fallback where IPv6 is absent */
    listen_connect_accept(NULL, AF_UNSPEC, "127.0.0.1");
}

static void test_listen_port_in_use(void **state)
{
    (void)state;
    char err[SL_ERRLEN] = "", port[8];
    int lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 4, NULL, err);
    assert_true(lfd >= 0);
    port_string(lfd, port);
    assert_int_equal(sl_listen_tcp("127.0.0.1", port, AF_INET, 4, NULL, err), -1);
    assert_contains(err, "Address already in use");
    sl_socket_close(lfd);
}

/* A thread that makes a wake-up channel readable after a delay: the stop
 * request arrives while the call under test is already waiting. */
struct delayed_stop {
    int wake[2]; /* wake[0] is the stop fd */
    int after_ms;
    pthread_t tid;
};

static void *stop_later(void *arg)
{
    struct delayed_stop *s = arg;
    struct timespec ts = {s->after_ms / 1000, (long)(s->after_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    sl_wakeup_signal(s->wake[1]);
    return NULL;
}

/* Returns the stop fd, readable AFTER_MS from now. */
static int stop_after(struct delayed_stop *s, int after_ms)
{
    s->after_ms = after_ms;
    assert_int_equal(sl_wakeup_open(s->wake), 0);
    assert_int_equal(pthread_create(&s->tid, NULL, stop_later, s), 0);
    return s->wake[0];
}

static void stop_done(struct delayed_stop *s)
{
    pthread_join(s->tid, NULL);
    sl_wakeup_close(s->wake);
}

static void test_accept_stop_fd_cancels(void **state)
{
    (void)state;
    char err[SL_ERRLEN] = "";
    struct delayed_stop ds;
    int lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 4, NULL, err);
    assert_true(lfd >= 0);
    int stop = stop_after(&ds, 100);

    int64_t t0 = sl_monotonic_ms();
    errno = 0;
    assert_int_equal(sl_accept(lfd, stop, NULL, NULL, NULL, err), -1);
    int64_t waited = sl_monotonic_ms() - t0;
    assert_int_equal(errno, ECANCELED);
    assert_string_equal(err, "accept: shutting down");
    assert_true(waited >= 80); /* it did wait for the stop */
    assert_int_equal(accept_calls, 0);

    stop_done(&ds);
    sl_socket_close(lfd);
}

/* A loopback listener with one client in its backlog, not yet accepted. */
static void listen_with_pending_client(int *lfd, int *cfd)
{
    char err[SL_ERRLEN] = "", port[8];
    *lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 4, NULL, err);
    assert_true(*lfd >= 0);
    port_string(*lfd, port);
    *cfd = sl_connect_tcp("127.0.0.1", port, AF_INET, 2000, -1, NULL, err);
    assert_true(*cfd >= 0);
}

/* Out of descriptors: the pending connection cannot be taken, and retrying
 * at once would fail again at 100% CPU. Each call must pause before
 * returning -1, try accept() once, and leave the client in the backlog to
 * be served when descriptors are free again. */
static void test_accept_emfile_pauses_and_keeps_the_client(void **state)
{
    (void)state;
    if (!SL_UNIT_WRAP_REACHES_LIBRARY)
        skip(); /* our __wrap_accept never sees the library's accept() */
    char err[SL_ERRLEN] = "";
    int lfd, cfd;
    listen_with_pending_client(&lfd, &cfd);

    accept_errno = EMFILE;
    accept_fails = 3;
    int64_t t0 = sl_monotonic_ms();
    for (int i = 0; i < 3; i++) {
        errno = 0;
        assert_int_equal(sl_accept(lfd, -1, NULL, NULL, NULL, err), -1);
        assert_int_equal(errno, EMFILE);
        assert_contains(err, "accept: Too many open files");
    }
    int64_t waited = sl_monotonic_ms() - t0;
    assert_int_equal(accept_calls, 3); /* one attempt per call: no spinning */
    if (waited < 3 * 90)
        fail_msg("three failing calls returned after %lld ms: no pause", (long long)waited);

    int afd = sl_accept(lfd, -1, NULL, NULL, NULL, err);
    assert_true(afd >= 0);
    assert_carries(cfd, afd, 'z');
    sl_socket_close(afd);
    sl_socket_close(cfd);
    sl_socket_close(lfd);
}

/* A client that reset before we accepted it is not our failure: retried.
 * Linux says ECONNABORTED, Windows WSAECONNRESET, Wine WSAENOTCONN (the
 * layer hands the last two on as ECONNRESET and ENOTCONN). */
static void test_accept_retries_a_client_reset_before_accept(void **state)
{
    (void)state;
    if (!SL_UNIT_WRAP_REACHES_LIBRARY)
        skip(); /* our __wrap_accept never sees the library's accept() */
    static const int reset_errors[] = {ECONNABORTED, ECONNRESET, ENOTCONN};
    for (size_t i = 0; i < sizeof reset_errors / sizeof reset_errors[0]; i++) {
        char err[SL_ERRLEN] = "";
        int lfd, cfd;
        listen_with_pending_client(&lfd, &cfd);
        accept_errno = reset_errors[i];
        accept_fails = 2;
        accept_calls = 0;
        int afd = sl_accept(lfd, -1, NULL, NULL, NULL, err);
        if (afd < 0)
            fail_msg("errno %d was not retried: %s", reset_errors[i], err);
        assert_int_equal(accept_calls, 3);
        sl_socket_close(afd);
        sl_socket_close(cfd);
        sl_socket_close(lfd);
    }
}

/* A bound socket that does not listen: the kernel answers a SYN with RST. */
static void test_connect_refused(void **state)
{
    (void)state;
    char err[SL_ERRLEN] = "", port[8], want[64];
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int closed = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(closed >= 0);
    assert_int_equal(bind(closed, (struct sockaddr *)&sin, sizeof sin), 0);
    port_string(closed, port);

    errno = 0;
    assert_int_equal(sl_connect_tcp("127.0.0.1", port, AF_INET, 2000, -1, NULL, err), -1);
    assert_int_equal(errno, ECONNREFUSED);
    snprintf(want, sizeof want, "connect 127.0.0.1:%s: Connection refused", port);
    assert_string_equal(err, want);
    sl_socket_close(closed);
}

/* A listener with backlog 0 whose queue holds an unaccepted connection:
 * Linux drops further SYNs, so the next connect hangs in SYN_SENT - the
 * unanswered server that timeouts and stop requests exist for. */
struct full_listener {
    int lfd;
    char port[8];
    int clients[4];
    int nclients;
};

static void fill_backlog(struct full_listener *f)
{
    char err[SL_ERRLEN];
    f->lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 0, NULL, err);
    assert_true(f->lfd >= 0);
    port_string(f->lfd, f->port);
    for (f->nclients = 0; f->nclients < 4; f->nclients++) {
        int fd = sl_connect_tcp("127.0.0.1", f->port, AF_INET, 300, -1, NULL, err);
        if (fd < 0) {
            assert_int_equal(errno, ETIMEDOUT);
            return;
        }
        f->clients[f->nclients] = fd;
    }
    fail_msg("a backlog-0 listener took 4 connections: cannot make a hanging connect");
}

static void release_backlog(struct full_listener *f)
{
    for (int i = 0; i < f->nclients; i++)
        sl_socket_close(f->clients[i]);
    sl_socket_close(f->lfd);
}

static void test_connect_timeout(void **state)
{
    (void)state;
    struct full_listener f;
    char err[SL_ERRLEN] = "", want[80];
    fill_backlog(&f);

    int64_t t0 = sl_monotonic_ms();
    errno = 0;
    assert_int_equal(sl_connect_tcp("127.0.0.1", f.port, AF_INET, 200, -1, NULL, err), -1);
    int64_t waited = sl_monotonic_ms() - t0;
    assert_int_equal(errno, ETIMEDOUT);
    snprintf(want, sizeof want, "connect 127.0.0.1:%s: timed out after 200 ms", f.port);
    assert_string_equal(err, want);
    if (waited < 190 || waited > 2000)
        fail_msg("a 200 ms timeout took %lld ms", (long long)waited);
    release_backlog(&f);
}

static void test_connect_stop_fd_cancels(void **state)
{
    (void)state;
    struct full_listener f;
    char err[SL_ERRLEN] = "";
    struct delayed_stop ds;
    fill_backlog(&f);
    int stop = stop_after(&ds, 100);

    int64_t t0 = sl_monotonic_ms();
    errno = 0;
    /* The timeout is a safety net: cancellation must come well before it. */
    assert_int_equal(sl_connect_tcp("127.0.0.1", f.port, AF_INET, 5000, stop, NULL, err), -1);
    int64_t waited = sl_monotonic_ms() - t0;
    assert_int_equal(errno, ECANCELED);
    assert_contains(err, "stopped");
    if (waited < 80 || waited > 2000)
        fail_msg("stop after 100 ms returned after %lld ms", (long long)waited);

    stop_done(&ds);
    release_backlog(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_listen_accept_ipv4, reset),
        cmocka_unit_test_setup(test_listen_accept_ipv6, reset),
        cmocka_unit_test_setup(test_listen_wildcard_is_dual_stack, reset),
        cmocka_unit_test_setup(test_listen_port_in_use, reset),
        cmocka_unit_test_setup(test_accept_stop_fd_cancels, reset),
        cmocka_unit_test_setup(test_accept_emfile_pauses_and_keeps_the_client, reset),
        cmocka_unit_test_setup(test_accept_retries_a_client_reset_before_accept, reset),
        cmocka_unit_test_setup(test_connect_refused, reset),
        cmocka_unit_test_setup(test_connect_timeout, reset),
        cmocka_unit_test_setup(test_connect_stop_fd_cancels, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
