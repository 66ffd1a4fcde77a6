/*
 * driver.h - the one seam between TinyVMI's core and whatever holds guest
 * physical memory and vCPU state: a memory image, a live QEMU, Xen.
 *
 * Like SQLite's VFS, a driver is a table of functions plus private state.
 * The core never looks inside the state and never includes a driver's own
 * header; adding a hypervisor means adding one table to driver.c's list and
 * touches no core file.  Drivers know nothing of paging, symbols or
 * operating systems.
 *
 * Conventions: every function that can fail returns VMI_SUCCESS or
 * VMI_FAILURE and, on failure, writes the reason into err (never NULL when
 * called by the core).  Every slot says whether it may be NULL; a NULL slot
 * is a capability the target does not have, and the core turns it into a
 * reason naming the driver and the capability (core/info.c, driver_lacks).
 * Only open, close, read, memsize, max_pa and range are required.
 */
#ifndef TINYVMI_DRIVER_H
#define TINYVMI_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include <libvmi/events.h>
#include "util/err.h"

/* Settings a driver may consult at open; NULL fields mean "not given". */
typedef struct driver_settings {
    /* Look up a configuration value by key (e.g. "lime_force"); returns NULL
     * when absent.  ctx is passed back unchanged. */
    const char *(*lookup)(void *ctx, const char *key);
    void *ctx;
} driver_settings_t;

/* What the caller named.  Exactly one of name and id is meaningful:
 * VMI_INIT_DOMAINID in flags means id, otherwise name (a path, a socket, a
 * domain name).  init_data is LibVMI's extra init data as given (a KVMi
 * socket path, a Xen event channel), or NULL. */
typedef struct driver_target {
    const char *name;        /* NULL when the target is named by id */
    uint64_t id;             /* VMI_INVALID_DOMID unless VMI_INIT_DOMAINID */
    uint64_t flags;          /* VMI_INIT_* as passed to vmi_init */
    const vmi_init_data_t *init_data;
} driver_target_t;

/* A target named by path or name alone (for tests and direct driver use). */
#define DRIVER_TARGET_NAMED(n) (&(const driver_target_t){ (n), VMI_INVALID_DOMID, 0, NULL })

/* One fact the target states (hint, fact): a number, or text. */
typedef struct driver_fact {
    const char *key;        /* "win.BugCheckCode" */
    const char *text;       /* UTF-8, NULL when the fact is a number */
    uint64_t value;         /* the number (0 for text) */
} driver_fact_t;

/* One contiguous run of guest-physical memory [start, end). */
typedef struct driver_range {
    addr_t start;
    addr_t end;
} driver_range_t;

/* ---- Events ------------------------------------------------------------
 *
 * The events layer (src/events/) owns the caller's vmi_event_t
 * registrations and LibVMI's semantics; a driver only switches watches on
 * and off and reports what the target saw.  Two families of watch exist:
 *
 *   native:   what a hypervisor's monitor interface reports by itself (Xen's
 *             vm_event: register writes, INT3, mem_access on a frame, ...);
 *   debugger: what a debug stub offers (QEMU's gdbstub: a breakpoint at a
 *             virtual address, a watchpoint on a virtual range, a step).
 *
 * The events layer asks watch_kinds() which the driver has and builds each
 * LibVMI event from native watches where it can and from debugger watches
 * otherwise (a CR3 write as a breakpoint where the kernel switches address
 * space, say).  A driver never needs to know which event a watch serves.
 */
typedef enum driver_watch_kind {
    DRIVER_WATCH_REG_WRITE,     /* native: writes to a control register or MSR */
    DRIVER_WATCH_INT3,          /* native: the guest executes INT3 */
    DRIVER_WATCH_SINGLESTEP,    /* native or debugger: after each instruction */
    DRIVER_WATCH_MEM_ACCESS,    /* native: accesses to one guest-physical frame */
    DRIVER_WATCH_CPUID,         /* native: the guest executes CPUID */
    DRIVER_WATCH_GUEST_REQUEST, /* native: the guest asks for the monitor (a hypercall) */
    DRIVER_WATCH_DEBUG,         /* native: debug exceptions (#DB) */
    DRIVER_WATCH_DESCRIPTOR,    /* native: loads/stores of IDTR, GDTR, LDTR, TR */
    DRIVER_WATCH_IO,            /* native: port I/O */
    DRIVER_WATCH_BREAKPOINT,    /* debugger: about to execute the instruction at va */
    DRIVER_WATCH_WATCHPOINT,    /* debugger: an access to [va, va + len) completed */
    DRIVER_WATCH_KINDS          /* count; not a kind */
} driver_watch_kind_t;

