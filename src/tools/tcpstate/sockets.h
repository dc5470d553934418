/* This machine's TCP sockets as plain values, whichever source they come
 * from: netlink sock_diag first, /proc/net/tcp{,6} as the fallback. */
#ifndef TCPSTATE_SOCKETS_H
#define TCPSTATE_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socklab/err.h"

struct tcp_sock_entry {
    int family;               /* AF_INET or AF_INET6 (the socket's own family) */
    unsigned char local[16];  /* network byte order; AF_INET uses the first 4 */
    unsigned char remote[16]; /* idem */
    uint16_t local_port;      /* host byte order */
    uint16_t remote_port;
    int state;           /* Linux TCP state number, 1..11 (see sl_tcp_state_name) */
    unsigned long inode; /* 0 for TIME_WAIT and SYN_RECV: they own no file */
    uint64_t cookie;     /* netlink's socket cookie; 0 from /proc */
    bool missed;         /* --watch: absent from the latest snapshot only */
};

/* A growable array; zero-initialise before use. */
struct tcp_sock_list {
    struct tcp_sock_entry *items;
    size_t len;
    size_t cap;
};

/* What to list: FAMILY is AF_UNSPEC for both; PORT 0 means every port. */
struct tcp_query {
    int family;
    int port;
    bool force_proc; /* --proc: skip netlink */
};

enum tcp_source { TCP_SOURCE_NETLINK, TCP_SOURCE_PROC };

/* Appends E; returns 0, or -1 (ENOMEM). */
int tcp_sock_list_push(struct tcp_sock_list *l, const struct tcp_sock_entry *e);
void tcp_sock_list_free(struct tcp_sock_list *l);

/* Replaces the contents of OUT with the sockets matching Q, sorted by
 * tcp_sock_key_cmp. USED (may be NULL) tells where they came from.
 * Returns 0, or -1 with ERR filled when no source worked. */
int tcp_sockets_collect(const struct tcp_query *q, struct tcp_sock_list *out, enum tcp_source *used,
                        char err[SL_ERRLEN]);

/* The two sources. Both append to OUT; FAMILY is AF_INET or AF_INET6. */
int diag_netlink_dump(int family, struct tcp_sock_list *out, char err[SL_ERRLEN]);
int diag_proc_read(int family, struct tcp_sock_list *out, char err[SL_ERRLEN]);

/* Orders by the connection's 4-tuple (local port first, for reading);
 * equal means "the same connection" to --watch. */
int tcp_sock_key_cmp(const struct tcp_sock_entry *a, const struct tcp_sock_entry *b);

/* "127.0.0.1:7007" or "[::1]:7007" for one end of E. */
char *tcp_sock_format_local(const struct tcp_sock_entry *e, char *buf, size_t buflen);
char *tcp_sock_format_remote(const struct tcp_sock_entry *e, char *buf, size_t buflen);

/* "netlink" or "/proc". */
const char *tcp_source_name(enum tcp_source s);

#endif
