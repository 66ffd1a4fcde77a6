/*
 * mem.c - VMI_EVENT_MEMORY on a target whose watchpoints see virtual
 * addresses only (QEMU's gdbstub), while LibVMI watches a guest-physical
 * frame: a watchpoint on every virtual page that maps the frame, found by
 * walking the kernel's page table and every process's user half
 * (core_frame_vas).  A watchpoint on a virtual address fires in every
 * address space, so a hit is checked against the frame through the CR3 of
 * the moment and dropped when that address maps another frame there.
 *
 * What differs from a hypervisor's mem_access (docs/events.md): reads and
 * writes only (execution needs a breakpoint per instruction); the event
 * comes after the access completed, so memory already holds what was
 * written; QEMU names the watchpoint, not the byte, so the offset of a
 * write is found by comparing the frame with a copy taken at the previous
 * write (exact when the write changed memory: gla_valid = 1), and a read's
 * offset is unknown (gla_valid = 0, offset 0); mappings made after
 * registration are not watched.
 */
#include "events/events.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "os/os.h"

#define MEM_MAX_VAS 64u

typedef struct collect {
    ev_state_t *st;
    addr_t gfn;
    addr_t *vas;
    unsigned int n;
    addr_t user_hi;
    status_t rc;
} collect_t;

static int per_process(void *ctx, const tvmi_process_t *p)
{
    collect_t *c = ctx;
    if (!p->dtb)
        return 0;
    /* A process's own half only: the kernel's is the same in all of them. */
    if (core_frame_vas(c->st->vmi, p->dtb, 0, c->user_hi, c->gfn, c->vas, MEM_MAX_VAS, &c->n) !=
        VMI_SUCCESS) {
        c->rc = VMI_FAILURE;
        return 1;
    }
    return 0;
}

static ev_mem_t *mem_of(ev_state_t *st, void *owner)
{
    for (unsigned int i = 0; i < st->nmem; i++)
        if (st->mem[i].vas == owner)
            return &st->mem[i];
    return NULL;
}

static void mem_hit(ev_state_t *st, void *owner, const driver_event_t *ev,
                    driver_reply_t *reply)
{
    ev_mem_t *m = mem_of(st, owner);
    vmi_event_t *e;
    mem_access_event_t *me;
    addr_t va = ev->watch.va & ~0xfffULL, pa = 0;
    uint8_t now[4096];

    if (!m || !ev->regs)
        return;
    e = m->event ? m->event : st->mem_generic;
    if (!e)
        return;
    /* The same virtual page may map another frame in this address space. */
    if (vmi_pagetable_lookup(st->vmi, ev->regs->cr3, va, &pa) != VMI_SUCCESS ||
        (pa >> 12) != m->gfn)
        return;
    me = &e->mem_event;
    me->gfn = m->gfn;
    me->out_access = ev->watch.access & m->access;
    if (!me->out_access)
        me->out_access = ev->watch.access;
    me->gptw = 0;
    me->gla_valid = 0;
    me->offset = 0;
    me->gla = va;
    if ((ev->watch.access & VMI_MEMACCESS_W) && m->shadow &&
        vmi_read_pa(st->vmi, m->gfn << 12, sizeof(now), now, NULL) == VMI_SUCCESS) {
        for (size_t i = 0; i < sizeof(now); i++)
            if (now[i] != m->shadow[i]) {
                me->offset = i;
                me->gla = va + i;
                me->gla_valid = 1;
                break;
            }
        memcpy(m->shadow, now, sizeof(now));
    }
    ev_regs_from(st, ev);
    ev_call(st, e, ev, reply);
}

status_t ev_mem_watch(ev_state_t *st, ev_mem_t *m)
{
    vmi_instance_t vmi = st->vmi;
    page_mode_t pm = vmi_get_page_mode(vmi, 0);
    collect_t c = { st, m->gfn, NULL, 0, pm == VMI_PM_IA32E ? 1ULL << 47 : 0xc0000000ULL,
                    VMI_SUCCESS };
    uint8_t access = m->access & VMI_MEMACCESS_RW;

    if (m->access & (VMI_MEMACCESS_X | VMI_MEMACCESS_W2X | VMI_MEMACCESS_RWX2N)) {
        core_error(vmi, "the %s driver watches reads and writes of a frame, not execution "
                        "(watchpoints see data accesses)", core_driver_name(vmi));
        return VMI_FAILURE;
    }
    if (!ev_has(st, DRIVER_WATCH_WATCHPOINT)) {
        core_error(vmi, "the %s driver has neither memory traps nor watchpoints",
                   core_driver_name(vmi));
        return VMI_FAILURE;
    }
    if (!(c.vas = calloc(MEM_MAX_VAS, sizeof(addr_t))) || !(m->shadow = malloc(4096))) {
        free(c.vas);
        core_error(vmi, "out of memory");
        return VMI_FAILURE;
    }
    m->vas = c.vas;
    if (vmi_read_pa(vmi, m->gfn << 12, 4096, m->shadow, NULL) != VMI_SUCCESS) {
        core_error_prefix(vmi, "memory event on frame 0x%" PRIx64, m->gfn);
        return VMI_FAILURE;
    }
    if (core_frame_vas(vmi, core_kernel_dtb(vmi), c.user_hi, ~0ULL, m->gfn, c.vas,
                       MEM_MAX_VAS, &c.n) != VMI_SUCCESS) {
        core_error_prefix(vmi, "memory event on frame 0x%" PRIx64, m->gfn);
        return VMI_FAILURE;
    }
    if (os_running(vmi, &(void *){ NULL }))
        tvmi_process_foreach(vmi, per_process, &c);
    else
        for (unsigned int v = 0; v < vmi_get_num_vcpus(vmi) && v < EV_MAX_VCPUS; v++) {
            uint64_t cr3;
            if (vmi_get_vcpureg(vmi, &cr3, CR3, v) == VMI_SUCCESS &&
                core_frame_vas(vmi, cr3, 0, c.user_hi, m->gfn, c.vas, MEM_MAX_VAS, &c.n) !=
                    VMI_SUCCESS) {
                c.rc = VMI_FAILURE;
                break;
            }
        }
    if (c.rc != VMI_SUCCESS) {
        core_error_prefix(vmi, "memory event on frame 0x%" PRIx64, m->gfn);
        return VMI_FAILURE;
    }
    if (c.n == 0) {
        core_error(vmi, "frame 0x%" PRIx64 " is mapped at no virtual address the guest's page "
                        "tables show, so no watchpoint can stand in for it", m->gfn);
        return VMI_FAILURE;
    }
    for (unsigned int i = 0; i < c.n; i++) {
        driver_watch_t w = { .kind = DRIVER_WATCH_WATCHPOINT, .va = c.vas[i], .len = 4096,
                             .access = access };
        if (ev_watch_add(st, &w, mem_hit, m->vas) != VMI_SUCCESS) {
            ev_watch_remove_owner(st, m->vas);
            return VMI_FAILURE;
        }
    }
    m->nvas = c.n;
    return VMI_SUCCESS;
}

status_t ev_mem_unwatch(ev_state_t *st, ev_mem_t *m)
{
    if (!m->vas)
        return VMI_SUCCESS;
    return ev_watch_remove_owner(st, m->vas);
}
