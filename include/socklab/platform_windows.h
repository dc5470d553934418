/* Windows side of the platform layer: Winsock 2.2 with the POSIX names the
 * rest of socklab uses. Include socklab/platform.h, not this. */
#ifndef SOCKLAB_PLATFORM_WINDOWS_H
#define SOCKLAB_PLATFORM_WINDOWS_H

#include <winsock2.h>
#include <ws2tcpip.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <unistd.h>

typedef SOCKET sl_socket_t;
#define SL_INVALID_SOCKET INVALID_SOCKET
/* The option sl_socket_reuse_addr sets (SO_REUSEADDR would let another
 * program take a port in use). */
#define SL_SO_LISTEN_REUSE SO_EXCLUSIVEADDRUSE

/* shutdown()'s POSIX names. */
#ifndef SHUT_RD
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#endif
/* Winsock raises no SIGPIPE, and a send after poll() said writable does not
 * block for long: both flags have nothing to do. */
#define MSG_NOSIGNAL 0
#define MSG_DONTWAIT 0
/* An errno name mingw-w64 lacks: Winsock's number (sl_strerror knows it). */
#define EHOSTDOWN WSAEHOSTDOWN
/* getaddrinfo never reports "see errno" on Windows. */
#define EAI_SYSTEM (-11)

typedef unsigned long nfds_t;
typedef ADDRESS_FAMILY sa_family_t;
typedef USHORT in_port_t;

/* A TCP table's MIB_TCP_STATE (1 CLOSED ... 12 DELETE_TCB) in Linux
 * numbering (1 ESTABLISHED ... 11 CLOSING), -1 for none. For tcpstate's
 * Windows back end. */
int sl_windows_tcp_state(unsigned long mib);

/* GetExtendedTcpTable's table of FAMILY (AF_INET, AF_INET6) in the layout
 * TABLE_CLASS (a TCP_TABLE_CLASS) in a malloc'd buffer, asked for again
 * while the table grows between the size query and the read (other
 * programs' connections come and go). NULL with *RC the system's last
 * answer (ERROR_INSUFFICIENT_BUFFER: it kept growing; ERROR_NOT_ENOUGH_MEMORY). */
void *sl_windows_tcp_table(int family, int table_class, unsigned long *rc);

/* A console's own state while the line editor runs (socklab/term.h): the
 * modes to give back, and the thread that turns key events into bytes on
 * a loopback socket pair (KEYS[0] is read). */
struct sl_term_sys {
    unsigned long in_mode, out_mode;
    void *thread, *quit; /* HANDLEs */
    int keys[2];
};

/* The stop-request watcher: a console control handler. */
struct sl_stop_watch {
    bool (*on_stop)(void *arg, int signo);
    void *arg;
};

#endif
