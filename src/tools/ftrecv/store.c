/* Storing a received file without ever writing outside DIR, and without a
 * half file under a final name:
 *   - every directory is opened relative to its parent without following a
 *     link (the platform layer's sl_dir_open_at: O_NOFOLLOW; on Windows no
 *     reparse point), so a symlink or junction planted inside DIR leads
 *     nowhere;
 *   - data goes to a hidden temporary file beside the final name, created
 *     exclusively (or reopened, for a resume, only if it is a plain file of
 *     ours), locked (flock, LockFileEx) so that two senders cannot write it
 *     at once;
 *   - a partial file left by an interrupted transfer is resumed only from a
 *     prefix whose SHA-256 equals the sender's own (receive.c asks): a
 *     classmate offering the same name, size and mtime cannot plant the
 *     start of someone else's file;
 *   - it is fsync'd and verified before it gets its final name, with
 *     a new link (fails if the name exists: no silent overwrite) or a rename
 *     (--overwrite: atomic replace);
 *   - anyone who can write in DIR can swap the temporary name for a link or
 *     a file of their own: the final name is linked from our open file
 *     where the system can (/proc/self/fd), and checked to lead to it, so
 *     it only ever receives the inode that was written and verified - else
 *     the file FAILED. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ftrecv.h"
#include "socklab/crc32c.h"

/* FNV-1a over name, size and mtime: the same file gets the same temporary
 * name, so an interrupted transfer can be found and resumed. */
static uint64_t file_key(const struct sl_ft_header *h)
{
    /* FNV-1a's offset basis and prime, as docs/protocol.md spells them
     * (the test suite computes the name from the document). */
    uint64_t x = 0xcbf29ce484222325ULL;
    const unsigned char *p = (const unsigned char *)h->name;
    for (size_t i = 0; i < h->name_len; i++)
        x = (x ^ p[i]) * 0x100000001b3ULL;
    x = (x ^ h->size) * 0x100000001b3ULL;
    x = (x ^ (uint64_t)h->mtime) * 0x100000001b3ULL;
    return x;
}

/* Opens, creating as needed, the directories of NAME under ROOT; returns
 * an fd for the last one and leaves its final component in BASE. *CREATED
 * is where in DIR the first directory this call made begins (-1: none). */
static int open_parent(int root, const char *name, char *base, char *dir, int *created, int *code,
                       char *err)
{
    *created = -1;
    int cur = dup(root);
    if (cur < 0) { /* out of descriptors: still a refusal the sender can read */
        *code = SL_FT_E_IO;
        snprintf(err, SL_ERRLEN, "cannot open the receiving directory: %s", SL_STRERROR(errno));
        return -1;
    }
    const char *p = name;
    size_t dirlen = 0;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (slash == NULL) {
            snprintf(base, SL_FT_COMPONENT_MAX + 1, "%s", p);
            dir[dirlen] = '\0';
            return cur;
        }
        char comp[SL_FT_COMPONENT_MAX + 1];
        size_t n = (size_t)(slash - p);
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (sl_dir_make_at(cur, comp) == 0) {
            if (*created < 0)
                *created = (int)dirlen;
        } else if (errno != EEXIST) {
            goto fail;
        }
        int next = sl_dir_open_at(cur, comp);
        if (next < 0)
            goto fail;
        close(cur);
        cur = next;
        memcpy(dir + dirlen, p, n + 1);
        dirlen += n + 1;
        p = slash + 1;
        continue;
    fail:;
        /* A symlink planted where a directory should be is never followed. */
        int e = errno;
        *code = e == ELOOP || e == ENOTDIR ? SL_FT_E_NAME : SL_FT_E_IO;
        struct sl_file_stat st;
        if (sl_file_stat_at(cur, comp, &st) == 0 && st.link)
            snprintf(err, SL_ERRLEN, "cannot use directory %s: it is a symbolic link", comp);
        else
            snprintf(err, SL_ERRLEN, "cannot use directory %s: %s", comp, SL_STRERROR(e));
        close(cur);
        return -1;
    }
}

/* A leftover temporary file is reused only if it is a plain file of ours,
 * not linked elsewhere, and not longer than the file being sent. *SIZE
 * gets its size. */
static bool usable_partial(int fd, const struct sl_ft_header *h, uint64_t *size)
{
    struct sl_file_stat st;
    *size = 0;
    if (sl_file_stat(fd, &st) < 0 || st.kind != SL_PATH_FILE || st.nlink != 1 || !st.ours ||
        st.size > h->size)
        return false;
    *size = st.size;
    return true;
}

/* Whether T's temporary name still leads to FD's file. A transfer lets go
 * of its lock only after it has moved or removed the name, so a lock taken
 * on a file whose name has gone meanwhile is a lock on nothing (on a file
 * already stored, even): the name, not the open file, is what counts. */
static bool still_named(const struct ft_target *t, int fd)
{
    return sl_file_is_named(fd, t->dirfd, t->tmp);
}

