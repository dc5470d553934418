/* The progress bar: name, bytes, %, rate, ETA - on a terminal only. */
#include <stdio.h>
#include <string.h>

#include "ftsend.h"
#include "socklab/cli.h"
#include "socklab/runtime.h"
#include "socklab/utf8.h"

#define REDRAW_NS 200000000ULL /* 0.2 s between two frames of the bar */

static void human(double bytes, char *out, size_t len)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    snprintf(out, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

#define NAME_COLUMNS 20
#define NAME_BYTES 128 /* enough for 20 columns of any characters */

static void draw(struct progress *p, bool final)
{
    char done[32], rate[SL_RATELEN], name[SL_SANITIZED_MAX(NAME_BYTES) + NAME_COLUMNS + 1];
    double secs = (double)(sl_monotonic_ns() - p->start_ns) / 1e9;
    double bps = secs > 0 ? (double)(p->done - p->start_done) / secs : 0;
    double pct = p->size ? 100.0 * (double)p->done / (double)p->size : 100.0;
    human((double)p->done, done, sizeof done);
    sl_format_rate(p->done - p->start_done, secs, rate);
    /* Escaped: a name cannot rewrite the screen. Cut to NAME_COLUMNS
     * display columns on a character boundary (a Chinese character is two
     * columns), then padded by columns, not bytes, so the bars line up. */
    size_t len = strlen(p->name);
    size_t n = sl_sanitize_text(p->name, len < NAME_BYTES ? len : NAME_BYTES, name);
    while (n > 0 && sl_utf8_width(name, n) > NAME_COLUMNS)
        n -= sl_utf8_last_char_len(name, n);
    for (size_t w = sl_utf8_width(name, n); w < NAME_COLUMNS; w++)
        name[n++] = ' ';
    name[n] = '\0';
    int eta = bps > 0 ? (int)((double)(p->size - p->done) / bps) : 0;
    fprintf(stderr, "\r\033[K%s %10s %3.0f%% %11s  ETA %d:%02d%s", name, done, pct, rate, eta / 60,
            eta % 60, final ? "\n" : "");
}

void progress_start(struct progress *p, bool on, const char *name, uint64_t size, uint64_t offset)
{
    *p = (struct progress){.on = on,
                           .name = name,
                           .size = size,
                           .done = offset,
                           .start_done = offset,
                           .start_ns = sl_monotonic_ns()};
    p->last_ns = p->start_ns;
}

void progress_update(struct progress *p, uint64_t done)
{
    p->done = done;
    if (!p->on)
        return;
    uint64_t t = sl_monotonic_ns();
    if (t - p->last_ns >= REDRAW_NS) {
        p->last_ns = t;
        draw(p, false);
    }
}

void progress_end(struct progress *p)
{
    if (p->on)
        draw(p, true);
}
