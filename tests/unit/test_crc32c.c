/* CRC-32C: the published vectors, incremental use, and the SSE4.2 path
 * against the portable table on every length and alignment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "socklab/crc32c.h"

#include "seeded_random.h"

typedef uint32_t (*crc_fn)(uint32_t crc, const void *buf, size_t len);

/* Both entry points, so every test checks the dispatched one and the
 * portable one (on a CPU without SSE4.2 they are the same code). */
static const struct {
    const char *name;
    crc_fn fn;
} impls[] = {{"sl_crc32c", sl_crc32c}, {"sl_crc32c_portable", sl_crc32c_portable}};

#define NIMPLS (sizeof impls / sizeof impls[0])

static void expect_crc(const void *buf, size_t len, uint32_t want, const char *what)
{
    for (size_t i = 0; i < NIMPLS; i++) {
        uint32_t got = impls[i].fn(0, buf, len);
        if (got != want)
            fail_msg("%s(%s) = 0x%08X, want 0x%08X", impls[i].name, what, got, want);
    }
}

/* RFC 3720 appendix B.4 and the customary "123456789" check value. */
static void test_known_vectors(void **state)
{
    (void)state;
    unsigned char buf[32];

    memset(buf, 0x00, sizeof buf);
    expect_crc(buf, sizeof buf, 0x8A9136AAu, "32 x 0x00");
    memset(buf, 0xFF, sizeof buf);
    expect_crc(buf, sizeof buf, 0x62A8AB43u, "32 x 0xFF");
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)i;
    expect_crc(buf, sizeof buf, 0x46DD794Eu, "0x00..0x1F");
    for (int i = 0; i < 32; i++)
        buf[i] = (unsigned char)(31 - i);
    expect_crc(buf, sizeof buf, 0x113FDB5Cu, "0x1F..0x00");
    expect_crc("123456789", 9, 0xE3069283u, "\"123456789\"");
    expect_crc("", 0, 0x00000000u, "empty");
    expect_crc("a", 1, 0xC1D04330u, "\"a\"");
}

/* The file-transfer protocol feeds the CRC chunk by chunk as data
 * arrives: any split must give the one-shot value. */
static void test_incremental_equals_one_shot(void **state)
{
    (void)state;
    unsigned char buf[3000];
    uint32_t seed = 42;
    fill_random(buf, sizeof buf, 7);

    for (size_t i = 0; i < NIMPLS; i++) {
        crc_fn fn = impls[i].fn;
        uint32_t whole = fn(0, buf, sizeof buf);
        for (int round = 0; round < 300; round++) {
            size_t a = next_random(&seed) % (sizeof buf + 1);
            size_t b = next_random(&seed) % (sizeof buf + 1);
            if (a > b) {
                size_t t = a;
                a = b;
                b = t;
            }
            uint32_t crc = fn(0, buf, a);
            crc = fn(crc, buf + a, b - a);
            crc = fn(crc, buf + b, sizeof buf - b);
            if (crc != whole)
                fail_msg("%s split at %zu, %zu: 0x%08X, one shot 0x%08X", impls[i].name, a, b, crc,
                         whole);
        }
        /* Byte by byte: the slicing loop never runs, only the tail. */
        uint32_t crc = 0;
        for (size_t k = 0; k < sizeof buf; k++)
            crc = fn(crc, buf + k, 1);
        assert_int_equal(crc, whole);
    }
}

/* The hardware path reads 8 bytes at a time through memcpy and finishes
 * byte-wise: compare it with the table on every length around those
 * boundaries and every misalignment of the start. */
static void test_hardware_and_portable_agree(void **state)
{
    (void)state;
    unsigned char buf[600];
    fill_random(buf, sizeof buf, 99);
#if defined(__x86_64__)
    if (!__builtin_cpu_supports("sse4.2"))
        print_message("no SSE4.2 on this CPU: sl_crc32c is the portable code\n");
#endif
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len + off <= sizeof buf; len++) {
            uint32_t hw = sl_crc32c(0, buf + off, len);
            uint32_t sw = sl_crc32c_portable(0, buf + off, len);
            if (hw != sw)
                fail_msg("offset %zu length %zu: sl_crc32c 0x%08X, portable 0x%08X", off, len, hw,
                         sw);
        }
    /* And when continuing from a non-zero CRC. */
    assert_int_equal(sl_crc32c(0xDEADBEEFu, buf, 77), sl_crc32c_portable(0xDEADBEEFu, buf, 77));
}

/* Buffers of three stripes and more take the three-way hardware path and
 * its join: compare with the table on lengths and starts around the
 * stripe boundaries (48 KiB), and continuing from a non-zero CRC. */
static void test_three_stripes_agree(void **state)
{
    (void)state;
    enum { SIZE = 5 * 49152 + 64 };
    static unsigned char buf[SIZE];
    fill_random(buf, sizeof buf, 1234);
    static const size_t lens[] = {49151, 49152, 49153, 49160, 98303, 98304, 147457, 5 * 49152 + 5};
    for (size_t off = 0; off < 9; off += 4)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            uint32_t hw = sl_crc32c(0x1234567u, buf + off, lens[i]);
            uint32_t sw = sl_crc32c_portable(0x1234567u, buf + off, lens[i]);
            if (hw != sw)
                fail_msg("offset %zu length %zu: sl_crc32c 0x%08X, portable 0x%08X", off, lens[i],
                         hw, sw);
        }
}

/* A single flipped bit anywhere must change the CRC: the reason we have one. */
static void test_detects_every_single_bit_flip(void **state)
{
    (void)state;
    unsigned char buf[64];
    fill_random(buf, sizeof buf, 3);
    uint32_t good = sl_crc32c(0, buf, sizeof buf);
    for (size_t bit = 0; bit < sizeof buf * 8; bit++) {
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        assert_int_not_equal(sl_crc32c(0, buf, sizeof buf), good);
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_incremental_equals_one_shot),
        cmocka_unit_test(test_hardware_and_portable_agree),
        cmocka_unit_test(test_three_stripes_agree),
        cmocka_unit_test(test_detects_every_single_bit_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
