/* The ceiling for bench/ft.sh: the least a file transfer over loopback can
 * do on this machine, with nothing verified. The sender hands the whole
 * file to sendfile(); the receiver splices socket -> pipe -> file and
 * fsyncs. No protocol, no checksum, no temp name: ftsend/ftrecv do all of
 * this and more, so their throughput cannot exceed this program's.
 * Each side prints the CPU time it used (user + system), so the bench can
 * show the CPU budget a transfer has on two cores.
 *
 *   ftceiling listen OUTFILE       prints "listening on 127.0.0.1:PORT", takes
 *                                  one connection, prints "rx_cpu SECONDS"
 *   ftceiling send PORT FILE       prints "tx_cpu SECONDS"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static double cpu_seconds(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static int fail(const char *what)
{
    fprintf(stderr, "ftceiling: %s: %s\n", what, strerror(errno));
    return 1;
}

static int receive(const char *out)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) < 0)
        return fail("listen");
    printf("listening on 127.0.0.1:%u\n", ntohs(a.sin_port));
    fflush(stdout);
    int s = accept(l, NULL, NULL), f = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), p[2];
    if (s < 0 || f < 0 || pipe(p) < 0)
        return fail("accept/open/pipe");
    (void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* as ftrecv's pipe */
    double t0 = cpu_seconds();
    for (loff_t at = 0;;) {
        ssize_t n = splice(s, NULL, p[1], NULL, 1 << 20, SPLICE_F_MOVE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail("splice from the socket");
        if (n == 0)
            break;
        while (n > 0) {
            ssize_t m = splice(p[0], NULL, f, &at, (size_t)n, SPLICE_F_MOVE);
            if (m <= 0 && errno != EINTR)
                return fail("splice into the file");
            if (m > 0)
                n -= m;
        }
    }
    if (fsync(f) < 0 || close(f) < 0)
        return fail("fsync");
    if (send(s, "k", 1, MSG_NOSIGNAL) != 1)
        return fail("send");
    printf("rx_cpu %.3f\n", cpu_seconds() - t0);
    return 0;
}

static int transmit(const char *port, const char *in)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)atoi(port)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM, 0), f = open(in, O_RDONLY);
    struct stat st;
    if (s < 0 || f < 0 || fstat(f, &st) < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0)
        return fail("connect/open");
    for (off_t off = 0; off < st.st_size;) {
        ssize_t n = sendfile(s, f, &off, (size_t)(st.st_size - off));
        if (n <= 0 && errno != EINTR)
            return fail("sendfile");
    }
    char ack;
    if (shutdown(s, SHUT_WR) < 0 || recv(s, &ack, 1, 0) != 1)
        return fail("waiting for the receiver");
    printf("tx_cpu %.3f\n", cpu_seconds());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "listen") == 0)
        return receive(argv[2]);
    if (argc == 4 && strcmp(argv[1], "send") == 0)
        return transmit(argv[2], argv[3]);
    fprintf(stderr, "usage: ftceiling listen OUTFILE | ftceiling send PORT FILE\n");
    return 2;
}
