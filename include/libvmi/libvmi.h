/*
 * libvmi.h - TinyVMI's implementation of the LibVMI programming interface.
 *
 * A program written for LibVMI compiles against this header unchanged: the
 * names, types, constants and meanings follow LibVMI's documented interface.
 * The text here is TinyVMI's own.  TinyVMI-only additions (the reason for the
 * last failure, paging levels, ...) live in <libvmi/tinyvmi.h>.
 *
 * Conventions shared by every function:
 *  - status_t results are VMI_SUCCESS or VMI_FAILURE; after a failure,
 *    tvmi_errmsg(vmi) (tinyvmi.h) says what failed and why.
 *  - Out-parameters are written only on success.
 *  - Strings returned as char * are the caller's to free(); const char *
 *    results belong to the instance.
 *  - Functions a target cannot support (writing to a memory image, pausing
 *    a file) fail with a reason instead of pretending.
 */
#ifndef LIBVMI_H
#define LIBVMI_H

#ifdef __cplusplus
extern "C" {
#define NOEXCEPT noexcept
#else
#define NOEXCEPT
#endif

#pragma GCC visibility push(default)

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* ---- Initialisation flags: how `domain` in vmi_init names the target ---- */
#define VMI_INIT_DOMAINNAME  (1u << 0) /* domain is a name (file mode: a path) */
#define VMI_INIT_DOMAINID    (1u << 1) /* domain points at a uint64_t id */
#define VMI_INIT_EVENTS      (1u << 2) /* also set up event delivery */
#define VMI_INIT_DOMAINUUID  (1u << 3)
#define VMI_INIT_DOMAINWATCH (1u << 4)
#define VMI_INIT_V2SYM       (1u << 5) /* build the address-to-symbol index */

typedef enum vmi_mode {
    VMI_XEN,
    VMI_KVM,       /* in TinyVMI: a live QEMU reached through QMP */
    VMI_FILE,      /* a memory image on disk */
    VMI_BAREFLANK
} vmi_mode_t;

typedef enum vmi_config {
    VMI_CONFIG_GLOBAL_FILE_ENTRY, /* entry for this domain in libvmi.conf */
    VMI_CONFIG_STRING,            /* config points at "{ key = value; ... }" */
    VMI_CONFIG_GHASHTABLE,        /* unsupported: TinyVMI has no glib */
    VMI_CONFIG_JSON_PATH,         /* config points at a JSON profile path */
    VMI_CONFIG_FILE_PATH,         /* config points at a libvmi.conf path */
} vmi_config_t;

typedef enum status {
    VMI_SUCCESS,
    VMI_FAILURE
} status_t;

/* Which stage of initialisation failed; the reason text is in
 * tvmi_errmsg() or, when no instance survived, tvmi_init_errmsg(). */
typedef enum vmi_init_error {
    VMI_INIT_ERROR_NONE,
    VMI_INIT_ERROR_DRIVER_NOT_DETECTED,
    VMI_INIT_ERROR_DRIVER,
    VMI_INIT_ERROR_VM_NOT_FOUND,
    VMI_INIT_ERROR_PAGING,
    VMI_INIT_ERROR_OS,
    VMI_INIT_ERROR_EVENTS,
    VMI_INIT_ERROR_NO_CONFIG,
    VMI_INIT_ERROR_NO_CONFIG_ENTRY,
} vmi_init_error_t;

typedef enum firmware {
    VMI_FIRMWARE_UNKNOWN,
    VMI_FIRMWARE_LEGACY,
    VMI_FIRMWARE_UEFI
} firmware_t;

typedef enum os {
    VMI_OS_UNKNOWN,
    VMI_OS_LINUX,
    VMI_OS_WINDOWS,
    VMI_OS_FREEBSD,
    VMI_OS_OSX
} os_t;

typedef enum win_ver {
    VMI_OS_WINDOWS_NONE,
    VMI_OS_WINDOWS_UNKNOWN,
    VMI_OS_WINDOWS_2000,
    VMI_OS_WINDOWS_XP,
    VMI_OS_WINDOWS_2003,
    VMI_OS_WINDOWS_VISTA,
    VMI_OS_WINDOWS_2008,
    VMI_OS_WINDOWS_7,
    VMI_OS_WINDOWS_8,
    VMI_OS_WINDOWS_10,
} win_ver_t;

typedef struct {
    win_ver_t version;
    uint16_t buildnumber;
    uint16_t major;
    uint16_t minor;
} win_build_info_t;

/* ---- Paging ---- */
typedef uint32_t page_mode_t;
#define VMI_PM_NONE     0 /* paging disabled */
#define VMI_PM_UNKNOWN  1
#define VMI_PM_LEGACY   2 /* x86 32-bit paging */
#define VMI_PM_PAE      3 /* x86 PAE paging */
#define VMI_PM_IA32E    4 /* x86 4- or 5-level paging (see tinyvmi.h) */
#define VMI_PM_AARCH32  5
#define VMI_PM_AARCH64  6
#define VMI_PM_EPT_4L   7
#define VMI_PM_EPT_5L   8

#define VMI_PM_INITFLAG_TRANSITION_PAGES (1u << 0)

typedef enum page_size {
    VMI_PS_UNKNOWN = 0ULL,
    VMI_PS_1KB     = 0x400ULL,
    VMI_PS_4KB     = 0x1000ULL,
    VMI_PS_16KB    = 0x4000ULL,
    VMI_PS_64KB    = 0x10000ULL,
    VMI_PS_1MB     = 0x100000ULL,
    VMI_PS_2MB     = 0x200000ULL,
    VMI_PS_4MB     = 0x400000ULL,
    VMI_PS_16MB    = 0x1000000ULL,
    VMI_PS_32MB    = 0x2000000ULL,
    VMI_PS_512MB   = 0x20000000ULL,
    VMI_PS_1GB     = 0x40000000ULL,
} page_size_t;

#define VMI_INVALID_DOMID ~0ULL

/* ---- Extra data handed to vmi_init ---- */
typedef enum {
    VMI_INIT_DATA_XEN_EVTCHN,
    VMI_INIT_DATA_MEMMAP,
    VMI_INIT_DATA_KVMI_SOCKET
} vmi_init_data_type_t;

typedef struct {
    uint64_t type;
    void *data;
} vmi_init_data_entry_t;

typedef struct {
    uint64_t count;
    vmi_init_data_entry_t entry[];
} vmi_init_data_t;

typedef struct {
    uint64_t count;
    uint64_t range[][2];
} memory_map_t;

/* ---- Registers (reg_t numbering used by vmi_get_vcpureg) ---- */
typedef uint64_t reg_t;

#define EAX 0
#define EBX 1
#define ECX 2
#define EDX 3
#define EBP 4
#define ESI 5
#define EDI 6
#define ESP 7
#define EIP 8
#define EFLAGS 9
#define RAX EAX
#define RBX EBX
#define RCX ECX
#define RDX EDX
#define RBP EBP
#define RSI ESI
#define RDI EDI
#define RSP ESP
#define RIP EIP
#define RFLAGS EFLAGS
#define R8 10
#define R9 11
#define R10 12
#define R11 13
#define R12 14
#define R13 15
#define R14 16
#define R15 17
#define CR0 18
#define CR2 19
#define CR3 20
#define CR4 21
#define XCR0 22
#define DR0 23
#define DR1 24
#define DR2 25
#define DR3 26
#define DR6 27
#define DR7 28
#define CS_SEL 29
#define DS_SEL 30
#define ES_SEL 31
#define FS_SEL 32
#define GS_SEL 33
#define SS_SEL 34
#define TR_SEL 35
#define LDTR_SEL 36
#define CS_LIMIT 37
#define DS_LIMIT 38
#define ES_LIMIT 39
#define FS_LIMIT 40
#define GS_LIMIT 41
#define SS_LIMIT 42
#define TR_LIMIT 43
#define LDTR_LIMIT 44
#define IDTR_LIMIT 45
#define GDTR_LIMIT 46
#define CS_BASE 47
#define DS_BASE 48
#define ES_BASE 49
#define FS_BASE 50
#define GS_BASE 51
#define SS_BASE 52
#define TR_BASE 53
#define LDTR_BASE 54
#define IDTR_BASE 55
#define GDTR_BASE 56
#define CS_ARBYTES 57
#define DS_ARBYTES 58
#define ES_ARBYTES 59
#define FS_ARBYTES 60
#define GS_ARBYTES 61
#define SS_ARBYTES 62
#define TR_ARBYTES 63
#define LDTR_ARBYTES 64
#define SYSENTER_CS 65
#define SYSENTER_ESP 66
#define SYSENTER_EIP 67
#define SHADOW_GS 68
#define TSC 69
#define MSR_FLAGS 70
#define MSR_LSTAR 71
#define MSR_CSTAR 72
#define MSR_SYSCALL_MASK 73
#define MSR_EFER 74
#define MSR_TSC_AUX 75
#define MSR_ALL 76
#define SCTLR 77
#define CPSR 78
#define TTBCR 79
#define TTBR0 80
#define TTBR1 81
#define R0 82
#define R1 83
#define R2 84
#define R3 85
#define R4 86
#define R5 87
#define R6 88
#define R7 89
#define SPSR_SVC 90
#define SPSR_FIQ 91
#define SPSR_IRQ 92
#define SPSR_UND 93
#define SPSR_ABT 94
#define LR_IRQ 95
#define SP_IRQ 96
#define LR_SVC 97
#define SP_SVC 98
#define LR_ABT 99
#define SP_ABT 100
#define LR_UND 101
#define SP_UND 102
#define R8_FIQ 103
#define R9_FIQ 104
#define R10_FIQ 105
#define R11_FIQ 106
#define R12_FIQ 107
#define SP_FIQ 108
#define LR_FIQ 109
#define SP_EL0 110
#define SP_EL1 111
#define ELR_EL1 112
#define PC 118
#define MSR_STAR 119
#define MSR_SHADOW_GS_BASE 120
#define MSR_MTRRfix64K_00000 121
#define MSR_MTRRfix16K_80000 122
#define MSR_MTRRfix16K_A0000 123
#define MSR_MTRRfix4K_C0000 124
#define MSR_MTRRfix4K_C8000 125
#define MSR_MTRRfix4K_D0000 126
#define MSR_MTRRfix4K_D8000 127
#define MSR_MTRRfix4K_E0000 128
#define MSR_MTRRfix4K_E8000 129
#define MSR_MTRRfix4K_F0000 130
#define MSR_MTRRfix4K_F8000 131
#define MSR_MTRRdefType 132
#define MSR_IA32_MC0_CTL 133
#define MSR_IA32_MC0_STATUS 134
#define MSR_IA32_MC0_ADDR 135
#define MSR_IA32_MC0_MISC 136
#define MSR_IA32_MC1_CTL 137
#define MSR_IA32_MC0_CTL2 138
#define MSR_AMD_PATCHLEVEL 139
#define MSR_AMD64_TSC_RATIO 140
#define MSR_IA32_P5_MC_ADDR 141
#define MSR_IA32_P5_MC_TYPE 142
#define MSR_IA32_TSC 143
#define MSR_IA32_PLATFORM_ID 144
#define MSR_IA32_EBL_CR_POWERON 145
#define MSR_IA32_EBC_FREQUENCY_ID 146
#define MSR_IA32_FEATURE_CONTROL 147
#define MSR_IA32_SYSENTER_CS 148
#define MSR_IA32_SYSENTER_ESP 149
#define MSR_IA32_SYSENTER_EIP 150
#define MSR_IA32_MISC_ENABLE 151
#define MSR_HYPERVISOR 152
#define MSR_ANY 153
#define MSR_UNDEFINED MSR_ANY
#define SP_USR R13
#define LR_USR R14
#define PC32 PC
#define X0 R0
#define X1 R1
#define X2 R2
#define X3 R3
#define X4 R4
#define X5 R5
#define X6 R6
#define X7 R7
#define X8 R8
#define X9 R9
#define X10 R10
#define X11 R11
#define X12 R12
#define X13 R13
#define X14 R14
#define X15 R15
#define X16 LR_IRQ
#define X17 SP_IRQ
#define X18 LR_SVC
#define X19 SP_SVC
#define X20 LR_ABT
#define X21 SP_ABT
#define X22 LR_UND
#define X23 SP_UND
#define X24 R8_FIQ
#define X25 R9_FIQ
#define X26 R10_FIQ
#define X27 R11_FIQ
#define X28 R12_FIQ
#define X29 SP_FIQ
#define X30 LR_FIQ
#define PC64 PC
#define SPSR_EL1 SPSR_SVC
#define TCR_EL1 TTBCR

typedef struct x86_mtrr_regs {
    uint64_t msr_pat_cr;
    uint64_t msr_mtrr_cap;
} mtrr_regs_t;

typedef struct x86_segment_flags {
    uint16_t type : 4;
    uint16_t s : 1;
    uint16_t dpl : 2;
    uint16_t p : 1;
    uint16_t avl : 1;
    uint16_t l : 1;
    uint16_t db : 1;
    uint16_t g : 1;
    uint16_t pad : 4;
    uint16_t pad2;
    uint32_t pad3;
} x86_segment_flags_t;

#define TINYVMI_SEGMENT_(s)                 \
    uint64_t s##_base;                      \
    uint64_t s##_limit;                     \
    uint64_t s##_sel;                       \
    union {                                 \
        uint64_t s##_arbytes;               \
        x86_segment_flags_t s##_flags;      \
    }

typedef struct x86_regs {
    uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rflags;
    uint64_t dr6, dr7;
    uint64_t rip;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t msr_efer, msr_star, msr_lstar, msr_pat, msr_cstar;
    TINYVMI_SEGMENT_(fs);
    TINYVMI_SEGMENT_(gs);
    TINYVMI_SEGMENT_(cs);
    TINYVMI_SEGMENT_(ss);
    TINYVMI_SEGMENT_(ds);
    TINYVMI_SEGMENT_(es);
    TINYVMI_SEGMENT_(tr);
    TINYVMI_SEGMENT_(ldt);
    uint64_t shadow_gs;
    uint64_t idtr_base, idtr_limit;
    uint64_t gdtr_base, gdtr_limit;
    uint64_t npt_base;
    uint64_t vmtrace_pos;
} x86_registers_t;

typedef struct arm_registers {
    uint64_t ttbr0;
    uint64_t ttbr1;
    uint64_t ttbcr;
    uint64_t pc;
    uint32_t cpsr;
    uint32_t _pad;
} arm_registers_t;

typedef struct registers {
    union {
        x86_registers_t x86;
        arm_registers_t arm;
    };
} registers_t;

typedef struct xsave_area {
    char fpu_sse[512];
    uint64_t xstate_bv;
    uint64_t xcomp_bv;
} xsave_area_t;

typedef uint64_t addr_t;
typedef int32_t vmi_pid_t;

/* The result of one page-table walk.  The member of the union that matches
 * pm holds each entry visited: where it was (location, a physical address)
 * and what it held (value).  TinyVMI adds the 5-level entry at the end of
 * x86_ia32e; LibVMI programs never see it. */
typedef struct page_info {
    addr_t vaddr;
    addr_t paddr;
    addr_t naddr;
    page_size_t size;
    page_size_t nsize;
    addr_t pt;
    page_mode_t pm;
    addr_t npt;
    page_mode_t npm;
    union {
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
        } x86_legacy;
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
            addr_t pdpe_location;
            addr_t pdpe_value;
        } x86_pae;
        struct {
            addr_t pte_value_prev;
            addr_t pte_location;
            addr_t pte_value;
            addr_t pgd_location;
            addr_t pgd_value;
            addr_t pdpte_location;
            addr_t pdpte_value;
            addr_t pml4e_location;
            addr_t pml4e_value;
            addr_t pml5e_location; /* TinyVMI: 5-level paging only */
            addr_t pml5e_value;
        } x86_ia32e;
        struct {
            uint32_t fld_location;
            uint32_t fld_value;
            uint32_t sld_location;
            uint32_t sld_value;
        } arm_aarch32;
        struct {
            uint64_t zld_location;
            uint64_t zld_value;
            uint64_t fld_location;
            uint64_t fld_value;
            uint64_t sld_location;
            uint64_t sld_value;
            uint64_t tld_location;
            uint64_t tld_value;
        } arm_aarch64;
    };
} page_info_t;

