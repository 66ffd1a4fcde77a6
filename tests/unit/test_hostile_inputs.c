/*
 * test_hostile_inputs.c - every parser of untrusted input, fed damaged
 * input: the inputs that once broke one (found by the fuzzers in
 * tests/fuzz/), then a fixed-seed mutation loop over a small valid input
 * of each kind.  The guest or the file said nonsense; TinyVMI refuses it
 * with a reason and neither crashes, hangs nor reads out of bounds (run
 * under `make SAN=1 check-unit`, ASan and UBSan watch every call).
 *
 * The parsers are driven through tests/unit/hostile.h, the same code the
 * fuzzers run.  `test_hostile_inputs --write-seeds DIR` writes the valid
 * inputs to DIR/<parser>/ as seed corpora for them.
 */
#include "test.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#include <libvmi/libvmi.h>
#include <libvmi/tinyvmi.h>

#include "../helpers/winimage.h"
#include "hostile.h"
#include "btf_builder.h"

/* ---- Little helpers for building inputs ---- */

typedef struct blob {
    uint8_t *d;
    size_t n;
} blob_t;

static void p16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void p32(uint8_t *b, uint32_t v) { p16(b, (uint16_t)v); p16(b + 2, (uint16_t)(v >> 16)); }
static void p64(uint8_t *b, uint64_t v) { p32(b, (uint32_t)v); p32(b + 4, (uint32_t)(v >> 32)); }

static blob_t blob_new(size_t n)
{
    blob_t b = { calloc(1, n), n };
    if (!b.d)
        abort();
    return b;
}

static blob_t blob_text(const char *s)
{
    blob_t b = blob_new(strlen(s));
    memcpy(b.d, s, b.n);
    return b;
}

/* ---- Memory images ---- */

static size_t note(uint8_t *b, const char *name, uint32_t type, uint32_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    p32(b, namesz);
    p32(b + 4, descsz);
    p32(b + 8, type);
    memcpy(b + 12, name, namesz);
    return 12 + ((namesz + 3) & ~3u);
}

/* A QEMU core: a PT_NOTE with a CORE and a QEMU note, two PT_LOADs.  With
 * xnum, e_phnum is PN_XNUM and the count sits in section header 0. */
static blob_t elf64_image(bool xnum)
{
    blob_t b = blob_new(0x1000);
    uint8_t *d = b.d;
    memcpy(d, "\x7f" "ELF", 4);
    d[4] = 2, d[5] = 1, d[6] = 1;
    p16(d + 16, 4);
    p16(d + 18, 62);
    p32(d + 20, 1);
    p64(d + 32, 64);
    p16(d + 52, 64);
    p16(d + 54, 56);
    p16(d + 56, xnum ? 0xffff : 3);
    if (xnum) {
        p64(d + 40, 0xf00);  /* e_shoff */
        p16(d + 58, 64);
        p16(d + 60, 1);
        p32(d + 0xf00 + 44, 3);  /* sh_info */
    }
    size_t at = 64 + 3 * 56, notes = at;
    at += note(d + at, "CORE", 1, 336);
    p64(d + at + 112 + 8 * 16, 0xffffffff81000010ULL);  /* rip */
    at += 336;
    at += note(d + at, "QEMU", 0, 440);
    p32(d + at, 1);
    p32(d + at + 4, 440);
    p64(d + at + 392, 0x80050033);         /* cr0 */
    p64(d + at + 416, 0x1000);             /* cr3 */
    p64(d + at + 424, 0x3606e0);           /* cr4 */
    at += 440;
    uint8_t *ph = d + 64;
    p32(ph, 4);
    p64(ph + 8, notes);
    p64(ph + 32, at - notes);
    p64(ph + 40, at - notes);
    ph += 56;
    p32(ph, 1);
    p64(ph + 8, 0x800);
    p64(ph + 24, 0x1000);
    p64(ph + 32, 0x400);
    p64(ph + 40, 0x400);
    ph += 56;
    p32(ph, 1);
    p64(ph + 8, 0xc00);
    p64(ph + 24, 0x1400);  /* contiguous with the first: merged */
    p64(ph + 32, 0x200);
    p64(ph + 40, 0x300);
    for (size_t i = 0x800; i < 0xe00; i++)
        d[i] = (uint8_t)(i * 31);
    return b;
}

static blob_t elf32_image(void)
{
    blob_t b = blob_new(0x600);
    uint8_t *d = b.d;
    memcpy(d, "\x7f" "ELF", 4);
    d[4] = 1, d[5] = 1, d[6] = 1;
    p16(d + 16, 4);
    p16(d + 18, 3);
    p32(d + 20, 1);
    p32(d + 28, 52);
    p16(d + 40, 52);
    p16(d + 42, 32);
    p16(d + 44, 2);
    size_t at = 52 + 2 * 32, notes = at;
    at += note(d + at, "CORE", 1, 144);
    p32(d + at + 72 + 48, 0xc1000000);
    at += 144;
    uint8_t *ph = d + 52;
    p32(ph, 4);
    p32(ph + 4, (uint32_t)notes);
    p32(ph + 16, (uint32_t)(at - notes));
    p32(ph + 20, (uint32_t)(at - notes));
    ph += 32;
    p32(ph, 1);
    p32(ph + 4, 0x400);
    p32(ph + 12, 0x100000);
    p32(ph + 16, 0x200);
    p32(ph + 20, 0x200);
    return b;
}

static blob_t lime_image(void)
{
    blob_t b = blob_new(32 + 0x100 + 32 + 0x80);
    uint8_t *d = b.d;
    p32(d, 0x4C694D45);
    p32(d + 4, 1);
    p64(d + 8, 0x1000);
    p64(d + 16, 0x10ff);
    d += 32 + 0x100;
    p32(d, 0x4C694D45);
    p32(d + 4, 1);
    p64(d + 8, 0x100000);
    p64(d + 16, 0x10007f);
    return b;
}

