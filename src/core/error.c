#include "config.h"

#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

enum upernet_status upernet_fail(upernet_error *err, enum upernet_status status,
                                 const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void upernet_error_clear(upernet_error *err)
{
    if (err != NULL) {
        err->status = UPERNET_OK;
        err->message[0] = '\0';
    }
}

const char *upernet_status_name(enum upernet_status status)
{
    switch (status) {
    case UPERNET_OK: return "ok";
    case UPERNET_ERR_ARGUMENT: return "invalid argument";
    case UPERNET_ERR_NOMEM: return "out of memory";
    case UPERNET_ERR_IO: return "I/O error";
    case UPERNET_ERR_FORMAT: return "format error";
    case UPERNET_ERR_UNSUPPORTED: return "unsupported";
    case UPERNET_ERR_MISMATCH: return "mismatch";
    case UPERNET_ERR_LIMIT: return "limit exceeded";
    }
    return "unknown error";
}
