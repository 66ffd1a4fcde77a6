/*
 * translate.c - virtual to physical: the v2p cache in front of arch/'s page
 * walkers, and turning an access context into (page table, address).
 */
#include <string.h>

#include "core/core.h"
#include "core/instance.h"

static status_t walk(vmi_instance_t vmi, arch_x86_mode_t mode, addr_t dtb, addr_t va,
                     page_info_t *info)
{
    if (arch_x86_translate(&vmi->walker, mode, dtb, va, info, &vmi->err) == VMI_SUCCESS)
        return VMI_SUCCESS;
    memset(&vmi->last_fault, 0, sizeof(vmi->last_fault));
    vmi->last_fault.version = ACCESS_CONTEXT_VERSION;
    vmi->last_fault.tm = VMI_TM_PROCESS_DTB;
    vmi->last_fault.addr = va;
    vmi->last_fault.dtb = dtb;
    vmi->last_fault.pm = arch_x86_page_mode(mode);
    return VMI_FAILURE;
}

static status_t translate_mode(vmi_instance_t vmi, arch_x86_mode_t mode, addr_t dtb,
                               addr_t va, addr_t *pa)
{
    page_info_t info;
    uint64_t key, page;

    if (mode == ARCH_X86_NONE) {
        *pa = va;
        return VMI_SUCCESS;
    }
    key = core_v2p_key(mode, dtb);
    if (util_lru_get(vmi->v2p, key, va >> 12, &page)) {
        vmi->v2p_hits++;
        *pa = page | (va & 0xfff);
        return VMI_SUCCESS;
    }
    vmi->v2p_misses++;
    if (walk(vmi, mode, dtb, va, &info) != VMI_SUCCESS)
        return VMI_FAILURE;
    util_lru_put(vmi->v2p, key, va >> 12, info.paddr & ~0xfffULL);
    *pa = info.paddr;
    return VMI_SUCCESS;
}

status_t core_translate(vmi_instance_t vmi, addr_t dtb, addr_t va, addr_t *pa)
{
    return translate_mode(vmi, vmi->pmode, dtb, va, pa);
}

bool core_mode_from_pm(vmi_instance_t vmi, page_mode_t pm, arch_x86_mode_t *mode)
{
    switch (pm) {
    case VMI_PM_LEGACY: *mode = ARCH_X86_LEGACY; return true;
    case VMI_PM_PAE: *mode = ARCH_X86_PAE; return true;
    case VMI_PM_IA32E:
        *mode = vmi->pmode == ARCH_X86_IA32E_5 ? ARCH_X86_IA32E_5 : ARCH_X86_IA32E_4;
        return true;
    default:
        core_error(vmi, "paging mode %u is not an x86 mode TinyVMI can walk", pm);
        return false;
    }
}

