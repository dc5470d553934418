/* Where a server binds: the wildcard, dual-stack when it can, or a name. */
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

#include "internal.h"
#include "socklab/addr.h"

int sl_open_passive(const char *host, const char *port, int family, int socktype, bool dual_stack,
                    sl_open_on_fn open_on, void *ctx, char err[SL_ERRLEN])
{
    struct addrinfo *res, *ai;
    int fd = -1;
    bool wildcard = host == NULL || *host == '\0';
    int v6only = -1;

    if (wildcard && family != AF_INET && dual_stack) {
        /* "::" with IPV6_V6ONLY off takes IPv4 and IPv6 on one socket. */
        v6only = family == AF_INET6 ? 1 : 0;
        if (sl_resolve("::", port, AF_INET6, socktype, AI_PASSIVE | AI_NUMERICHOST, &res, err) ==
            0) {
            fd = open_on(res, v6only, ctx, err);
            freeaddrinfo(res);
            if (fd >= 0 || family == AF_INET6)
                return fd;
            /* No IPv6 on this host: fall back to IPv4 alone. */
            if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL && errno != EPROTONOSUPPORT)
                return -1;
        } else if (family == AF_INET6) {
            return -1;
        }
        v6only = -1;
    }
    if (wildcard) {
        host = family == AF_INET6 ? "::" : "0.0.0.0";
        family = family == AF_INET6 ? AF_INET6 : AF_INET;
    }
    if (sl_resolve(host, port, family, socktype, AI_PASSIVE, &res, err) < 0)
        return -1;
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = open_on(ai, v6only, ctx, err);
    freeaddrinfo(res);
    return fd;
}
