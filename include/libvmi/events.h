/*
 * events.h - LibVMI's events interface: ask the hypervisor to stop a vCPU
 * when something happens (a register write, an INT3, an access to a page, a
 * single instruction) and run a callback while it is stopped.
 *
 * Names, types and structure layouts are LibVMI's (events version 9), so a
 * program written against LibVMI's <libvmi/events.h> compiles unchanged.
 * Which events a target can deliver depends on its driver; registering one
 * it cannot deliver fails at once with the reason in tvmi_errmsg().  The
 * documentation of each call says where TinyVMI differs.
 */
#ifndef LIBVMI_EVENTS_H
#define LIBVMI_EVENTS_H

#define VMI_EVENTS_VERSION 0x00000009

#ifdef __cplusplus
extern "C" {
#ifndef NOEXCEPT
#define NOEXCEPT noexcept
#endif
#else
#ifndef NOEXCEPT
#define NOEXCEPT
#endif
#endif

#pragma GCC visibility push(default)

#include <stdbool.h>
#include <stdint.h>

#include <libvmi/libvmi.h>

/* ---- What can be watched ---- */
typedef uint16_t vmi_event_type_t;

#define VMI_EVENT_INVALID           0
#define VMI_EVENT_MEMORY            1  /* an access to a guest-physical page */
#define VMI_EVENT_REGISTER          2  /* a write (or read) of a register */
#define VMI_EVENT_SINGLESTEP        3  /* every instruction on chosen vCPUs */
#define VMI_EVENT_INTERRUPT         4  /* an interrupt or exception, e.g. INT3 */
#define VMI_EVENT_GUEST_REQUEST     5  /* the guest called the monitor */
#define VMI_EVENT_CPUID             6  /* the guest executed CPUID */
#define VMI_EVENT_DEBUG_EXCEPTION   7  /* a #DB exception */
#define VMI_EVENT_PRIVILEGED_CALL   8  /* SMC on ARM */
#define VMI_EVENT_DESCRIPTOR_ACCESS 9  /* IDTR, GDTR, LDTR or TR accessed */
#define VMI_EVENT_FAILED_EMULATION  10 /* a requested emulation failed */
#define VMI_EVENT_DOMAIN_WATCH      11 /* domains created or destroyed */
#define VMI_EVENT_VMEXIT            12 /* every VM exit */
#define VMI_EVENT_IO                13 /* port I/O */

/* The most vCPUs a single-step event can name (a 32-bit mask). */
#define MAX_SINGLESTEP_VCPUS 32

typedef uint8_t vmi_reg_access_t;
#define VMI_REGACCESS_INVALID 0
#define VMI_REGACCESS_N       (1 << 0)
#define VMI_REGACCESS_R       (1 << 1)
#define VMI_REGACCESS_W       (1 << 2)
#define VMI_REGACCESS_RW      (VMI_REGACCESS_R | VMI_REGACCESS_W)

typedef uint8_t vmi_mem_access_t;
#define VMI_MEMACCESS_INVALID 0
#define VMI_MEMACCESS_N       (1 << 0)
#define VMI_MEMACCESS_R       (1 << 1)
#define VMI_MEMACCESS_W       (1 << 2)
#define VMI_MEMACCESS_X       (1 << 3)
#define VMI_MEMACCESS_RW      (VMI_MEMACCESS_R | VMI_MEMACCESS_W)
#define VMI_MEMACCESS_RX      (VMI_MEMACCESS_R | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_WX      (VMI_MEMACCESS_W | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_RWX     (VMI_MEMACCESS_R | VMI_MEMACCESS_W | VMI_MEMACCESS_X)
#define VMI_MEMACCESS_W2X     (1 << 4) /* write, then execute */
#define VMI_MEMACCESS_RWX2N   (1 << 5) /* any access, then none */

/* Data an emulated read returns instead of memory (RESPONSE_SET_EMUL_READ_DATA). */
typedef struct emul_read {
    uint32_t size;
    uint8_t dont_free; /* 1: the library must not free this after use */
    uint8_t _pad[3];
    uint8_t data[256];
} emul_read_t;

/* Instruction bytes to emulate instead of memory (RESPONSE_SET_EMUL_INSN). */
typedef struct emul_insn {
    uint8_t dont_free;
    uint8_t _pad[7];
    uint8_t data[16];
} emul_insn_t;

/* VMI_EVENT_REGISTER.  IN: set before registering; OUT: filled per event. */
typedef struct reg_event {
    reg_t reg;                  /* IN: CR0, CR3, CR4, XCR0, MSR_ALL, an MSR_*, MSR_UNDEFINED */
    reg_t equal;                /* IN: deliver only when the value equals this (0: always) */
    uint8_t async;              /* IN: 1 = report without pausing the vCPU */
    uint8_t onchange;           /* IN: 1 = only writes that change the value */
    vmi_reg_access_t in_access; /* IN: VMI_REGACCESS_W (most targets trap writes only) */
    vmi_reg_access_t out_access; /* OUT: the access that happened */
    uint32_t _pad1;
    reg_t value;                /* OUT: the value written (or read) */
    reg_t previous;             /* OUT: the value before (CR0/CR3/CR4/MSR) */
    uint32_t msr;               /* IN with MSR_UNDEFINED: the MSR index; OUT: the MSR hit */
    uint32_t _pad2;
} reg_event_t;

/* VMI_EVENT_MEMORY. */
typedef struct mem_access_event {
    addr_t gfn;                 /* IN: the frame (~0 for generic); OUT: the frame hit */
    uint8_t generic;            /* IN: 1 = one callback for every frame set with vmi_set_mem_event */
    vmi_mem_access_t in_access; /* IN: the accesses that trigger */
    vmi_mem_access_t out_access; /* OUT: the access that happened */
    uint8_t gptw;               /* OUT: 1 = during a guest page-table walk */
    uint8_t gla_valid;          /* OUT: 1 = gla holds the virtual address */
    uint8_t _pad[3];
    addr_t gla;                 /* OUT: the virtual address accessed */
    addr_t offset;              /* OUT: the byte offset within the frame */
} mem_access_event_t;

/* VMI_EVENT_DOMAIN_WATCH. */
typedef struct watch_domain_event {
    char *uuid;
    uint32_t domain;
    bool created;
} watch_domain_event_t;

/* Which interrupt an VMI_EVENT_INTERRUPT watches. */
typedef uint8_t interrupts_t;
#define INT_INVALID 0
#define INT3        1 /* a software breakpoint (0xCC) */
#define INT_NEXT    2 /* the next interrupt delivered, whatever it is */

/* VMI_EVENT_INTERRUPT. */
typedef struct interrupt_event {
    interrupts_t intr;          /* IN: INT3 or INT_NEXT */
    uint8_t _pad1[7];
    union {
        struct {                /* INT3 */
            uint32_t insn_length; /* IN/OUT: length used when reinjecting */
            /* OUT (set by the callback): 1 = let the guest see the
             * breakpoint, 0 = swallow it.  -1 until the callback decides. */
            int8_t reinject;
            uint8_t _pad2[3];
            addr_t gla;         /* OUT: address of the INT3 instruction */
            addr_t gfn;         /* OUT: its frame */
            addr_t offset;      /* OUT: its offset in the frame */
            uint16_t _pad3;
        };
        struct {                /* INT_NEXT */
            uint32_t vector;
            uint32_t type;
            uint32_t error_code;
            uint32_t _pad4;
            uint64_t cr2;
        };
    };
} interrupt_event_t;

/* VMI_EVENT_PRIVILEGED_CALL (ARM). */
typedef struct privcall_event {
    addr_t gla;
    addr_t gfn;
    addr_t offset;
} privcall_event_t;

/* VMI_EVENT_SINGLESTEP. */
typedef struct single_step_event {
    uint32_t vcpus;             /* IN: bit n = vCPU n */
    uint8_t enable;             /* IN: 1 = start stepping at registration */
    uint8_t _pad[3];
    addr_t gla;                 /* OUT: the instruction pointer */
    addr_t gfn;                 /* OUT: its frame */
    addr_t offset;              /* OUT: its offset in the frame */
} single_step_event_t;

/* VMI_EVENT_DEBUG_EXCEPTION. */
typedef struct debug_event {
    addr_t gla;
    addr_t gfn;
    addr_t offset;
    uint32_t insn_length;
    uint8_t type;               /* the hypervisor's trap type (HVMOP_TRAP_* on Xen) */
    int8_t reinject;            /* set by the callback: 1 deliver, 0 swallow */
    uint16_t _pad;
} debug_event_t;

/* VMI_EVENT_CPUID. */
typedef struct cpuid_event {
    uint32_t insn_length;
    uint32_t leaf;
    uint32_t subleaf;
    uint32_t _pad;
} cpuid_event_t;

/* VMI_EVENT_IO. */
typedef struct {
    uint32_t bytes;
    uint16_t port;
    uint8_t in;
    uint8_t str;
} io_event_t;

#define VMI_DESCRIPTOR_IDTR 1
#define VMI_DESCRIPTOR_GDTR 2
#define VMI_DESCRIPTOR_LDTR 3
#define VMI_DESCRIPTOR_TR   4

/* VMI_EVENT_DESCRIPTOR_ACCESS. */
typedef struct desriptor_event {
    union {
        struct {
            uint32_t instr_info;         /* VMX instruction information */
            uint32_t _pad1;
            uint64_t exit_qualification; /* VMX exit qualification */
        };
        uint64_t exit_info;              /* SVM EXITINFO */
    };
    uint8_t descriptor;                  /* VMI_DESCRIPTOR_* */
    uint8_t is_write;
    uint8_t _pad2[6];
} descriptor_event_t;

/* VMI_EVENT_VMEXIT. */
typedef struct vmexit_event {
    uint8_t sync;
    uint64_t reason;
    uint64_t qualification;
} vmexit_event_t;

struct vmi_event;
typedef struct vmi_event vmi_event_t;

/* ---- What a callback returns: what to do before the vCPU goes on ---- */
typedef uint32_t event_response_flags_t;
#define VMI_EVENT_RESPONSE_NONE               0
#define VMI_EVENT_RESPONSE_EMULATE            (1u << 1)
#define VMI_EVENT_RESPONSE_EMULATE_NOWRITE    (1u << 2)
#define VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA (1u << 3)
#define VMI_EVENT_RESPONSE_DENY               (1u << 4)
#define VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP  (1u << 5)
#define VMI_EVENT_RESPONSE_SLAT_ID            (1u << 6)
#define VMI_EVENT_RESPONSE_VMM_PAGETABLE_ID   VMI_EVENT_RESPONSE_SLAT_ID
#define VMI_EVENT_RESPONSE_SET_REGISTERS      (1u << 7)
#define VMI_EVENT_RESPONSE_SET_EMUL_INSN      (1u << 8)
#define VMI_EVENT_RESPONSE_GET_NEXT_INTERRUPT (1u << 9)
#define VMI_EVENT_RESPONSE_NEXT_SLAT_ID       (1u << 10)
#define VMI_EVENT_RESPONSE_RESET_VMTRACE      (1u << 11)
#define VMI_EVENT_RESPONSE_RESET_FORK_STATE   (1u << 12)
#define VMI_EVENT_RESPONSE_RESET_FORK_MEM     (1u << 13)
#define __VMI_EVENT_RESPONSE_MAX              13

typedef uint32_t event_response_t;

typedef event_response_t (*event_callback_t)(vmi_instance_t vmi, vmi_event_t *event);

/* Called once an event is really gone (vmi_clear_event, vmi_swap_events);
 * rc says whether clearing succeeded. */
typedef void (*vmi_event_free_t)(vmi_event_t *event, status_t rc);

/* One registration: the caller owns the structure and keeps it alive while
 * it is registered. */
struct vmi_event {
    uint32_t version;           /* IN: VMI_EVENTS_VERSION */
    vmi_event_type_t type;      /* IN: VMI_EVENT_* */
    uint16_t slat_id;           /* IN/OUT/RESPONSE: the second-level table (Xen altp2m view) */
    uint16_t next_slat_id;      /* RESPONSE with NEXT_SLAT_ID */
    uint16_t _reserved[3];
    void *data;                 /* IN: the caller's, handed back untouched */
    event_callback_t callback;  /* IN */
    uint32_t vcpu_id;           /* OUT: the vCPU the event happened on */
    page_mode_t page_mode;      /* OUT */
    union {
        reg_event_t reg_event;
        mem_access_event_t mem_event;
        single_step_event_t ss_event;
        interrupt_event_t interrupt_event;
        privcall_event_t privcall_event;
        cpuid_event_t cpuid_event;
        debug_event_t debug_event;
        descriptor_event_t descriptor_event;
        watch_domain_event_t watch_event;
        vmexit_event_t vmexit_event;
        io_event_t io_event;
    };
    /* One pointer, three meanings (LibVMI's layout): OUT, the vCPU's
     * registers at the event; RESPONSE, what SET_EMUL_READ_DATA or
     * SET_EMUL_INSN refers to (setting it replaces the register pointer). */
    union {
        union {
            x86_registers_t *x86_regs;
            arm_registers_t *arm_regs;
        };
        emul_read_t *emul_read;
        emul_insn_t *emul_insn;
    };
};

/* ---- Filling a vmi_event_t ---- */
#define SET_VCPU_SINGLESTEP(ss_event, x)   do { (ss_event).vcpus |= (1 << (x)); } while (0)
#define UNSET_VCPU_SINGLESTEP(ss_event, x) do { (ss_event).vcpus &= ~(1 << (x)); } while (0)
#define CHECK_VCPU_SINGLESTEP(ss_event, x) (((ss_event).vcpus) & (1 << (x)))

#define SETUP_SINGLESTEP_EVENT(_event, _vcpu_mask, _callback, _enable) \
    do {                                                               \
        (_event)->version = VMI_EVENTS_VERSION;                        \
        (_event)->type = VMI_EVENT_SINGLESTEP;                         \
        (_event)->ss_event.vcpus = (_vcpu_mask);                       \
        (_event)->ss_event.enable = (_enable);                         \
        (_event)->callback = (_callback);                              \
    } while (0)

#define SETUP_MEM_EVENT(_event, _gfn, _access, _callback, _generic)   \
    do {                                                               \
        (_event)->version = VMI_EVENTS_VERSION;                        \
        (_event)->type = VMI_EVENT_MEMORY;                             \
        (_event)->mem_event.gfn = (_generic) ? ~0ULL : (_gfn);         \
        (_event)->mem_event.in_access = (_access);                     \
        (_event)->mem_event.generic = (_generic);                      \
        (_event)->callback = (_callback);                              \
    } while (0)

#define SETUP_REG_EVENT(_event, _reg, _access, _equal, _callback)     \
    do {                                                               \
        (_event)->version = VMI_EVENTS_VERSION;                        \
        (_event)->type = VMI_EVENT_REGISTER;                           \
        (_event)->reg_event.reg = (_reg);                              \
        (_event)->reg_event.in_access = (_access);                     \
        (_event)->reg_event.equal = (_equal);                          \
        (_event)->callback = (_callback);                              \
    } while (0)

#define SETUP_INTERRUPT_EVENT(_event, _callback)                       \
    do {                                                               \
        (_event)->version = VMI_EVENTS_VERSION;                        \
        (_event)->type = VMI_EVENT_INTERRUPT;                          \
        (_event)->interrupt_event.intr = INT3;                         \
        (_event)->interrupt_event.reinject = -1;                       \
        (_event)->callback = (_callback);                              \
    } while (0)

#define SETUP_PRIVCALL_EVENT(_event, _callback)                        \
    do {                                                               \
        (_event)->version = VMI_EVENTS_VERSION;                        \
        (_event)->type = VMI_EVENT_PRIVILEGED_CALL;                    \
        (_event)->callback = (_callback);                              \
    } while (0)

#define SETUP_IO_EVENT(_event, _callback)                              \
    do {                                                               \
        (_event)->version = VMI_EVENTS_VERSION;                        \
        (_event)->type = VMI_EVENT_IO;                                 \
        (_event)->callback = (_callback);                              \
    } while (0)

/* ---- Calls ---- */

/* VMI_EVENTS_VERSION of this library.  Cannot fail. */
uint32_t vmi_events_version(void) NOEXCEPT;

/* Start delivering event to its callback.  Fails with a reason when the
 * target cannot deliver this kind (an image delivers none), the structure
 * is malformed (version, type, no callback), or an equal event is
 * registered already.  The event must stay valid until cleared. */
status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *event) NOEXCEPT;

