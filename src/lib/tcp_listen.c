/* TCP server steps 2-5: socket, address, bind, listen. */
#include "socklab/tcp.h"

#include <errno.h>
#include <string.h>

#include "internal.h"
#include "socklab/addr.h"
#include "socklab/platform.h"

/* Step 5, after the bind: listen. */
static int listen_after_bind(int fd, const struct sl_passive *p, char err[SL_ERRLEN])
{
    /* Non-blocking, so that accept() after poll() cannot hang on a client
     * that reset its connection in between. */
    if (sl_socket_set_nonblocking(fd, true) < 0) {
        sl_errno(err, "fcntl O_NONBLOCK");
        return -1;
    }
    sl_trace_before(p->t, SL_STEP_LISTEN);
    if (listen(fd, p->backlog) < 0) {
        sl_socket_failed();
        char where[SL_ADDRSTRLEN];
        sl_errno(err, "listen %s", sl_format_local(fd, where, sizeof where));
        return -1;
    }
    sl_trace_step(p->t, SL_STEP_LISTEN, fd, "listen backlog %d", p->backlog);
    return 0;
}

int sl_listen_tcp(const char *host, const char *port, int family, int backlog,
                  const struct sl_trace *t, char err[SL_ERRLEN])
{
    const struct sl_passive p = {.socktype = SOCK_STREAM,
                                 .reuse_addr = true,
                                 .dual_stack = true,
                                 .naming = "server address",
                                 .after_bind = listen_after_bind,
                                 .backlog = backlog,
                                 .t = t};
    return sl_open_passive(host, port, family, &p, err);
}
