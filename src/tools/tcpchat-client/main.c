/* tcpchat-client: talk in a tcpchat-server room. main() follows the notes'
 * TCP client steps 1-7; step 5 is the notes' two threads: the main thread
 * receives and prints, a second thread reads the keyboard and sends. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "socklab/socklab.h"

#define DEFAULT_PORT "7070"

struct options {
    struct sl_cli_common cli; /* -p -b -4 -6 --trace --step */
    const char *host;
    const char *nick;
    int timeout_ms;
};

static void usage(const char *prog)
{
    printf("Usage: %s [OPTIONS] [HOST [PORT]]\n"
           "Chat client for tcpchat-server on HOST (default localhost) and PORT\n"
           "(default " DEFAULT_PORT ", or -p), as nc takes them. Lines you type\n"
           "go to everyone in the room; what others say appears above your typing.\n"
           "With piped input it sends every line, then prints what still arrives\n"
           "until the server closes.\n\n"
           "  -p, --port PORT       server port (default " DEFAULT_PORT "; or PORT after HOST)\n"
           "  -n, --nick NICK       choose a nick at once (same as typing /nick NICK)\n"
           "  -w, --wait SECONDS    connect timeout per address (default: none)\n"
           "  -4, --ipv4            IPv4 only\n"
           "  -6, --ipv6            IPv6 only\n"
           "      --trace           print each numbered step of the notes (TCP client 1-7)\n"
           "      --step            pause before each step until Enter (or SIGUSR1)\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n\n"
           "Keys on a terminal: Enter sends, Left/Right, Home/End (Ctrl-A/Ctrl-E) move,\n"
           "Backspace/Delete delete a character, Up/Down recall earlier lines, Ctrl-U\n"
           "clears the line, Ctrl-D (on an empty line) or Ctrl-C leaves. A line over\n"
           "4096 bytes is refused whole, with a notice: never cut.\n"
           "Colours are off when NO_COLOR is set or output is not a terminal.\n",
           prog);
}

static int parse_options(int argc, char **argv, const char *prog, struct options *opt)
{
    static const struct option longopts[] = {
        {"nick", required_argument, NULL, 'n'},
        {"wait", required_argument, NULL, 'w'},
        SL_CLI_OPTS_NET,
        SL_CLI_OPTS_BASE,
        {NULL, 0, NULL, 0},
    };
    int c, rc;

    *opt =
        (struct options){.cli = {.port = DEFAULT_PORT, .family = AF_UNSPEC}, .host = "localhost"};
    while ((c = getopt_long(argc, argv, "p:n:w:46h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (*optarg == '\0' || strchr(optarg, '\n') || strlen(optarg) > 128)
                return sl_cli_usage_error(prog, "-n: not a nick: %s", optarg);
            opt->nick = optarg;
            break;
        case 'w':
            if (sl_parse_seconds_ms(optarg, &opt->timeout_ms) < 0 || opt->timeout_ms == 0)
                return sl_cli_usage_error(prog, "-w: not a positive number of seconds: %s", optarg);
            break;
        default:
            /* -p -b -4 -6 --trace --step -h --version, and getopt's complaints */
            if ((rc = sl_cli_common_option(c, optarg, prog, usage, &opt->cli)) != SL_CLI_NEXT)
                return rc;
        }
    }
    return sl_cli_client_operands(argc, argv, prog, DEFAULT_PORT, &opt->host, &opt->cli);
}

struct leave_on_signal {
    struct chat_ui *ui;
    int stop_fd;
};

/* SIGINT/SIGTERM (from outside: on a terminal Ctrl-C is a key) leave as
 * Ctrl-D does: half-close, let the server say goodbye, exit 0. */
static void *leave_on_signal(void *arg)
{
    const struct leave_on_signal *l = arg;
    struct pollfd p = {.fd = l->stop_fd, .events = POLLIN};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
    finish_input(l->ui);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *prog = sl_cli_basename(argv[0]);
    struct options opt;
    struct sl_trace trace;
    /* Static: the input thread may still be reading the keyboard when main
     * returns (it cannot be woken from read()), so UI must outlive main. */
    static struct chat_ui ui;
    static struct sl_shutdown stop;
    static struct leave_on_signal leave;
    char err[SL_ERRLEN];

    argv[0] = (char *)prog; /* getopt_long names the program by argv[0] */
    int rc = parse_options(argc, argv, prog, &opt);
    if (rc >= 0)
        return rc;
    if (sl_trace_init(&trace, SL_ROLE_TCP_CLIENT, opt.cli.trace, opt.cli.step) < 0)
        return sl_cli_fail(prog, "--step: %s", SL_STRERROR(errno));

    /* 1. protocol version */
    if (sl_startup(&trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);
    /* Before any thread: SIGINT/SIGTERM are then handled by one thread. */
    if (sl_shutdown_init(&stop, &trace, err) < 0)
        return sl_cli_fail(prog, "%s", err);

    /* 2. socket  3. server address  4. connect */
    int fd = sl_connect_tcp(opt.host, opt.cli.port, opt.cli.family, opt.timeout_ms,
                            sl_shutdown_fd(&stop), &trace, err);
    if (fd < 0)
        return sl_cli_fail(prog, "%s", err);
    if (opt.nick) {
        char line[160];
        int n = snprintf(line, sizeof line, "/nick %s\n", opt.nick);
        (void)sl_send_all(fd, line, (size_t)n);
    }

    /* 5. communicate: a second thread sends what is typed, this one receives */
    if (ui_init(&ui, prog, fd) < 0)
        return sl_cli_fail(prog, "terminal set-up failed");
    sl_trace_before(&trace, SL_STEP_COMMUNICATE);
    leave = (struct leave_on_signal){.ui = &ui, .stop_fd = sl_shutdown_fd(&stop)};
    rc = sl_thread_start_detached(leave_on_signal, &leave, 0);
    if (rc == 0)
        rc = sl_thread_start_detached(send_input, &ui, 0);
    if (rc != 0) {
        ui_restore(&ui);
        return sl_cli_fail(prog, "cannot start the input thread: %s", SL_STRERROR(rc));
    }
    rc = receive_lines(&ui, err);
    ui_restore(&ui);
    sl_trace_step(&trace, SL_STEP_COMMUNICATE, fd, "communicate: %s",
                  rc == 0 ? "done, the server closed" : err);
    /* No join: the input thread may sit in read() on the keyboard. All it
     * sent is already through, since the server closed after our end of
     * input; exiting ends the thread. */

    /* 6. disconnect */
    sl_trace_before(&trace, SL_STEP_CLOSE);
    sl_close_traced(&trace, fd, "close fd %d", fd);

    /* 7. cleanup */
    sl_cleanup(&trace);
    return rc == 0 ? SL_EXIT_OK : sl_cli_fail(prog, "%s", err);
}
