/* SHA-256 throughput of both paths (portable C, and the dispatched one:
 * SHA-NI where the CPU has it) over a buffer in memory, in MB/s.
 * Usage: build/bench/sha256 [MIB]   (default 256) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/sha256.h"
#include "socklab/runtime.h"

static double rate(void (*init)(struct sl_sha256 *), const unsigned char *buf, size_t len,
                   const char **impl)
{
    struct sl_sha256 c;
    uint8_t d[SL_SHA256_LEN];
    uint64_t t0 = sl_monotonic_ns();
    init(&c);
    for (size_t done = 0; done < len; done += 1 << 20)
        sl_sha256_update(&c, buf + done, len - done < (1u << 20) ? len - done : 1u << 20);
    sl_sha256_final(&c, d);
    *impl = sl_sha256_impl(&c);
    return (double)len / ((double)(sl_monotonic_ns() - t0) / 1e9) / 1e6;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
    size_t len = mib << 20;
    unsigned char *buf = malloc(len);
    const char *impl;
    if (buf == NULL || len == 0)
        return 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 24);
    double slow = rate(sl_sha256_init_portable, buf, len, &impl);
    printf("sha256 %-8s %8.0f MB/s\n", impl, slow);
    double fast = rate(sl_sha256_init, buf, len, &impl);
    printf("sha256 %-8s %8.0f MB/s (dispatched; CPU SHA-NI: %s)\n", impl, fast,
           sl_sha256_has_shani() ? "yes" : "no");
    free(buf);
    return 0;
}
