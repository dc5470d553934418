/* The platform layer on Windows: Winsock 2.2 behind the POSIX-shaped
 * functions of socklab/platform.h. Cross-built with mingw-w64 (its
 * winpthreads gives the library its pthreads) and tested under Wine.
 *
 * This file keeps the layer's only global state: the console control
 * handler takes no argument, so the watcher it feeds is kept here. */
#include "socklab/platform.h"

#include <fcntl.h>
#include <io.h>
#include <iphlpapi.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "../internal.h"
#include "socklab/shutdown.h"
#include "socklab/udp.h"

int sl_platform_startup(char *what, size_t whatlen, char err[SL_ERRLEN])
{
    WSADATA wsa;
    /* Step 1 of the notes: ask for Winsock 2.2; wsa says what we got. */
    int rc = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (rc != 0) {
        errno = sl_socket_error_errno(rc);
        sl_errno(err, "WSAStartup(2.2)");
        return -1;
    }
    /* Windows console output as UTF-8, so Chinese text prints as sent, and
     * stdio without the C runtime's "\n" -> "\r\n": bytes pass as they are. */
    SetConsoleOutputCP(CP_UTF8);
    for (int fd = 0; fd <= 2; fd++)
        _setmode(fd, _O_BINARY);
    snprintf(what, whatlen, "WSAStartup(2.2) = %d: Winsock version %d.%d, \"%s\"", rc,
             LOBYTE(wsa.wVersion), HIBYTE(wsa.wVersion), wsa.szDescription);
    return 0;
}

void sl_platform_cleanup(char *what, size_t whatlen)
{
    int rc = WSACleanup();
    snprintf(what, whatlen, "WSACleanup() = %d", rc == 0 ? 0 : (int)WSAGetLastError());
}

int sl_socket_close(int fd)
{
    return closesocket((SOCKET)fd) == 0 ? 0 : sl_socket_failed();
}

int sl_socket_shutdown_wake(int fd, int how)
{
    int rc = shutdown((SOCKET)fd, how) == 0 ? 0 : sl_socket_failed();
    /* A blocked recv()/send() waits on as if nothing happened: cancel it.
     * It fails with EINTR (see error_names), and a retry meets the socket
     * shut down. */
    CancelIoEx((HANDLE)(SOCKET)fd, NULL);
    return rc;
}

/* Winsock's errors and the errno names the library tests. */
static const struct {
    int wsa, posix;
    const char *text; /* as glibc says it: Wine has no texts for WSA errors */
} error_names[] = {
    {WSAEINTR, EINTR, "Interrupted function call"},
    /* A call sl_socket_shutdown_wake cancelled: retried, as after a signal,
     * it meets the shut-down direction (a reader its end, a writer EPIPE),
     * while I/O in the other direction carries on. */
    {WSA_OPERATION_ABORTED, EINTR, "Interrupted function call"},
    {WSAEBADF, EBADF, "Bad file descriptor"},
    {WSAEACCES, EACCES, "Permission denied"},
    {WSAEFAULT, EFAULT, "Bad address"},
    {WSAEINVAL, EINVAL, "Invalid argument"},
    {WSAEMFILE, EMFILE, "Too many open files"},
    {WSAEWOULDBLOCK, EAGAIN, "Resource temporarily unavailable"},
    {WSAEINPROGRESS, EINPROGRESS, "Operation now in progress"},
    {WSAEALREADY, EALREADY, "Operation already in progress"},
    {WSAENOTSOCK, ENOTSOCK, "Socket operation on non-socket"},
    {WSAEDESTADDRREQ, EDESTADDRREQ, "Destination address required"},
    {WSAEMSGSIZE, EMSGSIZE, "Message too long"},
    {WSAEPROTOTYPE, EPROTOTYPE, "Protocol wrong type for socket"},
    {WSAENOPROTOOPT, ENOPROTOOPT, "Protocol not available"},
    {WSAEPROTONOSUPPORT, EPROTONOSUPPORT, "Protocol not supported"},
    {WSAEOPNOTSUPP, EOPNOTSUPP, "Operation not supported"},
    {WSAEAFNOSUPPORT, EAFNOSUPPORT, "Address family not supported by protocol"},
    {WSAEADDRINUSE, EADDRINUSE, "Address already in use"},
    {WSAEADDRNOTAVAIL, EADDRNOTAVAIL, "Cannot assign requested address"},
    {WSAENETDOWN, ENETDOWN, "Network is down"},
    {WSAENETUNREACH, ENETUNREACH, "Network is unreachable"},
    {WSAENETRESET, ENETRESET, "Network dropped connection on reset"},
    {WSAECONNABORTED, ECONNABORTED, "Software caused connection abort"},
    {WSAECONNRESET, ECONNRESET, "Connection reset by peer"},
    {WSAENOBUFS, ENOBUFS, "No buffer space available"},
    {WSAEISCONN, EISCONN, "Transport endpoint is already connected"},
    {WSAENOTCONN, ENOTCONN, "Transport endpoint is not connected"},
    {WSAESHUTDOWN, EPIPE, "Broken pipe"},
    {WSAETIMEDOUT, ETIMEDOUT, "Connection timed out"},
    {WSAECONNREFUSED, ECONNREFUSED, "Connection refused"},
    {WSAEHOSTUNREACH, EHOSTUNREACH, "No route to host"},
};
#define N_ERROR_NAMES (sizeof error_names / sizeof error_names[0])

