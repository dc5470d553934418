/* --trace output: "[n/N] what happened", numbered as in the notes. */
#include "socklab/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "socklab/io.h"
#include "socklab/platform.h"
#include "socklab/shutdown.h"

/* The notes' numbering of each step for each role; 0: not a step there. */
static const unsigned char step_numbers[4][10] = {
    /*                      STARTUP SOCKET ADDR BIND LISTEN ACCEPT CONNECT COMM CLOSE CLEANUP */
    [SL_ROLE_TCP_SERVER] = {1, 2, 3, 4, 5, 6, 0, 7, 8, 9},
    [SL_ROLE_TCP_CLIENT] = {1, 2, 3, 0, 0, 0, 4, 5, 6, 7},
    [SL_ROLE_UDP_SERVER] = {1, 2, 3, 4, 0, 0, 0, 5, 6, 7},
    [SL_ROLE_UDP_CLIENT] = {1, 2, 3, 0, 0, 0, 0, 4, 5, 6},
};
static const unsigned char step_totals[4] = {9, 7, 7, 6};

int sl_step_number(enum sl_role role, enum sl_step step)
{
    if ((unsigned)role > SL_ROLE_UDP_CLIENT || (unsigned)step > SL_STEP_CLEANUP)
        return 0;
    return step_numbers[role][step];
}

int sl_step_total(enum sl_role role)
{
    return (unsigned)role > SL_ROLE_UDP_CLIENT ? 0 : step_totals[role];
}

static const char *const step_names[] = {
    [SL_STEP_STARTUP] = "protocol version",
    [SL_STEP_SOCKET] = "socket",
    [SL_STEP_ADDRESS] = "address",
    [SL_STEP_BIND] = "bind",
    [SL_STEP_LISTEN] = "listen",
    [SL_STEP_ACCEPT] = "accept",
    [SL_STEP_CONNECT] = "connect",
    [SL_STEP_COMMUNICATE] = "communicate",
    [SL_STEP_CLOSE] = "close",
    [SL_STEP_CLEANUP] = "cleanup",
};

const char *sl_step_name(enum sl_step step)
{
    return (unsigned)step > SL_STEP_CLEANUP ? "?" : step_names[step];
}

int sl_trace_init(struct sl_trace *t, enum sl_role role, bool enabled, bool step)
{
    t->role = role;
    t->enabled = enabled;
    t->step = false;
    t->out_fd = STDERR_FILENO;
    t->stop = NULL;
    if (!step)
        return 0;
    int rc = sl_step_pause_init(); /* POSIX: SIGUSR1 blocked, to be waited for */
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    t->step = true;
    return 0;
}

void sl_trace_watch_stop(struct sl_trace *t, const struct sl_shutdown *s)
{
    t->stop = s;
}

void sl_trace_before(const struct sl_trace *t, enum sl_step step)
{
    char line[160], hint[64];
    if (t == NULL || !t->step)
        return;
    if (t->stop != NULL && sl_shutdown_requested(t->stop) != 0)
        return; /* stopping: no more pauses */
    int n = sl_step_number(t->role, step);
    sl_step_pause_hint(hint, sizeof hint);
    int len = snprintf(line, sizeof line, "--step: next [%d/%d] %s: press Enter%s\n", n,
                       sl_step_total(t->role), sl_step_name(step), hint);
    (void)sl_write_all(t->out_fd, line, (size_t)len);
    sl_step_pause_wait(t->stop);
}

/* Prints "[n/N] text" and, when STATE >= 0, "  state NAME". */
static void trace_vline(const struct sl_trace *t, enum sl_step step, int state, const char *fmt,
                        va_list ap)
{
    char line[512];
    int n = sl_step_number(t->role, step);
    int len = snprintf(line, sizeof line, "[%d/%d] ", n, sl_step_total(t->role));
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    if (len > (int)sizeof line - 40)
        len = (int)sizeof line - 40;
    if (state >= 0)
        len +=
            snprintf(line + len, sizeof line - (size_t)len, "  state %s", sl_tcp_state_name(state));
    line[len++] = '\n';
    /* One write per line, so lines from several threads never interleave. */
    (void)sl_write_all(t->out_fd, line, (size_t)len);
}

void sl_trace_step(const struct sl_trace *t, enum sl_step step, int fd, const char *fmt, ...)
{
    if (t == NULL || !t->enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    trace_vline(t, step, fd >= 0 ? sl_tcp_state(fd) : -1, fmt, ap);
    va_end(ap);
}

int sl_close_traced(const struct sl_trace *t, int fd, const char *fmt, ...)
{
    int state = -1;
    if (t != NULL && t->enabled) {
        /* Our FIN first, so the trace shows where it leads: FIN_WAIT1 on
         * the side that closes first, LAST_ACK on the other. A TCP socket
         * whose peer is gone just says ENOTCONN; nothing else changes. */
        if (sl_tcp_state(fd) >= 0)
            (void)shutdown(fd, SHUT_WR);
        state = sl_tcp_state(fd);
    }
    int rc = sl_socket_close(fd);
    if (t != NULL && t->enabled) {
        va_list ap;
        va_start(ap, fmt);
        trace_vline(t, SL_STEP_CLOSE, state, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int sl_tcp_state(int fd)
{
    return sl_platform_tcp_state(fd);
}

const char *sl_tcp_state_name(int state)
{
    /* Linux numbering, include/net/tcp_states.h. */
    static const char *const names[] = {
        "?",         "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSED",      "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING",
    };
    if (state < 1 || state >= (int)(sizeof names / sizeof names[0]))
        return "?";
    return names[state];
}
