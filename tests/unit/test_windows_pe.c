/*
 * test_windows_pe.c - PE/COFF parsing (src/os/windows/pe.c) and LibVMI's
 * peparse_* calls on header bytes (os/windows/peparse.c) over images the
 * test builds: what the image says, pe_* and peparse_* say; damaged images
 * are refused with a reason, never read out of bounds.
 */
#include "test.h"

#include <libvmi/peparse.h>
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

/* The export directory moved so that its first four bytes (the reserved
 * flags) end a page that is not mapped: Windows pages export directories
 * out like any data.  The rest is read; flags count as 0. */
static void test_export_dir_on_a_page_boundary(void)
{
    flat_t f;
    pe_image_t img;
    pe_export_t e;
    pe_export_dir_t x;
    util_err_t err;
    uint32_t ed = WI_RDATA + 0x400, moved = 0x7ffc;

    build(&f, true);
    memcpy(f.buf + moved, f.buf + ed, 40);
    memset(f.buf + ed, 0, 40);
    set32(&f, 0x98 + 112, moved);            /* export directory RVA */
    set32(&f, 0x98 + 116, 0x8400 + 0xd00 - moved); /* still covers the forwarders */
    f.readable[moved / 0x1000] = 0;
    CHECK(pe_open(&img, flat_read, &f, &err) == VMI_SUCCESS);
    CHECK(pe_export_dir(&img, &x, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(x.flags, 0);
    CHECK_EQ_U64(x.nfuncs, 5);
    CHECK_EQ_U64(x.base, 1);
    CHECK(pe_export_by_name(&img, "Gamma", &e, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(e.rva, 0x1030);
    /* Anywhere else in a page, an unreadable directory is an error. */
    f.readable[moved / 0x1000] = 1;
    f.readable[0x8000 / 0x1000] = 0;
    CHECK(pe_export_dir(&img, &x, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "not present") != NULL);
}

/* ---- LibVMI's peparse_* on header bytes ---- */

static void test_peparse_headers(void)
{
    for (int wide = 0; wide < 2; wide++) {
        flat_t f;
        struct dos_header *dos = NULL;
        struct pe_header *pe = NULL;
        struct optional_header_pe32 *oh32 = (void *)1;
        struct optional_header_pe32plus *oh64 = (void *)1;
        void *opt = NULL;
        uint16_t type = 0;

        build(&f, wide);
        CHECK(peparse_validate_pe_image(f.buf, 0x1000) == VMI_SUCCESS);
        peparse_assign_headers(f.buf, &dos, &pe, &type, &opt, &oh32, &oh64);
        CHECK(dos == (void *)f.buf);
        CHECK(pe == (void *)(f.buf + 0x80));       /* e_lfanew 0x80 */
        CHECK(opt == (void *)(f.buf + 0x98));
        CHECK_EQ_U64(type, wide ? IMAGE_PE32_PLUS_MAGIC : IMAGE_PE32_MAGIC);
        CHECK(wide ? (oh64 == opt && !oh32) : (oh32 == opt && !oh64));
        CHECK_EQ_U64(dos->signature, IMAGE_DOS_HEADER);
        CHECK_EQ_U64(dos->offset_to_pe, 0x80);
        CHECK_EQ_U64((uint32_t)pe->signature, IMAGE_NT_SIGNATURE);
        CHECK_EQ_U64(pe->machine, wide ? 0x8664 : 0x14c);
        CHECK_EQ_U64(pe->number_of_sections, 3);
        CHECK_EQ_U64(pe->size_of_optional_header, wide ? 0xf0 : 0xe0);
        if (wide) {
            CHECK_EQ_U64(oh64->image_base, 0x140000000ULL);
            CHECK_EQ_U64(oh64->size_of_image, IMG_SIZE);
            CHECK_EQ_U64(oh64->number_of_rva_and_sizes, 16);
            CHECK_EQ_U64(oh64->idd[IMAGE_DIRECTORY_ENTRY_EXPORT].virtual_address,
                         WI_RDATA + 0x400);
        } else {
            CHECK_EQ_U64(oh32->image_base, 0x400000);
            CHECK_EQ_U64(oh32->base_of_data, WI_RDATA);
            CHECK_EQ_U64(oh32->size_of_headers, 0x400);
        }
        /* The directories, by the untyped header and by the typed one. */
        CHECK_EQ_U64(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_EXPORT, &type, opt, NULL, NULL),
                     WI_RDATA + 0x400);
        CHECK_EQ_U64(peparse_get_idd_size(IMAGE_DIRECTORY_ENTRY_EXPORT, &type, opt, NULL, NULL),
                     0xd00);
        CHECK_EQ_U64(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_DEBUG, NULL, NULL, oh32, oh64),
                     WI_RDATA);
        CHECK_EQ_U64(peparse_get_idd_size(IMAGE_DIRECTORY_ENTRY_DEBUG, NULL, NULL, oh32, oh64),
                     28);
        /* Absent, past 16, past NumberOfRvaAndSizes: 0 and a reason. */
        CHECK_EQ_U64(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_TLS, &type, opt, NULL, NULL), 0);
        CHECK(strstr(tvmi_errmsg(NULL), "data directory 9 is empty") != NULL);
        CHECK_EQ_U64(peparse_get_idd_rva(16, &type, opt, NULL, NULL), 0);
        CHECK(strstr(tvmi_errmsg(NULL), "data directory 16 does not exist") != NULL);
        set32(&f, 0x98 + (wide ? 108 : 92), 5); /* NumberOfRvaAndSizes */
        CHECK_EQ_U64(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_DEBUG, &type, opt, NULL, NULL), 0);
        CHECK(strstr(tvmi_errmsg(NULL), "the header has 5") != NULL);
        CHECK_EQ_U64(peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_EXPORT, &type, opt, NULL, NULL),
                     WI_RDATA + 0x400);
        CHECK_STREQ(tvmi_errmsg(NULL), "no instance (NULL handle); for a failed init see "
                                       "tvmi_init_errmsg()");
        type = 0x30b;
        CHECK_EQ_U64(peparse_get_idd_size(IMAGE_DIRECTORY_ENTRY_EXPORT, &type, opt, NULL, NULL),
                     0);
        CHECK(strstr(tvmi_errmsg(NULL), "0x30b") != NULL);
    }
}

