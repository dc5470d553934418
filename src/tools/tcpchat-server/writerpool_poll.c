/* The writer pool with poll() instead of epoll (see writerpool.h): for
 * systems without epoll - Windows, where the platform layer answers poll()
 * with WSAPoll. One thread waits on every armed socket at once and calls
 * READY for each that became writable or hung up, after taking it out of
 * the set: one call per arm, as with EPOLLONESHOT. */
#include "writerpool.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "socklab/platform.h"
#include "socklab/runtime.h"

#define POOL_STACK (64 * 1024)

struct armed {
    int fd;
    void *item;
};

struct writer_pool_state {
    pthread_mutex_t lock; /* guards the set and STOPPING */
    struct armed *set;
    size_t len, cap;
    bool stopping;
    int wake[2]; /* a byte: the set changed, or stop */
    void (*ready)(void *item);
    pthread_t thread;
};

unsigned writer_pool_default_size(void)
{
    return 1; /* one poll() covers every socket */
}

/* Waits once; takes the sockets that are ready out of the set and calls
 * READY for them, outside the lock. Returns false once stopping. */
static bool pool_round(struct writer_pool_state *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->len;
    struct pollfd *fds = malloc((n + 1) * sizeof *fds);
    void **items = malloc((n + 1) * sizeof *items);
    bool stopping = p->stopping;
    for (size_t i = 0; fds && i < n; i++)
        fds[i] = (struct pollfd){.fd = p->set[i].fd, .events = POLLOUT};
    pthread_mutex_unlock(&p->lock);
    if (stopping || fds == NULL || items == NULL) {
        free(fds);
        free(items);
        return !stopping;
    }
    fds[n] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
    int got = sl_poll(fds, (unsigned long)n + 1, -1);
    size_t nready = 0;
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; got > 0 && i < n; i++) {
        if (!fds[i].revents)
            continue;
        for (size_t j = 0; j < p->len; j++)       /* still armed: the set may have moved */
            if (p->set[j].fd == (int)fds[i].fd) { /* SOCKET on Windows: our ints fit */
                items[nready++] = p->set[j].item;
                p->set[j] = p->set[--p->len];
                break;
            }
    }
    pthread_mutex_unlock(&p->lock);
    if (got > 0 && fds[n].revents)
        sl_wakeup_drain(p->wake[0]);
    for (size_t i = 0; i < nready; i++)
        p->ready(items[i]);
    free(fds);
    free(items);
    return true;
}

static void *pool_main(void *arg)
{
    struct writer_pool_state *p = arg;
    while (pool_round(p))
        ;
    return NULL;
}

int writer_pool_start(struct writer_pool *pool, unsigned nthreads, void (*ready)(void *item))
{
    (void)nthreads; /* one thread: see writer_pool_default_size */
    struct writer_pool_state *p = calloc(1, sizeof *p);
    if (p == NULL)
        return ENOMEM;
    p->ready = ready;
    if (sl_wakeup_open(p->wake) < 0) {
        int rc = errno;
        free(p);
        return rc;
    }
    pthread_mutex_init(&p->lock, NULL);
    int rc = sl_thread_start(&p->thread, pool_main, p, POOL_STACK);
    if (rc != 0) {
        sl_wakeup_close(p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return rc;
    }
    pool->state = p;
    return 0;
}

int writer_pool_arm(struct writer_pool *pool, int fd, void *item, bool add)
{
    (void)add;
    struct writer_pool_state *p = pool->state;
    pthread_mutex_lock(&p->lock);
    if (p->len == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct armed *set = realloc(p->set, cap * sizeof *set);
        if (set == NULL) {
            pthread_mutex_unlock(&p->lock);
            errno = ENOMEM;
            return -1;
        }
        p->set = set;
        p->cap = cap;
    }
    p->set[p->len++] = (struct armed){.fd = fd, .item = item};
    pthread_mutex_unlock(&p->lock);
    sl_wakeup_signal(p->wake[1]);
    return 0;
}

void writer_pool_forget(struct writer_pool *pool, int fd)
{
    struct writer_pool_state *p = pool->state;
    pthread_mutex_lock(&p->lock);
    for (size_t j = 0; j < p->len; j++)
        if (p->set[j].fd == fd) {
            p->set[j] = p->set[--p->len];
            break;
        }
    pthread_mutex_unlock(&p->lock);
}

void writer_pool_stop(struct writer_pool *pool)
{
    struct writer_pool_state *p = pool->state;
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_mutex_unlock(&p->lock);
    sl_wakeup_signal(p->wake[1]);
    pthread_join(p->thread, NULL);
    sl_wakeup_close(p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->set);
    free(p);
    pool->state = NULL;
}
