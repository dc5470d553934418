/* The probe sender (UDP client steps 1-6, or TCP for contrast): COUNT
 * numbered, timestamped datagrams at a fixed rate or as fast as the
 * kernel takes them, then END until the receiver's REPORT comes back. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "probe_io.h"
#include "socklab/socklab.h"

#define BATCH 64

struct sender {
    const char *prog;
    const struct udppeer_options *opt;
    int fd;
    uint32_t session;
    unsigned char *bufs; /* BATCH datagrams of opt->size bytes */
    bool refused;        /* an ICMP port unreachable came back */
};

/* True once SIGINT/SIGTERM asked us to stop. */
static bool stop_requested(int stop_fd)
{
    struct pollfd p = {.fd = stop_fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

static uint32_t new_session(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)(ts.tv_nsec ^ (ts.tv_sec << 20) ^ ((long)getpid() << 8));
}

static void fill(struct sender *s, unsigned char *buf, uint8_t type, uint64_t seq, size_t len)
{
    struct sl_probe_header h = {.type = type,
                                .session = s->session,
                                .length = (uint32_t)len,
                                .seq = seq,
                                .count = s->opt->count,
                                .time_ns = sl_monotonic_ns()};
    sl_probe_put_header(&h, buf);
}

/* Sends datagrams FIRST..FIRST+N-1, in one sendmmsg() where the system
 * has it (probe_io.h). Returns how many went out, or -1. */
static long send_batch(struct sender *s, uint64_t first, unsigned n)
{
    size_t size = s->opt->size;
    for (unsigned i = 0; i < n; i++)
        fill(s, s->bufs + (size_t)i * size, SL_PROBE_DATA, first + i, size);
    unsigned done = 0;
    while (done < n) {
        int r = probe_send_datagrams(s->fd, s->bufs + (size_t)done * size, size, n - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOBUFS) { /* the device queue is full: let it drain */
                (void)poll(NULL, 0, 1);
                continue;
            }
            if (sl_udp_is_icmp_error(errno)) {
                /* The receiver's port is closed: the datagram was not
                 * sent; say so once and keep going (it may start). */
                if (!s->refused)
                    sl_cli_log(s->prog, "receiver not there yet: port unreachable (ICMP)");
                s->refused = true;
                continue;
            }
            return -1;
        }
        done += (unsigned)r;
    }
    return (long)done;
}

