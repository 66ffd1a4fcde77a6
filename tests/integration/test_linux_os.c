/*
 * test_linux_os - the Linux layer against what the real guests said about
 * themselves (tests/guests/README.md).
 *
 * For each of the four guests, each image format, and each way of starting
 * (zero configuration: kallsyms + BTF or heuristics from memory; a
 * System.map made from the guest's own /proc/kallsyms; the same map moved
 * back to the kernel's link-time addresses, so the KASLR slide must be
 * found): the process list equals the guest's ps (pid, comm, parent); every
 * kernel symbol resolves to the guest's /proc/kallsyms address; the marked
 * processes' cmdline and environ read through their own page tables equal
 * what the guest printed; the module list equals /proc/modules where the
 * kernel's symbols have the module list; pid <-> page table lookups agree.
 *
 * Images without CPU registers (ram.raw, ram.lime) get the paging mode from
 * the guest's meta.env; nothing else is configured in the zero-config runs.
 */
#include <libvmi/libvmi.h>
#include <unistd.h>

#include "guest.h"
#include "test.h"

static const char *guest;
static const char *file;
static const char *how;
static vmi_instance_t vmi;

/* ---- truth ---- */

/* ---- instances ---- */

static char map_runtime[4096], map_link[4096];

/* Write System.maps from the guest's /proc/kallsyms: as is (runtime, KASLR
 * applied) and moved back to the default link address (_text at
 * 0xffffffff81000000 / 0xc1000000), as the kernel package's System.map has
 * it. */
static bool write_maps(void)
{
    char src[4096], line[1024];
    uint64_t text = guest_kallsyms(guest, "_text");
    char arch[32] = "";
    guest_meta(guest, "ARCH", arch, sizeof(arch));
    bool is64 = strcmp(arch, "x86_64") == 0;
    uint64_t link = is64 ? 0xffffffff81000000ULL : 0xc1000000ULL;
    uint64_t slide = text - link, kbase = is64 ? 0xffffffff80000000ULL : 0xc0000000ULL;
    snprintf(map_runtime, sizeof(map_runtime), "/tmp/tinyvmi-test-%d-%s-runtime.map",
             (int)getpid(), guest);
    snprintf(map_link, sizeof(map_link), "/tmp/tinyvmi-test-%d-%s-link.map", (int)getpid(),
             guest);
    FILE *in = fopen(guest_path(guest, "truth/kallsyms.txt", src, sizeof(src)), "r");
    FILE *a = fopen(map_runtime, "w"), *b = fopen(map_link, "w");
    if (!in || !a || !b || !text) {
        if (in) fclose(in);
        if (a) fclose(a);
        if (b) fclose(b);
        return false;
    }
    while (fgets(line, sizeof(line), in)) {
        unsigned long long addr;
        char type, name[512];
        if (strchr(line, '[') || sscanf(line, "%llx %c %511s", &addr, &type, name) != 3)
            continue;
        fprintf(a, "%0*llx %c %s\n", is64 ? 16 : 8, addr, type, name);
        uint64_t l = addr >= kbase ? addr - slide : addr;
        fprintf(b, "%0*llx %c %s\n", is64 ? 16 : 8, (unsigned long long)l, type, name);
    }
    fclose(in);
    fclose(a);
    fclose(b);
    return true;
}

static vmi_instance_t open_linux(const char *g, const char *f, const char *extra)
{
    char path[4096], cfg[8192], paging[32] = "";
    vmi_instance_t v = NULL;
    vmi_init_error_t ierr;
    guest_path(g, f, path, sizeof(path));
    guest_meta(g, "PAGING", paging, sizeof(paging));
    bool regs = strcmp(f, "core.elf") == 0;
    snprintf(cfg, sizeof(cfg), "ostype = \"Linux\"; %s%s%s", regs ? "" : "pagemode = ",
             regs ? "" : paging, regs ? "" : "; ");
    size_t l = strlen(cfg);
    snprintf(cfg + l, sizeof(cfg) - l, "%s", extra ? extra : "");
    if (vmi_init_complete(&v, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg,
                          &ierr) != VMI_SUCCESS) {
        fprintf(stderr, "  %s/%s (%s): init failed: %s\n", g, f, how, tvmi_init_errmsg());
        return NULL;
    }
    return v;
}

/* ---- process list ---- */

static guest_procs_t procs;

