/* Slash-command parsing and the nick rules (see command_parse.h). */
#include "command_parse.h"

#include <stdint.h>
#include <string.h>

#include "socklab/utf8.h"

static struct chat_span span(const char *ptr, size_t len)
{
    return (struct chat_span){ptr, len};
}

/* Splits S at its first ASCII space: HEAD before it, TAIL after it (empty
 * when there is none). */
static void split_at_space(struct chat_span s, struct chat_span *head, struct chat_span *tail)
{
    const char *space = memchr(s.ptr, ' ', s.len);
    size_t head_len = space ? (size_t)(space - s.ptr) : s.len;
    *head = span(s.ptr, head_len);
    *tail = space ? span(space + 1, s.len - head_len - 1) : span(s.ptr + s.len, 0);
}

static enum chat_command_kind command_kind(struct chat_span name)
{
    static const struct {
        const char *name;
        enum chat_command_kind kind;
    } known[] = {
        {"nick", CHAT_CMD_NICK}, {"who", CHAT_CMD_WHO},   {"msg", CHAT_CMD_MSG},
        {"me", CHAT_CMD_ME},     {"help", CHAT_CMD_HELP}, {"quit", CHAT_CMD_QUIT},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (name.len == strlen(known[i].name) && memcmp(name.ptr, known[i].name, name.len) == 0)
            return known[i].kind;
    return CHAT_CMD_UNKNOWN;
}

void chat_parse_command(const char *line, size_t len, struct chat_command *cmd)
{
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = CHAT_CMD_UNKNOWN;
    if (len == 0 || line[0] != '/') {
        cmd->name = cmd->arg = cmd->target = cmd->text = span(line, 0);
        return;
    }
    split_at_space(span(line + 1, len - 1), &cmd->name, &cmd->arg);
    while (cmd->arg.len > 0 && cmd->arg.ptr[cmd->arg.len - 1] == ' ')
        cmd->arg.len--; /* "/nick bob " means bob */
    cmd->kind = command_kind(cmd->name);
    /* Only an ASCII space separates NICK from the text, which may hold any
     * character: "/msg alice 你好　世界" (U+3000 inside) is for alice. */
    split_at_space(cmd->arg, &cmd->target, &cmd->text);
}

/* Why the character CP cannot be in a nick, or NULL. */
static const char *forbidden_in_nick(uint32_t cp)
{
    if (sl_unicode_is_white_space(cp))
        return "white space";
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
        return "control characters";
    if (sl_unicode_is_bidi_control(cp))
        return "bidi control characters";
    if (sl_unicode_is_zero_width(cp))
        return "zero-width characters";
    return NULL;
}

/* True when NICK starts like a line only the server sends ("*** notice",
 * "!!! error", "[private] ..."): a user called "!!!" would be shown in
 * tcpchat-client's server colours. */
static int looks_like_server(const char *nick, size_t len)
{
    static const char *const markers[] = {"***", "!!!", "["};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++) {
        size_t n = strlen(markers[i]);
        if (len >= n && memcmp(nick, markers[i], n) == 0)
            return 1;
    }
    return 0;
}

const char *chat_nick_problem(const char *nick, size_t len)
{
    if (len == 0)
        return "empty";
    if (len > CHAT_NICK_MAX_BYTES)
        return "longer than 32 characters";
    size_t chars = 0;
    for (size_t i = 0; i < len; chars++) {
        uint32_t cp;
        size_t n = sl_utf8_decode(nick + i, len - i, &cp);
        if (n == 0)
            return "invalid UTF-8";
        const char *why = forbidden_in_nick(cp);
        if (why)
            return why;
        i += n;
    }
    if (chars > CHAT_NICK_MAX_CHARS)
        return "longer than 32 characters";
    if (looks_like_server(nick, len))
        return "starts like a server line: ***, !!! or [";
    return NULL;
}
