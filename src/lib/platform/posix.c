/* The platform layer on POSIX (Linux): the system calls as they are.
 * See socklab/platform.h for what each function promises. */
#include "socklab/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "../internal.h"
#include "socklab/shutdown.h"
#include "socklab/udp.h"

int sl_platform_startup(char *what, size_t whatlen, char err[SL_ERRLEN])
{
    /* POSIX sockets need no start-up; we only stop SIGPIPE from killing us
     * when we write to a peer that has gone. */
    struct sigaction sa = {.sa_handler = SIG_IGN};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) < 0) {
        sl_errno(err, "sigaction SIGPIPE");
        return -1;
    }
    snprintf(what, whatlen, "protocol version: POSIX sockets, nothing to start (SIGPIPE ignored)");
    return 0;
}

void sl_platform_cleanup(char *what, size_t whatlen)
{
    snprintf(what, whatlen, "cleanup: POSIX sockets, nothing to release");
}

int sl_socket_close(int fd)
{
    return close(fd);
}

int sl_socket_shutdown_wake(int fd, int how)
{
    return shutdown(fd, how);
}

int sl_stdin_pollable(void)
{
    return STDIN_FILENO;
}

int sl_poll(struct pollfd *p, unsigned long n, int timeout_ms)
{
    return poll(p, (nfds_t)n, timeout_ms);
}

int sl_socket_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    return connect(fd, sa, len);
}

int sl_socket_set_nonblocking(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    int want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    return want == fl ? 0 : fcntl(fd, F_SETFL, want);
}

ssize_t sl_socket_recv_nowait(int fd, void *buf, size_t len)
{
    return recv(fd, buf, len, MSG_DONTWAIT);
}

ssize_t sl_socket_send_nowait(int fd, const void *buf, size_t len)
{
    return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool sl_socket_is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || (fl & O_NONBLOCK);
}

int sl_socket_reuse_addr(int fd)
{
    int one = 1;
    return setsockopt(fd, SOL_SOCKET, SL_SO_LISTEN_REUSE, &one, sizeof one);
}

int sl_socket_set_recv_timeout(int fd, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

int sl_wakeup_open(int fds[2])
{
    if (pipe(fds) < 0)
        return -1;
    for (int i = 0; i < 2; i++)
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    return 0;
}

void sl_wakeup_signal(int wr)
{
    (void)!write(wr, "", 1);
}

void sl_wakeup_drain(int rd)
{
    char scratch[64];
    while (read(rd, scratch, sizeof scratch) > 0)
        ;
}

void sl_wakeup_close(int fds[2])
{
    close(fds[0]);
    close(fds[1]);
}

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

/* No signal handler runs, so nothing here must be async-signal-safe: the
 * waiter is an ordinary thread. */
static void *wait_for_signal(void *arg)
{
    struct sl_stop_watch *w = arg;
    sigset_t set;
    stop_signals(&set);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (w->on_stop(w->arg, sig))
            continue;
        /* Not taken (a second request): end the way the signal would have
         * without us. */
        signal(sig, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
    }
    return NULL;
}

int sl_stop_watch_start(struct sl_stop_watch *w, sl_stop_fn on_stop, void *arg)
{
    sigset_t set;
    w->on_stop = on_stop;
    w->arg = arg;
    stop_signals(&set);
    /* Blocked in the caller (main, before any thread) and so in every
     * thread it starts: the signals then wait for sigwait(). */
    int rc = pthread_sigmask(SIG_BLOCK, &set, &w->old_mask);
    if (rc == 0) {
        pthread_attr_t attr;
        rc = pthread_attr_init(&attr);
        if (rc == 0) {
            rc = pthread_attr_setstacksize(&attr, 64 * 1024);
            if (rc == 0)
                rc = pthread_create(&w->waiter, &attr, wait_for_signal, w);
            pthread_attr_destroy(&attr);
        }
    }
    if (rc != 0)
        pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
    return rc;
}

void sl_stop_watch_end(struct sl_stop_watch *w)
{
    /* sigwait() is a cancellation point. SIGINT/SIGTERM stay blocked to the
     * end: one that comes while the program is already finishing must not
     * turn its exit status into "killed by a signal". */
    pthread_cancel(w->waiter);
    pthread_join(w->waiter, NULL);
}

int sl_step_pause_init(void)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    /* Blocked here, in main before any thread, and so in every thread:
     * the signal then waits for sigtimedwait() instead of killing us. */
    return pthread_sigmask(SIG_BLOCK, &usr1, NULL);
}

