/*
 * xen_regs.c - a Xen domain's vCPU registers by LibVMI's reg_t numbers, got
 * and set, and the vCPU state beside them (XSAVE area, MTRRs, TSC).
 *
 * HVM and PVH vCPUs are Xen's HVM save record "CPU" (struct hvm_hw_cpu):
 * one record is read with xc_domain_hvm_getcontext_partial; a change is the
 * whole context read, the record patched, and only the header and that
 * record written back (hvm_change says why), with the domain paused
 * meanwhile.  PV vCPUs are struct vcpu_guest_context
 * (xc_vcpu_getcontext / xc_vcpu_setcontext), 64-bit guests only.  Each kind
 * has one table from reg_t to its field, used both ways.
 *
 * A 64-bit PV guest's context has no EFER: the PV ABI runs it in long mode
 * with NX, so EFER reads as LME|LMA|NXE and cannot be set.  A PV guest's
 * GS_BASE and SHADOW_GS are the kernel's and the user's bases swapped as the
 * vCPU is in kernel mode or not.  This file must not interpret register
 * values beyond that.
 */
#include "driver/xen.h"

#if TINYVMI_XEN

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xen/hvm/save.h>

#include "driver/regs.h"

#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

typedef struct field {
    reg_t reg;
    uint16_t off;
    uint8_t size;
} field_t;

#define F(r, type, f) { r, (uint16_t)offsetof(type, f), (uint8_t)sizeof(((type *)0)->f) }

#define H(r, f) F(r, struct hvm_hw_cpu, f)
static const field_t hvm_fields[] = {
    H(RAX, rax), H(RBX, rbx), H(RCX, rcx), H(RDX, rdx), H(RBP, rbp), H(RSI, rsi),
    H(RDI, rdi), H(RSP, rsp), H(R8, r8), H(R9, r9), H(R10, r10), H(R11, r11), H(R12, r12),
    H(R13, r13), H(R14, r14), H(R15, r15), H(RIP, rip), H(RFLAGS, rflags),
    H(CR0, cr0), H(CR2, cr2), H(CR3, cr3), H(CR4, cr4),
    H(DR0, dr0), H(DR1, dr1), H(DR2, dr2), H(DR3, dr3), H(DR6, dr6), H(DR7, dr7),
    H(CS_SEL, cs_sel), H(DS_SEL, ds_sel), H(ES_SEL, es_sel), H(FS_SEL, fs_sel),
    H(GS_SEL, gs_sel), H(SS_SEL, ss_sel), H(TR_SEL, tr_sel), H(LDTR_SEL, ldtr_sel),
    H(CS_LIMIT, cs_limit), H(DS_LIMIT, ds_limit), H(ES_LIMIT, es_limit),
    H(FS_LIMIT, fs_limit), H(GS_LIMIT, gs_limit), H(SS_LIMIT, ss_limit),
    H(TR_LIMIT, tr_limit), H(LDTR_LIMIT, ldtr_limit), H(IDTR_LIMIT, idtr_limit),
    H(GDTR_LIMIT, gdtr_limit),
    H(CS_BASE, cs_base), H(DS_BASE, ds_base), H(ES_BASE, es_base), H(FS_BASE, fs_base),
    H(GS_BASE, gs_base), H(SS_BASE, ss_base), H(TR_BASE, tr_base),
    H(LDTR_BASE, ldtr_base), H(IDTR_BASE, idtr_base), H(GDTR_BASE, gdtr_base),
    H(CS_ARBYTES, cs_arbytes), H(DS_ARBYTES, ds_arbytes), H(ES_ARBYTES, es_arbytes),
    H(FS_ARBYTES, fs_arbytes), H(GS_ARBYTES, gs_arbytes), H(SS_ARBYTES, ss_arbytes),
    H(TR_ARBYTES, tr_arbytes), H(LDTR_ARBYTES, ldtr_arbytes),
    H(SYSENTER_CS, sysenter_cs), H(SYSENTER_ESP, sysenter_esp),
    H(SYSENTER_EIP, sysenter_eip),
    H(SHADOW_GS, shadow_gs), H(MSR_SHADOW_GS_BASE, shadow_gs),
    H(MSR_FLAGS, msr_flags), H(MSR_LSTAR, msr_lstar), H(MSR_STAR, msr_star),
    H(MSR_CSTAR, msr_cstar), H(MSR_SYSCALL_MASK, msr_syscall_mask),
    H(MSR_EFER, msr_efer), H(MSR_TSC_AUX, msr_tsc_aux), H(TSC, tsc),
};
#undef H

