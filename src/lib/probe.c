/* The UDP probe's wire format and the receiver's exact bookkeeping. */
#include "socklab/probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/bytes.h"

static const unsigned char probe_magic[4] = {'S', 'L', 'P', 'B'};

void sl_probe_put_header(const struct sl_probe_header *h, unsigned char *buf)
{
    memcpy(buf, probe_magic, 4);
    buf[4] = SL_PROBE_VERSION;
    buf[5] = h->type;
    buf[6] = buf[7] = 0;
    sl_put_u32be(buf + 8, h->session);
    sl_put_u32be(buf + 12, h->length);
    sl_put_u64be(buf + 16, h->seq);
    sl_put_u64be(buf + 24, h->count);
    sl_put_u64be(buf + 32, h->time_ns);
}

int sl_probe_parse_header(const unsigned char *buf, size_t len, struct sl_probe_header *h)
{
    if (len < SL_PROBE_HEADER_LEN) {
        errno = EMSGSIZE;
        return -1;
    }
    if (memcmp(buf, probe_magic, 4) != 0 || buf[4] != SL_PROBE_VERSION || buf[5] < SL_PROBE_DATA ||
        buf[5] > SL_PROBE_REPORT) {
        errno = EPROTO;
        return -1;
    }
    h->type = buf[5];
    h->session = sl_get_u32be(buf + 8);
    h->length = sl_get_u32be(buf + 12);
    h->seq = sl_get_u64be(buf + 16);
    h->count = sl_get_u64be(buf + 24);
    h->time_ns = sl_get_u64be(buf + 32);
    if (h->length < SL_PROBE_HEADER_LEN || h->length > SL_PROBE_MAX_LEN ||
        h->count > SL_PROBE_MAX_COUNT ||
        (h->type == SL_PROBE_REPORT && h->length < SL_PROBE_REPORT_LEN)) {
        errno = EPROTO;
        return -1;
    }
    if (h->length > len) {
        errno = EMSGSIZE;
        return -1;
    }
    return 0;
}

void sl_probe_put_result(const struct sl_probe_result *r, unsigned char *body)
{
    const uint64_t v[7] = {r->received,  r->lost,       r->duplicates, r->reordered,
                           r->jitter_ns, r->elapsed_ns, r->bytes};
    for (int i = 0; i < 7; i++)
        sl_put_u64be(body + 8 * i, v[i]);
}

void sl_probe_get_result(const unsigned char *body, struct sl_probe_result *r)
{
    r->received = sl_get_u64be(body);
    r->lost = sl_get_u64be(body + 8);
    r->duplicates = sl_get_u64be(body + 16);
    r->reordered = sl_get_u64be(body + 24);
    r->jitter_ns = sl_get_u64be(body + 32);
    r->elapsed_ns = sl_get_u64be(body + 40);
    r->bytes = sl_get_u64be(body + 48);
}

int sl_probe_stats_init(struct sl_probe_stats *s, uint32_t session, uint64_t count)
{
    memset(s, 0, sizeof *s);
    s->session = session;
    s->count = count;
    return 0;
}

void sl_probe_stats_free(struct sl_probe_stats *s)
{
    free(s->seen);
    s->seen = NULL;
    s->seen_bytes = 0;
}

/* Makes the bitmap cover sequence number SEQ; doubles to keep it cheap. */
static int cover(struct sl_probe_stats *s, uint64_t seq)
{
    size_t need = (size_t)(seq / 8) + 1;
    if (need <= s->seen_bytes)
        return 0;
    size_t cap = s->seen_bytes ? s->seen_bytes : 4096;
    while (cap < need)
        cap *= 2;
    unsigned char *p = realloc(s->seen, cap);
    if (p == NULL)
        return -1;
    memset(p + s->seen_bytes, 0, cap - s->seen_bytes);
    s->seen = p;
    s->seen_bytes = cap;
    return 0;
}

/* |A - B| for two numbers taken modulo 2^64, such as two transit times
 * on unrelated clocks: the shorter way round, at most 2^63. Unsigned, so
 * no pair of forged time fields can overflow it. */
static uint64_t distance_mod64(uint64_t a, uint64_t b)
{
    uint64_t d = a - b;
    return d <= UINT64_MAX / 2 ? d : 0 - d;
}

int sl_probe_stats_add(struct sl_probe_stats *s, const struct sl_probe_header *h, size_t len,
                       uint64_t now_ns)
{
    uint64_t seq = h->seq;
    uint64_t transit = now_ns - h->time_ns;
    bool first = s->received + s->duplicates == 0;
    if (seq >= s->count) {
        errno = EPROTO;
        return -1;
    }
    if (!first && distance_mod64(transit, s->first_transit_ns) > SL_PROBE_MAX_TRANSIT_SHIFT_NS) {
        s->bad_times++;
        errno = ERANGE;
        return -1;
    }
    if (cover(s, seq) < 0)
        return -1;
    if (first) {
        s->first_ns = now_ns;
        s->first_transit_ns = transit;
    }
    s->last_ns = now_ns;
    s->bytes += len;

    unsigned char bit = (unsigned char)(1u << (seq % 8));
    if (s->seen[seq / 8] & bit) {
        s->duplicates++;
        return 0;
    }
    s->seen[seq / 8] |= bit;
    s->received++;
    if (seq + 1 < s->highest)
        s->reordered++;
    else
        s->highest = seq + 1;

    /* RFC 3550 6.4.1: J += (|D| - J) / 16, D the change in transit time.
     * The two clocks' offset cancels out in D; both transits are within
     * the shift limit of the first, so |D| is at most twice that. */
    if (s->received > 1) {
        uint64_t d = distance_mod64(transit, s->last_transit_ns);
        s->jitter_ns += ((double)d - s->jitter_ns) / 16.0;
    }
    s->last_transit_ns = transit;
    return 0;
}

void sl_probe_stats_result(const struct sl_probe_stats *s, bool final, struct sl_probe_result *r)
{
    uint64_t expected = final ? s->count : s->highest;
    r->received = s->received;
    r->lost = expected > s->received ? expected - s->received : 0;
    r->duplicates = s->duplicates;
    r->reordered = s->reordered;
    r->jitter_ns = (uint64_t)s->jitter_ns;
    r->elapsed_ns = s->last_ns - s->first_ns;
    r->bytes = s->bytes;
}
