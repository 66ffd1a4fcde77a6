/*
 * init.c - creating and destroying a vmi_instance.
 *
 * Order of work: configuration -> caches -> driver -> paging.  The OS layer
 * starts above the core (os/os.c: vmi_init_complete, vmi_init_os) and
 * attaches itself with core_set_os; the core never chooses one.  Each stage
 * that fails says why and the whole instance is torn down, so a failed
 * init leaks nothing; the reason survives in a per-thread buffer
 * (tvmi_init_errmsg).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/embed.h"
#include "core/instance.h"
#include "util/strutil.h"
#include "util/sys.h"

/* Where LibVMI programs expect the global config file, in order. */
static const char *config_file_candidates(size_t i, char *buf, size_t len)
{
    const char *home = util_sys_getenv("HOME");
    switch (i) {
    case 0: return util_sys_getenv("TINYVMI_CONF");
    case 1:
        if (!home)
            return NULL;
        snprintf(buf, len, "%s/etc/libvmi.conf", home);
        return buf;
    case 2: return "/etc/libvmi.conf";
    case 3: return "/usr/local/etc/libvmi.conf";
    default: return NULL;
    }
}

status_t core_load_config(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                          vmi_init_error_t *stage)
{
    util_err_t *err = &vmi->err;
    bool found = false;

    switch (config_mode) {
    case VMI_CONFIG_STRING:
        if (!config) {
            util_err_set(err, "VMI_CONFIG_STRING given with a NULL string");
            *stage = VMI_INIT_ERROR_NO_CONFIG;
            return VMI_FAILURE;
        }
        if (!config_parse(vmi->config, config, vmi->name, &found, err)) {
            util_err_prefix(err, "config string");
            *stage = VMI_INIT_ERROR_NO_CONFIG;
            return VMI_FAILURE;
        }
        return VMI_SUCCESS;
    case VMI_CONFIG_FILE_PATH:
        if (!config) {
            util_err_set(err, "VMI_CONFIG_FILE_PATH given with a NULL path");
            *stage = VMI_INIT_ERROR_NO_CONFIG;
            return VMI_FAILURE;
        }
        if (!config_parse_file(vmi->config, config, vmi->name, &found, err)) {
            *stage = VMI_INIT_ERROR_NO_CONFIG;
            return VMI_FAILURE;
        }
        if (!found) {
            util_err_set(err, "config file %s has no entry for %s", (const char *)config,
                         vmi->name);
            *stage = VMI_INIT_ERROR_NO_CONFIG_ENTRY;
            return VMI_FAILURE;
        }
        return VMI_SUCCESS;
    case VMI_CONFIG_GLOBAL_FILE_ENTRY: {
        /* Zero configuration is a goal: no global file, or no entry in it,
         * is not an error; the OS layer will discover what it needs.  An
         * entry compiled into the program comes first and then no file is
         * touched at all (embed.c). */
        char buf[4096];
        const char *path;
        const core_embed_t *em;
        if (core_embed_find(vmi->name, &em, err) != VMI_SUCCESS) {
            *stage = VMI_INIT_ERROR_NO_CONFIG;
            return VMI_FAILURE;
        }
        if (em) {
            if (!config_parse(vmi->config, em->entry->config, NULL, &found, err)) {
                util_err_prefix(err, "embedded entry %s", em->entry->name);
                *stage = VMI_INIT_ERROR_NO_CONFIG;
                return VMI_FAILURE;
            }
            vmi->embedded = em;
            return VMI_SUCCESS;
        }
        for (size_t i = 0; i < 4; i++) {
            path = config_file_candidates(i, buf, sizeof(buf));
            if (!path || !util_sys_exists(path))
                continue;
            if (!config_parse_file(vmi->config, path, vmi->name, &found, err)) {
                *stage = VMI_INIT_ERROR_NO_CONFIG;
                return VMI_FAILURE;
            }
            if (found)
                break;
        }
        return VMI_SUCCESS;
    }
    case VMI_CONFIG_JSON_PATH:
        if (!config) {
            util_err_set(err, "VMI_CONFIG_JSON_PATH given with a NULL path");
            *stage = VMI_INIT_ERROR_NO_CONFIG;
            return VMI_FAILURE;
        }
        /* A JSON profile (Volatility ISF) stands in for the whole config. */
        config_set(vmi->config, "volatility_ist", config);
        return VMI_SUCCESS;
    case VMI_CONFIG_GHASHTABLE:
        util_err_set(err, "VMI_CONFIG_GHASHTABLE is not supported: TinyVMI has no glib; "
                          "pass the same keys as a VMI_CONFIG_STRING");
        *stage = VMI_INIT_ERROR_NO_CONFIG;
        return VMI_FAILURE;
    default:
        util_err_set(err, "unknown config mode %d", (int)config_mode);
        *stage = VMI_INIT_ERROR_NO_CONFIG;
        return VMI_FAILURE;
    }
}

