/*
 * fakemem.h - a fake guest-physical memory for the page-walk tests, and a
 * walker over it (arch/x86.h callbacks).  Shared by test_x86_paging.c and
 * test_x86_enum.c; one memory per test program (fm).
 */
#ifndef TINYVMI_TEST_FAKEMEM_H
#define TINYVMI_TEST_FAKEMEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86.h"

/* Not every test uses every helper. */
#define FM_FN static __attribute__((unused))

typedef struct fakemem {
    unsigned char *mem;
    size_t size;
    unsigned reads;
} fakemem_t;

static fakemem_t fm;

FM_FN status_t fm_read(void *ctx, addr_t pa, unsigned size, uint64_t *value, util_err_t *err)
{
    fakemem_t *m = ctx;
    uint64_t v = 0;

    m->reads++;
    if (pa >= m->size || m->size - pa < size) {
        util_err_set(err, "0x%llx is outside the test memory", (unsigned long long)pa);
        return VMI_FAILURE;
    }
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)m->mem[pa + i] << (8 * i);
    *value = v;
    return VMI_SUCCESS;
}

FM_FN const void *fm_read_page(void *ctx, addr_t pa, void *buf, util_err_t *err)
{
    fakemem_t *m = ctx;
    (void)buf;
    if (pa >= m->size || m->size - pa < 4096) {
        util_err_set(err, "page 0x%llx is outside the test memory", (unsigned long long)pa);
        return NULL;
    }
    return m->mem + pa;   /* zero-copy, as a mapped image does */
}

FM_FN void fm_init(size_t size)
{
    free(fm.mem);
    fm.mem = calloc(1, size);
    fm.size = size;
    fm.reads = 0;
}

FM_FN void put64(addr_t pa, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        fm.mem[pa + i] = (unsigned char)(v >> (8 * i));
}

FM_FN void put32(addr_t pa, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        fm.mem[pa + i] = (unsigned char)(v >> (8 * i));
}

FM_FN arch_x86_walker_t walker(unsigned maxphyaddr, bool nxe, bool pse)
{
    arch_x86_walker_t w;
    memset(&w, 0, sizeof(w));
    w.read_entry = fm_read;
    w.ctx = &fm;
    w.maxphyaddr = maxphyaddr;
    w.nxe = nxe;
    w.pse = pse;
    return w;
}

#endif
