/*
 * cr3.c - VMI_EVENT_REGISTER on CR3 for a target that offers debugger
 * watches but does not trap CR3 writes (QEMU's gdbstub), built from where
 * the kernel switches address space as the OS layer says (os_cr3_switch_t):
 *
 *   watch (default when the OS knows the variable): a write watchpoint on
 *     each CPU's copy of the variable the kernel writes right after it
 *     loads CR3.  Costs QEMU no flush of translated code; the kernel writes
 *     the variable twice per switch (a marker, then the new value), so two
 *     stops make one event.
 *   break (config cr3_method = break, or when there is no variable): a
 *     breakpoint after each mov to CR3 on the switch path.  One stop per
 *     event, but continuing from a breakpoint costs QEMU a step and with it
 *     a flush of all translated code.
 *
 * Both see every change of address space the kernel makes through its
 * switch path.  CR3 writes elsewhere (a TLB flush that reloads the same
 * CR3, early boot, kexec) are not seen: documented in docs/events.md.  The
 * event's value is the vCPU's CR3 after the switch, previous the value this
 * layer saw last on that vCPU (read at registration).
 */
#include "events/events.h"

#include <inttypes.h>
#include <string.h>

#include "os/os.h"
#include "util/strutil.h"

static vmi_event_t *cr3_event(ev_state_t *st)
{
    for (unsigned int i = 0; i < st->nreg; i++)
        if (st->reg[i]->reg_event.reg == CR3)
            return st->reg[i];
    return NULL;
}

static void cr3_hit(ev_state_t *st, void *owner, const driver_event_t *ev,
                    driver_reply_t *reply)
{
    ev_cr3_t *c = &st->cr3;
    vmi_event_t *e = cr3_event(st);
    reg_event_t *r;
    uint64_t cr3, prev;

    (void)owner;
    if (!e || !ev->regs || ev->vcpu >= EV_MAX_VCPUS)
        return;
    if (c->by_watch && c->have_skip) {
        uint64_t v = 0;
        ACCESS_CONTEXT(ctx, .tm = VMI_TM_PROCESS_DTB, .dtb = ev->regs->cr3, .addr = ev->watch.va);
        if (vmi_read(st->vmi, &ctx, c->len, &v, NULL) == VMI_SUCCESS && v == c->skip)
            return; /* the marker before the load, not a switch */
    }
    cr3 = ev->regs->cr3;
    prev = c->last[ev->vcpu];
    c->last[ev->vcpu] = cr3;
    r = &e->reg_event;
    if (r->onchange && cr3 == prev)
        return;
    if (r->equal && r->equal != cr3)
        return;
    r->value = cr3;
    r->previous = prev;
    r->out_access = VMI_REGACCESS_W;
    r->msr = 0;
    ev_regs_from(st, ev);
    ev_call(st, e, ev, reply);
}

/* The OS layer, started with the global config when the caller did not
 * (LibVMI's event examples call vmi_init without one). */
static const os_ops_t *need_os(vmi_instance_t vmi, void **state)
{
    const os_ops_t *os = os_running(vmi, state);
    if (!os && vmi_init_os(vmi, VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, NULL) != VMI_OS_UNKNOWN)
        os = os_running(vmi, state);
    if (!os)
        core_error(vmi, "CR3 events on the %s driver are built from where the kernel "
                        "switches address space, which needs the OS layer: %s",
                   core_driver_name(vmi), util_err_msg(core_err(vmi))[0]
                                              ? util_err_msg(core_err(vmi))
                                              : "no guest OS recognised");
    return os;
}

status_t ev_cr3_register(ev_state_t *st, vmi_event_t *event)
{
    vmi_instance_t vmi = st->vmi;
    ev_cr3_t *c = &st->cr3;
    os_cr3_switch_t sw;
    const os_ops_t *os;
    const char *method = core_config_get(vmi, "cr3_method");
    void *ostate;
    unsigned int n = vmi_get_num_vcpus(vmi);

    (void)event;
    if (!ev_has(st, DRIVER_WATCH_WATCHPOINT) && !ev_has(st, DRIVER_WATCH_BREAKPOINT)) {
        core_error(vmi, "the %s driver has neither CR3 traps nor debugger watches",
                   core_driver_name(vmi));
        return VMI_FAILURE;
    }
    if (method && !util_streq_nocase(method, "watch") && !util_streq_nocase(method, "break")) {
        core_error(vmi, "config cr3_method = \"%s\": expected watch or break", method);
        return VMI_FAILURE;
    }
    if (!(os = need_os(vmi, &ostate)))
        return VMI_FAILURE;
    if (!os->cr3_switch) {
        core_error(vmi, "the %s layer does not know where its kernel switches address space",
                   os->core.name);
        return VMI_FAILURE;
    }
    if (os->cr3_switch(vmi, ostate, &sw) != VMI_SUCCESS) {
        core_error_prefix(vmi, "CR3 events");
        return VMI_FAILURE;
    }
    memset(c, 0, sizeof(*c));
    c->by_watch = sw.nvars > 0 && !(method && util_streq_nocase(method, "break"));
    if (!c->by_watch && !sw.nsites) {
        core_error(vmi, "cr3_method = break, but the %s layer found no mov to CR3 (%s)",
                   os->core.name, sw.how);
        return VMI_FAILURE;
    }
    for (unsigned int v = 0; v < n && v < EV_MAX_VCPUS; v++)
        if (vmi_get_vcpureg(vmi, &c->last[v], CR3, v) != VMI_SUCCESS)
            c->last[v] = 0;
    c->len = sw.len;
    c->skip = sw.skip;
    c->have_skip = sw.have_skip;
    c->naddrs = c->by_watch ? sw.nvars : sw.nsites;
    for (unsigned int i = 0; i < c->naddrs && i < EV_MAX_VCPUS; i++) {
        driver_watch_t w;
        memset(&w, 0, sizeof(w));
        c->addrs[i] = c->by_watch ? sw.var[i] : sw.site[i];
        w.kind = c->by_watch ? DRIVER_WATCH_WATCHPOINT : DRIVER_WATCH_BREAKPOINT;
        w.va = c->addrs[i];
        w.len = c->by_watch ? sw.len : 1;
        w.access = VMI_MEMACCESS_W;
        if (ev_watch_add(st, &w, cr3_hit, c) != VMI_SUCCESS) {
            ev_watch_remove_owner(st, c);
            return VMI_FAILURE;
        }
    }
    c->on = true;
    return VMI_SUCCESS;
}

status_t ev_cr3_clear(ev_state_t *st)
{
    status_t rc = ev_watch_remove_owner(st, &st->cr3);
    st->cr3.on = false;
    return rc;
}