/* Replace swap_from by swap_to with no event lost between: in place when
 * both watch the same thing, else swap_to is registered before swap_from
 * is cleared.  free_routine (may be NULL) gets swap_from.  Fails with a
 * reason when either is NULL, nothing is registered, or registering
 * swap_to fails (swap_from then stays registered). */
status_t vmi_swap_events(vmi_instance_t vmi, vmi_event_t *swap_from, vmi_event_t *swap_to,
                         vmi_event_free_t free_routine) NOEXCEPT;

/* Stop delivering event; free_routine (may be NULL) runs once it is gone,
 * with the outcome.  Fails with a reason when event is NULL or not
 * registered, or the target refuses to drop the watch. */
status_t vmi_clear_event(vmi_instance_t vmi, vmi_event_t *event,
                         vmi_event_free_t free_routine) NOEXCEPT;

/* The registered register event for reg; fails (NULL, with a reason)
 * when there is none. */
vmi_event_t *vmi_get_reg_event(vmi_instance_t vmi, reg_t reg) NOEXCEPT;

/* The memory event watching gfn for access (0: any access), the generic
 * one when gfn is watched through vmi_set_mem_event; fails (NULL, with a
 * reason) when there is none. */
vmi_event_t *vmi_get_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access) NOEXCEPT;

