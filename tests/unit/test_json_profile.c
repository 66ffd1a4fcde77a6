/*
 * test_json_profile.c - LibVMI's JSON-profile calls (libvmi_extra.h with
 * LIBVMI_EXTRA_JSON) on the Windows ISF files in tests/data/windows and on
 * a Linux table in the shape dwarf2json writes: the table says X, the call
 * says X.  Then what must be refused with a reason: no profile, a Rekall
 * profile, a file that is not an ISF table, a profile that contradicts the
 * configured ostype, and a json_object that TinyVMI did not hand out.
 *
 * The expected numbers are read off the JSON files by hand.
 */
#include "test.h"

#include <unistd.h>

#include <libvmi/libvmi.h>
#define LIBVMI_EXTRA_JSON
#include <libvmi/libvmi_extra.h>

static char tmpdir[] = "/tmp/tvmi-json-XXXXXX";
static char datadir[512], image[600], linux_isf[600], not_isf[600];

static const char linux_table[] =
    "{\"metadata\": {\"format\": \"6.2.0\", \"producer\": {\"name\": \"dwarf2json\"},\n"
    "  \"linux\": {\"symbols\": [{\"kind\": \"dwarf\", \"name\": \"vmlinux\"}]}},\n"
    " \"base_types\": {\n"
    "  \"int\": {\"size\": 4, \"signed\": true, \"kind\": \"int\", \"endian\": \"little\"},\n"
    "  \"unsigned int\": {\"size\": 4, \"signed\": false, \"kind\": \"int\", \"endian\": \"little\"},\n"
    "  \"pointer\": {\"size\": 8, \"signed\": false, \"kind\": \"int\", \"endian\": \"little\"}},\n"
    " \"user_types\": {\n"
    "  \"task_struct\": {\"kind\": \"struct\", \"size\": 9792, \"fields\": {\n"
    "    \"__state\": {\"offset\": 24, \"type\": {\"kind\": \"base\", \"name\": \"unsigned int\"}},\n"
    "    \"sched_reset_on_fork\": {\"offset\": 1476, \"type\": {\"kind\": \"bitfield\",\n"
    "        \"bit_position\": 1, \"bit_length\": 1,\n"
    "        \"type\": {\"kind\": \"base\", \"name\": \"unsigned int\"}}},\n"
    "    \"unnamed_field_0\": {\"offset\": 2432, \"anonymous\": true,\n"
    "        \"type\": {\"kind\": \"struct\", \"name\": \"unnamed_1a2b\"}},\n"
    "    \"mm\": {\"offset\": 2336, \"type\": {\"kind\": \"pointer\",\n"
    "        \"subtype\": {\"kind\": \"struct\", \"name\": \"mm_struct\"}}}}},\n"
    "  \"unnamed_1a2b\": {\"kind\": \"struct\", \"size\": 16, \"fields\": {\n"
    "    \"pid\": {\"offset\": 0, \"type\": {\"kind\": \"base\", \"name\": \"int\"}},\n"
    "    \"tgid\": {\"offset\": 4, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}}},\n"
    "  \"mm_struct\": {\"kind\": \"struct\", \"size\": 1088, \"fields\": {}}},\n"
    " \"enums\": {},\n"
    " \"symbols\": {\"init_task\": {\"address\": 18446744071603153472},\n"
    "             \"jiffies\": {\"address\": 18446744071600857088}}}\n";

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* An instance on a small image with no paging and no OS layer, with more
 * configuration in extra. */
static vmi_instance_t open_with(const char *extra)
{
    char cfg[1400];
    vmi_instance_t vmi = NULL;
    snprintf(cfg, sizeof(cfg), "ostype = none; pagemode = none; %s", extra ? extra : "");
    if (vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg,
                          NULL) != VMI_SUCCESS)
        fprintf(stderr, "  init: %s\n", tvmi_init_errmsg());
    return vmi;
}

static bool says(vmi_instance_t vmi, const char *want)
{
    if (strstr(tvmi_errmsg(vmi), want))
        return true;
    fprintf(stderr, "  (reason was \"%s\", expected \"%s\")\n", tvmi_errmsg(vmi), want);
    return false;
}