void sl_step_pause_hint(char *buf, size_t len)
{
    snprintf(buf, len, " (or kill -USR1 %ld)", (long)getpid());
}

/* Waits for a line on the terminal (when there is one), for SIGUSR1, or
 * for a stop request (Ctrl-C while paused: the program goes on to stop).
 * Once the shutdown watcher is gone, SIGINT/SIGTERM stay blocked with
 * nobody waiting for them: then the pause takes them itself. */
void sl_step_pause_wait(const struct sl_shutdown *stop)
{
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGUSR1);
    int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
    const struct timespec tick = {0, 20 * 1000 * 1000};
    for (;;) {
        if (stop != NULL && !sl_shutdown_watching(stop)) {
            sigaddset(&wanted, SIGINT);
            sigaddset(&wanted, SIGTERM);
        }
        if (sigtimedwait(&wanted, NULL, &tick) > 0)
            break;
        if (stop != NULL && sl_shutdown_requested(stop) != 0)
            break;
        struct pollfd p = {.fd = tty, .events = POLLIN};
        if (poll(&p, 1, 0) > 0 && p.revents) {
            char c;
            /* The whole line, so one Enter is one step. */
            while (read(tty, &c, 1) == 1 && c != '\n')
                ;
            break;
        }
    }
    if (tty >= 0)
        close(tty);
}

uint64_t sl_platform_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The first number in FILE (e.g. /proc/sys/kernel/threads-max), or
 * FALLBACK. For memory: the "KEY: N kB" line of /proc/meminfo, in bytes. */
static uint64_t read_number(const char *file, const char *key, uint64_t fallback)
{
    FILE *f = fopen(file, "re");
    char line[256];
    unsigned long long v = fallback;
    if (f == NULL)
        return fallback;
    while (fgets(line, sizeof line, f)) {
        size_t klen = key ? strlen(key) : 0;
        if (key && strncmp(line, key, klen) != 0)
            continue;
        if (sscanf(line + klen, " %llu", &v) == 1 && key)
            v *= 1024; /* meminfo says kB */
        break;
    }
    fclose(f);
    return v;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t sl_platform_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    return rl.rlim_cur;
}

uint64_t sl_platform_task_limit(uint64_t fallback)
{
    struct rlimit rl;
    uint64_t tasks = min_u64(read_number("/proc/sys/kernel/threads-max", NULL, fallback),
                             read_number("/proc/sys/kernel/pid_max", NULL, fallback));
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        tasks = min_u64(tasks, rl.rlim_cur);
    return tasks;
}

uint64_t sl_platform_memory_available(void)
{
    return read_number("/proc/meminfo", "MemAvailable:", 0);
}

unsigned sl_platform_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

int sl_platform_raise_fd_limit(long *now)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            return -1;
    }
    if (now)
        *now = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
    return 0;
}

int sl_platform_tcp_state(int fd)
{
#ifdef TCP_INFO
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && len > 0)
        return info.tcpi_state;
#else
    (void)fd;
#endif
    return -1;
}

/* UDP's ICMP errors (socklab/udp.h): Linux queues them with the address
 * they concern once IP_RECVERR is on. */
int sl_udp_enable_errors(int fd)
{
    int one = 1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    /* A dual-stack IPv6 socket gets IPv4 errors through IP_RECVERR. */
    if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one) < 0 && ss.ss_family == AF_INET)
        return -1;
    if (ss.ss_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one) < 0)
        return -1;
    return 0;
}

ssize_t sl_udp_recvfrom(int fd, void *buf, size_t len, struct sockaddr_storage *from,
                        socklen_t *fromlen)
{
    *fromlen = sizeof *from;
    ssize_t n = recvfrom(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)from, fromlen);
    if (n < 0)
        *fromlen = 0; /* an ICMP error's offender is in the error queue */
    return n;
}

int sl_udp_take_error(int fd, struct sockaddr_storage *offender, socklen_t *len)
{
    char data[1];
    char control[512];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {
        .msg_name = offender,
        .msg_namelen = sizeof *offender,
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control,
        .msg_controllen = sizeof control,
    };
    ssize_t n;
    do
        n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return 0;
    *len = msg.msg_namelen;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof ee);
            return ee.ee_errno != 0 ? (int)ee.ee_errno : EIO;
        }
    }
    return EIO;
}
