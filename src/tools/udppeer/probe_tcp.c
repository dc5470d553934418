/* The probe receiver's TCP runs (--probe --tcp), each in a thread of its
 * own, so that no TCP sender, however slow, holds up the UDP runs.
 *
 * What a hostile class can do and what stops it:
 *   - many connections: at most TCP_RUNS_MAX runs at once; the next
 *     connection is closed at once and logged (no thread, no buffer);
 *   - silence: 10 s without a byte between records ends the run;
 *   - a drip (a byte every few seconds, never silent for 10 s): a record
 *     must arrive whole within 10 s of its first byte;
 *   - SIGINT/SIGTERM or --once: every run polls the quit pipe, and the
 *     sockets are shut down before the threads are joined, so no thread
 *     can hold the exit up. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe_receiver.h"
#include "socklab/socklab.h"

/* A TCP sender silent this long, or this slow to send one record, is dropped. */
#define TCP_IDLE_MS 10000
#define TCP_IDLE_TEXT "10 s"

/* Milliseconds left until DEADLINE_NS (0 when past). */
static int ms_until(uint64_t deadline_ns)
{
    uint64_t now = sl_monotonic_ns();
    return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* Receives exactly LEN bytes by DEADLINE_NS, giving up when QUIT_FD
 * becomes readable. Returns LEN, 0 at end of stream, or -1 (errno
 * ETIMEDOUT, ECANCELED, or the recv error). */
static ssize_t recv_exact(int fd, unsigned char *buf, size_t len, int quit_fd, uint64_t deadline_ns)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = quit_fd, .events = POLLIN}};
        int n = poll(p, 2, ms_until(deadline_ns));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || p[1].revents) {
            errno = n == 0 ? ETIMEDOUT : n > 0 ? ECANCELED : errno;
            return -1;
        }
        ssize_t r = sl_socket_recv_nowait(fd, buf + got, len - got);
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

/* Reads one record framed by its length field, whole within TCP_IDLE_MS.
 * Returns 1; 0 when the stream ended; -1 for something that is not a probe
 * record; -2 when the sender was too slow or we are stopping. */
static int read_record(int cfd, unsigned char *buf, struct sl_probe_header *h, int quit_fd)
{
    uint64_t deadline = sl_monotonic_ns() + (uint64_t)TCP_IDLE_MS * 1000000u;
    ssize_t got = recv_exact(cfd, buf, SL_PROBE_HEADER_LEN, quit_fd, deadline);
    if (got <= 0)
        return got == 0 ? 0 : -2;
    /* EMSGSIZE here only means the body has not been read yet. */
    if (sl_probe_parse_header(buf, (size_t)got, h) < 0 && errno != EMSGSIZE)
        return -1;
    size_t body = h->length - SL_PROBE_HEADER_LEN;
    if (body > 0 &&
        (got = recv_exact(cfd, buf + SL_PROBE_HEADER_LEN, body, quit_fd, deadline)) <= 0)
        return got == 0 ? 0 : -2;
    return 1;
}

/* Why read_record() returned R <= 0. */
static const char *record_problem(int r)
{
    if (r == 0)
        return "connection closed before END";
    if (r == -1)
        return "not a probe record";
    return errno == ETIMEDOUT ? "the sender stalled mid-record (not whole within " TCP_IDLE_TEXT ")"
                              : "stopped";
}

/* Takes every record already buffered into RUN. Returns NULL while the run
 * goes on, "" after END (REPORT sent), or what went wrong. */
