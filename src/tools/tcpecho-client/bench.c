/* --bench: a sockperf-style ping-pong load, one thread per connection.
 * Each thread sends SIZE bytes, waits for all SIZE to come back, and
 * records how long that round trip took. */
#include <errno.h>
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

struct bench_conn {
    const struct bench_options *opt;
    pthread_barrier_t *start;
    int fd;
    uint32_t *lat_ns; /* one entry per round trip */
    char err[SL_ERRLEN];
    int failed;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One round trip: send MSG, read its echo into BACK, check it. */
static int roundtrip(int fd, const char *msg, char *back, size_t size, char *err)
{
    if (sl_send_all(fd, msg, size) < 0) {
        snprintf(err, SL_ERRLEN, "send: %s", strerror(errno));
        return -1;
    }
    ssize_t n = sl_recv_all(fd, back, size);
    if (n < 0) {
        snprintf(err, SL_ERRLEN, "recv: %s", strerror(errno));
        return -1;
    }
    if ((size_t)n != size || memcmp(msg, back, size) != 0) {
        snprintf(err, SL_ERRLEN, "the echo differs from what was sent");
        return -1;
    }
    return 0;
}

static void *bench_thread(void *arg)
{
    struct bench_conn *c = arg;
    size_t size = c->opt->size;
    char *msg = malloc(size), *back = malloc(size);

    if (msg == NULL || back == NULL) {
        snprintf(c->err, SL_ERRLEN, "out of memory");
        c->failed = 1;
    } else {
        for (size_t i = 0; i < size; i++)
            msg[i] = (char)('a' + i % 26);
        for (int i = 0; i < WARMUP_ROUNDTRIPS && !c->failed; i++)
            c->failed = roundtrip(c->fd, msg, back, size, c->err) < 0;
    }
    pthread_barrier_wait(c->start);
    for (unsigned long i = 0; i < c->opt->roundtrips && !c->failed; i++) {
        uint64_t t0 = now_ns();
        c->failed = roundtrip(c->fd, msg, back, size, c->err) < 0;
        uint64_t dt = now_ns() - t0;
        c->lat_ns[i] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
    }
    free(msg);
    free(back);
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
    printf("throughput:    %.2f MB/s each way\n", rate * (double)opt->size / 1e6);
    printf("latency:       p50 %.1f us  p99 %.1f us  max %.1f us\n", lat[n / 2] / 1e3,
           lat[(size_t)((double)n * 0.99)] / 1e3, lat[n - 1] / 1e3);
}

static int connect_one(const char *prog, const struct bench_options *opt)
{
    char err[SL_ERRLEN];
    int fd = sl_connect_tcp(opt->host, opt->port, opt->family, opt->timeout_ms, NULL, err);
    if (fd < 0)
        sl_cli_log(prog, "%s", err);
    else
        sl_set_nodelay(fd);
    return fd;
}

static int run_pingpong(const char *prog, const struct bench_options *opt)
{
    unsigned long nc = opt->connections;
    struct bench_conn *conns = calloc(nc, sizeof *conns);
    uint32_t *lat = calloc(nc * opt->roundtrips, sizeof *lat);
    pthread_t *tids = calloc(nc, sizeof *tids);
    pthread_barrier_t start;
    unsigned long started = 0;
    int rc = SL_EXIT_FAILURE;

    if (!conns || !lat || !tids) {
        sl_cli_fail(prog, "out of memory for %lu x %lu round trips", nc, opt->roundtrips);
        goto out;
    }
    pthread_barrier_init(&start, NULL, (unsigned)nc + 1);
    for (unsigned long i = 0; i < nc; i++) {
        conns[i] =
            (struct bench_conn){.opt = opt, .start = &start, .lat_ns = lat + i * opt->roundtrips};
        conns[i].fd = connect_one(prog, opt);
        if (conns[i].fd < 0) {
            conns[i].failed = 1;
            snprintf(conns[i].err, SL_ERRLEN, "not connected");
        }
    }
    for (; started < nc; started++)
        if (sl_thread_start(&tids[started], bench_thread, &conns[started], 256 * 1024) != 0)
            break;
    if (started < nc) {
        /* The barrier counts on every thread: without them, give up now. */
        sl_cli_fail(prog, "cannot start %lu threads", nc);
        exit(SL_EXIT_FAILURE);
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = now_ns();
    for (unsigned long i = 0; i < nc; i++)
        pthread_join(tids[i], NULL);
    double secs = (double)(now_ns() - t0) / 1e9;
    pthread_barrier_destroy(&start);

    rc = SL_EXIT_OK;
    for (unsigned long i = 0; i < nc; i++) {
        if (conns[i].failed) {
            rc = sl_cli_fail(prog, "connection %lu: %s", i + 1, conns[i].err);
            break;
        }
    }
    if (rc == SL_EXIT_OK)
        report(opt, lat, nc * opt->roundtrips, secs);
    for (unsigned long i = 0; i < nc; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
out:
    free(conns);
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
    uint64_t t0 = now_ns();
    for (; open_ok < opt->idle; open_ok++) {
        char back;
        int fd = connect_one(prog, opt);
        if (fd < 0 || roundtrip(fd, "x", &back, 1, err) < 0) {
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
           (double)(now_ns() - t0) / 1e9);
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
