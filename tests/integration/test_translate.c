/*
 * test_translate - TinyVMI's translation against what real guests said.
 *
 * For each of the four guests (IA-32e 4-level, LA57, 32-bit legacy, PAE) and
 * each image format (QEMU ELF core, raw, LiME): the bytes TinyVMI reads at
 * kernel virtual addresses equal the bytes the guest read itself from
 * /proc/kcore at the same addresses (text and read-only data: writable data
 * such as init_task moves on between the guest's read and the snapshot); the paging mode equals what the guest's
 * CR0/CR4/EFER said (QEMU "info registers"); the banner at linux_banner
 * equals the guest's /proc/version; unmapped and out-of-range addresses fail
 * with a reason; flushing one page table's v2p entries really drops them.
 */
#include <libvmi/libvmi.h>

#include "guest.h"
#include "test.h"

static const char *guest;  /* current guest */
static const char *format; /* current image file */

static const char *expected_pagemode(const char *g, unsigned *levels)
{
    static char paging[32];
    guest_meta(g, "PAGING", paging, sizeof(paging));
    *levels = !strcmp(paging, "legacy") ? 2 : !strcmp(paging, "pae") ? 3
            : !strcmp(paging, "ia32e") ? 4 : !strcmp(paging, "la57") ? 5 : 0;
    return paging;
}

static page_mode_t pm_of(unsigned levels)
{
    return levels == 2 ? VMI_PM_LEGACY : levels == 3 ? VMI_PM_PAE : VMI_PM_IA32E;
}

/* What an image without register state is told: the guest's own CR3 and
 * mode, its CR3 alone (as a LibVMI config would give kpgd), or nothing. */
typedef enum { TELL_NOTHING, TELL_CR3_AND_MODE, TELL_CR3, TELL_CR3_AND_MODE_CACHED } tell_t;

static vmi_instance_t open_image(const char *g, const char *file, tell_t tell)
{
    char path[4096], cfg[256], cr3[64], paging[32];
    vmi_instance_t vmi = NULL;
    vmi_init_error_t ierr;

    guest_path(g, file, path, sizeof(path));
    guest_meta(g, "CR3", cr3, sizeof(cr3));
    guest_meta(g, "PAGING", paging, sizeof(paging));
    if (tell == TELL_CR3_AND_MODE)
        snprintf(cfg, sizeof(cfg), "ostype = none; pagemode = %s; kpgd = %s", paging, cr3);
    else if (tell == TELL_CR3_AND_MODE_CACHED) /* through a small page cache */
        snprintf(cfg, sizeof(cfg), "ostype = none; pagemode = %s; kpgd = %s; page_cache = 1; "
                                   "page_cache_size = 16", paging, cr3);
    else if (tell == TELL_CR3)
        snprintf(cfg, sizeof(cfg), "ostype = none; kpgd = %s", cr3);
    else
        snprintf(cfg, sizeof(cfg), "ostype = none");
    if (vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg,
                          &ierr) != VMI_SUCCESS) {
        fprintf(stderr, "  %s/%s: init failed: %s\n", g, file, tvmi_init_errmsg());
        return NULL;
    }
    return vmi;
}

static vmi_instance_t vmi;

static void test_paging_mode(void)
{
    unsigned levels;
    expected_pagemode(guest, &levels);
    CHECK(levels != 0);
    CHECK_EQ_U64(vmi_get_page_mode(vmi, 0), pm_of(levels));
    CHECK_EQ_U64(tvmi_get_paging_levels(vmi), levels);
    CHECK_EQ_U64(vmi_get_address_width(vmi), levels >= 4 ? 8 : 4);
}

static void test_kcore_bytes(void)
{
    guest_peek_t *peeks;
    size_t n = guest_kcore_peeks(guest, &peeks), same = 0;
    CHECK(n >= 10);
    for (size_t i = 0; i < n; i++) {
        unsigned char buf[64];
        size_t got = 0;
        if (!guest_peek_stable(guest, &peeks[i])) { /* writable: changed after the read */
            same++;
            continue;
        }
        if (vmi_read_va(vmi, peeks[i].addr, 0, peeks[i].len, buf, &got) != VMI_SUCCESS) {
            fprintf(stderr, "  %s/%s: %s at 0x%" PRIx64 ": %s\n", guest, format, peeks[i].name,
                    peeks[i].addr, tvmi_errmsg(vmi));
            CHECK(!"kernel address the guest could read is unreadable");
            continue;
        }
        if (memcmp(buf, peeks[i].bytes, peeks[i].len) == 0)
            same++;
        else
            fprintf(stderr, "  %s/%s: bytes at %s 0x%" PRIx64 " differ from the guest's\n",
                    guest, format, peeks[i].name, peeks[i].addr);
    }
    CHECK_EQ_U64(same, n);
    free(peeks);
}

