/* fuzz-sources: src/lib/sha256.c */
/* libFuzzer harness, differential: the dispatched SHA-256 (SHA-NI where
 * the CPU has it) against the portable code, on any bytes fed in any
 * chunking (the first byte of the input picks the chunk size). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;
    struct sl_sha256 fast, slow;
    uint8_t a[SL_SHA256_LEN], b[SL_SHA256_LEN], c[SL_SHA256_LEN];
    sl_sha256_init(&fast);
    sl_sha256_init_portable(&slow);
    for (size_t done = 0; done < size; done += chunk) {
        size_t n = size - done < chunk ? size - done : chunk;
        sl_sha256_update(&fast, data + done, n);
    }
    sl_sha256_update(&slow, data, size);
    sl_sha256_final(&fast, a);
    sl_sha256_final(&slow, b);
    sl_sha256(data, size, c);
    if (memcmp(a, b, SL_SHA256_LEN) != 0 || memcmp(b, c, SL_SHA256_LEN) != 0)
        abort();
    return 0;
}
