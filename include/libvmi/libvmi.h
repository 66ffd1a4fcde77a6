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
 *  - Out-parameters hold an answer only after success; the byte counts of
 *    vmi_read and vmi_write tell how far a failing call got.
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

/* Open the target named by domain with the driver for mode and set up
 * paging, without configuration or an OS layer.  File mode names the
 * target by its path (VMI_INIT_DOMAINNAME).  On failure *vmi is NULL,
 * everything is freed, *error (if given) says which stage failed and
 * tvmi_init_errmsg() why.  Fails when vmi or domain is NULL, the mode is
 * not built in (only VMI_FILE today), a file is named by id
 * (VMI_INIT_DOMAINID), VMI_INIT_EVENTS is asked of a target without
 * events, the driver cannot open the target, or no paging mode and kernel
 * page table can be found (VMI_INIT_ERROR_PAGING).  init_data is ignored.
 * LibVMI: vmi_init leaves the paging mode unknown until vmi_init_paging;
 * TinyVMI's sets paging up already, from the target's registers or, for
 * a raw image, by scanning it for the kernel's page table. */
status_t vmi_init(vmi_instance_t *vmi, vmi_mode_t mode, const void *domain,
                  uint64_t init_flags, vmi_init_data_t *init_data,
                  vmi_init_error_t *error) NOEXCEPT;

/* vmi_init plus configuration and the OS layer: the driver is chosen by
 * the target itself (a readable file is a memory image), the configuration
 * is read as config_mode says (see the Configuration page: with
 * VMI_CONFIG_GLOBAL_FILE_ENTRY, no file or no entry is fine), paging is set
 * up from `pagemode` / `kpgd`, the registers or a scan, and the OS layer
 * named by `ostype` starts, or the first one that recognises the guest.
 * Fails as vmi_init does, and also when the configuration cannot be read
 * or does not parse (VMI_INIT_ERROR_NO_CONFIG; VMI_INIT_ERROR_NO_CONFIG_ENTRY
 * when a VMI_CONFIG_FILE_PATH file has no entry for the target), a key's
 * value is unusable, or the OS layer named fails to start
 * (VMI_INIT_ERROR_OS, with what it could not find and which key would
 * supply it).  A guest no OS layer recognises is not a failure: memory and
 * translation work, OS calls fail saying so.
 * LibVMI: VMI_CONFIG_GHASHTABLE is refused (TinyVMI has no glib), and a
 * Linux or Windows guest often needs no configuration at all. */
status_t vmi_init_complete(vmi_instance_t *vmi, const void *domain,
                           uint64_t init_flags, vmi_init_data_t *init_data,
                           vmi_config_t config_mode, void *config,
                           vmi_init_error_t *error) NOEXCEPT;

/* Determine the paging mode and the kernel page table again, from the
 * configuration, the vCPU registers or a scan (as at init), and drop every
 * cached translation.  Returns the mode, or VMI_PM_UNKNOWN when it fails
 * (vmi is NULL, a key such as pagemode or maxphyaddr is unusable, or no
 * page table is found; the reason is on the instance).  flags are ignored. */
page_mode_t vmi_init_paging(vmi_instance_t vmi, uint64_t flags) NOEXCEPT;

/* (Re)start the OS layer on an open instance: stop the one running, read
 * the configuration config_mode names when config is not NULL (added to
 * what the instance has), then start the layer `ostype` names or the first
 * that recognises the guest.  Returns its os_t; VMI_OS_UNKNOWN both when
 * it fails (*error says which stage, tvmi_errmsg why) and when no layer
 * recognises the guest (*error is then VMI_INIT_ERROR_NONE). */
os_t vmi_init_os(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                 vmi_init_error_t *error) NOEXCEPT;

/* Free everything: the OS layer, the caches, the driver (closing the
 * image).  Accepts NULL.  Never fails: always VMI_SUCCESS. */
status_t vmi_destroy(vmi_instance_t vmi) NOEXCEPT;

/* The architecture this library was built for (VMI_ARCH_X86_64 on x86-64
 * hosts).  Never fails; VMI_ARCH_UNKNOWN on hosts it does not name. */
