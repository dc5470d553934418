/* The probe receiver (UDP server steps 5-7): counts every run exactly and
 * answers the sender's END with a REPORT. TCP runs come in on the same
 * port number, for the contrast: never a loss, never out of order. */
#define _GNU_SOURCE /* recvmmsg */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sock_diag.h>

#include "probe.h"
#include "socklab/socklab.h"

#define BATCH 64
#define DONE_RUNS 16
/* A TCP sender silent this long in the middle of a run is dropped. */
#define TCP_IDLE_MS 10000
#define TCP_IDLE_TEXT "10 s"

struct run {
    bool active;
    struct sl_probe_stats stats;
    struct sockaddr_storage from;
    socklen_t fromlen;
    uint64_t next_tick_ns;
    uint64_t last_tick_ns;  /* when the last progress line (or the run) began */
    uint64_t tick_arrivals; /* arrivals counted at the last progress line */
};

struct receiver {
    const char *prog;
    const struct udppeer_options *opt;
    int fd;
    struct run run;
    /* The last finished runs, to answer a repeated END with the same
     * REPORT instead of taking it for a new run that lost everything. */
    struct {
        uint32_t session;
        bool used;
        unsigned char report[SL_PROBE_REPORT_LEN];
    } done[DONE_RUNS];
    unsigned done_next;
    uint64_t ignored;
    int runs;
};

static void progress(struct receiver *rx, struct run *run, uint64_t now)
{
    if (rx->opt->interval_ms <= 0 || now < run->next_tick_ns)
        return;
    struct sl_probe_result r;
    sl_probe_stats_result(&run->stats, false, &r);
    uint64_t arrivals = r.received + r.duplicates;
    printf("[%6.1f s] received %" PRIu64 ", lost so far %" PRIu64 ", duplicates %" PRIu64
           ", out of order %" PRIu64 ", jitter %.3f ms, %" PRIu64 " datagrams in the last %.1f s\n",
           (double)(now - run->stats.first_ns) / 1e9, r.received, r.lost, r.duplicates, r.reordered,
           (double)r.jitter_ns / 1e6, arrivals - run->tick_arrivals,
           (double)(now - run->last_tick_ns) / 1e9);
    fflush(stdout);
    run->tick_arrivals = arrivals;
    run->last_tick_ns = now;
    run->next_tick_ns = now + (uint64_t)rx->opt->interval_ms * 1000000u;
}

static int start_run(struct receiver *rx, struct run *run, const struct sl_probe_header *h,
                     const struct sockaddr_storage *from, socklen_t fromlen, uint64_t now)
{
    char name[SL_ADDRSTRLEN];
    sl_probe_stats_init(&run->stats, h->session, h->count);
    run->active = true;
    run->from = *from;
    run->fromlen = fromlen;
    run->next_tick_ns = now + (uint64_t)rx->opt->interval_ms * 1000000u;
    run->last_tick_ns = now;
    run->tick_arrivals = 0;
    sl_format_addr((const struct sockaddr *)from, fromlen, name, sizeof name);
    printf("run %08" PRIx32 " from %s: %" PRIu64 " datagrams announced\n", h->session, name,
           h->count);
    fflush(stdout);
    return 0;
}

/* The cached REPORT of finished run SESSION, or NULL. */
static const unsigned char *done_report(const struct receiver *rx, uint32_t session)
{
    for (unsigned i = 0; i < DONE_RUNS; i++)
        if (rx->done[i].used && rx->done[i].session == session)
            return rx->done[i].report;
    return NULL;
}

