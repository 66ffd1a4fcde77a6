/*
 * control.c - running targets: pause and resume, the run state, injecting a
 * page fault, giving frames to the guest or taking them back.  An image
 * never runs: pausing it succeeds (it is paused), resuming it fails.
 */
#include <string.h>

#include "core/core.h"
#include "core/instance.h"

static status_t pause_vm(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->pause) /* an image never runs: it is always paused */
        return VMI_SUCCESS;
    return vmi->drv->pause(vmi->drv_state, &vmi->err);
}

status_t vmi_pause_vm(vmi_instance_t vmi)
{
    CORE_API(vmi, pause_vm(vmi));
}

static status_t resume_vm(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->resume)
        return core_driver_lacks(vmi, "resume the target: it never runs");
    if (vmi->drv->resume(vmi->drv_state, &vmi->err) != VMI_SUCCESS)
        return VMI_FAILURE;
    /* The guest runs again: what we cached of its memory may change. */
    core_live_invalidate(vmi);
    return VMI_SUCCESS;
}

status_t vmi_resume_vm(vmi_instance_t vmi)
{
    CORE_API(vmi, resume_vm(vmi));
}

static status_t domain_status(vmi_instance_t vmi, domain_status_t *st)
{
    CORE_REQUIRE(vmi, st);
    memset(st, 0, sizeof(*st));
    if (!vmi->drv->status) {
        st->paused = 1; /* an image: stopped for good */
        return VMI_SUCCESS;
    }
    return vmi->drv->status(vmi->drv_state, st, &vmi->err);
}

status_t vmi_get_domain_status(vmi_instance_t vmi, domain_status_t *st)
{
    CORE_API(vmi, domain_status(vmi, st));
}

static status_t page_fault(vmi_instance_t vmi, unsigned long vcpu, uint64_t va, uint32_t code)
{
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->inject_page_fault)
        return core_driver_lacks(vmi, "inject page faults");
    return vmi->drv->inject_page_fault(vmi->drv_state, vcpu, va, code, &vmi->err);
}

status_t vmi_request_page_fault(vmi_instance_t vmi, unsigned long vcpu, uint64_t va,
                                uint32_t error_code)
{
    CORE_API(vmi, page_fault(vmi, vcpu, va, error_code));
}

static status_t gfn_op(vmi_instance_t vmi, uint64_t gfn, bool alloc)
{
    if (!vmi)
        return VMI_FAILURE;
    if (alloc ? !vmi->drv->alloc_gfn : !vmi->drv->free_gfn)
        return core_driver_lacks(vmi, alloc ? "give the guest new frames"
                                            : "take frames from the guest");
    if ((alloc ? vmi->drv->alloc_gfn : vmi->drv->free_gfn)(vmi->drv_state, gfn, &vmi->err) !=
        VMI_SUCCESS)
        return VMI_FAILURE;
    /* The frame's contents changed or went: no stale copies. */
    vmi_pagecache_flush(vmi);
    vmi_v2pcache_flush(vmi, ~0ULL);
    return VMI_SUCCESS;
}

status_t vmi_alloc_gfn(vmi_instance_t vmi, uint64_t gfn)
{
    CORE_API(vmi, gfn_op(vmi, gfn, true));
}

status_t vmi_free_gfn(vmi_instance_t vmi, uint64_t gfn)
{
    CORE_API(vmi, gfn_op(vmi, gfn, false));
}