/* The Windows 10 x64 table: symbols are RVAs, offsets by name and path. */
static void test_windows_profile(void)
{
    char path[600];
    vmi_instance_t vmi = open_with(NULL);
    json_object *j;
    addr_t a = 0;
    size_t size = 0, start = 0, end = 0;
    const char *type = NULL;

    CHECK(vmi != NULL);
    if (!vmi)
        return;
    snprintf(path, sizeof(path), "%s/win10-x64.json", datadir);
    CHECK(vmi_init_profile(vmi, VMI_CONFIG_JSON_PATH, path) == VMI_OS_WINDOWS);
    j = vmi_get_kernel_json(vmi);
    CHECK(j != NULL);
    CHECK(vmi_get_kernel_json(vmi) == j); /* one handle per instance */
    CHECK(vmi_get_symbol_addr_from_json(vmi, j, "PsActiveProcessHead", &a) == VMI_SUCCESS);
    CHECK_EQ_U64(a, 40960);
    CHECK(vmi_get_struct_size_from_json(vmi, j, "_EPROCESS", &size) == VMI_SUCCESS);
    CHECK_EQ_U64(size, 2624);
    CHECK(vmi_get_struct_member_offset_from_json(vmi, j, "_EPROCESS", "UniqueProcessId", &a) ==
          VMI_SUCCESS);
    CHECK_EQ_U64(a, 1088);
    CHECK(vmi_get_struct_member_offset_from_json(vmi, j, "_EPROCESS", "ImageFileName", &a) ==
          VMI_SUCCESS);
    CHECK_EQ_U64(a, 1448);
    CHECK(vmi_get_struct_member_offset_from_json(vmi, j, "_EPROCESS", "Pcb.DirectoryTableBase",
                                                 &a) == VMI_SUCCESS);
    CHECK_EQ_U64(a, 40);
    CHECK(vmi_get_struct_field_type_name_from_json(vmi, j, "_EPROCESS", "Pcb", &type) ==
          VMI_SUCCESS);
    CHECK_STREQ(type, "_KPROCESS");
    CHECK(vmi_get_struct_field_type_name_from_json(vmi, j, "_KPROCESS", "DirectoryTableBase",
                                                   &type) == VMI_SUCCESS);
    CHECK_STREQ(type, "unsigned long long");
    /* Absent things, each with its reason. */
    CHECK(vmi_get_symbol_addr_from_json(vmi, j, "NoSuchSymbol", &a) == VMI_FAILURE);
    CHECK(says(vmi, "vmi_get_symbol_addr_from_json: symbol NoSuchSymbol is not in"));
    CHECK(vmi_get_struct_member_offset_from_json(vmi, j, "_EPROCESS", "Nope", &a) ==
          VMI_FAILURE);
    CHECK(says(vmi, "struct _EPROCESS has no member Nope"));
    CHECK(vmi_get_struct_size_from_json(vmi, j, "_NOPE", &size) == VMI_FAILURE);
    CHECK(says(vmi, "type _NOPE is not in"));
    CHECK(vmi_get_struct_field_type_name_from_json(vmi, j, "_EPROCESS", "Peb", &type) ==
          VMI_FAILURE);
    CHECK(says(vmi, "the type of _EPROCESS.Peb (pointer) has no name"));
    CHECK(vmi_get_bitfield_offset_and_size_from_json(vmi, j, "_EPROCESS", "Pcb", &a, &start,
                                                     &end) == VMI_FAILURE);
    CHECK(says(vmi, "_EPROCESS.Pcb is not a bitfield (its type is struct)"));
    vmi_destroy(vmi);
}

/* A Linux table: link-time addresses, anonymous members, bitfields; the
 * profile named at init (volatility_ist) and loaded on first use. */
static void test_linux_profile(void)
{
    char cfg[700];
    vmi_instance_t vmi;
    json_object *j;
    addr_t a = 0;
    size_t start = 0, end = 0, size = 0;
    const char *type = NULL;

    snprintf(cfg, sizeof(cfg), "volatility_ist = \"%s\";", linux_isf);
    vmi = open_with(cfg);
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    j = vmi_get_kernel_json(vmi);
    CHECK(j != NULL);
    CHECK(vmi_get_symbol_addr_from_json(vmi, j, "init_task", &a) == VMI_SUCCESS);
    CHECK_EQ_U64(a, 18446744071603153472ULL);
    CHECK(vmi_get_struct_member_offset_from_json(vmi, j, "task_struct", "pid", &a) ==
          VMI_SUCCESS);
    CHECK_EQ_U64(a, 2432);
    CHECK(vmi_get_struct_member_offset_from_json(vmi, j, "task_struct", "tgid", &a) ==
          VMI_SUCCESS);
    CHECK_EQ_U64(a, 2436);
    CHECK(vmi_get_struct_field_type_name_from_json(vmi, j, "task_struct", "tgid", &type) ==
          VMI_SUCCESS);
    CHECK_STREQ(type, "int");
    CHECK(vmi_get_bitfield_offset_and_size_from_json(vmi, j, "task_struct",
                                                     "sched_reset_on_fork", &a, &start,
                                                     &end) == VMI_SUCCESS);
    CHECK_EQ_U64(a, 1476);
    CHECK_EQ_U64(start, 1);
    CHECK_EQ_U64(end, 2);
    /* Out-parameters may be NULL. */
    CHECK(vmi_get_bitfield_offset_and_size_from_json(vmi, j, "task_struct",
                                                     "sched_reset_on_fork", NULL, NULL,
                                                     &end) == VMI_SUCCESS);
    CHECK(vmi_get_struct_field_type_name_from_json(vmi, j, "task_struct",
                                                   "sched_reset_on_fork", &type) ==
          VMI_SUCCESS);
    CHECK_STREQ(type, "unsigned int");
    CHECK(vmi_get_struct_size_from_json(vmi, j, "task_struct", &size) == VMI_SUCCESS);
    CHECK_EQ_U64(size, 9792);
    CHECK(vmi_get_struct_size_from_json(vmi, j, "unsigned int", &size) == VMI_SUCCESS);
    CHECK_EQ_U64(size, 4);
    CHECK(vmi_init_profile(vmi, VMI_CONFIG_STRING, "ostype = Linux;") == VMI_OS_LINUX);
    /* A handle is usable with another instance while its own lives. */
    vmi_instance_t other = open_with(NULL);
    CHECK(other != NULL);
    if (other) {
        CHECK(vmi_get_symbol_addr_from_json(other, j, "jiffies", &a) == VMI_SUCCESS);
        CHECK_EQ_U64(a, 18446744071600857088ULL);
        vmi_destroy(other);
    }
    vmi_destroy(vmi);
}