/* Ends RUN: prints the result and returns its REPORT, kept for repeats. */
static const unsigned char *finish_run(struct receiver *rx, struct run *run, const char *how)
{
    struct sl_probe_result r;
    sl_probe_stats_result(&run->stats, true, &r);
    probe_print_result(stdout, how, run->stats.count, &r);
    struct sl_probe_header h = {.type = SL_PROBE_REPORT,
                                .session = run->stats.session,
                                .length = SL_PROBE_REPORT_LEN,
                                .count = run->stats.count,
                                .time_ns = sl_monotonic_ns()};
    unsigned slot = rx->done_next++ % DONE_RUNS;
    unsigned char *report = rx->done[slot].report;
    sl_probe_put_header(&h, report);
    sl_probe_put_result(&r, report + SL_PROBE_HEADER_LEN);
    rx->done[slot].session = run->stats.session;
    rx->done[slot].used = true;
    sl_probe_stats_free(&run->stats);
    run->active = false;
    rx->runs++;
    return report;
}

static void ignore(struct receiver *rx, const struct sockaddr_storage *from, socklen_t fromlen,
                   const char *why)
{
    char name[SL_ADDRSTRLEN];
    /* Say it for the first few only: a flood must not flood the log. */
    if (rx->ignored++ < 5) {
        sl_format_addr((const struct sockaddr *)from, fromlen, name, sizeof name);
        sl_cli_log(rx->prog, "ignored a datagram from %s: %s", name, why);
    }
}

/* One UDP datagram. Returns true when a run ended. */
static bool handle_datagram(struct receiver *rx, const unsigned char *buf, size_t len,
                            bool truncated, const struct sockaddr_storage *from, socklen_t fromlen,
                            uint64_t now)
{
    struct sl_probe_header h;
    struct run *run = &rx->run;
    if (truncated) {
        ignore(rx, from, fromlen, "truncated (bigger than --bufsize)");
        return false;
    }
    if (sl_probe_parse_header(buf, len, &h) < 0) {
        ignore(rx, from, fromlen, "not a probe datagram");
        return false;
    }
    if (h.length != len) {
        ignore(rx, from, fromlen, "length field does not match the datagram");
        return false;
    }
    const unsigned char *report = done_report(rx, h.session);
    if (report != NULL) {
        /* Late or repeated: the REPORT may have been lost; send it again. */
        if (h.type == SL_PROBE_END)
            (void)sendto(rx->fd, report, SL_PROBE_REPORT_LEN, MSG_NOSIGNAL,
                         (const struct sockaddr *)from, fromlen);
        return false;
    }
    if (h.type == SL_PROBE_REPORT) {
        ignore(rx, from, fromlen, "a REPORT sent to a receiver");
        return false;
    }
    if (run->active && run->stats.session != h.session) {
        sl_cli_log(rx->prog, "a new run began before the last one ended");
        finish_run(rx, run, "receiver (run cut short)");
    }
    if (!run->active && start_run(rx, run, &h, from, fromlen, now) < 0)
        return false;
    if (h.type == SL_PROBE_END) {
        report = finish_run(rx, run, "receiver");
        /* Lost ENDs are lost datagrams too, though not the run's DATA. */
        if (h.seq > 0)
            printf("note: %" PRIu64 " earlier END datagram%s of this run did not arrive\n", h.seq,
                   h.seq == 1 ? "" : "s");
        fflush(stdout);
        (void)sendto(rx->fd, report, SL_PROBE_REPORT_LEN, MSG_NOSIGNAL,
                     (const struct sockaddr *)from, fromlen);
        return true;
    }
    if (sl_probe_stats_add(&run->stats, &h, len, now) < 0)
        ignore(rx, from, fromlen,
               errno == EPROTO ? "sequence number beyond the announced count" : "out of memory");
    return false;
}

/* Drains the UDP socket in recvmmsg() batches. Returns true when a run
 * ended. */
