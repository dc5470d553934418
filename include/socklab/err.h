/* Error convention shared by the whole library.
 *
 * Functions return -1 (with errno set) on failure and, when they take one,
 * fill a caller-owned buffer of SL_ERRLEN bytes with "what failed: why",
 * e.g. "bind [::]:7007: Address already in use". The library never prints
 * and never exits; the program decides what to do with the text. */
#ifndef SOCKLAB_ERR_H
#define SOCKLAB_ERR_H

#define SL_ERRLEN 256

#endif
