/*
 * file_raw.c - raw memory images: the file is guest-physical memory from
 * address 0, byte for byte (what `dd if=/dev/mem`, `virsh dump --memory-only
 * --format=raw` or QEMU's pmemsave produce).
 *
 * Raw is the fallback format: it accepts any non-empty file, so it must stay
 * last in FILE_FORMATS.  A raw image holds no registers.
 */
#include "driver/file_format.h"

static bool raw_detect(const uint8_t *head, size_t filesize)
{
    (void)head;
    return filesize > 0;
}

static status_t raw_parse(const uint8_t *map, size_t filesize,
                          file_layout_t *out, util_err_t *err)
{
    (void)map;
    out->mem.unit = "raw image";
    if (filesize == 0) {
        util_err_set(err, "empty image");
        return VMI_FAILURE;
    }
    return file_layout_add_range(out, 0, filesize, 0, 0, err);
}

const file_format_t file_format_raw = { "raw", raw_detect, raw_parse };
