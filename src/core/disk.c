/*
 * disk.c - the guest's disks, as far as the target shows them: listing,
 * reading by offset, and whether a disk is bootable (an MBR boot signature
 * at offset 510, which the core checks itself from disk_read).
 */
#include <stdlib.h>

#include "core/core.h"
#include "core/instance.h"

static status_t read_disk(vmi_instance_t vmi, const char *id, uint64_t offset, uint64_t count,
                          void *buf)
{
    CORE_REQUIRE(vmi, id && buf);
    if (!vmi->drv->disk_read)
        return core_driver_lacks(vmi, "read guest disks: the target shows none");
    return vmi->drv->disk_read(vmi->drv_state, id, offset, count, buf, &vmi->err);
}

status_t vmi_read_disk(vmi_instance_t vmi, const char *device_id, uint64_t offset,
                       uint64_t count, void *buffer)
{
    CORE_API(vmi, read_disk(vmi, device_id, offset, count, buffer));
}

static char **get_disks(vmi_instance_t vmi, unsigned int *num)
{
    char **list = NULL;
    unsigned int n = 0;

    if (num)
        *num = 0;
    if (!vmi)
        return NULL;
    if (!num) {
        core_error(vmi, "a required argument is NULL (num)");
        return NULL;
    }
    if (!vmi->drv->disk_list) {
        core_driver_lacks(vmi, "list guest disks: the target shows none");
        return NULL;
    }
    if (vmi->drv->disk_list(vmi->drv_state, &list, &n, &vmi->err) != VMI_SUCCESS)
        return NULL;
    if (!list)
        core_error(vmi, "the guest has no disks");
    *num = n;
    return list;
}

char **vmi_get_disks(vmi_instance_t vmi, unsigned int *num)
{
    CORE_API_PTR(vmi, char **, get_disks(vmi, num));
}

static status_t bootable(vmi_instance_t vmi, const char *id, bool *out)
{
    uint8_t sig[2];

    CORE_REQUIRE(vmi, id && out);
    if (read_disk(vmi, id, 510, 2, sig) != VMI_SUCCESS)
        return VMI_FAILURE;
    *out = sig[0] == 0x55 && sig[1] == 0xaa;
    return VMI_SUCCESS;
}

status_t vmi_disk_is_bootable(vmi_instance_t vmi, const char *device_id, bool *bootable_out)
{
    CORE_API(vmi, bootable(vmi, device_id, bootable_out));
}
