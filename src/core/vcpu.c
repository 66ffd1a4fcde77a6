/*
 * vcpu.c - vCPU state through the driver: registers one at a time or as a
 * block, and the extended state LibVMI exposes (XSAVE area, MTRRs, TSC).
 * A target without a slot fails with a reason naming the driver and what it
 * cannot do (core_driver_lacks).
 */
#include <string.h>

#include "core/core.h"
#include "core/instance.h"
#include "driver/regs.h"

status_t core_driver_lacks(vmi_instance_t vmi, const char *what)
{
    core_error(vmi, "the %s driver (%s) cannot %s", vmi->drv->name, vmi->drv->accepts, what);
    return VMI_FAILURE;
}

static status_t check_vcpu(vmi_instance_t vmi, unsigned long vcpu)
{
    unsigned int n = vmi->drv->num_vcpus ? vmi->drv->num_vcpus(vmi->drv_state) : 0;
    /* A target that counts no vCPUs (a raw image) lets its driver say why
     * it has no registers. */
    if (vcpu < n || n == 0)
        return VMI_SUCCESS;
    core_error(vmi, "vCPU %lu does not exist (the target has %u)", vcpu, n);
    return VMI_FAILURE;
}

static status_t get_reg(vmi_instance_t vmi, uint64_t *value, reg_t reg, unsigned long vcpu)
{
    CORE_REQUIRE(vmi, value);
    if (!vmi->drv->get_vcpureg)
        return core_driver_lacks(vmi, "read vCPU registers: the target holds none");
    if (check_vcpu(vmi, vcpu) != VMI_SUCCESS)
        return VMI_FAILURE;
    return vmi->drv->get_vcpureg(vmi->drv_state, value, reg, vcpu, &vmi->err);
}

status_t vmi_get_vcpureg(vmi_instance_t vmi, uint64_t *value, reg_t reg, unsigned long vcpu)
{
    CORE_API(vmi, get_reg(vmi, value, reg, vcpu));
}

static status_t get_regs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu)
{
    size_t got = 0;
    reg_t reg;
    util_err_t scratch;

    CORE_REQUIRE(vmi, regs);
    memset(regs, 0, sizeof(*regs));
    if (!vmi->drv->get_vcpureg)
        return core_driver_lacks(vmi, "read vCPU registers: the target holds none");
    if (check_vcpu(vmi, vcpu) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (vmi->drv->get_vcpuregs)
        return vmi->drv->get_vcpuregs(vmi->drv_state, regs, vcpu, &vmi->err);
    /* Registers the target does not hold stay 0; only a target holding none
     * of them fails. */
    util_err_clear(&scratch);
    for (size_t i = 0; driver_reg_at(i, &reg); i++) {
        uint64_t v;
        if (vmi->drv->get_vcpureg(vmi->drv_state, &v, reg, vcpu, &scratch) == VMI_SUCCESS) {
            driver_reg_set(&regs->x86, reg, v);
            got++;
        }
    }
    if (!got) {
        core_error(vmi, "vCPU %lu: no registers available (%s)", vcpu, scratch.msg);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_get_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu)
{
    CORE_API(vmi, get_regs(vmi, regs, vcpu));
}

/* Register values cached by the core (paging, translations) follow the
 * guest's new state. */
static void regs_changed(vmi_instance_t vmi)
{
    vmi_v2pcache_flush(vmi, ~0ULL);
}

static status_t set_reg(vmi_instance_t vmi, uint64_t value, reg_t reg, unsigned long vcpu)
{
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->set_vcpureg)
        return core_driver_lacks(vmi, "set vCPU registers");
    if (check_vcpu(vmi, vcpu) != VMI_SUCCESS ||
        vmi->drv->set_vcpureg(vmi->drv_state, value, reg, vcpu, &vmi->err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (reg == CR0 || reg == CR3 || reg == CR4 || reg == MSR_EFER)
        regs_changed(vmi);
    return VMI_SUCCESS;
}

status_t vmi_set_vcpureg(vmi_instance_t vmi, uint64_t value, reg_t reg, unsigned long vcpu)
{
    CORE_API(vmi, set_reg(vmi, value, reg, vcpu));
}

static status_t set_regs(vmi_instance_t vmi, const registers_t *regs, unsigned long vcpu)
{
    reg_t reg;

    CORE_REQUIRE(vmi, regs);
    if (!vmi->drv->set_vcpuregs && !vmi->drv->set_vcpureg)
        return core_driver_lacks(vmi, "set vCPU registers");
    if (check_vcpu(vmi, vcpu) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (vmi->drv->set_vcpuregs) {
        if (vmi->drv->set_vcpuregs(vmi->drv_state, regs, vcpu, &vmi->err) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else {
        for (size_t i = 0; driver_reg_at(i, &reg); i++) {
            uint64_t v = 0;
            driver_reg_get(&regs->x86, reg, &v);
            if (vmi->drv->set_vcpureg(vmi->drv_state, v, reg, vcpu, &vmi->err) != VMI_SUCCESS)
                return VMI_FAILURE;
        }
    }
    regs_changed(vmi);
    return VMI_SUCCESS;
}

status_t vmi_set_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu)
{
    CORE_API(vmi, set_regs(vmi, regs, vcpu));
}

static status_t xsave(vmi_instance_t vmi, unsigned long vcpu, xsave_area_t *x)
{
    CORE_REQUIRE(vmi, x);
    if (!vmi->drv->get_xsave)
        return core_driver_lacks(vmi, "read the XSAVE area");
    if (check_vcpu(vmi, vcpu) != VMI_SUCCESS)
        return VMI_FAILURE;
    return vmi->drv->get_xsave(vmi->drv_state, vcpu, x, &vmi->err);
}

status_t vmi_get_xsave_info(vmi_instance_t vmi, unsigned long vcpu, xsave_area_t *x)
{
    CORE_API(vmi, xsave(vmi, vcpu, x));
}

static status_t mtrr(vmi_instance_t vmi, mtrr_regs_t *hw, unsigned long vcpu)
{
    CORE_REQUIRE(vmi, hw);
    if (!vmi->drv->get_mtrr)
        return core_driver_lacks(vmi, "read MTRRs");
    if (check_vcpu(vmi, vcpu) != VMI_SUCCESS)
        return VMI_FAILURE;
    return vmi->drv->get_mtrr(vmi->drv_state, vcpu, hw, &vmi->err);
}

status_t vmi_get_vcpumtrr(vmi_instance_t vmi, mtrr_regs_t *hw, unsigned long vcpu)
{
    CORE_API(vmi, mtrr(vmi, hw, vcpu));
}

static status_t tsc(vmi_instance_t vmi, uint32_t *mode, uint64_t *elapsed, uint32_t *khz,
                    uint32_t *incarnation)
{
    uint32_t m, k, inc;
    uint64_t e;

    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->get_tsc)
        return core_driver_lacks(vmi, "report TSC information");
    /* LibVMI lets any of the outputs be NULL. */
    if (vmi->drv->get_tsc(vmi->drv_state, &m, &e, &k, &inc, &vmi->err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (mode)
        *mode = m;
    if (elapsed)
        *elapsed = e;
    if (khz)
        *khz = k;
    if (incarnation)
        *incarnation = inc;
    return VMI_SUCCESS;
}

status_t vmi_get_tsc_info(vmi_instance_t vmi, uint32_t *tsc_mode, uint64_t *elapsed_nsec,
                          uint32_t *gtsc_khz, uint32_t *incarnation)
{
    CORE_API(vmi, tsc(vmi, tsc_mode, elapsed_nsec, gtsc_khz, incarnation));
}
