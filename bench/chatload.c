/* chatload: load generator for tcpchat-server, one process, epoll.
 *
 *   chatload [-m chat|ncat|irc] [-c LISTENERS] [-k STUCK] [-l LINES] [-i INTERVAL_MS]
 *            [-t SECONDS] [-f] [-H SECONDS] HOST PORT
 *
 * -m names the server: tcpchat-server (chat, the default), `ncat --chat`
 * (ncat: no nicks, its "already connected" line is the welcome) or an IRC
 * server (irc: every client registers with NICK/USER and JOINs #lab, the
 * end of the NAMES list is the welcome, lines are PRIVMSGs to #lab).
 *
 * Connects LISTENERS clients that read everything, STUCK clients that never
 * read, and one sender. Then:
 *   1. latency: the sender says LINES lines, one every INTERVAL_MS, each
 *      carrying its send time; every listener records when it arrives.
 *      Prints p50/p99/max over all deliveries.
 *      With -f, one more client floods the room meanwhile: it sends lines as
 *      fast as the server takes them (and reads what it is sent), so the
 *      latency is the quiet sender's during a flood.
 *   2. throughput: for SECONDS the sender talks as fast as the listeners
 *      keep up (at most 64 lines in flight), and the deliveries per second
 *      are counted (-t 0: skipped).
 * A listener the server disconnects is counted ("dropped: N"), not fatal.
 * With -H it only connects the clients and holds them (for the server's
 * RSS), printing "holding N clients" once all are welcomed.
 * Linux only (epoll): a benchmark helper, not one of the tools. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "socklab/socklab.h"

#define CARRY 256

enum mode { MODE_CHAT, MODE_NCAT, MODE_IRC };
static enum mode mode = MODE_CHAT;

/* The line that tells a client it is in the room. */
static int is_welcome(const char *line, size_t len)
{
    static const char chat[] = "*** welcome,", ncat[] = "<announce> already connected:";
    switch (mode) {
    case MODE_CHAT:
        return len >= sizeof chat - 1 && memcmp(line, chat, sizeof chat - 1) == 0;
    case MODE_NCAT:
        return len >= sizeof ncat - 1 && memcmp(line, ncat, sizeof ncat - 1) == 0;
    case MODE_IRC: /* RPL_ENDOFNAMES after our JOIN */
        return memmem(line, len, " 366 ", 5) != NULL;
    }
    return 0;
}

struct conn {
    int fd;
    int welcomed;
    int flooder;      /* its lines are not a listener's */
    int counts_flood; /* the listener whose flood lines are counted */
    int gone;
    size_t carry_len;
    char carry[CARRY];
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "chatload: %s\n", what);
    exit(1);
}

struct stats {
    uint64_t *lat; /* latency samples (ns) */
    size_t nlat, cap;
    uint64_t delivered; /* load lines received by listeners */
    unsigned long welcomed;
    unsigned long dropped; /* listeners the server disconnected */
    uint64_t flood_bytes;  /* flood lines one listener got: what the server read */
    int flooder_dropped;
};

/* One complete line from a listener. */
static void on_line(struct conn *c, const char *line, size_t len, struct stats *st, int recording)
{
    static const char tag[] = "@t=";
    if (c->flooder)
        return;
    if (mode == MODE_IRC && len > 5 && memcmp(line, "PING ", 5) == 0) {
        char pong[CARRY + 8];
        int n = snprintf(pong, sizeof pong, "PONG %.*s\r\n", (int)(len - 5), line + 5);
        (void)!send(c->fd, pong, (size_t)n, MSG_NOSIGNAL);
        return;
    }
    if (c->counts_flood && len > 7 && memcmp(line, "flood: ", 7) == 0)
        st->flood_bytes += len - 7 + 1;
    if (!c->welcomed && is_welcome(line, len)) {
        c->welcomed = 1;
        st->welcomed++;
        return;
    }
    /* The sender's text, after whatever prefix the server puts before it. */
    const char *at = memmem(line, len, tag, sizeof tag - 1);
    if (at == NULL)
        return;
    st->delivered++;
    if (!recording)
        return;
    uint64_t sent = strtoull(at + sizeof tag - 1, NULL, 10);
    if (st->nlat == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 1 << 16;
        st->lat = realloc(st->lat, st->cap * sizeof *st->lat);
        if (st->lat == NULL)
            die("out of memory");
    }
    st->lat[st->nlat++] = now_ns() - sent;
}