static void test_process_list(void)
{
    procs.n = 0;
    status_t rc = tvmi_process_foreach(vmi, guest_collect_proc, &procs);
    if (rc != VMI_SUCCESS)
        fprintf(stderr, "  walk: %s\n", tvmi_errmsg(vmi));
    CHECK(rc == VMI_SUCCESS);
    CHECK(procs.n > 10);
    /* init_task first: pid 0, the idle task. */
    CHECK(procs.n && procs.p[0].pid == 0 && strncmp(procs.p[0].name, "swapper", 7) == 0);
    guest_ps_diff_t d = guest_compare_ps(guest, &procs);
    CHECK(d.rows > 10);
    CHECK(d.missing == 0);
    CHECK(d.extra == 0);
    CHECK(d.bad_comm == 0);
    CHECK(d.bad_ppid == 0);
    CHECK(d.bad_dtb == 0);
}

/* ---- symbols ---- */

/* The guest's /proc/kallsyms (kernel symbols only), in its order. */
typedef struct ksym {
    uint64_t addr;
    char name[128];
    size_t order;
} ksym_t;
static ksym_t *truth;
static ksym_t **by_name; /* sorted by name, then order: the first of a name first */
static size_t ntruth;

static int cmp_name(const void *a, const void *b)
{
    const ksym_t *x = *(ksym_t *const *)a, *y = *(ksym_t *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order < y->order ? -1 : 1);
}

static void load_truth_syms(void)
{
    char p[4096], line[1024];
    FILE *f = fopen(guest_path(guest, "truth/kallsyms.txt", p, sizeof(p)), "r");
    size_t cap = 1 << 17;
    free(truth);
    free(by_name);
    truth = malloc(cap * sizeof(*truth));
    ntruth = 0;
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long long a;
        char type, name[512];
        if (strchr(line, '[') || sscanf(line, "%llx %c %511s", &a, &type, name) != 3 ||
            strlen(name) >= 128)
            continue;
        if (ntruth == cap) {
            cap *= 2;
            truth = realloc(truth, cap * sizeof(*truth));
        }
        truth[ntruth].addr = a;
        truth[ntruth].order = ntruth;
        snprintf(truth[ntruth].name, sizeof(truth[ntruth].name), "%s", name);
        ntruth++;
    }
    if (f)
        fclose(f);
    by_name = malloc((ntruth ? ntruth : 1) * sizeof(*by_name));
    for (size_t i = 0; i < ntruth; i++)
        by_name[i] = &truth[i];
    qsort(by_name, ntruth, sizeof(*by_name), cmp_name);
}

/* The index in by_name of the first symbol of that name (or where it would
 * be). */
