/*
 * dom0_api.c - TinyVMI's Xen driver through the public LibVMI API, run in
 * the Xen test dom0 (static; tests/integration/xen.sh builds it and
 * run-xen.sh runs it) against the running test guests tvmi-pvh and tvmi-pv.
 *
 * Every check compares with what the guest said about itself
 * ($TVMI_OUT/<kind>/truth/, see tests/xen/README.md) or with what Xen's own
 * toolstack said (its domid and name from xl): the banner the kernel
 * printed, the processes its /proc listed, the counter its tinyvmi-forker
 * advances (stopped while paused, moving again after resume, continuing
 * from a value we wrote).  Ends with "N passed, N failed, N skipped".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvmi/libvmi.h>
#include <libvmi/tinyvmi.h>

#include "test.h"
#include "guest.h"

static const char *K = "pvh"; /* the guest kind under test: pvh or pv */

/* ---- the guest's truth ---- */

static char *truth_line(const char *file)
{
    char path[64];
    char *t;
    snprintf(path, sizeof(path), "truth/%s", file);
    t = guest_slurp(K, path);
    if (t)
        t[strcspn(t, "\n")] = '\0';
    return t;
}

static char *guest_name(void)
{
    return truth_line("name.txt");
}

static uint64_t guest_domid(void)
{
    char *t = truth_line("domid.txt");
    uint64_t v = t ? strtoull(t, NULL, 10) : ~0ull;
    free(t);
    return v;
}

/* The forker's "PID VA START" line. */
static bool counter(vmi_pid_t *pid, uint64_t *va, uint64_t *start)
{
    char *t = truth_line("counter.txt");
    unsigned long long a = 0, s = 0;
    int p = 0;
    bool ok = t && sscanf(t, "%d %llx %llx", &p, &a, &s) == 3;
    free(t);
    *pid = p;
    *va = a;
    *start = s;
    return ok;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ---- opening ---- */

static vmi_instance_t open_plain(void)
{
    vmi_instance_t vmi = NULL;
    char *name = guest_name();
    vmi_init_error_t e;
    if (vmi_init(&vmi, VMI_XEN, name, VMI_INIT_DOMAINNAME, NULL, &e) != VMI_SUCCESS) {
        fprintf(stderr, "  vmi_init(VMI_XEN, %s): %s\n", name, tvmi_init_errmsg());
        vmi = NULL;
    }
    free(name);
    return vmi;
}

/* With the OS layer: one instance per guest, opened on first use and kept
 * to the end (under TCG each start reads the kernel's tables again, several
 * seconds); a guest whose OS layer would not start is not tried twice. */
static vmi_instance_t os_vmi[2];
static bool os_tried[2];

static vmi_instance_t open_os(void)
{
    int k = strcmp(K, "pv") == 0;
    char *name;
    vmi_init_error_t e;
    if (os_tried[k])
        return os_vmi[k];
    os_tried[k] = true;
    name = guest_name();
    if (vmi_init_complete(&os_vmi[k], name, VMI_INIT_DOMAINNAME, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &e) != VMI_SUCCESS) {
        fprintf(stderr, "  vmi_init_complete(%s): %s\n", name, tvmi_init_errmsg());
        os_vmi[k] = NULL;
    }
    free(name);
    return os_vmi[k];
}

static void flush(vmi_instance_t vmi)
{
    vmi_pagecache_flush(vmi);
    vmi_v2pcache_flush(vmi, ~0ULL);
}

/* ---- tests ---- */

static void test_by_name(void)
{
    vmi_instance_t vmi = open_plain();
    char *name = guest_name(), *got;
    vmi_mode_t mode = VMI_FILE;
    CHECK(vmi != NULL);
    if (!vmi) {
        free(name);
        return;
    }
    CHECK_EQ_U64(vmi_get_vmid(vmi), guest_domid());
    got = vmi_get_name(vmi);
    CHECK_STREQ(got, name);
    free(got);
    CHECK_EQ_U64(vmi_get_num_vcpus(vmi), 1);
    CHECK(vmi_get_access_mode(vmi, NULL, 0, NULL, &mode) == VMI_SUCCESS && mode == VMI_XEN);
    /* The RAM xl gave it (memory = 256): at least what the guest's kernel
     * counts as MemTotal, at most 256 MiB and Xen's extra pages. */
    char *mi = guest_slurp(K, "truth/meminfo.txt");
    unsigned long long kb = 0;
    if (mi)
        sscanf(mi, "MemTotal: %llu", &kb);
    free(mi);
    printf("  %s: memsize %" PRIu64 " bytes, the guest's MemTotal %llu kB, max_pa 0x%" PRIx64 "\n",
           name, vmi_get_memsize(vmi), kb, vmi_get_max_physical_address(vmi));
    CHECK(kb > 0 && vmi_get_memsize(vmi) >= kb * 1024);
    CHECK(vmi_get_memsize(vmi) <= (256ull + 8) << 20);
    vmi_destroy(vmi);
    free(name);
}

static void test_by_id(void)
{
    vmi_instance_t vmi = NULL;
    uint64_t id = guest_domid();
    char *name = guest_name(), *got;
    vmi_init_error_t e;
    CHECK(vmi_init(&vmi, VMI_XEN, &id, VMI_INIT_DOMAINID, NULL, &e) == VMI_SUCCESS);
    if (vmi) {
        got = vmi_get_name(vmi);
        CHECK_STREQ(got, name);
        CHECK_EQ_U64(vmi_get_vmid(vmi), id);
        free(got);
        vmi_destroy(vmi);
    } else {
        fprintf(stderr, "  by id %" PRIu64 ": %s\n", id, tvmi_init_errmsg());
    }
    free(name);
}

static void test_unknown(void)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    uint64_t id = 4000;
    CHECK(vmi_init(&vmi, VMI_XEN, "tvmi-no-such-domain", VMI_INIT_DOMAINNAME, NULL, &e) ==
          VMI_FAILURE);
    printf("  unknown name: %s\n", tvmi_init_errmsg());
    CHECK(strstr(tvmi_init_errmsg(), "tvmi-no-such-domain") != NULL);
    CHECK(strstr(tvmi_init_errmsg(), "Domain-0") != NULL); /* the names it did see */
    CHECK(vmi_init(&vmi, VMI_XEN, &id, VMI_INIT_DOMAINID, NULL, &e) == VMI_FAILURE);
    printf("  unknown id: %s\n", tvmi_init_errmsg());
    CHECK(strstr(tvmi_init_errmsg(), "4000") != NULL);
}

