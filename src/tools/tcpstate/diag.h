/* The sources of socket entries, chosen by CMake for the system: on Linux
 * netlink sock_diag (diag_netlink.c) with /proc/net/tcp{,6} (diag_proc.c)
 * as the fallback; on Windows the TCP table of GetExtendedTcpTable
 * (diag_windows.c), with no fallback. Each appends to OUT the sockets of
 * FAMILY (AF_INET or AF_INET6); returns 0, or -1 with ERR filled. */
#ifndef TCPSTATE_DIAG_H
#define TCPSTATE_DIAG_H

#include "socklab/err.h"
#include "socklist.h"

/* The system's own source, tried first. */
int diag_main_dump(int family, struct tcp_sock_list *out, char err[SL_ERRLEN]);

/* The fallback where the main source is not available, and --proc. */
int diag_fallback_read(int family, struct tcp_sock_list *out, char err[SL_ERRLEN]);

/* Their names in --watch's messages, e.g. "netlink" and "/proc". */
extern const char diag_main_name[], diag_fallback_name[];

#endif
