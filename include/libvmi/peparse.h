/*
 * peparse.h - PE/COFF headers of images in guest memory (Windows kernels,
 * drivers, DLLs), LibVMI's names and layouts.
 *
 * The structures are the on-disk/in-memory layouts of the Microsoft PE and
 * COFF specification, packed, little-endian, so a program can lay them over
 * bytes it read from the guest.  Include <libvmi/libvmi.h> first (or let
 * this header do it).
 *
 * How TinyVMI differs from LibVMI:
 *  - Every image is hostile input.  peparse_validate_pe_image checks what
 *    TinyVMI's own PE reader checks (src/os/windows/pe.c: e_lfanew, the NT
 *    signature, the optional header's magic and size, SizeOfImage, the
 *    section count and table) and also that the whole optional-header
 *    structure lies inside the bytes given, so the pointers
 *    peparse_assign_headers hands out never reach past them.
 *  - Failures say why.  Calls with an instance put the reason on it
 *    (tvmi_errmsg(vmi)); the calls without one (validate, assign_headers,
 *    get_idd_rva/size) keep it per thread: tvmi_errmsg(NULL).
 *  - peparse_get_idd_rva / _size honour NumberOfRvaAndSizes exactly: a
 *    directory at or past that count, or past 16, gives 0.
 */
#ifndef LIBVMI_PEPARSE_H
#define LIBVMI_PEPARSE_H

#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>

/* NOEXCEPT comes from <libvmi/libvmi.h>. */
#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define IMAGE_DOS_HEADER 0x5A4D         /* "MZ" read as a little-endian u16 */
#define IMAGE_NT_SIGNATURE 0x00004550   /* "PE\0\0" read as a little-endian u32 */

#define IMAGE_PE32_MAGIC      0x10b     /* optional header of a 32-bit image */
#define IMAGE_PE32_PLUS_MAGIC 0x20b     /* ... of a 64-bit image */

/* Indexes into the optional header's data directories (idd[]). */
#define IMAGE_DIRECTORY_ENTRY_EXPORT 0
#define IMAGE_DIRECTORY_ENTRY_IMPORT 1
#define IMAGE_DIRECTORY_ENTRY_RESOURCE 2
#define IMAGE_DIRECTORY_ENTRY_EXCEPTION 3
#define IMAGE_DIRECTORY_ENTRY_CERTIFICATE 4
#define IMAGE_DIRECTORY_ENTRY_BASERELOC 5
#define IMAGE_DIRECTORY_ENTRY_DEBUG 6
#define IMAGE_DIRECTORY_ENTRY_ARCHITECTURE 7
#define IMAGE_DIRECTORY_ENTRY_GLOBALPTR 8
#define IMAGE_DIRECTORY_ENTRY_TLS 9
#define IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG 10
#define IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT 11
#define IMAGE_DIRECTORY_ENTRY_IAT 12
#define IMAGE_DIRECTORY_ENTRY_DELAY_IMPORT 13
#define IMAGE_DIRECTORY_ENTRY_CLR_RUNTIME 14
#define IMAGE_DIRECTORY_ENTRY_RESERVED 15

/* One data directory: where a table lies (an RVA, from the image base) and
 * how many bytes it has. */
struct image_data_directory {
    uint32_t virtual_address;
    uint32_t size;
} __attribute__ ((packed));

/* "PE\0\0" and the COFF file header that follows it. */
struct pe_header {
    int32_t signature;
    uint16_t machine;               /* 0x14c i386, 0x8664 AMD64 */
    uint16_t number_of_sections;
    uint32_t time_date_stamp;
    uint32_t pointer_to_symbol_table;
    uint32_t number_of_symbols;
    uint16_t size_of_optional_header;
    uint16_t characteristics;
} __attribute__ ((packed));

/* The MS-DOS stub header at the start of every image; offset_to_pe is
 * e_lfanew, where the pe_header starts. */
