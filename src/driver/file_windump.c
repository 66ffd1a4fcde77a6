/*
 * file_windump.c - Windows kernel crash dumps (MEMORY.DMP, .dump /f, LiveKd,
 * minidumps) as memory images: the 32-bit ("PAGE" "DUMP", DUMP_HEADER32)
 * and 64-bit ("PAGE" "DU64", DUMP_HEADER64) headers of every dump type.
 *
 * Layouts are Microsoft's: DUMP_HEADER32/64 and DUMP_TYPE as the Windows
 * SDK's mindumpdef.h declares them, SUMMARY_DUMP32/64, TRIAGE_DUMP32/64,
 * TRIAGE_DATA_BLOCK, DUMP_DRIVER_ENTRY and DUMP_STRING as ntiodump.h does,
 * CONTEXT and EXCEPTION_RECORD32/64 as winnt.h does.  The header is 0x1000
 * / 0x2000 bytes; its fields (32-bit / 64-bit offsets):
 *   MajorVersion 0x08 (0xF free, 0xC checked build), MinorVersion 0x0c (the
 *   build number), DirectoryTableBase 0x10, PfnDataBase 0x14 / 0x18,
 *   PsLoadedModuleList 0x18 / 0x20, PsActiveProcessHead 0x1c / 0x28,
 *   MachineImageType 0x20 / 0x30, NumberProcessors 0x24 / 0x34,
 *   BugCheckCode 0x28 / 0x38, BugCheckParameter1-4 0x2c / 0x40,
 *   VersionUser[32] 0x3c / 0x60, PaeEnabled 0x5c / -, KdSecondaryVersion
 *   0x5d / 0x104d, KdDebuggerDataBlock 0x60 / 0x80, PhysicalMemoryBlock
 *   0x64 / 0x88 (700 bytes: NumberOfRuns, NumberOfPages, Run[] = {BasePage,
 *   PageCount}, 32- / 64-bit fields), ContextRecord 0x320 / 0x348,
 *   Exception 0x7d0 / 0xf00, Comment[128] 0x820 / 0xfb0, Attributes 0x8a0 /
 *   0x1050, BootId 0x8a4 / 0x1054, DumpType 0xf88 / 0xf98, MiniDumpFields
 *   0xf8c / 0x1038, SecondaryDataState 0xf90 / 0x103c, ProductType 0xf94 /
 *   0x1040, SuiteMask 0xf98 / 0x1044, WriterStatus 0xf9c / 0x1048,
 *   RequiredDumpSpace 0xfa0 / 0xfa0, SystemUpTime 0xfb8 / 0x1030,
 *   SystemTime 0xfc0 / 0xfa8.
 *
 * DumpType and what follows the header:
 *   1 full         the PhysicalMemoryBlock runs' pages, back to back;
 *   2 summary (kernel), 5 bitmap full, 6 bitmap kernel, 7 automatic: a
 *                  summary block ("SDMP" or "FDMP", "DUMP") whose bitmap
 *                  has bit i set when physical page i is stored; the pages
 *                  follow, from file offset HeaderSize, in bitmap order.
 *                  Two layouts exist and both are read: ntiodump.h's, with
 *                  32-bit fields (DumpOptions 0x08, HeaderSize 0x0c,
 *                  BitmapSize 0x10 = bits, Pages 0x14 = bits set, then an
 *                  RTL_BITMAP whose SizeOfBitMap repeats BitmapSize and
 *                  whose bits start at 0x20 in 32-bit dumps, 0x28 in 64-bit
 *                  ones), and the one Windows 8 and later write, with
 *                  64-bit fields (HeaderSize 0x20, Pages 0x28, BitmapSize
 *                  0x30, bits at 0x38).  The one whose every field checks
 *                  out (sizes, alignment, bits set = Pages) is used; 32-bit
 *                  dumps try ntiodump's first, 64-bit ones the newer one.
 *   3 header only  no memory at all;
 *   4 triage (a kernel mini dump): TRIAGE_DUMP32/64 right after the header,
 *                  whose offsets (from the start of the file) name: the
 *                  ULONG 'DGRT' ("TRGD") that marks a whole dump
 *                  (ValidOffset), copies of the crashing thread's KPRCB,
 *                  EPROCESS and ETHREAD, its kernel stack from TopOfStack
 *                  (the stack pointer) up, the loaded-driver list (entries
 *                  of a ULONG name offset, padded to 8 on x64, and the
 *                  kernel's own KLDR_DATA_TABLE_ENTRY) and the string pool
 *                  its names live in (DUMP_STRING: a ULONG length in
 *                  characters, then NUL-terminated UTF-16), the page the
 *                  bug check named (DataPage), a copy of the KDBG
 *                  (DebuggerData) and data blocks, TRIAGE_DATA_BLOCK =
 *                  { ULONG64 Address, ULONG Offset, ULONG Size }.
 *                  Offsets (32 / 64): SizeOfDump 0x04, ValidOffset 0x08,
 *                  ContextOffset 0x0c, ExceptionOffset 0x10, MmOffset 0x14,
 *                  UnloadedDriversOffset 0x18, PrcbOffset 0x1c,
 *                  ProcessOffset 0x20, ThreadOffset 0x24, CallStackOffset
 *                  0x28, SizeOfCallStack 0x2c, DriverListOffset 0x30,
 *                  DriverCount 0x34, StringPoolOffset 0x38, StringPoolSize
 *                  0x3c, BrokenDriverOffset 0x40, TriageOptions 0x44,
 *                  TopOfStack 0x48, DataPageAddress 0x4c / 0x60,
 *                  DataPageOffset 0x50 / 0x68, DataPageSize 0x54 / 0x6c,
 *                  DebuggerDataOffset 0x58 / 0x70, DebuggerDataSize 0x5c /
 *                  0x74, DataBlocksOffset 0x60 / 0x78, DataBlocksCount
 *                  0x64 / 0x7c.
 *
 * A triage dump holds no physical memory and no page tables: what it holds
 * of memory (the data blocks, the data page, the stack, the KDBG copy) is
 * offered by virtual address (the layout's vmem, driver.h's read_va), in
 * that order of trust where two overlap.  The KPRCB, EPROCESS and ETHREAD
 * copies are not: the dump does not say where they lived.  The driver
 * list is offered as facts (win.Triage.Module.N.*): the entries hold the
 * kernel's KLDR_DATA_TABLE_ENTRY, whose size changed between releases, so
 * their stride is measured as the distance from the list to the string
 * pool that follows it; DllBase (0x30 / 0x18), SizeOfImage (0x40 / 0x20)
 * and CheckSum (0x78 / 0x40) sit where every release keeps them, and
 * TimeDateStamp is read only from the 0xa0-byte entries of Windows 10 and
 * later x64 (at 0x9c), the one layout known for it.
 *
 * What the header says about the CPU is offered as vCPU 0's registers, so
 * the core can start without scanning: CR3 = DirectoryTableBase, CR0 with
 * PG and PE (a crash dump is always of a paging kernel), CR4.PAE/PSE and
 * EFER.LME/LMA/NXE as PaeEnabled and MachineImageType imply, and the
 * general, segment and debug registers of the ContextRecord where its
 * ContextFlags say they were saved.  Every other field is a fact (driver
 * hint/fact), under its Microsoft name: "win.BugCheckCode",
 * "win.Exception.Address", "win.Summary.Pages", "win.Triage.DataBlocksCount".
 * Besides, win.BuildNumber is MinorVersion when MajorVersion is 0xF or 0xC
 * (MajorVersion is no OS version: it tells free from checked builds).
 * Fields that hold the "PAGE" filler Windows writes over what it leaves
 * unset are not offered, nor are list heads and the KDBG address when 0.
 *
 * Must not: read past the file, trust a count or offset before checking it
 * against the file size, or accept a header whose fields disagree.
 */
