/*
 * test_linux_i386_dwarf - the i386 guests checked against their kernel's
 * own debug information (truth/offsets-dwarf.txt from pahole on the -dbg
 * package's vmlinux, truth/System.map-dbg; tests/guests/README.md).
 *
 * These kernels have text-only kallsyms and no BTF, so with no
 * configuration TinyVMI finds init_task in the export table and every
 * structure offset by heuristics.  Here, on core.elf, ram.raw and ram.lime:
 *   a. each offset the zero-configuration layer reports equals the one the
 *      compiler laid out (DWARF);
 *   b. a LibVMI-style configuration (ostype, the link-time System.map, the
 *      five linux_* offsets from DWARF) lists the guest's processes, finds
 *      the KASLR slide itself, and resolves data symbols kallsyms lacks:
 *      linux_banner reads as /proc/version, init_task is where the export
 *      table said, init_mm's pgd is swapper_pg_dir, the kernel's page table.
 *
 * Missing debug truth is a failure naming the command that builds it,
 * never a skip: these are the only independent check of the heuristics.
 */
#include <libvmi/libvmi.h>

#include "guest.h"
#include "os/linux/linux.h" /* lx_image32_find: detect's first step on i386 */
#include "test.h"

static const char *guest;
static const char *file;
static vmi_instance_t zero; /* no configuration */
static vmi_instance_t conf; /* System.map-dbg + DWARF offsets */

/* ---- truth/offsets-dwarf.txt: "<struct>.<path> <offset> <size>" ---- */

typedef struct dwarf_off {
    char name[128];
    uint64_t off, size;
} dwarf_off_t;
static dwarf_off_t *dwarf;
static size_t ndwarf;

static bool load_dwarf(void)
{
    char *text = guest_slurp(guest, "truth/offsets-dwarf.txt"), *save = NULL;
    size_t cap = 0;
    free(dwarf);
    dwarf = NULL;
    ndwarf = 0;
    if (!text)
        return false;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char name[128];
        unsigned long long off, size;
        if (l[0] == '#' || sscanf(l, "%127s %llu %llu", name, &off, &size) != 3)
            continue;
        if (ndwarf == cap) {
            cap = cap ? 2 * cap : 256;
            dwarf_off_t *d = realloc(dwarf, cap * sizeof(*d));
            if (!d)
                break;
            dwarf = d;
        }
        snprintf(dwarf[ndwarf].name, sizeof(dwarf[ndwarf].name), "%s", name);
        dwarf[ndwarf].off = off;
        dwarf[ndwarf].size = size;
        ndwarf++;
    }
    free(text);
    return ndwarf > 0;
}

static bool dwarf_get(const char *name, uint64_t *off)
{
    for (size_t i = 0; i < ndwarf; i++)
        if (strcmp(dwarf[i].name, name) == 0) {
            *off = dwarf[i].off;
            return true;
        }
    return false;
}

/* Each offset the Linux layer uses, by its config key, and the member the
 * compiler placed it at. */