/* The server closed C: count it, and stop watching it. */
static void lost(struct conn *c, struct stats *st)
{
    c->gone = 1;
    if (c->flooder)
        st->flooder_dropped = 1;
    else
        st->dropped++;
    close(c->fd); /* also leaves the epoll set */
}

/* Reads everything available on C and feeds its lines to on_line(). */
static void drain(struct conn *c, struct stats *st, int recording)
{
    char buf[65536];
    while (!c->gone) {
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EINTR))
                lost(c, st);
            return;
        }
        size_t start = 0;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (buf[i] != '\n')
                continue;
            if (c->carry_len) {
                size_t add = i - start;
                if (c->carry_len + add > CARRY)
                    add = CARRY - c->carry_len;
                memcpy(c->carry + c->carry_len, buf + start, add);
                on_line(c, c->carry, c->carry_len + add, st, recording);
                c->carry_len = 0;
            } else {
                on_line(c, buf + start, i - start, st, recording);
            }
            start = i + 1;
        }
        size_t rest = (size_t)n - start;
        if (rest > CARRY - c->carry_len)
            rest = CARRY - c->carry_len;
        memcpy(c->carry + c->carry_len, buf + start, rest);
        c->carry_len += rest;
    }
}

/* Connects a client and, for IRC, registers it as NICK and joins #lab. */
static int connect_as(const char *host, const char *port, int rcvbuf, const char *nick)
{
    char err[SL_ERRLEN];
    int fd = sl_connect_tcp(host, port, AF_UNSPEC, 5000, -1, NULL, err);
    if (fd < 0)
        die(err);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    /* Lines go out when said: with Nagle, a line 20 ms after the last one
     * waits for its ACK, which the server delays while it has data for us. */
    sl_set_nodelay(fd);
    char hello[200];
    int n = 0;
    if (mode == MODE_IRC)
        n = snprintf(hello, sizeof hello, "NICK %s\r\nUSER %s 0 * :%s\r\nJOIN #lab\r\n", nick, nick,
                     nick);
    else if (mode == MODE_CHAT && strcmp(nick, "load") == 0)
        n = snprintf(hello, sizeof hello, "/nick load\n");
    if (n > 0 && sl_send_all(fd, hello, (size_t)n) < 0)
        die("cannot say hello");
    return fd;
}

static int connect_to(const char *host, const char *port, int rcvbuf, unsigned long i)
{
    char nick[32];
    snprintf(nick, sizeof nick, "l%lu", i);
    return connect_as(host, port, rcvbuf, nick);
}

/* The sender must be in the room before it talks (IRC: registered and
 * joined, or its PRIVMSGs are refused). Blocking, 30 s at most. */
static void await_welcome(int fd)
{
    struct conn c = {.fd = fd};
    struct stats st = {0};
    uint64_t end = now_ns() + 30000000000u;
    while (!c.welcomed && !c.gone && now_ns() < end) {
        struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK);
        if (n == 0)
            die("the server closed the sender");
        if (n > 0)
            drain(&c, &st, 0);
    }
    if (!c.welcomed)
        die("the sender was never welcomed");
}

/* The flooder: whole lines, sent as fast as the server takes them. */
struct flood {
    int fd;
    char buf[65536];
    size_t len, off; /* BUF holds whole lines; OFF wraps at LEN */
    uint64_t sent;
};

