/* Windows build only (CMake adds this folder there): the POSIX header
 * name a socklab source includes, answered by the platform layer, so the
 * source stays as it is. */
#ifndef SOCKLAB_SHIM_POLL_H
#define SOCKLAB_SHIM_POLL_H

#include "socklab/platform.h"

/* WSAPoll, through the layer (errno set on failure). */
static inline int poll(struct pollfd *p, nfds_t n, int timeout_ms)
{
    return sl_poll(p, n, timeout_ms);
}

#endif
