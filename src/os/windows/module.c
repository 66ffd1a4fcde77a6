/*
 * module.c - the kernel's loaded modules: the _LDR_DATA_TABLE_ENTRY list
 * that starts at PsLoadedModuleList (InLoadOrderLinks at offset 0).  The
 * first entry is ntoskrnl itself, then hal.dll and the boot drivers.
 *
 * Must not: walk without win_walk_list, or read a name without a cap.
 */
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"

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

status_t win_module_foreach(vmi_instance_t vmi, void *state, tvmi_module_fn fn, void *ctx)
{
    win_state_t *st = state;
    mod_ctx_t m = { fn, ctx };
    if (!st->ps_loaded) {
        core_error(vmi, "PsLoadedModuleList is unknown: no profile symbol and no usable KDBG "
                        "(give a Volatility ISF profile as volatility_ist)%s%s%s%s%s%s",
                   st->note_loaded[0] ? "; " : "", st->note_loaded,
                   st->note_kdbg[0] ? "; " : "", st->note_kdbg,
                   st->note_kdbg_enc[0] ? "; " : "", st->note_kdbg_enc);
        return VMI_FAILURE;
    }
    return win_walk_list(vmi, st, st->ps_loaded, "module list (PsLoadedModuleList)",
                         each_module, &m);
}
