/* A client's flood limit: a token bucket for lines and one for bytes.
 *
 * A client may send a burst at once (a pasted program goes through whole),
 * then a sustained rate. Past that its reader waits before reading on, so
 * the client's own TCP window fills and the kernel slows it down: a flooder
 * is delayed, never dropped. Pure arithmetic, the time is passed in, so the
 * reader (or, later, an event loop) decides how to wait. */
#ifndef CHAT_FLOODLIMIT_H
#define CHAT_FLOODLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flood_rate {
    bool off; /* --flood off: no limit */
    double lines_per_s, bytes_per_s;
    double burst_lines, burst_bytes;
};

/* The defaults: a burst of 300 lines / 64 KiB, then 20 lines/s and 16 KiB/s. */
#define FLOOD_DEFAULT "20,16K,300,64K"

struct flood_bucket {
    double lines, bytes; /* tokens left; negative: owed */
    uint64_t at_ns;      /* when they were counted */
};

/* Parses "off" or "LINES,BYTES[,BURST_LINES,BURST_BYTES]" (rates per
 * second; BYTES with K/M suffixes; bursts default to 15 s of the rate, at
 * least one line of SL_CHAT_LINE_MAX). Returns 0, or -1 if SPEC is not one. */
int flood_parse(const char *spec, struct flood_rate *rate);

/* A full bucket at NOW_NS. */
void flood_start(struct flood_bucket *b, const struct flood_rate *rate, uint64_t now_ns);

/* Takes one line of LEN bytes at NOW_NS. Returns how long, in ns, the
 * reader must wait before reading the next line (0: at once). */
uint64_t flood_take(struct flood_bucket *b, const struct flood_rate *rate, size_t len,
                    uint64_t now_ns);

#endif