static bool receive_udp(struct receiver *rx, unsigned char *bufs)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_storage from[BATCH];
    bool ended = false;
    size_t bufsize = rx->opt->bufsize;

    for (int rounds = 0; rounds < 64; rounds++) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){.iov_base = bufs + (size_t)i * bufsize, .iov_len = bufsize};
            msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i],
                                                   .msg_namelen = sizeof from[i],
                                                   .msg_iov = &iov[i],
                                                   .msg_iovlen = 1}};
        }
        int n = recvmmsg(rx->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ended;
        }
        uint64_t now = sl_monotonic_ns();
        for (int i = 0; i < n; i++) {
            struct msghdr *m = &msgs[i].msg_hdr;
            ended |=
                handle_datagram(rx, iov[i].iov_base, msgs[i].msg_len,
                                (m->msg_flags & MSG_TRUNC) != 0, &from[i], m->msg_namelen, now);
            if (ended && rx->opt->once)
                return true;
        }
        if (rx->run.active)
            progress(rx, &rx->run, now);
        if (n < BATCH)
            return ended;
    }
    return ended;
}

/* Receives exactly LEN bytes, waiting at most TCP_IDLE_MS for each piece
 * and giving up when STOP_FD becomes readable: a stalled or hostile TCP
 * sender cannot hang the receiver. Returns LEN, 0 at end of stream, or -1
 * (errno ETIMEDOUT, ECANCELED, or the recv error). */
static ssize_t recv_exact(int fd, unsigned char *buf, size_t len, int stop_fd)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
        int n = poll(p, 2, TCP_IDLE_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || p[1].revents) {
            errno = n == 0 ? ETIMEDOUT : n > 0 ? ECANCELED : errno;
            return -1;
        }
        ssize_t r = recv(fd, buf + got, len - got, MSG_DONTWAIT);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return (ssize_t)len;
}

/* Reads one record framed by its length field. Returns 1; 0 when the
 * stream ended; -1 for something that is not a probe record; -2 when the
 * sender stalled or we are stopping. */
static int read_record(int cfd, unsigned char *buf, struct sl_probe_header *h, int stop_fd)
{
    ssize_t got = recv_exact(cfd, buf, SL_PROBE_HEADER_LEN, stop_fd);
    if (got <= 0)
        return got == 0 ? 0 : -2;
    /* EMSGSIZE here only means the body has not been read yet. */
    if (sl_probe_parse_header(buf, (size_t)got, h) < 0 && errno != EMSGSIZE)
        return -1;
    size_t body = h->length - SL_PROBE_HEADER_LEN;
    if (body > 0 && (got = recv_exact(cfd, buf + SL_PROBE_HEADER_LEN, body, stop_fd)) <= 0)
        return got == 0 ? 0 : -2;
    return 1;
}

