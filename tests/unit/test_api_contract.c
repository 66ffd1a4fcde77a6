/*
 * test_api_contract - LibVMI's contract as TinyVMI keeps it: every public
 * call that fails says why, the reason names that call and its own cause,
 * and never an earlier call's.
 *
 * For every public function declared in include/libvmi/ there is a case
 * below that makes it fail (or, for calls that cannot fail on a live
 * instance, an entry in the NULL-handle list); before each case a different
 * call fails and leaves a marked reason behind, which must be gone.  Each
 * case also runs with a NULL handle, whose reason (tvmi_errmsg(NULL)) must
 * name the call.  The header scan at the end fails for any public function
 * that has no case, so a new function cannot skip the contract.
 *
 * The target is a small IA-32e image laid out here (test_core_reads.c has
 * the same layout and tests the successful reads).
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libvmi/libvmi.h>
#include <libvmi/events.h>
#define LIBVMI_EXTRA_JSON
#include <libvmi/libvmi_extra.h>
#include <libvmi/peparse.h>
#include <libvmi/slat.h>
#include "test.h"

/* The glib half of libvmi_extra.h needs <glib.h>, which this test does not
 * link; the same calls, with the node pointer untyped. */
void *vmi_get_va_pages(vmi_instance_t vmi, addr_t pt);
void *vmi_get_nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm, addr_t pt,
                              page_mode_t pm);

/* LibVMI's deprecated SLAT names have their cases too. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#define IMG_SIZE (1u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define PT 0x4000
#define DATA 0x10000
#define VBASE 0xffff888000000000ULL
#define HOLE_VA (VBASE + 5 * 0x1000) /* not present */
#define BEYOND_PA 0x40000000ULL       /* past the image's end */

static char path[64];

static void put64(unsigned char *img, uint64_t pa, uint64_t v) { memcpy(img + pa, &v, 8); }

static void build_image(void)
{
    unsigned char *img = calloc(1, IMG_SIZE);
    put64(img, PML4 + 273 * 8, PDPT | 3);
    put64(img, PDPT, PD | 3);
    put64(img, PD, PT | 3);
    for (unsigned i = 0; i < 8; i++)
        if (i != 5)
            put64(img, PT + i * 8, (DATA + i * 0x1000) | 3);
    strcpy(path, "/tmp/tvmi-contract-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, img, IMG_SIZE) == IMG_SIZE);
    close(fd);
    free(img);
}

static vmi_instance_t open_img(void)
{
    char cfg[128];
    vmi_instance_t vmi = NULL;
    snprintf(cfg, sizeof(cfg), "ostype = none; pagemode = ia32e; kpgd = 0x%x;", PML4);
    if (vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg, NULL) !=
        VMI_SUCCESS)
        fprintf(stderr, "  init: %s\n", tvmi_init_errmsg());
    return vmi;
}

/* Scratch every case may use. */
typedef struct scratch {
    unsigned char buf[4096];
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    addr_t a;
    vmi_pid_t pid;
    page_info_t info;
    registers_t regs;
    xsave_area_t xsave;
    mtrr_regs_t mtrr;
    domain_status_t dstat;
    win_build_info_t wbi;
    unicode_string_t us_in, us_out;
    void *ptrs[2];
    unsigned long pfn;
    unsigned int n;
    bool b;
    vmi_mode_t mode;
    vmi_event_t ev;
    tvmi_fact_t fact;
    struct export_table et;
    size_t size, size2;
    uint16_t view;
    const char *str;
    /* What a json-c object starts with (its type, a small number), to
     * stand for a json_object TinyVMI did not hand out. */
    uint64_t foreign_json[4];
} scratch_t;

#define FOREIGN_JSON ((json_object *)S->foreign_json)

static int no_proc(void *ctx, const tvmi_process_t *p) { return 0; }
static int no_mod(void *ctx, const tvmi_module_t *m) { return 0; }
static event_response_t ev_cb(vmi_instance_t vmi, vmi_event_t *e) { return VMI_EVENT_RESPONSE_NONE; }

#define KPA(c, a_) ACCESS_CONTEXT(c, .tm = VMI_TM_NONE, .addr = (a_))
#define KVA(c, a_) ACCESS_CONTEXT(c, .tm = VMI_TM_PROCESS_DTB, .addr = (a_), .dtb = PML4)

/* X(function, the cause its reason must contain, an expression true when it
 * reported failure).  `vmi` and `S` (scratch_t *) are in scope. */
