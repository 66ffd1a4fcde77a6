/*
 * info.c - facts about the target (sizes, modes, registers, what the image
 * states about its guest), control of live targets, and the hex-dump
 * printers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"
#include "util/strutil.h"

char *vmi_get_name(vmi_instance_t vmi)
{
    return vmi ? util_strdup(vmi->name) : NULL;
}

uint64_t vmi_get_vmid(vmi_instance_t vmi)
{
    return vmi ? vmi->vmid : VMI_INVALID_DOMID;
}

page_mode_t vmi_get_page_mode(vmi_instance_t vmi, unsigned long vcpu)
{
    return vmi ? arch_x86_page_mode(vmi->pmode) : VMI_PM_UNKNOWN;
}

unsigned int tvmi_get_paging_levels(vmi_instance_t vmi)
{
    if (!vmi)
        return 0;
    switch (vmi->pmode) {
    case ARCH_X86_LEGACY: return 2;
    case ARCH_X86_PAE: return 3;
    case ARCH_X86_IA32E_4: return 4;
    case ARCH_X86_IA32E_5: return 5;
    default: return 0;
    }
}

uint8_t vmi_get_address_width(vmi_instance_t vmi)
{
    return vmi ? vmi->addr_width : 0;
}

uint64_t vmi_get_memsize(vmi_instance_t vmi)
{
    return vmi ? vmi->drv->memsize(vmi->drv_state) : 0;
}

addr_t vmi_get_max_physical_address(vmi_instance_t vmi)
{
    return vmi ? vmi->drv->max_pa(vmi->drv_state) : 0;
}

addr_t vmi_get_next_available_gfn(vmi_instance_t vmi)
{
    return vmi ? (vmi->drv->max_pa(vmi->drv_state) + 0xfff) >> 12 : 0;
}

unsigned int vmi_get_num_vcpus(vmi_instance_t vmi)
{
    if (!vmi)
        return 0;
    return vmi->drv->num_vcpus ? vmi->drv->num_vcpus(vmi->drv_state) : 0;
}

const char *tvmi_get_config(vmi_instance_t vmi, const char *key)
{
    return vmi && key ? config_get(vmi->config, key) : NULL;
}

const char *core_config_get(vmi_instance_t vmi, const char *key)
{
    return config_get(vmi->config, key);
}

bool core_config_get_u64(vmi_instance_t vmi, const char *key, uint64_t *out)
{
    return config_get_u64(vmi->config, key, out, &vmi->err);
}

void core_config_set_default(vmi_instance_t vmi, const char *key, const char *value)
{
    if (!config_get(vmi->config, key))
        config_set(vmi->config, key, value);
}

addr_t core_kernel_dtb(vmi_instance_t vmi)
{
    return vmi->kpgd;
}

void core_set_kernel_dtb(vmi_instance_t vmi, addr_t dtb)
{
    vmi->kpgd = vmi->pmode == ARCH_X86_NONE ? dtb : arch_x86_dtb_base(vmi->pmode, dtb);
}

arch_x86_mode_t core_paging_mode(vmi_instance_t vmi)
{
    return vmi->pmode;
}

bool core_driver_hint(vmi_instance_t vmi, const char *key, uint64_t *value)
{
    util_err_t scratch;
    uint64_t v;

    if (!vmi || !key || !value || !vmi->drv->hint)
        return false;
    if (vmi->drv->hint(vmi->drv_state, key, &v, &scratch) != VMI_SUCCESS)
        return false;
    *value = v;
    return true;
}

status_t vmi_get_vcpureg(vmi_instance_t vmi, uint64_t *value, reg_t reg, unsigned long vcpu)
{
    CORE_REQUIRE(vmi, value);
    if (!vmi->drv->get_vcpureg) {
        core_error(vmi, "the %s target holds no vCPU registers", vmi->drv->name);
        return VMI_FAILURE;
    }
    return vmi->drv->get_vcpureg(vmi->drv_state, value, reg, vcpu, &vmi->err);
}

status_t vmi_get_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu)
{
    static const struct { reg_t reg; size_t off; } map[] = {
#define R(r, f) { r, offsetof(x86_registers_t, f) }
        R(RAX, rax), R(RBX, rbx), R(RCX, rcx), R(RDX, rdx), R(RSP, rsp), R(RBP, rbp),
        R(RSI, rsi), R(RDI, rdi), R(R8, r8), R(R9, r9), R(R10, r10), R(R11, r11),
        R(R12, r12), R(R13, r13), R(R14, r14), R(R15, r15), R(RIP, rip),
        R(RFLAGS, rflags), R(CR0, cr0), R(CR2, cr2), R(CR3, cr3), R(CR4, cr4),
        R(MSR_EFER, msr_efer), R(FS_BASE, fs_base), R(GS_BASE, gs_base),
        R(CS_SEL, cs_sel), R(SS_SEL, ss_sel), R(DS_SEL, ds_sel), R(ES_SEL, es_sel),
        R(FS_SEL, fs_sel), R(GS_SEL, gs_sel), R(GDTR_BASE, gdtr_base),
        R(IDTR_BASE, idtr_base), R(GDTR_LIMIT, gdtr_limit), R(IDTR_LIMIT, idtr_limit),
        R(SHADOW_GS, shadow_gs),
#undef R
    };
    size_t got = 0;
    util_err_t scratch;

    CORE_REQUIRE(vmi, regs);
    memset(regs, 0, sizeof(*regs));
    if (!vmi->drv->get_vcpureg) {
        core_error(vmi, "the %s target holds no vCPU registers", vmi->drv->name);
        return VMI_FAILURE;
    }
    /* Registers the target does not hold stay 0; only a target holding none
     * of them fails. */
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        uint64_t v;
        if (vmi->drv->get_vcpureg(vmi->drv_state, &v, map[i].reg, vcpu, &scratch) ==
            VMI_SUCCESS) {
            memcpy((char *)&regs->x86 + map[i].off, &v, sizeof(v));
            got++;
        }
    }
    if (!got) {
        core_error(vmi, "vCPU %lu: no registers available (%s)", vcpu, scratch.msg);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

static status_t unsupported(vmi_instance_t vmi, const char *what)
{
    if (vmi)
        core_error(vmi, "%s is not supported by the %s driver", what, vmi->drv->name);
    return VMI_FAILURE;
}

status_t vmi_set_vcpureg(vmi_instance_t vmi, uint64_t value, reg_t reg, unsigned long vcpu)
{
    return unsupported(vmi, "setting vCPU registers");
}

status_t vmi_set_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu)
{
    return unsupported(vmi, "setting vCPU registers");
}

