/* The notes' TCP server, steps 6-8, written once: a thread per connection.
 *
 * A server's main() does step 1 itself (sl_startup), then steps 2-5 with
 * sl_server_listen() (sl_listen_tcp, and SIGINT/SIGTERM turned into a stop
 * request), and sl_server_run() accepts (6) until a stop is requested,
 * giving each connection its own thread. That thread
 * runs the tool's SERVE function (7, communicate) and then closes the
 * connection (8); the tool never closes it. Around that the module keeps
 * what every server needs and what each used to write for itself:
 *
 *   - the accept loop: EMFILE and friends pause instead of spinning
 *     (sl_accept), and their complaints are rate-limited to one a second;
 *   - the registry of live connections, and a cap (MAX_CLIENTS) with a
 *     per-tool refusal line sent before the close;
 *   - small per-connection stacks (SL_THREAD_STACK), so 10,000 fit;
 *   - hello and idle limits: a receive that waits longer fails with
 *     ETIMEDOUT (SO_RCVTIMEO; see sl_recv_some);
 *   - stop-all by a deadline: read sides shut first (a reader wakes with
 *     end-of-stream, what it still has to say can go out), everything
 *     after GRACE_MS.
 *
 * The module never prints: what a person should hear goes to the LOG
 * callback. A struct sl_server must outlive every connection thread: a
 * thread that the stop deadline cut off may still end after main returned,
 * so servers keep theirs static. */
#ifndef SOCKLAB_SERVER_H
#define SOCKLAB_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "socklab/addr.h"
#include "socklab/err.h"
#include "socklab/shutdown.h"
#include "socklab/trace.h"

struct sl_server;

/* Refused connections whose last words are still on their way: each one
 * is half-closed and drained for a moment before its close, because
 * closing a socket with unread input sends a reset that can destroy the
 * refusal line before the client reads it. One thread, started at the
 * first refusal, serves them all; a bounded set, so a flood of refusals
 * cannot cost more than SL_REFUSALS_MAX descriptors (beyond, the close is
 * immediate). */
#define SL_REFUSALS_MAX 64
struct sl_refusals {
    pthread_mutex_t lock;
    int fds[SL_REFUSALS_MAX];
    long long deadline_ms[SL_REFUSALS_MAX];
    unsigned n;
    int wake[2]; /* a byte: look at the set again (or stop) */
    bool started, stopping;
    pthread_t thread;
};

/* One accepted connection, owned by its thread. */
struct sl_conn {
    int fd;
    char peer[SL_ADDRSTRLEN]; /* "[::1]:50000" */
    struct sl_server *server;
    struct sl_conn *prev, *next; /* the registry's, under the server lock */
};

enum sl_server_log_level {
    SL_SERVER_ERROR, /* the operator should know: accept failing, no threads */
    SL_SERVER_INFO,  /* routine: a client refused over the cap (for -v) */
};

struct sl_server_config {
    struct sl_trace *trace; /* steps 2-8 are traced here; may be NULL */
    /* Step 7 for CONN, in its own thread. It must not close CONN->fd. */
    void (*serve)(struct sl_conn *conn, void *ctx);
    void *ctx; /* the tool's, passed to SERVE and LOG */
    /* A line for the operator (no newline); NULL: the module is silent. */
    void (*log)(void *ctx, enum sl_server_log_level level, const char *msg);
    /* The cap. 0: the host's limit for a client that costs
     * THREADS_PER_CLIENT threads, FDS_PER_CLIENT descriptors and
     * BYTES_PER_CLIENT of memory
     * (sl_host_client_limit); sl_server_init() stores the result here. */
    unsigned long max_clients;
    unsigned threads_per_client; /* 0: 1 */
    unsigned fds_per_client;     /* 0: 1 (its socket) */
    size_t bytes_per_client;
    const char *refusal;        /* sent to a client refused over the cap; NULL: none */
    size_t refusal_len;         /* its bytes (0: strlen, for a text line) */
    unsigned long accept_limit; /* stop accepting after this many (0: never): --once */
    int hello_ms;               /* limit until sl_conn_hello_done() (0: as IDLE_MS) */
    int idle_ms;                /* limit for each receive after that (0: none) */
};

struct sl_server {
    struct sl_server_config cfg;
    int lfd;                 /* the listening socket (sl_server_listen), or -1 */
    struct sl_shutdown stop; /* SIGINT/SIGTERM: the trace's pauses read it too */
    pthread_mutex_t lock;    /* guards the fields below */
    pthread_cond_t changed;
    struct sl_conn *conns;
    unsigned long nconns;
    unsigned long accepted;
    int done_pipe[2]; /* readable once ACCEPT_LIMIT connections have ended */
    struct sl_refusals refusals;
};

/* Prepares S with a copy of CFG, raising RLIMIT_NOFILE to its hard limit
 * (one descriptor per client) and deriving the cap when CFG has none
 * (S->cfg.max_clients tells it). Returns 0, or -1 with ERR filled. */
int sl_server_init(struct sl_server *s, const struct sl_server_config *cfg, char err[SL_ERRLEN]);

/* Steps 2-5 (socket, address, bind, listen: see sl_listen_tcp) on
 * HOST/PORT/FAMILY, and from here on SIGINT/SIGTERM request a stop (and
 * end a --step pause of the trace). Call from main before any thread.
 * Returns the listening fd, or -1 with ERR filled. */
int sl_server_listen(struct sl_server *s, const char *host, const char *port, int family,
                     int backlog, char err[SL_ERRLEN]);

/* Asks sl_server_run() to return, as SIGINT would. */
void sl_server_request_stop(struct sl_server *s);

enum sl_server_end {
    SL_SERVER_STOPPED, /* STOP_FD became readable */
    SL_SERVER_DONE,    /* ACCEPT_LIMIT connections were served and have ended */
};

/* Step 6: accepts, a thread per connection, until a stop is requested or
 * (with an accept limit) the last connection has ended. Connections still
 * running are left to sl_server_stop(). */
enum sl_server_end sl_server_run(struct sl_server *s);

/* Connections alive right now. */
unsigned long sl_server_clients(struct sl_server *s);

/* The hello is over: from now on CONN's receives wait IDLE_MS at most. */
void sl_conn_hello_done(struct sl_conn *conn);

/* Stop-all: closes the listening socket, shuts the read side of every
 * connection (its SERVE sees end-of-stream), waits up to GRACE_MS for the
 * threads, then shuts the rest down entirely and waits one more second.
 * Then it releases S, except what a thread still running could touch:
 * such a thread finishes on its own (S stays valid: see above). */
void sl_server_stop(struct sl_server *s, int grace_ms);

#endif
