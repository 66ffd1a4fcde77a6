/*
 * xen.h - the Xen driver's private state, shared by its files only:
 *
 *   xen.c          the driver table, open and close
 *   xen_store.c    domain name <-> id through xenstore
 *   xen_mem.c      guest memory: ranges, the cache of mapped frames, writes
 *   xen_regs.c     vCPU registers (HVM/PVH save records, PV contexts), TSC, MTRR, XSAVE
 *   xen_control.c  pause, resume, run state, vCPUs, injected faults, frames
 *   xen_monitor.c  events: the vm_event monitor ring
 *
 * Built only when Xen's development files are there (mk/xen.mk defines
 * TINYVMI_XEN); otherwise every xen*.c compiles to nothing.  Nothing
 * outside src/driver/xen*.c may include this file: the core sees the driver
 * only through driver_xen_ops.
 *
 * Addresses: for HVM and PVH guests a "physical" address is a guest frame
 * (gfn) address; for PV guests it is a machine address, since a PV guest's
 * page tables hold machine frames.
 */
#ifndef TINYVMI_DRIVER_XEN_H
#define TINYVMI_DRIVER_XEN_H

/* Keeps each xen*.c a valid translation unit when the driver is not built. */
typedef int xen_built_t;

#if TINYVMI_XEN

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <xenstore.h>

#include "driver/driver.h"
#include "util/lru.h"

/* What the Xen libraries said last, kept instead of printed on stderr. */
typedef struct xen_log {
    xentoollog_logger logger; /* first: the libraries hand this pointer back */
    char last[256];
} xen_log_t;

typedef struct xen_monitor xen_monitor_t;

typedef struct xen_state {
    xen_log_t log;
    xc_interface *xc;
    xenforeignmemory_handle *fmem;
    xendevicemodel_handle *dmod;
    struct xs_handle *xs;       /* NULL when xenstore could not be opened */
    char xs_reason[160];        /* why it could not */

    uint32_t domid;
    char *name;                 /* from xenstore; NULL when it would not say */
    bool hvm;                   /* HVM or PVH (gfns); false: PV (machine frames) */
    unsigned int vcpus;         /* max_vcpu_id + 1 */
    unsigned int pauses;        /* our pauses not yet undone (undone at close) */

    /* xen_mem.c */
    driver_range_t *ranges;     /* frames the domain owns, sorted, merged */
    size_t nranges;
    uint64_t memsize;
    util_lru_t *maps;           /* frame -> mapped page (read-only) */
    size_t map_ahead;           /* frames mapped per batch on a miss */

    xen_monitor_t *mon;         /* xen_monitor.c; NULL until the first watch */
} xen_state_t;

/* ---- xen.c ---- */
/* err gets "what: <errno text>[ (Xen: <what the library logged>)]". */
void xen_fail(xen_state_t *st, util_err_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The domain's info from Xen; false with a reason when it has gone. */
bool xen_domain_info(xen_state_t *st, xc_domaininfo_t *info, util_err_t *err);

/* ---- xen_store.c ---- */
/* The domain target names: *domid (and *name, malloc'd, or NULL when
 * xenstore will not say).  Fails with the reason xenstore gave. */
status_t xen_store_resolve(xen_state_t *st, const driver_target_t *t, uint32_t *domid,
                           char **name, util_err_t *err);

/* ---- xen_mem.c ---- */
status_t xen_mem_open(xen_state_t *st, const driver_settings_t *settings, util_err_t *err);
void xen_mem_close(xen_state_t *st);
status_t xen_mem_read(void *state, addr_t pa, void *buf, size_t len, size_t *done,
                      util_err_t *err);
status_t xen_mem_write(void *state, addr_t pa, const void *buf, size_t len, size_t *done,
                       util_err_t *err);
uint64_t xen_mem_size(void *state);
addr_t xen_mem_max_pa(void *state);
bool xen_mem_range(void *state, size_t i, driver_range_t *out);
/* Forget the mapping of one frame (it was given or taken), and take the
 * ranges again. */
void xen_mem_forget(xen_state_t *st, uint64_t frame);
status_t xen_mem_rescan(xen_state_t *st, util_err_t *err);

/* ---- xen_regs.c ---- */
status_t xen_regs_get(void *state, uint64_t *value, reg_t reg, unsigned long vcpu,
                      util_err_t *err);
status_t xen_regs_get_all(void *state, registers_t *regs, unsigned long vcpu,
                          util_err_t *err);
status_t xen_regs_set(void *state, uint64_t value, reg_t reg, unsigned long vcpu,
                      util_err_t *err);
status_t xen_regs_set_all(void *state, const registers_t *regs, unsigned long vcpu,
                          util_err_t *err);
status_t xen_regs_xsave(void *state, unsigned long vcpu, xsave_area_t *out, util_err_t *err);
status_t xen_regs_mtrr(void *state, unsigned long vcpu, mtrr_regs_t *out, util_err_t *err);
status_t xen_regs_tsc(void *state, uint32_t *mode, uint64_t *elapsed_nsec, uint32_t *khz,
                      uint32_t *incarnation, util_err_t *err);

/* ---- xen_control.c ---- */
unsigned int xen_ctl_vcpus(void *state);
status_t xen_ctl_pause(void *state, util_err_t *err);
status_t xen_ctl_resume(void *state, util_err_t *err);
status_t xen_ctl_status(void *state, domain_status_t *out, util_err_t *err);
status_t xen_ctl_alive(void *state, util_err_t *err);
status_t xen_ctl_page_fault(void *state, unsigned long vcpu, uint64_t va, uint32_t code,
                            util_err_t *err);
status_t xen_ctl_alloc_gfn(void *state, uint64_t gfn, util_err_t *err);
status_t xen_ctl_free_gfn(void *state, uint64_t gfn, util_err_t *err);
/* Undo our pauses (close). */
void xen_ctl_release(xen_state_t *st);
/* Pause for the length of one change the guest must not see half done;
 * *paused tells xen_ctl_hold_end whether to undo. */
status_t xen_ctl_hold(xen_state_t *st, bool *paused, util_err_t *err);
void xen_ctl_hold_end(xen_state_t *st, bool paused);

/* ---- xen_monitor.c ---- */
uint32_t xen_mon_kinds(void *state);
status_t xen_mon_watch(void *state, const driver_watch_t *w, bool on, util_err_t *err);
status_t xen_mon_listen(void *state, uint32_t timeout_ms, driver_deliver_fn fn, void *ctx,
                        util_err_t *err);
int xen_mon_pending(void *state);
void xen_mon_close(xen_state_t *st);

#endif /* TINYVMI_XEN */
#endif
