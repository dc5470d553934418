/* Homework hand-in, as a teacher needs it:
 *   - --per-sender: each sender's files go to a directory of its own under
 *     DIR, named after the name it gives (ftsend --as NAME) or else its
 *     address; made and opened like every other directory here (relative
 *     to DIR, never through a link: a planted symlink leads nowhere);
 *   - the hand-in log DIR/.ftrecv.log: one CSV line per stored file (time,
 *     sender address, name given, stored path, bytes, CRC-32C, resumed) that
 *     opens in a spreadsheet; one write() per line, appended;
 *   - the partial files (.ftpart-*) stay hidden from ls, and
 *     --list-partial / --clean-partial DAYS show and remove old ones
 *     (skipping those a transfer holds locked right now). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ftrecv.h"
#include "socklab/socklab.h"

#define LOG_NAME ".ftrecv.log"
#define LOG_COLUMNS "time,sender,as,stored,bytes,crc32c,resumed\n"

int handin_open_log(struct ftrecv *r, char err[SL_ERRLEN])
{
    r->logfd = sl_file_open_at(r->dirfd, LOG_NAME, SL_OPEN_APPEND);
    if (r->logfd < 0) {
        snprintf(err, SL_ERRLEN, "%s: %s", LOG_NAME, SL_STRERROR(errno));
        return -1;
    }
    struct sl_file_stat st;
    if (sl_file_stat(r->logfd, &st) == 0 && st.kind == SL_PATH_FILE && st.size == 0)
        (void)sl_write_all(r->logfd, LOG_COLUMNS, sizeof LOG_COLUMNS - 1);
    return pthread_mutex_init(&r->log_lock, NULL) == 0 ? 0 : -1;
}

/* Writes TEXT to OUT as one CSV field: quoted, quotes doubled. OUT must
 * hold 2 * strlen(TEXT) + 2 bytes (every character a quote, at worst). */
static size_t csv_field(char *out, const char *text)
{
    size_t n = 0;
    out[n++] = '"';
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            out[n++] = '"';
        out[n++] = *p;
    }
    out[n++] = '"';
    return n;
}

/* The host part of "[::1]:5000" or "127.0.0.1:5000". */
static void peer_host(const char *peer, char *host, size_t cap)
{
    const char *colon = strrchr(peer, ':');
    size_t len = colon ? (size_t)(colon - peer) : strlen(peer);
    if (len >= 2 && peer[0] == '[' && peer[len - 1] == ']')
        peer++, len -= 2;
    snprintf(host, cap, "%.*s", (int)len, peer);
}

/* NOW as "2026-12-01T10:21:29+0800". The offset is worked out from the
 * local and UTC fields rather than strftime's %z, which the Windows C
 * runtime prints as the zone's name (or not at all); not with mktime(),
 * which resets the time zone under other threads' localtime_r. */
