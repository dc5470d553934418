/* The probe's datagram calls, the part that differs by system. Linux
 * batches with sendmmsg/recvmmsg and reads its drops from SO_MEMINFO
 * (probe_io_mmsg.c); elsewhere (Windows) one send/recvfrom per datagram
 * and no drop count (probe_io_loop.c). CMake picks the file. */
#ifndef UDPPEER_PROBE_IO_H
#define UDPPEER_PROBE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* What the receive batch call is, for --trace: "recvmmsg()". */
extern const char probe_recv_call[];

/* Sends the N datagrams in BUFS (SIZE bytes each, one after the other) on
 * connected UDP socket FD, from the first. Returns how many went out
 * (1..N), or -1 + errno when the first could not go. */
int probe_send_datagrams(int fd, unsigned char *bufs, size_t size, unsigned n);

struct probe_datagram {
    size_t len;     /* bytes in its buffer */
    bool truncated; /* it was bigger than the buffer */
    struct sockaddr_storage from;
    socklen_t fromlen;
};

/* Takes up to N datagrams waiting on FD without blocking, the i-th into
 * BUFS + i * BUFSIZE, described by GOT[i]. Returns how many (0 when none
 * waits), or -1 + errno. */
int probe_recv_datagrams(int fd, unsigned char *bufs, size_t bufsize, struct probe_datagram *got,
                         unsigned n);

/* What a full receive buffer made the kernel drop on FD so far, into
 * *DROPS. Returns false when the system does not say (Windows has no
 * SO_MEMINFO). */
bool probe_kernel_drops(int fd, uint32_t *drops);

#endif