#define P(r, f) F(r, vcpu_guest_context_x86_64_t, f)
static const field_t pv_fields[] = {
    P(RAX, user_regs.rax), P(RBX, user_regs.rbx), P(RCX, user_regs.rcx),
    P(RDX, user_regs.rdx), P(RBP, user_regs.rbp), P(RSI, user_regs.rsi),
    P(RDI, user_regs.rdi), P(RSP, user_regs.rsp), P(R8, user_regs.r8), P(R9, user_regs.r9),
    P(R10, user_regs.r10), P(R11, user_regs.r11), P(R12, user_regs.r12),
    P(R13, user_regs.r13), P(R14, user_regs.r14), P(R15, user_regs.r15),
    P(RIP, user_regs.rip), P(RFLAGS, user_regs.rflags),
    P(CS_SEL, user_regs.cs), P(SS_SEL, user_regs.ss), P(ES_SEL, user_regs.es),
    P(DS_SEL, user_regs.ds), P(FS_SEL, user_regs.fs), P(GS_SEL, user_regs.gs),
    P(CR0, ctrlreg[0]), P(CR2, ctrlreg[2]), P(CR3, ctrlreg[3]), P(CR4, ctrlreg[4]),
    P(DR0, debugreg[0]), P(DR1, debugreg[1]), P(DR2, debugreg[2]), P(DR3, debugreg[3]),
    P(DR6, debugreg[6]), P(DR7, debugreg[7]),
    P(FS_BASE, fs_base),
};
#undef P
#undef F

static const field_t *find(const field_t *t, size_t n, reg_t reg)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].reg == reg)
            return &t[i];
    return NULL;
}

static uint64_t load(const void *base, const field_t *f)
{
    const uint8_t *p = (const uint8_t *)base + f->off;
    uint64_t v = 0;
    memcpy(&v, p, f->size); /* little-endian, like every x86 host */
    return v;
}

static void store(void *base, const field_t *f, uint64_t v)
{
    memcpy((uint8_t *)base + f->off, &v, f->size);
}

static bool check_vcpu(xen_state_t *st, unsigned long vcpu, util_err_t *err)
{
    if (vcpu < st->vcpus)
        return true;
    util_err_set(err, "vCPU %lu: domain %u has %u", vcpu, st->domid, st->vcpus);
    return false;
}

/* ---- HVM and PVH: save records ---- */

