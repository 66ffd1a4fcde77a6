/*
 * os.h - the seam between the core and an operating-system layer.
 *
 * An OS layer (os/linux, os/windows) turns raw guest memory into kernel
 * facts: symbols, structure offsets, the kernel page table, processes and
 * modules.  It reads guest memory only through the public vmi_read_* calls
 * and the core's helpers in core/core.h, so it never touches a driver or a
 * page-table walker directly.  The core picks a layer by the configured
 * ostype, or by asking each layer's detect() in turn.
 *
 * Every walk an OS layer makes over guest lists is bounded
 * (OS_WALK_LIMIT) and every string it reads has a length cap, because guest
 * memory is hostile input.
 */
#ifndef TINYVMI_OS_H
#define TINYVMI_OS_H

#include <stdbool.h>
#include <libvmi/libvmi.h>
#include "core/core.h"

/* The most entries any walk over a guest list may visit.  Real kernels have
 * far fewer processes or modules; a longer list is corrupt or cyclic. */
#define OS_WALK_LIMIT 100000

/* Where a kernel switches address space, for CR3-write events on targets
 * that cannot trap CR3 writes themselves (QEMU's gdbstub; events/cr3.c).
 * Two ways, either may be absent (count 0):
 *   var:  a variable each CPU writes right after it loads CR3 (Linux:
 *         cpu_tlbstate.loaded_mm), var[i] being CPU i's copy, len bytes; a
 *         write of skip (when have_skip) marks the start of a switch, before
 *         the load, and is not one;
 *   site: instructions right after the loads of CR3 on the switch path.
 * how says in words where they came from, for messages and docs. */
#define OS_CR3_MAX 32
typedef struct os_cr3_switch {
    addr_t var[OS_CR3_MAX];
    unsigned int nvars;
    uint32_t len;
    uint64_t skip;
    bool have_skip;
    addr_t site[OS_CR3_MAX];
    unsigned int nsites;
    char how[200];
} os_cr3_switch_t;

typedef struct os_ops {
    /* What the core itself calls (name = the ostype config value, type,
     * symbol -> address, pid -> page table, destroy); first, so that the
     * core_os_t the core holds is this table (os_of in api.c). */
    core_os_t core;

    /* Cheap check whether the guest runs this OS, for ostype-less init.
     * *state is NULL on entry; a layer that says yes may leave there what
     * it learned on the way (where the kernel is), which find_root and
     * init then receive as they would find_root's; one that says no
     * leaves it NULL.  The core frees it with core.destroy when init is
     * not reached. */
    bool (*detect)(vmi_instance_t vmi, void **state);
    /* May be NULL.  Called before init when the image gave no page-table
     * root and the config names this layer, or names none and this
     * layer's detect (which must then work on physical memory alone)
     * recognised the guest: find the kernel's root from the kernel's
     * symbols (the config's map, or the guest's own tables) with physical
     * reads, and offer it with core_paging_try_root.  Best effort, no reason needed:
     * when it offers nothing the core scans memory as before.  What it
     * loaded on the way (the symbol map, read once) it may leave in
     * *state (what detect left, or NULL), which init then receives; the
     * core frees it with core.destroy when init is not reached. */
    void (*find_root)(vmi_instance_t vmi, void **state);
    /* Start: find symbols, offsets and the kernel page table.  *state is
     * what detect and find_root left, or NULL; init owns it either way.  On failure
     * the reason is on the instance (core_error) and state is freed. */
    status_t (*init)(vmi_instance_t vmi, void **state);

    /* Each of these may be NULL when the layer cannot answer; the public
     * call then fails with a reason naming the OS. */
    const char *(*v2ksym)(vmi_instance_t vmi, void *state, addr_t va);
    status_t (*dtb_to_pid)(vmi_instance_t vmi, void *state, addr_t dtb, vmi_pid_t *pid);
    status_t (*get_offset)(vmi_instance_t vmi, void *state, const char *name, addr_t *off);
    status_t (*struct_offset)(vmi_instance_t vmi, void *state, const char *strct,
                              const char *member, addr_t *off);
    /* Export of a module (Windows PE, Linux ELF) at base, for
     * vmi_translate_sym2v / v2sym. */
    status_t (*user_sym2rva)(vmi_instance_t vmi, void *state, const access_context_t *ctx,
                             const char *sym, addr_t *rva);
    const char *(*user_rva2sym)(vmi_instance_t vmi, void *state,
                                const access_context_t *ctx, addr_t rva);
    status_t (*process_foreach)(vmi_instance_t vmi, void *state,
                                tvmi_process_fn fn, void *ctx);
    status_t (*module_foreach)(vmi_instance_t vmi, void *state,
                               tvmi_module_fn fn, void *ctx);
    /* Where this kernel switches address space (see os_cr3_switch_t). */
    status_t (*cr3_switch)(vmi_instance_t vmi, void *state, os_cr3_switch_t *out);
    /* Windows only; NULL elsewhere. */
    bool (*windows_build_info)(vmi_instance_t vmi, void *state, win_build_info_t *info);
} os_ops_t;

/* Built-in layers, NULL-terminated (os.c). */
extern const os_ops_t *const os_table[];
/* The layer whose name matches ostype (case-insensitive), or NULL. */
const os_ops_t *os_by_name(const char *ostype);
/* The running layer's table and state, or NULL (api.c). */
const os_ops_t *os_running(vmi_instance_t vmi, void **state);

#endif