static const char *settings_lookup(void *ctx, const char *key)
{
    return config_get(((vmi_instance_t)ctx)->config, key);
}

/* What the paging scan must find: any mode, or the configured one. */
typedef struct scan_want {
    bool fixed;
    arch_x86_mode_t mode;
} scan_want_t;

static bool scan_accept(void *ctx, arch_x86_mode_t mode, addr_t dtb)
{
    const scan_want_t *want = ctx;
    return !want->fixed || want->mode == mode;
}

/* Paging from config `pagemode`, else from the vCPU's control registers, else
 * from a scan of physical memory.  The kernel page table from config `kpgd`,
 * else CR3, else the scan. */
/* The scan of all memory for a root (and the mode, unless configured). */
/* Where the kernel's root came from, for tvmi_get_config("paging_source").
 * Set where the root becomes final (it replaces an earlier guess: a CR3
 * whose mode could not be judged is followed by the scan). */
static void paging_found(vmi_instance_t vmi, const char *how)
{
    (void)config_set(vmi->config, "paging_source", how);
}

static status_t scan_paging(vmi_instance_t vmi, bool have_pm)
{
    scan_want_t want = { have_pm, vmi->pmode };
    if (arch_x86_scan_dtb_accept(&vmi->walker, vmi->drv->max_pa(vmi->drv_state), scan_accept,
                                 &want, &vmi->pmode, &vmi->kpgd, &vmi->err) != VMI_SUCCESS) {
        util_err_prefix(&vmi->err, "the image holds no CPU registers and the scan for a page "
                                   "table failed (set pagemode and kpgd in the config)");
        return VMI_FAILURE;
    }
    paging_found(vmi, "a scan of memory for a page table");
    return VMI_SUCCESS;
}

/* What follows from the mode and the root. */
static void paging_derive(vmi_instance_t vmi)
{
    if (vmi->pmode != ARCH_X86_NONE)
        vmi->kpgd = arch_x86_dtb_base(vmi->pmode, vmi->kpgd);
    vmi->addr_width = (uint8_t)arch_x86_address_width(vmi->pmode);
}

