/* The probe receiver's shared state: the UDP loop (probe_listen.c) in the
 * main thread, each TCP run (probe_tcp.c) in a thread of its own.
 *
 * Threads: a struct run belongs to the one thread that reads its socket.
 * What they share, the finished runs' REPORTs and the count of runs, is
 * under the receiver's lock; OPT and PROG are read-only. Output lines are
 * whole printf() calls, so runs' lines never cut into each other. */
#ifndef UDPPEER_PROBE_RECEIVER_H
#define UDPPEER_PROBE_RECEIVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "options.h"
#include "socklab/err.h"
#include "socklab/probe.h"

#define DONE_RUNS 16
/* TCP runs served at once; one more is refused (closed, and logged). */
#define TCP_RUNS_MAX 8

struct run {
    bool active;
    struct sl_probe_stats stats;
    uint64_t next_tick_ns;
    uint64_t last_tick_ns;  /* when the last progress line (or the run) began */
    uint64_t tick_arrivals; /* arrivals counted at the last progress line */
};

struct receiver;

/* One TCP run's connection, owned by the main thread while FD < 0 or
 * ENDED; by the run's thread in between. */
struct tcp_slot {
    struct receiver *rx;
    pthread_t thread;
    int fd; /* -1: free */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    atomic_bool ended; /* the thread is done: join it, close FD */
};

struct tcp_runs {
    int lfd; /* the listening socket (non-blocking), or -1 */
    struct tcp_slot slot[TCP_RUNS_MAX];
    int ended_pipe[2];     /* a byte per thread that ended: wakes the main loop */
    int quit_pipe[2];      /* readable: every run stops now */
    atomic_bool quitting;  /* so a run cut by the stop is not logged as a failure */
    uint64_t paused_until; /* accept() out of fds: leave the listener alone until then */
};

struct receiver {
    const char *prog;
    const struct udppeer_options *opt;
    int fd;
    struct run run; /* the UDP run */
    uint64_t ignored;
    struct tcp_runs tcp;
    pthread_mutex_t lock; /* guards the fields below */
    /* The last finished runs, to answer a repeated END with the same
     * REPORT instead of taking it for a new run that lost everything. */
    struct {
        uint32_t session;
        bool used;
        unsigned char report[SL_PROBE_REPORT_LEN];
    } done[DONE_RUNS];
    unsigned done_next;
    int runs;
};

/* Opens RUN for header H from FROM (prints the run's first line). */
void run_start(struct receiver *rx, struct run *run, const struct sl_probe_header *h,
               const struct sockaddr_storage *from, socklen_t fromlen, uint64_t now);

/* A progress line, when --interval says one is due. */
void run_progress(struct receiver *rx, struct run *run, uint64_t now);

/* Ends RUN: prints the result, keeps its REPORT for repeats and copies it
 * to REPORT. */
void run_finish(struct receiver *rx, struct run *run, const char *how,
                unsigned char report[SL_PROBE_REPORT_LEN]);

/* Runs finished so far. */
int receiver_runs(struct receiver *rx);

/* TCP runs on their own threads (probe_tcp.c), from listening socket LFD
 * (-1: none). Init returns 0, or -1 with ERR filled. */
int tcp_runs_init(struct tcp_runs *t, struct receiver *rx, int lfd, char err[SL_ERRLEN]);
/* Readable when a run's thread has ended: then call tcp_runs_reap(). */
int tcp_runs_ended_fd(const struct tcp_runs *t);
/* The listening socket is readable: takes the connection and starts its
 * run, or refuses it when TCP_RUNS_MAX are running. */
void tcp_runs_accept(struct tcp_runs *t);
/* Joins the threads whose runs have ended and frees their slots. */
void tcp_runs_reap(struct tcp_runs *t);
/* Stops every run now (no REPORT), joins the threads, releases T. */
void tcp_runs_stop(struct tcp_runs *t);

#endif
