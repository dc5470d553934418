/* fuzz-sources: src/lib/ft_proto.c src/lib/utf8.c src/lib/errfmt.c */
/* libFuzzer harness: the file-transfer header parser and name check must
 * never crash or overrun on any bytes, and what they accept must hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/ft_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ft_file_header h;
    char err[SL_ERRLEN];
    uint8_t status;
    ssize_t n = ft_parse_file_header(data, size, &h, err);
    if (n > 0 && (size_t)n <= size && h.type == FT_FILE) {
        if (h.name_len == 0 || h.name_len > FT_NAME_MAX || h.size > (uint64_t)INT64_MAX)
            abort();
        if (ft_check_name(h.name, h.name_len, err) == 0) {
            /* An accepted name never escapes: no "..", no leading "/". */
            if (h.name[0] == '/' || strstr(h.name, "//") || memchr(h.name, 0, h.name_len))
                abort();
            if (strcmp(h.name, "..") == 0 || strncmp(h.name, "../", 3) == 0)
                abort();
        }
        uint8_t again[FT_HEADER_MAX];
        size_t m = ft_encode_file_header(&h, again);
        if (m != (size_t)n || memcmp(again, data, m) != 0)
            abort(); /* encode(parse(x)) == x */
    }
    if (size >= FT_HELLO_LEN)
        (void)ft_parse_hello(data, &status, err);
    return 0;
}
