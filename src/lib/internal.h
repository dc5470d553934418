/* Library-private helpers; not installed. */
#ifndef SOCKLAB_INTERNAL_H
#define SOCKLAB_INTERNAL_H

#include "socklab/err.h"

/* Fills ERR (SL_ERRLEN bytes, may be NULL) like snprintf. errno is kept. */
void sl_errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills ERR with "<what>: strerror(errno)". errno is kept. */
void sl_errno(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdbool.h>

/* A receive or send said EAGAIN. On a non-blocking FD that means "not
 * now" (false); on a blocking one it means its SO_RCVTIMEO/SO_SNDTIMEO ran
 * out (a server's idle limit): errno becomes the ETIMEDOUT it is (true). */
bool sl_io_timed_out(int fd);

/* A non-blocking FD said "not now": waits in poll() for EVENTS (POLLIN,
 * POLLOUT). Returns 0, or -1 with errno. */
int sl_io_wait_ready(int fd, short events);

#include <stdbool.h>

#include "socklab/platform.h"

struct sl_trace;

/* Extends *CRC over LEN bytes of FILE from OFF, read in pieces (the slow
 * path where a file cannot be mapped; Windows' only path). 0, or -1 +
 * errno (ENODATA: the file ended first). */
int sl_crc32c_read(int file, uint64_t off, uint64_t len, uint32_t *crc);

/* A growing list of malloc'd names (sl_dir_names). */
struct sl_names {
    char **v;
    size_t len, cap;
};
/* Appends NAME, taken over (NULL: it could not be made). 0, or -1 with
 * errno ENOMEM. */
int sl_names_add(struct sl_names *l, char *name);
void sl_names_free(struct sl_names *l);
/* Ends a listing: RC 0 hands the names to *NAMES and *N and returns 0;
 * otherwise frees them and returns -1 with errno ENOMEM. */
int sl_names_give(struct sl_names *l, int rc, char ***names, size_t *n);

/* How a server's socket is made (steps 2-4), and what follows the bind. */
struct sl_passive {
    int socktype;       /* SOCK_STREAM or SOCK_DGRAM */
    bool reuse_addr;    /* restart despite TIME_WAIT (sl_socket_reuse_addr) */
    bool share_port;    /* SO_REUSEADDR as such: UDP peers share one port (Windows too) */
    bool broadcast;     /* SO_BROADCAST */
    bool dual_stack;    /* the wildcard is "::" with IPV6_V6ONLY off */
    const char *naming; /* "server address" or "local address", for the trace */
    /* After the bind: e.g. listen(). Returns 0, or -1 with ERR filled. */
    int (*after_bind)(int fd, const struct sl_passive *p, char err[SL_ERRLEN]);
    int backlog; /* for after_bind */
    const struct sl_trace *t;
};

/* Steps 2-4 and P's last step on each address HOST/PORT resolves to until
 * one works. HOST NULL or "" means every address: "::" with IPV6_V6ONLY
 * off (IPv4 and IPv6 on one socket) when P is dual-stack, falling back to
 * "0.0.0.0" where IPv6 is absent; FAMILY AF_INET/AF_INET6 restricts it.
 * Returns the fd or -1 with ERR filled. */
int sl_open_passive(const char *host, const char *port, int family, const struct sl_passive *p,
                    char err[SL_ERRLEN]);

struct sl_term;

/* The terminal's system half (term.c draws; these switch modes):
 * platform/posix_term.c (termios), platform/windows_term.c (the console).
 * start: raw mode, 0 or -1 + errno (ENOTTY: not a terminal). */
int sl_term_sys_start(struct sl_term *t);
void sl_term_sys_stop(struct sl_term *t);
/* The terminal's width in columns (80 when unknown). */
size_t sl_term_sys_columns(const struct sl_term *t);

struct sl_refusals;

/* The lingering close of refused connections (server_refusals.c).
 * init: 0 or -1 + errno. add: takes FD (sends nothing; the caller has). */
int sl_refusals_init(struct sl_refusals *r);
void sl_refusals_add(struct sl_refusals *r, int fd);
void sl_refusals_free(struct sl_refusals *r);

#endif
