/*
 * test_windows_dumps.c - Windows crash dumps of every kind, on the dumps
 * tests/helpers/winimage.h writes from Microsoft's layouts: every header
 * fact the generator wrote is the fact the file driver states (full,
 * bitmap, kernel, bitmap kernel, ntiodump.h's older summary layout,
 * header-only and triage dumps, 32- and 64-bit); a triage dump opens with
 * no configuration, names its kernel and lists its modules from its own
 * driver list, reads the memory it holds and fails, saying why, for memory
 * it does not; and damaged triage dumps end with their reason.
 *
 * "The generator wrote X; TinyVMI says X."  These are generated dumps, not
 * real ones; docs/windows.md says so.
 */
#include "test.h"

#include <unistd.h>

#include <libvmi/libvmi.h>
#include "../helpers/winimage.h"
#include "driver/driver.h"

extern const driver_ops_t driver_file_ops;

static char tmpdir[] = "/tmp/tvmi-windump-XXXXXX";
static char datadir[512];

static const char *const kind_name[WI_DUMP_NKINDS] = {
    "full", "bitmap", "kernel", "bitmap-kernel", "summary-old64", "header", "triage",
    "triage-kpe",
};

static const char *make_dump(const wi_layout_t *L, wi_dump_kind_t kind, wi_triage_hostile_t x,
                             wi_image_t *w, wi_dump_truth_t *t, char *path, size_t size)
{
    wi_build(w, L, WI_SANE);
    snprintf(path, size, "%s/%s-%s-%d.dmp", tmpdir, L->name, kind_name[kind], (int)x);
    if (!wi_write_dump_x(w, path, kind, x, t)) {
        fprintf(stderr, "  cannot write %s\n", path);
        return NULL;
    }
    return path;
}

/* ---- The driver's facts against the generator's ---- */

static bool num(void *ds, const char *key, uint64_t *v)
{
    util_err_t err = { "" };
    return driver_file_ops.hint(ds, key, v, &err) == VMI_SUCCESS;
}

static void check_num(void *ds, const char *key, uint64_t want, const char *what)
{
    uint64_t v = ~want;
    bool ok = num(ds, key, &v);
    if (!ok || v != want)
        fprintf(stderr, "  %s: %s is %s0x%llx, the generator wrote 0x%llx\n", what, key,
                ok ? "" : "missing, not ", (unsigned long long)v, (unsigned long long)want);
    CHECK(ok && v == want);
}

static const char *text(void *ds, const char *key)
{
    driver_fact_t f;
    for (size_t i = 0; driver_file_ops.fact(ds, i, &f); i++)
        if (!strcmp(f.key, key))
            return f.text;
    return NULL;
}

static void check_text(void *ds, const char *key, const char *want, const char *what)
{
    const char *got = text(ds, key);
    if (!got || strcmp(got, want))
        fprintf(stderr, "  %s: %s is \"%s\", the generator wrote \"%s\"\n", what, key,
                got ? got : "(missing)", want);
    CHECK(got && !strcmp(got, want));
}

static void check_absent(void *ds, const char *key, const char *what)
{
    uint64_t v;
    if (num(ds, key, &v))
        fprintf(stderr, "  %s: %s is stated (0x%llx) though the generator left it unset\n",
                what, key, (unsigned long long)v);
    CHECK(!num(ds, key, &v) && !text(ds, key));
}

