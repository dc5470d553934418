/* POSIX side of the platform layer: the system's socket headers as they
 * are. Include socklab/platform.h, not this. */
#ifndef SOCKLAB_PLATFORM_POSIX_H
#define SOCKLAB_PLATFORM_POSIX_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

typedef int sl_socket_t;
#define SL_INVALID_SOCKET (-1)
/* The option sl_socket_reuse_addr sets: restart despite TIME_WAIT. */
#define SL_SO_LISTEN_REUSE SO_REUSEADDR

/* The stop-request watcher: a thread in sigwait(). */
/* A terminal's own state while the line editor runs (socklab/term.h):
 * the settings raw mode replaced. */
struct sl_term_sys {
    struct termios saved;
};

struct sl_stop_watch {
    pthread_t waiter;
    sigset_t old_mask; /* the caller's mask before start (restored if it fails) */
    bool (*on_stop)(void *arg, int signo);
    void *arg;
};

#endif
