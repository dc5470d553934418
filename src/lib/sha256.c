/* SHA-256 as FIPS 180-4 defines it: portable C, and the x86 SHA
 * extensions (sha256rnds2/msg1/msg2, about 4x faster) chosen at run time
 * with cpuid where the compiler can emit them. Both paths share the
 * padding and buffering below; only the compression of whole blocks
 * differs, and the tests hold the two to the same digests. */
#include "socklab/sha256.h"

#include <string.h>

#include "socklab/bytes.h"

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void compress_portable(uint32_t state[8], const uint8_t *p, size_t nblocks)
{
    for (; nblocks > 0; nblocks--, p += SL_SHA256_BLOCK) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++)
            w[i] = sl_get_u32be(p + 4 * i);
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
                          sha256_k[i] + w[i];
            uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>

/* The SHA extensions keep the state as two registers, ABEF and CDGH; each
 * sha256rnds2 does two rounds, and msg1/msg2 extend the schedule four
 * words at a time. Rounds go by groups of four: group I uses the words
 * W[4I..4I+3] (msg[I % 4]) and prepares the groups after it. */
__attribute__((target("sha,sse4.1"))) static void compress_shani(uint32_t state[8],
                                                                 const uint8_t *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i cdgh = _mm_loadu_si128((const __m128i *)&state[4]);
    tmp = _mm_shuffle_epi32(tmp, 0xB1);           /* CDAB */
    cdgh = _mm_shuffle_epi32(cdgh, 0x1B);         /* EFGH */
    __m128i abef = _mm_alignr_epi8(tmp, cdgh, 8); /* ABEF */
    cdgh = _mm_blend_epi16(cdgh, tmp, 0xF0);      /* CDGH */

    for (; nblocks > 0; nblocks--, p += SL_SHA256_BLOCK) {
        __m128i abef_save = abef, cdgh_save = cdgh, msg[4];
        for (int i = 0; i < 4; i++)
            msg[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
        for (int i = 0; i < 16; i++) {
            __m128i cur = msg[i % 4];
            __m128i wk = _mm_add_epi32(cur, _mm_loadu_si128((const __m128i *)&sha256_k[4 * i]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            if (i >= 3 && i <= 14) { /* finish the words of group I + 1 */
                __m128i *next = &msg[(i + 1) % 4];
                *next = _mm_add_epi32(*next, _mm_alignr_epi8(cur, msg[(i + 3) % 4], 4));
                *next = _mm_sha256msg2_epu32(*next, cur);
            }
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
            if (i >= 1 && i <= 12) /* start the words of group I + 3 */
                msg[(i + 3) % 4] = _mm_sha256msg1_epu32(msg[(i + 3) % 4], cur);
        }
        abef = _mm_add_epi32(abef, abef_save);
        cdgh = _mm_add_epi32(cdgh, cdgh_save);
    }

    tmp = _mm_shuffle_epi32(abef, 0x1B);     /* FEBA */
    cdgh = _mm_shuffle_epi32(cdgh, 0xB1);    /* DCHG */
    abef = _mm_blend_epi16(tmp, cdgh, 0xF0); /* DCBA */
    cdgh = _mm_alignr_epi8(cdgh, tmp, 8);    /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], abef);
    _mm_storeu_si128((__m128i *)&state[4], cdgh);
}

bool sl_sha256_has_shani(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
        return false;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)); /* CPUID.7.0:EBX.SHA */
}
#else
bool sl_sha256_has_shani(void)
{
    return false;
}
#endif

void sl_sha256_init_portable(struct sl_sha256 *c)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, iv, sizeof iv);
    c->bytes = 0;
    c->used = 0;
    c->compress = compress_portable;
}

void sl_sha256_init(struct sl_sha256 *c)
{
    sl_sha256_init_portable(c);
#ifdef SHA256_HAVE_SHANI
    if (sl_sha256_has_shani())
        c->compress = compress_shani;
#endif
}

const char *sl_sha256_impl(const struct sl_sha256 *c)
{
    return c->compress == compress_portable ? "portable" : "sha-ni";
}

void sl_sha256_update(struct sl_sha256 *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->bytes += len;
    if (c->used > 0) {
        size_t take = SL_SHA256_BLOCK - c->used < len ? SL_SHA256_BLOCK - c->used : len;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        len -= take;
        if (c->used < SL_SHA256_BLOCK)
            return;
        c->compress(c->state, c->block, 1);
        c->used = 0;
    }
    size_t whole = len / SL_SHA256_BLOCK;
    if (whole > 0)
        c->compress(c->state, p, whole);
    p += whole * SL_SHA256_BLOCK;
    len -= whole * SL_SHA256_BLOCK;
    memcpy(c->block, p, len);
    c->used = len;
}

void sl_sha256_final(struct sl_sha256 *c, uint8_t out[SL_SHA256_LEN])
{
    uint64_t bits = c->bytes * 8;
    uint8_t pad[SL_SHA256_BLOCK * 2] = {0x80};
    /* 0x80, zeros, then the length in bits: to a multiple of 64 bytes. */
    size_t n = (c->used < 56 ? 56 : 120) - c->used;
    sl_put_u64be(pad + n, bits);
    sl_sha256_update(c, pad, n + 8);
    for (int i = 0; i < 8; i++)
        sl_put_u32be(out + 4 * i, c->state[i]);
}

void sl_sha256(const void *data, size_t len, uint8_t out[SL_SHA256_LEN])
{
    struct sl_sha256 c;
    sl_sha256_init(&c);
    sl_sha256_update(&c, data, len);
    sl_sha256_final(&c, out);
}
