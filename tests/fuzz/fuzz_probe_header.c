/* fuzz-sources: src/lib/probe.c */
/* libFuzzer harness: the UDP probe header parser and the receiver's
 * bookkeeping must never crash or overrun on any datagram, and what the
 * parser accepts must encode back to the same bytes.
 *
 * Input: one probe datagram, then any number of 24-byte steps. The
 * datagram, if it parses as DATA, opens a run; each step is one more DATA
 * datagram of that run as the receiver decodes it: seq, time_ns (the two
 * fields the accounting reads, big-endian) and its arrival time on the
 * receiver's clock. So hostile sequences of sequence numbers and send
 * times reach the whole accounting, jitter included. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/bytes.h"
#include "socklab/probe.h"

#define STEP_LEN 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const uint8_t *data, size_t size, const struct sl_probe_header *h)
{
    if (h->length < SL_PROBE_HEADER_LEN || h->length > size || h->length > SL_PROBE_MAX_LEN)
        abort();
    unsigned char again[SL_PROBE_HEADER_LEN];
    sl_probe_put_header(h, again);
    /* Bytes 6-7 are reserved: the parser ignores them, encode writes 0. */
    if (memcmp(again, data, 6) != 0 || memcmp(again + 8, data + 8, SL_PROBE_HEADER_LEN - 8) != 0)
        abort();
}

/* The run's figures must add up whatever arrived. */
static void check_result(const struct sl_probe_stats *s, uint64_t steps, uint64_t refused)
{
    struct sl_probe_result r;
    sl_probe_stats_result(s, true, &r);
    if (r.received > s->count || r.received + r.lost != s->count)
        abort();
    if (r.received + r.duplicates + refused != steps || s->bad_times > refused)
        abort();
    /* |D| never exceeds twice the shift limit, so neither does J. */
    if (!isfinite(s->jitter_ns) || s->jitter_ns < 0 ||
        s->jitter_ns > 2.0 * (double)SL_PROBE_MAX_TRANSIT_SHIFT_NS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_probe_header h;
    if (sl_probe_parse_header(data, size, &h) < 0)
        return 0;
    check_round_trip(data, size, &h);
    if (h.type != SL_PROBE_DATA || h.count > (1u << 20))
        return 0; /* a hostile count is the parser's to refuse; keep runs small */

    struct sl_probe_stats s;
    uint64_t steps = 1, refused = 0;
    sl_probe_stats_init(&s, h.session, h.count);
    if (sl_probe_stats_add(&s, &h, h.length, h.time_ns ^ 0x5555) < 0)
        refused++;
    for (size_t off = h.length; size - off >= STEP_LEN; off += STEP_LEN, steps++) {
        h.seq = sl_get_u64be(data + off);
        h.time_ns = sl_get_u64be(data + off + 8);
        if (sl_probe_stats_add(&s, &h, h.length, sl_get_u64be(data + off + 16)) < 0)
            refused++;
    }
    check_result(&s, steps, refused);
    sl_probe_stats_free(&s);
    return 0;
}
