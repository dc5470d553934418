/* Command-line conventions shared by every socklab tool.
 *
 *   -h/--help    usage on stdout, exit 0
 *   --version    "PROG (socklab) X.Y.Z" on stdout, exit 0
 *   usage error  "PROG: message" + hint on stderr, exit 2
 *   failure      "PROG: what failed: why" on stderr, exit 1
 *   servers      exactly one "listening on ADDR:PORT" line on stderr
 *
 * These helpers print (that is their job) but never exit: they return the
 * exit status for main to return. */
#ifndef SOCKLAB_CLI_H
#define SOCKLAB_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

enum { SL_EXIT_OK = 0, SL_EXIT_FAILURE = 1, SL_EXIT_USAGE = 2 };

/* Long options every tool has, to put in its getopt_long table. */
enum { SL_OPT_VERSION = 0x100, SL_OPT_TRACE, SL_OPT_STEP, SL_OPT_MAX_CLIENTS, SL_OPT_FIRST_TOOL };

/* The options every tool spells alike. A tool lists those it offers in its
 * getopt_long table with the macros below (and their letters in its short
 * option string: "p:46" "b:" "h"), handles its own options in its switch,
 * and passes the rest to sl_cli_common_option() from the default case. */
struct sl_cli_common {
    const char *port; /* -p, --port (the tool sets its default first) */
    const char *bind; /* -b, --bind */
    int family;       /* -4/-6: AF_UNSPEC (both), AF_INET or AF_INET6 */
    bool trace;       /* --trace */
    bool step;        /* --step */
    /* Servers only (sl_cli_parse_server): */
    unsigned long max_clients; /* --max-clients N, 0: no cap */
    bool verbose;              /* -v, --verbose */
};

#define SL_CLI_OPTS_NET                                                                            \
    {"port", required_argument, NULL, 'p'}, {"ipv4", no_argument, NULL, '4'},                      \
    {                                                                                              \
        "ipv6", no_argument, NULL, '6'                                                             \
    }
#define SL_CLI_OPTS_BIND                                                                           \
    {                                                                                              \
        "bind", required_argument, NULL, 'b'                                                       \
    }
#define SL_CLI_OPTS_BASE                                                                           \
    {"trace", no_argument, NULL, SL_OPT_TRACE}, {"step", no_argument, NULL, SL_OPT_STEP},          \
        {"help", no_argument, NULL, 'h'},                                                          \
    {                                                                                              \
        "version", no_argument, NULL, SL_OPT_VERSION                                               \
    }

#define SL_CLI_OPTS_SERVER                                                                         \
    {"max-clients", required_argument, NULL, SL_OPT_MAX_CLIENTS},                                  \
    {                                                                                              \
        "verbose", no_argument, NULL, 'v'                                                          \
    }

enum { SL_CLI_NEXT = -1 };

/* Handles option C with argument ARG: a shared one (-p -b -4 -6 --trace
 * --step -h --version), or getopt_long's complaint ('?', ':'). USAGE
 * prints the tool's help. Returns SL_CLI_NEXT to go on parsing, or the
 * exit status to return now (0 after --help/--version, 2 after a usage
 * error). */
int sl_cli_common_option(int c, const char *arg, const char *prog, void (*usage)(const char *),
                         struct sl_cli_common *common);

/* A server's command line, parsed in one place: the options every server
 * shares (-p -b -4 -6 --max-clients -v --trace --step -h --version) and
 * the tool's own, which the tool lists in SHORTOPTS/LONGOPTS (may be ""
 * and NULL) and handles in OPTION (returning SL_CLI_NEXT, or an exit
 * status to stop with). No operands are taken; the port is checked. */
struct sl_cli_server_spec {
    const char *default_port;
    void (*usage)(const char *prog);
    const char *shortopts;
    const struct option *longopts; /* ends with a zeroed entry */
    int (*option)(int c, const char *arg, void *ctx);
    void *ctx;
};

/* Returns SL_CLI_NEXT to go on, or the exit status for main to return. */
int sl_cli_parse_server(int argc, char **argv, const char *prog,
                        const struct sl_cli_server_spec *spec, struct sl_cli_common *common);

/* A client's operands, as nc takes them: [HOST [PORT]], from argv[optind]
 * on. HOST replaces *HOST (the tool's default); PORT stands for -p (two
 * different ports, -p and PORT, are a usage error). The port is checked.
 * Returns SL_CLI_NEXT, or SL_EXIT_USAGE after a usage error. */
int sl_cli_client_operands(int argc, char **argv, const char *prog, const char *default_port,
                           const char **host, struct sl_cli_common *common);

/* The --help lines of the options every server shares. */
void sl_cli_print_server_options(const char *default_port);

/* Prints "PROG (socklab) VERSION" to stdout; returns SL_EXIT_OK. */
int sl_cli_version(const char *prog);

/* Prints "PROG: <message>" and a --help hint to stderr; returns SL_EXIT_USAGE. */
int sl_cli_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* After getopt_long has already complained about an option: prints only
 * the --help hint; returns SL_EXIT_USAGE. Set argv[0] to the basename before
 * getopt_long so its message names the program plainly. */
int sl_cli_usage_hint(const char *prog);

/* Prints "PROG: <message>" to stderr; returns SL_EXIT_FAILURE. */
int sl_cli_fail(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "PROG: <message>" to stderr (a warning or a log line). */
void sl_cli_log(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a decimal number in [MIN, MAX]; returns 0, or -1 if S is not one. */
int sl_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Parses a size: "1000", "64K", "10M", "2G" (binary multiples, either
 * case) into bytes in [MIN, MAX]; returns 0, or -1 if S is not one. */
int sl_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Every tool prints a rate in one unit family, decimal (1 MB/s = 10^6
 * bytes/s, as network speeds are counted), scaled so it never reads
 * "0.0 MB/s": "512 B/s", "12.3 kB/s", "45.6 MB/s", "1.23 GB/s" (three
 * significant digits). BYTES moved in SECS; "- B/s" when SECS is not
 * positive. Returns OUT. */
enum { SL_RATELEN = 24 };
const char *sl_format_rate(uint64_t bytes, double secs, char out[SL_RATELEN]);

/* Parses seconds like "5" or "0.5" into milliseconds (rounded, at most
 * INT_MAX: about 24.8 days); 0 or -1. */
int sl_parse_seconds_ms(const char *s, int *ms);

/* Prints the one readiness line "listening on ADDR:PORT" for socket FD to
 * stderr. Tests wait for it and read the port from it. */
void sl_cli_print_listening(int fd);

/* The program name without its directory and without a trailing ".exe"
 * (cut off in ARGV0 itself, so the name Windows gives reads as on Linux);
 * also the name the system's getopt messages print. */
const char *sl_cli_basename(char *argv0);

#endif
