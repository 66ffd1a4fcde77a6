/*
 * winimage.h - builds Windows memory images for the tests, since no real
 * Windows guest or memory image can be had on the machines that run them.
 *
 * The images follow the real structure layouts of four kernels:
 *   xp-sp3-x86       Windows XP SP3 x86, 32-bit paging    (build 2600)
 *   xp-sp3-x86-pae   Windows XP SP3 x86, PAE paging       (build 2600)
 *   win7-sp1-x64     Windows 7 SP1 x64, IA-32e paging     (build 7601)
 *   win10-x64        Windows 10 2004 x64, IA-32e paging   (build 19041)
 * with the _EPROCESS / _KPROCESS offsets those kernels use (public facts,
 * from their PDBs as published in header dumps), the _LDR_DATA_TABLE_ENTRY
 * layout every Windows of a width shares, UNICODE_STRINGs, a kernel PE
 * image with sections, exports and a CodeView RSDS record, a KDBG block
 * (on Windows 10 encoded with KiWaitNever / KiWaitAlways as the kernel
 * does without a debugger, so without a visible tag), the
 * System process and others each with their own page tables (kernel half
 * shared, self-map entry as Windows keeps it), and a loaded-module list.
 * What is not real: the GUIDs (invented, and matched by the ISF files in
 * tests/data/windows/), the code (int3 filler), most data.
 *
 * The image can be written raw, as a full crash dump (runs), or as a
 * bitmap crash dump; hostile variants damage one thing each.
 *
 * Header-only (static functions) so the generator program and the unit
 * tests share it.  Test code: it exits on impossible requests.
 */
#ifndef TINYVMI_TESTS_WINIMAGE_H
#define TINYVMI_TESTS_WINIMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not every user calls every function. */
#define WI_FN static __attribute__((unused))

typedef enum wi_mode { WI_LEGACY, WI_PAE, WI_IA32E } wi_mode_t;

typedef struct wi_layout {
    const char *name;
    const char *isf;            /* file name under tests/data/windows/ */
    wi_mode_t mode;
    unsigned ptr;
    const char *pdb;            /* kernel PDB file name */
    uint8_t guid[16];
    uint32_t age;
    uint16_t build, os_major, os_minor;
    uint64_t kbase;             /* ntoskrnl's base */
    uint64_t klarge_va, klarge_pa; /* large page(s) holding nt (and hal) */
    unsigned nlarge;
    uint64_t hal_base;
    uint64_t pool;              /* where EPROCESS and LDR entries live */
    uint64_t peb;               /* a user address mapped in every process */
    /* _EPROCESS / _KPROCESS */
    uint32_t ep_size, ep_dtb, ep_user_dtb, ep_pid, ep_links, ep_ppid, ep_name, ep_peb;
    /* _LDR_DATA_TABLE_ENTRY */
    uint32_t ldr_size, ldr_base, ldr_entry, ldr_sizeofimage, ldr_full, ldr_basename;
    uint32_t kdbg_size;
    bool kdbg_encoded;
    unsigned selfmap;           /* index of the self-map entry */
} wi_layout_t;

/* RVAs inside the generated kernel image (the ISF files say the same). */
#define WI_TEXT      0x1000u
#define WI_RDATA     0x8000u
#define WI_DATA      0xA000u
#define WI_SIZE      0xC000u
#define WI_PSACTIVE  (WI_DATA + 0x000)
#define WI_PSLOADED  (WI_DATA + 0x010)
#define WI_NTBUILD   (WI_DATA + 0x020)
#define WI_SYSPROC   (WI_DATA + 0x028)
#define WI_WAITNEVER (WI_DATA + 0x030)
#define WI_WAITALWAYS (WI_DATA + 0x038)
#define WI_KDPENC    (WI_DATA + 0x040)
#define WI_KDBG      (WI_DATA + 0x100)

static const wi_layout_t wi_layouts[] = {
    { "xp-sp3-x86", "xp-sp3-x86.json", WI_LEGACY, 4, "ntoskrnl.pdb",
      { 0x5a, 0x1c, 0x0b, 0x7e, 0x21, 0x43, 0x4f, 0x2a,
        0x91, 0x11, 0x58, 0x8b, 0xe3, 0x00, 0x26, 0x01 }, 2,
      2600, 5, 1, 0x804d7000ULL, 0x80400000ULL, 0x400000ULL, 1, 0x806d0000ULL,
      0x82000000ULL, 0x7ffdf000ULL,
      0x260, 0x18, 0, 0x84, 0x88, 0x14c, 0x174, 0x1b0,
      0x50, 0x18, 0x1c, 0x20, 0x24, 0x2c, 0x290, false, 0x300 },
    { "xp-sp3-x86-pae", "xp-sp3-x86-pae.json", WI_PAE, 4, "ntkrnlpa.pdb",
      { 0x3e, 0x77, 0x9a, 0x30, 0x5d, 0x12, 0x44, 0x18,
        0xa0, 0x2b, 0x7c, 0x6e, 0x90, 0x4f, 0x26, 0x02 }, 1,
      2600, 5, 1, 0x804d7000ULL, 0x80400000ULL, 0x400000ULL, 2, 0x806d0000ULL,
      0x82000000ULL, 0x7ffdf000ULL,
      0x260, 0x18, 0, 0x84, 0x88, 0x14c, 0x174, 0x1b0,
      0x50, 0x18, 0x1c, 0x20, 0x24, 0x2c, 0x290, false, 3 },
    { "win7-sp1-x64", "win7-sp1-x64.json", WI_IA32E, 8, "ntkrnlmp.pdb",
      { 0xb9, 0xdb, 0x44, 0x38, 0x17, 0x20, 0x67, 0x49,
        0x7e, 0x1a, 0xa4, 0xa2, 0xc2, 0x04, 0x76, 0x07 }, 2,
      7601, 6, 1, 0xfffff80002a52000ULL, 0xfffff80002a00000ULL, 0x400000ULL, 1,
      0xfffff80002a09000ULL, 0xfffffa8000c00000ULL, 0x000007fffffd9000ULL,
      0x4d0, 0x28, 0, 0x180, 0x188, 0x290, 0x2e0, 0x338,
      0xa0, 0x30, 0x38, 0x40, 0x48, 0x58, 0x340, false, 0x1ed },
    { "win10-x64", "win10-x64.json", WI_IA32E, 8, "ntkrnlmp.pdb",
      { 0x41, 0xf8, 0x57, 0xc8, 0xc2, 0xc1, 0xf7, 0x93,
        0xd5, 0x7a, 0xc1, 0x34, 0xdc, 0x0e, 0xfa, 0x10 }, 1,
      19041, 10, 0, 0xfffff80467800000ULL, 0xfffff80467800000ULL, 0x400000ULL, 1,
      0xfffff80467200000ULL, 0xffffc50000000000ULL, 0x000000d2a4c3b000ULL,
      0xa40, 0x28, 0x388, 0x440, 0x448, 0x540, 0x5a8, 0x550,
      0xa0, 0x30, 0x38, 0x40, 0x48, 0x58, 0x368, true, 0x1c7 },
};
#define WI_NLAYOUTS (sizeof(wi_layouts) / sizeof(wi_layouts[0]))

/* The processes every image holds, in list order. */
typedef struct wi_proc_spec {
    const char *name;
    uint32_t pid, ppid;
} wi_proc_spec_t;
static const wi_proc_spec_t wi_procs[] = {
    { "System", 4, 0 },           { "smss.exe", 368, 4 },
    { "csrss.exe", 584, 368 },    { "winlogon.exe", 608, 368 },
    { "services.exe", 652, 608 }, { "lsass.exe", 664, 608 },
    { "svchost.exe", 852, 652 },  { "explorer.exe", 1724, 1688 },
    /* longer than ImageFileName's 15 bytes: Windows keeps the first 15 */
    { "averyveryverylongname.exe", 2044, 1724 },
};
#define WI_NPROCS (sizeof(wi_procs) / sizeof(wi_procs[0]))

/* The loaded modules, in list order (UTF-8 here, UTF-16 in the guest). */
typedef struct wi_mod_spec {
    const char *name;
    uint32_t size;
} wi_mod_spec_t;
static const wi_mod_spec_t wi_mods[] = {
    { "ntoskrnl.exe", WI_SIZE }, { "hal.dll", 0x3000 },
    { "kdcom.dll", 0xa000 },     { "Caf\xc3\xa9.sys", 0x7000 },
};
#define WI_NMODS (sizeof(wi_mods) / sizeof(wi_mods[0]))

typedef enum wi_hostile {
    WI_SANE = 0,
    WI_CYCLE,      /* the last process links back to the third, not the head */
    WI_BAD_PE,     /* ntoskrnl's PE signature is damaged */
    WI_WRONG_GUID, /* the kernel's CodeView GUID differs from the ISF's */
    WI_DECOY,      /* another kernel's image (another GUID) lies below the
                      real one, where a scan of kernel space meets it first */
} wi_hostile_t;

typedef struct wi_proc {
    char name[16];              /* as the guest holds it: at most 15 bytes */
    uint32_t pid, ppid;
    uint64_t eprocess, dtb, user_dtb;
} wi_proc_t;