status_t vmi_pause_vm(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->pause) /* an image never runs: it is always paused */
        return VMI_SUCCESS;
    return vmi->drv->pause(vmi->drv_state, &vmi->err);
}

status_t vmi_resume_vm(vmi_instance_t vmi)
{
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->resume)
        return VMI_SUCCESS;
    return vmi->drv->resume(vmi->drv_state, &vmi->err);
}

status_t vmi_get_domain_status(vmi_instance_t vmi, domain_status_t *st)
{
    CORE_REQUIRE(vmi, st);
    memset(st, 0, sizeof(*st));
    if (vmi->mode == VMI_FILE)
        st->paused = 1;
    else
        return unsupported(vmi, "domain status");
    return VMI_SUCCESS;
}

status_t vmi_get_xsave_info(vmi_instance_t vmi, unsigned long vcpu, xsave_area_t *x)
{
    return unsupported(vmi, "reading the XSAVE area");
}

const access_context_t *vmi_get_last_pagetable_lookup_fault(vmi_instance_t vmi)
{
    return vmi ? &vmi->last_fault : NULL;
}

status_t vmi_request_page_fault(vmi_instance_t vmi, unsigned long vcpu, uint64_t va,
                                uint32_t error_code)
{
    return unsupported(vmi, "injecting page faults");
}

