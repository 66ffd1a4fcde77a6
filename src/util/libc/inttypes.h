/* inttypes.h - the printf conversions for the fixed-width types the core
 * prints, from the compiler's own idea of uint64_t (-Wformat checks them). */
#ifndef TINYVMI_LIBC_INTTYPES_H
#define TINYVMI_LIBC_INTTYPES_H

#include <stdint.h>

#if __SIZEOF_LONG__ == 8
#define TVMI_LIBC_PRI64 "l"
#else
#define TVMI_LIBC_PRI64 "ll"
#endif
#define PRId64 TVMI_LIBC_PRI64 "d"
#define PRIu64 TVMI_LIBC_PRI64 "u"
#define PRIx64 TVMI_LIBC_PRI64 "x"
#define PRIX64 TVMI_LIBC_PRI64 "X"
#define PRIu32 "u"
#define PRIx32 "x"

#endif
