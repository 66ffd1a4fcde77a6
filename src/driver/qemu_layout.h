/*
 * qemu_layout.h - where a QEMU guest's RAM lies in its RAM file, from the
 * flat memory map QEMU prints (HMP "info mtree -f"): each run of the
 * "memory" address space that the RAM backend's region backs, with its
 * offset in that region (= in the file).  RAM above 4 GiB is one such run
 * at a large offset; the PCI hole and device regions are not RAM and stay
 * holes.  Also the register text QEMU prints (HMP "info registers -a"),
 * for registers its gdbstub does not expose (descriptor tables, segment
 * bases, debug registers) and for reading registers without stopping the
 * guest.
 *
 * Both texts come from QEMU and are parsed as hostile input: bounded lines,
 * strict hex, every run validated against the file size by the pmap.
 */
#ifndef TINYVMI_DRIVER_QEMU_LAYOUT_H
#define TINYVMI_DRIVER_QEMU_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "driver/pmap.h"
#include "util/err.h"

/* Add to m the runs of the "memory" address space backed by region (the
 * backend's name, "mem"), from mtree (the text of "info mtree -f").
 * Fails when there are none, naming what the map did hold. */
status_t qemu_layout_parse_mtree(const char *mtree, const char *region, driver_pmap_t *m,
                                 util_err_t *err);

/* Registers of vCPU vcpu from the text of "info registers -a" into regs
 * (fields QEMU does not print stay 0).  Fails when the text has no such
 * vCPU or its general registers are missing. */
status_t qemu_layout_parse_registers(const char *text, unsigned int vcpu,
                                     x86_registers_t *regs, util_err_t *err);

#endif
