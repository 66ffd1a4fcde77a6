/*
 * embed.h - the embedded-entry registry (embed.c), private to src/core/:
 * init.c asks it for the entry that configures a target.
 */
#ifndef TINYVMI_CORE_EMBED_H
#define TINYVMI_CORE_EMBED_H

#include <stdbool.h>

#include <libvmi/libvmi.h>
#include "util/err.h"
#include "util/symz.h"

/* A checked entry: the caller's constant data and its opened symbol table. */
typedef struct core_embed {
    const tvmi_embedded_t *entry;
    util_symz_t syms;
    bool has_syms;
} core_embed_t;

/* The first embedded entry whose name matches target (registered ones,
 * then tvmi_embedded_entry), or *out NULL.  Fails, with the reason, only
 * when a linked tvmi_embedded_entry is damaged.  The result stays valid
 * for the life of the process. */
status_t core_embed_find(const char *target, const core_embed_t **out, util_err_t *err);

#endif
