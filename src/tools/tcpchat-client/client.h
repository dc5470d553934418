/* tcpchat-client: the main thread receives and prints (receiver.c), a
 * second thread reads the keyboard and sends (sender.c), as in the notes.
 * Both print through ui.c, which keeps the line being typed intact. */
#ifndef CHAT_CLIENT_H
#define CHAT_CLIENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "socklab/chat_proto.h" /* SL_CHAT_LINE_MAX: what the server accepts per line */
#include "socklab/err.h"
#include "socklab/lineedit.h"
#include "socklab/term.h"

#define CHAT_RECV_LINE_MAX (16 * 1024) /* server lines: a nick + sanitised text */
#define CHAT_HISTORY_MAX 100           /* lines Up/Down can recall */

struct chat_ui {
    const char *prog;
    int fd;               /* the connection */
    bool editor;          /* stdin and stdout are terminals: the line editor */
    bool decorate;        /* stdout is a terminal: timestamps, sanitising */
    bool color;           /* ... and colours (unless NO_COLOR) */
    pthread_mutex_t lock; /* terminal output and the line being typed */
    struct sl_lineedit le;
    struct sl_term term;    /* raw mode while the editor runs */
    atomic_bool input_done; /* the user is done: EOF, Ctrl-D, Ctrl-C or /quit */
};

/* ui.c */
int ui_init(struct chat_ui *ui, const char *prog, int fd);
void ui_restore(struct chat_ui *ui);
void ui_show_incoming(struct chat_ui *ui, const char *line, size_t len);
void ui_show_own(struct chat_ui *ui, const char *line, size_t len);
void ui_redraw_edit(struct chat_ui *ui);
void ui_message(struct chat_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* receiver.c: step 5 on the main thread. Returns 0 when the server closed
 * after we were done, or -1 with ERR filled. */
int receive_lines(struct chat_ui *ui, char err[SL_ERRLEN]);

/* sender.c: the input thread. */
void *send_input(void *arg);

/* We are done sending: marks input done and half-closes the connection,
 * so the server says goodbye and closes. Safe to call more than once. */
void finish_input(struct chat_ui *ui);

#endif
