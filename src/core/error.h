/* Internal helpers for filling a upernet_error. */
#ifndef UPERNET_CORE_ERROR_H
#define UPERNET_CORE_ERROR_H

#include "upernet.h"

/* Records status and a printf-style message in *err (err may be NULL) and
 * returns status, so callers can write `return upernet_fail(err, ...);`. */
enum upernet_status upernet_fail(upernet_error *err, enum upernet_status status,
                                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err to UPERNET_OK with an empty message (err may be NULL). */
void upernet_error_clear(upernet_error *err);

/* Evaluates `expr` (a upernet_status) and returns it from the calling
 * function unless it is UPERNET_OK. */
#define UPERNET_TRY(expr)                               \
    do {                                                \
        enum upernet_status upernet_try_status_ = (expr); \
        if (upernet_try_status_ != UPERNET_OK)          \
            return upernet_try_status_;                 \
    } while (0)

#endif
