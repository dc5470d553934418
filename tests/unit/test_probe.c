/* The UDP probe: header round trips, every malformed case, and the exact
 * counting of loss, duplicates, reordering and jitter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "socklab/probe.h"

static struct sl_probe_header data_header(uint64_t seq, uint64_t count, uint64_t t)
{
    return (struct sl_probe_header){.type = SL_PROBE_DATA,
                                    .session = 0xdeadbeef,
                                    .length = 64,
                                    .seq = seq,
                                    .count = count,
                                    .time_ns = t};
}

static void test_header_round_trip(void **state)
{
    (void)state;
    unsigned char buf[64] = {0};
    struct sl_probe_header h = data_header(0x0102030405060708ULL, SL_PROBE_MAX_COUNT, 123456789);
    sl_probe_put_header(&h, buf);
    assert_memory_equal(buf, "SLPB\x01\x01\x00\x00\xde\xad\xbe\xef\x00\x00\x00\x40", 16);
    assert_memory_equal(buf + 16, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

    struct sl_probe_header back;
    assert_int_equal(sl_probe_parse_header(buf, sizeof buf, &back), 0);
    assert_int_equal(back.type, SL_PROBE_DATA);
    assert_int_equal(back.session, 0xdeadbeef);
    assert_int_equal(back.length, 64);
    assert_true(back.seq == h.seq && back.count == h.count && back.time_ns == h.time_ns);

    /* A REPORT carries its result. */
    unsigned char rep[SL_PROBE_REPORT_LEN];
    struct sl_probe_header rh = {.type = SL_PROBE_REPORT, .length = SL_PROBE_REPORT_LEN};
    struct sl_probe_result r = {1, 2, 3, 4, 5, 6, UINT64_MAX}, r2;
    sl_probe_put_header(&rh, rep);
    sl_probe_put_result(&r, rep + SL_PROBE_HEADER_LEN);
    assert_int_equal(sl_probe_parse_header(rep, sizeof rep, &back), 0);
    sl_probe_get_result(rep + SL_PROBE_HEADER_LEN, &r2);
    assert_memory_equal(&r, &r2, sizeof r);
}

static void expect_bad(const unsigned char *buf, size_t len, int err)
{
    struct sl_probe_header h;
    errno = 0;
    assert_int_equal(sl_probe_parse_header(buf, len, &h), -1);
    assert_int_equal(errno, err);
}

static void test_malformed(void **state)
{
    (void)state;
    unsigned char good[64];
    struct sl_probe_header h = data_header(1, 10, 0);
    sl_probe_put_header(&h, good);
    unsigned char b[64];

    for (size_t n = 0; n < SL_PROBE_HEADER_LEN; n++) /* short */
        expect_bad(good, n, EMSGSIZE);
    expect_bad(good, 63, EMSGSIZE); /* shorter than its length field */

    memcpy(b, good, 64);
    b[0] = 'X'; /* bad magic */
    expect_bad(b, 64, EPROTO);
    memcpy(b, good, 64);
    b[4] = 2; /* unknown version */
    expect_bad(b, 64, EPROTO);
    for (int type = 0; type < 256; type += 255) { /* type 0 and 255 */
        memcpy(b, good, 64);
        b[5] = (unsigned char)type;
        expect_bad(b, 64, EPROTO);
    }
    memcpy(b, good, 64);
    memcpy(b + 12, "\xff\xff\xff\xff", 4); /* huge length */
    expect_bad(b, 64, EPROTO);
    memcpy(b, good, 64);
    memcpy(b + 12, "\x00\x00\x00\x27", 4); /* length below the header */
    expect_bad(b, 64, EPROTO);
    memcpy(b, good, 64);
    memcpy(b + 24, "\x00\x00\x00\x00\x40\x00\x00\x00", 8); /* count beyond the maximum */
    expect_bad(b, 64, EPROTO);
    memcpy(b, good, 64);
    b[5] = SL_PROBE_REPORT; /* a REPORT without its body */
    expect_bad(b, 64, EPROTO);
}

static void test_counts_loss_duplicates_reorder(void **state)
{
    (void)state;
    struct sl_probe_stats s;
    struct sl_probe_result r;
    /* 10 sent; arrive: 0 1 3 2 2 5 4 7 (6, 8, 9 lost; 2 twice; 2 and 4 late) */
    const uint64_t order[] = {0, 1, 3, 2, 2, 5, 4, 7};
    assert_int_equal(sl_probe_stats_init(&s, 1, 10), 0);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        struct sl_probe_header h = data_header(order[i], 10, 1000 * i);
        assert_int_equal(sl_probe_stats_add(&s, &h, 64, 1000 * i + 50), 0);
    }
    sl_probe_stats_result(&s, false, &r); /* so far: below the highest (8) */
    assert_int_equal(r.received, 7);
    assert_int_equal(r.lost, 1); /* 6 */
    sl_probe_stats_result(&s, true, &r);
    assert_int_equal(r.received, 7);
    assert_int_equal(r.lost, 3);
    assert_int_equal(r.received + r.lost, 10);
    assert_int_equal(r.duplicates, 1);
    assert_int_equal(r.reordered, 2);
    assert_int_equal(r.bytes, 8 * 64);
    assert_int_equal(r.jitter_ns, 0); /* constant transit time */
    assert_int_equal(r.elapsed_ns, 7000);

    /* Beyond the announced count: refused, not counted. */
    struct sl_probe_header h = data_header(10, 10, 0);
    assert_int_equal(sl_probe_stats_add(&s, &h, 64, 0), -1);
    assert_int_equal(errno, EPROTO);
    sl_probe_stats_free(&s);
}

