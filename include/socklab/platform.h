/* The platform layer: the one place that knows Windows (Winsock 2.2) from
 * POSIX. Everything else in socklab includes this header for the socket
 * API and calls the functions below where the two systems differ; CMake
 * compiles src/lib/platform/posix.c or src/lib/platform/windows.c.
 *
 * Sockets stay `int` in the library's interfaces. On Windows a SOCKET is a
 * kernel handle, and 64-bit Windows keeps handles within 32 significant
 * bits (so that 32- and 64-bit processes can share them): the value fits
 * an int, and INVALID_SOCKET becomes -1. sl_socket_t names the system's
 * own type where a call needs it. */
#ifndef SOCKLAB_PLATFORM_H
#define SOCKLAB_PLATFORM_H

#ifdef _WIN32
#include "socklab/platform_windows.h"
#else
#include "socklab/platform_posix.h"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socklab/err.h"

/* Step 1 of the notes, "protocol version": WSAStartup(MAKEWORD(2,2)) on
 * Windows; on POSIX only SIGPIPE is ignored (a write to a vanished peer
 * then fails with EPIPE instead of killing us). WHAT gets the trace text,
 * e.g. `WSAStartup(2.2) = 0: Winsock version 2.2, "WinSock 2.0"`.
 * Returns 0, or -1 with ERR filled. */
int sl_platform_startup(char *what, size_t whatlen, char err[SL_ERRLEN]);

/* The last step, "clean up": WSACleanup() on Windows. WHAT as above. */
void sl_platform_cleanup(char *what, size_t whatlen);

/* close() for a socket (closesocket on Windows). */
int sl_socket_close(int fd);

/* shutdown() that also wakes a thread blocked in recv() or send() on FD,
 * as Linux's does (the call then returns 0 or fails). Windows' shutdown()
 * wakes no one: there the socket's pending I/O is cancelled as well.
 * 0 or -1 + errno. */
int sl_socket_shutdown_wake(int fd, int how);

/* A socket call has just failed: copies its error into errno (on Windows
 * from WSAGetLastError, mapped to the errno names the library tests; on
 * POSIX errno holds it already). Returns -1, for `return sl_socket_failed();`. */
int sl_socket_failed(void);

/* SO_ERROR's value as an errno value. */
int sl_socket_error_errno(int soerr);

/* strerror() that also knows the system's socket errors (on Windows from
 * FormatMessageW, as UTF-8). Returns BUF or a static text. */
const char *sl_strerror(int errnum, char *buf, size_t len);
/* sl_strerror into a buffer of its own that lasts to the end of the
 * enclosing block: for a message formatted in the same statement. Unlike
 * strerror() it is safe in threads and knows Windows' errno values. */
#define SL_STRERROR(errnum) sl_strerror((errnum), (char[SL_ERRLEN]){0}, SL_ERRLEN)

/* read() for any descriptor the library reads: a socket, stdin, a pipe
 * (on Windows a socket is tried first, then the C runtime's fd). */
ssize_t sl_fd_read(int fd, void *buf, size_t len);

/* Standard input as a descriptor sl_poll can wait on and sl_fd_read can
 * read: STDIN_FILENO on POSIX; on Windows, where WSAPoll takes sockets
 * only, a loopback socket a thread copies stdin into (closed at its end).
 * Returns the fd or -1 + errno. */
int sl_stdin_pollable(void);

/* NAME is the program's name for the messages the system's getopt prints:
 * on Windows mingw-w64's getopt names the C runtime's __argv[0], not
 * main's argv[0]. Nothing to do on POSIX. */
void sl_platform_program_name(char *name);

/* The last component of PATH ('/' separates; on Windows '\\' too). */
const char *sl_path_last(const char *path);

/* poll(): WSAPoll on Windows (sockets only there). errno on failure. */
int sl_poll(struct pollfd *p, unsigned long n, int timeout_ms);

/* connect(): a non-blocking connect that has started says EINPROGRESS on
 * both systems (Windows says WSAEWOULDBLOCK). errno on failure. */
int sl_socket_connect(int fd, const struct sockaddr *sa, socklen_t len);

/* O_NONBLOCK on or off (FIONBIO on Windows). 0 or -1 + errno. */
int sl_socket_set_nonblocking(int fd, bool on);

/* recv() and send() that never wait, on a blocking socket: Linux's
 * MSG_DONTWAIT (with MSG_NOSIGNAL for the send). Winsock has no such flag:
 * the receive first polls FD with a 0 timeout, the send switches FD to
 * non-blocking for the call (FIONBIO) and back. Bytes moved, 0 at the end
 * of the stream (receive), or -1 + errno (EAGAIN: nothing now). */
ssize_t sl_socket_recv_nowait(int fd, void *buf, size_t len);
ssize_t sl_socket_send_nowait(int fd, const void *buf, size_t len);

/* True unless FD is known to be blocking. Windows cannot tell, and there
 * EWOULDBLOCK only ever comes from non-blocking sockets (a receive timeout
 * is WSAETIMEDOUT), so it says true. */
