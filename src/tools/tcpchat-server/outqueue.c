/* Per-client outgoing queue and writer thread (see outqueue.h). */
#include "outqueue.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "socklab/runtime.h"

#define WRITER_STACK (64 * 1024)

static size_t backlog(const struct outqueue *q)
{
    return q->len + q->inflight;
}

static bool ended(const struct outqueue *q)
{
    return q->dead || q->closing || q->evicted;
}

/* The client took K more bytes: it is alive, and senders waiting for its
 * backlog to fall may go on. */
static void note_sent(struct outqueue *q, size_t k)
{
    pthread_mutex_lock(&q->lock);
    q->inflight -= k;
    q->progress_ms = sl_monotonic_ms();
    if (q->holders > 0 && backlog(q) <= q->low)
        pthread_cond_broadcast(&q->drained);
    pthread_mutex_unlock(&q->lock);
}

/* Sends N bytes of OUT as the client takes them, noting each step (a
 * blocking send() would tell nothing until all N bytes were gone, and a
 * slow reader would look like one that stopped). 0, or -1: client gone. */
static int send_tracked(struct outqueue *q, const char *out, size_t n)
{
    while (n > 0) {
        ssize_t k = send(q->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k > 0) {
            out += k;
            n -= (size_t)k;
            note_sent(q, (size_t)k);
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = q->fd, .events = POLLOUT};
            if (poll(&p, 1, -1) < 0 && errno != EINTR)
                return -1;
        } else if (k < 0 && errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct outqueue *q = arg;
    char *spare = NULL;
    size_t spare_cap = 0;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (q->len == 0 && !q->closing)
            pthread_cond_wait(&q->ready, &q->lock);
        if (q->len == 0)
            break; /* closing, and everything went out */
        /* Take the whole backlog: one send for every line that piled up. */
        char *out = q->buf;
        size_t n = q->len, cap = q->cap;
        q->buf = spare;
        q->cap = spare_cap;
        q->len = 0;
        q->inflight = n;
        q->progress_ms = sl_monotonic_ms(); /* the stall clock starts with this backlog */
        bool dead = q->dead;
        pthread_mutex_unlock(&q->lock);

        bool failed = !dead && send_tracked(q, out, n) < 0;
        if (failed) /* the client is gone: wake its reader (recv returns at once) */
            shutdown(q->fd, SHUT_RDWR);
        spare = out;
        spare_cap = cap;
        pthread_mutex_lock(&q->lock);
        q->dead = q->dead || failed;
        q->inflight = 0;
        if (q->holders > 0)
            pthread_cond_broadcast(&q->drained);
    }
    q->finished = true;
    pthread_cond_broadcast(&q->done);
    pthread_mutex_unlock(&q->lock);
    free(spare);
    return NULL;
}

int outq_init(struct outqueue *q, int fd, size_t limit)
{
    memset(q, 0, sizeof *q);
    q->fd = fd;
    q->limit = limit;
    q->high = limit / 2;
    q->low = limit / 4;
    q->progress_ms = sl_monotonic_ms();
    int rc = pthread_mutex_init(&q->lock, NULL);
    if (rc != 0)
        return rc;
    pthread_cond_t *conds[] = {&q->ready, &q->drained, &q->done};
    for (size_t i = 0; i < 3; i++)
        if ((rc = pthread_cond_init(conds[i], NULL)) != 0) {
            while (i-- > 0)
                pthread_cond_destroy(conds[i]);
            pthread_mutex_destroy(&q->lock);
            return rc;
        }
    return 0;
}

int outq_start(struct outqueue *q)
{
    int rc = sl_thread_start(&q->writer, writer_main, q, WRITER_STACK);
    q->started = rc == 0;
    return rc;
}

/* Appends under the lock; the buffer never grows past LIMIT + the slack. */
static int append(struct outqueue *q, const char *data, size_t len)
{
    if (q->len + len > q->cap) {
        size_t cap = q->cap ? q->cap : 1024;
        while (cap < q->len + len)
            cap *= 2;
        if (cap > q->limit + OUTQ_NOTICE_SLACK) /* only a forced notice needs more than LIMIT */
            cap = q->len + len > q->limit ? q->limit + OUTQ_NOTICE_SLACK : q->limit;
        char *grown = realloc(q->buf, cap);
        if (grown == NULL)
            return -1;
        q->buf = grown;
        q->cap = cap;
    }
    memcpy(q->buf + q->len, data, len);
    q->len += len;
    /* Only the empty -> non-empty step needs a wake-up: otherwise the
     * writer is busy sending and will find these bytes next round. */
    if (q->len == len)
        pthread_cond_signal(&q->ready);
    return 0;
}

enum outq_push_result outq_push(struct outqueue *q, const char *data, size_t len)
{
    enum outq_push_result rc;
    pthread_mutex_lock(&q->lock);
    if (ended(q))
        rc = OUTQ_GONE;
    else if (backlog(q) + len > q->limit)
        rc = OUTQ_FULL;
    else if (append(q, data, len) < 0)
        rc = OUTQ_GONE; /* out of memory: the line is lost for this client */
    else
        rc = backlog(q) > q->high ? OUTQ_CONGESTED : OUTQ_OK;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int outq_push_force(struct outqueue *q, const char *data, size_t len)
{
    pthread_mutex_lock(&q->lock);
    int rc = q->dead || q->evicted || len > OUTQ_NOTICE_SLACK ||
                     q->len + len > q->limit + OUTQ_NOTICE_SLACK
                 ? -1
                 : append(q, data, len);
    pthread_mutex_unlock(&q->lock);
    return rc;
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
        q->len = 0; /* it would never read them: the notice goes next */
        (void)append(q, notice, len);
        q->evicted = true;
        pthread_cond_broadcast(&q->drained);
    }
    pthread_mutex_unlock(&q->lock);
    if (!gone)
        shutdown(q->fd, SHUT_RD); /* its reader wakes with end-of-stream */
    return !gone;
}

void outq_finish(struct outqueue *q, int wait_ms)
{
    struct timespec deadline;
    sl_deadline_after_ms(&deadline, wait_ms);

    pthread_mutex_lock(&q->lock);
    q->closing = true;
    pthread_cond_signal(&q->ready);
    pthread_cond_broadcast(&q->drained); /* waiting senders let go */
    while (q->started && !q->finished)
        if (pthread_cond_timedwait(&q->done, &q->lock, &deadline) == ETIMEDOUT) {
            shutdown(q->fd, SHUT_RDWR); /* the client stopped reading */
            q->dead = true;
            break;
        }
    pthread_mutex_unlock(&q->lock);
    if (q->started)
        pthread_join(q->writer, NULL);
    /* A sender still holding Q lets go as soon as it gets to it (it sees
     * the queue ended): at most one stall time, if it waits on another
     * client first. */
    pthread_mutex_lock(&q->lock);
    while (q->holders > 0)
        pthread_cond_wait(&q->drained, &q->lock);
    pthread_mutex_unlock(&q->lock);
    free(q->buf);
    pthread_cond_destroy(&q->done);
    pthread_cond_destroy(&q->drained);
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->lock);
}

bool outq_evicted(struct outqueue *q)
{
    pthread_mutex_lock(&q->lock);
    bool e = q->evicted;
    pthread_mutex_unlock(&q->lock);
    return e;
}
