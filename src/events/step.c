/*
 * step.c - single-stepping: VMI_EVENT_SINGLESTEP registrations, the
 * TOGGLE_SINGLESTEP response, vmi_toggle/stop_single_step_vcpu, and
 * vmi_step_event (run a callback, or register an event again, after N more
 * instructions on a vCPU).  A vCPU is stepped by the driver exactly while
 * a single-step event wants it or a step countdown runs on it.
 */
#include "events/events.h"

#include <inttypes.h>
#include <string.h>

static status_t check_vcpu(ev_state_t *st, uint32_t vcpu)
{
    unsigned int n = vmi_get_num_vcpus(st->vmi);
    if (vcpu < EV_MAX_VCPUS && vcpu < n)
        return VMI_SUCCESS;
    core_error(st->vmi, "vCPU %" PRIu32 " does not exist (the target has %u; single steps "
                        "reach vCPUs below %d)", vcpu, n, EV_MAX_VCPUS);
    return VMI_FAILURE;
}

status_t ev_ss_sync(ev_state_t *st, uint32_t vcpu)
{
    bool want = st->ss_on[vcpu] || st->step_users[vcpu] > 0;
    driver_watch_t w = { .kind = DRIVER_WATCH_SINGLESTEP, .vcpu = vcpu };

    if (want == st->driver_stepping[vcpu])
        return VMI_SUCCESS;
    if (!ev_has(st, DRIVER_WATCH_SINGLESTEP)) {
        core_error(st->vmi, "the %s driver cannot single-step", core_driver_name(st->vmi));
        return VMI_FAILURE;
    }
    if (core_driver_watch(st->vmi, &w, want) != VMI_SUCCESS)
        return VMI_FAILURE;
    st->driver_stepping[vcpu] = want;
    return VMI_SUCCESS;
}