static void check_reg(void *ds, reg_t reg, uint64_t want)
{
    uint64_t v = 0;
    util_err_t err = { "" };
    CHECK(driver_file_ops.get_vcpureg(ds, &v, reg, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, want);
}

/* The bytes a held run should read as: the image's memory, except the
 * KDBG copy, which the kernel writes decoded. */
static void expected_bytes(wi_image_t *w, const wi_vrun_t *r, uint8_t *buf)
{
    if (!strcmp(r->what, "the debugger data"))
        memcpy(buf, w->kdbg_plain, r->len);
    else
        wi_read_va(w, r->va, buf, r->len);
}

static void check_header_facts(void *ds, const wi_image_t *w, const wi_dump_truth_t *t,
                               const char *what)
{
    const wi_layout_t *L = w->L;
    bool wide = L->ptr == 8;
    check_num(ds, "win.DumpType", t->type, what);
    check_num(ds, "win.MajorVersion", 0xf, what);
    check_num(ds, "win.MinorVersion", L->build, what);
    check_num(ds, "win.BuildNumber", L->build, what);
    check_num(ds, "win.DirectoryTableBase", w->sys_root, what);
    check_num(ds, "win.PfnDataBase", wide ? 0xfffffa8000000000ULL : 0x81000000ULL, what);
    check_num(ds, "win.PsLoadedModuleList", w->ps_loaded, what);
    check_num(ds, "win.PsActiveProcessHead", w->ps_active, what);
    check_num(ds, "win.KdDebuggerDataBlock", w->kdbg, what);
    check_num(ds, "win.MachineImageType", wide ? 0x8664 : 0x14c, what);
    check_num(ds, "win.NumberProcessors", t->nproc, what);
    check_num(ds, "win.BugCheckCode", t->bugcheck, what);
    check_num(ds, "win.BugCheckParameter1", t->param[0], what);
    check_num(ds, "win.BugCheckParameter2", t->param[1], what);
    check_num(ds, "win.BugCheckParameter3", t->param[2], what);
    check_num(ds, "win.BugCheckParameter4", t->param[3], what);
    check_num(ds, "win.KdSecondaryVersion", t->kd_secondary, what);
    check_num(ds, "win.SystemTime", t->systime, what);
    check_num(ds, "win.SystemUpTime", t->uptime, what);
    check_num(ds, "win.RequiredDumpSpace", t->required, what);
    check_num(ds, "win.ProductType", t->product, what);
    check_num(ds, "win.SuiteMask", t->suite, what);
    check_num(ds, "win.BootId", t->boot_id, what);
    check_num(ds, "win.SecondaryDataState", 0, what);
    check_num(ds, "win.WriterStatus", 0, what);
    check_num(ds, "win.Attributes", 0, what);
    check_text(ds, "win.Comment", t->comment, what);
    check_text(ds, "win.VersionUser", t->version_user, what);
    check_num(ds, "win.Exception.Code", t->exc_code, what);
    check_num(ds, "win.Exception.Flags", t->exc_flags, what);
    check_num(ds, "win.Exception.Record", 0, what);
    check_num(ds, "win.Exception.Address", t->exc_address, what);
    check_num(ds, "win.Exception.NumberParameters", 2, what);
    check_num(ds, "win.Exception.Information.0", t->exc_info[0], what);
    check_num(ds, "win.Exception.Information.1", t->exc_info[1], what);
    check_absent(ds, "win.Exception.Information.2", what);
    check_num(ds, "win.ContextFlags", t->ctx_flags, what);
    check_num(ds, "win.PhysicalMemoryBlock.NumberOfRuns", 2, what);
    check_num(ds, "win.PhysicalMemoryBlock.NumberOfPages", 0x9f + w->memsize / 0x1000 - 0x100,
              what);
    check_num(ds, "win.PhysicalMemoryBlock.Run.1.BasePage", 0x100, what);
    if (wide)
        check_absent(ds, "win.PaeEnabled", what);
    else
        check_num(ds, "win.PaeEnabled", L->mode == WI_PAE, what);
    if (t->type == 4)
        check_num(ds, "win.MiniDumpFields", t->minidump_fields, what);
    else
        check_absent(ds, "win.MiniDumpFields", what);  /* the "PAGE" filler */
    /* The context record's registers, as vCPU 0's. */
    check_reg(ds, RIP, t->rip);
    check_reg(ds, RSP, t->rsp);
    check_reg(ds, RAX, t->rax);
    check_reg(ds, RBX, t->rbx);
    check_reg(ds, RFLAGS, 0x246);
    check_reg(ds, CR3, w->sys_root);
}

/* Every dump kind, both widths: the header's facts, then what the kind
 * adds (the summary block; the triage data and the memory it holds). */
static void test_dump_facts(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        for (int k = 0; k < WI_DUMP_NKINDS; k++) {
            wi_image_t w;
            wi_dump_truth_t t;
            char path[600], what[128];
            void *ds = NULL;
            util_err_t err = { "" };
            snprintf(what, sizeof(what), "%s %s dump", L->name, kind_name[k]);
            if (!make_dump(L, (wi_dump_kind_t)k, WI_TRIAGE_SANE, &w, &t, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            if (driver_file_ops.open(&ds, DRIVER_TARGET_NAMED(path), NULL, &err) != VMI_SUCCESS) {
                fprintf(stderr, "  %s: %s\n", what, err.msg);
                CHECK(0);
                unlink(path);
                wi_free(&w);
                continue;
            }
            check_header_facts(ds, &w, &t, what);
            bool bitmap = k == WI_DUMP_BITMAP || k == WI_DUMP_KERNEL ||
                          k == WI_DUMP_BITMAP_KERNEL || k == WI_DUMP_SUMMARY_OLD64;
            if (bitmap) {
                bool wide_fields = k == WI_DUMP_BITMAP_KERNEL ||
                                   (L->ptr == 8 && k != WI_DUMP_SUMMARY_OLD64);
                check_text(ds, "win.Summary.Signature", t.type == 5 ? "FDMP" : "SDMP", what);
                const char *lay = text(ds, "win.Summary.Layout");
                CHECK(lay && strstr(lay, wide_fields ? "64-bit fields" : "SUMMARY_DUMP"));
                check_num(ds, "win.Summary.HeaderSize", t.first_page, what);
                check_num(ds, "win.Summary.BitmapSize", t.bitmap_bits, what);
                check_num(ds, "win.Summary.Pages", t.pages_stored, what);
                check_num(ds, "win.Summary.DumpOptions", 1, what);
                CHECK_EQ_U64(driver_file_ops.memsize(ds), t.pages_stored * 0x1000);
            } else {
                check_absent(ds, "win.Summary.Signature", what);
            }
            bool triage = k == WI_DUMP_TRIAGE || k == WI_DUMP_TRIAGE_KPE;
            if (k == WI_DUMP_HEADER || triage) {
                /* No physical memory at all, and a read says what the dump is. */
                uint8_t b[8];
                size_t done;
                CHECK_EQ_U64(driver_file_ops.memsize(ds), 0);
                CHECK(driver_file_ops.read(ds, 0x1000, b, 8, &done, &err) == VMI_FAILURE);
                CHECK(strstr(err.msg, triage ? "triage dump" : "header-only") != NULL);
                CHECK(strstr(err.msg, "holds no memory by physical address") != NULL);
            }
            if (triage) {
                check_num(ds, "win.Triage.SizeOfDump", t.size, what);
                check_num(ds, "win.Triage.ValidOffset", t.valid_off, what);
                check_num(ds, "win.Triage.ServicePackBuild", 0x100, what);
                check_num(ds, "win.Triage.ContextOffset", L->ptr == 8 ? 0x348 : 0x320, what);
                check_num(ds, "win.Triage.ExceptionOffset", L->ptr == 8 ? 0xf00 : 0x7d0,
                          what);
                check_num(ds, "win.Triage.MmOffset", t.mm_off, what);
                check_num(ds, "win.Triage.UnloadedDriversOffset", t.unloaded_off, what);
                check_num(ds, "win.Triage.PrcbOffset", t.prcb_off, what);
                check_num(ds, "win.Triage.ProcessOffset", t.process_off, what);
                check_num(ds, "win.Triage.ThreadOffset", t.thread_off, what);
                check_num(ds, "win.Triage.DriverListOffset", t.list_off, what);
                check_num(ds, "win.Triage.DriverCount", WI_NMODS, what);
                check_num(ds, "win.Triage.StringPoolOffset", t.pool_off, what);
                check_num(ds, "win.Triage.StringPoolSize", t.pool_size, what);
                check_num(ds, "win.Triage.BrokenDriverOffset", t.broken_off, what);
                check_num(ds, "win.Triage.BrokenDriver", 3, what);
                check_num(ds, "win.Triage.TriageOptions", 0x5a5, what);
                check_num(ds, "win.Triage.TopOfStack", t.rsp, what);
                check_num(ds, "win.Triage.SizeOfCallStack", 0x800, what);
                check_num(ds, "win.Triage.DataBlocksCount", k == WI_DUMP_TRIAGE_KPE ? 4 : 2,
                          what);
                check_num(ds, "win.Triage.DebuggerDataSize", L->kdbg_size, what);
                for (size_t i = 0; i < WI_NMODS; i++) {
                    char key[80];
#define MOD(field) (snprintf(key, sizeof(key), "win.Triage.Module.%zu." field, i), key)
                    check_text(ds, MOD("Name"), w.mods[i].name, what);
                    check_text(ds, MOD("Path"), t.path[i], what);
                    check_num(ds, MOD("DllBase"), w.mods[i].base, what);
                    check_num(ds, MOD("SizeOfImage"), w.mods[i].size, what);
                    check_num(ds, MOD("CheckSum"), t.checksum[i], what);
                    if (L->ptr == 8)
                        check_num(ds, MOD("TimeDateStamp"), t.timestamp[i], what);
                    else
                        check_absent(ds, MOD("TimeDateStamp"), what);
#undef MOD
                }
                /* Every run it holds reads back; the bytes just past one do
                 * not, and the reason says what the dump is. */
                for (unsigned i = 0; i < t.nvruns; i++) {
                    const wi_vrun_t *r = &t.vruns[i];
                    uint8_t *want = malloc(r->len), *got = malloc(r->len);
                    size_t done = 0;
                    expected_bytes(&w, r, want);
                    CHECK(driver_file_ops.read_va(ds, r->va, got, r->len, &done, &err) ==
                          VMI_SUCCESS);
                    CHECK(memcmp(want, got, r->len) == 0);
                    free(want);
                    free(got);
                }
                uint8_t b[16];
                size_t done = 0;
                CHECK(driver_file_ops.read_va(ds, L->hal_base, b, 8, &done, &err) ==
                      VMI_FAILURE);
                CHECK(strstr(err.msg, "is not held by a Windows kernel triage dump") != NULL);
                /* A read running off the end of a run keeps what it got. */
                const wi_vrun_t *stack = &t.vruns[0];
                CHECK(driver_file_ops.read_va(ds, stack->va + stack->len - 8, b, 16, &done,
                                              &err) == VMI_FAILURE);
                CHECK_EQ_U64(done, 8);
            }
            driver_file_ops.close(ds);
            unlink(path);
            wi_free(&w);
        }
    }
}

/* ---- Triage dumps through the whole library ---- */

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

static vmi_instance_t open_dump(const char *path, const char *config)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t ierr;
    if (vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                          (void *)config, &ierr) != VMI_SUCCESS)
        return NULL;
    return vmi;
}

