/* CRC-32C. A byte-at-a-time table runs at about 0.5 GB/s, slower than
 * loopback TCP; the SSE4.2 instruction does 8 bytes per cycle on three
 * stripes at once, and slicing-by-8 is the fast portable fallback. */
#include "socklab/crc32c.h"

#include <string.h>

/* Constant tables (scripts/gen-crc32c-table): no global state to set up. */
#include "crc32c_table.h"

uint32_t sl_crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32(lo);
        hi = __builtin_bswap32(hi);
#endif
        lo ^= crc;
        crc = crc32c_table[7][lo & 0xFF] ^ crc32c_table[6][(lo >> 8) & 0xFF] ^
              crc32c_table[5][(lo >> 16) & 0xFF] ^ crc32c_table[4][lo >> 24] ^
              crc32c_table[3][hi & 0xFF] ^ crc32c_table[2][(hi >> 8) & 0xFF] ^
              crc32c_table[1][(hi >> 16) & 0xFF] ^ crc32c_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>

/* The crc32 instruction takes 3 cycles but can start one every cycle: a
 * single chain of them runs at a third of the speed the CPU has. Long
 * buffers go as three stripes at once, whose CRCs are then joined: the
 * register after stripe A, advanced over STRIPE zero bytes (a product
 * with x^(8 STRIPE) mod P), XOR the register of stripe B from 0. */
#define STRIPE 16384

/* A * B modulo the CRC-32C polynomial, bit-reflected (zlib's multmodp). */
static uint32_t multmodp(uint32_t a, uint32_t b)
{
    uint32_t m = 1u << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0)
                break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ 0x82F63B78u : b >> 1;
    }
    return p;
}

/* x^(8 LEN) mod P: what advancing a register over LEN zero bytes multiplies
 * it by. By squaring (x^1 is 1 << 30 when reflected). */
static uint32_t zeros_operator(uint64_t len)
{
    uint32_t result = 1u << 31, power = 1u << 30; /* x^0, x^(2^0) */
    for (uint64_t n = len * 8; n; n >>= 1) {
        if (n & 1)
            result = multmodp(power, result);
        power = multmodp(power, power);
    }
    return result;
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const void *buf,
                                                               size_t len)
{
    const unsigned char *p = buf;
    uint64_t c = ~crc;
    if (len >= 3 * STRIPE) {
        uint32_t advance = zeros_operator(STRIPE);
        for (; len >= 3 * STRIPE; p += 3 * STRIPE, len -= 3 * STRIPE) {
            uint64_t c1 = 0, c2 = 0;
            for (size_t i = 0; i < STRIPE; i += 8) {
                uint64_t v0, v1, v2;
                memcpy(&v0, p + i, 8);
                memcpy(&v1, p + STRIPE + i, 8);
                memcpy(&v2, p + 2 * STRIPE + i, 8);
                c = _mm_crc32_u64(c, v0);
                c1 = _mm_crc32_u64(c1, v1);
                c2 = _mm_crc32_u64(c2, v2);
            }
            c = multmodp(advance, (uint32_t)c) ^ c1;
            c = multmodp(advance, (uint32_t)c) ^ c2;
        }
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len--)
        c32 = _mm_crc32_u8(c32, *p++);
    return ~c32;
}

uint32_t sl_crc32c(uint32_t crc, const void *buf, size_t len)
{
    if (__builtin_cpu_supports("sse4.2"))
        return crc32c_sse42(crc, buf, len);
    return sl_crc32c_portable(crc, buf, len);
}
#else
uint32_t sl_crc32c(uint32_t crc, const void *buf, size_t len)
{
    return sl_crc32c_portable(crc, buf, len);
}
#endif
