/*
 * osglue.c - the public calls that need an OS layer: symbols, processes,
 * offsets.  Each asks the layer through os_ops_t, caching answers in the
 * instance's bounded caches, and fails with a reason naming what is missing
 * when no layer is running or the layer cannot answer.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"

char *core_symcache_key(addr_t base, vmi_pid_t pid, const char *sym);

/* Fail unless an OS layer runs and implements `fn`. */
#define NEED_OS(vmi, fn, what)                                                              \
    do {                                                                                   \
        if (!(vmi)->os) {                                                                  \
            core_error((vmi), "%s needs an OS layer, and none is running (set ostype in "  \
                              "the config, or see why detection failed)", (what));         \
            return VMI_FAILURE;                                                            \
        }                                                                                  \
        if (!(vmi)->os->fn) {                                                              \
            core_error((vmi), "the %s layer cannot do %s", (vmi)->os->name, (what));       \
            return VMI_FAILURE;                                                            \
        }                                                                                  \
    } while (0)

os_t vmi_get_ostype(vmi_instance_t vmi)
{
    return vmi && vmi->os ? vmi->os->type : VMI_OS_UNKNOWN;
}

status_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *vaddr)
{
    char *key;
    addr_t *hit, *v;

    CORE_REQUIRE(vmi, symbol && vaddr);
    key = core_symcache_key(0, 0, symbol);
    if (key && (hit = util_hash_lookup(vmi->symcache, key))) {
        *vaddr = *hit;
        free(key);
        return VMI_SUCCESS;
    }
    free(key);
    NEED_OS(vmi, ksym2v, "kernel symbol lookup");
    if (vmi->os->ksym2v(vmi, vmi->os_state, symbol, vaddr) != VMI_SUCCESS) {
        if (!vmi->err.msg[0])
            core_error(vmi, "kernel symbol %s not found", symbol);
        return VMI_FAILURE;
    }
    key = core_symcache_key(0, 0, symbol);
    v = malloc(sizeof(*v));
    if (key && v) {
        *v = *vaddr;
        if (util_hash_count(vmi->symcache) >= vmi->symcache_max)
            util_hash_clear(vmi->symcache);
        if (util_hash_insert(vmi->symcache, key, v))
            return VMI_SUCCESS;
    }
    free(key);
    free(v);
    return VMI_SUCCESS;
}

const char *vmi_translate_v2ksym(vmi_instance_t vmi, const access_context_t *ctx, addr_t va)
{
    if (!vmi || !vmi->os || !vmi->os->v2ksym) {
        if (vmi)
            core_error(vmi, "address-to-symbol lookup needs an OS layer with symbols");
        return NULL;
    }
    return vmi->os->v2ksym(vmi, vmi->os_state, va);
}

status_t vmi_translate_sym2v(vmi_instance_t vmi, const access_context_t *ctx, const char *symbol,
                             addr_t *vaddr)
{
    addr_t rva;
    CORE_REQUIRE(vmi, ctx && symbol && vaddr);
    NEED_OS(vmi, user_sym2rva, "module export lookup");
    if (vmi->os->user_sym2rva(vmi, vmi->os_state, ctx, symbol, &rva) != VMI_SUCCESS)
        return VMI_FAILURE;
    *vaddr = ctx->addr + rva;
    return VMI_SUCCESS;
}

const char *vmi_translate_v2sym(vmi_instance_t vmi, const access_context_t *ctx, addr_t rva)
{
    if (!vmi || !ctx || !vmi->os || !vmi->os->user_rva2sym) {
        if (vmi)
            core_error(vmi, "export lookup needs an OS layer that reads module exports");
        return NULL;
    }
    return vmi->os->user_rva2sym(vmi, vmi->os_state, ctx, rva);
}

status_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb)
{
    uint64_t v;
    CORE_REQUIRE(vmi, dtb);
    if (pid == 0) { /* by LibVMI's convention: the kernel */
        if (!vmi->kpgd && vmi->pmode != ARCH_X86_NONE) {
            core_error(vmi, "the kernel page table is unknown (set kpgd in the config)");
            return VMI_FAILURE;
        }
        *dtb = vmi->kpgd;
        return VMI_SUCCESS;
    }
    if (util_lru_get(vmi->pidcache, (uint32_t)pid, 0, &v)) {
        *dtb = v;
        return VMI_SUCCESS;
    }
    NEED_OS(vmi, pid_to_dtb, "finding a process's page table");
    if (vmi->os->pid_to_dtb(vmi, vmi->os_state, pid, dtb) != VMI_SUCCESS) {
        if (!vmi->err.msg[0])
            core_error(vmi, "no process with pid %d", (int)pid);
        return VMI_FAILURE;
    }
    util_lru_put(vmi->pidcache, (uint32_t)pid, 0, *dtb);
    return VMI_SUCCESS;
}