static void test_banner(void)
{
    uint64_t banner = guest_kallsyms(guest, "linux_banner");
    char *version = guest_slurp(guest, "truth/version.txt"), *s;
    if (!banner) {
        free(version);
        SKIP("this guest's kallsyms hold text symbols only (no linux_banner)");
    }
    CHECK(version != NULL);
    s = vmi_read_str_va(vmi, banner, 0);
    CHECK(s != NULL);
    if (s && version)
        CHECK_STREQ(s, version); /* both end in "\n" */
    free(s);
    free(version);
}

static void test_unmapped_fails_with_reason(void)
{
    unsigned char b[8];
    size_t got = 99;
    /* Page 1 is never mapped in a kernel's own page table. */
    CHECK(vmi_read_va(vmi, 0x1000, 0, sizeof(b), b, &got) == VMI_FAILURE);
    CHECK_EQ_U64(got, 0);
    CHECK(strstr(tvmi_errmsg(vmi), "not present") != NULL);
    /* Beyond the end of RAM. */
    CHECK(vmi_read_pa(vmi, vmi_get_max_physical_address(vmi) + 0x100000, 8, b, &got) ==
          VMI_FAILURE);
    CHECK(tvmi_errmsg(vmi)[0] != '\0');
    if (vmi_get_address_width(vmi) == 8) { /* non-canonical */
        CHECK(vmi_read_va(vmi, 0x8000000000000000ULL, 0, 8, b, NULL) == VMI_FAILURE);
        CHECK(tvmi_errmsg(vmi)[0] != '\0');
    }
}

static void test_v2p_flush_is_per_table(void)
{
    tvmi_cache_stats_t st;
    addr_t pa, kpgd;
    guest_peek_t *peeks;
    size_t n = guest_kcore_peeks(guest, &peeks);

    CHECK(vmi_pid_to_dtb(vmi, 0, &kpgd) == VMI_SUCCESS);
    vmi_v2pcache_flush(vmi, ~0ULL);
    for (size_t i = 0; i < n; i++)
        vmi_translate_kv2p(vmi, peeks[i].addr, &pa);
    free(peeks);
    tvmi_get_cache_stats(vmi, &st);
    CHECK(st.v2p_entries > 0);
    size_t before = st.v2p_entries;
    vmi_v2pcache_flush(vmi, kpgd + 0x1000); /* another table: nothing goes */
    tvmi_get_cache_stats(vmi, &st);
    CHECK_EQ_U64(st.v2p_entries, before);
    vmi_v2pcache_flush(vmi, kpgd); /* this table: all of it goes */
    tvmi_get_cache_stats(vmi, &st);
    CHECK_EQ_U64(st.v2p_entries, 0);
}

/* The banner page as a physical search finds it: translation of the banner's
 * virtual address must land exactly there. */
static void test_banner_physical(void)
{
    uint64_t banner = guest_kallsyms(guest, "linux_banner");
    char *version = guest_slurp(guest, "truth/version.txt");
    addr_t pa;
    if (!banner) {
        free(version);
        SKIP("this guest's kallsyms hold text symbols only (no linux_banner)");
    }
    CHECK(version != NULL);
    if (!version)
        return;
    CHECK(vmi_translate_kv2p(vmi, banner, &pa) == VMI_SUCCESS);
    char buf[256] = "";
    size_t len = strlen(version) < sizeof(buf) - 1 ? strlen(version) : sizeof(buf) - 1;
    CHECK(vmi_read_pa(vmi, pa, len, buf, NULL) == VMI_SUCCESS);
    CHECK(memcmp(buf, version, len) == 0);
    free(version);
}

/* With the page cache in the path (as live targets will have it), the same
 * bytes come back, the cache stays within its bound, and a flush empties it. */