static const char *take_records(struct tcp_slot *slot, struct run *run, unsigned char *buf)
{
    struct receiver *rx = slot->rx;
    struct sl_probe_header h;
    do {
        int r = read_record(slot->fd, buf, &h, rx->tcp.quit_pipe[0]);
        uint64_t now = sl_monotonic_ns();
        if (r <= 0)
            return record_problem(r);
        if (!run->active)
            run_start(rx, run, &h, &slot->peer, slot->peerlen, now);
        if (h.type == SL_PROBE_END) {
            unsigned char report[SL_PROBE_REPORT_LEN];
            run_finish(rx, run, "receiver (TCP)", report);
            (void)sl_send_all(slot->fd, report, SL_PROBE_REPORT_LEN);
            return "";
        }
        if (h.type != SL_PROBE_DATA)
            return "bad record";
        if (sl_probe_stats_add(&run->stats, &h, h.length, now) < 0)
            return errno == ERANGE ? "bad record (send time absurd)" : "bad record";
    } while (poll(&(struct pollfd){.fd = slot->fd, .events = POLLIN}, 1, 0) > 0);
    return NULL;
}

/* One TCP run, read to its END. Returns NULL when it ended well, or what
 * went wrong. */
static const char *serve_run(struct tcp_slot *slot, unsigned char *buf)
{
    struct receiver *rx = slot->rx;
    struct run run = {0};
    const char *problem = NULL;
    uint64_t last_data = sl_monotonic_ns();
    int interval = rx->opt->interval_ms;
    int timeout = interval > 0 && interval < TCP_IDLE_MS ? interval : TCP_IDLE_MS;
    while (problem == NULL) {
        struct pollfd p[2] = {{.fd = slot->fd, .events = POLLIN},
                              {.fd = rx->tcp.quit_pipe[0], .events = POLLIN}};
        int n = poll(p, 2, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && p[1].revents))
            problem = "stopped";
        else if (n > 0)
            last_data = sl_monotonic_ns();
        else if (sl_monotonic_ns() - last_data >= (uint64_t)TCP_IDLE_MS * 1000000u)
            problem = "the sender went silent (" TCP_IDLE_TEXT " without data)";
        if (problem == NULL && n > 0)
            problem = take_records(slot, &run, buf);
        if (run.active)
            run_progress(rx, &run, sl_monotonic_ns());
    }
    if (run.active)
        sl_probe_stats_free(&run.stats);
    return *problem == '\0' ? NULL : problem;
}

static void *tcp_run_main(void *arg)
{
    struct tcp_slot *slot = arg;
    struct receiver *rx = slot->rx;
    unsigned char *buf = malloc(SL_PROBE_MAX_LEN);
    const char *problem = buf == NULL ? "out of memory" : serve_run(slot, buf);
    /* A run cut by the receiver's own stop is no failure of the sender's. */
    if (problem != NULL && !atomic_load(&rx->tcp.quitting))
        sl_cli_log(rx->prog, "TCP run: %s", problem);
    free(buf);
    atomic_store(&slot->ended, true);
    sl_wakeup_signal(rx->tcp.ended_pipe[1]);
    return NULL;
}

int tcp_runs_init(struct tcp_runs *t, struct receiver *rx, int lfd, char err[SL_ERRLEN])
{
    memset(t, 0, sizeof *t);
    t->lfd = lfd;
    if (lfd >= 0 && sl_socket_set_nonblocking(lfd, true) < 0) {
        snprintf(err, SL_ERRLEN, "non-blocking listener: %s", SL_STRERROR(errno));
        return -1;
    }
    for (int i = 0; i < TCP_RUNS_MAX; i++) {
        t->slot[i].rx = rx;
        t->slot[i].fd = -1;
        atomic_init(&t->slot[i].ended, false);
    }
    atomic_init(&t->quitting, false);
    t->quit_pipe[0] = t->quit_pipe[1] = -1;
    /* Wake-up channels, not pipes: on Windows only sockets can be polled. */
    if (sl_wakeup_open(t->ended_pipe) < 0) {
        snprintf(err, SL_ERRLEN, "wake-up channel: %s", SL_STRERROR(errno));
        return -1;
    }
    if (sl_wakeup_open(t->quit_pipe) < 0) {
        snprintf(err, SL_ERRLEN, "wake-up channel: %s", SL_STRERROR(errno));
        sl_wakeup_close(t->ended_pipe);
        return -1;
    }
    return 0;
}