/* Three datagrams with transit 100, 260, 100 on a sender's clock that
 * reads OFFSET more than ours (modulo 2^64). Returns the run's jitter. */
static uint64_t jitter_of_three(uint64_t offset)
{
    struct sl_probe_stats s;
    struct sl_probe_result r;
    assert_int_equal(sl_probe_stats_init(&s, 1, 3), 0);
    const uint64_t sent[] = {0, 1000, 2000}, arrived[] = {100, 1260, 2100};
    for (int i = 0; i < 3; i++) {
        struct sl_probe_header h = data_header((uint64_t)i, 3, sent[i] + offset);
        assert_int_equal(sl_probe_stats_add(&s, &h, 64, arrived[i]), 0);
    }
    assert_int_equal(s.bad_times, 0);
    sl_probe_stats_result(&s, true, &r);
    sl_probe_stats_free(&s);
    return r.jitter_ns;
}

static void test_jitter_rfc3550(void **state)
{
    (void)state;
    /* |D| = 160 then 160. J = 10, then 19.375. */
    assert_int_equal(jitter_of_three(0), 19);
}

/* Issue 13: two forged send times 2^63 ns apart overflowed the signed
 * jitter arithmetic (UBSan aborted the receiver). The second is refused
 * and counted; the run's figures stay sane. */
static void test_absurd_send_times_are_refused_and_counted(void **state)
{
    (void)state;
    struct sl_probe_stats s;
    struct sl_probe_result r;
    assert_int_equal(sl_probe_stats_init(&s, 1, 4), 0);
    struct sl_probe_header h = data_header(0, 4, 5);
    assert_int_equal(sl_probe_stats_add(&s, &h, 64, 1000), 0);
    const uint64_t forged[] = {5 + (1ULL << 63), 5 + (1ULL << 63) + 1, 5 - (1ULL << 62),
                               5 + SL_PROBE_MAX_TRANSIT_SHIFT_NS + 1 + 10};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        h = data_header(1, 4, forged[i]);
        errno = 0;
        assert_int_equal(sl_probe_stats_add(&s, &h, 64, 1010), -1);
        assert_int_equal(errno, ERANGE);
    }
    assert_int_equal(s.bad_times, 4);
    /* Just inside the limit, either way: accepted, jitter from |D| only. */
    h = data_header(1, 4, 15 + SL_PROBE_MAX_TRANSIT_SHIFT_NS);
    assert_int_equal(sl_probe_stats_add(&s, &h, 64, 1010), 0);
    h = data_header(2, 4, 25 - SL_PROBE_MAX_TRANSIT_SHIFT_NS);
    assert_int_equal(sl_probe_stats_add(&s, &h, 64, 1020), 0);
    sl_probe_stats_result(&s, true, &r);
    assert_int_equal(r.received, 3);
    assert_int_equal(r.lost, 1);
    assert_int_equal(r.bytes, 3 * 64); /* refused datagrams count nowhere */
    assert_int_equal(s.bad_times, 4);
    /* J = H/16, then J + (2H - J)/16 with H the limit: 2H fits a u64. */
    double j = (double)SL_PROBE_MAX_TRANSIT_SHIFT_NS / 16;
    j += (2 * (double)SL_PROBE_MAX_TRANSIT_SHIFT_NS - j) / 16;
    assert_true(r.jitter_ns >= (uint64_t)j - 1 && r.jitter_ns <= (uint64_t)j + 1);
    sl_probe_stats_free(&s);
}

/* Transit times wrap modulo 2^64 when the sender's clock is ahead: only
 * their changes count, so the jitter is the same as without the wrap. */
static void test_jitter_across_the_wrap(void **state)
{
    (void)state;
    assert_int_equal(jitter_of_three(UINT64_MAX - 50), 19);
    assert_int_equal(jitter_of_three(1ULL << 63), 19);
}

static void test_large_sequence_numbers_grow_the_bitmap(void **state)
{
    (void)state;
    struct sl_probe_stats s;
    struct sl_probe_result r;
    assert_int_equal(sl_probe_stats_init(&s, 1, 1000000), 0);
    for (uint64_t seq = 999999;; seq -= 99999) {
        struct sl_probe_header h = data_header(seq, 1000000, 0);
        assert_int_equal(sl_probe_stats_add(&s, &h, 64, 0), 0);
        if (seq < 99999)
            break;
    }
    sl_probe_stats_result(&s, true, &r);
    assert_int_equal(r.received, 11);
    assert_int_equal(r.reordered, 10);
    assert_int_equal(r.lost, 1000000 - 11);
    sl_probe_stats_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_counts_loss_duplicates_reorder),
        cmocka_unit_test(test_jitter_rfc3550),
        cmocka_unit_test(test_absurd_send_times_are_refused_and_counted),
        cmocka_unit_test(test_jitter_across_the_wrap),
        cmocka_unit_test(test_large_sequence_numbers_grow_the_bitmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
