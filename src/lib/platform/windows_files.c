/* The platform layer's files on Windows: UTF-8 names on our side, UTF-16
 * on disk (the wide calls), so a Chinese file name survives the trip. */
#include "socklab/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <windows.h>

#include <shellapi.h>

#include "../internal.h"

/* GetLastError() as an errno value. */
static int win_errno(void)
{
    switch (GetLastError()) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
        return EACCES;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return ENOMEM;
    default:
        return EIO;
    }
}

/* UTF-8 -> UTF-16, malloc'd; NULL + errno (EILSEQ: not UTF-8). */
static wchar_t *to_wide(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
    if (w == NULL || MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        free(w);
        errno = n > 0 ? ENOMEM : EILSEQ;
        return NULL;
    }
    return w;
}

/* UTF-16 -> UTF-8, malloc'd; NULL + errno. */
static char *to_utf8(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    char *s = n > 0 ? malloc((size_t)n) : NULL;
    if (s == NULL || WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
        free(s);
        errno = n > 0 ? ENOMEM : EILSEQ;
        return NULL;
    }
    return s;
}

int sl_platform_utf8_args(int *argc, char ***argv)
{
    int n;
    wchar_t **wide = CommandLineToArgvW(GetCommandLineW(), &n);
    char **v = wide ? calloc((size_t)n + 1, sizeof *v) : NULL;
    if (v == NULL) {
        LocalFree(wide);
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < n; i++)
        if ((v[i] = to_utf8(wide[i])) == NULL) {
            LocalFree(wide);
            return -1; /* the strings made so far live on with the process */
        }
    LocalFree(wide);
    *argc = n;
    *argv = v;
    return 0;
}

int sl_file_open_read(const char *path)
{
    wchar_t *w = to_wide(path);
    if (w == NULL)
        return -1;
    int fd = _wopen(w, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
    free(w);
    return fd;
}

ssize_t sl_file_pread(int fd, void *buf, size_t len, uint64_t off)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    OVERLAPPED at = {.Offset = (DWORD)off, .OffsetHigh = (DWORD)(off >> 32)};
    DWORD got = 0;
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    if (!ReadFile(h, buf, len > INT_MAX ? INT_MAX : (DWORD)len, &got, &at)) {
        if (GetLastError() == ERROR_HANDLE_EOF)
            return 0;
        errno = win_errno();
        return -1;
    }
    return (ssize_t)got;
}

int sl_file_info(int fd, struct sl_file_info *fi)
{
    struct _stat64 st;
    if (_fstat64(fd, &st) < 0)
        return -1;
    *fi = (struct sl_file_info){
        .size = (uint64_t)st.st_size, .mode = (uint32_t)st.st_mode & 0777, .mtime = st.st_mtime};
    return 0;
}

int sl_path_kind(const char *path, bool follow, enum sl_path_kind *kind)
{
    wchar_t *w = to_wide(path);
    if (w == NULL)
        return -1;
    DWORD attrs = GetFileAttributesW(w);
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_REPARSE_POINT) && follow) {
        /* stat(): what the link leads to, opened through it. */
        HANDLE h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                               OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
        BY_HANDLE_FILE_INFORMATION info;
        attrs = h != INVALID_HANDLE_VALUE && GetFileInformationByHandle(h, &info)
                    ? info.dwFileAttributes
                    : INVALID_FILE_ATTRIBUTES;
        if (h != INVALID_HANDLE_VALUE)
            CloseHandle(h);
    }
    int e = win_errno();
    free(w);
    if (attrs == INVALID_FILE_ATTRIBUTES) {
        errno = e;
        return -1;
    }
    /* lstat(): a symlink or junction is not followed. */
    *kind = attrs & FILE_ATTRIBUTE_REPARSE_POINT ? SL_PATH_OTHER
            : attrs & FILE_ATTRIBUTE_DIRECTORY   ? SL_PATH_DIR
            : attrs & FILE_ATTRIBUTE_DEVICE      ? SL_PATH_OTHER
                                                 : SL_PATH_FILE;
    return 0;
}

char *sl_path_real(const char *path)
{
    wchar_t *w = to_wide(path), full[32768];
    if (w == NULL)
        return NULL;
    DWORD n = GetFullPathNameW(w, sizeof full / sizeof full[0], full, NULL);
    int e = win_errno();
    free(w);
    if (n == 0 || n >= sizeof full / sizeof full[0]) {
        errno = n == 0 ? e : ENAMETOOLONG;
        return NULL;
    }
    return to_utf8(full);
}

int sl_dir_names(const char *path, char ***names, size_t *n)
{
    size_t plen = strlen(path);
    char *pattern = malloc(plen + 3);
    if (pattern == NULL)
        return -1;
    memcpy(pattern, path, plen);
    memcpy(pattern + plen, "\\*", 3);
    wchar_t *w = to_wide(pattern);
    free(pattern);
    if (w == NULL)
        return -1;
    WIN32_FIND_DATAW e;
    HANDLE h = FindFirstFileW(w, &e);
    free(w);
    if (h == INVALID_HANDLE_VALUE) {
        errno = win_errno();
        return -1;
    }
    struct sl_names l = {0};
    int rc = 0;
    do
        if (wcscmp(e.cFileName, L".") != 0 && wcscmp(e.cFileName, L"..") != 0)
            rc = sl_names_add(&l, to_utf8(e.cFileName));
    while (rc == 0 && FindNextFileW(h, &e));
    FindClose(h);
    if (rc < 0) {
        sl_names_free(&l);
        errno = ENOMEM;
        return -1;
    }
    *names = l.v;
    *n = l.len;
    return 0;
}