static status_t setup_paging(vmi_instance_t vmi, bool may_defer)
{
    const char *pm = config_get(vmi->config, "pagemode");
    uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0, v;
    bool have_cr0, have_cr3, have_cr4 = false, have_pm = false;
    util_err_t scratch;

    memset(&vmi->walker, 0, sizeof(vmi->walker));
    vmi->walker.read_entry = core_read_entry;
    vmi->walker.read_page = core_read_page;
    vmi->walker.next_readable = core_next_ram;
    vmi->walker.ctx = vmi;
    vmi->walker.maxphyaddr = 52;
    /* NX is accepted unless the config says the guest runs without it:
     * rejecting bit 63 would break real tables when EFER is unknown. */
    vmi->walker.nxe = true;
    vmi->walker.pse = true;

    if (config_get_u64(vmi->config, "maxphyaddr", &v, &vmi->err)) {
        if (v < 32 || v > 52) {
            util_err_set(&vmi->err, "config maxphyaddr = %llu: must be 32..52",
                         (unsigned long long)v);
            return VMI_FAILURE;
        }
        vmi->walker.maxphyaddr = (unsigned)v;
    }
    if (config_get_u64(vmi->config, "nxe", &v, &vmi->err))
        vmi->walker.nxe = v != 0;

    have_cr0 = vmi->drv->get_vcpureg &&
               vmi->drv->get_vcpureg(vmi->drv_state, &cr0, CR0, 0, &scratch) == VMI_SUCCESS;
    have_cr3 = vmi->drv->get_vcpureg &&
               vmi->drv->get_vcpureg(vmi->drv_state, &cr3, CR3, 0, &scratch) == VMI_SUCCESS;
    if (vmi->drv->get_vcpureg) {
        have_cr4 = vmi->drv->get_vcpureg(vmi->drv_state, &cr4, CR4, 0, &scratch) == VMI_SUCCESS;
        if (vmi->drv->get_vcpureg(vmi->drv_state, &efer, MSR_EFER, 0, &scratch) != VMI_SUCCESS)
            efer = 0;
    }
    if (have_cr4)
        vmi->walker.pse = (cr4 >> 4) & 1;

    if (pm) {
        if (!arch_x86_mode_parse(pm, &vmi->pmode)) {
            util_err_set(&vmi->err, "config pagemode = \"%s\": expected legacy, pae, ia32e, "
                                    "la57, none (or LibVMI's VMI_PM_* names)", pm);
            return VMI_FAILURE;
        }
        have_pm = true;
    } else if (have_cr0 && have_cr4) {
        vmi->pmode = arch_x86_mode_from_regs(cr0, cr4, efer);
        have_pm = true;
    }

    if (config_get(vmi->config, "kpgd")) {
        if (!config_get_u64(vmi->config, "kpgd", &v, &vmi->err))
            return VMI_FAILURE;
        vmi->kpgd = v;
    } else if (have_cr3) {
        vmi->kpgd = cr3;
    }

    /* A root but no mode (a LibVMI config for a raw image): judge that one
     * root instead of scanning all of memory. */
    if (!have_pm && vmi->kpgd &&
        arch_x86_root_mode(&vmi->walker, vmi->drv->max_pa(vmi->drv_state), vmi->kpgd,
                           &vmi->pmode, &scratch) == VMI_SUCCESS)
        have_pm = true;
    if (!have_pm || (!vmi->kpgd && vmi->pmode != ARCH_X86_NONE)) {
        if (may_defer) {
            /* The OS layer may find the root from its symbols and read a
             * few pages; else it asks for the scan (core_paging_finish). */
            vmi->scan_pending = true;
            vmi->scan_have_pm = have_pm;
        } else if (scan_paging(vmi, have_pm) != VMI_SUCCESS) {
            return VMI_FAILURE;
        }
    } else if (vmi->kpgd) {
        paging_found(vmi, config_get(vmi->config, "kpgd") ? "the config's kpgd"
                                                          : "the target's CR3");
    }
    paging_derive(vmi);
    return VMI_SUCCESS;
}

status_t core_paging_finish(vmi_instance_t vmi)
{
    if (!vmi->scan_pending)
        return VMI_SUCCESS;
    vmi->scan_pending = false;
    if (scan_paging(vmi, vmi->scan_have_pm) != VMI_SUCCESS)
        return VMI_FAILURE;
    paging_derive(vmi);
    vmi_v2pcache_flush(vmi, ~0ULL);
    return VMI_SUCCESS;
}

bool core_paging_pending(vmi_instance_t vmi)
{
    return vmi->scan_pending;
}

bool core_paging_try_root(vmi_instance_t vmi, addr_t root, addr_t va, uint64_t step,
                          unsigned int tries, addr_t pa, const char *how)
{
    arch_x86_mode_t mode = vmi->pmode;
    page_info_t info;
    util_err_t scratch;
    unsigned int k;

    if (!vmi->scan_pending)
        return false;
    if (!vmi->scan_have_pm &&
        arch_x86_root_mode(&vmi->walker, vmi->drv->max_pa(vmi->drv_state), root, &mode,
                           &scratch) != VMI_SUCCESS)
        return false;
    for (k = 0; k < tries; k++)
        if (arch_x86_translate(&vmi->walker, mode, root, va + k * step, &info, &scratch) ==
                VMI_SUCCESS && info.paddr == pa)
            break;
    if (k == tries)
        return false;
    vmi->pmode = mode;
    vmi->kpgd = root;
    vmi->scan_pending = false;
    paging_found(vmi, how);
    paging_derive(vmi);
    vmi_v2pcache_flush(vmi, ~0ULL);
    return true;
}

bool core_root_maps(vmi_instance_t vmi, addr_t root, bool pae, addr_t va, addr_t pa)
{
    page_info_t info;
    util_err_t scratch;
    return arch_x86_translate(&vmi->walker, pae ? ARCH_X86_PAE : ARCH_X86_LEGACY, root, va,
                              &info, &scratch) == VMI_SUCCESS && info.paddr == pa;
}

typedef struct root_pages {
    core_page_fn fn;
    void *ctx;
    bool stopped;
} root_pages_t;

