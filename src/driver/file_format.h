/*
 * file_format.h - the memory-image formats the file driver understands, and
 * the layout each one reports: where guest-physical memory lies in the file
 * and, when the image records it, each vCPU's registers.
 *
 * A format only parses.  It never opens, maps or reads the file itself: the
 * driver (file.c) hands it the read-only mapping, then sorts and validates
 * what it found (no overlaps, nothing past the end of the file, nothing that
 * wraps), so every format gets the same checks for free.  Formats know
 * nothing of paging or operating systems.
 *
 * Adding a format: write file_<name>.c defining
 *     const file_format_t file_format_<name> = { "<name>", detect, parse };
 * and add one X(<name>) line to FILE_FORMATS below, before raw.
 */
#ifndef TINYVMI_DRIVER_FILE_FORMAT_H
#define TINYVMI_DRIVER_FILE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "util/err.h"
#include "util/bytes.h"
#include "driver/pmap.h"

/* Every format, in detection order.  Raw accepts anything, so it stays last:
 * it is what an image is when nothing more specific recognises it. */
#define FILE_FORMATS(X) \
    X(elf)              \
    X(lime)             \
    X(windump)          \
    X(raw)

/* One run of guest-physical memory stored contiguously in the file:
 * [start, start + len) lives at [offset, offset + len) of the file (the
 * driver-wide run, pmap.h). */
typedef driver_pmap_range_t file_range_t;

/* Registers are kept by LibVMI's reg_t number, below MSR_ALL. */
#define FILE_NREGS MSR_ALL

/* What one vCPU's state note told us. */
typedef struct file_vcpu {
    uint64_t val[FILE_NREGS];
    bool have[FILE_NREGS];
    /* Where the values came from ("QEMU CPU state note"), or why there are
     * none; used in the reason when a register is asked for and missing. */
    char source[96];
} file_vcpu_t;

/* Facts an image states about its guest beyond memory and registers (the
 * driver's hint()): a key such as "win.PsLoadedModuleList" and its value.
 * Few formats state any, and those state a handful, so the table is fixed:
 * no format can make it grow. */
#define FILE_MAX_HINTS 16
#define FILE_HINT_KEY_MAX 40

typedef struct file_hint {
    char key[FILE_HINT_KEY_MAX];
    uint64_t value;
} file_hint_t;

typedef struct file_layout {
    /* Where memory lies in the file; mem.unit is what the format calls its
     * range records ("ELF program header"), used to name one in an error. */
    driver_pmap_t mem;
    file_vcpu_t *vcpus;
    unsigned int nvcpus, cap_vcpus;
    file_hint_t hints[FILE_MAX_HINTS];
    unsigned int nhints;
} file_layout_t;

typedef struct file_format {
    const char *name;
    /* Does this file look like ours?  head is the start of the file, filesize
     * bytes long (possibly shorter than any header: check before reading).
     * Must be cheap: only magic numbers. */
    bool (*detect)(const uint8_t *head, size_t filesize);
    /* Fill out from the whole mapped file.  Ranges may be added in any order;
     * the driver sorts and validates them afterwards.  On failure, a reason
     * naming the header at fault (the driver puts the path in front). */
    status_t (*parse)(const uint8_t *map, size_t filesize, file_layout_t *out,
                      util_err_t *err);
} file_format_t;

#define FILE_FORMAT_DECLARE(n) extern const file_format_t file_format_##n;
FILE_FORMATS(FILE_FORMAT_DECLARE)
#undef FILE_FORMAT_DECLARE

/* ---- Building a layout (file.c) ---- */

/* Append a range; a zero length adds nothing.  Fails only when memory runs
 * out (the bounds are checked later, by file_layout_finish). */
status_t file_layout_add_range(file_layout_t *out, addr_t start, uint64_t len,
                               uint64_t offset, uint32_t src, util_err_t *err);

/* Append a vCPU with no registers yet; NULL (and a reason) when memory runs
 * out or the image claims an absurd number of vCPUs. */
file_vcpu_t *file_layout_add_vcpu(file_layout_t *out, util_err_t *err);

/* Record a fact the image states (a second value for a key replaces the
 * first).  Fails when the key is empty or longer than FILE_HINT_KEY_MAX - 1
 * bytes, or the table is full: a format's mistake, reported as such. */
status_t file_layout_add_hint(file_layout_t *out, const char *key, uint64_t value,
                              util_err_t *err);

static inline void file_vcpu_set(file_vcpu_t *v, reg_t reg, uint64_t value)
{
    if (reg < FILE_NREGS) {
        v->val[reg] = value;
        v->have[reg] = true;
    }
}

/* Sort the ranges, check them against each other and the file size, and
 * merge neighbours that are contiguous both in memory and in the file. */
status_t file_layout_finish(file_layout_t *layout, uint64_t filesize,
                            util_err_t *err);

void file_layout_free(file_layout_t *layout);


#endif