bool sl_socket_is_nonblocking(int fd);

/* SO_REUSEADDR where it means "restart despite TIME_WAIT" (POSIX). On
 * Windows SO_REUSEADDR would let a second program steal a port in use;
 * there SO_EXCLUSIVEADDRUSE is set instead. 0 or -1 + errno. */
int sl_socket_reuse_addr(int fd);

/* Makes every blocking receive on FD give up after MS milliseconds of
 * silence (SO_RCVTIMEO: a timeval on POSIX, a DWORD of milliseconds on
 * Windows; 0: wait for ever). The io.h loops then fail with ETIMEDOUT, so
 * a peer that stops talking cannot hold us for ever. 0 or -1 + errno. */
int sl_socket_set_recv_timeout(int fd, int ms);

/* A wake-up channel for poll(): FDS[0] becomes readable once something is
 * written to FDS[1]. A pipe on POSIX; a loopback TCP pair on Windows,
 * where only sockets can be polled. The read end is non-blocking.
 * 0 or -1 + errno. */
int sl_wakeup_open(int fds[2]);
void sl_wakeup_signal(int wr);
void sl_wakeup_drain(int rd);
void sl_wakeup_close(int fds[2]);

/* Stop requests: SIGINT/SIGTERM on POSIX (a thread in sigwait), Ctrl-C,
 * Ctrl-Break and closing the console on Windows (SetConsoleCtrlHandler).
 * ON_STOP(ARG, SIGNO) runs in a thread of the platform's, SIGNO SIGINT or
 * SIGTERM; when it returns false the request ends the process the
 * system's default way (a second Ctrl-C for a stuck program).
 * start: 0 or an errno value. W is the platform's own state. */
typedef bool (*sl_stop_fn)(void *arg, int signo);
int sl_stop_watch_start(struct sl_stop_watch *w, sl_stop_fn on_stop, void *arg);
void sl_stop_watch_end(struct sl_stop_watch *w);

/* --step: prepares the pause (POSIX: blocks SIGUSR1, to be waited for).
 * 0 or an errno value. */
int sl_step_pause_init(void);
/* How else a pause can be ended than with Enter, e.g. " (or kill -USR1 42)". */
void sl_step_pause_hint(char *buf, size_t len);
struct sl_shutdown;
/* Waits for Enter on the console, for the POSIX SIGUSR1, or for a stop
 * request of STOP (may be NULL). */
void sl_step_pause_wait(const struct sl_shutdown *stop);

/* Now on a clock that never jumps, in nanoseconds. */
uint64_t sl_platform_clock_ns(void);

/* Process limits for sl_host_client_limit: descriptors (soft limit;
 * UINT64_MAX: none), tasks (threads and pids; FALLBACK when unknown) and
 * the available memory in bytes (0: unknown). */
uint64_t sl_platform_fd_limit(void);
uint64_t sl_platform_task_limit(uint64_t fallback);
uint64_t sl_platform_memory_available(void);
/* The processors online now, at least 1: how many threads can run at once. */
unsigned sl_platform_online_cores(void);
/* Raises the descriptor limit to its maximum; *NOW: the new one, -1 if
 * none. 0 or -1 + errno. */
int sl_platform_raise_fd_limit(long *now);

/* The TCP state of FD in Linux numbering (1 ESTABLISHED ... 11 CLOSING,
 * as sl_tcp_state_name), or -1 when it has none (not TCP, not connected).
 * Linux: TCP_INFO. Windows: the TCP table row of FD's four-tuple
 * (GetExtendedTcpTable; Wine has no SIO_TCP_INFO). */
int sl_platform_tcp_state(int fd);

/* Files, by UTF-8 name (on Windows UTF-16 on disk): what ftsend needs.
 * POSIX: src/lib/platform/posix_files.c; Windows: windows_files.c. */

/* The command line as UTF-8: Windows hands main() its arguments in the
 * ANSI code page, where Chinese names are lost; this replaces *ARGV with
 * the UTF-8 form of the wide command line (kept for the process's life).
 * Nothing to do on POSIX. 0 or -1 + errno. */
int sl_platform_utf8_args(int *argc, char ***argv);

/* open(PATH, O_RDONLY | O_CLOEXEC), bytes as they are. fd or -1 + errno. */
int sl_file_open_read(const char *path);

/* pread(): up to LEN bytes of FD at OFF; 0 at the end. -1 + errno. */
ssize_t sl_file_pread(int fd, void *buf, size_t len, uint64_t off);

enum sl_path_kind { SL_PATH_OTHER, SL_PATH_FILE, SL_PATH_DIR };
/* What PATH is: stat() when FOLLOW, else lstat() (a symlink, and on
 * Windows any reparse point, is OTHER). 0 or -1 + errno. */
int sl_path_kind(const char *path, bool follow, enum sl_path_kind *kind);

/* realpath(PATH, NULL): the absolute path, malloc'd; NULL + errno. */
char *sl_path_real(const char *path);