static status_t root_page(void *ctx, const page_info_t *page, util_err_t *err)
{
    root_pages_t *r = ctx;
    (void)err;
    if (r->fn(r->ctx, page))
        return VMI_SUCCESS;
    /* A failure ends the walk; stopped tells it from a real one. */
    r->stopped = true;
    return VMI_FAILURE;
}

status_t core_root_pages(vmi_instance_t vmi, addr_t root, addr_t lo, addr_t hi,
                         uint64_t max_pages, uint64_t max_tables, core_page_fn fn, void *ctx)
{
    arch_x86_mode_t mode = vmi->pmode;
    root_pages_t r = { fn, ctx, false };
    util_err_t e;

    if (vmi->scan_pending && !vmi->scan_have_pm &&
        arch_x86_root_mode(&vmi->walker, vmi->drv->max_pa(vmi->drv_state), root, &mode,
                           &e) != VMI_SUCCESS) {
        core_error(vmi, "0x%llx is no page-table root in any paging mode: %s",
                   (unsigned long long)root, util_err_msg(&e));
        return VMI_FAILURE;
    }
    util_err_clear(&e);
    if (arch_x86_enum_range(&vmi->walker, mode, root, lo, hi, max_pages, max_tables, root_page,
                            &r, NULL, &e) != VMI_SUCCESS &&
        !r.stopped) {
        core_error(vmi, "the pages root 0x%llx maps in 0x%llx..0x%llx: %s",
                   (unsigned long long)root, (unsigned long long)lo, (unsigned long long)hi,
                   util_err_msg(&e));
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

static page_mode_t init_paging_impl(vmi_instance_t vmi, uint64_t flags)
{
    if (!vmi)
        return VMI_PM_UNKNOWN;
    if (setup_paging(vmi, false) != VMI_SUCCESS)
        return VMI_PM_UNKNOWN;
    vmi_v2pcache_flush(vmi, ~0ULL);
    return arch_x86_page_mode(vmi->pmode);
}

page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags)
{
    CORE_API_GUARDED(vmi, page_mode_t, init_paging_impl(vmi, flags), r_ != VMI_PM_UNKNOWN,
                     VMI_PM_UNKNOWN);
}

status_t vmi_destroy(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_SUCCESS;
    /* Top down: events first (they may still switch watches off through the
     * driver), then the OS layer, then the caches and the driver. */
    if (vmi->events_destroy)
        vmi->events_destroy(vmi->events);
    if (vmi->os && vmi->os->destroy)
        vmi->os->destroy(vmi->os_state);
    if (vmi->profile_destroy)
        vmi->profile_destroy(vmi->profile);
    core_caches_destroy(vmi); /* before the driver: cached pages may be its */
    if (vmi->drv && vmi->drv_state)
        vmi->drv->close(vmi->drv_state);
    config_free(vmi->config);
    free(vmi->name);
    free(vmi);
    return VMI_SUCCESS;
}

/* A new, empty instance naming its target; NULL with the init reason set. */
static vmi_instance_t new_instance(const void *domain, uint64_t flags, vmi_init_error_t *stage)
{
    vmi_instance_t vmi = calloc(1, sizeof(*vmi));
    char idbuf[32];

    if (!vmi || !(vmi->config = config_new())) {
        free(vmi);
        *stage = VMI_INIT_ERROR_DRIVER;
        core_init_reason(*stage, "out of memory");
        return NULL;
    }
    vmi->api.reason = vmi->err.msg;
    vmi->vmid = VMI_INVALID_DOMID;
    if (flags & VMI_INIT_DOMAINID) {
        vmi->vmid = *(const uint64_t *)domain;
        snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)vmi->vmid);
        vmi->name = util_strdup(idbuf);
    } else {
        vmi->name = util_strdup(domain);
    }
    if (!vmi->name) {
        config_free(vmi->config);
        free(vmi);
        *stage = VMI_INIT_ERROR_DRIVER;
        core_init_reason(*stage, "out of memory");
        return NULL;
    }
    return vmi;
}

static driver_target_t target_of(vmi_instance_t vmi, uint64_t flags,
                                 const vmi_init_data_t *init_data)
{
    driver_target_t t = { (flags & VMI_INIT_DOMAINID) ? NULL : vmi->name, vmi->vmid, flags,
                          init_data };
    return t;
}

