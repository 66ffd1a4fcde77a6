/*
 * xen_monitor.c - a Xen domain's events: the vm_event monitor ring.
 *
 * The first watch switched on enables Xen's monitor for the domain
 * (xc_monitor_enable: one shared ring page and an event channel); each
 * watch is then one xc_monitor_* switch (register writes, INT3, single-step,
 * CPUID, guest requests, debug exceptions, descriptor accesses) or, for
 * memory, an access restriction on one frame (xc_set_mem_access).  listen()
 * waits on the event channel, turns each request on the ring into a
 * driver_event_t, hands it to the events layer, turns the reply's LibVMI
 * response flags into vm_event flags, and answers on the ring, which lets
 * the vCPU go on.
 *
 * What Xen serves: HVM and PVH guests only (a PV guest has no vm_event);
 * single-step, mem_access and altp2m only on Intel VMX/EPT.  watch_kinds
 * asks Xen (xc_monitor_get_capabilities), but always offers single-step
 * and mem_access to an HVM guest, and the HVM kinds to a PV guest, so that
 * a registration Xen cannot serve reaches watch() and fails there with
 * Xen's answer and the reason.  MSRs of Xen's own range are never watched
 * on AMD hosts (msr_watchable: Xen 4.17 panics).  Every watch still on at close is switched off, every
 * request still on the ring answered (no vCPU stays paused), and the
 * monitor disabled.  A domain destroyed while listening ends listen() with
 * that reason.  This file must not interpret guest memory.
 */
#include "driver/xen.h"

#if TINYVMI_XEN

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xenevtchn.h>
#include <xen/hvm/dm_op.h>
#include <xen/vm_event.h>

#include "driver/regs.h"

/* How often listen() looks whether the domain still exists while it waits. */
#define ALIVE_CHECK_MS 100
/* The most vCPUs single-stepping at once (a bit each). */
#define STEP_VCPUS 64
#define MEM_WATCH_MAX 65536u

/* LibVMI's MSR registers and their indices (Intel SDM vol. 4, AMD APM
 * vol. 2 appendix A). */
static const struct {
    reg_t reg;
    uint32_t index;
} msr_table[] = {
    { MSR_EFER, 0xc0000080 }, { MSR_STAR, 0xc0000081 }, { MSR_LSTAR, 0xc0000082 },
    { MSR_CSTAR, 0xc0000083 }, { MSR_SYSCALL_MASK, 0xc0000084 },
    { MSR_SHADOW_GS_BASE, 0xc0000102 }, { MSR_TSC_AUX, 0xc0000103 },
    { MSR_AMD64_TSC_RATIO, 0xc0000104 },
    { SYSENTER_CS, 0x174 }, { SYSENTER_ESP, 0x175 }, { SYSENTER_EIP, 0x176 },
    { MSR_IA32_SYSENTER_CS, 0x174 }, { MSR_IA32_SYSENTER_ESP, 0x175 },
    { MSR_IA32_SYSENTER_EIP, 0x176 },
    { MSR_MTRRfix64K_00000, 0x250 }, { MSR_MTRRfix16K_80000, 0x258 },
    { MSR_MTRRfix16K_A0000, 0x259 }, { MSR_MTRRfix4K_C0000, 0x268 },
    { MSR_MTRRfix4K_C8000, 0x269 }, { MSR_MTRRfix4K_D0000, 0x26a },
    { MSR_MTRRfix4K_D8000, 0x26b }, { MSR_MTRRfix4K_E0000, 0x26c },
    { MSR_MTRRfix4K_E8000, 0x26d }, { MSR_MTRRfix4K_F0000, 0x26e },
    { MSR_MTRRfix4K_F8000, 0x26f }, { MSR_MTRRdefType, 0x2ff },
    { MSR_IA32_MC0_CTL, 0x400 }, { MSR_IA32_MC0_STATUS, 0x401 },
    { MSR_IA32_MC0_ADDR, 0x402 }, { MSR_IA32_MC0_MISC, 0x403 }, { MSR_IA32_MC1_CTL, 0x404 },
    { MSR_IA32_MC0_CTL2, 0x280 }, { MSR_AMD_PATCHLEVEL, 0x8b },
    { MSR_IA32_P5_MC_ADDR, 0x0 }, { MSR_IA32_P5_MC_TYPE, 0x1 }, { MSR_IA32_TSC, 0x10 },
    { MSR_IA32_PLATFORM_ID, 0x17 }, { MSR_IA32_EBL_CR_POWERON, 0x2a },
    { MSR_IA32_EBC_FREQUENCY_ID, 0x2c }, { MSR_IA32_FEATURE_CONTROL, 0x3a },
    { MSR_IA32_MISC_ENABLE, 0x1a0 }, { MSR_HYPERVISOR, 0x40000000 },
};
#define MSR_COUNT (sizeof(msr_table) / sizeof(msr_table[0]))

typedef struct mem_watch {
    uint64_t gfn;
    uint8_t access; /* VMI_MEMACCESS_* that trigger */
} mem_watch_t;

struct xen_monitor {
    void *ring_page;
    vm_event_back_ring_t back;
    xenevtchn_handle *xce;
    evtchn_port_t port;        /* our end */
    bool bound;
    bool enabled;

    uint32_t crs;              /* VM_EVENT_X86_CR* bits switched on */
    uint32_t msrs[64];         /* MSR indices switched on */
    size_t nmsr;
    bool int3, cpuid, request, debug, desc;
    uint64_t steps;            /* vCPUs single-stepping */
    mem_watch_t *mem;          /* frames with restricted access */
    size_t nmem, capmem;

