/*
 * int3.c - VMI_EVENT_INTERRUPT (INT3) on a target that offers breakpoints
 * but does not trap INT3 (QEMU's gdbstub): a breakpoint on the guest's own
 * #BP handler, whose address the IDT gives (vector 3 of IDTR).
 *
 * When the breakpoint fires, the CPU has already taken the exception: it
 * pushed an exception frame (RIP after the INT3, CS, RFLAGS, RSP, SS) on
 * the handler's stack and jumped.  The event reports the state at the INT3
 * itself, read back from that frame (gla = frame RIP - instruction length,
 * 1 for CC, 2 for CD 03).  LibVMI's reinject semantics then hold:
 *
 *   reinject = 1   the guest's handler runs, as if nobody had looked;
 *   reinject = 0   swallowed: the frame is unwound (RIP, RSP, RFLAGS, CS,
 *                  SS restored), so the vCPU stands at the INT3 again, as on
 *                  Xen; a callback that restored the original byte and asked
 *                  for TOGGLE_SINGLESTEP steps the original instruction.
 *   reinject = -1  (not set) is an error, as on Xen: swallowed, and
 *                  vmi_events_listen fails with the reason.
 *
 * Must not know which OS runs: the IDT is the architecture's.
 */
#include "events/events.h"

#include <inttypes.h>
#include <string.h>

#include "util/bytes.h"

/* The gate of vector 3: the handler's linear address. */
static status_t bp_handler(ev_state_t *st, addr_t *handler)
{
    vmi_instance_t vmi = st->vmi;
    uint64_t idtr = 0, limit = 0;
    uint8_t g[16];
    page_mode_t pm = vmi_get_page_mode(vmi, 0);
    bool wide = pm == VMI_PM_IA32E; /* 4- and 5-level alike */
    size_t gate = wide ? 16 : 8;

    if (vmi_get_vcpureg(vmi, &idtr, IDTR_BASE, 0) != VMI_SUCCESS) {
        core_error_prefix(vmi, "INT3 events need the IDT");
        return VMI_FAILURE;
    }
    if (vmi_get_vcpureg(vmi, &limit, IDTR_LIMIT, 0) == VMI_SUCCESS && limit &&
        limit < 4 * gate - 1) {
        core_error(vmi, "the guest's IDT (limit 0x%" PRIx64 ") has no #BP gate", limit);
        return VMI_FAILURE;
    }
    if (vmi_read_va(vmi, idtr + 3 * gate, 0, gate, g, NULL) != VMI_SUCCESS) {
        core_error_prefix(vmi, "reading the #BP gate of the IDT at 0x%" PRIx64, idtr);
        return VMI_FAILURE;
    }
    /* Present, and an interrupt or trap gate (type 0xE / 0xF). */
    if (!(g[5] & 0x80) || (g[5] & 0x0e) != 0x0e) {
        core_error(vmi, "the guest's #BP gate (IDT 0x%" PRIx64 ") is not a present interrupt "
                        "or trap gate (type byte 0x%02x)", idtr, g[5]);
        return VMI_FAILURE;
    }
    *handler = (addr_t)util_le16(g) | ((addr_t)util_le16(g + 6) << 16);
    if (wide)
        *handler |= (addr_t)util_le32(g + 8) << 32;
    st->int3_64 = wide;
    return VMI_SUCCESS;
}

/* The registers at the INT3, from the exception frame at the handler. */
static status_t unwind(ev_state_t *st, const x86_registers_t *at, x86_registers_t *out,
                       uint32_t *len)
{
    vmi_instance_t vmi = st->vmi;
    ACCESS_CONTEXT(ctx, .tm = VMI_TM_PROCESS_DTB, .dtb = at->cr3, .addr = at->rsp);
    uint8_t f[40], code[2];
    uint64_t rip;

    *out = *at;
    if (st->int3_64) {
        if (vmi_read(vmi, &ctx, 40, f, NULL) != VMI_SUCCESS)
            return VMI_FAILURE;
        rip = util_le64(f);
        out->cs_sel = util_le64(f + 8) & 0xffff;
        out->rflags = util_le64(f + 16);
        out->rsp = util_le64(f + 24);
        out->ss_sel = util_le64(f + 32) & 0xffff;
    } else {
        if (vmi_read(vmi, &ctx, 20, f, NULL) != VMI_SUCCESS)
            return VMI_FAILURE;
        rip = util_le32(f);
        out->cs_sel = util_le32(f + 4) & 0xffff;
        out->rflags = util_le32(f + 8);
        /* A privilege change pushed ESP and SS too. */
        if ((out->cs_sel & 3) != (at->cs_sel & 3)) {
            out->rsp = util_le32(f + 12);
            out->ss_sel = util_le32(f + 16) & 0xffff;
        } else {
            out->rsp = at->rsp + 12;
        }
    }
    ctx.addr = rip - 2;
    *len = 1;
    if (vmi_read(vmi, &ctx, 2, code, NULL) == VMI_SUCCESS && code[1] != 0xcc &&
        code[0] == 0xcd && code[1] == 0x03)
        *len = 2;
    out->rip = rip - *len;
    return VMI_SUCCESS;
}

