/*
 * file_windump.c - Windows crash dumps (MEMORY.DMP, .dump /f, LiveKd) as
 * memory images: the 32-bit ("PAGE" "DUMP") and 64-bit ("PAGE" "DU64")
 * kernel dump headers, full dumps described by PHYSICAL_MEMORY_DESCRIPTOR
 * runs, and bitmap dumps ("SDMP" / "FDMP").
 *
 * Header fields used (offsets 32-bit / 64-bit):
 *   MajorVersion          0x08 / 0x08   0xF free build, 0xC checked build
 *   MinorVersion          0x0c / 0x0c   the build number (2600, 7601...)
 *   DirectoryTableBase    0x10 / 0x10   the kernel's CR3
 *   PsLoadedModuleList    0x18 / 0x20
 *   PsActiveProcessHead   0x1c / 0x28
 *   MachineImageType      0x20 / 0x30   0x14c x86, 0x8664 x64
 *   NumberProcessors      0x24 / 0x34
 *   PaeEnabled            0x5c / -      (byte; 64-bit dumps are IA-32e)
 *   KdDebuggerDataBlock   0x60 / 0x80
 *   PhysicalMemoryBlock   0x64 / 0x88   { NumberOfRuns; NumberOfPages;
 *                                          Run[] = { BasePage; PageCount } }
 *                                         (32-bit fields / 64-bit fields)
 *   DumpType              0xf88 / 0xf98 1 full, 2 kernel summary,
 *                                         5 bitmap full, 6 bitmap kernel
 * The header is 0x1000 / 0x2000 bytes.  A full dump stores the runs' pages
 * one after the other right after it.  A bitmap dump has, right after the
 * header, a summary block:
 *   +0x00 "SDMP" or "FDMP"   +0x04 "DUMP"
 *   +0x20 u64 file offset of the first stored page
 *   +0x28 u64 number of pages stored (bits set)
 *   +0x30 u64 number of bits (pages of physical memory covered)
 *   +0x38 the bitmap, bit i set when physical page i is stored
 * and the stored pages follow in bitmap order.  This is the layout of
 * 64-bit bitmap dumps (Windows 8 and later); 32-bit bitmap dumps are read
 * with the same layout, which has not been checked against a real 32-bit
 * dump, so every field is cross-checked and a mismatch is refused.
 * Mini dumps (type 4) and header-only dumps (3) hold no physical memory.
 *
 * What the header says about the CPU is offered as vCPU 0's registers, so
 * the core can start without scanning: CR3 = DirectoryTableBase, CR0 with
 * PG and PE (a crash dump is always of a paging kernel), CR4.PAE/PSE and
 * EFER.LME/LMA/NXE as PaeEnabled and MachineImageType imply.  The rest is
 * offered as hints (driver.h), for the Windows layer to check and use:
 *   win.PsActiveProcessHead, win.PsLoadedModuleList, win.KdDebuggerDataBlock
 *   win.BuildNumber       MinorVersion, when MajorVersion is 0xF or 0xC
 *   win.MachineImageType  0x14c or 0x8664
 *   win.PaeEnabled        0 or 1 (32-bit dumps only)
 * MajorVersion is not an OS version (it tells free from checked builds), so
 * it is not offered as one.  Addresses that are 0, or the "PAGE" filler
 * Windows writes over header fields it leaves unset, are not offered.
 *
 * Must not: read past the file, trust a count before checking it against
 * the file size, or accept a header whose fields disagree.
 */
#include "driver/file_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PAGE 0x1000u

#define DUMP_FULL          1u
#define DUMP_SUMMARY       2u
#define DUMP_HEADER_ONLY   3u
#define DUMP_TRIAGE        4u
#define DUMP_BITMAP_FULL   5u
#define DUMP_BITMAP_KERNEL 6u

/* The descriptor area of the header is 700 bytes: no more runs fit. */
#define RUNS_MAX32 ((700u - 8u) / 8u)
#define RUNS_MAX64 ((700u - 16u) / 16u)

typedef struct dump_kind {
    bool wide;         /* DU64 */
    uint32_t hdr_size; /* 0x1000 / 0x2000 */
} dump_kind_t;

/* A header field as a hint, unless it is unset (0, or the "PAGE" filler). */
static status_t add_stated(file_layout_t *out, const char *key, uint64_t v, bool wide,
                           util_err_t *err)
{
    const uint64_t fill = wide ? 0x4547415045474150ULL : 0x45474150ULL; /* "PAGE" */
    if (v == 0 || v == fill)
        return VMI_SUCCESS;
    return file_layout_add_hint(out, key, v, err);
}

static bool windump_detect(const uint8_t *head, size_t filesize)
{
    return filesize >= 8 && memcmp(head, "PAGE", 4) == 0 &&
           (memcmp(head + 4, "DUMP", 4) == 0 || memcmp(head + 4, "DU64", 4) == 0);
}