#include "driver/file_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/strutil.h"
#include "util/utf.h"

#define PAGE 0x1000u

#define DUMP_FULL          1u
#define DUMP_SUMMARY       2u
#define DUMP_HEADER_ONLY   3u
#define DUMP_TRIAGE        4u
#define DUMP_BITMAP_FULL   5u
#define DUMP_BITMAP_KERNEL 6u
#define DUMP_AUTOMATIC     7u

#define FILL32 0x45474150u            /* "PAGE" */
#define FILL64 0x4547415045474150ULL  /* "PAGEPAGE" */

/* The descriptor area of the header is 700 bytes: no more runs fit. */
#define RUNS_MAX32 ((700u - 8u) / 8u)
#define RUNS_MAX64 ((700u - 16u) / 16u)

/* Bounds on what a triage dump may list: far above what Windows writes. */
#define TRIAGE_MAX_DRIVERS 4096u
#define TRIAGE_MAX_BLOCKS  65536u
#define TRIAGE_NAME_MAX    1024u     /* characters of one DUMP_STRING */

typedef struct dump {
    const uint8_t *map;
    size_t size;
    bool wide;           /* DU64 */
    uint32_t hdr;        /* 0x1000 / 0x2000 */
    file_layout_t *out;
    util_err_t *err;
} dump_t;

/* A field of w bytes (1, 2, 4 or 8) at off. */
static uint64_t get(const dump_t *d, size_t off, unsigned w)
{
    return w == 1 ? d->map[off] : util_le(d->map + off, w);
}

/* Does the field hold the filler?  Bytes and shorts are judged by the
 * aligned ULONG around them. */
static bool filler(const dump_t *d, size_t off, unsigned w)
{
    if (w == 8)
        return util_le64(d->map + off) == FILL64;
    return util_le32(d->map + (off & ~(size_t)3)) == FILL32;
}

static status_t num(const dump_t *d, const char *key, uint64_t v)
{
    return file_layout_add_hint(d->out, key, v, d->err);
}

/* A header field as a fact, unless it holds the filler. */
static status_t field(const dump_t *d, const char *key, size_t off, unsigned w)
{
    if (filler(d, off, w))
        return VMI_SUCCESS;
    return num(d, key, get(d, off, w));
}

/* ANSI text of at most n bytes at off (Comment, VersionUser), printable
 * ASCII kept and the rest shown as '?'; nothing when empty or filler. */
static status_t text_field(const dump_t *d, const char *key, size_t off, size_t n)
{
    char buf[160];
    size_t len = 0;
    if (filler(d, off, 4))
        return VMI_SUCCESS;
    for (; len < n && len < sizeof(buf) - 1 && d->map[off + len]; len++)
        buf[len] = d->map[off + len] >= 0x20 && d->map[off + len] < 0x7f ?
                       (char)d->map[off + len] : '?';
    buf[len] = '\0';
    return len ? file_layout_add_text(d->out, key, buf, d->err) : VMI_SUCCESS;
}

/* ---- The header's own fields ---- */

typedef struct hfield {
    const char *name;
    uint16_t off32, off64;   /* 0: not in that header */
    uint8_t w32, w64;
} hfield_t;

static const hfield_t hfields[] = {
    { "MajorVersion", 0x08, 0x08, 4, 4 },
    { "MinorVersion", 0x0c, 0x0c, 4, 4 },
    { "DirectoryTableBase", 0x10, 0x10, 4, 8 },
    { "PfnDataBase", 0x14, 0x18, 4, 8 },
    { "MachineImageType", 0x20, 0x30, 4, 4 },
    { "NumberProcessors", 0x24, 0x34, 4, 4 },
    { "BugCheckCode", 0x28, 0x38, 4, 4 },
    { "BugCheckParameter1", 0x2c, 0x40, 4, 8 },
    { "BugCheckParameter2", 0x30, 0x48, 4, 8 },
    { "BugCheckParameter3", 0x34, 0x50, 4, 8 },
    { "BugCheckParameter4", 0x38, 0x58, 4, 8 },
    { "KdSecondaryVersion", 0x5d, 0x104d, 1, 1 },
    { "DumpType", 0xf88, 0xf98, 4, 4 },
    { "MiniDumpFields", 0xf8c, 0x1038, 4, 4 },
    { "SecondaryDataState", 0xf90, 0x103c, 4, 4 },
    { "ProductType", 0xf94, 0x1040, 4, 4 },
    { "SuiteMask", 0xf98, 0x1044, 4, 4 },
    { "WriterStatus", 0xf9c, 0x1048, 4, 4 },
    { "RequiredDumpSpace", 0xfa0, 0xfa0, 8, 8 },
    { "SystemUpTime", 0xfb8, 0x1030, 8, 8 },
    { "SystemTime", 0xfc0, 0xfa8, 8, 8 },
    { "Attributes", 0x8a0, 0x1050, 4, 4 },
    { "BootId", 0x8a4, 0x1054, 4, 4 },
};