    bool caps_known;
    uint32_t caps;             /* XEN_DOMCTL_MONITOR_EVENT_* bits */
};

static const char *dom_name(const xen_state_t *st)
{
    return st->name ? st->name : "no name";
}

/* ---- capabilities ---- */

/* Single-step and mem_access are always offered to an HVM guest: on a host
 * without them (AMD SVM: Xen single-steps and restricts frames on Intel
 * VMX/EPT only) the registration reaches watch(), which fails with Xen's
 * answer and that reason, instead of a bare "cannot single-step". */
static uint32_t kinds_of(uint32_t caps)
{
    uint32_t k = DRIVER_WATCH_BIT(DRIVER_WATCH_MEM_ACCESS) |
                 DRIVER_WATCH_BIT(DRIVER_WATCH_SINGLESTEP);
    if (caps & ((1u << XEN_DOMCTL_MONITOR_EVENT_WRITE_CTRLREG) |
                (1u << XEN_DOMCTL_MONITOR_EVENT_MOV_TO_MSR)))
        k |= DRIVER_WATCH_BIT(DRIVER_WATCH_REG_WRITE);
    if (caps & (1u << XEN_DOMCTL_MONITOR_EVENT_SOFTWARE_BREAKPOINT))
        k |= DRIVER_WATCH_BIT(DRIVER_WATCH_INT3);
    if (caps & (1u << XEN_DOMCTL_MONITOR_EVENT_GUEST_REQUEST))
        k |= DRIVER_WATCH_BIT(DRIVER_WATCH_GUEST_REQUEST);
    if (caps & (1u << XEN_DOMCTL_MONITOR_EVENT_DEBUG_EXCEPTION))
        k |= DRIVER_WATCH_BIT(DRIVER_WATCH_DEBUG);
    if (caps & (1u << XEN_DOMCTL_MONITOR_EVENT_CPUID))
        k |= DRIVER_WATCH_BIT(DRIVER_WATCH_CPUID);
    if (caps & (1u << XEN_DOMCTL_MONITOR_EVENT_DESC_ACCESS))
        k |= DRIVER_WATCH_BIT(DRIVER_WATCH_DESCRIPTOR);
    return k;
}

/* What Xen's monitor serves an HVM guest on any x86 host: what a PV guest
 * is told, so that its registrations fail in watch() with the reason. */
#define HVM_KINDS                                                                          \
    (DRIVER_WATCH_BIT(DRIVER_WATCH_REG_WRITE) | DRIVER_WATCH_BIT(DRIVER_WATCH_INT3) |      \
     DRIVER_WATCH_BIT(DRIVER_WATCH_SINGLESTEP) | DRIVER_WATCH_BIT(DRIVER_WATCH_MEM_ACCESS) | \
     DRIVER_WATCH_BIT(DRIVER_WATCH_CPUID) | DRIVER_WATCH_BIT(DRIVER_WATCH_GUEST_REQUEST) |  \
     DRIVER_WATCH_BIT(DRIVER_WATCH_DEBUG) | DRIVER_WATCH_BIT(DRIVER_WATCH_DESCRIPTOR))

static xen_monitor_t *monitor(xen_state_t *st, util_err_t *err)
{
    if (!st->mon && !(st->mon = calloc(1, sizeof(*st->mon))))
        util_err_set(err, "out of memory");
    return st->mon;
}

uint32_t xen_mon_kinds(void *state)
{
    xen_state_t *st = state;
    xen_monitor_t *m;
    if (!st->hvm || !(m = monitor(st, NULL)))
        return HVM_KINDS;
    if (!m->caps_known) {
        uint32_t caps = 0;
        if (xc_monitor_get_capabilities(st->xc, st->domid, &caps) != 0)
            return HVM_KINDS; /* watch() will say what Xen refuses */
        m->caps = caps;
        m->caps_known = true;
    }
    return kinds_of(m->caps);
}

/* ---- the ring ---- */

static status_t enable(xen_state_t *st, xen_monitor_t *m, util_err_t *err)
{
    uint32_t remote = 0;
    xenevtchn_port_or_error_t local;
    int version;

    if (m->enabled)
        return VMI_SUCCESS;
    if (!st->hvm) {
        util_err_set(err, "domain %u (%s) is a PV guest: Xen's vm_event monitor serves HVM "
                          "and PVH guests only, so it delivers no events for it",
                     st->domid, dom_name(st));
        return VMI_FAILURE;
    }
    version = xc_vm_event_get_version(st->xc);
    if (version != VM_EVENT_INTERFACE_VERSION) {
        util_err_set(err, "Xen speaks vm_event version %d, TinyVMI was built for %d "
                          "(rebuild against this Xen's headers)", version,
                     VM_EVENT_INTERFACE_VERSION);
        return VMI_FAILURE;
    }
    m->ring_page = xc_monitor_enable(st->xc, st->domid, &remote);
    if (!m->ring_page) {
        int e = errno;
        xen_fail(st, err, e, "domain %u (%s): enabling Xen's monitor%s", st->domid,
                 dom_name(st),
                 e == EBUSY ? " (another monitor - LibVMI, xen-access, TinyVMI - already "
                              "watches this domain)"
                            : "");
        return VMI_FAILURE;
    }
    m->xce = xenevtchn_open(&st->log.logger, 0);
    if (!m->xce) {
        xen_fail(st, err, errno, "opening the event channel device (xen-evtchn)");
        goto fail;
    }
    local = xenevtchn_bind_interdomain(m->xce, st->domid, remote);
    if (local < 0) {
        xen_fail(st, err, errno, "domain %u: binding the monitor's event channel %u",
                 st->domid, remote);
        goto fail;
    }
    m->port = (evtchn_port_t)local;
    m->bound = true;
    SHARED_RING_INIT((vm_event_sring_t *)m->ring_page);
    BACK_RING_INIT(&m->back, (vm_event_sring_t *)m->ring_page, XC_PAGE_SIZE);
    m->enabled = true;
    return VMI_SUCCESS;
fail:
    if (m->xce)
        xenevtchn_close(m->xce);
    m->xce = NULL;
    munmap(m->ring_page, XC_PAGE_SIZE);
    m->ring_page = NULL;
    (void)xc_monitor_disable(st->xc, st->domid);
    return VMI_FAILURE;
}

