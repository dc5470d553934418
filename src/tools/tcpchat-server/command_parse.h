/* Parsing the slash commands, apart from what they do to the room: pure
 * functions of the line's bytes, so a fuzzer can feed them anything.
 *
 * Safety model: a line is LEN bytes anywhere (usually inside the line
 * reader's buffer), with no NUL after it and possibly NULs inside. Nothing
 * here may look at LINE[LEN] or beyond, and every span handed back lies
 * inside LINE[0..LEN): use the spans' lengths, never str* functions. */
#ifndef CHAT_COMMAND_PARSE_H
#define CHAT_COMMAND_PARSE_H

#include <stddef.h>

#define CHAT_NICK_MAX_CHARS 32 /* characters, not bytes */
#define CHAT_NICK_MAX_BYTES (CHAT_NICK_MAX_CHARS * 4)

enum chat_command_kind {
    CHAT_CMD_UNKNOWN, /* also a line that does not start with '/' */
    CHAT_CMD_NICK,
    CHAT_CMD_WHO,
    CHAT_CMD_MSG,
    CHAT_CMD_ME,
    CHAT_CMD_HELP,
    CHAT_CMD_QUIT,
};

struct chat_span {
    const char *ptr;
    size_t len;
};

struct chat_command {
    enum chat_command_kind kind;
    struct chat_span name; /* the word after '/', up to the first ASCII space */
    struct chat_span arg;  /* the rest after that space, trailing spaces dropped */
    /* /msg only: ARG split at its first ASCII space. TARGET or TEXT is
     * empty when the line does not hold both ("/msg bob"). */
    struct chat_span target, text;
};

/* Parses LINE[0..LEN), a line that starts with '/'. Never fails: what is
 * not a known command is CHAT_CMD_UNKNOWN. */
void chat_parse_command(const char *line, size_t len, struct chat_command *cmd);

/* Checks a nick NICK[0..LEN): 1-32 characters of valid UTF-8 with no
 * control, white-space (any Unicode White_Space, e.g. U+3000), bidi or
 * zero-width character, not starting with a server marker ("***", "!!!",
 * "[") so nobody can pass for the server. Returns NULL if fine, else why
 * not. */
const char *chat_nick_problem(const char *nick, size_t len);

#endif
