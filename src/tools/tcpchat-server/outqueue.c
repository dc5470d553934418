/* A client's outgoing bytes: sent at once, queued when they do not fit
 * (see outqueue.h). */
#include "outqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "socklab/platform.h"
#include "socklab/runtime.h"

/* A buffer up to this size stays for the next backlog; a bigger one is
 * freed once empty, so 10,000 clients that keep up hold none. */
#define OUTQ_KEEP (16 * 1024)

static size_t backlog(const struct outqueue *q)
{
    return q->len - q->head;
}

static bool ended(const struct outqueue *q)
{
    return q->dead || q->closing || q->evicted;
}

/* A send failed: nothing more goes out, and the client's reader wakes
 * (its recv returns at once). Under the lock. */
static void kill_locked(struct outqueue *q)
{
    q->dead = true;
    q->head = q->len = 0;
    sl_socket_shutdown_wake(q->fd, SHUT_RDWR);
    pthread_cond_broadcast(&q->drained);
}

/* Asks the pool for a call once the socket is writable, if anything is
 * queued and none is owed yet. Under the lock. */
static void arm(struct outqueue *q)
{
    if (q->armed || q->dead || backlog(q) == 0)
        return;
    if (writer_pool_arm(q->pool, q->fd, q, !q->registered) < 0) {
        kill_locked(q); /* out of kernel memory: no one would ever send it */
        return;
    }
    q->registered = true;
    q->armed = true;
}

/* One non-blocking send: the bytes the socket took (0: its buffer is
 * full), or -1: the client is gone. */
