/* Which process owns a socket, as `ss -p` shows it: a socket is a file,
 * and /proc/PID/fd/N of its owner reads "socket:[INODE]". Only processes
 * whose fd directory we may read are seen (all of them as root, our own
 * otherwise); TIME_WAIT and SYN_RECV sockets own no file at all. */
#include "owners.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "socket:[12345]" -> 12345, else 0. */
static unsigned long socket_inode(int dirfd, const char *name)
{
    char target[64];
    ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    unsigned long inode;
    return sscanf(target, "socket:[%lu]", &inode) == 1 ? inode : 0;
}

static int wanted(const struct tcp_sock_list *l, unsigned long inode)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i].inode == inode)
            return 1;
    return 0;
}

/* Records PID as the owner of every socket of L it holds. */
static int scan_process(struct tcp_owners *o, const struct tcp_sock_list *l, int proc, long pid)
{
    char path[64], comm[32] = "?";
    snprintf(path, sizeof path, "%ld/comm", pid);
    int cfd = openat(proc, path, O_RDONLY | O_CLOEXEC);
    if (cfd >= 0) {
        ssize_t n = read(cfd, comm, sizeof comm - 1);
        comm[n > 0 ? n : 0] = '\0';
        comm[strcspn(comm, "\n")] = '\0';
        close(cfd);
    }
    snprintf(path, sizeof path, "%ld/fd", pid);
    int dfd = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return 0; /* gone, or not ours to look at */
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return 0;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        unsigned long inode = socket_inode(dfd, e->d_name);
        if (inode == 0 || !wanted(l, inode))
            continue;
        if (o->len == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 64;
            struct tcp_owner *items = realloc(o->items, cap * sizeof *items);
            if (items == NULL) {
                rc = -1;
                break;
            }
            o->items = items;
            o->cap = cap;
        }
        struct tcp_owner *w = &o->items[o->len++];
        w->key = inode;
        snprintf(w->label, sizeof w->label, "%s/%ld", comm, pid);
    }
    closedir(d);
    return rc;
}

int tcp_owners_find(struct tcp_owners *o, const struct tcp_sock_list *l)
{
    *o = (struct tcp_owners){0};
    int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc < 0)
        return 0; /* no /proc: nobody is known, which the listing shows as "-" */
    int pdup = dup(proc);
    DIR *d = pdup >= 0 ? fdopendir(pdup) : NULL;
    if (d == NULL) {
        if (pdup >= 0)
            close(pdup);
        close(proc);
        return 0;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (isdigit((unsigned char)e->d_name[0]))
            rc = scan_process(o, l, proc, strtol(e->d_name, NULL, 10));
    closedir(d);
    close(proc);
    return rc;
}

const char *tcp_owners_label(const struct tcp_owners *o, const struct tcp_sock_entry *e)
{
    if (e->inode == 0)
        return "-";
    for (size_t i = 0; i < o->len; i++)
        if (o->items[i].key == e->inode)
            return o->items[i].label;
    return "-";
}

void tcp_owners_free(struct tcp_owners *o)
{
    free(o->items);
    *o = (struct tcp_owners){0};
}