int tcp_runs_ended_fd(const struct tcp_runs *t)
{
    return t->ended_pipe[0];
}

static struct tcp_slot *free_slot(struct tcp_runs *t)
{
    for (int i = 0; i < TCP_RUNS_MAX; i++)
        if (t->slot[i].fd < 0)
            return &t->slot[i];
    return NULL;
}

/* accept() that never blocks the UDP loop: the listener was readable, but
 * the client may have gone since (the listener is non-blocking). Returns
 * the fd or -1. */
static int take_connection(struct tcp_runs *t, struct receiver *rx, struct sockaddr_storage *peer,
                           socklen_t *peerlen)
{
    *peerlen = sizeof *peer;
    int fd = (int)accept(t->lfd, (struct sockaddr *)peer, peerlen);
    if (fd >= 0) {
        /* Windows passes the listener's non-blocking mode on; the run
         * wants a blocking socket (Linux gives one anyway). */
        (void)sl_socket_set_nonblocking(fd, false);
        return fd;
    }
    sl_socket_failed();
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Every retry would fail at once: let the listener be for 100 ms. */
        sl_cli_log(rx->prog, "TCP run refused: accept: %s", SL_STRERROR(errno));
        t->paused_until = sl_monotonic_ns() + 100000000u;
    }
    return -1;
}

void tcp_runs_accept(struct tcp_runs *t)
{
    struct receiver *rx = t->slot[0].rx;
    struct sockaddr_storage peer;
    socklen_t peerlen;
    char name[SL_ADDRSTRLEN];
    int fd = take_connection(t, rx, &peer, &peerlen);
    if (fd < 0)
        return;
    struct tcp_slot *slot = free_slot(t);
    sl_format_addr((const struct sockaddr *)&peer, peerlen, name, sizeof name);
    if (slot == NULL) {
        sl_cli_log(rx->prog, "TCP run from %s refused: %d TCP runs at once already", name,
                   TCP_RUNS_MAX);
        sl_socket_close(fd);
        return;
    }
    slot->fd = fd;
    slot->peer = peer;
    slot->peerlen = peerlen;
    atomic_store(&slot->ended, false);
    int rc = sl_thread_start(&slot->thread, tcp_run_main, slot, 0);
    if (rc != 0) {
        sl_cli_log(rx->prog, "TCP run from %s refused: cannot start a thread: %s", name,
                   SL_STRERROR(rc));
        sl_socket_close(fd);
        slot->fd = -1;
    }
}

/* Joins the threads of the busy slots (those that ended, or all). */
static void join_runs(struct tcp_runs *t, bool all)
{
    for (int i = 0; i < TCP_RUNS_MAX; i++) {
        struct tcp_slot *slot = &t->slot[i];
        if (slot->fd >= 0 && (all || atomic_load(&slot->ended))) {
            pthread_join(slot->thread, NULL);
            sl_socket_close(slot->fd);
            slot->fd = -1;
        }
    }
}

void tcp_runs_reap(struct tcp_runs *t)
{
    sl_wakeup_drain(t->ended_pipe[0]);
    join_runs(t, false);
}

void tcp_runs_stop(struct tcp_runs *t)
{
    atomic_store(&t->quitting, true);
    sl_wakeup_signal(t->quit_pipe[1]);
    /* The runs poll the quit pipe; a send that blocks is cut here. */
    for (int i = 0; i < TCP_RUNS_MAX; i++)
        if (t->slot[i].fd >= 0)
            sl_socket_shutdown_wake(t->slot[i].fd, SHUT_RDWR);
    join_runs(t, true);
    sl_wakeup_close(t->ended_pipe);
    sl_wakeup_close(t->quit_pipe);
}