/* peparse_validate_pe_image refuses each damage with a reason, and never
 * reads past the length it is given. */
static void expect_invalid(const uint8_t *image, size_t len, const char *want, int line)
{
    if (peparse_validate_pe_image(image, len) != VMI_FAILURE ||
        !strstr(tvmi_errmsg(NULL), want)) {
        fprintf(stderr, "  FAIL line %d: wanted \"%s\", got \"%s\"\n", line, want,
                tvmi_errmsg(NULL));
        test_failed_checks++;
    }
}

static void test_peparse_hostile(void)
{
    flat_t f;
    uint8_t *exact;

    build(&f, true);
    expect_invalid(f.buf, 0x40, "beyond the 64 bytes given", __LINE__);
    /* The PE32+ optional header ends at 0x80 + 24 + 240 = 0x188. */
    expect_invalid(f.buf, 0x187, "optional header at RVA 0x98: beyond the 391 bytes given",
                   __LINE__);
    CHECK(peparse_validate_pe_image(f.buf, 0x188) == VMI_SUCCESS);
    build(&f, false); /* PE32: 0x80 + 24 + 224 = 0x178 */
    expect_invalid(f.buf, 0x177, "beyond the 375 bytes given", __LINE__);
    CHECK(peparse_validate_pe_image(f.buf, 0x178) == VMI_SUCCESS);
    /* A header that declares fewer directories is shorter, but a program
     * reads the whole structure: those bytes must be there too. */
    build(&f, true);
    f.buf[0x84 + 16] = 112 + 8 * 10; /* SizeOfOptionalHeader: 10 directories */
    set32(&f, 0x98 + 108, 10);
    CHECK(peparse_validate_pe_image(f.buf, 0x188) == VMI_SUCCESS);
    expect_invalid(f.buf, 0x160, "the PE32+ optional header ends at byte 392, past the 352",
                   __LINE__);
    build(&f, true);
    f.buf[1] = 'Y';
    expect_invalid(f.buf, 0x1000, "no MZ signature", __LINE__);
    build(&f, true);
    set32(&f, 0x3c, 0xfffffff0u);
    expect_invalid(f.buf, 0x1000, "e_lfanew 0xfffffff0", __LINE__);
    build(&f, true);
    set32(&f, 0x3c, 0xff0);
    expect_invalid(f.buf, 0x1000, "beyond the 4096 bytes given", __LINE__);
    build(&f, true);
    f.buf[0x82] = 'X';
    expect_invalid(f.buf, 0x1000, "no PE signature", __LINE__);
    build(&f, true);
    f.buf[0x99] = 0x03;
    expect_invalid(f.buf, 0x1000, "magic 0x30b", __LINE__);
    build(&f, true);
    f.buf[0x86] = 97;
    expect_invalid(f.buf, 0x1000, "97 sections", __LINE__);
    build(&f, true);
    set32(&f, 0x98 + 56, 0x100); /* SizeOfImage smaller than the headers */
    expect_invalid(f.buf, 0x1000, "extend past SizeOfImage", __LINE__);

    /* Exactly the bytes validation needs, in a heap block of that size:
     * AddressSanitizer sees any read past them. */
    build(&f, true);
    exact = malloc(0x188);
    memcpy(exact, f.buf, 0x188);
    CHECK(peparse_validate_pe_image(exact, 0x188) == VMI_SUCCESS);
    {
        uint16_t type;
        void *opt;
        peparse_assign_headers(exact, NULL, NULL, &type, &opt, NULL, NULL);
        for (uint32_t d = 0; d < 17; d++) {
            peparse_get_idd_rva(d, &type, opt, NULL, NULL);
            peparse_get_idd_size(d, &type, opt, NULL, NULL);
        }
    }
    free(exact);

    /* Random damage to the headers: every answer is a verdict, never a
     * crash (run under the sanitizers by make SAN=1). */
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    for (int round = 0; round < 20000; round++) {
        build(&f, round & 1);
        for (int k = 0; k < 4; k++) {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
            f.buf[(rng >> 8) % 0x200] = (uint8_t)rng;
        }
        size_t len = 0x100 + (size_t)((rng >> 32) % 0x300);
        uint8_t *copy = malloc(len);
        memcpy(copy, f.buf, len);
        if (peparse_validate_pe_image(copy, len) == VMI_SUCCESS) {
            uint16_t type;
            void *opt;
            struct pe_header *pe;
            peparse_assign_headers(copy, NULL, &pe, &type, &opt, NULL, NULL);
            CHECK(pe && opt);
            peparse_get_idd_rva((uint32_t)(rng % 20), &type, opt, NULL, NULL);
        } else {
            CHECK(tvmi_errmsg(NULL)[0] != '\0');
        }
        free(copy);
    }
}

int main(void)
{
    TEST_RUN(test_headers);
    TEST_RUN(test_codeview);
    TEST_RUN(test_exports);
    TEST_RUN(test_hostile_headers);
    TEST_RUN(test_hostile_exports);
    TEST_RUN(test_export_dir_on_a_page_boundary);
    TEST_RUN(test_peparse_headers);
    TEST_RUN(test_peparse_hostile);
    TEST_DONE();
}
