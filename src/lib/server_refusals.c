/* Refused connections, half-closed and drained before their close: see
 * struct sl_refusals in server.h. */
#include "socklab/server.h"

#include <errno.h>

#include "internal.h"
#include "socklab/platform.h"
#include "socklab/runtime.h"

#define LINGER_MS 1000

int sl_refusals_init(struct sl_refusals *r)
{
    r->n = 0;
    r->started = r->stopping = false;
    if (sl_wakeup_open(r->wake) < 0)
        return -1;
    int rc = pthread_mutex_init(&r->lock, NULL);
    if (rc != 0) {
        sl_wakeup_close(r->wake);
        errno = rc;
        return -1;
    }
    return 0;
}

/* Closes entry I (under the lock): the last one takes its place. */
static void drop(struct sl_refusals *r, unsigned i)
{
    sl_socket_close(r->fds[i]);
    r->n--;
    r->fds[i] = r->fds[r->n];
    r->deadline_ms[i] = r->deadline_ms[r->n];
}

/* One round: waits until one of the set can be read or its time is up,
 * then reads what came (discarding it) and closes those that are done. */
static void drain_round(struct sl_refusals *r)
{
    struct pollfd p[SL_REFUSALS_MAX + 1];
    long long now = sl_monotonic_ms(), next = now + LINGER_MS;
    pthread_mutex_lock(&r->lock);
    unsigned n = r->n;
    for (unsigned i = 0; i < n; i++) {
        p[i] = (struct pollfd){.fd = r->fds[i], .events = POLLIN};
        if (r->deadline_ms[i] < next)
            next = r->deadline_ms[i];
    }
    pthread_mutex_unlock(&r->lock);
    p[n] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
    if (sl_poll(p, n + 1, next > now ? (int)(next - now) : 0) < 0 && errno != EINTR)
        return;
    char scratch[4096];
    sl_wakeup_drain(r->wake[0]);
    now = sl_monotonic_ms();
    pthread_mutex_lock(&r->lock);
    /* Entries 0..n-1 are the ones polled: only this thread removes, and
     * additions go to the end. Walk down so a removal moves a checked one. */
    for (unsigned i = n; i-- > 0;) {
        bool done = r->deadline_ms[i] <= now;
        if (!done && p[i].revents) {
            ssize_t got = recv(r->fds[i], scratch, sizeof scratch, MSG_DONTWAIT);
            done = got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR);
        }
        if (done)
            drop(r, i);
    }
    pthread_mutex_unlock(&r->lock);
}

static void *refusals_main(void *arg)
{
    struct sl_refusals *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->lock);
        bool stopping = r->stopping;
        pthread_mutex_unlock(&r->lock);
        if (stopping)
            return NULL;
        drain_round(r);
    }
}

void sl_refusals_add(struct sl_refusals *r, int fd)
{
    shutdown(fd, SHUT_WR); /* our FIN follows the refusal line */
    pthread_mutex_lock(&r->lock);
    if (!r->started && !r->stopping &&
        sl_thread_start(&r->thread, refusals_main, r, 64 * 1024) == 0)
        r->started = true;
    if (!r->started || r->stopping || r->n == SL_REFUSALS_MAX) {
        pthread_mutex_unlock(&r->lock);
        sl_socket_close(fd); /* a flood of refusals: no lingering for the rest */
        return;
    }
    r->fds[r->n] = fd;
    r->deadline_ms[r->n] = sl_monotonic_ms() + LINGER_MS;
    r->n++;
    pthread_mutex_unlock(&r->lock);
    sl_wakeup_signal(r->wake[1]);
}

void sl_refusals_free(struct sl_refusals *r)
{
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    bool started = r->started;
    pthread_mutex_unlock(&r->lock);
    sl_wakeup_signal(r->wake[1]);
    if (started)
        pthread_join(r->thread, NULL);
    while (r->n > 0)
        drop(r, r->n - 1);
    sl_wakeup_close(r->wake);
    pthread_mutex_destroy(&r->lock);
}