/* The kernel's linux_banner, by kernel virtual address, is the guest's
 * /proc/version. */
static void test_banner(void)
{
    uint64_t va = guest_kallsyms(K, "linux_banner");
    char *want = truth_line("version.txt"), *got = NULL;
    vmi_instance_t vmi = open_plain();
    CHECK(va != 0 && want != NULL && vmi != NULL);
    if (vmi && va) {
        got = vmi_read_str_va(vmi, va, 0);
        if (!got)
            fprintf(stderr, "  read at 0x%" PRIx64 ": %s\n", va, tvmi_errmsg(vmi));
        if (got)
            got[strcspn(got, "\n")] = '\0';
        CHECK_STREQ(got, want);
    }
    free(got);
    free(want);
    if (vmi)
        vmi_destroy(vmi);
}

/* Registers: one at a time and all at once agree on a paused vCPU; the
 * mode is the guest's (uname says x86_64); a debug register set reads back
 * and is restored. */
static void test_registers(void)
{
    vmi_instance_t vmi = open_plain();
    registers_t all;
    uint64_t rip = 0, cr3 = 0, cr0 = 0, efer = 0, rsp = 0, dr3 = 0, back = 0;
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    CHECK(vmi_pause_vm(vmi) == VMI_SUCCESS);
    CHECK(vmi_get_vcpureg(vmi, &rip, RIP, 0) == VMI_SUCCESS);
    CHECK(vmi_get_vcpureg(vmi, &rsp, RSP, 0) == VMI_SUCCESS);
    CHECK(vmi_get_vcpureg(vmi, &cr3, CR3, 0) == VMI_SUCCESS);
    CHECK(vmi_get_vcpureg(vmi, &cr0, CR0, 0) == VMI_SUCCESS);
    CHECK(vmi_get_vcpureg(vmi, &efer, MSR_EFER, 0) == VMI_SUCCESS);
    CHECK(vmi_get_vcpuregs(vmi, &all, 0) == VMI_SUCCESS);
    CHECK_EQ_U64(all.x86.rip, rip);
    CHECK_EQ_U64(all.x86.rsp, rsp);
    CHECK_EQ_U64(all.x86.cr3, cr3);
    printf("  %s vCPU 0: rip 0x%" PRIx64 " cr3 0x%" PRIx64 " cr0 0x%" PRIx64 " efer 0x%" PRIx64
           "\n", K, rip, cr3, cr0, efer);
    CHECK(cr0 & (1u << 31));                 /* paging */
    CHECK(efer & (1u << 10));                /* long mode active: an x86_64 kernel */
    CHECK(vmi_get_vcpureg(vmi, &dr3, DR3, 0) == VMI_SUCCESS);
    CHECK(vmi_set_vcpureg(vmi, 0x7417000, DR3, 0) == VMI_SUCCESS);
    if (vmi_get_vcpureg(vmi, &back, DR3, 0) != VMI_SUCCESS)
        back = 0;
    CHECK_EQ_U64(back, 0x7417000);
    CHECK(vmi_set_vcpureg(vmi, dr3, DR3, 0) == VMI_SUCCESS);
    CHECK(vmi_get_vcpureg(vmi, &back, DR3, 0) == VMI_SUCCESS && back == dr3);
    /* No such vCPU, and a register Xen does not keep: reasons, not guesses. */
    CHECK(vmi_get_vcpureg(vmi, &back, RIP, 5) == VMI_FAILURE);
    printf("  vCPU 5: %s\n", tvmi_errmsg(vmi));
    CHECK(vmi_set_vcpureg(vmi, 1, TTBR0, 0) == VMI_FAILURE);
    printf("  TTBR0: %s\n", tvmi_errmsg(vmi));
    CHECK(vmi_resume_vm(vmi) == VMI_SUCCESS);
    vmi_destroy(vmi);
}

