/*
 * slat.h - second-level address translation views, LibVMI's names.
 *
 * With hardware-assisted paging the hypervisor translates guest-physical
 * frames through its own tables (Intel EPT, AMD NPT).  Xen can keep several
 * such tables for one guest (altp2m): "views" that map the same frames
 * with different access rights, or map a frame to another one, and switch
 * between them without the guest noticing.  Introspection tools use them
 * to hide breakpoints or to watch pages without slowing the whole guest.
 *
 * In TinyVMI a view is a driver capability (driver_slat_ops_t in
 * src/driver/driver.h).  Only a hypervisor has views: on a memory image or
 * a live QEMU every call here fails with the reason, e.g.
 *   "vmi_slat_create: the file driver (a memory image ...) has no SLAT
 *    views: altp2m is a Xen feature".
 * View 0 is the guest's own (host) view; it cannot be destroyed.
 * Include <libvmi/libvmi.h> first (or let this header do it).
 */
#ifndef LIBVMI_SLAT_H
#define LIBVMI_SLAT_H

#include <stdbool.h>
#include <stdint.h>

#include <libvmi/libvmi.h>

/* NOEXCEPT comes from <libvmi/libvmi.h>. */
#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Old name of vmi_slat_state, kept for LibVMI programs; fails as it does. */
__attribute__((deprecated))
status_t vmi_slat_get_domain_state(vmi_instance_t vmi, bool *state) NOEXCEPT;

/* Whether views are switched on for the guest (*state true).  Fails with
 * the reason when state is NULL or the driver has no views (every driver
 * today; see above). */
status_t vmi_slat_state(vmi_instance_t vmi, bool *state) NOEXCEPT;

/* Old name of vmi_slat_control, kept for LibVMI programs; fails as it
 * does. */
__attribute__((deprecated))
status_t vmi_slat_set_domain_state(vmi_instance_t vmi, bool state) NOEXCEPT;

/* Switch views on or off for the guest (must be on before the calls
 * below).  Fails with the reason when the driver has no views or the
 * hypervisor refuses. */
status_t vmi_slat_control(vmi_instance_t vmi, bool state) NOEXCEPT;

/* Create a view (initially like the guest's own); its number in *slat_id.
 * Fails with the reason when slat_id is NULL, the driver has no views, or
 * the hypervisor refuses. */
status_t vmi_slat_create(vmi_instance_t vmi, uint16_t *slat_id) NOEXCEPT;

/* Destroy view slat_idx (not 0, not the one in use).  Fails with the
 * reason when the driver has no views or the hypervisor refuses. */
status_t vmi_slat_destroy(vmi_instance_t vmi, uint16_t slat_idx) NOEXCEPT;

/* Make the guest's vCPUs translate through view slat_idx (0: its own).
 * Fails with the reason when the driver has no views or the hypervisor
 * refuses. */
status_t vmi_slat_switch(vmi_instance_t vmi, uint16_t slat_idx) NOEXCEPT;

/* In view slat_idx, let guest frame old_gfn be backed by frame new_gfn,
 * unseen by the guest (on Xen, new_gfn ~0 undoes an earlier change).
 * Fails with the reason when the driver has no views or the hypervisor
 * refuses. */
status_t vmi_slat_change_gfn(vmi_instance_t vmi, uint16_t slat_idx, addr_t old_gfn,
                             addr_t new_gfn) NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_SLAT_H */