status_t ev_ss_register(ev_state_t *st, vmi_event_t *e)
{
    uint32_t mask = e->ss_event.vcpus;

    if (!mask) {
        core_error(st->vmi, "a single-step event names no vCPU (ss_event.vcpus is 0)");
        return VMI_FAILURE;
    }
    for (uint32_t v = 0; v < EV_MAX_VCPUS; v++) {
        if (!(mask & (1u << v)))
            continue;
        if (check_vcpu(st, v) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (st->ss[v] && st->ss[v] != e) {
            core_error(st->vmi, "vCPU %" PRIu32 " has a single-step event already", v);
            return VMI_FAILURE;
        }
    }
    for (uint32_t v = 0; v < EV_MAX_VCPUS; v++) {
        if (!(mask & (1u << v)))
            continue;
        st->ss[v] = e;
        st->ss_on[v] = e->ss_event.enable != 0;
        if (ev_ss_sync(st, v) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t ev_ss_clear(ev_state_t *st, vmi_event_t *e)
{
    status_t rc = VMI_SUCCESS;
    bool found = false;

    for (uint32_t v = 0; v < EV_MAX_VCPUS; v++) {
        if (st->ss[v] != e)
            continue;
        found = true;
        st->ss[v] = NULL;
        st->ss_on[v] = false;
        if (ev_ss_sync(st, v) != VMI_SUCCESS)
            rc = VMI_FAILURE;
    }
    /* The helper event vmi_step_event relies on is the caller's own. */
    if (!found) {
        core_error(st->vmi, "this single-step event is not registered");
        return VMI_FAILURE;
    }
    return rc;
}

void ev_ss_toggle(ev_state_t *st, uint32_t vcpu)
{
    if (vcpu >= EV_MAX_VCPUS)
        return;
    st->ss_on[vcpu] = !st->ss_on[vcpu];
    if (ev_ss_sync(st, vcpu) != VMI_SUCCESS && !st->deferred.msg[0])
        util_err_set(&st->deferred, "toggling single-step on vCPU %" PRIu32 ": %s", vcpu,
                     util_err_msg(core_err(st->vmi)));
}

/* One instruction done on ev->vcpu: count down vmi_step_event's waits,
 * then report to the vCPU's single-step event. */
void ev_ss_deliver(ev_state_t *st, const driver_event_t *ev, driver_reply_t *reply)
{
    uint32_t v = ev->vcpu;
    ev_step_t due[EV_MAX_STEPS];
    unsigned int ndue = 0;
    bool report = v < EV_MAX_VCPUS && st->ss[v] && st->ss_on[v];

    if (v >= EV_MAX_VCPUS)
        return;
    for (unsigned int i = 0; i < st->nsteps;) {
        ev_step_t *s = &st->steps[i];
        if (s->vcpu == v && --s->steps == 0) {
            due[ndue++] = *s;
            *s = st->steps[--st->nsteps];
            st->step_users[v]--;
            continue;
        }
        i++;
    }
    /* Callbacks may ask for more steps: the table is consistent by now. */
    for (unsigned int i = 0; i < ndue; i++) {
        if (due[i].cb)
            due[i].cb(st->vmi, due[i].event);
        else if (vmi_register_event(st->vmi, due[i].event) != VMI_SUCCESS &&
                 !st->deferred.msg[0])
            util_err_set(&st->deferred, "vmi_step_event: registering the event again: %s",
                         util_err_msg(core_err(st->vmi)));
    }
    if (report) {
        vmi_event_t *e = st->ss[v];
        addr_t pa = 0;
        ev_regs_from(st, ev);
        e->ss_event.gla = ev->step.gla;
        e->ss_event.offset = ev->step.gla & 0xfff;
        e->ss_event.gfn = vmi_pagetable_lookup(st->vmi, st->call_regs.cr3, ev->step.gla, &pa) ==
                                  VMI_SUCCESS ? pa >> 12 : 0;
        ev_call(st, e, ev, reply);
    }
    if (ev_ss_sync(st, v) != VMI_SUCCESS && !st->deferred.msg[0])
        util_err_set(&st->deferred, "single-step on vCPU %" PRIu32 ": %s", v,
                     util_err_msg(core_err(st->vmi)));
}

/* ---- Public calls ---- */

static status_t step_event(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu,
                           uint64_t steps, event_callback_t cb)
{
    ev_state_t *st;

    CORE_REQUIRE(vmi, event);
    if (!(st = ev_get(vmi)) || check_vcpu(st, vcpu) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (steps == 0) {
        core_error(vmi, "vmi_step_event needs at least one step");
        return VMI_FAILURE;
    }
    if (st->nsteps >= EV_MAX_STEPS) {
        core_error(vmi, "more than %d vmi_step_event waits at once", EV_MAX_STEPS);
        return VMI_FAILURE;
    }
    st->steps[st->nsteps++] = (ev_step_t){ event, cb, vcpu, steps };
    st->step_users[vcpu]++;
    if (ev_ss_sync(st, vcpu) != VMI_SUCCESS) {
        st->nsteps--;
        st->step_users[vcpu]--;
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t vmi_step_event(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu_id,
                        uint64_t steps, event_callback_t cb)
{
    CORE_API(vmi, step_event(vmi, event, vcpu_id, steps, cb));
}

static vmi_event_t *get_ss(vmi_instance_t vmi, uint32_t vcpu)
{
    ev_state_t *st = vmi ? core_get_events(vmi) : NULL;
    if (st && vcpu < EV_MAX_VCPUS && st->ss[vcpu])
        return st->ss[vcpu];
    if (vmi)
        core_error(vmi, "no single-step event on vCPU %" PRIu32, vcpu);
    return NULL;
}

vmi_event_t *vmi_get_singlestep_event(vmi_instance_t vmi, uint32_t vcpu)
{
    CORE_API_PTR(vmi, vmi_event_t *, get_ss(vmi, vcpu));
}

static status_t toggle(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu, bool on)
{
    ev_state_t *st;

    CORE_REQUIRE(vmi, event);
    if (!(st = ev_get(vmi)) || check_vcpu(st, vcpu) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (st->ss[vcpu] && st->ss[vcpu] != event) {
        core_error(vmi, "vCPU %" PRIu32 " steps for another single-step event", vcpu);
        return VMI_FAILURE;
    }
    if (on) {
        SET_VCPU_SINGLESTEP(event->ss_event, vcpu);
        st->ss[vcpu] = event;
    } else {
        UNSET_VCPU_SINGLESTEP(event->ss_event, vcpu);
    }
    st->ss_on[vcpu] = on;
    return ev_ss_sync(st, vcpu);
}

status_t vmi_toggle_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu,
                                     bool enabled)
{
    CORE_API(vmi, toggle(vmi, event, vcpu, enabled));
}

status_t vmi_stop_single_step_vcpu(vmi_instance_t vmi, vmi_event_t *event, uint32_t vcpu)
{
    CORE_API(vmi, toggle(vmi, event, vcpu, false));
}

static status_t shutdown_ss(vmi_instance_t vmi)
{
    ev_state_t *st = vmi ? core_get_events(vmi) : NULL;
    status_t rc = VMI_SUCCESS;

    if (!vmi)
        return VMI_FAILURE;
    if (!st)
        return VMI_SUCCESS;
    st->nsteps = 0;
    for (uint32_t v = 0; v < EV_MAX_VCPUS; v++) {
        st->ss[v] = NULL;
        st->ss_on[v] = false;
        st->step_users[v] = 0;
        if (ev_ss_sync(st, v) != VMI_SUCCESS)
            rc = VMI_FAILURE;
    }
    return rc;
}

status_t vmi_shutdown_single_step(vmi_instance_t vmi)
{
    CORE_API(vmi, shutdown_ss(vmi));
}
