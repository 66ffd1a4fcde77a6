/*
 * windows.c - the Windows OS layer's entry points (os_ops_t): detection,
 * start-up, offsets, teardown.
 *
 * Start-up, each step bounded and each failure with its reason:
 *   1. the profile (volatility_ist) and the offsets (config over profile);
 *   2. ntoskrnl's base and CodeView record (kernel.c), and the profile's
 *      PDB GUID/age checked against it (profile.c);
 *   3. PsActiveProcessHead / PsLoadedModuleList from what the user gave
 *      (the profile's symbols; win_sysproc; a KDBG the config or profile
 *      names), else from a crash dump's header (hints.c), else from the
 *      KDBG the header names or a search of the kernel image finds
 *      (kdbg.c): config > dump header > KDBG > scan;
 *   4. the System process, whose page table becomes the kernel's;
 *   5. the build number.
 * Steps 3-5 may come up empty (no profile, encoded KDBG): the layer still
 * starts, knowing the kernel and its PDB, and the calls that need the
 * missing pieces fail saying what to provide.
 *
 * Must not: start on a kernel the profile does not match, or leave a
 * half-built state behind on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"
#include "util/bytes.h"

static const char *const win_config_keys[] = {
    "win_tasks", "win_pdbase", "win_pid", "win_pname", "win_kdvb", "win_kdbg",
    "win_ntoskrnl", "win_ntoskrnl_va", "win_sysproc", NULL,
};

static void win_destroy(void *state)
{
    win_state_t *st = state;
    if (!st)
        return;
    isf_free(st->isf);
    free(st);
}

static win_state_t *win_state_new(vmi_instance_t vmi)
{
    unsigned width = vmi_get_address_width(vmi);
    if (width != 4 && width != 8) {
        core_error(vmi, "Windows needs x86 paging, and the guest's is %s",
                   arch_x86_mode_name(core_paging_mode(vmi)));
        return NULL;
    }
    win_state_t *st = calloc(1, sizeof(*st));
    if (!st) {
        core_error(vmi, "out of memory");
        return NULL;
    }
    st->ptr = width;
    win_offsets_defaults(st);
    return st;
}

/* Is the System process's EPROCESS at a configured physical address?  Then
 * its page table and list links are a further starting point. */
static void use_config_sysproc(vmi_instance_t vmi, win_state_t *st)
{
    uint64_t pa;
    if (!core_config_get(vmi, "win_sysproc") || !core_config_get_u64(vmi, "win_sysproc", &pa) ||
        st->off.tasks == WIN_UNKNOWN)
        return;
    uint8_t b[8] = { 0 };
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_NONE, .addr = pa + st->off.tasks);
    if (vmi_read(vmi, &ctx, st->ptr, b, NULL) != VMI_SUCCESS)
        return;
    uint64_t flink = util_le(b, st->ptr);
    /* System is the first entry after the head: its Blink is the head. */
    ctx.addr = pa + st->off.tasks + st->ptr;
    memset(b, 0, sizeof(b));
    if (!st->ps_active && vmi_read(vmi, &ctx, st->ptr, b, NULL) == VMI_SUCCESS) {
        uint64_t blink = util_le(b, st->ptr);
        if (win_is_kernel_va(st, blink) && win_is_kernel_va(st, flink))
            st->ps_active = blink;
    }
}

static status_t win_init(vmi_instance_t vmi, void **state)
{
    win_state_t *st = win_state_new(vmi);
    if (!st)
        return VMI_FAILURE;
    if (win_profile_load(vmi, st) != VMI_SUCCESS)
        goto fail;
    if (win_offsets_init(vmi, st) != VMI_SUCCESS)
        goto fail;
    if (win_find_kernel(vmi, st) != VMI_SUCCESS)
        goto fail;
    if (win_profile_match(vmi, st) != VMI_SUCCESS)
        goto fail;

    addr_t va;
    if (win_profile_symbol(vmi, st, "PsActiveProcessHead", &va))
        st->ps_active = va;
    if (win_profile_symbol(vmi, st, "PsLoadedModuleList", &va))
        st->ps_loaded = va;
    use_config_sysproc(vmi, st);
    win_kdbg_configured(vmi, st);
    win_hint_list_heads(vmi, st);
    win_kdbg_search(vmi, st);
    if (st->ps_active && win_need_process_offsets(vmi, st) == VMI_SUCCESS)
        win_find_system(vmi, st);
    win_version_init(vmi, st);
    util_err_clear(core_err(vmi));
    *state = st;
    return VMI_SUCCESS;
fail:
    win_destroy(st);
    return VMI_FAILURE;
}

