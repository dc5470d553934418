/* The probe receiver (UDP server steps 5-7): counts every run exactly and
 * answers the sender's END with a REPORT. TCP runs come in on the same
 * port number, for the contrast: never a loss, never out of order. The
 * UDP runs are read here, in the main thread; each TCP run has a thread of
 * its own (probe_tcp.c), so a slow TCP sender holds no UDP run up. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "probe_io.h"
#include "probe_receiver.h"
#include "socklab/socklab.h"

#define BATCH 64

void run_progress(struct receiver *rx, struct run *run, uint64_t now)
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

void run_start(struct receiver *rx, struct run *run, const struct sl_probe_header *h,
               const struct sockaddr_storage *from, socklen_t fromlen, uint64_t now)
{
    char name[SL_ADDRSTRLEN];
    sl_probe_stats_init(&run->stats, h->session, h->count);
    run->active = true;
    run->next_tick_ns = now + (uint64_t)rx->opt->interval_ms * 1000000u;
    run->last_tick_ns = now;
    run->tick_arrivals = 0;
    sl_format_addr((const struct sockaddr *)from, fromlen, name, sizeof name);
    printf("run %08" PRIx32 " from %s: %" PRIu64 " datagrams announced\n", h->session, name,
           h->count);
    fflush(stdout);
}

/* Copies the REPORT of finished run SESSION to REPORT. Returns false when
 * SESSION is not among the last finished runs. */
static bool done_report(struct receiver *rx, uint32_t session,
                        unsigned char report[SL_PROBE_REPORT_LEN])
{
    bool found = false;
    pthread_mutex_lock(&rx->lock);
    for (unsigned i = 0; i < DONE_RUNS && !found; i++)
        if (rx->done[i].used && rx->done[i].session == session) {
            memcpy(report, rx->done[i].report, SL_PROBE_REPORT_LEN);
            found = true;
        }
    pthread_mutex_unlock(&rx->lock);
    return found;
}

void run_finish(struct receiver *rx, struct run *run, const char *how,
                unsigned char report[SL_PROBE_REPORT_LEN])
{
    struct sl_probe_result r;
    sl_probe_stats_result(&run->stats, true, &r);
    probe_print_result(stdout, how, run->stats.count, &r);
    if (run->stats.bad_times > 0) {
        printf("note: %" PRIu64 " DATA datagram%s of this run had an absurd send time "
               "(transit more than 1 h off the first's) and %s not counted\n",
               run->stats.bad_times, run->stats.bad_times == 1 ? "" : "s",
               run->stats.bad_times == 1 ? "was" : "were");
        fflush(stdout);
    }
    struct sl_probe_header h = {.type = SL_PROBE_REPORT,
                                .session = run->stats.session,
                                .length = SL_PROBE_REPORT_LEN,
                                .count = run->stats.count,
                                .time_ns = sl_monotonic_ns()};
    sl_probe_put_header(&h, report);
    sl_probe_put_result(&r, report + SL_PROBE_HEADER_LEN);
    pthread_mutex_lock(&rx->lock);
    unsigned slot = rx->done_next++ % DONE_RUNS;
    memcpy(rx->done[slot].report, report, SL_PROBE_REPORT_LEN);
    rx->done[slot].session = run->stats.session;
    rx->done[slot].used = true;
    rx->runs++;
    pthread_mutex_unlock(&rx->lock);
    sl_probe_stats_free(&run->stats);
    run->active = false;
}

