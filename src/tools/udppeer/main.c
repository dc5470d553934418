/* udppeer: the notes' UDP peer ("去中心化, 点对点"): every side binds and
 * talks, no server in the middle; and a probe that measures what UDP does
 * not promise. main() follows the notes' UDP steps:
 *   server (binds and waits) 1-7, client (--probe sender) 1-6. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "messenger.h"
#include "options.h"
#include "probe.h"
#include "socklab/socklab.h"

/* Steps 2-4 on local PORT: socket, address, bind; plus the receive
 * buffer. Returns the fd, or -1 with ERR filled. */
static int bind_socket(const struct udppeer_options *opt, const char *port,
                       const struct sl_trace *t, char err[SL_ERRLEN])
{
    unsigned flags = 0;
    if (opt->broadcast)
        flags |= SL_UDP_BROADCAST | SL_UDP_REUSE;
    if (opt->group != NULL)
        flags |= SL_UDP_REUSE; /* the whole class binds the group's port */
    int family = opt->cli.family;
    if (opt->group != NULL && family == AF_UNSPEC && opt->cli.bind == NULL) {
        /* A group's family decides the socket's: IPv4 groups need an IPv4
         * socket for IP_ADD_MEMBERSHIP. */
        struct addrinfo *res;
        if (sl_resolve(opt->group, port, AF_UNSPEC, SOCK_DGRAM, 0, &res, err) < 0)
            return -1;
        family = res->ai_family;
        freeaddrinfo(res);
    }
    int fd = sl_bind_udp(opt->cli.bind, port, family, flags, t, err);
    if (fd >= 0 && opt->rcvbuf > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, (const void *)&opt->rcvbuf, sizeof opt->rcvbuf) < 0) {
        char why[SL_ERRLEN];
        sl_socket_failed();
        snprintf(err, SL_ERRLEN, "setsockopt SO_RCVBUF: %s", sl_strerror(errno, why, sizeof why));
        sl_socket_close(fd);
        return -1;
    }
    return fd;
}

/* The probe receiver takes TCP runs on its UDP port number too. With
 * -p 0 the number must be free for both: take a TCP port from the kernel
 * and try UDP on it, a few times. Returns the UDP fd (TCP in *LFD, or -1
 * when only UDP could be had), or -1 with ERR filled. */
static int bind_probe_listener(const char *prog, const struct udppeer_options *opt,
                               const struct sl_trace *t, int *lfd, char err[SL_ERRLEN])
{
    char port[16];
    bool any = strcmp(opt->cli.port, "0") == 0;
    for (int attempt = 0; any && attempt < 20; attempt++) {
        *lfd = sl_listen_tcp(opt->cli.bind, "0", opt->cli.family, 16, NULL, err);
        if (*lfd < 0)
            break;
        snprintf(port, sizeof port, "%d", sl_local_port(*lfd));
        int fd = bind_socket(opt, port, t, err);
        if (fd >= 0)
            return fd;
        sl_socket_close(*lfd);
        *lfd = -1;
        if (errno != EADDRINUSE)
            return -1;
    }
    int fd = bind_socket(opt, opt->cli.port, t, err);
    if (fd < 0)
        return -1;
    if (!any) {
        snprintf(port, sizeof port, "%d", sl_local_port(fd));
        char tcp_err[SL_ERRLEN];
        *lfd = sl_listen_tcp(opt->cli.bind, port, opt->cli.family, 16, NULL, tcp_err);
        if (*lfd < 0)
            sl_cli_log(prog, "no TCP on port %s (--probe --tcp runs): %s", port, tcp_err);
    }
    return fd;
}

/* UDP server steps 2-6, for the messenger and the probe receiver. */
static int run_server(const char *prog, const struct udppeer_options *opt, int stop_fd,
                      const struct sl_trace *t)
{
    char err[SL_ERRLEN];
    int lfd = -1, rc;
    /* 2. socket  3. address  4. bind */
    int fd = opt->mode == MODE_PROBE_LISTEN ? bind_probe_listener(prog, opt, t, &lfd, err)
                                            : bind_socket(opt, opt->cli.port, t, err);
    if (fd < 0)
        return sl_cli_fail(prog, "%s", err);
    sl_cli_print_listening(fd);
    /* 5. communicate */
    if (opt->mode == MODE_MESSENGER)
        rc = messenger_run(prog, opt, fd, stop_fd, t);
    else
        rc = probe_listen_run(prog, opt, fd, lfd, stop_fd, t);
    /* 6. close the socket */
    sl_trace_before(t, SL_STEP_CLOSE);
    sl_trace_step(t, SL_STEP_CLOSE, -1, "close");
    sl_socket_close(fd);
    if (lfd >= 0)
        sl_socket_close(lfd);
    return rc;
}

/* The notes' steps for the role OPT gives: UDP server 1-7 (messenger,
 * --probe-listen), UDP client 1-6 (--probe), TCP client (--probe --tcp). */
static int run(const char *prog, const struct udppeer_options *opt)
{
    struct sl_trace trace;
    struct sl_shutdown stop;
    char err[SL_ERRLEN];
    int rc;
    enum sl_role role = opt->mode != MODE_PROBE_SEND ? SL_ROLE_UDP_SERVER
                        : opt->tcp                   ? SL_ROLE_TCP_CLIENT
                                                     : SL_ROLE_UDP_CLIENT;
    if (sl_trace_init(&trace, role, opt->cli.trace, opt->cli.step) < 0)
        return sl_cli_fail(prog, "--step: %s", SL_STRERROR(errno));

    /* 1. protocol version */
    if (sl_startup(&trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    if (sl_shutdown_init(&stop, &trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);

    if (opt->mode == MODE_PROBE_SEND)
        /* client: 2. socket  3. address  4. communicate  5. close */
        rc = probe_send_run(prog, opt, sl_shutdown_fd(&stop), &trace);
    else
        /* server: 2. socket  3. address  4. bind  5. communicate  6. close */
        rc = run_server(prog, opt, sl_shutdown_fd(&stop), &trace);
    sl_shutdown_free(&stop);
    /* last (server 7, client 6): clean up */
    sl_cleanup(&trace);
    return rc;
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    argv[0] = (char *)prog;
    struct udppeer_options opt;
    int rc = udppeer_parse_options(argc, argv, prog, &opt);
    if (rc == SL_CLI_NEXT)
        rc = run(prog, &opt);
    udppeer_free_options(&opt);
    return rc;
}