typedef struct wi_mod {
    char name[64];
    uint64_t base, size, entry;
} wi_mod_t;

typedef struct wi_image {
    const wi_layout_t *L;
    uint8_t *mem;
    uint64_t memsize, next_pa;
    uint64_t sys_root;          /* CR3 of System */
    uint64_t pae_pd[4];         /* System's PAE directories */
    uint64_t pool_next, pool_end;
    wi_hostile_t hostile;
    uint8_t guid[16];           /* planted in the CodeView record */
    /* The ground truth the tests compare against. */
    wi_proc_t procs[WI_NPROCS];
    wi_mod_t mods[WI_NMODS];
    uint64_t ps_active, ps_loaded, kdbg;
    uint8_t kdbg_plain[0x400];  /* the KDBG before encoding (a triage dump's copy) */
} wi_image_t;

#define WI_MEMSIZE (16ULL << 20)
#define WI_POOL_PAGES 64u

/* tests/data/windows beside the test file src (its __FILE__), in buf. */
WI_FN void wi_datadir(char *buf, size_t size, const char *src)
{
    const char *slash = strrchr(src, '/');
    snprintf(buf, size, "%.*s/../data/windows", slash ? (int)(slash - src) : 1,
             slash ? src : ".");
}

WI_FN void wi_die(const char *what)
{
    fprintf(stderr, "winimage: %s\n", what);
    exit(2);
}

/* ---- Physical memory and page tables ---- */

WI_FN void wi_put(wi_image_t *w, uint64_t pa, uint64_t v, unsigned size)
{
    if (pa + size > w->memsize)
        wi_die("physical write out of range");
    for (unsigned i = 0; i < size; i++)
        w->mem[pa + i] = (uint8_t)(v >> (8 * i));
}

WI_FN uint64_t wi_get(const wi_image_t *w, uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)w->mem[pa + i] << (8 * i);
    return v;
}

WI_FN uint64_t wi_page(wi_image_t *w)
{
    uint64_t pa = w->next_pa;
    if (pa + 0x1000 > w->memsize)
        wi_die("out of physical memory");
    w->next_pa += 0x1000;
    memset(w->mem + pa, 0, 0x1000);
    return pa;
}

#define WI_P   0x1ULL
#define WI_RW  0x2ULL
#define WI_US  0x4ULL
#define WI_A   0x20ULL
#define WI_D   0x40ULL
#define WI_PS  0x80ULL
#define WI_NX  (1ULL << 63)
#define WI_ADDR 0x000ffffffffff000ULL

/* The entry for va at a level, creating the table below when asked. */
WI_FN uint64_t wi_table_walk(wi_image_t *w, uint64_t root, uint64_t va, bool user,
                              unsigned *leaf_size, bool create, uint64_t *slot_pa)
{
    const wi_layout_t *L = w->L;
    uint64_t table = root;
    uint64_t flags = WI_P | WI_RW | WI_A | (user ? WI_US : 0);
    if (L->mode == WI_LEGACY) {
        uint64_t pde = table + ((va >> 22) & 0x3ff) * 4;
        uint64_t e = wi_get(w, pde, 4);
        if (!(e & WI_P)) {
            if (!create)
                return 0;
            e = wi_page(w) | flags;
            wi_put(w, pde, e, 4);
        }
        if (e & WI_PS) {
            *leaf_size = 22;
            *slot_pa = pde;
            return e;
        }
        *leaf_size = 12;
        *slot_pa = (e & 0xfffff000ULL) + ((va >> 12) & 0x3ff) * 4;
        return wi_get(w, *slot_pa, 4);
    }
    unsigned levels = L->mode == WI_PAE ? 3 : 4;
    for (unsigned lvl = levels; lvl > 1; lvl--) {
        unsigned shift = 12 + 9 * (lvl - 1);
        uint64_t idx = L->mode == WI_PAE && lvl == 3 ? (va >> 30) & 3 : (va >> shift) & 0x1ff;
        uint64_t slot = table + idx * 8;
        uint64_t e = wi_get(w, slot, 8);
        if (!(e & WI_P)) {
            if (!create || (L->mode == WI_PAE && lvl == 3))
                return 0; /* PAE directories exist from the start */
            e = wi_page(w) | flags;
            wi_put(w, slot, e, 8);
        } else if (user && lvl > 1 && !(L->mode == WI_PAE && lvl == 3) && !(e & WI_US)) {
            e |= WI_US;
            wi_put(w, slot, e, 8);
        }
        if (e & WI_PS) {
            *leaf_size = shift;
            *slot_pa = slot;
            return e;
        }
        table = e & WI_ADDR;
    }
    *leaf_size = 12;
    *slot_pa = table + ((va >> 12) & 0x1ff) * 8;
    return wi_get(w, *slot_pa, 8);
}

WI_FN void wi_map(wi_image_t *w, uint64_t root, uint64_t va, uint64_t pa, bool user)
{
    unsigned leaf;
    uint64_t slot;
    wi_table_walk(w, root, va, user, &leaf, true, &slot);
    if (leaf != 12)
        wi_die("4K mapping inside a large page");
    uint64_t e = pa | WI_P | WI_RW | WI_A | WI_D | (user ? WI_US : 0);
    if (w->L->mode == WI_IA32E && !user)
        e |= WI_NX; /* data pages: no execute, as Windows maps pool */
    wi_put(w, slot, e, w->L->mode == WI_LEGACY ? 4 : 8);
}

/* A large page (4 MiB with 32-bit paging, else 2 MiB) for the kernel. */
WI_FN void wi_map_large(wi_image_t *w, uint64_t root, uint64_t va, uint64_t pa)
{
    const wi_layout_t *L = w->L;
    uint64_t e = pa | WI_P | WI_RW | WI_A | WI_D | WI_PS;
    if (L->mode == WI_LEGACY) {
        wi_put(w, root + ((va >> 22) & 0x3ff) * 4, e, 4);
        return;
    }
    /* Walk to the directory, creating tables, then write the PDE. */
    uint64_t table = root;
    unsigned levels = L->mode == WI_PAE ? 3 : 4;
    for (unsigned lvl = levels; lvl > 2; lvl--) {
        unsigned shift = 12 + 9 * (lvl - 1);
        uint64_t idx = L->mode == WI_PAE && lvl == 3 ? (va >> 30) & 3 : (va >> shift) & 0x1ff;
        uint64_t slot = table + idx * 8, t = wi_get(w, slot, 8);
        if (!(t & WI_P)) {
            t = wi_page(w) | WI_P | WI_RW | WI_A;
            wi_put(w, slot, t, 8);
        }
        table = t & WI_ADDR;
    }
    wi_put(w, table + ((va >> 21) & 0x1ff) * 8, e, 8);
}

WI_FN bool wi_v2p(wi_image_t *w, uint64_t root, uint64_t va, uint64_t *pa)
{
    unsigned leaf;
    uint64_t slot;
    uint64_t e = wi_table_walk(w, root, va, false, &leaf, false, &slot);
    if (!(e & WI_P))
        return false;
    uint64_t mask = (1ULL << leaf) - 1;
    uint64_t base = w->L->mode == WI_LEGACY ? (e & 0xfffff000ULL) : (e & WI_ADDR);
    *pa = (base & ~mask) + (va & mask);
    return true;
}

WI_FN void wi_write(wi_image_t *w, uint64_t va, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        uint64_t pa;
        if (!wi_v2p(w, w->sys_root, va, &pa))
            wi_die("write to an unmapped kernel address");
        size_t n = 0x1000 - (size_t)(va & 0xfff);
        if (n > len)
            n = len;
        if (pa + n > w->memsize)
            wi_die("write past physical memory");
        memcpy(w->mem + pa, p, n);
        p += n;
        va += n;
        len -= n;
    }
}

WI_FN void wi_wv(wi_image_t *w, uint64_t va, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    wi_write(w, va, b, size);
}
#define wi_w16(w, va, v) wi_wv(w, va, v, 2)
#define wi_w32(w, va, v) wi_wv(w, va, v, 4)
#define wi_w64(w, va, v) wi_wv(w, va, v, 8)
#define wi_wptr(w, va, v) wi_wv(w, va, v, (w)->L->ptr)

WI_FN uint64_t wi_kalloc(wi_image_t *w, uint64_t size, uint64_t align)
{
    uint64_t va = (w->pool_next + align - 1) & ~(align - 1);
    if (va + size > w->pool_end)
        wi_die("kernel pool exhausted");
    w->pool_next = va + size;
    return va;
}

/* A UNICODE_STRING at va for UTF-8 text s, its buffer in the pool. */
WI_FN void wi_unicode(wi_image_t *w, uint64_t va, const char *s)
{
    uint16_t buf[128];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < 127;) {
        uint32_t cp = *p++;
        if (cp >= 0xc0 && cp < 0xe0 && *p) {
            cp = (cp & 0x1f) << 6 | (*p++ & 0x3f);
        }
        buf[n++] = (uint16_t)cp;
    }
    uint64_t b = wi_kalloc(w, (n + 1) * 2, 8);
    for (size_t i = 0; i <= n; i++)
        wi_w16(w, b + 2 * i, i < n ? buf[i] : 0);
    wi_w16(w, va, n * 2);
    wi_w16(w, va + 2, (n + 1) * 2);
    wi_wptr(w, va + w->L->ptr, b);
}

