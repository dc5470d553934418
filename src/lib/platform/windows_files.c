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
#include "socklab/ft_proto.h"

/* Windows errors as errno values: the one table of the file calls. */
static const struct {
    DWORD win;
    int err;
} win_errnos[] = {
    {ERROR_FILE_NOT_FOUND, ENOENT},       {ERROR_PATH_NOT_FOUND, ENOENT},
    {ERROR_INVALID_NAME, ENOENT},         {ERROR_ACCESS_DENIED, EACCES},
    {ERROR_SHARING_VIOLATION, EACCES},    {ERROR_NOT_ENOUGH_MEMORY, ENOMEM},
    {ERROR_OUTOFMEMORY, ENOMEM},          {ERROR_FILE_EXISTS, EEXIST},
    {ERROR_ALREADY_EXISTS, EEXIST},       {ERROR_DIR_NOT_EMPTY, ENOTEMPTY},
    {ERROR_LOCK_VIOLATION, EWOULDBLOCK},  {ERROR_IO_PENDING, EWOULDBLOCK},
    {ERROR_DIRECTORY, ENOTDIR},           {ERROR_DISK_FULL, ENOSPC},
    {ERROR_HANDLE_DISK_FULL, ENOSPC},     {ERROR_NOT_SAME_DEVICE, EXDEV},
    {ERROR_INVALID_HANDLE, EBADF},        {ERROR_NOT_SUPPORTED, ENOTSUP},
    {ERROR_INVALID_FUNCTION, ENOTSUP},    {ERROR_FILENAME_EXCED_RANGE, ENAMETOOLONG},
    {ERROR_CANT_RESOLVE_FILENAME, ELOOP}, {ERROR_WRITE_PROTECT, EROFS},
    {ERROR_TOO_MANY_OPEN_FILES, EMFILE},  {ERROR_TOO_MANY_LINKS, EMLINK},
};

