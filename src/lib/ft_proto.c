/* File-transfer protocol: every message's bytes, and the name check (see
 * ft_proto.h). Pure functions: no I/O here (that is ft_io.c). */
#include "socklab/ft_proto.h"

#include <string.h>

#include "internal.h"
#include "socklab/bytes.h"
#include "socklab/utf8.h"

void sl_ft_encode_hello(uint8_t out[SL_FT_HELLO_LEN], uint8_t status)
{
    memcpy(out, SL_FT_MAGIC, 4);
    out[4] = SL_FT_VERSION;
    out[5] = status;
    out[6] = out[7] = 0;
}

int sl_ft_decode_hello(const uint8_t in[SL_FT_HELLO_LEN], uint8_t *status, char err[SL_ERRLEN])
{
    if (memcmp(in, SL_FT_MAGIC, 4) != 0) {
        sl_errf(err, "not the socklab file-transfer protocol (bad magic)");
        return -1;
    }
    if (in[4] != SL_FT_VERSION) {
        sl_errf(err, "protocol version %u, this program speaks %u", in[4], SL_FT_VERSION);
        return -1;
    }
    *status = in[5];
    return 0;
}

bool sl_ft_hello_is_ours(const uint8_t in[SL_FT_HELLO_LEN])
{
    return memcmp(in, SL_FT_MAGIC, 4) == 0;
}

size_t sl_ft_encode_header(const struct sl_ft_header *h, uint8_t *out)
{
    out[0] = h->type;
    if (h->type != SL_FT_FILE && h->type != SL_FT_SENDER)
        return 1;
    sl_put_u16be(out + 1, h->name_len);
    sl_put_u32be(out + 3, h->mode);
    sl_put_u64be(out + 7, h->size);
    sl_put_u64be(out + 15, (uint64_t)h->mtime);
    memcpy(out + SL_FT_HEADER_FIXED, h->name, h->name_len);
    return SL_FT_HEADER_FIXED + h->name_len;
}

ssize_t sl_ft_decode_header(const uint8_t *in, size_t len, struct sl_ft_header *h,
                            char err[SL_ERRLEN])
{
    if (len < 1)
        return 1;
    h->type = in[0];
    if (h->type == SL_FT_END)
        return 1;
    if (h->type != SL_FT_FILE && h->type != SL_FT_SENDER) {
        sl_errf(err, "malformed header: unknown type %u", in[0]);
        return -1;
    }
    if (len < SL_FT_HEADER_FIXED)
        return SL_FT_HEADER_FIXED;
    h->name_len = sl_get_u16be(in + 1);
    h->mode = sl_get_u32be(in + 3);
    h->size = sl_get_u64be(in + 7);
    h->mtime = (int64_t)sl_get_u64be(in + 15);
    if (h->name_len == 0 || h->name_len > SL_FT_NAME_MAX) {
        sl_errf(err, "malformed header: name length %u (1-%d allowed)", h->name_len,
                SL_FT_NAME_MAX);
        return -1;
    }
    if (h->type == SL_FT_SENDER &&
        (h->name_len > SL_FT_SENDER_NAME_MAX || h->mode || h->size || h->mtime)) {
        sl_errf(err, "malformed sender: name of 1-%d bytes, nothing else", SL_FT_SENDER_NAME_MAX);
        return -1;
    }
    if (h->size > (uint64_t)INT64_MAX) {
        sl_errf(err, "malformed header: size %llu does not fit a file",
                (unsigned long long)h->size);
        return -1;
    }
    size_t total = SL_FT_HEADER_FIXED + (size_t)h->name_len;
    if (len < total)
        return (ssize_t)total;
    memcpy(h->name, in + SL_FT_HEADER_FIXED, h->name_len);
    h->name[h->name_len] = '\0';
    return (ssize_t)total;
}

void sl_ft_encode_trailer(uint8_t out[SL_FT_TRAILER_LEN], uint32_t crc)
{
    sl_put_u32be(out, crc);
}

uint32_t sl_ft_decode_trailer(const uint8_t in[SL_FT_TRAILER_LEN])
{
    return sl_get_u32be(in);
}

size_t sl_ft_encode_go(uint8_t out[SL_FT_GO_LEN], uint64_t offset)
{
    out[0] = SL_FT_GO;
    sl_put_u64be(out + 1, offset);
    return SL_FT_GO_LEN;
}

size_t sl_ft_encode_check(uint8_t out[SL_FT_CHECK_LEN], uint64_t offset)
{
    out[0] = SL_FT_CHECK;
    sl_put_u64be(out + 1, offset);
    return SL_FT_CHECK_LEN;
}

size_t sl_ft_encode_digest(uint8_t out[SL_FT_DIGEST_LEN], uint64_t offset,
                           const uint8_t digest[SL_FT_DIGEST_SIZE])
{
    out[0] = SL_FT_DIGEST;
    sl_put_u64be(out + 1, offset);
    memcpy(out + 9, digest, SL_FT_DIGEST_SIZE);
    return SL_FT_DIGEST_LEN;
}

int sl_ft_decode_digest(const uint8_t in[SL_FT_DIGEST_LEN], uint64_t *offset,
                        uint8_t digest[SL_FT_DIGEST_SIZE], char err[SL_ERRLEN])
{
    if (in[0] != SL_FT_DIGEST) {
        sl_errf(err, "malformed digest: type %u, not %u", in[0], SL_FT_DIGEST);
        return -1;
    }
    *offset = sl_get_u64be(in + 1);
    memcpy(digest, in + 9, SL_FT_DIGEST_SIZE);
    return 0;
}

