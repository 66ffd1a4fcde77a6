/*
 * windows.h - the inside of the Windows OS layer, shared by the files of
 * src/os/windows/ and nothing else.
 *
 *   pe.c        PE/COFF images over a read callback (pe.h)
 *   read.c      kernel reads, UNICODE_STRING, the bounded list walk
 *   kernel.c    finding ntoskrnl: config, dump header, registers, scanning
 *   kdbg.c      the kernel debugger data block (_KDDEBUGGER_DATA64)
 *   hints.c     what a crash dump's header states, checked before use
 *   profile.c   offsets from an ISF profile or the config; GUID matching
 *   process.c   the process list, pid <-> page table, the System process
 *   module.c    the loaded-module list (PsLoadedModuleList, or a triage
 *               dump's driver list)
 *   exports.c   PE exports of any module, kernel symbols
 *   version.c   build number and win_ver_t
 *   windows.c   the os_ops table: detect, init, destroy, offsets
 *
 * Written for real Windows kernels; every guest value is checked before
 * use and every walk is bounded.  Nothing here is part of TinyVMI's
 * public interface, and no file here touches a driver or a page walker
 * except through the public API and core.h.
 */
#ifndef TINYVMI_OS_WINDOWS_H
#define TINYVMI_OS_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "os/isf.h"
#include "os/os.h"
#include "os/windows/pe.h"
#include "util/err.h"

#define WIN_UNKNOWN ((uint64_t)~0ULL) /* an offset or address not known */
#define WIN_NOTE_MAX 288               /* why a stated fact was not used */

/* _KDDEBUGGER_DATA64 (the same 64-bit layout on 32- and 64-bit kernels;
 * pointers on 32-bit kernels are sign-extended to 64 bits). */
#define KDBG_TAG_OFF      0x10 /* OwnerTag "KDBG" */
#define KDBG_SIZE_OFF     0x14 /* Size of the block */
#define KDBG_KERNBASE     0x18
#define KDBG_PSLOADED     0x48 /* PsLoadedModuleList */
#define KDBG_PSACTIVE     0x50 /* PsActiveProcessHead */
#define KDBG_MIN_SIZE     0x58 /* enough for every field we read */
#define KDBG_MAX_SIZE     0x1000

/* Structure offsets the layer needs.  WIN_UNKNOWN when neither the
 * profile nor the config gives one. */
typedef struct win_offsets {
    uint64_t tasks;    /* _EPROCESS.ActiveProcessLinks   (win_tasks) */
    uint64_t pdbase;   /* _KPROCESS.DirectoryTableBase   (win_pdbase) */
    uint64_t pid;      /* _EPROCESS.UniqueProcessId      (win_pid) */
    uint64_t pname;    /* _EPROCESS.ImageFileName        (win_pname) */
    uint64_t ppid;     /* _EPROCESS.InheritedFromUniqueProcessId, optional */
    uint64_t user_dtb; /* _KPROCESS.UserDirectoryTableBase, optional (KPTI) */
    /* _LDR_DATA_TABLE_ENTRY: the profile's, else the layout every Windows
     * version since NT 4 shares for its width. */
    uint64_t ldr_base, ldr_size, ldr_basename, ldr_fullname;
    const char *src_tasks, *src_pdbase, *src_pid, *src_pname; /* for messages */
} win_offsets_t;

typedef struct win_state {
    isf_t *isf;                  /* NULL without a profile */
    win_offsets_t off;
    unsigned ptr;                /* guest pointer width: 4 or 8 */

    /* The kernel image. */
    addr_t kbase;                /* ntoskrnl's virtual base, 0 when unknown */
    addr_t kbase_pa;             /* its physical address, 0 when unknown */
    const char *kbase_src;       /* how it was found */
    pe_image_t kpe;
    /* kpe holds ntoskrnl's parsed headers.  False only when the base came
     * from a crash dump's header and no PE image can be read there: the
     * lists still work, exports, sections and the GUID do not. */
    bool kpe_ok;
    bool have_cv;
    pe_codeview_t cv;

    addr_t kdbg;                 /* KdDebuggerDataBlock VA, 0 when unknown */
    /* The block at kdbg was encoded (Windows 8+ x64): kdbg_plain holds its
     * head decoded and checked, and win_kdbg_field reads from there. */
    bool kdbg_decoded;
    uint8_t kdbg_plain[KDBG_MIN_SIZE];
    /* Why an encoded block was not decoded ("" when it was, or none was
     * met), so that "X is unknown" can say so (kdbg.c). */
    char note_kdbg_enc[WIN_NOTE_MAX];
    addr_t ps_active;            /* PsActiveProcessHead VA, 0 when unknown */
    addr_t ps_loaded;            /* PsLoadedModuleList VA, 0 when unknown */
    addr_t sysproc;              /* the System process's EPROCESS VA, or 0 */

    /* Why the crash dump header's PsActiveProcessHead, PsLoadedModuleList
     * and KdDebuggerDataBlock were not used ("" when used or not stated),
     * so that a later "unknown" names the bad hint (hints.c). */
    char note_active[WIN_NOTE_MAX];
    char note_loaded[WIN_NOTE_MAX];
    char note_kdbg[WIN_NOTE_MAX];

    win_build_info_t build;
    bool have_build;

    char symbuf[PE_NAME_MAX];    /* answers of user_rva2sym */
} win_state_t;

