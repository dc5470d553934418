/* Which process owns a socket, on Windows: the TCP table gives each
 * socket's PID (diag_windows.c); its program is the image name
 * (OpenProcess + QueryFullProcessImageNameW), as UTF-8, without its folder.
 * A process we may not open (another user's, System) shows as "?/PID";
 * PID 0 (TIME_WAIT: no process any more) as "-". */
#include "owners.h"

#include <stdio.h>
#include <stdlib.h>

#include "socklab/platform.h"

#include <windows.h>

/* NAME gets PID's program ("tcpecho-server.exe"), or "?" when unknown. */
static void program_name(unsigned long pid, char *name, size_t len)
{
    wchar_t wide[MAX_PATH];
    DWORD n = sizeof wide / sizeof wide[0];
    char utf8[4 * MAX_PATH];
    int bytes = 0;
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
    if (h != NULL) {
        if (QueryFullProcessImageNameW(h, 0, wide, &n))
            bytes =
                WideCharToMultiByte(CP_UTF8, 0, wide, (int)n, utf8, sizeof utf8 - 1, NULL, NULL);
        CloseHandle(h);
    }
    if (bytes <= 0) {
        snprintf(name, len, "?");
        return;
    }
    utf8[bytes] = '\0';
    snprintf(name, len, "%s", sl_path_last(utf8));
}

static bool known(const struct tcp_owners *o, unsigned long pid)
{
    for (size_t i = 0; i < o->len; i++)
        if (o->items[i].key == pid)
            return true;
    return false;
}

int tcp_owners_find(struct tcp_owners *o, const struct tcp_sock_list *l)
{
    *o = (struct tcp_owners){0};
    for (size_t i = 0; i < l->len; i++) {
        unsigned long pid = l->items[i].pid;
        if (pid == 0 || known(o, pid))
            continue;
        if (o->len == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 16;
            struct tcp_owner *items = realloc(o->items, cap * sizeof *items);
            if (items == NULL)
                return -1;
            o->items = items;
            o->cap = cap;
        }
        struct tcp_owner *w = &o->items[o->len++];
        char name[40];
        program_name(pid, name, sizeof name);
        w->key = pid;
        snprintf(w->label, sizeof w->label, "%s/%lu", name, pid);
    }
    return 0;
}

const char *tcp_owners_label(const struct tcp_owners *o, const struct tcp_sock_entry *e)
{
    for (size_t i = 0; i < o->len; i++)
        if (e->pid != 0 && o->items[i].key == e->pid)
            return o->items[i].label;
    return "-";
}

void tcp_owners_free(struct tcp_owners *o)
{
    free(o->items);
    *o = (struct tcp_owners){0};
}
