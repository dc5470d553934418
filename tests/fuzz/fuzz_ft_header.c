/* fuzz-sources: src/lib/ft_proto.c src/lib/utf8.c src/lib/errfmt.c src/lib/platform/posix_calls.c */
/* libFuzzer harness: the file-transfer header and hello decoders and the
 * name check must never crash or overrun on any bytes, and what they
 * accept must hold and encode back to the same bytes. (The answers have
 * their own harness, fuzz_ft_answer.c.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/ft_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_ft_header h;
    char err[SL_ERRLEN];
    uint8_t status;
    ssize_t n = sl_ft_decode_header(data, size, &h, err);
    if (n == 0 || n > SL_FT_HEADER_MAX)
        abort(); /* a reader would loop, or read past its buffer */
    if (n > 0 && (size_t)n <= size && h.type == SL_FT_FILE) {
        if (h.name_len == 0 || h.name_len > SL_FT_NAME_MAX || h.size > (uint64_t)INT64_MAX)
            abort();
        if (sl_ft_check_name(h.name, h.name_len, err) == 0) {
            /* An accepted name never escapes: no "..", no leading "/". */
            if (h.name[0] == '/' || strstr(h.name, "//") || memchr(h.name, 0, h.name_len))
                abort();
            if (strcmp(h.name, "..") == 0 || strncmp(h.name, "../", 3) == 0)
                abort();
        }
        uint8_t again[SL_FT_HEADER_MAX];
        size_t m = sl_ft_encode_header(&h, again);
        if (m != (size_t)n || memcmp(again, data, m) != 0)
            abort(); /* encode(decode(x)) == x */
    }
    if (n == 1 && size >= 1 && (h.type != SL_FT_END || data[0] != SL_FT_END))
        abort(); /* only END is one byte long */
    if (size >= SL_FT_HELLO_LEN && sl_ft_decode_hello(data, &status, err) == 0) {
        uint8_t again[SL_FT_HELLO_LEN];
        sl_ft_encode_hello(again, status);
        if (memcmp(again, data, 6) != 0) /* bytes 6-7 are reserved, not checked */
            abort();
    }
    return 0;
}