/* Opens and locks the temporary file: a new one, or a leftover to resume
 * into or, if unusable, to replace - only ever while holding the lock on
 * what the name leads to, never under a transfer still writing it.
 * Returns the fd (locked; T->offset set for a resume), or -1 with *BUSY
 * set when another connection holds it, or with errno. */
static int open_locked_tmp(struct ft_target *t, const struct sl_ft_header *h, bool *busy)
{
    for (int tries = 0; tries < 16; tries++) { /* each retry: the name changed under us */
        t->offset = 0;
        bool fresh = true;
        int fd = sl_file_open_at(t->dirfd, t->tmp, SL_OPEN_NEW);
        if (fd < 0 && errno == EEXIST) {
            fresh = false;
            fd = sl_file_open_at(t->dirfd, t->tmp, SL_OPEN_EXISTING);
            /* Not a file we can open, e.g. a planted link: remove the link
             * itself, never its target, and start afresh - unless the
             * system cannot remove it by itself (a Linux symlink under
             * Wine): then the file is refused, never written through it. */
            if (fd < 0 && errno != ENOENT && sl_file_remove_at(t->dirfd, t->tmp) < 0 &&
                errno == ELOOP)
                return -1;
            if (fd < 0)
                continue;
        }
        if (fd < 0)
            return -1;
        if (sl_file_lock(fd) < 0) {
            close(fd); /* not ours to delete */
            *busy = true;
            return -1;
        }
        if (!still_named(t, fd)) {
            close(fd);
            continue;
        }
        if (fresh)
            return fd;
        if (usable_partial(fd, h, &t->offset))
            return fd;
        (void)sl_file_remove_at(t->dirfd, t->tmp); /* unusable, and the lock is ours */
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}

/* Opens directory PATH ("a/b", "" for ROOT itself) below ROOT without
 * following a symbolic link anywhere. Returns the fd or -1. */
static int open_dir_below(int root, const char *path)
{
    int cur = dup(root);
    while (cur >= 0 && *path != '\0') {
        char comp[SL_FT_COMPONENT_MAX + 1];
        size_t n = strcspn(path, "/");
        if (n > SL_FT_COMPONENT_MAX) {
            close(cur);
            return -1;
        }
        memcpy(comp, path, n);
        comp[n] = '\0';
        int next = sl_dir_open_at(cur, comp);
        close(cur);
        cur = next;
        path += n + (path[n] == '/');
    }
    return cur;
}

/* A file that was not stored leaves no trace: removes the directories
 * made for it, deepest first, while they are empty (another transfer
 * into them keeps them). */
static void remove_created_dirs(const struct ft_target *t)
{
    char path[SL_FT_NAME_MAX + 1];
    size_t len = strlen(t->dir); /* "a/b/c/" */
    if (t->created < 0 || len == 0)
        return;
    memcpy(path, t->dir, len + 1);
    while (len > (size_t)t->created) {
        path[--len] = '\0'; /* drop the trailing '/' */
        char *slash = strrchr(path, '/');
        const char *comp = slash ? slash + 1 : path;
        if (slash)
            *slash = '\0';
        int parent = open_dir_below(t->root, slash ? path : "");
        int rc = parent < 0 ? -1 : sl_dir_remove_at(parent, comp);
        if (parent >= 0)
            close(parent);
        if (rc < 0)
            return;
        len = slash ? (size_t)(slash - path) + 1 : 0;
        if (slash)
            *slash = '/';
        path[len] = '\0';
    }
}

int store_open(int root, const struct sl_ft_header *h, struct ft_target *t, int *code, char *err)
{
    t->fd = -1;
    t->offset = 0;
    t->root = root;
    t->dirfd = open_parent(root, h->name, t->base, t->dir, &t->created, code, err);
    if (t->dirfd < 0)
        return -1;
    snprintf(t->tmp, sizeof t->tmp, ".ftpart-%016llx", (unsigned long long)file_key(h));

    bool busy = false;
    t->fd = open_locked_tmp(t, h, &busy);
    if (t->fd < 0 && busy) {
        snprintf(err, SL_ERRLEN, "the same file is being received from another sender");
        *code = SL_FT_E_BUSY;
        goto fail;
    }
    if (t->fd < 0 && errno == ELOOP) {
        snprintf(err, SL_ERRLEN, "cannot create a temporary file: %s is a link, not followed",
                 t->tmp);
        *code = SL_FT_E_IO;
        goto fail;
    }
    if (t->fd < 0) {
        snprintf(err, SL_ERRLEN, "cannot create a temporary file: %s", SL_STRERROR(errno));
        *code = SL_FT_E_IO;
        goto fail;
    }
    uint64_t free_bytes;
    if (sl_fs_free_bytes(t->dirfd, &free_bytes) == 0 && free_bytes < h->size - t->offset) {
        snprintf(err, SL_ERRLEN, "not enough free space (%llu bytes needed, %llu free)",
                 (unsigned long long)(h->size - t->offset), (unsigned long long)free_bytes);
        *code = SL_FT_E_NO_SPACE;
        store_abort(t, t->offset > 0);
        return -1;
    }
    if (sl_file_seek(t->fd, t->offset) < 0) {
        snprintf(err, SL_ERRLEN, "seek: %s", SL_STRERROR(errno));
        *code = SL_FT_E_IO;
        store_abort(t, false);
        return -1;
    }
    return 0;
fail:
    close(t->dirfd);
    t->dirfd = -1;
    remove_created_dirs(t);
    return -1;
}

int store_open_stored(const struct ft_target *t, const struct sl_ft_header *h)
{
    struct sl_file_stat st;
    int fd = sl_file_open_at(t->dirfd, t->base, SL_OPEN_READ);
    if (fd >= 0 && (sl_file_stat(fd, &st) < 0 || st.kind != SL_PATH_FILE || st.size != h->size)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int store_restart(struct ft_target *t)
{
    t->offset = 0;
    return sl_file_truncate(t->fd, 0) < 0 || sl_file_seek(t->fd, 0) < 0 ? -1 : 0;
}

/* "name.ext" -> "name.N.ext"; "name" -> "name.N" (a leading dot is part of
 * the name, not an extension). A name that would grow past NAME_MAX (255
 * bytes) loses the end of its stem, whole UTF-8 characters, and keeps its
 * extension: a 255-byte name sent twice is stored, not failed after all its
 * data arrived. An extension too long to keep counts as stem. */
static void numbered(const char *base, unsigned n, char *out, size_t outlen)
{
    char num[16];
    size_t numlen = (size_t)snprintf(num, sizeof num, ".%u", n);
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    size_t ext = dot == NULL || dot == base ? 0 : len - (size_t)(dot - base);
    if (ext + numlen + 1 > SL_FT_COMPONENT_MAX)
        ext = 0;
    size_t stem = len - ext, room = SL_FT_COMPONENT_MAX - numlen - ext;
    if (stem > room) {
        stem = room;
        while (stem > 0 && ((unsigned char)base[stem] & 0xC0) == 0x80)
            stem--; /* base[stem] continues a character: cut before it */
    }
    snprintf(out, outlen, "%.*s%s%s", (int)stem, base, num, base + len - ext);
}

int store_finish(struct ft_target *t, const struct sl_ft_header *h, bool overwrite, char *stored,
                 size_t storedlen, char *err)
{
    char name[SL_FT_COMPONENT_MAX + 16];

    /* Permission bits only: setuid, setgid and sticky are never applied. */
    if (sl_file_set_mode(t->fd, h->mode & 0777) < 0 || sl_file_set_mtime(t->fd, h->mtime) < 0 ||
        sl_file_sync(t->fd) < 0) {
        snprintf(err, SL_ERRLEN, "finishing the file: %s", SL_STRERROR(errno));
        return -1;
    }
    snprintf(name, sizeof name, "%s", t->base);
    if (!still_named(t, t->fd)) {
        snprintf(err, SL_ERRLEN, "the temporary file was replaced during the transfer");
        return -1;
    }
    if (overwrite) {
        if (sl_file_rename_at(t->dirfd, t->tmp, name) < 0) {
            snprintf(err, SL_ERRLEN, "rename to %s: %s", name, SL_STRERROR(errno));
            return -1;
        }
    } else {
        unsigned n = 0;
        /* Our open file itself, whatever the temporary name leads to by
         * now (where the system can; the result is checked below). */
        while (sl_file_link_new(t->fd, t->dirfd, t->tmp, name) < 0) {
            if (errno != EEXIST || ++n > 9999) {
                snprintf(err, SL_ERRLEN, "link to %s: %s", name, SL_STRERROR(errno));
                return -1;
            }
            numbered(t->base, n, name, sizeof name);
        }
        if (still_named(t, t->fd)) /* Windows may have moved it instead */
            sl_file_remove_at(t->dirfd, t->tmp);
    }
    /* A swap in the moment between the check and the rename, or a final
     * name replaced at once: not what we verified, so never STORED. */
    if (!sl_file_is_named(t->fd, t->dirfd, name)) {
        snprintf(err, SL_ERRLEN, "%s was replaced while it was being stored", name);
        return -1;
    }
    sl_dir_sync(t->dirfd); /* the new name itself must survive a crash */
    close(t->fd);
    close(t->dirfd);
    t->fd = t->dirfd = -1;
    snprintf(stored, storedlen, "%s%s", t->dir, name);
    return 0;
}

void store_abort(struct ft_target *t, bool keep)
{
    if (t->fd >= 0) {
        if (!keep && still_named(t, t->fd)) /* a name swapped under us is not ours to remove */
            sl_file_remove_at(t->dirfd, t->tmp);
        else
            sl_file_sync(t->fd);
        close(t->fd);
    }
    if (t->dirfd >= 0)
        close(t->dirfd);
    t->fd = t->dirfd = -1;
    if (!keep)
        remove_created_dirs(t);
}
