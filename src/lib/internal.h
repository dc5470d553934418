/* Library-private helpers; not installed. */
#ifndef SOCKLAB_INTERNAL_H
#define SOCKLAB_INTERNAL_H

#include "socklab/err.h"

/* Fills ERR (SL_ERRLEN bytes, may be NULL) like snprintf. errno is kept. */
void sl_errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills ERR with "<what>: strerror(errno)". errno is kept. */
void sl_errno(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <netdb.h>
#include <stdbool.h>

/* Opens one socket on address AI; V6ONLY is 1 or 0 for IPV6_V6ONLY, -1 to
 * keep the system default. Returns the fd or -1 with ERR filled. */
typedef int (*sl_open_on_fn)(const struct addrinfo *ai, int v6only, void *ctx, char err[SL_ERRLEN]);

/* The address choice every server makes: HOST NULL or "" means every
 * address - "::" with IPV6_V6ONLY off (IPv4 and IPv6 on one socket) when
 * DUAL_STACK, falling back to "0.0.0.0" where IPv6 is absent; FAMILY
 * AF_INET/AF_INET6 restricts it. Tries OPEN_ON on each resolved address
 * until one works. Returns the fd or -1 with ERR filled. */
int sl_open_passive(const char *host, const char *port, int family, int socktype, bool dual_stack,
                    sl_open_on_fn open_on, void *ctx, char err[SL_ERRLEN]);

#endif