/* EXCEPTION_RECORD32 / 64: Code, Flags, Record, Address, NumberParameters,
 * Information[15]. */
static status_t exception_facts(const dump_t *d)
{
    size_t at = d->wide ? 0xf00 : 0x7d0;
    unsigned pw = d->wide ? 8 : 4;
    size_t rec = at + 8, addr = rec + pw, nparm = addr + pw;
    size_t info = nparm + (d->wide ? 8 : 4);
    char key[FILE_FACT_KEY_MAX];

    if (filler(d, at, 4))
        return VMI_SUCCESS;
    uint32_t n = util_le32(d->map + nparm);
    if (num(d, "win.Exception.Code", util_le32(d->map + at)) != VMI_SUCCESS ||
        num(d, "win.Exception.Flags", util_le32(d->map + at + 4)) != VMI_SUCCESS ||
        num(d, "win.Exception.Record", get(d, rec, pw)) != VMI_SUCCESS ||
        num(d, "win.Exception.Address", get(d, addr, pw)) != VMI_SUCCESS ||
        num(d, "win.Exception.NumberParameters", n) != VMI_SUCCESS)
        return VMI_FAILURE;
    for (uint32_t i = 0; i < n && i < 15; i++) {
        snprintf(key, sizeof(key), "win.Exception.Information.%" PRIu32, i);
        if (num(d, key, get(d, info + (size_t)i * pw, pw)) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* The CONTEXT record's registers, where ContextFlags says they were saved
 * (CONTEXT_CONTROL 1, _INTEGER 2, _SEGMENTS 4, _DEBUG_REGISTERS 0x10, with
 * the architecture's bit: 0x100000 AMD64, 0x10000 i386). */
typedef struct creg {
    reg_t reg;
    uint16_t off;
    uint8_t w;
    uint8_t group;
} creg_t;

static const creg_t ctx64[] = {
    { CS_SEL, 0x38, 2, 1 }, { SS_SEL, 0x42, 2, 1 }, { RFLAGS, 0x44, 4, 1 },
    { RSP, 0x98, 8, 1 }, { RIP, 0xf8, 8, 1 },
    { DS_SEL, 0x3a, 2, 4 }, { ES_SEL, 0x3c, 2, 4 }, { FS_SEL, 0x3e, 2, 4 },
    { GS_SEL, 0x40, 2, 4 },
    { RAX, 0x78, 8, 2 }, { RCX, 0x80, 8, 2 }, { RDX, 0x88, 8, 2 }, { RBX, 0x90, 8, 2 },
    { RBP, 0xa0, 8, 2 }, { RSI, 0xa8, 8, 2 }, { RDI, 0xb0, 8, 2 }, { R8, 0xb8, 8, 2 },
    { R9, 0xc0, 8, 2 }, { R10, 0xc8, 8, 2 }, { R11, 0xd0, 8, 2 }, { R12, 0xd8, 8, 2 },
    { R13, 0xe0, 8, 2 }, { R14, 0xe8, 8, 2 }, { R15, 0xf0, 8, 2 },
    { DR0, 0x48, 8, 0x10 }, { DR1, 0x50, 8, 0x10 }, { DR2, 0x58, 8, 0x10 },
    { DR3, 0x60, 8, 0x10 }, { DR6, 0x68, 8, 0x10 }, { DR7, 0x70, 8, 0x10 },
};

static const creg_t ctx32[] = {
    { RBP, 0xb4, 4, 1 }, { RIP, 0xb8, 4, 1 }, { CS_SEL, 0xbc, 4, 1 },
    { RFLAGS, 0xc0, 4, 1 }, { RSP, 0xc4, 4, 1 }, { SS_SEL, 0xc8, 4, 1 },
    { GS_SEL, 0x8c, 4, 4 }, { FS_SEL, 0x90, 4, 4 }, { ES_SEL, 0x94, 4, 4 },
    { DS_SEL, 0x98, 4, 4 },
    { RDI, 0x9c, 4, 2 }, { RSI, 0xa0, 4, 2 }, { RBX, 0xa4, 4, 2 }, { RDX, 0xa8, 4, 2 },
    { RCX, 0xac, 4, 2 }, { RAX, 0xb0, 4, 2 },
    { DR0, 0x04, 4, 0x10 }, { DR1, 0x08, 4, 0x10 }, { DR2, 0x0c, 4, 0x10 },
    { DR3, 0x10, 4, 0x10 }, { DR6, 0x14, 4, 0x10 }, { DR7, 0x18, 4, 0x10 },
};

static status_t context_regs(const dump_t *d, file_vcpu_t *v)
{
    size_t at = d->wide ? 0x348 : 0x320, flags_off = d->wide ? 0x30 : 0;
    uint32_t arch = d->wide ? 0x100000u : 0x10000u;
    uint32_t flags = util_le32(d->map + at + flags_off);
    const creg_t *t = d->wide ? ctx64 : ctx32;
    size_t n = d->wide ? sizeof(ctx64) / sizeof(ctx64[0]) : sizeof(ctx32) / sizeof(ctx32[0]);

    if (flags == FILL32 || !(flags & arch))
        return VMI_SUCCESS;
    for (size_t i = 0; i < n; i++)
        if (flags & t[i].group)
            file_vcpu_set(v, t[i].reg, get(d, at + t[i].off, t[i].w));
    return num(d, "win.ContextFlags", flags);
}

/* ---- Full dumps: the runs, stored back to back after the header ---- */

/* The PhysicalMemoryBlock, checked; *nruns 0 when the header leaves it
 * unset.  Only a full dump needs it: for the others (strict false) one
 * that does not fit is not offered, and not held against the dump. */
static status_t read_runs(const dump_t *d, uint32_t *nruns, bool facts, bool strict)
{
    const uint8_t *pmd = d->map + (d->wide ? 0x88 : 0x64);
    uint32_t n = util_le32(pmd);
    uint64_t npages = d->wide ? util_le64(pmd + 8) : util_le32(pmd + 4);
    unsigned width = d->wide ? 16 : 8;
    uint32_t max = d->wide ? RUNS_MAX64 : RUNS_MAX32;
    char key[FILE_FACT_KEY_MAX];

    *nruns = 0;
    if (n == FILL32)
        return VMI_SUCCESS;
    if (n == 0 || n > max) {
        if (!strict)
            return VMI_SUCCESS;
        util_err_set(d->err, "crash dump header: %" PRIu32 " physical memory runs (1..%"
                     PRIu32 " fit in the header)", n, max);
        return VMI_FAILURE;
    }
    *nruns = n;
    if (!facts)
        return VMI_SUCCESS;
    if (num(d, "win.PhysicalMemoryBlock.NumberOfRuns", n) != VMI_SUCCESS ||
        num(d, "win.PhysicalMemoryBlock.NumberOfPages", npages) != VMI_SUCCESS)
        return VMI_FAILURE;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *r = pmd + width + (size_t)i * width;
        snprintf(key, sizeof(key), "win.PhysicalMemoryBlock.Run.%" PRIu32 ".BasePage", i);
        if (num(d, key, d->wide ? util_le64(r) : util_le32(r)) != VMI_SUCCESS)
            return VMI_FAILURE;
        snprintf(key, sizeof(key), "win.PhysicalMemoryBlock.Run.%" PRIu32 ".PageCount", i);
        if (num(d, key, d->wide ? util_le64(r + 8) : util_le32(r + 4)) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

static status_t parse_runs(const dump_t *d)
{
    const uint8_t *pmd = d->map + (d->wide ? 0x88 : 0x64);
    uint32_t nruns;
    uint64_t npages = d->wide ? util_le64(pmd + 8) : util_le32(pmd + 4);
    const uint8_t *run = pmd + (d->wide ? 16 : 8);
    unsigned width = d->wide ? 16 : 8;

    if (read_runs(d, &nruns, false, true) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (nruns == 0) {
        util_err_set(d->err, "crash dump header: a full dump whose physical memory "
                     "descriptor is unset (the \"PAGE\" filler)");
        return VMI_FAILURE;
    }
    uint64_t off = d->hdr, total = 0, prev_end = 0;
    for (uint32_t i = 0; i < nruns; i++) {
        const uint8_t *r = run + (size_t)i * width;
        uint64_t base = d->wide ? util_le64(r) : util_le32(r);
        uint64_t count = d->wide ? util_le64(r + 8) : util_le32(r + 4);
        if (count == 0 || base > (UINT64_MAX / PAGE) - count) {
            util_err_set(d->err, "crash dump run %" PRIu32 ": %" PRIu64 " pages at page 0x%"
                         PRIx64 " is not a range", i, count, base);
            return VMI_FAILURE;
        }
        if (i && base < prev_end) {
            util_err_set(d->err, "crash dump run %" PRIu32 " (page 0x%" PRIx64 ") overlaps "
                         "or precedes the run before it", i, base);
            return VMI_FAILURE;
        }
        prev_end = base + count;
        uint64_t bytes = count * PAGE;
        if (off > d->size || bytes > d->size - off) {
            util_err_set(d->err, "crash dump is truncated: run %" PRIu32 " (%" PRIu64
                         " pages at physical 0x%" PRIx64 ") needs file bytes 0x%" PRIx64
                         "-0x%" PRIx64 ", but the file is 0x%zx bytes", i, count,
                         base * PAGE, off, off + bytes, d->size);
            return VMI_FAILURE;
        }
        if (file_layout_add_range(d->out, base * PAGE, bytes, off, i, d->err) != VMI_SUCCESS)
            return VMI_FAILURE;
        off += bytes;
        total += count;
    }
    if (total != npages) {
        util_err_set(d->err, "crash dump header: runs add up to %" PRIu64 " pages, but "
                     "NumberOfPages says %" PRIu64, total, npages);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* ---- Summary and bitmap dumps ---- */

/* One reading of the summary block. */
typedef struct summary {
    const char *layout;
    uint64_t options, first, bits, present, bitmap_off;
} summary_t;

/* Read the block at the header's end as layout "wide fields" or not; the
 * reason when its fields do not check out. */
static bool summary_read(const dump_t *d, bool wide_fields, summary_t *s, char *why,
                         size_t size)
{
    uint64_t at = d->hdr;
    const uint8_t *p = d->map + at;
    if (wide_fields) {
        s->layout = "64-bit fields (Windows 8 and later)";
        s->options = util_le32(p + 0x08);
        s->first = util_le64(p + 0x20);
        s->present = util_le64(p + 0x28);
        s->bits = util_le64(p + 0x30);
        s->bitmap_off = at + 0x38;
    } else {
        s->layout = d->wide ? "SUMMARY_DUMP64 (32-bit fields)" : "SUMMARY_DUMP32";
        s->options = util_le32(p + 0x08);
        s->first = util_le32(p + 0x0c);
        s->bits = util_le32(p + 0x10);
        s->present = util_le32(p + 0x14);
        s->bitmap_off = at + (d->wide ? 0x28 : 0x20);
        if (util_le32(p + 0x18) != s->bits) {
            snprintf(why, size, "its bitmap's SizeOfBitMap %" PRIu32 " is not BitmapSize %"
                     PRIu64, util_le32(p + 0x18), s->bits);
            return false;
        }
    }
    uint64_t bytes = s->bits / 8 + (s->bits % 8 != 0);
    if (s->bits == 0 || s->bits > UINT64_MAX / PAGE || s->bitmap_off > d->size ||
        bytes > d->size - s->bitmap_off) {
        snprintf(why, size, "a bitmap of %" PRIu64 " bits does not fit in the file (0x%zx "
                 "bytes)", s->bits, d->size);
        return false;
    }
    if (s->first < s->bitmap_off + bytes || s->first % PAGE) {
        snprintf(why, size, "its first page at file offset 0x%" PRIx64 " overlaps the "
                 "bitmap or is not page aligned", s->first);
        return false;
    }
    if (s->first > d->size || s->present > (d->size - s->first) / PAGE) {
        snprintf(why, size, "crash dump is truncated: %" PRIu64 " pages stored from file "
                 "offset 0x%" PRIx64 " need 0x%" PRIx64 " bytes, the file has 0x%zx",
                 s->present, s->first, s->present > UINT64_MAX / PAGE ? UINT64_MAX :
                 s->first + s->present * PAGE, d->size);
        return false;
    }
    uint64_t set = 0;
    const uint8_t *bm = d->map + s->bitmap_off;
    for (uint64_t i = 0; i < s->bits / 8; i++)
        set += (uint64_t)__builtin_popcount(bm[i]);
    if (s->bits % 8)
        set += (uint64_t)__builtin_popcount(bm[s->bits / 8] & ((1u << (s->bits % 8)) - 1));
    if (set != s->present) {
        snprintf(why, size, "%" PRIu64 " pages set in the bitmap, but the header says %"
                 PRIu64 " are stored", set, s->present);
        return false;
    }
    return true;
}

static status_t parse_bitmap(const dump_t *d)
{
    const uint8_t *s = d->map + d->hdr;
    summary_t sum;
    char why[2][200];
    bool first_wide = d->wide, ok;

    if (d->size < (uint64_t)d->hdr + 0x38) {
        util_err_set(d->err, "crash dump is truncated: no room for the bitmap header at 0x%"
                     PRIx32, d->hdr);
        return VMI_FAILURE;
    }
    if ((memcmp(s, "SDMP", 4) != 0 && memcmp(s, "FDMP", 4) != 0) ||
        memcmp(s + 4, "DUMP", 4) != 0) {
        util_err_set(d->err, "bitmap dump: no SDMP/FDMP summary header at file offset 0x%"
                     PRIx32, d->hdr);
        return VMI_FAILURE;
    }
    ok = summary_read(d, first_wide, &sum, why[0], sizeof(why[0])) ||
         summary_read(d, !first_wide, &sum, why[1], sizeof(why[1]));
    if (!ok) {
        bool trunc = util_memfind(why[0], strlen(why[0]), "truncated", 9) ||
                     util_memfind(why[1], strlen(why[1]), "truncated", 9);
        util_err_set(d->err, "%sbitmap dump: its summary block fits neither layout: as %s, "
                     "%s; as %s, %s", trunc ? "crash dump is truncated: " : "",
                     first_wide ? "64-bit fields" : "32-bit fields", why[0],
                     first_wide ? "32-bit fields" : "64-bit fields", why[1]);
        return VMI_FAILURE;
    }
    char sig[5] = { (char)s[0], (char)s[1], (char)s[2], (char)s[3], 0 };
    if (file_layout_add_text(d->out, "win.Summary.Signature", sig, d->err) != VMI_SUCCESS ||
        file_layout_add_text(d->out, "win.Summary.Layout", sum.layout, d->err) != VMI_SUCCESS ||
        num(d, "win.Summary.DumpOptions", sum.options) != VMI_SUCCESS ||
        num(d, "win.Summary.HeaderSize", sum.first) != VMI_SUCCESS ||
        num(d, "win.Summary.BitmapSize", sum.bits) != VMI_SUCCESS ||
        num(d, "win.Summary.Pages", sum.present) != VMI_SUCCESS)
        return VMI_FAILURE;

    const uint8_t *bm = d->map + sum.bitmap_off;
    uint64_t stored = 0, run_start = 0;
    bool in_run = false;
    uint32_t nrun = 0;
    for (uint64_t i = 0; i <= sum.bits; i++) {
        bool set = i < sum.bits && (bm[i / 8] >> (i % 8) & 1);
        if (set && !in_run) {
            in_run = true;
            run_start = i;
        } else if (!set && in_run) {
            uint64_t n = i - run_start;
            if (file_layout_add_range(d->out, run_start * PAGE, n * PAGE,
                                      sum.first + stored * PAGE, nrun++, d->err) != VMI_SUCCESS)
                return VMI_FAILURE;
            stored += n;
            in_run = false;
        }
    }
    return VMI_SUCCESS;
}

/* ---- Triage dumps ---- */

/* TRIAGE_DUMP32 / 64 field offsets (from the start of the structure). */
typedef struct tfield {
    const char *name;
    uint8_t off32, off64, w32, w64;
} tfield_t;

enum {
    T_SP, T_SIZE, T_VALID, T_CONTEXT, T_EXCEPTION, T_MM, T_UNLOADED, T_PRCB, T_PROCESS,
    T_THREAD, T_STACK, T_STACK_SIZE, T_DRIVERS, T_DRIVER_COUNT, T_POOL, T_POOL_SIZE,
    T_BROKEN, T_OPTIONS, T_TOP, T_PAGE_VA, T_PAGE, T_PAGE_SIZE, T_KDBG, T_KDBG_SIZE,
    T_BLOCKS, T_BLOCK_COUNT, T_COUNT
};

static const tfield_t tfields[T_COUNT] = {
    { "ServicePackBuild", 0x00, 0x00, 4, 4 }, { "SizeOfDump", 0x04, 0x04, 4, 4 },
    { "ValidOffset", 0x08, 0x08, 4, 4 }, { "ContextOffset", 0x0c, 0x0c, 4, 4 },
    { "ExceptionOffset", 0x10, 0x10, 4, 4 }, { "MmOffset", 0x14, 0x14, 4, 4 },
    { "UnloadedDriversOffset", 0x18, 0x18, 4, 4 }, { "PrcbOffset", 0x1c, 0x1c, 4, 4 },
    { "ProcessOffset", 0x20, 0x20, 4, 4 }, { "ThreadOffset", 0x24, 0x24, 4, 4 },
    { "CallStackOffset", 0x28, 0x28, 4, 4 }, { "SizeOfCallStack", 0x2c, 0x2c, 4, 4 },
    { "DriverListOffset", 0x30, 0x30, 4, 4 }, { "DriverCount", 0x34, 0x34, 4, 4 },
    { "StringPoolOffset", 0x38, 0x38, 4, 4 }, { "StringPoolSize", 0x3c, 0x3c, 4, 4 },
    { "BrokenDriverOffset", 0x40, 0x40, 4, 4 }, { "TriageOptions", 0x44, 0x44, 4, 4 },
    { "TopOfStack", 0x48, 0x48, 4, 8 }, { "DataPageAddress", 0x4c, 0x60, 4, 8 },
    { "DataPageOffset", 0x50, 0x68, 4, 4 }, { "DataPageSize", 0x54, 0x6c, 4, 4 },
    { "DebuggerDataOffset", 0x58, 0x70, 4, 4 }, { "DebuggerDataSize", 0x5c, 0x74, 4, 4 },
    { "DataBlocksOffset", 0x60, 0x78, 4, 4 }, { "DataBlocksCount", 0x64, 0x7c, 4, 4 },
};

typedef struct triage {
    const dump_t *d;
    uint64_t f[T_COUNT];
    uint64_t end;                /* SizeOfDump */
} triage_t;

/* Is [off, off + len) inside the dump?  Else the reason, naming what. */
static bool inside(const triage_t *t, const char *what, uint64_t off, uint64_t len)
{
    if (off > t->end || len > t->end - off) {
        util_err_set(t->d->err, "triage dump: %s (0x%" PRIx64 " bytes at file offset 0x%"
                     PRIx64 ") lies past the end of the dump (SizeOfDump 0x%" PRIx64 ")",
                     what, len, off, t->end);
        return false;
    }
    return true;
}

/* A 32-bit dump's virtual address: 32 bits, or sign-extended to 64. */
static bool va_fits(const triage_t *t, uint64_t *va)
{
    if (t->d->wide || *va <= 0xffffffffULL)
        return true;
    if ((*va >> 32) == 0xffffffffULL && (*va & 0x80000000ULL)) {
        *va &= 0xffffffffULL;
        return true;
    }
    return false;
}

/* One run of memory the dump holds by virtual address. */
static status_t triage_run(const triage_t *t, const char *what, uint32_t src, uint64_t va,
                           uint64_t off, uint64_t len)
{
    if (len == 0)
        return VMI_SUCCESS;
    if (!inside(t, what, off, len))
        return VMI_FAILURE;
    if (!va_fits(t, &va) || len > UINT64_MAX - va ||
        (!t->d->wide && va + len > 0x100000000ULL)) {
        util_err_set(t->d->err, "triage dump: %s at virtual 0x%" PRIx64 " (0x%" PRIx64
                     " bytes) is not an address range of a %s kernel", what, va, len,
                     t->d->wide ? "64-bit" : "32-bit");
        return VMI_FAILURE;
    }
    return file_layout_add_vrange(t->d->out, va, len, off, src, t->d->err);
}

static status_t triage_blocks(const triage_t *t)
{
    uint64_t off = t->f[T_BLOCKS], n = t->f[T_BLOCK_COUNT];
    char what[64];
    if (n == 0 || off == 0)
        return VMI_SUCCESS;
    if (n > TRIAGE_MAX_BLOCKS || n > t->end / 16) {
        util_err_set(t->d->err, "triage dump: DataBlocksCount %" PRIu64 " is absurd (at "
                     "most %u, and 16 bytes each must fit in SizeOfDump 0x%" PRIx64 ")", n,
                     TRIAGE_MAX_BLOCKS, t->end);
        return VMI_FAILURE;
    }
    if (!inside(t, "the data block table", off, n * 16))
        return VMI_FAILURE;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *b = t->d->map + off + i * 16;
        snprintf(what, sizeof(what), "data block %" PRIu64, i);
        if (triage_run(t, what, (uint32_t)i, util_le64(b), util_le32(b + 8),
                       util_le32(b + 12)) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* The DUMP_STRING at off, inside the pool, as UTF-8 in buf.  Its length
 * counts characters (the kernel's triage.h); ntiodump.h says bytes, so a
 * string whose terminator sits at half the length is read that way. */
static bool dump_string(const triage_t *t, uint64_t off, char *buf, size_t size, char *why,
                        size_t wsize)
{
    uint64_t pool = t->f[T_POOL], pend = pool + t->f[T_POOL_SIZE];
    if (off < pool || off > pend || pend - off < 4) {
        snprintf(why, wsize, "its name at file offset 0x%" PRIx64 " lies outside the string "
                 "pool (0x%" PRIx64 "-0x%" PRIx64 ")", off, pool, pend);
        return false;
    }
    uint64_t len = util_le32(t->d->map + off), room = (pend - off - 4) / 2;
    const uint8_t *s = t->d->map + off + 4;
    if (len > TRIAGE_NAME_MAX || len >= room || util_le16(s + 2 * len) != 0) {
        if (len % 2 == 0 && len / 2 < room && len / 2 <= TRIAGE_NAME_MAX &&
            util_le16(s + len) == 0)
            len /= 2;
        else {
            snprintf(why, wsize, "its name at file offset 0x%" PRIx64 " (%" PRIu64
                     " characters) is not a terminated string inside the pool", off, len);
            return false;
        }
    }
    util_utf16le_to_utf8(s, (size_t)len * 2, buf, size);
    return true;
}

static status_t triage_drivers(const triage_t *t, uint64_t *broken_idx)
{
    const dump_t *d = t->d;
    uint64_t list = t->f[T_DRIVERS], n = t->f[T_DRIVER_COUNT], pool = t->f[T_POOL];
    uint64_t min = d->wide ? 8 + 0x80 : 4 + 0x44, stride;
    unsigned pw = d->wide ? 8 : 4, lo = d->wide ? 8 : 4;
    char key[FILE_FACT_KEY_MAX], path[3 * TRIAGE_NAME_MAX + 1], why[200];

    *broken_idx = UINT64_MAX;
    if (n == 0 || list == 0)
        return VMI_SUCCESS;
    if (n > TRIAGE_MAX_DRIVERS) {
        util_err_set(d->err, "triage dump: DriverCount %" PRIu64 " is absurd (at most %u)",
                     n, TRIAGE_MAX_DRIVERS);
        return VMI_FAILURE;
    }
    /* The entries' size is the kernel's KLDR_DATA_TABLE_ENTRY's: measured
     * from the list to the string pool, which follows it 8-byte aligned
     * (so less than 8 bytes of padding; entries are ULONG-aligned, and on
     * x64 8-aligned).  With one entry the stride matters not. */
    stride = pool > list ? (pool - list) / n / lo * lo : 0;
    if (stride < min || stride > 0x400 || (pool - list) - stride * n >= 8) {
        util_err_set(d->err, "triage dump: cannot tell the size of the driver list's %" PRIu64
                     " entries (list at 0x%" PRIx64 ", string pool at 0x%" PRIx64 ": each "
                     "entry must take 0x%" PRIx64 "-0x400 bytes)", n, list, pool, min);
        return VMI_FAILURE;
    }
    if (!inside(t, "the driver list", list, n * stride) ||
        !inside(t, "the string pool", pool, t->f[T_POOL_SIZE]))
        return VMI_FAILURE;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t e = list + i * stride;
        const uint8_t *ldr = d->map + e + lo;
        if (!dump_string(t, util_le32(d->map + e), path, sizeof(path), why, sizeof(why))) {
            util_err_set(d->err, "triage dump: driver %" PRIu64 " (file offset 0x%" PRIx64
                         "): %s", i, e, why);
            return VMI_FAILURE;
        }
        const char *base = path;
        for (const char *p = path; *p; p++)
            if (*p == '\\' || *p == '/')
                base = p + 1;
#define MOD(field, value)                                                         \
        (snprintf(key, sizeof(key), "win.Triage.Module.%" PRIu64 "." field, i),  \
         num(d, key, (value)))
        snprintf(key, sizeof(key), "win.Triage.Module.%" PRIu64 ".Path", i);
        if (file_layout_add_text(d->out, key, path, d->err) != VMI_SUCCESS)
            return VMI_FAILURE;
        snprintf(key, sizeof(key), "win.Triage.Module.%" PRIu64 ".Name", i);
        if (file_layout_add_text(d->out, key, base, d->err) != VMI_SUCCESS ||
            MOD("DllBase", get(d, (size_t)(ldr - d->map) + (d->wide ? 0x30 : 0x18), pw)) !=
                VMI_SUCCESS ||
            MOD("SizeOfImage", util_le32(ldr + (d->wide ? 0x40 : 0x20))) != VMI_SUCCESS ||
            MOD("CheckSum", util_le32(ldr + (d->wide ? 0x78 : 0x40))) != VMI_SUCCESS ||
            MOD("Flink", get(d, (size_t)(ldr - d->map), pw)) != VMI_SUCCESS ||
            MOD("Blink", get(d, (size_t)(ldr - d->map) + pw, pw)) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (d->wide && stride == 8 + 0xa0 &&
            MOD("TimeDateStamp", util_le32(ldr + 0x9c)) != VMI_SUCCESS)
            return VMI_FAILURE;
#undef MOD
        if (e == t->f[T_BROKEN])
            *broken_idx = i;
    }
    return VMI_SUCCESS;
}

static status_t parse_triage(const dump_t *d)
{
    triage_t t = { .d = d };
    uint64_t tsize = d->wide ? 0x80 : 0x68;
    char key[FILE_FACT_KEY_MAX];

    d->out->memoryless = "a Windows kernel triage dump (a mini dump)";
    if (d->size < d->hdr + tsize) {
        util_err_set(d->err, "triage dump is truncated: TRIAGE_DUMP needs file bytes 0x%"
                     PRIx32 "-0x%" PRIx64 ", the file has 0x%zx", d->hdr, d->hdr + tsize,
                     d->size);
        return VMI_FAILURE;
    }
    for (int i = 0; i < T_COUNT; i++) {
        unsigned w = d->wide ? tfields[i].w64 : tfields[i].w32;
        t.f[i] = get(d, d->hdr + (d->wide ? tfields[i].off64 : tfields[i].off32), w);
    }
    t.end = t.f[T_SIZE];
    if (t.end > d->size) {
        util_err_set(d->err, "triage dump is truncated: SizeOfDump is 0x%" PRIx64 " bytes, "
                     "the file 0x%zx", t.end, d->size);
        return VMI_FAILURE;
    }
    if (t.end < d->hdr + tsize) {
        util_err_set(d->err, "triage dump: SizeOfDump 0x%" PRIx64 " is smaller than its "
                     "own headers (0x%" PRIx64 ")", t.end, d->hdr + tsize);
        return VMI_FAILURE;
    }
    if (!inside(&t, "ValidOffset", t.f[T_VALID], 4))
        return VMI_FAILURE;
    if (memcmp(d->map + t.f[T_VALID], "TRGD", 4) != 0) {
        util_err_set(d->err, "triage dump: no TRIAGE_DUMP_VALID mark ('DGRT') at "
                     "ValidOffset 0x%" PRIx64 ": not a whole triage dump", t.f[T_VALID]);
        return VMI_FAILURE;
    }
    for (int i = 0; i < T_COUNT; i++) {
        snprintf(key, sizeof(key), "win.Triage.%s", tfields[i].name);
        if (num(d, key, t.f[i]) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    /* Regions the dump names without saying where they lived: only their
     * place in the file is checked. */
    static const struct { int off; const char *what; } copies[] = {
        { T_CONTEXT, "the context record" }, { T_EXCEPTION, "the exception record" },
        { T_MM, "the Mm information" }, { T_UNLOADED, "the unloaded driver list" },
        { T_PRCB, "the KPRCB copy" }, { T_PROCESS, "the EPROCESS copy" },
        { T_THREAD, "the ETHREAD copy" }, { T_BROKEN, "the broken driver's entry" },
    };
    for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
        if (t.f[copies[i].off] && !inside(&t, copies[i].what, t.f[copies[i].off], 4))
            return VMI_FAILURE;

    /* Memory by virtual address, the copies of memory itself first. */
    uint64_t kdbg = d->wide ? util_le64(d->map + 0x80) : util_le32(d->map + 0x60);
    if (triage_blocks(&t) != VMI_SUCCESS ||
        (t.f[T_PAGE] && triage_run(&t, "the data page", 0, t.f[T_PAGE_VA], t.f[T_PAGE],
                                   t.f[T_PAGE_SIZE]) != VMI_SUCCESS) ||
        (t.f[T_STACK] && triage_run(&t, "the call stack", 0, t.f[T_TOP], t.f[T_STACK],
                                    t.f[T_STACK_SIZE]) != VMI_SUCCESS) ||
        (t.f[T_KDBG] && kdbg && kdbg != FILL64 && kdbg != FILL32 &&
         triage_run(&t, "the debugger data block", 0, kdbg, t.f[T_KDBG],
                    t.f[T_KDBG_SIZE]) != VMI_SUCCESS))
        return VMI_FAILURE;

    uint64_t broken;
    if (triage_drivers(&t, &broken) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (broken != UINT64_MAX && num(d, "win.Triage.BrokenDriver", broken) != VMI_SUCCESS)
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

/* ---- The whole dump ---- */

static bool windump_detect(const uint8_t *head, size_t filesize)
{
    return filesize >= 8 && memcmp(head, "PAGE", 4) == 0 &&
           (memcmp(head + 4, "DUMP", 4) == 0 || memcmp(head + 4, "DU64", 4) == 0);
}

/* The header's facts (hfields, texts, exception record, list heads). */
static status_t header_facts(const dump_t *d, bool pae)
{
    char key[FILE_FACT_KEY_MAX];
    for (size_t i = 0; i < sizeof(hfields) / sizeof(hfields[0]); i++) {
        const hfield_t *f = &hfields[i];
        size_t off = d->wide ? f->off64 : f->off32;
        snprintf(key, sizeof(key), "win.%s", f->name);
        if (field(d, key, off, d->wide ? f->w64 : f->w32) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    if (text_field(d, "win.VersionUser", d->wide ? 0x60 : 0x3c, 32) != VMI_SUCCESS ||
        text_field(d, "win.Comment", d->wide ? 0xfb0 : 0x820, 128) != VMI_SUCCESS ||
        exception_facts(d) != VMI_SUCCESS)
        return VMI_FAILURE;

    /* The kernel addresses the header names, unchecked: the Windows layer
     * tests each before use.  0 means unset too. */
    static const struct { const char *key; uint16_t off32, off64; } heads[] = {
        { "win.PsLoadedModuleList", 0x18, 0x20 },
        { "win.PsActiveProcessHead", 0x1c, 0x28 },
        { "win.KdDebuggerDataBlock", 0x60, 0x80 },
    };
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        size_t off = d->wide ? heads[i].off64 : heads[i].off32;
        uint64_t v = get(d, off, d->wide ? 8 : 4);
        if (v && !filler(d, off, d->wide ? 8 : 4) && num(d, heads[i].key, v) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    if (!d->wide && !filler(d, 0x5c, 1) && num(d, "win.PaeEnabled", pae) != VMI_SUCCESS)
        return VMI_FAILURE;
    uint32_t major = util_le32(d->map + 0x08), minor = util_le32(d->map + 0x0c);
    if ((major == 0xf || major == 0xc) && minor > 0 && minor <= 0xffff &&
        num(d, "win.BuildNumber", minor) != VMI_SUCCESS)
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

static status_t windump_parse(const uint8_t *map, size_t filesize, file_layout_t *out,
                              util_err_t *err)
{
    dump_t d = { map, filesize, false, 0, out, err };
    out->mem.unit = "crash dump run";
    if (!windump_detect(map, filesize)) {
        util_err_set(err, "not a Windows crash dump (no PAGEDUMP / PAGEDU64 signature)");
        return VMI_FAILURE;
    }
    d.wide = memcmp(map + 4, "DU64", 4) == 0;
    d.hdr = d.wide ? 0x2000 : 0x1000;
    if (filesize < d.hdr) {
        util_err_set(err, "crash dump is truncated: the %s header needs 0x%" PRIx32
                     " bytes, the file has 0x%zx", d.wide ? "64-bit" : "32-bit",
                     d.hdr, filesize);
        return VMI_FAILURE;
    }
    uint32_t machine = util_le32(map + (d.wide ? 0x30 : 0x20));
    uint32_t type = util_le32(map + (d.wide ? 0xf98 : 0xf88));
    uint64_t dtb = d.wide ? util_le64(map + 0x10) : util_le32(map + 0x10);
    bool pae = !d.wide && !filler(&d, 0x5c, 1) && map[0x5c] != 0;

    if ((d.wide && machine != 0x8664) || (!d.wide && machine != 0x14c)) {
        util_err_set(err, "crash dump header: machine 0x%" PRIx32 " in a %s dump (x86 "
                     "0x14c and x64 0x8664 are supported)", machine,
                     d.wide ? "64-bit" : "32-bit");
        return VMI_FAILURE;
    }
    if (header_facts(&d, pae) != VMI_SUCCESS)
        return VMI_FAILURE;
    uint32_t nruns;
    if (read_runs(&d, &nruns, true, type == DUMP_FULL) != VMI_SUCCESS)
        return VMI_FAILURE;

    status_t st;
    switch (type) {
    case DUMP_FULL:
        st = parse_runs(&d);
        break;
    case DUMP_SUMMARY:
    case DUMP_BITMAP_FULL:
    case DUMP_BITMAP_KERNEL:
    case DUMP_AUTOMATIC:
        st = parse_bitmap(&d);
        break;
    case DUMP_TRIAGE:
        st = parse_triage(&d);
        break;
    case DUMP_HEADER_ONLY:
        out->memoryless = "a header-only Windows crash dump (DumpType 3)";
        st = VMI_SUCCESS;
        break;
    default:
        util_err_set(err, "crash dump type %" PRIu32 " is not supported (full 1, kernel "
                     "summary 2, header 3, triage 4, bitmap 5, 6 and 7 are)", type);
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
             d.wide ? "64-bit" : "32-bit");
    file_vcpu_set(v, CR3, dtb);
    file_vcpu_set(v, CR0, (1ULL << 31) | 1ULL);        /* PG | PE */
    file_vcpu_set(v, CR4, (d.wide || pae ? 1ULL << 5 : 0) | 1ULL << 4); /* PAE, PSE */
    file_vcpu_set(v, MSR_EFER, d.wide ? (1ULL << 8 | 1ULL << 10 | 1ULL << 11) : 0);
    return context_regs(&d, v);
}

const file_format_t file_format_windump = { "windump", windump_detect, windump_parse };
