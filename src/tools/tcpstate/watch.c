/* --watch: snapshot, compare with the previous snapshot, print the
 * differences. A connection is its 4-tuple, not its inode: when a socket
 * enters TIME_WAIT the kernel replaces it with a small timewait socket
 * that has inode 0, and a SYN_RECV request has none either, yet both are
 * the same connection to a student. */
#include "watch.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "socklab/addr.h"
#include "socklab/cli.h"
#include "socklab/platform.h"
#include "states.h"

#define NEW_MARK "(new)"
#define GONE_MARK "(gone)"

/* "HH:MM:SS.mmm", local time. */
static void timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    snprintf(buf, len, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000);
}

static void print_change(const char *when, const struct tcp_sock_entry *e, const char *from,
                         const char *to)
{
    char local[SL_ADDRSTRLEN], remote[SL_ADDRSTRLEN];
    printf("%s  %-21s  %-21s  %s -> %s\n", when, tcp_sock_format_local(e, local, sizeof local),
           tcp_sock_format_remote(e, remote, sizeof remote), from, to);
    /* Each line out at once: tests and pipes read the changes live. */
    fflush(stdout);
}

/* Walks two sorted snapshots side by side, like a merge, printing the
 * differences and building NEXT, the state to compare the following
 * snapshot with. Neither source is atomic: a socket can be skipped by one
 * dump while the table changes under it. So a connection missing once is
 * carried over as "missed" and reported gone only if the next snapshot
 * lacks it too; that costs one interval of delay on "(gone)" lines. */
static int diff(const struct tcp_sock_list *prev, const struct tcp_sock_list *cur,
                struct tcp_sock_list *next)
{
    char when[16];
    size_t i = 0, j = 0;

    next->len = 0;
    timestamp(when, sizeof when);
    while (i < prev->len || j < cur->len) {
        const struct tcp_sock_entry *a = i < prev->len ? &prev->items[i] : NULL;
        const struct tcp_sock_entry *b = j < cur->len ? &cur->items[j] : NULL;
        int c = !a ? 1 : !b ? -1 : tcp_sock_key_cmp(a, b);
        const struct tcp_sock_entry *keep = b;
        struct tcp_sock_entry carried;
        if (c < 0) {
            i++;
            if (a->missed) {
                print_change(when, a, tcp_state_name(a->state), GONE_MARK);
                continue;
            }
            carried = *a;
            carried.missed = true;
            keep = &carried;
        } else if (c > 0) {
            print_change(when, b, NEW_MARK, tcp_state_name(b->state));
            j++;
        } else {
            /* Same 4-tuple but two different live sockets: the old
             * connection ended and a new one reused its addresses. */
            if (a->inode && b->inode && a->inode != b->inode) {
                print_change(when, a, tcp_state_name(a->state), GONE_MARK);
                print_change(when, b, NEW_MARK, tcp_state_name(b->state));
            } else if (a->state != b->state) {
                print_change(when, b, tcp_state_name(a->state), tcp_state_name(b->state));
            }
            i++;
            j++;
        }
        if (tcp_sock_list_push(next, keep) < 0)
            return -1;
    }
    return 0;
}

int watch_run(const struct tcp_query *q, int interval_ms, int stop_fd, const char *prog,
              char err[SL_ERRLEN])
{
    struct tcp_sock_list lists[3] = {{0}, {0}, {0}};
    struct tcp_sock_list *prev = &lists[0], *cur = &lists[1], *next = &lists[2];
    enum tcp_source src, last_src;
    int rc = 0;

    tzset(); /* localtime_r need not do it itself */
    /* The first snapshot is the baseline; only later changes are printed. */
    if (tcp_sockets_collect(q, prev, &src, err) < 0) {
        rc = -1;
        goto out;
    }
    last_src = src;
    sl_cli_log(prog, "watching %zu socket%s via %s every %d ms (Ctrl-C to stop)", prev->len,
               prev->len == 1 ? "" : "s", tcp_source_name(src), interval_ms);

    for (;;) {
        struct pollfd pfd = {.fd = stop_fd, .events = POLLIN};
        int n = poll(&pfd, 1, interval_ms);
        if (n < 0 && errno != EINTR) {
            snprintf(err, SL_ERRLEN, "poll: %s", SL_STRERROR(errno));
            rc = -1;
            break;
        }
        if (n > 0)
            break; /* SIGINT or SIGTERM */
        if (tcp_sockets_collect(q, cur, &src, err) < 0) {
            rc = -1;
            break;
        }
        if (src != last_src) {
            sl_cli_log(prog, "now reading %s", tcp_source_name(src));
            last_src = src;
        }
        if (diff(prev, cur, next) < 0) {
            snprintf(err, SL_ERRLEN, "watch: %s", SL_STRERROR(ENOMEM));
            rc = -1;
            break;
        }
        struct tcp_sock_list *t = prev;
        prev = next;
        next = t;
    }
out:
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
        tcp_sock_list_free(&lists[k]);
    return rc;
}
