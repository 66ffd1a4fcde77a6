/*
 * test_isf.c - reading Volatility 3 ISF symbol tables: the table says X,
 * isf_* says X; damaged tables are refused with a reason.
 */
#include "test.h"

#include <stdbool.h>
#include <stdint.h>

#include "os/isf.h"

/* A cut-down Windows 7 SP1 x64 kernel table, in the shape pdbconv writes. */
static const char win_isf[] =
    "{\"metadata\": {\"format\": \"6.2.0\",\n"
    "  \"producer\": {\"name\": \"tinyvmi-tests\", \"version\": \"0.1.0\"},\n"
    "  \"windows\": {\"pdb\": {\"GUID\": \"3844dbb9-2017-4967-be7a-a4a2c20430fa\", \"age\": 2,\n"
    "                        \"database\": \"ntkrnlmp.pdb\", \"machine_type\": 34404},\n"
    "              \"pe\": {\"major\": 6, \"minor\": 1, \"revision\": 7601, \"build\": 17514}}},\n"
    " \"base_types\": {\"pointer\": {\"size\": 8, \"signed\": false, \"kind\": \"int\", \"endian\": \"little\"},\n"
    "                \"unsigned long long\": {\"size\": 8, \"signed\": false, \"kind\": \"int\", \"endian\": \"little\"},\n"
    "                \"unsigned char\": {\"size\": 1, \"signed\": false, \"kind\": \"char\", \"endian\": \"little\"},\n"
    "                \"unsigned long\": {\"size\": 4, \"signed\": false, \"kind\": \"int\", \"endian\": \"little\"}},\n"
    " \"user_types\": {\n"
    "  \"_LIST_ENTRY\": {\"kind\": \"struct\", \"size\": 16, \"fields\": {\n"
    "     \"Flink\": {\"offset\": 0, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}}},\n"
    "     \"Blink\": {\"offset\": 8, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}}}}},\n"
    "  \"_KPROCESS\": {\"kind\": \"struct\", \"size\": 352, \"fields\": {\n"
    "     \"ProfileListHead\": {\"offset\": 24, \"type\": {\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}},\n"
    "     \"DirectoryTableBase\": {\"offset\": 40, \"type\": {\"kind\": \"base\", \"name\": \"unsigned long long\"}},\n"
    "     \"Flags\": {\"offset\": 76, \"type\": {\"kind\": \"bitfield\", \"bit_position\": 3, \"bit_length\": 2,\n"
    "                                      \"type\": {\"kind\": \"base\", \"name\": \"unsigned long\"}}}}},\n"
    "  \"_EPROCESS\": {\"kind\": \"struct\", \"size\": 1232, \"fields\": {\n"
    "     \"Pcb\": {\"offset\": 0, \"type\": {\"kind\": \"struct\", \"name\": \"_KPROCESS\"}},\n"
    "     \"UniqueProcessId\": {\"offset\": 384, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": \"base\", \"name\": \"void\"}}},\n"
    "     \"ActiveProcessLinks\": {\"offset\": 392, \"type\": {\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}},\n"
    "     \"ImageFileName\": {\"offset\": 736, \"type\": {\"kind\": \"array\", \"count\": 15,\n"
    "                                        \"subtype\": {\"kind\": \"base\", \"name\": \"unsigned char\"}}},\n"
    "     \"Broken\": {\"offset\": -1, \"type\": {\"kind\": \"base\", \"name\": \"unsigned char\"}}}}},\n"
    " \"enums\": {\"_POOL_TYPE\": {\"size\": 4, \"base\": \"int\", \"constants\": {\"NonPagedPool\": 0, \"PagedPool\": 1, \"Neg\": -5}}},\n"
    " \"symbols\": {\"PsActiveProcessHead\": {\"address\": 2346320},\n"
    "             \"PsLoadedModuleList\": {\"address\": 2472592},\n"
    "             \"KdDebuggerDataBlock\": {\"address\": 2063584},\n"
    "             \"AliasOfHead\": {\"address\": 2346320},\n"
    "             \"NoAddress\": {\"type\": {\"kind\": \"function\"}}}}\n";

static isf_t *load(const char *text, util_err_t *err)
{
    util_err_clear(err);
    return isf_load_text(text, strlen(text), "test.json", err);
}

