/* The Windows source: the system's TCP table, GetExtendedTcpTable with
 * TCP_TABLE_OWNER_PID_ALL (every state, listeners included, and each
 * socket's owning PID). There is no second source on Windows: --proc says
 * so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "socklab/platform.h"

#include <iphlpapi.h>

const char diag_main_name[] = "GetExtendedTcpTable";
const char diag_fallback_name[] = "/proc";

/* The table of FAMILY in a malloc'd buffer, or NULL with ERR filled. The
 * table may grow between the size query and the read: then ask again. */
static void *read_table(int family, char err[SL_ERRLEN])
{
    unsigned long rc;
    void *table = sl_windows_tcp_table(family, TCP_TABLE_OWNER_PID_ALL, &rc);
    if (table)
        return table;
    if (rc == ERROR_NOT_ENOUGH_MEMORY) {
        snprintf(err, SL_ERRLEN, "GetExtendedTcpTable: out of memory");
    } else if (rc == ERROR_INSUFFICIENT_BUFFER) {
        snprintf(err, SL_ERRLEN, "GetExtendedTcpTable: the table keeps growing");
    } else {
        char why[SL_ERRLEN];
        snprintf(err, SL_ERRLEN, "GetExtendedTcpTable(%s): %s", family == AF_INET ? "IPv4" : "IPv6",
                 sl_strerror((int)rc, why, sizeof why));
    }
    return NULL;
}

/* The row's ports are in network byte order in the low 16 bits. A
 * listener's remote end means nothing: shown as 0, as on Linux. */
static void set_ports(struct tcp_sock_entry *e, DWORD local, DWORD remote)
{
    e->local_port = ntohs((u_short)local);
    e->remote_port = e->state == 10 /* LISTEN */ ? 0 : ntohs((u_short)remote);
}

static int append_v4(const MIB_TCPTABLE_OWNER_PID *t, struct tcp_sock_list *out)
{
    for (DWORD i = 0; i < t->dwNumEntries; i++) {
        const MIB_TCPROW_OWNER_PID *r = &t->table[i];
        struct tcp_sock_entry e = {
            .family = AF_INET, .state = sl_windows_tcp_state(r->dwState), .pid = r->dwOwningPid};
        memcpy(e.local, &r->dwLocalAddr, 4);
        if (e.state != 10)
            memcpy(e.remote, &r->dwRemoteAddr, 4);
        set_ports(&e, r->dwLocalPort, r->dwRemotePort);
        if (e.state > 0 && tcp_sock_list_push(out, &e) < 0)
            return -1;
    }
    return 0;
}

static int append_v6(const MIB_TCP6TABLE_OWNER_PID *t, struct tcp_sock_list *out)
{
    for (DWORD i = 0; i < t->dwNumEntries; i++) {
        const MIB_TCP6ROW_OWNER_PID *r = &t->table[i];
        struct tcp_sock_entry e = {
            .family = AF_INET6, .state = sl_windows_tcp_state(r->dwState), .pid = r->dwOwningPid};
        memcpy(e.local, r->ucLocalAddr, 16);
        if (e.state != 10)
            memcpy(e.remote, r->ucRemoteAddr, 16);
        set_ports(&e, r->dwLocalPort, r->dwRemotePort);
        if (e.state > 0 && tcp_sock_list_push(out, &e) < 0)
            return -1;
    }
    return 0;
}

int diag_main_dump(int family, struct tcp_sock_list *out, char err[SL_ERRLEN])
{
    void *table = read_table(family, err);
    if (table == NULL)
        return -1;
    int rc = family == AF_INET ? append_v4(table, out) : append_v6(table, out);
    free(table);
    if (rc < 0)
        snprintf(err, SL_ERRLEN, "GetExtendedTcpTable: %s", SL_STRERROR(ENOMEM));
    return rc;
}

int diag_fallback_read(int family, struct tcp_sock_list *out, char err[SL_ERRLEN])
{
    (void)family;
    (void)out;
    snprintf(err, SL_ERRLEN, "--proc: there is no /proc/net/tcp on Windows");
    return -1;
}
