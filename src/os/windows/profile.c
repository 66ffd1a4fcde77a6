/*
 * profile.c - where the layer's structure offsets and kernel symbols come
 * from, and whether the profile fits the kernel in memory.
 *
 * A profile is a Volatility 3 ISF table for the kernel's PDB, named by the
 * config key volatility_ist (LibVMI's key; VMI_CONFIG_JSON_PATH sets it).
 * LibVMI's offset keys (win_tasks, win_pdbase, win_pid, win_pname) win over
 * the profile: the user knows their kernel.  The profile must have been
 * made from the PDB the kernel's CodeView record names: GUID and age are
 * compared, and a mismatch stops the layer with both printed, because a
 * wrong profile gives wrong answers that look right.
 *
 * Must not: guess an offset that neither the config nor the profile gives
 * (only the LDR entry layout, unchanged since NT 4, has defaults).
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"

status_t win_profile_load(vmi_instance_t vmi, win_state_t *st)
{
    const char *path = core_config_get(vmi, "volatility_ist");
    if (!path) {
        if (core_config_get(vmi, "rekall_profile")) {
            core_error(vmi, "rekall_profile is set, but Rekall profiles are not supported; "
                            "give a Volatility 3 ISF file (volatility_ist) instead");
            return VMI_FAILURE;
        }
        return VMI_SUCCESS; /* no profile: config offsets or nothing */
    }
    st->isf = isf_load_file(path, core_err(vmi));
    if (!st->isf) {
        core_error_prefix(vmi, "profile (volatility_ist)");
        return VMI_FAILURE;
    }
    if (isf_os(st->isf) != ISF_OS_WINDOWS) {
        core_error(vmi, "profile %s is not a Windows symbol table (no metadata.windows)", path);
        return VMI_FAILURE;
    }
    unsigned psize = isf_pointer_size(st->isf);
    if (psize && psize != st->ptr) {
        core_error(vmi, "profile %s is for a %u-bit kernel, but the guest runs %u-bit paging",
                   path, psize * 8, st->ptr * 8);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* The configured value of key, else the profile's strct.member.  A
 * configured value that is not a number sets *bad (the reason is on the
 * instance): it must stop the layer, not fall back quietly. */
static uint64_t offset_of(vmi_instance_t vmi, win_state_t *st, const char *key,
                          const char *strct, const char *member, const char **src, bool *bad)
{
    uint64_t v;
    if (key && core_config_get(vmi, key)) {
        if (!core_config_get_u64(vmi, key, &v)) {
            *bad = true;
            return WIN_UNKNOWN;
        }
        if (src)
            *src = "config";
        return v;
    }
    if (st->isf && isf_member_offset(st->isf, strct, member, &v, NULL)) {
        if (src)
            *src = "profile";
        return v;
    }
    if (src)
        *src = NULL;
    return WIN_UNKNOWN;
}

status_t win_offsets_init(vmi_instance_t vmi, win_state_t *st)
{
    win_offsets_t *o = &st->off;
    char saved[UTIL_ERR_MAX];
    bool bad = false;
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));

    o->tasks = offset_of(vmi, st, "win_tasks", "_EPROCESS", "ActiveProcessLinks",
                         &o->src_tasks, &bad);
    if (!bad)
        o->pdbase = offset_of(vmi, st, "win_pdbase", "_KPROCESS", "DirectoryTableBase",
                              &o->src_pdbase, &bad);
    if (!bad)
        o->pid = offset_of(vmi, st, "win_pid", "_EPROCESS", "UniqueProcessId", &o->src_pid,
                           &bad);
    if (!bad)
        o->pname = offset_of(vmi, st, "win_pname", "_EPROCESS", "ImageFileName",
                             &o->src_pname, &bad);
    if (bad)
        return VMI_FAILURE;
    o->ppid = offset_of(vmi, st, NULL, "_EPROCESS", "InheritedFromUniqueProcessId", NULL, &bad);
    o->user_dtb = offset_of(vmi, st, NULL, "_KPROCESS", "UserDirectoryTableBase", NULL, &bad);
    /* _EPROCESS begins with its _KPROCESS (Pcb at 0) on every release, so
     * the KPROCESS offset is also the EPROCESS one; check when we can. */
    uint64_t pcb;
    if (st->isf && isf_member_offset(st->isf, "_EPROCESS", "Pcb", &pcb, NULL) && pcb &&
        o->pdbase != WIN_UNKNOWN && o->src_pdbase && !strcmp(o->src_pdbase, "profile"))
        o->pdbase += pcb;

    /* _LDR_DATA_TABLE_ENTRY: the profile's, else the defaults. */
    uint64_t v;
    if ((v = offset_of(vmi, st, NULL, "_LDR_DATA_TABLE_ENTRY", "DllBase", NULL, &bad)) !=
        WIN_UNKNOWN)
        o->ldr_base = v;
    if ((v = offset_of(vmi, st, NULL, "_LDR_DATA_TABLE_ENTRY", "SizeOfImage", NULL, &bad)) !=
        WIN_UNKNOWN)
        o->ldr_size = v;
    if ((v = offset_of(vmi, st, NULL, "_LDR_DATA_TABLE_ENTRY", "FullDllName", NULL, &bad)) !=
        WIN_UNKNOWN)
        o->ldr_fullname = v;
    if ((v = offset_of(vmi, st, NULL, "_LDR_DATA_TABLE_ENTRY", "BaseDllName", NULL, &bad)) !=
        WIN_UNKNOWN)
        o->ldr_basename = v;
    core_error(vmi, "%s", saved);
    return VMI_SUCCESS;
}