/* Watch gfn for access under the registered generic memory event
 * (VMI_MEMACCESS_N stops watching it).  Fails with a reason when no
 * generic event is registered, vmm_pagetable_id is not 0 (views need
 * Xen's altp2m), the frame has its own event, or the target refuses. */
status_t vmi_set_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access,
                           uint16_t vmm_pagetable_id) NOEXCEPT;

/* The same for every frame in [gfn_start, gfn_end]; fails as
 * vmi_set_mem_event does, and when the range is reversed or too long. */
status_t vmi_set_mem_event_range(vmi_instance_t vmi, addr_t gfn_start, addr_t gfn_end,
                                 vmi_mem_access_t access, uint16_t vmm_pagetable_id) NOEXCEPT;

/* Run cb (or event's own callback when cb is NULL) after vcpu_id has
 * executed steps more instructions, from inside an event callback.  Fails
 * with a reason when event is NULL, steps is 0, the vCPU does not exist,
 * too many waits are pending, or the target cannot single-step. */
status_t vmi_step_event(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu_id,
                        uint64_t steps, event_callback_t cb) NOEXCEPT;

/* Wait up to timeout milliseconds for events and deliver every one that
 * arrives to its callback.  Returns VMI_SUCCESS after a timeout with no
 * event too; VMI_FAILURE with a reason when the target has gone. */
