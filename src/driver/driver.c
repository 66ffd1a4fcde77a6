/*
 * driver.c - the list of built-in drivers and how one is chosen.
 *
 * A driver that is built only when its libraries are present (Xen) adds
 * itself here under its own #if; nothing else in the tree names it.
 */
#include "driver/driver.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

extern const driver_ops_t driver_file_ops;
#if TINYVMI_QEMU
extern const driver_ops_t driver_qemu_ops; /* the Makefile's QEMU=0 leaves it out */
#endif
#if TINYVMI_XEN
extern const driver_ops_t driver_xen_ops; /* mk/xen.mk: built with libxen-dev */
#endif

const driver_ops_t *const driver_table[] = {
    &driver_file_ops, /* first: an existing file is an image, never a domain name */
#if TINYVMI_QEMU
    &driver_qemu_ops,
#endif
#if TINYVMI_XEN
    &driver_xen_ops,
#endif
    NULL,
};

const driver_ops_t *driver_for_mode(vmi_mode_t mode)
{
    for (size_t i = 0; driver_table[i]; i++)
        if (driver_table[i]->mode == mode)
            return driver_table[i];
    return NULL;
}

const driver_ops_t *driver_detect(const driver_target_t *target)
{
    for (size_t i = 0; driver_table[i]; i++)
        if (driver_table[i]->probe && driver_table[i]->probe(target))
            return driver_table[i];
    return NULL;
}

void driver_describe_all(char *buf, size_t size)
{
    size_t n = 0;
    if (!size)
        return;
    buf[0] = '\0';
    for (size_t i = 0; driver_table[i] && n < size; i++) {
        int k = snprintf(buf + n, size - n, "%s%s (%s)", i ? ", " : "",
                         driver_table[i]->name, driver_table[i]->accepts);
        if (k < 0)
            break;
        n += (size_t)k;
    }
}

const char *driver_mode_name(vmi_mode_t mode)
{
    switch (mode) {
    case VMI_XEN: return "VMI_XEN";
    case VMI_KVM: return "VMI_KVM";
    case VMI_FILE: return "VMI_FILE";
    case VMI_BAREFLANK: return "VMI_BAREFLANK";
    default: return "an unknown mode";
    }
}
