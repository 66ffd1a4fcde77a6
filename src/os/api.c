/*
 * api.c - the public calls an OS layer answers: symbols by address, module
 * exports, offsets, the process of a page table, process and module lists,
 * Windows versions.  Each asks the running layer (os_ops_t) and fails with
 * a reason naming what is missing when no layer runs or the layer cannot
 * answer.  The two answers the core itself needs (symbol -> address, pid ->
 * page table) are in core/resolve.c.
 */
#include <stdlib.h>
#include <string.h>

#include "os/os.h"

const os_ops_t *os_running(vmi_instance_t vmi, void **state)
{
    /* The core_os_t the core holds is the first member of our table. */
    if (!vmi) {
        if (state)
            *state = NULL;
        return NULL;
    }
    return (const os_ops_t *)core_get_os(vmi, state);
}

/* Fail unless an OS layer runs and implements `fn`; sets `os` and `st`. */
#define NEED_OS(vmi, os, st, fn, what)                                                     \
    do {                                                                                   \
        if (!((os) = os_running((vmi), &(st)))) {                                          \
            core_error((vmi), "%s needs an OS layer, and none is running (set ostype in "  \
                              "the config, or see why detection failed)", (what));         \
            return VMI_FAILURE;                                                            \
        }                                                                                  \
        if (!(os)->fn) {                                                                   \
            core_error((vmi), "the %s layer cannot do %s", (os)->core.name, (what));       \
            return VMI_FAILURE;                                                            \
        }                                                                                  \
    } while (0)

/* ---- Symbols and exports ---- */

static const char *v2ksym(vmi_instance_t vmi, addr_t va)
{
    void *st;
    const os_ops_t *os = os_running(vmi, &st);
    const char *name;

    if (!vmi)
        return NULL;
    if (!os || !os->v2ksym) {
        core_error(vmi, "address-to-symbol lookup needs an OS layer with symbols%s",
                   os ? "; this one has none" : ", and none is running");
        return NULL;
    }
    name = os->v2ksym(vmi, st, va);
    if (!name && !util_err_msg(core_err(vmi))[0])
        core_error(vmi, "no kernel symbol at or below 0x%llx", (unsigned long long)va);
    return name;
}

const char *vmi_translate_v2ksym(vmi_instance_t vmi, const access_context_t *ctx, addr_t va)
{
    CORE_API_PTR(vmi, const char *, v2ksym(vmi, va));
}

static status_t sym2v(vmi_instance_t vmi, const access_context_t *ctx, const char *symbol,
                      addr_t *vaddr)
{
    const os_ops_t *os;
    void *st;
    addr_t rva;

    CORE_REQUIRE(vmi, ctx && symbol && vaddr);
    NEED_OS(vmi, os, st, user_sym2rva, "module export lookup");
    if (os->user_sym2rva(vmi, st, ctx, symbol, &rva) != VMI_SUCCESS)
        return VMI_FAILURE;
    *vaddr = ctx->addr + rva;
    return VMI_SUCCESS;
}

status_t vmi_translate_sym2v(vmi_instance_t vmi, const access_context_t *ctx, const char *symbol,
                             addr_t *vaddr)
{
    CORE_API(vmi, sym2v(vmi, ctx, symbol, vaddr));
}

static const char *v2sym(vmi_instance_t vmi, const access_context_t *ctx, addr_t rva)
{
    void *st;
    const os_ops_t *os = os_running(vmi, &st);
    const char *name;

    if (!vmi)
        return NULL;
    if (!ctx) {
        core_error(vmi, "a required argument is NULL (ctx)");
        return NULL;
    }
    if (!os || !os->user_rva2sym) {
        core_error(vmi, "export lookup needs an OS layer that reads module exports%s",
                   os ? "; this one does not" : ", and none is running");
        return NULL;
    }
    name = os->user_rva2sym(vmi, st, ctx, rva);
    if (!name && !util_err_msg(core_err(vmi))[0])
        core_error(vmi, "no export at RVA 0x%llx of the module at 0x%llx",
                   (unsigned long long)rva, (unsigned long long)ctx->addr);
    return name;
}

const char *vmi_translate_v2sym(vmi_instance_t vmi, const access_context_t *ctx, addr_t rva)
{
    CORE_API_PTR(vmi, const char *, v2sym(vmi, ctx, rva));
}

/* ---- Processes ---- */