size_t sl_ft_encode_error(uint8_t *out, uint16_t code, const char *msg, size_t len)
{
    if (len > SL_FT_MESSAGE_MAX)
        len = SL_FT_MESSAGE_MAX;
    out[0] = SL_FT_REFUSED; /* == SL_FT_FAILED */
    sl_put_u16be(out + 1, code);
    sl_put_u16be(out + 3, (uint16_t)len);
    memcpy(out + SL_FT_ERROR_FIXED, msg, len);
    return SL_FT_ERROR_FIXED + len;
}

/* STORED and IDENTICAL: STATUS, then the name with its length. */
static size_t encode_name(uint8_t *out, uint8_t status, const char *name, size_t len)
{
    if (len == 0 || len > SL_FT_STORED_MAX)
        return 0;
    out[0] = status;
    sl_put_u16be(out + 1, (uint16_t)len);
    memcpy(out + SL_FT_STORED_FIXED, name, len);
    return SL_FT_STORED_FIXED + len;
}

size_t sl_ft_encode_stored(uint8_t *out, const char *name, size_t len)
{
    return encode_name(out, SL_FT_STORED, name, len);
}

size_t sl_ft_encode_identical(uint8_t *out, const char *name, size_t len)
{
    return encode_name(out, SL_FT_IDENTICAL, name, len);
}

/* The LEN-prefixed text of an answer: FIXED bytes, the last two its length
 * (at most MAX, at least MIN), then the text into A. */
static ssize_t decode_text(const uint8_t *in, size_t len, size_t fixed, size_t min, size_t max,
                           struct sl_ft_answer *a, char err[SL_ERRLEN])
{
    if (len < fixed)
        return (ssize_t)fixed;
    size_t n = sl_get_u16be(in + fixed - 2);
    if (n < min || n > max) {
        sl_errf(err, "malformed answer: text length %zu (%zu-%zu allowed)", n, min, max);
        return -1;
    }
    if (len < fixed + n)
        return (ssize_t)(fixed + n);
    a->text_len = (uint16_t)n;
    memcpy(a->text, in + fixed, n);
    a->text[n] = '\0';
    return (ssize_t)(fixed + n);
}

ssize_t sl_ft_decode_answer(const uint8_t *in, size_t len, enum sl_ft_answer_kind kind,
                            struct sl_ft_answer *a, char err[SL_ERRLEN])
{
    if (len < 1)
        return 1;
    a->status = in[0];
    a->offset = 0;
    a->code = 0;
    a->text_len = 0;
    a->text[0] = '\0';
    if (in[0] == SL_FT_REFUSED) { /* or FAILED: the same bytes */
        if (len >= SL_FT_ERROR_FIXED)
            a->code = sl_get_u16be(in + 1);
        return decode_text(in, len, SL_FT_ERROR_FIXED, 0, SL_FT_MESSAGE_MAX, a, err);
    }
    bool offer_only = in[0] == SL_FT_CHECK || in[0] == SL_FT_IDENTICAL;
    if (in[0] != SL_FT_GO /* == SL_FT_STORED */ && !(offer_only && kind == SL_FT_OFFER)) {
        sl_errf(err, "malformed answer: unknown status %u", in[0]);
        return -1;
    }
    if (kind == SL_FT_RESULT || in[0] == SL_FT_IDENTICAL)
        return decode_text(in, len, SL_FT_STORED_FIXED, 1, SL_FT_STORED_MAX, a, err);
    if (len < SL_FT_GO_LEN) /* GO and CHECK */
        return SL_FT_GO_LEN;
    a->offset = sl_get_u64be(in + 1);
    return SL_FT_GO_LEN;
}

/* Characters that make a name show as something else: bidi controls
 * ("rtl<U+202E>txt.exe" shows as "rtlexe.txt") and zero-width ones. NAME
 * is valid UTF-8 here. */
static int hidden_reordering(const char *name, size_t len, char err[SL_ERRLEN])
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = sl_utf8_decode(name + i, len - i, &cp);
        if (n == 0)
            return -1; /* not reached: checked before */
        if (sl_unicode_is_bidi_control(cp) || sl_unicode_is_zero_width(cp)) {
            sl_errf(err, "%s character U+%04X in the name",
                    sl_unicode_is_bidi_control(cp) ? "bidirectional control" : "zero-width",
                    (unsigned)cp);
            return -1;
        }
        i += n;
    }
    return 0;
}

int sl_ft_check_name(const char *name, size_t len, char err[SL_ERRLEN])
{
    char clean[SL_SANITIZED_MAX(SL_FT_NAME_MAX)];
    if (len == 0) {
        sl_errf(err, "empty name");
        return -1;
    }
    if (len > SL_FT_NAME_MAX) {
        sl_errf(err, "name longer than %d bytes", SL_FT_NAME_MAX);
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
    if (hidden_reordering(name, len, err) < 0)
        return -1;
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
        if (n > SL_FT_COMPONENT_MAX) {
            sl_errf(err, "path component longer than %d bytes", SL_FT_COMPONENT_MAX);
            return -1;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    return 0;
}