status_t vmi_get_tsc_info(vmi_instance_t vmi, uint32_t *tsc_mode, uint64_t *elapsed_nsec,
                          uint32_t *gtsc_khz, uint32_t *incarnation)
{
    return unsupported(vmi, "reading TSC information");
}

status_t vmi_get_vcpumtrr(vmi_instance_t vmi, mtrr_regs_t *hw, unsigned long vcpu)
{
    return unsupported(vmi, "reading MTRRs");
}

status_t vmi_alloc_gfn(vmi_instance_t vmi, uint64_t gfn)
{
    return unsupported(vmi, "allocating guest frames");
}

status_t vmi_free_gfn(vmi_instance_t vmi, uint64_t gfn)
{
    return unsupported(vmi, "freeing guest frames");
}

status_t vmi_read_disk(vmi_instance_t vmi, const char *device_id, uint64_t offset,
                       uint64_t count, void *buffer)
{
    return unsupported(vmi, "reading guest disks");
}

char **vmi_get_disks(vmi_instance_t vmi, unsigned int *num)
{
    if (num)
        *num = 0;
    unsupported(vmi, "listing guest disks");
    return NULL;
}

status_t vmi_disk_is_bootable(vmi_instance_t vmi, const char *device_id, bool *bootable)
{
    return unsupported(vmi, "inspecting guest disks");
}

const char *vmi_get_linux_sysmap(vmi_instance_t vmi)
{
    return tvmi_get_config(vmi, "sysmap");
}

const char *vmi_get_freebsd_sysmap(vmi_instance_t vmi)
{
    return tvmi_get_config(vmi, "sysmap");
}

const char *vmi_get_rekall_path(vmi_instance_t vmi)
{
    return tvmi_get_config(vmi, "rekall_profile");
}

const char *vmi_get_os_profile_path(vmi_instance_t vmi)
{
    const char *p = tvmi_get_config(vmi, "volatility_ist");
    return p ? p : tvmi_get_config(vmi, "rekall_profile");
}

/* ---- hex dumps: offset, 16 bytes in hex, the same as text ---- */

void vmi_print_hex(const unsigned char *data, unsigned long length)
{
    for (unsigned long i = 0; i < length; i += 16) {
        printf("%08lx  ", i);
        for (unsigned long j = 0; j < 16; j++) {
            if (i + j < length)
                printf("%02x ", data[i + j]);
            else
                printf("   ");
            if (j == 7)
                putchar(' ');
        }
        printf(" |");
        for (unsigned long j = 0; j < 16 && i + j < length; j++) {
            unsigned char c = data[i + j];
            putchar(c >= 0x20 && c < 0x7f ? c : '.');
        }
        printf("|\n");
    }
}

static void print_hex_ctx(vmi_instance_t vmi, const access_context_t *ctx, size_t length)
{
    unsigned char *buf;
    size_t got = 0;
    if (!vmi || !length)
        return;
    buf = malloc(length);
    if (!buf)
        return;
    vmi_read(vmi, ctx, length, buf, &got);
    vmi_print_hex(buf, got);
    free(buf);
}

void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length)
{
    ACCESS_CONTEXT(c, .tm = VMI_TM_NONE, .addr = paddr);
    print_hex_ctx(vmi, &c, length);
}

void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length)
{
    ACCESS_CONTEXT(c, .tm = VMI_TM_PROCESS_PID, .addr = vaddr, .pid = pid);
    print_hex_ctx(vmi, &c, length);
}

void vmi_print_hex_ksym(vmi_instance_t vmi, const char *sym, size_t length)
{
    ACCESS_CONTEXT(c, .tm = VMI_TM_KERNEL_SYMBOL, .ksym = sym);
    print_hex_ctx(vmi, &c, length);
}

status_t tvmi_get_memory_range(vmi_instance_t vmi, size_t i, uint64_t *start, uint64_t *end)
{
    driver_range_t r;
    CORE_REQUIRE(vmi, start && end && vmi->drv->range);
    if (!vmi->drv->range(vmi->drv_state, i, &r))
        return VMI_FAILURE;
    *start = r.start;
    *end = r.end;
    return VMI_SUCCESS;
}
