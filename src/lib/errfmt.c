#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "socklab/platform.h"

void sl_errf(char *err, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, SL_ERRLEN, fmt, ap);
        va_end(ap);
    }
    errno = saved;
}

void sl_errno(char *err, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        char what[SL_ERRLEN], why[SL_ERRLEN];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(err, SL_ERRLEN, "%s: %s", what, sl_strerror(saved, why, sizeof why));
    }
    errno = saved;
}
