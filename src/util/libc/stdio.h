/* stdio.h - formatting into a buffer (tests/seam/allowlist).  FILE is only
 * a name here: tvmi_embed_generate takes one and hands it, unopened, to the
 * port's util_sys_write (util/sys.h). */
#ifndef TINYVMI_LIBC_STDIO_H
#define TINYVMI_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct tvmi_libc_file FILE;

int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