static size_t truth_first(const char *name)
{
    size_t lo = 0, hi = ntruth;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(by_name[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The guest's address for the first symbol of that name; false if none. */
static bool truth_addr(const char *name, uint64_t *addr)
{
    size_t i = truth_first(name);
    if (i < ntruth && strcmp(by_name[i]->name, name) == 0) {
        *addr = by_name[i]->addr;
        return true;
    }
    return false;
}

/* Does the guest list a symbol of this name at this address? */
static bool truth_has(const char *name, uint64_t addr)
{
    for (size_t i = truth_first(name); i < ntruth && strcmp(by_name[i]->name, name) == 0; i++)
        if (by_name[i]->addr == addr)
            return true;
    return false;
}

static void test_symbols(void)
{
    size_t bad = 0, bad_rev = 0;
    CHECK(ntruth > 1000);
    for (size_t i = 0; i < ntruth; i++) {
        const ksym_t *k = &truth[i];
        uint64_t first = 0;
        addr_t va = 0;
        truth_addr(k->name, &first);
        if (vmi_translate_ksym2v(vmi, k->name, &va) != VMI_SUCCESS) {
            if (bad++ < 5)
                fprintf(stderr, "  %s: not found (%s)\n", k->name, tvmi_errmsg(vmi));
            continue;
        }
        /* A name the kernel has twice resolves to the first, as in the
         * guest's list. */
        if (va != first && bad++ < 5)
            fprintf(stderr, "  %s: guest 0x%llx, TinyVMI 0x%llx\n", k->name,
                    (unsigned long long)first, (unsigned long long)va);
        /* Address -> name on a sample: the name given has that address in
         * the guest's list (5.10 has thousands of __kstrtabns_ symbols at
         * one address, so the name may be any of them). */
        if (i % 97 == 0) {
            ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0);
            const char *s = vmi_translate_v2ksym(vmi, &ctx, k->addr);
            if ((!s || !truth_has(s, k->addr)) && bad_rev++ < 5)
                fprintf(stderr, "  0x%llx (%s): TinyVMI says %s\n",
                        (unsigned long long)k->addr, k->name, s ? s : "(none)");
        }
    }
    CHECK(bad == 0);
    CHECK(bad_rev == 0);
}

/* ---- reads through a process's own page table ---- */

static bool maps_range(int pid, const char *what, uint64_t *lo, uint64_t *hi)
{
    char fn[64], *text, *save = NULL;
    snprintf(fn, sizeof(fn), "truth/proc-%d-maps.txt", pid);
    text = guest_slurp(guest, fn);
    if (!text)
        return false;
    bool ok = false;
    for (char *l = strtok_r(text, "\n", &save); l && !ok; l = strtok_r(NULL, "\n", &save)) {
        unsigned long long a, b;
        if (strstr(l, what) && sscanf(l, "%llx-%llx", &a, &b) == 2) {
            *lo = a;
            *hi = b;
            ok = true;
        }
    }
    free(text);
    return ok;
}

static uint8_t *slurp_raw(int pid, const char *kind, size_t *len)
{
    char fn[64], p[4096];
    snprintf(fn, sizeof(fn), "truth/proc-%d-%s.raw", pid, kind);
    FILE *f = fopen(guest_path(guest, fn, p, sizeof(p)), "rb");
    if (!f)
        return NULL;
    uint8_t *b = malloc(1 << 16);
    *len = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static void test_user_reads(void)
{
    char *marked = guest_slurp(guest, "truth/marked.txt"), *save = NULL;
    size_t checked = 0;
    CHECK(marked != NULL);
    if (!marked)
        return;
    for (char *l = strtok_r(marked, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        int pid;
        char mark[64];
        if (sscanf(l, "%d %63s", &pid, mark) != 2)
            continue;
        size_t clen = 0, elen = 0;
        uint8_t *cmd = slurp_raw(pid, "cmdline", &clen), *env = slurp_raw(pid, "environ", &elen);
        uint64_t lo, hi;
        CHECK(cmd && env && clen && elen);
        CHECK(maps_range(pid, "[stack]", &lo, &hi));
        if (!cmd || !env || !maps_range(pid, "[stack]", &lo, &hi)) {
            free(cmd);
            free(env);
            continue;
        }
        /* The arguments and environment sit together at the top of the
         * stack: read the stack page by page through the process's own
         * page table (pages never touched are not there) and look. */
        size_t span = (size_t)(hi - lo);
        uint8_t *stack = calloc(1, span);
        size_t pages = 0;
        for (size_t off = 0; off < span; off += 4096) {
            size_t got = 0;
            if (vmi_read_va(vmi, lo + off, pid, 4096, stack + off, &got) == VMI_SUCCESS)
                pages++;
        }
        CHECK(pages > 0);
        uint8_t *both = malloc(clen + elen);
        memcpy(both, cmd, clen);
        memcpy(both + clen, env, elen);
        uint8_t *at = memmem(stack, span, both, clen + elen);
        if (!at)
            fprintf(stderr, "  pid %d (%s): cmdline+environ not found in its stack "
                            "(%zu pages read)\n", pid, mark, pages);
        CHECK(at != NULL);
        if (at) {
            /* The same bytes through vmi_translate_uv2p and a physical read. */
            addr_t va = lo + (addr_t)(at - stack), pa = 0;
            uint8_t first[16];
            CHECK(vmi_translate_uv2p(vmi, va, pid, &pa) == VMI_SUCCESS);
            CHECK(vmi_read_pa(vmi, pa, clen < 16 ? clen : 16, first, NULL) == VMI_SUCCESS);
            CHECK(memcmp(first, cmd, clen < 16 ? clen : 16) == 0);
        }
        /* With structure offsets (BTF), the kernel's own record of where
         * the arguments are: mm->arg_start..arg_end. */
        addr_t o_arg = 0, o_end = 0, o_mm = 0;
        if (vmi_get_kernel_struct_offset(vmi, "mm_struct", "arg_start", &o_arg) == VMI_SUCCESS &&
            vmi_get_kernel_struct_offset(vmi, "mm_struct", "arg_end", &o_end) == VMI_SUCCESS &&
            vmi_get_offset(vmi, "linux_mm", &o_mm) == VMI_SUCCESS) {
            const tvmi_process_t *p = guest_find_pid(&procs, pid);
            addr_t mm = 0, as = 0, ae = 0;
            CHECK(p != NULL);
            if (p) {
                CHECK(vmi_read_addr_va(vmi, p->task + o_mm, 0, &mm) == VMI_SUCCESS);
                CHECK(vmi_read_addr_va(vmi, mm + o_arg, 0, &as) == VMI_SUCCESS);
                CHECK(vmi_read_addr_va(vmi, mm + o_end, 0, &ae) == VMI_SUCCESS);
                CHECK_EQ_U64(ae - as, clen);
                uint8_t buf[4096];
                if (ae > as && ae - as <= sizeof(buf)) {
                    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = pid,
                                   .addr = as);
                    CHECK(vmi_read(vmi, &ctx, ae - as, buf, NULL) == VMI_SUCCESS);
                    CHECK(memcmp(buf, cmd, clen) == 0);
                }
            }
        }
        /* pid -> page table -> pid. */
        addr_t dtb = 0;
        vmi_pid_t back = -1;
        const tvmi_process_t *p = guest_find_pid(&procs, pid);
        CHECK(vmi_pid_to_dtb(vmi, pid, &dtb) == VMI_SUCCESS);
        CHECK(p && dtb == p->dtb);
        CHECK(vmi_dtb_to_pid(vmi, dtb, &back) == VMI_SUCCESS);
        CHECK_EQ_U64(back, pid);
        checked++;
        free(both);
        free(stack);
        free(cmd);
        free(env);
    }
    CHECK(checked == 3);
    free(marked);
}

/* ---- modules ---- */

static void test_modules(void)
{
    char *text = guest_slurp(guest, "truth/modules.txt"), *save = NULL;
    guest_mods_t got = { .n = 0 };
    CHECK(text != NULL);
    status_t rc = tvmi_module_foreach(vmi, guest_collect_mod, &got);
    if (rc != VMI_SUCCESS)
        fprintf(stderr, "  modules: %s\n", tvmi_errmsg(vmi));
    CHECK(rc == VMI_SUCCESS);
    size_t i = 0;
    for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save), i++) {
        char name[64], refs[64], deps[256], state[32];
        unsigned long long size, base;
        if (sscanf(l, "%63s %llu %63s %255s %31s %llx", name, &size, refs, deps, state,
                   &base) != 6)
            continue;
        CHECK(i < got.n);
        if (i >= got.n)
            break;
        /* /proc/modules is in list order, newest first, as the walk. */
        CHECK_STREQ(got.m[i].name, name);
        CHECK_EQ_U64(got.m[i].size, size);
        CHECK_EQ_U64(got.m[i].base, base);
    }
    CHECK_EQ_U64(got.n, i);
    free(text);
}

static void test_offsets(void)
{
    addr_t tasks = 0, name = 0, comm = 0, v = 0;
    CHECK(vmi_get_ostype(vmi) == VMI_OS_LINUX);
    CHECK(vmi_get_offset(vmi, "linux_tasks", &tasks) == VMI_SUCCESS);
    CHECK(vmi_get_offset(vmi, "linux_name", &name) == VMI_SUCCESS);
    CHECK(vmi_get_offset(vmi, "linux_pid", &v) == VMI_SUCCESS);
    CHECK(vmi_get_offset(vmi, "linux_mm", &v) == VMI_SUCCESS);
    CHECK(vmi_get_offset(vmi, "linux_pgd", &v) == VMI_SUCCESS);
    CHECK(vmi_get_offset(vmi, "linux_init_task", &v) == VMI_SUCCESS);
    CHECK(vmi_get_kernel_struct_offset(vmi, "task_struct", "comm", &comm) == VMI_SUCCESS);
    CHECK_EQ_U64(comm, name);
    CHECK(vmi_get_offset(vmi, "no_such_offset", &v) == VMI_FAILURE);
    CHECK(strstr(tvmi_errmsg(vmi), "no_such_offset") != NULL);
    /* vmi_read_ksym through the symbol index: _text's first bytes are the
     * ones the guest read from /proc/kcore. */
    guest_peek_t *peeks;
    size_t n = guest_kcore_peeks(guest, &peeks), compared = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(peeks[i].name, "_text") != 0)
            continue;
        uint8_t b[64];
        CHECK(vmi_read_ksym(vmi, "_text", peeks[i].len, b, NULL) == VMI_SUCCESS);
        CHECK(memcmp(b, peeks[i].bytes, peeks[i].len) == 0);
        compared++;
    }
    /* Every guest's kcore.txt has a _text line (tests/guests/README.md): a
     * missing one means the truth is broken, not that there is nothing to
     * check. */
    if (!compared)
        fprintf(stderr, "  %s: truth/kcore.txt has no _text peek\n", guest);
    CHECK(compared == 1);
    free(peeks);
}

