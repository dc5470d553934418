/* Per-client outgoing queue and writer thread (see outqueue.h). */
#include "outqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "socklab/io.h"
#include "socklab/runtime.h"

#define WRITER_STACK (64 * 1024)

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
        bool dead = q->dead;
        pthread_mutex_unlock(&q->lock);

        if (!dead && sl_send_all(q->fd, out, n) < 0) {
            /* The client is gone: wake its reader (recv returns at once). */
            shutdown(q->fd, SHUT_RDWR);
            pthread_mutex_lock(&q->lock);
            q->dead = true;
            pthread_mutex_unlock(&q->lock);
        }
        spare = out;
        spare_cap = cap;
        pthread_mutex_lock(&q->lock);
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
    int rc = pthread_mutex_init(&q->lock, NULL);
    if (rc != 0)
        return rc;
    if ((rc = pthread_cond_init(&q->ready, NULL)) != 0) {
        pthread_mutex_destroy(&q->lock);
        return rc;
    }
    if ((rc = pthread_cond_init(&q->done, NULL)) != 0) {
        pthread_cond_destroy(&q->ready);
        pthread_mutex_destroy(&q->lock);
    }
    return rc;
}

int outq_start(struct outqueue *q)
{
    int rc = sl_thread_start(&q->writer, writer_main, q, WRITER_STACK);
    q->started = rc == 0;
    return rc;
}

int outq_push(struct outqueue *q, const char *data, size_t len)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (q->dead || q->closing) {
        rc = -1;
    } else if (q->len + len > q->limit) {
        q->overflowed = true;
        rc = -1;
    } else {
        if (q->len + len > q->cap) {
            size_t cap = q->cap ? q->cap : 1024;
            while (cap < q->len + len)
                cap *= 2;
            char *grown = realloc(q->buf, cap);
            if (grown == NULL) {
                pthread_mutex_unlock(&q->lock);
                return -1;
            }
            q->buf = grown;
            q->cap = cap;
        }
        memcpy(q->buf + q->len, data, len);
        q->len += len;
        /* Only the empty -> non-empty step needs a wake-up: otherwise the
         * writer is busy sending and will find these bytes next round. */
        if (q->len == len)
            pthread_cond_signal(&q->ready);
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void outq_finish(struct outqueue *q, int wait_ms)
{
    struct timespec deadline;
    sl_deadline_after_ms(&deadline, wait_ms);

    pthread_mutex_lock(&q->lock);
    q->closing = true;
    pthread_cond_signal(&q->ready);
    while (q->started && !q->finished)
        if (pthread_cond_timedwait(&q->done, &q->lock, &deadline) == ETIMEDOUT) {
            shutdown(q->fd, SHUT_RDWR); /* the client stopped reading */
            q->dead = true;
            break;
        }
    pthread_mutex_unlock(&q->lock);
    if (q->started)
        pthread_join(q->writer, NULL);
    free(q->buf);
    pthread_cond_destroy(&q->done);
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->lock);
}

bool outq_overflowed(struct outqueue *q)
{
    pthread_mutex_lock(&q->lock);
    bool o = q->overflowed;
    pthread_mutex_unlock(&q->lock);
    return o;
}