static status_t pagetable_lookup_extended_impl(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                       page_info_t *info)
{
    CORE_REQUIRE(vmi, info);
    memset(info, 0, sizeof(*info));
    if (vmi->pmode == ARCH_X86_NONE) {
        info->vaddr = info->paddr = vaddr;
        info->pt = pt;
        info->pm = VMI_PM_NONE;
        info->size = VMI_PS_4KB;
        return VMI_SUCCESS;
    }
    if (walk(vmi, vmi->pmode, pt, vaddr, info) != VMI_SUCCESS) {
        core_error_prefix(vmi, "page table 0x%llx, address 0x%llx", (unsigned long long)pt,
                          (unsigned long long)vaddr);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_pagetable_lookup_extended(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                       page_info_t *info)
{
    CORE_API(vmi, pagetable_lookup_extended_impl(vmi, pt, vaddr, info));
}

static status_t pagetable_lookup_impl(vmi_instance_t vmi, addr_t pt, addr_t vaddr, addr_t *paddr)
{
    addr_t pa;
    CORE_REQUIRE(vmi, paddr);
    if (core_translate(vmi, pt, vaddr, &pa) != VMI_SUCCESS) {
        core_error_prefix(vmi, "page table 0x%llx, address 0x%llx", (unsigned long long)pt,
                          (unsigned long long)vaddr);
        return VMI_FAILURE;
    }
    *paddr = pa;
    return VMI_SUCCESS;
}

status_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t pt, addr_t vaddr, addr_t *paddr)
{
    CORE_API(vmi, pagetable_lookup_impl(vmi, pt, vaddr, paddr));
}

static status_t nested_pagetable_lookup_impl(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                     addr_t pt, page_mode_t pm, addr_t vaddr, addr_t *paddr,
                                     addr_t *naddr)
{
    if (npm == VMI_PM_NONE && vmi) {
        arch_x86_mode_t mode;
        if (!core_mode_from_pm(vmi, pm, &mode))
            return VMI_FAILURE;
        if (naddr)
            *naddr = 0;
        return translate_mode(vmi, mode, pt, vaddr, paddr);
    }
    core_error(vmi, "nested (EPT) translation is not supported yet");
    return VMI_FAILURE;
}

status_t vmi_nested_pagetable_lookup(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                     addr_t pt, page_mode_t pm, addr_t vaddr, addr_t *paddr,
                                     addr_t *naddr)
{
    CORE_API(vmi, nested_pagetable_lookup_impl(vmi, npt, npm, pt, pm, vaddr, paddr, naddr));
}

static status_t nested_pagetable_lookup_extended_impl(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                              addr_t pt, page_mode_t pm, addr_t vaddr,
                                              page_info_t *info)
{
    arch_x86_mode_t mode;
    CORE_REQUIRE(vmi, info);
    if (npm != VMI_PM_NONE) {
        core_error(vmi, "nested (EPT) translation is not supported yet");
        return VMI_FAILURE;
    }
    if (!core_mode_from_pm(vmi, pm, &mode))
        return VMI_FAILURE;
    memset(info, 0, sizeof(*info));
    return walk(vmi, mode, pt, vaddr, info);
}

status_t vmi_nested_pagetable_lookup_extended(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                              addr_t pt, page_mode_t pm, addr_t vaddr,
                                              page_info_t *info)
{
    CORE_API(vmi, nested_pagetable_lookup_extended_impl(vmi, npt, npm, pt, pm, vaddr, info));
}

static status_t translate_kv2p_impl(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr)
{
    CORE_REQUIRE(vmi, paddr);
    if (!vmi->kpgd && vmi->pmode != ARCH_X86_NONE) {
        core_error(vmi, "the kernel page table is unknown (set kpgd in the config)");
        return VMI_FAILURE;
    }
    if (core_translate(vmi, vmi->kpgd, vaddr, paddr) != VMI_SUCCESS) {
        core_error_prefix(vmi, "kernel address 0x%llx", (unsigned long long)vaddr);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr)
{
    CORE_API(vmi, translate_kv2p_impl(vmi, vaddr, paddr));
}

static status_t translate_uv2p_impl(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *paddr)
{
    addr_t dtb;
    CORE_REQUIRE(vmi, paddr);
    if (core_pid_to_dtb(vmi, pid, &dtb) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (core_translate(vmi, dtb, vaddr, paddr) != VMI_SUCCESS) {
        core_error_prefix(vmi, "pid %d address 0x%llx", (int)pid, (unsigned long long)vaddr);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_translate_uv2p(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *paddr)
{
    CORE_API(vmi, translate_uv2p_impl(vmi, vaddr, pid, paddr));
}

status_t core_resolve_ctx(vmi_instance_t vmi, const access_context_t *ctx, addr_t *dtb,
                          addr_t *va)
{
    if (!ctx) {
        core_error(vmi, "access context is NULL");
        return VMI_FAILURE;
    }
    /* Version 0 is accepted: programs written before LibVMI versioned the
     * structure fill it without .version. */
    if (ctx->version > ACCESS_CONTEXT_VERSION) {
        core_error(vmi, "access context version %u is newer than this TinyVMI (%u)",
                   ctx->version, ACCESS_CONTEXT_VERSION);
        return VMI_FAILURE;
    }
    if (ctx->npt || ctx->npm) {
        core_error(vmi, "nested (EPT) translation is not supported yet");
        return VMI_FAILURE;
    }
    switch (ctx->tm) {
    case VMI_TM_NONE:
        *dtb = CORE_PHYSICAL;
        *va = ctx->addr;
        return VMI_SUCCESS;
    case VMI_TM_PROCESS_DTB:
        *dtb = ctx->dtb;
        *va = ctx->addr;
        return VMI_SUCCESS;
    case VMI_TM_PROCESS_PID:
        *va = ctx->addr;
        return core_pid_to_dtb(vmi, ctx->pid, dtb);
    case VMI_TM_KERNEL_SYMBOL:
        if (!ctx->ksym) {
            core_error(vmi, "access context names no kernel symbol (ksym is NULL)");
            return VMI_FAILURE;
        }
        if (core_ksym2v(vmi, ctx->ksym, va) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (!vmi->kpgd && vmi->pmode != ARCH_X86_NONE) {
            core_error(vmi, "the kernel page table is unknown (set kpgd in the config)");
            return VMI_FAILURE;
        }
        *dtb = vmi->kpgd;
        return VMI_SUCCESS;
    default:
        core_error(vmi, "unknown translation mechanism %u in access context", ctx->tm);
        return VMI_FAILURE;
    }
}

status_t core_translate_ctx(vmi_instance_t vmi, const access_context_t *ctx, addr_t dtb,
                            addr_t va, addr_t *pa)
{
    arch_x86_mode_t mode = vmi->pmode;
    if (ctx && ctx->pm != VMI_PM_NONE && ctx->pm != arch_x86_page_mode(vmi->pmode) &&
        !core_mode_from_pm(vmi, ctx->pm, &mode))
        return VMI_FAILURE;
    return translate_mode(vmi, mode, dtb, va, pa);
}