typedef enum arch {
    VMI_ARCH_UNKNOWN,
    VMI_ARCH_X86,
    VMI_ARCH_X86_64,
    VMI_ARCH_ARM32,
    VMI_ARCH_ARM64
} vmi_arch_t;

/* ---- Access contexts: how a virtual address is to be translated ---- */
typedef uint32_t translation_mechanism_t;
#define VMI_TM_NONE          0 /* addr is physical */
#define VMI_TM_PROCESS_DTB   1 /* translate through the page table dtb */
#define VMI_TM_PROCESS_PT    1
#define VMI_TM_PROCESS_PID   2 /* translate through process pid's page table
                                  (pid 0: the kernel's) */
#define VMI_TM_KERNEL_SYMBOL 3 /* ksym's address, through the kernel's table */

#define ACCESS_CONTEXT_VERSION 0x1u
#define ACCESS_CONTEXT(C, ...)             \
    access_context_t C = {                 \
        .version = ACCESS_CONTEXT_VERSION, \
        __VA_ARGS__                        \
    }

typedef struct {
    uint32_t version;
    uint32_t _pad;
    union {
        page_mode_t pm;
        page_mode_t page_mode;
    };
    union {
        page_mode_t npm;
        page_mode_t nested_page_mode;
    };
    union {
        addr_t npt;
        addr_t nested_page_table;
    };
    union {
        translation_mechanism_t tm;
        translation_mechanism_t translate_mechanism;
    };
    uint32_t _pad2;
    union {
        struct {
            addr_t addr;
            union {
                addr_t pt;
                addr_t page_table;
                addr_t dtb;
                vmi_pid_t pid;
            };
        };
        const char *ksym;
    };
} access_context_t;

#define VMI_GET_BIT(reg, bit) (!!(reg & (1ULL << bit)))
#define VMI_BIT_MASK(a, b) (((unsigned long long)-1 >> (63 - (b))) & ~((1ULL << (a)) - 1))

typedef struct _ustring {
    size_t length;        /* bytes in contents */
    uint8_t *contents;
    const char *encoding; /* iconv name, e.g. "UTF-16"; not to be freed */
} unicode_string_t;

typedef struct domain_status {
    unsigned int dying : 1;
    unsigned int shutdown : 1;
    unsigned int paused : 1;
    unsigned int blocked : 1;
    unsigned int running : 1;
    unsigned int debugged : 1;
} domain_status_t;

/* The opaque handle every call takes. */
typedef struct vmi_instance *vmi_instance_t;

/* ==== Initialisation and teardown ==== */

/* Open the target (file mode: domain is the image path) and set up paging,
 * without the OS layer.  On failure *vmi is NULL, everything is freed, and
 * *error (if given) says which stage failed. */
status_t vmi_init(vmi_instance_t *vmi, vmi_mode_t mode, const void *domain,
                  uint64_t init_flags, vmi_init_data_t *init_data,
                  vmi_init_error_t *error) NOEXCEPT;

/* vmi_init plus configuration and the OS layer.  In file mode the access
 * mode may be left to detection. */
status_t vmi_init_complete(vmi_instance_t *vmi, const void *domain,
                           uint64_t init_flags, vmi_init_data_t *init_data,
                           vmi_config_t config_mode, void *config,
                           vmi_init_error_t *error) NOEXCEPT;

/* (Re)determine the paging mode from the vCPU state; VMI_PM_UNKNOWN on
 * failure. */
page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags) NOEXCEPT;

