/*
 * test_core_reads - the core's read path on a small image whose page tables
 * this test lays out by hand (IA-32e), so every expected byte is known:
 * reads across page boundaries, partial reads that stop at an unmapped page,
 * bounded strings, addresses of the guest's width, UNICODE_STRING and its
 * UTF-8 conversion, bounded and per-table v2p caches, read-only writes, and
 * init failures that say why and leave nothing behind.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvmi/libvmi.h>
#include "test.h"
#include "core/core.h" /* core_frame_vas: internal, used by the events layer */

#define IMG_SIZE (1u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define PT 0x4000
#define DATA 0x10000 /* physical page of virtual page 0 */
#define VBASE 0xffff888000000000ULL
#define NPAGES 40
#define HOLE 5 /* virtual page 5 is not present */

static char path[64];
static unsigned char *img;

static void put64(uint64_t pa, uint64_t v) { memcpy(img + pa, &v, 8); }
static unsigned char *page(unsigned i) { return img + DATA + i * 0x1000; }

static void build_image(void)
{
    img = calloc(1, IMG_SIZE);
    put64(PML4 + 273 * 8, PDPT | 3);
    put64(PDPT, PD | 3);
    put64(PD, PT | 3);
    for (unsigned i = 0; i < NPAGES; i++)
        if (i != HOLE)
            put64(PT + i * 8, (DATA + i * 0x1000) | 3);
    /* page 0: a string crossing into page 1, a UNICODE_STRING, an address */
    memcpy(page(0) + 0xffc, "abcdefgh", 9);
    uint16_t len = 10, max = 12;
    memcpy(page(0) + 0x100, &len, 2);
    memcpy(page(0) + 0x102, &max, 2);
    uint64_t buf_va = VBASE + 0x200;
    memcpy(page(0) + 0x108, &buf_va, 8);
    const uint16_t hello[] = { 'H', 0xe9 /* é */, 'l', 'l', 'o' };
    memcpy(page(0) + 0x200, hello, sizeof(hello));
    uint64_t addr = 0x1122334455667788ULL;
    memcpy(page(0) + 0x300, &addr, 8);
    /* pages 2..4: no NUL before the hole at page 5 */
    memset(page(2), 'A', 3 * 0x1000);
    /* pages 6..39: 136 KiB without a NUL, longer than any string may be */
    memset(page(6), 'B', (NPAGES - 6) * 0x1000);

    strcpy(path, "/tmp/tvmi-core-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, img, IMG_SIZE) == IMG_SIZE);
    close(fd);
}

static vmi_instance_t open_img(const char *extra)
{
    char cfg[256];
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    snprintf(cfg, sizeof(cfg), "ostype = none; pagemode = ia32e; kpgd = 0x%x; %s", PML4,
             extra ? extra : "");
    if (vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg, &e) !=
        VMI_SUCCESS)
        fprintf(stderr, "  init: %s\n", tvmi_init_errmsg());
    return vmi;
}

static void test_read_across_pages(void)
{
    vmi_instance_t vmi = open_img(NULL);
    char buf[16] = "";
    size_t got = 0;
    CHECK(vmi != NULL);
    CHECK(vmi_read_va(vmi, VBASE + 0xffc, 0, 9, buf, &got) == VMI_SUCCESS);
    CHECK_EQ_U64(got, 9);
    CHECK_STREQ(buf, "abcdefgh");
    char *s = vmi_read_str_va(vmi, VBASE + 0xffc, 0);
    CHECK_STREQ(s, "abcdefgh");
    free(s);
    addr_t a = 0;
    CHECK(vmi_read_addr_va(vmi, VBASE + 0x300, 0, &a) == VMI_SUCCESS);
    CHECK_EQ_U64(a, 0x1122334455667788ULL);
    vmi_destroy(vmi);
}

/* A LibVMI config spells the mode VMI_PM_IA32E; it must work unchanged. */
static void test_libvmi_pagemode_spelling(void)
{
    vmi_instance_t vmi = open_img("pagemode = \"VMI_PM_IA32E\"");
    CHECK(vmi != NULL);
    CHECK_EQ_U64(vmi_get_page_mode(vmi, 0), VMI_PM_IA32E);
    vmi_destroy(vmi);
}