/* The driver: the one for mode, or the first that recognises the target. */
static status_t choose_driver(vmi_instance_t vmi, bool detect, vmi_mode_t mode,
                              const driver_target_t *t, vmi_init_error_t *stage)
{
    char built[512];

    vmi->drv = detect ? driver_detect(t) : driver_for_mode(mode);
    if (vmi->drv) {
        vmi->mode = vmi->drv->mode;
        return VMI_SUCCESS;
    }
    driver_describe_all(built, sizeof(built));
    *stage = VMI_INIT_ERROR_DRIVER_NOT_DETECTED;
    if (detect)
        core_error(vmi, "no driver recognises \"%s\"; built in: %s", vmi->name, built);
    else
        core_error(vmi, "access mode %s is not built into this TinyVMI; built in: %s",
                   driver_mode_name(mode), built);
    return VMI_FAILURE;
}

static status_t open_driver(vmi_instance_t vmi, const driver_target_t *t,
                            vmi_init_error_t *stage)
{
    driver_settings_t settings = { settings_lookup, vmi };
    const char *name;

    if (vmi->drv->open(&vmi->drv_state, t, &settings, &vmi->err) != VMI_SUCCESS) {
        vmi->drv_state = NULL;
        *stage = VMI_INIT_ERROR_DRIVER;
        return VMI_FAILURE;
    }
    /* The target's own name and id win over what the caller gave (a Xen
     * domain opened by id has a name). */
    if (vmi->drv->get_id)
        vmi->vmid = vmi->drv->get_id(vmi->drv_state);
    if (vmi->drv->get_name && (name = vmi->drv->get_name(vmi->drv_state))) {
        char *copy = util_strdup(name);
        if (copy) {
            free(vmi->name);
            vmi->name = copy;
        }
    }
    return VMI_SUCCESS;
}

/* Events asked for at init need a driver that has them; the events layer
 * itself starts at the first registration. */
static status_t check_events(vmi_instance_t vmi, uint64_t flags, vmi_init_error_t *stage)
{
    if (!(flags & VMI_INIT_EVENTS) || vmi->drv->watch_kinds)
        return VMI_SUCCESS;
    core_error(vmi, "events were requested (VMI_INIT_EVENTS) but the %s driver delivers none",
               vmi->drv->name);
    *stage = VMI_INIT_ERROR_EVENTS;
    return VMI_FAILURE;
}

/* Targets that cannot be mapped always read through the page cache; config
 * page_cache = 1 sends mapped ones through it too. */
static status_t choose_read_path(vmi_instance_t vmi, vmi_init_error_t *stage)
{
    uint64_t v = 0;
    if (config_get(vmi->config, "page_cache") &&
        !config_get_u64(vmi->config, "page_cache", &v, &vmi->err)) {
        *stage = VMI_INIT_ERROR_DRIVER;
        return VMI_FAILURE;
    }
    vmi->via_page_cache = !vmi->drv->map || v != 0;
    if (vmi->drv->alive) {
        const char *lc = config_get(vmi->config, "live_cache");
        if (lc && strcmp(lc, "event") != 0 && strcmp(lc, "call") != 0) {
            util_err_set(&vmi->err, "config live_cache = \"%s\": expected call or event", lc);
            *stage = VMI_INIT_ERROR_DRIVER;
            return VMI_FAILURE;
        }
        vmi->api.live_flush = !lc || strcmp(lc, "call") == 0;
    }
    return VMI_SUCCESS;
}

/* Paging setup reads guest memory (a scan, maybe all of it): under the same
 * guard as a public call (fault.c), since init is not one. */
static status_t guarded_paging(vmi_instance_t vmi, bool may_defer)
{
    core_guard_t g;
    status_t st;

    vmi->api.depth = 1;
    if (core_guard_arm(vmi, &g) && UTIL_SYS_SETJMP(g.env)) {
        core_guard_faulted(vmi, &g, "vmi_init");
        return VMI_FAILURE;
    }
    st = setup_paging(vmi, may_defer);
    core_guard_disarm(&g);
    vmi->api.depth = 0;
    return st;
}

void core_open_failed(vmi_instance_t vmi, vmi_init_error_t stage)
{
    core_init_reason(stage, "%s", vmi->err.msg[0] ? vmi->err.msg : "no reason recorded");
    vmi_destroy(vmi);
}