/* Load configuration and start the OS layer on an initialised instance. */
os_t vmi_init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                 vmi_init_error_t *error) NOEXCEPT;

/* Free everything.  Accepts NULL. */
status_t vmi_destroy(vmi_instance_t vmi) NOEXCEPT;

vmi_arch_t vmi_get_library_arch(void) NOEXCEPT;

/* ==== Address translation ==== */
status_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr) NOEXCEPT;
status_t vmi_translate_uv2p(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,
                            addr_t *paddr) NOEXCEPT;
status_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol,
                              addr_t *vaddr) NOEXCEPT;
status_t vmi_translate_sym2v(vmi_instance_t vmi, const access_context_t *ctx,
                             const char *symbol, addr_t *vaddr) NOEXCEPT;
/* Symbol at (module base + rva) for ctx's module; NULL when unknown. */
const char *vmi_translate_v2sym(vmi_instance_t vmi, const access_context_t *ctx,
                                addr_t rva) NOEXCEPT;
/* Kernel symbol exactly at va; NULL when none. */
const char *vmi_translate_v2ksym(vmi_instance_t vmi, const access_context_t *ctx,
                                 addr_t va) NOEXCEPT;
status_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb) NOEXCEPT;
status_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid) NOEXCEPT;
/* Walk the page table pt (in the instance's paging mode). */
status_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                              addr_t *paddr) NOEXCEPT;
status_t vmi_pagetable_lookup_extended(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                       page_info_t *info) NOEXCEPT;
status_t vmi_nested_pagetable_lookup(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                     addr_t pt, page_mode_t pm, addr_t vaddr,
                                     addr_t *paddr, addr_t *naddr) NOEXCEPT;
