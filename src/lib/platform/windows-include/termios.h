/* Windows build only (CMake adds this folder there): the POSIX header
 * name a socklab source includes, answered by the platform layer, so the
 * source stays as it is. */
#ifndef SOCKLAB_SHIM_TERMIOS_H
#define SOCKLAB_SHIM_TERMIOS_H

#include "socklab/platform.h"

/* No POSIX terminal on Windows yet: tcgetattr() fails as on a non-terminal,
 * so the chat client falls back to plain line input. The console editor
 * (ReadConsoleInputW) is a next step of issue 12. */
typedef unsigned tcflag_t;
typedef unsigned char cc_t;
#define NCCS 32
struct termios {
    tcflag_t c_iflag, c_oflag, c_cflag, c_lflag;
    cc_t c_cc[NCCS];
};
enum {
    ICANON = 1,
    ECHO = 2,
    ISIG = 4,
    IEXTEN = 8,
    VMIN = 0,
    VTIME = 1,
    TCSADRAIN = 1,
    TCSAFLUSH = 2
};
static inline int tcgetattr(int fd, struct termios *t)
{
    (void)fd;
    (void)t;
    errno = ENOTTY;
    return -1;
}
static inline int tcsetattr(int fd, int how, const struct termios *t)
{
    (void)fd;
    (void)how;
    (void)t;
    errno = ENOTTY;
    return -1;
}

#endif
