/* ftsend: the sending side of the notes' file-transfer recipe. */
#ifndef FTSEND_H
#define FTSEND_H

#include <stdbool.h>
#include <stdint.h>

#include "socklab/ft_proto.h"
#include "socklab/zerocopy.h"

#define FT_BUF (1024 * 1024)     /* for the digest of a resumed prefix */
#define SEND_PIECE SL_MAP_WINDOW /* checksummed, then sent, at a time */

/* One file to send: where it is here, and the name it gets there. */
struct send_item {
    char *path;
    char *name;
};

struct send_list {
    struct send_item *items;
    size_t n, cap;
};

/* Adds ARG: a file (sent under its base name), or with RECURSIVE a
 * directory tree (sent as DIRNAME/relative/path; symbolic links and special
 * files are skipped with a warning). Returns 0 or -1 (message printed). */
int walk_add(struct send_list *list, const char *prog, const char *arg, bool recursive);
void walk_free(struct send_list *list);

struct progress {
    bool on;
    const char *name;
    uint64_t size, done, start_done;
    uint64_t start_ns, last_ns; /* sl_monotonic_ns() */
};

void progress_start(struct progress *p, bool on, const char *name, uint64_t size, uint64_t offset);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);

/* Sends every item over FD. Prints one line per refused or failed file.
 * Returns the number of files not confirmed stored, or -1 when the
 * connection failed (ERR says why). */
int send_files(int fd, const char *prog, const struct send_list *list, const char *as,
               bool progress, char *err);

#endif