/* ---- heuristics against the kernel's own type information ---- */

/* On a kernel with BTF, the heuristics used for kernels without it (config
 * linux_btf = off) must find exactly the offsets BTF states. */
static void test_heuristics_match_btf(void)
{
    static const char *const keys[] = { "linux_tasks", "linux_mm", "linux_pid", "linux_name",
                                        "linux_pgd", "linux_module_base", "linux_module_size" };
    vmi_instance_t h = open_linux(guest, "core.elf", "linux_btf = off;");
    CHECK(h != NULL);
    if (!h)
        return;
    guest_mods_t mods = { .n = 0 };
    CHECK(tvmi_module_foreach(h, guest_collect_mod, &mods) == VMI_SUCCESS);
    const char *src = tvmi_get_config(h, "linux_offset_sources");
    CHECK(src && strstr(src, "linux_tasks:heuristic") && strstr(src, "linux_pgd:heuristic"));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        addr_t a = 1, b = 2;
        CHECK(vmi_get_offset(h, keys[i], &a) == VMI_SUCCESS);
        CHECK(vmi_get_offset(vmi, keys[i], &b) == VMI_SUCCESS);
        if (a != b)
            fprintf(stderr, "  %s: heuristic 0x%llx, BTF 0x%llx\n", keys[i],
                    (unsigned long long)a, (unsigned long long)b);
        CHECK_EQ_U64(a, b);
    }
    vmi_destroy(h);
}

