/* ftrecv: the receiving side of the notes' file-transfer recipe. */
#ifndef FTRECV_H
#define FTRECV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "socklab/ft_proto.h"
#include "socklab/server.h"
#include "socklab/trace.h"

#define FT_BUF (1024 * 1024)   /* data buffer per connection */
#define CRC_STEP (1024 * 1024) /* received data checksummed from the page cache */

struct ftrecv {
    const char *prog;
    struct sl_trace trace;
    int dirfd; /* DIR: every file is created relative to it */
    bool overwrite;
    bool quiet;
    uint64_t max_size; /* 0: no limit */
    bool verbose;
    bool per_sender; /* --per-sender: DIR/<name or address>/ per sender */
    int logfd;       /* DIR/.ftrecv.log, the hand-in log, or -1 */
    pthread_mutex_t log_lock;
    atomic_int last_status; /* receive_files()'s result for the last sender (--once) */
};

/* Who sends, for --per-sender and the hand-in log (handin.c). */
#define HANDIN_NAME_MAX SL_FT_SENDER_NAME_MAX
struct handin_sender {
    const char *peer;                                 /* "[::1]:50000" */
    char as[HANDIN_NAME_MAX + 1];                     /* ftsend --as NAME, or "" */
    char subdir[HANDIN_NAME_MAX + SL_ADDRSTRLEN + 1]; /* under DIR, "" without --per-sender */
    int root;                                         /* where its files go; -1: not yet known */
};

/* Opens DIR/.ftrecv.log for appending (its column line when new). 0 or -1. */
int handin_open_log(struct ftrecv *r, char err[SL_ERRLEN]);

/* Takes NAME (from SENDER) as WHO's name: one plain, safe component of at
 * most HANDIN_NAME_MAX bytes. 0, or -1 with ERR. */
int handin_set_name(struct handin_sender *who, const char *name, size_t len, char err[SL_ERRLEN]);

/* The directory WHO's files go to: DIR, or with --per-sender DIR/<name or
 * address> (made if needed, never through a symlink). The fd, or -1 with
 * *CODE and ERR for a refusal. */
int handin_root(struct ftrecv *r, struct handin_sender *who, int *code, char err[SL_ERRLEN]);
void handin_sender_free(struct ftrecv *r, struct handin_sender *who);

/* One line of the hand-in log for a file stored as STORED (relative to
 * WHO's directory). */
void handin_log_stored(struct ftrecv *r, const struct handin_sender *who, const char *stored,
                       uint64_t bytes, uint32_t crc, bool resumed);

/* --list-partial (CLEAN_DAYS < 0) or --clean-partial CLEAN_DAYS: prints or
 * removes the .ftpart- files under DIR; returns the exit status. */
int handin_partials(const char *prog, const char *dir, int clean_days);

/* Serves one sender on CONN until it is done. Returns 0 when every file
 * it sent was stored, -1 otherwise. */
int receive_files(struct ftrecv *r, struct sl_conn *conn);

/* A file being received into DIR: a temporary file beside its final name. */
struct ft_target {
    int dirfd; /* the directory that will hold the file */
    int fd;    /* the temporary file */
    char base[SL_FT_COMPONENT_MAX + 1];
    char tmp[64];                 /* ".ftpart-<hash>": the same file keeps the same name */
    char dir[SL_FT_NAME_MAX + 1]; /* the directory part of the name, "" or "a/b/" */
    uint64_t offset;              /* bytes already there from an interrupted transfer */
    int root;                     /* the receiving directory (not owned) */
    int created;                  /* where in DIR the directories this file made begin, or -1 */
};

/* Opens (or resumes) the temporary file for H under ROOT. Returns 0, or -1
 * with *CODE and ERR saying why it is refused. */
int store_open(int root, const struct sl_ft_header *h, struct ft_target *t, int *code, char *err);

/* The file already stored under H's final name, if it is a regular file
 * of H's size: its fd (read-only), else -1. */
int store_open_stored(const struct ft_target *t, const struct sl_ft_header *h);

/* Empties the partial file, to receive the whole file. Returns 0 or -1. */
int store_restart(struct ft_target *t);

/* Applies mode and mtime, fsyncs, and gives the file its final name: a free
 * one ("name.1.ext", ...) unless OVERWRITE. Only the inode T wrote gets
 * it: a temporary name swapped meanwhile is a failure. STORED gets the name
 * used. Returns 0 or -1 with ERR. */
int store_finish(struct ft_target *t, const struct sl_ft_header *h, bool overwrite, char *stored,
                 size_t storedlen, char *err);

/* Gives up: keeps the partial file for a later resume, or deletes it. */
void store_abort(struct ft_target *t, bool keep);

#endif
