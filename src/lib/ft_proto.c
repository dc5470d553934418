/* File-transfer protocol: headers and the name check (see ft_proto.h). */
#include "socklab/ft_proto.h"

#include <string.h>

#include "internal.h"
#include "socklab/utf8.h"

void ft_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void ft_put_u32(uint8_t *p, uint32_t v)
{
    ft_put_u16(p, (uint16_t)(v >> 16));
    ft_put_u16(p + 2, (uint16_t)v);
}

void ft_put_u64(uint8_t *p, uint64_t v)
{
    ft_put_u32(p, (uint32_t)(v >> 32));
    ft_put_u32(p + 4, (uint32_t)v);
}

uint16_t ft_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t ft_get_u32(const uint8_t *p)
{
    return ((uint32_t)ft_get_u16(p) << 16) | ft_get_u16(p + 2);
}

uint64_t ft_get_u64(const uint8_t *p)
{
    return ((uint64_t)ft_get_u32(p) << 32) | ft_get_u32(p + 4);
}

void ft_encode_hello(uint8_t out[FT_HELLO_LEN], uint8_t status)
{
    memcpy(out, FT_MAGIC, 4);
    out[4] = FT_VERSION;
    out[5] = status;
    out[6] = out[7] = 0;
}

int ft_parse_hello(const uint8_t in[FT_HELLO_LEN], uint8_t *status, char err[SL_ERRLEN])
{
    if (memcmp(in, FT_MAGIC, 4) != 0) {
        sl_errf(err, "not the socklab file-transfer protocol (bad magic)");
        return -1;
    }
    if (in[4] != FT_VERSION) {
        sl_errf(err, "protocol version %u, this program speaks %u", in[4], FT_VERSION);
        return -1;
    }
    *status = in[5];
    return 0;
}

size_t ft_encode_file_header(const struct ft_file_header *h, uint8_t *out)
{
    out[0] = h->type;
    if (h->type != FT_FILE)
        return 1;
    ft_put_u16(out + 1, h->name_len);
    ft_put_u32(out + 3, h->mode);
    ft_put_u64(out + 7, h->size);
    ft_put_u64(out + 15, (uint64_t)h->mtime);
    memcpy(out + FT_HEADER_FIXED, h->name, h->name_len);
    return FT_HEADER_FIXED + h->name_len;
}

ssize_t ft_parse_file_header(const uint8_t *in, size_t len, struct ft_file_header *h,
                             char err[SL_ERRLEN])
{
    if (len < 1)
        return 1;
    h->type = in[0];
    if (h->type == FT_END)
        return 1;
    if (h->type != FT_FILE) {
        sl_errf(err, "malformed header: unknown type %u", in[0]);
        return -1;
    }
    if (len < FT_HEADER_FIXED)
        return FT_HEADER_FIXED;
    h->name_len = ft_get_u16(in + 1);
    h->mode = ft_get_u32(in + 3);
    h->size = ft_get_u64(in + 7);
    h->mtime = (int64_t)ft_get_u64(in + 15);
    if (h->name_len == 0 || h->name_len > FT_NAME_MAX) {
        sl_errf(err, "malformed header: name length %u (1-%d allowed)", h->name_len,
                FT_NAME_MAX);
        return -1;
    }
    if (h->size > (uint64_t)INT64_MAX) {
        sl_errf(err, "malformed header: size %llu does not fit a file",
                (unsigned long long)h->size);
        return -1;
    }
    size_t total = FT_HEADER_FIXED + (size_t)h->name_len;
    if (len < total)
        return (ssize_t)total;
    memcpy(h->name, in + FT_HEADER_FIXED, h->name_len);
    h->name[h->name_len] = '\0';
    return (ssize_t)total;
}

int ft_check_name(const char *name, size_t len, char err[SL_ERRLEN])
{
    char clean[SL_SANITIZED_MAX(FT_NAME_MAX)];
    if (len == 0) {
        sl_errf(err, "empty name");
        return -1;
    }
    if (len > FT_NAME_MAX) {
        sl_errf(err, "name longer than %d bytes", FT_NAME_MAX);
        return -1;
    }
    if (name[0] == '/') {
        sl_errf(err, "absolute path");
        return -1;
    }
    /* Unchanged by the sanitiser: valid UTF-8 without NUL or controls (TAB
     * aside, refused below with the other control characters). */
    if (sl_sanitize_text(name, len, clean) != len || memcmp(clean, name, len) != 0 ||
        memchr(name, '\t', len)) {
        sl_errf(err, "control characters or invalid UTF-8 in the name");
        return -1;
    }
    const char *p = name, *end = name + len;
    while (p <= end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        size_t n = (size_t)(stop - p);
        if (n == 0) {
            sl_errf(err, "empty path component");
            return -1;
        }
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            sl_errf(err, "'%.*s' path component", (int)n, p);
            return -1;
        }
        if (n > FT_COMPONENT_MAX) {
            sl_errf(err, "path component longer than %d bytes", FT_COMPONENT_MAX);
            return -1;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    return 0;
}