/* ---- watches ---- */

static int cr_index(reg_t reg)
{
    switch (reg) {
    case CR0: return VM_EVENT_X86_CR0;
    case CR3: return VM_EVENT_X86_CR3;
    case CR4: return VM_EVENT_X86_CR4;
    case XCR0: return VM_EVENT_X86_XCR0;
    default: return -1;
    }
}

static bool msr_index(reg_t reg, uint32_t *index)
{
    for (size_t i = 0; i < MSR_COUNT; i++)
        if (msr_table[i].reg == reg) {
            *index = msr_table[i].index;
            return true;
        }
    return false;
}

static reg_t msr_reg(uint32_t index)
{
    for (size_t i = 0; i < MSR_COUNT; i++)
        if (msr_table[i].index == index)
            return msr_table[i].reg;
    return MSR_UNDEFINED;
}

static status_t xc_said(xen_state_t *st, int rc, util_err_t *err, const char *what)
{
    if (rc == 0)
        return VMI_SUCCESS;
    xen_fail(st, err, errno, "domain %u (%s): %s", st->domid, dom_name(st), what);
    return VMI_FAILURE;
}

/* Is this host's CPU AMD's (Xen runs HVM guests with SVM there)? */
static bool host_amd(void)
{
    uint32_t a = 0, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; /* AuthenticAMD */
}

/* MSRs Xen's monitor can watch on this host.  Its bitmaps cover
 * 0-0x1fff, 0x40000000-0x40001fff (Xen's own) and 0xc0000000-0xc0001fff;
 * but on AMD SVM Xen 4.17 then sets the write intercept in SVM's MSR
 * permission map, which has no room for Xen's range: enabling it hits
 * BUG() in svm_intercept_msr (svm.c:308) and the whole host panics
 * (measured here, with MSR 0x40000000). */
static bool msr_watchable(uint32_t index, const char **why)
{
    if (index <= 0x1fff || (index >= 0xc0000000u && index <= 0xc0001fffu))
        return true;
    if (index >= 0x40000000u && index <= 0x40001fffu) {
        if (!host_amd())
            return true;
        *why = "Xen 4.17 on AMD SVM panics the host when asked to watch an MSR of its own "
               "range 0x40000000-0x40001fff (BUG in svm_intercept_msr), so TinyVMI does not ask";
        return false;
    }
    *why = "Xen's monitor watches MSRs 0-0x1fff, 0x40000000-0x40001fff and "
           "0xc0000000-0xc0001fff only";
    return false;
}

static status_t watch_msr(xen_state_t *st, xen_monitor_t *m, uint32_t index, bool on,
                          bool onchange, util_err_t *err)
{
    size_t i;
    char what[64];
    const char *why = "";

    if (on && !msr_watchable(index, &why)) {
        util_err_set(err, "MSR 0x%x: %s", index, why);
        return VMI_FAILURE;
    }
    for (i = 0; i < m->nmsr && m->msrs[i] != index; i++)
        ;
    if (!on && i == m->nmsr) {
        util_err_set(err, "MSR 0x%x writes are not watched", index);
        return VMI_FAILURE;
    }
    if (on && i == m->nmsr && m->nmsr == sizeof(m->msrs) / sizeof(m->msrs[0])) {
        util_err_set(err, "too many MSRs watched at once (%zu)", m->nmsr);
        return VMI_FAILURE;
    }
    snprintf(what, sizeof(what), "%s watching writes of MSR 0x%x", on ? "start" : "stop", index);
    if (xc_said(st, xc_monitor_mov_to_msr(st->xc, st->domid, index, on, onchange), err, what) !=
        VMI_SUCCESS)
        return VMI_FAILURE;
    if (on && i == m->nmsr)
        m->msrs[m->nmsr++] = index;
    else if (!on)
        m->msrs[i] = m->msrs[--m->nmsr];
    return VMI_SUCCESS;
}