/* ---- PE images ---- */

typedef struct wi_export {
    const char *name;           /* sorted by name in the table */
    uint32_t rva;
    const char *forwarder;
} wi_export_t;

/* What the generated kernel and HAL export (names sorted): the truth for
 * export lookups. */
static const wi_export_t wi_nt_exports[] = {
    { "ExAllocatePoolWithTag", WI_TEXT + 0x100, NULL },
    { "KeBugCheckEx", WI_TEXT + 0x200, NULL },
    { "NtBuildNumber", WI_NTBUILD, NULL },
    { "PsInitialSystemProcess", WI_SYSPROC, NULL },
    { "PsLoadedModuleList", WI_PSLOADED, NULL },
    { "RtlGetVersion", WI_TEXT + 0x300, NULL },
};
#define WI_NT_NEXPORTS (sizeof(wi_nt_exports) / sizeof(wi_nt_exports[0]))
static const wi_export_t wi_hal_exports[] = {
    { "HalInitSystem", WI_TEXT + 0x40, NULL },
    { "KeGetCurrentIrql", 0, "ntoskrnl.KeGetCurrentIrql" },
};
#define WI_HAL_NEXPORTS (sizeof(wi_hal_exports) / sizeof(wi_hal_exports[0]))

typedef struct wi_pe_spec {
    bool pe64;
    uint32_t size_of_image;
    uint16_t os_major, os_minor;
    uint64_t image_base;
    const char *dll_name;
    const char *pdb_path;
    const uint8_t *guid;
    uint32_t age;
    const wi_export_t *exports;
    size_t nexports;
} wi_pe_spec_t;

typedef void (*wi_put_fn)(void *ctx, uint32_t rva, const void *data, size_t len);

WI_FN void wi_pe_v(wi_put_fn put, void *ctx, uint32_t rva, uint64_t v, unsigned size)
{
    uint8_t b[8];
    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(ctx, rva, b, size);
}

/* Lay out a PE image: headers at 0, .text at WI_TEXT, .rdata (debug
 * directory, CodeView record, export directory) at WI_RDATA, .data at
 * WI_DATA.  Export names begin just below a page boundary so that the
 * first one straddles it. */
WI_FN void wi_build_pe(const wi_pe_spec_t *s, wi_put_fn put, void *ctx)
{
    uint8_t page[0x400];
    memset(page, 0, sizeof(page));
    page[0] = 'M';
    page[1] = 'Z';
    page[0x3c] = 0x80;
    memcpy(page + 0x4e, "This program cannot be run in DOS mode.\r\r\n$", 43);
    memcpy(page + 0x80, "PE\0\0", 4);
    uint8_t *fh = page + 0x84;
    uint16_t machine = s->pe64 ? 0x8664 : 0x14c;
    uint16_t opt_size = s->pe64 ? 0xf0 : 0xe0;
    fh[0] = (uint8_t)machine;
    fh[1] = (uint8_t)(machine >> 8);
    fh[2] = 3; /* sections */
    fh[4] = 0x5b; fh[5] = 0x4c; fh[6] = 0x81; fh[7] = 0x4a; /* TimeDateStamp */
    fh[16] = (uint8_t)opt_size;
    fh[18] = s->pe64 ? 0x22 : 0x22;
    fh[19] = s->pe64 ? 0x00 : 0x01;
    uint8_t *o = page + 0x98;
    o[0] = s->pe64 ? 0x0b : 0x0b;
    o[1] = s->pe64 ? 0x02 : 0x01;
    o[2] = 9; /* linker */
#define O16(off, v) do { o[off] = (uint8_t)(v); o[(off) + 1] = (uint8_t)((v) >> 8); } while (0)
#define O32(off, v) do { O16(off, (v) & 0xffff); O16((off) + 2, ((uint64_t)(v) >> 16) & 0xffff); } while (0)
    O32(4, 0x7000);          /* SizeOfCode */
    O32(16, WI_TEXT);        /* AddressOfEntryPoint */
    O32(20, WI_TEXT);        /* BaseOfCode */
    if (s->pe64) {
        O32(24, s->image_base & 0xffffffff);
        O32(28, s->image_base >> 32);
    } else {
        O32(24, WI_RDATA);   /* BaseOfData */
        O32(28, s->image_base);
    }
    O32(32, 0x1000);         /* SectionAlignment */
    O32(36, 0x200);          /* FileAlignment */
    O16(40, s->os_major);
    O16(42, s->os_minor);
    O16(44, s->os_major);
    O16(46, s->os_minor);
    O16(48, s->os_major);
    O16(50, s->os_minor);
    O32(56, s->size_of_image);
    O32(60, 0x400);          /* SizeOfHeaders */
    O16(68, 1);              /* native */
    unsigned dirs = s->pe64 ? 112 : 96;
    O32(dirs - 4, 16);       /* NumberOfRvaAndSizes */
    O32(dirs + 0, WI_RDATA + 0x400);  /* export */
    O32(dirs + 4, 0xd00);
    O32(dirs + 48, WI_RDATA);         /* debug */
    O32(dirs + 52, 28);
#undef O16
#undef O32
    static const struct { const char *name; uint32_t va, size, chars; } secs[3] = {
        { ".text", WI_TEXT, 0x7000, 0x68000020u },
        { ".rdata", WI_RDATA, 0x2000, 0x48000040u },
        { ".data", WI_DATA, 0x2000, 0xc8000040u },
    };
    uint8_t *sh = page + 0x98 + opt_size;
    for (int i = 0; i < 3; i++, sh += 40) {
        memcpy(sh, secs[i].name, strlen(secs[i].name));
        for (int k = 0; k < 4; k++) {
            sh[8 + k] = (uint8_t)(secs[i].size >> (8 * k));
            sh[12 + k] = (uint8_t)(secs[i].va >> (8 * k));
            sh[36 + k] = (uint8_t)(secs[i].chars >> (8 * k));
        }
    }
    put(ctx, 0, page, sizeof(page));

    /* .text: int3 filler, one page. */
    uint8_t cc[0x1000];
    memset(cc, 0xcc, sizeof(cc));
    put(ctx, WI_TEXT, cc, sizeof(cc));

    /* Debug directory: one CodeView entry. */
    uint32_t cv = WI_RDATA + 0x40;
    size_t pdblen = strlen(s->pdb_path) + 1;
    wi_pe_v(put, ctx, WI_RDATA + 12, 2, 4);                  /* Type: CodeView */
    wi_pe_v(put, ctx, WI_RDATA + 16, 24 + pdblen, 4);        /* SizeOfData */
    wi_pe_v(put, ctx, WI_RDATA + 20, cv, 4);                 /* AddressOfRawData */
    wi_pe_v(put, ctx, WI_RDATA + 24, 0x8400, 4);             /* PointerToRawData */
    put(ctx, cv, "RSDS", 4);
    put(ctx, cv + 4, s->guid, 16);
    wi_pe_v(put, ctx, cv + 20, s->age, 4);
    put(ctx, cv + 24, s->pdb_path, pdblen);

    /* Export directory at .rdata+0x400; functions in reverse name order so
     * the ordinal table matters. */
    uint32_t ed = WI_RDATA + 0x400, n = (uint32_t)s->nexports;
    uint32_t funcs = ed + 40, names = funcs + 4 * n, ords = names + 4 * n;
    uint32_t str = WI_RDATA + 0x1000 - 6; /* straddles the page boundary */
    uint32_t fwd = WI_RDATA + 0x1080;
    wi_pe_v(put, ctx, ed + 16, 1, 4);                        /* Base */
    wi_pe_v(put, ctx, ed + 20, n, 4);
    wi_pe_v(put, ctx, ed + 24, n, 4);
    wi_pe_v(put, ctx, ed + 28, funcs, 4);
    wi_pe_v(put, ctx, ed + 32, names, 4);
    wi_pe_v(put, ctx, ed + 36, ords, 4);
    for (uint32_t i = 0; i < n; i++) {
        const wi_export_t *e = &s->exports[i];
        uint32_t fi = n - 1 - i;
        size_t len = strlen(e->name) + 1;
        wi_pe_v(put, ctx, names + 4 * i, str, 4);
        put(ctx, str, e->name, len);
        str += (uint32_t)len;
        wi_pe_v(put, ctx, ords + 2 * i, fi, 2);
        if (e->forwarder) {
            size_t flen = strlen(e->forwarder) + 1;
            put(ctx, fwd, e->forwarder, flen);
            wi_pe_v(put, ctx, funcs + 4 * fi, fwd, 4);
            fwd += (uint32_t)flen;
        } else {
            wi_pe_v(put, ctx, funcs + 4 * fi, e->rva, 4);
        }
    }
    wi_pe_v(put, ctx, ed + 12, str, 4);                      /* Name */
    put(ctx, str, s->dll_name, strlen(s->dll_name) + 1);
}

typedef struct wi_va_put {
    wi_image_t *w;
    uint64_t base;
} wi_va_put_t;

