/* The command-line conventions every tool shares (see cli.h). */
#include "socklab/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "socklab/platform.h"

#include "socklab/addr.h"
#include "socklab/io.h"
#include "socklab/version.h"

int sl_cli_version(const char *prog)
{
    printf("%s (socklab) %s\n", prog, SOCKLAB_VERSION);
    return SL_EXIT_OK;
}

/* Formats "PROG: message\n" and writes it in one piece to stderr. */
static void vreport(const char *prog, const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: ", prog);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    (void)sl_write_all(2, line, (size_t)n);
}

int sl_cli_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(prog, fmt, ap);
    va_end(ap);
    return sl_cli_usage_hint(prog);
}

int sl_cli_usage_hint(const char *prog)
{
    fprintf(stderr, "Try '%s --help' for more information.\n", prog);
    return SL_EXIT_USAGE;
}

int sl_cli_fail(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(prog, fmt, ap);
    va_end(ap);
    return SL_EXIT_FAILURE;
}

void sl_cli_log(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(prog, fmt, ap);
    va_end(ap);
}

int sl_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int sl_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (s == NULL || !(*s >= '0' && *s <= '9'))
        return -1; /* strtoull would take "-1" and " 1" */
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'K':
    case 'k':
        shift = 10;
        break;
    case 'M':
    case 'm':
        shift = 20;
        break;
    case 'G':
    case 'g':
        shift = 30;
        break;
    case '\0':
        break;
    default:
        return -1;
    }
    if (shift && end[1] != '\0')
        return -1;
    if (v > (UINT64_MAX >> shift))
        return -1;
    uint64_t bytes = (uint64_t)v << shift;
    if (bytes < min || bytes > max)
        return -1;
    *out = bytes;
    return 0;
}

int sl_parse_seconds_ms(const char *s, int *ms)
{
    char *end;
    if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '.'))
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0)
        return -1;
    /* Converting a double beyond INT_MAX to int is undefined (x86 gives
     * INT_MIN, a negative time that callers take as "no limit"). */
    double rounded = v * 1000.0 + 0.5;
    if (rounded >= (double)INT_MAX + 1.0)
        return -1;
    *ms = (int)rounded;
    return 0;
}

void sl_cli_print_listening(int fd)
{
    char where[SL_ADDRSTRLEN];
    char line[SL_ADDRSTRLEN + 32];
    int n =
        snprintf(line, sizeof line, "listening on %s\n", sl_format_local(fd, where, sizeof where));
    (void)sl_write_all(2, line, (size_t)n);
}

int sl_cli_client_operands(int argc, char **argv, const char *prog, const char *default_port,
                           const char **host, struct sl_cli_common *common)
{
    char err[SL_ERRLEN];

    if (optind < argc)
        *host = argv[optind++];
    if (optind < argc) {
        const char *port = argv[optind++];
        if (strcmp(common->port, default_port) != 0 && strcmp(common->port, port) != 0)
            return sl_cli_usage_error(prog, "two ports: -p %s and %s", common->port, port);
        common->port = port;
    }
    if (optind < argc)
        return sl_cli_usage_error(prog, "unexpected argument: %s", argv[optind]);
    if (sl_check_port(common->port, SOCK_STREAM, err) < 0)
        return sl_cli_usage_error(prog, "%s", err);
    return SL_CLI_NEXT;
}

const char *sl_format_rate(uint64_t bytes, double secs, char out[SL_RATELEN])
{
    static const char *const units[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
    if (!(secs > 0)) {
        snprintf(out, SL_RATELEN, "- B/s");
        return out;
    }
    double rate = (double)bytes / secs;
    size_t u = 0;
    /* 999.96 would print as "1000" with one decimal: step up first. */
    while (rate >= 999.5 && u + 1 < sizeof units / sizeof units[0]) {
        rate /= 1000;
        u++;
    }
    int decimals = u == 0 || rate >= 99.95 ? 0 : rate >= 9.995 ? 1 : 2;
    snprintf(out, SL_RATELEN, "%.*f %s", decimals, rate, units[u]);
    return out;
}

const char *sl_cli_basename(char *argv0)
{
    char *name = argv0 + (sl_path_last(argv0) - argv0);
    size_t len = strlen(name);
    /* Windows passes "tcpecho-server.exe" (or ".EXE"): messages say the
     * program's name as on Linux. */
    if (len > 4 && strcasecmp(name + len - 4, ".exe") == 0)
        name[len - 4] = '\0';
    sl_platform_program_name(name);
    return name;
}

int sl_cli_common_option(int c, const char *arg, const char *prog, void (*usage)(const char *),
                         struct sl_cli_common *common)
{
    switch (c) {
    case 'p':
        common->port = arg;
        return SL_CLI_NEXT;
    case 'b':
        common->bind = arg;
        return SL_CLI_NEXT;
    case '4':
    case '6':
        if (common->family != AF_UNSPEC)
            return sl_cli_usage_error(prog, "-4 and -6 exclude each other");
        common->family = c == '4' ? AF_INET : AF_INET6;
        return SL_CLI_NEXT;
    case SL_OPT_TRACE:
        common->trace = true;
        return SL_CLI_NEXT;
    case SL_OPT_STEP:
        common->step = true;
        return SL_CLI_NEXT;
    case SL_OPT_MAX_CLIENTS:
        if (sl_parse_ulong(arg, 1, 10000000, &common->max_clients) < 0)
            return sl_cli_usage_error(prog, "--max-clients: not a number >= 1: %s", arg);
        return SL_CLI_NEXT;
    case 'v':
        common->verbose = true;
        return SL_CLI_NEXT;
    case 'h':
        usage(prog);
        return SL_EXIT_OK;
    case SL_OPT_VERSION:
        return sl_cli_version(prog);
    default: /* '?' or ':': getopt_long has said what */
        return sl_cli_usage_hint(prog);
    }
}
