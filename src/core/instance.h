/*
 * instance.h - the inside of a vmi_instance.  Private to src/core/: layers
 * above use the public API and core.h; layers below never see it.
 */
#ifndef TINYVMI_CORE_INSTANCE_H
#define TINYVMI_CORE_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "arch/x86.h"
#include "core/config.h"
#include "core/core.h"
#include "driver/driver.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/lru.h"

/* Default cache sizes; config keys v2p_cache_size / page_cache_size override. */
#define CORE_V2P_CACHE_DEFAULT  16384
#define CORE_PAGE_CACHE_DEFAULT 1024
#define CORE_PID_CACHE_DEFAULT  1024
#define CORE_SYM_CACHE_DEFAULT  4096

struct vmi_instance {
    core_api_state_t api;      /* first: core.h's inline entry/exit reach it */
    vmi_mode_t mode;
    char *name;                /* the target as the caller named it */
    uint64_t vmid;

    const driver_ops_t *drv;
    void *drv_state;

    config_t *config;          /* never NULL after init */
    const struct core_embed *embedded; /* the entry config came from, or NULL */

    arch_x86_mode_t pmode;
    arch_x86_walker_t walker;
    /* vmi_init_complete left the scan for a page-table root to the OS layer
     * (init.c, core_paging_*): it may know where the root is and read a few
     * pages instead of all of memory.  Only during OS start. */
    bool scan_pending;
    bool scan_have_pm;         /* the mode was known (config or registers) */
    addr_t kpgd;               /* kernel page table (root), 0 when unknown */
    uint8_t addr_width;

    /* Translations: (page-table root, virtual page) -> physical page. */
    util_lru_t *v2p;
    uint64_t v2p_hits, v2p_misses;
    /* Copies of physical pages, for drivers that cannot map memory (or all
     * drivers, with config page_cache = 1). */
    util_lru_t *pages;
    bool via_page_cache;
    uint64_t page_hits, page_misses;
    util_lru_t *pidcache;      /* pid -> dtb */
    util_hash_t *symcache;     /* "base:pid:name" -> addr_t */
    size_t symcache_max;
    util_hash_t *rvacache;     /* "base:pid:rva" -> name */

    const core_os_t *os;       /* attached by the OS layer (core_set_os) */
    void *os_state;
    void *events;              /* the events layer's state (core_set_events) */
    void (*events_destroy)(void *events);
    void *profile;             /* the JSON-profile state (core_set_profile) */
    void (*profile_destroy)(void *profile);

    access_context_t last_fault;
    util_err_t err;
};

/* vcpu.c: fail with "the <driver> driver (<what it accepts>) cannot <what>". */
status_t core_driver_lacks(vmi_instance_t vmi, const char *what);

/* memory.c: guest-physical reads below every other read. */
status_t core_read_pa(vmi_instance_t vmi, addr_t pa, void *buf, size_t len, size_t *done);
/* A pointer to len bytes at pa valid until the next call into the instance,
 * copying into scratch (len <= 8) when the driver cannot map. */
status_t core_read_entry(void *vmi, addr_t pa, unsigned size, uint64_t *value,
                         util_err_t *err);

const void *core_read_page(void *vmi, addr_t pa, void *buf, util_err_t *err);
/* For the paging scan: where the driver's memory resumes at or above pa. */
addr_t core_next_ram(void *vmi, addr_t pa);

/* Write through the driver, dropping any cached copy of the pages written. */
status_t core_write_pa(vmi_instance_t vmi, addr_t pa, const void *buf, size_t len, size_t *done);

/* access.c: read or write count bytes at ctx, page by page. */
status_t core_access(vmi_instance_t vmi, const access_context_t *ctx, void *buf, size_t count,
                     size_t *done, bool write);

/* Contexts the _pa, _va and _ksym families build for their callers. */
#define CORE_CTX_PA(c, a) ACCESS_CONTEXT(c, .tm = VMI_TM_NONE, .addr = (a))
#define CORE_CTX_VA(c, a, p) \
    ACCESS_CONTEXT(c, .tm = VMI_TM_PROCESS_PID, .addr = (a), .pid = (p))
#define CORE_CTX_KSYM(c, s) ACCESS_CONTEXT(c, .tm = VMI_TM_KERNEL_SYMBOL, .ksym = (s))

/* resolve.c: the OS answers behind vmi_translate_ksym2v and vmi_pid_to_dtb,
 * cached; for the core's own use (no public entry/exit). */
status_t core_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *vaddr);
status_t core_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb);

/* translate.c */
status_t core_translate(vmi_instance_t vmi, addr_t dtb, addr_t va, addr_t *pa);
/* Resolve an access context to (dtb, va); dtb is ~0 for physical access. */
status_t core_resolve_ctx(vmi_instance_t vmi, const access_context_t *ctx,
                          addr_t *dtb, addr_t *va);
#define CORE_PHYSICAL ((addr_t)~0ULL)
/* LibVMI's page_mode_t to ours; IA-32e takes 4 or 5 levels from the guest.
 * False, with the reason on the instance, for modes we cannot walk. */
bool core_mode_from_pm(vmi_instance_t vmi, page_mode_t pm, arch_x86_mode_t *mode);
/* Translate for a context that may name its own paging mode (ctx->pm). */
status_t core_translate_ctx(vmi_instance_t vmi, const access_context_t *ctx, addr_t dtb,
                            addr_t va, addr_t *pa);

/* v2p cache key for a page-table root: the mode lives in the low bits of the
 * root, which are never address bits (PAE roots are 32-byte aligned). */
#define CORE_V2P_MODE_MASK 0x1fULL
static inline uint64_t core_v2p_key(arch_x86_mode_t mode, addr_t dtb)
{
    return arch_x86_dtb_base(mode, dtb) | (uint64_t)mode;
}

/* cache.c; the symbol cache's key "base:pid:name" (malloc'd, NULL when out
 * of memory). */
char *core_symcache_key(addr_t base, vmi_pid_t pid, const char *sym);
status_t core_caches_create(vmi_instance_t vmi);
void core_caches_destroy(vmi_instance_t vmi);

#endif