int sl_socket_error_errno(int soerr)
{
    for (size_t i = 0; i < N_ERROR_NAMES; i++)
        if (error_names[i].wsa == soerr)
            return error_names[i].posix;
    return soerr; /* a WSA number of its own: sl_strerror still knows it */
}

int sl_socket_failed(void)
{
    errno = sl_socket_error_errno(WSAGetLastError());
    return -1;
}

/* Our own text for a Winsock error, when the system has none. */
static const char *fallback_text(int code, char *buf, size_t len)
{
    for (size_t i = 0; i < N_ERROR_NAMES; i++)
        if (error_names[i].wsa == code)
            return error_names[i].text;
    snprintf(buf, len, "Winsock error %d", code);
    return buf;
}

/* The system's own text for a Winsock error, as UTF-8 without the
 * trailing ".\r\n" (Wine has none: then ours). */
static const char *wsa_text(int code, char *buf, size_t len)
{
    wchar_t wide[256];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                             (DWORD)code, 0, wide, sizeof wide / sizeof wide[0], NULL);
    int bytes = n == 0 || len < 2
                    ? 0
                    : WideCharToMultiByte(CP_UTF8, 0, wide, (int)n, buf, (int)len - 1, NULL, NULL);
    if (bytes <= 0)
        return fallback_text(code, buf, len);
    buf[bytes] = '\0';
    while (bytes > 0 && strchr("\r\n. ", buf[bytes - 1]))
        buf[--bytes] = '\0';
    return buf;
}

const char *sl_strerror(int errnum, char *buf, size_t len)
{
    if (errnum >= WSABASEERR)
        return wsa_text(errnum, buf, len);
    for (size_t i = 0; i < N_ERROR_NAMES; i++)
        if (error_names[i].posix == errnum && errnum >= 100) /* POSIX supplement: not in msvcrt */
            return wsa_text(error_names[i].wsa, buf, len);
    return strerror(errnum);
}

int sl_poll(struct pollfd *p, unsigned long n, int timeout_ms)
{
    if (n == 0) { /* WSAPoll refuses an empty set: just wait */
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    int rc = WSAPoll(p, n, timeout_ms);
    return rc == SOCKET_ERROR ? sl_socket_failed() : rc;
}

int sl_socket_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (connect((SOCKET)fd, sa, len) == 0)
        return 0;
    int e = WSAGetLastError();
    errno = e == WSAEWOULDBLOCK ? EINPROGRESS : sl_socket_error_errno(e);
    return -1;
}

int sl_socket_set_nonblocking(int fd, bool on)
{
    u_long mode = on ? 1 : 0;
    return ioctlsocket((SOCKET)fd, FIONBIO, &mode) == 0 ? 0 : sl_socket_failed();
}

