/* wrap: send recv write */
/* windows: skip — mocks send/recv/write with --wrap, which misses the library's Winsock calls */
/* sl_send_all / sl_recv_all / sl_write_all against forced short transfers
 * and EINTR: the wrapped calls below sit between the library and libc. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/io.h"

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __real_write(int fd, const void *buf, size_t len);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_write(int fd, const void *buf, size_t len);

/* Test-side knobs: at most MAX_CHUNK bytes per call, and every EINTR_EVERY-th
 * call fails with EINTR before moving anything. */
static size_t max_chunk = (size_t)-1;
static int eintr_every;
static int calls, eintrs;
static int last_send_flags;

static int inject_eintr(void)
{
    calls++;
    if (eintr_every && calls % eintr_every == 0) {
        eintrs++;
        errno = EINTR;
        return 1;
    }
    return 0;
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    last_send_flags = flags;
    if (inject_eintr())
        return -1;
    return __real_send(fd, buf, len < max_chunk ? len : max_chunk, flags);
}

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
    if (inject_eintr())
        return -1;
    return __real_recv(fd, buf, len < max_chunk ? len : max_chunk, flags);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len)
{
    if (inject_eintr())
        return -1;
    return __real_write(fd, buf, len < max_chunk ? len : max_chunk);
}

static int reset(void **state)
{
    (void)state;
    max_chunk = (size_t)-1;
    eintr_every = 0;
    calls = eintrs = 0;
    return 0;
}

static void fill_pattern(char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(i * 7 + 3);
}

static void test_recv_all_partial_eintr_and_eof(void **state)
{
    (void)state;
    int sv[2];
    char out[500], in[800];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fill_pattern(out, sizeof out);
    assert_int_equal(sl_send_all(sv[0], out, sizeof out), 0);
    close(sv[0]); /* end of stream after 500 bytes */
    max_chunk = 7;
    eintr_every = 3;
    assert_int_equal(sl_recv_all(sv[1], in, sizeof in), 500); /* short: EOF, not error */
    assert_true(eintrs > 10);
    assert_memory_equal(in, out, sizeof out);
    close(sv[1]);
}

static void test_send_all_to_vanished_peer_is_epipe_not_sigpipe(void **state)
{
    (void)state;
    int sv[2];
    /* SIGPIPE left at its default (terminate): MSG_NOSIGNAL alone saves us. */
    signal(SIGPIPE, SIG_DFL);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    errno = 0;
    assert_int_equal(sl_send_all(sv[0], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(sv[0]);
}

struct slow_reader {
    int fd;
    size_t total;
    char *got;
};

static void *drain(void *arg)
{
    struct slow_reader *r = arg;
    size_t n = 0;
    while (n < r->total) {
        ssize_t k = read(r->fd, r->got + n, 4096);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    return NULL;
}

static void test_send_all_partial_and_eintr(void **state)
{
    (void)state;
    int sv[2];
    char out[1000], in[1000];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fill_pattern(out, sizeof out);
    /* Tiny sends fill a Unix socket's buffer fast (per-packet overhead):
     * read them as they come. */
    struct slow_reader r = {sv[1], sizeof in, in};
    pthread_t tid;
    pthread_create(&tid, NULL, drain, &r);
    max_chunk = 3;
    eintr_every = 2;
    assert_int_equal(sl_send_all(sv[0], out, sizeof out), 0);
    assert_true(eintrs > 100); /* the loop really met EINTR and short sends */
    assert_true(last_send_flags & MSG_NOSIGNAL);
    pthread_join(tid, NULL);
    assert_memory_equal(in, out, sizeof out);
    close(sv[0]);
    close(sv[1]);
}

static void test_send_all_nonblocking_waits_instead_of_failing(void **state)
{
    (void)state;
    int sv[2], small = 4096;
    size_t total = 1 << 20;
    char *out = malloc(total), *in = malloc(total);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fill_pattern(out, total);
    struct slow_reader r = {sv[1], total, in};
    pthread_t tid;
    pthread_create(&tid, NULL, drain, &r);
    assert_int_equal(sl_send_all(sv[0], out, total), 0); /* EAGAIN -> poll, not -1 */
    pthread_join(tid, NULL);
    assert_memory_equal(in, out, total);
    close(sv[0]);
    close(sv[1]);
    free(out);
    free(in);
}

static void test_write_all_pipe(void **state)
{
    (void)state;
    int p[2];
    char out[300], in[300];
    assert_int_equal(pipe(p), 0);
    fill_pattern(out, sizeof out);
    max_chunk = 1;
    eintr_every = 5;
    assert_int_equal(sl_write_all(p[1], out, sizeof out), 0);
    assert_true(eintrs > 0);
    max_chunk = (size_t)-1;
    eintr_every = 0;
    assert_int_equal(read(p[0], in, sizeof in), (ssize_t)sizeof in);
    assert_memory_equal(in, out, sizeof out);
    close(p[0]);
    close(p[1]);
}

static void test_recv_some_retries_eintr(void **state)
{
    (void)state;
    int sv[2];
    char c = 0;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], "z", 1), 1);
    /* The next call is number 2 of "every 2nd fails": EINTR, then #3 reads. */
    eintr_every = 2;
    calls = 1;
    assert_int_equal(sl_recv_some(sv[1], &c, 1), 1);
    assert_int_equal(c, 'z');
    assert_int_equal(eintrs, 1);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_send_all_partial_and_eintr, reset),
        cmocka_unit_test_setup(test_recv_all_partial_eintr_and_eof, reset),
        cmocka_unit_test_setup(test_send_all_to_vanished_peer_is_epipe_not_sigpipe, reset),
        cmocka_unit_test_setup(test_send_all_nonblocking_waits_instead_of_failing, reset),
        cmocka_unit_test_setup(test_write_all_pipe, reset),
        cmocka_unit_test_setup(test_recv_some_retries_eintr, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