static ssize_t send_some(int fd, const char *data, size_t n)
{
    for (;;) {
        ssize_t k = send(fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k >= 0)
            return k;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* The client took the K bytes before END: note it. */
static void took(struct outqueue *q, const char *end, size_t k)
{
    if (k == 0)
        return;
    q->mid_line = end[-1] != '\n';
    q->progress_ms = sl_monotonic_ms();
}

/* Queues LEN bytes (the caller checked the bound) and asks the pool to
 * send them. Under the lock. -1: out of memory. */
static int append(struct outqueue *q, const char *data, size_t len)
{
    if (backlog(q) == 0) {
        q->head = q->len = 0;
        q->progress_ms = sl_monotonic_ms(); /* the stall clock starts with the backlog */
    }
    if (q->len + len > q->cap && q->head > 0) { /* room at the front: use it first */
        memmove(q->buf, q->buf + q->head, backlog(q));
        q->len -= q->head;
        q->head = 0;
    }
    if (q->len + len > q->cap) {
        size_t cap = q->cap ? q->cap : 1024;
        while (cap < q->len + len)
            cap *= 2;
        if (cap > q->limit + OUTQ_NOTICE_SLACK)
            cap = q->limit + OUTQ_NOTICE_SLACK;
        char *grown = realloc(q->buf, cap);
        if (grown == NULL)
            return -1;
        q->buf = grown;
        q->cap = cap;
    }
    memcpy(q->buf + q->len, data, len);
    q->len += len;
    arm(q);
    return 0;
}

/* Under the lock: with nothing queued, straight into the socket; what it
 * does not take (or everything, behind a backlog) is queued. -1: the
 * client is gone, or out of memory. */
static int put(struct outqueue *q, const char *data, size_t len)
{
    if (backlog(q) == 0) {
        ssize_t k = send_some(q->fd, data, len);
        if (k < 0) {
            kill_locked(q);
            return -1;
        }
        took(q, data + k, (size_t)k);
        data += k;
        len -= (size_t)k;
        if (len == 0)
            return 0;
    }
    return append(q, data, len);
}

int outq_init(struct outqueue *q, int fd, size_t limit, struct writer_pool *pool)
{
    memset(q, 0, sizeof *q);
    q->fd = fd;
    q->pool = pool;
    q->limit = limit;
    q->high = limit / 2;
    q->low = limit / 4;
    q->progress_ms = sl_monotonic_ms();
    int rc = pthread_mutex_init(&q->lock, NULL);
    if (rc != 0)
        return rc;
    if ((rc = pthread_cond_init(&q->drained, NULL)) != 0)
        pthread_mutex_destroy(&q->lock);
    return rc;
}

enum outq_push_result outq_push(struct outqueue *q, const char *data, size_t len)
{
    enum outq_push_result rc;
    pthread_mutex_lock(&q->lock);
    if (ended(q))
        rc = OUTQ_GONE;
    else if (backlog(q) + len > q->limit)
        rc = OUTQ_FULL;
    else if (put(q, data, len) < 0)
        rc = OUTQ_GONE; /* or out of memory: the line is lost for this client */
    else
        rc = backlog(q) > q->high ? OUTQ_CONGESTED : OUTQ_OK;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int outq_push_force(struct outqueue *q, const char *data, size_t len)
{
    pthread_mutex_lock(&q->lock);
    int rc = q->dead || q->evicted || len > OUTQ_NOTICE_SLACK ||
                     backlog(q) + len > q->limit + OUTQ_NOTICE_SLACK
                 ? -1
                 : put(q, data, len);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

/* Sends the backlog while the socket takes it. Under the lock. */
static void flush_locked(struct outqueue *q)
{
    while (backlog(q) > 0) {
        ssize_t k = send_some(q->fd, q->buf + q->head, backlog(q));
        if (k < 0) {
            kill_locked(q);
            return;
        }
        if (k == 0)
            return; /* full again: arm() asks for the next call */
        q->head += (size_t)k;
        took(q, q->buf + q->head, (size_t)k);
    }
    q->head = q->len = 0;
    if (q->cap > OUTQ_KEEP) {
        free(q->buf);
        q->buf = NULL;
        q->cap = 0;
    }
}

void outq_drain(void *arg)
{
    struct outqueue *q = arg;
    pthread_mutex_lock(&q->lock);
    q->armed = false;
    if (!q->dead)
        flush_locked(q);
    arm(q);
    /* outq_finish waits for this call and for the backlog; senders for LOW. */
    if (q->closing || (q->holders > 0 && backlog(q) <= q->low))
        pthread_cond_broadcast(&q->drained);
    pthread_mutex_unlock(&q->lock); /* from here on Q may be gone */
}

void outq_hold(struct outqueue *q)
{
    pthread_mutex_lock(&q->lock);
    q->holders++;
    pthread_mutex_unlock(&q->lock);
}

void outq_release(struct outqueue *q)
{
    pthread_mutex_lock(&q->lock);
    if (--q->holders == 0)
        pthread_cond_broadcast(&q->drained); /* outq_finish may wait for this */
    pthread_mutex_unlock(&q->lock);
}

enum outq_wait_result outq_wait_drained(struct outqueue *q, int stall_ms)
{
    enum outq_wait_result rc;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (ended(q)) {
            rc = OUTQ_ENDED;
            break;
        }
        if (backlog(q) <= q->low) {
            rc = OUTQ_DRAINED;
            break;
        }
        int64_t idle = sl_monotonic_ms() - q->progress_ms;
        if (idle >= stall_ms) {
            rc = OUTQ_STALLED;
            break;
        }
        /* Bounded: no one signals when nothing happens, and that is what
         * the stall deadline is about. */
        struct timespec deadline;
        sl_deadline_after_ms(&deadline, (int)(stall_ms - idle));
        pthread_cond_timedwait(&q->drained, &q->lock, &deadline);
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

bool outq_evict(struct outqueue *q, const char *notice, size_t len)
{
    pthread_mutex_lock(&q->lock);
    bool gone = ended(q);
    if (!gone) {
        /* It would never read the backlog; but a line it got part of is
         * finished, so the notice starts a line of its own. */
        size_t keep = 0;
        if (q->mid_line && backlog(q) > 0) {
            const char *lf = memchr(q->buf + q->head, '\n', backlog(q));
            keep = lf ? (size_t)(lf + 1 - (q->buf + q->head)) : backlog(q);
        }
        q->len = q->head + keep;
        (void)append(q, notice, len); /* a line and a notice: far below the cap */
        q->evicted = true;
        pthread_cond_broadcast(&q->drained);
    }
    pthread_mutex_unlock(&q->lock);
    if (!gone)
        sl_socket_shutdown_wake(q->fd, SHUT_RD); /* its reader wakes with end-of-stream */
    return !gone;
}

void outq_finish(struct outqueue *q, int wait_ms)
{
    struct timespec deadline;
    sl_deadline_after_ms(&deadline, wait_ms);

    pthread_mutex_lock(&q->lock);
    q->closing = true;
    pthread_cond_broadcast(&q->drained); /* waiting senders let go */
    while (!q->dead && backlog(q) > 0)
        if (pthread_cond_timedwait(&q->drained, &q->lock, &deadline) == ETIMEDOUT) {
            kill_locked(q); /* it stopped reading; the hang-up brings the pool's call */
            break;
        }
    /* The pool may hold Q while it is armed (writerpool.h), a sender while
     * it holds it: a sender lets go as soon as it gets to it (it sees the
     * queue ended), at most one stall time if it waits on another first. */
    while (q->armed || q->holders > 0)
        pthread_cond_wait(&q->drained, &q->lock);
    if (q->registered)
        writer_pool_forget(q->pool, q->fd);
    pthread_mutex_unlock(&q->lock);
    free(q->buf);
    pthread_cond_destroy(&q->drained);
    pthread_mutex_destroy(&q->lock);
}

bool outq_evicted(struct outqueue *q)
{
    pthread_mutex_lock(&q->lock);
    bool e = q->evicted;
    pthread_mutex_unlock(&q->lock);
    return e;
}
