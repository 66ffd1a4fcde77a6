/*
 * state.c - the events layer's state on an instance and the debugger
 * watches it owns (see events.h).  The state is attached to the instance
 * with core_set_events at the first registration and destroyed before the
 * OS layer and the driver, switching every watch off, so that detaching
 * leaves nothing behind in the guest.
 */
#include "events/events.h"

#include <stdlib.h>
#include <string.h>

static void destroy(void *p)
{
    ev_state_t *st = p;

    if (!st)
        return;
    /* The INT3 emulation first: a vCPU left in the guest's #BP handler
     * with its hit undelivered is put back at its INT3 (int3.c).  A
     * program that ends with vmi_destroy alone must not need a drain. */
    if (st->int3_handler)
        (void)ev_int3_clear(st);
    /* Every watch off, in reverse, while the driver is still there. */
    while (st->nwatches) {
        ev_watch_t *w = &st->watches[--st->nwatches];
        core_driver_watch(st->vmi, &w->w, false);
    }
    for (unsigned int i = 0; i < EV_MAX_VCPUS; i++)
        if (st->driver_stepping[i]) {
            driver_watch_t w = { .kind = DRIVER_WATCH_SINGLESTEP, .vcpu = i };
            core_driver_watch(st->vmi, &w, false);
        }
    for (unsigned int i = 0; i < st->nmem; i++) {
        free(st->mem[i].vas);
        free(st->mem[i].shadow);
    }
    free(st->watches);
    free(st);
}

ev_state_t *ev_get(vmi_instance_t vmi)
{
    ev_state_t *st = core_get_events(vmi);

    if (st)
        return st;
    st = calloc(1, sizeof(*st));
    if (!st) {
        core_error(vmi, "out of memory for the events layer");
        return NULL;
    }
    st->vmi = vmi;
    st->kinds = core_driver_watch_kinds(vmi);
    if (!st->kinds) {
        core_error(vmi, "the %s driver delivers no events", core_driver_name(vmi));
        free(st);
        return NULL;
    }
    core_set_events(vmi, st, destroy);
    return st;
}

status_t ev_watch_add(ev_state_t *st, const driver_watch_t *w, ev_hit_fn hit, void *owner)
{
    if (st->nwatches == st->cap_watches) {
        size_t cap = st->cap_watches ? st->cap_watches * 2 : 16;
        ev_watch_t *n = realloc(st->watches, cap * sizeof(*n));
        if (!n) {
            core_error(st->vmi, "out of memory for event watches");
            return VMI_FAILURE;
        }
        st->watches = n;
        st->cap_watches = cap;
    }
    if (core_driver_watch(st->vmi, w, true) != VMI_SUCCESS)
        return VMI_FAILURE;
    st->watches[st->nwatches++] = (ev_watch_t){ *w, hit, owner };
    return VMI_SUCCESS;
}

status_t ev_watch_remove_owner(ev_state_t *st, void *owner)
{
    status_t rc = VMI_SUCCESS;
    for (size_t i = st->nwatches; i-- > 0;) {
        if (st->watches[i].owner != owner)
            continue;
        if (core_driver_watch(st->vmi, &st->watches[i].w, false) != VMI_SUCCESS)
            rc = VMI_FAILURE;
        st->watches[i] = st->watches[--st->nwatches];
    }
    return rc;
}

static bool matches(const driver_watch_t *w, const driver_event_t *ev)
{
    if (w->kind != ev->kind)
        return false;
    if (ev->kind == DRIVER_WATCH_BREAKPOINT)
        return w->va == ev->step.gla;
    /* QEMU names the watchpoint's start; other targets the byte accessed. */
    return ev->watch.va - w->va < w->len;
}

bool ev_watch_dispatch(ev_state_t *st, const driver_event_t *ev, driver_reply_t *reply)
{
    bool any = false;
    /* Owners may add or remove watches from their handler: walk a copy of
     * the matching owners first. */
    void *owners[16];
    ev_hit_fn hits[16];
    size_t n = 0;

    for (size_t i = 0; i < st->nwatches && n < 16; i++) {
        bool seen = false;
        if (!matches(&st->watches[i].w, ev))
            continue;
        for (size_t k = 0; k < n; k++)
            seen |= owners[k] == st->watches[i].owner && hits[k] == st->watches[i].hit;
        if (seen)
            continue;
        owners[n] = st->watches[i].owner;
        hits[n++] = st->watches[i].hit;
    }
    for (size_t k = 0; k < n; k++) {
        hits[k](st, owners[k], ev, reply);
        any = true;
    }
    return any;
}