/* The names in directory PATH but "." and "..", in no order: *NAMES and
 * each name malloc'd, *N of them. 0 or -1 + errno. */
int sl_dir_names(const char *path, char ***names, size_t *n);

/* ftrecv's files: everything relative to a directory handle (an fd on
 * both systems; on Windows a C runtime fd over a handle), by one UTF-8
 * component (no '/' or '\\', not "." or ".."), and never through a
 * symbolic link: POSIX O_NOFOLLOW and the *at calls; Windows opens with
 * FILE_FLAG_OPEN_REPARSE_POINT and refuses a reparse point, and a name
 * whose handle's final path is not the directory's plus the name (Wine
 * follows a Linux symlink even so). A link is ELOOP. 0 or -1 + errno
 * unless said otherwise. */

/* mkdir(PATH, 0755) / open(PATH, O_DIRECTORY): the user's own directory
 * (followed if a link, as typed). The open one's fd, or -1. */
int sl_dir_make(const char *path);
int sl_dir_open(const char *path);
/* mkdirat(DIR, NAME, 0755), unlinkat(DIR, NAME, AT_REMOVEDIR). */
int sl_dir_make_at(int dir, const char *name);
int sl_dir_remove_at(int dir, const char *name);
/* openat(DIR, NAME, O_DIRECTORY | O_NOFOLLOW): the fd, or -1. */
int sl_dir_open_at(int dir, const char *name);
/* fsync(DIR): its new names survive a crash (Windows: nothing to do, the
 * file system journals its names). */
int sl_dir_sync(int dir);
/* sl_dir_names for the directory DIR. */
int sl_dir_names_at(int dir, char ***names, size_t *n);

enum sl_open_how {
    SL_OPEN_NEW,      /* read-write, created; EEXIST if the name exists (0600) */
    SL_OPEN_EXISTING, /* read-write, must exist */
    SL_OPEN_READ,     /* read-only, must exist; never waits (a FIFO) */
    SL_OPEN_APPEND,   /* every write at the end, created if missing (0644) */
};
/* The file NAME in DIR opened HOW: its fd, or -1. */
int sl_file_open_at(int dir, const char *name, enum sl_open_how how);
/* unlinkat(DIR, NAME, 0): the name, never what a link leads to. */
int sl_file_remove_at(int dir, const char *name);

struct sl_file_stat {
    enum sl_path_kind kind;
    bool link;      /* a symbolic link or reparse point (kind OTHER) */
    bool ours;      /* POSIX: owned by our effective uid; Windows: true (ACLs decide) */
    uint32_t nlink; /* names it has */
    uint64_t dev;   /* dev and ino: the same file (Windows: volume, file index) */
    uint64_t ino;
    uint64_t size;
    uint32_t mode; /* permission bits (0777) */
    int64_t mtime; /* seconds since 1970 */
};
/* fstat(FD) / fstatat(DIR, NAME, AT_SYMLINK_NOFOLLOW). */
int sl_file_stat(int fd, struct sl_file_stat *st);
int sl_file_stat_at(int dir, const char *name, struct sl_file_stat *st);

/* Whether NAME in DIR is FD's file itself (the same dev and inode; a link
 * never is): the check that a name still leads to the file written. */
bool sl_file_is_named(int fd, int dir, const char *name);

/* renameat(DIR, FROM, DIR, TO): TO replaced at once if it exists. */
int sl_file_rename_at(int dir, const char *from, const char *to);
/* Gives FD's file, named FROM in DIR, the name TO as well, if TO is free
 * (EEXIST if not). POSIX: a hard link to the open file itself
 * (/proc/self/fd; else FROM); FROM stays. Windows: CreateHardLinkW, or
 * where the file system has none, MoveFileExW without replacing (FROM
 * goes). The caller checks that TO leads to FD's file. */
int sl_file_link_new(int fd, int dir, const char *from, const char *to);

/* flock(FD, LOCK_EX | LOCK_NB) / LockFileEx: EWOULDBLOCK when held. */
int sl_file_lock(int fd);
/* fsync / FlushFileBuffers. */
int sl_file_sync(int fd);
/* ftruncate(FD, LEN) (SetFileInformationByHandle on Windows). */
int sl_file_truncate(int fd, uint64_t len);
/* lseek(FD, OFF, SEEK_SET). */
int sl_file_seek(int fd, uint64_t off);
/* fchmod(FD, MODE & 0777) (Windows: nothing, its ACLs decide). */
int sl_file_set_mode(int fd, uint32_t mode);
/* The modification time (futimens / SetFileTime), seconds since 1970. */
int sl_file_set_mtime(int fd, int64_t mtime);
/* The bytes an unprivileged writer may still use on FD's file system. */
int sl_fs_free_bytes(int fd, uint64_t *bytes);

/* Whether this system can hold NAME (a '/'-separated path) as a file:
 * always on POSIX; on Windows not the names it refuses or treats as
 * devices (sl_ft_check_name_windows). 0, or -1 with ERR. */
int sl_platform_check_name(const char *name, size_t len, char err[SL_ERRLEN]);

#endif
