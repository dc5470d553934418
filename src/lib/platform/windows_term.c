/* The terminal's system half on Windows (see term.c): the console. The
 * line editor and the drawing are shared with POSIX; here the console is
 * put in a raw mode of its own and its key events are turned into the
 * bytes a Unix terminal sends (socklab/console_keys.h), which a thread
 * writes to a loopback socket: the tools poll and read that like stdin. */
#include "socklab/term.h"

#include <io.h>
#include <windows.h>

#include "../internal.h"
#include "socklab/console_keys.h"

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING /* Windows 10's; older headers lack it */
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif
#ifndef ENABLE_VIRTUAL_TERMINAL_INPUT
#define ENABLE_VIRTUAL_TERMINAL_INPUT 0x0200
#endif

static HANDLE console_of(int fd)
{
    return (HANDLE)_get_osfhandle(fd);
}

/* Sends LEN bytes to socket FD. False when the reader is gone. */
static bool send_keys(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        int n = send((SOCKET)fd, buf, (int)len, 0);
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* The key thread: waits for console input (or the quit event), reads the
 * events, and writes their bytes to KEYS[1]. Its end is the end of input. */
static DWORD WINAPI copy_keys(void *arg)
{
    struct sl_term *t = arg;
    HANDLE wait[2] = {t->sys.quit, console_of(t->in_fd)};
    struct sl_console_keys pending = {0};
    INPUT_RECORD rec[32];
    DWORD n;
    bool more = true;
    while (more && WaitForMultipleObjects(2, wait, FALSE, INFINITE) == WAIT_OBJECT_0 + 1 &&
           ReadConsoleInputW(wait[1], rec, sizeof rec / sizeof rec[0], &n)) {
        for (DWORD i = 0; i < n && more; i++) {
            if (rec[i].EventType != KEY_EVENT)
                continue; /* focus, mouse, window size: the next draw fits */
            const KEY_EVENT_RECORD *k = &rec[i].Event.KeyEvent;
            struct sl_console_key key = {.down = k->bKeyDown != 0,
                                         .repeat = k->wRepeatCount,
                                         .vk = k->wVirtualKeyCode,
                                         .ch = k->uChar.UnicodeChar};
            char bytes[SL_CONSOLE_KEY_BYTES];
            size_t len = sl_console_key_bytes(&pending, &key, bytes);
            more = send_keys(t->sys.keys[1], bytes, len);
        }
    }
    shutdown((SOCKET)t->sys.keys[1], SD_SEND);
    return 0;
}

/* Raw mode: no line input, no echo, Ctrl-C a key (0x03) rather than a
 * signal, key events rather than VT input; output with ANSI sequences
 * (Windows 10 and Wine) as UTF-8. Without VT processing the editor's
 * sequences would show as text: then no editor (ENOTTY). */
static int console_raw(struct sl_term *t)
{
    HANDLE in = console_of(t->in_fd), out = console_of(t->out_fd);
    DWORD in_mode, out_mode;
    if (!GetConsoleMode(in, &in_mode) || !GetConsoleMode(out, &out_mode)) {
        errno = ENOTTY;
        return -1;
    }
    t->sys.in_mode = in_mode;
    t->sys.out_mode = out_mode;
    DWORD raw_in = in_mode & ~(DWORD)(ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT |
                                      ENABLE_PROCESSED_INPUT | ENABLE_VIRTUAL_TERMINAL_INPUT);
    DWORD vt_out = out_mode | ENABLE_PROCESSED_OUTPUT | ENABLE_VIRTUAL_TERMINAL_PROCESSING;
    if (!SetConsoleMode(out, vt_out) || !SetConsoleMode(in, raw_in)) {
        SetConsoleMode(out, out_mode);
        errno = ENOTTY;
        return -1;
    }
    SetConsoleOutputCP(CP_UTF8);
    return 0;
}

int sl_term_sys_start(struct sl_term *t)
{
    t->sys.thread = t->sys.quit = NULL;
    t->sys.keys[0] = t->sys.keys[1] = -1;
    return console_raw(t);
}

void sl_term_sys_stop(struct sl_term *t)
{
    if (t->sys.thread != NULL) {
        SetEvent(t->sys.quit);
        WaitForSingleObject(t->sys.thread, 2000);
        CloseHandle(t->sys.thread);
        CloseHandle(t->sys.quit);
        /* A reader still in recv() on KEYS[0] gets its error and goes. */
        sl_wakeup_close(t->sys.keys);
        t->sys.thread = NULL;
    }
    SetConsoleMode(console_of(t->in_fd), t->sys.in_mode);
    SetConsoleMode(console_of(t->out_fd), t->sys.out_mode);
}

size_t sl_term_sys_columns(const struct sl_term *t)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (!GetConsoleScreenBufferInfo(console_of(t->out_fd), &info))
        return 80;
    int cols = info.srWindow.Right - info.srWindow.Left + 1;
    return cols > 0 ? (size_t)cols : 80;
}

/* The key thread starts here, not with raw mode: a --step pause in
 * between reads the console itself (sl_step_pause_wait). */
int sl_term_keys_fd(struct sl_term *t)
{
    if (!t->raw) {
        errno = EBADF;
        return -1;
    }
    if (t->sys.thread != NULL)
        return t->sys.keys[0];
    if (sl_wakeup_open(t->sys.keys) < 0)
        return -1;
    (void)sl_socket_set_nonblocking(t->sys.keys[0], false); /* read as stdin is */
    t->sys.quit = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (t->sys.quit != NULL)
        t->sys.thread = CreateThread(NULL, 64 * 1024, copy_keys, t, 0, NULL);
    if (t->sys.thread != NULL)
        return t->sys.keys[0];
    if (t->sys.quit != NULL)
        CloseHandle(t->sys.quit);
    sl_wakeup_close(t->sys.keys);
    errno = ENOMEM;
    return -1;
}