vmi_arch_t vmi_get_library_arch(void) NOEXCEPT;

/* ==== Address translation ==== */

/* Kernel virtual address to physical, through the kernel's page table
 * (kpgd) and the translation cache.  Fails when the kernel page table is
 * unknown or the address is not mapped; the reason names the level of the
 * walk that failed, the entry's address and what it held. */
status_t vmi_translate_kv2p(vmi_instance_t vmi, addr_t vaddr, addr_t *paddr) NOEXCEPT;

/* Virtual address to physical in process pid's address space (pid 0: the
 * kernel's).  Fails when the process's page table cannot be found (see
 * vmi_pid_to_dtb) or the address is not mapped in it. */
status_t vmi_translate_uv2p(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,
                            addr_t *paddr) NOEXCEPT;

/* The virtual address of a kernel symbol, from the OS layer (Linux: the
 * kernel's kallsyms or a System.map; Windows: the profile, what was found
 * at start, then ntoskrnl's exports), cached.  Fails when no OS layer runs
 * or the symbol is unknown, naming where it looked. */
status_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol,
                              addr_t *vaddr) NOEXCEPT;

/* The address of symbol exported by the module whose image starts at
 * ctx->addr (translated as ctx says): ctx->addr plus the export's RVA.
 * Windows PE exports only.  Fails when no OS layer reads exports (the
 * Linux layer does not), no valid PE image is at ctx->addr, ctx names a
 * kernel symbol instead of a base, the module does not export symbol, or
 * the export is forwarded to another module. */
status_t vmi_translate_sym2v(vmi_instance_t vmi, const access_context_t *ctx,
                             const char *symbol, addr_t *vaddr) NOEXCEPT;

/* The name of the export at (module base + rva) of the module whose image
 * starts at ctx->addr; Windows PE exports only.  The string belongs to the
 * instance and is valid until the next such call.  NULL on failure: no OS
 * layer that reads exports, no PE image there, rva beyond any image, or no
 * export at that RVA.
 * LibVMI: answers from its RVA cache first (vmi_rvacache_add); TinyVMI
 * always reads the export table. */
const char *vmi_translate_v2sym(vmi_instance_t vmi, const access_context_t *ctx,
                                addr_t rva) NOEXCEPT;

/* The kernel symbol exactly at va (not the nearest one before it); ctx is
 * not used.  The string belongs to the instance.  NULL on failure: no OS
 * layer with symbols, or no symbol at va.
 * LibVMI: answers from its RVA cache first; TinyVMI asks the OS layer's
 * sorted symbol index every time. */
const char *vmi_translate_v2ksym(vmi_instance_t vmi, const access_context_t *ctx,
                                 addr_t va) NOEXCEPT;

/* The page-table root (DTB) of process pid; pid 0 is the kernel's
 * page table.  Answers are cached (vmi_pidcache_flush drops them).  Fails
 * when pid is 0 and the kernel page table is unknown, no OS layer runs, or
 * no process has that pid (the reason says how many the walk saw, or where
 * a damaged list ended it). */
status_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb) NOEXCEPT;

/* The pid of the process whose page table is dtb (flag and PCID bits
 * ignored).  On Linux, the user half of a page-table-isolation pair
 * matches too, and the kernel's own table gives pid 0; on Windows a
 * process's UserDirectoryTableBase matches when the profile has it.  Fails
 * when no OS layer runs or no process uses dtb. */
status_t vmi_dtb_to_pid(vmi_instance_t vmi, addr_t dtb, vmi_pid_t *pid) NOEXCEPT;

/* Walk the page table pt (in the instance's paging mode) for vaddr, through
 * the translation cache.  With paging off, vaddr is the physical address.
 * Fails when vaddr is not mapped in pt (the reason names the level). */
status_t vmi_pagetable_lookup(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                              addr_t *paddr) NOEXCEPT;

/* vmi_pagetable_lookup that also reports every entry visited (where each
 * was and what it held, in the member of info's union for the mode) and
 * the page size; never cached.  info is zeroed first.  Fails as
 * vmi_pagetable_lookup does; the entries read before the failure are
 * filled in. */
