/* The front end: this machine's TCP sockets, whichever source they come
 * from: netlink sock_diag first, /proc/net/tcp{,6} as the fallback (the
 * sources, diag.h, fill a socklist.h list and never include this). */
#ifndef TCPSTATE_SOCKETS_H
#define TCPSTATE_SOCKETS_H

#include <stdbool.h>

#include "socklab/err.h"
#include "socklist.h"

/* What to list: FAMILY is AF_UNSPEC for both; PORT 0 means every port. */
struct tcp_query {
    int family;
    int port;
    bool force_proc; /* --proc: skip netlink (the fallback source, diag.h) */
};

enum tcp_source { TCP_SOURCE_MAIN, TCP_SOURCE_FALLBACK };

/* Replaces the contents of OUT with the sockets matching Q, sorted by
 * tcp_sock_key_cmp. USED (may be NULL) tells where they came from.
 * Returns 0, or -1 with ERR filled when no source worked. */
int tcp_sockets_collect(const struct tcp_query *q, struct tcp_sock_list *out, enum tcp_source *used,
                        char err[SL_ERRLEN]);

/* "netlink" or "/proc" (Linux), "GetExtendedTcpTable" (Windows). */
const char *tcp_source_name(enum tcp_source s);

#endif