WI_FN void wi_put_va(void *ctx, uint32_t rva, const void *data, size_t len)
{
    wi_va_put_t *p = ctx;
    wi_write(p->w, p->base + rva, data, len);
}

/* ---- The image ---- */

WI_FN const wi_layout_t *wi_layout(const char *name)
{
    for (size_t i = 0; i < WI_NLAYOUTS; i++)
        if (!strcmp(wi_layouts[i].name, name))
            return &wi_layouts[i];
    return NULL;
}

WI_FN uint64_t wi_new_root(wi_image_t *w)
{
    uint64_t root = wi_page(w);
    if (w->L->mode == WI_PAE) {
        /* A PDPT of four directories (the first 32 bytes of the page). */
        for (int i = 0; i < 4; i++)
            wi_put(w, root + 8 * i, wi_page(w) | WI_P, 8);
    }
    return root;
}

/* Copy the kernel half of System's tables into a process's root and point
 * the self-map entry at the process's own root. */
WI_FN void wi_share_kernel(wi_image_t *w, uint64_t root)
{
    const wi_layout_t *L = w->L;
    if (L->mode == WI_LEGACY) {
        memcpy(w->mem + root + 512 * 4, w->mem + w->sys_root + 512 * 4, 512 * 4);
        wi_put(w, root + L->selfmap * 4, root | WI_P | WI_RW | WI_A | WI_D, 4);
    } else if (L->mode == WI_PAE) {
        /* The kernel's directories (2 and 3) are shared. */
        wi_put(w, root + 16, wi_get(w, w->sys_root + 16, 8), 8);
        wi_put(w, root + 24, wi_get(w, w->sys_root + 24, 8), 8);
    } else {
        memcpy(w->mem + root + 256 * 8, w->mem + w->sys_root + 256 * 8, 256 * 8);
        wi_put(w, root + L->selfmap * 8, root | WI_P | WI_RW | WI_A | WI_D | WI_NX, 8);
    }
}

WI_FN void wi_selfmap_system(wi_image_t *w)
{
    const wi_layout_t *L = w->L;
    if (L->mode == WI_LEGACY) {
        wi_put(w, w->sys_root + L->selfmap * 4, w->sys_root | WI_P | WI_RW | WI_A | WI_D, 4);
    } else if (L->mode == WI_PAE) {
        /* PD3[0..3] = PD0..PD3: the page tables appear at 0xc0000000. */
        uint64_t pd3 = wi_get(w, w->sys_root + 24, 8) & WI_ADDR;
        for (int i = 0; i < 4; i++)
            wi_put(w, pd3 + 8 * i, (wi_get(w, w->sys_root + 8 * i, 8) & WI_ADDR) | WI_P |
                   WI_RW | WI_A | WI_D, 8);
    } else {
        wi_put(w, w->sys_root + L->selfmap * 8, w->sys_root | WI_P | WI_RW | WI_A | WI_D |
               WI_NX, 8);
    }
}

/* Where WI_DECOY puts the other kernel: below the real one, in a large
 * page already mapped (the kernel's own, else hal's on Windows 10, whose
 * kernel starts its large page). */
WI_FN uint64_t wi_decoy_va(const wi_layout_t *L)
{
    if (L->kbase - L->klarge_va >= 0x20000 + WI_SIZE)
        return L->klarge_va + 0x20000;
    return L->hal_base + 0x100000;
}

WI_FN uint64_t wi_sx(const wi_image_t *w, uint64_t v)
{
    /* KDBG keeps 32-bit pointers sign-extended. */
    if (w->L->ptr == 4 && (v & 0x80000000ULL))
        v |= 0xffffffff00000000ULL;
    return v;
}

/* The keys planted in the Windows 10 image (KiWaitNever, KiWaitAlways). */
#define WI_KEY_NEVER  0x5b27a5e1d04c7a33ULL
#define WI_KEY_ALWAYS 0xc1d3f4a9e8b7d6c5ULL

/* One 64-bit word of the KDBG as Windows 8+ x64 encodes it when booted
 * without a debugger (KdEncodeDataBlock, as the public write-ups on the
 * decompiled kernel describe it):
 *   enc = Never ^ ror64(&KdpDataBlockEncoded ^ bswap64(Always ^ plain), Never & 63)
 * The address mixed in is that of the KdpDataBlockEncoded flag, not the
 * block's.  Written independently of src/os/windows/kdbg.c's decoder so
 * that the test compares two implementations. */
WI_FN uint64_t wi_kdbg_encode(uint64_t plain, uint64_t never, uint64_t always,
                              uint64_t flag_va)
{
    uint64_t v = always ^ plain, sw = 0;
    for (int i = 0; i < 8; i++)
        sw = (sw << 8) | ((v >> (8 * i)) & 0xff);
    v = flag_va ^ sw;
    unsigned r = (unsigned)(never & 63);
    if (r)
        v = (v >> r) | (v << (64 - r));
    return never ^ v;
}

/* Build the whole image in memory (w->mem, WI_MEMSIZE bytes of physical
 * memory) with one hostile change, or none. */
