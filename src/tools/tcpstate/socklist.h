/* One TCP socket as plain values, and a growable list of them: what the
 * two sources (diag.h) fill and the front end (sockets.h) sorts. */
#ifndef TCPSTATE_SOCKLIST_H
#define TCPSTATE_SOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_sock_entry {
    int family;               /* AF_INET or AF_INET6 (the socket's own family) */
    unsigned char local[16];  /* network byte order; AF_INET uses the first 4 */
    unsigned char remote[16]; /* idem */
    uint16_t local_port;      /* host byte order */
    uint16_t remote_port;
    int state;           /* Linux TCP state number, 1..11 (see sl_tcp_state_name) */
    unsigned long inode; /* 0 for TIME_WAIT and SYN_RECV: they own no file; 0 on Windows */
    unsigned long pid;   /* the owner's PID where the source says it (Windows), else 0 */
    uint64_t cookie;     /* netlink's socket cookie; 0 from /proc */
    bool missed;         /* --watch: absent from the latest snapshot only */
};

/* A growable array; zero-initialise before use. */
struct tcp_sock_list {
    struct tcp_sock_entry *items;
    size_t len;
    size_t cap;
};

/* Appends E; returns 0, or -1 (ENOMEM). */
int tcp_sock_list_push(struct tcp_sock_list *l, const struct tcp_sock_entry *e);
void tcp_sock_list_free(struct tcp_sock_list *l);

/* Orders by the connection's 4-tuple (local port first, for reading);
 * equal means "the same connection" to --watch. */
int tcp_sock_key_cmp(const struct tcp_sock_entry *a, const struct tcp_sock_entry *b);

/* "127.0.0.1:7007" or "[::1]:7007" for one end of E. */
char *tcp_sock_format_local(const struct tcp_sock_entry *e, char *buf, size_t buflen);
char *tcp_sock_format_remote(const struct tcp_sock_entry *e, char *buf, size_t buflen);

#endif