static void test_windows_table(void)
{
    util_err_t err;
    isf_t *isf = load(win_isf, &err);
    CHECK(isf != NULL);
    if (!isf) {
        fprintf(stderr, "  %s\n", util_err_msg(&err));
        return;
    }
    CHECK(isf_os(isf) == ISF_OS_WINDOWS);
    CHECK_EQ_U64(isf_pointer_size(isf), 8);
    CHECK_STREQ(isf_name(isf), "test.json");

    isf_pdb_t pdb;
    CHECK(isf_windows_pdb(isf, &pdb, &err));
    CHECK_STREQ(pdb.guid, "3844DBB920174967BE7AA4A2C20430FA");
    CHECK_EQ_U64(pdb.age, 2);
    CHECK_STREQ(pdb.database, "ntkrnlmp.pdb");
    CHECK_EQ_U64(pdb.machine, 0x8664);
    uint32_t maj, min, rev, build;
    CHECK(isf_windows_pe_version(isf, &maj, &min, &rev, &build));
    CHECK(maj == 6 && min == 1 && rev == 7601 && build == 17514);

    uint64_t a = 0;
    CHECK(isf_symbol(isf, "PsActiveProcessHead", &a, &err) && a == 2346320);
    CHECK(!isf_symbol(isf, "Nope", &a, &err));
    CHECK(strstr(util_err_msg(&err), "symbol Nope is not in test.json") != NULL);
    CHECK(!isf_symbol(isf, "NoAddress", &a, &err));
    CHECK(strstr(util_err_msg(&err), "no unsigned integer address") != NULL);
    /* Reverse lookups: exact addresses only; aliases answer consistently. */
    CHECK_STREQ(isf_symbol_at(isf, 2472592), "PsLoadedModuleList");
    CHECK_STREQ(isf_symbol_at(isf, 2346320), "AliasOfHead");
    CHECK(isf_symbol_at(isf, 2346321) == NULL);
    CHECK(isf_symbol_at(isf, 0) == NULL);

    uint64_t size = 0;
    CHECK(isf_type_size(isf, "_EPROCESS", &size, &err) && size == 1232);
    CHECK(isf_type_size(isf, "pointer", &size, &err) && size == 8);
    CHECK(isf_type_size(isf, "_POOL_TYPE", &size, &err) && size == 4);
    CHECK(!isf_type_size(isf, "_NOPE", &size, &err));

    isf_member_t m;
    CHECK(isf_member(isf, "_EPROCESS", "UniqueProcessId", &m, &err));
    CHECK_EQ_U64(m.offset, 0x180);
    CHECK_STREQ(m.kind, "pointer");
    CHECK_EQ_U64(m.size, 8);
    CHECK(isf_member(isf, "_EPROCESS", "ImageFileName", &m, &err));
    CHECK_EQ_U64(m.offset, 0x2e0);
    CHECK_STREQ(m.kind, "array");
    CHECK_EQ_U64(m.count, 15);
    CHECK_EQ_U64(m.size, 15);
    CHECK(isf_member(isf, "_EPROCESS", "ActiveProcessLinks", &m, &err));
    CHECK_STREQ(m.type_name, "_LIST_ENTRY");
    CHECK_EQ_U64(m.size, 16);
    /* Dotted paths add up the offsets of nested structs. */
    CHECK(isf_member(isf, "_EPROCESS", "Pcb.DirectoryTableBase", &m, &err));
    CHECK_EQ_U64(m.offset, 0x28);
    CHECK_STREQ(m.type_name, "unsigned long long");
    CHECK(isf_member(isf, "_EPROCESS", "ActiveProcessLinks.Blink", &m, &err));
    CHECK_EQ_U64(m.offset, 392 + 8);
    CHECK(isf_member(isf, "_KPROCESS", "Flags", &m, &err));
    CHECK_STREQ(m.kind, "bitfield");
    CHECK(m.bit_position == 3 && m.bit_length == 2);
    CHECK_STREQ(m.type_name, "unsigned long");
    CHECK_EQ_U64(m.size, 4);

    /* Absent and damaged members say which. */
    CHECK(!isf_member(isf, "_EPROCESS", "Nothing", &m, &err));
    CHECK(strstr(util_err_msg(&err), "struct _EPROCESS has no member Nothing") != NULL);
    CHECK(!isf_member(isf, "_ETHREAD", "Tcb", &m, &err));
    CHECK(strstr(util_err_msg(&err), "struct _ETHREAD is not in test.json") != NULL);
    CHECK(!isf_member(isf, "_EPROCESS", "Broken", &m, &err));
    CHECK(strstr(util_err_msg(&err), "_EPROCESS.Broken has no unsigned integer offset") != NULL);
    CHECK(!isf_member(isf, "_EPROCESS", "UniqueProcessId.X", &m, &err));
    CHECK(strstr(util_err_msg(&err), "not a nested struct") != NULL);
    CHECK(!isf_member(isf, "_EPROCESS", "Pcb.Nope", &m, &err));
    CHECK(strstr(util_err_msg(&err), "struct _KPROCESS has no member Nope") != NULL);

    int64_t v = 0;
    CHECK(isf_enum_value(isf, "_POOL_TYPE", "PagedPool", &v, &err) && v == 1);
    CHECK(isf_enum_value(isf, "_POOL_TYPE", "Neg", &v, &err) && v == -5);
    CHECK(!isf_enum_value(isf, "_POOL_TYPE", "Nope", &v, &err));
    CHECK(!isf_enum_value(isf, "_NOPE", "X", &v, &err));
    CHECK(isf_linux_banner(isf) == NULL);
    isf_free(isf);
}