WI_FN void wi_build(wi_image_t *w, const wi_layout_t *L, wi_hostile_t hostile)
{
    memset(w, 0, sizeof(*w));
    w->L = L;
    w->hostile = hostile;
    w->memsize = WI_MEMSIZE;
    w->mem = calloc(1, w->memsize);
    if (!w->mem)
        wi_die("out of memory");
    w->next_pa = 0x800000; /* below: firmware, and the kernel's large pages */
    memcpy(w->guid, L->guid, 16);
    if (hostile == WI_WRONG_GUID)
        w->guid[15] ^= 0x5a;

    /* Page tables of System: the kernel's large pages, the pool, the
     * self-map. */
    w->sys_root = wi_new_root(w);
    for (unsigned i = 0; i < L->nlarge; i++) {
        uint64_t span = L->mode == WI_LEGACY ? 0x400000 : 0x200000;
        wi_map_large(w, w->sys_root, L->klarge_va + i * span, L->klarge_pa + i * span);
    }
    if (L->hal_base < L->klarge_va || L->hal_base >= L->klarge_va + L->nlarge *
                                                       (L->mode == WI_LEGACY ? 0x400000u
                                                                             : 0x200000u))
        wi_map_large(w, w->sys_root, L->hal_base & ~0x1fffffULL, 0x600000);
    for (unsigned i = 0; i < WI_POOL_PAGES; i++)
        wi_map(w, w->sys_root, L->pool + 0x1000ULL * i, wi_page(w), false);
    /* KUSER_SHARED_DATA (and, on 32-bit, the KPCR page next to it): the
     * kernel's fixed pages at the top of the address space. */
    uint64_t shared = L->ptr == 8 ? 0xfffff78000000000ULL : 0xffdf0000ULL;
    uint64_t shared_pa = wi_page(w);
    wi_map(w, w->sys_root, shared, shared_pa, false);
    if (L->ptr == 4)
        wi_map(w, w->sys_root, 0xffdff000ULL, wi_page(w), false);
    wi_put(w, shared_pa + 0x26c, L->os_major, 4); /* NtMajorVersion */
    wi_put(w, shared_pa + 0x270, L->os_minor, 4); /* NtMinorVersion */
    if (L->os_major >= 6)
        wi_put(w, shared_pa + 0x260, L->build, 4); /* NtBuildNumber */
    w->pool_next = L->pool + 0x40; /* pool blocks start past a header */
    w->pool_end = L->pool + 0x1000ULL * WI_POOL_PAGES;
    wi_selfmap_system(w);

    /* The kernel image. */
    char pdbpath[128];
    snprintf(pdbpath, sizeof(pdbpath), "d:\\%s.obj.%s\\ntos\\%s", L->name,
             L->ptr == 8 ? "amd64fre" : "x86fre", L->pdb);
    wi_pe_spec_t nt = { L->ptr == 8, WI_SIZE, L->os_major, L->os_minor,
                        L->ptr == 8 ? 0x140000000ULL : 0x400000ULL,
                        L->mode == WI_PAE ? "ntkrnlpa.exe" : "ntoskrnl.exe", pdbpath,
                        w->guid, L->age, wi_nt_exports, WI_NT_NEXPORTS };
    wi_va_put_t vp = { w, L->kbase };
    wi_build_pe(&nt, wi_put_va, &vp);
    if (hostile == WI_BAD_PE)
        wi_write(w, L->kbase + 0x80, "PX\0\0", 4);
    if (hostile == WI_DECOY) {
        /* A kernel of the same name but another build, as a stale copy left
         * in memory would be: a valid image a scan cannot tell from the
         * running kernel, except by its GUID. */
        uint8_t other[16];
        memcpy(other, w->guid, 16);
        other[0] ^= 0xa5;
        wi_pe_spec_t decoy = nt;
        decoy.guid = other;
        wi_va_put_t dp = { w, wi_decoy_va(L) };
        wi_build_pe(&decoy, wi_put_va, &dp);
    }

    static const uint8_t hal_guid[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                          0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01 };
    wi_pe_spec_t hal = { L->ptr == 8, WI_SIZE, L->os_major, L->os_minor,
                         L->ptr == 8 ? 0x180000000ULL : 0x10000ULL, "hal.dll",
                         "hal.pdb", hal_guid, 1, wi_hal_exports, WI_HAL_NEXPORTS };
    wi_va_put_t hp = { w, L->hal_base };
    wi_build_pe(&hal, wi_put_va, &hp);

    /* Processes. */
    w->ps_active = L->kbase + WI_PSACTIVE;
    uint64_t prev = w->ps_active;
    for (size_t i = 0; i < WI_NPROCS; i++) {
        wi_proc_t *p = &w->procs[i];
        const wi_proc_spec_t *ps = &wi_procs[i];
        uint64_t ep = wi_kalloc(w, L->ep_size, 0x40);
        p->eprocess = ep;
        p->pid = ps->pid;
        p->ppid = ps->ppid;
        snprintf(p->name, sizeof(p->name), "%.15s", ps->name);
        p->dtb = i == 0 ? w->sys_root : wi_new_root(w);
        wi_w32(w, ep, 3);                           /* Pcb.Header.Type: process */
        wi_wptr(w, ep + L->ep_dtb, p->dtb);
        wi_wptr(w, ep + L->ep_pid, p->pid);
        wi_wptr(w, ep + L->ep_ppid, p->ppid);
        wi_write(w, ep + L->ep_name, ps->name,
                 strlen(ps->name) < 15 ? strlen(ps->name) + 1 : 15);
        if (i)
            wi_wptr(w, ep + L->ep_peb, L->peb);
        /* Links: prev.Flink = me, me.Blink = prev. */
        wi_wptr(w, prev, ep + L->ep_links);
        wi_wptr(w, ep + L->ep_links + L->ptr, prev);
        prev = ep + L->ep_links;
    }
    wi_wptr(w, prev, w->ps_active);
    wi_wptr(w, w->ps_active + L->ptr, prev);
    if (hostile == WI_CYCLE)
        wi_wptr(w, prev, w->procs[2].eprocess + L->ep_links);
    wi_wptr(w, L->kbase + WI_SYSPROC, w->procs[0].eprocess);
    wi_w32(w, L->kbase + WI_NTBUILD, 0xf0000000u | L->build);

    /* Loaded modules. */
    w->ps_loaded = L->kbase + WI_PSLOADED;
    prev = w->ps_loaded;
    static const uint64_t mod_offsets[] = { 0, 0, 0x400000, 0x600000 };
    for (size_t i = 0; i < WI_NMODS; i++) {
        wi_mod_t *m = &w->mods[i];
        uint64_t e = wi_kalloc(w, L->ldr_size, 0x10);
        snprintf(m->name, sizeof(m->name), "%s", wi_mods[i].name);
        m->base = i == 0 ? L->kbase : i == 1 ? L->hal_base : L->kbase + mod_offsets[i] +
                                                               0x1000000;
        m->size = wi_mods[i].size;
        m->entry = e;
        char full[96];
        snprintf(full, sizeof(full), "\\SystemRoot\\system32\\%s%s",
                 i >= 2 ? "drivers\\" : "", wi_mods[i].name);
        wi_wptr(w, e + L->ldr_base, m->base);
        wi_wptr(w, e + L->ldr_entry, m->base + WI_TEXT);
        wi_w32(w, e + L->ldr_sizeofimage, m->size);
        wi_unicode(w, e + L->ldr_full, full);
        wi_unicode(w, e + L->ldr_basename, wi_mods[i].name);
        wi_wptr(w, prev, e);
        wi_wptr(w, e + L->ptr, prev);
        prev = e;
    }
    wi_wptr(w, prev, w->ps_loaded);
    wi_wptr(w, w->ps_loaded + L->ptr, prev);

    /* The kernel debugger data block: written plain, then, on Windows 10,
     * encoded in place as the kernel does at boot without a debugger
     * (wi_kdbg_encode). */
    w->kdbg = L->kbase + WI_KDBG;
    uint64_t list = L->kbase + WI_DATA + 0xf0; /* KdpDebuggerDataListHead */
    wi_w64(w, list, wi_sx(w, w->kdbg));
    wi_w64(w, list + 8, wi_sx(w, w->kdbg));
    wi_w64(w, w->kdbg, wi_sx(w, list));
    wi_w64(w, w->kdbg + 8, wi_sx(w, list));
    wi_write(w, w->kdbg + 0x10, "KDBG", 4);
    wi_w32(w, w->kdbg + 0x14, L->kdbg_size);
    wi_w64(w, w->kdbg + 0x18, wi_sx(w, L->kbase));
    wi_w64(w, w->kdbg + 0x48, wi_sx(w, w->ps_loaded));
    wi_w64(w, w->kdbg + 0x50, wi_sx(w, w->ps_active));
    for (uint32_t off = 0; off < L->kdbg_size && off < sizeof(w->kdbg_plain); off++) {
        uint64_t pa;
        if (!wi_v2p(w, w->sys_root, w->kdbg + off, &pa))
            wi_die("KDBG unmapped");
        w->kdbg_plain[off] = w->mem[pa];
    }
    if (L->kdbg_encoded) {
        /* Boot-random keys in the real kernel; fixed here.  KiWaitNever's
         * low six bits (the rotation) are 0x33 & 63 = 51. */
        wi_w64(w, L->kbase + WI_WAITNEVER, WI_KEY_NEVER);
        wi_w64(w, L->kbase + WI_WAITALWAYS, WI_KEY_ALWAYS);
        wi_w64(w, L->kbase + WI_KDPENC, 1);
        for (uint32_t off = 0; off + 8 <= L->kdbg_size; off += 8) {
            uint64_t pa;
            if (!wi_v2p(w, w->sys_root, w->kdbg + off, &pa))
                wi_die("KDBG unmapped");
            wi_put(w, pa, wi_kdbg_encode(wi_get(w, pa, 8), WI_KEY_NEVER, WI_KEY_ALWAYS,
                                         L->kbase + WI_KDPENC), 8);
        }
    }

    /* Process page tables: the shared kernel half, and a user page each
     * holding a marker the tests read through the process's table. */
    for (size_t i = 1; i < WI_NPROCS; i++) {
        wi_proc_t *p = &w->procs[i];
        wi_share_kernel(w, p->dtb);
        uint64_t pa = wi_page(w);
        wi_map(w, p->dtb, L->peb, pa, true);
        char marker[64];
        int n = snprintf(marker, sizeof(marker), "PEB of %s, pid %u", p->name, p->pid);
        memcpy(w->mem + pa + 0x800, marker, (size_t)n + 1);
        if (L->ep_user_dtb && !strcmp(wi_procs[i].name, "explorer.exe")) {
            /* KVA shadowing: a second root for user mode. */
            uint64_t u = wi_page(w);
            memcpy(w->mem + u, w->mem + p->dtb, 0x1000);
            p->user_dtb = u;
            wi_wptr(w, p->eprocess + L->ep_user_dtb, u);
        }
    }
}

WI_FN void wi_free(wi_image_t *w)
{
    free(w->mem);
    w->mem = NULL;
}

/* ---- Output ---- */

WI_FN bool wi_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

WI_FN bool wi_write_raw(const wi_image_t *w, const char *path)
{
    return wi_write_file(path, w->mem, w->memsize);
}

/* ---- Crash dumps ----
 *
 * Written from Microsoft's layouts (DUMP_HEADER32/64 in the SDK's
 * mindumpdef.h; SUMMARY_DUMP, TRIAGE_DUMP, TRIAGE_DATA_BLOCK,
 * DUMP_DRIVER_ENTRY, DUMP_STRING in ntiodump.h; CONTEXT and
 * EXCEPTION_RECORD in winnt.h), independently of src/driver/file_windump.c,
 * so that a test compares two readings of the documents.  Every header
 * field is set to a value the tests know (wi_dump_truth_t); fields Windows
 * leaves unset keep the "PAGE" filler. */

typedef enum wi_dump_kind {
    WI_DUMP_FULL,          /* DumpType 1: the runs' pages */
    WI_DUMP_BITMAP,        /* as Windows writes a bitmap dump of this width:
                              x64 DumpType 5 "FDMP" (64-bit fields),
                              x86 DumpType 2 "SDMP" (SUMMARY_DUMP32) */
    WI_DUMP_KERNEL,        /* DumpType 2 "SDMP": x64 64-bit fields, x86 SUMMARY_DUMP32 */
    WI_DUMP_BITMAP_KERNEL, /* DumpType 6 "SDMP", 64-bit fields, either width */
    WI_DUMP_SUMMARY_OLD64, /* DumpType 2 with ntiodump.h's SUMMARY_DUMP64 (32-bit fields) */
    WI_DUMP_HEADER,        /* DumpType 3: the header alone */
    WI_DUMP_TRIAGE,        /* DumpType 4: a kernel mini dump */
    WI_DUMP_TRIAGE_KPE,    /* a triage dump whose data blocks hold ntoskrnl's PE
                              headers and CodeView record too */
    WI_DUMP_NKINDS
} wi_dump_kind_t;

/* One run a triage dump holds by virtual address. */
typedef struct wi_vrun {
    const char *what;
    uint64_t va, len, off;      /* off: where in the file */
} wi_vrun_t;