#define API_CASES(X)                                                                        \
    X(vmi_read, "not present", ({ KVA(c, HOLE_VA); vmi_read(vmi, &c, 8, S->buf, NULL); }) == VMI_FAILURE) \
    X(vmi_read_8, "not present", ({ KVA(c, HOLE_VA); vmi_read_8(vmi, &c, &S->u8); }) == VMI_FAILURE) \
    X(vmi_read_16, "not present", ({ KVA(c, HOLE_VA); vmi_read_16(vmi, &c, &S->u16); }) == VMI_FAILURE) \
    X(vmi_read_32, "not present", ({ KVA(c, HOLE_VA); vmi_read_32(vmi, &c, &S->u32); }) == VMI_FAILURE) \
    X(vmi_read_64, "not present", ({ KVA(c, HOLE_VA); vmi_read_64(vmi, &c, &S->u64); }) == VMI_FAILURE) \
    X(vmi_read_addr, "not present", ({ KVA(c, HOLE_VA); vmi_read_addr(vmi, &c, &S->a); }) == VMI_FAILURE) \
    X(vmi_read_str, "not present", ({ KVA(c, HOLE_VA); vmi_read_str(vmi, &c); }) == NULL)  \
    X(vmi_read_wstr, "not present", ({ KVA(c, HOLE_VA); vmi_read_wstr(vmi, &c); }) == NULL) \
    X(vmi_read_unicode_str, "not present", ({ KVA(c, HOLE_VA); vmi_read_unicode_str(vmi, &c); }) == NULL) \
    X(vmi_read_unicode_str_pm, "not present", ({ KVA(c, HOLE_VA); vmi_read_unicode_str_pm(vmi, &c, VMI_PM_IA32E); }) == NULL) \
    X(vmi_read_pa, "0x40000000", vmi_read_pa(vmi, BEYOND_PA, 8, S->buf, NULL) == VMI_FAILURE) \
    X(vmi_read_va, "not present", vmi_read_va(vmi, HOLE_VA, 0, 8, S->buf, NULL) == VMI_FAILURE) \
    X(vmi_read_ksym, "needs an OS layer", vmi_read_ksym(vmi, "init_task", 8, S->buf, NULL) == VMI_FAILURE) \
    X(vmi_read_8_pa, "0x40000000", vmi_read_8_pa(vmi, BEYOND_PA, &S->u8) == VMI_FAILURE)   \
    X(vmi_read_16_pa, "0x40000000", vmi_read_16_pa(vmi, BEYOND_PA, &S->u16) == VMI_FAILURE) \
    X(vmi_read_32_pa, "0x40000000", vmi_read_32_pa(vmi, BEYOND_PA, &S->u32) == VMI_FAILURE) \
    X(vmi_read_64_pa, "0x40000000", vmi_read_64_pa(vmi, BEYOND_PA, &S->u64) == VMI_FAILURE) \
    X(vmi_read_addr_pa, "0x40000000", vmi_read_addr_pa(vmi, BEYOND_PA, &S->a) == VMI_FAILURE) \
    X(vmi_read_str_pa, "0x40000000", vmi_read_str_pa(vmi, BEYOND_PA) == NULL)             \
    X(vmi_read_wstr_pa, "0x40000000", vmi_read_wstr_pa(vmi, BEYOND_PA) == NULL)           \
    X(vmi_read_8_va, "not present", vmi_read_8_va(vmi, HOLE_VA, 0, &S->u8) == VMI_FAILURE) \
    X(vmi_read_16_va, "not present", vmi_read_16_va(vmi, HOLE_VA, 0, &S->u16) == VMI_FAILURE) \
    X(vmi_read_32_va, "not present", vmi_read_32_va(vmi, HOLE_VA, 0, &S->u32) == VMI_FAILURE) \
    X(vmi_read_64_va, "not present", vmi_read_64_va(vmi, HOLE_VA, 0, &S->u64) == VMI_FAILURE) \
    X(vmi_read_addr_va, "not present", vmi_read_addr_va(vmi, HOLE_VA, 0, &S->a) == VMI_FAILURE) \
    X(vmi_read_str_va, "not present", vmi_read_str_va(vmi, HOLE_VA, 0) == NULL)           \
    X(vmi_read_wstr_va, "not present", vmi_read_wstr_va(vmi, HOLE_VA, 0) == NULL)         \
    X(vmi_read_unicode_str_va, "not present", vmi_read_unicode_str_va(vmi, HOLE_VA, 0) == NULL) \
    X(vmi_read_8_ksym, "needs an OS layer", vmi_read_8_ksym(vmi, "jiffies", &S->u8) == VMI_FAILURE) \
    X(vmi_read_16_ksym, "needs an OS layer", vmi_read_16_ksym(vmi, "jiffies", &S->u16) == VMI_FAILURE) \
    X(vmi_read_32_ksym, "needs an OS layer", vmi_read_32_ksym(vmi, "jiffies", &S->u32) == VMI_FAILURE) \
    X(vmi_read_64_ksym, "needs an OS layer", vmi_read_64_ksym(vmi, "jiffies", &S->u64) == VMI_FAILURE) \
    X(vmi_read_addr_ksym, "needs an OS layer", vmi_read_addr_ksym(vmi, "jiffies", &S->a) == VMI_FAILURE) \
    X(vmi_read_str_ksym, "needs an OS layer", vmi_read_str_ksym(vmi, "linux_banner") == NULL) \
    X(vmi_mmap_guest, "writable mappings", ({ KVA(c, VBASE); vmi_mmap_guest(vmi, &c, 1, PROT_READ | PROT_WRITE, S->ptrs); }) == VMI_FAILURE) \
    X(vmi_mmap_guest_pa, "0x40000000", vmi_mmap_guest_pa(vmi, BEYOND_PA, 1, PROT_READ, S->ptrs) == VMI_FAILURE) \
    X(vmi_mmap_guest_pfns, "pfn 0x40000", (S->pfn = BEYOND_PA >> 12, vmi_mmap_guest_pfns(vmi, &S->pfn, 1, PROT_READ, S->ptrs)) == VMI_FAILURE) \
    X(vmi_write, "read-only", ({ KVA(c, VBASE); vmi_write(vmi, &c, 1, S->buf, NULL); }) == VMI_FAILURE) \
    X(vmi_write_pa, "read-only", vmi_write_pa(vmi, DATA, 1, S->buf, NULL) == VMI_FAILURE)  \
    X(vmi_write_va, "read-only", vmi_write_va(vmi, VBASE, 0, 1, S->buf, NULL) == VMI_FAILURE) \
    X(vmi_write_ksym, "read-only", vmi_write_ksym(vmi, "jiffies", 1, S->buf, NULL) == VMI_FAILURE) \
    X(vmi_write_8, "read-only", ({ KPA(c, DATA); vmi_write_8(vmi, &c, &S->u8); }) == VMI_FAILURE) \
    X(vmi_write_16, "read-only", ({ KPA(c, DATA); vmi_write_16(vmi, &c, &S->u16); }) == VMI_FAILURE) \
    X(vmi_write_32, "read-only", ({ KPA(c, DATA); vmi_write_32(vmi, &c, &S->u32); }) == VMI_FAILURE) \
    X(vmi_write_64, "read-only", ({ KPA(c, DATA); vmi_write_64(vmi, &c, &S->u64); }) == VMI_FAILURE) \
    X(vmi_write_addr, "read-only", ({ KPA(c, DATA); vmi_write_addr(vmi, &c, &S->a); }) == VMI_FAILURE) \
    X(vmi_write_8_pa, "read-only", vmi_write_8_pa(vmi, DATA, &S->u8) == VMI_FAILURE)       \
    X(vmi_write_16_pa, "read-only", vmi_write_16_pa(vmi, DATA, &S->u16) == VMI_FAILURE)    \
    X(vmi_write_32_pa, "read-only", vmi_write_32_pa(vmi, DATA, &S->u32) == VMI_FAILURE)    \
    X(vmi_write_64_pa, "read-only", vmi_write_64_pa(vmi, DATA, &S->u64) == VMI_FAILURE)    \
    X(vmi_write_addr_pa, "read-only", vmi_write_addr_pa(vmi, DATA, &S->a) == VMI_FAILURE)  \
    X(vmi_write_8_va, "read-only", vmi_write_8_va(vmi, VBASE, 0, &S->u8) == VMI_FAILURE)   \
    X(vmi_write_16_va, "read-only", vmi_write_16_va(vmi, VBASE, 0, &S->u16) == VMI_FAILURE) \
    X(vmi_write_32_va, "read-only", vmi_write_32_va(vmi, VBASE, 0, &S->u32) == VMI_FAILURE) \
    X(vmi_write_64_va, "read-only", vmi_write_64_va(vmi, VBASE, 0, &S->u64) == VMI_FAILURE) \
    X(vmi_write_addr_va, "read-only", vmi_write_addr_va(vmi, VBASE, 0, &S->a) == VMI_FAILURE) \
    X(vmi_write_8_ksym, "read-only", vmi_write_8_ksym(vmi, "jiffies", &S->u8) == VMI_FAILURE) \
    X(vmi_write_16_ksym, "read-only", vmi_write_16_ksym(vmi, "jiffies", &S->u16) == VMI_FAILURE) \
    X(vmi_write_32_ksym, "read-only", vmi_write_32_ksym(vmi, "jiffies", &S->u32) == VMI_FAILURE) \
    X(vmi_write_64_ksym, "read-only", vmi_write_64_ksym(vmi, "jiffies", &S->u64) == VMI_FAILURE) \
    X(vmi_write_addr_ksym, "read-only", vmi_write_addr_ksym(vmi, "jiffies", &S->a) == VMI_FAILURE) \
    X(vmi_translate_kv2p, "not present", vmi_translate_kv2p(vmi, HOLE_VA, &S->a) == VMI_FAILURE) \
    X(vmi_translate_uv2p, "needs an OS layer", vmi_translate_uv2p(vmi, 0x400000, 7, &S->a) == VMI_FAILURE) \
    X(vmi_translate_ksym2v, "needs an OS layer", vmi_translate_ksym2v(vmi, "init_task", &S->a) == VMI_FAILURE) \
    X(vmi_translate_sym2v, "needs an OS layer", ({ KVA(c, VBASE); vmi_translate_sym2v(vmi, &c, "NtClose", &S->a); }) == VMI_FAILURE) \
    X(vmi_translate_v2sym, "needs an OS layer", ({ KVA(c, VBASE); vmi_translate_v2sym(vmi, &c, 0x1000); }) == NULL) \
    X(vmi_translate_v2ksym, "needs an OS layer", ({ KVA(c, VBASE); vmi_translate_v2ksym(vmi, &c, VBASE); }) == NULL) \
    X(vmi_pid_to_dtb, "needs an OS layer", vmi_pid_to_dtb(vmi, 7, &S->a) == VMI_FAILURE) \
    X(vmi_dtb_to_pid, "needs an OS layer", vmi_dtb_to_pid(vmi, PML4, &S->pid) == VMI_FAILURE) \
    X(vmi_pagetable_lookup, "not present", vmi_pagetable_lookup(vmi, PML4, HOLE_VA, &S->a) == VMI_FAILURE) \
    X(vmi_pagetable_lookup_extended, "not present", vmi_pagetable_lookup_extended(vmi, PML4, HOLE_VA, &S->info) == VMI_FAILURE) \
    X(vmi_nested_pagetable_lookup, "nested (EPT)", vmi_nested_pagetable_lookup(vmi, 0x5000, VMI_PM_EPT_4L, PML4, VMI_PM_IA32E, VBASE, &S->a, &S->a) == VMI_FAILURE) \
    X(vmi_nested_pagetable_lookup_extended, "nested (EPT)", vmi_nested_pagetable_lookup_extended(vmi, 0x5000, VMI_PM_EPT_4L, PML4, VMI_PM_IA32E, VBASE, &S->info) == VMI_FAILURE) \
    X(vmi_get_offset, "needs an OS layer", vmi_get_offset(vmi, "linux_tasks", &S->a) == VMI_FAILURE) \
    X(vmi_get_kernel_struct_offset, "needs an OS layer", vmi_get_kernel_struct_offset(vmi, "task_struct", "comm", &S->a) == VMI_FAILURE) \
    X(tvmi_process_foreach, "needs an OS layer", tvmi_process_foreach(vmi, no_proc, NULL) == VMI_FAILURE) \
    X(tvmi_module_foreach, "needs an OS layer", tvmi_module_foreach(vmi, no_mod, NULL) == VMI_FAILURE) \
    X(vmi_get_windows_build_info, "Windows layer", !vmi_get_windows_build_info(vmi, &S->wbi)) \
    X(vmi_get_win_buildnumber, "Windows layer", vmi_get_win_buildnumber(vmi) == 0)        \
    X(vmi_get_winver_manual, "locates KDBG itself", vmi_get_winver_manual(vmi, 0x1000) == VMI_OS_WINDOWS_UNKNOWN) \
    X(vmi_get_vcpureg, "register", vmi_get_vcpureg(vmi, &S->u64, CR3, 0) == VMI_FAILURE)  \
    X(vmi_get_vcpuregs, "no registers", vmi_get_vcpuregs(vmi, &S->regs, 0) == VMI_FAILURE) \
    X(vmi_set_vcpureg, "cannot set vCPU registers", vmi_set_vcpureg(vmi, 0, RIP, 0) == VMI_FAILURE) \
    X(vmi_set_vcpuregs, "cannot set vCPU registers", vmi_set_vcpuregs(vmi, &S->regs, 0) == VMI_FAILURE) \
    X(vmi_get_xsave_info, "XSAVE", vmi_get_xsave_info(vmi, 0, &S->xsave) == VMI_FAILURE)   \
    X(vmi_get_vcpumtrr, "MTRR", vmi_get_vcpumtrr(vmi, &S->mtrr, 0) == VMI_FAILURE)         \
    X(vmi_get_tsc_info, "TSC", vmi_get_tsc_info(vmi, &S->u32, &S->u64, &S->u32, &S->u32) == VMI_FAILURE) \
    X(vmi_request_page_fault, "inject page faults", vmi_request_page_fault(vmi, 0, VBASE, 0) == VMI_FAILURE) \
    X(vmi_alloc_gfn, "new frames", vmi_alloc_gfn(vmi, 0x100) == VMI_FAILURE)              \
    X(vmi_free_gfn, "take frames", vmi_free_gfn(vmi, 0x10) == VMI_FAILURE)                \
    X(vmi_resume_vm, "never runs", vmi_resume_vm(vmi) == VMI_FAILURE)                     \
    X(vmi_get_domain_status, "required argument", vmi_get_domain_status(vmi, NULL) == VMI_FAILURE) \
    X(vmi_read_disk, "guest disks", vmi_read_disk(vmi, "xvda", 0, 512, S->buf) == VMI_FAILURE) \
    X(vmi_get_disks, "guest disks", vmi_get_disks(vmi, &S->n) == NULL)                    \
    X(vmi_disk_is_bootable, "guest disks", vmi_disk_is_bootable(vmi, "xvda", &S->b) == VMI_FAILURE) \
    X(vmi_get_linux_sysmap, "sysmap is not set", vmi_get_linux_sysmap(vmi) == NULL)       \
    X(vmi_get_freebsd_sysmap, "sysmap is not set", vmi_get_freebsd_sysmap(vmi) == NULL)   \
    X(vmi_get_rekall_path, "rekall_profile is not set", vmi_get_rekall_path(vmi) == NULL) \
    X(vmi_get_os_profile_path, "rekall_profile is not set", vmi_get_os_profile_path(vmi) == NULL) \
    X(tvmi_get_config, "nosuchkey is not set", tvmi_get_config(vmi, "nosuchkey") == NULL) \
    X(tvmi_get_memory_range, "fewer", tvmi_get_memory_range(vmi, 99, &S->u64, &S->u64) == VMI_FAILURE) \
    X(tvmi_get_fact, "states no facts", tvmi_get_fact(vmi, 0, &S->fact) == VMI_FAILURE) \
    X(tvmi_get_fact_by_key, "does not state win.Comment", tvmi_get_fact_by_key(vmi, "win.Comment", &S->fact) == VMI_FAILURE) \
    X(tvmi_get_cache_stats, "required argument", (tvmi_get_cache_stats(vmi, NULL), 1))    \
    X(vmi_get_access_mode, "out-parameter is NULL", vmi_get_access_mode(vmi, NULL, 0, NULL, NULL) == VMI_FAILURE) \
    X(vmi_init_os, "no such OS layer", vmi_init_os(vmi, VMI_CONFIG_STRING, "ostype = Plan9;", NULL) == VMI_OS_UNKNOWN) \
    X(vmi_print_hex_pa, "0x40000000", (vmi_print_hex_pa(vmi, BEYOND_PA, 16), 1))         \
    X(vmi_print_hex_va, "not present", (vmi_print_hex_va(vmi, HOLE_VA, 0, 16), 1))       \
    X(vmi_print_hex_ksym, "needs an OS layer", (vmi_print_hex_ksym(vmi, "jiffies", 16), 1)) \
    X(vmi_register_event, "delivers no events", ({ SETUP_INTERRUPT_EVENT(&S->ev, ev_cb); vmi_register_event(vmi, &S->ev); }) == VMI_FAILURE) \
    X(vmi_clear_event, "no event is registered", ({ SETUP_INTERRUPT_EVENT(&S->ev, ev_cb); vmi_clear_event(vmi, &S->ev, NULL); }) == VMI_FAILURE) \
    X(vmi_swap_events, "no event is registered", ({ SETUP_INTERRUPT_EVENT(&S->ev, ev_cb); vmi_swap_events(vmi, &S->ev, &S->ev, NULL); }) == VMI_FAILURE) \
    X(vmi_get_reg_event, "CR3", vmi_get_reg_event(vmi, CR3) == NULL)                      \
    X(vmi_get_mem_event, "0x10", vmi_get_mem_event(vmi, 0x10, VMI_MEMACCESS_W) == NULL)   \
    X(vmi_set_mem_event, "altp2m", vmi_set_mem_event(vmi, 0x10, VMI_MEMACCESS_W, 1) == VMI_FAILURE) \
    X(vmi_set_mem_event_range, "delivers no events", vmi_set_mem_event_range(vmi, 0x10, 0x11, VMI_MEMACCESS_W, 0) == VMI_FAILURE) \
    X(vmi_step_event, "delivers no events", vmi_step_event(vmi, &S->ev, 0, 1, NULL) == VMI_FAILURE) \
    X(vmi_events_listen, "delivers no events", vmi_events_listen(vmi, 0) == VMI_FAILURE) \
    X(vmi_are_events_pending, "delivers no events", vmi_are_events_pending(vmi) < 0)    \
    X(vmi_get_singlestep_event, "vCPU 0", vmi_get_singlestep_event(vmi, 0) == NULL)      \
    X(vmi_toggle_single_step_vcpu, "delivers no events", vmi_toggle_single_step_vcpu(vmi, &S->ev, 0, true) == VMI_FAILURE) \
    X(vmi_stop_single_step_vcpu, "delivers no events", vmi_stop_single_step_vcpu(vmi, &S->ev, 0) == VMI_FAILURE) \
    X(peparse_get_image, "not present", ({ KVA(c, HOLE_VA); peparse_get_image(vmi, &c, 1024, S->buf); }) == VMI_FAILURE) \
    X(peparse_get_export_table, "no MZ signature", ({ KVA(c, VBASE); peparse_get_export_table(vmi, &c, &S->et, &S->a, &S->size); }) == VMI_FAILURE) \
    X(vmi_slat_get_domain_state, "no SLAT views", vmi_slat_get_domain_state(vmi, &S->b) == VMI_FAILURE) \
    X(vmi_slat_state, "no SLAT views", vmi_slat_state(vmi, &S->b) == VMI_FAILURE)      \
    X(vmi_slat_set_domain_state, "no SLAT views", vmi_slat_set_domain_state(vmi, true) == VMI_FAILURE) \
    X(vmi_slat_control, "no SLAT views", vmi_slat_control(vmi, true) == VMI_FAILURE)   \
    X(vmi_slat_create, "no SLAT views", vmi_slat_create(vmi, &S->view) == VMI_FAILURE) \
    X(vmi_slat_destroy, "no SLAT views", vmi_slat_destroy(vmi, 1) == VMI_FAILURE)      \
    X(vmi_slat_switch, "no SLAT views", vmi_slat_switch(vmi, 1) == VMI_FAILURE)        \
    X(vmi_slat_change_gfn, "no SLAT views", vmi_slat_change_gfn(vmi, 1, 0x10, 0x11) == VMI_FAILURE) \
    X(vmi_get_va_pages, "0x40000000", vmi_get_va_pages(vmi, BEYOND_PA) == NULL)         \
    X(tvmi_get_va_pages, "0x40000000", tvmi_get_va_pages(vmi, BEYOND_PA) == NULL)       \
    X(vmi_get_nested_va_pages, "nested (EPT)", vmi_get_nested_va_pages(vmi, 0x5000, VMI_PM_EPT_4L, PML4, VMI_PM_IA32E) == NULL) \
    X(vmi_get_kernel_json, "no JSON profile", vmi_get_kernel_json(vmi) == NULL)         \
    X(vmi_get_symbol_addr_from_json, "not a TinyVMI profile handle", vmi_get_symbol_addr_from_json(vmi, FOREIGN_JSON, "PsActiveProcessHead", &S->a) == VMI_FAILURE) \
    X(vmi_get_struct_size_from_json, "not a TinyVMI profile handle", vmi_get_struct_size_from_json(vmi, FOREIGN_JSON, "_EPROCESS", &S->size) == VMI_FAILURE) \
    X(vmi_get_struct_member_offset_from_json, "not a TinyVMI profile handle", vmi_get_struct_member_offset_from_json(vmi, FOREIGN_JSON, "_EPROCESS", "Pcb", &S->a) == VMI_FAILURE) \
    X(vmi_get_bitfield_offset_and_size_from_json, "not a TinyVMI profile handle", vmi_get_bitfield_offset_and_size_from_json(vmi, FOREIGN_JSON, "_MMPTE_HARDWARE", "Valid", &S->a, &S->size, &S->size2) == VMI_FAILURE) \
    X(vmi_get_struct_field_type_name_from_json, "not a TinyVMI profile handle", vmi_get_struct_field_type_name_from_json(vmi, FOREIGN_JSON, "_EPROCESS", "Pcb", &S->str) == VMI_FAILURE) \
    X(vmi_init_profile, "tvmi-no-such-profile.json", vmi_init_profile(vmi, VMI_CONFIG_JSON_PATH, "/nonexistent/tvmi-no-such-profile.json") == VMI_OS_UNKNOWN)

