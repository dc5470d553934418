/* SHA-256 (FIPS 180-4), the strong digest of the file-transfer protocol:
 * where someone else's bytes could stand in for the sender's (a resumed
 * prefix, a file already stored), a CRC can be forged and this cannot. */
#ifndef SOCKLAB_SHA256_H
#define SOCKLAB_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_SHA256_LEN 32   /* bytes of a digest */
#define SL_SHA256_BLOCK 64 /* bytes of a block */

/* One digest being computed. The compression function is chosen when it
 * is initialised (the CPU's SHA extensions, or portable C): a choice kept
 * per context, so the library has no global state to set up. */
struct sl_sha256 {
    uint32_t state[8];
    uint64_t bytes; /* message length so far */
    uint8_t block[SL_SHA256_BLOCK];
    size_t used; /* bytes waiting in BLOCK */
    void (*compress)(uint32_t state[8], const uint8_t *blocks, size_t nblocks);
};

/* Starts a digest with the fastest code this CPU runs. */
void sl_sha256_init(struct sl_sha256 *c);

/* Starts a digest with the portable code, whatever the CPU (tests, and
 * the reference the fast path is compared with). */
void sl_sha256_init_portable(struct sl_sha256 *c);

/* Adds LEN bytes of DATA; any split of a message gives the same digest. */
void sl_sha256_update(struct sl_sha256 *c, const void *data, size_t len);

/* Writes the digest of everything added; C must be initialised again
 * before it is used for another message. */
void sl_sha256_final(struct sl_sha256 *c, uint8_t out[SL_SHA256_LEN]);

/* The digest of LEN bytes of DATA in one call. */
void sl_sha256(const void *data, size_t len, uint8_t out[SL_SHA256_LEN]);

/* Whether this CPU has the SHA extensions and this build can use them. */
bool sl_sha256_has_shani(void);

/* "sha-ni" or "portable": the code C uses. */
const char *sl_sha256_impl(const struct sl_sha256 *c);

#endif
