/* The messenger's loop: one thread, poll() on the keyboard and the socket,
 * as the notes' UDP peer ("去中心化, 点对点": each side binds and talks).
 * A message is a line: sent with its newline (unless --raw), and one
 * trailing newline is taken off when a datagram is shown, so `nc -u` peers
 * see lines and are seen as lines. On a terminal the keys go through the
 * library's line editor: what arrives is printed above the line being
 * typed, never into it. */
#include "messenger.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
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
    char *out; /* a line and its newline: the datagram sent */
    bool failed;
    bool editor; /* stdin and stdout are terminals: the line editor runs */
    int in_fd;   /* stdin as poll() takes it (sl_stdin_pollable; the editor's sl_term_keys_fd) */
    struct sl_lineedit le;
    struct sl_term term;
    const struct sl_trace *trace;
};

#define PROMPT "> "
#define LINE_MAX_PIPED 65536 /* longer than any datagram: refused before sendto() */
#define HISTORY_MAX 100

/* "PROG: message" on stderr, above the line being typed. */
static void note(struct messenger *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct messenger *m, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(text, sizeof text, "%s: ", m->prog);
    n += vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof text - 1) /* cut by vsnprintf */
        n = (int)sizeof text - 1;
    (void)sl_term_print_above(&m->term, &m->le, STDERR_FILENO, text, (size_t)n);
}

/* Reports ICMP error E about datagrams sent to WHO: UDP's only news that a
 * datagram went nowhere. */
static void report_icmp_error(struct messenger *m, int e, const struct sockaddr_storage *who,
                              socklen_t len)
{
    char name[SL_ADDRSTRLEN], why[SL_ERRLEN];
    sl_format_addr((const struct sockaddr *)who, len, name, sizeof name);
    if (e == ECONNREFUSED)
        note(m, "%s: port unreachable (ICMP): nothing listens there", name);
    else
        note(m, "%s: %s (ICMP)", name, sl_strerror(e, why, sizeof why));
    m->failed = true;
}

/* Reports every ICMP error queued on the socket (Linux's error queue). */
static void report_icmp_errors(struct messenger *m)
{
    struct sockaddr_storage who;
    socklen_t len;
    int e;
    while ((e = sl_udp_take_error(m->fd, &who, &len)) != 0)
        report_icmp_error(m, e, &who, len);
}

