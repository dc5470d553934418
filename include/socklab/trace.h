/* --trace: the numbered steps of the classroom notes, printed live.
 *
 * The notes number the set-up of each kind of program:
 *   TCP server 1-9, TCP client 1-7, UDP server 1-7, UDP client 1-6.
 * The library and the tools name a step by what it is (SL_STEP_BIND) and
 * the trace turns it into the notes' number for the program's role, so
 * "[4/9] bind [::]:7007" comes out of the same call in every server.
 *
 * A trace is a plain value owned by the program: set up in main before any
 * thread starts (sl_trace_init, sl_trace_watch_stop), read-only after that
 * and shared by every thread. Each line goes out in one write(). */
#ifndef SOCKLAB_TRACE_H
#define SOCKLAB_TRACE_H

#include <stdbool.h>

enum sl_role {
    SL_ROLE_TCP_SERVER,
    SL_ROLE_TCP_CLIENT,
    SL_ROLE_UDP_SERVER,
    SL_ROLE_UDP_CLIENT,
};

enum sl_step {
    SL_STEP_STARTUP,     /* 1. protocol version (WSAStartup on Windows) */
    SL_STEP_SOCKET,      /* 2. create the socket */
    SL_STEP_ADDRESS,     /* 3. the server's protocol address */
    SL_STEP_BIND,        /* 4. bind (servers) */
    SL_STEP_LISTEN,      /* 5. listen (TCP server) */
    SL_STEP_ACCEPT,      /* 6. accept (TCP server) */
    SL_STEP_CONNECT,     /* 4. connect (TCP client) */
    SL_STEP_COMMUNICATE, /* exchange data */
    SL_STEP_CLOSE,       /* disconnect / close the socket */
    SL_STEP_CLEANUP,     /* last: clean up the protocol layer (WSACleanup) */
};

struct sl_shutdown;

struct sl_trace {
    enum sl_role role;
    bool enabled; /* --trace: print the steps */
    bool step;    /* --step: pause before each step (see sl_trace_before) */
    int out_fd;   /* where lines go, normally 2 (stderr) */
    /* Whose stop requests end a --step pause (sl_trace_watch_stop), or
     * NULL. Only read through shutdown.h's functions: the trace never
     * writes into it, and shutdown never writes into the trace. */
    const struct sl_shutdown *stop;
};

/* A trace for ROLE, printing to stderr when ENABLED (--trace). With STEP
 * (--step) sl_trace_before() pauses: SIGUSR1 is then blocked in the calling
 * thread, so call this from main before any thread is started (threads
 * inherit the mask). Returns 0, or -1 with errno. */
int sl_trace_init(struct sl_trace *t, enum sl_role role, bool enabled, bool step);

/* Lets a stop request of S (SIGINT/SIGTERM, see shutdown.h) end T's --step
 * pauses, and pauses after a stop skip. Set-up: call from main before any
 * thread. S must outlive every thread that uses T. */
void sl_trace_watch_stop(struct sl_trace *t, const struct sl_shutdown *s);

/* The notes' number of STEP for ROLE (1-based), or 0 if ROLE has no such
 * step; and the number of steps of ROLE (9, 7, 7, 6). */
int sl_step_number(enum sl_role role, enum sl_step step);
int sl_step_total(enum sl_role role);

/* Called just before STEP runs. With --step it prints
 *   "--step: next [5/9] listen: press Enter (or kill -USR1 PID)"
 * and waits for a line on the terminal (/dev/tty) or for SIGUSR1, which
 * lets a script drive the steps (one signal, one step; like any standard
 * signal, two sent before a pause takes the first count once). A stop
 * request (Ctrl-C) ends the pause, and once one came pauses are skipped.
 * Without --step it does nothing. */
void sl_trace_before(const struct sl_trace *t, enum sl_step step);

/* "listen", "accept", ... the step's name as the notes say it. */
const char *sl_step_name(enum sl_step step);

/* Prints "[n/N] <text>" for STEP. When FD is a TCP socket, its current
 * state (getsockopt TCP_INFO) is appended as "  state LISTEN". T may be
 * NULL or disabled: then nothing happens. */
void sl_trace_step(const struct sl_trace *t, enum sl_step step, int fd, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The close step: close(FD), traced as "[8/9] <text>  state FIN_WAIT1"
 * with the state the socket reached by sending its FIN (with --trace the
 * FIN goes out through shutdown(SHUT_WR) just before close, so its state
 * can still be read). Returns close()'s result. */
int sl_close_traced(const struct sl_trace *t, int fd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The TCP state of socket FD (Linux TCP_INFO tcpi_state), or -1. */
int sl_tcp_state(int fd);

/* "ESTABLISHED", "LISTEN", ... for a Linux TCP state number, or "?". */
const char *sl_tcp_state_name(int state);

#endif