void win_offsets_defaults(win_state_t *st)
{
    win_offsets_t *o = &st->off;
    bool wide = st->ptr == 8;
    o->tasks = o->pdbase = o->pid = o->pname = o->ppid = o->user_dtb = WIN_UNKNOWN;
    /* _LDR_DATA_TABLE_ENTRY: InLoadOrderLinks at 0, and these fields have
     * kept their places since NT 4 for each pointer width. */
    o->ldr_base = wide ? 0x30 : 0x18;
    o->ldr_size = wide ? 0x40 : 0x20;
    o->ldr_fullname = wide ? 0x48 : 0x24;
    o->ldr_basename = wide ? 0x58 : 0x2c;
}

status_t win_need_process_offsets(vmi_instance_t vmi, const win_state_t *st)
{
    const win_offsets_t *o = &st->off;
    char missing[96];
    snprintf(missing, sizeof(missing), "%s%s%s%s", o->tasks == WIN_UNKNOWN ? " win_tasks" : "",
             o->pdbase == WIN_UNKNOWN ? " win_pdbase" : "", o->pid == WIN_UNKNOWN ? " win_pid" : "",
             o->pname == WIN_UNKNOWN ? " win_pname" : "");
    if (!missing[0])
        return VMI_SUCCESS;
    core_error(vmi, "the EPROCESS offsets are unknown (missing:%s); give a Volatility ISF "
                    "profile for %s as volatility_ist, or set the offsets in the config",
               missing, st->have_cv ? pe_pdb_basename(st->cv.pdb) : "the kernel");
    return VMI_FAILURE;
}

bool win_profile_symbol(vmi_instance_t vmi, const win_state_t *st, const char *name,
                        addr_t *va)
{
    uint64_t rva;
    /* Windows ISF addresses are offsets from the image base. */
    if (!st->isf || !st->kbase || !isf_symbol(st->isf, name, &rva, NULL))
        return false;
    *va = st->kbase + rva;
    if (st->ptr == 4)
        *va &= 0xffffffffu;
    return true;
}

status_t win_profile_match(vmi_instance_t vmi, win_state_t *st)
{
    isf_pdb_t pdb;
    if (!st->isf)
        return VMI_SUCCESS;
    if (!isf_windows_pdb(st->isf, &pdb, core_err(vmi)))
        return VMI_FAILURE;
    if (!st->have_cv) {
        /* The record can be paged out; say so rather than pretend. */
        core_error(vmi, "cannot check profile %s against the kernel at 0x%llx: its %s is "
                        "unreadable", isf_name(st->isf), (unsigned long long)st->kbase,
                   st->kpe_ok ? "CodeView record" : "PE image");
        return VMI_FAILURE;
    }
    if (strcmp(pdb.guid, st->cv.guid_str) != 0 || pdb.age != st->cv.age) {
        core_error(vmi, "profile %s is for %s GUID %s age %u, but the kernel at 0x%llx is "
                        "%s GUID %s age %u",
                   isf_name(st->isf), pdb.database[0] ? pdb.database : "(unnamed PDB)",
                   pdb.guid, pdb.age, (unsigned long long)st->kbase,
                   pe_pdb_basename(st->cv.pdb), st->cv.guid_str, st->cv.age);
        return VMI_FAILURE;
    }
    if (pdb.machine && pdb.machine != st->kpe.machine) {
        core_error(vmi, "profile %s is for machine 0x%x, the kernel is 0x%x", isf_name(st->isf),
                   pdb.machine, st->kpe.machine);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