/* Calls that cannot fail on a working instance (a size, a mode, a cache
 * flush): only their NULL-handle failure is checked. */
#define NULL_ONLY(X)                                                                        \
    X(vmi_get_name, vmi_get_name(vmi) == NULL)                                               \
    X(vmi_get_vmid, vmi_get_vmid(vmi) == VMI_INVALID_DOMID)                                  \
    X(vmi_get_page_mode, vmi_get_page_mode(vmi, 0) == VMI_PM_UNKNOWN)                        \
    X(vmi_get_address_width, vmi_get_address_width(vmi) == 0)                                \
    X(vmi_get_ostype, vmi_get_ostype(vmi) == VMI_OS_UNKNOWN)                                 \
    X(vmi_get_winver, vmi_get_winver(vmi) == VMI_OS_WINDOWS_NONE)                            \
    X(vmi_get_winver_str, vmi_get_winver_str(vmi) != NULL)                                   \
    X(vmi_get_memsize, vmi_get_memsize(vmi) == 0)                                            \
    X(vmi_get_max_physical_address, vmi_get_max_physical_address(vmi) == 0)                  \
    X(vmi_get_next_available_gfn, vmi_get_next_available_gfn(vmi) == 0)                      \
    X(vmi_get_num_vcpus, vmi_get_num_vcpus(vmi) == 0)                                        \
    X(vmi_get_last_pagetable_lookup_fault, vmi_get_last_pagetable_lookup_fault(vmi) == NULL) \
    X(vmi_init_paging, vmi_init_paging(vmi, 0) == VMI_PM_UNKNOWN)                            \
    X(vmi_pause_vm, vmi_pause_vm(vmi) == VMI_FAILURE)                                        \
    X(tvmi_get_paging_levels, tvmi_get_paging_levels(vmi) == 0)                              \
    X(vmi_v2pcache_flush, (vmi_v2pcache_flush(vmi, ~0ULL), 1))                               \
    X(vmi_v2pcache_add, (vmi_v2pcache_add(vmi, VBASE, PML4, DATA), 1))                       \
    X(vmi_v2pcache_nested_flush, (vmi_v2pcache_nested_flush(vmi, PML4, 0), 1))               \
    X(vmi_v2pcache_nested_add, (vmi_v2pcache_nested_add(vmi, VBASE, PML4, 0, DATA), 1))      \
    X(vmi_symcache_flush, (vmi_symcache_flush(vmi), 1))                                      \
    X(vmi_symcache_add, (vmi_symcache_add(vmi, 0, 0, "x", VBASE), 1))                        \
    X(vmi_rvacache_flush, (vmi_rvacache_flush(vmi), 1))                                      \
    X(vmi_rvacache_add, (vmi_rvacache_add(vmi, 0, 0, 0x10, "x"), 1))                         \
    X(vmi_pidcache_flush, (vmi_pidcache_flush(vmi), 1))                                      \
    X(vmi_pidcache_add, (vmi_pidcache_add(vmi, 1, PML4), 1))                                 \
    X(vmi_pagecache_flush, (vmi_pagecache_flush(vmi), 1))                                 \
    X(vmi_event_listener_required, vmi_event_listener_required(vmi, true) == VMI_FAILURE)    \
    X(vmi_shutdown_single_step, vmi_shutdown_single_step(vmi) == VMI_FAILURE)

