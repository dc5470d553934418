/* fuzz-sources: src/tools/tcpchat-server/command_parse.c src/lib/utf8.c */
/* libFuzzer harness: the chat command parser gets whole arbitrary lines,
 * as the line reader hands them over - not NUL-terminated. Each line and
 * each span handed to the nick check sits in an exactly sized malloc, so
 * ASan catches any read past its length (strstr() on a nick did). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socklab/utf8.h"
#include "tools/tcpchat-server/command_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *exact_copy(const char *p, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    if (len)
        memcpy(copy, p, len);
    return copy;
}

static void check_inside(struct chat_span s, const char *line, size_t len)
{
    if (s.ptr < line || s.ptr > line + len || s.len > (size_t)(line + len - s.ptr))
        abort();
}

/* What chat_nick_problem() accepts must really follow the rules. */
static void check_nick_rules(const char *nick, size_t len)
{
    if (len == 0 || len > CHAT_NICK_MAX_BYTES)
        abort();
    size_t chars = 0;
    for (size_t i = 0; i < len; chars++) {
        uint32_t cp;
        size_t n = sl_utf8_decode(nick + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || sl_unicode_is_white_space(cp) ||
            sl_unicode_is_bidi_control(cp) || sl_unicode_is_zero_width(cp))
            abort();
        i += n;
    }
    if (chars > CHAT_NICK_MAX_CHARS || nick[0] == '[' ||
        (len >= 3 && (memcmp(nick, "***", 3) == 0 || memcmp(nick, "!!!", 3) == 0)))
        abort();
}

/* Runs the nick check on S copied into its own exact buffer. */
static void check_nick(struct chat_span s)
{
    char *nick = exact_copy(s.ptr, s.len);
    if (chat_nick_problem(nick, s.len) == NULL)
        check_nick_rules(nick, s.len);
    free(nick);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = exact_copy((const char *)data, size);
    struct chat_command cmd;
    chat_parse_command(line, size, &cmd);

    check_inside(cmd.name, line, size);
    check_inside(cmd.arg, line, size);
    check_inside(cmd.target, line, size);
    check_inside(cmd.text, line, size);
    if (memchr(cmd.name.ptr, ' ', cmd.name.len) || memchr(cmd.target.ptr, ' ', cmd.target.len))
        abort(); /* both end at the first ASCII space */
    if (cmd.arg.len > 0 && cmd.arg.ptr[cmd.arg.len - 1] == ' ')
        abort();
    /* /msg: TARGET, one space, TEXT is ARG again, byte for byte. */
    if (cmd.text.len > 0 &&
        (cmd.target.ptr != cmd.arg.ptr || cmd.text.ptr != cmd.arg.ptr + cmd.target.len + 1 ||
         cmd.target.len + 1 + cmd.text.len != cmd.arg.len))
        abort();
    if (cmd.kind != CHAT_CMD_UNKNOWN && (size == 0 || line[0] != '/'))
        abort();

    /* The server checks /nick's argument and /msg's target. */
    check_nick(cmd.arg);
    check_nick(cmd.target);
    free(line);
    return 0;
}
