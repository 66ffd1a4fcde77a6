/*
 * btf_builder.h - building small BTF blobs by hand for tests (format:
 * the kernel's Documentation/bpf/btf.rst): a type section, a string section
 * and the 24-byte header in front.  Shared by the parser tests and the
 * hostile-input tests so both feed the parser the same layout.
 */
#ifndef TINYVMI_TEST_BTF_BUILDER_H
#define TINYVMI_TEST_BTF_BUILDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct bb {
    uint8_t types[4096];
    size_t tl;
    char strs[1024];
    size_t sl; /* start at 1: offset 0 is the empty name */
} bb_t;

static inline uint32_t bb_str(bb_t *b, const char *s)
{
    if (!*s)
        return 0;
    uint32_t off = (uint32_t)b->sl;
    memcpy(b->strs + b->sl, s, strlen(s) + 1);
    b->sl += strlen(s) + 1;
    return off;
}

static inline void bb_u32(bb_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->types[b->tl++] = (uint8_t)(v >> (8 * i));
}

static inline void bb_type(bb_t *b, const char *name, unsigned kind, unsigned vlen, bool kflag,
                           uint32_t size_or_type)
{
    bb_u32(b, bb_str(b, name));
    bb_u32(b, (uint32_t)kind << 24 | vlen | (kflag ? 1u << 31 : 0));
    bb_u32(b, size_or_type);
}

static inline void bb_member(bb_t *b, const char *name, uint32_t type, uint32_t bitoff)
{
    bb_u32(b, bb_str(b, name));
    bb_u32(b, type);
    bb_u32(b, bitoff);
}

/* The blob: header (magic 0xeB9F, version 1, hdr_len 24, types then
 * strings), malloc'd; *len its size. */
static inline uint8_t *bb_blob(const bb_t *b, size_t *len)
{
    size_t total = 24 + b->tl + b->sl;
    uint8_t *d = calloc(1, total);
    *len = 0;
    if (!d)
        return NULL;
    d[0] = 0x9f;
    d[1] = 0xeb;
    d[2] = 1;
    uint32_t h[5] = { 24, 0, (uint32_t)b->tl, (uint32_t)b->tl, (uint32_t)b->sl };
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            d[4 + 4 * i + j] = (uint8_t)(h[i] >> (8 * j));
    memcpy(d + 24, b->types, b->tl);
    memcpy(d + 24 + b->tl, b->strs, b->sl);
    *len = total;
    return d;
}

#endif