static void int3_hit(ev_state_t *st, void *owner, const driver_event_t *ev,
                     driver_reply_t *reply)
{
    vmi_event_t *e = st->int3;
    interrupt_event_t *ie;
    uint32_t len = 1;
    addr_t pa = 0;
    event_response_t r;

    (void)owner;
    if (!e || !ev->regs)
        return;
    ie = &e->interrupt_event;
    if (unwind(st, ev->regs, &st->call_regs, &len) != VMI_SUCCESS) {
        /* Not a frame we can read: the guest's handler takes it. */
        if (!st->deferred.msg[0])
            util_err_set(&st->deferred, "INT3 on vCPU %u: cannot read the exception frame: %s",
                         ev->vcpu, util_err_msg(core_err(st->vmi)));
        return;
    }
    ie->gla = st->call_regs.rip;
    ie->offset = ie->gla & 0xfff;
    ie->gfn = vmi_pagetable_lookup(st->vmi, st->call_regs.cr3, ie->gla, &pa) == VMI_SUCCESS
                  ? pa >> 12 : 0;
    ie->insn_length = len;
    ie->reinject = -1;
    r = ev_call(st, e, ev, reply);
    if (ie->reinject == 1) {
        if ((r & VMI_EVENT_RESPONSE_SET_REGISTERS) && !st->deferred.msg[0])
            util_err_set(&st->deferred, "an INT3 that is reinjected cannot also set "
                                        "registers on the %s driver", core_driver_name(st->vmi));
        reply->flags &= ~(event_response_t)VMI_EVENT_RESPONSE_SET_REGISTERS;
        return;
    }
    if (ie->reinject != 0 && !st->deferred.msg[0])
        util_err_set(&st->deferred, "the INT3 callback did not say whether to reinject "
                                    "(set interrupt_event.reinject to 0 or 1); swallowed");
    /* Swallow: back to the INT3, with whatever else the callback changed. */
    reply->flags |= VMI_EVENT_RESPONSE_SET_REGISTERS;
    reply->regs = e->x86_regs ? e->x86_regs : &st->call_regs;
}

status_t ev_int3_register(ev_state_t *st, vmi_event_t *event)
{
    driver_watch_t w = { .kind = DRIVER_WATCH_BREAKPOINT };
    addr_t handler;

    (void)event;
    if (!ev_has(st, DRIVER_WATCH_BREAKPOINT)) {
        core_error(st->vmi, "the %s driver can neither trap INT3 nor set breakpoints",
                   core_driver_name(st->vmi));
        return VMI_FAILURE;
    }
    if (bp_handler(st, &handler) != VMI_SUCCESS)
        return VMI_FAILURE;
    w.va = handler;
    if (ev_watch_add(st, &w, int3_hit, &st->int3_handler) != VMI_SUCCESS)
        return VMI_FAILURE;
    st->int3_handler = handler;
    return VMI_SUCCESS;
}

/* A vCPU standing at the handler's first instruction with events still
 * pending has taken an INT3 that nobody was told of (a program that clears
 * the event without draining: most do).  Once the breakpoint is gone the
 * guest's own handler would take it.  An INT3 in kernel code that nobody
 * claims is fatal to the guest: Linux survives only through kprobes (which
 * backs up over an INT3 that is gone), a kernel without them panics, and
 * Windows bug-checks (KMODE_EXCEPTION_NOT_HANDLED; not tried here).  So
 * such a vCPU is put back at its INT3, as Xen leaves a vCPU whose INT3
 * event was never answered: it runs whatever byte is there now (the
 * original, once the program restored it; an INT3 just traps again, so
 * this is safe for any vCPU there).  Only with events pending, because
 * only then is the VM known to be stopped. */
static status_t rewind_at_handler(ev_state_t *st)
{
    vmi_instance_t vmi = st->vmi;
    unsigned int n = vmi_get_num_vcpus(vmi);
    status_t rc = VMI_SUCCESS;

    if (!st->int3_handler || core_driver_pending(vmi) <= 0)
        return VMI_SUCCESS;
    for (unsigned int v = 0; v < n && v < EV_MAX_VCPUS; v++) {
        registers_t r;
        x86_registers_t back;
        uint32_t len;
        if (vmi_get_vcpuregs(vmi, &r, v) != VMI_SUCCESS || r.x86.rip != st->int3_handler)
            continue;
        if (unwind(st, &r.x86, &back, &len) == VMI_SUCCESS) {
            r.x86 = back;
            if (vmi_set_vcpuregs(vmi, &r, v) == VMI_SUCCESS)
                continue;
        }
        core_error_prefix(vmi, "vCPU %u stands in the guest's #BP handler for an INT3 not yet "
                               "delivered, and could not be put back at it", v);
        rc = VMI_FAILURE;
    }
    return rc;
}

status_t ev_int3_clear(ev_state_t *st)
{
    status_t back = rewind_at_handler(st);
    status_t rc = ev_watch_remove_owner(st, &st->int3_handler);
    st->int3_handler = 0;
    return rc == VMI_SUCCESS ? back : rc;
}
