/* Address parsing, resolution and printing. Callers hand us strings and get
 * strings back; only this file and the socket calls touch sockaddr_in/in6. */
#include "socklab/addr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "socklab/platform.h"

static int is_decimal(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int sl_check_port(const char *port, int socktype, char err[SL_ERRLEN])
{
    if (port == NULL || *port == '\0') {
        sl_errf(err, "empty port");
        errno = EINVAL;
        return -1;
    }
    if (is_decimal(port)) {
        /* strtoul would accept "99999999999" by wrapping on some systems. */
        if (strlen(port) > 5 || strtoul(port, NULL, 10) > 65535) {
            sl_errf(err, "port %s: out of range 0-65535", port);
            errno = ERANGE;
            return -1;
        }
        return 0;
    }
    /* A service name such as "echo": let getaddrinfo decide. */
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = socktype, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(NULL, port, &hints, &res);
    if (rc != 0) {
        sl_errf(err, "port %s: not a number or a known service name", port);
        errno = EINVAL;
        return -1;
    }
    freeaddrinfo(res);
    return 0;
}

int sl_unbracket_host(const char *in, char *host, size_t hostlen, char err[SL_ERRLEN])
{
    size_t n = strlen(in);
    const char *start = in;
    if (n > 0 && in[0] == '[') {
        if (n < 2 || in[n - 1] != ']') {
            sl_errf(err, "address %s: missing ']'", in);
            errno = EINVAL;
            return -1;
        }
        start = in + 1;
        n -= 2;
    }
    if (n >= hostlen) {
        sl_errf(err, "address %s: too long", in);
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(host, start, n);
    host[n] = '\0';
    return 0;
}

int sl_split_hostport(const char *in, char *host, size_t hostlen, char *port, size_t portlen,
                      char err[SL_ERRLEN])
{
    const char *colon;
    const char *hstart = in;
    size_t hlen;

    if (in[0] == '[') {
        const char *close = strchr(in, ']');
        if (close == NULL) {
            sl_errf(err, "address %s: missing ']'", in);
            goto invalid;
        }
        if (close[1] != ':') {
            sl_errf(err, "address %s: expected [HOST]:PORT", in);
            goto invalid;
        }
        hstart = in + 1;
        hlen = (size_t)(close - hstart);
        colon = close + 1;
    } else {
        colon = strrchr(in, ':');
        if (colon == NULL) {
            sl_errf(err, "address %s: expected HOST:PORT", in);
            goto invalid;
        }
        if (strchr(in, ':') != colon) {
            sl_errf(err, "address %s: write an IPv6 address as [ADDR]:PORT", in);
            goto invalid;
        }
        hlen = (size_t)(colon - in);
    }
    if (hlen == 0) {
        sl_errf(err, "address %s: empty host", in);
        goto invalid;
    }
    if (sl_check_port(colon + 1, 0, err) < 0)
        return -1;
    if (hlen >= hostlen || strlen(colon + 1) >= portlen) {
        sl_errf(err, "address %s: too long", in);
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(host, hstart, hlen);
    host[hlen] = '\0';
    strcpy(port, colon + 1);
    return 0;
invalid:
    errno = EINVAL;
    return -1;
}

int sl_resolve(const char *host, const char *port, int family, int socktype, int flags,
               struct addrinfo **out, char err[SL_ERRLEN])
{
    char name[NI_MAXHOST];
    const char *node = NULL;

    if (sl_check_port(port, socktype, err) < 0)
        return -1;
    if (host != NULL && *host != '\0') {
        if (sl_unbracket_host(host, name, sizeof name, err) < 0)
            return -1;
        node = name;
    }
    struct addrinfo hints = {.ai_family = family, .ai_socktype = socktype, .ai_flags = flags};
    if (node == NULL)
        hints.ai_flags |= AI_PASSIVE;
    int rc = getaddrinfo(node, port, &hints, out);
    if (rc != 0) {
        const char *why = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
        if (family != AF_UNSPEC && rc != EAI_SYSTEM && rc != EAI_AGAIN)
            sl_errf(err, "resolve %s: %s (no %s address)", node ? node : "*", why,
                    family == AF_INET ? "IPv4" : "IPv6");
        else
            sl_errf(err, "resolve %s: %s", node ? node : "*", why);
        errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
        return -1;
    }
    return 0;
}

char *sl_format_addr(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen)
{
    char ip[INET6_ADDRSTRLEN];

    if (buflen == 0)
        return buf;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof ip);
        snprintf(buf, buflen, "%s:%u", ip, ntohs(in4->sin_port));
    } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            /* A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d. */
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, sizeof ip);
            snprintf(buf, buflen, "%s:%u", ip, ntohs(in6->sin6_port));
        } else {
            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
            snprintf(buf, buflen, "[%s]:%u", ip, ntohs(in6->sin6_port));
        }
    } else {
        snprintf(buf, buflen, "(unknown address family %d)", (int)sa->sa_family);
    }
    return buf;
}

char *sl_format_local(int fd, char *buf, size_t buflen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        snprintf(buf, buflen, "(unknown)");
        return buf;
    }
    return sl_format_addr((struct sockaddr *)&ss, len, buf, buflen);
}

char *sl_format_peer(int fd, char *buf, size_t buflen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
        snprintf(buf, buflen, "(unknown)");
        return buf;
    }
    return sl_format_addr((struct sockaddr *)&ss, len, buf, buflen);
}

int sl_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    errno = EAFNOSUPPORT;
    return -1;
}

const char *sl_family_name(int family)
{
    switch (family) {
    case AF_INET:
        return "AF_INET";
    case AF_INET6:
        return "AF_INET6";
    case AF_UNSPEC:
        return "AF_UNSPEC";
    default:
        return "AF_?";
    }
}
