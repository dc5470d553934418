/* A Windows console's key events as the bytes a Unix terminal would send:
 * UTF-8 text and the escape sequences of the arrow and editing keys, so
 * the line editor (socklab/lineedit.h) reads the same on both systems.
 * A pure function of the event's fields, built and unit-tested on every
 * system; the Windows terminal back end feeds it ReadConsoleInputW's
 * KEY_EVENT_RECORDs.
 *
 * Windows gives a key event's text as one UTF-16 unit: a character beyond
 * the BMP (an emoji, a rare CJK ideograph) comes as two events, its high
 * then its low surrogate; an IME (Chinese pinyin, say) hands its composed
 * text over as key events whose virtual-key code may be 0 or
 * VK_PROCESSKEY, and Alt+numpad gives its character on the release of
 * Alt. */
#ifndef SOCKLAB_CONSOLE_KEYS_H
#define SOCKLAB_CONSOLE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Windows' virtual-key codes for the keys that carry no text. */
enum {
    SL_VK_MENU = 0x12, /* Alt */
    SL_VK_END = 0x23,
    SL_VK_HOME = 0x24,
    SL_VK_LEFT = 0x25,
    SL_VK_UP = 0x26,
    SL_VK_RIGHT = 0x27,
    SL_VK_DOWN = 0x28,
    SL_VK_DELETE = 0x2E,
};

/* The fields of a KEY_EVENT_RECORD that matter here. */
struct sl_console_key {
    bool down;       /* bKeyDown */
    uint16_t repeat; /* wRepeatCount: a held key, once per repeat */
    uint16_t vk;     /* wVirtualKeyCode */
    uint16_t ch;     /* uChar.UnicodeChar: one UTF-16 unit, 0 for none */
};

/* Between events: a high surrogate waiting for its low half. */
struct sl_console_keys {
    uint16_t high;
};

/* The most bytes one event gives: 8 repeats of a 4-byte character, or a
 * lone surrogate's U+FFFD and the character after it. */
#define SL_CONSOLE_KEY_BYTES 32

/* The bytes key event K stands for, into OUT (SL_CONSOLE_KEY_BYTES): its
 * character as UTF-8; for a key without text, Left/Right/Up/Down/Home/End
 * as ESC [ D/C/A/B/H/F and Delete as ESC [ 3 ~. A surrogate pair gives its
 * character on the second event; half a pair gives U+FFFD. Key releases
 * give nothing (but Alt's, which may carry an Alt+numpad character).
 * Returns how many bytes. */
size_t sl_console_key_bytes(struct sl_console_keys *st, const struct sl_console_key *k,
                            char out[SL_CONSOLE_KEY_BYTES]);

#endif