struct dos_header {
    uint16_t signature;             /* IMAGE_DOS_HEADER */
    uint16_t bytes_in_last_block;
    uint16_t blocks_in_file;
    uint16_t reloc_ct;
    uint16_t header_size;
    uint16_t min_mem;
    uint16_t max_mem;
    uint16_t ss;
    uint16_t sp;
    uint16_t chksum;
    uint16_t ip;
    uint16_t cs;
    uint16_t reloc_tbl_ofs;
    uint16_t overlay;
    uint8_t reserved[32];
    uint32_t offset_to_pe;
} __attribute__ ((packed));

/* The optional header of a PE32 (32-bit) image, with all 16 directories. */
struct optional_header_pe32 {
    uint16_t magic;                 /* IMAGE_PE32_MAGIC */
    uint8_t major_linker_version;
    uint8_t minor_linker_version;
    uint32_t size_of_code;
    uint32_t size_of_initialized_data;
    uint32_t size_of_uninitialized_data;
    uint32_t address_of_entry_point;
    uint32_t base_of_code;
    uint32_t base_of_data;
    uint32_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint16_t major_os_version;
    uint16_t minor_os_version;
    uint16_t major_image_version;
    uint16_t minor_image_version;
    uint16_t major_subsystem_version;
    uint16_t minor_subsystem_version;
    uint32_t win32_version_value;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint32_t size_of_stack_reserve;
    uint32_t size_of_stack_commit;
    uint32_t size_of_heap_reserve;
    uint32_t size_of_heap_commit;
    uint32_t loader_flags;
    uint32_t number_of_rva_and_sizes; /* directories actually present */
    struct image_data_directory idd[16];
} __attribute__ ((packed));

/* The optional header of a PE32+ (64-bit) image: 64-bit base and stack
 * and heap sizes, no base_of_data. */
struct optional_header_pe32plus {
    uint16_t magic;                 /* IMAGE_PE32_PLUS_MAGIC */
    uint8_t major_linker_version;
    uint8_t minor_linker_version;
    uint32_t size_of_code;
    uint32_t size_of_initialized_data;
    uint32_t size_of_uninitialized_data;
    uint32_t address_of_entry_point;
    uint32_t base_of_code;
    uint64_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint16_t major_os_version;
    uint16_t minor_os_version;
    uint16_t major_image_version;
    uint16_t minor_image_version;
    uint16_t major_subsystem_version;
    uint16_t minor_subsystem_version;
    uint32_t win32_version_value;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint64_t size_of_stack_reserve;
    uint64_t size_of_stack_commit;
    uint64_t size_of_heap_reserve;
    uint64_t size_of_heap_commit;
    uint32_t loader_flags;
    uint32_t number_of_rva_and_sizes;
    struct image_data_directory idd[16];
} __attribute__ ((packed));

/* One entry of the section table, which follows the optional header. */
struct section_header {
    char short_name[8];             /* not NUL-terminated when 8 long */
    union {
        uint32_t physical_address;
        uint32_t virtual_size;
    } a;
    uint32_t virtual_address;       /* RVA of the section once loaded */
    uint32_t size_of_raw_data;
    uint32_t pointer_to_raw_data;
    uint32_t pointer_to_relocations;
    uint32_t pointer_to_line_numbers;
    uint16_t number_of_relocations;
    uint16_t number_of_line_numbers;
    uint32_t characteristics;
} __attribute__ ((packed));

/* The export directory table.  The three address_of_* fields are RVAs of
 * the export address table (u32 RVAs), the name pointer table (u32 RVAs of
 * names, sorted) and the ordinal table (u16 indexes into the address
 * table, parallel to the names). */
struct export_table {
    uint32_t export_flags;          /* reserved: 0 */
    uint32_t time_date_stamp;
    uint16_t major_version;
    uint16_t minor_version;
    uint32_t name;                  /* RVA of the DLL's own name */
    uint32_t base;                  /* ordinal of address-table entry 0 */
    uint32_t number_of_functions;
    uint32_t number_of_names;
    uint32_t address_of_functions;
    uint32_t address_of_names;
    uint32_t address_of_name_ordinals;
} __attribute__ ((packed));

