/* TCP server steps 2-5: socket, address, bind, listen. */
#include "socklab/tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "socklab/addr.h"

/* V6ONLY: 1 or 0 to set IPV6_V6ONLY on an IPv6 socket, -1 to keep the
 * system default. Returns the listening fd or -1 with ERR filled. */
static int listen_on(const struct addrinfo *ai, int v6only, int backlog, const struct sl_trace *t,
                     char err[SL_ERRLEN])
{
    char where[SL_ADDRSTRLEN];
    int one = 1;

    sl_format_addr(ai->ai_addr, ai->ai_addrlen, where, sizeof where);

    sl_trace_before(t, SL_STEP_SOCKET);
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
        sl_errno(err, "socket(%s, SOCK_STREAM)", sl_family_name(ai->ai_family));
        return -1;
    }
    sl_trace_step(t, SL_STEP_SOCKET, -1, "socket(%s, SOCK_STREAM) = %d",
                  sl_family_name(ai->ai_family), fd);

    /* Without SO_REUSEADDR a restarted server fails to bind for a minute
     * while its old connections sit in TIME_WAIT. */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        sl_errno(err, "setsockopt SO_REUSEADDR");
        goto fail;
    }
    if (ai->ai_family == AF_INET6 && v6only >= 0 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) < 0) {
        sl_errno(err, "setsockopt IPV6_V6ONLY");
        goto fail;
    }
    /* Non-blocking, so that accept() after poll() cannot hang on a client
     * that reset its connection in between. */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        sl_errno(err, "fcntl O_NONBLOCK");
        goto fail;
    }
    sl_trace_before(t, SL_STEP_ADDRESS);
    sl_trace_step(t, SL_STEP_ADDRESS, -1, "server address %s (%s%s)", where,
                  sl_family_name(ai->ai_family),
                  ai->ai_family == AF_INET6 && v6only == 0 ? ", IPv4 too" : "");

    sl_trace_before(t, SL_STEP_BIND);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        sl_errno(err, "bind %s", where);
        goto fail;
    }
    sl_trace_step(t, SL_STEP_BIND, -1, "bind %s", sl_format_local(fd, where, sizeof where));

    sl_trace_before(t, SL_STEP_LISTEN);
    if (listen(fd, backlog) < 0) {
        sl_errno(err, "listen %s", where);
        goto fail;
    }
    sl_trace_step(t, SL_STEP_LISTEN, fd, "listen backlog %d", backlog);
    return fd;
fail:
    close(fd);
    return -1;
}

struct listen_ctx {
    int backlog;
    const struct sl_trace *t;
};

static int listen_on_ctx(const struct addrinfo *ai, int v6only, void *ctx, char err[SL_ERRLEN])
{
    const struct listen_ctx *c = ctx;
    return listen_on(ai, v6only, c->backlog, c->t, err);
}

int sl_listen_tcp(const char *host, const char *port, int family, int backlog,
                  const struct sl_trace *t, char err[SL_ERRLEN])
{
    struct listen_ctx c = {.backlog = backlog, .t = t};
    return sl_open_passive(host, port, family, SOCK_STREAM, true, listen_on_ctx, &c, err);
}

int sl_set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
