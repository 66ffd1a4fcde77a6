/*
 * x86.h - bit tests on x86 page-table entries, LibVMI's names.
 *
 * Each macro takes an entry value (a PTE, PDE, PDPTE, PML4E or PML5E as a
 * page_info_t or vmi_get_va_pages reports it) and answers 0 or 1 for one
 * bit of the formats in the Intel SDM vol. 3A, tables 4-4 to 4-20.  They
 * work on 32-bit (legacy) and 64-bit (PAE, IA-32e) entries alike, except
 * NX, which only 64-bit entries have.  Include <libvmi/libvmi.h> first: the
 * macros are built on its VMI_GET_BIT.
 *
 * Nothing here is checked against the paging mode: the walkers in
 * TinyVMI do that (reserved bits, MAXPHYADDR) before reporting an entry.
 */
#ifndef LIBVMI_X86_H
#define LIBVMI_X86_H

#include <libvmi/libvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

/* Entries per table: a PAE page-directory-pointer table has 4, PAE and
 * IA-32e directories and tables 512, 32-bit ("no PAE") ones 1024. */
#define PTRS_PER_PDPI 4
#define PTRS_PER_PAE_PTE 512
#define PTRS_PER_PAE_PGD 512

#define PTRS_PER_NOPAE_PTE 1024
#define PTRS_PER_NOPAE_PGD 1024

/* Bit 0: the entry is in use; when clear the CPU ignores every other bit
 * and an access through it faults (the OS may keep swap data there). */
#define PRESENT(entry)          VMI_GET_BIT(entry, 0)

/* Bit 1: writes allowed (subject to CR0.WP for supervisor accesses).  Every
 * level must allow a write for the page to be writable. */
#define READ_WRITE(entry)       VMI_GET_BIT(entry, 1)

/* Bit 2: user-mode (CPL 3) accesses allowed; clear means supervisor only.
 * As with READ_WRITE, all levels must agree. */
#define USER_SUPERVISOR(entry)  VMI_GET_BIT(entry, 2)

/* Bit 3 (PWT) and bit 4 (PCD): the page's caching: write-through, and
 * caching disabled. */
#define WRITE_THROUGH(entry)    VMI_GET_BIT(entry, 3)
#define CACHE_DISABLED(entry)   VMI_GET_BIT(entry, 4)

/* Bit 5: the CPU has used this entry for an access (set by the CPU, cleared
 * only by software). */
#define ACCESSED(entry)         VMI_GET_BIT(entry, 5)

/* Bit 6: the page has been written (leaf entries only; set by the CPU). */
#define DIRTY(entry)            VMI_GET_BIT(entry, 6)

/* Bit 7 (PS): in a PDE or PDPTE, the entry maps a large page (4 MiB or
 * 2 MiB, 1 GiB) instead of pointing to a table.  In a PTE the same bit is
 * PAT. */
#define PAGE_SIZE(entry)        VMI_GET_BIT(entry, 7)

/* Bit 8: a global translation, kept in the TLB across CR3 loads when
 * CR4.PGE is set. */
#define GLOBAL_PAGE(entry)      VMI_GET_BIT(entry, 8)

/* Bits 9-11 are the OS's.  Windows uses bit 10 for a prototype PTE and bit
 * 11 for a page in transition (on a standby or modified list, still in
 * RAM, with P clear). */
#define PROTOTYPE(entry)        VMI_GET_BIT(entry, 10)
#define TRANSITION(entry)       VMI_GET_BIT(entry, 11)

/* Whether the entry's frame holds the page: present, or, when the caller
 * counts Windows transition pages (transition_pages non-zero), in
 * transition and not a prototype. */
#define ENTRY_PRESENT(transition_pages, entry) \
    (PRESENT(entry) || (transition_pages && TRANSITION(entry) && !PROTOTYPE(entry)))

/* Bit 63 of a PAE or IA-32e entry: instruction fetches forbidden (with
 * EFER.NXE set; reserved otherwise). */
#define NX(entry)               VMI_GET_BIT(entry, 63)

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* LIBVMI_X86_H */