static void test_partial_read_stops_at_hole(void)
{
    vmi_instance_t vmi = open_img(NULL);
    unsigned char *buf = malloc(0x3000);
    size_t got = 0;
    /* from the middle of page 4 across the hole at page 5 */
    CHECK(vmi_read_va(vmi, VBASE + 4 * 0x1000 + 0x800, 0, 0x2000, buf, &got) == VMI_FAILURE);
    CHECK_EQ_U64(got, 0x800);
    CHECK(strstr(tvmi_errmsg(vmi), "not present") != NULL);
    CHECK(strstr(tvmi_errmsg(vmi), "0xffff888000005000") != NULL);
    const access_context_t *fault = vmi_get_last_pagetable_lookup_fault(vmi);
    CHECK_EQ_U64(fault->addr, VBASE + 5 * 0x1000);
    free(buf);
    vmi_destroy(vmi);
}

static void test_strings_are_bounded(void)
{
    vmi_instance_t vmi = open_img(NULL);
    /* Unterminated before unreadable memory: what was readable comes back. */
    char *s = vmi_read_str_va(vmi, VBASE + 2 * 0x1000, 0);
    CHECK(s != NULL);
    if (s)
        CHECK_EQ_U64(strlen(s), 3 * 0x1000);
    free(s);
    /* Longer than the bound: cut at 64 KiB. */
    s = vmi_read_str_va(vmi, VBASE + 6 * 0x1000, 0);
    CHECK(s != NULL);
    if (s)
        CHECK_EQ_U64(strlen(s), 65536);
    free(s);
    /* Unreadable from the start: NULL with a reason. */
    CHECK(vmi_read_str_va(vmi, VBASE + HOLE * 0x1000, 0) == NULL);
    CHECK(tvmi_errmsg(vmi)[0] != '\0');
    vmi_destroy(vmi);
}

static void test_unicode_string(void)
{
    vmi_instance_t vmi = open_img(NULL);
    unicode_string_t *us = vmi_read_unicode_str_va(vmi, VBASE + 0x100, 0), out;
    CHECK(us != NULL);
    if (us) {
        CHECK_EQ_U64(us->length, 10);
        CHECK(vmi_convert_str_encoding(us, &out, "UTF-8") == VMI_SUCCESS);
        CHECK_STREQ((char *)out.contents, "H\xc3\xa9llo");
        free(out.contents);
        CHECK(vmi_convert_str_encoding(us, &out, "ISO-8859-1") == VMI_FAILURE);
    }
    vmi_free_unicode_str(us);
    vmi_destroy(vmi);
}

static void test_v2p_cache_bounded_and_flushed_per_table(void)
{
    vmi_instance_t vmi = open_img("v2p_cache_size = 4");
    tvmi_cache_stats_t st;
    addr_t pa;
    for (unsigned i = 6; i < 16; i++) {
        CHECK(vmi_translate_kv2p(vmi, VBASE + i * 0x1000, &pa) == VMI_SUCCESS);
        CHECK_EQ_U64(pa, DATA + i * 0x1000);
    }
    tvmi_get_cache_stats(vmi, &st);
    CHECK_EQ_U64(st.v2p_capacity, 4);
    CHECK_EQ_U64(st.v2p_entries, 4);
    /* A stale entry added by hand is used, then really flushed. */
    vmi_v2pcache_add(vmi, VBASE + 0x7000, PML4, 0x99000);
    CHECK(vmi_translate_kv2p(vmi, VBASE + 0x7123, &pa) == VMI_SUCCESS);
    CHECK_EQ_U64(pa, 0x99123);
    vmi_v2pcache_flush(vmi, PML4 + 0x1000); /* another table: no effect */
    CHECK(vmi_translate_kv2p(vmi, VBASE + 0x7123, &pa) == VMI_SUCCESS && pa == 0x99123);
    vmi_v2pcache_flush(vmi, PML4);
    CHECK(vmi_translate_kv2p(vmi, VBASE + 0x7123, &pa) == VMI_SUCCESS);
    CHECK_EQ_U64(pa, DATA + 0x7123);
    vmi_destroy(vmi);
}

static void test_image_is_read_only(void)
{
    vmi_instance_t vmi = open_img(NULL);
    uint32_t v = 1;
    CHECK(vmi_write_32_va(vmi, VBASE, 0, &v) == VMI_FAILURE);
    CHECK(strstr(tvmi_errmsg(vmi), "read-only") != NULL);
    vmi_destroy(vmi);
}

static void test_mmap_guest_gives_copies(void)
{
    vmi_instance_t vmi = open_img(NULL);
    void *p[2] = { 0 };
    ACCESS_CONTEXT(ctx, .tm = VMI_TM_PROCESS_PID, .pid = 0, .addr = VBASE);
    CHECK(vmi_mmap_guest(vmi, &ctx, 2, PROT_READ, p) == VMI_SUCCESS);
    /* "abcdefgh" starts 4 bytes before the end of page 0 */
    CHECK(p[0] && memcmp((char *)p[0] + 0xffc, "abcd", 4) == 0);
    CHECK(p[1] && memcmp(p[1], "efgh", 5) == 0);
    if (p[0])
        munmap(p[0], 4096);
    if (p[1])
        munmap(p[1], 4096);
    vmi_destroy(vmi);
}