/* A TCP run, read to its END while the UDP side waits. */
static void receive_tcp(struct receiver *rx, int lfd, int stop_fd)
{
    struct sockaddr_storage peer;
    socklen_t peerlen = sizeof peer;
    char err[SL_ERRLEN];
    int cfd = sl_accept(lfd, -1, &peer, &peerlen, NULL, err);
    if (cfd < 0)
        return;
    struct run run = {0};
    struct sl_probe_header h;
    unsigned char *buf = malloc(SL_PROBE_MAX_LEN);
    const char *problem = buf == NULL ? "out of memory" : NULL;
    bool done = false;
    uint64_t last_data = sl_monotonic_ns();
    while (!done && problem == NULL) {
        struct pollfd p[2] = {{.fd = cfd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
        int timeout = rx->opt->interval_ms > 0 && rx->opt->interval_ms < TCP_IDLE_MS
                          ? rx->opt->interval_ms
                          : TCP_IDLE_MS;
        int n = poll(p, 2, timeout);
        if (n > 0 && p[1].revents)
            break;
        if (n > 0)
            last_data = sl_monotonic_ns();
        else if (sl_monotonic_ns() - last_data >= (uint64_t)TCP_IDLE_MS * 1000000u)
            problem = "the sender went silent (" TCP_IDLE_TEXT " without data)";
        if (run.active)
            progress(rx, &run, sl_monotonic_ns());
        /* Every record already buffered, then poll again. */
        while (n > 0 && !done && problem == NULL) {
            int r = read_record(cfd, buf, &h, stop_fd);
            uint64_t now = sl_monotonic_ns();
            if (r <= 0) {
                problem = r == 0               ? "connection closed before END"
                          : r == -1            ? "not a probe record"
                          : errno == ETIMEDOUT ? "the sender stalled mid-run (" TCP_IDLE_TEXT
                                                 " without data)"
                                               : "stopped";
                break;
            }
            if (!run.active)
                start_run(rx, &run, &h, &peer, peerlen, now);
            if (h.type == SL_PROBE_END) {
                const unsigned char *report = finish_run(rx, &run, "receiver (TCP)");
                (void)sl_send_all(cfd, report, SL_PROBE_REPORT_LEN);
                done = true;
            } else if (h.type != SL_PROBE_DATA ||
                       sl_probe_stats_add(&run.stats, &h, h.length, now) < 0) {
                problem = "bad record";
            }
            struct pollfd q = {.fd = cfd, .events = POLLIN};
            n = poll(&q, 1, 0);
        }
    }
    if (problem != NULL)
        sl_cli_log(rx->prog, "TCP run: %s", problem);
    if (run.active)
        sl_probe_stats_free(&run.stats);
    free(buf);
    close(cfd);
}

/* What a full receive buffer made the kernel drop on FD so far: the
 * honest answer to "where did the datagrams go?" on a single host. */
static uint32_t kernel_drops(int fd)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 || len <= SK_MEMINFO_DROPS * 4)
        return 0;
    return mem[SK_MEMINFO_DROPS];
}

int probe_listen_run(const char *prog, const struct udppeer_options *opt, int fd, int lfd,
                     int stop_fd, const struct sl_trace *t)
{
    struct receiver rx = {.prog = prog, .opt = opt, .fd = fd};
    unsigned char *bufs = malloc((size_t)BATCH * opt->bufsize);
    if (bufs == NULL)
        return sl_cli_fail(prog, "out of memory");
    /* The socket is new: every drop it counts happened since its bind,
     * even while a --step pause or a SIGSTOP kept us from reading it. */
    uint32_t drops_seen = 0;

    /* 5. communicate */
    sl_trace_before(t, SL_STEP_COMMUNICATE);
    sl_trace_step(t, SL_STEP_COMMUNICATE, -1, "communicate: recvmmsg() probe datagrams");
    for (;;) {
        struct pollfd p[3] = {{.fd = fd, .events = POLLIN},
                              {.fd = stop_fd, .events = POLLIN},
                              {.fd = lfd, .events = POLLIN}};
        int timeout = rx.run.active && opt->interval_ms > 0 ? opt->interval_ms : -1;
        int n = poll(p, 3, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && p[1].revents)
            break;
        if (n > 0 && (p[0].revents & POLLERR)) {
            struct sockaddr_storage who;
            socklen_t len;
            while (sl_udp_take_error(fd, &who, &len) != 0)
                ;
        }
        bool ended = n > 0 && (p[0].revents & POLLIN) && receive_udp(&rx, bufs);
        uint32_t drops = ended ? kernel_drops(fd) : drops_seen;
        if (drops != drops_seen) {
            printf("note: the kernel dropped %" PRIu32 " datagrams because this socket's "
                   "receive buffer was full (try --rcvbuf)\n",
                   drops - drops_seen);
            fflush(stdout);
            drops_seen = drops;
        }
        if (n > 0 && (p[2].revents & POLLIN)) {
            receive_tcp(&rx, lfd, stop_fd);
            ended = true;
        }
        if (rx.run.active)
            progress(&rx, &rx.run, sl_monotonic_ns());
        if (ended && opt->once && rx.runs > 0)
            break;
    }
    fflush(stdout);
    if (rx.run.active)
        sl_probe_stats_free(&rx.run.stats);
    free(bufs);
    return SL_EXIT_OK;
}