status_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid)
{
    CORE_REQUIRE(vmi, pid);
    NEED_OS(vmi, dtb_to_pid, "finding the process of a page table");
    return vmi->os->dtb_to_pid(vmi, vmi->os_state, dtb, pid);
}

status_t vmi_get_offset(vmi_instance_t vmi, const char *name, addr_t *offset)
{
    uint64_t v;
    CORE_REQUIRE(vmi, name && offset);
    /* A configured value wins: the user knows their kernel. */
    if (config_get(vmi->config, name)) {
        if (!config_get_u64(vmi->config, name, &v, &vmi->err))
            return VMI_FAILURE;
        *offset = v;
        return VMI_SUCCESS;
    }
    NEED_OS(vmi, get_offset, "offset lookup");
    if (vmi->os->get_offset(vmi, vmi->os_state, name, offset) != VMI_SUCCESS) {
        if (!vmi->err.msg[0])
            core_error(vmi, "offset %s is unknown", name);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *strct, const char *member,
                                      addr_t *addr)
{
    CORE_REQUIRE(vmi, strct && member && addr);
    NEED_OS(vmi, struct_offset, "structure offsets");
    return vmi->os->struct_offset(vmi, vmi->os_state, strct, member, addr);
}

status_t tvmi_process_foreach(vmi_instance_t vmi, tvmi_process_fn fn, void *ctx)
{
    CORE_REQUIRE(vmi, fn);
    NEED_OS(vmi, process_foreach, "listing processes");
    return vmi->os->process_foreach(vmi, vmi->os_state, fn, ctx);
}

status_t tvmi_module_foreach(vmi_instance_t vmi, tvmi_module_fn fn, void *ctx)
{
    CORE_REQUIRE(vmi, fn);
    NEED_OS(vmi, module_foreach, "listing kernel modules");
    return vmi->os->module_foreach(vmi, vmi->os_state, fn, ctx);
}

bool vmi_get_windows_build_info(vmi_instance_t vmi, win_build_info_t *info)
{
    if (!vmi || !info || !vmi->os || !vmi->os->windows_build_info)
        return false;
    return vmi->os->windows_build_info(vmi, vmi->os_state, info);
}

win_ver_t vmi_get_winver(vmi_instance_t vmi)
{
    win_build_info_t info;
    if (!vmi || vmi_get_ostype(vmi) != VMI_OS_WINDOWS)
        return VMI_OS_WINDOWS_NONE;
    return vmi_get_windows_build_info(vmi, &info) ? info.version : VMI_OS_WINDOWS_UNKNOWN;
}

uint16_t vmi_get_win_buildnumber(vmi_instance_t vmi)
{
    win_build_info_t info;
    return vmi_get_windows_build_info(vmi, &info) ? info.buildnumber : 0;
}

const char *vmi_get_winver_str(vmi_instance_t vmi)
{
    switch (vmi_get_winver(vmi)) {
    case VMI_OS_WINDOWS_NONE: return "VMI_OS_WINDOWS_NONE";
    case VMI_OS_WINDOWS_2000: return "VMI_OS_WINDOWS_2000";
    case VMI_OS_WINDOWS_XP: return "VMI_OS_WINDOWS_XP";
    case VMI_OS_WINDOWS_2003: return "VMI_OS_WINDOWS_2003";
    case VMI_OS_WINDOWS_VISTA: return "VMI_OS_WINDOWS_VISTA";
    case VMI_OS_WINDOWS_2008: return "VMI_OS_WINDOWS_2008";
    case VMI_OS_WINDOWS_7: return "VMI_OS_WINDOWS_7";
    case VMI_OS_WINDOWS_8: return "VMI_OS_WINDOWS_8";
    case VMI_OS_WINDOWS_10: return "VMI_OS_WINDOWS_10";
    default: return "VMI_OS_WINDOWS_UNKNOWN";
    }
}

win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa)
{
    if (vmi)
        core_error(vmi, "vmi_get_winver_manual is not supported; use vmi_get_winver");
    return VMI_OS_WINDOWS_UNKNOWN;
}
