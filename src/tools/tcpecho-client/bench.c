/* --bench: a sockperf-style ping-pong load, one thread per connection.
 * Each thread sends SIZE bytes, waits for all SIZE to come back, and
 * records how long that round trip took. */
#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "echo_client.h"
#include "socklab/socklab.h"

#define WARMUP_ROUNDTRIPS 100

/* One connection's progress through its current round trip. */
struct bench_conn {
    int fd;
    unsigned long done; /* round trips completed */
    size_t sent, got;   /* bytes of the current message sent / echoed back */
    uint64_t t0;        /* when the current round trip started */
};

/* A worker thread drives several connections with poll(): fewer threads
 * than connections means fewer context switches on the client side, so
 * the figures say more about the server. */
struct bench_worker {
    const struct bench_options *opt;
    pthread_barrier_t *start;
    struct bench_conn *conns;
    size_t nconns;
    uint32_t *lat_ns; /* one entry per measured round trip */
    size_t nlat;
    char err[SL_ERRLEN];
    int failed;
};

static int worker_fail(struct bench_worker *w, const char *what)
{
    char why[SL_ERRLEN];
    snprintf(w->err, SL_ERRLEN, "%s: %s", what, sl_strerror(errno, why, sizeof why));
    w->failed = 1;
    return -1;
}

/* Sends what the socket takes of the current message without blocking:
 * a big message is echoed while we still send it, so we must keep reading. */
static int push(struct bench_worker *w, struct bench_conn *c, const char *msg)
{
    size_t size = w->opt->size;
    while (c->sent < size) {
        ssize_t n = sl_socket_send_nowait(c->fd, msg + c->sent, size - c->sent);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return worker_fail(w, "send");
        }
        c->sent += (size_t)n;
    }
    return 0;
}

/* Reads echo bytes and checks them against MSG. NOWAIT after poll() said
 * readable (the layer's MSG_DONTWAIT), else the read blocks. Returns 1
 * when a round trip completed, 0 to go on, -1 on failure. */
static int pull(struct bench_worker *w, struct bench_conn *c, const char *msg, char *buf,
                size_t buflen, bool nowait)
{
    size_t size = w->opt->size;
    size_t want = size - c->got < buflen ? size - c->got : buflen;
    ssize_t n = nowait ? sl_socket_recv_nowait(c->fd, buf, want) : sl_fd_read(c->fd, buf, want);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : worker_fail(w, "recv");
    if (n == 0) {
        snprintf(w->err, SL_ERRLEN, "the server closed the connection");
        w->failed = 1;
        return -1;
    }
    if (memcmp(buf, msg + c->got, (size_t)n) != 0) {
        snprintf(w->err, SL_ERRLEN, "the echo differs from what was sent");
        w->failed = 1;
        return -1;
    }
    c->got += (size_t)n;
    return c->got == size;
}

/* Runs ROUNDTRIPS round trips on every connection of W, recording each
 * latency into LAT (NULL: warm-up, not recorded). */
