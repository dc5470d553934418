/* fuzz-sources: src/lib/utf8.c */
/* libFuzzer harness: the UTF-8 sanitiser on arbitrary bytes (in an exactly
 * sized buffer). Its output must be valid UTF-8 by an independent check,
 * hold no control but TAB, stay within SL_SANITIZED_MAX, and come back
 * unchanged when sanitised again. The decoder must agree with the check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the well-formed sequence at S (RFC 3629 table 3-7), or 0. */
static size_t well_formed(const uint8_t *s, size_t avail)
{
    static const struct {
        uint8_t lead_lo, lead_hi, second_lo, second_hi;
        size_t len;
    } rows[] = {
        {0x00, 0x7F, 0, 0, 1},       {0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3},
        {0xE1, 0xEC, 0x80, 0xBF, 3}, {0xED, 0xED, 0x80, 0x9F, 3}, {0xEE, 0xEF, 0x80, 0xBF, 3},
        {0xF0, 0xF0, 0x90, 0xBF, 4}, {0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        if (s[0] < rows[r].lead_lo || s[0] > rows[r].lead_hi)
            continue;
        size_t n = rows[r].len;
        if (n > avail || (n > 1 && (s[1] < rows[r].second_lo || s[1] > rows[r].second_hi)))
            return 0;
        for (size_t i = 2; i < n; i++)
            if (s[i] < 0x80 || s[i] > 0xBF)
                return 0;
        return n;
    }
    return 0;
}

static void check_clean(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = well_formed(s + i, len - i);
        if (n == 0)
            abort();
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F || (s[i] == 0xC2 && s[i + 1] < 0xA0))
            abort(); /* C0 but TAB, DEL, C1 */
        i += n;
    }
}

/* sl_utf8_decode() accepts exactly the well-formed sequences. */
static void check_decoder(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint32_t cp;
        size_t n = sl_utf8_decode((const char *)s + i, len - i, &cp);
        if (n != well_formed(s + i, len - i) || (n > 0 && cp > 0x10FFFF))
            abort();
        if (n > 0) /* the predicates take any code point */
            (void)(sl_unicode_is_white_space(cp) + sl_unicode_is_bidi_control(cp) +
                   sl_unicode_is_zero_width(cp));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    char *out = malloc(SL_SANITIZED_MAX(size) + (size == 0));
    char *again = malloc(SL_SANITIZED_MAX(SL_SANITIZED_MAX(size)) + (size == 0));
    if (in == NULL || out == NULL || again == NULL)
        abort();
    if (size)
        memcpy(in, data, size);

    size_t n = sl_sanitize_text(in, size, out);
    if (n > SL_SANITIZED_MAX(size))
        abort();
    check_clean((const uint8_t *)out, n);
    if (sl_sanitize_text(out, n, again) != n || memcmp(again, out, n) != 0)
        abort(); /* not idempotent */
    check_decoder((const uint8_t *)in, size);

    size_t last = sl_utf8_last_char_len(in, size);
    if (last > 4 || last > size || (size > 0 && last == 0))
        abort();
    if (sl_utf8_width(in, size) > 2 * size)
        abort();
    free(in);
    free(out);
    free(again);
    return 0;
}
