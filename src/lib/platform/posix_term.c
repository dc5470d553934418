/* The terminal's system half on POSIX (see term.c): termios raw mode. */
#include "socklab/term.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../internal.h"

int sl_term_sys_start(struct sl_term *t)
{
    if (!isatty(t->in_fd) || !isatty(t->out_fd)) {
        errno = ENOTTY;
        return -1;
    }
    if (tcgetattr(t->in_fd, &t->sys.saved) < 0)
        return -1;
    struct termios raw = t->sys.saved;
    raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    /* TCSADRAIN, not TCSAFLUSH: keys typed ahead (while connecting, say)
     * are kept, not thrown away. */
    return tcsetattr(t->in_fd, TCSADRAIN, &raw);
}

void sl_term_sys_stop(struct sl_term *t)
{
    (void)tcsetattr(t->in_fd, TCSADRAIN, &t->sys.saved);
}

size_t sl_term_sys_columns(const struct sl_term *t)
{
    struct winsize ws;
    return ioctl(t->out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

int sl_term_keys_fd(struct sl_term *t)
{
    return t->in_fd;
}
