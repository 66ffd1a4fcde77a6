/*
 * slat.c - LibVMI's SLAT view calls (<libvmi/slat.h>): pass-throughs to the
 * driver's slat table (driver.h, driver_slat_ops_t).
 *
 * A driver without the table fails every call with a reason naming it and
 * saying where views exist.  A view switch or a changed frame changes what
 * the guest's physical addresses hold for the guest, not what the driver
 * reads for us, so no cache is dropped here.
 *
 * Must not: emulate views (there is nothing to emulate them on for images
 * and QEMU) or know any hypervisor's calls.
 */
#include "core/core.h"
#include "core/instance.h"

#include <libvmi/slat.h>

static const driver_slat_ops_t *slat_ops(vmi_instance_t vmi)
{
    if (!vmi->drv->slat)
        core_error(vmi, "the %s driver (%s) has no SLAT views: altp2m is a Xen feature",
                   vmi->drv->name, vmi->drv->accepts);
    return vmi->drv->slat;
}

static status_t slat_state(vmi_instance_t vmi, bool *state)
{
    const driver_slat_ops_t *s;
    CORE_REQUIRE(vmi, state);
    if (!(s = slat_ops(vmi)))
        return VMI_FAILURE;
    return s->state(vmi->drv_state, state, &vmi->err);
}

static status_t slat_control(vmi_instance_t vmi, bool state)
{
    const driver_slat_ops_t *s;
    if (!vmi || !(s = slat_ops(vmi)))
        return VMI_FAILURE;
    return s->control(vmi->drv_state, state, &vmi->err);
}

static status_t slat_create(vmi_instance_t vmi, uint16_t *id)
{
    const driver_slat_ops_t *s;
    CORE_REQUIRE(vmi, id);
    if (!(s = slat_ops(vmi)))
        return VMI_FAILURE;
    return s->create(vmi->drv_state, id, &vmi->err);
}

static status_t slat_destroy(vmi_instance_t vmi, uint16_t id)
{
    const driver_slat_ops_t *s;
    if (!vmi || !(s = slat_ops(vmi)))
        return VMI_FAILURE;
    return s->destroy(vmi->drv_state, id, &vmi->err);
}

static status_t slat_switch(vmi_instance_t vmi, uint16_t id)
{
    const driver_slat_ops_t *s;
    if (!vmi || !(s = slat_ops(vmi)))
        return VMI_FAILURE;
    return s->switch_view(vmi->drv_state, id, &vmi->err);
}

static status_t slat_change_gfn(vmi_instance_t vmi, uint16_t id, addr_t old_gfn, addr_t new_gfn)
{
    const driver_slat_ops_t *s;
    if (!vmi || !(s = slat_ops(vmi)))
        return VMI_FAILURE;
    return s->change_gfn(vmi->drv_state, id, old_gfn, new_gfn, &vmi->err);
}

status_t vmi_slat_get_domain_state(vmi_instance_t vmi, bool *state)
{
    CORE_API(vmi, slat_state(vmi, state));
}

status_t vmi_slat_state(vmi_instance_t vmi, bool *state)
{
    CORE_API(vmi, slat_state(vmi, state));
}

status_t vmi_slat_set_domain_state(vmi_instance_t vmi, bool state)
{
    CORE_API(vmi, slat_control(vmi, state));
}

status_t vmi_slat_control(vmi_instance_t vmi, bool state)
{
    CORE_API(vmi, slat_control(vmi, state));
}

status_t vmi_slat_create(vmi_instance_t vmi, uint16_t *slat_id)
{
    CORE_API(vmi, slat_create(vmi, slat_id));
}

status_t vmi_slat_destroy(vmi_instance_t vmi, uint16_t slat_idx)
{
    CORE_API(vmi, slat_destroy(vmi, slat_idx));
}

status_t vmi_slat_switch(vmi_instance_t vmi, uint16_t slat_idx)
{
    CORE_API(vmi, slat_switch(vmi, slat_idx));
}

status_t vmi_slat_change_gfn(vmi_instance_t vmi, uint16_t slat_idx, addr_t old_gfn,
                             addr_t new_gfn)
{
    CORE_API(vmi, slat_change_gfn(vmi, slat_idx, old_gfn, new_gfn));
}
