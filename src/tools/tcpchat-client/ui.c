/* Terminal output shared by both threads. An incoming line is printed above
 * the line being typed: clear the prompt row, print the line, redraw the
 * prompt and the partial input - all under one lock, so the two threads
 * never interleave their bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "socklab/io.h"
#include "socklab/utf8.h"

#define PROMPT "> "

int ui_init(struct chat_ui *ui, const char *prog, int fd)
{
    ui->prog = prog;
    ui->fd = fd;
    atomic_init(&ui->input_done, false);
    ui->decorate = isatty(STDOUT_FILENO);
    const char *no_color = getenv("NO_COLOR");
    ui->color = ui->decorate && (no_color == NULL || no_color[0] == '\0');
    if (sl_le_init(&ui->le, SL_CHAT_LINE_MAX, CHAT_HISTORY_MAX) < 0)
        return -1;
    if (pthread_mutex_init(&ui->lock, NULL) != 0)
        return -1;
    /* On a terminal we draw the line ourselves (raw mode: no echo, keys one
     * at a time, Ctrl-C a key that leaves cleanly); piped, lines as they come. */
    ui->editor = sl_term_start(&ui->term, STDIN_FILENO, STDOUT_FILENO, PROMPT) == 0;
    return 0;
}

void ui_restore(struct chat_ui *ui)
{
    pthread_mutex_lock(&ui->lock);
    sl_term_stop(&ui->term);
    pthread_mutex_unlock(&ui->lock);
}

void ui_redraw_edit(struct chat_ui *ui)
{
    pthread_mutex_lock(&ui->lock);
    (void)sl_term_draw(&ui->term, &ui->le);
    pthread_mutex_unlock(&ui->lock);
}

/* Colour of a nick: the same nick always gets the same one of six. */
static const char *nick_color(const char *nick, size_t len)
{
    static const char *const colors[] = {"\033[31m", "\033[32m", "\033[33m",
                                         "\033[34m", "\033[35m", "\033[36m"};
    unsigned h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (unsigned char)nick[i];
    return colors[h % 6];
}

/* Formats one line for a terminal: "HH:MM " + text, coloured by kind. */
static size_t decorate(struct chat_ui *ui, const char *line, size_t len, char *out)
{
    time_t now = time(NULL);
    struct tm tm;
    size_t n = strftime(out, 16, "%H:%M ", localtime_r(&now, &tm));
    char *clean = malloc(SL_SANITIZED_MAX(len) + 1);
    if (clean == NULL)
        return n;
    /* Never trust the server with our terminal either. */
    size_t clen = sl_sanitize_text(line, len, clean);
    const char *colon = memchr(clean, ':', clen);
    const char *space = memchr(clean, ' ', clen);
    if (!ui->color) {
        memcpy(out + n, clean, clen);
        n += clen;
    } else if (clen >= 3 && (memcmp(clean, "***", 3) == 0 || memcmp(clean, "!!!", 3) == 0)) {
        const char *c = clean[0] == '*' ? "\033[2m" : "\033[1;31m";
        n += (size_t)sprintf(out + n, "%s%.*s\033[0m", c, (int)clen, clean);
    } else if (colon && (!space || colon < space)) {
        size_t nick_len = (size_t)(colon - clean);
        n += (size_t)sprintf(out + n, "%s%.*s\033[0m%.*s", nick_color(clean, nick_len),
                             (int)nick_len, clean, (int)(clen - nick_len), colon);
    } else {
        memcpy(out + n, clean, clen);
        n += clen;
    }
    free(clean);
    return n;
}

static void show(struct chat_ui *ui, const char *line, size_t len, bool own)
{
    size_t cap = SL_SANITIZED_MAX(len) + 128;
    char *out = malloc(cap);
    if (out == NULL)
        return;
    size_t n = 0;
    pthread_mutex_lock(&ui->lock);
    if (!ui->decorate) {
        memcpy(out + n, line, len); /* piped: the bytes as they came */
        n += len;
    } else if (own) {
        n += decorate(ui, "", 0, out + n);
        n += (size_t)sprintf(out + n, "%s", ui->color ? "\033[1m> \033[0m" : "> ");
        n += sl_sanitize_text(line, len, out + n);
    } else {
        n += decorate(ui, line, len, out + n);
    }
    out[n++] = '\n';
    (void)sl_term_print_above(&ui->term, &ui->le, STDOUT_FILENO, out, n);
    pthread_mutex_unlock(&ui->lock);
    free(out);
}

void ui_show_incoming(struct chat_ui *ui, const char *line, size_t len)
{
    show(ui, line, len, false);
}

void ui_show_own(struct chat_ui *ui, const char *line, size_t len)
{
    show(ui, line, len, true);
}

void ui_message(struct chat_ui *ui, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof line, "%s: ", ui->prog);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 3) /* cut by vsnprintf */
        n = (int)sizeof line - 3;
    pthread_mutex_lock(&ui->lock);
    (void)sl_term_print_above(&ui->term, &ui->le, STDERR_FILENO, line, (size_t)n);
    pthread_mutex_unlock(&ui->lock);
}
