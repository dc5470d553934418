/* wrap: read */
/* windows: skip — mocks read() with --wrap and reads a pipe, Windows reads via sl_fd_read */
/* The line reader's edge cases, with input arriving whole or byte by byte
 * (the wrapped read() below hands out at most `chunk` bytes per call). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "socklab/linereader.h"

ssize_t __real_read(int fd, void *buf, size_t len);
ssize_t __wrap_read(int fd, void *buf, size_t len);

static size_t chunk = (size_t)-1;
static int eintr_next;

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
    if (eintr_next) {
        eintr_next = 0;
        errno = EINTR;
        return -1;
    }
    return __real_read(fd, buf, len < chunk ? len : chunk);
}

/* A pipe holding DATA, closed for writing: the reader sees DATA then EOF. */
static int feed(const char *data, size_t len)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], data, len), (ssize_t)len);
    close(p[1]);
    return p[0];
}

static void expect_line(struct sl_linereader *lr, const char *want, size_t wantlen)
{
    const char *line;
    size_t len;
    assert_int_equal(sl_lr_next(lr, &line, &len), SL_LINE_OK);
    assert_int_equal(len, wantlen);
    assert_memory_equal(line, want, wantlen);
}

static void expect(struct sl_linereader *lr, enum sl_line_status want)
{
    const char *line;
    size_t len;
    assert_int_equal(sl_lr_next(lr, &line, &len), want);
}

#define S(lit) lit, sizeof(lit) - 1

static void run_basic(size_t c)
{
    static const char input[] = "one\ntwo\r\n\n\r\nnul\0byte\nlast";
    struct sl_linereader lr;
    chunk = c;
    int fd = feed(input, sizeof input - 1);
    assert_int_equal(sl_lr_init(&lr, fd, 16), 0);
    expect_line(&lr, S("one"));
    expect_line(&lr, S("two"));       /* CRLF */
    expect_line(&lr, S(""));          /* empty LF line */
    expect_line(&lr, S(""));          /* empty CRLF line */
    expect_line(&lr, S("nul\0byte")); /* embedded NUL kept */
    expect_line(&lr, S("last"));      /* no newline at the end */
    expect(&lr, SL_LINE_EOF);
    expect(&lr, SL_LINE_EOF);
    sl_lr_free(&lr);
    close(fd);
}

static void test_basic_whole(void **state)
{
    (void)state;
    run_basic((size_t)-1);
}

static void test_basic_byte_by_byte(void **state)
{
    (void)state;
    run_basic(1);
}

static void run_limits(size_t c)
{
    /* max 8: exactly 8 fits with LF and with CRLF; 9 is too long. */
    static const char input[] = "12345678\n"
                                "abcdefgh\r\n"
                                "123456789\n"
                                "after\n"
                                "this line is far longer than eight bytes and then some\r\n"
                                "ok\n"
                                "unterminated-and-too-long";
    struct sl_linereader lr;
    chunk = c;
    int fd = feed(input, sizeof input - 1);
    assert_int_equal(sl_lr_init(&lr, fd, 8), 0);
    expect_line(&lr, S("12345678"));
    expect_line(&lr, S("abcdefgh"));
    expect(&lr, SL_LINE_TOOLONG);
    expect_line(&lr, S("after")); /* the reader recovers at the next line */
    expect(&lr, SL_LINE_TOOLONG); /* reported once, however long */
    expect_line(&lr, S("ok"));
    expect(&lr, SL_LINE_TOOLONG);
    expect(&lr, SL_LINE_EOF);
    assert_true(lr.cap <= 10); /* never grew */
    sl_lr_free(&lr);
    close(fd);
}

static void test_limits_whole(void **state)
{
    (void)state;
    run_limits((size_t)-1);
}

static void test_limits_byte_by_byte(void **state)
{
    (void)state;
    run_limits(1);
}

static void test_cr_at_end_of_stream(void **state)
{
    (void)state;
    struct sl_linereader lr;
    chunk = (size_t)-1;
    int fd = feed(S("abc\r"));
    assert_int_equal(sl_lr_init(&lr, fd, 3), 0);
    expect_line(&lr, S("abc"));
    expect(&lr, SL_LINE_EOF);
    sl_lr_free(&lr);
    close(fd);
}

static void test_lone_cr_is_data(void **state)
{
    (void)state;
    struct sl_linereader lr;
    chunk = (size_t)-1;
    int fd = feed(S("a\rb\n"));
    assert_int_equal(sl_lr_init(&lr, fd, 10), 0);
    expect_line(&lr, S("a\rb"));
    sl_lr_free(&lr);
    close(fd);
}

static void test_eintr_and_empty_stream(void **state)
{
    (void)state;
    struct sl_linereader lr;
    chunk = (size_t)-1;
    int fd = feed(S("x\n"));
    assert_int_equal(sl_lr_init(&lr, fd, 10), 0);
    eintr_next = 1;
    expect_line(&lr, S("x"));
    expect(&lr, SL_LINE_EOF);
    sl_lr_free(&lr);
    close(fd);

    fd = feed("", 0);
    assert_int_equal(sl_lr_init(&lr, fd, 10), 0);
    expect(&lr, SL_LINE_EOF);
    sl_lr_free(&lr);
    close(fd);
}

static void test_read_error_and_bad_init(void **state)
{
    (void)state;
    struct sl_linereader lr;
    assert_int_equal(sl_lr_init(&lr, -1, 10), 0);
    expect(&lr, SL_LINE_ERROR);
    assert_int_equal(errno, EBADF);
    sl_lr_free(&lr);
    assert_int_equal(sl_lr_init(&lr, 0, 0), -1);
    assert_int_equal(errno, EINVAL);
}

static void test_pending(void **state)
{
    (void)state;
    struct sl_linereader lr;
    chunk = (size_t)-1;
    int fd = feed(S("a\nbc\n"));
    assert_int_equal(sl_lr_init(&lr, fd, 10), 0);
    assert_false(sl_lr_line_buffered(&lr)); /* nothing read yet */
    expect_line(&lr, S("a"));
    assert_int_equal(sl_lr_pending(&lr), 3);
    assert_true(sl_lr_line_buffered(&lr)); /* "bc\n" waits in the buffer */
    expect_line(&lr, S("bc"));
    assert_false(sl_lr_line_buffered(&lr));
    sl_lr_free(&lr);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_whole),
        cmocka_unit_test(test_basic_byte_by_byte),
        cmocka_unit_test(test_limits_whole),
        cmocka_unit_test(test_limits_byte_by_byte),
        cmocka_unit_test(test_cr_at_end_of_stream),
        cmocka_unit_test(test_lone_cr_is_data),
        cmocka_unit_test(test_eintr_and_empty_stream),
        cmocka_unit_test(test_read_error_and_bad_init),
        cmocka_unit_test(test_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
