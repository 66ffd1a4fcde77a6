/*
 * test_windows_images.c - the Windows layer on generated Windows memory
 * images (tests/helpers/winimage.h): Windows XP SP3 x86 (32-bit paging and
 * PAE), Windows 7 SP1 x64 and Windows 10 2004 x64, each as a raw image and
 * as a crash dump of every kind that holds physical memory (full, bitmap,
 * kernel summary, bitmap kernel, and ntiodump.h's older summary layout).  "The generator planted X;
 * TinyVMI says X": processes, modules, page tables, symbols, exports,
 * versions.  Then the hostile variants: a cyclic process list, a damaged
 * kernel PE header, a profile for another kernel, truncated dumps.  And
 * the crash dump header's facts: a dump starts from the lists and KDBG its
 * header names where a scan of kernel space would fail (a decoy kernel, a
 * damaged kernel PE), and refuses header addresses that do not check out.
 *
 * These images are built from the real structure layouts, but they are not
 * real Windows memory; docs/windows.md says so.
 */
#include "test.h"

#include <unistd.h>

#include <libvmi/libvmi.h>
#include <libvmi/peparse.h>
#include "../helpers/winimage.h"
#include "driver/driver.h"

/* libvmi_extra.h's glib call, without glib (tvmi_list_t is GSList's layout). */
tvmi_list_t *vmi_get_nested_va_pages(vmi_instance_t vmi, addr_t npt, page_mode_t npm,
                                     addr_t pt, page_mode_t pm);

extern const driver_ops_t driver_file_ops;

static char tmpdir[] = "/tmp/tvmi-win-XXXXXX";
static char datadir[512];

/* Raw memory, then every crash dump kind that holds physical memory
 * (test_windows_dumps.c has the triage and header-only ones). */
static const char *fmt_name[] = { "raw", "dump", "bitmap", "kernel", "bitmap-kernel",
                                  "summary-old64" };
enum { F_RAW, F_DUMP, F_BITMAP, F_KERNEL, F_BMKERNEL, F_SUMOLD, F_COUNT };
static const wi_dump_kind_t fmt_kind[F_COUNT] = {
    WI_DUMP_FULL, WI_DUMP_FULL, WI_DUMP_BITMAP, WI_DUMP_KERNEL, WI_DUMP_BITMAP_KERNEL,
    WI_DUMP_SUMMARY_OLD64,
};

/* Write layout L in format f (with a hostile change) to a temp file. */
static const char *make_image(const wi_layout_t *L, int f, wi_hostile_t hostile,
                              wi_image_t *w, char *path, size_t size)
{
    wi_build(w, L, hostile);
    snprintf(path, size, "%s/%s-%d.%s", tmpdir, L->name, (int)hostile, fmt_name[f]);
    bool ok = f == F_RAW ? wi_write_raw(w, path) : wi_write_dump(w, path, fmt_kind[f]);
    if (!ok) {
        fprintf(stderr, "  cannot write %s\n", path);
        return NULL;
    }
    return path;
}

static vmi_instance_t open_image(const char *path, const char *config)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t ierr;
    if (vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                          (void *)config, &ierr) != VMI_SUCCESS)
        return NULL;
    return vmi;
}

static void isf_config(const wi_layout_t *L, char *buf, size_t size, const char *extra)
{
    snprintf(buf, size, "volatility_ist = \"%s/%s\"; %s", datadir, L->isf, extra ? extra : "");
}

/* ---- Collecting the lists ---- */

typedef struct plist {
    tvmi_process_t p[32];
    size_t n;
} plist_t;

static int collect_proc(void *ctx, const tvmi_process_t *p)
{
    plist_t *l = ctx;
    if (l->n < 32)
        l->p[l->n++] = *p;
    return 0;
}

typedef struct mlist {
    tvmi_module_t m[16];
    size_t n;
} mlist_t;

static int collect_mod(void *ctx, const tvmi_module_t *m)
{
    mlist_t *l = ctx;
    if (l->n < 16)
        l->m[l->n++] = *m;
    return 0;
}

/* ppid_known: the profile names InheritedFromUniqueProcessId; without one
 * the parent is reported as unknown (-1), never guessed. */
static void check_processes(vmi_instance_t vmi, const wi_image_t *w, const char *what,
                            bool ppid_known)
{
    plist_t l = { .n = 0 };
    status_t st = tvmi_process_foreach(vmi, collect_proc, &l);
    if (st != VMI_SUCCESS)
        fprintf(stderr, "  %s: %s\n", what, tvmi_errmsg(vmi));
    CHECK(st == VMI_SUCCESS);
    CHECK_EQ_U64(l.n, WI_NPROCS);
    for (size_t i = 0; i < l.n && i < WI_NPROCS; i++) {
        const wi_proc_t *want = &w->procs[i];
        CHECK_EQ_U64(l.p[i].pid, want->pid);
        CHECK_STREQ(l.p[i].name, want->name);
        CHECK_EQ_U64(l.p[i].dtb, want->dtb);
        CHECK_EQ_U64(l.p[i].task, want->eprocess);
        if (ppid_known)
            CHECK_EQ_U64((uint32_t)l.p[i].ppid, want->ppid);
        else
            CHECK_EQ_U64(l.p[i].ppid, -1);
    }
}

static void check_modules(vmi_instance_t vmi, const wi_image_t *w, const char *what)
{
    mlist_t l = { .n = 0 };
    status_t st = tvmi_module_foreach(vmi, collect_mod, &l);
    if (st != VMI_SUCCESS)
        fprintf(stderr, "  %s: %s\n", what, tvmi_errmsg(vmi));
    CHECK(st == VMI_SUCCESS);
    CHECK_EQ_U64(l.n, WI_NMODS);
    for (size_t i = 0; i < l.n && i < WI_NMODS; i++) {
        CHECK_STREQ(l.m[i].name, w->mods[i].name);
        CHECK_EQ_U64(l.m[i].base, w->mods[i].base);
        CHECK_EQ_U64(l.m[i].size, w->mods[i].size);
        CHECK_EQ_U64(l.m[i].object, w->mods[i].entry);
    }
}