/* Functions with their own contract, tested in their own cases below (no
 * instance to hold a reason, or the reason's reader itself). */
static const char *const own_contract[] = {
    "vmi_init", "vmi_init_complete", "vmi_destroy", "vmi_convert_str_encoding",
    "vmi_free_unicode_str", "vmi_print_hex", "vmi_get_library_arch", "tvmi_errmsg",
    "tvmi_init_errmsg", "tvmi_init_error_str", "vmi_events_version", "tvmi_free_va_pages",
    "peparse_validate_pe_image", "peparse_assign_headers", "peparse_get_idd_rva",
    "peparse_get_idd_size", "tvmi_embed_register", "tvmi_embed_generate", NULL,
};

typedef struct api_case {
    const char *fn;
    const char *cause;     /* NULL: NULL-handle check only */
    int (*fails)(vmi_instance_t vmi, scratch_t *S);
} api_case_t;

#define DEFINE_CASE(fn, cause, failed) \
    static int case_##fn(vmi_instance_t vmi, scratch_t *S) { (void)S; return (failed); }
#define DEFINE_NULL(fn, failed) \
    static int null_##fn(vmi_instance_t vmi, scratch_t *S) { (void)S; return (failed); }
API_CASES(DEFINE_CASE)
NULL_ONLY(DEFINE_NULL)