#define WI_MAX_VRUNS 8

/* What a dump's header and triage data say: the tests' ground truth. */
typedef struct wi_dump_truth {
    uint32_t type;
    uint64_t bugcheck, param[4];
    uint64_t systime, uptime, required;
    uint32_t nproc, product, suite, boot_id, kd_secondary, minidump_fields;
    const char *comment, *version_user;
    uint64_t exc_code, exc_flags, exc_address, exc_info[2];
    uint64_t ctx_flags, rip, rsp, rax, rbx;
    /* bitmap dumps */
    uint64_t first_page, bitmap_bits, pages_stored;
    /* triage dumps */
    uint64_t size, valid_off, list_off, pool_off, pool_size, prcb_off, process_off,
        thread_off, mm_off, unloaded_off, broken_off, stride;
    wi_vrun_t vruns[WI_MAX_VRUNS];
    unsigned nvruns;
    uint32_t checksum[WI_NMODS], timestamp[WI_NMODS];
    char path[WI_NMODS][96];
} wi_dump_truth_t;

/* Hostile changes to a triage dump, one each. */
typedef enum wi_triage_hostile {
    WI_TRIAGE_SANE = 0,
    WI_TRIAGE_TRUNCATED,       /* the file ends before SizeOfDump */
    WI_TRIAGE_NO_VALID,        /* the 'DGRT' mark is missing */
    WI_TRIAGE_VALID_PAST_END,  /* ValidOffset past SizeOfDump */
    WI_TRIAGE_BLOCKS_HUGE,     /* DataBlocksCount absurd */
    WI_TRIAGE_BLOCK_PAST_END,  /* a data block's bytes lie past SizeOfDump */
    WI_TRIAGE_BLOCK_WRAPS,     /* a data block wraps past the top of memory */
    WI_TRIAGE_DRIVERS_HUGE,    /* DriverCount absurd */
    WI_TRIAGE_NAME_OUTSIDE,    /* a driver's name lies outside the string pool */
    WI_TRIAGE_NAME_UNTERMINATED, /* a DUMP_STRING's length runs past the pool */
    WI_TRIAGE_STRIDE,          /* the pool does not follow the list */
    WI_TRIAGE_OVERLAP,         /* a data block overlaps another, with other bytes */
    WI_TRIAGE_NHOSTILE
} wi_triage_hostile_t;

/* The hostile change by name (gen-winimage --triage-hostile). */
static const char *const wi_triage_hostile_names[WI_TRIAGE_NHOSTILE] = {
    "sane", "truncated", "no-valid", "valid-past-end", "blocks-huge", "block-past-end",
    "block-wraps", "drivers-huge", "name-outside", "name-unterminated", "stride",
    "overlap",
};

typedef struct wi_buf {
    uint8_t *d;
    size_t n;
} wi_buf_t;

WI_FN void wi_b_put(wi_buf_t *b, size_t off, uint64_t v, unsigned size)
{
    if (off + size > b->n)
        wi_die("dump write out of range");
    for (unsigned i = 0; i < size; i++)
        b->d[off + i] = (uint8_t)(v >> (8 * i));
}

WI_FN void wi_b_bytes(wi_buf_t *b, size_t off, const void *p, size_t len)
{
    if (off + len > b->n)
        wi_die("dump write out of range");
    memcpy(b->d + off, p, len);
}

/* len bytes of kernel virtual memory, through System's tables. */
WI_FN void wi_read_va(wi_image_t *w, uint64_t va, void *out, size_t len)
{
    uint8_t *o = out;
    for (size_t i = 0; i < len; i++) {
        uint64_t pa;
        if (!wi_v2p(w, w->sys_root, va + i, &pa))
            wi_die("read of an unmapped kernel address");
        o[i] = w->mem[pa];
    }
}

/* A DUMP_STRING: ULONG length in characters, UTF-16 text, NUL; returns the
 * bytes taken. */
WI_FN size_t wi_dump_string(wi_buf_t *b, size_t off, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
        uint32_t cp = *p++;
        if (cp >= 0xc0 && cp < 0xe0 && *p)
            cp = (cp & 0x1f) << 6 | (*p++ & 0x3f);
        wi_b_put(b, off + 4 + 2 * n, cp, 2);
    }
    wi_b_put(b, off + 4 + 2 * n, 0, 2);
    wi_b_put(b, off, n, 4);
    return 4 + 2 * n + 2;
}

#define WI_ALIGN8(x) (((x) + 7) & ~(uint64_t)7)

/* The dump header: every field set, or left as the filler. */
WI_FN void wi_dump_header(const wi_image_t *w, wi_buf_t *b, wi_dump_kind_t kind,
                          wi_dump_truth_t *t)
{
    const wi_layout_t *L = w->L;
    bool wide = L->ptr == 8;
    size_t pw = wide ? 8 : 4;
    static const uint32_t types[WI_DUMP_NKINDS] = { 1, 0, 2, 6, 2, 3, 4, 4 };
    t->type = kind == WI_DUMP_BITMAP ? (wide ? 5u : 2u) : types[kind];
    t->bugcheck = t->type == 4 ? 0xd1 : 0xe2;
    t->param[0] = 0x1234;
    t->param[1] = 2;
    t->param[2] = 0;
    t->param[3] = L->kbase + WI_TEXT + 0x200;
    t->systime = 0x01d6f1c2a3b4c5d6ULL;
    t->uptime = 0x2540be400ULL;
    t->nproc = 2;
    t->product = 1;
    t->suite = 0x100;
    t->boot_id = 7;
    t->kd_secondary = 0x41;
    t->comment = "TinyVMI generated dump";
    t->version_user = "tinyvmi-gen";
    t->exc_code = 0x80000003;
    t->exc_flags = 1;
    t->exc_address = L->kbase + WI_TEXT + 0x200;
    t->exc_info[0] = 0x11;
    t->exc_info[1] = 0x22;
    t->ctx_flags = wide ? 0x100007 : 0x10007;
    t->rip = L->kbase + WI_TEXT + 0x200;
    t->rsp = L->pool + 0x1000ULL * 40 + 0x100;
    t->rax = 0x1111;
    t->rbx = 0x2222;

    memcpy(b->d, "PAGE", 4);
    memcpy(b->d + 4, wide ? "DU64" : "DUMP", 4);
    wi_b_put(b, 0x08, 0xf, 4);
    wi_b_put(b, 0x0c, L->build, 4);
    wi_b_put(b, 0x10, w->sys_root, pw);
    wi_b_put(b, wide ? 0x18 : 0x14, wide ? 0xfffffa8000000000ULL : 0x81000000ULL, pw);
    wi_b_put(b, wide ? 0x20 : 0x18, w->ps_loaded, pw);
    wi_b_put(b, wide ? 0x28 : 0x1c, w->ps_active, pw);
    wi_b_put(b, wide ? 0x30 : 0x20, wide ? 0x8664 : 0x14c, 4);
    wi_b_put(b, wide ? 0x34 : 0x24, t->nproc, 4);
    wi_b_put(b, wide ? 0x38 : 0x28, t->bugcheck, 4);
    for (int i = 0; i < 4; i++)
        wi_b_put(b, (wide ? 0x40 : 0x2c) + pw * (size_t)i, t->param[i], (unsigned)pw);
    memset(b->d + (wide ? 0x60 : 0x3c), 0, 32);
    memcpy(b->d + (wide ? 0x60 : 0x3c), t->version_user, strlen(t->version_user));
    if (!wide) {
        b->d[0x5c] = L->mode == WI_PAE;
        b->d[0x5d] = (uint8_t)t->kd_secondary;
        b->d[0x5e] = b->d[0x5f] = 0;
    } else {
        wi_b_put(b, 0x104c, (uint64_t)t->kd_secondary << 8, 4);
    }
    wi_b_put(b, wide ? 0x80 : 0x60, w->kdbg, pw);
    /* The context record: control, integer and segment registers. */
    size_t c = wide ? 0x348 : 0x320;
    memset(b->d + c, 0, wide ? 0x4d0 : 0x2cc);
    if (wide) {
        wi_b_put(b, c + 0x30, t->ctx_flags, 4);
        wi_b_put(b, c + 0x38, 0x10, 2);   /* SegCs */
        wi_b_put(b, c + 0x42, 0x18, 2);   /* SegSs */
        wi_b_put(b, c + 0x44, 0x246, 4);  /* EFlags */
        wi_b_put(b, c + 0x78, t->rax, 8);
        wi_b_put(b, c + 0x90, t->rbx, 8);
        wi_b_put(b, c + 0x98, t->rsp, 8);
        wi_b_put(b, c + 0xf8, t->rip, 8);
    } else {
        wi_b_put(b, c, t->ctx_flags, 4);
        wi_b_put(b, c + 0xa4, t->rbx, 4);
        wi_b_put(b, c + 0xb0, t->rax, 4);
        wi_b_put(b, c + 0xb8, t->rip, 4);
        wi_b_put(b, c + 0xbc, 0x8, 4);
        wi_b_put(b, c + 0xc0, 0x246, 4);
        wi_b_put(b, c + 0xc4, t->rsp, 4);
        wi_b_put(b, c + 0xc8, 0x10, 4);
    }
    /* EXCEPTION_RECORD32 / 64 */
    size_t e = wide ? 0xf00 : 0x7d0;
    memset(b->d + e, 0, wide ? 0x98 : 0x50);
    wi_b_put(b, e, t->exc_code, 4);
    wi_b_put(b, e + 4, t->exc_flags, 4);
    wi_b_put(b, e + 8 + pw, t->exc_address, (unsigned)pw);
    wi_b_put(b, e + 8 + 2 * pw, 2, 4);
    wi_b_put(b, e + (wide ? 0x20 : 0x14), t->exc_info[0], (unsigned)pw);
    wi_b_put(b, e + (wide ? 0x20 : 0x14) + pw, t->exc_info[1], (unsigned)pw);
    size_t cm = wide ? 0xfb0 : 0x820;
    memset(b->d + cm, 0, 128);
    memcpy(b->d + cm, t->comment, strlen(t->comment));
    wi_b_put(b, wide ? 0xf98 : 0xf88, t->type, 4);
    wi_b_put(b, wide ? 0x103c : 0xf90, 0, 4);           /* SecondaryDataState */
    wi_b_put(b, wide ? 0x1040 : 0xf94, t->product, 4);
    wi_b_put(b, wide ? 0x1044 : 0xf98, t->suite, 4);
    wi_b_put(b, wide ? 0x1048 : 0xf9c, 0, 4);           /* WriterStatus */
    wi_b_put(b, wide ? 0x1050 : 0x8a0, 0, 4);           /* Attributes */
    wi_b_put(b, wide ? 0x1054 : 0x8a4, t->boot_id, 4);
    wi_b_put(b, wide ? 0x1030 : 0xfb8, t->uptime, 8);
    wi_b_put(b, wide ? 0xfa8 : 0xfc0, t->systime, 8);
    if (t->type == 4) {
        t->minidump_fields = 0xfff;
        wi_b_put(b, wide ? 0x1038 : 0xf8c, t->minidump_fields, 4);
    }
}