status_t vmi_pagetable_lookup_extended(vmi_instance_t vmi, addr_t pt, addr_t vaddr,
                                       page_info_t *info) NOEXCEPT;

/* Translation through guest page table pt (in mode pm) and then a nested
 * page table npt (mode npm).  Only npm == VMI_PM_NONE works: the guest
 * walk alone, with *naddr (if given) set to 0.  Fails for any nested mode
 * ("nested (EPT) translation is not supported yet"), for a pm that is not
 * an x86 mode, and when the walk fails.
 * LibVMI: also walks the nested (EPT) table. */
status_t vmi_nested_pagetable_lookup(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                     addr_t pt, page_mode_t pm, addr_t vaddr,
                                     addr_t *paddr, addr_t *naddr) NOEXCEPT;
status_t vmi_nested_pagetable_lookup_extended(vmi_instance_t vmi, addr_t npt,
                                              page_mode_t npm, addr_t pt,
                                              page_mode_t pm, addr_t vaddr,
                                              page_info_t *info) NOEXCEPT;

/* ==== Reading memory ==== */

/* Read count bytes at the address ctx names (physical, through a page
 * table, a process's page table by pid, or at a kernel symbol; ctx->pm may
 * ask for another paging mode), one page at a time.  *bytes_read (if
 * given) tells how many were read, even on failure.  Fails when ctx or buf
 * is NULL, ctx is of a newer version or asks for nested translation, the
 * symbol, pid or page table cannot be resolved, any page of the range is
 * not mapped, or the physical memory is not in the target (a hole or past
 * its end): the reason names the address and the page table. */
status_t vmi_read(vmi_instance_t vmi, const access_context_t *ctx, size_t count,
                  void *buf, size_t *bytes_read) NOEXCEPT;

/* Read 1, 2, 4 or 8 bytes at ctx (little-endian, as the guest stores
 * them).  Fails as vmi_read does, unless all of them can be read. */
status_t vmi_read_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value) NOEXCEPT;
status_t vmi_read_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value) NOEXCEPT;
status_t vmi_read_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value) NOEXCEPT;
status_t vmi_read_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value) NOEXCEPT;

/* An address of the guest's width (4 bytes under 32-bit and PAE paging,
 * else 8), zero-extended.  Fails as vmi_read does. */
status_t vmi_read_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value) NOEXCEPT;

/* A NUL-terminated string at ctx, as a new buffer to free().  It is cut at
 * 65536 bytes, and ends where memory stops being readable when no NUL
 * comes first.  NULL on failure: ctx is NULL, or not even its first byte
 * can be read. */
char *vmi_read_str(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;

/* A string of 16-bit units ending at a 0x0000 unit, as a new buffer to
 * free(), bounded and cut as vmi_read_str is.  NULL on failure, as for
 * vmi_read_str. */
uint16_t *vmi_read_wstr(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;

/* A Windows UNICODE_STRING structure at ctx (Length, then Buffer at +4 on
 * 32-bit guests or +8 on 64-bit ones): its UTF-16 contents, Length bytes,
 * with encoding "UTF-16".  Free it with vmi_free_unicode_str.  The _pm form
 * takes the structure's layout from mode instead of the guest's paging.
 * NULL on failure: ctx is NULL, the structure or its buffer cannot be
 * read, or Length is odd. */
unicode_string_t *vmi_read_unicode_str(vmi_instance_t vmi, const access_context_t *ctx) NOEXCEPT;
unicode_string_t *vmi_read_unicode_str_pm(vmi_instance_t vmi, const access_context_t *ctx,
                                          page_mode_t mode) NOEXCEPT;

/* vmi_read at a kernel symbol's address.  Fails when the symbol is unknown
 * (see vmi_translate_ksym2v) or as vmi_read does. */
status_t vmi_read_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                       size_t *bytes_read) NOEXCEPT;

/* vmi_read at a virtual address of process pid (0: the kernel).  Fails
 * when pid's page table cannot be found or as vmi_read does. */
status_t vmi_read_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count,
                     void *buf, size_t *bytes_read) NOEXCEPT;

