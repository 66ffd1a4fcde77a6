/*
 * file_lime.c - LiME images (Linux Memory Extractor, "lime" format): a
 * sequence of records, each a 32-byte header followed by the memory it
 * describes.
 *
 *   u32 magic     0x4C694D45 ("EMiL" on disk, little-endian)
 *   u32 version   1
 *   u64 s_addr    first guest-physical address of the range
 *   u64 e_addr    last guest-physical address of the range (inclusive)
 *   u64 reserved
 *   (e_addr - s_addr + 1) bytes of memory
 *
 * Every header is checked; the walk ends at the end of the file, and each
 * step consumes at least one header and one byte, so it is bounded by the
 * file size.  LiME records no registers.
 */
#include "driver/file_format.h"

#include <inttypes.h>

#define LIME_MAGIC 0x4C694D45u
#define LIME_VERSION 1u
#define LIME_HDR_SIZE 32u

static bool lime_detect(const uint8_t *head, size_t filesize)
{
    return filesize >= LIME_HDR_SIZE && util_le32(head) == LIME_MAGIC;
}

static status_t lime_parse(const uint8_t *map, size_t filesize,
                           file_layout_t *out, util_err_t *err)
{
    uint64_t off = 0;
    uint32_t n = 0;

    out->mem.unit = "LiME range";
    if (filesize == 0) {
        util_err_set(err, "empty image");
        return VMI_FAILURE;
    }
    while (off < filesize) {
        const uint8_t *h = map + off;
        uint64_t left = filesize - off;

        if (left < LIME_HDR_SIZE) {
            util_err_set(err, "LiME header %" PRIu32 " at file offset 0x%" PRIx64
                         " is truncated: 0x%" PRIx64 " bytes left, a header"
                         " needs 0x%x", n, off, left, LIME_HDR_SIZE);
            return VMI_FAILURE;
        }
        uint32_t magic = util_le32(h), version = util_le32(h + 4);
        uint64_t s = util_le64(h + 8), e = util_le64(h + 16);
        if (magic != LIME_MAGIC) {
            util_err_set(err, "bad magic 0x%08" PRIx32 " (expected 0x%08x)", magic,
                         LIME_MAGIC);
            goto bad_header;
        }
        if (version != LIME_VERSION) {
            util_err_set(err, "unsupported version %" PRIu32 " (TinyVMI reads version %u)",
                         version, LIME_VERSION);
            goto bad_header;
        }
        /* e == UINT64_MAX with s == 0 would be 2^64 bytes: no file holds it. */
        if (e < s || (s == 0 && e == UINT64_MAX)) {
            util_err_set(err, "impossible range 0x%" PRIx64 "-0x%" PRIx64, s, e);
            goto bad_header;
        }
        uint64_t len = e - s + 1;
        uint64_t data = off + LIME_HDR_SIZE;
        if (len > filesize - data) {
            util_err_set(err, "LiME range %" PRIu32 " (guest-physical 0x%" PRIx64
                         "-0x%" PRIx64 ") runs past the end of the file: its"
                         " 0x%" PRIx64 " bytes start at file offset 0x%" PRIx64
                         " but the file ends at 0x%zx",
                         n, s, e, len, data, filesize);
            return VMI_FAILURE;
        }
        if (file_layout_add_range(out, s, len, data, n, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        off = data + len;
        n++;
    }
    return VMI_SUCCESS;
bad_header:
    util_err_prefix(err, "LiME header %" PRIu32 " at file offset 0x%" PRIx64, n, off);
    return VMI_FAILURE;
}

const file_format_t file_format_lime = { "lime", lime_detect, lime_parse };
