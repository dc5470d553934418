/* The two sources of socket entries. Each appends to OUT the sockets of
 * FAMILY (AF_INET or AF_INET6); returns 0, or -1 with ERR filled. */
#ifndef TCPSTATE_DIAG_H
#define TCPSTATE_DIAG_H

#include "socklab/err.h"
#include "socklist.h"

/* netlink sock_diag (diag_netlink.c). */
int diag_netlink_dump(int family, struct tcp_sock_list *out, char err[SL_ERRLEN]);

/* /proc/net/tcp{,6} (diag_proc.c), where netlink is not available. */
int diag_proc_read(int family, struct tcp_sock_list *out, char err[SL_ERRLEN]);

#endif