/* vmi_read at a physical address.  Fails when the range is not wholly in
 * the target's memory (a hole, or past its end). */
status_t vmi_read_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                     size_t *bytes_read) NOEXCEPT;

/* num_pages guest pages, starting at the page holding ctx->addr (then the
 * next virtual pages), each as its own read-only 4 KiB page of this
 * process in access_ptrs[i], to be released with munmap(p, 4096).  The _pa
 * form counts physical pages from paddr, the _pfns form takes a frame
 * number for each page.  Fails when an argument is NULL, prot asks for
 * PROT_WRITE, or a page cannot be read; the pages mapped before it are
 * unmapped again.
 * LibVMI: maps the guest's own memory where the hypervisor allows;
 * TinyVMI hands out copies, so a later change in the guest is not seen
 * and writes are refused. */
status_t vmi_mmap_guest(vmi_instance_t vmi, const access_context_t *ctx, size_t num_pages,
                        int prot, void **access_ptrs) NOEXCEPT;
status_t vmi_mmap_guest_pfns(vmi_instance_t vmi, unsigned long *pfns, size_t num_pages,
                             int prot, void **access_ptrs) NOEXCEPT;
status_t vmi_mmap_guest_pa(vmi_instance_t vmi, addr_t paddr, size_t num_pages, int prot,
                           void **access_ptrs) NOEXCEPT;

/* vmi_read_8 ... vmi_read_str at a kernel symbol.  Fails when the symbol
 * is unknown (see vmi_translate_ksym2v), or as the plain form does. */
status_t vmi_read_8_ksym(vmi_instance_t vmi, const char *sym, uint8_t *value) NOEXCEPT;
status_t vmi_read_16_ksym(vmi_instance_t vmi, const char *sym, uint16_t *value) NOEXCEPT;
status_t vmi_read_32_ksym(vmi_instance_t vmi, const char *sym, uint32_t *value) NOEXCEPT;
status_t vmi_read_64_ksym(vmi_instance_t vmi, const char *sym, uint64_t *value) NOEXCEPT;
status_t vmi_read_addr_ksym(vmi_instance_t vmi, const char *sym, addr_t *value) NOEXCEPT;
char *vmi_read_str_ksym(vmi_instance_t vmi, const char *sym) NOEXCEPT;

/* vmi_read_8 ... vmi_read_unicode_str at a virtual address of process pid
 * (0: the kernel).  Fails when pid's page table cannot be found (see
 * vmi_pid_to_dtb), or as the plain form does. */
status_t vmi_read_8_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint8_t *value) NOEXCEPT;
status_t vmi_read_16_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint16_t *value) NOEXCEPT;
status_t vmi_read_32_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint32_t *value) NOEXCEPT;
status_t vmi_read_64_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, uint64_t *value) NOEXCEPT;
status_t vmi_read_addr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, addr_t *value) NOEXCEPT;
char *vmi_read_str_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) NOEXCEPT;
uint16_t *vmi_read_wstr_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid) NOEXCEPT;
unicode_string_t *vmi_read_unicode_str_va(vmi_instance_t vmi, addr_t vaddr,
                                          vmi_pid_t pid) NOEXCEPT;

/* Convert in (UTF-16 little-endian, as vmi_read_unicode_str gives it) to
 * UTF-8 in out: out->contents is a new NUL-terminated buffer to free(),
 * out->length its length in bytes.  Unpaired surrogates become U+FFFD.
 * Fails (without a reason: there is no instance) when an argument is NULL,
 * outencoding is not "UTF-8", in is not UTF-16, or memory runs out.
 * LibVMI: converts between any encodings iconv knows; TinyVMI only from
 * UTF-16 to UTF-8, without iconv, so static programs need no gconv files. */
status_t vmi_convert_str_encoding(const unicode_string_t *in, unicode_string_t *out,
                                  const char *outencoding) NOEXCEPT;

/* Free a string from vmi_read_unicode_str*: its contents and itself.
 * Accepts NULL. */
void vmi_free_unicode_str(unicode_string_t *p_us) NOEXCEPT;

