/*
 * libvmi_extra.h - LibVMI's calls that speak glib or JSON, LibVMI's names.
 *
 * As in LibVMI, each group appears only when the program asks for it
 * before including this header:
 *   #define LIBVMI_EXTRA_GLIB   page lists as glib GSLists (includes <glib.h>)
 *   #define LIBVMI_EXTRA_JSON   the kernel's JSON profile
 * TinyVMI itself links neither glib nor json-c; see below for what that
 * means for each group.  Include <libvmi/libvmi.h> first (or let this
 * header do it).
 */
#ifndef LIBVMI_EXTRA_H
#define LIBVMI_EXTRA_H

#include <stddef.h>

#include <libvmi/libvmi.h>

#ifdef LIBVMI_EXTRA_GLIB
#include <glib.h>
#endif

/* NOEXCEPT comes from <libvmi/libvmi.h>. */
#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#ifdef LIBVMI_EXTRA_GLIB

/* Every page the page table pt (a CR3 value) maps, in the instance's
 * paging mode (all four x86 modes): one node per page, 4 KiB or large (a
 * 2 MiB, 4 MiB or 1 GiB page is one node), whose data is a page_info_t as
 * vmi_pagetable_lookup_extended fills it for the page's first byte (vaddr,
 * paddr of the frame, size, pt, pm, and every entry visited).  The list is
 * in ascending virtual-address order.  Entries the CPU would refuse
 * (reserved bits set) and tables that cannot be read map nothing.
 *
 * NULL on failure, with the reason in tvmi_errmsg(vmi): paging is off,
 * the root table cannot be read, the table maps no page at all, or it maps
 * more pages than the limit (config va_pages_max, default 1048576) or has
 * more than 262144 tables - a hostile table can claim every entry present
 * (2^36 pages in 4-level paging), so the walk is bounded and a list cut
 * short is never returned.
 *
 * Freeing, as LibVMI documents it: the caller frees the nodes and the
 * page_info_t structures, e.g. g_slist_free_full(list, g_free), or g_free
 * on each node's data and then g_slist_free.  That is correct because
 * TinyVMI takes the nodes from glib's own g_slice allocator and the data
 * from g_try_malloc0 whenever the program links glib (found at run time,
 * with or without -static).  glib up to 2.74 keeps freed list nodes in a
 * slab allocator that must never see memory from malloc (G_SLICE=
 * debug-blocks shows it: "attempt to release non-allocated block").
 * tvmi_free_va_pages(list) (tinyvmi.h) is correct in every case, also when
 * glib was loaded only after TinyVMI (dlopen), where glib's functions must
 * not free the list. */
GSList *vmi_get_va_pages(vmi_instance_t vmi, addr_t pt) NOEXCEPT;

/* vmi_get_va_pages through a nested page table (EPT): npt in mode npm,
 * then pt in mode pm.  TinyVMI has no nested translation yet: with npm
 * VMI_PM_NONE this lists pt in mode pm (VMI_PM_LEGACY, VMI_PM_PAE or
 * VMI_PM_IA32E); any other npm fails with that reason. */
GSList *vmi_get_nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm, addr_t pt,
                                page_mode_t pm) NOEXCEPT;

#endif /* LIBVMI_EXTRA_GLIB */

#ifdef LIBVMI_EXTRA_JSON

/* The kernel's JSON profile: a Volatility 3 ISF symbol table (config key
 * volatility_ist, or VMI_CONFIG_JSON_PATH).  Rekall profiles are not
 * supported.
 *
 * The handle is TinyVMI's own, not json-c's: the name json_object (with
 * json-c's own typedef, so a program may include <json-c/json.h> as well)
 * is LibVMI's, but json-c's functions must not be called on it, and the
 * calls below refuse, with a reason, a json_object that TinyVMI did not
 * hand out (one from json_object_from_file, say).  The handle belongs to
 * the instance and is freed by vmi_destroy; do not json_object_put it. */
typedef struct json_object json_object;

/* Load configuration (as vmi_init_os does) and the JSON profile it names,
 * without starting an OS layer: the calls below work afterwards, memory
 * reads still need vmi_init_os for symbols.  Returns the OS the profile is
 * for (from its metadata; VMI_OS_OSX for a mac table).  Fails with
 * VMI_OS_UNKNOWN and the reason: no profile named, the file is not an ISF
 * table, it contradicts the configured ostype. */
os_t vmi_init_profile(vmi_instance_t vmi, vmi_config_t config_mode, void *config) NOEXCEPT;

/* The instance's profile, loaded on first use from the configuration.
 * NULL on failure, with the reason: none is configured or it does not
 * load. */
json_object *vmi_get_kernel_json(vmi_instance_t vmi) NOEXCEPT;

/* symbols.<symbol>.address as the table gives it: an RVA (offset from the
 * kernel's base) in Windows tables, the link-time virtual address (before
 * KASLR) in Linux ones.  Fails with the reason when an argument is NULL,
 * json is not a handle vmi_get_kernel_json returned, or the table has no
 * such symbol. */
status_t vmi_get_symbol_addr_from_json(vmi_instance_t vmi, json_object *json,
                                       const char *symbol, addr_t *addr) NOEXCEPT;

/* Size in bytes of a struct, union, base type or enum, in that order.
 * Fails with the reason when an argument is NULL, json is not TinyVMI's
 * handle, the table has no such type, or its size does not fit a size_t. */
status_t vmi_get_struct_size_from_json(vmi_instance_t vmi, json_object *json,
                                       const char *struct_name, size_t *size) NOEXCEPT;

/* Offset of struct_member in struct_name.  A member of an anonymous struct
 * or union inside struct_name (Linux wraps many in them) is found too, its
 * offset counted from struct_name's start; "a.b" names a member of a
 * nested struct (TinyVMI only).  Fails with the reason when an argument is
 * NULL, json is not TinyVMI's handle, or there is no such struct or
 * member. */
status_t vmi_get_struct_member_offset_from_json(vmi_instance_t vmi, json_object *json,
                                                const char *struct_name,
                                                const char *struct_member,
                                                addr_t *offset) NOEXCEPT;

/* For a bitfield member: the byte offset of its storage unit, its first bit
 * (start_bit) and one past its last (end_bit = start_bit + length), bits
 * counted from that offset.  Any out-parameter may be NULL.  Fails for a
 * member that is not a bitfield. */
status_t vmi_get_bitfield_offset_and_size_from_json(vmi_instance_t vmi, json_object *json,
                                                    const char *struct_name,
                                                    const char *struct_member,
                                                    addr_t *offset, size_t *start_bit,
                                                    size_t *end_bit) NOEXCEPT;

/* The name of struct_member's type as the table names it ("_LIST_ENTRY",
 * "unsigned long"; for a bitfield, its storage type).  Fails for a type the
 * table gives no name (a pointer, an array).  The string belongs to the
 * handle: valid until vmi_destroy, not to be freed. */
status_t vmi_get_struct_field_type_name_from_json(vmi_instance_t vmi, json_object *json,
                                                  const char *struct_name,
                                                  const char *struct_member,
                                                  const char **member_type_name) NOEXCEPT;

#endif /* LIBVMI_EXTRA_JSON */

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_EXTRA_H */