status_t core_open(vmi_instance_t *out, bool detect, vmi_mode_t mode, const void *domain,
                   uint64_t flags, const vmi_init_data_t *init_data, bool with_config,
                   vmi_config_t config_mode, void *config, bool defer_scan,
                   vmi_init_error_t *stage)
{
    vmi_instance_t vmi;
    driver_target_t t;

    *stage = VMI_INIT_ERROR_NONE;
    if (!out) {
        *stage = VMI_INIT_ERROR_DRIVER;
        core_init_reason(*stage, "the vmi out-parameter is NULL");
        return VMI_FAILURE;
    }
    *out = NULL;
    if (!domain) {
        *stage = VMI_INIT_ERROR_VM_NOT_FOUND;
        core_init_reason(*stage, "no target given (domain is NULL)");
        return VMI_FAILURE;
    }
    if (!(vmi = new_instance(domain, flags, stage)))
        return VMI_FAILURE;
    t = target_of(vmi, flags, init_data);
    if (choose_driver(vmi, detect, mode, &t, stage) != VMI_SUCCESS ||
        check_events(vmi, flags, stage) != VMI_SUCCESS ||
        (with_config && core_load_config(vmi, config_mode, config, stage) != VMI_SUCCESS))
        goto fail;
    if (core_caches_create(vmi) != VMI_SUCCESS) {
        *stage = VMI_INIT_ERROR_DRIVER;
        goto fail;
    }
    if (open_driver(vmi, &t, stage) != VMI_SUCCESS ||
        choose_read_path(vmi, stage) != VMI_SUCCESS)
        goto fail;
    if (vmi->drv->map) {
        core_fault_install();
        vmi->api.guarded = true;
    }
    if (guarded_paging(vmi, defer_scan) != VMI_SUCCESS) {
        *stage = VMI_INIT_ERROR_PAGING;
        goto fail;
    }
    *out = vmi;
    return VMI_SUCCESS;
fail:
    core_open_failed(vmi, *stage);
    return VMI_FAILURE;
}

status_t vmi_init(vmi_instance_t *vmi, vmi_mode_t mode, const void *domain,
                  uint64_t init_flags, vmi_init_data_t *init_data, vmi_init_error_t *error)
{
    vmi_init_error_t stage;
    status_t st;

    core_init_reason_clear();
    st = core_open(vmi, false, mode, domain, init_flags, init_data, false,
                   VMI_CONFIG_STRING, NULL, false, &stage);
    if (error)
        *error = stage;
    return st;
}

static status_t get_access_mode_impl(vmi_instance_t vmi, const void *domain, uint64_t init_flags,
                             vmi_init_data_t *init_data, vmi_mode_t *mode)
{
    const driver_ops_t *d;
    driver_target_t t;
    char built[512];

    if (!mode) {
        if (vmi)
            core_error(vmi, "the mode out-parameter is NULL");
        else
            core_api_no_instance("vmi_get_access_mode", "the mode out-parameter is NULL");
        return VMI_FAILURE;
    }
    if (vmi) {
        *mode = vmi->mode;
        return VMI_SUCCESS;
    }
    if (!domain) {
        core_api_no_instance("vmi_get_access_mode",
                             "no instance and no domain to detect a driver for");
        return VMI_FAILURE;
    }
    t.name = (init_flags & VMI_INIT_DOMAINID) ? NULL : domain;
    t.id = (init_flags & VMI_INIT_DOMAINID) ? *(const uint64_t *)domain : VMI_INVALID_DOMID;
    t.flags = init_flags;
    t.init_data = init_data;
    d = driver_detect(&t);
    if (!d) {
        driver_describe_all(built, sizeof(built));
        core_api_no_instance("vmi_get_access_mode",
                             "no driver recognises the target; built in: %s", built);
        return VMI_FAILURE;
    }
    *mode = d->mode;
    return VMI_SUCCESS;
}

status_t vmi_get_access_mode(vmi_instance_t vmi, const void *domain, uint64_t init_flags,
                             vmi_init_data_t *init_data, vmi_mode_t *mode)
{
    CORE_API(vmi, get_access_mode_impl(vmi, domain, init_flags, init_data, mode));
}
vmi_arch_t vmi_get_library_arch(void)
{
#if defined(__x86_64__)
    return VMI_ARCH_X86_64;
#elif defined(__i386__)
    return VMI_ARCH_X86;
#elif defined(__aarch64__)
    return VMI_ARCH_ARM64;
#elif defined(__arm__)
    return VMI_ARCH_ARM32;
#else
    return VMI_ARCH_UNKNOWN;
#endif
}