/* vmi_read_8 ... vmi_read_wstr at a physical address.  Fails when the
 * bytes are not in the target's memory, or as the plain form does. */
status_t vmi_read_8_pa(vmi_instance_t vmi, addr_t paddr, uint8_t *value) NOEXCEPT;
status_t vmi_read_16_pa(vmi_instance_t vmi, addr_t paddr, uint16_t *value) NOEXCEPT;
status_t vmi_read_32_pa(vmi_instance_t vmi, addr_t paddr, uint32_t *value) NOEXCEPT;
status_t vmi_read_64_pa(vmi_instance_t vmi, addr_t paddr, uint64_t *value) NOEXCEPT;
status_t vmi_read_addr_pa(vmi_instance_t vmi, addr_t paddr, addr_t *value) NOEXCEPT;
char *vmi_read_str_pa(vmi_instance_t vmi, addr_t paddr) NOEXCEPT;
uint16_t *vmi_read_wstr_pa(vmi_instance_t vmi, addr_t paddr) NOEXCEPT;

/* ==== Writing memory (fails with a reason on read-only targets) ==== */

/* Write count bytes from buf at the address ctx names, page by page, the
 * mirror of vmi_read; cached copies of the pages written are dropped.
 * *bytes_written (if given) tells how many were written, even on failure.
 * Fails on a target that cannot be written (every memory image: "the file
 * target is read-only"), and as vmi_read does for the address.
 * LibVMI: writes to live Xen and KVM guests; TinyVMI has no writable
 * target yet (LibVMI's file mode cannot write either). */
status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count,
                   void *buf, size_t *bytes_written) NOEXCEPT;

/* vmi_write at a kernel symbol, a virtual address of process pid (0: the
 * kernel) or a physical address.  Fails as vmi_write does, and when the
 * symbol or pid cannot be resolved. */
status_t vmi_write_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf,
                        size_t *bytes_written) NOEXCEPT;
status_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count,
                      void *buf, size_t *bytes_written) NOEXCEPT;
status_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf,
                      size_t *bytes_written) NOEXCEPT;

/* Write 1, 2, 4 or 8 bytes, or an address of the guest's width (4 or 8
 * bytes; a wider value is truncated to 4), at ctx, a kernel symbol, a
 * virtual address of process pid or a physical address.  Fails as
 * vmi_write does (so on every memory image). */
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

/* Print length bytes of data to stdout as a hex dump: offset, 16 bytes in
 * hex, the same bytes as text (non-printable ones as dots). */
void vmi_print_hex(const unsigned char *data, unsigned long length) NOEXCEPT;

/* Read length bytes at a kernel symbol, a virtual address of process pid
 * or a physical address, and print them as vmi_print_hex does.  When the
 * read fails part way, what was read before it is printed and the reason
 * is on the instance (tvmi_errmsg). */
void vmi_print_hex_ksym(vmi_instance_t vmi, const char *sym, size_t length) NOEXCEPT;
void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length) NOEXCEPT;
void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length) NOEXCEPT;

/* ==== Facts about the target ==== */

/* A copy of the target's name (file mode: the image path; by id: the id in
 * decimal); free() it.  NULL on failure: vmi is NULL or memory ran out. */
char *vmi_get_name(vmi_instance_t vmi) NOEXCEPT;

/* The target's numeric id; VMI_INVALID_DOMID for targets named by path
 * (memory images) and when vmi is NULL.  Never fails otherwise. */
uint64_t vmi_get_vmid(vmi_instance_t vmi) NOEXCEPT;

/* The access mode: vmi's when given, else the mode of the driver that
 * recognises domain (VMI_FILE for a readable file).  Fails (without a
 * reason when vmi is NULL) when no built-in driver recognises domain, or
 * domain is NULL or named by id. */
status_t vmi_get_access_mode(vmi_instance_t vmi, const void *domain, uint64_t init_flags,
                             vmi_init_data_t *init_data, vmi_mode_t *mode) NOEXCEPT;

/* The paging mode (VMI_PM_IA32E for both 4- and 5-level paging:
 * tvmi_get_paging_levels tells them apart); vcpu is not used.  Never
 * fails; VMI_PM_UNKNOWN when vmi is NULL. */