/* Sends LINE as one datagram to every peer: with its newline, unless --raw. */
static void send_line(struct messenger *m, const char *line, size_t len)
{
    char name[SL_ADDRSTRLEN], why[SL_ERRLEN];
    const struct peer *to = m->peers;
    size_t n = m->npeers;

    memcpy(m->out, line, len);
    if (!m->opt->raw)
        m->out[len++] = '\n';
    line = m->out;

    if (n == 0) {
        if (!m->have_last) {
            note(m, "no peer yet: line not sent (name a peer, or wait until "
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
            do {
                r = sendto(m->fd, line, len, MSG_NOSIGNAL, (const struct sockaddr *)&to[i].addr,
                           to[i].len);
                if (r < 0)
                    sl_socket_failed(); /* errno from Winsock's error on Windows */
            } while (r < 0 && errno == EINTR);
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
            note(m, "line of %zu bytes is too long for one datagram to %s (max %d)", len, name,
                 sl_udp_max_payload(m->fd));
        else
            note(m, "sendto %s: %s", name, sl_strerror(errno, why, sizeof why));
        m->failed = true;
    }
}

enum input_state { INPUT_OPEN, INPUT_ENDED, INPUT_STOP /* Ctrl-C in the editor */ };

/* Reads the lines piped in that stdin has. */
static enum input_state read_lines(struct messenger *m, struct sl_linereader *lr)
{
    const char *line;
    size_t len;
    do {
        switch (sl_lr_next(lr, &line, &len)) {
        case SL_LINE_OK:
            send_line(m, line, len);
            break;
        case SL_LINE_TOOLONG:
            note(m,
                 "line longer than %zu bytes: too long for one datagram, "
                 "not sent",
                 lr->max_line);
            m->failed = true;
            break;
        case SL_LINE_EOF:
            return INPUT_ENDED;
        case SL_LINE_ERROR:
            note(m, "reading input: %s", sl_strerror(errno, (char[SL_ERRLEN]){0}, SL_ERRLEN));
            m->failed = true;
            return INPUT_ENDED;
        }
    } while (sl_lr_line_buffered(lr));
    return INPUT_OPEN;
}

/* Shows the line just typed above the prompt row, as "> line". */
static void echo_own(struct messenger *m, const char *line, size_t len)
{
    size_t n = sizeof PROMPT - 1;
    memcpy(m->out, PROMPT, n);
    memcpy(m->out + n, line, len);
    n += len;
    m->out[n++] = '\n';
    (void)sl_term_print_above(&m->term, &m->le, STDOUT_FILENO, m->out, n);
}

/* Acts on what one key did in the line editor. */
static enum input_state after_key(struct messenger *m, enum sl_le_event ev)
{
    const char *line;
    size_t len;
    switch (ev) {
    case SL_LE_LINE:
        line = sl_le_done_line(&m->le, &len);
        echo_own(m, line, len);
        send_line(m, line, len);
        return INPUT_OPEN;
    case SL_LE_TOO_LONG: /* said at once: a paste may not end with Enter */
        note(m,
             "line too long for one datagram (over %zu bytes): it will not be sent; "
             "Ctrl-U clears it",
             m->le.max);
        return INPUT_OPEN;
    case SL_LE_REFUSED:
        note(m, "line too long for one datagram (%zu bytes, over %zu): not sent", m->le.refused_len,
             m->le.max);
        m->failed = true;
        return INPUT_OPEN;
    case SL_LE_EOF:
        return INPUT_ENDED;
    case SL_LE_INTERRUPT:
        return INPUT_STOP;
    default:
        return INPUT_OPEN;
    }
}

/* Feeds the keys that stdin has to the line editor. */
static enum input_state read_keys(struct messenger *m)
{
    unsigned char keys[4096];
    ssize_t n = sl_read_some(m->in_fd, keys, sizeof keys);
    if (n <= 0) {
        if (n < 0) {
            note(m, "reading input: %s", sl_strerror(errno, (char[SL_ERRLEN]){0}, SL_ERRLEN));
            m->failed = true;
        }
        return INPUT_ENDED;
    }
    bool redraw = false;
    for (ssize_t i = 0; i < n; i++) {
        enum sl_le_event ev = sl_le_key(&m->le, keys[i]);
        redraw |= ev == SL_LE_CHANGED;
        enum input_state st = after_key(m, ev);
        if (st != INPUT_OPEN)
            return st;
    }
    if (redraw)
        (void)sl_term_draw(&m->term, &m->le);
    return INPUT_OPEN;
}

static void print_datagram(struct messenger *m, const struct sockaddr_storage *from,
                           socklen_t fromlen, size_t len)
{
    char name[SL_ADDRSTRLEN];
    sl_format_addr((const struct sockaddr *)from, fromlen, name, sizeof name);
    /* One trailing newline (LF or CRLF) ends the message: not part of it. */
    if (len > 0 && m->buf[len - 1] == '\n')
        len -= len > 1 && m->buf[len - 2] == '\r' ? 2 : 1;
    if (!m->show_sender) {
        /* Raw: the payload's bytes exactly, one datagram a line. */
        m->buf[len] = '\n';
        (void)sl_term_print_above(&m->term, &m->le, STDOUT_FILENO, (char *)m->buf, len + 1);
        return;
    }
    /* A terminal: the sender, then text that cannot drive the terminal. */
    size_t n = (size_t)snprintf(m->clean, SL_ADDRSTRLEN + 3, "%s: ", name);
    n += sl_sanitize_text((const char *)m->buf, len, m->clean + n);
    m->clean[n++] = '\n';
    (void)sl_term_print_above(&m->term, &m->le, STDOUT_FILENO, m->clean, n);
}

static void receive_datagrams(struct messenger *m)
{
    char name[SL_ADDRSTRLEN];
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fromlen;
        /* The datagram's real length, even when it is cut. */
        ssize_t n = sl_udp_recvfrom(m->fd, m->buf, m->opt->bufsize, &from, &fromlen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (sl_udp_is_icmp_error(errno)) {
                if (fromlen > 0) /* Windows: this failure names the offender */
                    report_icmp_error(m, errno, &from, fromlen);
                report_icmp_errors(m);
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                char why[SL_ERRLEN];
                note(m, "recvfrom: %s", sl_strerror(errno, why, sizeof why));
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
            note(m, "datagram from %s truncated: %zd bytes, only the first %zu kept (--bufsize)",
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
            note(m, "%s", err);
            return -1;
        }
        m->npeers++;
    }
    if (opt->group != NULL) {
        if (sl_udp_resolve_peer(m->fd, opt->group, opt->cli.port, &m->peers[0].addr,
                                &m->peers[0].len, err) < 0 ||
            sl_udp_join_group(m->fd, (struct sockaddr *)&m->peers[0].addr, m->peers[0].len, err) <
                0) {
            note(m, "%s", err);
            return -1;
        }
        m->npeers = 1;
    }
    return 0;
}

/* Buffers, the line reader, the line editor on a terminal, the peers.
 * Returns 0 or -1 (said on stderr); messenger_close() frees either way. */
static int messenger_open(struct messenger *m, struct sl_linereader *lr)
{
    const struct udppeer_options *opt = m->opt;
    m->show_sender = !opt->raw && isatty(STDOUT_FILENO);
    m->buf = malloc(opt->bufsize + 1);
    m->clean = malloc(SL_ADDRSTRLEN + 4 + SL_SANITIZED_MAX(opt->bufsize));
    m->out = malloc(LINE_MAX_PIPED + sizeof PROMPT + 1);
    /* A line longer than a datagram can carry is refused by sendto() with
     * EMSGSIZE; longer still, the line reader refuses it first. */
    if (m->buf == NULL || m->clean == NULL || m->out == NULL) {
        note(m, "out of memory");
        return -1;
    }
    /* Typed lines: at most what one datagram carries, with the newline. */
    size_t max = (size_t)sl_udp_max_payload(m->fd) - (opt->raw ? 0 : 1);
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && sl_le_init(&m->le, max, HISTORY_MAX) == 0)
        m->editor = sl_term_start(&m->term, STDIN_FILENO, STDOUT_FILENO, PROMPT) == 0;
    /* The editor's keys are taken once the loop begins (after --step's
     * pause); on Windows nothing else may read the console. */
    if (m->editor)
        return resolve_peers(m);
    m->in_fd = sl_stdin_pollable();
    if (m->in_fd < 0 || sl_lr_init(lr, m->in_fd, LINE_MAX_PIPED) < 0) {
        char why[SL_ERRLEN];
        note(m, "standard input: %s", sl_strerror(errno, why, sizeof why));
        return -1;
    }
    return resolve_peers(m);
}

static void messenger_close(struct messenger *m, struct sl_linereader *lr)
{
    sl_term_stop(&m->term);
    sl_le_free(&m->le);
    sl_lr_free(lr);
    free(m->buf);
    free(m->clean);
    free(m->out);
}

int messenger_run(const char *prog, const struct udppeer_options *opt, int fd, int stop_fd,
                  const struct sl_trace *t)
{
    struct messenger m = {.prog = prog, .opt = opt, .fd = fd, .trace = t};
    struct sl_linereader lr = {0};
    if (messenger_open(&m, &lr) < 0) {
        messenger_close(&m, &lr);
        return SL_EXIT_FAILURE;
    }

    /* 5. communicate */
    sl_trace_before(t, SL_STEP_COMMUNICATE);
    sl_trace_step(t, SL_STEP_COMMUNICATE, -1, "communicate: sendto()/recvfrom(), %zu peer%s%s",
                  m.npeers, m.npeers == 1 ? "" : "s",
                  m.npeers == 0 ? " (answering whoever writes last)" : "");
    if (m.editor && (m.in_fd = sl_term_keys_fd(&m.term)) < 0) {
        note(&m, "keyboard: %s", sl_strerror(errno, (char[SL_ERRLEN]){0}, SL_ERRLEN));
        messenger_close(&m, &lr);
        return SL_EXIT_FAILURE;
    }
    (void)sl_term_draw(&m.term, &m.le);
    enum input_state input = INPUT_OPEN;
    int64_t deadline = 0;
    while (input != INPUT_STOP) {
        struct pollfd p[3] = {
            {.fd = fd, .events = POLLIN},
            {.fd = stop_fd, .events = POLLIN},
            {.fd = input == INPUT_OPEN ? m.in_fd : -1, .events = POLLIN},
        };
        int timeout = -1;
        if (input == INPUT_ENDED) {
            int64_t left = deadline - sl_monotonic_ms();
            if (left <= 0)
                break;
            timeout = (int)left; /* at most --wait */
        }
        int r = poll(p, 3, timeout);
        if (r < 0 && errno != EINTR) {
            note(&m, "poll: %s", sl_strerror(errno, (char[SL_ERRLEN]){0}, SL_ERRLEN));
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
        if (p[2].revents)
            input = m.editor ? read_keys(&m) : read_lines(&m, &lr);
        if (input == INPUT_ENDED && deadline == 0) {
            sl_term_stop(&m.term); /* no more typing: the terminal as it was */
            /* Datagrams that already arrived still get printed. */
            receive_datagrams(&m);
            deadline = sl_monotonic_ms() + opt->wait_ms;
        }
    }
    receive_datagrams(&m);
    messenger_close(&m, &lr);
    return m.failed ? SL_EXIT_FAILURE : SL_EXIT_OK;
}
