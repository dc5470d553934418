/* RFC 862 echo, one thread per client as in the notes. */
#include "echo_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "socklab/socklab.h"

/* Per-connection echo buffer. It lives on the thread's small stack and its
 * pages are only touched once data flows, so idle clients cost little. */
#define ECHO_BUF (32 * 1024)

struct echo_session {
    struct echo_server *srv;
    int fd;
    char peer[SL_ADDRSTRLEN];
    struct echo_session *prev, *next;
};

int echo_server_init(struct echo_server *srv)
{
    srv->sessions = NULL;
    srv->nclients = 0;
    if (pthread_mutex_init(&srv->lock, NULL) != 0)
        return -1;
    if (pthread_cond_init(&srv->all_gone, NULL) != 0)
        return -1;
    return 0;
}

/* 7. communicate: send back every byte as it arrives. */
static unsigned long long echo_bytes(int fd, const char *peer, const char *prog, bool verbose)
{
    char buf[ECHO_BUF];
    unsigned long long total = 0;
    for (;;) {
        ssize_t n = sl_recv_some(fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0 || sl_send_all(fd, buf, (size_t)n) < 0) {
            /* A reset or a vanished client ends its session, not the server. */
            if (verbose)
                sl_cli_log(prog, "%s: %s", peer, strerror(errno));
            break;
        }
        total += (unsigned long long)n;
    }
    return total;
}

static void unlink_session(struct echo_server *srv, struct echo_session *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    srv->nclients--;
}

static void *session_main(void *arg)
{
    struct echo_session *s = arg;
    struct echo_server *srv = s->srv;

    sl_trace_before(&srv->trace, SL_STEP_COMMUNICATE);
    unsigned long long total = echo_bytes(s->fd, s->peer, srv->prog, srv->verbose);
    sl_trace_step(&srv->trace, SL_STEP_COMMUNICATE, s->fd, "communicate fd %d: echoed %llu bytes",
                  s->fd, total);

    sl_trace_before(&srv->trace, SL_STEP_CLOSE); /* --step pauses here, holding no lock */
    pthread_mutex_lock(&srv->lock);
    unlink_session(srv, s);
    unsigned long left = srv->nclients;
    bool verbose = srv->verbose;
    const char *prog = srv->prog;
    /* 8. disconnect (under the lock: stop_all may shutdown() it) */
    sl_close_traced(&srv->trace, s->fd, "close fd %d (%s)", s->fd, s->peer);
    pthread_cond_broadcast(&srv->all_gone);
    pthread_mutex_unlock(&srv->lock);
    /* SRV is not touched past this point: main may be returning from
     * echo_server_stop_all() and tearing the server down. */
    if (verbose)
        sl_cli_log(prog, "%s left after %llu bytes (%lu clients)", s->peer, total, left);
    free(s);
    return NULL;
}

/* Starts the thread for a new client, or closes it if we cannot take it. */
static void start_session(struct echo_server *srv, int fd, const struct sockaddr_storage *peer,
                          socklen_t peerlen)
{
    struct echo_session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        sl_cli_log(srv->prog, "client refused: out of memory");
        close(fd);
        return;
    }
    s->srv = srv;
    s->fd = fd;
    sl_format_addr((const struct sockaddr *)peer, peerlen, s->peer, sizeof s->peer);
    /* Once the thread runs, S belongs to it (it may end and free S at once). */
    char who[SL_ADDRSTRLEN];
    memcpy(who, s->peer, sizeof who);

    pthread_mutex_lock(&srv->lock);
    if (srv->max_clients && srv->nclients >= srv->max_clients) {
        pthread_mutex_unlock(&srv->lock);
        if (srv->verbose)
            sl_cli_log(srv->prog, "%s refused: --max-clients %lu reached", s->peer,
                       srv->max_clients);
        goto refuse;
    }
    /* Linked in before the thread starts, so its exit always finds it. */
    s->next = srv->sessions;
    if (s->next)
        s->next->prev = s;
    srv->sessions = s;
    srv->nclients++;
    unsigned long n = srv->nclients;
    int rc = sl_thread_start_detached(session_main, s, 0);
    if (rc != 0)
        unlink_session(srv, s);
    pthread_mutex_unlock(&srv->lock);
    if (rc != 0) {
        sl_cli_log(srv->prog, "%s refused: cannot start a thread: %s", who, strerror(rc));
        goto refuse;
    }
    if (srv->verbose)
        sl_cli_log(srv->prog, "%s connected (%lu clients)", who, n);
    return;
refuse:
    close(fd);
    free(s);
}

void echo_server_run(struct echo_server *srv, int lfd, int stop_fd)
{
    char err[SL_ERRLEN];
    time_t last_complaint = 0;

    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peerlen = sizeof peer;
        int fd = sl_accept(lfd, stop_fd, &peer, &peerlen, &srv->trace, err);
        if (fd >= 0) {
            start_session(srv, fd, &peer, peerlen);
            continue;
        }
        if (errno == ECANCELED)
            return;
        /* EMFILE and friends: sl_accept already paused; say so once a second. */
        time_t now = time(NULL);
        if (now != last_complaint) {
            sl_cli_log(srv->prog, "%s", err);
            last_complaint = now;
        }
    }
}

void echo_server_stop_all(struct echo_server *srv, int wait_ms)
{
    struct timespec deadline;
    sl_deadline_after_ms(&deadline, wait_ms);

    pthread_mutex_lock(&srv->lock);
    /* shutdown() wakes each thread blocked in recv() with end-of-stream. */
    for (struct echo_session *s = srv->sessions; s; s = s->next)
        shutdown(s->fd, SHUT_RDWR);
    while (srv->nclients > 0)
        if (pthread_cond_timedwait(&srv->all_gone, &srv->lock, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&srv->lock);
}
