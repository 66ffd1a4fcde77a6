/*
 * xen.c - the Xen driver: a running Xen domain, found by name or id in
 * xenstore, read and written through foreign mappings, its vCPUs through
 * libxenctrl, its events through the vm_event monitor ring.  This file holds
 * the table, open and close; each other part lives in its own xen_*.c (see
 * xen.h).
 *
 * It links Xen's libraries directly (mk/xen.mk: from their static archives),
 * never through dlopen, so a -static tool carries the whole driver.  The
 * libraries' own log lines are kept and added to our reasons instead of
 * being printed.  It must not know paging, symbols or operating systems.
 */
#include "driver/xen.h"

#if TINYVMI_XEN

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the libraries' log, captured ---- */

__attribute__((format(printf, 5, 0)))
static void log_message(xentoollog_logger *logger, xentoollog_level level, int errnoval,
                        const char *context, const char *format, va_list al)
{
    xen_log_t *log = (xen_log_t *)logger;
    int n;
    if (level < XTL_WARN)
        return;
    n = snprintf(log->last, sizeof(log->last), "%s%s", context ? context : "",
                 context ? ": " : "");
    if (n < 0 || (size_t)n >= sizeof(log->last))
        return;
    vsnprintf(log->last + n, sizeof(log->last) - (size_t)n, format, al);
    (void)errnoval; /* the message names it when it matters */
}

static void log_destroy(xentoollog_logger *logger)
{
    (void)logger; /* lives inside xen_state_t */
}

