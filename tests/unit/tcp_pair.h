/* A connected pair of stream sockets for tests that read messages from a
 * socket: TCP on loopback, as socketpair(AF_UNIX) is not there on Windows
 * (mingw-w64). SV[0] is the client's end, SV[1] the server's; close both
 * with sl_socket_close. (Not a test itself: the unit-test glob takes test_*.c.) */
#ifndef TESTS_TCP_PAIR_H
#define TESTS_TCP_PAIR_H

#include <stdio.h>

#include "socklab/addr.h"
#include "socklab/platform.h"
#include "socklab/tcp.h"

/* 0, or -1 with ERR filled. */
static inline int tcp_pair(int sv[2], char err[SL_ERRLEN])
{
    char port[8];
    int lfd = sl_listen_tcp("127.0.0.1", "0", AF_INET, 1, NULL, err);
    if (lfd < 0)
        return -1;
    snprintf(port, sizeof port, "%d", sl_local_port(lfd));
    sv[0] = sl_connect_tcp("127.0.0.1", port, AF_INET, 2000, -1, NULL, err);
    sv[1] = sv[0] < 0 ? -1 : sl_accept(lfd, -1, NULL, NULL, NULL, err);
    sl_socket_close(lfd);
    if (sv[1] < 0 && sv[0] >= 0)
        sl_socket_close(sv[0]);
    return sv[1] < 0 ? -1 : 0;
}

#endif