/* Winsock has no MSG_DONTWAIT. A socket WSAPoll calls readable (data,
 * the end, an error) answers recv() at once. */
ssize_t sl_socket_recv_nowait(int fd, void *buf, size_t len)
{
    WSAPOLLFD p = {.fd = (SOCKET)fd, .events = POLLRDNORM};
    int ready = WSAPoll(&p, 1, 0);
    if (ready < 0)
        return sl_socket_failed();
    if (ready == 0) {
        errno = EAGAIN;
        return -1;
    }
    int n = recv((SOCKET)fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
    return n == SOCKET_ERROR ? sl_socket_failed() : n;
}

/* A writable socket may still take fewer bytes than LEN, and a blocking
 * send() waits for room for all of them: the call is made non-blocking. */
ssize_t sl_socket_send_nowait(int fd, const void *buf, size_t len)
{
    if (sl_socket_set_nonblocking(fd, true) < 0)
        return -1;
    int n = send((SOCKET)fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
    int saved = n == SOCKET_ERROR ? sl_socket_failed() : 0;
    int e = errno;
    (void)sl_socket_set_nonblocking(fd, false);
    errno = e;
    return saved < 0 ? -1 : n;
}

bool sl_socket_is_nonblocking(int fd)
{
    (void)fd;
    return true;
}

int sl_socket_reuse_addr(int fd)
{
    BOOL one = TRUE;
    int rc = setsockopt((SOCKET)fd, SOL_SOCKET, SL_SO_LISTEN_REUSE, (const char *)&one, sizeof one);
    return rc == 0 ? 0 : sl_socket_failed();
}

int sl_socket_set_recv_timeout(int fd, int ms)
{
    DWORD v = (DWORD)ms;
    int rc = setsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVTIMEO, (const char *)&v, sizeof v);
    return rc == 0 ? 0 : sl_socket_failed();
}

ssize_t sl_fd_read(int fd, void *buf, size_t len)
{
    int n = recv((SOCKET)fd, buf, len > INT_MAX ? INT_MAX : (int)len, 0);
    if (n != SOCKET_ERROR)
        return n;
    if (WSAGetLastError() != WSAENOTSOCK)
        return sl_socket_failed();
    return _read(fd, buf, len > INT_MAX ? INT_MAX : (unsigned)len);
}

void sl_platform_program_name(char *name)
{
    __argv[0] = name;
}

const char *sl_path_last(const char *path)
{
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            path = p + 1;
    return path;
}

/* A connected loopback TCP pair: Windows has no socketpair() and polls
 * sockets only. It may be made before step 1 (a server's stop channel), so
 * it holds a Winsock reference of its own, released by loopback_close. */
static int connected_pair(SOCKET out[2]);

static int loopback_pair(SOCKET out[2])
{
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        return sl_socket_failed();
    int rc = connected_pair(out);
    if (rc < 0)
        WSACleanup();
    return rc;
}

static void loopback_close(SOCKET pair[2])
{
    closesocket(pair[0]);
    closesocket(pair[1]);
    WSACleanup();
}

static int connected_pair(SOCKET out[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int alen = sizeof a;
    SOCKET l = socket(AF_INET, SOCK_STREAM, 0), c = INVALID_SOCKET, s = INVALID_SOCKET;
    if (l == INVALID_SOCKET)
        return sl_socket_failed();
    if (bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0 &&
        getsockname(l, (struct sockaddr *)&a, &alen) == 0 &&
        (c = socket(AF_INET, SOCK_STREAM, 0)) != INVALID_SOCKET &&
        connect(c, (struct sockaddr *)&a, sizeof a) == 0)
        s = accept(l, NULL, NULL);
    if (s == INVALID_SOCKET) {
        sl_socket_failed();
        int saved = errno;
        if (c != INVALID_SOCKET)
            closesocket(c);
        closesocket(l);
        errno = saved;
        return -1;
    }
    closesocket(l);
    out[0] = s;
    out[1] = c;
    return 0;
}

int sl_wakeup_open(int fds[2])
{
    SOCKET pair[2];
    if (loopback_pair(pair) < 0)
        return -1;
    fds[0] = (int)pair[0];
    fds[1] = (int)pair[1];
    return sl_socket_set_nonblocking(fds[0], true);
}

void sl_wakeup_signal(int wr)
{
    (void)send((SOCKET)wr, "", 1, 0);
}

void sl_wakeup_drain(int rd)
{
    char scratch[64];
    while (recv((SOCKET)rd, scratch, sizeof scratch, 0) > 0)
        ;
}

void sl_wakeup_close(int fds[2])
{
    SOCKET pair[2] = {(SOCKET)fds[0], (SOCKET)fds[1]};
    loopback_close(pair);
}

/* Copies stdin into the write end of a loopback pair; EOF half-closes. */
static DWORD WINAPI copy_stdin(void *arg)
{
    SOCKET wr = (SOCKET)(uintptr_t)arg;
    char buf[4096];
    int n;
    while ((n = _read(0, buf, sizeof buf)) > 0)
        for (int off = 0; off < n;) {
            int sent = send(wr, buf + off, n - off, 0);
            if (sent <= 0)
                goto out;
            off += sent;
        }
out:
    shutdown(wr, SD_SEND);
    return 0;
}

int sl_stdin_pollable(void)
{
    SOCKET pair[2];
    if (loopback_pair(pair) < 0)
        return -1;
    _setmode(0, _O_BINARY); /* bytes as they are, UTF-8 included */
    HANDLE h = CreateThread(NULL, 64 * 1024, copy_stdin, (void *)(uintptr_t)pair[1], 0, NULL);
    if (h == NULL) {
        loopback_close(pair);
        errno = ENOMEM;
        return -1;
    }
    CloseHandle(h);
    return (int)pair[0];
}

/* The console control handler's watcher (see the top of the file). */
static struct sl_stop_watch *volatile console_watch;

/* Runs in a thread Windows starts for the event. TRUE: handled. FALSE:
 * the next handler, the default one, ends the process. */
static BOOL WINAPI on_console_event(DWORD event)
{
    struct sl_stop_watch *w = console_watch;
    int signo = event == CTRL_C_EVENT ? SIGINT : SIGTERM;
    if (w == NULL)
        return FALSE;
    return w->on_stop(w->arg, signo) ? TRUE : FALSE;
}

int sl_stop_watch_start(struct sl_stop_watch *w, sl_stop_fn on_stop, void *arg)
{
    w->on_stop = on_stop;
    w->arg = arg;
    console_watch = w;
    if (!SetConsoleCtrlHandler(on_console_event, TRUE)) {
        console_watch = NULL;
        return EINVAL;
    }
    return 0;
}

void sl_stop_watch_end(struct sl_stop_watch *w)
{
    (void)w;
    SetConsoleCtrlHandler(on_console_event, FALSE);
    console_watch = NULL;
}

int sl_step_pause_init(void)
{
    return 0;
}

void sl_step_pause_hint(char *buf, size_t len)
{
    if (len > 0)
        buf[0] = '\0';
}

/* One event off console CON: true when it is Enter being pressed. One at
 * a time, so keys typed after the Enter stay for whoever reads next. */
static bool enter_pressed(HANDLE con)
{
    INPUT_RECORD rec;
    DWORD n;
    if (!ReadConsoleInputW(con, &rec, 1, &n) || n == 0 || rec.EventType != KEY_EVENT)
        return false;
    const KEY_EVENT_RECORD *k = &rec.Event.KeyEvent;
    return k->bKeyDown && (k->wVirtualKeyCode == VK_RETURN || k->uChar.UnicodeChar == '\r');
}

/* Waits for Enter on the console (CONIN$: the program's console even when
 * stdin is a pipe or a file, as POSIX reads /dev/tty), or for a stop
 * request. Key events, so the console's line mode does not matter. With
 * no console, only a stop request ends the pause (Windows has no SIGUSR1). */
void sl_step_pause_wait(const struct sl_shutdown *stop)
{
    HANDLE con = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
                             FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    DWORD mode;
    bool console = con != INVALID_HANDLE_VALUE && GetConsoleMode(con, &mode);
    for (;;) {
        if (stop != NULL && sl_shutdown_requested(stop) != 0)
            break;
        if (!console)
            Sleep(20);
        else if (WaitForSingleObject(con, 20) == WAIT_OBJECT_0 && enter_pressed(con))
            break;
    }
    if (con != INVALID_HANDLE_VALUE)
        CloseHandle(con);
}

uint64_t sl_platform_clock_ns(void)
{
    LARGE_INTEGER now, freq;
    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&freq);
    uint64_t s = (uint64_t)now.QuadPart / (uint64_t)freq.QuadPart;
    uint64_t rest = (uint64_t)now.QuadPart % (uint64_t)freq.QuadPart;
    return s * 1000000000u + rest * 1000000000u / (uint64_t)freq.QuadPart;
}

uint64_t sl_platform_fd_limit(void)
{
    return UINT64_MAX; /* sockets are handles: no per-process descriptor limit */
}

uint64_t sl_platform_task_limit(uint64_t fallback)
{
    return fallback;
}

uint64_t sl_platform_memory_available(void)
{
    MEMORYSTATUSEX m = {.dwLength = sizeof m};
    return GlobalMemoryStatusEx(&m) ? m.ullAvailPhys : 0;
}

unsigned sl_platform_online_cores(void)
{
    DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
    return n > 0 ? (unsigned)n : 1;
}

int sl_platform_raise_fd_limit(long *now)
{
    if (now)
        *now = -1;
    return 0;
}

int sl_windows_tcp_state(unsigned long mib)
{
    static const int map[] = {-1, 7, 10, 2, 3, 1, 4, 5, 8, 11, 9, 6, -1};
    return mib < sizeof map / sizeof map[0] ? map[mib] : -1;
}

void *sl_windows_tcp_table(int family, int table_class, unsigned long *rc)
{
    ULONG size = 0;
    for (int tries = 0; tries < 8; tries++) {
        void *table = size ? malloc(size) : NULL;
        if (size && table == NULL) {
            *rc = ERROR_NOT_ENOUGH_MEMORY;
            return NULL;
        }
        *rc = GetExtendedTcpTable(table, &size, FALSE, (ULONG)family, (TCP_TABLE_CLASS)table_class,
                                  0);
        if (*rc == NO_ERROR && table)
            return table;
        free(table);
        if (*rc != ERROR_INSUFFICIENT_BUFFER && *rc != NO_ERROR)
            return NULL;
        /* Room for the rows that come meanwhile: on a busy machine (a test
         * suite, a lab) the exact size is stale by the next call. */
        size += size / 4 + 64 * (ULONG)sizeof(MIB_TCP6ROW_OWNER_PID);
    }
    *rc = ERROR_INSUFFICIENT_BUFFER;
    return NULL;
}

/* The row of the TCP table whose four-tuple is FD's. Wine answers
 * SIO_TCP_INFO with WSAEOPNOTSUPP, so the table is what works everywhere. */
static int state_from_table(const struct sockaddr_storage *me, const struct sockaddr_storage *peer)
{
    int af = me->ss_family, state = -1;
    unsigned long rc;
    void *table = sl_windows_tcp_table(af, TCP_TABLE_BASIC_ALL, &rc);
    if (table == NULL)
        return -1;
    if (af == AF_INET) {
        const struct sockaddr_in *a = (const void *)me, *b = (const void *)peer;
        MIB_TCPTABLE *t = table;
        for (DWORD i = 0; i < t->dwNumEntries && state < 0; i++) {
            MIB_TCPROW *r = &t->table[i];
            if (r->dwLocalAddr == a->sin_addr.s_addr && (USHORT)r->dwLocalPort == a->sin_port &&
                r->dwRemoteAddr == b->sin_addr.s_addr && (USHORT)r->dwRemotePort == b->sin_port)
                state = sl_windows_tcp_state(r->dwState);
        }
    } else {
        const struct sockaddr_in6 *a = (const void *)me, *b = (const void *)peer;
        MIB_TCP6TABLE *t = table;
        for (DWORD i = 0; i < t->dwNumEntries && state < 0; i++) {
            MIB_TCP6ROW *r = &t->table[i];
            if (!memcmp(&r->LocalAddr, &a->sin6_addr, 16) &&
                (USHORT)r->dwLocalPort == a->sin6_port &&
                !memcmp(&r->RemoteAddr, &b->sin6_addr, 16) &&
                (USHORT)r->dwRemotePort == b->sin6_port)
                state = sl_windows_tcp_state(r->State);
        }
    }
    free(table);
    return state;
}

int sl_platform_tcp_state(int fd)
{
    struct sockaddr_storage me, peer;
    int melen = sizeof me, peerlen = sizeof peer, type = 0, typelen = sizeof type;
    if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_TYPE, (char *)&type, &typelen) != 0 ||
        type != SOCK_STREAM || getsockname((SOCKET)fd, (struct sockaddr *)&me, &melen) != 0)
        return -1;
    if (getpeername((SOCKET)fd, (struct sockaddr *)&peer, &peerlen) != 0) {
        /* No peer and not listening: never connected, or its connection
         * is over. CLOSED, as Linux says; the listener on the same local
         * address is another socket's row. */
        BOOL listening = FALSE;
        int len = sizeof listening;
        if (getsockopt((SOCKET)fd, SOL_SOCKET, SO_ACCEPTCONN, (char *)&listening, &len) != 0 ||
            !listening)
            return sl_windows_tcp_state(MIB_TCP_STATE_CLOSED);
        /* A listener: the table's listeners have a zero remote address. */
        memset(&peer, 0, sizeof peer);
        peer.ss_family = me.ss_family;
    }
    if (me.ss_family != AF_INET && me.ss_family != AF_INET6)
        return -1;
    return state_from_table(&me, &peer);
}

