/* The platform layer's thin calls on POSIX (errors, read), apart from the
 * rest so that pure modules and their fuzz harnesses can use them without
 * linking the process-level code. errno is the socket error here. */
#include "socklab/platform.h"

#include <string.h>
#include <unistd.h>

int sl_socket_failed(void)
{
    return -1;
}

int sl_socket_error_errno(int soerr)
{
    return soerr;
}

const char *sl_strerror(int errnum, char *buf, size_t len)
{
    (void)buf;
    (void)len;
    return strerror(errnum);
}

void sl_platform_program_name(char *name)
{
    (void)name;
}

const char *sl_path_last(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

ssize_t sl_fd_read(int fd, void *buf, size_t len)
{
    return read(fd, buf, len);
}