static status_t hvm_cpu(xen_state_t *st, unsigned long vcpu, struct hvm_hw_cpu *cpu,
                        util_err_t *err)
{
    if (xc_domain_hvm_getcontext_partial(st->xc, st->domid, HVM_SAVE_CODE(CPU),
                                         (uint16_t)vcpu, cpu, sizeof(*cpu)) != 0) {
        xen_fail(st, err, errno, "domain %u vCPU %lu: reading its CPU record", st->domid,
                 vcpu);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* The whole HVM context (malloc'd) and where record (type, instance) is in
 * it: *rec, *len.  The blob is Xen's, but it is still walked with bounds. */
static uint8_t *hvm_context(xen_state_t *st, uint16_t type, uint16_t instance,
                            uint32_t *size, uint8_t **rec, uint32_t *len, util_err_t *err)
{
    int n = xc_domain_hvm_getcontext(st->xc, st->domid, NULL, 0);
    uint8_t *buf;
    size_t off = 0;

    if (n <= 0) {
        xen_fail(st, err, errno, "domain %u: sizing its HVM context", st->domid);
        return NULL;
    }
    if (!(buf = malloc((size_t)n))) {
        util_err_set(err, "out of memory for an HVM context of %d bytes", n);
        return NULL;
    }
    n = xc_domain_hvm_getcontext(st->xc, st->domid, buf, (uint32_t)n);
    if (n <= 0) {
        xen_fail(st, err, errno, "domain %u: reading its HVM context", st->domid);
        free(buf);
        return NULL;
    }
    *size = (uint32_t)n;
    while (off + sizeof(struct hvm_save_descriptor) <= (size_t)n) {
        struct hvm_save_descriptor d;
        memcpy(&d, buf + off, sizeof(d));
        off += sizeof(d);
        if (d.length > (size_t)n - off)
            break;
        if (d.typecode == type && d.instance == instance) {
            *rec = buf + off;
            *len = d.length;
            return buf;
        }
        if (d.typecode == HVM_SAVE_CODE(END))
            break;
        off += d.length;
    }
    util_err_set(err, "domain %u: its HVM context has no record %u for instance %u%s",
                 st->domid, type, instance,
                 type == CPU_XSAVE_CODE ? " (no XSAVE state: the CPU Xen runs on lacks XSAVE)"
                                        : "");
    free(buf);
    return NULL;
}

/* The context Xen is handed back: its header record (the first; Xen checks
 * it before it loads anything), the one CPU record, the end marker.  Xen's
 * loader (hvm_load) loads the records a context holds and only those.
 * Writing the whole context back would also reload the LAPIC, the timers
 * and the interrupt controllers from the copy read a moment before: an
 * interrupt Xen posted in between, such as the event-channel upcall a
 * guest timer raises in the LAPIC's IRR, is erased, and a guest whose
 * upcall stays pending is never sent another; it stops (measured: 301 DR3
 * writes stopped the PVH test guest for good; with this, it runs on).
 * The CPU record still carries the TSC as read, so the guest's TSC goes
 * back by the time between the read and the write (the domain is paused
 * for both; microseconds natively). */
static uint8_t *cpu_only_context(const uint8_t *buf, uint32_t size, const uint8_t *rec,
                                 uint32_t len, uint32_t *out_size, util_err_t *err)
{
    struct hvm_save_descriptor d, end = { .typecode = HVM_SAVE_CODE(END) };
    const size_t dsz = sizeof(d);
    uint8_t *out;
    size_t hdr, n;

    if (size >= dsz)
        memcpy(&d, buf, dsz);
    /* The CPU record (found by hvm_context inside buf) must come after the
     * header, its descriptor included. */
    if (size < dsz || d.typecode != HVM_SAVE_CODE(HEADER) || d.length > size - dsz ||
        (size_t)(rec - buf) < 2 * dsz + d.length) {
        util_err_set(err, "the HVM context does not start with its header record");
        return NULL;
    }
    hdr = dsz + d.length;
    n = hdr + dsz + len + dsz;
    if (!(out = malloc(n))) {
        util_err_set(err, "out of memory for an HVM context of %zu bytes", n);
        return NULL;
    }
    memcpy(out, buf, hdr);
    memcpy(out + hdr, rec - dsz, dsz + len);
    memcpy(out + hdr + dsz + len, &end, dsz);
    *out_size = (uint32_t)n;
    return out;
}

/* Apply fn to vCPU vcpu's CPU record and write that record back, with the
 * domain held still. */
static status_t hvm_change(xen_state_t *st, unsigned long vcpu,
                           status_t (*fn)(struct hvm_hw_cpu *, const void *, util_err_t *),
                           const void *arg, util_err_t *err)
{
    uint8_t *buf, *rec, *back = NULL;
    uint32_t size = 0, len = 0, back_size = 0;
    bool held = false;
    struct hvm_hw_cpu cpu;
    status_t rc = VMI_FAILURE;

    if (xen_ctl_hold(st, &held, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!(buf = hvm_context(st, HVM_SAVE_CODE(CPU), (uint16_t)vcpu, &size, &rec, &len, err)))
        goto out;
    if (len != sizeof(cpu)) {
        util_err_set(err, "domain %u vCPU %lu: CPU record of %u bytes, expected %zu",
                     st->domid, vcpu, len, sizeof(cpu));
        goto out;
    }
    memcpy(&cpu, rec, sizeof(cpu));
    if (fn(&cpu, arg, err) != VMI_SUCCESS)
        goto out;
    memcpy(rec, &cpu, sizeof(cpu));
    if (!(back = cpu_only_context(buf, size, rec, len, &back_size, err)))
        goto out;
    if (xc_domain_hvm_setcontext(st->xc, st->domid, back, back_size) != 0) {
        xen_fail(st, err, errno, "domain %u vCPU %lu: writing its CPU record", st->domid,
                 vcpu);
        goto out;
    }
    rc = VMI_SUCCESS;
out:
    free(back);
    free(buf);
    xen_ctl_hold_end(st, held);
    return rc;
}

/* ---- PV: vCPU contexts ---- */

static status_t pv_context(xen_state_t *st, unsigned long vcpu, vcpu_guest_context_any_t *c,
                           util_err_t *err)
{
    if (xc_vcpu_getcontext(st->xc, st->domid, (uint32_t)vcpu, c) != 0) {
        xen_fail(st, err, errno, "domain %u vCPU %lu: reading its PV context", st->domid,
                 vcpu);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* GS_BASE and SHADOW_GS of a PV vCPU: which base is live depends on mode. */
static bool pv_gs(const vcpu_guest_context_x86_64_t *c, reg_t reg, uint64_t **slot,
                  vcpu_guest_context_x86_64_t *mut)
{
    bool kernel = (c->flags & VGCF_in_kernel) != 0;
    vcpu_guest_context_x86_64_t *m = mut ? mut : (vcpu_guest_context_x86_64_t *)c;
    if (reg == GS_BASE)
        *slot = kernel ? &m->gs_base_kernel : &m->gs_base_user;
    else if (reg == SHADOW_GS || reg == MSR_SHADOW_GS_BASE)
        *slot = kernel ? &m->gs_base_user : &m->gs_base_kernel;
    else
        return false;
    return true;
}

static status_t pv_get(xen_state_t *st, const vcpu_guest_context_x86_64_t *c, reg_t reg,
                       uint64_t *value, util_err_t *err)
{
    const field_t *f = find(pv_fields, sizeof(pv_fields) / sizeof(pv_fields[0]), reg);
    uint64_t *slot;
    if (f) {
        *value = load(c, f);
        return VMI_SUCCESS;
    }
    if (pv_gs(c, reg, &slot, NULL)) {
        *value = *slot;
        return VMI_SUCCESS;
    }
    if (reg == MSR_EFER) {
        *value = EFER_LME | EFER_LMA | EFER_NXE;
        return VMI_SUCCESS;
    }
    util_err_set(err, "register %llu is not part of a PV vCPU's context (domain %u)",
                 (unsigned long long)reg, st->domid);
    return VMI_FAILURE;
}

static status_t pv_set(xen_state_t *st, vcpu_guest_context_x86_64_t *c, reg_t reg,
                       uint64_t value, util_err_t *err)
{
    const field_t *f = find(pv_fields, sizeof(pv_fields) / sizeof(pv_fields[0]), reg);
    uint64_t *slot;
    if (f) {
        store(c, f, value);
        return VMI_SUCCESS;
    }
    if (pv_gs(c, reg, &slot, c)) {
        *slot = value;
        return VMI_SUCCESS;
    }
    util_err_set(err, "register %llu of a PV vCPU cannot be set (domain %u)%s",
                 (unsigned long long)reg, st->domid,
                 reg == MSR_EFER ? ": the PV ABI fixes EFER" : "");
    return VMI_FAILURE;
}

/* A change of registers: all of them, or one. */
typedef struct reg_change {
    const registers_t *all; /* set every register this table knows, or */
    reg_t reg;              /* just this one */
    uint64_t value;
} reg_change_t;

static status_t pv_apply(xen_state_t *st, unsigned long vcpu, const reg_change_t *ch,
                         util_err_t *err)
{
    vcpu_guest_context_any_t c;
    bool held = false;
    status_t rc = VMI_FAILURE;

    if (xen_ctl_hold(st, &held, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (pv_context(st, vcpu, &c, err) != VMI_SUCCESS)
        goto out;
    if (ch->all) {
        reg_t r;
        uint64_t v;
        for (size_t i = 0; driver_reg_at(i, &r); i++)
            if (r != MSR_EFER && driver_reg_get(&ch->all->x86, r, &v))
                (void)pv_set(st, &c.x64, r, v, NULL); /* fields PV lacks stay */
    } else if (pv_set(st, &c.x64, ch->reg, ch->value, err) != VMI_SUCCESS) {
        goto out;
    }
    if (xc_vcpu_setcontext(st->xc, st->domid, (uint32_t)vcpu, &c) != 0) {
        xen_fail(st, err, errno, "domain %u vCPU %lu: writing its PV context", st->domid,
                 vcpu);
        goto out;
    }
    rc = VMI_SUCCESS;
out:
    xen_ctl_hold_end(st, held);
    return rc;
}

/* ---- the slots ---- */

static status_t hvm_get(xen_state_t *st, const struct hvm_hw_cpu *cpu, unsigned long vcpu,
                        reg_t reg, uint64_t *value, util_err_t *err)
{
    const field_t *f = find(hvm_fields, sizeof(hvm_fields) / sizeof(hvm_fields[0]), reg);
    if (f) {
        *value = load(cpu, f);
        return VMI_SUCCESS;
    }
    if (reg == XCR0) {
        uint8_t *buf, *rec;
        uint32_t size, len;
        if (!(buf = hvm_context(st, CPU_XSAVE_CODE, (uint16_t)vcpu, &size, &rec, &len, err)))
            return VMI_FAILURE;
        if (len < offsetof(struct hvm_hw_cpu_xsave, xcr0) + sizeof(uint64_t)) {
            util_err_set(err, "domain %u vCPU %lu: XSAVE record of %u bytes", st->domid,
                         vcpu, len);
            free(buf);
            return VMI_FAILURE;
        }
        memcpy(value, rec + offsetof(struct hvm_hw_cpu_xsave, xcr0), sizeof(*value));
        free(buf);
        return VMI_SUCCESS;
    }
    util_err_set(err, "register %llu is not part of an HVM vCPU's state (domain %u)",
                 (unsigned long long)reg, st->domid);
    return VMI_FAILURE;
}

status_t xen_regs_get(void *state, uint64_t *value, reg_t reg, unsigned long vcpu,
                      util_err_t *err)
{
    xen_state_t *st = state;
    if (!check_vcpu(st, vcpu, err))
        return VMI_FAILURE;
    if (st->hvm) {
        struct hvm_hw_cpu cpu = { .rax = 0 };
        if (reg != XCR0 && hvm_cpu(st, vcpu, &cpu, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        return hvm_get(st, &cpu, vcpu, reg, value, err);
    }
    vcpu_guest_context_any_t c;
    if (pv_context(st, vcpu, &c, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return pv_get(st, &c.x64, reg, value, err);
}

status_t xen_regs_get_all(void *state, registers_t *regs, unsigned long vcpu, util_err_t *err)
{
    xen_state_t *st = state;
    struct hvm_hw_cpu cpu;
    vcpu_guest_context_any_t c;
    reg_t r;
    uint64_t v;

    memset(regs, 0, sizeof(*regs));
    if (!check_vcpu(st, vcpu, err))
        return VMI_FAILURE;
    if (st->hvm ? hvm_cpu(st, vcpu, &cpu, err) != VMI_SUCCESS
                : pv_context(st, vcpu, &c, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    for (size_t i = 0; driver_reg_at(i, &r); i++) {
        if (r == XCR0)
            continue;
        if ((st->hvm ? hvm_get(st, &cpu, vcpu, r, &v, NULL) : pv_get(st, &c.x64, r, &v, NULL)) ==
            VMI_SUCCESS)
            driver_reg_set(&regs->x86, r, v);
    }
    return VMI_SUCCESS;
}

static status_t set_one(struct hvm_hw_cpu *cpu, const void *arg, util_err_t *err)
{
    const reg_change_t *ch = arg;
    const field_t *f = find(hvm_fields, sizeof(hvm_fields) / sizeof(hvm_fields[0]), ch->reg);
    if (!f) {
        util_err_set(err, "register %llu of an HVM vCPU cannot be set",
                     (unsigned long long)ch->reg);
        return VMI_FAILURE;
    }
    store(cpu, f, ch->value);
    return VMI_SUCCESS;
}

static status_t set_all(struct hvm_hw_cpu *cpu, const void *arg, util_err_t *err)
{
    const registers_t *regs = arg;
    reg_t r;
    uint64_t v;
    (void)err;
    for (size_t i = 0; driver_reg_at(i, &r); i++) {
        const field_t *f = find(hvm_fields, sizeof(hvm_fields) / sizeof(hvm_fields[0]), r);
        if (f && driver_reg_get(&regs->x86, r, &v))
            store(cpu, f, v);
    }
    return VMI_SUCCESS;
}

status_t xen_regs_set(void *state, uint64_t value, reg_t reg, unsigned long vcpu,
                      util_err_t *err)
{
    xen_state_t *st = state;
    reg_change_t ch = { NULL, reg, value };
    if (!check_vcpu(st, vcpu, err))
        return VMI_FAILURE;
    return st->hvm ? hvm_change(st, vcpu, set_one, &ch, err) : pv_apply(st, vcpu, &ch, err);
}

status_t xen_regs_set_all(void *state, const registers_t *regs, unsigned long vcpu,
                          util_err_t *err)
{
    xen_state_t *st = state;
    reg_change_t ch = { regs, 0, 0 };
    if (!check_vcpu(st, vcpu, err))
        return VMI_FAILURE;
    return st->hvm ? hvm_change(st, vcpu, set_all, regs, err) : pv_apply(st, vcpu, &ch, err);
}

status_t xen_regs_xsave(void *state, unsigned long vcpu, xsave_area_t *out, util_err_t *err)
{
    xen_state_t *st = state;
    uint8_t *buf, *rec;
    uint32_t size, len;
    const size_t area = offsetof(struct hvm_hw_cpu_xsave, save_area);

    if (!check_vcpu(st, vcpu, err))
        return VMI_FAILURE;
    if (!st->hvm) {
        util_err_set(err, "domain %u is a PV guest: Xen keeps no XSAVE record for it that "
                          "TinyVMI reads (HVM and PVH only)", st->domid);
        return VMI_FAILURE;
    }
    if (!(buf = hvm_context(st, CPU_XSAVE_CODE, (uint16_t)vcpu, &size, &rec, &len, err)))
        return VMI_FAILURE;
    if (len < area + sizeof(out->fpu_sse) + 2 * sizeof(uint64_t)) {
        util_err_set(err, "domain %u vCPU %lu: XSAVE record of %u bytes is too short",
                     st->domid, vcpu, len);
        free(buf);
        return VMI_FAILURE;
    }
    memcpy(out->fpu_sse, rec + area, sizeof(out->fpu_sse));
    memcpy(&out->xstate_bv, rec + area + sizeof(out->fpu_sse), sizeof(out->xstate_bv));
    memcpy(&out->xcomp_bv, rec + area + sizeof(out->fpu_sse) + 8, sizeof(out->xcomp_bv));
    free(buf);
    return VMI_SUCCESS;
}

status_t xen_regs_mtrr(void *state, unsigned long vcpu, mtrr_regs_t *out, util_err_t *err)
{
    xen_state_t *st = state;
    struct hvm_hw_mtrr m;

    if (!check_vcpu(st, vcpu, err))
        return VMI_FAILURE;
    if (!st->hvm) {
        util_err_set(err, "domain %u is a PV guest: it has no MTRRs of its own (HVM and PVH "
                          "only)", st->domid);
        return VMI_FAILURE;
    }
    if (xc_domain_hvm_getcontext_partial(st->xc, st->domid, HVM_SAVE_CODE(MTRR),
                                         (uint16_t)vcpu, &m, sizeof(m)) != 0) {
        xen_fail(st, err, errno, "domain %u vCPU %lu: reading its MTRR record", st->domid,
                 vcpu);
        return VMI_FAILURE;
    }
    out->msr_pat_cr = m.msr_pat_cr;
    out->msr_mtrr_cap = m.msr_mtrr_cap;
    return VMI_SUCCESS;
}

status_t xen_regs_tsc(void *state, uint32_t *mode, uint64_t *elapsed_nsec, uint32_t *khz,
                      uint32_t *incarnation, util_err_t *err)
{
    xen_state_t *st = state;
    uint32_t m = 0, k = 0, inc = 0;
    uint64_t ns = 0;
    if (xc_domain_get_tsc_info(st->xc, st->domid, &m, &ns, &k, &inc) != 0) {
        xen_fail(st, err, errno, "domain %u: reading its TSC settings", st->domid);
        return VMI_FAILURE;
    }
    if (mode)
        *mode = m;
    if (elapsed_nsec)
        *elapsed_nsec = ns;
    if (khz)
        *khz = k;
    if (incarnation)
        *incarnation = inc;
    return VMI_SUCCESS;
}

#endif /* TINYVMI_XEN */
