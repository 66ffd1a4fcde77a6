/*
 * error.c - failure reasons: on the instance, per thread for calls that have
 * no instance (a failed init, a NULL handle), and the one entry and exit
 * every public call goes through (core.h, CORE_API).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"

/* A failed init frees its instance, so its reason must live elsewhere; so
 * must the reason of a call made with no instance at all. */
static _Thread_local util_err_t init_err;
static _Thread_local util_err_t no_instance_err;

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

/* ---- Public-call entry and exit ---- */

void core_api_enter_null(void)
{
    util_err_clear(&no_instance_err);
}

void core_api_no_instance(const char *fn, const char *fmt, ...)
{
    char why[UTIL_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    util_err_set(&no_instance_err, "%s: %s", fn, why);
}

/* core_api_exit's slow path: a failure, or no instance. */
status_t core_api_fail(vmi_instance_t vmi, const char *fn, status_t st)
{
    bool outermost;

    if (!vmi) {
        if (st != VMI_SUCCESS && !no_instance_err.msg[0])
            util_err_set(&no_instance_err, "%s: no instance (the vmi handle is NULL)", fn);
        return st;
    }
    outermost = vmi->api.depth <= 1;
    if (vmi->api.depth)
        vmi->api.depth--;
    if (!vmi->err.msg[0])
        util_err_set(&vmi->err, "failed without recording why (a TinyVMI defect: please "
                                "report it)");
    /* Name the call once, at the outermost level; a reason that already
     * starts with it (a function that names itself) is left alone. */
    if (outermost) {
        size_t n = strlen(fn);
        if (strncmp(vmi->err.msg, fn, n) != 0 || vmi->err.msg[n] != ':')
            util_err_prefix(&vmi->err, "%s", fn);
    }
    return st;
}

void core_api_leave(vmi_instance_t vmi)
{
    if (vmi && vmi->api.depth)
        vmi->api.depth--;
}

void core_api_exit_void(vmi_instance_t vmi, const char *fn)
{
    core_api_exit(vmi, fn, !vmi || vmi->err.msg[0] ? VMI_FAILURE : VMI_SUCCESS);
}

/* ---- Readers of the reason (never go through the entry/exit) ---- */

const char *tvmi_errmsg(vmi_instance_t vmi)
{
    if (!vmi)
        return no_instance_err.msg[0] ? no_instance_err.msg
                                      : "no instance (NULL handle); for a failed init see "
                                        "tvmi_init_errmsg()";
    return vmi->err.msg;
}

const char *tvmi_init_errmsg(void)
{
    return init_err.msg;
}

void core_init_reason_clear(void)
{
    util_err_clear(&init_err);
}

void core_init_reason(vmi_init_error_t stage, const char *fmt, ...)
{
    char why[UTIL_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    util_err_set(&init_err, "%s: %s", tvmi_init_error_str(stage), why);
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