status_t vmi_nested_pagetable_lookup_extended(vmi_instance_t vmi, addr_t npt,
                                              page_mode_t npm, addr_t pt,
                                              page_mode_t pm, addr_t vaddr,
                                              page_info_t *info) NOEXCEPT;

/* ==== Reading memory ==== */
/* Read count bytes; *bytes_read (if given) tells how many were read even on
 * failure.  A read that crosses into unmapped memory fails. */
status_t vmi_read(vmi_instance_t vmi, const access_context_t *ctx, size_t count,
                  void *buf, size_t *bytes_read) NOEXCEPT;
status_t vmi_read_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value) NOEXCEPT;
status_t vmi_read_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value) NOEXCEPT;
status_t vmi_read_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value) NOEXCEPT;
status_t vmi_read_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value) NOEXCEPT;
/* An address of the guest's width (4 or 8 bytes), zero-extended. */
status_t vmi_read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value) NOEXCEPT;
/* A NUL-terminated string, at most 4096 bytes (longer ones are cut); free()
 * the result.  NULL on failure. */
char *vmi_read_str(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;
uint16_t *vmi_read_wstr(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;
unicode_string_t *vmi_read_unicode_str(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;
unicode_string_t *vmi_read_unicode_str_pm(vmi_instance_t vmi, const access_context_t *ctx,
                                          page_mode_t mode) NOEXCEPT;
status_t vmi_read_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                       size_t *bytes_read) NOEXCEPT;
/* pid 0 means the kernel's page table. */
status_t vmi_read_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count,
                     void *buf, size_t *bytes_read) NOEXCEPT;
status_t vmi_read_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                     size_t *bytes_read) NOEXCEPT;
status_t vmi_mmap_guest(vmi_instance_t vmi, const access_context_t *ctx, size_t num_pages,
                        int prot, void **access_ptrs) NOEXCEPT;
