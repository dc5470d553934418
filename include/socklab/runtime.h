/* Process-level set-up: steps 1 and last of the notes, limits, threads. */
#ifndef SOCKLAB_RUNTIME_H
#define SOCKLAB_RUNTIME_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "socklab/err.h"
#include "socklab/trace.h"

/* Step 1, "protocol version". Windows needs WSAStartup here; POSIX needs
 * nothing but one fix: a write to a socket whose peer has gone raises
 * SIGPIPE, which kills the process by default. We ignore it, so such a
 * write fails with EPIPE and the program can carry on.
 * Returns 0, or -1 with ERR filled. */
int sl_startup(const struct sl_trace *t, char err[SL_ERRLEN]);

/* Last step, "clean up the protocol version" (WSACleanup on Windows). */
void sl_cleanup(const struct sl_trace *t);

/* Raises the soft RLIMIT_NOFILE to the hard limit, so a server can hold as
 * many clients as the system lets it. Stores the new limit in *NOW.
 * Returns 0 or -1. */
int sl_raise_nofile(long *now);

/* How many clients this host can carry for a server that spends
 * THREADS_PER_CLIENT threads, FDS_PER_CLIENT descriptors and about
 * BYTES_PER_CLIENT of memory on each: the smallest of what RLIMIT_NOFILE
 * (as it is now: raise it first; 80 descriptors are the server's own),
 * the system's thread and pid limits,
 * RLIMIT_NPROC and the available memory allow. Threads and memory are
 * shared with every other program: we count on half of them, so that a
 * flood of clients cannot leave the machine unable to fork. At least 1. */
unsigned long sl_host_client_limit(unsigned threads_per_client, unsigned fds_per_client,
                                   size_t bytes_per_client);

/* A thread stack big enough for our per-connection threads but small
 * enough that 10,000 of them fit (the default is 8 MiB of address space). */
#define SL_THREAD_STACK (128 * 1024)

/* Now on CLOCK_MONOTONIC (never jumps with the wall clock), in nanoseconds
 * and in milliseconds: for durations, rates and deadlines of our own. 64
 * bits, so nothing wraps or truncates. */
uint64_t sl_monotonic_ns(void);
int64_t sl_monotonic_ms(void);

/* *TS = now + MS milliseconds on CLOCK_REALTIME: the absolute deadline
 * that pthread_cond_timedwait() wants. */
void sl_deadline_after_ms(struct timespec *ts, int ms);

/* Starts FN(ARG) in a detached thread with a stack of STACK bytes
 * (0 means SL_THREAD_STACK). Returns 0 or an errno value, as pthreads do. */
int sl_thread_start_detached(void *(*fn)(void *), void *arg, size_t stack);

/* Same, joinable: the thread id goes to *TID. */
int sl_thread_start(pthread_t *tid, void *(*fn)(void *), void *arg, size_t stack);

#endif
