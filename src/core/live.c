/*
 * live.c - the driver's slots for targets that run: whether the target is
 * still there, and the event slots the events layer (src/events/) uses.
 * Pass-throughs that turn a missing slot into a reason naming the driver,
 * so layers above the core never touch the driver table themselves.
 */
#include "core/core.h"
#include "core/instance.h"

const char *core_driver_name(vmi_instance_t vmi)
{
    return vmi->drv->name;
}

uint32_t core_driver_watch_kinds(vmi_instance_t vmi)
{
    return vmi->drv->watch_kinds ? vmi->drv->watch_kinds(vmi->drv_state) : 0;
}

status_t core_driver_watch(vmi_instance_t vmi, const driver_watch_t *w, bool on)
{
    if (!vmi->drv->watch) {
        core_error(vmi, "the %s driver (%s) delivers no events", vmi->drv->name,
                   vmi->drv->accepts);
        return VMI_FAILURE;
    }
    return vmi->drv->watch(vmi->drv_state, w, on, &vmi->err);
}

status_t core_driver_listen(vmi_instance_t vmi, uint32_t timeout_ms, driver_deliver_fn fn,
                            void *ctx)
{
    if (!vmi->drv->listen) {
        core_error(vmi, "the %s driver (%s) delivers no events", vmi->drv->name,
                   vmi->drv->accepts);
        return VMI_FAILURE;
    }
    return vmi->drv->listen(vmi->drv_state, timeout_ms, fn, ctx, &vmi->err);
}

int core_driver_pending(vmi_instance_t vmi)
{
    return vmi->drv->pending ? vmi->drv->pending(vmi->drv_state) : 0;
}

status_t core_driver_alive(vmi_instance_t vmi)
{
    return vmi->drv->alive ? vmi->drv->alive(vmi->drv_state, &vmi->err) : VMI_SUCCESS;
}

void core_live_invalidate(vmi_instance_t vmi)
{
    vmi_v2pcache_flush(vmi, ~0ULL);
    vmi_pagecache_flush(vmi);
}
