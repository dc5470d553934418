/* Fan-out helpers (see fanout.h). */
#include "fanout.h"

#include <stddef.h>

#include "socklab/platform.h"

unsigned fanout_default_size(void)
{
    unsigned cores = sl_platform_online_cores();
    if (cores <= 2)
        return 1;
    return cores - 1 > FANOUT_MAX ? FANOUT_MAX : cores - 1;
}

static void *helper_main(void *arg)
{
    struct fanout_helper *h = arg;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        while (!h->stopping && !(h->busy && !h->done))
            pthread_cond_wait(&h->wake, &h->lock);
        if (h->stopping)
            break;
        pthread_mutex_unlock(&h->lock);
        h->work(h->arg);
        pthread_mutex_lock(&h->lock);
        h->done = true;
        pthread_cond_broadcast(&h->wake); /* the sender in fanout_finish */
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

int fanout_start(struct fanout_pool *p, unsigned n)
{
    p->n = 0;
    for (unsigned i = 0; i < n && i < FANOUT_MAX; i++) {
        struct fanout_helper *h = &p->helpers[i];
        *h = (struct fanout_helper){0};
        int rc = pthread_mutex_init(&h->lock, NULL);
        if (rc == 0 && (rc = pthread_cond_init(&h->wake, NULL)) != 0)
            pthread_mutex_destroy(&h->lock);
        if (rc == 0 && (rc = pthread_create(&h->thread, NULL, helper_main, h)) != 0) {
            pthread_cond_destroy(&h->wake);
            pthread_mutex_destroy(&h->lock);
        }
        if (rc != 0) {
            fanout_stop(p);
            return rc;
        }
        p->n++;
    }
    return 0;
}

struct fanout_helper *fanout_try_start(struct fanout_pool *p, void (*work)(void *), void *arg)
{
    for (unsigned i = 0; i < p->n; i++) {
        struct fanout_helper *h = &p->helpers[i];
        /* A busy helper's lock may be held a moment: try the next one. */
        if (pthread_mutex_trylock(&h->lock) != 0)
            continue;
        bool idle = !h->busy;
        if (idle) {
            h->work = work;
            h->arg = arg;
            h->busy = true;
            h->done = false;
            pthread_cond_broadcast(&h->wake);
        }
        pthread_mutex_unlock(&h->lock);
        if (idle)
            return h;
    }
    return NULL;
}

void fanout_finish(struct fanout_helper *h)
{
    pthread_mutex_lock(&h->lock);
    while (!h->done)
        pthread_cond_wait(&h->wake, &h->lock);
    h->busy = false;
    pthread_mutex_unlock(&h->lock);
}

void fanout_stop(struct fanout_pool *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        struct fanout_helper *h = &p->helpers[i];
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_broadcast(&h->wake);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->thread, NULL);
        pthread_cond_destroy(&h->wake);
        pthread_mutex_destroy(&h->lock);
    }
    p->n = 0;
}
