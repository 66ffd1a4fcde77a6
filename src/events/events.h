/*
 * events.h - the events layer's private state: LibVMI's registrations
 * (<libvmi/events.h>) and how each is served by the driver's watches.
 *
 * The layer sits above the core and the OS layer and below the tools, and
 * is the same for every driver.  Where the driver reports a LibVMI event
 * kind natively (Xen's vm_event: register writes, INT3, mem_access), a
 * registration switches the matching native watch on.  Where it offers
 * only debugger watches (QEMU's gdbstub: breakpoints, watchpoints, steps),
 * the event is built from them:
 *
 *   VMI_EVENT_INTERRUPT (INT3)  a breakpoint on the guest's #BP handler,
 *                               read from the IDT (int3.c)
 *   VMI_EVENT_REGISTER (CR3)    where the kernel switches address space, as
 *                               the OS layer names it (cr3.c)
 *   VMI_EVENT_MEMORY            watchpoints on every virtual page that maps
 *                               the frame (mem.c)
 *   VMI_EVENT_SINGLESTEP        steps (step.c)
 *
 * It reaches the driver only through the core's pass-throughs
 * (core_driver_watch, ..._listen), never the driver table.  Files:
 * state.c (the state, the debugger watches the layer owns), register.c
 * (registering and clearing), listen.c (delivery and responses), step.c,
 * int3.c, cr3.c, mem.c.
 */
#ifndef TINYVMI_EVENTS_H
#define TINYVMI_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include <libvmi/events.h>
#include "core/core.h"

#define EV_MAX_VCPUS MAX_SINGLESTEP_VCPUS
#define EV_MAX_REG_EVENTS 16
#define EV_MAX_MEM_EVENTS 256
#define EV_MAX_STEPS 64

typedef struct ev_state ev_state_t;

/* A debugger watch the layer inserted for one of its emulations; hit is
 * called for every driver event the watch matches. */
typedef void (*ev_hit_fn)(ev_state_t *st, void *owner, const driver_event_t *ev,
                          driver_reply_t *reply);
typedef struct ev_watch {
    driver_watch_t w;
    ev_hit_fn hit;
    void *owner;
} ev_watch_t;

/* A registered memory event on one frame, and, for debugger-only drivers,
 * the watchpoints that stand in for it (mem.c). */
typedef struct ev_mem {
    addr_t gfn;
    vmi_mem_access_t access;
    vmi_event_t *event;       /* NULL: a frame of the generic event */
    addr_t *vas;              /* virtual pages watched */
    unsigned int nvas;
    uint8_t *shadow;          /* the frame's bytes at the last write (offsets) */
} ev_mem_t;

/* vmi_step_event's pending re-registrations. */
typedef struct ev_step {
    vmi_event_t *event;
    event_callback_t cb;
    uint32_t vcpu;
    uint64_t steps;
} ev_step_t;

/* The emulation of CR3-write events (cr3.c). */
typedef struct ev_cr3 {
    bool on;
    bool by_watch;            /* a watchpoint per CPU (else breakpoints) */
    addr_t addrs[EV_MAX_VCPUS];
    unsigned int naddrs;
    uint32_t len;
    uint64_t skip;            /* a value written that is not a switch */
    bool have_skip;
    uint64_t last[EV_MAX_VCPUS];
} ev_cr3_t;

struct ev_state {
    vmi_instance_t vmi;
    uint32_t kinds;           /* the driver's DRIVER_WATCH_BIT set */

    vmi_event_t *reg[EV_MAX_REG_EVENTS];
    unsigned int nreg;
    vmi_event_t *int3;
    /* The kinds only a hypervisor's monitor reports, one registration each
     * (CPUID, GUEST_REQUEST, DEBUG, DESCRIPTOR, IO), by driver watch kind. */
    vmi_event_t *native[DRIVER_WATCH_KINDS];
    addr_t int3_handler;      /* debugger emulation: the #BP entry, 0 when off */
    bool int3_64;             /* long-mode exception frames */
    ev_mem_t mem[EV_MAX_MEM_EVENTS];
    unsigned int nmem;
    vmi_event_t *mem_generic;
    vmi_event_t *ss[EV_MAX_VCPUS]; /* the single-step event each vCPU reports to */
    bool ss_on[EV_MAX_VCPUS];      /* stepping wanted by events or toggles */
    unsigned int step_users[EV_MAX_VCPUS]; /* vmi_step_event wrappers per vCPU */
    bool driver_stepping[EV_MAX_VCPUS];
    ev_step_t steps[EV_MAX_STEPS];
    unsigned int nsteps;
    ev_cr3_t cr3;

    ev_watch_t *watches;
    size_t nwatches, cap_watches;

    bool in_callback;
    util_err_t deferred;      /* a response that could not be applied */
    /* The registers a callback sees (event->x86_regs) and may change for
     * SET_REGISTERS; they must outlive the callback until the driver has
     * applied the reply. */
    x86_registers_t call_regs;
};

/* ---- state.c ---- */
/* The instance's events state, created on first use (NULL with a reason). */
ev_state_t *ev_get(vmi_instance_t vmi);
/* Switch a debugger watch on for owner (the driver refcounts equal ones). */
status_t ev_watch_add(ev_state_t *st, const driver_watch_t *w, ev_hit_fn hit, void *owner);
/* Switch every watch of owner off. */
status_t ev_watch_remove_owner(ev_state_t *st, void *owner);
/* Hand a BREAKPOINT or WATCHPOINT driver event to the owners it matches;
 * false when none matched. */
bool ev_watch_dispatch(ev_state_t *st, const driver_event_t *ev, driver_reply_t *reply);
/* Does the driver deliver this watch kind? */
static inline bool ev_has(const ev_state_t *st, driver_watch_kind_t k)
{
    return (st->kinds & DRIVER_WATCH_BIT(k)) != 0;
}

/* ---- listen.c ---- */
/* Run event's callback for a driver event, with the common fields set
 * (vcpu, page mode, x86_regs = &st->call_regs, which the caller filled),
 * and apply what it answered: toggles, registers (into reply).  Returns
 * the response flags. */
event_response_t ev_call(ev_state_t *st, vmi_event_t *event, const driver_event_t *ev,
                         driver_reply_t *reply);
/* st->call_regs from the driver's snapshot (zero when it sent none). */
void ev_regs_from(ev_state_t *st, const driver_event_t *ev);

/* ---- step.c ---- */
status_t ev_ss_register(ev_state_t *st, vmi_event_t *event);
status_t ev_ss_clear(ev_state_t *st, vmi_event_t *event);
/* Make the driver step exactly the vCPUs that events, toggles and step
 * countdowns want. */
status_t ev_ss_sync(ev_state_t *st, uint32_t vcpu);
void ev_ss_deliver(ev_state_t *st, const driver_event_t *ev, driver_reply_t *reply);
void ev_ss_toggle(ev_state_t *st, uint32_t vcpu);

/* ---- int3.c ---- */
status_t ev_int3_register(ev_state_t *st, vmi_event_t *event);
status_t ev_int3_clear(ev_state_t *st);

/* ---- cr3.c ---- */
status_t ev_cr3_register(ev_state_t *st, vmi_event_t *event);
status_t ev_cr3_clear(ev_state_t *st);

/* ---- mem.c ---- */
status_t ev_mem_watch(ev_state_t *st, ev_mem_t *m);
status_t ev_mem_unwatch(ev_state_t *st, ev_mem_t *m);

#endif