page_mode_t vmi_get_page_mode(vmi_instance_t vmi, unsigned long vcpu) NOEXCEPT;

/* Bytes in a guest address: 4 or 8.  Never fails; 0 when vmi is NULL or
 * the width is unknown. */
uint8_t vmi_get_address_width(vmi_instance_t vmi) NOEXCEPT;

/* The OS of the running OS layer.  Never fails; VMI_OS_UNKNOWN when no
 * layer runs. */
os_t vmi_get_ostype(vmi_instance_t vmi) NOEXCEPT;

/* A Windows guest's version, build number and PE OS version (major,
 * minor), from NtBuildNumber, ntoskrnl's headers or a crash dump's header.
 * Returns false on failure: vmi or info is NULL, the guest is not Windows,
 * or its build is unknown. */
bool vmi_get_windows_build_info(vmi_instance_t vmi, win_build_info_t *info) NOEXCEPT;

/* The Windows version (from vmi_get_windows_build_info).  Never fails:
 * VMI_OS_WINDOWS_NONE when the guest is not Windows,
 * VMI_OS_WINDOWS_UNKNOWN when its build is unknown. */
win_ver_t vmi_get_winver(vmi_instance_t vmi) NOEXCEPT;

/* The Windows build number (7601, 19041...).  Never fails: 0 when unknown
 * or not Windows. */
uint16_t vmi_get_win_buildnumber(vmi_instance_t vmi) NOEXCEPT;

/* vmi_get_winver's value as its enum name ("VMI_OS_WINDOWS_7"), a constant
 * string.  Never fails. */
const char *vmi_get_winver_str(vmi_instance_t vmi) NOEXCEPT;

/* Always fails: returns VMI_OS_WINDOWS_UNKNOWN with a reason pointing to
 * vmi_get_winver, which knows the version from the running Windows layer.
 * LibVMI: reads the version from a KDBG at the physical address kdvb_pa. */
win_ver_t vmi_get_winver_manual(vmi_instance_t vmi, addr_t kdvb_pa) NOEXCEPT;

/* An offset or address by its libvmi.conf name ("linux_tasks",
 * "win_pdbase", "kpgd", "linux_kaslr", ...): the configured value when set,
 * else what the OS layer found.  Fails when a configured value is not a
 * number, no OS layer runs, or the layer does not know that name (saying
 * why, e.g. the encoded KDBG it could not decode). */
status_t vmi_get_offset(vmi_instance_t vmi, const char *offset_name, addr_t *offset) NOEXCEPT;

/* The offset of member in struct_name, in the guest kernel: on Linux from
 * the kernel's BTF (without BTF, only the offsets the layer found by other
 * means), on Windows from the ISF profile, where member may be a dotted
 * path ("Pcb.DirectoryTableBase").  Fails when no OS layer runs, there is
 * no BTF or profile to ask, or the structure or member is not in it. */
status_t vmi_get_kernel_struct_offset(vmi_instance_t vmi, const char *struct_name,
                                      const char *member, addr_t *addr) NOEXCEPT;

/* Always fails with a reason: no driver reads the XSAVE area yet.
 * LibVMI: supported on Xen; TinyVMI has no driver that can do it yet. */
status_t vmi_get_xsave_info(vmi_instance_t vmi, unsigned long vcpu,
                            xsave_area_t *xsave_info) NOEXCEPT;

/* The last page walk that failed on this instance, as an access context
 * (VMI_TM_PROCESS_DTB, the address, the page table, the mode); all zero
 * before any failure.  It belongs to the instance.  Never fails: NULL only
 * when vmi is NULL. */
const access_context_t *vmi_get_last_pagetable_lookup_fault(vmi_instance_t vmi) NOEXCEPT;

/* Bytes of guest RAM (the sum of its ranges; holes not counted).  Never
 * fails: 0 when vmi is NULL. */
uint64_t vmi_get_memsize(vmi_instance_t vmi) NOEXCEPT;