#define ROW_CASE(fn, cause, failed) { #fn, cause, case_##fn },
#define ROW_NULL(fn, failed) { #fn, NULL, null_##fn },
static const api_case_t cases[] = { API_CASES(ROW_CASE) NULL_ONLY(ROW_NULL) };
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static bool starts_with_call(const char *msg, const char *fn)
{
    size_t n = strlen(fn);
    return strncmp(msg, fn, n) == 0 && msg[n] == ':';
}

/* Leave a marked reason on the instance from a call that is not the one
 * under test. */
static void plant_stale_reason(vmi_instance_t vmi)
{
    CHECK(tvmi_get_config(vmi, "planted_stale_reason") == NULL);
    CHECK(strstr(tvmi_errmsg(vmi), "planted_stale_reason") != NULL);
}

static void test_every_failure_names_its_call_and_cause(void)
{
    scratch_t *S = calloc(1, sizeof(*S));
    vmi_instance_t vmi = open_img();
    S->foreign_json[0] = 1; /* json-c's json_type_boolean */
    CHECK(vmi != NULL);
    for (size_t i = 0; vmi && i < NCASES; i++) {
        if (!cases[i].cause)
            continue;
        plant_stale_reason(vmi);
        int failed = cases[i].fails(vmi, S);
        const char *msg = tvmi_errmsg(vmi);
        bool ok = failed && starts_with_call(msg, cases[i].fn) &&
                  strstr(msg, cases[i].cause) && !strstr(msg, "planted_stale_reason");
        if (!ok)
            fprintf(stderr, "  %s: failed=%d, reason \"%s\" (wanted \"%s: ...%s...\")\n",
                    cases[i].fn, failed, msg, cases[i].fn, cases[i].cause);
        CHECK(ok);
        /* These changed the config: start again from the image's own. */
        if (strcmp(cases[i].fn, "vmi_init_os") == 0 || strcmp(cases[i].fn, "vmi_init_profile") == 0) {
            vmi_destroy(vmi);
            vmi = open_img();
        }
    }
    vmi_destroy(vmi);
    free(S);
}

