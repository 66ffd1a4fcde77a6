/*
 * listen.c - vmi_events_listen: the driver waits and reports what its
 * watches saw; this file turns each report into LibVMI's vmi_event_t,
 * runs the callback, and applies LibVMI's response flags.  Reports of
 * debugger watches go to the emulation that owns the watch (int3.c,
 * cr3.c, mem.c); native reports (Xen's vm_event) are filled here.
 *
 * Response flags: TOGGLE_SINGLESTEP and SET_REGISTERS work on every
 * driver.  On a native driver every other flag goes to the driver, which
 * applies it or fails with a reason.  On a debugger-only driver the access
 * has already happened when a watchpoint reports it, so EMULATE of a
 * memory event is what happened anyway; the flags that would change it
 * (DENY, EMULATE_NOWRITE, emulated data or instructions, SLAT views,
 * vmtrace, forks) cannot be honoured: vmi_events_listen then fails with
 * that reason after letting the guest go on.
 */
#include "events/events.h"

#include <string.h>

#include "driver/regs.h"

uint32_t vmi_events_version(void)
{
    return VMI_EVENTS_VERSION;
}

static bool native(const ev_state_t *st)
{
    return !ev_has(st, DRIVER_WATCH_BREAKPOINT);
}

void ev_regs_from(ev_state_t *st, const driver_event_t *ev)
{
    if (ev->regs)
        st->call_regs = *ev->regs;
    else
        memset(&st->call_regs, 0, sizeof(st->call_regs));
}

event_response_t ev_call(ev_state_t *st, vmi_event_t *event, const driver_event_t *ev,
                         driver_reply_t *reply)
{
    vmi_instance_t vmi = st->vmi;
    event_response_t r, handled = VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP |
                                  VMI_EVENT_RESPONSE_SET_REGISTERS;

    event->vcpu_id = ev->vcpu;
    event->page_mode = vmi_get_page_mode(vmi, ev->vcpu);
    event->x86_regs = &st->call_regs;
    r = event->callback ? event->callback(vmi, event) : VMI_EVENT_RESPONSE_NONE;
    if (r & VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP)
        ev_ss_toggle(st, ev->vcpu);
    if ((r & VMI_EVENT_RESPONSE_SET_REGISTERS) && event->x86_regs) {
        reply->flags |= VMI_EVENT_RESPONSE_SET_REGISTERS;
        reply->regs = event->x86_regs;
    }
    if (native(st)) {
        /* The hypervisor applies the rest; emulation data and views ride
         * along. */
        reply->flags |= r & ~handled;
        reply->slat_id = event->slat_id;
        reply->next_slat_id = event->next_slat_id;
        if (r & VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA)
            reply->emul_read = event->emul_read;
        if (r & VMI_EVENT_RESPONSE_SET_EMUL_INSN)
            reply->emul_insn = event->emul_insn;
        return r;
    }
    if (event->type == VMI_EVENT_MEMORY)
        handled |= VMI_EVENT_RESPONSE_EMULATE;
    if ((r & ~handled) && !st->deferred.msg[0])
        util_err_set(&st->deferred, "the %s driver cannot apply response flags 0x%x of a "
                                    "%s event (it applies TOGGLE_SINGLESTEP and "
                                    "SET_REGISTERS%s)", core_driver_name(vmi),
                     (unsigned)(r & ~handled),
                     event->type == VMI_EVENT_MEMORY ? "memory" : "debugger-built",
                     event->type == VMI_EVENT_MEMORY ? "; EMULATE is what happened" : "");
    return r;
}

/* ---- Native reports ---- */

static vmi_event_t *reg_event_for(ev_state_t *st, reg_t reg, uint32_t msr)
{
    for (unsigned int i = 0; i < st->nreg; i++) {
        reg_event_t *r = &st->reg[i]->reg_event;
        if (r->reg == reg && (reg != MSR_UNDEFINED || r->msr == msr))
            return st->reg[i];
    }
    for (unsigned int i = 0; i < st->nreg; i++)
        if (st->reg[i]->reg_event.reg == MSR_ALL && reg >= MSR_FLAGS)
            return st->reg[i];
    return NULL;
}

