/* Making received text safe to show on someone else's terminal. */
#ifndef SOCKLAB_UTF8_H
#define SOCKLAB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Decodes the UTF-8 character at S[0..LEN): its length (1-4) with *CP set,
 * or 0 when the bytes there are not valid UTF-8 (invalid, overlong,
 * surrogate, above U+10FFFF, truncated, or LEN is 0). */
size_t sl_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Code points that show nothing, or not what they are: a name holding one
 * can pass for another name (a nick, a file name). */

/* Unicode White_Space (PropList.txt): TAB..CR, SPACE, NEL, NO-BREAK SPACE,
 * OGHAM SPACE MARK, U+2000-200A, LINE/PARAGRAPH SEPARATOR, U+202F, U+205F
 * and the IDEOGRAPHIC SPACE U+3000 that Chinese input methods type. */
bool sl_unicode_is_white_space(uint32_t cp);

/* Bidirectional formatting controls: ALM U+061C, LRM/RLM U+200E/200F, the
 * embeddings and overrides U+202A-202E, the isolates U+2066-2069. They
 * reorder what follows: "admin<U+202E>txt.exe" shows as "adminexe.txt". */
bool sl_unicode_is_bidi_control(uint32_t cp);

/* Zero-width characters: U+200B-200D (space, non-joiner, joiner), WORD
 * JOINER U+2060 and the BOM U+FEFF: "ali<U+200B>ce" looks like "alice". */
bool sl_unicode_is_zero_width(uint32_t cp);

#endif