static void test_linux_table(void)
{
    /* "Linux version 5.10.0 (test)\n" in base64 */
    const char *text =
        "{\"metadata\": {\"format\": \"6.0.0\", \"linux\": {\"symbols\": []}},"
        " \"base_types\": {\"pointer\": {\"size\": 8, \"signed\": false, \"kind\": \"int\", \"endian\": \"little\"}},"
        " \"user_types\": {}, \"enums\": {},"
        " \"symbols\": {\"linux_banner\": {\"address\": 18446744071600000000,"
        "   \"constant_data\": \"TGludXggdmVyc2lvbiA1LjEwLjAgKHRlc3QpCg==\"},"
        "   \"init_task\": {\"address\": 18446744071610000000}}}";
    util_err_t err;
    isf_t *isf = load(text, &err);
    CHECK(isf != NULL);
    CHECK(isf_os(isf) == ISF_OS_LINUX);
    CHECK_STREQ(isf_linux_banner(isf), "Linux version 5.10.0 (test)\n");
    uint64_t a;
    CHECK(isf_symbol(isf, "init_task", &a, &err) && a == 18446744071610000000ull);
    isf_pdb_t pdb;
    CHECK(!isf_windows_pdb(isf, &pdb, &err));
    CHECK(strstr(util_err_msg(&err), "not a Windows kernel table") != NULL);
    isf_free(isf);
}

/* C's unnamed struct and union members, as dwarf2json writes them: a field
 * "unnamed_field_N" marked anonymous, whose type is a struct named
 * unnamed_<hash> in user_types.  Their members are found by their own
 * names, the anonymous member's offset added. */
