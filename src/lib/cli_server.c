/* The command line every server shares, parsed once. */
#include "socklab/cli.h"

#include <stdio.h>
#include <string.h>
#include "socklab/platform.h"

#include "socklab/addr.h"

/* Shared short options; the tool's own letters are appended. */
#define SERVER_SHORTOPTS "p:b:46vh"
#define MAX_LONGOPTS 32

static const struct option server_longopts[] = {
    SL_CLI_OPTS_SERVER,
    SL_CLI_OPTS_NET,
    SL_CLI_OPTS_BIND,
    SL_CLI_OPTS_BASE,
};

/* Is C one of the shared options (or getopt_long's complaint)? */
static bool is_shared(int c)
{
    if (c == '?' || c == ':' || c == SL_OPT_VERSION || c == SL_OPT_TRACE || c == SL_OPT_STEP ||
        c == SL_OPT_MAX_CLIENTS)
        return true;
    return c > 0 && c < 0x100 && strchr(SERVER_SHORTOPTS, c) != NULL && c != ':';
}

/* The shared table followed by the tool's, in LONGOPTS (MAX_LONGOPTS). */
static int merge_longopts(const struct option *tool, struct option *longopts)
{
    size_t n = sizeof server_longopts / sizeof server_longopts[0];
    memcpy(longopts, server_longopts, sizeof server_longopts);
    for (size_t i = 0; tool && tool[i].name; i++) {
        if (n + 1 >= MAX_LONGOPTS)
            return -1;
        longopts[n++] = tool[i];
    }
    longopts[n] = (struct option){NULL, 0, NULL, 0};
    return 0;
}

int sl_cli_parse_server(int argc, char **argv, const char *prog,
                        const struct sl_cli_server_spec *spec, struct sl_cli_common *common)
{
    struct option longopts[MAX_LONGOPTS];
    char shortopts[64];
    char err[SL_ERRLEN];
    int c, rc;

    *common = (struct sl_cli_common){.port = spec->default_port, .family = AF_UNSPEC};
    snprintf(shortopts, sizeof shortopts, "%s%s", SERVER_SHORTOPTS,
             spec->shortopts ? spec->shortopts : "");
    if (merge_longopts(spec->longopts, longopts) < 0)
        return sl_cli_fail(prog, "too many options"); /* a programming error */
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (is_shared(c))
            rc = sl_cli_common_option(c, optarg, prog, spec->usage, common);
        else
            rc = spec->option(c, optarg, spec->ctx);
        if (rc != SL_CLI_NEXT)
            return rc;
    }
    if (optind < argc)
        return sl_cli_usage_error(prog, "unexpected argument: %s", argv[optind]);
    if (sl_check_port(common->port, SOCK_STREAM, err) < 0)
        return sl_cli_usage_error(prog, "%s", err);
    return SL_CLI_NEXT;
}

void sl_cli_print_server_options(const char *default_port)
{
    printf("  -p, --port PORT       port to listen on (default %s, 0: any free port)\n"
           "  -b, --bind ADDR       address to listen on (default: all, IPv4 and IPv6)\n"
           "  -4, --ipv4            IPv4 only\n"
           "  -6, --ipv6            IPv6 only\n"
           "      --max-clients N   refuse clients beyond N at once (default: what this\n"
           "                        host can carry; -v prints it)\n"
           "  -v, --verbose         log clients connecting and leaving\n"
           "      --trace           print each numbered step of the notes (TCP server 1-9)\n"
           "      --step            pause before each step until Enter (or SIGUSR1)\n"
           "  -h, --help            show this help and exit\n"
           "      --version         show the version and exit\n",
           default_port);
}
