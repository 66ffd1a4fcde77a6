/*
 * pe.h - reading a PE/COFF image (Microsoft PE and COFF specification) as it
 * lies mapped in guest memory: headers, sections, exports, and the CodeView
 * debug record that names the image's PDB.
 *
 * The image is reached only through a read callback taking offsets from the
 * image base (RVAs), so this file knows nothing of the vmi_instance or of
 * paging, and unit tests can hand it a buffer.  Everything in the image is
 * hostile: every offset, count and length is checked against the image size
 * and against fixed caps before it is used, and every string has a length
 * limit.  Loaded images are what is parsed, so RVAs are used, never file
 * offsets (PointerToRawData).
 *
 * Must not: allocate per export, trust a count or an RVA, or read outside
 * [0, SizeOfImage).
 */
#ifndef TINYVMI_OS_WINDOWS_PE_H
#define TINYVMI_OS_WINDOWS_PE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "util/err.h"

/* Read len bytes at rva (offset from the image base).  Fails, with a reason,
 * when any byte is unreadable. */
typedef status_t (*pe_read_fn)(void *ctx, uint64_t rva, void *buf, size_t len,
                               util_err_t *err);

#define PE_MACHINE_I386  0x014c
#define PE_MACHINE_AMD64 0x8664

#define PE_DIR_EXPORT 0
#define PE_DIR_DEBUG  6
#define PE_MAX_DIRS   16
#define PE_MAX_SECTIONS 96  /* the specification's limit */
#define PE_NAME_MAX 256     /* longest export / PDB name kept */

typedef struct pe_dir {
    uint32_t rva, size;
} pe_dir_t;

typedef struct pe_image {
    pe_read_fn read;
    void *ctx;
    uint32_t lfanew;           /* offset of "PE\0\0" */
    uint16_t machine;
    uint16_t nsections;
    uint32_t timestamp;
    uint16_t characteristics;
    bool pe32plus;             /* optional header magic 0x20b */
    uint64_t image_base;       /* preferred base from the header */
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint16_t subsystem;
    uint16_t os_major, os_minor;        /* MajorOperatingSystemVersion... */
    uint16_t image_major, image_minor;
    uint16_t subsys_major, subsys_minor;
    uint32_t ndirs;
    pe_dir_t dir[PE_MAX_DIRS];
    uint32_t sections_off;     /* RVA of the section table */
} pe_image_t;

/* Read and check the DOS header, NT headers (PE32 or PE32+) and data
 * directories.  On success img is ready for the calls below. */
status_t pe_open(pe_image_t *img, pe_read_fn read, void *ctx, util_err_t *err);

typedef struct pe_section {
    char name[9];
    uint32_t va, vsize;
    uint32_t characteristics;
} pe_section_t;
/* The i-th section header (i < img->nsections). */
status_t pe_section(const pe_image_t *img, unsigned i, pe_section_t *out, util_err_t *err);

/* Data directory `which` (PE_DIR_*), checked to be present and to lie
 * inside the image; what names it in messages ("export"). */
status_t pe_directory(const pe_image_t *img, unsigned which, const char *what, pe_dir_t *out,
                      util_err_t *err);

/* ---- CodeView debug record ---- */
typedef struct pe_codeview {
    char format[5];           /* "RSDS" or "NB10" */
    uint8_t guid[16];         /* RSDS: as stored (Data1..3 little-endian) */
    uint32_t signature;       /* NB10: the timestamp that stands for a GUID */
    uint32_t age;
    char pdb[PE_NAME_MAX];    /* as recorded, often a full build path */
    /* The symbol-server key: GUID as 32 upper-case hex digits (RSDS) or the
     * signature as 8 (NB10); the age follows separately. */
    char guid_str[33];
} pe_codeview_t;
/* Find the first CodeView entry in the debug directory and read it. */
status_t pe_codeview(const pe_image_t *img, pe_codeview_t *out, util_err_t *err);
/* The file part of a recorded PDB path ("...\ntkrnlmp.pdb" -> "ntkrnlmp.pdb"). */
const char *pe_pdb_basename(const char *pdb);

/* ---- Exports ---- */

/* The export directory table, its counts capped and its three tables
 * checked to lie inside the image.  When only its first four bytes (the
 * reserved flags) are unreadable because they end an unmapped page, the
 * rest is read and flags is 0. */
typedef struct pe_export_dir {
    pe_dir_t dir;             /* where the directory lies */
    uint32_t flags, timestamp;
    uint16_t major, minor;
    uint32_t name_rva, base, nfuncs, nnames;
    uint32_t funcs, names, ords; /* RVAs of the address, name and ordinal tables */
} pe_export_dir_t;
status_t pe_export_dir(const pe_image_t *img, pe_export_dir_t *out, util_err_t *err);

typedef struct pe_export {
    uint32_t rva;             /* 0 for a forwarder */
    uint16_t ordinal;         /* biased: Base + index */
    char forwarder[PE_NAME_MAX]; /* "NTDLL.RtlAllocateHeap", or "" */
} pe_export_t;

/* Export by name (binary search of the name table, which the specification
 * requires to be sorted).  Fails with "no export X" when absent. */
status_t pe_export_by_name(const pe_image_t *img, const char *name, pe_export_t *out,
                           util_err_t *err);
status_t pe_export_by_ordinal(const pe_image_t *img, uint32_t ordinal, pe_export_t *out,
                              util_err_t *err);
/* The name of an export whose address is exactly rva (the first such name);
 * fails when none has it. */
status_t pe_export_name_at(const pe_image_t *img, uint32_t rva, char *name, size_t size,
                           util_err_t *err);
/* The DLL's own name from the export directory ("ntoskrnl.exe"). */
status_t pe_export_dll_name(const pe_image_t *img, char *name, size_t size, util_err_t *err);

#endif
