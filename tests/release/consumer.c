/* A program of one's own, built against the installed socklab (the .deb) by
 * scripts/check-release: once with pkg-config, once with find_package. It
 * prints the library's version and what two of its functions compute. */
#include <inttypes.h>
#include <stdio.h>

#include <socklab/socklab.h>

int main(void)
{
    uint64_t size = 0;
    if (sl_parse_size("64K", 0, UINT64_MAX, &size) != 0) {
        fprintf(stderr, "consumer: sl_parse_size(\"64K\") failed\n");
        return 1;
    }
    /* "123456789" is the check input of every CRC catalogue. */
    printf("socklab %s\n", SOCKLAB_VERSION);
    printf("sl_parse_size(64K) = %" PRIu64 "\n", size);
    printf("sl_crc32c(123456789) = %08" PRIx32 "\n", sl_crc32c(0, "123456789", 9));
    return 0;
}