/* A call that succeeds leaves no reason, even after an inner failure. */
static void test_success_clears_the_reason(void)
{
    vmi_instance_t vmi = open_img();
    addr_t pa = 0;
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    plant_stale_reason(vmi);
    CHECK(vmi_translate_kv2p(vmi, VBASE, &pa) == VMI_SUCCESS);
    CHECK_STREQ(tvmi_errmsg(vmi), "");
    vmi_destroy(vmi);
}

static void test_null_handle_names_the_call(void)
{
    scratch_t *S = calloc(1, sizeof(*S));
    for (size_t i = 0; i < NCASES; i++) {
        int failed = cases[i].fails(NULL, S);
        const char *msg = tvmi_errmsg(NULL);
        bool ok = failed && starts_with_call(msg, cases[i].fn) && strstr(msg, "NULL");
        if (!ok)
            fprintf(stderr, "  %s(NULL): failed=%d, reason \"%s\"\n", cases[i].fn, failed, msg);
        CHECK(ok);
    }
    free(S);
}

static void test_own_contracts(void)
{
    vmi_instance_t vmi = (vmi_instance_t)1;
    unicode_string_t in = { 4, (uint8_t *)"a\0b\0", "UTF-16" }, out;

    /* Init failures: the instance is gone, the reason is per thread. */
    CHECK(vmi_init(&vmi, VMI_FILE, "/nonexistent/tvmi", VMI_INIT_DOMAINNAME, NULL, NULL) ==
          VMI_FAILURE);
    CHECK(vmi == NULL);
    CHECK(strstr(tvmi_init_errmsg(), "/nonexistent/tvmi") != NULL);
    CHECK(vmi_init_complete(&vmi, NULL, 0, NULL, VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, NULL) ==
          VMI_FAILURE);
    CHECK(strstr(tvmi_init_errmsg(), "domain is NULL") != NULL);
    /* A scan left for the OS layer that then fails is the paging stage's
     * failure, with the scan's reason (an image of zeros has no root). */
    {
        char zpath[] = "/tmp/tvmi-contract-zero-XXXXXX";
        int zfd = mkstemp(zpath);
        vmi_init_error_t e = VMI_INIT_ERROR_NONE;
        CHECK(zfd >= 0 && ftruncate(zfd, 1 << 20) == 0);
        close(zfd);
        CHECK(vmi_init_complete(&vmi, zpath, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                                "ostype = Linux; sysmap = /nonexistent/System.map;", &e) ==
              VMI_FAILURE);
        CHECK(e == VMI_INIT_ERROR_PAGING);
        CHECK(strstr(tvmi_init_errmsg(), "scan for a page table failed") != NULL);
        /* Likewise with a map the layer reads before the scan (and hands
         * to its init, never reached here: freed, as LeakSanitizer checks). */
        CHECK(vmi_init_complete(&vmi, zpath, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                                "ostype = Linux; sysmap = \"ffffffff81000000 T _text\n"
                                "ffffffff82000000 D linux_banner\n\";", &e) == VMI_FAILURE);
        CHECK(e == VMI_INIT_ERROR_PAGING);
        unlink(zpath);
    }
    CHECK(vmi_destroy(NULL) == VMI_SUCCESS);
    /* No instance to hold the reason: tvmi_errmsg(NULL) has it. */
    CHECK(vmi_convert_str_encoding(&in, &out, "EBCDIC") == VMI_FAILURE);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "vmi_convert_str_encoding"));
    CHECK(strstr(tvmi_errmsg(NULL), "EBCDIC") != NULL);
    CHECK(vmi_convert_str_encoding(&in, &out, "UTF-8") == VMI_SUCCESS);
    CHECK_STREQ((char *)out.contents, "ab");
    free(out.contents);
    vmi_free_unicode_str(NULL);
    vmi_print_hex(NULL, 16);
    CHECK(vmi_get_library_arch() != VMI_ARCH_UNKNOWN);
    CHECK_STREQ(tvmi_init_error_str(VMI_INIT_ERROR_OS), "the OS layer failed to start");
    CHECK(vmi_events_version() == VMI_EVENTS_VERSION);
    tvmi_free_va_pages(NULL);

    /* Embedded entries: no instance either; the reason names the call and
     * the cause, and a later success clears it. */
    static const tvmi_embedded_t bad = { 0x12345678u, TVMI_EMBED_VERSION, "x", "", NULL, 0 };
    static const tvmi_embedded_t good = { TVMI_EMBED_MAGIC, TVMI_EMBED_VERSION,
                                          "contract-entry", "ostype = none;", NULL, 0 };
    CHECK(tvmi_embed_register(NULL) == VMI_FAILURE);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "tvmi_embed_register"));
    CHECK(strstr(tvmi_errmsg(NULL), "NULL") != NULL);
    CHECK(tvmi_embed_register(&bad) == VMI_FAILURE);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "tvmi_embed_register"));
    CHECK(strstr(tvmi_errmsg(NULL), "magic") != NULL);
    CHECK(tvmi_embed_register(&good) == VMI_SUCCESS);
    CHECK(strstr(tvmi_errmsg(NULL), "tvmi_embed_register") == NULL);
    tvmi_embed_spec_t spec = { .config = "/nonexistent/tvmi.conf", .entry = "x" };
    CHECK(tvmi_embed_generate(NULL, stdout) == VMI_FAILURE);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "tvmi_embed_generate"));
    CHECK(tvmi_embed_generate(&spec, stdout) == VMI_FAILURE);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "tvmi_embed_generate"));
    CHECK(strstr(tvmi_errmsg(NULL), "/nonexistent/tvmi.conf") != NULL);
}