int receiver_runs(struct receiver *rx)
{
    pthread_mutex_lock(&rx->lock);
    int runs = rx->runs;
    pthread_mutex_unlock(&rx->lock);
    return runs;
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

static void send_report(struct receiver *rx, const unsigned char *report,
                        const struct sockaddr_storage *from, socklen_t fromlen)
{
    (void)sendto(rx->fd, (const char *)report, SL_PROBE_REPORT_LEN, MSG_NOSIGNAL,
                 (const struct sockaddr *)from, fromlen);
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
    unsigned char report[SL_PROBE_REPORT_LEN];
    if (done_report(rx, h.session, report)) {
        /* Late or repeated: the REPORT may have been lost; send it again. */
        if (h.type == SL_PROBE_END)
            send_report(rx, report, from, fromlen);
        return false;
    }
    if (h.type == SL_PROBE_REPORT) {
        ignore(rx, from, fromlen, "a REPORT sent to a receiver");
        return false;
    }
    if (run->active && run->stats.session != h.session) {
        sl_cli_log(rx->prog, "a new run began before the last one ended");
        run_finish(rx, run, "receiver (run cut short)", report);
    }
    if (!run->active)
        run_start(rx, run, &h, from, fromlen, now);
    if (h.type == SL_PROBE_END) {
        run_finish(rx, run, "receiver", report);
        /* Lost ENDs are lost datagrams too, though not the run's DATA. */
        if (h.seq > 0)
            printf("note: %" PRIu64 " earlier END datagram%s of this run did not arrive\n", h.seq,
                   h.seq == 1 ? "" : "s");
        fflush(stdout);
        send_report(rx, report, from, fromlen);
        return true;
    }
    if (sl_probe_stats_add(&run->stats, &h, len, now) < 0)
        ignore(rx, from, fromlen,
               errno == EPROTO   ? "sequence number beyond the announced count"
               : errno == ERANGE ? "send time more than 1 h off the run's (see the run's note)"
                                 : "out of memory");
    return false;
}

/* Drains the UDP socket, in recvmmsg() batches where the system has them
 * (probe_io.h). Returns true when a run ended. */
static bool receive_udp(struct receiver *rx, unsigned char *bufs)
{
    struct probe_datagram got[BATCH];
    bool ended = false;
    size_t bufsize = rx->opt->bufsize;

    for (int rounds = 0; rounds < 64; rounds++) {
        int n = probe_recv_datagrams(rx->fd, bufs, bufsize, got, BATCH);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ended;
        uint64_t now = sl_monotonic_ns();
        for (int i = 0; i < n; i++) {
            ended |= handle_datagram(rx, bufs + (size_t)i * bufsize, got[i].len, got[i].truncated,
                                     &got[i].from, got[i].fromlen, now);
            if (ended && rx->opt->once)
                return true;
        }
        if (rx->run.active)
            run_progress(rx, &rx->run, now);
        if (n < BATCH)
            return ended;
    }
    return ended;
}

/* After a UDP run ended: says what the kernel dropped since DROPS_SEEN
 * (the honest answer to "where did the datagrams go?" on a single host),
 * or that this system does not say. */
static void note_kernel_drops(int fd, uint32_t *drops_seen)
{
    uint32_t drops;
    if (!probe_kernel_drops(fd, &drops)) {
        printf("note: kernel drops unavailable: this system does not count the datagrams a "
               "full receive buffer dropped\n");
        fflush(stdout);
        return;
    }
    if (drops != *drops_seen) {
        printf("note: the kernel dropped %" PRIu32 " datagrams because this socket's "
               "receive buffer was full (try --rcvbuf)\n",
               drops - *drops_seen);
        fflush(stdout);
        *drops_seen = drops;
    }
}

/* How long the main loop may sleep: until the UDP run's next progress
 * line, or the end of a pause of the TCP listener (-1: for ever). */
static int loop_timeout(const struct receiver *rx, uint64_t now)
{
    int timeout = rx->run.active && rx->opt->interval_ms > 0 ? rx->opt->interval_ms : -1;
    if (rx->tcp.paused_until > now) {
        int pause = (int)((rx->tcp.paused_until - now) / 1000000u) + 1;
        timeout = timeout < 0 || pause < timeout ? pause : timeout;
    }
    return timeout;
}

/* The UDP runs until STOP_FD is readable (or one run of any kind ended,
 * with --once); TCP connections are handed to their own threads. */
static void receive_loop(struct receiver *rx, int stop_fd, unsigned char *bufs)
{
    /* The socket is new: every drop it counts happened since its bind,
     * even while a --step pause or a SIGSTOP kept us from reading it. */
    uint32_t drops_seen = 0;
    for (;;) {
        uint64_t now = sl_monotonic_ns();
        struct pollfd p[4] = {
            {.fd = rx->fd, .events = POLLIN},
            {.fd = stop_fd, .events = POLLIN},
            {.fd = rx->tcp.paused_until > now ? -1 : rx->tcp.lfd, .events = POLLIN},
            {.fd = tcp_runs_ended_fd(&rx->tcp), .events = POLLIN}};
        int n = poll(p, 4, loop_timeout(rx, now));
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && p[1].revents)
            break;
        if (n > 0 && (p[0].revents & POLLERR)) {
            struct sockaddr_storage who;
            socklen_t len;
            while (sl_udp_take_error(rx->fd, &who, &len) != 0)
                ;
        }
        if (n > 0 && (p[0].revents & POLLIN) && receive_udp(rx, bufs))
            note_kernel_drops(rx->fd, &drops_seen);
        if (n > 0 && (p[2].revents & POLLIN))
            tcp_runs_accept(&rx->tcp);
        if (n > 0 && p[3].revents)
            tcp_runs_reap(&rx->tcp);
        if (rx->run.active)
            run_progress(rx, &rx->run, sl_monotonic_ns());
        if (rx->opt->once && receiver_runs(rx) > 0)
            break;
    }
}

int probe_listen_run(const char *prog, const struct udppeer_options *opt, int fd, int lfd,
                     int stop_fd, const struct sl_trace *t)
{
    struct receiver rx = {.prog = prog, .opt = opt, .fd = fd};
    char err[SL_ERRLEN];
    unsigned char *bufs = malloc((size_t)BATCH * opt->bufsize);
    if (bufs == NULL)
        return sl_cli_fail(prog, "out of memory");
    if (tcp_runs_init(&rx.tcp, &rx, lfd, err) < 0) {
        free(bufs);
        return sl_cli_fail(prog, "%s", err);
    }
    pthread_mutex_init(&rx.lock, NULL);

    /* 5. communicate */
    sl_trace_before(t, SL_STEP_COMMUNICATE);
    sl_trace_step(t, SL_STEP_COMMUNICATE, -1, "communicate: %s probe datagrams", probe_recv_call);
    receive_loop(&rx, stop_fd, bufs);
    tcp_runs_stop(&rx.tcp); /* every TCP run ends now: no thread holds the exit */
    fflush(stdout);
    if (rx.run.active)
        sl_probe_stats_free(&rx.run.stats);
    pthread_mutex_destroy(&rx.lock);
    free(bufs);
    return SL_EXIT_OK;
}
