/*
 * symz.h - the compact symbol table: a kernel's symbols as one block of
 * constant bytes that needs no work to load (it can sit in a program's
 * .rodata), looked up by name and by address in place.  The byte format is
 * described at the top of symz.c.
 *
 * It knows nothing of kernels, configuration or instances: names and
 * addresses in, names and addresses out.
 */
#ifndef TINYVMI_UTIL_SYMZ_H
#define TINYVMI_UTIL_SYMZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The longest name the format holds, terminator included. */
#define UTIL_SYMZ_NAME_MAX 1024
/* At most this many symbols (a kernel has 100k-250k). */
#define UTIL_SYMZ_COUNT_MAX (1u << 24)

/* A checked view of a table; points into the caller's bytes. */
typedef struct util_symz {
    const uint8_t *data;
    size_t len;
    uint32_t count, block, nblocks, nsegs, names_len;
    const uint8_t *blocks, *names, *types, *name2addr, *lows, *addr2name, *segs;
} util_symz_t;

/* Check every part of the table at data (header, section bounds, the block
 * index, every name and its order, the address order, the two permutations)
 * and fill z.  False with a reason naming the part at fault. */
bool util_symz_open(util_symz_t *z, const void *data, size_t len, util_err_t *err);

/* By name: the address-order position of the first symbol of that name (in
 * the order the symbols were given to util_symz_build). */
bool util_symz_find(const util_symz_t *z, const char *name, size_t len, uint32_t *pos);
/* The pos-th symbol in address order (pos < count): address, type letter,
 * and its name copied into buf (cap >= UTIL_SYMZ_NAME_MAX; returns the
 * length). */
uint64_t util_symz_addr(const util_symz_t *z, uint32_t pos);
char util_symz_type(const util_symz_t *z, uint32_t pos);
size_t util_symz_name(const util_symz_t *z, uint32_t pos, char *buf, size_t cap);
/* The number of symbols whose address is <= addr, i.e. the address-order
 * position just past the last such symbol. */
uint32_t util_symz_upper(const util_symz_t *z, uint64_t addr);

/* ---- Building a table (vmi-embed) ---- */
typedef struct util_symz_in {
    const char *name; /* need not be terminated */
    uint32_t len;     /* 1 .. UTIL_SYMZ_NAME_MAX - 1 */
    uint64_t addr;
    char type;
} util_symz_in_t;

/* A malloc'd table of the n symbols (their order is the "order given" that
 * lookups by name and ties by address keep).  NULL with a reason when a
 * name is empty, too long or holds a control byte, n is 0 or too large, or
 * memory runs out. */
uint8_t *util_symz_build(const util_symz_in_t *syms, size_t n, size_t *out_len,
                         util_err_t *err);

#endif