status_t vmi_mmap_guest_pfns(vmi_instance_t vmi, unsigned long *pfns, size_t num_pages,
                             int prot, void **access_ptrs) NOEXCEPT;
status_t vmi_mmap_guest_pa(vmi_instance_t vmi, addr_t paddr, size_t num_pages, int prot,
                           void **access_ptrs) NOEXCEPT;

status_t vmi_read_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value) NOEXCEPT;
status_t vmi_read_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value) NOEXCEPT;
status_t vmi_read_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value) NOEXCEPT;
status_t vmi_read_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value) NOEXCEPT;
status_t vmi_read_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value) NOEXCEPT;
char *vmi_read_str_ksym(vmi_instance_t vmi, const char *sym) NOEXCEPT;

status_t vmi_read_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value) NOEXCEPT;
status_t vmi_read_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value) NOEXCEPT;
status_t vmi_read_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value) NOEXCEPT;
status_t vmi_read_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value) NOEXCEPT;
status_t vmi_read_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value) NOEXCEPT;
char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) NOEXCEPT;
uint16_t *vmi_read_wstr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) NOEXCEPT;
unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr,
                                          vmi_pid_t pid) NOEXCEPT;
status_t vmi_convert_str_encoding(const unicode_string_t *in, unicode_string_t *out,
                                  const char *outencoding) NOEXCEPT;
