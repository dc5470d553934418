/* Console key events -> terminal bytes (socklab/console_keys.h). */
#include "socklab/console_keys.h"

#include <string.h>

#define REPEAT_MAX 8

static size_t put_utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static bool is_high(uint16_t u)
{
    return u >= 0xD800 && u <= 0xDBFF;
}

static bool is_low(uint16_t u)
{
    return u >= 0xDC00 && u <= 0xDFFF;
}

/* The escape sequence of a key without text, or NULL. */
static const char *key_sequence(uint16_t vk)
{
    switch (vk) {
    case SL_VK_LEFT:
        return "\033[D";
    case SL_VK_RIGHT:
        return "\033[C";
    case SL_VK_UP:
        return "\033[A";
    case SL_VK_DOWN:
        return "\033[B";
    case SL_VK_HOME:
        return "\033[H";
    case SL_VK_END:
        return "\033[F";
    case SL_VK_DELETE:
        return "\033[3~";
    default:
        return NULL;
    }
}

/* One UTF-16 unit of text: a character, or half of one. */
static size_t text_unit(struct sl_console_keys *st, uint16_t u, char *out)
{
    size_t n = 0;
    if (st->high != 0 && is_low(u)) {
        uint32_t cp = 0x10000 + ((uint32_t)(st->high - 0xD800) << 10) + (uint32_t)(u - 0xDC00);
        st->high = 0;
        return put_utf8(cp, out);
    }
    if (st->high != 0) { /* a high surrogate whose low half never came */
        n += put_utf8(0xFFFD, out);
        st->high = 0;
    }
    if (is_high(u)) {
        st->high = u;
        return n;
    }
    return n + put_utf8(is_low(u) ? 0xFFFD : u, out + n);
}

size_t sl_console_key_bytes(struct sl_console_keys *st, const struct sl_console_key *k,
                            char out[SL_CONSOLE_KEY_BYTES])
{
    /* Alt+numpad: the character arrives with the release of Alt. */
    bool alt_numpad = !k->down && k->vk == SL_VK_MENU && k->ch != 0;
    if (!k->down && !alt_numpad)
        return 0;
    unsigned repeat = k->repeat == 0 || alt_numpad ? 1 : k->repeat;
    if (repeat > REPEAT_MAX)
        repeat = REPEAT_MAX;
    const char *seq = k->ch == 0 ? key_sequence(k->vk) : NULL;
    size_t n = 0;
    for (unsigned i = 0; i < repeat; i++) {
        if (seq != NULL) {
            memcpy(out + n, seq, strlen(seq));
            n += strlen(seq);
        } else if (k->ch != 0) {
            n += text_unit(st, k->ch, out + n);
        }
    }
    return n;
}
