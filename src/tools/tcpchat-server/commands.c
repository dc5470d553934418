/* The slash commands' effects on the room: /nick /who /msg /me /quit
 * /help. Parsing them is command_parse.c's. */
#include <stdio.h>
#include <string.h>

#include "chat.h"
#include "socklab/utf8.h"

static void cmd_nick(struct chat_client *c, struct chat_span arg)
{
    char nick[CHAT_NICK_MAX_BYTES + 1], old[CHAT_NICK_MAX_BYTES + 1];
    const char *problem = chat_nick_problem(arg.ptr, arg.len);
    if (problem) {
        room_tell(c,
                  "!!! invalid nick (%s): use 1-32 characters without spaces, control, bidi or "
                  "zero-width characters, not starting with ***, !!! or [",
                  problem);
        return;
    }
    memcpy(nick, arg.ptr, arg.len);
    nick[arg.len] = '\0';
    if (room_rename(c->room, c, nick, old, sizeof old) < 0) {
        room_tell(c, "!!! nick %s is taken", nick);
        return;
    }
    room_tell(c, "*** you are now known as %s", nick);
    room_announce(c->room, c, false, "*** %s is now known as %s", old, nick);
}

static void cmd_msg(struct chat_client *c, struct chat_span to, struct chat_span text)
{
    if (to.len == 0 || text.len == 0) {
        room_tell(c, "!!! usage: /msg NICK text");
        return;
    }
    if (chat_nick_problem(to.ptr, to.len)) {
        room_tell(c, "!!! no such nick");
        return;
    }
    char target[CHAT_NICK_MAX_BYTES + 1];
    memcpy(target, to.ptr, to.len);
    target[to.len] = '\0';

    char line[CHAT_NICK_MAX_BYTES + 16 + SL_SANITIZED_MAX(SL_CHAT_LINE_MAX) + 1];
    size_t n = (size_t)snprintf(line, sizeof line, "[private] %s: ", c->nick);
    size_t start = n;
    n += sl_sanitize_text(text.ptr, text.len, line + n);
    line[n++] = '\n';
    if (room_send_to(c->room, c, target, line, n) < 0)
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
    struct chat_command cmd;
    chat_parse_command(line, len, &cmd);
    switch (cmd.kind) {
    case CHAT_CMD_NICK:
        cmd_nick(c, cmd.arg);
        break;
    case CHAT_CMD_WHO:
        room_who(c->room, c);
        break;
    case CHAT_CMD_MSG:
        cmd_msg(c, cmd.target, cmd.text);
        break;
    case CHAT_CMD_ME:
        cmd_me(c, cmd.arg.ptr, cmd.arg.len);
        break;
    case CHAT_CMD_HELP:
        cmd_help(c);
        break;
    case CHAT_CMD_QUIT: {
        /* 80 bytes at most: sanitised that is 240 < sizeof quit_reason. */
        size_t n =
            sl_sanitize_text(cmd.arg.ptr, cmd.arg.len < 80 ? cmd.arg.len : 80, c->quit_reason);
        c->quit_reason[n] = '\0';
        room_tell(c, "*** bye");
        return false;
    }
    case CHAT_CMD_UNKNOWN: {
        char shown[SL_SANITIZED_MAX(32) + 1];
        size_t n = sl_sanitize_text(cmd.name.ptr, cmd.name.len < 32 ? cmd.name.len : 32, shown);
        shown[n] = '\0';
        room_tell(c, "!!! unknown command: /%s (try /help)", shown);
        break;
    }
    }
    return true;
}