void vmi_free_unicode_str(unicode_string_t *p_us) NOEXCEPT;

status_t vmi_read_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value) NOEXCEPT;
status_t vmi_read_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value) NOEXCEPT;
status_t vmi_read_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value) NOEXCEPT;
status_t vmi_read_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value) NOEXCEPT;
status_t vmi_read_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value) NOEXCEPT;
char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr) NOEXCEPT;
uint16_t *vmi_read_wstr_pa(vmi_instance_t vmi, addr_t paddr) NOEXCEPT;

/* ==== Writing memory (fails with a reason on read-only targets) ==== */
status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count,
                   void *buf, size_t *bytes_written) NOEXCEPT;
status_t vmi_write_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                        size_t *bytes_written) NOEXCEPT;
status_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count,
                      void *buf, size_t *bytes_written) NOEXCEPT;
status_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                      size_t *bytes_written) NOEXCEPT;
status_t vmi_write_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value) NOEXCEPT;
status_t vmi_write_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value) NOEXCEPT;
status_t vmi_write_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value) NOEXCEPT;
status_t vmi_write_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value) NOEXCEPT;
status_t vmi_write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value) NOEXCEPT;
status_t vmi_write_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value) NOEXCEPT;
status_t vmi_write_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value) NOEXCEPT;
status_t vmi_write_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value) NOEXCEPT;
status_t vmi_write_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value) NOEXCEPT;
status_t vmi_write_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value) NOEXCEPT;
status_t vmi_write_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value) NOEXCEPT;
status_t vmi_write_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value) NOEXCEPT;
status_t vmi_write_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value) NOEXCEPT;
status_t vmi_write_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value) NOEXCEPT;
status_t vmi_write_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value) NOEXCEPT;
status_t vmi_write_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value) NOEXCEPT;
status_t vmi_write_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value) NOEXCEPT;
status_t vmi_write_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value) NOEXCEPT;
status_t vmi_write_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value) NOEXCEPT;
status_t vmi_write_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value) NOEXCEPT;