static void flood_init(struct flood *f, int fd)
{
    static const char line[] = "洪水洪水洪水洪水洪水洪水洪水洪水\n";
    f->fd = fd;
    f->len = f->off = 0;
    f->sent = 0;
    while (f->len + sizeof line - 1 <= sizeof f->buf) {
        memcpy(f->buf + f->len, line, sizeof line - 1);
        f->len += sizeof line - 1;
    }
}

static void flood_some(struct flood *f)
{
    for (;;) {
        ssize_t n = send(f->fd, f->buf + f->off, f->len - f->off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0)
            return; /* full (the server reads it no faster), or gone: drain() sees it */
        f->sent += (uint64_t)n;
        f->off = (f->off + (size_t)n) % f->len;
    }
}

static void pump(int ep, struct conn *conns, struct stats *st, int recording, int timeout_ms,
                 struct flood *f)
{
    struct epoll_event ev[256];
    int n = epoll_wait(ep, ev, 256, timeout_ms);
    for (int i = 0; i < n; i++) {
        struct conn *c = &conns[ev[i].data.u32];
        if (c->flooder && (ev[i].events & EPOLLOUT) && f && !c->gone)
            flood_some(f);
        drain(c, st, recording);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void say(int fd, unsigned long seq)
{
    char line[96];
    int n =
        snprintf(line, sizeof line, "%s@t=%llu s=%lu%s", mode == MODE_IRC ? "PRIVMSG #lab :" : "",
                 (unsigned long long)now_ns(), seq, mode == MODE_IRC ? "\r\n" : "\n");
    if (sl_send_all(fd, line, (size_t)n) < 0)
        die("the sender lost its connection");
}

int main(int argc, char **argv)
{
    unsigned long listeners = 1000, stuck = 0, lines = 200, interval_ms = 20, seconds = 5;
    long hold = -1;
    int c, flooding = 0;
    while ((c = getopt(argc, argv, "m:c:k:l:i:t:H:f")) != -1) {
        unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
        switch (c) {
        case 'm':
            if (strcmp(optarg, "chat") == 0)
                mode = MODE_CHAT;
            else if (strcmp(optarg, "ncat") == 0)
                mode = MODE_NCAT;
            else if (strcmp(optarg, "irc") == 0)
                mode = MODE_IRC;
            else
                die("-m: chat, ncat or irc");
            break;
        case 'f':
            flooding = 1;
            break;
        case 'c':
            listeners = v;
            break;
        case 'k':
            stuck = v;
            break;
        case 'l':
            lines = v;
            break;
        case 'i':
            interval_ms = v;
            break;
        case 't':
            seconds = v;
            break;
        case 'H':
            hold = (long)v;
            break;
        default:
            die("usage: chatload [-c N] [-k STUCK] [-l LINES] [-i MS] [-t SECONDS] [-f] [-H HOLD] "
                "HOST PORT");
        }
    }
    if (argc - optind != 2)
        die("usage: chatload [options] HOST PORT");
    const char *host = argv[optind], *port = argv[optind + 1];
    sl_raise_nofile(NULL);
    signal(SIGPIPE, SIG_IGN);

    int ep = epoll_create1(0);
    struct conn *conns = calloc(listeners + 1, sizeof *conns); /* + the flooder */
    int *stuck_fds = calloc(stuck + 1, sizeof *stuck_fds);
    struct stats st = {0};
    if (!conns || !stuck_fds)
        die("out of memory");

    uint64_t t0 = now_ns();
    for (unsigned long i = 0; i < listeners; i++) {
        conns[i].fd = connect_to(host, port, 0, i);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
        if (i % 64 == 63)
            pump(ep, conns, &st, 0, 0, NULL); /* keep up with welcomes and join notices */
        /* ncat and ngircd listen with a short backlog and accept slowly: a
         * handshake they drop costs a 1 s SYN retransmission. */
        while (mode != MODE_CHAT && i + 1 - st.welcomed > 64)
            pump(ep, conns, &st, 0, 10, NULL);
    }
    while (st.welcomed < listeners)
        pump(ep, conns, &st, 0, 100, NULL);
    for (unsigned long i = 0; i < stuck; i++)
        stuck_fds[i] = connect_to(host, port, 4096, listeners + 1 + i); /* never read */
    int sender = connect_as(host, port, 0, "load");
    await_welcome(sender);
    static struct flood flood;
    struct flood *fl = NULL;
    if (flooding) {
        struct conn *fc = &conns[listeners];
        fc->fd = connect_to(host, port, 0, listeners);
        fc->flooder = 1;
        conns[0].counts_flood = 1;
        flood_init(&flood, fc->fd);
        fl = &flood;
        if (sl_send_all(fc->fd, "/nick flood\n", 12) < 0)
            die("flooder");
    }
    printf("connected: %lu listeners, %lu stuck, 1 sender in %.2f s\n", listeners, stuck,
           (double)(now_ns() - t0) / 1e9);
    fflush(stdout);

    if (hold >= 0) {
        printf("holding %lu clients\n", listeners + stuck + 1);
        fflush(stdout);
        uint64_t end = now_ns() + (uint64_t)hold * 1000000000u;
        while (now_ns() < end)
            pump(ep, conns, &st, 0, 100, NULL);
        return 0;
    }
    /* Let join and rename notices settle. */
    for (int i = 0; i < 5; i++)
        pump(ep, conns, &st, 0, 100, NULL);

    /* 1. latency (with the flood on from here) */
    st.delivered = 0;
    if (fl) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)listeners};
        epoll_ctl(ep, EPOLL_CTL_ADD, fl->fd, &ev);
        flood_some(fl);
    }
    uint64_t flood_start = now_ns();
    uint64_t next = now_ns();
    for (unsigned long i = 0; i < lines; i++) {
        say(sender, i);
        next += interval_ms * 1000000u;
        for (uint64_t t = now_ns(); t < next; t = now_ns())
            pump(ep, conns, &st, 1, (int)((next - t) / 1000000u) + 1, fl);
    }
    for (uint64_t end = now_ns() + 1000000000u; st.delivered < lines * listeners && now_ns() < end;)
        pump(ep, conns, &st, 1, 10, fl);
    qsort(st.lat, st.nlat, sizeof *st.lat, cmp_u64);
    if (st.nlat == 0)
        die("no line arrived");
    printf("latency: %zu deliveries of %lu expected, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           st.nlat, lines * listeners, st.lat[st.nlat / 2] / 1e6,
           st.lat[(size_t)((double)st.nlat * 0.99)] / 1e6, st.lat[st.nlat - 1] / 1e6);
    if (fl) {
        double secs = (double)(now_ns() - flood_start) / 1e9;
        /* What reached a listener is what the server read: the rest of what
         * the flooder "sent" waits in the kernel's buffers. */
        printf("flood: %llu bytes sent, %llu read by the server in %.2f s = %.0f KiB/s, "
               "flooder %s\n",
               (unsigned long long)fl->sent, (unsigned long long)st.flood_bytes, secs,
               (double)st.flood_bytes / 1024 / secs,
               st.flooder_dropped ? "dropped" : "still connected");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)listeners};
        if (!st.flooder_dropped)
            epoll_ctl(ep, EPOLL_CTL_MOD, fl->fd, &ev); /* the flood stops here */
    }
    printf("dropped: %lu listeners\n", st.dropped);
    fflush(stdout);
    if (seconds == 0)
        return 0;

    /* 2. throughput */
    st.delivered = 0;
    unsigned long sent = 0;
    uint64_t start = now_ns(), end = start + seconds * 1000000000u;
    while (now_ns() < end) {
        while (sent * listeners < st.delivered + 64 * listeners)
            say(sender, sent++);
        pump(ep, conns, &st, 0, 1, NULL);
    }
    double secs = (double)(now_ns() - start) / 1e9;
    printf("throughput: %lu lines sent, %llu deliveries in %.2f s = %.0f deliveries/s\n", sent,
           (unsigned long long)st.delivered, secs, (double)st.delivered / secs);
    return 0;
}
