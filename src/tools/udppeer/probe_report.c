/* The probe's figures, printed alike by sender and receiver. */
#include <inttypes.h>

#include "socklab/cli.h"

#include "probe.h"

void probe_print_result(FILE *out, const char *what, uint64_t count,
                        const struct sl_probe_result *r)
{
    double secs = (double)r->elapsed_ns / 1e9;
    double arrivals = (double)(r->received + r->duplicates);
    double pps = secs > 0 ? arrivals / secs : 0;
    char rate[SL_RATELEN];
    fprintf(out,
            "%s: sent %" PRIu64 " = received %" PRIu64 " + lost %" PRIu64 " (%.2f%%); "
            "duplicates %" PRIu64 ", out of order %" PRIu64 "; jitter %.3f ms; "
            "%.0f datagrams/s, %s over %.3f s\n",
            what, count, r->received, r->lost, count ? 100.0 * (double)r->lost / (double)count : 0,
            r->duplicates, r->reordered, (double)r->jitter_ns / 1e6, pps,
            sl_format_rate(r->bytes, secs, rate), secs);
    fflush(out);
}
