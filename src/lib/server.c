/* The thread-per-connection server (steps 6-8), see server.h. */
#include "socklab/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "socklab/platform.h"
#include "socklab/runtime.h"
#include "socklab/tcp.h"

static void server_log(struct sl_server *s, enum sl_server_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void server_log(struct sl_server *s, enum sl_server_log_level level, const char *fmt, ...)
{
    char msg[SL_ERRLEN + SL_ADDRSTRLEN + 64];
    va_list ap;
    if (s->cfg.log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->cfg.log(s->cfg.ctx, level, msg);
}

int sl_server_init(struct sl_server *s, const struct sl_server_config *cfg, char err[SL_ERRLEN])
{
    s->cfg = *cfg;
    (void)sl_raise_nofile(NULL); /* one descriptor per client: all we may */
    if (s->cfg.max_clients == 0)
        s->cfg.max_clients = sl_host_client_limit(
            cfg->threads_per_client ? cfg->threads_per_client : 1,
            cfg->fds_per_client ? cfg->fds_per_client : 1, cfg->bytes_per_client);
    s->lfd = -1;
    s->conns = NULL;
    s->nconns = 0;
    s->accepted = 0;
    s->done_pipe[0] = s->done_pipe[1] = -1;
    if (cfg->accept_limit && sl_wakeup_open(s->done_pipe) < 0) {
        sl_errno(err, "pipe");
        return -1;
    }
    int rc = pthread_mutex_init(&s->lock, NULL);
    if (rc == 0)
        rc = pthread_cond_init(&s->changed, NULL);
    if (rc != 0) {
        errno = rc;
        sl_errno(err, "server lock");
        return -1;
    }
    if (sl_refusals_init(&s->refusals) < 0) {
        sl_errno(err, "server refusals");
        return -1;
    }
    return 0;
}

int sl_server_listen(struct sl_server *s, const char *host, const char *port, int family,
                     int backlog, char err[SL_ERRLEN])
{
    /* The stop watcher is the trace's too (sl_trace_watch_stop): it lives
     * in S, which outlives every thread that reads the trace. */
    if (sl_shutdown_init(&s->stop, s->cfg.trace, err) < 0)
        return -1;
    s->lfd = sl_listen_tcp(host, port, family, backlog, s->cfg.trace, err);
    if (s->lfd < 0)
        sl_shutdown_free(&s->stop);
    return s->lfd;
}

void sl_server_request_stop(struct sl_server *s)
{
    sl_shutdown_request(&s->stop);
}

void sl_conn_hello_done(struct sl_conn *conn)
{
    const struct sl_server_config *cfg = &conn->server->cfg;
    if (cfg->hello_ms != cfg->idle_ms)
        sl_socket_set_recv_timeout(conn->fd, cfg->idle_ms);
}

static void unlink_conn(struct sl_server *s, struct sl_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
}

/* 7. communicate (the tool's), then 8. disconnect (ours). */
static void *conn_main(void *arg)
{
    struct sl_conn *c = arg;
    struct sl_server *s = c->server;
    const struct sl_trace *t = s->cfg.trace;

    sl_trace_before(t, SL_STEP_COMMUNICATE);
    s->cfg.serve(c, s->cfg.ctx);

    sl_trace_before(t, SL_STEP_CLOSE); /* --step pauses here, holding no lock */
    pthread_mutex_lock(&s->lock);
    unlink_conn(s, c);
    /* Closed under the lock: sl_server_stop() must never shut down a
     * number that already belongs to the next connection. */
    sl_close_traced(t, c->fd, "close fd %d (%s)", c->fd, c->peer);
    if (s->cfg.accept_limit && s->accepted >= s->cfg.accept_limit && s->nconns == 0)
        sl_wakeup_signal(s->done_pipe[1]);
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    free(c);
    return NULL;
}

/* A client we cannot take: the tool's words saying why, then a lingering
 * close. Non-blocking: it must never stall the accept loop. */
static void refuse(struct sl_server *s, int fd)
{
    const char *msg = s->cfg.refusal;
    if (msg != NULL) {
        size_t len = s->cfg.refusal_len ? s->cfg.refusal_len : strlen(msg);
        (void)!send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    sl_refusals_add(&s->refusals, fd);
}

/* Registers the connection and starts its thread, or refuses it. */
static void admit(struct sl_server *s, int fd, const struct sockaddr_storage *peer,
                  socklen_t peerlen)
{
    struct sl_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        server_log(s, SL_SERVER_ERROR, "client refused: out of memory");
        sl_socket_close(fd);
        return;
    }
    c->fd = fd;
    c->server = s;
    sl_format_addr((const struct sockaddr *)peer, peerlen, c->peer, sizeof c->peer);
    int limit = s->cfg.hello_ms ? s->cfg.hello_ms : s->cfg.idle_ms;
    if (limit)
        sl_socket_set_recv_timeout(fd, limit);

    pthread_mutex_lock(&s->lock);
    if (s->cfg.max_clients && s->nconns >= s->cfg.max_clients) {
        pthread_mutex_unlock(&s->lock);
        server_log(s, SL_SERVER_INFO, "%s refused: --max-clients %lu reached", c->peer,
                   s->cfg.max_clients);
        refuse(s, fd);
        free(c);
        return;
    }
    /* Linked in before the thread starts, so its exit always finds it. */
    c->next = s->conns;
    if (c->next)
        c->next->prev = c;
    s->conns = c;
    s->nconns++;
    char who[SL_ADDRSTRLEN];
    memcpy(who, c->peer, sizeof who); /* once the thread runs, C is its own */
    int rc = sl_thread_start_detached(conn_main, c, 0);
    if (rc == 0)
        s->accepted++;
    else
        unlink_conn(s, c);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        server_log(s, SL_SERVER_ERROR, "%s refused: cannot start a thread: %s", who, strerror(rc));
        sl_socket_close(fd);
        free(c);
    }
}

/* With an accept limit reached: wait for its connections or a stop. */
static enum sl_server_end await_done(struct sl_server *s, int stop_fd)
{
    struct pollfd p[2] = {{.fd = s->done_pipe[0], .events = POLLIN},
                          {.fd = stop_fd, .events = POLLIN}};
    while (sl_poll(p, stop_fd >= 0 ? 2 : 1, -1) < 0)
        if (errno != EINTR)
            return SL_SERVER_STOPPED;
    return p[0].revents ? SL_SERVER_DONE : SL_SERVER_STOPPED;
}

static bool limit_reached(struct sl_server *s)
{
    pthread_mutex_lock(&s->lock);
    bool reached = s->cfg.accept_limit && s->accepted >= s->cfg.accept_limit;
    pthread_mutex_unlock(&s->lock);
    return reached;
}

enum sl_server_end sl_server_run(struct sl_server *s)
{
    char err[SL_ERRLEN];
    int stop_fd = sl_shutdown_fd(&s->stop);
    int64_t last_complaint = -1000;

    while (!limit_reached(s)) {
        struct sockaddr_storage peer;
        socklen_t peerlen = sizeof peer;
        int fd = sl_accept(s->lfd, stop_fd, &peer, &peerlen, s->cfg.trace, err);
        if (fd >= 0) {
            admit(s, fd, &peer, peerlen);
            continue;
        }
        if (errno == ECANCELED)
            return SL_SERVER_STOPPED;
        /* EMFILE and friends: sl_accept already paused; say so once a second. */
        int64_t now = sl_monotonic_ms();
        if (now - last_complaint >= 1000) {
            server_log(s, SL_SERVER_ERROR, "%s", err);
            last_complaint = now;
        }
    }
    return await_done(s, stop_fd);
}

unsigned long sl_server_clients(struct sl_server *s)
{
    pthread_mutex_lock(&s->lock);
    unsigned long n = s->nconns;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Shuts every live connection down with HOW, then waits for the threads
 * until the deadline. Called with the lock held. Returns true when none is
 * left. */
static bool shut_and_wait(struct sl_server *s, int how, int wait_ms)
{
    struct timespec deadline;
    for (struct sl_conn *c = s->conns; c; c = c->next)
        sl_socket_shutdown_wake(c->fd, how);
    sl_deadline_after_ms(&deadline, wait_ms);
    while (s->nconns > 0)
        if (pthread_cond_timedwait(&s->changed, &s->lock, &deadline) == ETIMEDOUT)
            break;
    return s->nconns == 0;
}

/* Releases what no thread can touch any more. */
static void server_free(struct sl_server *s)
{
    if (s->done_pipe[0] >= 0)
        sl_wakeup_close(s->done_pipe);
    s->done_pipe[0] = s->done_pipe[1] = -1;
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
}

void sl_server_stop(struct sl_server *s, int grace_ms)
{
    if (s->lfd >= 0)
        sl_socket_close(s->lfd);
    s->lfd = -1;
    pthread_mutex_lock(&s->lock);
    /* Readers wake with end-of-stream; writers may still finish, e.g. a
     * goodbye line. A client that reads nothing blocks its writer: after
     * the grace time both directions are cut. */
    bool idle = shut_and_wait(s, SHUT_RD, grace_ms) || shut_and_wait(s, SHUT_RDWR, 1000);
    pthread_mutex_unlock(&s->lock);
    sl_refusals_free(&s->refusals);
    sl_shutdown_free(&s->stop); /* its state stays readable for late threads */
    if (idle)
        server_free(s); /* else a late thread still needs the lock and the pipe */
}
