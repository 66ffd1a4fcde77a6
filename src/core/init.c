/*
 * init.c - creating and destroying a vmi_instance.
 *
 * Order of work: configuration -> caches -> driver -> paging -> OS layer.
 * Each stage that fails says why (core_error) and the whole instance is torn
 * down, so a failed init leaks nothing; the reason survives in a per-thread
 * buffer (tvmi_init_errmsg).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/instance.h"
#include "util/strutil.h"

util_err_t *core_init_err(void);

/* Where LibVMI programs expect the global config file, in order. */
static const char *config_file_candidates(size_t i, char *buf, size_t len)
{
    const char *home = getenv("HOME");
    switch (i) {
    case 0: return getenv("TINYVMI_CONF");
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

static status_t load_config(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
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
         * is not an error; the OS layer will discover what it needs. */
        char buf[4096];
        const char *path;
        for (size_t i = 0; i < 4; i++) {
            struct stat st;
            path = config_file_candidates(i, buf, sizeof(buf));
            if (!path || stat(path, &st) != 0)
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

static status_t open_driver(vmi_instance_t vmi, vmi_init_error_t *stage)
{
    driver_settings_t settings = { settings_lookup, vmi };

    if (!vmi->drv->open) {
        util_err_set(&vmi->err, "driver %s cannot open targets", vmi->drv->name);
        *stage = VMI_INIT_ERROR_DRIVER;
        return VMI_FAILURE;
    }
    if (vmi->drv->open(&vmi->drv_state, vmi->name, &settings, &vmi->err) != VMI_SUCCESS) {
        *stage = VMI_INIT_ERROR_DRIVER;
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
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
static status_t setup_paging(vmi_instance_t vmi)
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
        scan_want_t want = { have_pm, vmi->pmode };
        if (arch_x86_scan_dtb_accept(&vmi->walker, vmi->drv->max_pa(vmi->drv_state),
                                     scan_accept, &want, &vmi->pmode, &vmi->kpgd,
                                     &vmi->err) != VMI_SUCCESS) {
            util_err_prefix(&vmi->err,
                            "the image holds no CPU registers and the scan for a page "
                            "table failed (set pagemode and kpgd in the config)");
            return VMI_FAILURE;
        }
    }
    if (vmi->pmode != ARCH_X86_NONE)
        vmi->kpgd = arch_x86_dtb_base(vmi->pmode, vmi->kpgd);
    vmi->addr_width = (uint8_t)arch_x86_address_width(vmi->pmode);
    return VMI_SUCCESS;
}

page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags)
{
    if (!vmi)
        return VMI_PM_UNKNOWN;
    if (setup_paging(vmi) != VMI_SUCCESS)
        return VMI_PM_UNKNOWN;
    vmi_v2pcache_flush(vmi, ~0ULL);
    return arch_x86_page_mode(vmi->pmode);
}

static status_t start_os(vmi_instance_t vmi, vmi_init_error_t *stage)
{
    const char *ostype = config_get(vmi->config, "ostype");
    const os_ops_t *os = NULL;

    /* "none": memory and translation only, no OS layer (TinyVMI extension). */
    if (ostype && strcasecmp(ostype, "none") == 0)
        return VMI_SUCCESS;
    if (ostype) {
        os = os_by_name(ostype);
        if (!os) {
            util_err_set(&vmi->err, "config ostype = \"%s\": no such OS layer is built in "
                                    "(try Linux or Windows)", ostype);
            *stage = VMI_INIT_ERROR_OS;
            return VMI_FAILURE;
        }
    } else {
        for (size_t i = 0; os_table[i] && !os; i++)
            if (os_table[i]->detect && os_table[i]->detect(vmi))
                os = os_table[i];
        if (!os) {
            /* Not an error: memory and translation still work.  OS calls
             * will fail, saying that no OS was recognised. */
            util_err_clear(&vmi->err);
            return VMI_SUCCESS;
        }
    }
    util_err_clear(&vmi->err);
    if (os->init(vmi, &vmi->os_state) != VMI_SUCCESS) {
        if (!vmi->err.msg[0])
            util_err_set(&vmi->err, "the %s layer failed without a reason", os->name);
        util_err_prefix(&vmi->err, "%s", os->name);
        vmi->os_state = NULL;
        *stage = VMI_INIT_ERROR_OS;
        return VMI_FAILURE;
    }
    vmi->os = os;
    return VMI_SUCCESS;
}

os_t vmi_init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                 vmi_init_error_t *error)
{
    vmi_init_error_t stage = VMI_INIT_ERROR_NONE;

    if (!vmi)
        return VMI_OS_UNKNOWN;
    if (vmi->os) {
        vmi->os->destroy(vmi->os_state);
        vmi->os = NULL;
        vmi->os_state = NULL;
    }
    if (config && load_config(vmi, config_mode, config, &stage) != VMI_SUCCESS) {
        if (error)
            *error = stage;
        return VMI_OS_UNKNOWN;
    }
    if (start_os(vmi, &stage) != VMI_SUCCESS) {
        if (error)
            *error = stage;
        return VMI_OS_UNKNOWN;
    }
    if (error)
        *error = VMI_INIT_ERROR_NONE;
    return vmi->os ? vmi->os->type : VMI_OS_UNKNOWN;
}

status_t vmi_destroy(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_SUCCESS;
    if (vmi->os && vmi->os->destroy)
        vmi->os->destroy(vmi->os_state);
    core_caches_destroy(vmi); /* before the driver: cached pages may be its */
    if (vmi->drv && vmi->drv_state)
        vmi->drv->close(vmi->drv_state);
    config_free(vmi->config);
    free(vmi->name);
    free(vmi);
    return VMI_SUCCESS;
}

/* The whole of vmi_init and vmi_init_complete. */
static status_t init_common(vmi_instance_t *out, bool detect, vmi_mode_t mode,
                            const void *domain, uint64_t flags, vmi_config_t config_mode,
                            void *config, bool with_config, bool with_os,
                            vmi_init_error_t *error)
{
    vmi_init_error_t stage = VMI_INIT_ERROR_NONE;
    util_err_t *ierr = core_init_err();
    vmi_instance_t vmi;

    util_err_clear(ierr);
    if (!out) {
        util_err_set(ierr, "vmi_init: the vmi out-parameter is NULL");
        if (error)
            *error = VMI_INIT_ERROR_DRIVER;
        return VMI_FAILURE;
    }
    *out = NULL;
    vmi = calloc(1, sizeof(*vmi));
    if (!vmi || !(vmi->config = config_new())) {
        free(vmi);
        util_err_set(ierr, "vmi_init: out of memory");
        if (error)
            *error = VMI_INIT_ERROR_DRIVER;
        return VMI_FAILURE;
    }

    if (!domain) {
        util_err_set(&vmi->err, "no target given (domain is NULL)");
        stage = VMI_INIT_ERROR_VM_NOT_FOUND;
        goto fail;
    }
    if (flags & VMI_INIT_DOMAINID) {
        vmi->vmid = *(const uint64_t *)domain;
        char idbuf[32];
        snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)vmi->vmid);
        vmi->name = util_strdup(idbuf);
    } else {
        vmi->vmid = VMI_INVALID_DOMID;
        vmi->name = util_strdup(domain);
    }
    if (!vmi->name) {
        util_err_set(&vmi->err, "out of memory");
        stage = VMI_INIT_ERROR_DRIVER;
        goto fail;
    }

    if (detect) {
        vmi->drv = driver_detect(vmi->name);
        if (!vmi->drv) {
            util_err_set(&vmi->err, "no driver recognises \"%s\": not a readable file%s",
                         vmi->name, "; live targets (QEMU, Xen) are not built in yet");
            stage = VMI_INIT_ERROR_DRIVER_NOT_DETECTED;
            goto fail;
        }
    } else {
        vmi->drv = driver_for_mode(mode);
        if (!vmi->drv) {
            util_err_set(&vmi->err, "access mode %d is not built into this TinyVMI "
                                    "(built in: file)", (int)mode);
            stage = VMI_INIT_ERROR_DRIVER_NOT_DETECTED;
            goto fail;
        }
    }
    vmi->mode = vmi->drv->mode;
    if ((flags & VMI_INIT_DOMAINID) && vmi->mode == VMI_FILE) {
        util_err_set(&vmi->err, "file mode names its target by path, not by domain id");
        stage = VMI_INIT_ERROR_VM_NOT_FOUND;
        goto fail;
    }
    if (flags & VMI_INIT_EVENTS) {
        util_err_set(&vmi->err, "events were requested but the %s driver has none",
                     vmi->drv->name);
        stage = VMI_INIT_ERROR_EVENTS;
        goto fail;
    }

    if (with_config && load_config(vmi, config_mode, config, &stage) != VMI_SUCCESS)
        goto fail;
    if (core_caches_create(vmi) != VMI_SUCCESS) {
        stage = VMI_INIT_ERROR_DRIVER;
        goto fail;
    }
    if (open_driver(vmi, &stage) != VMI_SUCCESS)
        goto fail;
    {
        uint64_t v = 0;
        if (config_get(vmi->config, "page_cache") &&
            !config_get_u64(vmi->config, "page_cache", &v, &vmi->err)) {
            stage = VMI_INIT_ERROR_DRIVER;
            goto fail;
        }
        vmi->via_page_cache = !vmi->drv->map || v != 0;
    }
    if (setup_paging(vmi) != VMI_SUCCESS) {
        stage = VMI_INIT_ERROR_PAGING;
        goto fail;
    }
    if (with_os && start_os(vmi, &stage) != VMI_SUCCESS)
        goto fail;

    if (error)
        *error = VMI_INIT_ERROR_NONE;
    *out = vmi;
    return VMI_SUCCESS;

fail:
    util_err_set(ierr, "%s: %s", tvmi_init_error_str(stage), vmi->err.msg);
    if (!vmi->drv_state)
        vmi->drv = NULL;
    vmi_destroy(vmi);
    if (error)
        *error = stage;
    return VMI_FAILURE;
}

status_t vmi_init(vmi_instance_t *vmi, vmi_mode_t mode, const void *domain,
                  uint64_t init_flags, vmi_init_data_t *init_data, vmi_init_error_t *error)
{
    return init_common(vmi, false, mode, domain, init_flags, VMI_CONFIG_STRING, NULL,
                       false, false, error);
}

status_t vmi_init_complete(vmi_instance_t *vmi, const void *domain, uint64_t init_flags,
                           vmi_init_data_t *init_data, vmi_config_t config_mode,
                           void *config, vmi_init_error_t *error)
{
    return init_common(vmi, true, VMI_FILE, domain, init_flags, config_mode, config, true,
                       true, error);
}

status_t vmi_get_access_mode(vmi_instance_t vmi, const void *domain, uint64_t init_flags,
                             vmi_init_data_t *init_data, vmi_mode_t *mode)
{
    const driver_ops_t *d;
    if (vmi) {
        *mode = vmi->mode;
        return VMI_SUCCESS;
    }
    if (!domain || (init_flags & VMI_INIT_DOMAINID))
        return VMI_FAILURE;
    d = driver_detect(domain);
    if (!d)
        return VMI_FAILURE;
    *mode = d->mode;
    return VMI_SUCCESS;
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