/* Sleeps until AT on sl_monotonic_ns()'s clock. */
static void sleep_until(uint64_t at)
{
    uint64_t now = sl_monotonic_ns();
    if (at <= now)
        return;
    struct timespec ts = {.tv_sec = (time_t)((at - now) / 1000000000u),
                          .tv_nsec = (long)((at - now) % 1000000000u)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int send_all_datagrams(struct sender *s, int stop_fd)
{
    const struct udppeer_options *opt = s->opt;
    uint64_t start = sl_monotonic_ns();
    uint64_t sent = 0;
    while (sent < opt->count) {
        unsigned n = BATCH;
        if (opt->rate > 0) {
            /* Datagram i is due at start + i/rate: send those due now. */
            uint64_t due = (uint64_t)((double)(sl_monotonic_ns() - start) * opt->rate / 1e9) + 1;
            if (due <= sent) {
                sleep_until(start + (uint64_t)((double)sent * 1e9 / opt->rate));
                continue;
            }
            if (due - sent < n)
                n = (unsigned)(due - sent);
        }
        if (opt->count - sent < n)
            n = (unsigned)(opt->count - sent);
        long r = send_batch(s, sent, n);
        if (r < 0) {
            sl_cli_log(s->prog, "send: %s", SL_STRERROR(errno));
            return -1;
        }
        sent += (uint64_t)r;
        /* Ctrl-C: checked every batch at a set rate, every 4096 at max. */
        if ((opt->rate > 0 || (sent & 0xfff) < n) && stop_requested(stop_fd))
            return -1;
    }
    double secs = (double)(sl_monotonic_ns() - start) / 1e9;
    char rate[SL_RATELEN];
    printf("sender: sent %" PRIu64 " datagrams of %zu bytes in %.3f s: %.0f datagrams/s, %s\n",
           sent, opt->size, secs, secs > 0 ? (double)sent / secs : 0,
           sl_format_rate(sent * opt->size, secs, rate));
    fflush(stdout);
    return 0;
}

/* END, again every 100 ms, until the REPORT for our session arrives. */
static int await_report(struct sender *s, int stop_fd, struct sl_probe_result *r)
{
    unsigned char end[SL_PROBE_HEADER_LEN];
    unsigned char in[SL_PROBE_MAX_LEN];
    uint64_t give_up = sl_monotonic_ns() + (uint64_t)s->opt->wait_ms * 1000000u;
    /* END's seq numbers the attempts, so the receiver can tell how many
     * ENDs were lost before one arrived. */
    for (uint64_t attempt = 0;; attempt++) {
        fill(s, end, SL_PROBE_END, attempt, sizeof end);
        (void)probe_send_datagrams(s->fd, end, sizeof end, 1);
        uint64_t resend = sl_monotonic_ns() + 100000000u;
        for (;;) {
            uint64_t now = sl_monotonic_ns();
            if (now >= give_up)
                return -1;
            uint64_t until = resend < give_up ? resend : give_up;
            if (now >= until)
                break;
            struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
                                  {.fd = stop_fd, .events = POLLIN}};
            int n = poll(p, 2, (int)((until - now) / 1000000u) + 1);
            if (n > 0 && p[1].revents)
                return -1;
            if (n <= 0 || !p[0].revents)
                continue;
            /* The layer's receive: an ICMP error reads as on Linux on both
             * systems (Winsock says WSAECONNRESET). */
            struct sockaddr_storage from;
            socklen_t fromlen;
            ssize_t len = sl_udp_recvfrom(s->fd, in, sizeof in, &from, &fromlen);
            if (len < 0 || (size_t)len > sizeof in) { /* too big for a REPORT */
                if (len < 0 && sl_udp_is_icmp_error(errno))
                    s->refused = true;
                continue;
            }
            struct sl_probe_header h;
            if (sl_probe_parse_header(in, (size_t)len, &h) == 0 && h.type == SL_PROBE_REPORT &&
                h.session == s->session) {
                sl_probe_get_result(in + SL_PROBE_HEADER_LEN, r);
                return 0;
            }
        }
    }
}

/* Steps 2 and 3: the socket, then the receiver's address, which the
 * socket is connected to so that sendmmsg() needs no addresses and the
 * kernel reports ICMP errors for this peer. The name is looked up first,
 * untraced (as sl_connect_tcp does): its family decides the socket's.
 * Returns 0 with NAME filled, or -1 with ERR filled. */
static int open_udp(struct sender *s, const struct sl_trace *t, char name[SL_ADDRSTRLEN],
                    char err[SL_ERRLEN])
{
    const struct udppeer_options *opt = s->opt;
    struct addrinfo *res;
    if (sl_resolve(opt->peers[0].host, opt->peers[0].port, opt->cli.family, SOCK_DGRAM, 0, &res,
                   err) < 0)
        return -1;
    sl_format_addr(res->ai_addr, res->ai_addrlen, name, SL_ADDRSTRLEN);
    int rc = -1;
    /* 2. socket */
    s->fd = sl_socket_udp(res->ai_family, t, err);
    if (s->fd >= 0) {
        /* 3. the receiver's address */
        sl_trace_before(t, SL_STEP_ADDRESS);
        sl_trace_step(t, SL_STEP_ADDRESS, -1, "receiver address %s", name);
        rc = sl_socket_connect(s->fd, res->ai_addr, (socklen_t)res->ai_addrlen);
        if (rc < 0) {
            snprintf(err, SL_ERRLEN, "connect %s: %s", name, SL_STRERROR(errno));
        }
    }
    freeaddrinfo(res);
    return rc;
}

static int run_udp(struct sender *s, int stop_fd, const struct sl_trace *t)
{
    const struct udppeer_options *opt = s->opt;
    char err[SL_ERRLEN];
    char name[SL_ADDRSTRLEN];

    if (open_udp(s, t, name, err) < 0)
        return sl_cli_fail(s->prog, "%s", err);

    /* 4. communicate */
    sl_trace_before(t, SL_STEP_COMMUNICATE);
    sl_trace_step(t, SL_STEP_COMMUNICATE, -1, "communicate: %" PRIu64 " datagrams of %zu bytes",
                  opt->count, opt->size);
    if (send_all_datagrams(s, stop_fd) < 0)
        return SL_EXIT_FAILURE;
    struct sl_probe_result r;
    if (await_report(s, stop_fd, &r) < 0) {
        if (s->refused)
            return sl_cli_fail(s->prog, "no receiver at %s: port unreachable (ICMP)", name);
        return sl_cli_fail(s->prog,
                           "no report from %s within %.1f s (is `udppeer --probe-listen` "
                           "running there?)",
                           name, opt->wait_ms / 1000.0);
    }
    probe_print_result(stdout, "receiver", opt->count, &r);
    return SL_EXIT_OK;
}

static int run_tcp(struct sender *s, int stop_fd, const struct sl_trace *t)
{
    const struct udppeer_options *opt = s->opt;
    char err[SL_ERRLEN];
    s->fd = sl_connect_tcp(opt->peers[0].host, opt->peers[0].port, opt->cli.family, 5000, stop_fd,
                           t, err);
    if (s->fd < 0)
        return sl_cli_fail(s->prog, "%s", err);
    uint64_t start = sl_monotonic_ns();
    uint64_t sent = 0;
    while (sent < opt->count) {
        unsigned n = opt->count - sent < BATCH ? (unsigned)(opt->count - sent) : BATCH;
        if (opt->rate > 0) {
            sleep_until(start + (uint64_t)((double)sent * 1e9 / opt->rate));
            n = 1;
        }
        for (unsigned i = 0; i < n; i++)
            fill(s, s->bufs + (size_t)i * opt->size, SL_PROBE_DATA, sent + i, opt->size);
        if (sl_send_all(s->fd, s->bufs, (size_t)n * opt->size) < 0) {
            return sl_cli_fail(s->prog, "send: %s", SL_STRERROR(errno));
        }
        sent += n;
        if ((opt->rate > 0 || (sent & 0xfff) < n) && stop_requested(stop_fd))
            return SL_EXIT_FAILURE;
    }
    double secs = (double)(sl_monotonic_ns() - start) / 1e9;
    printf("sender: sent %" PRIu64 " records of %zu bytes over TCP in %.3f s\n", sent, opt->size,
           secs);
    fflush(stdout);
    unsigned char end[SL_PROBE_HEADER_LEN], rep[SL_PROBE_REPORT_LEN];
    fill(s, end, SL_PROBE_END, 0, sizeof end);
    struct sl_probe_header h;
    struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    if (sl_send_all(s->fd, end, sizeof end) < 0 || poll(p, 2, opt->wait_ms) <= 0 || p[1].revents ||
        sl_recv_all(s->fd, rep, sizeof rep) != (ssize_t)sizeof rep ||
        sl_probe_parse_header(rep, sizeof rep, &h) < 0 || h.type != SL_PROBE_REPORT)
        return sl_cli_fail(s->prog, "no report from the receiver within %.1f s",
                           opt->wait_ms / 1000.0);
    struct sl_probe_result r;
    sl_probe_get_result(rep + SL_PROBE_HEADER_LEN, &r);
    probe_print_result(stdout, "receiver", opt->count, &r);
    return SL_EXIT_OK;
}

int probe_send_run(const char *prog, const struct udppeer_options *opt, int stop_fd,
                   const struct sl_trace *t)
{
    struct sender s = {.prog = prog, .opt = opt, .fd = -1, .session = new_session()};
    s.bufs = calloc(BATCH, opt->size);
    if (s.bufs == NULL)
        return sl_cli_fail(prog, "out of memory");
    int rc = opt->tcp ? run_tcp(&s, stop_fd, t) : run_udp(&s, stop_fd, t);
    if (s.fd >= 0) {
        /* 5. close the socket */
        sl_trace_before(t, SL_STEP_CLOSE);
        sl_trace_step(t, SL_STEP_CLOSE, s.fd, "close");
        sl_socket_close(s.fd);
    }
    free(s.bufs);
    return rc;
}