static void test_page_cache_path(void)
{
    tvmi_cache_stats_t st;
    unsigned char buf[64];
    guest_peek_t *peeks;
    size_t n = guest_kcore_peeks(guest, &peeks);
    for (size_t i = 0; i < n; i++)
        vmi_read_va(vmi, peeks[i].addr, 0, peeks[i].len, buf, NULL);
    free(peeks);
    tvmi_get_cache_stats(vmi, &st);
    CHECK(st.page_misses > 0);
    CHECK(st.page_hits > 0); /* page-table pages are shared by many walks */
    CHECK_EQ_U64(st.page_capacity, 16);
    CHECK(st.page_entries > 0 && st.page_entries <= 16);
    vmi_pagecache_flush(vmi);
    tvmi_get_cache_stats(vmi, &st);
    CHECK_EQ_U64(st.page_entries, 0);
}

static void test_elf_registers(void)
{
    uint64_t cr3 = 0, cr4 = 0;
    CHECK(vmi_get_vcpureg(vmi, &cr3, CR3, 0) == VMI_SUCCESS);
    CHECK_EQ_U64(cr3, guest_meta_u64(guest, "CR3"));
    CHECK(vmi_get_vcpureg(vmi, &cr4, CR4, 0) == VMI_SUCCESS);
    CHECK_EQ_U64(cr4, guest_meta_u64(guest, "CR4"));
}

/* Raw: the RAM QEMU was given.  ELF: what QEMU dumped, its RAM plus the
 * BIOS ROM mapped at the top of 4 GiB ("info mtree").  LiME: the guest's own
 * System RAM ranges (/proc/iomem), which is what LiME records. */
static void test_memsize(void)
{
    uint64_t mem = guest_meta_u64(guest, "MEMSIZE");
    if (!strcmp(format, "ram.raw")) {
        CHECK_EQ_U64(vmi_get_memsize(vmi), mem);
        CHECK_EQ_U64(vmi_get_max_physical_address(vmi), mem);
    } else if (!strcmp(format, "core.elf")) {
        uint64_t bios = guest_mtree_size(guest, "pc.bios");
        CHECK(bios != 0);
        CHECK_EQ_U64(vmi_get_memsize(vmi), mem + bios);
        CHECK_EQ_U64(vmi_get_max_physical_address(vmi), 0x100000000ULL);
    } else {
        CHECK_EQ_U64(vmi_get_memsize(vmi), guest_iomem_ram(guest));
    }
}

int main(void)
{
    static const struct { const char *file; tell_t tell; const char *how; } formats[] = {
        { "core.elf", TELL_NOTHING, "" }, /* CR0/CR3/CR4 from QEMU's note */
        { "ram.raw", TELL_CR3_AND_MODE, " (pagemode and kpgd from the guest's registers)" },
        { "ram.lime", TELL_CR3_AND_MODE, " (pagemode and kpgd from the guest's registers)" },
        { "ram.raw", TELL_CR3, " (kpgd only: the mode is judged from that root)" },
        { "ram.raw", TELL_CR3_AND_MODE_CACHED, " (through a 16-page page cache)" },
        { "ram.raw", TELL_NOTHING, " (zero configuration: scanned)" },
        { "ram.lime", TELL_NOTHING, " (zero configuration: scanned)" },
    };
    size_t present = 0;
    for (size_t g = 0; g < GUEST_COUNT; g++) {
        guest = guest_names[g];
        if (!guest_exists(guest)) {
            printf("missing guest image %s (run tests/guests/build-guests.sh)\n", guest);
            test_failed++;
            continue;
        }
        present++;
        for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
            format = formats[f].file;
            printf("-- %s / %s%s\n", guest, format, formats[f].how);
            vmi = open_image(guest, format, formats[f].tell);
            if (!vmi) {
                test_failed++;
                continue;
            }
            TEST_RUN(test_paging_mode);
            TEST_RUN(test_kcore_bytes);
            TEST_RUN(test_banner);
            TEST_RUN(test_banner_physical);
            TEST_RUN(test_unmapped_fails_with_reason);
            TEST_RUN(test_v2p_flush_is_per_table);
            TEST_RUN(test_memsize);
            if (!strcmp(format, "core.elf"))
                TEST_RUN(test_elf_registers);
            if (formats[f].tell == TELL_CR3_AND_MODE_CACHED)
                TEST_RUN(test_page_cache_path);
            vmi_destroy(vmi);
        }
    }
    CHECK(present == GUEST_COUNT);
    TEST_DONE();
}