static status_t watch_reg(xen_state_t *st, xen_monitor_t *m, const driver_watch_t *w, bool on,
                          util_err_t *err)
{
    int cr = cr_index(w->reg);
    uint32_t index;
    if (cr >= 0) {
        static const char *const names[] = { "CR0", "CR3", "CR4", "XCR0" };
        char what[64];
        if (!on && !(m->crs & (1u << cr))) {
            util_err_set(err, "%s writes are not watched", names[cr]);
            return VMI_FAILURE;
        }
        snprintf(what, sizeof(what), "%s watching %s writes", on ? "start" : "stop", names[cr]);
        if (xc_said(st, xc_monitor_write_ctrlreg(st->xc, st->domid, (uint16_t)cr, on, !w->async,
                                                 0, w->onchange),
                    err, what) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (on)
            m->crs |= 1u << cr;
        else
            m->crs &= ~(1u << cr);
        return VMI_SUCCESS;
    }
    /* Xen reports MSR writes with the vCPU paused whatever async says; the
     * reply lets it go at once. */
    if (w->reg == MSR_ALL) {
        /* Every MSR of LibVMI's list this host can watch (others skipped:
         * msr_watchable). */
        for (size_t i = 0; i < MSR_COUNT; i++) {
            const char *why;
            if (i && msr_table[i].index == msr_table[i - 1].index)
                continue;
            if (!msr_watchable(msr_table[i].index, &why))
                continue;
            bool have = false;
            for (size_t j = 0; j < m->nmsr; j++)
                have |= m->msrs[j] == msr_table[i].index;
            if (have == on)
                continue;
            if (watch_msr(st, m, msr_table[i].index, on, w->onchange, err) != VMI_SUCCESS)
                return VMI_FAILURE;
        }
        return VMI_SUCCESS;
    }
    if (w->reg == MSR_UNDEFINED)
        return watch_msr(st, m, w->msr, on, w->onchange, err);
    if (msr_index(w->reg, &index))
        return watch_msr(st, m, index, on, w->onchange, err);
    util_err_set(err, "Xen watches writes of CR0, CR3, CR4, XCR0 and MSRs only, not register "
                      "%llu", (unsigned long long)w->reg);
    return VMI_FAILURE;
}

/* Xen's access for a frame on which accesses in `trigger` must report. */
static xenmem_access_t mem_access_of(uint8_t trigger, bool *ok)
{
    *ok = true;
    if (trigger & VMI_MEMACCESS_W2X)
        return XENMEM_access_rx2rw;
    if (trigger & VMI_MEMACCESS_RWX2N)
        return XENMEM_access_n2rwx;
    switch (trigger & VMI_MEMACCESS_RWX) {
    case 0: return XENMEM_access_rwx;
    case VMI_MEMACCESS_R: return XENMEM_access_wx;
    case VMI_MEMACCESS_W: return XENMEM_access_rx;
    case VMI_MEMACCESS_X: return XENMEM_access_rw;
    case VMI_MEMACCESS_RW: return XENMEM_access_x;
    case VMI_MEMACCESS_RX: return XENMEM_access_w;
    case VMI_MEMACCESS_WX: return XENMEM_access_r;
    case VMI_MEMACCESS_RWX: return XENMEM_access_n;
    }
    *ok = false;
    return XENMEM_access_rwx;
}

static status_t watch_mem(xen_state_t *st, xen_monitor_t *m, const driver_watch_t *w, bool on,
                          util_err_t *err)
{
    size_t i;
    bool ok;
    xenmem_access_t a = on ? mem_access_of(w->access, &ok) : XENMEM_access_rwx;
    for (i = 0; i < m->nmem && m->mem[i].gfn != w->gfn; i++)
        ;
    if (!on && i == m->nmem) {
        util_err_set(err, "frame 0x%llx is not watched", (unsigned long long)w->gfn);
        return VMI_FAILURE;
    }
    if (on && (!ok || !(w->access & ~VMI_MEMACCESS_N))) {
        util_err_set(err, "access 0x%x: nothing to watch on frame 0x%llx", w->access,
                     (unsigned long long)w->gfn);
        return VMI_FAILURE;
    }
    if (on && i == m->nmem && m->nmem == m->capmem) {
        size_t ncap = m->capmem ? m->capmem * 2 : 16;
        mem_watch_t *n = ncap <= MEM_WATCH_MAX ? realloc(m->mem, ncap * sizeof(*n)) : NULL;
        if (!n) {
            util_err_set(err, "cannot watch more than %zu frames", m->nmem);
            return VMI_FAILURE;
        }
        m->mem = n;
        m->capmem = ncap;
    }
    if (xc_set_mem_access(st->xc, st->domid, a, w->gfn, 1) != 0) {
        int e = errno;
        xen_fail(st, err, e, "domain %u (%s): restricting access to frame 0x%llx%s",
                 st->domid, dom_name(st), (unsigned long long)w->gfn,
                 e == EINVAL || e == EOPNOTSUPP
                     ? " (Xen restricts frame access on Intel EPT only, not on AMD NPT)"
                     : "");
        return VMI_FAILURE;
    }
    if (on) {
        if (i == m->nmem)
            m->nmem++;
        m->mem[i].gfn = w->gfn;
        m->mem[i].access = w->access;
    } else {
        m->mem[i] = m->mem[--m->nmem];
    }
    return VMI_SUCCESS;
}

static status_t watch_step(xen_state_t *st, xen_monitor_t *m, uint32_t vcpu, bool on,
                           util_err_t *err)
{
    char what[64];
    if (vcpu >= st->vcpus || vcpu >= STEP_VCPUS) {
        util_err_set(err, "vCPU %u: domain %u has %u (single-step serves up to %d)", vcpu,
                     st->domid, st->vcpus, STEP_VCPUS);
        return VMI_FAILURE;
    }
    if (!on && !(m->steps & (1ull << vcpu))) {
        util_err_set(err, "vCPU %u is not single-stepping", vcpu);
        return VMI_FAILURE;
    }
    if (on && !m->steps &&
        xc_said(st, xc_monitor_singlestep(st->xc, st->domid, true), err,
                "enabling single-step events (Xen single-steps on Intel VMX only)") !=
            VMI_SUCCESS)
        return VMI_FAILURE;
    snprintf(what, sizeof(what), "%s single-stepping vCPU %u", on ? "start" : "stop", vcpu);
    if (xc_said(st, xc_domain_debug_control(st->xc, st->domid,
                                            on ? XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_ON
                                               : XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_OFF,
                                            vcpu),
                err, what) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (on)
        m->steps |= 1ull << vcpu;
    else
        m->steps &= ~(1ull << vcpu);
    if (!m->steps)
        (void)xc_monitor_singlestep(st->xc, st->domid, false);
    return VMI_SUCCESS;
}

/* One of the on/off switches: *flag, after Xen answered rc.  (Whether it
 * was on is checked before Xen is asked: xen_mon_watch.) */
static status_t watch_flag(xen_state_t *st, bool *flag, bool on, int rc, const char *what,
                           util_err_t *err)
{
    if (rc != 0) {
        xen_fail(st, err, errno, "domain %u (%s): %s watching %s", st->domid, dom_name(st),
                 on ? "start" : "stop", what);
        return VMI_FAILURE;
    }
    *flag = on;
    return VMI_SUCCESS;
}

status_t xen_mon_watch(void *state, const driver_watch_t *w, bool on, util_err_t *err)
{
    xen_state_t *st = state;
    xen_monitor_t *m = monitor(st, err);
    uint32_t d = st->domid;

    if (!m || enable(st, m, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    switch (w->kind) {
    case DRIVER_WATCH_REG_WRITE: return watch_reg(st, m, w, on, err);
    case DRIVER_WATCH_MEM_ACCESS: return watch_mem(st, m, w, on, err);
    case DRIVER_WATCH_SINGLESTEP: return watch_step(st, m, w->vcpu, on, err);
    case DRIVER_WATCH_INT3:
        if (!on && !m->int3)
            break;
        return watch_flag(st, &m->int3, on, xc_monitor_software_breakpoint(st->xc, d, on),
                          "INT3 instructions", err);
    case DRIVER_WATCH_CPUID:
        if (!on && !m->cpuid)
            break;
        return watch_flag(st, &m->cpuid, on, xc_monitor_cpuid(st->xc, d, on),
                          "CPUID instructions", err);
    case DRIVER_WATCH_GUEST_REQUEST:
        if (!on && !m->request)
            break;
        /* From user space too: a guest's program may ask the monitor. */
        return watch_flag(st, &m->request, on,
                          xc_monitor_guest_request(st->xc, d, on, true, true),
                          "guest requests", err);
    case DRIVER_WATCH_DEBUG:
        if (!on && !m->debug)
            break;
        return watch_flag(st, &m->debug, on, xc_monitor_debug_exceptions(st->xc, d, on, true),
                          "debug exceptions", err);
    case DRIVER_WATCH_DESCRIPTOR:
        if (!on && !m->desc)
            break;
        return watch_flag(st, &m->desc, on, xc_monitor_descriptor_access(st->xc, d, on),
                          "descriptor-table accesses", err);
    default:
        util_err_set(err, "Xen's monitor has no watch of kind %d (port I/O, breakpoints and "
                          "watchpoints at virtual addresses are not vm_event kinds)",
                     (int)w->kind);
        return VMI_FAILURE;
    }
    util_err_set(err, "%s are not watched", w->kind == DRIVER_WATCH_INT3 ? "INT3 instructions"
                                            : w->kind == DRIVER_WATCH_CPUID ? "CPUID instructions"
                                            : w->kind == DRIVER_WATCH_GUEST_REQUEST
                                                ? "guest requests"
                                            : w->kind == DRIVER_WATCH_DEBUG ? "debug exceptions"
                                                                            : "descriptor accesses");
    return VMI_FAILURE;
}

/* ---- requests and replies ---- */

static void regs_from(const struct vm_event_regs_x86 *x, x86_registers_t *r)
{
    memset(r, 0, sizeof(*r));
    r->rax = x->rax; r->rcx = x->rcx; r->rdx = x->rdx; r->rbx = x->rbx;
    r->rsp = x->rsp; r->rbp = x->rbp; r->rsi = x->rsi; r->rdi = x->rdi;
    r->r8 = x->r8; r->r9 = x->r9; r->r10 = x->r10; r->r11 = x->r11;
    r->r12 = x->r12; r->r13 = x->r13; r->r14 = x->r14; r->r15 = x->r15;
    r->rflags = x->rflags; r->dr6 = x->dr6; r->dr7 = x->dr7; r->rip = x->rip;
    r->cr0 = x->cr0; r->cr2 = x->cr2; r->cr3 = x->cr3; r->cr4 = x->cr4;
    r->sysenter_cs = x->sysenter_cs; r->sysenter_esp = x->sysenter_esp;
    r->sysenter_eip = x->sysenter_eip;
    r->msr_efer = x->msr_efer; r->msr_star = x->msr_star; r->msr_lstar = x->msr_lstar;
    r->gdtr_base = x->gdtr_base; r->gdtr_limit = x->gdtr_limit;
    r->npt_base = x->npt_base; r->vmtrace_pos = x->vmtrace_pos;
    r->fs_base = x->fs_base; r->gs_base = x->gs_base; r->shadow_gs = x->shadow_gs;
    r->cs_base = x->cs_base; r->ss_base = x->ss_base; r->ds_base = x->ds_base;
    r->es_base = x->es_base;
#define SEG(s)                                                                             \
    do {                                                                                   \
        r->s##_sel = x->s##_sel;                                                           \
        r->s##_limit = x->s.limit;                                                         \
        r->s##_arbytes = x->s.ar;                                                          \
    } while (0)
    SEG(cs); SEG(ss); SEG(ds); SEG(es); SEG(fs); SEG(gs);
#undef SEG
}

/* The registers a reply sets (Xen applies the general registers, RIP and
 * RFLAGS of a SET_REGISTERS reply). */
static void regs_to(const x86_registers_t *r, struct vm_event_regs_x86 *x)
{
    x->rax = r->rax; x->rcx = r->rcx; x->rdx = r->rdx; x->rbx = r->rbx;
    x->rsp = r->rsp; x->rbp = r->rbp; x->rsi = r->rsi; x->rdi = r->rdi;
    x->r8 = r->r8; x->r9 = r->r9; x->r10 = r->r10; x->r11 = r->r11;
    x->r12 = r->r12; x->r13 = r->r13; x->r14 = r->r14; x->r15 = r->r15;
    x->rflags = r->rflags; x->rip = r->rip;
    x->dr6 = r->dr6; x->dr7 = r->dr7;
    x->cr0 = r->cr0; x->cr2 = r->cr2; x->cr3 = r->cr3; x->cr4 = r->cr4;
    x->fs_base = r->fs_base; x->gs_base = r->gs_base; x->shadow_gs = r->shadow_gs;
}

/* The request as the events layer sees it; false for requests no watch of
 * ours asks for (answered without delivery). */
static bool to_event(const vm_event_request_t *q, driver_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->vcpu = q->vcpu_id;
    switch (q->reason) {
    case VM_EVENT_REASON_WRITE_CTRLREG: {
        static const reg_t regs[] = { CR0, CR3, CR4, XCR0 };
        if (q->u.write_ctrlreg.index >= 4)
            return false;
        ev->kind = DRIVER_WATCH_REG_WRITE;
        ev->reg.reg = regs[q->u.write_ctrlreg.index];
        ev->reg.value = q->u.write_ctrlreg.new_value;
        ev->reg.previous = q->u.write_ctrlreg.old_value;
        return true;
    }
    case VM_EVENT_REASON_MOV_TO_MSR:
        ev->kind = DRIVER_WATCH_REG_WRITE;
        ev->reg.msr = (uint32_t)q->u.mov_to_msr.msr;
        ev->reg.reg = msr_reg(ev->reg.msr);
        ev->reg.value = q->u.mov_to_msr.new_value;
        ev->reg.previous = q->u.mov_to_msr.old_value;
        return true;
    case VM_EVENT_REASON_SOFTWARE_BREAKPOINT:
        ev->kind = DRIVER_WATCH_INT3;
        ev->int3.gla = q->data.regs.x86.rip;
        ev->int3.gfn = q->u.software_breakpoint.gfn;
        ev->int3.insn_length = q->u.software_breakpoint.insn_length;
        return true;
    case VM_EVENT_REASON_SINGLESTEP:
        ev->kind = DRIVER_WATCH_SINGLESTEP;
        ev->step.gla = q->data.regs.x86.rip;
        return true;
    case VM_EVENT_REASON_GUEST_REQUEST:
        ev->kind = DRIVER_WATCH_GUEST_REQUEST;
        ev->request.data = q->data.regs.x86.rax;
        return true;
    case VM_EVENT_REASON_DEBUG_EXCEPTION:
        ev->kind = DRIVER_WATCH_DEBUG;
        ev->debug.gla = q->data.regs.x86.rip;
        ev->debug.gfn = q->u.debug_exception.gfn;
        ev->debug.type = q->u.debug_exception.type;
        ev->debug.insn_length = q->u.debug_exception.insn_length;
        return true;
    case VM_EVENT_REASON_CPUID:
        ev->kind = DRIVER_WATCH_CPUID;
        ev->cpuid.leaf = q->u.cpuid.leaf;
        ev->cpuid.subleaf = q->u.cpuid.subleaf;
        ev->cpuid.insn_length = q->u.cpuid.insn_length;
        return true;
    case VM_EVENT_REASON_DESCRIPTOR_ACCESS:
        ev->kind = DRIVER_WATCH_DESCRIPTOR;
        ev->desc.descriptor = q->u.desc_access.descriptor;
        ev->desc.is_write = q->u.desc_access.is_write != 0;
        ev->desc.instr_info = q->u.desc_access.arch.vmx.instr_info;
        ev->desc.exit_info = q->u.desc_access.arch.vmx.exit_qualification;
        return true;
    case VM_EVENT_REASON_MEM_ACCESS: {
        uint32_t f = q->u.mem_access.flags;
        ev->kind = DRIVER_WATCH_MEM_ACCESS;
        ev->mem.gfn = q->u.mem_access.gfn;
        ev->mem.offset = q->u.mem_access.offset;
        ev->mem.gla = q->u.mem_access.gla;
        ev->mem.access = (uint8_t)(((f & MEM_ACCESS_R) ? VMI_MEMACCESS_R : 0) |
                                   ((f & MEM_ACCESS_W) ? VMI_MEMACCESS_W : 0) |
                                   ((f & MEM_ACCESS_X) ? VMI_MEMACCESS_X : 0));
        ev->mem.gla_valid = (f & MEM_ACCESS_GLA_VALID) != 0;
        ev->mem.gptw = (f & MEM_ACCESS_FAULT_IN_GPT) != 0;
        return true;
    }
    default:
        return false;
    }
}

/* The reply's LibVMI flags as vm_event flags and data in rsp; what Xen
 * cannot do is said in err (the vCPU is answered all the same). */
static status_t to_response(xen_state_t *st, const vm_event_request_t *q,
                            const driver_event_t *ev, const driver_reply_t *r,
                            vm_event_response_t *rsp, util_err_t *err)
{
    event_response_t f = r->flags;
    status_t rc = VMI_SUCCESS;

    if (f & (VMI_EVENT_RESPONSE_EMULATE | VMI_EVENT_RESPONSE_EMULATE_NOWRITE))
        rsp->flags |= VM_EVENT_FLAG_EMULATE;
    if (f & VMI_EVENT_RESPONSE_EMULATE_NOWRITE)
        rsp->flags |= VM_EVENT_FLAG_EMULATE_NOWRITE;
    if (f & VMI_EVENT_RESPONSE_SET_EMUL_READ_DATA) {
        if (!r->emul_read || r->emul_read->size > sizeof(rsp->data.emul.read.data) ||
            r->emul_read->size > sizeof(r->emul_read->data)) {
            util_err_set(err, "SET_EMUL_READ_DATA without data, or with more than %zu bytes",
                         sizeof(rsp->data.emul.read.data));
            rc = VMI_FAILURE;
        } else {
            rsp->flags |= VM_EVENT_FLAG_EMULATE | VM_EVENT_FLAG_SET_EMUL_READ_DATA;
            rsp->data.emul.read.size = r->emul_read->size;
            memcpy(rsp->data.emul.read.data, r->emul_read->data, r->emul_read->size);
        }
    }
    if (f & VMI_EVENT_RESPONSE_SET_EMUL_INSN) {
        if (!r->emul_insn) {
            util_err_set(err, "SET_EMUL_INSN without instruction bytes");
            rc = VMI_FAILURE;
        } else {
            rsp->flags |= VM_EVENT_FLAG_EMULATE | VM_EVENT_FLAG_SET_EMUL_INSN_DATA;
            memcpy(rsp->data.emul.insn.data, r->emul_insn->data,
                   sizeof(rsp->data.emul.insn.data));
        }
    }
    if (f & VMI_EVENT_RESPONSE_DENY)
        rsp->flags |= VM_EVENT_FLAG_DENY;
    if (f & VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP)
        rsp->flags |= VM_EVENT_FLAG_TOGGLE_SINGLESTEP;
    if (f & VMI_EVENT_RESPONSE_SET_REGISTERS) {
        if (!r->regs) {
            util_err_set(err, "SET_REGISTERS without registers");
            rc = VMI_FAILURE;
        } else {
            rsp->flags |= VM_EVENT_FLAG_SET_REGISTERS;
            regs_to(r->regs, &rsp->data.regs.x86);
        }
    }
    if (f & VMI_EVENT_RESPONSE_GET_NEXT_INTERRUPT)
        rsp->flags |= VM_EVENT_FLAG_GET_NEXT_INTERRUPT;
    if (f & VMI_EVENT_RESPONSE_SLAT_ID) {
        rsp->flags |= VM_EVENT_FLAG_ALTERNATE_P2M;
        rsp->altp2m_idx = r->slat_id;
    }
    if (f & VMI_EVENT_RESPONSE_NEXT_SLAT_ID) {
        rsp->flags |= VM_EVENT_FLAG_FAST_SINGLESTEP;
        rsp->u.fast_singlestep.p2midx = r->next_slat_id;
    }
    if (f & VMI_EVENT_RESPONSE_RESET_VMTRACE)
        rsp->flags |= VM_EVENT_FLAG_RESET_VMTRACE;
    if (f & VMI_EVENT_RESPONSE_RESET_FORK_STATE)
        rsp->flags |= VM_EVENT_FLAG_RESET_FORK_STATE;
    if (f & VMI_EVENT_RESPONSE_RESET_FORK_MEM)
        rsp->flags |= VM_EVENT_FLAG_RESET_FORK_MEMORY;

    /* A trap the guest itself set must reach it, unless the reply says not. */
    if (ev && r->reinject == 1 &&
        (ev->kind == DRIVER_WATCH_INT3 || ev->kind == DRIVER_WATCH_DEBUG)) {
        bool int3 = ev->kind == DRIVER_WATCH_INT3;
        uint8_t len = (uint8_t)(r->insn_length ? r->insn_length
                                               : int3 ? ev->int3.insn_length
                                                      : ev->debug.insn_length);
        if (!st->dmod ||
            xendevicemodel_inject_event(st->dmod, (domid_t)st->domid, (int)q->vcpu_id,
                                        int3 ? 3 : 1,
                                        int3 ? XEN_DMOP_EVENT_sw_exc : ev->debug.type,
                                        ~0u, len,
                                        int3 ? 0 : q->u.debug_exception.pending_dbg) != 0) {
            xen_fail(st, err, st->dmod ? errno : ENODEV, "vCPU %u: reinjecting %s", q->vcpu_id,
                     int3 ? "the INT3" : "the debug exception");
            rc = VMI_FAILURE;
        }
    }
    return rc;
}

static void answer(xen_monitor_t *m, const vm_event_response_t *rsp)
{
    RING_IDX i = m->back.rsp_prod_pvt;
    memcpy(RING_GET_RESPONSE(&m->back, i), rsp, sizeof(*rsp));
    m->back.rsp_prod_pvt = i + 1;
    RING_PUSH_RESPONSES(&m->back);
}

static void base_response(const vm_event_request_t *q, vm_event_response_t *rsp)
{
    memset(rsp, 0, sizeof(*rsp));
    rsp->version = VM_EVENT_INTERFACE_VERSION;
    rsp->vcpu_id = q->vcpu_id;
    rsp->reason = q->reason;
    rsp->altp2m_idx = q->altp2m_idx;
    rsp->flags = q->flags & VM_EVENT_FLAG_VCPU_PAUSED;
    if (q->reason == VM_EVENT_REASON_MEM_ACCESS)
        rsp->u.mem_access = q->u.mem_access;
}

/* Every request on the ring: delivered (fn non-NULL) or just answered.
 * Returns how many; *bad the first reply that could not be applied. */
static int drain(xen_state_t *st, xen_monitor_t *m, driver_deliver_fn fn, void *ctx,
                 util_err_t *err, bool *bad)
{
    int n = 0;
    while (RING_HAS_UNCONSUMED_REQUESTS(&m->back)) {
        vm_event_request_t q;
        vm_event_response_t rsp;
        driver_event_t ev;
        x86_registers_t regs;
        RING_IDX c = m->back.req_cons;

        memcpy(&q, RING_GET_REQUEST(&m->back, c), sizeof(q));
        m->back.req_cons = c + 1;
        m->back.sring->req_event = c + 2;
        base_response(&q, &rsp);
        if (q.version != VM_EVENT_INTERFACE_VERSION) {
            if (!*bad)
                util_err_set(err, "Xen sent a vm_event request of version %u (expected %u)",
                             q.version, VM_EVENT_INTERFACE_VERSION);
            *bad = true;
        } else if (fn && to_event(&q, &ev)) {
            driver_reply_t reply;
            util_err_t rerr;
            memset(&reply, 0, sizeof(reply));
            regs_from(&q.data.regs.x86, &regs);
            ev.regs = &regs;
            fn(ctx, &ev, &reply);
            if (to_response(st, &q, &ev, &reply, &rsp, &rerr) != VMI_SUCCESS && !*bad) {
                *err = rerr;
                *bad = true;
            }
        }
        answer(m, &rsp);
        n++;
    }
    return n;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

status_t xen_mon_listen(void *state, uint32_t timeout_ms, driver_deliver_fn fn, void *ctx,
                        util_err_t *err)
{
    xen_state_t *st = state;
    xen_monitor_t *m = st->mon;
    uint64_t deadline = now_ms() + timeout_ms;
    bool bad = false;

    for (;;) {
        uint64_t t = now_ms();
        int wait = (int)(deadline > t ? deadline - t : 0);
        struct pollfd p;
        int r;

        if (m && m->enabled && drain(st, m, fn, ctx, err, &bad) > 0) {
            xenevtchn_notify(m->xce, m->port);
            return bad ? VMI_FAILURE : VMI_SUCCESS;
        }
        if (wait > ALIVE_CHECK_MS)
            wait = ALIVE_CHECK_MS;
        if (m && m->enabled) {
            p.fd = xenevtchn_fd(m->xce);
            p.events = POLLIN;
            p.revents = 0;
            r = poll(&p, 1, wait);
        } else {
            r = poll(NULL, 0, wait);
        }
        if (r < 0 && errno != EINTR) {
            xen_fail(st, err, errno, "waiting for domain %u's events", st->domid);
            return VMI_FAILURE;
        }
        if (r > 0) {
            xenevtchn_port_or_error_t port = xenevtchn_pending(m->xce);
            if (port >= 0)
                (void)xenevtchn_unmask(m->xce, (evtchn_port_t)port);
            continue;
        }
        if (xen_ctl_alive(st, err) != VMI_SUCCESS) {
            util_err_prefix(err, "while listening for events");
            return VMI_FAILURE;
        }
        if (now_ms() >= deadline)
            return VMI_SUCCESS;
    }
}

int xen_mon_pending(void *state)
{
    xen_state_t *st = state;
    xen_monitor_t *m = st->mon;
    if (!m || !m->enabled)
        return 0;
    return (int)RING_HAS_UNCONSUMED_REQUESTS(&m->back);
}

void xen_mon_close(xen_state_t *st)
{
    xen_monitor_t *m = st->mon;
    uint32_t d = st->domid;
    util_err_t scratch;
    bool bad = false;

    if (!m)
        return;
    if (m->enabled && xen_ctl_alive(st, &scratch) == VMI_SUCCESS) {
        for (int cr = 0; cr < 4; cr++)
            if (m->crs & (1u << cr))
                (void)xc_monitor_write_ctrlreg(st->xc, d, (uint16_t)cr, false, false, 0, false);
        for (size_t i = 0; i < m->nmsr; i++)
            (void)xc_monitor_mov_to_msr(st->xc, d, m->msrs[i], false, false);
        for (size_t i = 0; i < m->nmem; i++)
            (void)xc_set_mem_access(st->xc, d, XENMEM_access_rwx, m->mem[i].gfn, 1);
        for (uint32_t v = 0; v < STEP_VCPUS; v++)
            if (m->steps & (1ull << v))
                (void)xc_domain_debug_control(st->xc, d, XEN_DOMCTL_DEBUG_OP_SINGLE_STEP_OFF, v);
        if (m->steps)
            (void)xc_monitor_singlestep(st->xc, d, false);
        if (m->int3)
            (void)xc_monitor_software_breakpoint(st->xc, d, false);
        if (m->cpuid)
            (void)xc_monitor_cpuid(st->xc, d, false);
        if (m->request)
            (void)xc_monitor_guest_request(st->xc, d, false, true, true);
        if (m->debug)
            (void)xc_monitor_debug_exceptions(st->xc, d, false, true);
        if (m->desc)
            (void)xc_monitor_descriptor_access(st->xc, d, false);
        /* No vCPU may stay paused waiting for an answer. */
        if (drain(st, m, NULL, NULL, &scratch, &bad) > 0)
            xenevtchn_notify(m->xce, m->port);
        (void)xc_monitor_disable(st->xc, d);
    } else if (m->enabled) {
        (void)xc_monitor_disable(st->xc, d);
    }
    if (m->bound)
        (void)xenevtchn_unbind(m->xce, m->port);
    if (m->xce)
        xenevtchn_close(m->xce);
    if (m->ring_page)
        munmap(m->ring_page, XC_PAGE_SIZE);
    free(m->mem);
    free(m);
    st->mon = NULL;
}

#endif /* TINYVMI_XEN */
