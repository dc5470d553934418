/* Options on a connected TCP socket, set by servers and clients alike. */
#include "socklab/tcp.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

int sl_set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
