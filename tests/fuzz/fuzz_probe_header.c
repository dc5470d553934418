/* fuzz-sources: src/lib/probe.c */
/* libFuzzer harness: the UDP probe header parser and the receiver's
 * bookkeeping must never crash or overrun on any datagram, and what the
 * parser accepts must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_probe_header h;
    if (sl_probe_parse_header(data, size, &h) < 0)
        return 0;
    if (h.length < SL_PROBE_HEADER_LEN || h.length > size || h.length > SL_PROBE_MAX_LEN)
        abort();
    unsigned char again[SL_PROBE_HEADER_LEN];
    sl_probe_put_header(&h, again);
    /* Bytes 6-7 are reserved: the parser ignores them, encode writes 0. */
    if (memcmp(again, data, 6) != 0 || memcmp(again + 8, data + 8, SL_PROBE_HEADER_LEN - 8) != 0)
        abort();
    if (h.type == SL_PROBE_DATA && h.count <= (1u << 20)) {
        /* A hostile count or sequence number must be refused, not crash. */
        struct sl_probe_stats s;
        struct sl_probe_result r;
        sl_probe_stats_init(&s, h.session, h.count);
        (void)sl_probe_stats_add(&s, &h, h.length, h.time_ns ^ 0x5555);
        (void)sl_probe_stats_add(&s, &h, h.length, h.time_ns);
        sl_probe_stats_result(&s, true, &r);
        if (r.received + r.lost != h.count && h.count != 0)
            abort();
        sl_probe_stats_free(&s);
    }
    return 0;
}