static void local_time_iso(time_t now, char *out, size_t cap)
{
    struct tm local, utc;
    localtime_r(&now, &local);
    gmtime_r(&now, &utc);
    long days = local.tm_year == utc.tm_year  ? local.tm_yday - utc.tm_yday
                : local.tm_year > utc.tm_year ? 1
                                              : -1; /* across New Year */
    long off = (days * 24 + local.tm_hour - utc.tm_hour) * 60 + local.tm_min - utc.tm_min;
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &local);
    snprintf(out + n, cap - n, "%c%02ld%02ld", off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

/* A sender's directory named after its address: the host part, and where
 * the system cannot hold that (':' on Windows, in IPv6), with '-' for ':'. */
static void address_subdir(const char *peer, char *out, size_t cap)
{
    char err[SL_ERRLEN];
    peer_host(peer, out, cap);
    if (sl_platform_check_name(out, strlen(out), err) == 0)
        return;
    for (char *p = out; *p; p++)
        if (*p == ':')
            *p = '-';
}

void handin_log_stored(struct ftrecv *r, const struct handin_sender *who, const char *stored,
                       uint64_t bytes, uint32_t crc, bool resumed)
{
    char when[32], host[SL_ADDRSTRLEN], path[sizeof who->subdir + 1 + SL_FT_STORED_MAX + 1];
    /* Sized for the worst case - every character of every field a quote -
     * so no line is ever cut. */
    char line[sizeof when + 2 * (sizeof host + sizeof who->as + sizeof path) + 64];
    if (r->logfd < 0)
        return;
    local_time_iso(time(NULL), when, sizeof when);
    peer_host(who->peer, host, sizeof host);
    snprintf(path, sizeof path, "%s%s%s", who->subdir, who->subdir[0] ? "/" : "", stored);
    size_t n = (size_t)snprintf(line, sizeof line, "%s,", when);
    n += csv_field(line + n, host);
    line[n++] = ',';
    n += csv_field(line + n, who->as);
    line[n++] = ',';
    n += csv_field(line + n, path);
    n += (size_t)snprintf(line + n, sizeof line - n, ",%llu,%08x,%s\n", (unsigned long long)bytes,
                          (unsigned)crc, resumed ? "yes" : "no");
    pthread_mutex_lock(&r->log_lock); /* whole lines, in the order they were stored */
    (void)sl_write_all(r->logfd, line, n);
    pthread_mutex_unlock(&r->log_lock);
}

int handin_set_name(struct handin_sender *who, const char *name, size_t len, char err[SL_ERRLEN])
{
    if (len > HANDIN_NAME_MAX) {
        snprintf(err, SL_ERRLEN, "sender name longer than %d bytes", HANDIN_NAME_MAX);
        return -1;
    }
    if (sl_ft_check_name(name, len, err) < 0 || sl_platform_check_name(name, len, err) < 0)
        return -1;
    if (memchr(name, '/', len) || name[0] == '.') {
        snprintf(err, SL_ERRLEN, "a sender name is one plain component (no '/', no leading '.')");
        return -1;
    }
    memcpy(who->as, name, len);
    who->as[len] = '\0';
    return 0;
}

int handin_root(struct ftrecv *r, struct handin_sender *who, int *code, char err[SL_ERRLEN])
{
    if (who->root >= 0)
        return who->root;
    if (!r->per_sender)
        return who->root = r->dirfd;
    if (who->as[0])
        snprintf(who->subdir, sizeof who->subdir, "%s", who->as);
    else
        address_subdir(who->peer, who->subdir, sizeof who->subdir);
    if (sl_dir_make_at(r->dirfd, who->subdir) < 0 && errno != EEXIST)
        goto fail;
    who->root = sl_dir_open_at(r->dirfd, who->subdir);
    if (who->root >= 0)
        return who->root;
fail:;
    int e = errno;
    struct sl_file_stat st;
    bool link = sl_file_stat_at(r->dirfd, who->subdir, &st) == 0 && st.link;
    *code = link || e == ENOTDIR ? SL_FT_E_NAME : SL_FT_E_IO;
    snprintf(err, SL_ERRLEN, "cannot use the sender's directory %s: %s", who->subdir,
             link ? "it is a symbolic link" : SL_STRERROR(e));
    return -1;
}

void handin_sender_free(struct ftrecv *r, struct handin_sender *who)
{
    if (who->root >= 0 && who->root != r->dirfd)
        close(who->root);
    who->root = -1;
}

/* --list-partial / --clean-partial: one walk through directory handles,
 * never following a link, never leaving DIR's file system. */
struct partial_walk {
    time_t cutoff; /* remove those older than this (0: list only) */
    uint64_t dev;  /* DIR's file system */
    unsigned long found, removed;
};

#define PARTIAL_DEPTH_MAX 128

/* One .ftpart- file NAME in DIR (shown as PATH): listed, or removed when
 * old enough and not being written right now (its lock free). */
static void visit_partial(struct partial_walk *w, int dir, const char *name, const char *path,
                          const struct sl_file_stat *st)
{
    w->found++;
    double age_h = difftime(time(NULL), (time_t)st->mtime) / 3600;
    if (w->cutoff == 0) {
        printf("%8.1f h  %12llu bytes  %s\n", age_h, (unsigned long long)st->size, path);
        return;
    }
    if ((time_t)st->mtime >= w->cutoff)
        return;
    int fd = sl_file_open_at(dir, name, SL_OPEN_READ);
    if (fd < 0)
        return;
    if (sl_file_lock(fd) == 0 && sl_file_remove_at(dir, name) == 0) {
        w->removed++;
        printf("removed %s (%.1f days old)\n", path, age_h / 24);
    }
    close(fd);
}

static void walk_partials(struct partial_walk *w, int dir, const char *path, int depth)
{
    char **names;
    size_t n;
    if (depth > PARTIAL_DEPTH_MAX || sl_dir_names_at(dir, &names, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct sl_file_stat st;
        size_t len = strlen(path) + 1 + strlen(names[i]) + 1;
        char *sub = malloc(len);
        if (sub != NULL && sl_file_stat_at(dir, names[i], &st) == 0 && !st.link) {
            snprintf(sub, len, "%s/%s", path, names[i]);
            if (st.kind == SL_PATH_DIR && st.dev == w->dev) {
                int d = sl_dir_open_at(dir, names[i]);
                if (d >= 0) {
                    walk_partials(w, d, sub, depth + 1);
                    close(d);
                }
            } else if (st.kind == SL_PATH_FILE && strncmp(names[i], ".ftpart-", 8) == 0) {
                visit_partial(w, dir, names[i], sub, &st);
            }
        }
        free(sub);
        free(names[i]);
    }
    free(names);
}

int handin_partials(const char *prog, const char *dir, int clean_days)
{
    struct partial_walk w = {.cutoff =
                                 clean_days >= 0 ? time(NULL) - (time_t)clean_days * 86400 : 0};
    if (clean_days == 0)
        w.cutoff = time(NULL) + 1; /* 0 days: every one not in use */
    struct sl_file_stat st;
    int fd = sl_dir_open(dir);
    if (fd < 0 || sl_file_stat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return sl_cli_fail(prog, "%s: %s", dir, SL_STRERROR(e));
    }
    w.dev = st.dev;
    walk_partials(&w, fd, dir, 0);
    close(fd);
    if (clean_days >= 0)
        printf("%lu partial files, %lu removed\n", w.found, w.removed);
    else if (w.found == 0)
        printf("no partial files in %s\n", dir);
    fflush(stdout);
    return SL_EXIT_OK;
}
