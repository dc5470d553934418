/* The probe's datagram calls where there is no sendmmsg/recvmmsg (Windows,
 * probe_io.h): one send() or recvfrom() per datagram, through the layer's
 * sl_udp_recvfrom (non-blocking, the real length). Nothing counts the
 * datagrams a full receive buffer dropped. */
#include "probe_io.h"

#include <errno.h>

#include "socklab/platform.h"
#include "socklab/udp.h"

const char probe_recv_call[] = "recvfrom() loop";

int probe_send_datagrams(int fd, unsigned char *bufs, size_t size, unsigned n)
{
    unsigned done = 0;
    for (; done < n; done++) {
        if (send(fd, (const char *)bufs + (size_t)done * size, (int)size, MSG_NOSIGNAL) < 0) {
            sl_socket_failed();
            /* Winsock names a port unreachable on a connected UDP socket
             * "connection reset": the same as Linux's ECONNREFUSED. */
            if (errno == ECONNRESET)
                errno = ECONNREFUSED;
            break;
        }
    }
    return done > 0 ? (int)done : -1;
}

int probe_recv_datagrams(int fd, unsigned char *bufs, size_t bufsize, struct probe_datagram *got,
                         unsigned n)
{
    unsigned done = 0;
    while (done < n) {
        struct probe_datagram *d = &got[done];
        ssize_t len =
            sl_udp_recvfrom(fd, bufs + (size_t)done * bufsize, bufsize, &d->from, &d->fromlen);
        if (len < 0 && sl_udp_is_icmp_error(errno))
            continue; /* an earlier REPORT's ICMP error: not a datagram */
        if (len < 0)
            return done > 0 || errno == EAGAIN || errno == EWOULDBLOCK ? (int)done : -1;
        d->truncated = (size_t)len > bufsize;
        d->len = d->truncated ? bufsize : (size_t)len;
        done++;
    }
    return (int)done;
}

bool probe_kernel_drops(int fd, uint32_t *drops)
{
    (void)fd;
    (void)drops;
    return false;
}