/* No configuration: Windows, its kernel and build, the modules from the
 * driver list, the memory the dump holds by virtual address, a reason for
 * the rest. */
static void test_triage_open(void)
{
    for (size_t li = 0; li < WI_NLAYOUTS; li++) {
        const wi_layout_t *L = &wi_layouts[li];
        for (int kpe = 0; kpe < 2; kpe++) {
            wi_image_t w;
            wi_dump_truth_t t;
            char path[600], what[128];
            snprintf(what, sizeof(what), "%s triage dump%s", L->name,
                     kpe ? " with ntoskrnl's headers" : "");
            if (!make_dump(L, kpe ? WI_DUMP_TRIAGE_KPE : WI_DUMP_TRIAGE, WI_TRIAGE_SANE, &w,
                           &t, path, sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            vmi_instance_t vmi = open_dump(path, "");
            if (!vmi)
                fprintf(stderr, "  %s: %s\n", what, tvmi_init_errmsg());
            CHECK(vmi != NULL);
            if (!vmi) {
                unlink(path);
                wi_free(&w);
                continue;
            }
            addr_t v = 0;
            CHECK(vmi_get_ostype(vmi) == VMI_OS_WINDOWS);
            CHECK(vmi_get_offset(vmi, "win_ntoskrnl_va", &v) == VMI_SUCCESS);
            CHECK_EQ_U64(v, L->kbase);
            /* The KDBG copy checks out (tag, size, KernBase). */
            CHECK(vmi_get_offset(vmi, "win_kdvb", &v) == VMI_SUCCESS);
            CHECK_EQ_U64(v, w.kdbg);
            CHECK_EQ_U64(vmi_get_win_buildnumber(vmi), L->build);
            CHECK_EQ_U64(vmi_get_memsize(vmi), 0);

            mlist_t ml = { .n = 0 };
            CHECK(tvmi_module_foreach(vmi, collect_mod, &ml) == VMI_SUCCESS);
            CHECK_EQ_U64(ml.n, WI_NMODS);
            for (size_t i = 0; i < ml.n && i < WI_NMODS; i++) {
                CHECK_STREQ(ml.m[i].name, w.mods[i].name);
                CHECK_EQ_U64(ml.m[i].base, w.mods[i].base);
                CHECK_EQ_U64(ml.m[i].size, w.mods[i].size);
                CHECK_EQ_U64(ml.m[i].object, w.mods[i].entry);
            }

            /* Held: the System EPROCESS (a data block), the list heads. */
            uint8_t got[0x100], want[0x100];
            wi_read_va(&w, w.procs[0].eprocess, want, sizeof(want));
            CHECK(vmi_read_va(vmi, w.procs[0].eprocess, 0, sizeof(got), got, NULL) ==
                  VMI_SUCCESS);
            CHECK(memcmp(got, want, sizeof(got)) == 0);
            CHECK(vmi_read_addr_va(vmi, w.ps_loaded, 0, &v) == VMI_SUCCESS);
            CHECK_EQ_U64(v, w.mods[0].entry);
            /* Not held: the reason names the address and the dump kind. */
            CHECK(vmi_read_va(vmi, L->hal_base, 0, 8, got, NULL) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "is not held by a Windows kernel triage dump") !=
                  NULL);
            CHECK(vmi_read_pa(vmi, 0x1000, 8, got, NULL) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "holds no memory by physical address") != NULL);
            /* The kernel's image: held only in the second dump. */
            uint8_t mz[2];
            CHECK((vmi_read_va(vmi, L->kbase, 0, 2, mz, NULL) == VMI_SUCCESS) == (kpe == 1));
            /* The facts through the public API. */
            tvmi_fact_t f;
            CHECK(tvmi_get_fact_by_key(vmi, "win.BugCheckCode", &f) == VMI_SUCCESS);
            CHECK_EQ_U64(f.value, t.bugcheck);
            CHECK(tvmi_get_fact_by_key(vmi, "win.Comment", &f) == VMI_SUCCESS);
            CHECK(f.text && !strcmp(f.text, t.comment));
            CHECK(tvmi_get_fact_by_key(vmi, "win.NoSuchFact", &f) == VMI_FAILURE);
            CHECK(strstr(tvmi_errmsg(vmi), "does not state win.NoSuchFact") != NULL);
            size_t n = 0;
            while (tvmi_get_fact(vmi, n, &f) == VMI_SUCCESS)
                n++;
            CHECK(n > 60);
            CHECK(strstr(tvmi_errmsg(vmi), "facts (asked for fact") != NULL);
            vmi_destroy(vmi);

            /* With LibVMI's offsets the process list starts, then stops
             * where the dump stops holding memory, saying so. */
            char cfg[1200];
            snprintf(cfg, sizeof(cfg), "win_tasks = 0x%x; win_pdbase = 0x%x; win_pid = 0x%x; "
                     "win_pname = 0x%x;", L->ep_links, L->ep_dtb, L->ep_pid, L->ep_name);
            vmi = open_dump(path, cfg);
            CHECK(vmi != NULL);
            if (vmi) {
                mlist_t dummy = { .n = 0 };
                CHECK(tvmi_process_foreach(vmi, (tvmi_process_fn)collect_mod, &dummy) ==
                      VMI_FAILURE);
                CHECK(strstr(tvmi_errmsg(vmi), "not held by a Windows kernel triage dump") !=
                      NULL);
                vmi_destroy(vmi);
            }
            /* A profile can be checked only against a readable kernel image. */
            snprintf(cfg, sizeof(cfg), "volatility_ist = \"%s/%s\";", datadir, L->isf);
            vmi = open_dump(path, cfg);
            CHECK((vmi != NULL) == (kpe == 1));
            if (!vmi)
                CHECK(strstr(tvmi_init_errmsg(), "cannot check profile") != NULL);
            vmi_destroy(vmi);
            unlink(path);
            wi_free(&w);
        }
    }
}