/* ==== Printing helpers (hex dump to stdout) ==== */
void vmi_print_hex(const unsigned char *data, unsigned long length) NOEXCEPT;
void vmi_print_hex_ksym(vmi_instance_t vmi, const char *sym, size_t length) NOEXCEPT;
void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length) NOEXCEPT;
void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length) NOEXCEPT;

/* ==== Facts about the target ==== */
/* A copy of the target's name (file mode: the image path); free() it. */
char *vmi_get_name(vmi_instance_t vmi) NOEXCEPT;
uint64_t vmi_get_vmid(vmi_instance_t vmi) NOEXCEPT;
status_t vmi_get_access_mode(vmi_instance_t vmi, const void *domain, uint64_t init_flags,
                             vmi_init_data_t *init_data, vmi_mode_t *mode) NOEXCEPT;
page_mode_t vmi_get_page_mode(vmi_instance_t vmi, unsigned long vcpu) NOEXCEPT;
/* Bytes in a guest address: 4 or 8 (0 when unknown). */
uint8_t vmi_get_address_width(vmi_instance_t vmi) NOEXCEPT;
os_t vmi_get_ostype(vmi_instance_t vmi) NOEXCEPT;
bool vmi_get_windows_build_info(vmi_instance_t vmi, win_build_info_t *info) NOEXCEPT;
win_ver_t vmi_get_winver(vmi_instance_t vmi) NOEXCEPT;
uint16_t vmi_get_win_buildnumber(vmi_instance_t vmi) NOEXCEPT;
const char *vmi_get_winver_str(vmi_instance_t vmi) NOEXCEPT;
win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa) NOEXCEPT;
/* A configured or discovered offset by its libvmi.conf name ("linux_tasks"). */
status_t vmi_get_offset(vmi_instance_t vmi, const char *offset_name, addr_t *offset) NOEXCEPT;
status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *struct_name,
                                      const char *member, addr_t *addr) NOEXCEPT;
status_t vmi_get_xsave_info(vmi_instance_t vmi, unsigned long vcpu,
                            xsave_area_t *xsave_info) NOEXCEPT;
