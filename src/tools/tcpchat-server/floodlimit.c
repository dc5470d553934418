/* Per-client flood limit (see floodlimit.h). */
#include "floodlimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/chat_proto.h" /* SL_CHAT_LINE_MAX */
#include "socklab/cli.h"

#define BURST_SECONDS 15

/* One comma-separated field of SPEC at *POS: a count (no suffix) or a size. */
static int next_field(const char **pos, bool size, double *out)
{
    char field[32];
    size_t n = strcspn(*pos, ",");
    if (n == 0 || n >= sizeof field)
        return -1;
    memcpy(field, *pos, n);
    field[n] = '\0';
    *pos += n + ((*pos)[n] == ',');
    uint64_t v;
    unsigned long u;
    if (size ? sl_parse_size(field, 1, UINT32_MAX, &v) : sl_parse_ulong(field, 1, 1000000, &u))
        return -1;
    *out = size ? (double)v : (double)u;
    return 0;
}

int flood_parse(const char *spec, struct flood_rate *rate)
{
    *rate = (struct flood_rate){.off = strcmp(spec, "off") == 0};
    if (rate->off)
        return 0;
    const char *pos = spec;
    if (next_field(&pos, false, &rate->lines_per_s) < 0 ||
        next_field(&pos, true, &rate->bytes_per_s) < 0)
        return -1;
    rate->burst_lines = rate->lines_per_s * BURST_SECONDS;
    rate->burst_bytes = rate->bytes_per_s * BURST_SECONDS;
    if (*pos && (next_field(&pos, false, &rate->burst_lines) < 0 ||
                 next_field(&pos, true, &rate->burst_bytes) < 0 || *pos))
        return -1;
    /* Any single line must fit in a full bucket, or it would wait for ever. */
    if (rate->burst_bytes < SL_CHAT_LINE_MAX + 2)
        rate->burst_bytes = SL_CHAT_LINE_MAX + 2;
    return 0;
}

void flood_start(struct flood_bucket *b, const struct flood_rate *rate, uint64_t now_ns)
{
    b->lines = rate->burst_lines;
    b->bytes = rate->burst_bytes;
    b->at_ns = now_ns;
}

/* Seconds until TOKENS (maybe owed) climb back to zero at RATE per second. */
static double owed_s(double tokens, double per_s)
{
    return tokens < 0 ? -tokens / per_s : 0;
}

uint64_t flood_take(struct flood_bucket *b, const struct flood_rate *rate, size_t len,
                    uint64_t now_ns)
{
    if (rate->off)
        return 0;
    double dt = now_ns > b->at_ns ? (double)(now_ns - b->at_ns) / 1e9 : 0;
    b->at_ns = now_ns;
    b->lines += dt * rate->lines_per_s;
    b->bytes += dt * rate->bytes_per_s;
    if (b->lines > rate->burst_lines)
        b->lines = rate->burst_lines;
    if (b->bytes > rate->burst_bytes)
        b->bytes = rate->burst_bytes;
    b->lines -= 1;
    b->bytes -= (double)len;
    double wait = owed_s(b->lines, rate->lines_per_s);
    double wait_bytes = owed_s(b->bytes, rate->bytes_per_s);
    return (uint64_t)((wait > wait_bytes ? wait : wait_bytes) * 1e9);
}
