/* The input thread, as in the notes: wait for the user to type a line and
 * send it. From a pipe, lines are read as they come; on a terminal, the
 * library's line editor collects the keys (the terminal is in raw mode). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "socklab/io.h"
#include "socklab/linereader.h"

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

/* Acts on what one key did. Returns false when the user leaves. */
static bool after_key(struct chat_ui *ui, enum sl_le_event ev, const char *line, size_t len,
                      size_t refused)
{
    switch (ev) {
    case SL_LE_LINE:
        if (len == 0)
            return true;
        ui_show_own(ui, line, len);
        return send_input_line(ui, line, len);
    case SL_LE_TOO_LONG: /* said at once: a paste may not end with Enter */
        ui_message(ui, "line too long (over %d bytes): it will not be sent; Ctrl-U clears it",
                   SL_CHAT_LINE_MAX);
        return true;
    case SL_LE_REFUSED:
        ui_message(ui, "line too long (%zu bytes, over %d): not sent", refused, SL_CHAT_LINE_MAX);
        return true;
    case SL_LE_EOF:
    case SL_LE_INTERRUPT:
        return false;
    default:
        return true;
    }
}

/* Feeds keys to the line editor. Returns false when the user leaves. */
static bool edit_keys(struct chat_ui *ui, const unsigned char *keys, size_t n)
{
    bool redraw = false;
    for (size_t i = 0; i < n; i++) {
        char line[SL_CHAT_LINE_MAX];
        size_t len = 0;
        pthread_mutex_lock(&ui->lock);
        enum sl_le_event ev = sl_le_key(&ui->le, keys[i]);
        if (ev == SL_LE_LINE) {
            const char *done = sl_le_done_line(&ui->le, &len);
            memcpy(line, done, len);
        }
        size_t refused = ui->le.refused_len;
        pthread_mutex_unlock(&ui->lock);
        redraw |= ev == SL_LE_CHANGED;
        /* The line goes out unlocked: a slow server never holds up the display. */
        if (!after_key(ui, ev, line, len, refused))
            return false;
    }
    if (redraw)
        ui_redraw_edit(ui);
    return true;
}

static void send_typed(struct chat_ui *ui)
{
    unsigned char keys[4096];
    pthread_mutex_lock(&ui->lock);
    int in = sl_term_keys_fd(&ui->term); /* Windows: the console's keys from here on */
    pthread_mutex_unlock(&ui->lock);
    if (in < 0)
        return;
    ui_redraw_edit(ui);
    for (;;) {
        ssize_t n = sl_read_some(in, keys, sizeof keys);
        if (n <= 0 || !edit_keys(ui, keys, (size_t)n))
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
