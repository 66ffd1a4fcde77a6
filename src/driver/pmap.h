/*
 * pmap.h - a driver's map of guest memory onto one mapped file: sorted
 * runs [start, start + len) that live at [offset, offset + len) of the
 * mapping.  Memory images (file.c) and a live QEMU's shared RAM file
 * (qemu.c) keep one for guest-physical memory; an image that holds copies
 * of memory by virtual address (a Windows triage dump) keeps a second one
 * with virt set.  Lookups, hole reasons and the copy loop are written once.
 *
 * driver_pmap_finish validates every run against the mapping's size (no
 * wrap, nothing past the end, no overlap) once, so lookups and copies need
 * no further bounds checks.  Addresses outside every run are holes: a read
 * there fails with a reason naming the neighbouring runs, never yields
 * zeros.  Knows nothing of image formats, QEMU, paging or operating systems.
 */
#ifndef TINYVMI_DRIVER_PMAP_H
#define TINYVMI_DRIVER_PMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "driver/driver.h"
#include "util/err.h"

typedef struct driver_pmap_range {
    addr_t start;
    uint64_t len;
    uint64_t offset;   /* in the mapping */
    /* The source's own number for the run (ELF program header index, LiME
     * header index, line of QEMU's memory map), so errors can name it. */
    uint32_t src;
} driver_pmap_range_t;

typedef struct driver_pmap {
    driver_pmap_range_t *ranges;
    size_t nranges, cap_ranges;
    /* What the source calls one run ("ELF program header"), for errors. */
    const char *unit;
    /* What holds the memory, for hole reasons: "guest-physical 0x... is
     * not in <where>".  NULL: "the image". */
    const char *where;
    /* What the offsets index, for bound reasons ("beyond the end of the
     * <container>").  NULL: "file". */
    const char *container;
    /* Runs by guest-virtual address (reasons say "virtual", "run", and
     * that the holder keeps copies of some memory only). */
    bool virt;
    /* Appended to the reason a read of an empty table gets (why nothing is
     * there, where to look instead); NULL: nothing. */
    const char *empty_note;
    const uint8_t *base;  /* the mapping; set before reads */
    uint64_t memsize;     /* sum of the runs (driver_pmap_finish) */
    /* Index of the run the last lookup hit: reads cluster, so this spares
     * most binary searches.  Only a hint, hence relaxed atomics. */
    _Atomic size_t last;
} driver_pmap_t;

/* Append a run; a zero length adds nothing.  Fails only when memory runs
 * out (bounds are checked by driver_pmap_finish). */
status_t driver_pmap_add(driver_pmap_t *m, addr_t start, uint64_t len, uint64_t offset,
                         uint32_t src, util_err_t *err);
/* Every run inside the mapping's size and not wrapping at the top of the
 * address space (driver_pmap_finish checks this first; a caller that
 * works on the runs before finishing checks it earlier). */
status_t driver_pmap_check_bounds(const driver_pmap_t *m, uint64_t size, util_err_t *err);
/* Check the bounds, sort, refuse overlaps, merge neighbours contiguous in
 * memory and in the mapping, sum memsize.  An empty table is refused. */
status_t driver_pmap_finish(driver_pmap_t *m, uint64_t size, util_err_t *err);
void driver_pmap_free(driver_pmap_t *m);

/* A pointer to len bytes at pa inside one run, or NULL with a reason.  On
 * an empty table (never finished) every lookup fails with the reason. */
const void *driver_pmap_map(driver_pmap_t *m, addr_t pa, size_t len, util_err_t *err);
/* Copy len bytes at pa out of (write false) or into (write true) the
 * mapping, across adjacent runs; *done (may be NULL) counts the bytes
 * copied before a hole stopped it.  Writing needs a writable mapping. */
status_t driver_pmap_copy(driver_pmap_t *m, addr_t pa, void *buf, size_t len, size_t *done,
                          bool write, util_err_t *err);
/* As driver_pmap_copy out of the mapping, but the bytes come from fd, the
 * file the mapping was made of (offsets are the same; file names it in
 * reasons), with pread: the
 * mapping's pages are not touched, so they never enter the caller's
 * resident set.  A read the file cannot satisfy any more (it shrank after
 * the runs were validated) fails with a reason instead of a SIGBUS. */
status_t driver_pmap_pread(driver_pmap_t *m, int fd, const char *file, addr_t pa, void *buf,
                           size_t len, size_t *done, util_err_t *err);
addr_t driver_pmap_max_pa(const driver_pmap_t *m);
bool driver_pmap_range(const driver_pmap_t *m, size_t i, driver_range_t *out);

#endif
