/* --trace: the notes' numbering for each role, the line format with the
 * socket's TCP state, the close step showing where our FIN leads, nothing
 * at all when disabled. (--step's pause: test_trace_step.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/addr.h"
#include "socklab/tcp.h"
#include "socklab/trace.h"

/* A trace writing into a file (a file, not a pipe, so that the same test
 * runs on Windows), and what it wrote since the last look. */
struct captured {
    struct sl_trace t;
    char path[32];
    int fd;
    off_t seen;
    char text[4096];
};

static void capture(struct captured *c, enum sl_role role, bool enabled)
{
    assert_int_equal(sl_trace_init(&c->t, role, enabled, false), 0);
    snprintf(c->path, sizeof c->path, "test_trace-XXXXXX");
    c->fd = mkstemp(c->path);
    assert_true(c->fd >= 0);
    c->seen = 0;
    c->t.out_fd = c->fd;
}

static const char *output(struct captured *c)
{
    off_t end = lseek(c->fd, 0, SEEK_CUR);
    assert_true(end >= c->seen && end - c->seen < (off_t)sizeof c->text);
    assert_int_equal(lseek(c->fd, c->seen, SEEK_SET), c->seen);
    ssize_t n = read(c->fd, c->text, (size_t)(end - c->seen)); /* back at the end */
    assert_int_equal(n, end - c->seen);
    c->text[n] = '\0';
    c->seen = end;
    return c->text;
}

static void release(struct captured *c)
{
    close(c->fd);
    unlink(c->path); /* once closed: Windows removes no open file */
}

static void test_numbers_follow_the_notes_for_each_role(void **state)
{
    (void)state;
    assert_int_equal(sl_step_total(SL_ROLE_TCP_SERVER), 9);
    assert_int_equal(sl_step_total(SL_ROLE_TCP_CLIENT), 7);
    assert_int_equal(sl_step_total(SL_ROLE_UDP_SERVER), 7);
    assert_int_equal(sl_step_total(SL_ROLE_UDP_CLIENT), 6);
    assert_int_equal(sl_step_number(SL_ROLE_TCP_SERVER, SL_STEP_LISTEN), 5);
    assert_int_equal(sl_step_number(SL_ROLE_TCP_SERVER, SL_STEP_ACCEPT), 6);
    assert_int_equal(sl_step_number(SL_ROLE_TCP_SERVER, SL_STEP_CLEANUP), 9);
    assert_int_equal(sl_step_number(SL_ROLE_TCP_CLIENT, SL_STEP_CONNECT), 4);
    assert_int_equal(sl_step_number(SL_ROLE_TCP_CLIENT, SL_STEP_CLEANUP), 7);
    assert_int_equal(sl_step_number(SL_ROLE_UDP_SERVER, SL_STEP_BIND), 4);
    assert_int_equal(sl_step_number(SL_ROLE_UDP_SERVER, SL_STEP_COMMUNICATE), 5);
    assert_int_equal(sl_step_number(SL_ROLE_UDP_CLIENT, SL_STEP_COMMUNICATE), 4);
    /* Steps a role does not have, and values out of range. */
    assert_int_equal(sl_step_number(SL_ROLE_TCP_CLIENT, SL_STEP_LISTEN), 0);
    assert_int_equal(sl_step_number(SL_ROLE_UDP_CLIENT, SL_STEP_BIND), 0);
    assert_int_equal(sl_step_number((enum sl_role)9, SL_STEP_BIND), 0);
    assert_int_equal(sl_step_number(SL_ROLE_TCP_SERVER, (enum sl_step)42), 0);
    assert_string_equal(sl_step_name(SL_STEP_STARTUP), "protocol version");
    assert_string_equal(sl_step_name((enum sl_step)42), "?");
}

