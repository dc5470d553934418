/* The front end: collecting from netlink or /proc, filtering, ordering. */
#include "sockets.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "diag.h"

/* Ties on the 4-tuple (SO_REUSEPORT listeners) are broken by inode so the
 * order, and so --watch's pairing, is stable from one poll to the next. */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct tcp_sock_entry *a = pa, *b = pb;
    int c = tcp_sock_key_cmp(a, b);
    if (c != 0)
        return c;
    return (a->inode > b->inode) - (a->inode < b->inode);
}

/* Neither source is an atomic snapshot: a dump that spans several chunks
 * can show one connection twice, e.g. as its SYN_RECV request (inode 0)
 * and again as the accepted socket. One 4-tuple is one connection, except
 * for SO_REUSEPORT listeners, which have distinct inodes. So within a run
 * of equal 4-tuples (sorted inode 0 first) keep each distinct non-zero
 * inode, or a single entry if none has one. Needs the list sorted. */
static void drop_duplicates(struct tcp_sock_list *l)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->len;) {
        size_t end = i + 1;
        while (end < l->len && tcp_sock_key_cmp(&l->items[i], &l->items[end]) == 0)
            end++;
        size_t last = end - 1; /* the largest inode: non-zero if any is */
        if (l->items[last].inode == 0) {
            l->items[kept++] = l->items[i];
        } else {
            for (size_t j = i; j < end; j++)
                if (l->items[j].inode != 0 &&
                    (j == i || l->items[j].inode != l->items[j - 1].inode))
                    l->items[kept++] = l->items[j];
        }
        i = end;
    }
    l->len = kept;
}

static bool wanted(const struct tcp_query *q, const struct tcp_sock_entry *e)
{
    return q->port == 0 || e->local_port == q->port || e->remote_port == q->port;
}

static int collect_from(const struct tcp_query *q, bool main_source, struct tcp_sock_list *out,
                        char err[SL_ERRLEN])
{
    static const int families[] = {AF_INET, AF_INET6};
    out->len = 0;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        if (q->family != AF_UNSPEC && q->family != families[i])
            continue;
        int rc = main_source ? diag_main_dump(families[i], out, err)
                             : diag_fallback_read(families[i], out, err);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int tcp_sockets_collect(const struct tcp_query *q, struct tcp_sock_list *out, enum tcp_source *used,
                        char err[SL_ERRLEN])
{
    enum tcp_source src = TCP_SOURCE_MAIN;
    /* Any netlink failure (no sock_diag, a seccomp filter, a missing
     * tcp_diag module) drops the whole snapshot to /proc, so one listing
     * never mixes the two sources. */
    if (q->force_proc || collect_from(q, true, out, err) < 0) {
        char main_err[SL_ERRLEN];
        snprintf(main_err, sizeof main_err, "%s", err);
        src = TCP_SOURCE_FALLBACK;
        tcp_sock_list_free(out); /* nothing half-read from the main source */
        if (collect_from(q, false, out, err) < 0) {
            if (!q->force_proc) { /* say why the main source failed, not only the fallback */
                char fallback_err[SL_ERRLEN];
                snprintf(fallback_err, sizeof fallback_err, "%s", err);
                snprintf(err, SL_ERRLEN, "%.120s; %.120s", main_err, fallback_err);
            }
            return -1;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < out->len; i++)
        if (wanted(q, &out->items[i]))
            out->items[kept++] = out->items[i];
    out->len = kept;
    if (out->len > 1)
        qsort(out->items, out->len, sizeof out->items[0], entry_cmp);
    drop_duplicates(out);
    if (used)
        *used = src;
    return 0;
}

const char *tcp_source_name(enum tcp_source s)
{
    return s == TCP_SOURCE_MAIN ? diag_main_name : diag_fallback_name;
}