/* Pause stops the forker's counter, resume restarts it; a write to it while
 * paused is where the guest goes on counting from. */
static void test_pause_counter(void)
{
    vmi_pid_t pid;
    uint64_t va, start, a = 0, b = 0, c = 0, w;
    domain_status_t ds;
    vmi_instance_t vmi;

    CHECK(counter(&pid, &va, &start));
    vmi = open_os();
    /* Both guests: the PV one reads its kallsyms through its page table. */
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    CHECK(vmi_pause_vm(vmi) == VMI_SUCCESS);
    CHECK(vmi_get_domain_status(vmi, &ds) == VMI_SUCCESS && ds.paused);
    flush(vmi);
    CHECK(vmi_read_64_va(vmi, va, pid, &a) == VMI_SUCCESS);
    printf("  %s: counter of pid %d at 0x%" PRIx64 " = 0x%" PRIx64 "\n", K, pid, va, a);
    CHECK((a >> 48) == (start >> 48) && a > start);
    sleep_ms(600);
    flush(vmi);
    CHECK(vmi_read_64_va(vmi, va, pid, &b) == VMI_SUCCESS);
    CHECK_EQ_U64(b, a);
    w = start + 0x5a5a0000ull;
    CHECK(vmi_write_64_va(vmi, va, pid, &w) == VMI_SUCCESS);
    flush(vmi);
    CHECK(vmi_read_64_va(vmi, va, pid, &c) == VMI_SUCCESS);
    CHECK_EQ_U64(c, w);
    CHECK(vmi_resume_vm(vmi) == VMI_SUCCESS);
    CHECK(vmi_get_domain_status(vmi, &ds) == VMI_SUCCESS && !ds.paused);
    for (int i = 0; i < 100 && c <= w; i++) {
        sleep_ms(100);
        flush(vmi);
        if (vmi_read_64_va(vmi, va, pid, &c) != VMI_SUCCESS)
            break;
    }
    printf("  %s: after resume 0x%" PRIx64 " (we wrote 0x%" PRIx64 ")\n", K, c, w);
    CHECK(c > w && c < w + 1000);
    /* Not paused by us: resuming would undo someone else's pause. */
    CHECK(vmi_resume_vm(vmi) == VMI_FAILURE);
    printf("  resume unpaused: %s\n", tvmi_errmsg(vmi));
}

/* Register writes leave a running guest running.  Each write pauses the
 * domain for a moment while the guest's timers go on firing in Xen; a write
 * that reloaded more of the vCPU's state than the register it changes (the
 * LAPIC's pending interrupts among it) could drop an interrupt posted
 * meanwhile, and a guest that loses its event-channel upcall never gets
 * another: it stops.  Many writes make a lost one near certain, so the
 * counter must go on moving after them. */