/* PhysicalMemoryBlock: pages 1..0x9f and 0x100..end, as real dumps leave
 * page 0 and the legacy VGA hole out. */
WI_FN void wi_dump_runs(const wi_image_t *w, wi_buf_t *b, uint64_t runs[2][2])
{
    bool wide = w->L->ptr == 8;
    uint64_t npages = w->memsize / 0x1000;
    size_t pmd = wide ? 0x88 : 0x64;
    runs[0][0] = 1;
    runs[0][1] = 0x9f;
    runs[1][0] = 0x100;
    runs[1][1] = npages - 0x100;
    wi_b_put(b, pmd, 2, 4);
    if (wide) {
        wi_b_put(b, pmd + 4, 0, 4);
        wi_b_put(b, pmd + 8, runs[0][1] + runs[1][1], 8);
        for (int i = 0; i < 2; i++) {
            wi_b_put(b, pmd + 16 + 16 * (size_t)i, runs[i][0], 8);
            wi_b_put(b, pmd + 24 + 16 * (size_t)i, runs[i][1], 8);
        }
    } else {
        wi_b_put(b, pmd + 4, runs[0][1] + runs[1][1], 4);
        for (int i = 0; i < 2; i++) {
            wi_b_put(b, pmd + 8 + 8 * (size_t)i, runs[i][0], 4);
            wi_b_put(b, pmd + 12 + 8 * (size_t)i, runs[i][1], 4);
        }
    }
}

/* The triage data after the header: TRIAGE_DUMP, Mm information, unloaded
 * drivers, KPRCB / EPROCESS / ETHREAD copies, the stack, the driver list,
 * the string pool, the data page, the KDBG copy, the data blocks, and the
 * 'DGRT' mark. */
WI_FN void wi_dump_triage(wi_image_t *w, wi_buf_t *b, bool with_kpe, wi_triage_hostile_t x,
                          wi_dump_truth_t *t)
{
    const wi_layout_t *L = w->L;
    bool wide = L->ptr == 8;
    size_t hdr = wide ? 0x2000 : 0x1000, td = hdr, pw = wide ? 8 : 4;
    uint64_t at = hdr + (wide ? 0x80 : 0x68);
#define TF(off32, off64, v) wi_b_put(b, td + (wide ? (off64) : (off32)), (v), 4)
    at = WI_ALIGN8(at);
    t->mm_off = at;
    memset(b->d + at, 0, 0x40);
    wi_b_put(b, at, 1, 4);                  /* DUMP_MM_STORAGE Version */
    wi_b_put(b, at + 4, 0x40, 4);           /* Size */
    at += 0x40;
    t->unloaded_off = at;
    wi_b_put(b, at, 0, 8);                  /* no unloaded drivers */
    at += 8;
    t->prcb_off = at;
    memset(b->d + at, 0, 0x100);
    wi_b_put(b, at + pw, L->pool + 0x1000ULL * 41, (unsigned)pw); /* CurrentThread */
    at += 0x100;
    t->process_off = at;
    wi_read_va(w, w->procs[0].eprocess, b->d + at, L->ep_size);
    at = WI_ALIGN8(at + L->ep_size);
    t->thread_off = at;
    memset(b->d + at, 0x54, 0x200);
    at += 0x200;

    /* The stack: from the saved stack pointer up. */
    unsigned nv = 0;
    t->vruns[nv++] = (wi_vrun_t){ "the call stack", t->rsp, 0x800, at };
    wi_read_va(w, t->rsp, b->d + at, 0x800);
    uint64_t stack_off = at;
    at += 0x800;

    /* The driver list: each entry a ULONG name offset (padded to 8 on x64)
     * and a copy of the module's LDR entry; then the names. */
    uint64_t lo = wide ? 8 : 4, stride = lo + L->ldr_size, n = WI_NMODS;
    t->stride = stride;
    t->list_off = at;
    uint64_t pool = WI_ALIGN8(at + n * stride);
    if (x == WI_TRIAGE_STRIDE)
        pool += 0x40;   /* something else between the list and the pool */
    t->pool_off = pool;
    uint64_t pa = pool;
    for (size_t i = 0; i < n; i++) {
        uint64_t e = at + i * stride;
        snprintf(t->path[i], sizeof(t->path[i]), "\\SystemRoot\\system32\\%s%s",
                 i >= 2 ? "drivers\\" : "", wi_mods[i].name);
        t->checksum[i] = 0x1000u + 0x111u * (uint32_t)i;
        t->timestamp[i] = 0x5f000000u + (uint32_t)i;
        memset(b->d + e, 0, stride);
        wi_read_va(w, w->mods[i].entry, b->d + e + lo, L->ldr_size);
        wi_b_put(b, e + lo + (wide ? 0x78 : 0x40), t->checksum[i], 4);
        if (wide)
            wi_b_put(b, e + lo + 0x9c, t->timestamp[i], 4);
        wi_b_put(b, e, pa, 4);
        pa = WI_ALIGN8(pa + wi_dump_string(b, pa, t->path[i]));
    }
    t->pool_size = pa - pool;
    t->broken_off = at + 3 * stride;
    if (x == WI_TRIAGE_NAME_OUTSIDE)
        wi_b_put(b, at + stride, pool + t->pool_size + 0x10, 4);
    if (x == WI_TRIAGE_NAME_UNTERMINATED)
        wi_b_put(b, pool, 0x7fff0, 4);
    at = pa;

    /* The data page: one page of pool. */
    uint64_t page_va = L->pool + 0x1000ULL * 50;
    t->vruns[nv++] = (wi_vrun_t){ "the data page", page_va, 0x1000, at };
    wi_read_va(w, page_va, b->d + at, 0x1000);
    uint64_t page_off = at;
    at += 0x1000;

    /* The KDBG, as the kernel copies it for the debugger: decoded. */
    t->vruns[nv++] = (wi_vrun_t){ "the debugger data", w->kdbg, L->kdbg_size, at };
    wi_b_bytes(b, at, w->kdbg_plain, L->kdbg_size);
    uint64_t kdbg_off = at;
    at = WI_ALIGN8(at + L->kdbg_size);

    /* Data blocks: the .data holding the list heads and NtBuildNumber, the
     * System EPROCESS, and (with_kpe) ntoskrnl's headers and .rdata start. */
    struct { uint64_t va, len; } blocks[4];
    unsigned nb = 0;
    blocks[nb].va = L->kbase + WI_DATA;
    blocks[nb++].len = 0x40;
    blocks[nb].va = w->procs[0].eprocess;
    blocks[nb++].len = L->ep_size;
    if (with_kpe) {
        blocks[nb].va = L->kbase;
        blocks[nb++].len = 0x1000;
        blocks[nb].va = L->kbase + WI_RDATA;
        blocks[nb++].len = 0x200;
    }
    uint64_t table = at;
    at = WI_ALIGN8(at + 16 * (uint64_t)(nb + (x == WI_TRIAGE_OVERLAP)));
    for (unsigned i = 0; i < nb; i++) {
        wi_read_va(w, blocks[i].va, b->d + at, blocks[i].len);
        wi_b_put(b, table + 16 * i, blocks[i].va, 8);
        wi_b_put(b, table + 16 * i + 8, at, 4);
        wi_b_put(b, table + 16 * i + 12, blocks[i].len, 4);
        t->vruns[nv++] = (wi_vrun_t){ "a data block", blocks[i].va, blocks[i].len, at };
        at = WI_ALIGN8(at + blocks[i].len);
    }
    if (x == WI_TRIAGE_OVERLAP) {
        /* Over the second half of the .data block, other bytes: the block
         * listed first must win. */
        memset(b->d + at, 0xee, 0x40);
        wi_b_put(b, table + 16 * nb, blocks[0].va + 0x20, 8);
        wi_b_put(b, table + 16 * nb + 8, at, 4);
        wi_b_put(b, table + 16 * nb + 12, 0x40, 4);
        at += 0x40;
        nb++;
    }
    if (x == WI_TRIAGE_BLOCK_PAST_END)
        wi_b_put(b, table + 16 + 8, b->n, 4);
    if (x == WI_TRIAGE_BLOCK_WRAPS)
        wi_b_put(b, table + 16, wide ? 0xfffffffffffff800ULL : 0xfffffff0ULL, 8);
    t->nvruns = nv;

    /* The mark, and the size of it all. */
    t->valid_off = at;
    memcpy(b->d + at, "TRGD", 4);
    at += 4;
    t->size = at;
    if (x == WI_TRIAGE_NO_VALID)
        memcpy(b->d + t->valid_off, "XXXX", 4);

    wi_b_put(b, td + 0x00, 0x100 * 1, 4);                /* ServicePackBuild */
    wi_b_put(b, td + 0x04, t->size, 4);                  /* SizeOfDump */
    wi_b_put(b, td + 0x08, x == WI_TRIAGE_VALID_PAST_END ? t->size : t->valid_off, 4);
    wi_b_put(b, td + 0x0c, wide ? 0x348 : 0x320, 4);     /* ContextOffset */
    wi_b_put(b, td + 0x10, wide ? 0xf00 : 0x7d0, 4);     /* ExceptionOffset */
    wi_b_put(b, td + 0x14, t->mm_off, 4);
    wi_b_put(b, td + 0x18, t->unloaded_off, 4);
    wi_b_put(b, td + 0x1c, t->prcb_off, 4);
    wi_b_put(b, td + 0x20, t->process_off, 4);
    wi_b_put(b, td + 0x24, t->thread_off, 4);
    wi_b_put(b, td + 0x28, stack_off, 4);
    wi_b_put(b, td + 0x2c, 0x800, 4);
    wi_b_put(b, td + 0x30, t->list_off, 4);
    wi_b_put(b, td + 0x34, x == WI_TRIAGE_DRIVERS_HUGE ? 0x40000000u : n, 4);
    wi_b_put(b, td + 0x38, t->pool_off, 4);
    wi_b_put(b, td + 0x3c, t->pool_size, 4);
    wi_b_put(b, td + 0x40, t->broken_off, 4);
    wi_b_put(b, td + 0x44, 0x5a5, 4);                    /* TriageOptions */
    wi_b_put(b, td + 0x48, t->rsp, (unsigned)pw);        /* TopOfStack */
    TF(0x4c, 0x60, 0);
    wi_b_put(b, td + (wide ? 0x60 : 0x4c), page_va, (unsigned)pw);
    TF(0x50, 0x68, page_off);
    TF(0x54, 0x6c, 0x1000);
    TF(0x58, 0x70, kdbg_off);
    TF(0x5c, 0x74, L->kdbg_size);
    TF(0x60, 0x78, table);
    TF(0x64, 0x7c, x == WI_TRIAGE_BLOCKS_HUGE ? 0x10000000u : nb);
#undef TF
}