/* The peparse calls that take no instance keep their reason per thread. */
static void test_peparse_reasons_without_instance(void)
{
    uint8_t zeros[512] = { 0 };
    struct dos_header *dos = (struct dos_header *)1;
    struct optional_header_pe32 *pe32 = (struct optional_header_pe32 *)1;
    uint16_t type = 7;

    CHECK(peparse_validate_pe_image(zeros, sizeof(zeros)) == VMI_FAILURE);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "peparse_validate_pe_image"));
    CHECK(strstr(tvmi_errmsg(NULL), "no MZ signature") != NULL);
    CHECK(peparse_validate_pe_image(NULL, 0) == VMI_FAILURE);
    CHECK(strstr(tvmi_errmsg(NULL), "NULL") != NULL);

    peparse_assign_headers(zeros, &dos, NULL, &type, NULL, &pe32, NULL);
    CHECK(dos == NULL && pe32 == NULL && type == 0);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "peparse_assign_headers"));
    CHECK(strstr(tvmi_errmsg(NULL), "no MZ signature") != NULL);

    CHECK(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_EXPORT, NULL, NULL, NULL, NULL) == 0);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "peparse_get_idd_rva"));
    CHECK(strstr(tvmi_errmsg(NULL), "no optional header") != NULL);
    CHECK(peparse_get_idd_size(IMAGE_DIRECTORY_ENTRY_EXPORT, NULL, NULL, NULL, NULL) == 0);
    CHECK(starts_with_call(tvmi_errmsg(NULL), "peparse_get_idd_size"));
    CHECK(strstr(tvmi_errmsg(NULL), "no optional header") != NULL);
}