static bool win_detect(vmi_instance_t vmi, void **state)
{
    (void)state; /* init finds the kernel again, with the whole config */
    for (size_t i = 0; win_config_keys[i]; i++)
        if (core_config_get(vmi, win_config_keys[i]))
            return true;
    /* Otherwise: is there a Windows kernel image where one would be? */
    char saved[UTIL_ERR_MAX];
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));
    win_state_t *st = win_state_new(vmi);
    bool found = st && win_find_kernel(vmi, st) == VMI_SUCCESS;
    win_destroy(st);
    core_error(vmi, "%s", saved);
    return found;
}

static status_t win_get_offset(vmi_instance_t vmi, void *state, const char *name, addr_t *off)
{
    win_state_t *st = state;
    uint64_t v = WIN_UNKNOWN;
    addr_t pa;
    if (!strcmp(name, "win_tasks"))
        v = st->off.tasks;
    else if (!strcmp(name, "win_pdbase"))
        v = st->off.pdbase;
    else if (!strcmp(name, "win_pid"))
        v = st->off.pid;
    else if (!strcmp(name, "win_pname"))
        v = st->off.pname;
    else if (!strcmp(name, "win_ntoskrnl_va"))
        v = st->kbase ? st->kbase : WIN_UNKNOWN;
    else if (!strcmp(name, "win_ntoskrnl"))
        v = st->kbase_pa ? st->kbase_pa : WIN_UNKNOWN;
    else if (!strcmp(name, "win_kdvb"))
        v = st->kdbg ? st->kdbg : WIN_UNKNOWN;
    else if (!strcmp(name, "win_kdbg"))
        v = st->kdbg ? st->kdbg - st->kbase : WIN_UNKNOWN;
    else if (!strcmp(name, "win_sysproc")) {
        if (st->sysproc && vmi_translate_kv2p(vmi, st->sysproc, &pa) == VMI_SUCCESS)
            v = pa;
    } else if (!strcmp(name, "kpgd"))
        v = core_kernel_dtb(vmi);
    else {
        core_error(vmi, "the Windows layer has no offset named %s", name);
        return VMI_FAILURE;
    }
    if (v == WIN_UNKNOWN) {
        bool kd = !strcmp(name, "win_kdvb") || !strcmp(name, "win_kdbg");
        /* An encoded KDBG that could not be decoded says why. */
        core_error(vmi, "offset %s is unknown for this guest%s%s", name,
                   kd && st->note_kdbg_enc[0] ? ": " : "", kd ? st->note_kdbg_enc : "");
        return VMI_FAILURE;
    }
    *off = v;
    return VMI_SUCCESS;
}

static status_t win_struct_offset(vmi_instance_t vmi, void *state, const char *strct,
                                  const char *member, addr_t *off)
{
    win_state_t *st = state;
    uint64_t v;
    if (!st->isf) {
        core_error(vmi, "structure offsets need a profile (volatility_ist)");
        return VMI_FAILURE;
    }
    if (!isf_member_offset(st->isf, strct, member, &v, core_err(vmi)))
        return VMI_FAILURE;
    *off = v;
    return VMI_SUCCESS;
}

const os_ops_t os_windows_ops = {
    .core = { .name = "Windows", .type = VMI_OS_WINDOWS, .ksym2v = win_ksym2v,
              .pid_to_dtb = win_pid_to_dtb, .destroy = win_destroy },
    .detect = win_detect,
    .init = win_init,
    .v2ksym = win_v2ksym,
    .dtb_to_pid = win_dtb_to_pid,
    .get_offset = win_get_offset,
    .struct_offset = win_struct_offset,
    .user_sym2rva = win_user_sym2rva,
    .user_rva2sym = win_user_rva2sym,
    .process_foreach = win_process_foreach,
    .module_foreach = win_module_foreach,
    .windows_build_info = win_build_info,
};
