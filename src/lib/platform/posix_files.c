/* The platform layer's files on POSIX: the calls as they are. */
#include "socklab/platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../internal.h"

int sl_platform_utf8_args(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0; /* already bytes as typed: UTF-8 in a UTF-8 locale */
}

int sl_file_open_read(const char *path)
{
    return open(path, O_RDONLY | O_CLOEXEC);
}

ssize_t sl_file_pread(int fd, void *buf, size_t len, uint64_t off)
{
    return pread(fd, buf, len, (off_t)off);
}

int sl_path_kind(const char *path, bool follow, enum sl_path_kind *kind)
{
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) < 0)
        return -1;
    *kind = S_ISREG(st.st_mode) ? SL_PATH_FILE : S_ISDIR(st.st_mode) ? SL_PATH_DIR : SL_PATH_OTHER;
    return 0;
}

char *sl_path_real(const char *path)
{
    return realpath(path, NULL);
}

/* The names DIR lists but "." and "..", as sl_dir_names; closes DIR. */
static int names_of(DIR *d, char ***names, size_t *n)
{
    if (d == NULL)
        return -1;
    struct sl_names l = {0};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = sl_names_add(&l, strdup(e->d_name));
    closedir(d);
    return sl_names_give(&l, rc, names, n);
}

int sl_dir_names(const char *path, char ***names, size_t *n)
{
    return names_of(opendir(path), names, n);
}

int sl_dir_names_at(int dir, char ***names, size_t *n)
{
    /* A descriptor of its own: readdir moves its offset. */
    int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (d == NULL && fd >= 0)
        close(fd);
    return names_of(d, names, n);
}

int sl_dir_make(const char *path)
{
    return mkdir(path, 0755);
}

int sl_dir_open(const char *path)
{
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int sl_dir_make_at(int dir, const char *name)
{
    return mkdirat(dir, name, 0755);
}

int sl_dir_remove_at(int dir, const char *name)
{
    return unlinkat(dir, name, AT_REMOVEDIR);
}

int sl_dir_open_at(int dir, const char *name)
{
    return openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int sl_dir_sync(int dir)
{
    return fsync(dir);
}

int sl_file_open_at(int dir, const char *name, enum sl_open_how how)
{
    const int always = O_NOFOLLOW | O_CLOEXEC;
    switch (how) {
    case SL_OPEN_NEW:
        return openat(dir, name, O_RDWR | O_CREAT | O_EXCL | always, 0600);
    case SL_OPEN_EXISTING:
        return openat(dir, name, O_RDWR | always);
    case SL_OPEN_READ:
        return openat(dir, name, O_RDONLY | O_NONBLOCK | always);
    case SL_OPEN_APPEND:
        return openat(dir, name, O_WRONLY | O_APPEND | O_CREAT | always, 0644);
    }
    errno = EINVAL;
    return -1;
}

int sl_file_remove_at(int dir, const char *name)
{
    return unlinkat(dir, name, 0);
}

static void stat_from(const struct stat *s, struct sl_file_stat *st)
{
    *st = (struct sl_file_stat){
        .kind = S_ISREG(s->st_mode)   ? SL_PATH_FILE
                : S_ISDIR(s->st_mode) ? SL_PATH_DIR
                                      : SL_PATH_OTHER,
        .link = S_ISLNK(s->st_mode),
        .ours = s->st_uid == geteuid(),
        .nlink = (uint32_t)s->st_nlink,
        .dev = (uint64_t)s->st_dev,
        .ino = (uint64_t)s->st_ino,
        .size = (uint64_t)s->st_size,
        .mode = (uint32_t)s->st_mode & 0777,
        .mtime = s->st_mtime,
    };
}

int sl_file_stat(int fd, struct sl_file_stat *st)
{
    struct stat s;
    if (fstat(fd, &s) < 0)
        return -1;
    stat_from(&s, st);
    return 0;
}

int sl_file_stat_at(int dir, const char *name, struct sl_file_stat *st)
{
    struct stat s;
    if (fstatat(dir, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    stat_from(&s, st);
    return 0;
}

bool sl_file_is_named(int fd, int dir, const char *name)
{
    struct stat mine, named;
    return fstat(fd, &mine) == 0 && fstatat(dir, name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
           !S_ISLNK(named.st_mode) && mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

int sl_file_rename_at(int dir, const char *from, const char *to)
{
    return renameat(dir, from, dir, to);
}

int sl_file_link_new(int fd, int dir, const char *from, const char *to)
{
    /* The open file itself, whatever FROM leads to by now. */
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, self, dir, to, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != ENOENT || access("/proc/self/fd", F_OK) == 0)
        return -1;
    return linkat(dir, from, dir, to, 0); /* no /proc: the name, checked by the caller */
}

int sl_file_lock(int fd)
{
    return flock(fd, LOCK_EX | LOCK_NB);
}

int sl_file_sync(int fd)
{
    return fsync(fd);
}

int sl_file_truncate(int fd, uint64_t len)
{
    return ftruncate(fd, (off_t)len);
}

int sl_file_seek(int fd, uint64_t off)
{
    return lseek(fd, (off_t)off, SEEK_SET) < 0 ? -1 : 0;
}

int sl_file_set_mode(int fd, uint32_t mode)
{
    return fchmod(fd, (mode_t)(mode & 0777));
}

int sl_file_set_mtime(int fd, int64_t mtime)
{
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = (time_t)mtime}};
    return futimens(fd, times);
}

int sl_fs_free_bytes(int fd, uint64_t *bytes)
{
    struct statvfs vfs;
    if (fstatvfs(fd, &vfs) < 0)
        return -1;
    *bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    return 0;
}

int sl_platform_check_name(const char *name, size_t len, char err[SL_ERRLEN])
{
    (void)name;
    (void)len;
    (void)err;
    return 0; /* a POSIX file system holds every name sl_ft_check_name lets through */
}
