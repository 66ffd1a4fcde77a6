/*
 * tinyvmi.h - what TinyVMI offers beyond LibVMI's interface.
 *
 * Everything here carries the tvmi_ prefix.  Included by <libvmi/libvmi.h>,
 * so LibVMI programs may call these without further changes.
 */
#ifndef TINYVMI_H
#define TINYVMI_H

#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define TINYVMI_VERSION "0.1.0"

/* Why the last failing call on this instance failed, e.g.
 * "vmi_read_va: PTE for 0xffffffff81000000 at 0x1a3f008: not present".
 * Never NULL; "" when nothing has failed.  Valid until the next call. */
const char *tvmi_errmsg(vmi_instance_t vmi);

/* Why the last vmi_init / vmi_init_complete on this thread failed; the
 * instance is gone then, so the reason is kept per thread. */
const char *tvmi_init_errmsg(void);

/* The text for a vmi_init_error_t value ("the configuration has no entry
 * for the target", ...), a constant string.  Never fails: a value it does
 * not know gives "unknown init error". */
const char *tvmi_init_error_str(int error);

/* Page-table levels in use: 2 (legacy), 3 (PAE), 4, 5 (LA57).  LibVMI
 * reports both IA-32e variants as VMI_PM_IA32E; this tells them apart.
 * Never fails: 0 without paging, when unknown, or when vmi is NULL. */
unsigned int tvmi_get_paging_levels(vmi_instance_t vmi);

/* Cache statistics, for tools and benchmarks: hits, misses, entries and
 * capacity of the translation and page caches.  Does nothing when vmi or
 * stats is NULL. */
typedef struct tvmi_cache_stats {
    uint64_t v2p_hits, v2p_misses;
    size_t v2p_entries, v2p_capacity;
    uint64_t page_hits, page_misses;
    size_t page_entries, page_capacity;
} tvmi_cache_stats_t;
void tvmi_get_cache_stats(vmi_instance_t vmi, tvmi_cache_stats_t *stats);

/* A configuration value by its libvmi.conf key, as text, including what
 * was found at run time ("linux_symbols", "linux_banner", offsets).  The
 * string belongs to the instance.  Never fails: NULL when the key is unset
 * or vmi or key is NULL. */
const char *tvmi_get_config(vmi_instance_t vmi, const char *key);


/* The i-th run of guest-physical RAM [start, end), in ascending order.
 * Holes between runs are not RAM.  Fails past the last run (the way to
 * stop a loop over them) and when an argument is NULL. */
status_t tvmi_get_memory_range(vmi_instance_t vmi, size_t i, uint64_t *start, uint64_t *end);

/* ---- Facts the target states about its guest ----
 * A crash dump's header names the kernel's list heads, the bug check, the
 * build, the time; a triage dump lists the loaded modules.  Keys are
 * namespaced ("win.BugCheckCode", "win.Comment", "win.Triage.Module.0.Name";
 * docs/windows.md lists them).  They are the target's word, unchecked. */
typedef struct tvmi_fact {
    const char *key;
    const char *text;   /* UTF-8 text, or NULL when the fact is a number */
    uint64_t value;     /* the number (0 for text) */
} tvmi_fact_t;

/* The i-th fact, in the target's fixed order (0, 1, ... until it fails);
 * the strings stay valid until vmi_destroy.  VMI_FAILURE past the last, or
 * when the target states none, with the reason. */
status_t tvmi_get_fact(vmi_instance_t vmi, size_t i, tvmi_fact_t *fact);
/* The fact named key; VMI_FAILURE with the reason when the target does not
 * state it. */
status_t tvmi_get_fact_by_key(vmi_instance_t vmi, const char *key, tvmi_fact_t *fact);

/* ---- Processes and modules, as the OS layer sees them ---- */
#define TVMI_NAME_MAX 256

typedef struct tvmi_process {
    int32_t pid;
    char name[TVMI_NAME_MAX]; /* Linux comm / Windows ImageFileName */
    uint64_t dtb;             /* page-table base (0 for kernel threads) */
    uint64_t task;            /* task_struct / EPROCESS virtual address */
    int32_t ppid;             /* parent pid, -1 when unknown */
} tvmi_process_t;

typedef struct tvmi_module {
    char name[TVMI_NAME_MAX];
    uint64_t base;
    uint64_t size;
    uint64_t object; /* struct module / LDR_DATA_TABLE_ENTRY address */
} tvmi_module_t;

/* Return 0 to go on, non-zero to stop the walk early (not an error). */
typedef int (*tvmi_process_fn)(void *ctx, const tvmi_process_t *proc);
typedef int (*tvmi_module_fn)(void *ctx, const tvmi_module_t *mod);

/* Walk the guest's process / kernel-module list.  A corrupt list (a cycle,
 * an unreadable pointer, an absurd length) ends the walk with VMI_FAILURE and
 * a reason, after fn has seen every entry read before the damage. */
status_t tvmi_process_foreach(vmi_instance_t vmi, tvmi_process_fn fn, void *ctx);
status_t tvmi_module_foreach(vmi_instance_t vmi, tvmi_module_fn fn, void *ctx);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
