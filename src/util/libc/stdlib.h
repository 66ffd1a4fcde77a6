/* stdlib.h - the allocator, one number parser and a sort (tests/seam/allowlist). */
#ifndef TINYVMI_LIBC_STDLIB_H
#define TINYVMI_LIBC_STDLIB_H

#include <stddef.h>

void *malloc(size_t n);
void *calloc(size_t count, size_t n);
void *realloc(void *p, size_t n);
void free(void *p);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
void qsort(void *base, size_t count, size_t size, int (*cmp)(const void *, const void *));

#endif