static blob_t windump_full64(void)
{
    blob_t b = blob_new(0x2000 + 3 * 0x1000);
    uint8_t *d = b.d;
    memcpy(d, "PAGEDU64", 8);
    for (size_t i = 8; i < 0x2000; i += 4)
        memcpy(d + i, "PAGE", 4);   /* Windows' filler */
    p32(d + 0x08, 0xf);
    p32(d + 0x0c, 7601);
    p64(d + 0x10, 0x187000);
    p64(d + 0x20, 0xfffff80002a5be90ULL);
    p64(d + 0x28, 0xfffff80002a3d530ULL);
    p32(d + 0x30, 0x8664);
    p32(d + 0x34, 1);
    p64(d + 0x80, 0xfffff800029f70a0ULL);
    p32(d + 0x88, 2);
    p32(d + 0x8c, 0);
    p64(d + 0x90, 3);
    p64(d + 0x98, 0);
    p64(d + 0xa0, 1);
    p64(d + 0xa8, 2);
    p64(d + 0xb0, 2);
    p32(d + 0xf98, 1);
    return b;
}

/* The start of a crash dump header: signature, DirectoryTableBase,
 * MachineImageType and DumpType for its width. */
static void windump_head(uint8_t *d, bool wide, uint32_t type, uint64_t dtb)
{
    memcpy(d, wide ? "PAGEDU64" : "PAGEDUMP", 8);
    if (wide)
        p64(d + 0x10, dtb);
    else
        p32(d + 0x10, (uint32_t)dtb);
    p32(d + (wide ? 0x30 : 0x20), wide ? 0x8664 : 0x14c);
    p32(d + (wide ? 0xf98 : 0xf88), type);
}

static blob_t windump_bitmap64(void)
{
    blob_t b = blob_new(0x3000 + 2 * 0x1000);
    uint8_t *d = b.d;
    windump_head(d, true, 5, 0x187000);
    memcpy(d + 0x2000, "SDMPDUMP", 8);
    p64(d + 0x2020, 0x3000);
    p64(d + 0x2028, 2);
    p64(d + 0x2030, 16);
    d[0x2038] = 0x05;
    return b;
}

static blob_t windump_full32(void)
{
    blob_t b = blob_new(0x1000 + 2 * 0x1000);
    uint8_t *d = b.d;
    memcpy(d, "PAGEDUMP", 8);
    p32(d + 0x08, 0xf);
    p32(d + 0x0c, 2600);
    p32(d + 0x10, 0x39000);
    p32(d + 0x18, 0x8055a420);
    p32(d + 0x1c, 0x8055b158);
    p32(d + 0x20, 0x14c);
    d[0x5c] = 1;
    p32(d + 0x60, 0x80545ce0);
    p32(d + 0x64, 1);
    p32(d + 0x68, 2);
    p32(d + 0x6c, 0x10);
    p32(d + 0x70, 2);
    p32(d + 0xf88, 1);
    return b;
}

