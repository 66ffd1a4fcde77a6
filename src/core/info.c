/*
 * info.c - facts about the target and the instance: its name and id, the
 * paging mode, memory size and ranges, vCPU count, configuration values,
 * the kernel page table, and facts the target states about its guest.
 *
 * Getters that LibVMI defines without a status (a size, a mode) return
 * LibVMI's "unknown" value (0, VMI_PM_UNKNOWN, NULL) on failure and leave
 * the reason as every other call does.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"
#include "util/strutil.h"

static char *get_name(vmi_instance_t vmi)
{
    char *s = vmi ? util_strdup(vmi->name) : NULL;
    if (vmi && !s)
        core_error(vmi, "out of memory");
    return s;
}

char *vmi_get_name(vmi_instance_t vmi)
{
    CORE_API_PTR(vmi, char *, get_name(vmi));
}

uint64_t vmi_get_vmid(vmi_instance_t vmi)
{
    /* VMI_INVALID_DOMID for a target without ids (an image) is an answer. */
    CORE_API_RET(vmi, uint64_t, vmi ? vmi->vmid : VMI_INVALID_DOMID, vmi != NULL);
}

page_mode_t vmi_get_page_mode(vmi_instance_t vmi, unsigned long vcpu)
{
    CORE_API_RET(vmi, page_mode_t, vmi ? arch_x86_page_mode(vmi->pmode) : VMI_PM_UNKNOWN,
                 vmi != NULL);
}

static unsigned int paging_levels(vmi_instance_t vmi)
{
    if (!vmi)
        return 0;
    switch (vmi->pmode) {
    case ARCH_X86_LEGACY: return 2;
    case ARCH_X86_PAE: return 3;
    case ARCH_X86_IA32E_4: return 4;
    case ARCH_X86_IA32E_5: return 5;
    default: return 0;
    }
}

unsigned int tvmi_get_paging_levels(vmi_instance_t vmi)
{
    CORE_API_RET(vmi, unsigned int, paging_levels(vmi), vmi != NULL);
}

uint8_t vmi_get_address_width(vmi_instance_t vmi)
{
    CORE_API_RET(vmi, uint8_t, vmi ? vmi->addr_width : 0, vmi != NULL);
}

uint64_t vmi_get_memsize(vmi_instance_t vmi)
{
    CORE_API_RET(vmi, uint64_t, vmi ? vmi->drv->memsize(vmi->drv_state) : 0, vmi != NULL);
}

addr_t vmi_get_max_physical_address(vmi_instance_t vmi)
{
    CORE_API_RET(vmi, addr_t, vmi ? vmi->drv->max_pa(vmi->drv_state) : 0, vmi != NULL);
}

addr_t vmi_get_next_available_gfn(vmi_instance_t vmi)
{
    CORE_API_RET(vmi, addr_t, vmi ? (vmi->drv->max_pa(vmi->drv_state) + 0xfff) >> 12 : 0,
                 vmi != NULL);
}

unsigned int vmi_get_num_vcpus(vmi_instance_t vmi)
{
    /* 0 is the answer for a target without vCPUs (a raw image). */
    CORE_API_RET(vmi, unsigned int,
                 vmi && vmi->drv->num_vcpus ? vmi->drv->num_vcpus(vmi->drv_state) : 0,
                 vmi != NULL);
}

static status_t memory_range(vmi_instance_t vmi, size_t i, uint64_t *start, uint64_t *end)
{
    driver_range_t r;
    CORE_REQUIRE(vmi, start && end);
    if (!vmi->drv->range(vmi->drv_state, i, &r)) {
        core_error(vmi, "no RAM range %zu: the target has fewer", i);
        return VMI_FAILURE;
    }
    *start = r.start;
    *end = r.end;
    return VMI_SUCCESS;
}

status_t tvmi_get_memory_range(vmi_instance_t vmi, size_t i, uint64_t *start, uint64_t *end)
{
    CORE_API(vmi, memory_range(vmi, i, start, end));
}

const access_context_t *vmi_get_last_pagetable_lookup_fault(vmi_instance_t vmi)
{
    CORE_API_PTR(vmi, const access_context_t *, vmi ? &vmi->last_fault : NULL);
}

/* ---- Configuration ---- */

static const char *config_value(vmi_instance_t vmi, const char *key, const char *what)
{
    const char *v;
    if (!vmi)
        return NULL;
    if (!key) {
        core_error(vmi, "a required argument is NULL (key)");
        return NULL;
    }
    v = config_get(vmi->config, key);
    if (!v)
        core_error(vmi, "%s: config key %s is not set", what, key);
    return v;
}

const char *tvmi_get_config(vmi_instance_t vmi, const char *key)
{
    CORE_API_PTR(vmi, const char *, config_value(vmi, key, "configuration value"));
}

const char *vmi_get_linux_sysmap(vmi_instance_t vmi)
{
    CORE_API_PTR(vmi, const char *, config_value(vmi, "sysmap", "the Linux System.map"));
}

const char *vmi_get_freebsd_sysmap(vmi_instance_t vmi)
{
    CORE_API_PTR(vmi, const char *, config_value(vmi, "sysmap", "the FreeBSD symbol map"));
}

const char *vmi_get_rekall_path(vmi_instance_t vmi)
{
    CORE_API_PTR(vmi, const char *, config_value(vmi, "rekall_profile", "the Rekall profile"));
}

static const char *profile_path(vmi_instance_t vmi)
{
    const char *p = vmi ? config_get(vmi->config, "volatility_ist") : NULL;
    return p ? p : config_value(vmi, "rekall_profile", "the OS profile (volatility_ist)");
}

const char *vmi_get_os_profile_path(vmi_instance_t vmi)
{
    CORE_API_PTR(vmi, const char *, profile_path(vmi));
}

const char *core_config_get(vmi_instance_t vmi, const char *key)
{
    return config_get(vmi->config, key);
}

bool core_config_get_u64(vmi_instance_t vmi, const char *key, uint64_t *out)
{
    return config_get_u64(vmi->config, key, out, &vmi->err);
}

void core_config_set_default(vmi_instance_t vmi, const char *key, const char *value)
{
    if (!config_get(vmi->config, key))
        config_set(vmi->config, key, value);
}

/* ---- For the layers above ---- */

addr_t core_kernel_dtb(vmi_instance_t vmi)
{
    return vmi->kpgd;
}

void core_set_kernel_dtb(vmi_instance_t vmi, addr_t dtb)
{
    vmi->kpgd = vmi->pmode == ARCH_X86_NONE ? dtb : arch_x86_dtb_base(vmi->pmode, dtb);
}

arch_x86_mode_t core_paging_mode(vmi_instance_t vmi)
{
    return vmi->pmode;
}

bool core_driver_hint(vmi_instance_t vmi, const char *key, uint64_t *value)
{
    util_err_t scratch;
    uint64_t v;

    if (!vmi || !key || !value || !vmi->drv->hint)
        return false;
    if (vmi->drv->hint(vmi->drv_state, key, &v, &scratch) != VMI_SUCCESS)
        return false;
    *value = v;
    return true;
}