/* The same settings from a config file named by path, and from the global
 * file (TINYVMI_CONF stands in for /etc/libvmi.conf), picked by the image's
 * file name among other entries. */
static void test_config_file_and_global_entry(void)
{
    char conf[64] = "/tmp/tvmi-conf-XXXXXX", text[512];
    const char *base = strrchr(path, '/') + 1;
    int fd = mkstemp(conf);
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    addr_t pa = 0;

    snprintf(text, sizeof(text),
             "other { ostype = \"Windows\"; kpgd = 0x5000; }\n"
             "%s {\n  ostype = \"none\";\n  pagemode = \"ia32e\";\n  kpgd = 0x%x;\n}\n",
             base, PML4);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_FILE_PATH, conf,
                            &e) == VMI_SUCCESS);
    CHECK(vmi && vmi_translate_kv2p(vmi, VBASE + 0x1000, &pa) == VMI_SUCCESS);
    CHECK_EQ_U64(pa, DATA + 0x1000);
    vmi_destroy(vmi);
    vmi = NULL;

    setenv("TINYVMI_CONF", conf, 1);
    CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_GLOBAL_FILE_ENTRY,
                            NULL, &e) == VMI_SUCCESS);
    CHECK(vmi && vmi_translate_kv2p(vmi, VBASE + 0x2000, &pa) == VMI_SUCCESS);
    CHECK_EQ_U64(pa, DATA + 0x2000);
    CHECK_STREQ(tvmi_get_config(vmi, "kpgd"), "0x1000");
    vmi_destroy(vmi);
    unsetenv("TINYVMI_CONF");

    /* A file without an entry for this image says so. */
    fd = open(conf, O_WRONLY | O_TRUNC);
    CHECK(write(fd, "other { ostype = Linux; }\n", 26) == 26);
    close(fd);
    CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_FILE_PATH, conf,
                            &e) == VMI_FAILURE);
    CHECK_EQ_U64(e, VMI_INIT_ERROR_NO_CONFIG_ENTRY);
    CHECK(strstr(tvmi_init_errmsg(), "no entry") != NULL);
    unlink(conf);
}

static void test_init_failures_say_why(void)
{
    static const struct { const char *cfg, *want; } bad[] = {
        { "pagemode = sideways", "pagemode" },
        { "pagemode = ia32e; kpgd = banana", "kpgd" },
        { "ostype = Plan9", "Plan9" },
        { "v2p_cache_size = 0", "v2p_cache_size" },
        { "maxphyaddr = 99", "maxphyaddr" },
        { "ostype = \"Linux", "unterminated" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vmi_instance_t vmi = (vmi_instance_t)0x1;
        vmi_init_error_t e = VMI_INIT_ERROR_NONE;
        CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                                (void *)bad[i].cfg, &e) == VMI_FAILURE);
        CHECK(vmi == NULL);
        CHECK(e != VMI_INIT_ERROR_NONE);
        if (!strstr(tvmi_init_errmsg(), bad[i].want))
            fprintf(stderr, "  case %zu: \"%s\"\n", i, tvmi_init_errmsg());
        CHECK(strstr(tvmi_init_errmsg(), bad[i].want) != NULL);
    }
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    CHECK(vmi_init(&vmi, VMI_FILE, NULL, VMI_INIT_DOMAINNAME, NULL, &e) == VMI_FAILURE);
    CHECK(strstr(tvmi_init_errmsg(), "no target") != NULL);
    CHECK(vmi_init(&vmi, VMI_XEN, "dom0", VMI_INIT_DOMAINNAME, NULL, &e) == VMI_FAILURE);
#if TINYVMI_XEN
    /* Built with the Xen driver, on a host that is not a Xen domain. */
    CHECK_EQ_U64(e, VMI_INIT_ERROR_DRIVER);
    CHECK(strstr(tvmi_init_errmsg(), "no Xen here") != NULL);
#else
    CHECK_EQ_U64(e, VMI_INIT_ERROR_DRIVER_NOT_DETECTED);
#endif
    CHECK(vmi_init_complete(&vmi, "/nonexistent/image", VMI_INIT_DOMAINNAME, NULL,
                            VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &e) == VMI_FAILURE);
    CHECK(strstr(tvmi_init_errmsg(), "/nonexistent/image") != NULL);
}