/* Damaged triage dumps: each ends with its reason; overlapping data blocks
 * are read as the block listed first says. */
static void test_triage_hostile(void)
{
    static const char *const want[WI_TRIAGE_NHOSTILE][2] = {
        [WI_TRIAGE_TRUNCATED] = { "triage dump is truncated", "SizeOfDump" },
        [WI_TRIAGE_NO_VALID] = { "no TRIAGE_DUMP_VALID mark", "ValidOffset" },
        [WI_TRIAGE_VALID_PAST_END] = { "ValidOffset", "lies past the end of the dump" },
        [WI_TRIAGE_BLOCKS_HUGE] = { "DataBlocksCount", "is absurd" },
        [WI_TRIAGE_BLOCK_PAST_END] = { "data block 1", "lies past the end of the dump" },
        [WI_TRIAGE_BLOCK_WRAPS] = { "data block 1", "is not an address range" },
        [WI_TRIAGE_DRIVERS_HUGE] = { "DriverCount", "is absurd" },
        [WI_TRIAGE_NAME_OUTSIDE] = { "driver 1", "outside the string pool" },
        [WI_TRIAGE_NAME_UNTERMINATED] = { "driver 0", "not a terminated string" },
        [WI_TRIAGE_STRIDE] = { "triage dump: driver 1", "outside the string pool" },
    };
    const wi_layout_t *both[2] = { wi_layout("xp-sp3-x86"), wi_layout("win10-x64") };
    for (int li = 0; li < 2; li++) {
        const wi_layout_t *L = both[li];
        for (int x = 1; x < WI_TRIAGE_NHOSTILE; x++) {
            wi_image_t w;
            wi_dump_truth_t t;
            char path[600];
            void *ds = NULL;
            util_err_t err = { "" };
            if (!make_dump(L, WI_DUMP_TRIAGE, (wi_triage_hostile_t)x, &w, &t, path,
                           sizeof(path))) {
                CHECK(0);
                wi_free(&w);
                continue;
            }
            status_t st = driver_file_ops.open(&ds, DRIVER_TARGET_NAMED(path), NULL, &err);
            if (x == WI_TRIAGE_OVERLAP) {
                CHECK(st == VMI_SUCCESS);
                if (st == VMI_SUCCESS) {
                    uint8_t got[0x40], first[0x20];
                    size_t done;
                    uint64_t va = L->kbase + WI_DATA;
                    wi_read_va(&w, va + 0x20, first, sizeof(first));
                    CHECK(driver_file_ops.read_va(ds, va + 0x20, got, sizeof(got), &done,
                                                  &err) == VMI_SUCCESS);
                    CHECK(memcmp(got, first, sizeof(first)) == 0);
                    for (size_t i = 0x20; i < sizeof(got); i++)
                        CHECK(got[i] == 0xee);
                    driver_file_ops.close(ds);
                }
            } else {
                if (st == VMI_SUCCESS || !strstr(err.msg, want[x][0]) ||
                    !strstr(err.msg, want[x][1]))
                    fprintf(stderr, "  %s, %s: %s\n", L->name, wi_triage_hostile_names[x],
                            st == VMI_SUCCESS ? "opened" : err.msg);
                CHECK(st == VMI_FAILURE);
                CHECK(strstr(err.msg, want[x][0]) != NULL);
                CHECK(strstr(err.msg, want[x][1]) != NULL);
                if (st == VMI_SUCCESS)
                    driver_file_ops.close(ds);
            }
            unlink(path);
            wi_free(&w);
        }
    }
}

int main(void)
{
    wi_datadir(datadir, sizeof(datadir), __FILE__);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    TEST_RUN(test_dump_facts);
    TEST_RUN(test_triage_open);
    TEST_RUN(test_triage_hostile);
    rmdir(tmpdir);
    TEST_DONE();
}
