/*
 * xen_control.c - running a Xen domain: pause and resume, its run state,
 * whether it still exists, its vCPUs, an injected page fault, frames given
 * and taken.
 *
 * Xen counts pauses.  This instance undoes only its own: resuming a domain
 * it did not pause fails (undoing the toolstack's pause would let the guest
 * run under it), and close undoes the pauses left, so a program that exits
 * paused does not leave the guest stopped.  This file must not touch memory
 * contents or registers.
 */
#include "driver/xen.h"

#if TINYVMI_XEN

#include <errno.h>
#include <xen/hvm/dm_op.h>

#define VECTOR_PF 14

unsigned int xen_ctl_vcpus(void *state)
{
    return ((xen_state_t *)state)->vcpus;
}

status_t xen_ctl_pause(void *state, util_err_t *err)
{
    xen_state_t *st = state;
    if (xc_domain_pause(st->xc, st->domid) != 0) {
        xen_fail(st, err, errno, "domain %u: pausing it", st->domid);
        return VMI_FAILURE;
    }
    st->pauses++;
    return VMI_SUCCESS;
}

status_t xen_ctl_resume(void *state, util_err_t *err)
{
    xen_state_t *st = state;
    if (!st->pauses) {
        util_err_set(err, "domain %u (%s) was not paused by this instance; Xen counts "
                          "pauses, and undoing another's would let the guest run under it",
                     st->domid, st->name ? st->name : "no name");
        return VMI_FAILURE;
    }
    if (xc_domain_unpause(st->xc, st->domid) != 0) {
        xen_fail(st, err, errno, "domain %u: resuming it", st->domid);
        return VMI_FAILURE;
    }
    st->pauses--;
    return VMI_SUCCESS;
}

void xen_ctl_release(xen_state_t *st)
{
    while (st->pauses && st->xc && xc_domain_unpause(st->xc, st->domid) == 0)
        st->pauses--;
}

status_t xen_ctl_hold(xen_state_t *st, bool *paused, util_err_t *err)
{
    *paused = false;
    if (st->pauses)
        return VMI_SUCCESS;
    if (xc_domain_pause(st->xc, st->domid) != 0) {
        xen_fail(st, err, errno, "domain %u: pausing it for the change", st->domid);
        return VMI_FAILURE;
    }
    *paused = true;
    return VMI_SUCCESS;
}

void xen_ctl_hold_end(xen_state_t *st, bool paused)
{
    if (paused)
        (void)xc_domain_unpause(st->xc, st->domid);
}

status_t xen_ctl_status(void *state, domain_status_t *out, util_err_t *err)
{
    xen_state_t *st = state;
    xc_domaininfo_t info;
    if (!xen_domain_info(st, &info, err))
        return VMI_FAILURE;
    out->dying = (info.flags & XEN_DOMINF_dying) != 0;
    out->shutdown = (info.flags & XEN_DOMINF_shutdown) != 0;
    out->paused = (info.flags & XEN_DOMINF_paused) != 0;
    out->blocked = (info.flags & XEN_DOMINF_blocked) != 0;
    out->running = (info.flags & XEN_DOMINF_running) != 0;
    out->debugged = (info.flags & XEN_DOMINF_debugged) != 0;
    return VMI_SUCCESS;
}

status_t xen_ctl_alive(void *state, util_err_t *err)
{
    xc_domaininfo_t info;
    return xen_domain_info(state, &info, err) ? VMI_SUCCESS : VMI_FAILURE;
}

status_t xen_ctl_page_fault(void *state, unsigned long vcpu, uint64_t va, uint32_t code,
                            util_err_t *err)
{
    xen_state_t *st = state;
    if (!st->hvm) {
        util_err_set(err, "domain %u is a PV guest: Xen injects events into HVM and PVH "
                          "vCPUs only", st->domid);
        return VMI_FAILURE;
    }
    if (!st->dmod) {
        util_err_set(err, "Xen's device-model interface could not be opened, and it is what "
                          "injects events");
        return VMI_FAILURE;
    }
    if (vcpu >= st->vcpus) {
        util_err_set(err, "vCPU %lu: domain %u has %u", vcpu, st->domid, st->vcpus);
        return VMI_FAILURE;
    }
    if (xendevicemodel_inject_event(st->dmod, (domid_t)st->domid, (int)vcpu, VECTOR_PF,
                                    XEN_DMOP_EVENT_hw_exc, code, 0, va) != 0) {
        xen_fail(st, err, errno, "domain %u vCPU %lu: injecting a page fault at 0x%llx",
                 st->domid, vcpu, (unsigned long long)va);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* Giving and taking frames means guest frames: a PV guest's are its own
 * business (its P2M), and our addresses for it are machine frames. */
static bool frames_ok(xen_state_t *st, util_err_t *err)
{
    if (st->hvm)
        return true;
    util_err_set(err, "domain %u is a PV guest: it manages its own frame list, so frames are "
                      "given and taken only for HVM and PVH guests", st->domid);
    return false;
}

status_t xen_ctl_alloc_gfn(void *state, uint64_t gfn, util_err_t *err)
{
    xen_state_t *st = state;
    xen_pfn_t f = gfn;
    if (!frames_ok(st, err))
        return VMI_FAILURE;
    if (xc_domain_populate_physmap_exact(st->xc, st->domid, 1, 0, 0, &f) != 0) {
        xen_fail(st, err, errno, "domain %u: giving it frame 0x%llx", st->domid,
                 (unsigned long long)gfn);
        return VMI_FAILURE;
    }
    xen_mem_forget(st, gfn);
    return xen_mem_rescan(st, err);
}

status_t xen_ctl_free_gfn(void *state, uint64_t gfn, util_err_t *err)
{
    xen_state_t *st = state;
    xen_pfn_t f = gfn;
    if (!frames_ok(st, err))
        return VMI_FAILURE;
    /* Our mapping would keep the page alive (and readable) otherwise. */
    xen_mem_forget(st, gfn);
    if (xc_domain_decrease_reservation_exact(st->xc, st->domid, 1, 0, &f) != 0) {
        xen_fail(st, err, errno, "domain %u: taking frame 0x%llx from it", st->domid,
                 (unsigned long long)gfn);
        return VMI_FAILURE;
    }
    return xen_mem_rescan(st, err);
}

#endif /* TINYVMI_XEN */
