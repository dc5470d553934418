/* File content without a copy through our buffers (see zerocopy.h).
 * A read()+send() loop copies every byte twice on the way out (page cache
 * -> buffer -> socket) and a recv()+write() loop twice on the way in; the
 * checksum is then a third pass. Here the sender's pages go from the page
 * cache into the socket by reference (sendfile), the receiver's through a
 * pipe into its page cache (splice), and both checksum the page cache
 * itself through a small read-only mapping. */
#define _GNU_SOURCE /* splice(), loff_t */
#include "socklab/zerocopy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "socklab/crc32c.h"
#include "socklab/io.h"

#define SENDFILE_MAX 0x7ffff000u /* what one sendfile() moves at most */
#define COPY_BUF 16384           /* the stack buffer of the slow paths */

/* SIGBUS handler: a read past the end of a mapped file that shrank under
 * us gets a page of zeros mapped over the fault, and the read goes on. No
 * state: the caller finds out from the file's size afterwards. */
static void read_zeros(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    int saved = errno;
    long page = sysconf(_SC_PAGESIZE);
    if (si->si_code == BUS_ADRERR && page > 0) {
        void *at = (void *)((uintptr_t)si->si_addr & ~(uintptr_t)(page - 1));
        if (mmap(at, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
            MAP_FAILED) {
            errno = saved;
            return;
        }
    }
    signal(sig, SIG_DFL); /* not ours to hide: the fault repeats and ends us */
    errno = saved;
}

int sl_map_guard_install(char err[SL_ERRLEN])
{
    struct sigaction sa = {.sa_sigaction = read_zeros, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) < 0) {
        sl_errno(err, "sigaction SIGBUS");
        return -1;
    }
    return 0;
}

/* Whether FILE still holds at least END bytes; else errno = ENODATA. */
static int file_holds(int file, uint64_t end)
{
    struct stat st;
    if (fstat(file, &st) < 0)
        return -1;
    if ((uint64_t)st.st_size < end) {
        errno = ENODATA;
        return -1;
    }
    return 0;
}

int sl_crc32c_file(int file, uint64_t off, uint64_t len, uint32_t *crc)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), end = off + len;
    /* Never map past the end: without the guard that read is a SIGBUS. */
    if (file_holds(file, end) < 0)
        return -1;
    while (off < end) {
        uint64_t base = off & ~(page - 1); /* mappings start on a page */
        size_t span = end - base < SL_MAP_WINDOW ? (size_t)(end - base) : SL_MAP_WINDOW;
        size_t skip = (size_t)(off - base);
        /* MAP_POPULATE: one call fills the page tables, not a fault per page. */
        void *m = mmap(NULL, span, PROT_READ, MAP_SHARED | MAP_POPULATE, file, (off_t)base);
        if (m == MAP_FAILED)
            return sl_crc32c_read(file, off, end - off, crc);
        *crc = sl_crc32c(*crc, (const unsigned char *)m + skip, span - skip);
        munmap(m, span);
        off = base + span;
    }
    /* A file that shrank meanwhile was read as zeros: not its content. */
    return file_holds(file, end);
}

int64_t sl_sendfile_all(int sock, int file, uint64_t off, uint64_t len)
{
    uint64_t done = 0;
    while (done < len) {
        off_t at = (off_t)(off + done);
        size_t want = len - done < SENDFILE_MAX ? (size_t)(len - done) : SENDFILE_MAX;
        ssize_t n = sendfile(sock, file, &at, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && !sl_io_timed_out(sock) &&
                sl_io_wait_ready(sock, POLLOUT) == 0)
                continue;
            return -1;
        }
        if (n == 0)
            break; /* the file ended before LEN */
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

int sl_splice_pipe_open(struct sl_splice_pipe *p)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    /* Bigger than the default 64 KiB: fewer calls. Refused over the user's
     * pipe quota: then the size we have. */
    (void)fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    int size = fcntl(fds[1], F_GETPIPE_SZ);
    *p = (struct sl_splice_pipe){.rd = fds[0], .wr = fds[1], .cap = size > 0 ? (size_t)size : 4096};
    return 0;
}

void sl_splice_pipe_close(struct sl_splice_pipe *p)
{
    if (p->rd >= 0)
        close(p->rd);
    if (p->wr >= 0)
        close(p->wr);
    p->rd = p->wr = -1;
}

/* The pipe's bytes written with read() + pwrite(), for a file system that
 * cannot splice. Returns the bytes moved, or -1. */
static ssize_t copy_from_pipe(struct sl_splice_pipe *p, int file, uint64_t off, size_t n)
{
    unsigned char buf[COPY_BUF];
    ssize_t got = sl_read_some(p->rd, buf, n < sizeof buf ? n : sizeof buf);
    if (got <= 0) {
        if (got == 0)
            errno = EIO;
        return -1;
    }
    for (ssize_t put = 0; put < got;) {
        ssize_t w = pwrite(file, buf + put, (size_t)(got - put), (off_t)(off + (uint64_t)put));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        put += w;
    }
    return got;
}

/* Empties N bytes from the pipe into FILE at *OFF. Returns 0 or -1. */
static int drain_pipe(struct sl_splice_pipe *p, int file, uint64_t *off, size_t n)
{
    while (n > 0) {
        ssize_t m;
        if (p->copy_out) {
            m = copy_from_pipe(p, file, *off, n);
        } else {
            loff_t at = (loff_t)*off;
            m = splice(p->rd, NULL, file, &at, n, SPLICE_F_MOVE);
            if (m < 0 && errno == EINTR)
                continue;
            if (m < 0 && errno == EINVAL) { /* this file system cannot take a splice */
                p->copy_out = true;
                continue;
            }
        }
        if (m <= 0) {
            if (m == 0)
                errno = EIO;
            return -1;
        }
        *off += (uint64_t)m;
        n -= (size_t)m;
    }
    return 0;
}

ssize_t sl_splice_recv(struct sl_splice_pipe *p, int sock, int file, uint64_t *off, size_t len,
                       bool *file_failed)
{
    ssize_t in;
    *file_failed = false;
    if (len > p->cap)
        len = p->cap;
    do
        in = splice(sock, NULL, p->wr, NULL, len, SPLICE_F_MOVE);
    while (in < 0 && errno == EINTR);
    if (in < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        (void)sl_io_timed_out(sock);
    if (in <= 0)
        return in;
    if (drain_pipe(p, file, off, (size_t)in) < 0) {
        *file_failed = true;
        return -1;
    }
    return in;
}