static void test_register_writes_running(void)
{
    vmi_pid_t pid;
    uint64_t va, start, dr3 = 0, before = 0, after = 0;
    vmi_instance_t vmi;
    struct timespec t0, t1;
    enum { WRITES = 300 };

    CHECK(counter(&pid, &va, &start));
    vmi = open_os();
    /* Both guests: the PV one reads its kallsyms through its page table. */
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    CHECK(vmi_get_vcpureg(vmi, &dr3, DR3, 0) == VMI_SUCCESS);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int failed = 0;
    for (int i = 0; i < WRITES; i++)
        if (vmi_set_vcpureg(vmi, (i & 1) ? dr3 : 0x7417000 + (uint64_t)i * 8, DR3, 0) !=
            VMI_SUCCESS)
            failed++;
    CHECK(vmi_set_vcpureg(vmi, dr3, DR3, 0) == VMI_SUCCESS);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(failed == 0);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    flush(vmi);
    CHECK(vmi_read_64_va(vmi, va, pid, &before) == VMI_SUCCESS);
    after = before;
    for (int i = 0; i < 100 && after <= before; i++) {
        sleep_ms(100);
        flush(vmi);
        if (vmi_read_64_va(vmi, va, pid, &after) != VMI_SUCCESS)
            break;
    }
    printf("  %s: %d DR3 writes in %.0f ms; the counter went 0x%" PRIx64 " -> 0x%" PRIx64 "\n",
           K, WRITES + 1, ms, before, after);
    CHECK((after >> 48) == (start >> 48) && after > before);
}

/* The process list TinyVMI walks is the guest's /proc, but for the
 * forker's children, which come and go. */
static void test_processes(void)
{
    guest_procs_t l = { NULL, 0, 0 };
    vmi_pid_t fpid;
    uint64_t va, start;
    vmi_instance_t vmi = open_os();
    /* Both guests: the PV one reads its kallsyms through its page table. */
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    CHECK(counter(&fpid, &va, &start));
    CHECK(tvmi_process_foreach(vmi, guest_collect_proc, &l) == VMI_SUCCESS);
    size_t kept = 0;
    for (size_t i = 0; i < l.n; i++)
        if (l.p[i].ppid != fpid)
            l.p[kept++] = l.p[i];
    l.n = kept;
    guest_ps_diff_t d = guest_compare_ps(K, &l);
    printf("  %s: the guest listed %zu processes, TinyVMI %zu\n", K, d.rows, l.n);
    CHECK(d.rows > 10);
    CHECK(d.missing == 0 && d.extra == 0 && d.bad_comm == 0 && d.bad_ppid == 0 && d.bad_dtb == 0);
    free(l.p);
}

#define FOR_KIND(fn, kind)                                                                   \
    static void fn##_##kind(void)                                                            \
    {                                                                                        \
        K = #kind;                                                                           \
        fn();                                                                                \
    }
#define BOTH(fn) FOR_KIND(fn, pvh) FOR_KIND(fn, pv)
BOTH(test_by_name)
BOTH(test_by_id)
BOTH(test_banner)
BOTH(test_registers)
BOTH(test_pause_counter)
BOTH(test_processes)
BOTH(test_register_writes_running)

int main(void)
{
    if (!getenv("TINYVMI_GUEST_CACHE"))
        setenv("TINYVMI_GUEST_CACHE", getenv("TVMI_OUT") ? getenv("TVMI_OUT") : ".", 1);
    TEST_RUN(test_by_name_pvh);
    TEST_RUN(test_by_id_pvh);
    TEST_RUN(test_unknown);
    TEST_RUN(test_banner_pvh);
    TEST_RUN(test_registers_pvh);
    TEST_RUN(test_pause_counter_pvh);
    TEST_RUN(test_processes_pvh);
    TEST_RUN(test_register_writes_running_pvh);
    TEST_RUN(test_by_name_pv);
    TEST_RUN(test_by_id_pv);
    TEST_RUN(test_banner_pv);
    TEST_RUN(test_registers_pv);
    TEST_RUN(test_pause_counter_pv);
    TEST_RUN(test_processes_pv);
    TEST_RUN(test_register_writes_running_pv);
    for (int k = 0; k < 2; k++)
        if (os_vmi[k])
            vmi_destroy(os_vmi[k]);
    TEST_DONE();
}