status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout) NOEXCEPT;

/* Whether vmi_events_listen must be called for the target to go on.  On
 * every target TinyVMI drives a vCPU that hit a watch waits for the
 * listener, so this only records the wish; fails only when vmi is NULL. */
status_t vmi_event_listener_required(vmi_instance_t vmi, bool required) NOEXCEPT;

/* Events waiting to be delivered; fails (-1, with a reason) when the
 * target has gone or cannot tell. */
int vmi_are_events_pending(vmi_instance_t vmi) NOEXCEPT;

/* The single-step event registered for vcpu; fails (NULL, with a reason)
 * when there is none. */
vmi_event_t *vmi_get_singlestep_event(vmi_instance_t vmi, uint32_t vcpu) NOEXCEPT;

/* Stop stepping vcpu under event.  Fails with a reason when event is
 * NULL, the vCPU does not exist or steps for another event, or the target
 * refuses. */
status_t vmi_stop_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event,
                                   uint32_t vcpu) NOEXCEPT;

/* Start or stop stepping vcpu under event; fails as
 * vmi_stop_single_step_vcpu does. */
status_t vmi_toggle_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu,
                                     bool enabled) NOEXCEPT;

/* Stop every single-step event and step wait.  Fails with a reason when a
 * vCPU could not be told to stop stepping (the others are stopped). */
status_t vmi_shutdown_single_step(vmi_instance_t vmi) NOEXCEPT;

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
