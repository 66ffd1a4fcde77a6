/*
 * module.c - the kernel's loaded modules: the _LDR_DATA_TABLE_ENTRY list
 * that starts at PsLoadedModuleList (InLoadOrderLinks at offset 0).  The
 * first entry is ntoskrnl itself, then hal.dll and the boot drivers.
 *
 * A triage dump holds no such list in memory (no page tables, a few copies
 * of kernel memory), but its own driver list names every module: the file
 * driver states it as facts, win.Triage.Module.N.{Name, DllBase,
 * SizeOfImage, Flink, Blink, ...}, which are listed instead of walking
 * memory whenever the target states them.  An entry's own address is the Flink of the one before it
 * (the Blink of the one after it, for the first).
 *
 * Must not: walk without win_walk_list, or read a name without a cap.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"
#include "util/strutil.h"

typedef struct mod_ctx {
    tvmi_module_fn fn;
    void *ctx;
} mod_ctx_t;

static int each_module(vmi_instance_t vmi, win_state_t *st, addr_t entry, void *ctx)
{
    mod_ctx_t *m = ctx;
    const win_offsets_t *o = &st->off;
    tvmi_module_t mod;
    addr_t base;
    uint32_t size;

    memset(&mod, 0, sizeof(mod));
    mod.object = entry;
    if (win_read_ptr(vmi, st, entry + o->ldr_base, &base) != VMI_SUCCESS ||
        win_read_u32(vmi, entry + o->ldr_size, &size) != VMI_SUCCESS) {
        core_error_prefix(vmi, "module entry 0x%llx", (unsigned long long)entry);
        return -1;
    }
    mod.base = base;
    mod.size = size;
    if (win_read_unicode(vmi, st, entry + o->ldr_basename, mod.name, sizeof(mod.name)) !=
        VMI_SUCCESS) {
        core_error_prefix(vmi, "module entry 0x%llx: BaseDllName", (unsigned long long)entry);
        return -1;
    }
    return m->fn(m->ctx, &mod) ? 1 : 0;
}

/* One module of a triage dump's driver list, as its facts give it. */
typedef struct triage_mod {
    tvmi_module_t mod;
    uint64_t flink, blink;
    bool have_name, have_base, have_size;
} triage_mod_t;

/* Which module and field a fact is about; false for other facts. */
static bool triage_key(const char *key, unsigned long *idx, const char **field)
{
    static const char prefix[] = "win.Triage.Module.";
    uint64_t n;
    const char *end;
    if (strncmp(key, prefix, sizeof(prefix) - 1) != 0)
        return false;
    end = util_scan_decimal(key + sizeof(prefix) - 1, &n);
    if (!end || *end != '.' || n != (unsigned long)n)
        return false;
    *idx = (unsigned long)n;
    *field = end + 1;
    return true;
}

/* Module cur (number n) is whole: hand it out, except the first, which
 * waits for the second's Blink (its own address).  Non-zero to stop. */
typedef struct triage_walk {
    tvmi_module_fn fn;
    void *ctx;
    triage_mod_t first;
    bool first_pending;
    uint64_t prev_flink;
} triage_walk_t;

static int triage_done(triage_walk_t *w, triage_mod_t *cur, unsigned long n)
{
    int stop = 0;
    if (n == 0) {
        w->first = *cur;
        w->first_pending = true;
    } else {
        if (w->first_pending) {
            w->first.mod.object = cur->blink;
            w->first_pending = false;
            stop = w->fn(w->ctx, &w->first.mod);
        }
        cur->mod.object = w->prev_flink;
        if (!stop)
            stop = w->fn(w->ctx, &cur->mod);
    }
    w->prev_flink = cur->flink;
    return stop;
}

/* The modules a triage dump's driver list names, in its order: one pass
 * over the facts, which come module by module.  *any: there was a list. */
static status_t triage_modules(vmi_instance_t vmi, tvmi_module_fn fn, void *ctx, bool *any)
{
    triage_walk_t w = { fn, ctx, { .have_name = false }, false, 0 };
    triage_mod_t cur;
    unsigned long want = 0, idx;
    const char *field;
    tvmi_fact_t f;
    char saved[UTIL_ERR_MAX];

    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));
    *any = false;
    memset(&cur, 0, sizeof(cur));
    for (size_t i = 0; tvmi_get_fact(vmi, i, &f) == VMI_SUCCESS; i++) {
        if (!triage_key(f.key, &idx, &field))
            continue;
        if (idx != want) {
            if (idx != want + 1 || !cur.have_name || !cur.have_base || !cur.have_size) {
                core_error(vmi, "the triage dump's driver list states module %lu before "
                                "module %lu is whole", idx, want);
                return VMI_FAILURE;
            }
            if (triage_done(&w, &cur, want))
                return VMI_SUCCESS;
            memset(&cur, 0, sizeof(cur));
            want = idx;
        }
        *any = true;
        if (!strcmp(field, "Name") && f.text) {
            snprintf(cur.mod.name, sizeof(cur.mod.name), "%s", f.text);
            cur.have_name = true;
        } else if (!strcmp(field, "DllBase") && !f.text) {
            cur.mod.base = f.value;
            cur.have_base = true;
        } else if (!strcmp(field, "SizeOfImage") && !f.text) {
            cur.mod.size = f.value;
            cur.have_size = true;
        } else if (!strcmp(field, "Flink") && !f.text) {
            cur.flink = f.value;
        } else if (!strcmp(field, "Blink") && !f.text) {
            cur.blink = f.value;
        }
    }
    core_error(vmi, "%s", saved); /* running off the end of the facts is no failure */
    if (!*any)
        return VMI_SUCCESS;
    if (!cur.have_name || !cur.have_base || !cur.have_size) {
        core_error(vmi, "the triage dump's driver list states module %lu only in part", want);
        return VMI_FAILURE;
    }
    if (triage_done(&w, &cur, want))
        return VMI_SUCCESS;
    if (w.first_pending)
        fn(ctx, &w.first.mod); /* a list of one: its own address is unknown */
    return VMI_SUCCESS;
}

status_t win_module_foreach(vmi_instance_t vmi, void *state, tvmi_module_fn fn, void *ctx)
{
    win_state_t *st = state;
    mod_ctx_t m = { fn, ctx };
    /* A triage dump's own list first: the kernel wrote it whole at the
     * crash, while the dump holds only scraps of the list in memory. */
    bool any;
    if (triage_modules(vmi, fn, ctx, &any) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (any)
        return VMI_SUCCESS;
    if (!st->ps_loaded)
        return win_list_head_unknown(vmi, st, "PsLoadedModuleList", st->note_loaded);
    return win_walk_list(vmi, st, st->ps_loaded, "module list (PsLoadedModuleList)",
                         each_module, &m);
}
