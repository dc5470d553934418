/* wrap: mmap */
/* labels: threaded */
/* windows: skip — zerocopy.c (splice, sendfile, mmap) is Linux's, Windows has zerocopy_plain.c */
/* zerocopy.c: the CRC of a file range read from the page cache (any start,
 * across windows, a file that shrinks while mapped), sendfile() over a
 * socket pair, splice() from a socket into a file (and the read+pwrite
 * path for a file that cannot take a splice). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/crc32c.h"
#include "socklab/io.h"
#include "socklab/zerocopy.h"

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

/* Set by a test: the next file mapping is followed by a truncation of the
 * file to this many bytes, as if someone cut it while we read it. */
static off_t truncate_after_map = -1;

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    void *m = __real_mmap(addr, len, prot, flags, fd, off);
    if (m != MAP_FAILED && fd >= 0 && truncate_after_map >= 0) {
        assert_int_equal(ftruncate(fd, truncate_after_map), 0);
        truncate_after_map = -1;
    }
    return m;
}

#define FILE_SIZE (5 * SL_MAP_WINDOW + 4097) /* several windows, not whole pages */

static unsigned char *pattern(size_t n)
{
    unsigned char *p = malloc(n);
    assert_non_null(p);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

/* A temporary file holding DATA (N bytes), already unlinked. */
static int temp_file(const unsigned char *data, size_t n)
{
    char path[] = "/tmp/test_zerocopy.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(sl_write_all(fd, data, n), 0);
    return fd;
}

static void test_file_crc_any_range(void **state)
{
    (void)state;
    unsigned char *data = pattern(FILE_SIZE);
    int fd = temp_file(data, FILE_SIZE);
    static const uint64_t starts[] = {0, 1, 4095, 4096, 4097, SL_MAP_WINDOW - 3, 3 * 1000003};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        uint64_t off = starts[i];
        for (uint64_t len = 0; off + len <= FILE_SIZE; len = len * 3 + 4093) {
            uint32_t want = sl_crc32c(7, data + off, (size_t)len), got = 7;
            assert_int_equal(sl_crc32c_file(fd, off, len, &got), 0);
            if (got != want)
                fail_msg("off %llu len %llu: 0x%08X, want 0x%08X", (unsigned long long)off,
                         (unsigned long long)len, got, want);
        }
    }
    uint32_t crc = 0;
    assert_int_equal(sl_crc32c_file(fd, 0, FILE_SIZE, &crc), 0);
    assert_int_equal(crc, sl_crc32c(0, data, FILE_SIZE));
    close(fd);
    free(data);
}

static void test_file_crc_past_the_end_fails(void **state)
{
    (void)state;
    unsigned char *data = pattern(10000);
    int fd = temp_file(data, 10000);
    uint32_t crc = 0;
    errno = 0;
    assert_int_equal(sl_crc32c_file(fd, 5000, 5001, &crc), -1); /* never maps past the end */
    assert_int_equal(errno, ENODATA);
    close(fd);
    free(data);
}

/* Cut while mapped: without the guard, reading the lost pages is a SIGBUS
 * that kills the process; with it they read as zeros and the call fails. */
static void test_file_shrinking_while_mapped_fails_not_crashes(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    assert_int_equal(sl_map_guard_install(err), 0);
    unsigned char *data = pattern(FILE_SIZE);
    int fd = temp_file(data, FILE_SIZE);
    uint32_t crc = 0;
    truncate_after_map = 4096;
    errno = 0;
    assert_int_equal(sl_crc32c_file(fd, 0, FILE_SIZE, &crc), -1);
    assert_int_equal(errno, ENODATA);
    close(fd);
    free(data);
}

struct drain {
    int fd;
    size_t got;
    uint32_t crc;
};

static void *drain_socket(void *arg)
{
    struct drain *d = arg;
    unsigned char buf[65536];
    ssize_t n;
    while ((n = sl_recv_some(d->fd, buf, sizeof buf)) > 0) {
        d->crc = sl_crc32c(d->crc, buf, (size_t)n);
        d->got += (size_t)n;
    }
    return NULL;
}

