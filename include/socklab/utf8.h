/* Making received text safe to show on someone else's terminal. */
#ifndef SOCKLAB_UTF8_H
#define SOCKLAB_UTF8_H

#include <stddef.h>

/* The most bytes sl_sanitize_text() can write for LEN input bytes: every
 * input byte may become a 3-byte U+FFFD. */
#define SL_SANITIZED_MAX(len) ((len)*3)

/* Copies LEN bytes of IN to OUT (room for SL_SANITIZED_MAX(LEN) bytes) so
 * that the result is valid UTF-8 that cannot drive a terminal:
 *   - valid UTF-8 is copied unchanged (Chinese text stays byte-exact);
 *   - TAB is kept; every other C0 control (0x00-0x1F) and DEL (0x7F) becomes
 *     caret notation, e.g. ESC -> "^[", so nothing is hidden but nothing acts;
 *   - C1 controls (U+0080-U+009F, e.g. the one-byte CSI) and every invalid or
 *     overlong sequence, surrogate or code point above U+10FFFF become U+FFFD,
 *     one per maximal invalid subpart (as the Unicode standard recommends).
 * Returns the number of bytes written. Never fails. */
size_t sl_sanitize_text(const char *in, size_t len, char *out);

/* The length in bytes of the last UTF-8 character of S[0..LEN) (1 for an
 * invalid trailing byte, 0 for an empty string): what a backspace removes. */
size_t sl_utf8_last_char_len(const char *s, size_t len);

/* Display columns of valid UTF-8 S[0..LEN): 2 for East Asian wide
 * characters (CJK, Hangul, fullwidth forms), 0 for combining marks, 1 else. */
size_t sl_utf8_width(const char *s, size_t len);

#endif
