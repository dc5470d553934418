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

#include <stdbool.h>

enum { SL_EXIT_OK = 0, SL_EXIT_FAILURE = 1, SL_EXIT_USAGE = 2 };

/* Long options every tool has, to put in its getopt_long table. */
enum { SL_OPT_VERSION = 0x100, SL_OPT_TRACE, SL_OPT_STEP, SL_OPT_FIRST_TOOL };

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

/* Parses seconds like "5" or "0.5" into milliseconds; 0 or -1. */
int sl_parse_seconds_ms(const char *s, int *ms);

/* Prints the one readiness line "listening on ADDR:PORT" for socket FD to
 * stderr. Tests wait for it and read the port from it. */
void sl_cli_print_listening(int fd);

/* The program name without its directory. */
const char *sl_cli_basename(const char *argv0);

#endif