static const struct {
    const char *key, *member;
} keys[] = {
    { "linux_tasks", "task_struct.tasks" },
    { "linux_mm", "task_struct.mm" },
    { "linux_pid", "task_struct.pid" },
    { "linux_name", "task_struct.comm" },
    { "linux_pgd", "mm_struct.pgd" },
    { "linux_tgid", "task_struct.tgid" },
    { "linux_real_parent", "task_struct.real_parent" },
    { "linux_module_list", "module.list" },
    { "linux_module_name", "module.name" },
    { "linux_module_base", "module.core_layout.base" },
    { "linux_module_size", "module.core_layout.size" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
#define NLIBVMI_KEYS 5 /* the first five are LibVMI's own */

/* ---- instances ---- */

static vmi_instance_t open_linux(const char *extra)
{
    char path[4096], cfg[8192], paging[32] = "";
    vmi_instance_t v = NULL;
    vmi_init_error_t ierr;
    guest_path(guest, file, path, sizeof(path));
    guest_meta(guest, "PAGING", paging, sizeof(paging));
    /* Only the ELF core carries the vCPU registers. */
    bool regs = strcmp(file, "core.elf") == 0;
    snprintf(cfg, sizeof(cfg), "ostype = \"Linux\"; %s%s%s%s", regs ? "" : "pagemode = ",
             regs ? "" : paging, regs ? "" : "; ", extra);
    if (vmi_init_complete(&v, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg,
                          &ierr) != VMI_SUCCESS) {
        fprintf(stderr, "  %s/%s: init failed: %s\n  config: %s\n", guest, file,
                tvmi_init_errmsg(), cfg);
        return NULL;
    }
    return v;
}

/* What a LibVMI user would write from the debug package. */
static bool dwarf_config(char *out, size_t len)
{
    char map[4096];
    int n = snprintf(out, len, "sysmap = \"%s\";",
                     guest_path(guest, "truth/System.map-dbg", map, sizeof(map)));
    for (size_t i = 0; i < NLIBVMI_KEYS; i++) {
        uint64_t off;
        if (!dwarf_get(keys[i].member, &off) || n < 0 || (size_t)n >= len)
            return false;
        n += snprintf(out + n, len - (size_t)n, " %s = 0x%llx;", keys[i].key,
                      (unsigned long long)off);
    }
    return n > 0 && (size_t)n < len;
}

/* ---- a. heuristics == DWARF ---- */

static int count_mod(void *ctx, const tvmi_module_t *m)
{
    (void)m;
    ++*(size_t *)ctx;
    return 0;
}

static void test_heuristics_match_dwarf(void)
{
    /* Module offsets are settled on first use: walk the modules first. */
    size_t nmod = 0;
    status_t mrc = tvmi_module_foreach(zero, count_mod, &nmod);
    if (mrc != VMI_SUCCESS)
        fprintf(stderr, "  modules: %s\n", tvmi_errmsg(zero));
    CHECK(mrc == VMI_SUCCESS && nmod >= 4);
    const char *src = tvmi_get_config(zero, "linux_offset_sources");
    const char *msrc = tvmi_get_config(zero, "linux_module_offset_sources");
    /* Nothing but the heuristics may have answered (no BTF on i386). */
    CHECK(src && strstr(src, "linux_tasks:heuristic") && strstr(src, "linux_pgd:heuristic") &&
          !strstr(src, "BTF"));
    CHECK(msrc && strstr(msrc, "linux_module_base:heuristic") && !strstr(msrc, "BTF"));
    for (size_t i = 0; i < NKEYS; i++) {
        uint64_t want = 0;
        addr_t got = 0;
        bool known = dwarf_get(keys[i].member, &want);
        if (!known)
            fprintf(stderr, "  %s: not in truth/offsets-dwarf.txt\n", keys[i].member);
        CHECK(known);
        status_t rc = vmi_get_offset(zero, keys[i].key, &got);
        if (rc != VMI_SUCCESS)
            fprintf(stderr, "  %s: %s\n", keys[i].key, tvmi_errmsg(zero));
        CHECK(rc == VMI_SUCCESS);
        if (known && rc == VMI_SUCCESS && got != want)
            fprintf(stderr, "  %s: TinyVMI 0x%llx, DWARF %s 0x%llx\n", keys[i].key,
                    (unsigned long long)got, keys[i].member, (unsigned long long)want);
        CHECK_EQ_U64(got, want);
    }
}

/* Where the guest's /proc/iomem says its kernel code starts, or 0. */
/* The guest's /proc/iomem range named " : Kernel <what>" (code, rodata,
 * data, bss); false when it has none. */
static bool iomem_kernel(const char *what, uint64_t *lo, uint64_t *hi)
{
    char *text = guest_slurp(guest, "truth/iomem.txt"), *l, name[32];
    unsigned long long a = 0, b = 0;
    bool ok = false;
    snprintf(name, sizeof(name), " : Kernel %s\n", what);
    if (text && (l = strstr(text, name))) {
        while (l > text && l[-1] != '\n')
            l--;
        ok = sscanf(l, " %llx-%llx", &a, &b) == 2 && a < b;
    }
    free(text);
    *lo = a;
    *hi = b + 1;
    return ok;
}

/* Zero configuration found the kernel's page table (swapper_pg_dir, where
 * the debug package's map and the configured instance put it) and looked
 * for BTF in the kernel's read-only data and data only, the range
 * [_etext, _sinittext) of its text-only kallsyms, which the guest's
 * /proc/iomem confirms: from the end of "Kernel code" (its page) over
 * "Kernel rodata" and "Kernel data", and below "Kernel bss".  Not in all
 * of RAM (#11: on these BTF-less kernels that was a read of every page
 * after the kernel was found), nor in the 46 MiB image window. */
static void test_zero_config_image(void)
{
    addr_t swapper_va = 0, swapper_pa = 0, off = 0;
    uint64_t kpgd = 0, code_lo, code_hi, ro_lo, ro_hi, data_lo, data_hi, bss_lo, bss_hi;
    unsigned long long lo = 0, hi = 0;
    const char *at;

    CHECK(iomem_kernel("code", &code_lo, &code_hi));
    CHECK(iomem_kernel("rodata", &ro_lo, &ro_hi));
    CHECK(iomem_kernel("data", &data_lo, &data_hi));
    CHECK(iomem_kernel("bss", &bss_lo, &bss_hi));
    CHECK(vmi_translate_ksym2v(conf, "swapper_pg_dir", &swapper_va) == VMI_SUCCESS);
    CHECK(vmi_translate_kv2p(conf, swapper_va, &swapper_pa) == VMI_SUCCESS);
    CHECK(vmi_get_offset(zero, "kpgd", &kpgd) == VMI_SUCCESS);
    CHECK(swapper_pa != 0);
    CHECK_EQ_U64(kpgd, swapper_pa);
    CHECK(vmi_get_kernel_struct_offset(zero, "task_struct", "prio", &off) == VMI_FAILURE);
    at = strstr(tvmi_errmsg(zero), "no BTF with task_struct in its data (_etext.._sinittext) "
                                   "at physical ");
    if (!at)
        fprintf(stderr, "  want the searched data range in: %s\n", tvmi_errmsg(zero));
    CHECK(at != NULL);
    CHECK(at && sscanf(strstr(at, "physical ") + 9, "0x%llx-0x%llx", &lo, &hi) == 2);
    CHECK_EQ_U64(lo, (code_hi - 1) & ~0xfffULL);
    CHECK(lo > code_lo && lo <= ro_lo);
    CHECK(hi >= data_hi && hi <= bss_lo);
}

/* The real-mode trampoline's header places the image where the guest's
 * /proc/iomem says: its head text in the first page of "Kernel code", its
 * boot_gdt in "Kernel data" (and the debug package's map agrees on
 * boot_gdt, moved by the image's place).  Zero-config detect reads from
 * there instead of from the bottom of memory. */
static void test_trampoline_header_places_image(void)
{
    uint64_t code_lo, code_hi, data_lo, data_hi;
    addr_t text = 0, data = 0, gdt_va = 0, gdt_pa = 0;
    CHECK(iomem_kernel("code", &code_lo, &code_hi));
    CHECK(iomem_kernel("data", &data_lo, &data_hi));
    CHECK(lx_image32_find(zero, &text, &data));
    CHECK_EQ_U64(text, code_lo);
    CHECK(data >= data_lo && data < data_hi);
    CHECK(vmi_translate_ksym2v(conf, "boot_gdt", &gdt_va) == VMI_SUCCESS);
    CHECK(vmi_translate_kv2p(conf, gdt_va, &gdt_pa) == VMI_SUCCESS);
    CHECK_EQ_U64(data, gdt_pa);
}

/* ---- b. configured from the debug package ---- */

static guest_procs_t procs;

/* The guest's ps said pid, kind, comm; TinyVMI must list the same tasks
 * (kernel workers may come and go between the guest's ps and the stop). */
static void test_config_process_list(void)
{
    procs.n = 0;
    status_t rc = tvmi_process_foreach(conf, guest_collect_proc, &procs);
    if (rc != VMI_SUCCESS)
        fprintf(stderr, "  walk: %s\n", tvmi_errmsg(conf));
    CHECK(rc == VMI_SUCCESS);
    CHECK(procs.n > 10 && procs.p[0].pid == 0 && strncmp(procs.p[0].name, "swapper", 7) == 0);
    /* linux_mm and linux_pgd show in bad_dtb: user tasks have a page
     * table, kernel threads none. */
    guest_ps_diff_t d = guest_compare_ps(guest, &procs);
    CHECK(d.rows > 10);
    CHECK(d.missing == 0);
    CHECK(d.extra == 0);
    CHECK(d.bad_comm == 0);
    CHECK(d.bad_dtb == 0);
}

/* The map's (link-time) address of a symbol. */
static bool map_addr(const char *name, uint64_t *addr)
{
    char p[4096], line[512];
    FILE *f = fopen(guest_path(guest, "truth/System.map-dbg", p, sizeof(p)), "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f)) {
        unsigned long long a;
        char type, sym[256];
        if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && strcmp(sym, name) == 0) {
            *addr = a;
            found = true;
        }
    }
    if (f)
        fclose(f);
    return found;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static void test_config_data_symbols(void)
{
    /* The slide: the guest's own _text less the link-time one. */
    uint64_t text_map = 0, text_guest = guest_kallsyms(guest, "_text");
    addr_t slide = 1;
    CHECK(map_addr("_text", &text_map) && text_guest != 0);
    CHECK(vmi_get_offset(conf, "linux_kaslr", &slide) == VMI_SUCCESS);
    CHECK_EQ_U64(slide, text_guest - text_map);

    /* None of these is in the guest's kallsyms: only the map has them. */
    static const char *const data[] = { "linux_banner", "init_task", "init_mm",
                                        "swapper_pg_dir" };
    addr_t va[4] = { 0 };
    for (size_t i = 0; i < 4; i++) {
        uint64_t link = 0;
        CHECK(guest_kallsyms(guest, data[i]) == 0);
        CHECK(map_addr(data[i], &link));
        status_t rc = vmi_translate_ksym2v(conf, data[i], &va[i]);
        if (rc != VMI_SUCCESS)
            fprintf(stderr, "  %s: %s\n", data[i], tvmi_errmsg(conf));
        CHECK(rc == VMI_SUCCESS);
        CHECK_EQ_U64(va[i], link + (text_guest - text_map));
    }

    /* linux_banner is the text of /proc/version. */
    char *version = guest_slurp(guest, "truth/version.txt");
    char *banner = va[0] ? vmi_read_str_va(conf, va[0], 0) : NULL;
    CHECK(version && banner);
    if (version && banner) {
        trim(version);
        trim(banner);
        CHECK_STREQ(banner, version);
    }
    free(version);
    free(banner);

    /* init_task where the zero-configuration layer found it through the
     * export table, and where the configured layer starts its walk. */
    addr_t it_zero = 0, it_conf = 0;
    CHECK(vmi_get_offset(zero, "linux_init_task", &it_zero) == VMI_SUCCESS);
    CHECK(vmi_get_offset(conf, "linux_init_task", &it_conf) == VMI_SUCCESS);
    CHECK_EQ_U64(va[1], it_zero);
    CHECK_EQ_U64(it_conf, it_zero);
    CHECK(procs.n && procs.p[0].task == va[1]);

    /* init_mm.pgd (DWARF offset) points at swapper_pg_dir, and that is
     * the kernel page table both instances use. */
    uint64_t pgd_off = 0;
    addr_t pgd = 0, pa = 0, kpgd_conf = 0, kpgd_zero = 0;
    CHECK(dwarf_get("mm_struct.pgd", &pgd_off));
    CHECK(vmi_read_addr_va(conf, va[2] + pgd_off, 0, &pgd) == VMI_SUCCESS);
    CHECK_EQ_U64(pgd, va[3]);
    CHECK(vmi_translate_kv2p(conf, va[3], &pa) == VMI_SUCCESS);
    CHECK(vmi_get_offset(conf, "kpgd", &kpgd_conf) == VMI_SUCCESS);
    CHECK(vmi_get_offset(zero, "kpgd", &kpgd_zero) == VMI_SUCCESS);
    CHECK_EQ_U64(kpgd_conf, pa);
    CHECK_EQ_U64(kpgd_zero, pa);
}

/* No BTF, and each instance says how it knows: the System.map lists data
 * symbols, so its lack of __start_BTF settles it without a search; the
 * text-only kallsyms cannot, so the zero-configuration layer searched the
 * image.  The member asked for is one no heuristic finds. */
static void test_no_btf_reasons(void)
{
    addr_t off = 0;
    CHECK(vmi_get_kernel_struct_offset(conf, "task_struct", "thread_info", &off) ==
          VMI_FAILURE);
    const char *why = tvmi_errmsg(conf);
    CHECK(why && strstr(why, "lists data symbols but no __start_BTF"));
    CHECK(vmi_get_kernel_struct_offset(zero, "task_struct", "thread_info", &off) ==
          VMI_FAILURE);
    why = tvmi_errmsg(zero);
    CHECK(why && strstr(why, "no BTF with task_struct in"));
}

/* `modules`, a data symbol too: the walk from the map's list head equals
 * /proc/modules (names, in list order). */
static void test_config_modules(void)
{
    char *text = guest_slurp(guest, "truth/modules.txt"), *save = NULL;
    guest_mods_t got = { .n = 0 };
    CHECK(text != NULL);
    status_t rc = tvmi_module_foreach(conf, guest_collect_mod, &got);
    if (rc != VMI_SUCCESS)
        fprintf(stderr, "  modules: %s\n", tvmi_errmsg(conf));
    CHECK(rc == VMI_SUCCESS);
    size_t i = 0;
    for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save), i++) {
        char name[64];
        unsigned long long size, base;
        if (sscanf(l, "%63s %llu %*s %*s %*s %llx", name, &size, &base) != 3)
            continue;
        CHECK(i < got.n);
        if (i >= got.n)
            break;
        CHECK_STREQ(got.m[i].name, name);
        CHECK_EQ_U64(got.m[i].base, base);
        CHECK_EQ_U64(got.m[i].size, size);
    }
    CHECK(i >= 4);
    CHECK_EQ_U64(got.n, i);
    free(text);
}

