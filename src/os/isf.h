/*
 * isf.h - Volatility 3 "Intermediate Symbol Format" symbol tables.
 *
 * ISF is the JSON that Volatility 3's pdbconv (Windows, from a kernel's
 * PDB) and dwarf2json (Linux, from vmlinux DWARF) write.  It is shared by
 * the OS layers, which is why it lives in os/ and not in os/windows/.
 * Tables come from a file or from text compiled into a program.
 *
 * The fields read, and what they mean here (schema 6.x; 4.x and 5.x use the
 * same names):
 *   metadata.format                      "6.2.0"; major 4..6 accepted
 *   metadata.windows.pdb.GUID / .age     the PDB the table was made from,
 *                                        matched against the kernel's
 *                                        CodeView record
 *   metadata.windows.pdb.database        "ntkrnlmp.pdb"
 *   metadata.windows.pdb.machine_type    PE machine: 0x14c x86, 0x8664 x64
 *   metadata.windows.pe.major/minor/revision/build   file version, optional
 *   metadata.linux                       marks a Linux table
 *   symbols.<name>.address               Windows: offset from the image base
 *                                        (an RVA); Linux: the link-time
 *                                        virtual address
 *   symbols.linux_banner.constant_data   base64 of the Linux banner string
 *   base_types.<name>.size / .signed / .kind   "pointer" gives the width
 *   user_types.<name>.size / .kind / .fields.<member>.offset / .type
 *   enums.<name>.size / .base / .constants.<name>
 *   type descriptors: {"kind": "base"|"struct"|"union"|"class"|"enum",
 *                      "name": ...}, {"kind": "pointer", "subtype": ...},
 *                     {"kind": "array", "count": n, "subtype": ...},
 *                     {"kind": "bitfield", "bit_position": p,
 *                      "bit_length": l, "type": ...}, {"kind": "function"}
 * Everything else is ignored.  Values are checked when they are looked up,
 * so a damaged entry fails only the lookups that need it, each with a reason.
 *
 * Must not: read guest memory or know any OS's structures; it answers
 * questions about the table only.
 */
#ifndef TINYVMI_OS_ISF_H
#define TINYVMI_OS_ISF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct isf isf_t;

typedef enum isf_os {
    ISF_OS_UNKNOWN,
    ISF_OS_WINDOWS,
    ISF_OS_LINUX,
    ISF_OS_MAC,
} isf_os_t;

/* Load a table; NULL with a reason (naming the file) on failure. */
isf_t *isf_load_file(const char *path, util_err_t *err);
/* From text in memory (e.g. compiled in); name is used in messages. */
isf_t *isf_load_text(const char *text, size_t len, const char *name, util_err_t *err);
void isf_free(isf_t *isf);

/* Where the table came from (the path or the name given). */
const char *isf_name(const isf_t *isf);
isf_os_t isf_os(const isf_t *isf);
/* Bytes in a pointer (base_types.pointer.size): 4 or 8; 0 when absent. */
unsigned isf_pointer_size(const isf_t *isf);

/* metadata.windows.pdb; false when absent or malformed (reason in err). */
typedef struct isf_pdb {
    char guid[33];      /* 32 upper-case hex digits, no dashes */
    uint32_t age;
    char database[128]; /* "ntkrnlmp.pdb" ("" when absent) */
    uint32_t machine;   /* 0 when absent */
} isf_pdb_t;
bool isf_windows_pdb(const isf_t *isf, isf_pdb_t *out, util_err_t *err);
/* metadata.windows.pe; false when absent. */
bool isf_windows_pe_version(const isf_t *isf, uint32_t *major, uint32_t *minor,
                            uint32_t *revision, uint32_t *build);
/* The Linux banner ("Linux version ..."), decoded from
 * symbols.linux_banner.constant_data; NULL when absent. */
const char *isf_linux_banner(const isf_t *isf);

/* symbols.<name>.address.  false (and a reason) when absent or malformed. */
bool isf_symbol(const isf_t *isf, const char *name, uint64_t *address, util_err_t *err);
/* The name of a symbol whose address is exactly address, or NULL.  The
 * address index is built on first use (not thread-safe on that call). */
const char *isf_symbol_at(isf_t *isf, uint64_t address);

/* The symbols in table order: the count, and the i-th one's name (len
 * bytes, not terminated), address and whether its type is a function.
 * false past the end or when the entry has no unsigned address. */
size_t isf_symbol_count(const isf_t *isf);
bool isf_symbol_i(const isf_t *isf, size_t i, const char **name, size_t *len, uint64_t *address,
                  bool *function);

/* The size in bytes of a user type, base type or enum, looked up in that
 * order. */
bool isf_type_size(const isf_t *isf, const char *type, uint64_t *size, util_err_t *err);

/* What a member's type descriptor says. */
typedef struct isf_member {
    uint64_t offset;        /* from the start of the outermost struct */
    char kind[16];          /* "base", "pointer", "struct", "array", ... */
    char type_name[128];    /* base/struct/union/class/enum name, else "" */
    const char *type_ref;   /* the same name in the table (valid while it is
                               loaded), or NULL */
    uint64_t size;          /* bytes, when it can be known; else 0 */
    uint64_t count;         /* arrays: element count */
    unsigned bit_position;  /* bitfields */
    unsigned bit_length;
} isf_member_t;

/* Member of struct/union/class strct.  member may be a dotted path through
 * nested (non-pointer) structs, "Pcb.DirectoryTableBase", whose offsets add
 * up.  A member of an anonymous struct or union inside strct (C's unnamed
 * members, as dwarf2json writes them) is found by its own name, with the
 * anonymous member's offset added.  false with a reason naming the type
 * and member when absent. */
bool isf_member(const isf_t *isf, const char *strct, const char *member,
                isf_member_t *out, util_err_t *err);
/* Just the offset. */
bool isf_member_offset(const isf_t *isf, const char *strct, const char *member,
                       uint64_t *offset, util_err_t *err);

/* enums.<enm>.constants.<name>. */
bool isf_enum_value(const isf_t *isf, const char *enm, const char *name,
                    int64_t *value, util_err_t *err);

#endif
