/* Windows build only (CMake adds this folder there): the POSIX header
 * name a socklab source includes, answered by the platform layer, so the
 * source stays as it is. */
#ifndef SOCKLAB_SHIM_SYS_IOCTL_H
#define SOCKLAB_SHIM_SYS_IOCTL_H

#include "socklab/platform.h"

/* Only the terminal size is asked for: unknown here (the caller then
 * assumes 80 columns). */
struct winsize {
    unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};
#define TIOCGWINSZ 0x5413
static inline int ioctl(int fd, unsigned long req, void *arg)
{
    (void)fd;
    (void)req;
    (void)arg;
    errno = ENOTTY;
    return -1;
}

#endif
