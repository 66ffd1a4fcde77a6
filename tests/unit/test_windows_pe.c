/*
 * test_windows_pe.c - PE/COFF parsing (src/os/windows/pe.c) over images the
 * test builds: what the image says, pe_* says; damaged images are refused
 * with a reason, never read out of bounds.
 */
#include "test.h"

#include "../helpers/winimage.h"
#include "os/windows/pe.h"

#define IMG_SIZE 0xC000u

typedef struct flat {
    uint8_t buf[IMG_SIZE];
    uint8_t readable[IMG_SIZE / 0x1000]; /* 0: page unmapped */
} flat_t;

static void flat_put(void *ctx, uint32_t rva, const void *data, size_t len)
{
    flat_t *f = ctx;
    if (rva + len > IMG_SIZE)
        wi_die("flat image too small");
    memcpy(f->buf + rva, data, len);
}

static status_t flat_read(void *ctx, uint64_t rva, void *buf, size_t len, util_err_t *err)
{
    flat_t *f = ctx;
    if (rva > IMG_SIZE || len > IMG_SIZE - rva) {
        util_err_set(err, "beyond the buffer");
        return VMI_FAILURE;
    }
    for (uint64_t p = rva / 0x1000; p <= (rva + len - 1) / 0x1000; p++)
        if (!f->readable[p]) {
            util_err_set(err, "page 0x%llx not present", (unsigned long long)p * 0x1000);
            return VMI_FAILURE;
        }
    memcpy(buf, f->buf + rva, len);
    return VMI_SUCCESS;
}

static const wi_export_t exports[] = {
    { "Alpha", 0x1010, NULL },
    { "Beta", 0x1020, NULL },
    { "Forwarded", 0, "OTHER.Target" },
    { "Gamma", 0x1030, NULL },
    { "Zeta", 0x1020, NULL }, /* an alias of Beta */
};
static const uint8_t guid[16] = { 0xb9, 0xdb, 0x44, 0x38, 0x17, 0x20, 0x67, 0x49,
                                  0xbe, 0x7a, 0xa4, 0xa2, 0xc2, 0x04, 0x30, 0xfa };

static void build(flat_t *f, bool pe64)
{
    memset(f, 0, sizeof(*f));
    memset(f->readable, 1, sizeof(f->readable));
    wi_pe_spec_t s = { pe64, IMG_SIZE, 6, 1, pe64 ? 0x140000000ULL : 0x400000ULL,
                       "test.sys", "c:\\build\\obj\\test.pdb", guid, 2, exports,
                       sizeof(exports) / sizeof(exports[0]) };
    wi_build_pe(&s, flat_put, f);
}

