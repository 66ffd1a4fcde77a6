/*
 * regs.c - the reg_t -> x86_registers_t field table (see regs.h).
 */
#include "driver/regs.h"

#include <string.h>

#define R(r, f) { r, offsetof(x86_registers_t, f) }
static const struct {
    reg_t reg;
    size_t off;
} reg_fields[] = {
    R(RAX, rax), R(RBX, rbx), R(RCX, rcx), R(RDX, rdx), R(RSP, rsp), R(RBP, rbp),
    R(RSI, rsi), R(RDI, rdi), R(R8, r8), R(R9, r9), R(R10, r10), R(R11, r11),
    R(R12, r12), R(R13, r13), R(R14, r14), R(R15, r15), R(RIP, rip), R(RFLAGS, rflags),
    R(DR6, dr6), R(DR7, dr7),
    R(CR0, cr0), R(CR2, cr2), R(CR3, cr3), R(CR4, cr4),
    R(SYSENTER_CS, sysenter_cs), R(SYSENTER_ESP, sysenter_esp),
    R(SYSENTER_EIP, sysenter_eip),
    R(MSR_EFER, msr_efer), R(MSR_STAR, msr_star), R(MSR_LSTAR, msr_lstar),
    R(MSR_CSTAR, msr_cstar),
    R(FS_BASE, fs_base), R(FS_LIMIT, fs_limit), R(FS_SEL, fs_sel), R(FS_ARBYTES, fs_arbytes),
    R(GS_BASE, gs_base), R(GS_LIMIT, gs_limit), R(GS_SEL, gs_sel), R(GS_ARBYTES, gs_arbytes),
    R(CS_BASE, cs_base), R(CS_LIMIT, cs_limit), R(CS_SEL, cs_sel), R(CS_ARBYTES, cs_arbytes),
    R(SS_BASE, ss_base), R(SS_LIMIT, ss_limit), R(SS_SEL, ss_sel), R(SS_ARBYTES, ss_arbytes),
    R(DS_BASE, ds_base), R(DS_LIMIT, ds_limit), R(DS_SEL, ds_sel), R(DS_ARBYTES, ds_arbytes),
    R(ES_BASE, es_base), R(ES_LIMIT, es_limit), R(ES_SEL, es_sel), R(ES_ARBYTES, es_arbytes),
    R(TR_BASE, tr_base), R(TR_LIMIT, tr_limit), R(TR_SEL, tr_sel), R(TR_ARBYTES, tr_arbytes),
    R(LDTR_BASE, ldt_base), R(LDTR_LIMIT, ldt_limit), R(LDTR_SEL, ldt_sel),
    R(LDTR_ARBYTES, ldt_arbytes),
    R(SHADOW_GS, shadow_gs),
    R(IDTR_BASE, idtr_base), R(IDTR_LIMIT, idtr_limit),
    R(GDTR_BASE, gdtr_base), R(GDTR_LIMIT, gdtr_limit),
};
#undef R

bool driver_reg_offset(reg_t reg, size_t *offset)
{
    for (size_t i = 0; i < sizeof(reg_fields) / sizeof(reg_fields[0]); i++)
        if (reg_fields[i].reg == reg) {
            *offset = reg_fields[i].off;
            return true;
        }
    return false;
}

bool driver_reg_at(size_t i, reg_t *reg)
{
    if (i >= sizeof(reg_fields) / sizeof(reg_fields[0]))
        return false;
    *reg = reg_fields[i].reg;
    return true;
}
