/*
 * core.h - what the core offers the layers above it (os/, events/) beyond
 * the public API: recording failure reasons, configuration values, the
 * kernel's page table, and facts the target states about its guest.  Drivers and arch/ never include this file.
 */
#ifndef TINYVMI_CORE_H
#define TINYVMI_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "arch/x86.h"
#include "util/err.h"

/* Record why the current call fails (replaces the previous reason). */
void core_error(vmi_instance_t vmi, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Put context in front of the current reason. */
void core_error_prefix(vmi_instance_t vmi, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The instance's reason buffer, for handing to lower layers. */
util_err_t *core_err(vmi_instance_t vmi);

/* Configuration (libvmi.conf keys).  Values are kept as text; numbers accept
 * 0x-hex, decimal and octal.  NULL / false when the key is unset or, for
 * numbers, does not parse (then core_error says which key and why). */
const char *core_config_get(vmi_instance_t vmi, const char *key);
bool core_config_get_u64(vmi_instance_t vmi, const char *key, uint64_t *out);
/* Record a value found at run time (e.g. by BTF), so vmi_get_offset and
 * vmi-linux-offsets can report it.  Keeps an existing configured value. */
void core_config_set_default(vmi_instance_t vmi, const char *key, const char *value);

/* The kernel's page table (kpgd).  The OS layer sets it once found. */
addr_t core_kernel_dtb(vmi_instance_t vmi);
void core_set_kernel_dtb(vmi_instance_t vmi, addr_t dtb);

arch_x86_mode_t core_paging_mode(vmi_instance_t vmi);

/* A fact the target states about its guest, by namespaced key (driver.h's
 * hint: "win.PsActiveProcessHead" from a crash dump's header).  False when
 * the driver states no facts or not this one; the instance's reason is left
 * as it was, since an absent fact is not a failure.  The value is the
 * target's word: check it before use. */
bool core_driver_hint(vmi_instance_t vmi, const char *key, uint64_t *value);

/* Read a NUL-terminated string of at most max-1 bytes at a kernel or user
 * virtual address into buf (always terminated).  Stops at the first
 * unreadable byte: returns VMI_FAILURE only when not even one byte could be
 * read.  The one checked-string idiom for OS layers. */
status_t core_read_str(vmi_instance_t vmi, const access_context_t *ctx,
                       char *buf, size_t max);

#endif