/* GetLastError() as an errno value. */
static int win_errno(void)
{
    DWORD e = GetLastError();
    for (size_t i = 0; i < sizeof win_errnos / sizeof win_errnos[0]; i++)
        if (win_errnos[i].win == e)
            return win_errnos[i].err;
    return EIO;
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

/* The names a FindFirstFileW PATTERN ("dir\*") lists but "." and "..". */
static int names_of(const wchar_t *pattern, char ***names, size_t *n)
{
    WIN32_FIND_DATAW e;
    HANDLE h = FindFirstFileW(pattern, &e);
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
    return sl_names_give(&l, rc, names, n);
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
    int rc = names_of(w, names, n);
    free(w);
    return rc;
}

/* ftrecv's files: every name is DIR's final path (what its handle really
 * is, "\\?\C:\...") plus one component, opened with
 * FILE_FLAG_OPEN_REPARSE_POINT and then checked not to be a link. */

static HANDLE os_handle(int fd)
{
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    if (h == INVALID_HANDLE_VALUE)
        errno = EBADF;
    return h;
}

/* H's final path, malloc'd with room for EXTRA more characters; *LEN its
 * length. NULL + errno. */
static wchar_t *final_path(HANDLE h, size_t extra, size_t *len)
{
    DWORD need = GetFinalPathNameByHandleW(h, NULL, 0, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    wchar_t *p = need > 0 ? malloc((need + extra + 1) * sizeof *p) : NULL;
    if (p == NULL) {
        errno = need > 0 ? ENOMEM : win_errno();
        return NULL;
    }
    DWORD got = GetFinalPathNameByHandleW(h, p, need, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (got == 0 || got >= need) {
        errno = got == 0 ? win_errno() : EAGAIN; /* renamed meanwhile */
        free(p);
        return NULL;
    }
    *len = got;
    return p;
}

/* DIR's final path + '\' + NAME, malloc'd; NULL + errno. NAME is one
 * component: a separator or "."/".." would leave DIR. */
static wchar_t *path_at(int dir, const char *name)
{
    HANDLE h = os_handle(dir);
    if (h == INVALID_HANDLE_VALUE)
        return NULL;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strpbrk(name, "/\\") != NULL) {
        errno = EINVAL;
        return NULL;
    }
    wchar_t *wname = to_wide(name);
    size_t len, namelen = wname ? wcslen(wname) : 0;
    wchar_t *p = wname ? final_path(h, 1 + namelen, &len) : NULL;
    if (p != NULL) {
        if (len == 0 || p[len - 1] != L'\\')
            p[len++] = L'\\';
        memcpy(p + len, wname, (namelen + 1) * sizeof *p);
    }
    free(wname);
    return p;
}

/* Whether H, opened by PATH, is PATH itself: 0, or -1 with ELOOP for a
 * reparse point (Windows hands the link itself with
 * FILE_FLAG_OPEN_REPARSE_POINT; LINK_ITSELF accepts that, to remove it) or
 * for a file reached through one (Wine follows a Linux symlink regardless:
 * its final path is elsewhere). */
static int not_a_link(HANDLE h, const wchar_t *path, bool link_itself)
{
    BY_HANDLE_FILE_INFORMATION info;
    size_t len;
    if (!GetFileInformationByHandle(h, &info)) {
        errno = win_errno();
        return -1;
    }
    wchar_t *real = final_path(h, 0, &len);
    if (real == NULL)
        return -1;
    bool same = CompareStringOrdinal(real, -1, path, -1, TRUE) == CSTR_EQUAL;
    free(real);
    if (!same || ((info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && !link_itself)) {
        errno = ELOOP;
        return -1;
    }
    return 0;
}

/* What others may do with a file while we have it open: everything, so
 * that names can be moved and removed by path. */
#define SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
/* A directory we work under is held without FILE_SHARE_DELETE: no one can
 * rename or remove it meanwhile (nor, on Windows, a folder above it while
 * a handle beneath is open), so the path built from its handle stays its
 * path until we close it. */
#define SHARE_HELD_DIR (FILE_SHARE_READ | FILE_SHARE_WRITE)

/* How open_at opens: CreateFileW's ACCESS, disposition HOW and FLAGS, what
 * others may SHARE, and LINK_ITSELF: a reparse point itself is wanted. */
struct open_spec {
    DWORD access, how, flags, share;
    bool link_itself;
};

/* NAME in DIR, opened as SPEC says, never through a link. The handle, or
 * INVALID_HANDLE_VALUE + errno. */
static HANDLE open_at(int dir, const char *name, struct open_spec spec)
{
    wchar_t *path = path_at(dir, name);
    if (path == NULL)
        return INVALID_HANDLE_VALUE;
    HANDLE h = CreateFileW(path, spec.access, spec.share, NULL, spec.how,
                           spec.flags | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        errno = win_errno();
    } else if (not_a_link(h, path, spec.link_itself) < 0) {
        int e = errno;
        CloseHandle(h);
        h = INVALID_HANDLE_VALUE;
        errno = e;
    }
    free(path);
    return h;
}

/* H as a C runtime fd (binary; FLAGS e.g. _O_APPEND), H closed on failure. */
static int crt_fd(HANDLE h, int flags)
{
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    int fd = _open_osfhandle((intptr_t)h, flags | _O_BINARY | _O_NOINHERIT);
    if (fd < 0) {
        CloseHandle(h);
        errno = EMFILE;
    }
    return fd;
}

static bool is_dir(HANDLE h)
{
    BY_HANDLE_FILE_INFORMATION info;
    return GetFileInformationByHandle(h, &info) &&
           (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
}

/* A directory handle H as an fd: ENOTDIR if H is a file. */
static int dir_fd(HANDLE h)
{
    if (h != INVALID_HANDLE_VALUE && !is_dir(h)) {
        CloseHandle(h);
        errno = ENOTDIR;
        return -1;
    }
    return crt_fd(h, _O_RDONLY);
}

int sl_dir_make(const char *path)
{
    wchar_t *w = to_wide(path);
    int rc = w && CreateDirectoryW(w, NULL) ? 0 : -1;
    if (w && rc < 0)
        errno = win_errno();
    free(w);
    return rc;
}

int sl_dir_open(const char *path)
{
    wchar_t *w = to_wide(path);
    if (w == NULL)
        return -1;
    HANDLE h = CreateFileW(w, GENERIC_READ, SHARE_HELD_DIR, NULL, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE)
        errno = win_errno();
    free(w);
    return dir_fd(h);
}

int sl_dir_make_at(int dir, const char *name)
{
    wchar_t *path = path_at(dir, name);
    int rc = path && CreateDirectoryW(path, NULL) ? 0 : -1;
    if (path && rc < 0)
        errno = win_errno();
    free(path);
    return rc;
}

int sl_dir_open_at(int dir, const char *name)
{
    return dir_fd(open_at(dir, name,
                          (struct open_spec){.access = GENERIC_READ,
                                             .how = OPEN_EXISTING,
                                             .flags = FILE_FLAG_BACKUP_SEMANTICS,
                                             .share = SHARE_HELD_DIR}));
}

int sl_dir_sync(int dir)
{
    (void)dir;
    return 0; /* NTFS journals its names; a directory handle cannot be flushed */
}

int sl_dir_names_at(int dir, char ***names, size_t *n)
{
    HANDLE h = os_handle(dir);
    size_t len;
    wchar_t *p = h == INVALID_HANDLE_VALUE ? NULL : final_path(h, 2, &len);
    if (p == NULL)
        return -1;
    memcpy(p + len, L"\\*", 3 * sizeof *p);
    int rc = names_of(p, names, n);
    free(p);
    return rc;
}

static int stat_handle(HANDLE h, struct sl_file_stat *st);

/* Removes NAME in DIR, a directory if DIR_WANTED else a file, through a
 * handle of its own (delete on close): Wine's DeleteFileW and
 * RemoveDirectoryW would remove what a Linux symlink leads to. */
static int remove_at(int dir, const char *name, bool dir_wanted)
{
    /* A Windows link is removed itself; one Wine follows (a Linux symlink)
     * cannot be, and stays (ELOOP). */
    HANDLE h = open_at(dir, name,
                       (struct open_spec){.access = DELETE | FILE_READ_ATTRIBUTES,
                                          .how = OPEN_EXISTING,
                                          .flags = FILE_FLAG_BACKUP_SEMANTICS,
                                          .share = SHARE_ALL,
                                          .link_itself = true});
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    FILE_DISPOSITION_INFO gone = {.DeleteFile = TRUE};
    int rc = 0;
    struct sl_file_stat st;
    if (stat_handle(h, &st) < 0) {
        rc = -1;
    } else if (!st.link && (st.kind == SL_PATH_DIR) != dir_wanted) {
        errno = dir_wanted ? ENOTDIR : EISDIR;
        rc = -1;
    } else if (!SetFileInformationByHandle(h, FileDispositionInfo, &gone, sizeof gone)) {
        errno = win_errno();
        rc = -1;
    }
    CloseHandle(h);
    return rc;
}

int sl_dir_remove_at(int dir, const char *name)
{
    return remove_at(dir, name, true);
}

int sl_file_remove_at(int dir, const char *name)
{
    return remove_at(dir, name, false);
}

int sl_file_open_at(int dir, const char *name, enum sl_open_how how)
{
    const DWORD rw = GENERIC_READ | GENERIC_WRITE | DELETE;
    switch (how) {
    case SL_OPEN_NEW:
        return crt_fd(open_at(dir, name,
                              (struct open_spec){.access = rw,
                                                 .how = CREATE_NEW,
                                                 .flags = FILE_ATTRIBUTE_NORMAL,
                                                 .share = SHARE_ALL}),
                      _O_RDWR);
    case SL_OPEN_EXISTING:
        return crt_fd(
            open_at(dir, name,
                    (struct open_spec){
                        .access = rw, .how = OPEN_EXISTING, .flags = 0, .share = SHARE_ALL}),
            _O_RDWR);
    case SL_OPEN_READ:
        return crt_fd(open_at(dir, name,
                              (struct open_spec){.access = GENERIC_READ,
                                                 .how = OPEN_EXISTING,
                                                 .flags = 0,
                                                 .share = SHARE_ALL}),
                      _O_RDONLY);
    case SL_OPEN_APPEND:
        return crt_fd(open_at(dir, name,
                              (struct open_spec){.access = GENERIC_READ | GENERIC_WRITE,
                                                 .how = OPEN_ALWAYS,
                                                 .flags = 0,
                                                 .share = SHARE_ALL}),
                      _O_WRONLY | _O_APPEND);
    }
    errno = EINVAL;
    return -1;
}

/* Seconds since 1970 <-> FILETIME (100 ns since 1601). */
#define FILETIME_1970 116444736000000000LL
static int64_t unix_seconds(FILETIME ft)
{
    int64_t t = (int64_t)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
    return (t - FILETIME_1970) / 10000000;
}

static int stat_handle(HANDLE h, struct sl_file_stat *st)
{
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(h, &info)) {
        errno = win_errno();
        return -1;
    }
    DWORD a = info.dwFileAttributes;
    *st = (struct sl_file_stat){
        .kind = a & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DEVICE) ? SL_PATH_OTHER
                : a & FILE_ATTRIBUTE_DIRECTORY                             ? SL_PATH_DIR
                                                                           : SL_PATH_FILE,
        .link = (a & FILE_ATTRIBUTE_REPARSE_POINT) != 0,
        .ours = true,
        .nlink = info.nNumberOfLinks,
        .dev = info.dwVolumeSerialNumber,
        .ino = ((uint64_t)info.nFileIndexHigh << 32) | info.nFileIndexLow,
        .size = ((uint64_t)info.nFileSizeHigh << 32) | info.nFileSizeLow,
        .mode = a & FILE_ATTRIBUTE_READONLY ? 0444 : 0666,
        .mtime = unix_seconds(info.ftLastWriteTime),
    };
    return 0;
}

int sl_file_stat(int fd, struct sl_file_stat *st)
{
    HANDLE h = os_handle(fd);
    if (h == INVALID_HANDLE_VALUE || stat_handle(h, st) < 0)
        return -1;
    /* The C runtime's permission bits, as ftsend has always announced them. */
    struct _stat64 s;
    if (_fstat64(fd, &s) == 0)
        st->mode = (uint32_t)s.st_mode & 0777;
    return 0;
}

int sl_file_stat_at(int dir, const char *name, struct sl_file_stat *st)
{
    HANDLE h = open_at(dir, name,
                       (struct open_spec){.access = FILE_READ_ATTRIBUTES,
                                          .how = OPEN_EXISTING,
                                          .flags = FILE_FLAG_BACKUP_SEMANTICS,
                                          .share = SHARE_ALL});
    if (h == INVALID_HANDLE_VALUE && errno == ELOOP) {
        *st = (struct sl_file_stat){.kind = SL_PATH_OTHER, .link = true};
        return 0; /* lstat() of a link: a link, whatever it leads to */
    }
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    int rc = stat_handle(h, st);
    CloseHandle(h);
    return rc;
}

bool sl_file_is_named(int fd, int dir, const char *name)
{
    struct sl_file_stat mine, named, where;
    if (sl_file_stat(fd, &mine) < 0 || sl_file_stat_at(dir, name, &named) < 0 || named.link)
        return false;
    /* Wine reports volume 0 for a handle whose name has moved (it looks the
     * volume up by the old name). The file was made in DIR and no link is
     * ever followed, so DIR's volume is its volume. */
    if (mine.dev == 0 && (sl_file_stat(dir, &where) < 0 || (mine.dev = where.dev) == 0))
        return false;
    return mine.dev == named.dev && mine.ino == named.ino;
}

/* MoveFileExW (FLAGS) or CreateHardLinkW (LINK) from FROM to TO in DIR. */
static int move_at(int dir, const char *from, const char *to, bool link, DWORD flags)
{
    wchar_t *wfrom = path_at(dir, from), *wto = wfrom ? path_at(dir, to) : NULL;
    int rc = -1;
    if (wto != NULL) {
        BOOL ok = link ? CreateHardLinkW(wto, wfrom, NULL) : MoveFileExW(wfrom, wto, flags);
        rc = ok ? 0 : -1;
        if (!ok)
            errno = win_errno();
    }
    free(wfrom);
    free(wto);
    return rc;
}

int sl_file_rename_at(int dir, const char *from, const char *to)
{
    return move_at(dir, from, to, false, MOVEFILE_REPLACE_EXISTING);
}

int sl_file_link_new(int fd, int dir, const char *from, const char *to)
{
    (void)fd; /* Windows links names, not handles: FROM, checked by the caller */
    if (move_at(dir, from, to, true, 0) == 0)
        return 0;
    if (errno != ENOTSUP)
        return -1;
    return move_at(dir, from, to, false, 0); /* FAT: no hard links, a rename */
}

int sl_file_lock(int fd)
{
    HANDLE h = os_handle(fd);
    OVERLAPPED whole = {0};
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD, MAXDWORD,
                    &whole)) {
        errno = win_errno();
        return -1;
    }
    return 0;
}