static int drive(struct bench_worker *w, unsigned long roundtrips, uint32_t *lat, const char *msg,
                 char *buf, size_t buflen, struct pollfd *pfd)
{
    size_t active = 0, nlat = 0;
    for (size_t i = 0; i < w->nconns; i++) {
        struct bench_conn *c = &w->conns[i];
        *c = (struct bench_conn){.fd = c->fd, .t0 = sl_monotonic_ns()};
        if (push(w, c, msg) < 0)
            return -1;
        active++;
    }
    while (active > 0) {
        int solo = w->nconns == 1 && w->conns[0].sent == w->opt->size;
        if (!solo) {
            for (size_t i = 0; i < w->nconns; i++) {
                struct bench_conn *c = &w->conns[i];
                pfd[i].fd = c->done < roundtrips ? c->fd : -1;
                pfd[i].events = (short)(POLLIN | (c->sent < w->opt->size ? POLLOUT : 0));
            }
            if (poll(pfd, (nfds_t)w->nconns, -1) < 0 && errno != EINTR)
                return worker_fail(w, "poll");
        }
        for (size_t i = 0; i < w->nconns; i++) {
            struct bench_conn *c = &w->conns[i];
            if (c->done >= roundtrips || (!solo && pfd[i].revents == 0))
                continue;
            if (!solo && (pfd[i].revents & POLLOUT) && push(w, c, msg) < 0)
                return -1;
            if (!solo && !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int rc = pull(w, c, msg, buf, buflen, !solo);
            if (rc < 0)
                return -1;
            if (rc == 0)
                continue;
            uint64_t dt = sl_monotonic_ns() - c->t0;
            if (lat)
                lat[nlat++] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
            if (++c->done == roundtrips) {
                active--;
                continue;
            }
            c->sent = c->got = 0;
            c->t0 = sl_monotonic_ns();
            if (push(w, c, msg) < 0)
                return -1;
        }
    }
    return 0;
}

static void *bench_thread(void *arg)
{
    struct bench_worker *w = arg;
    size_t size = w->opt->size, buflen = size < 65536 ? size : 65536;
    char *msg = malloc(size), *buf = malloc(buflen);
    struct pollfd *pfd = calloc(w->nconns, sizeof *pfd);

    if (msg == NULL || buf == NULL || pfd == NULL) {
        snprintf(w->err, SL_ERRLEN, "out of memory");
        w->failed = 1;
    } else {
        for (size_t i = 0; i < size; i++)
            msg[i] = (char)('a' + i % 26);
        if (!w->failed)
            drive(w, WARMUP_ROUNDTRIPS, NULL, msg, buf, buflen, pfd);
    }
    pthread_barrier_wait(w->start);
    if (!w->failed)
        drive(w, w->opt->roundtrips, w->lat_ns, msg, buf, buflen, pfd);
    free(msg);
    free(buf);
    free(pfd);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void report(const struct bench_options *opt, uint32_t *lat, size_t n, double secs)
{
    qsort(lat, n, sizeof *lat, cmp_u32);
    double rate = (double)n / secs;
    printf("connections:   %lu\n", opt->connections);
    printf("message size:  %lu bytes\n", opt->size);
    printf("round trips:   %zu in %.3f s\n", n, secs);
    printf("round trips/s: %.0f\n", rate);
    char bytes_rate[SL_RATELEN];
    printf("throughput:    %s each way\n",
           sl_format_rate((uint64_t)n * opt->size, secs, bytes_rate));
    printf("latency:       p50 %.1f us  p99 %.1f us  max %.1f us\n", lat[n / 2] / 1e3,
           lat[(size_t)((double)n * 0.99)] / 1e3, lat[n - 1] / 1e3);
}

static int connect_one(const char *prog, const struct bench_options *opt)
{
    char err[SL_ERRLEN];
    int fd = sl_connect_tcp(opt->host, opt->port, opt->family, opt->timeout_ms, -1, NULL, err);
    if (fd < 0)
        sl_cli_log(prog, "%s", err);
    else
        sl_set_nodelay(fd);
    return fd;
}

/* Spreads NC connections over the workers, connects them, runs them all
 * from one barrier, and reports. */
static int run_pingpong(const char *prog, const struct bench_options *opt)
{
    unsigned long nc = opt->connections;
    unsigned long nw = opt->threads ? opt->threads : (nc < 2 ? nc : 2);
    struct bench_conn *conns = calloc(nc, sizeof *conns);
    struct bench_worker *workers = calloc(nw, sizeof *workers);
    uint32_t *lat = calloc(nc * opt->roundtrips, sizeof *lat);
    pthread_t *tids = calloc(nw, sizeof *tids);
    pthread_barrier_t start;
    int rc = SL_EXIT_FAILURE;

    if (nw > nc)
        nw = nc;
    if (!conns || !workers || !lat || !tids) {
        rc = sl_cli_fail(prog, "out of memory for %lu x %lu round trips", nc, opt->roundtrips);
        goto out;
    }
    for (unsigned long i = 0; i < nc; i++)
        conns[i].fd = -1;
    for (unsigned long i = 0; i < nc; i++) {
        conns[i].fd = connect_one(prog, opt);
        if (conns[i].fd < 0)
            goto out;
    }
    pthread_barrier_init(&start, NULL, (unsigned)nw + 1);
    for (unsigned long i = 0, first = 0; i < nw; i++) {
        unsigned long n = nc / nw + (i < nc % nw);
        workers[i] = (struct bench_worker){.opt = opt,
                                           .start = &start,
                                           .conns = conns + first,
                                           .nconns = n,
                                           .lat_ns = lat + first * opt->roundtrips};
        first += n;
        if (sl_thread_start(&tids[i], bench_thread, &workers[i], 256 * 1024) != 0) {
            /* The barrier counts on every thread: without them, give up now. */
            sl_cli_fail(prog, "cannot start %lu threads", nw);
            exit(SL_EXIT_FAILURE);
        }
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = sl_monotonic_ns();
    for (unsigned long i = 0; i < nw; i++)
        pthread_join(tids[i], NULL);
    double secs = (double)(sl_monotonic_ns() - t0) / 1e9;
    pthread_barrier_destroy(&start);

    rc = SL_EXIT_OK;
    for (unsigned long i = 0; i < nw && rc == SL_EXIT_OK; i++)
        if (workers[i].failed)
            rc = sl_cli_fail(prog, "%s", workers[i].err);
    if (rc == SL_EXIT_OK)
        report(opt, lat, nc * opt->roundtrips, secs);
out:
    for (unsigned long i = 0; conns && i < nc; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    free(conns);
    free(workers);
    free(lat);
    free(tids);
    return rc;
}

/* Waits HOLD_MS, or until stdin ends when HOLD_MS < 0. */
static void hold(int hold_ms)
{
    if (hold_ms >= 0) {
        struct timespec ts = {hold_ms / 1000, (long)(hold_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        return;
    }
    char buf[256];
    while (sl_read_some(STDIN_FILENO, buf, sizeof buf) > 0)
        ;
}

/* --idle N: opens N connections, checks each is served with one round trip,
 * then holds them open so the server's cost per idle client can be seen. */
static int run_idle(const char *prog, const struct bench_options *opt)
{
    int *fds = malloc(opt->idle * sizeof *fds);
    unsigned long open_ok = 0;
    char err[SL_ERRLEN];
    int rc = SL_EXIT_OK;

    if (fds == NULL)
        return sl_cli_fail(prog, "out of memory");
    uint64_t t0 = sl_monotonic_ns();
    for (; open_ok < opt->idle; open_ok++) {
        char back, why[SL_ERRLEN];
        int fd = connect_one(prog, opt);
        errno = 0;
        if (fd >= 0 && (sl_send_all(fd, "x", 1) < 0 || sl_recv_all(fd, &back, 1) != 1))
            snprintf(err, sizeof err, "no echo: %s",
                     errno ? sl_strerror(errno, why, sizeof why) : "closed");
        else if (fd >= 0)
            err[0] = '\0';
        if (fd < 0 || err[0] != '\0') {
            if (fd >= 0) {
                sl_cli_log(prog, "connection %lu: %s", open_ok + 1, err);
                close(fd);
            }
            rc = SL_EXIT_FAILURE;
            break;
        }
        fds[open_ok] = fd;
    }
    printf("idle connections: %lu open and served in %.2f s\n", open_ok,
           (double)(sl_monotonic_ns() - t0) / 1e9);
    fflush(stdout);
    if (rc == SL_EXIT_OK)
        hold(opt->hold_ms);
    for (unsigned long i = 0; i < open_ok; i++)
        close(fds[i]);
    free(fds);
    return rc;
}

int echo_bench(const char *prog, const struct bench_options *opt)
{
    (void)sl_raise_nofile(NULL);
    return opt->idle ? run_idle(prog, opt) : run_pingpong(prog, opt);
}