static void set32(flat_t *f, uint32_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        f->buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void test_headers(void)
{
    for (int wide = 0; wide < 2; wide++) {
        flat_t f;
        pe_image_t img;
        util_err_t err;
        build(&f, wide);
        CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(img.machine, wide ? PE_MACHINE_AMD64 : PE_MACHINE_I386);
        CHECK(img.pe32plus == (bool)wide);
        CHECK_EQ_U64(img.image_base, wide ? 0x140000000ULL : 0x400000ULL);
        CHECK_EQ_U64(img.size_of_image, IMG_SIZE);
        CHECK_EQ_U64(img.os_major, 6);
        CHECK_EQ_U64(img.os_minor, 1);
        CHECK_EQ_U64(img.nsections, 3);
        CHECK_EQ_U64(img.ndirs, 16);
        pe_section_t sec;
        CHECK(pe_section(&img, 2, &sec, &err) == VMI_SUCCESS);
        CHECK_STREQ(sec.name, ".data");
        CHECK_EQ_U64(sec.va, WI_DATA);
        CHECK(pe_section(&img, 3, &sec, &err) == VMI_FAILURE);
    }
}

static void test_codeview(void)
{
    flat_t f;
    pe_image_t img;
    pe_codeview_t cv;
    util_err_t err;
    build(&f, true);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_codeview(&img, &cv, &err) == VMI_SUCCESS);
    CHECK_STREQ(cv.format, "RSDS");
    /* The symbol-server form: Data1..3 as numbers, Data4 as bytes. */
    CHECK_STREQ(cv.guid_str, "3844DBB920174967BE7AA4A2C20430FA");
    CHECK_EQ_U64(cv.age, 2);
    CHECK_STREQ(cv.pdb, "c:\\build\\obj\\test.pdb");
    CHECK_STREQ(pe_pdb_basename(cv.pdb), "test.pdb");
    CHECK_STREQ(pe_pdb_basename("ntkrnlmp.pdb"), "ntkrnlmp.pdb");

    /* NB10 (older toolchains): a signature instead of a GUID. */
    uint32_t cvrva = WI_RDATA + 0x40;
    memcpy(f.buf + cvrva, "NB10", 4);
    set32(&f, cvrva + 4, 0);
    set32(&f, cvrva + 8, 0x3b7d8410);
    set32(&f, cvrva + 12, 5);
    strcpy((char *)f.buf + cvrva + 16, "ntoskrnl.pdb");
    CHECK(pe_codeview(&img, &cv, &err) == VMI_SUCCESS);
    CHECK_STREQ(cv.format, "NB10");
    CHECK_STREQ(cv.guid_str, "3B7D8410");
    CHECK_EQ_U64(cv.age, 5);
    CHECK_STREQ(cv.pdb, "ntoskrnl.pdb");

    /* A name without its NUL inside the record is refused. */
    build(&f, true);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    set32(&f, WI_RDATA + 16, 24 + 5); /* SizeOfData cuts the name */
    CHECK(pe_codeview(&img, &cv, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "longer than") != NULL);
    /* An unknown signature. */
    build(&f, true);
    memcpy(f.buf + cvrva, "XXXX", 4);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_codeview(&img, &cv, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "unknown signature") != NULL);
    /* The record on an unmapped page: the reason says so. */
    build(&f, true);
    f.readable[WI_RDATA / 0x1000] = 0;
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_codeview(&img, &cv, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "not present") != NULL);
}