int sl_file_sync(int fd)
{
    HANDLE h = os_handle(fd);
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    if (!FlushFileBuffers(h)) {
        errno = win_errno();
        return -1;
    }
    return 0;
}

int sl_file_truncate(int fd, uint64_t len)
{
    HANDLE h = os_handle(fd);
    FILE_END_OF_FILE_INFO end = {.EndOfFile.QuadPart = (LONGLONG)len};
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &end, sizeof end)) {
        errno = win_errno();
        return -1;
    }
    return 0;
}

int sl_file_seek(int fd, uint64_t off)
{
    return _lseeki64(fd, (__int64)off, SEEK_SET) < 0 ? -1 : 0;
}

int sl_file_set_mode(int fd, uint32_t mode)
{
    (void)fd;
    (void)mode;
    return 0; /* no permission bits: the folder's ACLs decide */
}

int sl_file_set_mtime(int fd, int64_t mtime)
{
    HANDLE h = os_handle(fd);
    uint64_t t = (uint64_t)(mtime * 10000000 + FILETIME_1970);
    FILETIME ft = {.dwLowDateTime = (DWORD)t, .dwHighDateTime = (DWORD)(t >> 32)};
    if (h == INVALID_HANDLE_VALUE)
        return -1;
    if (!SetFileTime(h, NULL, NULL, &ft)) {
        errno = win_errno();
        return -1;
    }
    return 0;
}

int sl_fs_free_bytes(int fd, uint64_t *bytes)
{
    HANDLE h = os_handle(fd);
    size_t len;
    wchar_t *p = h == INVALID_HANDLE_VALUE ? NULL : final_path(h, 1, &len);
    ULARGE_INTEGER avail;
    if (p == NULL)
        return -1;
    if (len == 0 || p[len - 1] != L'\\')
        memcpy(p + len, L"\\", 2 * sizeof *p);
    BOOL ok = GetDiskFreeSpaceExW(p, &avail, NULL, NULL);
    free(p);
    if (!ok) {
        errno = win_errno();
        return -1;
    }
    *bytes = avail.QuadPart;
    return 0;
}

int sl_platform_check_name(const char *name, size_t len, char err[SL_ERRLEN])
{
    return sl_ft_check_name_windows(name, len, err);
}
