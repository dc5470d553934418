/* The slash commands: /nick /who /msg /me /quit /help. */
#include <stdio.h>
#include <string.h>

#include "chat.h"
#include "socklab/utf8.h"

const char *chat_nick_problem(const char *nick, size_t len)
{
    char clean[SL_SANITIZED_MAX(CHAT_NICK_MAX_BYTES)];
    if (len == 0)
        return "empty";
    if (len > CHAT_NICK_MAX_BYTES)
        return "longer than 32 characters";
    /* Sanitising changes nothing only for valid UTF-8 without controls. */
    if (sl_sanitize_text(nick, len, clean) != len || memcmp(clean, nick, len) != 0)
        return "control characters or invalid UTF-8";
    if (memchr(nick, ' ', len) || memchr(nick, '\t', len) || strstr(nick, "\xE3\x80\x80") ||
        strstr(nick, "\xC2\xA0"))
        return "spaces";
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += ((unsigned char)nick[i] & 0xC0) != 0x80;
    if (chars > CHAT_NICK_MAX_CHARS)
        return "longer than 32 characters";
    return NULL;
}

static void cmd_nick(struct chat_client *c, const char *arg, size_t len)
{
    char nick[CHAT_NICK_MAX_BYTES + 1], old[CHAT_NICK_MAX_BYTES + 1];
    const char *problem = chat_nick_problem(arg, len);
    if (problem) {
        room_tell(c, "!!! invalid nick (%s): use 1-32 characters, no spaces or control characters",
                  problem);
        return;
    }
    memcpy(nick, arg, len);
    nick[len] = '\0';
    if (room_rename(c->room, c, nick, old, sizeof old) < 0) {
        room_tell(c, "!!! nick %s is taken", nick);
        return;
    }
    room_tell(c, "*** you are now known as %s", nick);
    room_announce(c->room, c, false, "*** %s is now known as %s", old, nick);
}

static void cmd_msg(struct chat_client *c, const char *arg, size_t len)
{
    const char *space = memchr(arg, ' ', len);
    if (space == NULL || space == arg || space + 1 == arg + len) {
        room_tell(c, "!!! usage: /msg NICK text");
        return;
    }
    char target[CHAT_NICK_MAX_BYTES + 1];
    size_t tlen = (size_t)(space - arg);
    const char *text = space + 1;
    size_t textlen = len - tlen - 1;
    if (chat_nick_problem(arg, tlen)) {
        room_tell(c, "!!! no such nick");
        return;
    }
    memcpy(target, arg, tlen);
    target[tlen] = '\0';

    char line[CHAT_NICK_MAX_BYTES + 16 + SL_SANITIZED_MAX(SL_CHAT_LINE_MAX) + 1];
    size_t n = (size_t)snprintf(line, sizeof line, "[private] %s: ", c->nick);
    size_t start = n;
    n += sl_sanitize_text(text, textlen, line + n);
    line[n++] = '\n';
    if (room_send_to(c->room, target, line, n) < 0)
        room_tell(c, "!!! no such nick: %s", target);
    else
        room_tell(c, "[private to %s] %.*s", target, (int)(n - start - 1), line + start);
}

static void cmd_me(struct chat_client *c, const char *arg, size_t len)
{
    char line[CHAT_NICK_MAX_BYTES + 4 + SL_SANITIZED_MAX(SL_CHAT_LINE_MAX) + 1];
    if (len == 0) {
        room_tell(c, "!!! usage: /me action");
        return;
    }
    size_t n = (size_t)snprintf(line, sizeof line, "* %s ", c->nick);
    n += sl_sanitize_text(arg, len, line + n);
    line[n++] = '\n';
    room_broadcast(c->room, c, line, n);
}

static void cmd_help(struct chat_client *c)
{
    static const char *const help[] = {
        "*** commands:",
        "***   /nick NAME     change your nick (1-32 characters, no spaces)",
        "***   /who           list who is here",
        "***   /msg NICK text send text to NICK only",
        "***   /me action     say what you do: * nick action",
        "***   /quit [reason] leave",
        "***   /help          this list",
        "*** any other line goes to everyone; start it with // to send a leading /",
    };
    for (size_t i = 0; i < sizeof help / sizeof help[0]; i++)
        room_tell(c, "%s", help[i]);
}

bool chat_command(struct chat_client *c, const char *line, size_t len)
{
    const char *name = line + 1, *end = line + len;
    const char *space = memchr(name, ' ', (size_t)(end - name));
    size_t name_len = (size_t)((space ? space : end) - name);
    const char *arg = space ? space + 1 : end;
    size_t arg_len = (size_t)(end - arg);

    while (arg_len > 0 && arg[arg_len - 1] == ' ')
        arg_len--; /* "/nick bob " means bob */
#define IS(cmd) (name_len == sizeof(cmd) - 1 && memcmp(name, cmd, name_len) == 0)
    if (IS("nick"))
        cmd_nick(c, arg, arg_len);
    else if (IS("who"))
        room_who(c->room, c);
    else if (IS("msg"))
        cmd_msg(c, arg, arg_len);
    else if (IS("me"))
        cmd_me(c, arg, arg_len);
    else if (IS("help"))
        cmd_help(c);
    else if (IS("quit")) {
        /* 80 bytes at most: sanitised that is 240 < sizeof quit_reason. */
        size_t n = sl_sanitize_text(arg, arg_len < 80 ? arg_len : 80, c->quit_reason);
        c->quit_reason[n] = '\0';
        room_tell(c, "*** bye");
        return false;
    } else {
        char shown[SL_SANITIZED_MAX(32) + 1];
        size_t n = sl_sanitize_text(name, name_len < 32 ? name_len : 32, shown);
        shown[n] = '\0';
        room_tell(c, "!!! unknown command: /%s (try /help)", shown);
    }
#undef IS
    return true;
}
