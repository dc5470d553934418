/* SHA-256: the FIPS 180-4 / NIST example vectors on both paths, any split
 * of a message equal to one shot, and the SHA-NI path against the
 * portable one on every length around the block boundaries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/sha256.h"

#include "seeded_random.h"

typedef void (*init_fn)(struct sl_sha256 *c);

/* Both starts, so every test checks the dispatched code and the portable
 * code (on a CPU without SHA-NI they are the same). */
static const struct {
    const char *name;
    init_fn init;
} impls[] = {{"sl_sha256_init", sl_sha256_init},
             {"sl_sha256_init_portable", sl_sha256_init_portable}};

#define NIMPLS (sizeof impls / sizeof impls[0])

static void hex(const uint8_t d[SL_SHA256_LEN], char out[2 * SL_SHA256_LEN + 1])
{
    for (int i = 0; i < SL_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void digest_with(init_fn init, const void *p, size_t len, uint8_t out[SL_SHA256_LEN])
{
    struct sl_sha256 c;
    init(&c);
    sl_sha256_update(&c, p, len);
    sl_sha256_final(&c, out);
}

static void expect_digest(const void *p, size_t len, const char *want, const char *what)
{
    uint8_t d[SL_SHA256_LEN];
    char got[2 * SL_SHA256_LEN + 1];
    for (size_t i = 0; i < NIMPLS; i++) {
        digest_with(impls[i].init, p, len, d);
        hex(d, got);
        if (strcmp(got, want) != 0)
            fail_msg("%s(%s) = %s, want %s", impls[i].name, what, got, want);
    }
}

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the customary extras. */
static void test_nist_vectors(void **state)
{
    (void)state;
    expect_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                  "empty");
    expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                  "abc");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    expect_digest(m448, strlen(m448),
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "448 bits");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    expect_digest(m896, strlen(m896),
                  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", "896 bits");
    char *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    expect_digest(million, 1000000,
                  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
                  "one million 'a'");
    free(million);
}

/* The protocol hashes a file chunk by chunk: any split must give the one
 * shot digest, including splits inside the padding's boundary cases. */
static void test_incremental_equals_one_shot(void **state)
{
    (void)state;
    unsigned char buf[3000];
    uint32_t seed = 42;
    fill_random(buf, sizeof buf, 7);
    for (size_t i = 0; i < NIMPLS; i++) {
        uint8_t whole[SL_SHA256_LEN], parts[SL_SHA256_LEN];
        digest_with(impls[i].init, buf, sizeof buf, whole);
        for (int round = 0; round < 300; round++) {
            size_t a = next_random(&seed) % (sizeof buf + 1);
            size_t b = next_random(&seed) % (sizeof buf + 1);
            if (a > b) {
                size_t t = a;
                a = b;
                b = t;
            }
            struct sl_sha256 c;
            impls[i].init(&c);
            sl_sha256_update(&c, buf, a);
            sl_sha256_update(&c, buf + a, b - a);
            sl_sha256_update(&c, buf + b, sizeof buf - b);
            sl_sha256_final(&c, parts);
            if (memcmp(parts, whole, SL_SHA256_LEN) != 0)
                fail_msg("%s split at %zu, %zu differs from one shot", impls[i].name, a, b);
        }
        struct sl_sha256 c;
        impls[i].init(&c);
        for (size_t k = 0; k < sizeof buf; k++)
            sl_sha256_update(&c, buf + k, 1);
        sl_sha256_final(&c, parts);
        assert_memory_equal(parts, whole, SL_SHA256_LEN);
    }
    uint8_t one[SL_SHA256_LEN], via[SL_SHA256_LEN];
    sl_sha256(buf, sizeof buf, one);
    digest_with(sl_sha256_init_portable, buf, sizeof buf, via);
    assert_memory_equal(one, via, SL_SHA256_LEN);
}

/* Every length from 0 to 300 bytes (padding in one block or two, several
 * blocks at once) and every start alignment: SHA-NI equals portable. */
static void test_shani_and_portable_agree(void **state)
{
    (void)state;
    unsigned char buf[320];
    fill_random(buf, sizeof buf, 99);
    struct sl_sha256 c;
    sl_sha256_init(&c);
    print_message("sl_sha256_init uses the %s code (CPU has SHA-NI: %s)\n", sl_sha256_impl(&c),
                  sl_sha256_has_shani() ? "yes" : "no");
    assert_string_equal(sl_sha256_impl(&c), sl_sha256_has_shani() ? "sha-ni" : "portable");
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len + off <= 300; len++) {
            uint8_t fast[SL_SHA256_LEN], slow[SL_SHA256_LEN];
            digest_with(sl_sha256_init, buf + off, len, fast);
            digest_with(sl_sha256_init_portable, buf + off, len, slow);
            if (memcmp(fast, slow, SL_SHA256_LEN) != 0)
                fail_msg("offset %zu length %zu: the two paths differ", off, len);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_incremental_equals_one_shot),
        cmocka_unit_test(test_shani_and_portable_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