/* ==== read.c ==== */
status_t win_read(vmi_instance_t vmi, addr_t va, void *buf, size_t len);
status_t win_read_ptr(vmi_instance_t vmi, const win_state_t *st, addr_t va, addr_t *out);
status_t win_read_u16(vmi_instance_t vmi, addr_t va, uint16_t *out);
status_t win_read_u32(vmi_instance_t vmi, addr_t va, uint32_t *out);
/* A kernel address the guest could hold: canonical, upper half. */
bool win_is_kernel_va(const win_state_t *st, addr_t va);
/* A UNICODE_STRING at va as UTF-8 in buf (always terminated, cut at size).
 * Fails on an odd or implausible length or an unreadable buffer. */
status_t win_read_unicode(vmi_instance_t vmi, const win_state_t *st, addr_t va,
                          char *buf, size_t size);

/* The bounded walk over a LIST_ENTRY list: fn sees the address of each
 * entry's LIST_ENTRY (not the head).  Returns non-zero to stop.  Fails,
 * after fn has seen every entry before the damage, on an unreadable or
 * non-kernel link, on an entry seen twice (a cycle that misses the head),
 * or past OS_WALK_LIMIT entries. */
typedef int (*win_list_fn)(vmi_instance_t vmi, win_state_t *st, addr_t entry, void *ctx);
status_t win_walk_list(vmi_instance_t vmi, win_state_t *st, addr_t head, const char *what,
                       win_list_fn fn, void *ctx);

/* A pe_read_fn over guest memory: image at base, translated through dtb
 * (0: the kernel's). */
typedef struct win_pe_ctx {
    vmi_instance_t vmi;
    addr_t base;
    access_context_t ctx;        /* translation; addr is filled per read */
} win_pe_ctx_t;
status_t win_pe_read(void *ctx, uint64_t rva, void *buf, size_t len, util_err_t *err);
void win_pe_ctx_kernel(win_pe_ctx_t *c, vmi_instance_t vmi, addr_t base);

/* ==== kernel.c ==== */
/* Find ntoskrnl and read its headers and CodeView record into st. */
status_t win_find_kernel(vmi_instance_t vmi, win_state_t *st);
/* Is the image at va a Windows kernel?  Fills *img and *cv on success. */
bool win_is_kernel_image(vmi_instance_t vmi, win_state_t *st, addr_t va, pe_image_t *img,
                         pe_codeview_t *cv, bool *have_cv);
/* The kernel's image, ready for pe_* calls through c (which must outlive
 * img's use). */
void win_kernel_pe(vmi_instance_t vmi, const win_state_t *st, pe_image_t *img,
                   win_pe_ctx_t *c);
/* Is name (a PDB file name, any case) one of the kernel's? */
bool win_is_kernel_pdb(const char *name);

/* ==== kdbg.c ==== */
/* Check the block at va as it lies in memory: tag, size and (if kbase is
 * known) KernBase. */
bool win_kdbg_valid(vmi_instance_t vmi, win_state_t *st, addr_t va);
/* One encoded 64-bit word of the block decoded with the kernel's keys
 * (KiWaitNever, KiWaitAlways) and the address of KdpDataBlockEncoded. */
uint64_t win_kdbg_decode_word(uint64_t enc, uint64_t never, uint64_t always, addr_t flag_va);
/* The block named by what the user gave (win_kdvb, already checked by
 * kernel.c; the profile's KdDebuggerDataBlock; win_kdbg), and the list
 * heads from it where still unknown. */
void win_kdbg_configured(vmi_instance_t vmi, win_state_t *st);
/* Otherwise the block the crash dump header names, else a search of the
 * kernel image; then the list heads from it where still unknown. */
void win_kdbg_search(vmi_instance_t vmi, win_state_t *st);
/* Fails (VMI_FAILURE) with why the list head named head is unknown: no
 * profile symbol, no usable KDBG; note is the crash dump header's refused
 * fact for it ("" when none), then the KDBG's notes. */
