/* The UDP probe: numbered, timestamped datagrams that show what UDP does
 * not promise (delivery, order, uniqueness). Wire format, version 1, all
 * integers big-endian (docs/protocol.md, "UDP probe"):
 *
 *   off size field
 *    0   4   magic "SLPB"
 *    4   1   version (1)
 *    5   1   type: 1 DATA, 2 END (sender done), 3 REPORT (receiver's result)
 *    6   2   reserved, 0
 *    8   4   session: random per run, tells runs apart
 *   12   4   length of the whole datagram/record, header included
 *   16   8   sequence number (DATA: 0, 1, ...; END/REPORT: 0)
 *   24   8   count: datagrams the sender sends in this run
 *   32   8   sender's clock in nanoseconds (CLOCK_MONOTONIC) at sending
 *   40       DATA: padding up to length; REPORT: the result (below)
 *
 * REPORT body, 7 x u64: received, lost, duplicates, out of order,
 * jitter (ns), receiving time (ns), bytes received. */
#ifndef SOCKLAB_PROBE_H
#define SOCKLAB_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_PROBE_HEADER_LEN 40
#define SL_PROBE_REPORT_LEN (SL_PROBE_HEADER_LEN + 7 * 8)
#define SL_PROBE_VERSION 1
/* Most datagrams in one run: the receiver's bitmap of sequence numbers
 * stays within 12.5 MB, whatever a hostile datagram announces. */
#define SL_PROBE_MAX_COUNT 100000000u
/* Largest record a receiver accepts (one UDP datagram at most). */
#define SL_PROBE_MAX_LEN 65527
/* The most a DATA datagram's transit time (receiver's clock minus the
 * sender's time field) may differ from the run's first one's: one hour.
 * The clocks' offset cancels out, so this is how far the two clocks moved
 * apart during the run, plus queueing: more is no clock, but a forged or
 * broken time field, which would wreck the jitter. */
#define SL_PROBE_MAX_TRANSIT_SHIFT_NS (3600ull * 1000000000ull)

enum sl_probe_type { SL_PROBE_DATA = 1, SL_PROBE_END = 2, SL_PROBE_REPORT = 3 };

struct sl_probe_header {
    uint8_t type;
    uint32_t session;
    uint32_t length;
    uint64_t seq;
    uint64_t count;
    uint64_t time_ns;
};

struct sl_probe_result {
    uint64_t received;   /* distinct sequence numbers that arrived */
    uint64_t lost;       /* count - received */
    uint64_t duplicates; /* arrivals of a sequence number already seen */
    uint64_t reordered;  /* arrivals below the highest number seen so far */
    uint64_t jitter_ns;  /* RFC 3550 interarrival jitter */
    uint64_t elapsed_ns; /* first to last arrival */
    uint64_t bytes;      /* all DATA bytes, duplicates included */
};

/* Writes H into BUF (SL_PROBE_HEADER_LEN bytes). */
void sl_probe_put_header(const struct sl_probe_header *h, unsigned char *buf);

/* Parses a datagram/record of LEN bytes. Returns 0, or -1 with errno
 * EPROTO (bad magic, version, type or length field) or EMSGSIZE (shorter
 * than its header or its length field, or a REPORT without its body).
 * LEN may be longer than the record (TCP: a buffer holding more). */
int sl_probe_parse_header(const unsigned char *buf, size_t len, struct sl_probe_header *h);

void sl_probe_put_result(const struct sl_probe_result *r, unsigned char *body);
void sl_probe_get_result(const unsigned char *body, struct sl_probe_result *r);

/* The receiver's bookkeeping for one run. Exact counts: a bitmap of the
 * sequence numbers seen, grown as they arrive. */
struct sl_probe_stats {
    uint32_t session;
    uint64_t count; /* from the sender's header */
    uint64_t received, duplicates, reordered, bytes;
    uint64_t highest;   /* highest sequence number seen + 1, 0 before any */
    uint64_t bad_times; /* DATA refused: transit time shifted absurdly */
    double jitter_ns;
    /* Transit times modulo 2^64 (the clocks are unrelated): only their
     * differences mean something. The first is the run's reference. */
    uint64_t first_transit_ns, last_transit_ns;
    uint64_t first_ns, last_ns; /* receiver's clock */
    unsigned char *seen;
    size_t seen_bytes;
};

/* Starts a run's statistics. Returns 0 or -1 (ENOMEM). */
int sl_probe_stats_init(struct sl_probe_stats *s, uint32_t session, uint64_t count);
void sl_probe_stats_free(struct sl_probe_stats *s);

/* Accounts one DATA datagram H of LEN bytes that arrived at NOW_NS on the
 * receiver's clock. Returns 0, or -1 and counts nothing: ENOMEM; EPROTO for
 * a sequence number not below the run's count; ERANGE for a transit time
 * more than SL_PROBE_MAX_TRANSIT_SHIFT_NS off the run's first arrival's
 * (counted in bad_times). Any two time fields are safe: the arithmetic is
 * unsigned, modulo 2^64. */
int sl_probe_stats_add(struct sl_probe_stats *s, const struct sl_probe_header *h, size_t len,
                       uint64_t now_ns);

/* The result so far (lost counts only numbers below the highest seen,
 * until FINAL: then every number below count not received). */
void sl_probe_stats_result(const struct sl_probe_stats *s, bool final, struct sl_probe_result *r);

#endif
