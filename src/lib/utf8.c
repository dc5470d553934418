/* Text sanitising for relayed messages. A chat line from one client is
 * printed on everyone else's terminal: an ESC or a C1 CSI in it could move
 * their cursor, retitle their window or worse. Valid UTF-8 must pass
 * untouched, so Chinese text arrives byte for byte. */
#include "socklab/utf8.h"

#include <stdint.h>
#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the valid UTF-8 sequence at S (AVAIL bytes) and its code point,
 * or 0 when the bytes there do not start a valid sequence; *BAD is then the
 * length of the maximal invalid subpart to replace. */
static size_t decode(const unsigned char *s, size_t avail, uint32_t *cp, size_t *bad)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        *cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        *cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        *cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *bad = 1; /* 0x80-0xC1, 0xF5-0xFF: never a lead byte */
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        unsigned char lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;
        if (i >= avail || s[i] < lo_i || s[i] > hi_i) {
            *bad = i;
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    return n;
}

size_t sl_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    size_t bad;
    if (len == 0)
        return 0;
    return decode((const unsigned char *)s, len, cp, &bad);
}

bool sl_unicode_is_white_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

bool sl_unicode_is_bidi_control(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

bool sl_unicode_is_zero_width(uint32_t cp)
{
    return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF;
}

size_t sl_sanitize_text(const char *in, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;

    while (i < len) {
        uint32_t cp;
        size_t bad = 0;
        size_t n = decode(s + i, len - i, &cp, &bad);
        if (n == 0 || (cp >= 0x80 && cp <= 0x9F)) {
            memcpy(out + o, replacement, 3);
            o += 3;
            i += n ? n : bad;
        } else if ((cp < 0x20 && cp != '\t') || cp == 0x7F) {
            out[o++] = '^';
            out[o++] = cp == 0x7F ? '?' : (char)(cp + '@');
            i += 1;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    return o;
}

size_t sl_utf8_last_char_len(const char *s, size_t len)
{
    size_t n = 0;
    if (len == 0)
        return 0;
    /* Step back over at most three continuation bytes to a lead byte. */
    while (n < len && n < 4) {
        n++;
        unsigned char c = (unsigned char)s[len - n];
        if ((c & 0xC0) != 0x80)
            break;
    }
    uint32_t cp;
    size_t bad;
    if (decode((const unsigned char *)s + len - n, n, &cp, &bad) == n)
        return n;
    return 1;
}

/* Wide (two-column) ranges: the usual East Asian Wide/Fullwidth blocks. */
static int is_wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
           (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
           (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

static int is_combining(uint32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0xFE00 && cp <= 0xFE0F);
}

size_t sl_utf8_width(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, width = 0;
    while (i < len) {
        uint32_t cp;
        size_t bad = 1;
        size_t n = decode(p + i, len - i, &cp, &bad);
        if (n == 0) {
            width += 1;
            i += bad;
            continue;
        }
        width += is_wide(cp) ? 2 : is_combining(cp) ? 0 : 1;
        i += n;
    }
    return width;
}