static void native_event(ev_state_t *st, const driver_event_t *ev, driver_reply_t *reply)
{
    vmi_event_t *e = NULL;

    ev_regs_from(st, ev);
    switch (ev->kind) {
    case DRIVER_WATCH_REG_WRITE:
        if (!(e = reg_event_for(st, ev->reg.reg, ev->reg.msr)))
            return;
        if (e->reg_event.equal && e->reg_event.equal != ev->reg.value)
            return;
        e->reg_event.value = ev->reg.value;
        e->reg_event.previous = ev->reg.previous;
        e->reg_event.msr = ev->reg.msr;
        e->reg_event.out_access = VMI_REGACCESS_W;
        break;
    case DRIVER_WATCH_INT3:
        if (!(e = st->int3))
            return;
        e->interrupt_event.gla = ev->int3.gla;
        e->interrupt_event.gfn = ev->int3.gfn;
        e->interrupt_event.offset = ev->int3.gla & 0xfff;
        e->interrupt_event.insn_length = ev->int3.insn_length;
        e->interrupt_event.reinject = -1;
        break;
    case DRIVER_WATCH_MEM_ACCESS:
        for (unsigned int i = 0; i < st->nmem && !e; i++)
            if (st->mem[i].gfn == ev->mem.gfn)
                e = st->mem[i].event ? st->mem[i].event : st->mem_generic;
        if (!e)
            return;
        e->mem_event.gfn = ev->mem.gfn;
        e->mem_event.offset = ev->mem.offset;
        e->mem_event.gla = ev->mem.gla;
        e->mem_event.gla_valid = ev->mem.gla_valid;
        e->mem_event.gptw = ev->mem.gptw;
        e->mem_event.out_access = ev->mem.access;
        break;
    case DRIVER_WATCH_SINGLESTEP:
        ev_ss_deliver(st, ev, reply);
        return;
    case DRIVER_WATCH_CPUID:
        if (!(e = st->native[ev->kind]))
            return;
        e->cpuid_event.leaf = ev->cpuid.leaf;
        e->cpuid_event.subleaf = ev->cpuid.subleaf;
        e->cpuid_event.insn_length = ev->cpuid.insn_length;
        break;
    case DRIVER_WATCH_GUEST_REQUEST: /* LibVMI hands over the registers only */
        if (!(e = st->native[ev->kind]))
            return;
        break;
    case DRIVER_WATCH_DEBUG:
        if (!(e = st->native[ev->kind]))
            return;
        e->debug_event.gla = ev->debug.gla;
        e->debug_event.gfn = ev->debug.gfn;
        e->debug_event.offset = ev->debug.gla & 0xfff;
        e->debug_event.type = ev->debug.type;
        e->debug_event.insn_length = ev->debug.insn_length;
        e->debug_event.reinject = -1;
        break;
    case DRIVER_WATCH_DESCRIPTOR:
        if (!(e = st->native[ev->kind]))
            return;
        /* VMX's two words, as hypervisors report them (Xen reports zeros on
         * SVM). */
        e->descriptor_event.instr_info = ev->desc.instr_info;
        e->descriptor_event.exit_qualification = ev->desc.exit_info;
        e->descriptor_event.descriptor = ev->desc.descriptor;
        e->descriptor_event.is_write = ev->desc.is_write;
        break;
    case DRIVER_WATCH_IO:
        if (!(e = st->native[ev->kind]))
            return;
        e->io_event.port = ev->io.port;
        e->io_event.bytes = ev->io.bytes;
        e->io_event.in = ev->io.in;
        e->io_event.str = ev->io.str;
        break;
    default:
        if (!st->deferred.msg[0])
            util_err_set(&st->deferred, "the %s driver reported an event kind (%d) TinyVMI "
                                        "does not deliver yet", core_driver_name(st->vmi),
                         (int)ev->kind);
        return;
    }
    ev_call(st, e, ev, reply);
    if (ev->kind == DRIVER_WATCH_INT3 || ev->kind == DRIVER_WATCH_DEBUG) {
        bool int3 = ev->kind == DRIVER_WATCH_INT3;
        int8_t again = int3 ? e->interrupt_event.reinject : e->debug_event.reinject;
        if (again == -1 && !st->deferred.msg[0])
            util_err_set(&st->deferred, "the %s callback did not say whether to reinject "
                                        "(set %s.reinject to 0 or 1)",
                         int3 ? "INT3" : "debug exception",
                         int3 ? "interrupt_event" : "debug_event");
        reply->reinject = again == 1;
        reply->insn_length = int3 ? e->interrupt_event.insn_length : e->debug_event.insn_length;
    }
}

/* What the driver calls once per report, with the vCPU stopped. */
static void on_event(void *ctx, const driver_event_t *ev, driver_reply_t *reply)
{
    ev_state_t *st = ctx;

    /* The guest ran since we last looked: cached translations and page
     * copies may be stale. */
    core_live_invalidate(st->vmi);
    st->in_callback = true;
    if (ev->kind == DRIVER_WATCH_BREAKPOINT || ev->kind == DRIVER_WATCH_WATCHPOINT)
        ev_watch_dispatch(st, ev, reply);
    else if (ev->kind == DRIVER_WATCH_SINGLESTEP)
        ev_ss_deliver(st, ev, reply);
    else
        native_event(st, ev, reply);
    st->in_callback = false;
}

static status_t listen(vmi_instance_t vmi, uint32_t timeout)
{
    ev_state_t *st;

    if (!vmi)
        return VMI_FAILURE;
    if (!(st = ev_get(vmi)))
        return VMI_FAILURE;
    if (st->in_callback) {
        core_error(vmi, "called from inside an event callback");
        return VMI_FAILURE;
    }
    util_err_clear(&st->deferred);
    if (core_driver_listen(vmi, timeout, on_event, st) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (st->deferred.msg[0]) {
        core_error(vmi, "%s", st->deferred.msg);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_events_listen(vmi_instance_t vmi, uint32_t timeout)
{
    CORE_API(vmi, listen(vmi, timeout));
}

static int pending(vmi_instance_t vmi)
{
    if (!vmi)
        return -1;
    if (!core_driver_watch_kinds(vmi)) {
        core_error(vmi, "the %s driver delivers no events", core_driver_name(vmi));
        return -1;
    }
    if (core_driver_alive(vmi) != VMI_SUCCESS)
        return -1;
    return core_driver_pending(vmi);
}

int vmi_are_events_pending(vmi_instance_t vmi)
{
    CORE_API_RET(vmi, int, pending(vmi), r_ >= 0);
}

static status_t listener_required(vmi_instance_t vmi, bool required)
{
    /* With every target TinyVMI drives, a vCPU that hit a watch waits for
     * vmi_events_listen; there is nothing to switch. */
    (void)required;
    return vmi ? VMI_SUCCESS : VMI_FAILURE;
}

status_t vmi_event_listener_required(vmi_instance_t vmi, bool required)
{
    CORE_API(vmi, listener_required(vmi, required));
}
