/*
 * test_linux_compiled_config - configuration and symbols compiled into the
 * program, no file system: the whole System.map (made from the guest's own
 * /proc/kallsyms) travels inside a VMI_CONFIG_STRING, as a MiniOS program
 * would carry it in a string constant.  The guest said which processes ran
 * and where its symbols were; TinyVMI must say the same.
 */
#include <libvmi/libvmi.h>

#include "guest.h"
#include "test.h"

static const char *guest;

/* "addr type name" lines of the guest's kallsyms, without module symbols. */
static char *system_map_of(const char *g)
{
    char *k = guest_slurp(g, "truth/kallsyms.txt"), *out, *line, *save = NULL;
    size_t n = 0;
    if (!k)
        return NULL;
    out = malloc(strlen(k) + 1);
    for (line = strtok_r(k, "\n", &save); line && out; line = strtok_r(NULL, "\n", &save)) {
        if (strchr(line, '['))
            continue;
        n += (size_t)sprintf(out + n, "%s\n", line);
    }
    free(k);
    return out;
}

typedef struct seen {
    int init_found;
    size_t count;
} seen_t;

static int on_proc(void *ctx, const tvmi_process_t *p)
{
    seen_t *s = ctx;
    s->count++;
    if (p->pid == 1 && strcmp(p->name, "init") == 0)
        s->init_found = 1;
    return 0;
}

static void test_compiled_in_sysmap(void)
{
    char path[4096];
    char *map = system_map_of(guest), *cfg;
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    seen_t seen = { 0 };
    addr_t va = 0;

    CHECK(map != NULL);
    if (!map)
        return;
    cfg = malloc(strlen(map) + 64);
    sprintf(cfg, "ostype = \"Linux\";\nsysmap = \"%s\";\n", map);
    guest_path(guest, "core.elf", path, sizeof(path));
    CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg, &e) ==
          VMI_SUCCESS);
    if (!vmi) {
        fprintf(stderr, "  %s: %s\n", guest, tvmi_init_errmsg());
        free(cfg);
        free(map);
        return;
    }
    CHECK_EQ_U64(vmi_get_ostype(vmi), VMI_OS_LINUX);
    CHECK(vmi_translate_ksym2v(vmi, "_text", &va) == VMI_SUCCESS);
    CHECK_EQ_U64(va, guest_kallsyms(guest, "_text"));
    /* The banner the layer reports is the kernel's own (memory holds
     * other "Linux version" copies that differ). */
    if (guest_kallsyms(guest, "linux_banner")) {
        char *version = guest_slurp(guest, "truth/version.txt");
        if (version) {
            version[strcspn(version, "\n")] = '\0';
            CHECK_STREQ(tvmi_get_config(vmi, "linux_banner"), version);
            free(version);
        }
    }
    CHECK(tvmi_process_foreach(vmi, on_proc, &seen) == VMI_SUCCESS);
    CHECK(seen.init_found);
    CHECK(seen.count > 10);
    vmi_destroy(vmi);
    free(cfg);
    free(map);
}

/* With no configuration at all, the banner the layer reports is the
 * kernel's own linux_banner (guest memory holds other "Linux version"
 * copies that differ, and a scan meets one of those first). */
static void test_zero_config_banner(void)
{
    char path[4096];
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    char *version;
    if (!guest_kallsyms(guest, "linux_banner"))
        SKIP("this guest's kallsyms name no data symbols (no linux_banner to compare)");
    version = guest_slurp(guest, "truth/version.txt");
    guest_path(guest, "core.elf", path, sizeof(path));
    CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, "",
                            &e) == VMI_SUCCESS);
    if (vmi && version) {
        version[strcspn(version, "\n")] = '\0';
        CHECK_STREQ(tvmi_get_config(vmi, "linux_banner"), version);
    }
    vmi_destroy(vmi);
    free(version);
}

/* A wrong linux_pgd would list every user process without a page table;
 * init refuses it, naming the key. */
static void test_wrong_pgd_offset_is_refused(void)
{
    char path[4096];
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    guest_path(guest, "core.elf", path, sizeof(path));
    CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                            "ostype = Linux; linux_pgd = 0x8", &e) == VMI_FAILURE);
    CHECK(vmi == NULL);
    CHECK(strstr(tvmi_init_errmsg(), "linux_pgd = 0x8 (config)") != NULL);
    if (vmi)
        vmi_destroy(vmi);
}

int main(void)
{
    for (size_t g = 0; g < GUEST_COUNT; g++) {
        guest = guest_names[g];
        if (!guest_exists(guest)) {
            printf("missing guest image %s\n", guest);
            test_failed++;
            continue;
        }
        printf("-- %s\n", guest);
        TEST_RUN(test_compiled_in_sysmap);
        TEST_RUN(test_wrong_pgd_offset_is_refused);
        TEST_RUN(test_zero_config_banner);
    }
    TEST_DONE();
}