#define DRIVER_WATCH_BIT(k) (1u << (k))

/* One watch to switch on or off.  Fields not used by the kind are 0. */
typedef struct driver_watch {
    driver_watch_kind_t kind;
    uint32_t vcpu;          /* SINGLESTEP: which vCPU */
    reg_t reg;              /* REG_WRITE: CR0, CR3, CR4, XCR0, MSR_ALL, MSR_* */
    uint32_t msr;           /* REG_WRITE with reg MSR_UNDEFINED: the MSR index */
    bool onchange;          /* REG_WRITE: only writes that change the value */
    bool async;             /* REG_WRITE: report without pausing the vCPU */
    addr_t gfn;             /* MEM_ACCESS: the frame */
    uint8_t access;         /* MEM_ACCESS, WATCHPOINT: VMI_MEMACCESS_R/W/X bits */
    addr_t va;              /* BREAKPOINT, WATCHPOINT: guest-virtual address */
    uint64_t len;           /* WATCHPOINT: bytes watched (>= 1) */
} driver_watch_t;

/* What the target reported.  regs, when not NULL, is a snapshot of the
 * vCPU at the event, valid during delivery only. */
typedef struct driver_event {
    driver_watch_kind_t kind;
    uint32_t vcpu;
    const x86_registers_t *regs;
    union {
        struct { reg_t reg; uint32_t msr; uint64_t value, previous; } reg;
        struct {
            addr_t gfn, offset, gla;
            uint8_t access;          /* VMI_MEMACCESS_* bits of the access */
            bool gla_valid, gptw;
        } mem;
        struct { addr_t gla, gfn; uint32_t insn_length; } int3;
        struct { addr_t gla; } step;             /* SINGLESTEP, BREAKPOINT */
        struct { addr_t gla, va; uint8_t access; } watch; /* WATCHPOINT: pc, data */
        struct { uint32_t leaf, subleaf, insn_length; } cpuid;
        struct { addr_t gla, gfn; uint8_t type; uint32_t insn_length; } debug;
        struct {
            uint8_t descriptor;                  /* VMI_DESCRIPTOR_* */
            bool is_write;
            uint32_t instr_info;                 /* VMX: instruction information */
            uint64_t exit_info;                  /* VMX: exit qualification */
        } desc;
        struct { uint16_t port; uint32_t bytes; bool in, str; } io;
        struct { uint64_t data; } request;       /* GUEST_REQUEST */
    };
} driver_event_t;

/* What to do once an event has been delivered: the callback's LibVMI
 * response flags (VMI_EVENT_RESPONSE_*) and what they refer to.  A driver
 * applies the flags it can and fails the others with a reason (the events
 * layer reports it from vmi_events_listen). */
typedef struct driver_reply {
    event_response_t flags;
    const x86_registers_t *regs; /* SET_REGISTERS: the registers to load */
    int8_t reinject;             /* INT3, DEBUG: 1 deliver to the guest, 0 swallow */
    uint32_t insn_length;        /* INT3, DEBUG: for reinjection */
    const emul_read_t *emul_read; /* SET_EMUL_READ_DATA */
    const emul_insn_t *emul_insn; /* SET_EMUL_INSN */
    /* Added for Xen's altp2m (the Xen driver): the view to switch to
     * (SLAT_ID) and the view after one step (NEXT_SLAT_ID).  0 = the host's. */
    uint16_t slat_id;
    uint16_t next_slat_id;
} driver_reply_t;

/* Called by listen() once per event, with the vCPU stopped; the callee may
 * read and write memory and registers through the driver meanwhile. */
typedef void (*driver_deliver_fn)(void *ctx, const driver_event_t *ev, driver_reply_t *reply);

/* ---- SLAT views (altp2m) ------------------------------------------------
 *
 * A hypervisor that keeps several second-level translations for one guest
 * (Xen's altp2m) offers them through this table; see <libvmi/slat.h> for
 * what each call means.  When a driver has the table, every slot is set.
 * Views are numbered as the hypervisor numbers them; 0 is the guest's own.
 * The core only passes calls through (core/slat.c). */
