/* The probe modes on Windows: not there yet. The Linux ones batch with
 * sendmmsg/recvmmsg, read the socket's drops from SO_MEMINFO and use
 * pipe2/accept4 for their TCP runs; Windows needs loops, a drop count of
 * its own and the layer's wake-up channels (issue 12). The messenger runs
 * on both. CMake builds this file instead of probe_{send,listen,tcp}.c. */
#include "probe.h"

#include "socklab/cli.h"

static int not_yet(const char *prog, const char *mode)
{
    return sl_cli_fail(prog, "%s: not available on Windows yet (the messenger is)", mode);
}

int probe_send_run(const char *prog, const struct udppeer_options *opt, int stop_fd,
                   const struct sl_trace *t)
{
    (void)opt;
    (void)stop_fd;
    (void)t;
    return not_yet(prog, "--probe");
}

int probe_listen_run(const char *prog, const struct udppeer_options *opt, int fd, int lfd,
                     int stop_fd, const struct sl_trace *t)
{
    (void)opt;
    (void)fd;
    (void)lfd;
    (void)stop_fd;
    (void)t;
    return not_yet(prog, "--probe-listen");
}