/* The reverse map the memory events stand on (core_frame_vas): a frame
 * mapped at more virtual pages than the caller can watch is a failure that
 * says so, never a silent cut.  70 pages map one frame here. */
static void test_frame_vas_bounded(void)
{
    unsigned char *m = calloc(1, IMG_SIZE);
    char p2[64] = "/tmp/tvmi-frames-XXXXXX";
    uint64_t e;
    CHECK(m != NULL);
    e = PDPT | 3; memcpy(m + PML4 + 273 * 8, &e, 8);
    e = PD | 3;   memcpy(m + PDPT, &e, 8);
    e = PT | 3;   memcpy(m + PD, &e, 8);
    for (unsigned i = 0; i < 70; i++) {
        e = DATA | 3;
        memcpy(m + PT + i * 8, &e, 8);
    }
    e = (DATA + 0x1000) | 3;
    memcpy(m + PT + 70 * 8, &e, 8);
    int fd = mkstemp(p2);
    CHECK(fd >= 0 && write(fd, m, IMG_SIZE) == IMG_SIZE);
    close(fd);
    free(m);

    char cfg[128];
    vmi_instance_t vmi = NULL;
    vmi_init_error_t ie;
    snprintf(cfg, sizeof(cfg), "ostype = none; pagemode = ia32e; kpgd = 0x%x", PML4);
    CHECK(vmi_init_complete(&vmi, p2, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg, &ie) ==
          VMI_SUCCESS);
    if (vmi) {
        addr_t vas[80];
        /* Where the root came from, as the core records it. */
        CHECK(tvmi_get_config(vmi, "paging_source") != NULL &&
              strcmp(tvmi_get_config(vmi, "paging_source"), "the config's kpgd") == 0);
        unsigned int n = 0;
        CHECK(core_frame_vas(vmi, PML4, 0, ~0ULL, DATA >> 12, vas, 80, &n) == VMI_SUCCESS);
        CHECK_EQ_U64(n, 70);
        CHECK_EQ_U64(vas[0], VBASE);
        CHECK_EQ_U64(vas[69], VBASE + 69 * 0x1000);
        n = 0; /* exactly as many as fit */
        CHECK(core_frame_vas(vmi, PML4, 0, ~0ULL, DATA >> 12, vas, 70, &n) == VMI_SUCCESS);
        CHECK_EQ_U64(n, 70);
        n = 0; /* asked again: no repeats */
        CHECK(core_frame_vas(vmi, PML4, 0, ~0ULL, DATA >> 12, vas, 70, &n) == VMI_SUCCESS);
        CHECK(core_frame_vas(vmi, PML4, 0, ~0ULL, DATA >> 12, vas, 70, &n) == VMI_SUCCESS);
        CHECK_EQ_U64(n, 70);
        n = 0; /* one more than fits */
        CHECK(core_frame_vas(vmi, PML4, 0, ~0ULL, DATA >> 12, vas, 64, &n) == VMI_FAILURE);
        CHECK_EQ_U64(n, 64);
        CHECK(strstr(tvmi_errmsg(vmi), "more than 64 virtual pages") != NULL);
        n = 0; /* the range bounds it: [VBASE, VBASE + 10 pages) */
        CHECK(core_frame_vas(vmi, PML4, VBASE, VBASE + 10 * 0x1000, DATA >> 12, vas, 64, &n) ==
              VMI_SUCCESS);
        CHECK_EQ_U64(n, 10);
        n = 0;
        CHECK(core_frame_vas(vmi, PML4, 0, ~0ULL, (DATA >> 12) + 1, vas, 64, &n) == VMI_SUCCESS);
        CHECK(n == 1 && vas[0] == VBASE + 70 * 0x1000);
        vmi_destroy(vmi);
    }
    unlink(p2);
}

int main(void)
{
    build_image();
    TEST_RUN(test_read_across_pages);
    TEST_RUN(test_libvmi_pagemode_spelling);
    TEST_RUN(test_partial_read_stops_at_hole);
    TEST_RUN(test_strings_are_bounded);
    TEST_RUN(test_unicode_string);
    TEST_RUN(test_v2p_cache_bounded_and_flushed_per_table);
    TEST_RUN(test_image_is_read_only);
    TEST_RUN(test_mmap_guest_gives_copies);
    TEST_RUN(test_config_file_and_global_entry);
    TEST_RUN(test_init_failures_say_why);
    TEST_RUN(test_frame_vas_bounded);
    unlink(path);
    free(img);
    TEST_DONE();
}
