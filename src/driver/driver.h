/*
 * driver.h - the one seam between TinyVMI's core and whatever holds guest
 * physical memory and vCPU state: a memory image, a live QEMU, Xen.
 *
 * Like SQLite's VFS, a driver is a table of functions plus private state.
 * The core never looks inside the state and never includes a driver's own
 * header; adding a hypervisor means adding one table to driver.c's list.
 * Drivers know nothing of paging, symbols or operating systems.
 *
 * Conventions: every function that can fail returns VMI_SUCCESS or
 * VMI_FAILURE and, on failure, writes the reason into err (never NULL when
 * called by the core).
 */
#ifndef TINYVMI_DRIVER_H
#define TINYVMI_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "util/err.h"

/* Settings a driver may consult at open; NULL fields mean "not given". */
typedef struct driver_settings {
    /* Look up a configuration value by key (e.g. "lime_force"); returns NULL
     * when absent.  ctx is passed back unchanged. */
    const char *(*lookup)(void *ctx, const char *key);
    void *ctx;
} driver_settings_t;

/* One fact the target states (hint, fact): a number, or text. */
typedef struct driver_fact {
    const char *key;        /* "win.BugCheckCode" */
    const char *text;       /* UTF-8, NULL when the fact is a number */
    uint64_t value;         /* the number (0 for text) */
} driver_fact_t;

/* One contiguous run of guest-physical memory [start, end). */
typedef struct driver_range {
    addr_t start;
    addr_t end;
} driver_range_t;

typedef struct driver_ops {
    const char *name;       /* "file", "qemu", "xen" */
    vmi_mode_t mode;        /* VMI_FILE, VMI_KVM (qemu), VMI_XEN */

    /* Is target plausibly ours?  Used for auto-detection; must be cheap and
     * have no side effects (a stat(), not an open). */
    bool (*probe)(const char *target);

    /* Open target; on success *state is the driver's private state. */
    status_t (*open)(void **state, const char *target,
                     const driver_settings_t *settings, util_err_t *err);
    void (*close)(void *state);

    /* Zero-copy access: a pointer to len readable bytes at guest-physical pa,
     * valid until close.  Only drivers whose memory stays mapped (files)
     * implement it; NULL function means "use read".  Returns NULL with a
     * reason when [pa, pa+len) is not wholly backed by one mapping. */
    const void *(*map)(void *state, addr_t pa, size_t len, util_err_t *err);

    /* Copy len bytes from guest-physical pa.  Reads that touch memory the
     * target does not have fail (holes are errors, never zeros); *done tells
     * how many leading bytes were copied before the failure. */
    status_t (*read)(void *state, addr_t pa, void *buf, size_t len,
                     size_t *done, util_err_t *err);
    /* NULL when the target is read-only. */
    status_t (*write)(void *state, addr_t pa, const void *buf, size_t len,
                      size_t *done, util_err_t *err);

    /* Bytes of guest RAM (sum of ranges) and the first address past the last;
     * both 0 for a target that holds no physical memory (see read_va). */
    uint64_t (*memsize)(void *state);
    addr_t (*max_pa)(void *state);
    /* The i-th range in ascending order; false past the last. */
    bool (*range)(void *state, size_t i, driver_range_t *out);

    unsigned int (*num_vcpus)(void *state);
    /* Registers with LibVMI's reg_t numbering (CR3, CR4, MSR_EFER, RIP...).
     * Fails with a reason when the target does not hold that register. */
    status_t (*get_vcpureg)(void *state, uint64_t *value, reg_t reg,
                            unsigned long vcpu, util_err_t *err);

    /* NULL for targets that cannot run (images). */
    status_t (*pause)(void *state, util_err_t *err);
    status_t (*resume)(void *state, util_err_t *err);

    /* Facts the target states about its guest beyond memory and registers,
     * by namespaced key ("win.PsActiveProcessHead": a Windows crash dump's
     * header names the kernel's list heads).  The driver only reports what
     * the target says; whoever asks must check the value before trusting
     * it.  Fails with a reason when the target states no such fact.  NULL:
     * the target states none. */
    status_t (*hint)(void *state, const char *key, uint64_t *value, util_err_t *err);

    /* Every fact the target states, numbers (those hint answers) and text
     * (a crash dump's comment), the i-th in a fixed order; false past the
     * last.  The strings stay valid until close.  NULL: the target states
     * none. */
    bool (*fact)(void *state, size_t i, driver_fact_t *out);

    /* Bytes the target holds by guest-virtual address, for a target that
     * keeps copies of virtual memory without the page tables that would map
     * them (a Windows kernel triage dump: copies of a few kernel structures
     * and pages, by address).  The core asks only for an address the page
     * tables do not translate, whatever the table (such copies are of
     * kernel memory).  Fails with a reason for bytes the target does not
     * hold; *done as for read.  NULL: the target holds memory by physical
     * address only. */
    status_t (*read_va)(void *state, addr_t va, void *buf, size_t len, size_t *done,
                        util_err_t *err);
} driver_ops_t;

/* All drivers built in, NULL-terminated (driver.c). */
extern const driver_ops_t *const driver_table[];

/* The driver for a mode, or NULL when that mode is not built in. */
const driver_ops_t *driver_for_mode(vmi_mode_t mode);
/* The first driver whose probe accepts target, or NULL. */
const driver_ops_t *driver_detect(const char *target);

#endif
