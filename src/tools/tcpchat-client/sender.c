/* The input thread, as in the notes: wait for the user to type a line and
 * send it. From a pipe, lines are read as they come; on a terminal, a small
 * line editor collects the keys (the terminal is in raw mode). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "socklab/io.h"
#include "socklab/linereader.h"
#include "socklab/utf8.h"

/* Sends LINE + LF. Returns 0 or -1 (the receiver reports the failure). */
static int send_line(struct chat_ui *ui, const char *line, size_t len)
{
    char buf[SL_CHAT_LINE_MAX + 1];
    memcpy(buf, line, len);
    buf[len] = '\n';
    return sl_send_all(ui->fd, buf, len + 1);
}

static bool is_quit(const char *line, size_t len)
{
    return len >= 5 && memcmp(line, "/quit", 5) == 0 && (len == 5 || line[5] == ' ');
}

/* Sends one line the user typed or piped. Returns false when there is
 * nothing more to send: after /quit, or when the send failed. */
static bool send_input_line(struct chat_ui *ui, const char *line, size_t len)
{
    bool quit = is_quit(line, len);
    if (quit) /* first: the server's close that follows is our leaving, not its going away */
        atomic_store(&ui->input_done, true);
    return send_line(ui, line, len) == 0 && !quit;
}

/* We are done sending: half-close, so the server sees end-of-stream, says
 * goodbye, and closes; the receiver then exits. */
void finish_input(struct chat_ui *ui)
{
    atomic_store(&ui->input_done, true);
    shutdown(ui->fd, SHUT_WR);
}

static void send_piped(struct chat_ui *ui)
{
    struct sl_linereader lr;
    unsigned long lineno = 0;
    if (sl_lr_init(&lr, STDIN_FILENO, SL_CHAT_LINE_MAX) < 0)
        return;
    for (;;) {
        const char *line;
        size_t len;
        enum sl_line_status st = sl_lr_next(&lr, &line, &len);
        lineno++;
        if (st == SL_LINE_TOOLONG) {
            ui_message(ui, "input line %lu is longer than %d bytes: not sent", lineno,
                       SL_CHAT_LINE_MAX);
            continue;
        }
        if (st != SL_LINE_OK || !send_input_line(ui, line, len))
            break;
    }
    sl_lr_free(&lr);
}

/* Handles one key byte in the editor. Returns false when the user leaves. */
static bool edit_key(struct chat_ui *ui, unsigned char c, int *escape)
{
    if (*escape) { /* swallow ESC [ ... final byte (arrow keys and such) */
        if (*escape == 1 && c != '[' && c != 'O')
            *escape = 0;
        else if (*escape == 2 && c >= 0x40 && c <= 0x7E)
            *escape = 0;
        else
            *escape = 2;
        return true;
    }
    switch (c) {
    case 0x1B:
        *escape = 1;
        return true;
    case 0x03: /* Ctrl-C */
        return false;
    case 0x04: /* Ctrl-D: leave on an empty line, as a shell does */
        return ui->edit_len > 0;
    case '\r':
    case '\n': {
        pthread_mutex_lock(&ui->lock);
        char line[SL_CHAT_LINE_MAX];
        size_t len = ui->edit_len;
        memcpy(line, ui->edit, len);
        ui->edit_len = 0;
        pthread_mutex_unlock(&ui->lock);
        if (len > 0) {
            ui_show_own(ui, line, len);
            if (!send_input_line(ui, line, len))
                return false;
        }
        return true;
    }
    case 0x7F:
    case 0x08: /* backspace: a whole UTF-8 character */
        pthread_mutex_lock(&ui->lock);
        ui->edit_len -= sl_utf8_last_char_len(ui->edit, ui->edit_len);
        pthread_mutex_unlock(&ui->lock);
        break;
    case 0x15: /* Ctrl-U: clear the line */
        pthread_mutex_lock(&ui->lock);
        ui->edit_len = 0;
        pthread_mutex_unlock(&ui->lock);
        break;
    default:
        if (c < 0x20 && c != '\t')
            return true; /* other control keys do nothing */
        pthread_mutex_lock(&ui->lock);
        if (ui->edit_len < SL_CHAT_LINE_MAX)
            ui->edit[ui->edit_len++] = (char)c;
        pthread_mutex_unlock(&ui->lock);
    }
    ui_redraw_edit(ui);
    return true;
}

static void send_typed(struct chat_ui *ui)
{
    unsigned char keys[256];
    int escape = 0;
    ui_redraw_edit(ui);
    for (;;) {
        ssize_t n = sl_read_some(STDIN_FILENO, keys, sizeof keys);
        if (n <= 0)
            return;
        for (ssize_t i = 0; i < n; i++)
            if (!edit_key(ui, keys[i], &escape))
                return;
    }
}

void *send_input(void *arg)
{
    struct chat_ui *ui = arg;
    if (ui->editor)
        send_typed(ui);
    else
        send_piped(ui);
    finish_input(ui);
    return NULL;
}