/* UDP's ICMP errors (socklab/udp.h). Windows has no error queue: a "port
 * unreachable" drawn by an earlier datagram fails the next recvfrom() with
 * WSAECONNRESET (SIO_UDP_CONNRESET, on by default), the offender as the
 * sender; WSAENETRESET is a "TTL expired". */
int sl_udp_enable_errors(int fd)
{
    (void)fd;
    return 0;
}

int sl_udp_take_error(int fd, struct sockaddr_storage *offender, socklen_t *len)
{
    (void)fd;
    (void)offender;
    (void)len;
    return 0; /* sl_udp_recvfrom's failure named it already */
}

/* Winsock cuts a datagram with WSAEMSGSIZE and no length: it is read
 * whole into this much, so the caller learns its size as on Linux. */
#define UDP_DATAGRAM_MAX 65536

ssize_t sl_udp_recvfrom(int fd, void *buf, size_t len, struct sockaddr_storage *from,
                        socklen_t *fromlen)
{
    WSAPOLLFD p = {.fd = (SOCKET)fd, .events = POLLRDNORM};
    *fromlen = 0;
    int ready = WSAPoll(&p, 1, 0); /* MSG_DONTWAIT, which Winsock lacks */
    if (ready < 0)
        return sl_socket_failed();
    if (ready == 0) {
        errno = EAGAIN;
        return -1;
    }
    char *whole = len >= UDP_DATAGRAM_MAX ? buf : malloc(UDP_DATAGRAM_MAX);
    if (whole == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int flen = sizeof *from;
    memset(from, 0, sizeof *from);
    int n = recvfrom((SOCKET)fd, whole, len >= UDP_DATAGRAM_MAX ? (int)len : UDP_DATAGRAM_MAX, 0,
                     (struct sockaddr *)from, &flen);
    int e = n == SOCKET_ERROR ? WSAGetLastError() : 0;
    if (n >= 0 && whole != buf)
        memcpy(buf, whole, (size_t)n < len ? (size_t)n : len);
    if (whole != buf)
        free(whole);
    if (n >= 0) {
        *fromlen = flen;
        return n;
    }
    if (e == WSAECONNRESET || e == WSAENETRESET) {
        errno = e == WSAECONNRESET ? ECONNREFUSED : EHOSTUNREACH;
        *fromlen = from->ss_family != 0 ? flen : 0;
    } else {
        errno = sl_socket_error_errno(e);
    }
    return -1;
}