/* Check that the len bytes at image start a PE image TinyVMI can parse
 * (see above) and that the DOS header, the PE header and a whole
 * optional_header_pe32 or _pe32plus (as the magic says) lie within them.
 * VMI_FAILURE with the reason in tvmi_errmsg(NULL): "no MZ signature",
 * "e_lfanew 0x... is not a plausible NT header offset", "reading NT headers
 * at RVA 0x...: beyond the 512 bytes given", "optional header magic ...". */
status_t peparse_validate_pe_image(const uint8_t *const image, size_t len) NOEXCEPT;

/* Read len bytes at ctx (the image base: a kernel or user virtual address,
 * or any access context) into image and validate them as above.  len must
 * cover the headers: 4096 (one page) is always enough for real images.
 * The reason for a failed read or check is on the instance. */
status_t peparse_get_image(vmi_instance_t vmi, const access_context_t *ctx, size_t len,
                           uint8_t *image) NOEXCEPT;

/* Point the non-NULL out-parameters into image: its DOS header, PE header,
 * the optional header (untyped, and its magic in *optional_header_type) and
 * exactly one of *oh_pe32 / *oh_pe32plus (the other is set to NULL).
 * image must have passed peparse_validate_pe_image (or peparse_get_image)
 * with its length: this call has no length and reads only what validation
 * checked.  An image without the MZ and PE signatures or with an unknown
 * magic gets NULL pointers (and type 0), with the reason in
 * tvmi_errmsg(NULL). */
void peparse_assign_headers(const uint8_t *const image, struct dos_header **dos_header,
                            struct pe_header **pe_header, uint16_t *optional_header_type,
                            void **optional_pe_header, struct optional_header_pe32 **oh_pe32,
                            struct optional_header_pe32plus **oh_pe32plus) NOEXCEPT;

/* The RVA (or size) of data directory entry_id (IMAGE_DIRECTORY_ENTRY_*) of
 * an optional header given either as (optional_header_type,
 * optional_header), as peparse_assign_headers returns them, or as one of
 * oh_pe32 / oh_pe32plus with optional_header_type NULL.  Fails with 0 when
 * the directory is absent, past NumberOfRvaAndSizes or past 16, or when the
 * header is not given: the reason is then in tvmi_errmsg(NULL). */
addr_t peparse_get_idd_rva(uint32_t entry_id, uint16_t *optional_header_type,
                           void *optional_header, struct optional_header_pe32 *oh_pe32,
                           struct optional_header_pe32plus *oh_pe32plus) NOEXCEPT;
size_t peparse_get_idd_size(uint32_t entry_id, uint16_t *optional_header_type,
                            void *optional_header, struct optional_header_pe32 *oh_pe32,
                            struct optional_header_pe32plus *oh_pe32plus) NOEXCEPT;

/* The export directory of the image based at ctx (ctx->addr is the base),
 * copied into *et, and where the export directory lies (its RVA and size,
 * from the data directory) when export_table_rva / export_table_size are
 * not NULL.  Fails, with a reason, when the headers do not validate, the
 * image has no export directory, the directory lies outside SizeOfImage or
 * is shorter than its 40-byte table, or the table is implausible
 * (export_flags not 0, no name, more than 2^20 functions or names, or an
 * address, name or ordinal table outside the image).  When only the
 * table's first four bytes are unreadable because they end a page that is
 * not mapped (Windows pages export directories out like any data), the
 * rest is read and export_flags is taken as 0. */
status_t peparse_get_export_table(vmi_instance_t vmi, const access_context_t *ctx,
                                  struct export_table *et, addr_t *export_table_rva,
                                  size_t *export_table_size) NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_PEPARSE_H */