/* A DUMP_STRING (length in characters, UTF-16, NUL) of ASCII s at d. */
static size_t dump_string(uint8_t *d, const char *s)
{
    size_t n = strlen(s);
    p32(d, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        p16(d + 4 + 2 * i, (uint8_t)s[i]);
    return 4 + 2 * n + 2;
}

/* A 64-bit triage dump: two drivers, two overlapping data blocks, a stack. */
static blob_t windump_triage64(void)
{
    blob_t b = blob_new(0x2400);
    uint8_t *d = b.d, *t = d + 0x2000;
    for (size_t i = 8; i < 0x2000; i += 4)
        memcpy(d + i, "PAGE", 4);
    windump_head(d, true, 4, 0x1ad000);
    p32(d + 0x08, 0xf);
    p32(d + 0x0c, 19041);
    p32(t + 0x04, 0x2400);            /* SizeOfDump */
    p32(t + 0x08, 0x23fc);            /* ValidOffset */
    memcpy(d + 0x23fc, "TRGD", 4);
    p32(t + 0x28, 0x23c0);            /* the stack */
    p32(t + 0x2c, 0x30);
    p64(t + 0x48, 0xfffff88000010000ULL);
    p32(t + 0x30, 0x2100);            /* two drivers of 0xa8 bytes */
    p32(t + 0x34, 2);
    p32(t + 0x38, 0x2250);            /* the pool right after */
    p32(t + 0x3c, 0x60);
    p32(d + 0x2100, 0x2250);
    p32(d + 0x2100 + 0xa8, 0x2250 + 0x30);
    p64(d + 0x2108 + 0x30, 0xfffff80002a52000ULL);
    p32(d + 0x2108 + 0x40, 0x5e3000);
    p64(d + 0x21b0 + 0x30, 0xfffff80002a09000ULL);
    p32(d + 0x21b0 + 0x40, 0x49000);
    dump_string(d + 0x2250, "ntoskrnl.exe");
    dump_string(d + 0x2280, "hal.dll");
    p32(t + 0x78, 0x2300);            /* two data blocks, overlapping */
    p32(t + 0x7c, 2);
    p64(d + 0x2300, 0xfffff80002c00000ULL);
    p32(d + 0x2308, 0x2340);
    p32(d + 0x230c, 0x40);
    p64(d + 0x2310, 0xfffff80002c00020ULL);
    p32(d + 0x2318, 0x2380);
    p32(d + 0x231c, 0x40);
    return b;
}

/* A 32-bit triage dump: two drivers, one data block. */
static blob_t windump_triage32(void)
{
    blob_t b = blob_new(0x1200);
    uint8_t *d = b.d, *t = d + 0x1000;
    windump_head(d, false, 4, 0x39000);
    p32(d + 0x08, 0xf);
    p32(d + 0x0c, 2600);
    p32(d + 0x60, 0x80545ce0);
    p32(t + 0x04, 0x1200);
    p32(t + 0x08, 0x11fc);
    memcpy(d + 0x11fc, "TRGD", 4);
    p32(t + 0x30, 0x1080);            /* two drivers of 0x54 bytes */
    p32(t + 0x34, 2);
    p32(t + 0x38, 0x1128);
    p32(t + 0x3c, 0x60);
    p32(d + 0x1080, 0x1128);
    p32(d + 0x1080 + 0x54, 0x1128 + 0x28);
    p32(d + 0x1084 + 0x18, 0x804d7000);
    p32(d + 0x1084 + 0x20, 0x1f8000);
    dump_string(d + 0x1128, "ntoskrnl.exe");
    dump_string(d + 0x1150, "hal.dll");
    p32(t + 0x58, 0x11e0);            /* the KDBG copy */
    p32(t + 0x5c, 0x10);
    p32(t + 0x60, 0x11a0);            /* one data block */
    p32(t + 0x64, 1);
    p64(d + 0x11a0, 0xffffffff80001000ULL);
    p32(d + 0x11a8, 0x11c0);
    p32(d + 0x11ac, 0x20);
    return b;
}

/* A 32-bit kernel summary dump: SUMMARY_DUMP32, pages 0 and 2. */
static blob_t windump_summary32(void)
{
    blob_t b = blob_new(0x2000 + 2 * 0x1000);
    uint8_t *d = b.d;
    windump_head(d, false, 2, 0x39000);
    memcpy(d + 0x1000, "SDMPDUMP", 8);
    p32(d + 0x100c, 0x2000);
    p32(d + 0x1010, 16);
    p32(d + 0x1014, 2);
    p32(d + 0x1018, 16);
    d[0x1020] = 0x05;
    return b;
}

/* ---- Text formats ---- */

static const char json_doc[] =
    "{\"a\": [1, -2.5e3, 0, 18446744073709551615, -9223372036854775808, true, false, null],\n"
    " \"s\": \"x\\u00e9\\ud83d\\ude00\\n\\\"\", \"o\": {\"k\": {\"deep\": [[[]]]}, \"e\": {}}}";

static const char isf_doc[] =
    "{\"metadata\": {\"format\": \"6.2.0\",\n"
    "  \"windows\": {\"pdb\": {\"GUID\": \"3844dbb9-2017-4967-be7a-a4a2c20430fa\", \"age\": 2,\n"
    "     \"database\": \"ntkrnlmp.pdb\", \"machine_type\": 34404},\n"
    "   \"pe\": {\"major\": 6, \"minor\": 1, \"revision\": 7601, \"build\": 17514}}},\n"
    " \"base_types\": {\"pointer\": {\"size\": 8, \"signed\": false, \"kind\": \"int\"},\n"
    "   \"unsigned long\": {\"size\": 4, \"signed\": false, \"kind\": \"int\"}},\n"
    " \"user_types\": {\n"
    "  \"_LIST_ENTRY\": {\"kind\": \"struct\", \"size\": 16, \"fields\": {\n"
    "   \"Flink\": {\"offset\": 0, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}}},\n"
    "   \"Blink\": {\"offset\": 8, \"type\": {\"kind\": \"pointer\", \"subtype\": {\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}}}}},\n"
    "  \"_KPROCESS\": {\"kind\": \"struct\", \"size\": 352, \"fields\": {\n"
    "   \"DirectoryTableBase\": {\"offset\": 40, \"type\": {\"kind\": \"base\", \"name\": \"unsigned long\"}},\n"
    "   \"Flags\": {\"offset\": 76, \"type\": {\"kind\": \"bitfield\", \"bit_position\": 3, \"bit_length\": 2,\n"
    "       \"type\": {\"kind\": \"base\", \"name\": \"unsigned long\"}}}}},\n"
    "  \"_EPROCESS\": {\"kind\": \"struct\", \"size\": 1232, \"fields\": {\n"
    "   \"Pcb\": {\"offset\": 0, \"type\": {\"kind\": \"struct\", \"name\": \"_KPROCESS\"}},\n"
    "   \"Links\": {\"offset\": 392, \"type\": {\"kind\": \"struct\", \"name\": \"_LIST_ENTRY\"}},\n"
    "   \"Name\": {\"offset\": 736, \"type\": {\"kind\": \"array\", \"count\": 15,\n"
    "       \"subtype\": {\"kind\": \"base\", \"name\": \"unsigned long\"}}}}}},\n"
    " \"enums\": {\"_POOL_TYPE\": {\"size\": 4, \"base\": \"int\", \"constants\": {\"NonPaged\": 0, \"Neg\": -5}}},\n"
    " \"symbols\": {\"PsActiveProcessHead\": {\"address\": 2346320},\n"
    "   \"linux_banner\": {\"address\": 1, \"constant_data\": \"TGludXggdmVyc2lvbiA2LjE=\"},\n"
    "   \"NoAddress\": {\"type\": {\"kind\": \"function\"}}}}\n";

static const char sysmap_doc[] =
    "0000000000000000 A fixed_percpu_data\n"
    "ffffffff81000000 T _text\n"
    "ffffffff81000040 t helper\n"
    "ffffffff81000040 T alias\n"
    "ffffffff82a12940 D init_task\n"
    "ffffffff82a12940 d init_task\n"
    "ffffffffc0000000 t [module]\tmod\n"
    "garbage line\n";

/* A compact symbol table of sysmap_doc's symbols, as vmi-embed writes it. */
static blob_t symz_blob(void)
{
    util_symz_in_t in[16];
    size_t n = 0, len = 0;
    util_err_t err;
    lx_symtab_t *t = lx_symtab_new();
    blob_t b = { NULL, 0 };
    if (t && lx_sysmap_parse(t, sysmap_doc, strlen(sysmap_doc), &err) == VMI_SUCCESS &&
        lx_symtab_finish(t)) {
        size_t l;
        for (; n < 16 && lx_symtab_get_added(t, n, &in[n].name, &l, &in[n].addr, &in[n].type);
             n++)
            in[n].len = (uint32_t)l;
        uint8_t *d = util_symz_build(in, n, &len, &err);
        if (d) {
            b = blob_new(len);
            memcpy(b.d, d, len);
            free(d);
        }
    }
    lx_symtab_free(t);
    return b;
}

static const char config_doc[] =
    "# LibVMI's usual file\n"
    "guest {\n"
    "    ostype = \"Linux\";\n"
    "    sysmap = \"/boot/System.map-6.1\";  # comment\n"
    "    linux_tasks = 0x4e0;\n"
    "    linux_pid = 1234;\n"
    "}\n"
    "other { ostype = Windows; win_tasks = 0x88; }\n";

/* ---- PE ---- */

static void pe_put(void *ctx, uint32_t rva, const void *data, size_t len)
{
    blob_t *b = ctx;
    if (rva > b->n || len > b->n - rva)
        abort();
    memcpy(b->d + rva, data, len);
}

static blob_t pe_image(bool pe64)
{
    static const wi_export_t exports[] = {
        { "Alpha", 0x1010, NULL }, { "Beta", 0x1020, NULL },
        { "Forwarded", 0, "OTHER.Target" }, { "Zeta", 0x1020, NULL },
    };
    static const uint8_t guid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    blob_t b = blob_new(WI_SIZE);
    wi_pe_spec_t s = { pe64, WI_SIZE, 6, 1, pe64 ? 0x140000000ULL : 0x400000ULL, "test.sys",
                       "c:\\build\\test.pdb", guid, 2, exports, 4 };
    wi_build_pe(&s, pe_put, &b);
    return b;
}

/* ---- BTF ---- */

static blob_t btf_blob(void)
{
    bb_t *b = calloc(1, sizeof(*b));
    b->sl = 1;
    bb_type(b, "int", 1, 0, false, 4);                 /* 1 */
    bb_u32(b, 32);
    bb_type(b, "list_head", 4, 2, false, 16);          /* 2 */
    bb_member(b, "next", 3, 0);
    bb_member(b, "prev", 3, 64);
    bb_type(b, "", 2, 0, false, 2);                    /* 3 pointer */
    bb_type(b, "char", 1, 0, false, 1);                /* 4 */
    bb_u32(b, 8);
    bb_type(b, "", 3, 0, false, 0);                    /* 5 char[16] */
    bb_u32(b, 4); bb_u32(b, 1); bb_u32(b, 16);
    bb_type(b, "", 4, 2, false, 8);                    /* 6 anonymous */
    bb_member(b, "pid", 1, 0);
    bb_member(b, "tgid", 1, 32);
    bb_type(b, "task_struct", 4, 5, true, 0x100);      /* 7 */
    bb_member(b, "flags", 1, 3u << 24);
    bb_member(b, "tasks", 2, 64 * 8);
    bb_member(b, "", 6, 0x80 * 8);
    bb_member(b, "comm", 9, 0x90 * 8);
    bb_member(b, "mm", 3, 0xa0 * 8);
    bb_type(b, "module_layout", 4, 2, false, 16);      /* 8 */
    bb_member(b, "base", 3, 0);
    bb_member(b, "size", 1, 64);
    bb_type(b, "comm_t", 8, 0, false, 5);              /* 9 typedef */
    bb_type(b, "", 3, 0, false, 0);                    /* 10 module_layout[4] */
    bb_u32(b, 8); bb_u32(b, 1); bb_u32(b, 4);
    bb_type(b, "module", 4, 2, false, 0x60);           /* 11 */
    bb_member(b, "list", 2, 8 * 8);
    bb_member(b, "mem", 10, 0x18 * 8);
    size_t len;
    uint8_t *d = bb_blob(b, &len);
    blob_t r = blob_new(len);
    memcpy(r.d, d, len);
    free(d);
    free(b);
    return r;
}

/* ---- kallsyms: the tables scripts/kallsyms.c writes, every token one
 * character (so names are stored as themselves), `nsyms` symbols. */

static size_t up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

/* order 0: up to 6.3 (addresses first); 1: 6.4+ (offsets, relative base
 * and 3-byte seqs_of_names after the token index); 2: 7.x (place-relative
 * offsets, no base, every table at its natural alignment). */
static blob_t kallsyms_blob_order(unsigned w, bool relative, unsigned nsyms, int order)
{
    blob_t b = blob_new(0x4000);
    uint8_t *d = b.d;
    size_t p = 64, names, table;
    uint64_t base = w == 8 ? 0xffffffff81000000ULL : 0xc1000000ULL;
    size_t a4 = order == 2 ? 4 : w, a2 = order == 2 ? 2 : w, a1 = order == 2 ? 1 : w;

    for (size_t i = 0; i < 64; i++)
        d[i] = (uint8_t)(i * 7 + 3);
    if (order == 0 && relative) {
        for (unsigned i = 0; i < nsyms; i++, p += 4)
            p32(d + p, 0x40 * i);
        p = up(p, w);
        p64(d + p, base);
        p += w;
    } else if (order == 0) {
        for (unsigned i = 0; i < nsyms; i++, p += w) {
            if (w == 8)
                p64(d + p, base + 0x40 * i);
            else
                p32(d + p, (uint32_t)(base + 0x40 * i));
        }
    }
    p = up(p, a4);
    p32(d + p, nsyms);
    p = up(p + 4, a1);
    names = p;
    size_t marks[8];
    for (unsigned i = 0; i < nsyms; i++) {
        if (i % 256 == 0)
            marks[i / 256] = p - names;
        char nm[32];
        int l = snprintf(nm, sizeof(nm), "%csym_%u", i % 3 ? 't' : 'T', i);
        if (i == nsyms - 1)
            l = snprintf(nm, sizeof(nm), "Dinit_task");
        d[p++] = (uint8_t)l;
        memcpy(d + p, nm, (size_t)l);
        p += (size_t)l;
    }
    p = up(p, a4);
    for (unsigned j = 0; j < (nsyms + 255) / 256; j++, p += 4)
        p32(d + p, (uint32_t)marks[j]);  /* where names 0, 256... begin */
    p = up(p, a1);
    table = p;
    size_t idx[256];
    for (unsigned t = 0; t < 256; t++) {
        idx[t] = p - table;
        if (t > 0x20 && t < 0x7f) {
            d[p++] = (uint8_t)t;
        } else if (order == 0) {
            d[p++] = 'z';
            d[p++] = 'z';
        } /* else: an empty token */
        d[p++] = 0;
    }
    p = up(p, a2);
    for (unsigned t = 0; t < 256; t++, p += 2)
        p16(d + p, (uint16_t)idx[t]);
    if (order) {
        p = up(p, a4);
        for (unsigned i = 0; i < nsyms; i++, p += 4)
            p32(d + p, order == 1 ? 0x40 * i
                                  : (uint32_t)(base + 0x40 * i - (0xffffffff82000000ULL + p)));
        if (order == 1) {
            p = up(p, w);
            if (w == 8)
                p64(d + p, base);
            else
                p32(d + p, (uint32_t)base);
            p += w;
        }
        for (unsigned i = 0; i < nsyms; i++, p += 3) {
            d[p] = 0;
            d[p + 1] = (uint8_t)(i >> 8);
            d[p + 2] = (uint8_t)i;
        }
    }
    for (size_t i = 0; i < 64; i++)
        d[p++] = (uint8_t)(i * 13 + 1);
    b.n = p;
    return b;
}

static blob_t kallsyms_blob(unsigned w, bool relative, unsigned nsyms)
{
    return kallsyms_blob_order(w, relative, nsyms, 0);
}

/* ---- struct module copies: 6.4+ mem[] of three modules ---- */

static blob_t modlayout_blob(void)
{
    size_t len = 0x400;
    blob_t b = blob_new(24 + 3 * len);
    for (unsigned i = 0; i < 3; i++) {
        uint64_t text = 0xffffffffc0000000ULL + 0x100000 * (i + 1), data = text + 0x3000;
        uint64_t addr = data + 0x40;
        uint8_t *m = b.d + 24 + i * len;
        p64(b.d + 8 * i, addr);
        snprintf((char *)m + 24, 16, "mod%u", i);
        for (unsigned k = 0; k < 7; k++) {
            uint64_t bs = k == 0 ? text : k == 1 ? data : 0, sz = k < 2 ? 0x2000 : 0;
            p64(m + 0x140 + k * 0x48, bs);
            p32(m + 0x140 + k * 0x48 + 8, (uint32_t)sz);
        }
    }
    return b;
}

/* ---- the kernel log: a lockless ring (6.1 layout) and log_buf records ---- */

static blob_t printk_ring_blob(void)
{
    enum { CB = 3, SB = 9, COUNT = 1 << CB };
    size_t hdr = PRINTK_RB_HDR_MAX, dsz = 24, isz = 0x58;
    blob_t b = blob_new(hdr + COUNT * dsz + COUNT * isz + (1u << SB));
    uint8_t *d = b.d, *descs = d + hdr, *infos = descs + COUNT * dsz;
    uint8_t *text = infos + COUNT * isz;
    uint64_t lpos = 0;
    for (uint64_t seq = 0; seq < 6; seq++) {
        char t[32];
        size_t tl = (size_t)snprintf(t, sizeof(t), "line %u", (unsigned)seq);
        size_t need = up(8 + tl, 8);
        p64(descs + seq * dsz, 2ULL << 62 | (seq + 2 * COUNT));
        p64(descs + seq * dsz + 8, lpos);
        p64(descs + seq * dsz + 16, lpos + need);
        p64(text + lpos, seq + 2 * COUNT);
        memcpy(text + lpos + 8, t, tl);
        lpos += need;
        p64(infos + seq * isz, seq);
        p64(infos + seq * isz + 8, 1000 * seq);
        p16(infos + seq * isz + 16, (uint16_t)tl);
        infos[seq * isz + 19] = 6 << 5;
    }
    p32(d, CB);
    p64(d + 8, 0xffffffff82000000ULL);
    p64(d + 16, 0xffffffff82100000ULL);
    p64(d + 24, 5 + 2 * COUNT);
    p64(d + 32, 0 + 2 * COUNT);
    p32(d + 48, SB);
    p64(d + 56, 0xffffffff82200000ULL);
    return b;
}

static blob_t printk_logbuf_blob(void)
{
    blob_t b = blob_new(16 + 256);
    uint8_t *buf = b.d + 16;
    size_t at = 0;
    for (unsigned seq = 0; seq < 5; seq++) {
        char t[32];
        size_t tl = (size_t)snprintf(t, sizeof(t), "message %u", seq);
        size_t len = up(16 + tl, 4);
        p64(buf + at, 1000u * seq);
        p16(buf + at + 8, (uint16_t)len);
        p16(buf + at + 10, (uint16_t)tl);
        buf[at + 15] = 4 << 5;
        memcpy(buf + at + 16, t, tl);
        at += len;
    }
    p32(b.d, 0);
    p32(b.d + 4, (uint32_t)at);
    p64(b.d + 8, 0);
    return b;
}

/* ---- x86 page tables: memory from physical 0 ---- */

static blob_t x86_ia32e(void)
{
    blob_t b = blob_new(6 * 0x1000);
    uint8_t *d = b.d;
    /* 0xffffffff81000000: PML4 511 -> PDPT 510 -> PD 8 (2 MiB page) and
     * PD 9 -> PT -> 4 KiB pages; the low half: PML4 0 -> the same PDPT. */
    p64(d + 511 * 8, 0x1000 | 0x3);
    p64(d + 0, 0x1000 | 0x7);
    p64(d + 0x1000 + 510 * 8, 0x2000 | 0x3);
    p64(d + 0x1000 + 0 * 8, 0x2000 | 0x7);
    p64(d + 0x2000 + 8 * 8, 0x200000 | 0x83);
    p64(d + 0x2000 + 9 * 8, 0x3000 | 0x3);
    p64(d + 0x2000 + 0 * 8, 0x3000 | 0x7);
    for (unsigned i = 0; i < 4; i++)
        p64(d + 0x3000 + i * 8, (0x4000 + 0x1000ULL * (i % 2)) | 0x8000000000000003ULL);
    p64(d + 0x5ff0, 0x0);         /* tail: root 0 */
    p64(d + 0x5ff8, 0xffffffff81201000ULL);  /* tail: a 4 KiB page */
    return b;
}

static blob_t x86_pae(void)
{
    blob_t b = blob_new(4 * 0x1000);
    uint8_t *d = b.d;
    /* PDPT at 0x20 (roots tried include it): 0xc0000000 is PDPTE 3. */
    p64(d + 0x20 + 3 * 8, 0x1000 | 0x1);
    p64(d + 0x20 + 0 * 8, 0x1000 | 0x1);
    p64(d + 0x1000 + 0 * 8, 0x2000 | 0x3);
    p64(d + 0x1000 + 1 * 8, 0x400000 | 0x83);
    p64(d + 0x2000 + 1 * 8, 0x3000 | 0x3);
    p64(d + 0x3ff0, 0x20);
    p64(d + 0x3ff8, 0xc0001234);
    return b;
}

static blob_t x86_legacy(void)
{
    blob_t b = blob_new(3 * 0x1000);
    uint8_t *d = b.d;
    p32(d + 0x300 * 4, 0x1000 | 0x3);
    p32(d + 0x301 * 4, 0x800000 | 0x83);
    p32(d + 0x0 * 4, 0x1000 | 0x7);
    p32(d + 0x1000 + 1 * 4, 0x2000 | 0x3);
    p32(d + 0x1000 + 0 * 4, 0x2000 | 0x3);
    p64(d + 0x2ff0, 0);
    p64(d + 0x2ff8, 0xc0401000);
    return b;
}

/* ---- QEMU: gdbstub packets and descriptions, monitor texts ---- */

static blob_t gdb_packet(const char *body)
{
    size_t n = strlen(body);
    unsigned sum = 0;
    blob_t b = { calloc(1, n + 5), n + 4 };
    for (size_t i = 0; i < n; i++)
        sum += (unsigned char)body[i];
    snprintf((char *)b.d, n + 5, "$%s#%02x", body, sum & 0xff);
    return b;
}

static const char gdb_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target><architecture>i386:x86-64</architecture>"
    "<!-- <reg name=\"ghost\" bitsize=\"64\"/> -->"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>"
    "<reg name=\"rbx\" bitsize=\"64\"/><reg name=\"eflags\" bitsize=\"32\"/>"
    "<reg name=\"cr3\" bitsize=\"64\" regnum=\"29\"/></target>";

static const char mtree_doc[] =
    "FlatView #0\r\n"
    " AS \"memory\", root: system\r\n"
    " Root memory region: system\r\n"
    "  0000000000000000-00000000000bffff (prio 0, ram): mem\r\n"
    "  00000000000c0000-00000000000fffff (prio 0, rom): mem @00000000000c0000\r\n"
    "  0000000000100000-00000000bfffffff (prio 0, ram): mem @0000000000100000\r\n"
    "  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
    "  0000000100000000-000000013fffffff (prio 0, ram): mem @00000000c0000000\r\n"
    "\r\n"
    "CPU#0\r\n"
    "RAX=0000000000000001 RBX=0000000000000002 RCX=0 RDX=0\r\n"
    "RIP=ffffffff81000000 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\r\n"
    "CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]\r\n"
    "GDT=     fffffe0000001000 0000007f\r\n"
    "IDT=     fffffe0000000000 00000fff\r\n"
    "CR0=80050033 CR2=0 CR3=0000000001000000 CR4=000006f0\r\n";

/* ---- Every parser, its valid inputs ---- */

#define MAX_SEEDS 4
typedef struct kind {
    const char *name;   /* as in hostile_targets */
    blob_t seeds[MAX_SEEDS];
    size_t nseeds;
    unsigned mutations; /* per seed */
} kind_t;

#define MAX_KINDS 32
static kind_t kinds[MAX_KINDS];
static size_t nkinds;

static void add_kind(const char *name, unsigned mutations, blob_t a, blob_t b, blob_t c)
{
    if (nkinds == MAX_KINDS) {
        fprintf(stderr, "test_hostile_inputs: more than %d kinds: raise MAX_KINDS\n", MAX_KINDS);
        abort();
    }
    kind_t *k = &kinds[nkinds++];
    k->name = name;
    k->mutations = mutations;
    blob_t all[3] = { a, b, c };
    for (int i = 0; i < 3; i++)
        if (all[i].d)
            k->seeds[k->nseeds++] = all[i];
}

static const blob_t none = { NULL, 0 };

static void build_kinds(void)
{
    add_kind("elf", 700, elf64_image(false), elf64_image(true), elf32_image());
    add_kind("lime", 2000, lime_image(), none, none);
    add_kind("windump", 700, windump_full64(), windump_bitmap64(), windump_full32());
    add_kind("windump", 700, windump_triage64(), windump_triage32(), windump_summary32());
    add_kind("json", 2000, blob_text(json_doc), none, none);
    add_kind("isf", 2000, blob_text(isf_doc), none, none);
    add_kind("pe", 1000, pe_image(true), pe_image(false), none);
    add_kind("btf", 2000, btf_blob(), none, none);
    add_kind("kallsyms", 700, kallsyms_blob(8, true, 20), kallsyms_blob(4, false, 17),
             kallsyms_blob(8, false, 300));
    add_kind("kallsyms", 700, kallsyms_blob_order(8, true, 40, 1),
             kallsyms_blob_order(8, true, 30, 2), kallsyms_blob_order(4, true, 270, 2));
    add_kind("printk", 1500, printk_ring_blob(), printk_logbuf_blob(), none);
    add_kind("modlayout", 1000, modlayout_blob(), none, none);
    add_kind("sysmap", 2000, blob_text(sysmap_doc), none, none);
    add_kind("config", 2000, blob_text(config_doc), none, none);
    add_kind("x86", 700, x86_ia32e(), x86_pae(), x86_legacy());
    add_kind("gdb", 2000, gdb_packet("T05thread:p01.02;watch:00000000004a6100;"),
             gdb_packet("m}]0*\"1"), blob_text(gdb_xml));
    add_kind("mtree", 2000, blob_text(mtree_doc), none, none);
    add_kind("symz", 2000, symz_blob(), none, none);
}

static const hostile_target_t *target(const char *name)
{
    for (size_t i = 0; i < sizeof(hostile_targets) / sizeof(hostile_targets[0]); i++)
        if (strcmp(hostile_targets[i].name, name) == 0)
            return &hostile_targets[i];
    return NULL;
}

/* ---- The mutation loop: fixed seed, so every run tries the same inputs ---- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* A copy of seed, damaged: 1 to 4 of bit flips, bytes set to edge values,
 * 32- and 64-bit fields overwritten with huge or telling values, and
 * truncation.  Offsets favour the first 512 bytes, where headers live.
 * The copy is exactly as long as the input, so ASan sees overreads. */
static blob_t mutate(const blob_t *seed)
{
    static const uint8_t bytes[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, '"', '{', '[', '\\', '\n' };
    size_t n = seed->n;
    uint8_t *tmp = malloc(n ? n : 1);
    memcpy(tmp, seed->d, n);
    unsigned ops = 1 + (unsigned)(rnd() % 4);
    for (unsigned o = 0; o < ops && n > 0; o++) {
        size_t span = rnd() % 2 ? (n < 512 ? n : 512) : n;
        size_t at = (size_t)(rnd() % span);
        uint64_t big[] = { UINT64_MAX, 1ULL << 63, INT64_MAX, 0xffffffffULL, 0x80000000ULL,
                           0x7fffffffULL, n, n + 1, n - 1, 0x100000000ULL, 0xfffffff0ULL, 0 };
        uint64_t v = big[rnd() % (sizeof(big) / sizeof(big[0]))];
        switch (rnd() % 6) {
        case 0:
            tmp[at] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1:
            tmp[at] = bytes[rnd() % sizeof(bytes)];
            break;
        case 2:
            at &= ~(size_t)3;
            if (at + 4 <= n)
                p32(tmp + at, (uint32_t)v);
            break;
        case 3:
            at &= ~(size_t)(rnd() % 2 ? 7 : 3);
            if (at + 8 <= n)
                p64(tmp + at, v);
            break;
        case 4:
            if (rnd() % 4 == 0)
                n = (size_t)(rnd() % n);  /* truncate */
            else
                tmp[at] = (uint8_t)rnd();
            break;
        default:
            tmp[at] = (uint8_t)(tmp[at] + (rnd() % 2 ? 1 : -1));
            break;
        }
    }
    blob_t r = blob_new(n ? n : 1);
    r.n = n;
    memcpy(r.d, tmp, n);
    free(tmp);
    return r;
}

/* ---- Inputs that broke a parser once (found by tests/fuzz/) ---- */

typedef struct crasher {
    const char *kind;
    const char *what;
    const uint8_t *d;
    size_t n;
} crasher_t;

#define CRASHER(k, why, arr) { k, why, (const uint8_t *)(arr), sizeof(arr) - 1 }

/* BTF: struct task_struct (type 1) made of 24 anonymous members, each of
 * type 1 again.  Searching it for a member that is not there recursed 24^9
 * times (the depth limit alone bounded nothing); now the search has a
 * budget of members and gives up with a reason. */
static const char btf_self_anon[] =
    "\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00\x2c\x01\x00\x00\x2c\x01"
    "\x00\x00\x0d\x00\x00\x00\x01\x00\x00\x00\x18\x00\x00\x04\x08\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x74\x61\x73\x6b\x5f\x73\x74\x72\x75\x63\x74\x00";

/* System.map: a name holding a NUL.  It was indexed under a name no C
 * string can look up; now the line is not a symbol line. */
static const char sysmap_nul[] = "ffffffff81000000 T a\0b\nffffffff81000010 T c\x01d\n";

/* log_buf: log_first_seq just below 2^64, so the records' numbers wrapped
 * and came out of order.  Now such a first_seq is refused. */
static const char printk_seq_wrap[] =
    "\x00\x00\x00\x00\x75\x00\x00\x00\xfa\xff\xff\xff\xff\xff\xff\xff\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x1c\x00\x09\x00\x00\x00\x00\x80\x6d\x65\x73\x73"
    "\x61\x67\x65\x20\x30\x00\x00\x00\xe8\x03\x00\x00\x00\x00\x00\x00\x1c\x00"
    "\x09\x00\x00\x00\x00\x80\x6d\x65\x73\x73\x61\x67\x65\x20\x31\x00\x00\x00"
    "\xd0\x07\x00\x00\x00\x00\x00\x00\x1c\x00\x09\x00\x00\x00\x00\x80\x6d\x65"
    "\x73\x73\x61\x67\x65\x20\x32\x00\x00\x00\xb8\x0b\x00\x00\x00\x00\x00\x00"
    "\x1c\x00\x09\x00\x00\x00\x00\x80\x6d\x65\x73\x73\x61\x67\x65\x20\x33\x00"
    "\x00\x00\xa0\x0f\x00\x00\x00\x00\x00\x00\x1c\x00\x09\x00\x00\x00\x00\x80"
    "\x6d\x65\x73\x73\x61\x67\x65\x20\x34\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

/* A field after the name: the lazy reader took the rest of the line for
 * the name, the index the first word (found by the lazy/index comparison). */
static const char sysmap_trailing[] = "ffffffff81000000 T _text\x8a" "ffff T more\n"
                                      "ffffffff82000000 D init_task\n";

static const crasher_t crashers[] = {
    CRASHER("sysmap", "a field after the name", sysmap_trailing),
    CRASHER("printk", "log_first_seq about to wrap", printk_seq_wrap),
    CRASHER("btf", "self-nested anonymous members", btf_self_anon),
    CRASHER("sysmap", "NUL and control bytes in names", sysmap_nul),
};

/* ---- Tests ---- */

static void test_valid_inputs_are_accepted(void)
{
    for (size_t i = 0; i < nkinds; i++) {
        const hostile_target_t *t = target(kinds[i].name);
        CHECK(t != NULL);
        for (size_t s = 0; t && s < kinds[i].nseeds; s++) {
            int rc = t->run(kinds[i].seeds[s].d, kinds[i].seeds[s].n);
            if (rc != HOSTILE_OK)
                fprintf(stderr, "  %s seed %zu: %s\n", kinds[i].name, s,
                        rc == HOSTILE_REJECTED ? "refused" : "a call failed without a reason");
            CHECK(rc == HOSTILE_OK);
        }
    }
}

static void test_known_crashers(void)
{
    for (size_t i = 0; i < sizeof(crashers) / sizeof(crashers[0]); i++) {
        if (!crashers[i].kind)
            continue;
        const hostile_target_t *t = target(crashers[i].kind);
        CHECK(t != NULL);
        if (!t)
            continue;
        /* An exact-size copy, so a read one past the end is caught. */
        uint8_t *d = malloc(crashers[i].n ? crashers[i].n : 1);
        memcpy(d, crashers[i].d, crashers[i].n);
        int rc = t->run(d, crashers[i].n);
        if (rc == HOSTILE_NO_REASON)
            fprintf(stderr, "  %s (%s): a call failed without a reason\n", crashers[i].kind,
                    crashers[i].what);
        CHECK(rc != HOSTILE_NO_REASON);
        free(d);
    }
}

static void test_crasher_reasons(void)
{
    util_err_t err;
    uint64_t off;

    util_err_clear(&err);
    lx_btf_t *b = lx_btf_parse((const uint8_t *)btf_self_anon, sizeof(btf_self_anon) - 1, 8,
                               &err);
    CHECK(b != NULL);
    CHECK(lx_btf_offset(b, "task_struct", "nope", &off, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "visits more than") != NULL);
    lx_btf_free(b);

    lx_symtab_t *t = lx_symtab_new();
    util_err_clear(&err);
    CHECK(lx_sysmap_parse(t, sysmap_nul, sizeof(sysmap_nul) - 1, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "no symbol lines") != NULL);
    lx_symtab_free(t);
}

/* A LiME image of one page, which it places at guest-physical 2^47.  With
 * no registers, init scans for a page table over [0, max_pa): one failed
 * read per page of the hole, 2^35 of them, hung init.  The scan now steps
 * over holes, so init fails at once, saying no root was found. */
static void test_sparse_image_scan(void)
{
    uint8_t img[32 + 4096];
    char path[64];
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    struct timespec t0, t1;
    int fd = memfd_create("tvmi-sparse", MFD_CLOEXEC);

    memset(img, 0x5a, sizeof(img));
    p32(img, 0x4C694D45);
    p32(img + 4, 1);
    p64(img + 8, 1ULL << 47);
    p64(img + 16, (1ULL << 47) + 4095);
    p64(img + 24, 0);
    CHECK(fd >= 0 && write(fd, img, sizeof(img)) == (ssize_t)sizeof(img));
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                            "ostype = none", &e) == VMI_FAILURE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(strstr(tvmi_init_errmsg(), "no x86 page-table root found") != NULL);
    CHECK(t1.tv_sec - t0.tv_sec < 5);
    if (vmi)
        vmi_destroy(vmi);
    close(fd);
}

