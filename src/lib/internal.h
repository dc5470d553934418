/* Library-private helpers; not installed. */
#ifndef SOCKLAB_INTERNAL_H
#define SOCKLAB_INTERNAL_H

#include "socklab/err.h"

/* Fills ERR (SL_ERRLEN bytes, may be NULL) like snprintf. errno is kept. */
void sl_errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills ERR with "<what>: strerror(errno)". errno is kept. */
void sl_errno(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
