/*
 * os.c - the list of built-in OS layers, and starting one on an instance:
 * vmi_init_complete (the core's vmi_init plus an OS layer) and vmi_init_os.
 *
 * The core never chooses or calls an OS layer by itself; the layer attaches
 * to the instance with core_set_os once it has started (registration goes
 * downward, as drivers' does).
 */
#include "os/os.h"

#include <stdlib.h>

#include "util/strutil.h"

extern const os_ops_t os_linux_ops;   /* os/linux/linux.c */
extern const os_ops_t os_windows_ops; /* os/windows/windows.c */

/* Each layer adds one line here.  Detection asks them in this order; Linux
 * first, because its check is the cheaper one on a Linux guest and Windows'
 * is cheap to fail on. */
const os_ops_t *const os_table[] = {
    &os_linux_ops,
    &os_windows_ops,
    NULL,
};

const os_ops_t *os_by_name(const char *ostype)
{
    if (!ostype)
        return NULL;
    for (size_t i = 0; os_table[i]; i++)
        if (util_streq_nocase(os_table[i]->core.name, ostype))
            return os_table[i];
    return NULL;
}

/* The layer the config names, or the first that recognises the guest
 * (skipping the layers whose bit in asked is set: they said no already).
 * *os stays NULL (with success) for ostype "none" and when no layer
 * recognises the guest: memory and translation still work then. */
static status_t choose_os(vmi_instance_t vmi, const os_ops_t **os, unsigned asked,
                          void **state)
{
    const char *ostype = core_config_get(vmi, "ostype");

    *os = NULL;
    if (ostype && util_streq_nocase(ostype, "none"))
        return VMI_SUCCESS;
    if (ostype) {
        if (!(*os = os_by_name(ostype))) {
            core_error(vmi, "config ostype = \"%s\": no such OS layer is built in "
                            "(try Linux or Windows)", ostype);
            return VMI_FAILURE;
        }
        return VMI_SUCCESS;
    }
    for (size_t i = 0; os_table[i] && !*os; i++)
        if (!(asked >> i & 1) && os_table[i]->detect && os_table[i]->detect(vmi, state))
            *os = os_table[i];
    return VMI_SUCCESS;
}

/* Choose and start the OS layer; a scan core_open left pending runs first,
 * unless the layer (configured, or recognised from physical memory) finds
 * its root itself.  *stage says which stage failed (paging or OS). */
static status_t start_os(vmi_instance_t vmi, vmi_init_error_t *stage)
{
    const os_ops_t *os = NULL;
    void *state = NULL;
    unsigned asked = 0; /* layers whose detect said no before paging */
    bool named = core_config_get(vmi, "ostype") != NULL;

    core_set_os(vmi, NULL, NULL);
    *stage = VMI_INIT_ERROR_OS;
    if (named && choose_os(vmi, &os, 0, &state) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (os && os->find_root && core_paging_pending(vmi))
        os->find_root(vmi, &state);
    /* No layer named: one that can find its root recognises its guest
     * from physical memory (os.h), then looks for the root itself. */
    for (size_t i = 0; !named && !os && core_paging_pending(vmi) && os_table[i]; i++)
        if (os_table[i]->find_root) {
            if (!os_table[i]->detect(vmi, &state)) {
                asked |= 1u << i;
                continue;
            }
            os = os_table[i];
            os->find_root(vmi, &state);
        }
    if (core_paging_finish(vmi) != VMI_SUCCESS) {
        if (state)
            os->core.destroy(state);
        *stage = VMI_INIT_ERROR_PAGING;
        return VMI_FAILURE;
    }
    if (!named && !os && choose_os(vmi, &os, asked, &state) != VMI_SUCCESS)
        return VMI_FAILURE;
    /* Detection probes may have failed reads; they are not this call's. */
    util_err_clear(core_err(vmi));
    if (!os)
        return VMI_SUCCESS;
    if (os->init(vmi, &state) != VMI_SUCCESS) {
        if (!util_err_msg(core_err(vmi))[0])
            core_error(vmi, "the %s layer failed without a reason", os->core.name);
        core_error_prefix(vmi, "%s", os->core.name);
        return VMI_FAILURE;
    }
    core_set_os(vmi, &os->core, state);
    return VMI_SUCCESS;
}

/* vmi_init_complete is not a CORE_API call, but the OS layer reads guest
 * memory: the same guard against it vanishing (core/fault.c). */
static status_t guarded_start_os(vmi_instance_t vmi, vmi_init_error_t *stage)
{
    status_t st;
    *stage = VMI_INIT_ERROR_OS;
    CORE_API_GUARD_ONLY(vmi, "vmi_init_complete", st = start_os(vmi, stage), VMI_FAILURE);
    return st;
}

status_t vmi_init_complete(vmi_instance_t *vmi, const void *domain, uint64_t init_flags,
                           vmi_init_data_t *init_data, vmi_config_t config_mode,
                           void *config, vmi_init_error_t *error)
{
    vmi_init_error_t stage;

    core_init_reason_clear();
    if (core_open(vmi, true, VMI_FILE, domain, init_flags, init_data, true, config_mode,
                  config, true, &stage) != VMI_SUCCESS) {
        if (error)
            *error = stage;
        return VMI_FAILURE;
    }
    if (guarded_start_os(*vmi, &stage) != VMI_SUCCESS) {
        core_open_failed(*vmi, stage);
        *vmi = NULL;
        if (error)
            *error = stage;
        return VMI_FAILURE;
    }
    if (error)
        *error = VMI_INIT_ERROR_NONE;
    return VMI_SUCCESS;
}

/* LibVMI's vmi_init_os: configuration, then the OS layer, on an instance
 * opened by vmi_init.  The instance survives a failure, with the reason. */
static os_t init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                    vmi_init_error_t *error)
{
    vmi_init_error_t stage = VMI_INIT_ERROR_NONE;
    const core_os_t *os;

    if (!vmi) {
        if (error)
            *error = VMI_INIT_ERROR_OS;
        return VMI_OS_UNKNOWN;
    }
    if (config && core_load_config(vmi, config_mode, config, &stage) != VMI_SUCCESS) {
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
    os = core_get_os(vmi, NULL);
    return os ? os->type : VMI_OS_UNKNOWN;
}

os_t vmi_init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                 vmi_init_error_t *error)
{
    /* VMI_OS_UNKNOWN is also the answer for a guest no layer recognises,
     * which is not a failure: only a recorded reason makes it one. */
    CORE_API_GUARDED(vmi, os_t, init_os(vmi, config_mode, config, error),
                     vmi && (r_ != VMI_OS_UNKNOWN || !util_err_msg(core_err(vmi))[0]),
                     VMI_OS_UNKNOWN);
}
