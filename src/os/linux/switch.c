/*
 * switch.c - where Linux switches address space, for CR3-write events on
 * targets that cannot trap CR3 writes (os_cr3_switch_t, os.h).
 *
 *   var:  x86 switch_mm_irqs_off() stores LOADED_MM_SWITCHING ((void *)1)
 *         into this CPU's cpu_tlbstate.loaded_mm, loads CR3, then stores the
 *         new mm there (4.14 and later).  Each CPU's copy lives at
 *         __per_cpu_offset[cpu] + &cpu_tlbstate (a per-CPU symbol, not moved
 *         by KASLR) + offsetof(struct tlb_state, loaded_mm) (from BTF).  A
 *         watchpoint there sees every switch of mm right after its CR3 load.
 *   site: the instruction after each `mov %reg,%cr3` of load_new_mm_cr3()
 *         (switch_mm_irqs_off() where it is inlined, native_write_cr3() on
 *         kernels that call it), found in the guest's live text (after
 *         alternatives patched the paravirt call into the mov).
 *
 * Must stay Linux knowledge: the events layer only watches what this says.
 */
#include "os/linux/linux.h"
#include "os/os.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A function is not scanned past this many bytes or its next symbol. */
#define SWITCH_SCAN_MAX 2048

static void find_var(vmi_instance_t vmi, lx_state_t *st, os_cr3_switch_t *out)
{
    addr_t tlb, pco;
    uint64_t off;
    unsigned int n = vmi_get_num_vcpus(vmi);

    if (!lx_sym(st, "cpu_tlbstate", &tlb) || !lx_sym(st, "__per_cpu_offset", &pco) ||
        !lx_btf_load(vmi, st) ||
        lx_btf_offset(st->btf, "tlb_state", "loaded_mm", &off, core_err(vmi)) != VMI_SUCCESS)
        return;
    if (n == 0 || n > OS_CR3_MAX)
        return;
    for (unsigned int i = 0; i < n; i++) {
        addr_t base, mm;
        if (lx_read_ptr(vmi, st, pco + (addr_t)i * st->width, &base) != VMI_SUCCESS)
            return;
        out->var[i] = base + tlb + off;
        /* It must read as a kernel pointer or the marker. */
        if (lx_read_ptr(vmi, st, out->var[i], &mm) != VMI_SUCCESS ||
            (mm != 1 && !lx_is_kernel_va(st, mm)))
            return;
    }
    out->nvars = n;
    out->len = st->width;
    out->skip = 1;
    out->have_skip = true;
}

/* The instruction after each mov to CR3 in function name. */
static void scan_fn(vmi_instance_t vmi, lx_state_t *st, const char *name, os_cr3_switch_t *out)
{
    uint8_t code[SWITCH_SCAN_MAX];
    addr_t fn;
    size_t len = 0;

    if (!lx_sym(st, name, &fn))
        return;
    /* Up to the next symbol, read page by page so a short last page stops
     * the scan instead of failing it. */
    while (len < sizeof(code)) {
        size_t k = 4096 - ((fn + len) & 4095);
        if (k > sizeof(code) - len)
            k = sizeof(code) - len;
        if (lx_read(vmi, st, fn + len, code + len, k) != VMI_SUCCESS)
            break;
        len += k;
    }
    for (size_t i = 1; i < len; i++)
        if (lx_symtab_at(st->syms, fn + i)) {
            len = i;
            break;
        }
    for (size_t i = 0; i + 3 <= len && out->nsites < OS_CR3_MAX; i++) {
        /* 0f 22 /r with reg = 3 (CR3), register operand: modrm d8..df;
         * a REX.B prefix (41) for r8-r15. */
        if (code[i] != 0x0f || code[i + 1] != 0x22 || (code[i + 2] & 0xf8) != 0xd8)
            continue;
        out->site[out->nsites++] = fn + i + 3;
    }
}

status_t lx_cr3_switch(vmi_instance_t vmi, void *state, os_cr3_switch_t *out)
{
    lx_state_t *st = state;
    static const char *const fns[] = { "load_new_mm_cr3", "switch_mm_irqs_off",
                                       "native_write_cr3" };
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    find_var(vmi, st, out);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]) && !out->nsites; i++) {
        scan_fn(vmi, st, fns[i], out);
        if (out->nsites)
            n = i;
    }
    util_err_clear(core_err(vmi));
    if (!out->nvars && !out->nsites) {
        core_error(vmi, "found neither cpu_tlbstate.loaded_mm (needs the per-CPU symbols "
                        "cpu_tlbstate and __per_cpu_offset and BTF) nor a mov to CR3 in "
                        "load_new_mm_cr3, switch_mm_irqs_off or native_write_cr3");
        return VMI_FAILURE;
    }
    snprintf(out->how, sizeof(out->how), "%s%s%s%s%s",
             out->nvars ? "watch: cpu_tlbstate.loaded_mm of each CPU" : "",
             out->nvars && out->nsites ? "; " : "", out->nsites ? "break: after mov to CR3 in " : "",
             out->nsites ? fns[n] : "", "");
    return VMI_SUCCESS;
}