/* ---- driver ---- */

static void fail(const char *what)
{
    printf("FAIL %s\n", what);
    test_failed++;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const char *const i386_guests[] = { "i386", "i386-pae" };
    static const char *const files[] = { "core.elf", "ram.raw", "ram.lime" };
    for (size_t g = 0; g < 2; g++) {
        guest = i386_guests[g];
        char line[256];
        if (!guest_exists(guest)) {
            printf("FAIL %s: no guest image; build it with: sh tests/guests/build-guests.sh "
                   "--only %s\n", guest, guest);
            test_failed++;
            continue;
        }
        uint64_t unused;
        char *map = guest_slurp(guest, "truth/System.map-dbg");
        bool have = map && load_dwarf() && dwarf_get("task_struct.tasks", &unused);
        free(map);
        if (!have) {
            printf("FAIL %s: no debug-package truth (truth/System.map-dbg, "
                   "truth/offsets-dwarf.txt); build it with: "
                   "sh tests/guests/build-guests.sh --dbg-only\n", guest);
            test_failed++;
            continue;
        }
        char cfg[8192];
        if (!dwarf_config(cfg, sizeof(cfg))) {
            snprintf(line, sizeof(line), "%s: truth/offsets-dwarf.txt lacks an offset", guest);
            fail(line);
            continue;
        }
        for (size_t f = 0; f < 3; f++) {
            file = files[f];
            printf("-- %s/%s\n", guest, file);
            zero = open_linux("");
            conf = open_linux(cfg);
            if (!zero) {
                snprintf(line, sizeof(line), "%s/%s: init with zero configuration", guest, file);
                fail(line);
            } else {
                TEST_RUN(test_heuristics_match_dwarf);
            }
            if (!conf) {
                snprintf(line, sizeof(line), "%s/%s: init with the debug-package configuration",
                         guest, file);
                fail(line);
            } else if (zero) {
                TEST_RUN(test_config_process_list);
                TEST_RUN(test_config_data_symbols);
                TEST_RUN(test_config_modules);
                TEST_RUN(test_no_btf_reasons);
                TEST_RUN(test_zero_config_image);
                TEST_RUN(test_trampoline_header_places_image);
            }
            if (zero)
                vmi_destroy(zero);
            if (conf)
                vmi_destroy(conf);
            zero = conf = NULL;
        }
    }
    free(dwarf);
    TEST_DONE();
}