static void test_sendfile_all_and_a_short_file(void **state)
{
    (void)state;
    unsigned char *data = pattern(FILE_SIZE);
    int fd = temp_file(data, FILE_SIZE), sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct drain d = {.fd = sv[1]};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drain_socket, &d), 0);
    assert_int_equal(sl_sendfile_all(sv[0], fd, 12345, FILE_SIZE - 12345), FILE_SIZE - 12345);
    /* Asked for more than the file has: the count says where it ended. */
    assert_int_equal(sl_sendfile_all(sv[0], fd, FILE_SIZE - 10, 100), 10);
    close(sv[0]);
    pthread_join(t, NULL);
    assert_int_equal(d.got, FILE_SIZE - 12345 + 10);
    uint32_t want = sl_crc32c(0, data + 12345, FILE_SIZE - 12345);
    assert_int_equal(d.crc, sl_crc32c(want, data + FILE_SIZE - 10, 10));
    close(sv[1]);
    close(fd);
    free(data);
}

struct feed {
    int fd;
    const unsigned char *data;
    size_t len;
};

static void *feed_socket(void *arg)
{
    struct feed *f = arg;
    assert_int_equal(sl_send_all(f->fd, f->data, f->len), 0);
    close(f->fd);
    return NULL;
}

/* Receives LEN bytes into FILE at offset START through the pipe; returns
 * the bytes moved before the end of stream. */
static uint64_t splice_all(struct sl_splice_pipe *p, int sock, int file, uint64_t start)
{
    uint64_t at = start;
    for (;;) {
        bool file_failed;
        ssize_t n = sl_splice_recv(p, sock, file, &at, 3 * SL_MAP_WINDOW, &file_failed);
        assert_false(file_failed);
        assert_true(n >= 0);
        assert_true((size_t)n <= p->cap);
        if (n == 0)
            return at - start;
    }
}

/* The data through a socket pair into FILE_FLAGS-opened file at an odd
 * offset; the file then holds it there. */
static void splice_into(int file_flags, bool expect_copy_out)
{
    unsigned char *data = pattern(FILE_SIZE);
    char path[] = "/tmp/test_zerocopy.XXXXXX";
    int tmp = mkstemp(path);
    assert_true(tmp >= 0);
    close(tmp);
    int file = open(path, O_RDWR | file_flags);
    assert_true(file >= 0);
    unlink(path);
    unsigned char lead[777];
    memset(lead, 'x', sizeof lead);
    assert_int_equal(sl_write_all(file, lead, sizeof lead), 0);

    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct feed f = {.fd = sv[0], .data = data, .len = FILE_SIZE};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, feed_socket, &f), 0);
    struct sl_splice_pipe p;
    assert_int_equal(sl_splice_pipe_open(&p), 0);
    assert_int_equal(splice_all(&p, sv[1], file, sizeof lead), FILE_SIZE);
    assert_int_equal(p.copy_out, expect_copy_out);
    pthread_join(t, NULL);

    uint32_t crc = 0;
    assert_int_equal(sl_crc32c_file(file, sizeof lead, FILE_SIZE, &crc), 0);
    assert_int_equal(crc, sl_crc32c(0, data, FILE_SIZE));
    assert_int_equal(lseek(file, 0, SEEK_END), sizeof lead + FILE_SIZE);
    sl_splice_pipe_close(&p);
    assert_int_equal(p.rd, -1);
    close(sv[1]);
    close(file);
    free(data);
}

static void test_splice_recv_into_a_file(void **state)
{
    (void)state;
    splice_into(0, false);
}

/* splice() refuses a file opened O_APPEND (EINVAL), as a file system
 * without splice support would: the bytes are read from the pipe and
 * written instead, none lost. */
static void test_splice_recv_falls_back_to_copying(void **state)
{
    (void)state;
    splice_into(O_APPEND, true);
}

static void test_splice_recv_reports_a_full_file(void **state)
{
    (void)state;
    int full = open("/dev/full", O_WRONLY);
    if (full < 0)
        skip();
    unsigned char *data = pattern(100000);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(sl_send_all(sv[0], data, 100000), 0);
    struct sl_splice_pipe p;
    assert_int_equal(sl_splice_pipe_open(&p), 0);
    uint64_t at = 0;
    bool file_failed = false;
    errno = 0;
    assert_int_equal(sl_splice_recv(&p, sv[1], full, &at, 100000, &file_failed), -1);
    assert_true(file_failed);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(at, 0);
    sl_splice_pipe_close(&p);
    close(sv[0]);
    close(sv[1]);
    close(full);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_crc_any_range),
        cmocka_unit_test(test_file_crc_past_the_end_fails),
        cmocka_unit_test(test_file_shrinking_while_mapped_fails_not_crashes),
        cmocka_unit_test(test_sendfile_all_and_a_short_file),
        cmocka_unit_test(test_splice_recv_into_a_file),
        cmocka_unit_test(test_splice_recv_falls_back_to_copying),
        cmocka_unit_test(test_splice_recv_reports_a_full_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