typedef struct driver_slat_ops {
    status_t (*state)(void *state, bool *on, util_err_t *err);
    status_t (*control)(void *state, bool on, util_err_t *err);
    status_t (*create)(void *state, uint16_t *view, util_err_t *err);
    status_t (*destroy)(void *state, uint16_t view, util_err_t *err);
    status_t (*switch_view)(void *state, uint16_t view, util_err_t *err);
    status_t (*change_gfn)(void *state, uint16_t view, addr_t old_gfn, addr_t new_gfn,
                           util_err_t *err);
} driver_slat_ops_t;

/* ---- The table ---------------------------------------------------------- */

typedef struct driver_ops {
    const char *name;       /* "file", "qemu", "xen" */
    vmi_mode_t mode;        /* VMI_FILE, VMI_KVM (qemu), VMI_XEN */
    /* What a target of this driver looks like, for "no driver recognises"
     * messages: "a memory image (raw, ELF core, LiME, crash dump)". */
    const char *accepts;

    /* Is target plausibly ours?  Used for auto-detection; must be cheap and
     * have no side effects (a stat(), not an open).  May be NULL: never
     * detected, only chosen by mode. */
    bool (*probe)(const driver_target_t *target);

    /* Open target; on success *state is the driver's private state.  A
     * driver that cannot name targets by id (or by name) fails with that
     * reason. */
    status_t (*open)(void **state, const driver_target_t *target,
                     const driver_settings_t *settings, util_err_t *err);
    void (*close)(void *state);

    /* The target's own name and id, when it has them (a Xen domain opened
     * by id has a name in xenstore).  NULL: the name is what the caller
     * gave and the id VMI_INVALID_DOMID. */
    const char *(*get_name)(void *state);
    uint64_t (*get_id)(void *state);

    /* ---- Memory ---- */

    /* Zero-copy access: a pointer to len readable bytes at guest-physical pa,
     * valid until close.  Only drivers whose memory stays mapped (files, a
     * shared RAM file) implement it; NULL function means "use read".
     * Returns NULL with a reason when [pa, pa+len) is not wholly backed by
     * one mapping. */
    const void *(*map)(void *state, addr_t pa, size_t len, util_err_t *err);

    /* Copy len bytes from guest-physical pa.  Reads that touch memory the
     * target does not have fail (holes are errors, never zeros); *done tells
     * how many leading bytes were copied before the failure. */
    status_t (*read)(void *state, addr_t pa, void *buf, size_t len,
                     size_t *done, util_err_t *err);
    /* NULL when the target is read-only. */
    status_t (*write)(void *state, addr_t pa, const void *buf, size_t len,
                      size_t *done, util_err_t *err);

    /* Bytes the target holds by guest-virtual address, for a target that
     * keeps copies of virtual memory without the page tables that would map
     * them (a Windows kernel triage dump: copies of a few kernel structures
     * and pages, by address).  The core asks only for an address the page
     * tables do not translate, whatever the table (such copies are of
     * kernel memory).  Fails with a reason for bytes the target does not
     * hold; *done as for read.  NULL: the target holds memory by physical
     * address only. */
    status_t (*read_va)(void *state, addr_t va, void *buf, size_t len, size_t *done,
                        util_err_t *err);

    /* Bytes of guest RAM (sum of ranges) and the first address past the last;
     * both 0 for a target that holds no physical memory (see read_va). */
    uint64_t (*memsize)(void *state);
    addr_t (*max_pa)(void *state);
    /* The i-th range in ascending order; false past the last. */
    bool (*range)(void *state, size_t i, driver_range_t *out);

    /* ---- vCPUs ---- */

    /* NULL: the target has no vCPUs (0). */
    unsigned int (*num_vcpus)(void *state);
    /* Registers with LibVMI's reg_t numbering (CR3, CR4, MSR_EFER, RIP...).
     * Fails with a reason when the target does not hold that register.
     * NULL: the target holds no registers. */
    status_t (*get_vcpureg)(void *state, uint64_t *value, reg_t reg,
                            unsigned long vcpu, util_err_t *err);
    /* All registers at once, for targets where that is one round trip.
     * Registers the target lacks are 0.  NULL: the core gathers them with
     * get_vcpureg. */
    status_t (*get_vcpuregs)(void *state, registers_t *regs, unsigned long vcpu,
                             util_err_t *err);
    /* NULL: registers cannot be changed (images). */
    status_t (*set_vcpureg)(void *state, uint64_t value, reg_t reg, unsigned long vcpu,
                            util_err_t *err);
    /* NULL: the core sets them one by one with set_vcpureg. */
    status_t (*set_vcpuregs)(void *state, const registers_t *regs, unsigned long vcpu,
                             util_err_t *err);
    /* NULL: the target does not expose these. */
    status_t (*get_xsave)(void *state, unsigned long vcpu, xsave_area_t *out, util_err_t *err);
    status_t (*get_mtrr)(void *state, unsigned long vcpu, mtrr_regs_t *out, util_err_t *err);
    status_t (*get_tsc)(void *state, uint32_t *mode, uint64_t *elapsed_nsec, uint32_t *khz,
                        uint32_t *incarnation, util_err_t *err);
    status_t (*inject_page_fault)(void *state, unsigned long vcpu, uint64_t va,
                                  uint32_t error_code, util_err_t *err);

    /* ---- Control ---- */

    /* NULL for targets that cannot run (images: always paused). */
    status_t (*pause)(void *state, util_err_t *err);
    status_t (*resume)(void *state, util_err_t *err);
    /* The target's run state.  NULL: an image (paused, never running). */
    status_t (*status)(void *state, domain_status_t *out, util_err_t *err);
    /* Is the target still there?  VMI_FAILURE with the reason ("QEMU's QMP
     * socket closed") once it has gone; every other slot then fails too.
     * NULL: the target cannot go away (an image stays mapped). */
    status_t (*alive)(void *state, util_err_t *err);
    /* Give the guest one more / one fewer frame.  NULL: not possible. */
    status_t (*alloc_gfn)(void *state, uint64_t gfn, util_err_t *err);
    status_t (*free_gfn)(void *state, uint64_t gfn, util_err_t *err);

    /* ---- Disks ---- */

    /* The guest's disks by id; *out is a malloc'd array of malloc'd strings
     * (the caller frees both).  NULL: the target has no disks to show. */
    status_t (*disk_list)(void *state, char ***out, unsigned int *num, util_err_t *err);
    /* count bytes at offset of disk id; fails past the disk's end. */
    status_t (*disk_read)(void *state, const char *id, uint64_t offset, uint64_t count,
                          void *buf, util_err_t *err);

    /* ---- Facts ---- */

    /* Facts the target states about its guest beyond memory and registers,
     * by namespaced key ("win.PsActiveProcessHead": a Windows crash dump's
     * header names the kernel's list heads).  The driver only reports what
     * the target says; whoever asks must check the value before trusting
     * it.  Fails with a reason when the target states no such fact.  NULL:
     * the target states none. */
    status_t (*hint)(void *state, const char *key, uint64_t *value, util_err_t *err);

    /* Every fact the target states, numbers (those hint answers) and text
     * (a crash dump's comment), the i-th in a fixed order; false past the
     * last.  The strings stay valid until close.  NULL: the target states
     * none. */
    bool (*fact)(void *state, size_t i, driver_fact_t *out);

    /* ---- Events (see above); all NULL for targets without events ---- */

    /* Which watches the target can deliver: DRIVER_WATCH_BIT(kind) bits. */
    uint32_t (*watch_kinds)(void *state);
    /* Switch one watch on or off.  Switching off a watch that is not on
     * fails with a reason. */
    status_t (*watch)(void *state, const driver_watch_t *w, bool on, util_err_t *err);
    /* Wait up to timeout_ms for events and deliver each through fn, then
     * apply its reply and let the vCPU go on.  Returns VMI_SUCCESS after a
     * timeout with no event too; VMI_FAILURE with a reason when the target
     * has gone or the reply could not be applied.  Never waits longer than
     * timeout_ms for the first event. */
    status_t (*listen)(void *state, uint32_t timeout_ms, driver_deliver_fn fn, void *ctx,
                       util_err_t *err);
    /* Events already reported and not yet delivered. */
    int (*pending)(void *state);

    /* ---- SLAT views (see above) ---- */

    /* NULL: the target has no views (images, QEMU; altp2m is Xen's). */
    const driver_slat_ops_t *slat;
} driver_ops_t;

/* All drivers built in, NULL-terminated (driver.c). */
extern const driver_ops_t *const driver_table[];

/* The driver for a mode, or NULL when that mode is not built in. */
const driver_ops_t *driver_for_mode(vmi_mode_t mode);
/* The first driver whose probe accepts target, or NULL. */
const driver_ops_t *driver_detect(const driver_target_t *target);
/* "file (a memory image ...), qemu (...)": what is built in, for messages. */
void driver_describe_all(char *buf, size_t size);
/* LibVMI's name for a mode: "VMI_XEN", "VMI_KVM", "VMI_FILE", ... */
const char *driver_mode_name(vmi_mode_t mode);

#endif