static void test_line_carries_number_text_and_state(void **state)
{
    (void)state;
    struct captured c;
    char err[SL_ERRLEN];
    capture(&c, SL_ROLE_TCP_SERVER, true);
    int lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 4, NULL, err);
    assert_true(lfd >= 0);
    sl_trace_step(&c.t, SL_STEP_LISTEN, lfd, "listen fd %d, 中文 ok", lfd);
    char want[128];
    snprintf(want, sizeof want, "[5/9] listen fd %d, 中文 ok  state LISTEN\n", lfd);
    assert_string_equal(output(&c), want);
    /* No socket: no state. */
    sl_trace_step(&c.t, SL_STEP_STARTUP, -1, "hello");
    assert_string_equal(output(&c), "[1/9] hello\n");
    sl_socket_close(lfd);
    release(&c);
}

static void test_overlong_text_is_cut_but_the_state_stays(void **state)
{
    (void)state;
    struct captured c;
    char err[SL_ERRLEN];
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    capture(&c, SL_ROLE_TCP_SERVER, true);
    int lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 4, NULL, err);
    sl_trace_step(&c.t, SL_STEP_LISTEN, lfd, "%s", big);
    const char *line = output(&c);
    assert_true(strlen(line) < 600);
    assert_non_null(strstr(line, "xxx  state LISTEN\n"));
    sl_socket_close(lfd);
    release(&c);
}

static void test_disabled_trace_prints_nothing(void **state)
{
    (void)state;
    struct captured c;
    capture(&c, SL_ROLE_TCP_CLIENT, false);
    sl_trace_step(&c.t, SL_STEP_CONNECT, -1, "connect");
    sl_trace_before(&c.t, SL_STEP_CONNECT); /* no --step: no pause either */
    sl_trace_step(NULL, SL_STEP_CONNECT, -1, "no trace at all");
    assert_string_equal(output(&c), "");
    release(&c);
}

static void test_close_shows_where_our_fin_leads(void **state)
{
    (void)state;
    struct captured c;
    char err[SL_ERRLEN];
    char port[8], where[SL_ADDRSTRLEN];
    capture(&c, SL_ROLE_TCP_CLIENT, true);
    int lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 4, NULL, err);
    sl_format_local(lfd, where, sizeof where);
    snprintf(port, sizeof port, "%s", strrchr(where, ':') + 1);
    int fd = sl_connect_tcp("127.0.0.1", port, AF_INET, 1000, -1, NULL, err);
    assert_true(fd >= 0);
    int peer = accept(lfd, NULL, NULL);
    assert_true(peer >= 0);
    /* We close first: FIN_WAIT1 (or FIN_WAIT2 once the ACK came back). */
    assert_int_equal(sl_close_traced(&c.t, fd, "close fd %d", fd), 0);
    const char *line = output(&c);
    assert_true(strncmp(line, "[6/7] close fd ", 15) == 0);
    assert_true(strstr(line, "state FIN_WAIT1\n") || strstr(line, "state FIN_WAIT2\n"));
    /* The other side closes second: LAST_ACK, or already CLOSED when
     * loopback delivered the last ACK within the shutdown() call. */
    char byte;
    assert_int_equal(recv(peer, &byte, 1, 0), 0);
    assert_int_equal(sl_close_traced(&c.t, peer, "close peer"), 0);
    line = output(&c);
    assert_true(strstr(line, "close peer  state LAST_ACK\n") ||
                strstr(line, "close peer  state CLOSED\n"));
    sl_socket_close(lfd);
    release(&c);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(sl_tcp_state_name(1), "ESTABLISHED");
    assert_string_equal(sl_tcp_state_name(10), "LISTEN");
    assert_string_equal(sl_tcp_state_name(11), "CLOSING");
    assert_string_equal(sl_tcp_state_name(0), "?");
    assert_string_equal(sl_tcp_state_name(12), "?");
    assert_int_equal(sl_tcp_state(-1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_follow_the_notes_for_each_role),
        cmocka_unit_test(test_line_carries_number_text_and_state),
        cmocka_unit_test(test_overlong_text_is_cut_but_the_state_stays),
        cmocka_unit_test(test_disabled_trace_prints_nothing),
        cmocka_unit_test(test_close_shows_where_our_fin_leads),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
