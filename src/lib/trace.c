/* --trace output: "[n/N] what happened", numbered as in the notes. */
#include "socklab/trace.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/io.h"

/* The notes' numbering of each step for each role; 0: not a step there. */
static const unsigned char step_numbers[4][10] = {
    /*                      STARTUP SOCKET ADDR BIND LISTEN ACCEPT CONNECT COMM CLOSE CLEANUP */
    [SL_ROLE_TCP_SERVER] = {1, 2, 3, 4, 5, 6, 0, 7, 8, 9},
    [SL_ROLE_TCP_CLIENT] = {1, 2, 3, 0, 0, 0, 4, 5, 6, 7},
    [SL_ROLE_UDP_SERVER] = {1, 2, 3, 4, 0, 0, 0, 5, 6, 7},
    [SL_ROLE_UDP_CLIENT] = {1, 2, 3, 0, 0, 0, 0, 4, 5, 6},
};
static const unsigned char step_totals[4] = {9, 7, 7, 6};

void sl_trace_init(struct sl_trace *t, enum sl_role role, bool enabled)
{
    t->role = role;
    t->enabled = enabled;
    t->step = false;
    t->out_fd = STDERR_FILENO;
}

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

void sl_trace_before(const struct sl_trace *t, enum sl_step step)
{
    /* --step will pause here; until then a step simply runs. */
    (void)t;
    (void)step;
}

void sl_trace_step(const struct sl_trace *t, enum sl_step step, int fd, const char *fmt, ...)
{
    char line[512];
    int n, len;

    if (t == NULL || !t->enabled)
        return;
    n = sl_step_number(t->role, step);
    len = snprintf(line, sizeof line, "[%d/%d] ", n, sl_step_total(t->role));

    va_list ap;
    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 40)
        len = (int)sizeof line - 40;

    int state = fd >= 0 ? sl_tcp_state(fd) : -1;
    if (state >= 0)
        len +=
            snprintf(line + len, sizeof line - (size_t)len, "  state %s", sl_tcp_state_name(state));
    line[len++] = '\n';
    /* One write per line, so lines from several threads never interleave. */
    (void)sl_write_all(t->out_fd, line, (size_t)len);
}

int sl_tcp_state(int fd)
{
#ifdef TCP_INFO
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && len > 0)
        return info.tcpi_state;
#else
    (void)fd;
#endif
    return -1;
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