const access_context_t *vmi_get_last_pagetable_lookup_fault(vmi_instance_t vmi) NOEXCEPT;
/* Bytes of guest RAM. */
uint64_t vmi_get_memsize(vmi_instance_t vmi) NOEXCEPT;
/* One past the highest guest-physical RAM address. */
addr_t vmi_get_max_physical_address(vmi_instance_t vmi) NOEXCEPT;
addr_t vmi_get_next_available_gfn(vmi_instance_t vmi) NOEXCEPT;
unsigned int vmi_get_num_vcpus(vmi_instance_t vmi) NOEXCEPT;
status_t vmi_request_page_fault(vmi_instance_t vmi, unsigned long vcpu,
                                uint64_t virtual_address, uint32_t error_code) NOEXCEPT;
status_t vmi_get_tsc_info(vmi_instance_t vmi, uint32_t *tsc_mode, uint64_t *elapsed_nsec,
                          uint32_t *gtsc_khz, uint32_t *incarnation) NOEXCEPT;
status_t vmi_get_vcpumtrr(vmi_instance_t vmi, mtrr_regs_t *hwMtrr, unsigned long vcpu) NOEXCEPT;
status_t vmi_get_vcpureg(vmi_instance_t vmi, uint64_t *value, reg_t reg,
                         unsigned long vcpu) NOEXCEPT;
status_t vmi_get_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu) NOEXCEPT;
status_t vmi_set_vcpureg(vmi_instance_t vmi, uint64_t value, reg_t reg,
                         unsigned long vcpu) NOEXCEPT;
status_t vmi_set_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu) NOEXCEPT;
status_t vmi_alloc_gfn(vmi_instance_t vmi, uint64_t gfn) NOEXCEPT;
status_t vmi_free_gfn(vmi_instance_t vmi, uint64_t gfn) NOEXCEPT;
status_t vmi_pause_vm(vmi_instance_t vmi) NOEXCEPT;
status_t vmi_resume_vm(vmi_instance_t vmi) NOEXCEPT;

/* ==== Caches ==== */
/* Drop cached translations made through page table pt; pt == ~0ull drops all. */
void vmi_v2pcache_flush(vmi_instance_t vmi, addr_t pt) NOEXCEPT;
void vmi_v2pcache_nested_flush(vmi_instance_t vmi, addr_t pt, addr_t npt) NOEXCEPT;
void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t pa) NOEXCEPT;
void vmi_v2pcache_nested_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t npt,
                             addr_t pa) NOEXCEPT;
void vmi_symcache_flush(vmi_instance_t vmi) NOEXCEPT;
void vmi_symcache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym,
                      addr_t va) NOEXCEPT;
void vmi_rvacache_flush(vmi_instance_t vmi) NOEXCEPT;
void vmi_rvacache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva,
                      char *sym) NOEXCEPT;
void vmi_pidcache_flush(vmi_instance_t vmi) NOEXCEPT;
void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb) NOEXCEPT;
void vmi_pagecache_flush(vmi_instance_t vmi) NOEXCEPT;

const char *vmi_get_linux_sysmap(vmi_instance_t vmi) NOEXCEPT;
const char *vmi_get_freebsd_sysmap(vmi_instance_t vmi) NOEXCEPT;
const char *vmi_get_rekall_path(vmi_instance_t vmi) NOEXCEPT;
const char *vmi_get_os_profile_path(vmi_instance_t vmi) NOEXCEPT;

status_t vmi_read_disk(vmi_instance_t vmi, const char *device_id, uint64_t offset,
                       uint64_t count, void *buffer) NOEXCEPT;
char **vmi_get_disks(vmi_instance_t vmi, unsigned int *num) NOEXCEPT;
status_t vmi_disk_is_bootable(vmi_instance_t vmi, const char *device_id,
                              bool *bootable) NOEXCEPT;
status_t vmi_get_domain_status(vmi_instance_t vmi, domain_status_t *domain_status);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

/* TinyVMI's own additions are always available to LibVMI programs built
 * against TinyVMI; they use the tvmi_ prefix and never clash. */
#include <libvmi/tinyvmi.h>

#endif /* LIBVMI_H */