static void test_mutations(void)
{
    for (size_t i = 0; i < nkinds; i++) {
        const hostile_target_t *t = target(kinds[i].name);
        unsigned ok = 0, rejected = 0, silent = 0, runs = 0;
        rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(i + 1) * 0x100000001b3ULL;
        /* A kind whose target or seeds went missing would test nothing. */
        if (!t)
            fprintf(stderr, "  %s: no hostile target of that name\n", kinds[i].name);
        CHECK(t != NULL);
        CHECK(kinds[i].nseeds > 0);
        for (size_t s = 0; t && s < kinds[i].nseeds; s++) {
            for (unsigned m = 0; m < kinds[i].mutations; m++) {
                blob_t b = mutate(&kinds[i].seeds[s]);
                int rc = t->run(b.d, b.n);
                if (rc == HOSTILE_NO_REASON && silent++ < 3)
                    fprintf(stderr, "  %s seed %zu mutation %u: a call failed without a"
                            " reason\n", kinds[i].name, s, m);
                ok += rc == HOSTILE_OK;
                rejected += rc == HOSTILE_REJECTED;
                runs++;
                free(b.d);
            }
        }
        CHECK_EQ_U64(runs, kinds[i].nseeds * kinds[i].mutations);
        /* Mutations that never reach a rejection exercised nothing hostile.
         * (The x86 target walks many addresses per input and folds each
         * failed walk into its result; modlayout is a guess that answers
         * "no guess", never a rejection: neither rejects an input.) */
        bool folds = strcmp(kinds[i].name, "x86") == 0 || strcmp(kinds[i].name, "modlayout") == 0;
        if (rejected == 0 && !folds)
            fprintf(stderr, "  %s: no mutation was rejected\n", kinds[i].name);
        CHECK(rejected > 0 || folds);
        if (getenv("HOSTILE_VERBOSE"))
            printf("     %-9s %u accepted, %u rejected with a reason\n", kinds[i].name, ok,
                   rejected);
        CHECK(silent == 0);
    }
}

/* ---- Seed corpora for the fuzzers ---- */

static int write_seeds(const char *dir)
{
    char path[4096];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    for (size_t i = 0; i < nkinds; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, kinds[i].name);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            perror(path);
            return 1;
        }
        for (size_t s = 0; s < kinds[i].nseeds; s++) {
            snprintf(path, sizeof(path), "%s/%s/seed-%zu", dir, kinds[i].name, s);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(kinds[i].seeds[s].d, 1, kinds[i].seeds[s].n, f) !=
                          kinds[i].seeds[s].n) {
                perror(path);
                return 1;
            }
            fclose(f);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    build_kinds();
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        return write_seeds(argv[2]);
    TEST_RUN(test_valid_inputs_are_accepted);
    TEST_RUN(test_known_crashers);
    TEST_RUN(test_crasher_reasons);
    TEST_RUN(test_sparse_image_scan);
    TEST_RUN(test_mutations);
    for (size_t i = 0; i < nkinds; i++)
        for (size_t s = 0; s < kinds[i].nseeds; s++)
            free(kinds[i].seeds[s].d);
    TEST_DONE();
}
