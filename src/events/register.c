/*
 * register.c - vmi_register_event, vmi_clear_event, vmi_swap_events, the
 * lookups (vmi_get_*_event) and the generic memory event's frames
 * (vmi_set_mem_event).  Each kind is checked against what the target can
 * deliver at registration, so an event that could never fire fails at
 * once with the reason.
 */
#include "events/events.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(vmi_event_type_t t)
{
    static const char *const names[] = {
        "INVALID", "MEMORY", "REGISTER", "SINGLESTEP", "INTERRUPT", "GUEST_REQUEST",
        "CPUID", "DEBUG_EXCEPTION", "PRIVILEGED_CALL", "DESCRIPTOR_ACCESS",
        "FAILED_EMULATION", "DOMAIN_WATCH", "VMEXIT", "IO",
    };
    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* Kinds only a hypervisor's monitor reports: one registration each. */
static status_t native_only(ev_state_t *st, vmi_event_t *e, driver_watch_kind_t kind,
                            const char *what)
{
    driver_watch_t w = { .kind = kind };
    if (!ev_has(st, kind)) {
        core_error(st->vmi, "the %s driver cannot report %s (VMI_EVENT_%s): its target has "
                            "no such trap", core_driver_name(st->vmi), what,
                   type_name(e->type));
        return VMI_FAILURE;
    }
    if (st->native[kind]) {
        core_error(st->vmi, "a VMI_EVENT_%s event is registered already", type_name(e->type));
        return VMI_FAILURE;
    }
    if (core_driver_watch(st->vmi, &w, true) != VMI_SUCCESS)
        return VMI_FAILURE;
    st->native[kind] = e;
    return VMI_SUCCESS;
}

static status_t native_clear(ev_state_t *st, vmi_event_t *e, driver_watch_kind_t kind)
{
    driver_watch_t w = { .kind = kind };
    if (st->native[kind] != e) {
        core_error(st->vmi, "this VMI_EVENT_%s event is not registered", type_name(e->type));
        return VMI_FAILURE;
    }
    st->native[kind] = NULL;
    return core_driver_watch(st->vmi, &w, false);
}

/* The driver watch kind of a native-only event type; false for others. */
static bool native_kind(vmi_event_type_t t, driver_watch_kind_t *kind)
{
    switch (t) {
    case VMI_EVENT_CPUID: *kind = DRIVER_WATCH_CPUID; return true;
    case VMI_EVENT_GUEST_REQUEST: *kind = DRIVER_WATCH_GUEST_REQUEST; return true;
    case VMI_EVENT_DEBUG_EXCEPTION: *kind = DRIVER_WATCH_DEBUG; return true;
    case VMI_EVENT_DESCRIPTOR_ACCESS: *kind = DRIVER_WATCH_DESCRIPTOR; return true;
    case VMI_EVENT_IO: *kind = DRIVER_WATCH_IO; return true;
    default: return false;
    }
}

static status_t reg_register(ev_state_t *st, vmi_event_t *e)
{
    reg_event_t *r = &e->reg_event;

    for (unsigned int i = 0; i < st->nreg; i++)
        if (st->reg[i]->reg_event.reg == r->reg &&
            (r->reg != MSR_UNDEFINED || st->reg[i]->reg_event.msr == r->msr)) {
            core_error(st->vmi, "a register event on register %" PRIu64 " is registered "
                                "already", (uint64_t)r->reg);
            return VMI_FAILURE;
        }
    if (st->nreg >= EV_MAX_REG_EVENTS) {
        core_error(st->vmi, "more than %d register events", EV_MAX_REG_EVENTS);
        return VMI_FAILURE;
    }
    if (r->in_access & VMI_REGACCESS_R) {
        core_error(st->vmi, "register reads cannot be trapped (in_access must be "
                            "VMI_REGACCESS_W)");
        return VMI_FAILURE;
    }
    if (!(r->in_access & VMI_REGACCESS_W)) {
        core_error(st->vmi, "a register event needs in_access = VMI_REGACCESS_W");
        return VMI_FAILURE;
    }
    if (ev_has(st, DRIVER_WATCH_REG_WRITE)) {
        driver_watch_t w = { .kind = DRIVER_WATCH_REG_WRITE, .reg = r->reg, .msr = r->msr,
                             .onchange = r->onchange, .async = r->async };
        if (core_driver_watch(st->vmi, &w, true) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else if (r->reg != CR3) {
        core_error(st->vmi, "the %s driver can report writes to CR3 only (built from where "
                            "the kernel switches address space), not to register %" PRIu64,
                   core_driver_name(st->vmi), (uint64_t)r->reg);
        return VMI_FAILURE;
    } else if (ev_cr3_register(st, e) != VMI_SUCCESS) {
        return VMI_FAILURE;
    }
    st->reg[st->nreg++] = e;
    return VMI_SUCCESS;
}

static status_t reg_clear(ev_state_t *st, vmi_event_t *e)
{
    status_t rc = VMI_SUCCESS;
    for (unsigned int i = 0; i < st->nreg; i++) {
        if (st->reg[i] != e)
            continue;
        if (ev_has(st, DRIVER_WATCH_REG_WRITE)) {
            driver_watch_t w = { .kind = DRIVER_WATCH_REG_WRITE, .reg = e->reg_event.reg,
                                 .msr = e->reg_event.msr };
            rc = core_driver_watch(st->vmi, &w, false);
        } else {
            rc = ev_cr3_clear(st);
        }
        st->reg[i] = st->reg[--st->nreg];
        return rc;
    }
    core_error(st->vmi, "this register event is not registered");
    return VMI_FAILURE;
}

static ev_mem_t *mem_find(ev_state_t *st, addr_t gfn)
{
    for (unsigned int i = 0; i < st->nmem; i++)
        if (st->mem[i].gfn == gfn)
            return &st->mem[i];
    return NULL;
}

/* Watch one frame for event (NULL: a frame of the generic event). */
static status_t mem_add(ev_state_t *st, addr_t gfn, vmi_mem_access_t access, vmi_event_t *e)
{
    ev_mem_t *m;

    if (mem_find(st, gfn)) {
        core_error(st->vmi, "frame 0x%" PRIx64 " has a memory event already", gfn);
        return VMI_FAILURE;
    }
    if (st->nmem >= EV_MAX_MEM_EVENTS) {
        core_error(st->vmi, "more than %d frames with memory events", EV_MAX_MEM_EVENTS);
        return VMI_FAILURE;
    }
    if (!(access & (VMI_MEMACCESS_RWX | VMI_MEMACCESS_W2X | VMI_MEMACCESS_RWX2N))) {
        core_error(st->vmi, "a memory event needs in_access bits (R, W, X)");
        return VMI_FAILURE;
    }
    m = &st->mem[st->nmem];
    memset(m, 0, sizeof(*m));
    m->gfn = gfn;
    m->access = access;
    m->event = e;
    if (ev_has(st, DRIVER_WATCH_MEM_ACCESS)) {
        driver_watch_t w = { .kind = DRIVER_WATCH_MEM_ACCESS, .gfn = gfn, .access = access };
        if (core_driver_watch(st->vmi, &w, true) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else if (ev_mem_watch(st, m) != VMI_SUCCESS) {
        free(m->vas);
        free(m->shadow);
        m->vas = NULL;
        m->shadow = NULL;
        return VMI_FAILURE;
    }
    st->nmem++;
    return VMI_SUCCESS;
}

static status_t mem_remove(ev_state_t *st, ev_mem_t *m)
{
    status_t rc;
    if (ev_has(st, DRIVER_WATCH_MEM_ACCESS)) {
        driver_watch_t w = { .kind = DRIVER_WATCH_MEM_ACCESS, .gfn = m->gfn,
                             .access = m->access };
        rc = core_driver_watch(st->vmi, &w, false);
    } else {
        rc = ev_mem_unwatch(st, m);
    }
    free(m->vas);
    free(m->shadow);
    *m = st->mem[--st->nmem];
    return rc;
}

static status_t mem_register(ev_state_t *st, vmi_event_t *e)
{
    if (e->mem_event.generic) {
        if (st->mem_generic) {
            core_error(st->vmi, "a generic memory event is registered already");
            return VMI_FAILURE;
        }
        st->mem_generic = e;
        return VMI_SUCCESS;
    }
    return mem_add(st, e->mem_event.gfn, e->mem_event.in_access, e);
}

static status_t mem_clear(ev_state_t *st, vmi_event_t *e)
{
    status_t rc = VMI_SUCCESS;
    if (e == st->mem_generic) {
        for (unsigned int i = st->nmem; i-- > 0;)
            if (!st->mem[i].event && mem_remove(st, &st->mem[i]) != VMI_SUCCESS)
                rc = VMI_FAILURE;
        st->mem_generic = NULL;
        return rc;
    }
    for (unsigned int i = 0; i < st->nmem; i++)
        if (st->mem[i].event == e)
            return mem_remove(st, &st->mem[i]);
    core_error(st->vmi, "this memory event is not registered");
    return VMI_FAILURE;
}

static status_t int3_register(ev_state_t *st, vmi_event_t *e)
{
    if (e->interrupt_event.intr != INT3) {
        core_error(st->vmi, "interrupt events watch INT3 only (INT_NEXT needs a hypervisor's "
                            "event injection hook)");
        return VMI_FAILURE;
    }
    if (st->int3) {
        core_error(st->vmi, "an INT3 event is registered already");
        return VMI_FAILURE;
    }
    if (ev_has(st, DRIVER_WATCH_INT3)) {
        driver_watch_t w = { .kind = DRIVER_WATCH_INT3 };
        if (core_driver_watch(st->vmi, &w, true) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else if (ev_int3_register(st, e) != VMI_SUCCESS) {
        return VMI_FAILURE;
    }
    st->int3 = e;
    return VMI_SUCCESS;
}

static status_t int3_clear(ev_state_t *st, vmi_event_t *e)
{
    status_t rc;
    if (st->int3 != e) {
        core_error(st->vmi, "this interrupt event is not registered");
        return VMI_FAILURE;
    }
    if (ev_has(st, DRIVER_WATCH_INT3)) {
        driver_watch_t w = { .kind = DRIVER_WATCH_INT3 };
        rc = core_driver_watch(st->vmi, &w, false);
    } else {
        rc = ev_int3_clear(st);
    }
    st->int3 = NULL;
    return rc;
}

static status_t do_register(vmi_instance_t vmi, vmi_event_t *e)
{
    ev_state_t *st;

    CORE_REQUIRE(vmi, e);
    if (e->version != VMI_EVENTS_VERSION) {
        core_error(vmi, "event version 0x%x, this library speaks 0x%x (VMI_EVENTS_VERSION)",
                   e->version, VMI_EVENTS_VERSION);
        return VMI_FAILURE;
    }
    if (!e->callback) {
        core_error(vmi, "VMI_EVENT_%s has no callback", type_name(e->type));
        return VMI_FAILURE;
    }
    if (!(st = ev_get(vmi)))
        return VMI_FAILURE;
    switch (e->type) {
    case VMI_EVENT_REGISTER: return reg_register(st, e);
    case VMI_EVENT_MEMORY: return mem_register(st, e);
    case VMI_EVENT_SINGLESTEP: return ev_ss_register(st, e);
    case VMI_EVENT_INTERRUPT: return int3_register(st, e);
    case VMI_EVENT_CPUID: return native_only(st, e, DRIVER_WATCH_CPUID, "CPUID");
    case VMI_EVENT_GUEST_REQUEST:
        return native_only(st, e, DRIVER_WATCH_GUEST_REQUEST, "guest requests");
    case VMI_EVENT_DEBUG_EXCEPTION:
        return native_only(st, e, DRIVER_WATCH_DEBUG, "debug exceptions");
    case VMI_EVENT_DESCRIPTOR_ACCESS:
        return native_only(st, e, DRIVER_WATCH_DESCRIPTOR, "descriptor-table accesses");
    case VMI_EVENT_IO: return native_only(st, e, DRIVER_WATCH_IO, "port I/O");
    case VMI_EVENT_PRIVILEGED_CALL:
        core_error(vmi, "VMI_EVENT_PRIVILEGED_CALL is an ARM (SMC) event; TinyVMI drives x86 "
                        "guests");
        return VMI_FAILURE;
    case VMI_EVENT_FAILED_EMULATION:
    case VMI_EVENT_DOMAIN_WATCH:
    case VMI_EVENT_VMEXIT:
        core_error(vmi, "VMI_EVENT_%s is not delivered by the %s driver (it needs Xen's "
                        "emulation, xenstore or vmexit hooks)", type_name(e->type),
                   core_driver_name(vmi));
        return VMI_FAILURE;
    default:
        core_error(vmi, "unknown event type %u", e->type);
        return VMI_FAILURE;
    }
}

status_t vmi_register_event(vmi_instance_t vmi, vmi_event_t *event)
{
    CORE_API(vmi, do_register(vmi, event));
}

static status_t do_clear(vmi_instance_t vmi, vmi_event_t *e, vmi_event_free_t free_routine)
{
    ev_state_t *st;
    status_t rc;
    driver_watch_kind_t kind;

    CORE_REQUIRE(vmi, e);
    st = core_get_events(vmi);
    if (!st) {
        core_error(vmi, "no event is registered");
        return VMI_FAILURE;
    }
    switch (e->type) {
    case VMI_EVENT_REGISTER: rc = reg_clear(st, e); break;
    case VMI_EVENT_MEMORY: rc = mem_clear(st, e); break;
    case VMI_EVENT_SINGLESTEP: rc = ev_ss_clear(st, e); break;
    case VMI_EVENT_INTERRUPT: rc = int3_clear(st, e); break;
    default:
        if (!native_kind(e->type, &kind)) {
            core_error(vmi, "no VMI_EVENT_%s event is registered", type_name(e->type));
            return VMI_FAILURE;
        }
        rc = native_clear(st, e, kind);
        break;
    }
    if (free_routine)
        free_routine(e, rc);
    return rc;
}

status_t vmi_clear_event(vmi_instance_t vmi, vmi_event_t *event, vmi_event_free_t free_routine)
{
    CORE_API(vmi, do_clear(vmi, event, free_routine));
}

/* Same kind and key: the registration table entry is swapped in place, so
 * no event can fall between.  Otherwise swap_to is registered before
 * swap_from is cleared. */
static status_t do_swap(vmi_instance_t vmi, vmi_event_t *from, vmi_event_t *to,
                        vmi_event_free_t free_routine)
{
    ev_state_t *st;
    driver_watch_kind_t kind;

    CORE_REQUIRE(vmi, from && to);
    if (!(st = core_get_events(vmi))) {
        core_error(vmi, "no event is registered");
        return VMI_FAILURE;
    }
    if (from->type == to->type && to->version == VMI_EVENTS_VERSION && to->callback) {
        vmi_event_t **slot = NULL;
        if (from->type == VMI_EVENT_REGISTER && from->reg_event.reg == to->reg_event.reg)
            for (unsigned int i = 0; i < st->nreg; i++)
                slot = st->reg[i] == from ? &st->reg[i] : slot;
        if (from->type == VMI_EVENT_INTERRUPT && st->int3 == from)
            slot = &st->int3;
        if (native_kind(from->type, &kind) && st->native[kind] == from)
            slot = &st->native[kind];
        if (from->type == VMI_EVENT_MEMORY && from->mem_event.gfn == to->mem_event.gfn &&
            from->mem_event.in_access == to->mem_event.in_access)
            for (unsigned int i = 0; i < st->nmem; i++)
                slot = st->mem[i].event == from ? &st->mem[i].event : slot;
        if (slot) {
            *slot = to;
            if (free_routine)
                free_routine(from, VMI_SUCCESS);
            return VMI_SUCCESS;
        }
    }
    if (do_register(vmi, to) != VMI_SUCCESS)
        return VMI_FAILURE;
    return do_clear(vmi, from, free_routine);
}

status_t vmi_swap_events(vmi_instance_t vmi, vmi_event_t *swap_from, vmi_event_t *swap_to,
                         vmi_event_free_t free_routine)
{
    CORE_API(vmi, do_swap(vmi, swap_from, swap_to, free_routine));
}

/* The name of a register LibVMI's register events watch, for reasons. */
static const char *watched_reg_name(reg_t reg, char *buf, size_t len)
{
    switch (reg) {
    case CR0: return "CR0";
    case CR3: return "CR3";
    case CR4: return "CR4";
    case XCR0: return "XCR0";
    case MSR_ALL: return "MSR_ALL";
    default: snprintf(buf, len, "register %" PRIu64, (uint64_t)reg); return buf;
    }
}

static vmi_event_t *get_reg(vmi_instance_t vmi, reg_t reg)
{
    char name[32];
    ev_state_t *st = vmi ? core_get_events(vmi) : NULL;
    for (unsigned int i = 0; st && i < st->nreg; i++)
        if (st->reg[i]->reg_event.reg == reg)
            return st->reg[i];
    if (vmi)
        core_error(vmi, "no register event on %s", watched_reg_name(reg, name, sizeof(name)));
    return NULL;
}

vmi_event_t *vmi_get_reg_event(vmi_instance_t vmi, reg_t reg)
{
    CORE_API_PTR(vmi, vmi_event_t *, get_reg(vmi, reg));
}

static vmi_event_t *get_mem(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access)
{
    ev_state_t *st = vmi ? core_get_events(vmi) : NULL;
    ev_mem_t *m = st ? mem_find(st, gfn) : NULL;
    if (m && (!access || (m->access & access)))
        return m->event ? m->event : st->mem_generic;
    if (vmi)
        core_error(vmi, "no memory event on frame 0x%" PRIx64, gfn);
    return NULL;
}

vmi_event_t *vmi_get_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access)
{
    CORE_API_PTR(vmi, vmi_event_t *, get_mem(vmi, gfn, access));
}

static status_t set_mem(vmi_instance_t vmi, addr_t start, addr_t end, vmi_mem_access_t access,
                        uint16_t view)
{
    ev_state_t *st;

    if (!vmi)
        return VMI_FAILURE;
    if (view) {
        core_error(vmi, "second-level page-table views (SLAT id %u) need Xen's altp2m", view);
        return VMI_FAILURE;
    }
    if (!(st = ev_get(vmi)))
        return VMI_FAILURE;
    if (!st->mem_generic && access != VMI_MEMACCESS_N) {
        core_error(vmi, "vmi_set_mem_event needs a registered generic memory event "
                        "(mem_event.generic = 1)");
        return VMI_FAILURE;
    }
    if (end < start || end - start >= EV_MAX_MEM_EVENTS) {
        core_error(vmi, "frames 0x%" PRIx64 "-0x%" PRIx64 ": at most %d at once", start, end,
                   EV_MAX_MEM_EVENTS);
        return VMI_FAILURE;
    }
    for (addr_t gfn = start;; gfn++) {
        ev_mem_t *m = mem_find(st, gfn);
        if (m && m->event) {
            core_error(vmi, "frame 0x%" PRIx64 " has its own memory event", gfn);
            return VMI_FAILURE;
        }
        if (m && mem_remove(st, m) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (access != VMI_MEMACCESS_N && mem_add(st, gfn, access, NULL) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (gfn == end)
            break;
    }
    return VMI_SUCCESS;
}

status_t vmi_set_mem_event(vmi_instance_t vmi, addr_t gfn, vmi_mem_access_t access,
                           uint16_t vmm_pagetable_id)
{
    CORE_API(vmi, set_mem(vmi, gfn, gfn, access, vmm_pagetable_id));
}

status_t vmi_set_mem_event_range(vmi_instance_t vmi, addr_t gfn_start, addr_t gfn_end,
                                 vmi_mem_access_t access, uint16_t vmm_pagetable_id)
{
    CORE_API(vmi, set_mem(vmi, gfn_start, gfn_end, access, vmm_pagetable_id));
}
