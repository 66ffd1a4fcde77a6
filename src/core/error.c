/*
 * error.c - failure reasons on the instance and, for failed inits, per thread.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/core.h"
#include "core/instance.h"

/* A failed init frees its instance, so its reason must live elsewhere. */
static _Thread_local util_err_t init_err;

util_err_t *core_init_err(void);
util_err_t *core_init_err(void)
{
    return &init_err;
}

void core_error(vmi_instance_t vmi, const char *fmt, ...)
{
    va_list ap;
    if (!vmi)
        return;
    va_start(ap, fmt);
    util_err_vset(&vmi->err, fmt, ap);
    va_end(ap);
}

void core_error_prefix(vmi_instance_t vmi, const char *fmt, ...)
{
    char head[UTIL_ERR_MAX];
    va_list ap;
    if (!vmi)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    util_err_prefix(&vmi->err, "%s", head);
}

util_err_t *core_err(vmi_instance_t vmi)
{
    return &vmi->err;
}

const char *tvmi_errmsg(vmi_instance_t vmi)
{
    if (!vmi)
        return "no instance (NULL handle); for a failed init see tvmi_init_errmsg()";
    return vmi->err.msg;
}

const char *tvmi_init_errmsg(void)
{
    return init_err.msg;
}

const char *tvmi_init_error_str(int error)
{
    switch (error) {
    case VMI_INIT_ERROR_NONE: return "no error";
    case VMI_INIT_ERROR_DRIVER_NOT_DETECTED: return "no driver recognises the target";
    case VMI_INIT_ERROR_DRIVER: return "the driver failed to open the target";
    case VMI_INIT_ERROR_VM_NOT_FOUND: return "the target was not found";
    case VMI_INIT_ERROR_PAGING: return "the paging mode could not be set up";
    case VMI_INIT_ERROR_OS: return "the OS layer failed to start";
    case VMI_INIT_ERROR_EVENTS: return "events could not be set up";
    case VMI_INIT_ERROR_NO_CONFIG: return "no configuration was found";
    case VMI_INIT_ERROR_NO_CONFIG_ENTRY: return "the configuration has no entry for the target";
    default: return "unknown init error";
    }
}
