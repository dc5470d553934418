/* The names Windows cannot hold or treats as devices (ft_proto.h). */
#include <stdbool.h>
#include <string.h>

#include "internal.h"
#include "socklab/ft_proto.h"

/* ASCII letters of S (N bytes) equal WORD's, case aside. */
static bool same_ascii(const char *s, size_t n, const char *word)
{
    if (n != strlen(word))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
        if (c != word[i])
            return false;
    }
    return true;
}

/* Whether STEM (the component up to its first '.', trailing spaces
 * dropped, as Windows compares it) is a device: CON, PRN, AUX, NUL,
 * CONIN$, CONOUT$, COM or LPT followed by 1-9 or by a superscript 1-3. */
static bool is_device(const char *stem, size_t n)
{
    static const char *const plain[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (same_ascii(stem, n, plain[i]))
            return true;
    if (n < 4 || !(same_ascii(stem, 3, "COM") || same_ascii(stem, 3, "LPT")))
        return false;
    if (n == 4)
        return stem[3] >= '1' && stem[3] <= '9';
    /* U+00B9, U+00B2, U+00B3 in UTF-8: C2 B9, C2 B2, C2 B3 */
    return n == 5 && (unsigned char)stem[3] == 0xC2 &&
           ((unsigned char)stem[4] == 0xB9 || (unsigned char)stem[4] == 0xB2 ||
            (unsigned char)stem[4] == 0xB3);
}

/* One component C (N bytes). 0 or -1 with ERR. */
static int check_component(const char *c, size_t n, char err[SL_ERRLEN])
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)c[i];
        if (ch < 0x20) {
            sl_errf(err, "control characters in the name (Windows cannot hold them)");
            return -1;
        }
        if (strchr("<>:\"\\|?*", ch) != NULL) {
            sl_errf(err, "'%c' in \"%.*s\": Windows cannot hold it in a name%s", ch, (int)n, c,
                    ch == ':' ? " (':' names an NTFS stream)" : "");
            return -1;
        }
    }
    if (n > 0 && (c[n - 1] == '.' || c[n - 1] == ' ')) {
        sl_errf(err, "\"%.*s\" ends in '%c': Windows drops it and would store another name", (int)n,
                c, c[n - 1]);
        return -1;
    }
    const char *dot = memchr(c, '.', n);
    size_t stem = dot ? (size_t)(dot - c) : n;
    while (stem > 0 && c[stem - 1] == ' ')
        stem--;
    if (is_device(c, stem)) {
        sl_errf(err,
                "\"%.*s\" is the Windows device %.*s (reserved in any case, with any extension)",
                (int)n, c, (int)stem, c);
        return -1;
    }
    return 0;
}

int sl_ft_check_name_windows(const char *name, size_t len, char err[SL_ERRLEN])
{
    const char *p = name, *end = name + len;
    for (;;) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        if (check_component(p, (size_t)(stop - p), err) < 0)
            return -1;
        if (slash == NULL)
            return 0;
        p = slash + 1;
    }
}