static void test_refusals(void)
{
    char cfg[1400], path[600];
    vmi_instance_t vmi;
    addr_t a;
    /* What a json-c object starts with: its type, a small number. */
    uint64_t foreign[8] = { 4, 1, 0, 0, 0, 0, 0, 0 };

    vmi = open_with(NULL);
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    CHECK(vmi_get_kernel_json(vmi) == NULL);
    CHECK(says(vmi, "vmi_get_kernel_json: no JSON profile: set volatility_ist"));
    CHECK(vmi_init_profile(vmi, VMI_CONFIG_STRING, "ostype = none;") == VMI_OS_UNKNOWN);
    CHECK(says(vmi, "vmi_init_profile: no JSON profile"));
    CHECK(vmi_get_symbol_addr_from_json(vmi, (json_object *)foreign, "init_task", &a) ==
          VMI_FAILURE);
    CHECK(says(vmi, "not a TinyVMI profile handle"));
    CHECK(vmi_get_struct_size_from_json(vmi, NULL, "task_struct", (size_t *)&a) ==
          VMI_FAILURE);
    CHECK(says(vmi, "a required argument is NULL (json)"));
    CHECK(vmi_init_profile(vmi, VMI_CONFIG_JSON_PATH, not_isf) == VMI_OS_UNKNOWN);
    CHECK(says(vmi, "not an ISF symbol table"));
    vmi_destroy(vmi);

    vmi = open_with("rekall_profile = \"/some/where.json\";");
    if (vmi) {
        CHECK(vmi_get_kernel_json(vmi) == NULL);
        CHECK(says(vmi, "Rekall profiles are not supported"));
        vmi_destroy(vmi);
    }

    /* The profile is a Windows table; the config says Linux. */
    snprintf(path, sizeof(path), "%s/xp-sp3-x86.json", datadir);
    snprintf(cfg, sizeof(cfg), "volatility_ist = \"%s\";", path);
    vmi = open_with(cfg);
    if (vmi) {
        CHECK(vmi_init_profile(vmi, VMI_CONFIG_STRING, "ostype = Linux;") == VMI_OS_UNKNOWN);
        CHECK(says(vmi, "config ostype = \"Linux\", but JSON profile"));
        CHECK(says(vmi, "is a Windows table"));
        vmi_destroy(vmi);
    }
}

int main(void)
{
    TEST_DATA_DIR(datadir, "windows");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(image, sizeof(image), "%s/small.raw", tmpdir);
    snprintf(linux_isf, sizeof(linux_isf), "%s/linux.json", tmpdir);
    snprintf(not_isf, sizeof(not_isf), "%s/other.json", tmpdir);
    {
        static char zeros[65536];
        FILE *f = fopen(image, "wb");
        CHECK(f && fwrite(zeros, 1, sizeof(zeros), f) == sizeof(zeros));
        if (f)
            fclose(f);
    }
    CHECK(write_file(linux_isf, linux_table));
    CHECK(write_file(not_isf, "{\"name\": \"not a symbol table\"}"));
    TEST_RUN(test_windows_profile);
    TEST_RUN(test_linux_profile);
    TEST_RUN(test_refusals);
    unlink(image);
    unlink(linux_isf);
    unlink(not_isf);
    rmdir(tmpdir);
    TEST_DONE();
}
