/* The messenger's loop: one thread, poll() on the keyboard and the socket,
 * as the notes' UDP peer ("去中心化, 点对点": each side binds and talks). */
#include "messenger.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "socklab/socklab.h"

struct peer {
    struct sockaddr_storage addr;
    socklen_t len;
};

struct messenger {
    const char *prog;
    const struct udppeer_options *opt;
    int fd;
    struct peer peers[UDPPEER_MAX_PEERS + 1];
    size_t npeers;
    struct peer last_sender; /* answered when no peer is named */
    bool have_last;
    bool show_sender; /* a terminal without --raw: "ADDR: text" */
    unsigned char *buf;
    char *clean;
    bool failed;
    const struct sl_trace *trace;
};

/* Reports every ICMP error queued on the socket: UDP's only news that a
 * datagram went nowhere. */
static void report_icmp_errors(struct messenger *m)
{
    struct sockaddr_storage who;
    socklen_t len;
    char name[SL_ADDRSTRLEN];
    int e;
    while ((e = sl_udp_take_error(m->fd, &who, &len)) != 0) {
        sl_format_addr((struct sockaddr *)&who, len, name, sizeof name);
        if (e == ECONNREFUSED)
            sl_cli_log(m->prog, "%s: port unreachable (ICMP): nothing listens there", name);
        else
            sl_cli_log(m->prog, "%s: %s (ICMP)", name, strerror(e));
        m->failed = true;
    }
}

static void send_line(struct messenger *m, const char *line, size_t len)
{
    char name[SL_ADDRSTRLEN];
    const struct peer *to = m->peers;
    size_t n = m->npeers;

    if (n == 0) {
        if (!m->have_last) {
            sl_cli_log(m->prog, "no peer yet: line not sent (name a peer, or wait until "
                                "someone writes to you)");
            m->failed = true;
            return;
        }
        to = &m->last_sender;
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        ssize_t r;
        for (int attempt = 0; attempt < 2; attempt++) {
            do
                r = sendto(m->fd, line, len, MSG_NOSIGNAL, (const struct sockaddr *)&to[i].addr,
                           to[i].len);
            while (r < 0 && errno == EINTR);
            /* An ICMP error left by an earlier datagram surfaces here:
             * report it and send this one again. */
            if (r < 0 && sl_udp_is_icmp_error(errno)) {
                report_icmp_errors(m);
                continue;
            }
            break;
        }
        if (r >= 0)
            continue;
        sl_format_addr((const struct sockaddr *)&to[i].addr, to[i].len, name, sizeof name);
        if (errno == EMSGSIZE)
            sl_cli_log(m->prog, "line of %zu bytes is too long for one datagram to %s (max %d)",
                       len, name, sl_udp_max_payload(m->fd));
        else
            sl_cli_log(m->prog, "sendto %s: %s", name, strerror(errno));
        m->failed = true;
    }
}

/* Reads what stdin has: returns false at end of input. */
static bool read_input(struct messenger *m, struct sl_linereader *lr)
{
    const char *line;
    size_t len;
    do {
        switch (sl_lr_next(lr, &line, &len)) {
        case SL_LINE_OK:
            send_line(m, line, len);
            break;
        case SL_LINE_TOOLONG:
            sl_cli_log(m->prog,
                       "line longer than %zu bytes: too long for one datagram, "
                       "not sent",
                       lr->max_line);
            m->failed = true;
            break;
        case SL_LINE_EOF:
            return false;
        case SL_LINE_ERROR:
            sl_cli_log(m->prog, "reading input: %s", strerror(errno));
            m->failed = true;
            return false;
        }
    } while (sl_lr_line_buffered(lr));
    return true;
}

static void print_datagram(struct messenger *m, const struct sockaddr_storage *from,
                           socklen_t fromlen, size_t len)
{
    char name[SL_ADDRSTRLEN];
    sl_format_addr((const struct sockaddr *)from, fromlen, name, sizeof name);
    if (!m->show_sender) {
        /* Raw: the payload's bytes exactly, one datagram a line. */
        m->buf[len] = '\n';
        (void)sl_write_all(STDOUT_FILENO, m->buf, len + 1);
        return;
    }
    /* A terminal: the sender, then text that cannot drive the terminal. */
    size_t n = (size_t)snprintf(m->clean, SL_ADDRSTRLEN + 3, "%s: ", name);
    n += sl_sanitize_text((const char *)m->buf, len, m->clean + n);
    m->clean[n++] = '\n';
    (void)sl_write_all(STDOUT_FILENO, m->clean, n);
}

