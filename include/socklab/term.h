/* The terminal side of the line editor (socklab/lineedit.h), shared by the
 * interactive tools: raw mode on and off, the prompt row drawn with the
 * line being typed, and text printed above that row so that what arrives
 * never clobbers what is being typed. It writes only to the descriptors
 * the tool passes, and only when the tool calls it. Not thread-safe: a
 * tool with several threads holds its own lock around these calls. */
#ifndef SOCKLAB_TERM_H
#define SOCKLAB_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "socklab/lineedit.h"
#include "socklab/platform.h"

#define SL_TERM_PROMPT_MAX 32

struct sl_term {
    int in_fd;  /* the keyboard */
    int out_fd; /* where the prompt row is drawn */
    char prompt[SL_TERM_PROMPT_MAX];
    size_t prompt_len;
    struct sl_term_sys sys; /* the system's part (termios; a Windows console) */
    bool raw;
};

/* Puts terminal IN_FD in raw mode - bytes one at a time, no echo, no
 * signals from Ctrl-C (it arrives as a key) - and remembers PROMPT (at most
 * SL_TERM_PROMPT_MAX - 1 bytes of printable text). Returns 0, or -1 with
 * errno (ENOTTY when IN_FD or OUT_FD is not a terminal).
 * On Windows the console instead: no line input and no echo
 * (SetConsoleMode), ANSI sequences on (ENABLE_VIRTUAL_TERMINAL_PROCESSING)
 * and UTF-8 output; its key events (ReadConsoleInputW) become the bytes a
 * terminal would send (socklab/console_keys.h). */
int sl_term_start(struct sl_term *t, int in_fd, int out_fd, const char *prompt);

/* Where the keys are read from while the terminal is raw, for poll() and
 * sl_read_some(): IN_FD on POSIX; on Windows, where only sockets can be
 * polled, a socket that a thread, started by the first call, fills with
 * the console's keys (it fails or reads 0 once sl_term_stop() ran). Call
 * it when the tool starts reading keys, after any --step pause: until
 * then the console's keys are left for the pause to read. Returns the fd,
 * or -1 with errno. */
int sl_term_keys_fd(struct sl_term *t);

/* Clears the prompt row and gives the terminal its settings back. Safe to
 * call again, and when sl_term_start() failed. */
void sl_term_stop(struct sl_term *t);

/* Draws the prompt and the part of LE's line that fits the width, and puts
 * the cursor where LE's cursor is. Returns 0 or -1 with errno. */
int sl_term_draw(struct sl_term *t, const struct sl_lineedit *le);

/* Writes TEXT (LEN bytes; a newline is added if it has none) to FD above
 * the prompt row, then draws the row again. Without raw mode it writes TEXT
 * alone. Returns 0 or -1 with errno. */
int sl_term_print_above(struct sl_term *t, const struct sl_lineedit *le, int fd, const char *text,
                        size_t len);

#endif