/* ---- driver ---- */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const char *const files[] = { "core.elf", "ram.raw", "ram.lime" };
    for (size_t g = 0; g < GUEST_COUNT; g++) {
        guest = guest_names[g];
        if (!guest_exists(guest)) {
            printf("skip %s: no guest image (make guests)\n", guest);
            test_skipped++;
            continue;
        }
        load_truth_syms();
        if (!write_maps()) {
            printf("FAIL %s: cannot write System.maps from its kallsyms\n", guest);
            test_failed++;
            continue;
        }
        char map_rt[4200], map_ln[4200];
        snprintf(map_rt, sizeof(map_rt), "sysmap = \"%s\";", map_runtime);
        snprintf(map_ln, sizeof(map_ln), "sysmap = \"%s\";", map_link);
        const char *cfgs[][2] = { { "zero config", "" },
                                  { "System.map (runtime)", map_rt },
                                  { "System.map (link-time, KASLR found)", map_ln } };
        for (size_t f = 0; f < 3; f++) {
            file = files[f];
            for (size_t c = 0; c < 3; c++) {
                how = cfgs[c][0];
                printf("-- %s/%s, %s\n", guest, file, how);
                vmi = open_linux(guest, file, cfgs[c][1]);
                if (!vmi) {
                    test_failed++;
                    printf("FAIL init\n");
                    continue;
                }
                TEST_RUN(test_process_list);
                TEST_RUN(test_offsets);
                if (c != 2 || f == 0) /* the symbols do not depend on the format */
                    TEST_RUN(test_symbols);
                TEST_RUN(test_user_reads);
                TEST_RUN(test_modules);
                if (c == 0 && f == 0) {
                    const char *src = tvmi_get_config(vmi, "linux_offset_sources");
                    if (src && strstr(src, "linux_tasks:BTF"))
                        TEST_RUN(test_heuristics_match_btf);
                    else
                        TEST_SKIP(test_heuristics_match_btf, "this kernel has no BTF");
                }
                vmi_destroy(vmi);
            }
        }
        unlink(map_runtime);
        unlink(map_link);
    }
    /* The headline: every raw image with no configuration at all (the
     * paging mode, the kernel and its offsets all discovered), as a new
     * user would run vmi-process-list on it. */
    for (size_t g = 0; g < GUEST_COUNT; g++) {
        char path[4096];
        vmi_init_error_t ierr;
        guest = guest_names[g];
        if (!guest_exists(guest))
            continue;
        how = "no configuration at all";
        printf("-- %s/ram.raw, %s\n", guest, how);
        if (vmi_init_complete(&vmi, guest_path(guest, "ram.raw", path, sizeof(path)),
                              VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, "", &ierr) ==
            VMI_SUCCESS) {
            TEST_RUN(test_process_list);
            TEST_RUN(test_modules);
            vmi_destroy(vmi);
        } else {
            printf("FAIL init: %s\n", tvmi_init_errmsg());
            test_failed++;
        }
    }
    TEST_DONE();
}
