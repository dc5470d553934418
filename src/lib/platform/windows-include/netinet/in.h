/* Windows build only (CMake adds this folder there): the POSIX header
 * name a socklab source includes, answered by the platform layer, so the
 * source stays as it is. */
#ifndef SOCKLAB_SHIM_NETINET_IN_H
#define SOCKLAB_SHIM_NETINET_IN_H

#include "socklab/platform.h"

#endif
