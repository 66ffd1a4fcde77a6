/*
 * err.h - the reason behind a failure, as text the caller can read.
 *
 * Every layer below the core reports failures into a util_err_t that its
 * caller hands down; the core keeps one on each vmi_instance and exposes it
 * through tvmi_errmsg().  Nothing here allocates, so recording a
 * reason can never itself fail.
 */
#ifndef TINYVMI_UTIL_ERR_H
#define TINYVMI_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define UTIL_ERR_MAX 512

typedef struct util_err {
    char msg[UTIL_ERR_MAX];
} util_err_t;

/* Replace the reason.  A NULL err is allowed and ignored. */
void util_err_set(util_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void util_err_vset(util_err_t *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Put context in front of the current reason: "reading task list: <old>". */
void util_err_prefix(util_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void util_err_clear(util_err_t *err);

/* The reason, or "" when none was recorded. */
const char *util_err_msg(const util_err_t *err);

#endif