/* Full dumps: the runs, stored back to back after the header. */
static status_t parse_runs(const uint8_t *map, size_t filesize, dump_kind_t k,
                           file_layout_t *out, util_err_t *err)
{
    const uint8_t *pmd = map + (k.wide ? 0x88 : 0x64);
    uint32_t nruns = util_le32(pmd);
    uint64_t npages = k.wide ? util_le64(pmd + 8) : util_le32(pmd + 4);
    const uint8_t *run = pmd + (k.wide ? 16 : 8);
    unsigned width = k.wide ? 16 : 8;
    uint32_t max = k.wide ? RUNS_MAX64 : RUNS_MAX32;

    if (nruns == 0 || nruns > max) {
        util_err_set(err, "crash dump header: %" PRIu32 " physical memory runs (1..%" PRIu32
                     " fit in the header)", nruns, max);
        return VMI_FAILURE;
    }
    uint64_t off = k.hdr_size, total = 0, prev_end = 0;
    for (uint32_t i = 0; i < nruns; i++) {
        const uint8_t *r = run + (size_t)i * width;
        uint64_t base = k.wide ? util_le64(r) : util_le32(r);
        uint64_t count = k.wide ? util_le64(r + 8) : util_le32(r + 4);
        if (count == 0 || base > (UINT64_MAX / PAGE) - count) {
            util_err_set(err, "crash dump run %" PRIu32 ": %" PRIu64 " pages at page 0x%"
                         PRIx64 " is not a range", i, count, base);
            return VMI_FAILURE;
        }
        if (i && base < prev_end) {
            util_err_set(err, "crash dump run %" PRIu32 " (page 0x%" PRIx64 ") overlaps or "
                         "precedes the run before it", i, base);
            return VMI_FAILURE;
        }
        prev_end = base + count;
        uint64_t bytes = count * PAGE;
        if (off > filesize || bytes > filesize - off) {
            util_err_set(err, "crash dump is truncated: run %" PRIu32 " (%" PRIu64
                         " pages at physical 0x%" PRIx64 ") needs file bytes 0x%" PRIx64
                         "-0x%" PRIx64 ", but the file is 0x%zx bytes", i, count,
                         base * PAGE, off, off + bytes, filesize);
            return VMI_FAILURE;
        }
        if (file_layout_add_range(out, base * PAGE, bytes, off, i, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        off += bytes;
        total += count;
    }
    if (total != npages) {
        util_err_set(err, "crash dump header: runs add up to %" PRIu64 " pages, but "
                     "NumberOfPages says %" PRIu64, total, npages);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* Bitmap dumps: the pages whose bits are set, in bitmap order. */
static status_t parse_bitmap(const uint8_t *map, size_t filesize, dump_kind_t k,
                             file_layout_t *out, util_err_t *err)
{
    uint64_t at = k.hdr_size;
    if (filesize < at + 0x38) {
        util_err_set(err, "crash dump is truncated: no room for the bitmap header at 0x%"
                     PRIx64, at);
        return VMI_FAILURE;
    }
    const uint8_t *s = map + at;
    if ((memcmp(s, "SDMP", 4) != 0 && memcmp(s, "FDMP", 4) != 0) ||
        memcmp(s + 4, "DUMP", 4) != 0) {
        util_err_set(err, "bitmap dump: no SDMP/FDMP summary header at file offset 0x%"
                     PRIx64, at);
        return VMI_FAILURE;
    }
    uint64_t first = util_le64(s + 0x20), present = util_le64(s + 0x28);
    uint64_t bits = util_le64(s + 0x30);
    uint64_t bitmap_off = at + 0x38;
    uint64_t bitmap_bytes = bits / 8 + (bits % 8 != 0);
    if (bits == 0 || bits > UINT64_MAX / PAGE || bitmap_bytes > filesize - bitmap_off) {
        util_err_set(err, "bitmap dump: a bitmap of %" PRIu64 " bits does not fit in the "
                     "file (0x%zx bytes)", bits, filesize);
        return VMI_FAILURE;
    }
    if (first < bitmap_off + bitmap_bytes || first % PAGE) {
        util_err_set(err, "bitmap dump: first page at file offset 0x%" PRIx64 " overlaps "
                     "the bitmap or is not page aligned", first);
        return VMI_FAILURE;
    }
    if (first > filesize || present > (filesize - first) / PAGE) {
        util_err_set(err, "crash dump is truncated: %" PRIu64 " pages stored from file "
                     "offset 0x%" PRIx64 " need 0x%" PRIx64 " bytes, the file has 0x%zx",
                     present, first, present > UINT64_MAX / PAGE ? UINT64_MAX :
                     first + present * PAGE, filesize);
        return VMI_FAILURE;
    }
    const uint8_t *bm = map + bitmap_off;
    uint64_t stored = 0, run_start = 0;
    bool in_run = false;
    uint32_t nrun = 0;
    for (uint64_t i = 0; i <= bits; i++) {
        bool set = i < bits && (bm[i / 8] >> (i % 8) & 1);
        if (set && !in_run) {
            in_run = true;
            run_start = i;
        } else if (!set && in_run) {
            uint64_t n = i - run_start;
            if (stored + n > present) {
                util_err_set(err, "bitmap dump: the bitmap has more pages set than the %"
                             PRIu64 " the header says are stored", present);
                return VMI_FAILURE;
            }
            if (file_layout_add_range(out, run_start * PAGE, n * PAGE, first + stored * PAGE,
                                      nrun++, err) != VMI_SUCCESS)
                return VMI_FAILURE;
            stored += n;
            in_run = false;
        }
    }
    if (stored != present) {
        util_err_set(err, "bitmap dump: %" PRIu64 " pages set in the bitmap, but the header "
                     "says %" PRIu64 " are stored", stored, present);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

static status_t windump_parse(const uint8_t *map, size_t filesize, file_layout_t *out,
                              util_err_t *err)
{
    dump_kind_t k;
    out->mem.unit = "crash dump run";
    if (!windump_detect(map, filesize)) {
        util_err_set(err, "not a Windows crash dump (no PAGEDUMP / PAGEDU64 signature)");
        return VMI_FAILURE;
    }
    k.wide = memcmp(map + 4, "DU64", 4) == 0;
    k.hdr_size = k.wide ? 0x2000 : 0x1000;
    if (filesize < k.hdr_size) {
        util_err_set(err, "crash dump is truncated: the %s header needs 0x%" PRIx32
                     " bytes, the file has 0x%zx", k.wide ? "64-bit" : "32-bit",
                     k.hdr_size, filesize);
        return VMI_FAILURE;
    }
    uint32_t machine = util_le32(map + (k.wide ? 0x30 : 0x20));
    uint32_t type = util_le32(map + (k.wide ? 0xf98 : 0xf88));
    uint64_t dtb = k.wide ? util_le64(map + 0x10) : util_le32(map + 0x10);
    bool pae = !k.wide && map[0x5c] != 0;

    if ((k.wide && machine != 0x8664) || (!k.wide && machine != 0x14c)) {
        util_err_set(err, "crash dump header: machine 0x%" PRIx32 " in a %s dump (x86 "
                     "0x14c and x64 0x8664 are supported)", machine,
                     k.wide ? "64-bit" : "32-bit");
        return VMI_FAILURE;
    }
    status_t st;
    switch (type) {
    case DUMP_FULL:
        st = parse_runs(map, filesize, k, out, err);
        break;
    case DUMP_SUMMARY:
    case DUMP_BITMAP_FULL:
    case DUMP_BITMAP_KERNEL:
        st = parse_bitmap(map, filesize, k, out, err);
        break;
    case DUMP_HEADER_ONLY:
    case DUMP_TRIAGE:
        util_err_set(err, "crash dump type %" PRIu32 " (%s) holds no physical memory image",
                     type, type == DUMP_TRIAGE ? "mini dump" : "header only");
        return VMI_FAILURE;
    default:
        util_err_set(err, "crash dump type %" PRIu32 " is not supported (full 1, kernel "
                     "summary 2, bitmap 5 and 6 are)", type);
        return VMI_FAILURE;
    }
    if (st != VMI_SUCCESS)
        return VMI_FAILURE;

    /* What the header knows about the CPU, as vCPU 0's registers (the
     * header describes one processor's paging; NumberProcessors is not a
     * promise of per-CPU state). */
    file_vcpu_t *v = file_layout_add_vcpu(out, err);
    if (!v)
        return VMI_FAILURE;
    snprintf(v->source, sizeof(v->source), "the %s crash dump header",
             k.wide ? "64-bit" : "32-bit");
    file_vcpu_set(v, CR3, dtb);
    file_vcpu_set(v, CR0, (1ULL << 31) | 1ULL);        /* PG | PE */
    file_vcpu_set(v, CR4, (k.wide || pae ? 1ULL << 5 : 0) | 1ULL << 4); /* PAE, PSE */
    file_vcpu_set(v, MSR_EFER, k.wide ? (1ULL << 8 | 1ULL << 10 | 1ULL << 11) : 0);

    /* The kernel addresses the header names, unchecked: the Windows layer
     * tests each before use. */
    uint64_t loaded = k.wide ? util_le64(map + 0x20) : util_le32(map + 0x18);
    uint64_t active = k.wide ? util_le64(map + 0x28) : util_le32(map + 0x1c);
    uint64_t kdbg = k.wide ? util_le64(map + 0x80) : util_le32(map + 0x60);
    uint32_t major = util_le32(map + 0x08), minor = util_le32(map + 0x0c);
    if (add_stated(out, "win.PsLoadedModuleList", loaded, k.wide, err) != VMI_SUCCESS ||
        add_stated(out, "win.PsActiveProcessHead", active, k.wide, err) != VMI_SUCCESS ||
        add_stated(out, "win.KdDebuggerDataBlock", kdbg, k.wide, err) != VMI_SUCCESS ||
        file_layout_add_hint(out, "win.MachineImageType", machine, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!k.wide && file_layout_add_hint(out, "win.PaeEnabled", pae, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if ((major == 0xf || major == 0xc) && minor > 0 && minor <= 0xffff &&
        file_layout_add_hint(out, "win.BuildNumber", minor, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

const file_format_t file_format_windump = { "windump", windump_detect, windump_parse };