static void receive_datagrams(struct messenger *m)
{
    char name[SL_ADDRSTRLEN];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof from;
        /* MSG_TRUNC: the datagram's real length, even when it is cut. */
        ssize_t n = recvfrom(m->fd, m->buf, m->opt->bufsize, MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&from, &fromlen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (sl_udp_is_icmp_error(errno)) {
                report_icmp_errors(m);
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                sl_cli_log(m->prog, "recvfrom: %s", strerror(errno));
                m->failed = true;
            }
            return;
        }
        sl_format_addr((struct sockaddr *)&from, fromlen, name, sizeof name);
        /* --trace shows each recvfrom()'s size: one datagram each, whole,
         * however many wait in the socket's buffer. */
        sl_trace_step(m->trace, SL_STEP_COMMUNICATE, -1, "recvfrom %s: %zd bytes", name, n);
        size_t kept = (size_t)n;
        if (kept > m->opt->bufsize) {
            sl_cli_log(m->prog,
                       "datagram from %s truncated: %zd bytes, only the first %zu kept "
                       "(--bufsize)",
                       name, n, m->opt->bufsize);
            kept = m->opt->bufsize;
        }
        memcpy(&m->last_sender.addr, &from, fromlen);
        m->last_sender.len = fromlen;
        m->have_last = true;
        print_datagram(m, &from, fromlen, kept);
    }
}

static int resolve_peers(struct messenger *m)
{
    char err[SL_ERRLEN];
    const struct udppeer_options *opt = m->opt;
    for (size_t i = 0; i < opt->npeers; i++) {
        if (sl_udp_resolve_peer(m->fd, opt->peers[i].host, opt->peers[i].port,
                                &m->peers[m->npeers].addr, &m->peers[m->npeers].len, err) < 0) {
            sl_cli_log(m->prog, "%s", err);
            return -1;
        }
        m->npeers++;
    }
    if (opt->group != NULL) {
        if (sl_udp_resolve_peer(m->fd, opt->group, opt->cli.port, &m->peers[0].addr,
                                &m->peers[0].len, err) < 0 ||
            sl_udp_join_group(m->fd, (struct sockaddr *)&m->peers[0].addr, m->peers[0].len, err) <
                0) {
            sl_cli_log(m->prog, "%s", err);
            return -1;
        }
        m->npeers = 1;
    }
    return 0;
}

int messenger_run(const char *prog, const struct udppeer_options *opt, int fd, int stop_fd,
                  const struct sl_trace *t)
{
    struct messenger m = {.prog = prog, .opt = opt, .fd = fd, .trace = t};
    struct sl_linereader lr;
    m.show_sender = !opt->raw && isatty(STDOUT_FILENO);
    m.buf = malloc(opt->bufsize + 1);
    m.clean = malloc(SL_ADDRSTRLEN + 4 + SL_SANITIZED_MAX(opt->bufsize));
    /* A line longer than a datagram can carry is refused by sendto() with
     * EMSGSIZE; longer still, the line reader refuses it first. */
    if (m.buf == NULL || m.clean == NULL || sl_lr_init(&lr, STDIN_FILENO, 65536) < 0) {
        free(m.buf);
        free(m.clean);
        sl_cli_log(prog, "out of memory");
        return SL_EXIT_FAILURE;
    }
    if (resolve_peers(&m) < 0) {
        free(m.buf);
        free(m.clean);
        sl_lr_free(&lr);
        return SL_EXIT_FAILURE;
    }

    /* 5. communicate */
    sl_trace_before(t, SL_STEP_COMMUNICATE);
    sl_trace_step(t, SL_STEP_COMMUNICATE, -1, "communicate: sendto()/recvfrom(), %zu peer%s%s",
                  m.npeers, m.npeers == 1 ? "" : "s",
                  m.npeers == 0 ? " (answering whoever writes last)" : "");
    bool input_open = true;
    int64_t deadline = 0;
    for (;;) {
        struct pollfd p[3] = {
            {.fd = fd, .events = POLLIN},
            {.fd = stop_fd, .events = POLLIN},
            {.fd = input_open ? STDIN_FILENO : -1, .events = POLLIN},
        };
        int timeout = -1;
        if (!input_open) {
            int64_t left = deadline - sl_monotonic_ms();
            if (left <= 0)
                break;
            timeout = (int)left; /* at most --wait */
        }
        int r = poll(p, 3, timeout);
        if (r < 0 && errno != EINTR) {
            sl_cli_log(prog, "poll: %s", strerror(errno));
            m.failed = true;
            break;
        }
        if (r <= 0)
            continue;
        if (p[1].revents)
            break;
        if (p[0].revents & POLLERR)
            report_icmp_errors(&m);
        if (p[0].revents & POLLIN)
            receive_datagrams(&m);
        if (p[2].revents && !read_input(&m, &lr)) {
            input_open = false;
            /* Datagrams that already arrived still get printed. */
            receive_datagrams(&m);
            deadline = sl_monotonic_ms() + opt->wait_ms;
        }
    }
    receive_datagrams(&m);
    sl_lr_free(&lr);
    free(m.buf);
    free(m.clean);
    return m.failed ? SL_EXIT_FAILURE : SL_EXIT_OK;
}
