/*
 * regs.h - where each of LibVMI's reg_t registers lives in x86_registers_t.
 *
 * One table shared by the core (gathering registers one by one into a
 * registers_t, setting them back) and by drivers that hold registers as a
 * block (a gdbstub 'g' reply, a Xen CPU context) and answer reg_t reads
 * from it.
 */
#ifndef TINYVMI_DRIVER_REGS_H
#define TINYVMI_DRIVER_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <libvmi/libvmi.h>

/* The x86_registers_t field of reg: false when the structure has none. */
bool driver_reg_offset(reg_t reg, size_t *offset);
/* The i-th reg_t that has a field, in a fixed order; false past the last. */
bool driver_reg_at(size_t i, reg_t *reg);

static inline bool driver_reg_get(const x86_registers_t *r, reg_t reg, uint64_t *value)
{
    size_t off;
    if (!driver_reg_offset(reg, &off))
        return false;
    memcpy(value, (const char *)r + off, sizeof(*value));
    return true;
}

static inline bool driver_reg_set(x86_registers_t *r, reg_t reg, uint64_t value)
{
    size_t off;
    if (!driver_reg_offset(reg, &off))
        return false;
    memcpy((char *)r + off, &value, sizeof(value));
    return true;
}

#endif
