/* Addresses: parsing "host", "[v6]", "host:port"; getaddrinfo; printing. */
#ifndef SOCKLAB_ADDR_H
#define SOCKLAB_ADDR_H

#include <stddef.h>
#include "socklab/platform.h"

#include "socklab/err.h"

/* Long enough for "[ffff:ffff:...:255.255.255.255%ifname]:65535". */
#define SL_ADDRSTRLEN 80

/* Checks that PORT is a decimal port 0..65535 or a service name known to
 * getaddrinfo for SOCKTYPE. Returns 0, or -1 with ERR filled. */
int sl_check_port(const char *port, int socktype, char err[SL_ERRLEN]);

/* Removes the brackets of "[::1]" into HOST (size HOSTLEN). A name without
 * brackets is copied as is. Returns 0, or -1 with ERR filled. */
int sl_unbracket_host(const char *in, char *host, size_t hostlen, char err[SL_ERRLEN]);

/* Splits "host:port", "[v6]:port" into HOST and PORT. A bare IPv6 literal
 * ("::1") has no port and is rejected: it must be written "[::1]:7007".
 * Returns 0, or -1 with ERR filled. */
int sl_split_hostport(const char *in, char *host, size_t hostlen, char *port, size_t portlen,
                      char err[SL_ERRLEN]);

/* getaddrinfo() for HOST (NULL or "" means the wildcard when passive) and
 * PORT, restricted to FAMILY (AF_UNSPEC, AF_INET, AF_INET6) and SOCKTYPE.
 * FLAGS are extra AI_* flags (AI_PASSIVE for servers). Brackets around an
 * IPv6 literal are accepted. The list is freed with freeaddrinfo().
 * Returns 0, or -1 with ERR filled. */
int sl_resolve(const char *host, const char *port, int family, int socktype, int flags,
               struct addrinfo **out, char err[SL_ERRLEN]);

/* Formats SA as "127.0.0.1:7007" or "[::1]:7007" (an IPv4-mapped IPv6
 * address prints as IPv4). Always NUL-terminates; returns BUF. */
char *sl_format_addr(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen);

/* The local ("sockname") or remote ("peername") address of FD, formatted. */
char *sl_format_local(int fd, char *buf, size_t buflen);
char *sl_format_peer(int fd, char *buf, size_t buflen);

/* The bound port of FD (after bind to port 0), or -1. */
int sl_local_port(int fd);

/* "AF_INET", "AF_INET6", or "AF_?" */
const char *sl_family_name(int family);

#endif
