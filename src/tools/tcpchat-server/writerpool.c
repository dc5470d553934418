/* The writer pool: epoll on EPOLLOUT, one shot per arm (see writerpool.h). */
#include "writerpool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "socklab/platform.h"
#include "socklab/runtime.h"

#define POOL_STACK (64 * 1024)
#define POOL_EVENTS 16

struct writer_pool_state {
    int epfd;
    int stopfd; /* an eventfd: readable once the pool is told to stop */
    unsigned nthreads;
    void (*ready)(void *item); /* the item's fd is writable (or hung up) */
    pthread_t threads[WRITER_POOL_MAX];
};

unsigned writer_pool_default_size(void)
{
    unsigned n = sl_platform_online_cores();
    return n > WRITER_POOL_MAX ? WRITER_POOL_MAX : n;
}

static void *pool_main(void *arg)
{
    struct writer_pool_state *p = arg;
    struct epoll_event ev[POOL_EVENTS];
    bool stopping = false;
    while (!stopping) {
        int n = epoll_wait(p->epfd, ev, POOL_EVENTS, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == NULL)
                stopping = true; /* level-triggered and never read: wakes every thread */
            else
                p->ready(ev[i].data.ptr);
        }
    }
    return NULL;
}

int writer_pool_start(struct writer_pool *pool, unsigned nthreads, void (*ready)(void *item))
{
    struct writer_pool_state *p = calloc(1, sizeof *p);
    if (p == NULL)
        return ENOMEM;
    pool->state = p;
    p->nthreads = 0;
    p->ready = ready;
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0)
        return errno;
    p->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event stop = {.events = EPOLLIN, .data.ptr = NULL};
    if (p->stopfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->stopfd, &stop) < 0) {
        int rc = errno;
        if (p->stopfd >= 0)
            close(p->stopfd);
        close(p->epfd);
        free(p);
        pool->state = NULL;
        return rc;
    }
    if (nthreads > WRITER_POOL_MAX)
        nthreads = WRITER_POOL_MAX;
    for (unsigned i = 0; i < nthreads; i++) {
        int rc = sl_thread_start(&p->threads[i], pool_main, p, POOL_STACK);
        if (rc != 0) {
            writer_pool_stop(pool);
            return rc;
        }
        p->nthreads++;
    }
    return 0;
}

int writer_pool_arm(struct writer_pool *pool, int fd, void *item, bool add)
{
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLONESHOT, .data.ptr = item};
    return epoll_ctl(pool->state->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
}

void writer_pool_forget(struct writer_pool *pool, int fd)
{
    (void)epoll_ctl(pool->state->epfd, EPOLL_CTL_DEL, fd, NULL);
}

void writer_pool_stop(struct writer_pool *pool)
{
    struct writer_pool_state *p = pool->state;
    if (p == NULL)
        return;
    uint64_t one = 1;
    (void)!write(p->stopfd, &one, sizeof one);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    p->nthreads = 0;
    close(p->stopfd);
    close(p->epfd);
    free(p);
    pool->state = NULL;
}