void xen_fail(xen_state_t *st, util_err_t *err, int errnum, const char *fmt, ...)
{
    char what[UTIL_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (st && st->log.last[0]) {
        util_err_set(err, "%s: %s (Xen: %s)", what, strerror(errnum), st->log.last);
        st->log.last[0] = '\0';
    } else {
        util_err_set(err, "%s: %s", what, strerror(errnum));
    }
}

bool xen_domain_info(xen_state_t *st, xc_domaininfo_t *info, util_err_t *err)
{
    int n = xc_domain_getinfolist(st->xc, st->domid, 1, info);
    if (n < 0) {
        xen_fail(st, err, errno, "domain %u: asking Xen for its state", st->domid);
        return false;
    }
    /* The call returns the next domain when ours is gone. */
    if (n == 0 || info->domain != st->domid) {
        util_err_set(err, "domain %u (%s) no longer exists", st->domid,
                     st->name ? st->name : "no name");
        return false;
    }
    if (info->flags & XEN_DOMINF_dying) {
        util_err_set(err, "domain %u (%s) is being destroyed", st->domid,
                     st->name ? st->name : "no name");
        return false;
    }
    return true;
}

/* ---- the table ---- */

static bool have_privcmd(void)
{
    struct stat sb;
    return stat("/dev/xen/privcmd", &sb) == 0 || stat("/proc/xen/privcmd", &sb) == 0;
}

/* A domain id, or a name that is not a file (the file driver's). */
static bool xen_probe(const driver_target_t *t)
{
    struct stat sb;
    if (!have_privcmd())
        return false;
    if (t->flags & VMI_INIT_DOMAINID)
        return true;
    return t->name && t->name[0] && stat(t->name, &sb) != 0;
}

static void xen_close(void *state)
{
    xen_state_t *st = state;
    if (!st)
        return;
    xen_mon_close(st);
    xen_mem_close(st);
    xen_ctl_release(st);
    if (st->xs)
        xs_close(st->xs);
    if (st->dmod)
        xendevicemodel_close(st->dmod);
    if (st->fmem)
        xenforeignmemory_close(st->fmem);
    if (st->xc)
        xc_interface_close(st->xc);
    free(st->name);
    free(st);
}

static status_t xen_open(void **state, const driver_target_t *t,
                         const driver_settings_t *settings, util_err_t *err)
{
    xen_state_t *st = calloc(1, sizeof(*st));
    xc_domaininfo_t info;

    *state = NULL;
    if (!st) {
        util_err_set(err, "out of memory");
        return VMI_FAILURE;
    }
    st->log.logger.vmessage = log_message;
    st->log.logger.destroy = log_destroy;
    if (!have_privcmd()) {
        util_err_set(err, "no Xen here: neither /dev/xen/privcmd nor /proc/xen/privcmd exists "
                          "(TinyVMI's Xen driver runs in dom0, or in a domain with rights "
                          "over the target, with the kernel's xen-privcmd module)");
        goto fail;
    }
    st->xc = xc_interface_open(&st->log.logger, &st->log.logger, 0);
    if (!st->xc) {
        xen_fail(st, err, errno, "opening Xen's control interface (privcmd)");
        goto fail;
    }
    st->fmem = xenforeignmemory_open(&st->log.logger, 0);
    if (!st->fmem) {
        xen_fail(st, err, errno, "opening Xen's foreign-memory interface");
        goto fail;
    }
    /* Only injected page faults need it: its absence is that call's reason. */
    st->dmod = xendevicemodel_open(&st->log.logger, 0);
    st->log.last[0] = '\0';
    st->xs = xs_open(0);
    if (!st->xs)
        snprintf(st->xs_reason, sizeof(st->xs_reason), "%s", strerror(errno));
    if (xen_store_resolve(st, t, &st->domid, &st->name, err) != VMI_SUCCESS)
        goto fail;
    if (!xen_domain_info(st, &info, err))
        goto fail;
    st->hvm = (info.flags & XEN_DOMINF_hvm_guest) != 0;
    st->vcpus = info.max_vcpu_id + 1;
    if (!st->hvm) {
        unsigned int width = 0;
        if (xc_domain_get_guest_width(st->xc, st->domid, &width) != 0) {
            xen_fail(st, err, errno, "domain %u: asking Xen for the PV guest's width",
                     st->domid);
            goto fail;
        }
        if (width != 8) {
            util_err_set(err, "domain %u (%s) is a %u-bit PV guest: only 64-bit PV guests "
                              "are supported", st->domid, st->name ? st->name : "no name",
                         width * 8);
            goto fail;
        }
    }
    if (xen_mem_open(st, settings, err) != VMI_SUCCESS)
        goto fail;
    *state = st;
    return VMI_SUCCESS;
fail:
    xen_close(st);
    return VMI_FAILURE;
}

static const char *xen_get_name(void *state)
{
    return ((xen_state_t *)state)->name;
}

static uint64_t xen_get_id(void *state)
{
    return ((xen_state_t *)state)->domid;
}

const driver_ops_t driver_xen_ops = {
    .name = "xen",
    .mode = VMI_XEN,
    .accepts = "a Xen domain by name or id, from dom0 or a domain with rights over it",
    .probe = xen_probe,
    .open = xen_open,
    .close = xen_close,
    .get_name = xen_get_name,
    .get_id = xen_get_id,
    .read = xen_mem_read,
    .write = xen_mem_write,
    .memsize = xen_mem_size,
    .max_pa = xen_mem_max_pa,
    .range = xen_mem_range,
    .num_vcpus = xen_ctl_vcpus,
    .get_vcpureg = xen_regs_get,
    .get_vcpuregs = xen_regs_get_all,
    .set_vcpureg = xen_regs_set,
    .set_vcpuregs = xen_regs_set_all,
    .get_xsave = xen_regs_xsave,
    .get_mtrr = xen_regs_mtrr,
    .get_tsc = xen_regs_tsc,
    .inject_page_fault = xen_ctl_page_fault,
    .pause = xen_ctl_pause,
    .resume = xen_ctl_resume,
    .status = xen_ctl_status,
    .alive = xen_ctl_alive,
    .alloc_gfn = xen_ctl_alloc_gfn,
    .free_gfn = xen_ctl_free_gfn,
    .watch_kinds = xen_mon_kinds,
    .watch = xen_mon_watch,
    .listen = xen_mon_listen,
    .pending = xen_mon_pending,
};

#endif /* TINYVMI_XEN */