/* One past the highest guest-physical RAM address.  Never fails: 0 when
 * vmi is NULL. */
addr_t vmi_get_max_physical_address(vmi_instance_t vmi) NOEXCEPT;

/* The first frame number past guest RAM.  Never fails: 0 when vmi is NULL. */
addr_t vmi_get_next_available_gfn(vmi_instance_t vmi) NOEXCEPT;

/* vCPUs whose state the target holds (an ELF core's notes; 0 for a raw or
 * LiME image).  Never fails: 0 when vmi is NULL. */
unsigned int vmi_get_num_vcpus(vmi_instance_t vmi) NOEXCEPT;

/* These fail, always, with a reason naming the driver: no target here can
 * inject page faults, report TSC information or MTRRs, or allocate and free
 * guest frames.
 * LibVMI: supported on Xen; TinyVMI has no driver that can do it yet. */
status_t vmi_request_page_fault(vmi_instance_t vmi, unsigned long vcpu,
                                uint64_t virtual_address, uint32_t error_code) NOEXCEPT;
status_t vmi_get_tsc_info(vmi_instance_t vmi, uint32_t *tsc_mode, uint64_t *elapsed_nsec,
                          uint32_t *gtsc_khz, uint32_t *incarnation) NOEXCEPT;
status_t vmi_get_vcpumtrr(vmi_instance_t vmi, mtrr_regs_t *hwMtrr, unsigned long vcpu) NOEXCEPT;

/* One register of vCPU vcpu, by LibVMI's reg_t number (CR3, RIP, MSR_EFER,
 * ...): from an ELF core's notes, or what a crash dump's header implies
 * (CR3 from DirectoryTableBase, CR0, CR4 and EFER from its flags).  Fails
 * when the target holds no registers (raw and LiME images), no such vCPU,
 * or not that register.
 * LibVMI: in file mode answers CR3 only (its kpgd); TinyVMI gives what the
 * image records. */
status_t vmi_get_vcpureg(vmi_instance_t vmi, uint64_t *value, reg_t reg,
                         unsigned long vcpu) NOEXCEPT;

/* The x86 registers of vCPU vcpu that the target holds; the others are 0.
 * Fails when it holds none of them (raw and LiME images, a vCPU that does
 * not exist). */
status_t vmi_get_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu) NOEXCEPT;

/* Fail, always, with a reason: no driver can set registers yet.
 * LibVMI: supported on Xen; TinyVMI has no driver that can do it yet. */
status_t vmi_set_vcpureg(vmi_instance_t vmi, uint64_t value, reg_t reg,
                         unsigned long vcpu) NOEXCEPT;
status_t vmi_set_vcpuregs(vmi_instance_t vmi, registers_t *regs, unsigned long vcpu) NOEXCEPT;

/* Fail, always, with a reason (see vmi_request_page_fault).
 * LibVMI: supported on Xen; TinyVMI has no driver that can do it yet. */
status_t vmi_alloc_gfn(vmi_instance_t vmi, uint64_t gfn) NOEXCEPT;
status_t vmi_free_gfn(vmi_instance_t vmi, uint64_t gfn) NOEXCEPT;

/* Pause or resume the guest.  A memory image never runs, so both succeed
 * at once; on a target that can run, they fail when its driver does (with
 * its reason).  Fail when vmi is NULL. */
status_t vmi_pause_vm(vmi_instance_t vmi) NOEXCEPT;
status_t vmi_resume_vm(vmi_instance_t vmi) NOEXCEPT;

/* ==== Caches ==== */

/* Drop cached translations made through page table pt (flag and PCID bits
 * ignored); pt == ~0ull drops all.  Never fails.
 * LibVMI: flushing one table drops nothing; only ~0ull empties its cache. */
void vmi_v2pcache_flush(vmi_instance_t vmi, addr_t pt) NOEXCEPT;

/* Do nothing: no nested translation is cached, since none is supported. */
void vmi_v2pcache_nested_flush(vmi_instance_t vmi, addr_t pt, addr_t npt) NOEXCEPT;

/* Record that va's page maps to pa's page through pt, as if a walk had
 * found it (the next lookup trusts it).  Never fails; does nothing when
 * vmi is NULL. */