/* A crash dump of the image: header, then the runs (full), the bitmap and
 * the pages that are not all zero (bitmap kinds), the triage data, or
 * nothing (header only).  t (may be NULL) receives the ground truth. */
WI_FN bool wi_write_dump_x(wi_image_t *w, const char *path, wi_dump_kind_t kind,
                           wi_triage_hostile_t x, wi_dump_truth_t *t)
{
    const wi_layout_t *L = w->L;
    bool wide = L->ptr == 8;
    size_t hdr = wide ? 0x2000 : 0x1000;
    uint64_t npages = w->memsize / 0x1000;
    wi_dump_truth_t scratch;
    if (!t)
        t = &scratch;
    memset(t, 0, sizeof(*t));
    bool triage = kind == WI_DUMP_TRIAGE || kind == WI_DUMP_TRIAGE_KPE;
    wi_buf_t b = { NULL, hdr + (triage ? 0x40000 : 0) };
    b.d = malloc(b.n);
    if (!b.d)
        return false;
    for (size_t i = 0; i + 4 <= b.n; i += 4)
        memcpy(b.d + i, "PAGE", 4);
    wi_dump_header(w, &b, kind, t);
    uint64_t runs[2][2];
    wi_dump_runs(w, &b, runs);
    if (triage) {
        wi_dump_triage(w, &b, kind == WI_DUMP_TRIAGE_KPE, x, t);
        b.n = x == WI_TRIAGE_TRUNCATED ? t->size - 0x100 : t->size;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(b.d);
        return false;
    }
    bool ok = true;
    if (kind == WI_DUMP_FULL) {
        t->required = hdr + (runs[0][1] + runs[1][1]) * 0x1000;
        wi_b_put(&b, 0xfa0, t->required, 8);
        ok = fwrite(b.d, 1, hdr, f) == hdr;
        for (int i = 0; i < 2 && ok; i++)
            ok = fwrite(w->mem + runs[i][0] * 0x1000, 1, runs[i][1] * 0x1000, f) ==
                 runs[i][1] * 0x1000;
    } else if (kind == WI_DUMP_HEADER || triage) {
        t->required = b.n;
        wi_b_put(&b, 0xfa0, t->required, 8);
        ok = fwrite(b.d, 1, b.n, f) == b.n;
    } else {
        static const uint8_t zero[0x1000];
        /* 64-bit fields (bits at 0x38), or ntiodump's 32-bit ones (bits at
         * 0x20 in a 32-bit dump, 0x28 in a 64-bit one). */
        bool wide_fields = kind == WI_DUMP_BITMAP_KERNEL || kind == WI_DUMP_SUMMARY_OLD64 ?
                               kind == WI_DUMP_BITMAP_KERNEL : wide;
        size_t bits_at = wide_fields ? 0x38 : wide ? 0x28 : 0x20;
        size_t bmbytes = (size_t)(npages + 7) / 8;
        uint8_t *sum = malloc(bits_at + bmbytes);
        uint64_t present = 0;
        if (!sum) {
            free(b.d);
            fclose(f);
            return false;
        }
        for (size_t i = 0; i + 4 <= bits_at; i += 4)
            memcpy(sum + i, "PAGE", 4);
        memset(sum + bits_at, 0, bmbytes);
        for (uint64_t p = 1; p < npages; p++) {
            if ((p >= 0xa0 && p < 0x100) || !memcmp(w->mem + p * 0x1000, zero, 0x1000))
                continue;
            sum[bits_at + p / 8] |= (uint8_t)(1u << (p % 8));
            present++;
        }
        uint64_t first = (hdr + bits_at + bmbytes + 0xfff) & ~0xfffULL;
        memcpy(sum, t->type == 5 ? "FDMP" : "SDMP", 4);
        memcpy(sum + 4, "DUMP", 4);
        wi_buf_t sb = { sum, bits_at + bmbytes };
        wi_b_put(&sb, 8, 1, 4);                       /* DumpOptions: kernel VA */
        if (wide_fields) {
            wi_b_put(&sb, 0x20, first, 8);
            wi_b_put(&sb, 0x28, present, 8);
            wi_b_put(&sb, 0x30, npages, 8);
        } else {
            wi_b_put(&sb, 0x0c, first, 4);
            wi_b_put(&sb, 0x10, npages, 4);
            wi_b_put(&sb, 0x14, present, 4);
            wi_b_put(&sb, 0x18, npages, 4);             /* RTL_BITMAP.SizeOfBitMap */
        }
        t->first_page = first;
        t->bitmap_bits = npages;
        t->pages_stored = present;
        t->required = first + present * 0x1000;
        wi_b_put(&b, 0xfa0, t->required, 8);
        ok = fwrite(b.d, 1, hdr, f) == hdr && fwrite(sum, 1, sb.n, f) == sb.n;
        for (uint64_t a = hdr + sb.n; ok && a < first; a++)
            ok = fputc(0, f) != EOF;
        for (uint64_t p = 1; ok && p < npages; p++)
            if (sum[bits_at + p / 8] >> (p % 8) & 1)
                ok = fwrite(w->mem + p * 0x1000, 1, 0x1000, f) == 0x1000;
        free(sum);
    }
    free(b.d);
    return fclose(f) == 0 && ok;
}

WI_FN bool wi_write_dump(wi_image_t *w, const char *path, wi_dump_kind_t kind)
{
    return wi_write_dump_x(w, path, kind, WI_TRIAGE_SANE, NULL);
}

#endif
