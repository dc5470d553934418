/* fuzz-sources: src/lib/addr.c src/lib/errfmt.c src/lib/platform/posix_calls.c */
/* libFuzzer harness: "HOST:PORT" parsing must never overrun or crash, and
 * whatever it accepts must fit the buffers it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    char host[64], port[16], err[SL_ERRLEN];
    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    if (sl_split_hostport(in, host, sizeof host, port, sizeof port, err) == 0) {
        if (strlen(host) >= sizeof host || strlen(port) >= sizeof port)
            abort();
    }
    (void)sl_unbracket_host(in, host, sizeof host, err);
    free(in);
    return 0;
}