void vmi_v2pcache_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t pa) NOEXCEPT;

/* Do nothing (see vmi_v2pcache_nested_flush). */
void vmi_v2pcache_nested_add(vmi_instance_t vmi, addr_t va, addr_t pt, addr_t npt,
                             addr_t pa) NOEXCEPT;

/* Empty the symbol cache, or add to it: sym at va for the module at
 * base_addr in process pid.  Entries for base 0 and pid 0 answer
 * vmi_translate_ksym2v before the OS layer is asked.  The cache holds
 * sym_cache_size entries and starts over when full.
 * LibVMI: also consults entries of other modules in
 * vmi_translate_sym2v; TinyVMI reads the export table each time. */
void vmi_symcache_flush(vmi_instance_t vmi) NOEXCEPT;
void vmi_symcache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, char *sym,
                      addr_t va) NOEXCEPT;

/* Empty the RVA cache, or add to it (sym at rva of the module at base_addr
 * in process pid); bounded as the symbol cache is.
 * LibVMI: vmi_translate_v2sym and vmi_translate_v2ksym answer from this
 * cache first; TinyVMI's do not consult it, so adding has no effect on
 * them. */
void vmi_rvacache_flush(vmi_instance_t vmi) NOEXCEPT;
void vmi_rvacache_add(vmi_instance_t vmi, addr_t base_addr, vmi_pid_t pid, addr_t rva,
                      char *sym) NOEXCEPT;

/* Empty the pid to page-table cache, or add to it: vmi_pid_to_dtb answers
 * from it before asking the OS layer (pid 0 is always the kernel's table). */
void vmi_pidcache_flush(vmi_instance_t vmi) NOEXCEPT;
void vmi_pidcache_add(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb) NOEXCEPT;

/* Drop every cached page of guest memory (used for targets read a page at
 * a time, and for images with page_cache = 1). */
void vmi_pagecache_flush(vmi_instance_t vmi) NOEXCEPT;

/* ==== Configured paths ==== */

/* The configured sysmap: a System.map path, or the map's text itself.
 * The string belongs to the instance.  NULL when unset (not a failure). */
const char *vmi_get_linux_sysmap(vmi_instance_t vmi) NOEXCEPT;

/* The configured sysmap key, as for Linux (there is no FreeBSD layer).
 * NULL when unset (not a failure). */
const char *vmi_get_freebsd_sysmap(vmi_instance_t vmi) NOEXCEPT;

/* The configured rekall_profile (the Windows layer refuses Rekall
 * profiles).  NULL when unset (not a failure). */
const char *vmi_get_rekall_path(vmi_instance_t vmi) NOEXCEPT;

/* The configured profile: volatility_ist, else rekall_profile.  NULL when
 * neither is set (not a failure). */
const char *vmi_get_os_profile_path(vmi_instance_t vmi) NOEXCEPT;

/* ==== Guest disks and domain state ==== */

/* Fail, always, with a reason: no driver reads guest disks.
 * vmi_get_disks returns NULL and sets *num to 0.
 * LibVMI: supported on Xen; TinyVMI has no driver that can do it yet. */
status_t vmi_read_disk(vmi_instance_t vmi, const char *device_id, uint64_t offset,
                       uint64_t count, void *buffer) NOEXCEPT;
char **vmi_get_disks(vmi_instance_t vmi, unsigned int *num) NOEXCEPT;
status_t vmi_disk_is_bootable(vmi_instance_t vmi, const char *device_id,
                              bool *bootable) NOEXCEPT;

/* The guest's state: a memory image is always paused (only `paused` is
 * set).  Fails for other targets (not supported yet) and when an argument
 * is NULL.
 * LibVMI: asks Xen for the domain's state; fails in file mode. */
status_t vmi_get_domain_status(vmi_instance_t vmi, domain_status_t *domain_status);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

/* TinyVMI's own additions are always available to LibVMI programs built
 * against TinyVMI; they use the tvmi_ prefix and never clash. */
#include <libvmi/tinyvmi.h>

#endif /* LIBVMI_H */