static void test_exports(void)
{
    for (int wide = 0; wide < 2; wide++) {
        flat_t f;
        pe_image_t img;
        pe_export_t e;
        util_err_t err;
        char name[64];
        build(&f, wide);
        CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
        for (size_t i = 0; i < sizeof(exports) / sizeof(exports[0]); i++) {
            CHECK(pe_export_by_name(&img, exports[i].name, &e, &err) == VMI_SUCCESS);
            if (exports[i].forwarder) {
                CHECK_STREQ(e.forwarder, exports[i].forwarder);
                CHECK_EQ_U64(e.rva, 0);
            } else {
                CHECK_EQ_U64(e.rva, exports[i].rva);
                CHECK_STREQ(e.forwarder, "");
            }
        }
        CHECK(pe_export_by_name(&img, "Delta", &e, &err) == VMI_FAILURE);
        CHECK_STREQ(util_err_msg(&err), "no export Delta");
        CHECK(pe_export_by_name(&img, "", &e, &err) == VMI_FAILURE);
        /* Functions are stored in reverse: ordinal 1 is the last name. */
        CHECK(pe_export_by_ordinal(&img, 1, &e, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(e.rva, 0x1020); /* Zeta */
        CHECK(pe_export_by_ordinal(&img, 5, &e, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(e.rva, 0x1010); /* Alpha */
        CHECK(pe_export_by_ordinal(&img, 0, &e, &err) == VMI_FAILURE);
        CHECK(pe_export_by_ordinal(&img, 6, &e, &err) == VMI_FAILURE);
        CHECK(pe_export_name_at(&img, 0x1030, name, sizeof(name), &err) == VMI_SUCCESS);
        CHECK_STREQ(name, "Gamma");
        CHECK(pe_export_name_at(&img, 0x1020, name, sizeof(name), &err) == VMI_SUCCESS);
        CHECK_STREQ(name, "Beta"); /* the first name in the table */
        CHECK(pe_export_name_at(&img, 0x1011, name, sizeof(name), &err) == VMI_FAILURE);
        CHECK(pe_export_dll_name(&img, name, sizeof(name), &err) == VMI_SUCCESS);
        CHECK_STREQ(name, "test.sys");
        /* A name cut by a small buffer is an error, not a silent cut. */
        CHECK(pe_export_dll_name(&img, name, 4, &err) == VMI_FAILURE);
    }
}

/* Damaged images: each refused with a reason naming what is wrong. */
static void expect_open_fails(flat_t *f, const char *want, int line)
{
    pe_image_t img;
    util_err_t err;
    util_err_clear(&err);
    if (!CHECK_QUIET(pe_open(&img, flat_read, f, &err) == VMI_FAILURE &&
                     strstr(util_err_msg(&err), want)))
        fprintf(stderr, "  FAIL line %d: wanted \"%s\", got \"%s\"\n", line, want,
                util_err_msg(&err));
}

static void test_hostile_headers(void)
{
    flat_t f;
    build(&f, true);
    f.buf[0] = 'X';
    expect_open_fails(&f, "no MZ signature", __LINE__);
    build(&f, true);
    set32(&f, 0x3c, 0x7ffffff0);
    expect_open_fails(&f, "e_lfanew 0x7ffffff0", __LINE__);
    build(&f, true);
    set32(&f, 0x3c, 0);
    expect_open_fails(&f, "e_lfanew 0x0", __LINE__);
    build(&f, true);
    memcpy(f.buf + 0x80, "PX\0\0", 4);
    expect_open_fails(&f, "no PE signature", __LINE__);
    build(&f, true);
    f.buf[0x98] = 0x07;
    expect_open_fails(&f, "optional header magic 0x207", __LINE__);
    build(&f, true);
    f.buf[0x84 + 16] = 0x10; /* SizeOfOptionalHeader 16 */
    expect_open_fails(&f, "SizeOfOptionalHeader 16", __LINE__);
    build(&f, true);
    set32(&f, 0x98 + 56, 0); /* SizeOfImage */
    expect_open_fails(&f, "SizeOfImage 0x0", __LINE__);
    build(&f, true);
    set32(&f, 0x98 + 56, 0x80000000u);
    expect_open_fails(&f, "SizeOfImage 0x80000000", __LINE__);
    build(&f, true);
    f.buf[0x86] = 200; /* NumberOfSections */
    expect_open_fails(&f, "200 sections", __LINE__);
    build(&f, true);
    f.readable[0] = 0;
    expect_open_fails(&f, "DOS header", __LINE__);
}

static void test_hostile_exports(void)
{
    flat_t f;
    pe_image_t img;
    pe_export_t e;
    util_err_t err;
    char name[64];
    uint32_t ed = WI_RDATA + 0x400;

    /* Counts far beyond the image. */
    build(&f, true);
    set32(&f, ed + 24, 0xffffffffu);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_export_by_name(&img, "Alpha", &e, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "too many") != NULL);
    /* A table that runs past SizeOfImage. */
    build(&f, true);
    set32(&f, ed + 32, IMG_SIZE - 8);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_export_by_name(&img, "Alpha", &e, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "name table") != NULL);
    /* A name pointer outside the image. */
    build(&f, true);
    set32(&f, ed + 40 + 5 * 4, 0x7fff0000u);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_export_by_name(&img, "Alpha", &e, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "outside the image") != NULL);
    /* An ordinal pointing past the functions. */
    build(&f, true);
    {
        uint32_t ords = ed + 40 + 4 * 5 + 4 * 5;
        f.buf[ords] = 0x40; /* Alpha's ordinal index: 0x40 */
    }
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_export_by_name(&img, "Alpha", &e, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "past the 5 functions") != NULL);
    CHECK(pe_export_name_at(&img, 0x1030, name, sizeof(name), &err) == VMI_SUCCESS);
    /* No export directory at all. */
    build(&f, true);
    memset(f.buf + 0x98 + 112, 0, 8);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_export_by_name(&img, "Alpha", &e, &err) == VMI_FAILURE);
    CHECK_STREQ(util_err_msg(&err), "the image has no export directory");
    /* A name that never ends (no NUL before the image does). */
    build(&f, true);
    memset(f.buf + 0xB000, 'A', 0x1000);
    set32(&f, ed + 12, 0xB000);
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_export_dll_name(&img, name, sizeof(name), &err) == VMI_FAILURE);
}

int main(void)
{
    TEST_RUN(test_headers);
    TEST_RUN(test_codeview);
    TEST_RUN(test_exports);
    TEST_RUN(test_hostile_headers);
    TEST_RUN(test_hostile_exports);
    TEST_DONE();
}
