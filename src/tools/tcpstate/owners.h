/* The process that owns each socket: "tcpecho-server/1234", like ss -p. */
#ifndef TCPSTATE_OWNERS_H
#define TCPSTATE_OWNERS_H

#include <stddef.h>

#include "socklist.h"

struct tcp_owner {
    unsigned long key; /* the socket's inode (Linux) or its owner's PID (Windows) */
    char label[48];    /* "COMM/PID" */
};

struct tcp_owners {
    struct tcp_owner *items;
    size_t len, cap;
};

/* Finds the owners of L's sockets among the processes we may look at:
 * owners.c through /proc (Linux), owners_windows.c from the PIDs of the
 * TCP table (Windows). Returns 0, or -1 (ENOMEM). */
int tcp_owners_find(struct tcp_owners *o, const struct tcp_sock_list *l);

/* "COMM/PID" for the socket E, or "-" when no visible process has it
 * (another user's, or TIME_WAIT/SYN_RECV: inode 0). A process holding the
 * socket in several descriptors (e.g. after fork) shows as the first. */
const char *tcp_owners_label(const struct tcp_owners *o, const struct tcp_sock_entry *e);
void tcp_owners_free(struct tcp_owners *o);

#endif
