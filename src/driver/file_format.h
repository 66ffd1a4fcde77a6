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

/* One run of guest memory stored contiguously in the file: [start, start +
 * len) lives at [offset, offset + len) of the file (the driver-wide run,
 * pmap.h; src is the format's own number for it: ELF program header index,
 * LiME header index). */
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
 * driver's hint() and fact()): a key such as "win.PsLoadedModuleList" and
 * a number, or a text ("win.Comment").  A crash dump states a few dozen, a
 * triage dump a few per module it lists, so the table grows; the bound
 * keeps a hostile file from making it grow without end.  Keys are unique:
 * a format adds each at most once (a lookup finds the first). */
#define FILE_MAX_FACTS 65536u
#define FILE_FACT_KEY_MAX 64
#define FILE_FACT_TEXT_MAX 1024

typedef struct file_fact {
    char key[FILE_FACT_KEY_MAX];
    uint64_t value;
    char *text;          /* owned; NULL for a number */
} file_fact_t;

typedef struct file_layout {
    /* Guest-physical memory; mem.unit is what the format calls its range
     * records ("ELF program header"), used to name one in an error. */
    driver_pmap_t mem;
    file_vcpu_t *vcpus;
    unsigned int nvcpus, cap_vcpus;
    file_fact_t *facts;
    size_t nfacts, cap_facts;
    /* Memory the image holds by guest-virtual address, for an image that
     * keeps copies of virtual memory without the page tables that map them
     * (a Windows triage dump; the driver's read_va).  start is the virtual
     * address.  Unlike physical ranges these may overlap as the format adds
     * them: where they do, the one added first wins (file_layout_finish
     * cuts the others), so a format adds its most trustworthy copies first. */
    driver_pmap_t vmem;
    /* Set by a format whose image may hold no physical memory at all (a
     * triage or header-only crash dump): what the image is, for the reason
     * a read gets ("a Windows kernel triage dump (a mini dump)").  NULL: an
     * image without a physical range is refused. */
    const char *memoryless;
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

/* Record a fact the image states: a number, or text (UTF-8, cut at
 * FILE_FACT_TEXT_MAX - 1 bytes).  Fails when the key is empty or longer
 * than FILE_FACT_KEY_MAX - 1 bytes (a format's mistake, reported as such),
 * past FILE_MAX_FACTS facts, or when memory runs out. */
status_t file_layout_add_hint(file_layout_t *out, const char *key, uint64_t value,
                              util_err_t *err);
status_t file_layout_add_text(file_layout_t *out, const char *key, const char *text,
                              util_err_t *err);

/* Append a run of memory held by virtual address (see vranges); a zero
 * length adds nothing. */
status_t file_layout_add_vrange(file_layout_t *out, addr_t va, uint64_t len,
                                uint64_t offset, uint32_t src, util_err_t *err);

static inline void file_vcpu_set(file_vcpu_t *v, reg_t reg, uint64_t value)
{
    if (reg < FILE_NREGS) {
        v->val[reg] = value;
        v->have[reg] = true;
    }
}

/* Sort the ranges, check them against each other and the file size, and
 * merge neighbours that are contiguous both in memory and in the file; the
 * same for the virtual runs, whose overlaps are cut (first added wins). */
status_t file_layout_finish(file_layout_t *layout, uint64_t filesize,
                            util_err_t *err);

void file_layout_free(file_layout_t *layout);


#endif
