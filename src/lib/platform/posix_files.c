/* The platform layer's files on POSIX: the calls as they are. */
#include "socklab/platform.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int sl_file_info(int fd, struct sl_file_info *fi)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    *fi = (struct sl_file_info){
        .size = (uint64_t)st.st_size, .mode = (uint32_t)st.st_mode & 0777, .mtime = st.st_mtime};
    return 0;
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

int sl_dir_names(const char *path, char ***names, size_t *n)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    struct sl_names l = {0};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = sl_names_add(&l, strdup(e->d_name));
    closedir(d);
    if (rc < 0) {
        sl_names_free(&l);
        errno = ENOMEM;
        return -1;
    }
    *names = l.v;
    *n = l.len;
    return 0;
}
