/* Options on a connected TCP socket, set by servers and clients alike. */
#include "socklab/tcp.h"

#include "socklab/platform.h"

int sl_set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const void *)&one, sizeof one) < 0
               ? sl_socket_failed()
               : 0;
}