static status_t dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid)
{
    const os_ops_t *os;
    void *st;

    CORE_REQUIRE(vmi, pid);
    NEED_OS(vmi, os, st, dtb_to_pid, "finding the process of a page table");
    if (os->dtb_to_pid(vmi, st, dtb, pid) != VMI_SUCCESS) {
        if (!util_err_msg(core_err(vmi))[0])
            core_error(vmi, "no process has page table 0x%llx", (unsigned long long)dtb);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid)
{
    CORE_API(vmi, dtb_to_pid(vmi, dtb, pid));
}

static status_t process_foreach(vmi_instance_t vmi, tvmi_process_fn fn, void *ctx)
{
    const os_ops_t *os;
    void *st;

    CORE_REQUIRE(vmi, fn);
    NEED_OS(vmi, os, st, process_foreach, "listing processes");
    return os->process_foreach(vmi, st, fn, ctx);
}

status_t tvmi_process_foreach(vmi_instance_t vmi, tvmi_process_fn fn, void *ctx)
{
    CORE_API(vmi, process_foreach(vmi, fn, ctx));
}

static status_t module_foreach(vmi_instance_t vmi, tvmi_module_fn fn, void *ctx)
{
    const os_ops_t *os;
    void *st;

    CORE_REQUIRE(vmi, fn);
    NEED_OS(vmi, os, st, module_foreach, "listing kernel modules");
    return os->module_foreach(vmi, st, fn, ctx);
}

status_t tvmi_module_foreach(vmi_instance_t vmi, tvmi_module_fn fn, void *ctx)
{
    CORE_API(vmi, module_foreach(vmi, fn, ctx));
}

/* ---- Offsets ---- */

static status_t get_offset(vmi_instance_t vmi, const char *name, addr_t *offset)
{
    const os_ops_t *os;
    void *st;
    uint64_t v;

    CORE_REQUIRE(vmi, name && offset);
    /* A configured value wins: the user knows their kernel. */
    if (core_config_get(vmi, name)) {
        if (!core_config_get_u64(vmi, name, &v))
            return VMI_FAILURE;
        *offset = v;
        return VMI_SUCCESS;
    }
    NEED_OS(vmi, os, st, get_offset, "offset lookup");
    if (os->get_offset(vmi, st, name, offset) != VMI_SUCCESS) {
        if (!util_err_msg(core_err(vmi))[0])
            core_error(vmi, "offset %s is unknown to the %s layer", name, os->core.name);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_get_offset(vmi_instance_t vmi, const char *name, addr_t *offset)
{
    CORE_API(vmi, get_offset(vmi, name, offset));
}

static status_t struct_offset(vmi_instance_t vmi, const char *strct, const char *member,
                              addr_t *addr)
{
    const os_ops_t *os;
    void *st;

    CORE_REQUIRE(vmi, strct && member && addr);
    NEED_OS(vmi, os, st, struct_offset, "structure offsets");
    if (os->struct_offset(vmi, st, strct, member, addr) != VMI_SUCCESS) {
        if (!util_err_msg(core_err(vmi))[0])
            core_error(vmi, "%s.%s is unknown to the %s layer", strct, member, os->core.name);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *strct, const char *member,
                                      addr_t *addr)
{
    CORE_API(vmi, struct_offset(vmi, strct, member, addr));
}

/* ---- Windows versions ---- */

static bool build_info(vmi_instance_t vmi, win_build_info_t *info)
{
    void *st;
    const os_ops_t *os = os_running(vmi, &st);

    if (!vmi)
        return false;
    if (!info) {
        core_error(vmi, "a required argument is NULL (info)");
        return false;
    }
    if (!os || !os->windows_build_info) {
        core_error(vmi, "Windows build information needs the Windows layer%s",
                   os ? "; the guest runs another OS" : ", and no OS layer is running");
        return false;
    }
    if (!os->windows_build_info(vmi, st, info)) {
        if (!util_err_msg(core_err(vmi))[0])
            core_error(vmi, "the Windows layer knows no build for this guest");
        return false;
    }
    return true;
}

bool vmi_get_windows_build_info(vmi_instance_t vmi, win_build_info_t *info)
{
    CORE_API_GUARDED(vmi, bool, build_info(vmi, info), r_, false);
}

static win_ver_t winver(vmi_instance_t vmi)
{
    win_build_info_t info;
    const os_ops_t *os = os_running(vmi, NULL);
    if (!os || os->core.type != VMI_OS_WINDOWS)
        return VMI_OS_WINDOWS_NONE;
    return build_info(vmi, &info) ? info.version : VMI_OS_WINDOWS_UNKNOWN;
}

/* VMI_OS_WINDOWS_NONE for a guest that is not Windows is an answer, not a
 * failure; VMI_OS_WINDOWS_UNKNOWN comes with its reason. */
win_ver_t vmi_get_winver(vmi_instance_t vmi)
{
    CORE_API_GUARDED(vmi, win_ver_t, winver(vmi), vmi && r_ != VMI_OS_WINDOWS_UNKNOWN,
                     VMI_OS_WINDOWS_UNKNOWN);
}

static uint16_t buildnumber(vmi_instance_t vmi)
{
    win_build_info_t info;
    return build_info(vmi, &info) ? info.buildnumber : 0;
}

uint16_t vmi_get_win_buildnumber(vmi_instance_t vmi)
{
    CORE_API_GUARDED(vmi, uint16_t, buildnumber(vmi), r_ != 0, 0);
}

static const char *winver_name(win_ver_t v)
{
    switch (v) {
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

const char *vmi_get_winver_str(vmi_instance_t vmi)
{
    CORE_API_GUARDED(vmi, const char *, winver_name(winver(vmi)), vmi != NULL,
                     "VMI_OS_WINDOWS_UNKNOWN");
}

/* LibVMI reads the version from a KDBG block the caller located; TinyVMI
 * finds and checks KDBG itself at init, so the address is only compared. */
static win_ver_t winver_manual(vmi_instance_t vmi, addr_t kdvb_pa)
{
    if (vmi)
        core_error(vmi, "reading the version from a caller-given KDBG (0x%llx) is not "
                        "supported: TinyVMI locates KDBG itself; use vmi_get_winver",
                   (unsigned long long)kdvb_pa);
    return VMI_OS_WINDOWS_UNKNOWN;
}

win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa)
{
    CORE_API_RET(vmi, win_ver_t, winver_manual(vmi, kdvb_pa), false);
}
