/*
 * err.c - recording failure reasons (see err.h).
 */
#include "util/err.h"

#include <stdio.h>
#include <string.h>

void util_err_vset(util_err_t *err, const char *fmt, va_list ap)
{
    if (!err)
        return;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void util_err_set(util_err_t *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    util_err_vset(err, fmt, ap);
    va_end(ap);
}

void util_err_prefix(util_err_t *err, const char *fmt, ...)
{
    char old[UTIL_ERR_MAX];
    size_t n;
    va_list ap;

    if (!err)
        return;
    memcpy(old, err->msg, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    /* Append ": old", cut to fit: the head matters most. */
    n = strlen(err->msg);
    if (old[0] && n + 2 < sizeof(err->msg)) {
        memcpy(err->msg + n, ": ", 2);
        n += 2;
        size_t room = sizeof(err->msg) - n - 1, len = strlen(old);
        if (len > room)
            len = room;
        memcpy(err->msg + n, old, len);
        err->msg[n + len] = '\0';
    }
}

void util_err_clear(util_err_t *err)
{
    if (err)
        err->msg[0] = '\0';
}

const char *util_err_msg(const util_err_t *err)
{
    return err ? err->msg : "";
}