status_t win_list_head_unknown(vmi_instance_t vmi, const win_state_t *st, const char *head,
                               const char *note);
/* A 64-bit field of the block at kdbg (decoded when kdbg is st->kdbg and
 * was encoded); 32-bit kernels' sign-extended pointers are checked. */
status_t win_kdbg_field(vmi_instance_t vmi, win_state_t *st, addr_t kdbg, unsigned off,
                        addr_t *out);

/* ==== profile.c ==== */
/* Load the ISF named by the config (volatility_ist), if any. */
status_t win_profile_load(vmi_instance_t vmi, win_state_t *st);
/* Nothing known but the _LDR_DATA_TABLE_ENTRY layout every Windows of the
 * width shares (win_state_new calls it, so that detection can read the
 * module list too). */
void win_offsets_defaults(win_state_t *st);
/* Offsets from the config, then the profile, then the stable defaults.
 * Fails (with the reason) on a configured offset that is not a number. */
status_t win_offsets_init(vmi_instance_t vmi, win_state_t *st);
/* Compare the profile's PDB GUID/age with the kernel's CodeView record. */
status_t win_profile_match(vmi_instance_t vmi, win_state_t *st);
/* The four offsets the process list needs; fails naming what is missing. */
status_t win_need_process_offsets(vmi_instance_t vmi, const win_state_t *st);
/* A kernel symbol's virtual address from the profile (kbase + RVA). */
bool win_profile_symbol(vmi_instance_t vmi, const win_state_t *st, const char *name,
                        addr_t *va);

/* ==== process.c ==== */
status_t win_process_foreach(vmi_instance_t vmi, void *state, tvmi_process_fn fn, void *ctx);
status_t win_pid_to_dtb(vmi_instance_t vmi, void *state, vmi_pid_t pid, addr_t *dtb);
status_t win_dtb_to_pid(vmi_instance_t vmi, void *state, addr_t dtb, vmi_pid_t *pid);
/* Find the System process and make its page table the kernel's. */
void win_find_system(vmi_instance_t vmi, win_state_t *st);
/* Is the process whose ActiveProcessLinks are at links System?  If not,
 * why (what it is instead).  Needs the EPROCESS offsets. */
bool win_process_is_system(vmi_instance_t vmi, const win_state_t *st, addr_t links,
                           char *why, size_t size);

/* ==== hints.c ==== */
/* The value the target states as "win.<name>" (unchecked). */
bool win_hint(vmi_instance_t vmi, const char *name, uint64_t *value);
/* The base of ntoskrnl as the first entry of the header's
 * PsLoadedModuleList (checked as a list whose first module has a kernel
 * file name, at st->kbase when that is known).  Else false, with a note. */
bool win_hint_kernel_module(vmi_instance_t vmi, win_state_t *st, addr_t *base);
/* The header's KdDebuggerDataBlock, if it checks out.  Else false, with a
 * note. */
bool win_hint_kdbg(vmi_instance_t vmi, win_state_t *st, addr_t *kdbg);
/* PsActiveProcessHead / PsLoadedModuleList from the header where still
 * unknown, each checked; notes for those refused. */
void win_hint_list_heads(vmi_instance_t vmi, win_state_t *st);
/* The base of ntoskrnl as the first entry of a triage dump's own driver
 * list (named as the kernel, a page-aligned kernel address).  Else false,
 * with a note when the list names something else. */
bool win_hint_triage_kernel(vmi_instance_t vmi, win_state_t *st, addr_t *base);
/* The build number the header states (DUMP_HEADER.MinorVersion). */
bool win_hint_build(vmi_instance_t vmi, uint16_t *build);

/* ==== module.c ==== */
status_t win_module_foreach(vmi_instance_t vmi, void *state, tvmi_module_fn fn, void *ctx);

/* ==== exports.c ==== */
status_t win_ksym2v(vmi_instance_t vmi, void *state, const char *sym, addr_t *va);
const char *win_v2ksym(vmi_instance_t vmi, void *state, addr_t va);
status_t win_user_sym2rva(vmi_instance_t vmi, void *state, const access_context_t *ctx,
                          const char *sym, addr_t *rva);
const char *win_user_rva2sym(vmi_instance_t vmi, void *state, const access_context_t *ctx,
                             addr_t rva);

/* ==== version.c ==== */
void win_version_init(vmi_instance_t vmi, win_state_t *st);
bool win_build_info(vmi_instance_t vmi, void *state, win_build_info_t *info);
win_ver_t win_version_from_build(uint16_t build, uint16_t major, uint16_t minor);

#endif