/* ---- Every public function has a case ---- */

static bool covered(const char *name)
{
    for (size_t i = 0; i < NCASES; i++)
        if (strcmp(cases[i].fn, name) == 0)
            return true;
    for (size_t i = 0; own_contract[i]; i++)
        if (strcmp(own_contract[i], name) == 0)
            return true;
    return false;
}

/* The header text with comments blanked out. */
static char *read_header(const char *p)
{
    FILE *f = fopen(p, "rb");
    char *s;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = calloc(1, (size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    for (char *c = s; c && *c; c++) {
        if (c[0] == '/' && c[1] == '*') {
            char *e = strstr(c + 2, "*/");
            size_t len = e ? (size_t)(e + 2 - c) : strlen(c);
            memset(c, ' ', len);
            c += len - 1;
        } else if (c[0] == '/' && c[1] == '/') {
            while (*c && *c != '\n')
                *c++ = ' ';
        }
    }
    return s;
}

/* The next "vmi_" or "peparse_" in s, or NULL. */
static char *next_public_name(char *s)
{
    char *v = strstr(s, "vmi_"), *p = strstr(s, "peparse_");
    if (!v || (p && p < v))
        return p;
    return v;
}

static void test_every_public_function_has_a_case(void)
{
    static const char *const headers[] = { "libvmi.h", "tinyvmi.h",
                                           "libvmi_extra.h", "peparse.h", "slat.h", "x86.h",
                                           "events.h" };
    char p[256];
    size_t found = 0, read = 0;

    for (size_t h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
        snprintf(p, sizeof(p), "include/libvmi/%s", headers[h]);
        char *s = read_header(p);
        if (!s)
            continue;
        read++;
        /* A declaration: an identifier vmi_/tvmi_/peparse_ followed by '('
         * in a statement that is not a #define. */
        for (char *c = s; (c = next_public_name(c)); c++) {
            char *start = c > s && c[-1] == 't' && c[0] == 'v' ? c - 1 : c;
            if (start > s && (isalnum((unsigned char)start[-1]) || start[-1] == '_'))
                continue;
            char *e = c;
            while (isalnum((unsigned char)*e) || *e == '_')
                e++;
            char *q = e;
            while (*q == ' ' || *q == '\n')
                q++;
            if (*q != '(')
                continue;
            char *line = start;
            while (line > s && line[-1] != '\n')
                line--;
            if (*line == '#' || (line[0] == ' ' && strstr(line, "\\\n") &&
                                 strstr(line, "\\\n") < strchr(line, '\n') + 1))
                continue; /* inside a macro */
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)(e - start), start);
            if (strcmp(name, "vmi_event_t") == 0)
                continue;
            found++;
            if (!covered(name)) {
                fprintf(stderr, "  %s (%s) has no case in test_api_contract.c\n", name,
                        headers[h]);
                CHECK(0);
            }
        }
        free(s);
    }
    CHECK(read >= 2); /* libvmi.h and tinyvmi.h at least: run from the tree's top */
    CHECK(found > 130);
    printf("     %zu public declarations, %zu cases\n", found, NCASES);
}

int main(void)
{
    build_image();
    TEST_RUN(test_every_failure_names_its_call_and_cause);
    TEST_RUN(test_success_clears_the_reason);
    TEST_RUN(test_null_handle_names_the_call);
    TEST_RUN(test_own_contracts);
    TEST_RUN(test_peparse_reasons_without_instance);
    TEST_RUN(test_every_public_function_has_a_case);
    unlink(path);
    TEST_DONE();
}
