/*
 * exports.c - symbols: the kernel's (profile first, then what the KDBG
 * named, then ntoskrnl's own PE exports) and any module's PE exports for
 * vmi_translate_sym2v / vmi_translate_v2sym.
 *
 * Must not: parse PE images itself (pe.c does), or return a forwarded
 * export as if it had an address.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"

/* Open the PE image at ctx->addr, translated the way ctx says. */
static status_t open_module(vmi_instance_t vmi, const access_context_t *ctx, win_pe_ctx_t *c,
                            pe_image_t *img)
{
    memset(c, 0, sizeof(*c));
    c->vmi = vmi;
    c->base = ctx->addr;
    c->ctx = *ctx;
    if (c->ctx.translate_mechanism == VMI_TM_KERNEL_SYMBOL) {
        core_error(vmi, "a module's exports need its base address, not a symbol");
        return VMI_FAILURE;
    }
    if (pe_open(img, win_pe_read, c, core_err(vmi)) != VMI_SUCCESS) {
        core_error_prefix(vmi, "PE image at 0x%llx", (unsigned long long)ctx->addr);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t win_user_sym2rva(vmi_instance_t vmi, void *state, const access_context_t *ctx,
                          const char *sym, addr_t *rva)
{
    win_pe_ctx_t c;
    pe_image_t img;
    pe_export_t e;
    if (open_module(vmi, ctx, &c, &img) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (pe_export_by_name(&img, sym, &e, core_err(vmi)) != VMI_SUCCESS) {
        core_error_prefix(vmi, "PE image at 0x%llx", (unsigned long long)ctx->addr);
        return VMI_FAILURE;
    }
    if (e.forwarder[0]) {
        core_error(vmi, "PE image at 0x%llx: export %s is forwarded to %s",
                   (unsigned long long)ctx->addr, sym, e.forwarder);
        return VMI_FAILURE;
    }
    *rva = e.rva;
    return VMI_SUCCESS;
}

const char *win_user_rva2sym(vmi_instance_t vmi, void *state, const access_context_t *ctx,
                             addr_t rva)
{
    win_state_t *st = state;
    win_pe_ctx_t c;
    pe_image_t img;
    if (rva > UINT32_MAX) {
        core_error(vmi, "RVA 0x%llx is beyond any PE image", (unsigned long long)rva);
        return NULL;
    }
    if (open_module(vmi, ctx, &c, &img) != VMI_SUCCESS)
        return NULL;
    if (pe_export_name_at(&img, (uint32_t)rva, st->symbuf, sizeof(st->symbuf), core_err(vmi)) !=
        VMI_SUCCESS) {
        core_error_prefix(vmi, "PE image at 0x%llx", (unsigned long long)ctx->addr);
        return NULL;
    }
    return st->symbuf;
}

status_t win_ksym2v(vmi_instance_t vmi, void *state, const char *sym, addr_t *va)
{
    win_state_t *st = state;
    if (!st->kbase) {
        core_error(vmi, "kernel symbol %s: the kernel base is unknown", sym);
        return VMI_FAILURE;
    }
    if (win_profile_symbol(vmi, st, sym, va))
        return VMI_SUCCESS;
    /* What was found on the way in, without a profile. */
    addr_t found = 0;
    if (strcmp(sym, "PsActiveProcessHead") == 0)
        found = st->ps_active;
    else if (strcmp(sym, "PsLoadedModuleList") == 0)
        found = st->ps_loaded;
    else if (strcmp(sym, "KdDebuggerDataBlock") == 0)
        found = st->kdbg;
    else if (strcmp(sym, "KernBase") == 0)
        found = st->kbase;
    if (found) {
        *va = found;
        return VMI_SUCCESS;
    }
    if (!st->kpe_ok) {
        core_error(vmi, "kernel symbol %s: not in %s, and ntoskrnl's exports are unreadable "
                        "(no PE image at its base 0x%llx, found via %s)", sym,
                   st->isf ? isf_name(st->isf) : "any profile (none loaded)",
                   (unsigned long long)st->kbase, st->kbase_src);
        return VMI_FAILURE;
    }
    /* ntoskrnl exports many of its variables (PsInitialSystemProcess,
     * NtBuildNumber, KeServiceDescriptorTable on x86...). */
    win_pe_ctx_t c;
    pe_image_t img;
    pe_export_t e;
    win_kernel_pe(vmi, st, &img, &c);
    if (pe_export_by_name(&img, sym, &e, core_err(vmi)) == VMI_SUCCESS && !e.forwarder[0]) {
        *va = st->kbase + e.rva;
        return VMI_SUCCESS;
    }
    core_error(vmi, "kernel symbol %s: not in %s, and not exported by ntoskrnl", sym,
               st->isf ? isf_name(st->isf) : "any profile (none loaded)");
    return VMI_FAILURE;
}

const char *win_v2ksym(vmi_instance_t vmi, void *state, addr_t va)
{
    win_state_t *st = state;
    if (!st->kbase || va < st->kbase) {
        core_error(vmi, "no kernel symbol at 0x%llx", (unsigned long long)va);
        return NULL;
    }
    if (st->isf) {
        const char *name = isf_symbol_at(st->isf, va - st->kbase);
        if (name)
            return name;
    }
    if (st->kpe_ok && va - st->kbase < st->kpe.size_of_image) {
        win_pe_ctx_t c;
        pe_image_t img;
        win_kernel_pe(vmi, st, &img, &c);
        if (pe_export_name_at(&img, (uint32_t)(va - st->kbase), st->symbuf, sizeof(st->symbuf),
                              core_err(vmi)) == VMI_SUCCESS)
            return st->symbuf;
    }
    core_error(vmi, "no kernel symbol at 0x%llx", (unsigned long long)va);
    return NULL;
}
