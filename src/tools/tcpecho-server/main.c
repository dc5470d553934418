/* tcpecho-server: RFC 862 echo over TCP, one thread per client.
 * main() follows the notes' TCP server steps 1-9. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "echo_server.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7007"
#define BACKLOG 1024

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS]\n"
           "Echo server (RFC 862) over TCP: sends back every byte it receives,\n"
           "one thread per client.\n\n",
           prog);
    sl_cli_print_server_options(DEFAULT_PORT);
    printf(
        "\nOnce ready it prints \"listening on ADDR:PORT\" on stderr. SIGINT/SIGTERM stop it.\n");
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    /* Static: a client thread still running when main returns (after the
     * stop deadline) must not find its server gone from under it. */
    static struct echo_server srv;
    struct sl_cli_common opt;
    char err[SL_ERRLEN];

    const struct sl_cli_server_spec spec = {.default_port = DEFAULT_PORT, .usage = usage};
    int rc = sl_cli_parse_server(argc, argv, prog, &spec, &opt);
    if (rc != SL_CLI_NEXT)
        return rc;
    srv.prog = prog;
    srv.verbose = opt.verbose;
    const struct sl_server_config cfg = {
        .trace = &srv.trace,
        .serve = echo_serve,
        .log = echo_log,
        .ctx = &srv,
        .max_clients = opt.max_clients,
        .bytes_per_client = 64 * 1024, /* its stack, partly touched */
    };
    if (sl_trace_init(&srv.trace, SL_ROLE_TCP_SERVER, opt.trace, opt.step) < 0 ||
        sl_server_init(&srv.server, &cfg, err) < 0)
        return sl_cli_fail(prog, "set-up: %s", sl_strerror(errno, err, SL_ERRLEN));
    if (opt.verbose)
        sl_cli_log(prog, "at most %lu clients at once", srv.server.cfg.max_clients);

    /* 1. protocol version */
    if (sl_startup(&srv.trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    /* 2. socket  3. address  4. bind  5. listen */
    int lfd = sl_server_listen(&srv.server, opt.bind, opt.port, opt.family, BACKLOG, err);
    if (lfd < 0)
        return sl_cli_fail(prog, "%s", err);
    sl_cli_print_listening(lfd);
    /* 6. accept, one thread per client: 7. communicate (echo_serve)  8. close */
    sl_server_run(&srv.server);
    if (opt.verbose)
        sl_cli_log(prog, "shutting down");
    sl_server_stop(&srv.server, 2000); /* 8. for the clients still there */
    /* 9. cleanup */
    sl_cleanup(&srv.trace);
    return SL_EXIT_OK;
}