/* Everything the layer answers, on one image opened with its profile. */
static void check_image(vmi_instance_t vmi, const wi_image_t *w, const char *what)
{
    const wi_layout_t *L = w->L;
    addr_t v = 0;

    CHECK(vmi_get_ostype(vmi) == VMI_OS_WINDOWS);
    CHECK_EQ_U64(vmi_get_address_width(vmi), L->ptr);
    CHECK_EQ_U64(vmi_get_win_buildnumber(vmi), L->build);
    win_ver_t want_ver = L->build == 2600   ? VMI_OS_WINDOWS_XP
                         : L->build == 7601 ? VMI_OS_WINDOWS_7
                                            : VMI_OS_WINDOWS_10;
    CHECK(vmi_get_winver(vmi) == want_ver);
    win_build_info_t bi;
    CHECK(vmi_get_windows_build_info(vmi, &bi));
    CHECK(bi.major == L->os_major && bi.minor == L->os_minor);

    /* The kernel's page table is System's, whatever the start-up used. */
    CHECK(vmi_pid_to_dtb(vmi, 0, &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, w->sys_root);

    check_processes(vmi, w, what, true);
    check_modules(vmi, w, what);

    /* pid <-> page table, and reads through a process's own table. */
    for (size_t i = 0; i < WI_NPROCS; i++) {
        const wi_proc_t *p = &w->procs[i];
        vmi_pid_t pid = -1;
        CHECK(vmi_pid_to_dtb(vmi, (vmi_pid_t)p->pid, &v) == VMI_SUCCESS);
        CHECK_EQ_U64(v, p->dtb);
        CHECK(vmi_dtb_to_pid(vmi, p->dtb, &pid) == VMI_SUCCESS);
        CHECK_EQ_U64(pid, p->pid);
        if (p->user_dtb) {
            pid = -1;
            CHECK(vmi_dtb_to_pid(vmi, p->user_dtb, &pid) == VMI_SUCCESS);
            CHECK_EQ_U64(pid, p->pid);
        }
        if (i == 0)
            continue; /* System has no user space */
        char *s = NULL;
        ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID,
                       .pid = (vmi_pid_t)p->pid, .addr = L->peb + 0x800);
        s = vmi_read_str(vmi, &ctx);
        char want[64];
        snprintf(want, sizeof(want), "PEB of %s, pid %u", p->name, p->pid);
        CHECK_STREQ(s, want);
        free(s);
    }
    CHECK(vmi_pid_to_dtb(vmi, 12345, &v) == VMI_FAILURE);
    CHECK(strstr(tvmi_errmsg(vmi), "no process with pid 12345") != NULL);

    /* Kernel symbols: from the profile, and back. */
    CHECK(vmi_translate_ksym2v(vmi, "PsActiveProcessHead", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, w->ps_active);
    CHECK(vmi_translate_ksym2v(vmi, "PsLoadedModuleList", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, w->ps_loaded);
    CHECK_STREQ(vmi_translate_v2ksym(vmi, NULL, L->kbase + WI_NTBUILD), "NtBuildNumber");
    uint32_t nb = 0;
    CHECK(vmi_read_32_ksym(vmi, "NtBuildNumber", &nb) == VMI_SUCCESS);
    CHECK_EQ_U64(nb, 0xf0000000u | L->build);
    CHECK(vmi_translate_ksym2v(vmi, "NoSuchSymbol", &v) == VMI_FAILURE);

    /* Offsets by LibVMI's names. */
    CHECK(vmi_get_offset(vmi, "win_ntoskrnl_va", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->kbase);
    CHECK(vmi_get_offset(vmi, "win_ntoskrnl", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->klarge_pa + (L->kbase - L->klarge_va));
    CHECK(vmi_get_offset(vmi, "win_tasks", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->ep_links);
    CHECK(vmi_get_offset(vmi, "win_pdbase", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->ep_dtb);
    CHECK(vmi_get_offset(vmi, "win_pid", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->ep_pid);
    CHECK(vmi_get_offset(vmi, "win_pname", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->ep_name);
    /* The KDBG; Windows 10's is encoded and decoded with the profile's
     * KiWaitNever / KiWaitAlways / KdpDataBlockEncoded. */
    CHECK(vmi_get_offset(vmi, "win_kdvb", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, w->kdbg);
    CHECK(vmi_get_offset(vmi, "win_kdbg", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, WI_KDBG);
    CHECK(vmi_get_offset(vmi, "win_sysproc", &v) == VMI_SUCCESS);
    addr_t sys_pa;
    CHECK(vmi_translate_kv2p(vmi, w->procs[0].eprocess, &sys_pa) == VMI_SUCCESS);
    CHECK_EQ_U64(v, sys_pa);
    CHECK(vmi_get_kernel_struct_offset(vmi, "_EPROCESS", "ImageFileName", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->ep_name);
    CHECK(vmi_get_kernel_struct_offset(vmi, "_EPROCESS", "Pcb.DirectoryTableBase", &v) ==
          VMI_SUCCESS);
    CHECK_EQ_U64(v, L->ep_dtb);

    /* A module's exports (hal.dll), through the kernel's page table. */
    ACCESS_CONTEXT(hal, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0,
                   .addr = L->hal_base);
    CHECK(vmi_translate_sym2v(vmi, &hal, "HalInitSystem", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->hal_base + WI_TEXT + 0x40);
    CHECK(vmi_translate_sym2v(vmi, &hal, "KeGetCurrentIrql", &v) == VMI_FAILURE);
    CHECK(strstr(tvmi_errmsg(vmi), "forwarded to ntoskrnl.KeGetCurrentIrql") != NULL);
    CHECK(vmi_translate_sym2v(vmi, &hal, "Missing", &v) == VMI_FAILURE);
    CHECK(strstr(tvmi_errmsg(vmi), "no export Missing") != NULL);
    CHECK_STREQ(vmi_translate_v2sym(vmi, &hal, WI_TEXT + 0x40), "HalInitSystem");
    ACCESS_CONTEXT(nt, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0, .addr = L->kbase);
    CHECK(vmi_translate_sym2v(vmi, &nt, "PsInitialSystemProcess", &v) == VMI_SUCCESS);
    CHECK_EQ_U64(v, L->kbase + WI_SYSPROC);

    /* UNICODE_STRING: the last module's name, with a non-ASCII letter. */
    ACCESS_CONTEXT(us, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0,
                   .addr = w->mods[WI_NMODS - 1].entry + L->ldr_basename);
    unicode_string_t *u = vmi_read_unicode_str(vmi, &us);
    CHECK(u != NULL);
    if (u) {
        unicode_string_t out = { 0 };
        CHECK_EQ_U64(u->length, 16);
        CHECK(vmi_convert_str_encoding(u, &out, "UTF-8") == VMI_SUCCESS);
        CHECK_STREQ((const char *)out.contents, "Caf\xc3\xa9.sys");
        free(out.contents);
        vmi_free_unicode_str(u);
    }
}

static void test_layouts(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        for (int f = 0; f < F_COUNT; f++) {
            wi_image_t w;
            char path[600], cfg[1200], what[128];
            snprintf(what, sizeof(what), "%s %s", L->name, fmt_name[f]);
            if (!make_image(L, f, WI_SANE, &w, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            isf_config(L, cfg, sizeof(cfg), NULL);
            vmi_instance_t vmi = open_image(path, cfg);
            if (!vmi)
                fprintf(stderr, "  %s: %s\n", what, tvmi_init_errmsg());
            CHECK(vmi != NULL);
            if (vmi) {
                if (f != F_RAW) {
                    /* The dump header's DirectoryTableBase, as CR3. */
                    uint64_t cr3 = 0;
                    CHECK(vmi_get_vcpureg(vmi, &cr3, CR3, 0) == VMI_SUCCESS);
                    CHECK_EQ_U64(cr3, w.sys_root);
                }
                check_image(vmi, &w, what);
                vmi_destroy(vmi);
            }
            unlink(path);
            wi_free(&w);
        }
    }
}

/* No profile: the kernel is still found and named; LibVMI's config keys
 * give the offsets, and the KDBG the list heads where it is readable. */
static void test_without_profile(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        wi_image_t w;
        char path[600], cfg[600];
        if (!make_image(L, F_RAW, WI_SANE, &w, path, sizeof(path))) {
            CHECK(0);
            wi_free(&w);
            continue;
        }
        /* Nothing configured at all: Windows is detected. */
        vmi_instance_t vmi = open_image(path, "");
        CHECK(vmi != NULL);
        if (vmi) {
            addr_t v = 0;
            CHECK(vmi_get_ostype(vmi) == VMI_OS_WINDOWS);
            CHECK(vmi_get_offset(vmi, "win_ntoskrnl_va", &v) == VMI_SUCCESS);
            CHECK_EQ_U64(v, L->kbase);
            CHECK_EQ_U64(vmi_get_win_buildnumber(vmi), L->build);
            plist_t l = { .n = 0 };
            CHECK(tvmi_process_foreach(vmi, collect_proc, &l) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "EPROCESS offsets are unknown") != NULL);
            CHECK(strstr(tvmi_errmsg(vmi), L->pdb) != NULL);
            /* Exports of ntoskrnl stand in for the symbols they cover. */
            CHECK(vmi_translate_ksym2v(vmi, "PsInitialSystemProcess", &v) == VMI_SUCCESS);
            CHECK_EQ_U64(v, L->kbase + WI_SYSPROC);
            vmi_destroy(vmi);
        }
        snprintf(cfg, sizeof(cfg), "win_tasks = 0x%x; win_pdbase = 0x%x; win_pid = 0x%x; "
                 "win_pname = 0x%x;", L->ep_links, L->ep_dtb, L->ep_pid, L->ep_name);
        vmi = open_image(path, cfg);
        CHECK(vmi != NULL);
        if (vmi) {
            if (L->kdbg_encoded) {
                /* An encoded KDBG and no profile to decode it with: the
                 * list head is unknown, and the reason says what is needed. */
                plist_t l = { .n = 0 };
                CHECK(tvmi_process_foreach(vmi, collect_proc, &l) == VMI_FAILURE);
                CHECK(strstr(tvmi_errmsg(vmi), "PsActiveProcessHead is unknown") != NULL);
                CHECK(strstr(tvmi_errmsg(vmi), "needs KiWaitNever, KiWaitAlways and "
                                               "KdpDataBlockEncoded from a profile") != NULL);
                addr_t v;
                CHECK(vmi_get_offset(vmi, "win_kdvb", &v) == VMI_FAILURE);
                CHECK(strstr(tvmi_errmsg(vmi), "from a profile") != NULL);
            } else {
                check_processes(vmi, &w, L->name, false);
                check_modules(vmi, &w, L->name);
                addr_t v;
                CHECK(vmi_get_offset(vmi, "win_kdvb", &v) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.kdbg);
            }
            vmi_destroy(vmi);
        }
        /* win_sysproc (the System EPROCESS's physical address) leads to the
         * list head through System's back link, even without a KDBG. */
        uint64_t sys_pa = 0;
        CHECK(wi_v2p(&w, w.sys_root, w.procs[0].eprocess, &sys_pa));
        snprintf(cfg, sizeof(cfg), "win_sysproc = 0x%llx; win_tasks = 0x%x; "
                 "win_pdbase = 0x%x; win_pid = 0x%x; win_pname = 0x%x;",
                 (unsigned long long)sys_pa, L->ep_links, L->ep_dtb, L->ep_pid, L->ep_name);
        vmi = open_image(path, cfg);
        CHECK(vmi != NULL);
        if (vmi) {
            check_processes(vmi, &w, L->name, false);
            vmi_destroy(vmi);
        }
        /* LibVMI's KDBG address key leads to the kernel too. */
        if (!L->kdbg_encoded) {
            snprintf(cfg, sizeof(cfg), "win_kdvb = 0x%llx; win_tasks = 0x%x; "
                     "win_pdbase = 0x%x; win_pid = 0x%x; win_pname = 0x%x;",
                     (unsigned long long)w.kdbg, L->ep_links, L->ep_dtb, L->ep_pid,
                     L->ep_name);
            vmi = open_image(path, cfg);
            CHECK(vmi != NULL);
            if (vmi) {
                check_processes(vmi, &w, L->name, false);
                vmi_destroy(vmi);
            }
        }
        /* A configured kernel base that holds no kernel is an error. */
        snprintf(cfg, sizeof(cfg), "ostype = Windows; win_ntoskrnl_va = 0x%llx;",
                 (unsigned long long)(L->kbase + 0x1000));
        vmi = open_image(path, cfg);
        CHECK(vmi == NULL);
        CHECK(strstr(tvmi_init_errmsg(), "win_ntoskrnl_va") != NULL);
        vmi_destroy(vmi);
        /* ... and so is a physical base that disagrees with what is found. */
        snprintf(cfg, sizeof(cfg), "ostype = Windows; win_ntoskrnl = 0x123000;");
        vmi = open_image(path, cfg);
        CHECK(vmi == NULL);
        CHECK(strstr(tvmi_init_errmsg(), "config win_ntoskrnl = 0x123000") != NULL);
        vmi_destroy(vmi);
        unlink(path);
        wi_free(&w);
    }
}

/* A copy of layout L's profile with each symbol in hide renamed (so the
 * profile lacks it), written to the temp directory as out. */
static bool profile_without(const wi_layout_t *L, const char *const *hide, size_t nhide,
                            char *out, size_t size)
{
    char src[700];
    snprintf(src, sizeof(src), "%s/%s", datadir, L->isf);
    snprintf(out, size, "%s/%s-less.json", tmpdir, L->name);
    FILE *f = fopen(src, "rb");
    if (!f)
        return false;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* In the symbol table, not among the structures' members. */
    char *syms = strstr(buf, "\"symbols\": {");
    if (!syms)
        return false;
    for (size_t i = 0; i < nhide; i++) {
        char key[96];
        snprintf(key, sizeof(key), "\"%s\": {", hide[i]);
        char *at = strstr(syms, key);
        if (!at)
            return false;
        at[1] = 'X'; /* same length: "PsActive..." becomes "XsActive..." */
    }
    f = fopen(out, "wb");
    if (!f)
        return false;
    bool ok = fwrite(buf, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Windows 10's KDBG is encoded (the generator encodes it as the kernel
 * does): decoded with the profile's keys, its PsActiveProcessHead and
 * PsLoadedModuleList are what the generator planted, even when the
 * profile does not name them (nor, with a search that decodes, the block
 * itself).  A wrong KiWaitNever makes decoding fail with the reason. */
static void test_encoded_kdbg(void)
{
    static const char *const heads[] = { "PsActiveProcessHead", "PsLoadedModuleList",
                                         "KdDebuggerDataBlock" };
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        if (!L->kdbg_encoded)
            continue;
        /* The generator's block, read back and decoded here, is a KDBG. */
        wi_image_t w;
        char path[600], isf[700], cfg[1600];
        for (int f = 0; f < F_COUNT; f++) {
            if (!make_image(L, f, WI_SANE, &w, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            uint64_t pa = 0;
            CHECK(wi_v2p(&w, w.sys_root, w.kdbg + 0x10, &pa));
            CHECK(memcmp(w.mem + pa, "KDBG", 4) != 0); /* no visible tag */
            /* The tag word (Size << 32 | "KDBG") as the kernel's formula
             * gives it, worked out apart from both the generator and
             * kdbg.c. */
            CHECK_EQ_U64(wi_get(&w, pa, 8), 0xfa92d12f3e3c541eULL);
            for (size_t nhide = 2; nhide <= 3; nhide++) {
                CHECK(profile_without(L, heads, nhide, isf, sizeof(isf)));
                snprintf(cfg, sizeof(cfg), "volatility_ist = \"%s\";", isf);
                vmi_instance_t vmi = open_image(path, cfg);
                if (!vmi)
                    fprintf(stderr, "  %s: %s\n", L->name, tvmi_init_errmsg());
                CHECK(vmi != NULL);
                if (!vmi)
                    continue;
                addr_t v = 0;
                CHECK(vmi_get_offset(vmi, "win_kdvb", &v) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.kdbg);
                /* The list heads came from the decoded block. */
                check_processes(vmi, &w, L->name, true);
                check_modules(vmi, &w, L->name);
                vmi_destroy(vmi);
                unlink(isf);
            }
            unlink(path);
            wi_free(&w);
        }

        /* A wrong KiWaitNever (one bit: the rotation changes too). */
        wi_build(&w, L, WI_SANE);
        uint64_t pa = 0;
        CHECK(wi_v2p(&w, w.sys_root, L->kbase + WI_WAITNEVER, &pa));
        w.mem[pa] ^= 1;
        snprintf(path, sizeof(path), "%s/%s-badkey.raw", tmpdir, L->name);
        CHECK(wi_write_raw(&w, path));
        isf_config(L, cfg, sizeof(cfg), NULL);
        vmi_instance_t vmi = open_image(path, cfg);
        CHECK(vmi != NULL);
        if (vmi) {
            /* The profile's symbols still give the lists; the KDBG is not
             * taken, and says why. */
            addr_t v = 0;
            check_processes(vmi, &w, L->name, true);
            CHECK(vmi_get_offset(vmi, "win_kdvb", &v) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "decoded with KiWaitNever") != NULL);
            CHECK(strstr(tvmi_errmsg(vmi), "is not valid") != NULL);
            vmi_destroy(vmi);
        }
        CHECK(profile_without(L, heads, 2, isf, sizeof(isf)));
        snprintf(cfg, sizeof(cfg), "volatility_ist = \"%s\";", isf);
        vmi = open_image(path, cfg);
        CHECK(vmi != NULL);
        if (vmi) {
            plist_t l = { .n = 0 };
            CHECK(tvmi_process_foreach(vmi, collect_proc, &l) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "PsActiveProcessHead is unknown") != NULL);
            CHECK(strstr(tvmi_errmsg(vmi), "decoded with KiWaitNever") != NULL);
            mlist_t m = { .n = 0 };
            CHECK(tvmi_module_foreach(vmi, collect_mod, &m) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "PsLoadedModuleList is unknown") != NULL);
            vmi_destroy(vmi);
        }
        unlink(isf);
        unlink(path);
        wi_free(&w);
    }
}

static void test_cyclic_list(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        wi_image_t w;
        char path[600], cfg[1200];
        if (!make_image(L, F_DUMP, WI_CYCLE, &w, path, sizeof(path))) {
            CHECK(0);
            wi_free(&w);
            continue;
        }
        isf_config(L, cfg, sizeof(cfg), NULL);
        vmi_instance_t vmi = open_image(path, cfg);
        CHECK(vmi != NULL);
        if (vmi) {
            /* Every process is seen once, then the walk stops with a reason. */
            plist_t l = { .n = 0 };
            CHECK(tvmi_process_foreach(vmi, collect_proc, &l) == VMI_FAILURE);
            CHECK_EQ_U64(l.n, WI_NPROCS);
            CHECK(strstr(tvmi_errmsg(vmi), "already visited") && strstr(tvmi_errmsg(vmi), "process list"));
            addr_t v;
            CHECK(vmi_pid_to_dtb(vmi, 99999, &v) == VMI_FAILURE);
            vmi_destroy(vmi);
        }
        unlink(path);
        wi_free(&w);
    }
}

/* A raw image has no header to say where the kernel is: with its PE
 * header damaged there is no kernel to find.  (Crash dumps of the same
 * memory start from their header: test_dump_hints_bad_pe.) */
static void test_bad_pe(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        wi_image_t w;
        char path[600], cfg[1200];
        if (!make_image(L, F_RAW, WI_BAD_PE, &w, path, sizeof(path))) {
            CHECK(0);
            wi_free(&w);
            continue;
        }
        isf_config(L, cfg, sizeof(cfg), "ostype = Windows;");
        vmi_instance_t vmi = open_image(path, cfg);
        CHECK(vmi == NULL);
        CHECK(strstr(tvmi_init_errmsg(), "no Windows kernel image") != NULL);
        vmi_destroy(vmi);
        /* Without ostype, nothing claims the image. */
        vmi = open_image(path, "");
        CHECK(vmi != NULL && vmi_get_ostype(vmi) == VMI_OS_UNKNOWN);
        vmi_destroy(vmi);
        unlink(path);
        wi_free(&w);
    }
}

static void test_wrong_guid(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        wi_image_t w;
        char path[600], cfg[1200], want[128], planted[33];
        if (!make_image(L, F_RAW, WI_WRONG_GUID, &w, path, sizeof(path))) {
            CHECK(0);
            wi_free(&w);
            continue;
        }
        isf_config(L, cfg, sizeof(cfg), NULL);
        vmi_instance_t vmi = open_image(path, cfg);
        CHECK(vmi == NULL);
        /* Both GUIDs are in the reason. */
        const uint8_t *g = w.guid;
        snprintf(planted, sizeof(planted), "%02X%02X%02X%02X%02X%02X%02X%02X"
                 "%02X%02X%02X%02X%02X%02X%02X%02X", g[3], g[2], g[1], g[0], g[5], g[4],
                 g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
        snprintf(want, sizeof(want), "is %s GUID %s age %u", L->pdb, planted, L->age);
        CHECK(strstr(tvmi_init_errmsg(), want) != NULL);
        CHECK(strstr(tvmi_init_errmsg(), "is for") != NULL);
        if (!strstr(tvmi_init_errmsg(), want))
            fprintf(stderr, "  %s\n", tvmi_init_errmsg());
        vmi_destroy(vmi);
        unlink(path);
        wi_free(&w);
    }
}

/* ---- The crash dump header's facts (driver hints) ---- */

static void offsets_config(const wi_layout_t *L, char *buf, size_t size, const char *extra)
{
    snprintf(buf, size, "win_tasks = 0x%x; win_pdbase = 0x%x; win_pid = 0x%x; "
             "win_pname = 0x%x; %s", L->ep_links, L->ep_dtb, L->ep_pid, L->ep_name,
             extra ? extra : "");
}

/* The file driver's hints, read straight from the driver: what the
 * generator wrote into the header is what comes out; unset fields (0 or
 * the "PAGE" filler) and a MajorVersion that is not 0xF/0xC give nothing;
 * a raw image states nothing, and says so. */
static void test_dump_header_hints(void)
{
    const driver_ops_t *ops = &driver_file_ops;
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        for (int f = 0; f < F_COUNT; f++) {
            wi_image_t w;
            char path[600];
            void *ds = NULL;
            util_err_t err = { "" };
            uint64_t v = 0;
            if (!make_image(L, f, WI_SANE, &w, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            CHECK(ops->hint != NULL);
            CHECK(ops->open(&ds, DRIVER_TARGET_NAMED(path), NULL, &err) == VMI_SUCCESS);
            if (!ds) {
                fprintf(stderr, "  %s: %s\n", path, err.msg);
                unlink(path);
                wi_free(&w);
                continue;
            }
            if (f == F_RAW) {
                CHECK(ops->hint(ds, "win.PsActiveProcessHead", &v, &err) == VMI_FAILURE);
                CHECK(strstr(err.msg, "states nothing about its guest") != NULL);
                CHECK(strstr(err.msg, "win.PsActiveProcessHead") != NULL);
            } else {
                CHECK(ops->hint(ds, "win.PsActiveProcessHead", &v, &err) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.ps_active);
                CHECK(ops->hint(ds, "win.PsLoadedModuleList", &v, &err) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.ps_loaded);
                CHECK(ops->hint(ds, "win.KdDebuggerDataBlock", &v, &err) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.kdbg);
                CHECK(ops->hint(ds, "win.BuildNumber", &v, &err) == VMI_SUCCESS);
                CHECK_EQ_U64(v, L->build);
                CHECK(ops->hint(ds, "win.MachineImageType", &v, &err) == VMI_SUCCESS);
                CHECK_EQ_U64(v, L->ptr == 8 ? 0x8664 : 0x14c);
                if (L->ptr == 4) {
                    CHECK(ops->hint(ds, "win.PaeEnabled", &v, &err) == VMI_SUCCESS);
                    CHECK_EQ_U64(v, L->mode == WI_PAE);
                } else {
                    CHECK(ops->hint(ds, "win.PaeEnabled", &v, &err) == VMI_FAILURE);
                }
                CHECK(ops->hint(ds, "win.NoSuchFact", &v, &err) == VMI_FAILURE);
                CHECK(strstr(err.msg, "does not state win.NoSuchFact") != NULL);
            }
            ops->close(ds);
            if (f != F_RAW) {
                /* Unset fields: KdDebuggerDataBlock as the "PAGE" filler, a
                 * PsActiveProcessHead of 0, and a MajorVersion of 5. */
                FILE *fp = fopen(path, "r+b");
                CHECK(fp != NULL);
                if (fp) {
                    static const uint8_t zero[8], major5[4] = { 5, 0, 0, 0 };
                    CHECK(fseek(fp, L->ptr == 8 ? 0x80 : 0x60, SEEK_SET) == 0);
                    for (unsigned i = 0; i < L->ptr; i += 4)
                        CHECK(fwrite("PAGE", 1, 4, fp) == 4);
                    CHECK(fseek(fp, L->ptr == 8 ? 0x28 : 0x1c, SEEK_SET) == 0);
                    CHECK(fwrite(zero, 1, L->ptr, fp) == L->ptr);
                    CHECK(fseek(fp, 0x08, SEEK_SET) == 0);
                    CHECK(fwrite(major5, 1, 4, fp) == 4);
                    CHECK(fclose(fp) == 0);
                }
                ds = NULL;
                CHECK(ops->open(&ds, DRIVER_TARGET_NAMED(path), NULL, &err) == VMI_SUCCESS);
                if (ds) {
                    CHECK(ops->hint(ds, "win.KdDebuggerDataBlock", &v, &err) == VMI_FAILURE);
                    CHECK(ops->hint(ds, "win.PsActiveProcessHead", &v, &err) == VMI_FAILURE);
                    CHECK(ops->hint(ds, "win.BuildNumber", &v, &err) == VMI_FAILURE);
                    CHECK(ops->hint(ds, "win.PsLoadedModuleList", &v, &err) == VMI_SUCCESS);
                    CHECK_EQ_U64(v, w.ps_loaded);
                    ops->close(ds);
                }
            }
            unlink(path);
            wi_free(&w);
        }
    }
}

/* Another kernel image sits below the real one: a scan of kernel space
 * meets it first, and on a raw image the profile then refuses it.  A crash
 * dump of the same memory names the real kernel's KDBG and module list in
 * its header, so it starts on the right kernel and answers everything. */
static void test_dump_hints_decoy(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        for (int f = 0; f < F_COUNT; f++) {
            wi_image_t w;
            char path[600], cfg[1200], what[128], want[64];
            snprintf(what, sizeof(what), "%s %s with a decoy kernel", L->name, fmt_name[f]);
            if (!make_image(L, f, WI_DECOY, &w, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            isf_config(L, cfg, sizeof(cfg), NULL);
            vmi_instance_t vmi = open_image(path, cfg);
            if (f == F_RAW) {
                /* The scan is fooled: the decoy is taken, and refused. */
                CHECK(vmi == NULL);
                snprintf(want, sizeof(want), "the kernel at 0x%llx is",
                         (unsigned long long)wi_decoy_va(L));
                CHECK(strstr(tvmi_init_errmsg(), want) != NULL);
            } else {
                if (!vmi)
                    fprintf(stderr, "  %s: %s\n", what, tvmi_init_errmsg());
                CHECK(vmi != NULL);
                if (vmi) {
                    addr_t v = 0;
                    CHECK(vmi_get_offset(vmi, "win_ntoskrnl_va", &v) == VMI_SUCCESS);
                    CHECK_EQ_U64(v, L->kbase);
                    check_image(vmi, &w, what);
                }
            }
            vmi_destroy(vmi);
            unlink(path);
            wi_free(&w);
        }
    }
}

/* ntoskrnl's PE header is damaged, so no scan can find the kernel.  A
 * crash dump's header still says where it is (its KDBG's KernBase, its
 * first loaded module) and where the lists are: with LibVMI's offsets the
 * processes and modules are all there, and the build number comes from
 * the header.  A profile cannot be checked against an unreadable image:
 * that fails, saying so. */
static void test_dump_hints_bad_pe(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        for (int f = F_DUMP; f <= F_BITMAP; f++) {
            wi_image_t w;
            char path[600], cfg[1200], what[128];
            snprintf(what, sizeof(what), "%s %s with a damaged kernel PE", L->name,
                     fmt_name[f]);
            if (!make_image(L, f, WI_BAD_PE, &w, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            offsets_config(L, cfg, sizeof(cfg), NULL);
            vmi_instance_t vmi = open_image(path, cfg);
            if (!vmi)
                fprintf(stderr, "  %s: %s\n", what, tvmi_init_errmsg());
            CHECK(vmi != NULL);
            if (vmi) {
                addr_t v = 0;
                CHECK(vmi_get_ostype(vmi) == VMI_OS_WINDOWS);
                CHECK(vmi_get_offset(vmi, "win_ntoskrnl_va", &v) == VMI_SUCCESS);
                CHECK_EQ_U64(v, L->kbase);
                check_processes(vmi, &w, what, false);
                check_modules(vmi, &w, what);
                CHECK(vmi_pid_to_dtb(vmi, 0, &v) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.sys_root);
                CHECK(vmi_translate_ksym2v(vmi, "PsActiveProcessHead", &v) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.ps_active);
                CHECK(vmi_translate_ksym2v(vmi, "PsLoadedModuleList", &v) == VMI_SUCCESS);
                CHECK_EQ_U64(v, w.ps_loaded);
                if (!L->kdbg_encoded) {
                    CHECK(vmi_get_offset(vmi, "win_kdvb", &v) == VMI_SUCCESS);
                    CHECK_EQ_U64(v, w.kdbg);
                }
                /* DUMP_HEADER.MinorVersion is the build number. */
                CHECK_EQ_U64(vmi_get_win_buildnumber(vmi), L->build);
                /* The exports are in the damaged image: unavailable, and said so. */
                CHECK(vmi_translate_ksym2v(vmi, "PsInitialSystemProcess", &v) == VMI_FAILURE);
                CHECK(strstr(tvmi_errmsg(vmi), "exports are unreadable") != NULL);
                vmi_destroy(vmi);
            }
            isf_config(L, cfg, sizeof(cfg), NULL);
            vmi = open_image(path, cfg);
            CHECK(vmi == NULL);
            if (vmi)
                vmi_destroy(vmi);
            CHECK(strstr(tvmi_init_errmsg(), "cannot check profile") != NULL);
            CHECK(strstr(tvmi_init_errmsg(), "PE image is unreadable") != NULL);
            unlink(path);
            wi_free(&w);
        }
    }
}

enum { H_LOADED, H_ACTIVE, H_KDBG };

/* Overwrite one kernel address in a crash dump's header. */
static void patch_hint(const char *path, const wi_layout_t *L, int which, uint64_t value)
{
    static const long off64[] = { 0x20, 0x28, 0x80 }, off32[] = { 0x18, 0x1c, 0x60 };
    unsigned size = L->ptr == 8 ? 8 : 4;
    uint8_t b[8];
    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(value >> (8 * i));
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL);
    if (!fp)
        return;
    CHECK(fseek(fp, L->ptr == 8 ? off64[which] : off32[which], SEEK_SET) == 0);
    CHECK(fwrite(b, 1, size, fp) == size);
    CHECK(fclose(fp) == 0);
}

/* Does msg say that the header's field (holding va) was refused? */
static bool refused(const char *msg, const char *field, unsigned long long va)
{
    char want[160];
    snprintf(want, sizeof(want), "the dump header's %s 0x%llx was refused: ", field, va);
    if (strstr(msg, want))
        return true;
    fprintf(stderr, "  expected \"%s\" in: %s\n", want, msg);
    return false;
}

/* The header lies: its addresses point at unmapped memory, at garbage
 * (int3 filler), or at the other list.  Each is refused after a check;
 * the layer falls back to the KDBG in the kernel image, or, where there is
 * none usable (Windows 10), fails naming the refused hints and why.  With
 * the kernel's PE damaged as well, nothing is left to start from, and the
 * reason names the hints. */
static void test_dump_hints_hostile(void)
{
    enum { UNMAPPED, GARBAGE, SWAPPED, NCASES };
    static const char *const case_name[] = { "unmapped", "garbage", "swapped" };
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        for (int c = 0; c < NCASES; c++) {
            for (int bad_pe = 0; bad_pe < 2; bad_pe++) {
                wi_image_t w;
                char path[600], cfg[1200], what[160];
                snprintf(what, sizeof(what), "%s dump, %s hints%s", L->name, case_name[c],
                         bad_pe ? ", damaged kernel PE" : "");
                if (!make_image(L, F_DUMP, bad_pe ? WI_BAD_PE : WI_SANE, &w, path,
                                sizeof(path))) {
                    CHECK(0);
                    wi_free(&w);
                    continue;
                }
                uint64_t unmapped = L->kbase + 0x10000000ULL, garbage = L->kbase + WI_TEXT;
                uint64_t bad_active = c == UNMAPPED ? unmapped
                                    : c == GARBAGE  ? garbage
                                                    : w.ps_loaded;
                uint64_t bad_loaded = c == UNMAPPED ? unmapped + 0x40
                                    : c == GARBAGE  ? garbage + 0x40
                                                    : w.ps_active;
                patch_hint(path, L, H_ACTIVE, bad_active);
                patch_hint(path, L, H_LOADED, bad_loaded);
                if (c != SWAPPED)
                    patch_hint(path, L, H_KDBG, c == UNMAPPED ? unmapped + 0x80
                                                              : garbage + 0x80);
                offsets_config(L, cfg, sizeof(cfg), "ostype = Windows;");
                vmi_instance_t vmi = open_image(path, cfg);
                const char *m;
                if (bad_pe && (c != SWAPPED || L->kdbg_encoded)) {
                    /* No kernel image, and no header fact to point at one. */
                    CHECK(vmi == NULL);
                    m = tvmi_init_errmsg();
                    CHECK(strstr(m, "no Windows kernel image") != NULL);
                    CHECK(refused(m, "PsLoadedModuleList", bad_loaded));
                    if (c != SWAPPED)
                        CHECK(refused(m, "KdDebuggerDataBlock", bad_active + 0x80));
                    if (c == UNMAPPED)
                        CHECK(strstr(m, "does not translate") != NULL);
                    if (c == SWAPPED)
                        CHECK(strstr(m, "not the kernel") != NULL ||
                              strstr(m, "unreadable") != NULL);
                    vmi_destroy(vmi);
                    unlink(path);
                    wi_free(&w);
                    continue;
                }
                if (!vmi)
                    fprintf(stderr, "  %s: %s\n", what, tvmi_init_errmsg());
                CHECK(vmi != NULL);
                if (!vmi) {
                    unlink(path);
                    wi_free(&w);
                    continue;
                }
                addr_t v = 0;
                CHECK(vmi_get_offset(vmi, "win_ntoskrnl_va", &v) == VMI_SUCCESS);
                CHECK_EQ_U64(v, L->kbase);
                if (!L->kdbg_encoded) {
                    /* The KDBG (the header's when it is sound, else the one
                     * the kernel image holds) has the real list heads. */
                    check_processes(vmi, &w, what, false);
                    check_modules(vmi, &w, what);
                } else {
                    plist_t pl = { .n = 0 };
                    CHECK(tvmi_process_foreach(vmi, collect_proc, &pl) == VMI_FAILURE);
                    m = tvmi_errmsg(vmi);
                    CHECK(strstr(m, "PsActiveProcessHead is unknown") != NULL);
                    CHECK(refused(m, "PsActiveProcessHead", bad_active));
                    if (c == SWAPPED)
                        CHECK(strstr(m, "not System") != NULL ||
                              strstr(m, "first process is unreadable") != NULL);
                    mlist_t ml = { .n = 0 };
                    CHECK(tvmi_module_foreach(vmi, collect_mod, &ml) == VMI_FAILURE);
                    m = tvmi_errmsg(vmi);
                    CHECK(strstr(m, "PsLoadedModuleList is unknown") != NULL);
                    CHECK(refused(m, "PsLoadedModuleList", bad_loaded));
                }
                vmi_destroy(vmi);
                if (!bad_pe) {
                    /* A profile's symbols come before the header: all is well. */
                    isf_config(L, cfg, sizeof(cfg), NULL);
                    vmi = open_image(path, cfg);
                    CHECK(vmi != NULL);
                    if (vmi) {
                        check_processes(vmi, &w, what, true);
                        check_modules(vmi, &w, what);
                        vmi_destroy(vmi);
                    }
                }
                unlink(path);
                wi_free(&w);
            }
        }
    }
}

static void truncate_file(const char *path, long keep)
{
    CHECK(truncate(path, keep) == 0);
}

static void test_damaged_dumps(void)
{
    const wi_layout_t *L32 = wi_layout("xp-sp3-x86-pae"), *L64 = wi_layout("win7-sp1-x64");
    const wi_layout_t *both[2] = { L32, L64 };
    for (int k = 0; k < 2; k++) {
        const wi_layout_t *L = both[k];
        for (int f = F_DUMP; f <= F_BITMAP; f++) {
            wi_image_t w;
            char path[600];
            if (!make_image(L, f, WI_SANE, &w, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            /* Cut the last pages off: the header promises more. */
            FILE *fp = fopen(path, "rb");
            long size = 0;
            if (fp) {
                fseek(fp, 0, SEEK_END);
                size = ftell(fp);
                fclose(fp);
            }
            truncate_file(path, size - 0x3000);
            vmi_instance_t vmi = open_image(path, "");
            CHECK(vmi == NULL);
            if (!strstr(tvmi_init_errmsg(), "crash dump is truncated"))
                fprintf(stderr, "  %s: %s\n", path, tvmi_init_errmsg());
            CHECK(strstr(tvmi_init_errmsg(), "crash dump is truncated") != NULL);
            vmi_destroy(vmi);
            /* Cut into the header itself. */
            truncate_file(path, L->ptr == 8 ? 0x1800 : 0x800);
            vmi = open_image(path, "");
            CHECK(vmi == NULL);
            CHECK(strstr(tvmi_init_errmsg(), "crash dump is truncated") != NULL);
            vmi_destroy(vmi);
            unlink(path);
            wi_free(&w);
        }
    }

    /* A bitmap whose count disagrees with its bits, and a mini dump. */
    wi_image_t w;
    char path[600];
    if (make_image(L64, F_BITMAP, WI_SANE, &w, path, sizeof(path))) {
        FILE *fp = fopen(path, "r+b");
        CHECK(fp != NULL);
        if (fp) {
            uint8_t b;
            fseek(fp, 0x2000 + 0x28, SEEK_SET); /* stored page count */
            CHECK(fread(&b, 1, 1, fp) == 1);
            b ^= 1;
            fseek(fp, 0x2000 + 0x28, SEEK_SET);
            CHECK(fwrite(&b, 1, 1, fp) == 1);
            fclose(fp);
        }
        vmi_instance_t vmi = open_image(path, "");
        CHECK(vmi == NULL);
        CHECK(strstr(tvmi_init_errmsg(), "bitmap dump") != NULL);
        vmi_destroy(vmi);
        fp = fopen(path, "r+b");
        if (fp) {
            uint8_t four[4] = { 4, 0, 0, 0 };
            fseek(fp, 0xf98, SEEK_SET); /* DumpType */
            CHECK(fwrite(four, 1, 4, fp) == 4);
            fclose(fp);
        }
        vmi = open_image(path, "");
        CHECK(vmi == NULL);
        /* A bitmap dump relabelled as a triage dump has no TRIAGE_DUMP. */
        CHECK(strstr(tvmi_init_errmsg(), "triage dump") != NULL);
        vmi_destroy(vmi);
        unlink(path);
    }
    wi_free(&w);
}

/* A profile for the wrong pointer width, and a Linux table as a Windows
 * profile, are refused before any guessing. */
static void test_profile_mismatch(void)
{
    const wi_layout_t *L = wi_layout("win7-sp1-x64"), *X = wi_layout("xp-sp3-x86");
    wi_image_t w;
    char path[600], cfg[1200];
    if (!make_image(L, F_RAW, WI_SANE, &w, path, sizeof(path))) {
        CHECK(0);
        wi_free(&w);
        return;
    }
    isf_config(X, cfg, sizeof(cfg), "ostype = Windows;");
    vmi_instance_t vmi = open_image(path, cfg);
    CHECK(vmi == NULL);
    CHECK(strstr(tvmi_init_errmsg(), "is for a 32-bit kernel") != NULL);
    vmi_destroy(vmi);
    snprintf(cfg, sizeof(cfg), "ostype = Windows; volatility_ist = \"%s/nonexistent.json\";",
             datadir);
    vmi = open_image(path, cfg);
    CHECK(vmi == NULL);
    CHECK(strstr(tvmi_init_errmsg(), "nonexistent.json") != NULL);
    vmi_destroy(vmi);
    snprintf(cfg, sizeof(cfg), "ostype = Windows; rekall_profile = /x.json;");
    vmi = open_image(path, cfg);
    CHECK(vmi == NULL);
    CHECK(strstr(tvmi_init_errmsg(), "Rekall profiles are not supported") != NULL);
    vmi_destroy(vmi);
    unlink(path);
    wi_free(&w);
}

/* ---- LibVMI's peparse calls and page lists on the images ---- */

/* The image of layout L opened without an OS layer, through the page table
 * the generator built for System. */
static vmi_instance_t open_bare(const wi_image_t *w, const char *path, const char *extra)
{
    char cfg[256];
    snprintf(cfg, sizeof(cfg), "ostype = none; pagemode = %s; kpgd = 0x%llx; %s",
             w->L->mode == WI_LEGACY ? "legacy" : w->L->mode == WI_PAE ? "pae" : "ia32e",
             (unsigned long long)w->sys_root, extra ? extra : "");
    vmi_instance_t vmi = open_image(path, cfg);
    if (!vmi)
        fprintf(stderr, "  %s: %s\n", path, tvmi_init_errmsg());
    return vmi;
}

/* The module at base exports what the generator planted (names sorted). */
static void check_exports(vmi_instance_t vmi, addr_t base, const char *dll,
                          const wi_export_t *want, size_t n)
{
    struct export_table et;
    addr_t rva = 0;
    size_t size = 0;
    uint8_t hdr[4096];
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0, .addr = base);

    CHECK(peparse_get_image(vmi, &ctx, sizeof(hdr), hdr) == VMI_SUCCESS);
    CHECK(peparse_get_export_table(vmi, &ctx, &et, &rva, &size) == VMI_SUCCESS);
    CHECK_EQ_U64(rva, WI_RDATA + 0x400);   /* where wi_build_pe puts it */
    CHECK_EQ_U64(size, 0xd00);
    CHECK_EQ_U64(et.export_flags, 0);
    CHECK_EQ_U64(et.base, 1);
    CHECK_EQ_U64(et.number_of_functions, n);
    CHECK_EQ_U64(et.number_of_names, n);
    ctx.addr = base + et.name;
    char *name = vmi_read_str(vmi, &ctx);
    CHECK_STREQ(name, dll);
    free(name);
    for (uint32_t i = 0; i < et.number_of_names && i < n; i++) {
        uint32_t name_rva = 0, fn = 0;
        uint16_t ord = 0;
        ctx.addr = base + et.address_of_names + 4 * i;
        CHECK(vmi_read_32(vmi, &ctx, &name_rva) == VMI_SUCCESS);
        ctx.addr = base + et.address_of_name_ordinals + 2 * i;
        CHECK(vmi_read_16(vmi, &ctx, &ord) == VMI_SUCCESS);
        ctx.addr = base + et.address_of_functions + 4 * (addr_t)ord;
        CHECK(vmi_read_32(vmi, &ctx, &fn) == VMI_SUCCESS);
        ctx.addr = base + name_rva;
        name = vmi_read_str(vmi, &ctx);
        CHECK_STREQ(name, want[i].name);
        free(name);
        if (!want[i].forwarder)
            CHECK_EQ_U64(fn, want[i].rva);
        else
            CHECK(fn >= rva && fn < rva + size);
    }
}

static void test_peparse_on_images(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        wi_image_t w;
        char path[600];
        struct export_table et;
        if (!make_image(L, F_RAW, WI_SANE, &w, path, sizeof(path))) {
            CHECK(0);
            wi_free(&w);
            continue;
        }
        vmi_instance_t vmi = open_bare(&w, path, NULL);
        CHECK(vmi != NULL);
        if (vmi) {
            check_exports(vmi, L->kbase, L->mode == WI_PAE ? "ntkrnlpa.exe" : "ntoskrnl.exe",
                          wi_nt_exports, WI_NT_NEXPORTS);
            check_exports(vmi, L->hal_base, "hal.dll", wi_hal_exports, WI_HAL_NEXPORTS);
            /* kdcom.dll is listed, but its image was never written. */
            ACCESS_CONTEXT(kd, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0,
                           .addr = w.mods[2].base);
            CHECK(peparse_get_export_table(vmi, &kd, &et, NULL, NULL) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "not present") != NULL);
            ACCESS_CONTEXT(sym, .translate_mechanism = VMI_TM_KERNEL_SYMBOL, .ksym = "nt");
            CHECK(peparse_get_export_table(vmi, &sym, &et, NULL, NULL) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "base address, not a symbol") != NULL);
            vmi_destroy(vmi);
        }
        unlink(path);
        wi_free(&w);

        /* The damaged kernel header is refused with the reason. */
        if (!make_image(L, F_RAW, WI_BAD_PE, &w, path, sizeof(path))) {
            CHECK(0);
            wi_free(&w);
            continue;
        }
        vmi = open_bare(&w, path, NULL);
        if (vmi) {
            uint8_t hdr[1024];
            ACCESS_CONTEXT(nt, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0,
                           .addr = L->kbase);
            CHECK(peparse_get_image(vmi, &nt, sizeof(hdr), hdr) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "no PE signature at e_lfanew 0x80") != NULL);
            CHECK(peparse_get_export_table(vmi, &nt, &et, NULL, NULL) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "no PE signature") != NULL);
            vmi_destroy(vmi);
        }
        unlink(path);
        wi_free(&w);
    }
}

/* Every page of every process's page table, against the generator's own
 * walker (wi_v2p): the same frame for each page listed, and the pages the
 * generator mapped on purpose are there: the kernel, the PEB (user), the
 * self-map (the root table at its own address). */
static bool listed(const tvmi_list_t *l, addr_t va, addr_t *pa)
{
    for (; l; l = l->next) {
        const page_info_t *p = l->data;
        if (va >= p->vaddr && va - p->vaddr < p->size) {
            *pa = p->paddr + (va - p->vaddr);
            return true;
        }
    }
    return false;
}

static addr_t selfmap_va(const wi_layout_t *L)
{
    uint64_t s = L->selfmap;
    if (L->mode == WI_IA32E)
        return 0xffff000000000000ULL | s << 39 | s << 30 | s << 21 | s << 12;
    if (L->mode == WI_LEGACY)
        return (s << 22) | (s << 12);
    return 0; /* PAE: the four directories, not one root, are mapped */
}

static void test_va_pages_on_images(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        wi_image_t w;
        char path[600];
        if (!make_image(L, F_RAW, WI_SANE, &w, path, sizeof(path))) {
            CHECK(0);
            wi_free(&w);
            continue;
        }
        vmi_instance_t vmi = open_bare(&w, path, NULL);
        CHECK(vmi != NULL);
        for (size_t i = 0; vmi && i < WI_NPROCS; i++) {
            const wi_proc_t *proc = &w.procs[i];
            tvmi_list_t *l = tvmi_get_va_pages(vmi, proc->dtb);
            size_t n = 0, bad = 0;
            addr_t pa = 0, want = 0;
            if (!l)
                fprintf(stderr, "  %s pid %u: %s\n", L->name, proc->pid, tvmi_errmsg(vmi));
            CHECK(l != NULL);
            for (const tvmi_list_t *p = l; p; p = p->next, n++) {
                const page_info_t *pg = p->data;
                if (pg->pt != proc->dtb || !wi_v2p(&w, proc->dtb, pg->vaddr, &want) ||
                    want != pg->paddr)
                    bad++;
            }
            CHECK_EQ_U64(bad, 0);
            CHECK(listed(l, L->kbase, &pa));
            CHECK(wi_v2p(&w, proc->dtb, L->kbase, &want) && pa == want);
            if (i)
                CHECK(listed(l, L->peb, &pa));
            if (selfmap_va(L))
                CHECK(listed(l, selfmap_va(L), &pa) && pa == proc->dtb);
            /* The nested form without a nested table is the same list. */
            tvmi_list_t *same = vmi_get_nested_va_pages(
                vmi, 0, VMI_PM_NONE, proc->dtb, vmi_get_page_mode(vmi, 0));
            size_t m = 0;
            for (const tvmi_list_t *p = same; p; p = p->next)
                m++;
            CHECK_EQ_U64(m, n);
            tvmi_free_va_pages(same);
            tvmi_free_va_pages(l);
        }
        vmi_destroy(vmi);

        /* A limit below what the table maps: no list, and why. */
        vmi = open_bare(&w, path, "va_pages_max = 10;");
        if (vmi) {
            CHECK(tvmi_get_va_pages(vmi, w.sys_root) == NULL);
            CHECK(strstr(tvmi_errmsg(vmi), "maps more than 10 pages") != NULL);
            vmi_destroy(vmi);
        }
        vmi = open_bare(&w, path, "va_pages_max = lots;");
        if (vmi) {
            CHECK(tvmi_get_va_pages(vmi, w.sys_root) == NULL);
            CHECK(strstr(tvmi_errmsg(vmi), "va_pages_max") != NULL);
            vmi_destroy(vmi);
        }
        unlink(path);
        wi_free(&w);
    }
}

int main(void)
{
    wi_datadir(datadir, sizeof(datadir), __FILE__);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    TEST_RUN(test_layouts);
    TEST_RUN(test_without_profile);
    TEST_RUN(test_encoded_kdbg);
    TEST_RUN(test_cyclic_list);
    TEST_RUN(test_bad_pe);
    TEST_RUN(test_dump_header_hints);
    TEST_RUN(test_dump_hints_decoy);
    TEST_RUN(test_dump_hints_bad_pe);
    TEST_RUN(test_dump_hints_hostile);
    TEST_RUN(test_wrong_guid);
    TEST_RUN(test_damaged_dumps);
    TEST_RUN(test_profile_mismatch);
    TEST_RUN(test_peparse_on_images);
    TEST_RUN(test_va_pages_on_images);
    rmdir(tmpdir);
    TEST_DONE();
}
