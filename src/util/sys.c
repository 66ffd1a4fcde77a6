/*
 * sys.c - what the core builds on the platform seam (sys.h) itself: a
 * whole file read into memory, and formatted output to a stream.  Portable
 * C: a port replaces sys_posix.c and keeps this file.  It must not call
 * the host except through sys.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/sys.h"

util_sys_load_status_t util_sys_load(const char *path, uint64_t max, util_sys_load_t *out)
{
    util_sys_file_t f;

    out->data = NULL;
    out->len = 0;
    out->size = 0;
    out->why = "";
    if (!util_sys_open(&f, path, &out->why))
        return UTIL_SYS_LOAD_NO_OPEN;
    out->size = f.size;
    util_sys_load_status_t st = UTIL_SYS_LOAD_OK;
    if (!f.regular)
        st = UTIL_SYS_LOAD_NOT_REGULAR;
    else if (f.size > max || f.size >= SIZE_MAX)
        st = UTIL_SYS_LOAD_TOO_BIG;
    else if (!(out->data = malloc((size_t)f.size + 1)))
        st = UTIL_SYS_LOAD_NO_MEMORY;
    while (st == UTIL_SYS_LOAD_OK && out->len < f.size) {
        long long r = util_sys_read(&f, out->data + out->len, (size_t)f.size - out->len,
                                    &out->why);
        if (r <= 0)
            st = UTIL_SYS_LOAD_SHORT;
        else
            out->len += (size_t)r;
    }
    if (out->data)
        out->data[out->len] = '\0';
    util_sys_close(&f);
    return st;
}

bool util_sys_printf(void *stream, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n < sizeof(buf)) {
        util_sys_write(stream, buf, (size_t)n);
        return true;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        return false;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    util_sys_write(stream, big, (size_t)n);
    free(big);
    return true;
}