static void test_anonymous_members(void)
{
    const char *text =
        "{\"metadata\": {\"format\": \"6.2.0\", \"linux\": {\"symbols\": []}},"
        " \"base_types\": {\"int\": {\"size\": 4, \"signed\": true, \"kind\": \"int\", \"endian\": \"little\"}},"
        " \"user_types\": {"
        "  \"mm_struct\": {\"kind\": \"struct\", \"size\": 1032, \"fields\": {"
        "    \"unnamed_field_0\": {\"offset\": 0, \"anonymous\": true,"
        "                        \"type\": {\"kind\": \"struct\", \"name\": \"unnamed_8216\"}},"
        "    \"cpu_bitmap\": {\"offset\": 1024, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}}},"
        "  \"unnamed_8216\": {\"kind\": \"struct\", \"size\": 1000, \"fields\": {"
        "    \"mmap_base\": {\"offset\": 16, \"type\": {\"kind\": \"base\", \"name\": \"int\"}},"
        "    \"unnamed_field_1\": {\"offset\": 80, \"anonymous\": true,"
        "                        \"type\": {\"kind\": \"union\", \"name\": \"unnamed_99\"}}}},"
        "  \"unnamed_99\": {\"kind\": \"union\", \"size\": 8, \"fields\": {"
        "    \"pgd\": {\"offset\": 0, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}}},"
        "  \"named\": {\"kind\": \"struct\", \"size\": 1032, \"fields\": {"
        "    \"inner\": {\"offset\": 8, \"type\": {\"kind\": \"struct\", \"name\": \"unnamed_99\"}}}},"
        "  \"loop\": {\"kind\": \"struct\", \"size\": 8, \"fields\": {"
        "    \"unnamed_field_0\": {\"offset\": 0, \"anonymous\": true,"
        "                        \"type\": {\"kind\": \"struct\", \"name\": \"loop\"}},"
        "    \"unnamed_field_1\": {\"offset\": 4, \"anonymous\": true,"
        "                        \"type\": {\"kind\": \"struct\", \"name\": \"loop\"}}}}},"
        " \"enums\": {}, \"symbols\": {}}";
    util_err_t err;
    uint64_t off = 0;
    isf_member_t m;
    isf_t *isf = load(text, &err);
    CHECK(isf != NULL);
    if (!isf)
        return;
    CHECK(isf_member_offset(isf, "mm_struct", "mmap_base", &off, &err) && off == 16);
    CHECK(isf_member(isf, "mm_struct", "pgd", &m, &err) && m.offset == 80);
    CHECK_STREQ(m.type_ref, "int");
    CHECK(isf_member_offset(isf, "mm_struct", "cpu_bitmap", &off, &err) && off == 1024);
    /* A named member is not searched: its members need the dotted path. */
    CHECK(!isf_member_offset(isf, "named", "pgd", &off, &err));
    CHECK(isf_member_offset(isf, "named", "inner.pgd", &off, &err) && off == 8);
    /* Anonymous members that contain themselves: the search is bounded. */
    CHECK(!isf_member_offset(isf, "loop", "nothing", &off, &err));
    CHECK(strstr(util_err_msg(&err), "struct loop has no member nothing") != NULL);
    isf_free(isf);
}

static void rejects(const char *text, const char *want, int line)
{
    util_err_t err;
    isf_t *isf = load(text, &err);
    if (!CHECK_QUIET(!isf && strstr(util_err_msg(&err), want)))
        fprintf(stderr, "  FAIL line %d: wanted \"%s\", got \"%s\"\n", line, want,
                util_err_msg(&err));
    isf_free(isf);
}

static void test_bad_tables(void)
{
    rejects("[]", "test.json: not an ISF symbol table (top level is array", __LINE__);
    rejects("{\"metadata\": {}}", "\"base_types\" is missing", __LINE__);
    rejects("{\"metadata\": {\"format\": \"6.0.0\"}, \"base_types\": {}, \"user_types\": [],"
            " \"enums\": {}, \"symbols\": {}}", "\"user_types\" is not an object", __LINE__);
    rejects("{\"metadata\": {\"format\": \"9.0.0\"}, \"base_types\": {}, \"user_types\": {},"
            " \"enums\": {}, \"symbols\": {}}", "ISF format 9.0.0 is not supported", __LINE__);
    rejects("{\"metadata\": {}, \"base_types\": {}, \"user_types\": {},"
            " \"enums\": {}, \"symbols\": {}}", "metadata.format is missing", __LINE__);
    rejects("{\"metadata\": ", "test.json: line 1, column 14", __LINE__);

    /* A bad GUID or a missing age is reported when the metadata is read. */
    const char *bad_guid =
        "{\"metadata\": {\"format\": \"6.2.0\", \"windows\": {\"pdb\": {\"GUID\": \"XYZ\", \"age\": 1,"
        " \"database\": \"ntkrnlmp.pdb\", \"machine_type\": 332}}},"
        " \"base_types\": {}, \"user_types\": {}, \"enums\": {}, \"symbols\": {}}";
    util_err_t err;
    isf_t *isf = load(bad_guid, &err);
    CHECK(isf != NULL);
    isf_pdb_t pdb;
    CHECK(!isf_windows_pdb(isf, &pdb, &err));
    CHECK(strstr(util_err_msg(&err), "is not 32 hex digits") != NULL);
    CHECK_EQ_U64(isf_pointer_size(isf), 0);
    isf_free(isf);

    isf = isf_load_file("/nonexistent/ntkrnlmp.json", &err);
    CHECK(isf == NULL && strstr(util_err_msg(&err), "/nonexistent/ntkrnlmp.json"));
}

int main(void)
{
    TEST_RUN(test_windows_table);
    TEST_RUN(test_linux_table);
    TEST_RUN(test_anonymous_members);
    TEST_RUN(test_bad_tables);
    TEST_DONE();
}
