/* The probe's datagram calls on Linux (probe_io.h): a batch of up to 64
 * datagrams per system call, and the socket's drop counter. */
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#include "probe_io.h"

#include <errno.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>

#define BATCH_MAX 64

const char probe_recv_call[] = "recvmmsg()";

int probe_send_datagrams(int fd, unsigned char *bufs, size_t size, unsigned n)
{
    struct mmsghdr msgs[BATCH_MAX];
    struct iovec iov[BATCH_MAX];
    if (n > BATCH_MAX)
        n = BATCH_MAX;
    for (unsigned i = 0; i < n; i++) {
        iov[i] = (struct iovec){.iov_base = bufs + (size_t)i * size, .iov_len = size};
        msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    return sendmmsg(fd, msgs, n, MSG_NOSIGNAL);
}

int probe_recv_datagrams(int fd, unsigned char *bufs, size_t bufsize, struct probe_datagram *got,
                         unsigned n)
{
    struct mmsghdr msgs[BATCH_MAX];
    struct iovec iov[BATCH_MAX];
    if (n > BATCH_MAX)
        n = BATCH_MAX;
    for (unsigned i = 0; i < n; i++) {
        iov[i] = (struct iovec){.iov_base = bufs + (size_t)i * bufsize, .iov_len = bufsize};
        msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &got[i].from,
                                               .msg_namelen = sizeof got[i].from,
                                               .msg_iov = &iov[i],
                                               .msg_iovlen = 1}};
    }
    int r = recvmmsg(fd, msgs, n, MSG_DONTWAIT, NULL);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    for (int i = 0; i < r; i++) {
        got[i].len = msgs[i].msg_len;
        got[i].truncated = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        got[i].fromlen = msgs[i].msg_hdr.msg_namelen;
    }
    return r;
}

bool probe_kernel_drops(int fd, uint32_t *drops)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof mem;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 || len <= SK_MEMINFO_DROPS * 4)
        return false;
    *drops = mem[SK_MEMINFO_DROPS];
    return true;
}
