/* UDP: the notes' UDP steps 2-4 (socket, address, bind), multicast and
 * broadcast for a classroom without a server, and the ICMP errors that
 * are UDP's only feedback. */
#ifndef SOCKLAB_UDP_H
#define SOCKLAB_UDP_H

#include <stdbool.h>
#include "socklab/platform.h"

#include "socklab/err.h"
#include "socklab/trace.h"

/* The largest UDP payload: 65535 minus the IP and UDP headers (IPv4: 20 + 8;
 * IPv6 has no header in the length field, so 65535 - 8). */
#define SL_UDP_MAX_PAYLOAD_V4 65507
#define SL_UDP_MAX_PAYLOAD_V6 65527

enum {
    SL_UDP_REUSE = 1 << 0,     /* SO_REUSEADDR: several peers share the port */
    SL_UDP_BROADCAST = 1 << 1, /* SO_BROADCAST: may send to broadcast addresses */
};

/* UDP server steps 2-4: socket, address, bind. HOST NULL or "" binds every
 * address: "::" with IPV6_V6ONLY off (IPv4 and IPv6 on one socket), falling
 * back to "0.0.0.0" without IPv6; FAMILY AF_INET/AF_INET6 restricts it.
 * FLAGS: SL_UDP_*. ICMP errors are switched on (sl_udp_enable_errors).
 * Returns the fd, or -1 with ERR filled. */
int sl_bind_udp(const char *host, const char *port, int family, unsigned flags,
                const struct sl_trace *t, char err[SL_ERRLEN]);

/* UDP client step 2: a socket of FAMILY; the kernel picks the local port
 * at the first send. ICMP errors are switched on. Returns fd or -1 + ERR. */
int sl_socket_udp(int family, const struct sl_trace *t, char err[SL_ERRLEN]);

/* Resolves HOST/PORT into an address that socket FD can send to: on a
 * dual-stack IPv6 socket an IPv4 address becomes ::ffff:a.b.c.d.
 * Returns 0, or -1 with ERR filled. */
int sl_udp_resolve_peer(int fd, const char *host, const char *port, struct sockaddr_storage *out,
                        socklen_t *outlen, char err[SL_ERRLEN]);

/* Joins multicast GROUP (IPv4, or IPv6 with its scope id as interface) on
 * FD, with loopback on so peers on one machine hear each other.
 * Returns 0, or -1 with ERR filled. */
int sl_udp_join_group(int fd, const struct sockaddr *group, socklen_t len, char err[SL_ERRLEN]);

/* The ICMP errors are the platform layer's (src/lib/platform): Linux
 * queues them with the address they concern (IP_RECVERR); Windows has no
 * such queue, and fails the next receive with WSAECONNRESET instead,
 * naming the offender as the datagram's sender. sl_udp_recvfrom hides
 * the difference: an ICMP error fails it with Linux's errno, and
 * sl_udp_take_error then gives the queued ones (Linux) while the failed
 * call itself names its offender (Windows). */

/* An unconnected UDP socket hears nothing of ICMP "port unreachable"
 * unless IP_RECVERR / IPV6_RECVERR is set: then the error is queued with
 * the address it concerns (on Windows nothing to do). Returns 0 or -1. */
int sl_udp_enable_errors(int fd);

/* Takes one queued ICMP error off FD (MSG_ERRQUEUE, non-blocking): fills
 * OFFENDER with the destination that failed and returns its errno value
 * (ECONNREFUSED for port unreachable), or 0 when none is queued (always
 * on Windows: see sl_udp_recvfrom). */
int sl_udp_take_error(int fd, struct sockaddr_storage *offender, socklen_t *len);

/* One datagram off FD without waiting, as Linux's recvfrom(MSG_DONTWAIT |
 * MSG_TRUNC): returns its real length (more than LEN when it was cut to
 * LEN), or -1 + errno (EAGAIN: none waiting). An ICMP error an earlier
 * datagram drew fails it with Linux's errno (ECONNREFUSED: port
 * unreachable, see sl_udp_is_icmp_error); *FROMLEN is then 0, or, where
 * the system names the offender here (Windows), FROM holds it. */
ssize_t sl_udp_recvfrom(int fd, void *buf, size_t len, struct sockaddr_storage *from,
                        socklen_t *fromlen);

/* True for the errno values with which a UDP send or receive reports an
 * earlier datagram's ICMP error rather than a failure of this call. */
bool sl_udp_is_icmp_error(int err);

/* The largest payload FD's family can carry in one datagram. */
int sl_udp_max_payload(int fd);

#endif
