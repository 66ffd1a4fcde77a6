/*
 * test_file_driver.c - the file driver against small images built here:
 * raw, QEMU-style ELF64 and ELF32 cores, LiME, and broken variants of each.
 *
 * Every image is written by this file into a fresh temporary directory, so
 * the test needs no guest.  Each byte of guest memory at guest-physical pa
 * holds pat(pa); "the image says X at pa; the driver reads X" is the whole
 * idea.  Register values are arbitrary but distinct, so a field read from the
 * wrong offset shows.
 */
#include "driver/driver.h"
#include "driver/file_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

extern const driver_ops_t driver_file_ops;
static const driver_ops_t *ops = &driver_file_ops;

static char tmpdir[] = "/tmp/tvmi-file-test-XXXXXX";
static char *made[128];
static size_t nmade;

static uint8_t pat(uint64_t pa)
{
    return (uint8_t)(pa ^ (pa >> 8) * 7 ^ (pa >> 16) * 13 ^ 0x5a);
}

/* ---- Writing images ---- */

static char *write_image(const void *data, size_t len)
{
    char *path = malloc(strlen(tmpdir) + 32);
    snprintf(path, strlen(tmpdir) + 32, "%s/img-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(2);
    }
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n <= 0) {
            perror("write");
            exit(2);
        }
        p += n;
        left -= (size_t)n;
    }
    close(fd);
    if (nmade < sizeof(made) / sizeof(made[0]))
        made[nmade++] = path;
    return path;
}

static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t v) { put16(b, (uint16_t)v); put16(b + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *b, uint64_t v) { put32(b, (uint32_t)v); put32(b + 4, (uint32_t)(v >> 32)); }

static void fill_pat(uint8_t *b, uint64_t pa, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
        b[i] = pat(pa + i);
}

typedef struct ph {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
} ph_t;

/* ELF header + program headers at 64 (ELF64) or 52 (ELF32). */
static void put_elf(uint8_t *b, bool is64, uint16_t machine, const ph_t *ph,
                    uint16_t phnum)
{
    memcpy(b, "\x7f" "ELF", 4);
    b[4] = is64 ? 2 : 1;
    b[5] = 1;
    b[6] = 1;
    put16(b + 16, 4); /* ET_CORE */
    put16(b + 18, machine);
    put32(b + 20, 1);
    if (is64) {
        put64(b + 32, 64);
        put16(b + 52, 64);
        put16(b + 54, 56);
        put16(b + 56, phnum);
        for (uint16_t i = 0; i < phnum; i++) {
            uint8_t *p = b + 64 + 56 * i;
            put32(p, ph[i].type);
            put64(p + 8, ph[i].offset);
            put64(p + 16, 0);
            put64(p + 24, ph[i].paddr);
            put64(p + 32, ph[i].filesz);
            put64(p + 40, ph[i].memsz);
        }
    } else {
        put32(b + 28, 52);
        put16(b + 40, 52);
        put16(b + 42, 32);
        put16(b + 44, phnum);
        for (uint16_t i = 0; i < phnum; i++) {
            uint8_t *p = b + 52 + 32 * i;
            put32(p, ph[i].type);
            put32(p + 4, (uint32_t)ph[i].offset);
            put32(p + 12, (uint32_t)ph[i].paddr);
            put32(p + 16, (uint32_t)ph[i].filesz);
            put32(p + 20, (uint32_t)ph[i].memsz);
        }
    }
}

/* One note; returns its size with padding. */
static size_t put_note(uint8_t *b, const char *name, uint32_t type,
                       const uint8_t *desc, uint32_t descsz)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    size_t at = 12;
    put32(b, namesz);
    put32(b + 4, descsz);
    put32(b + 8, type);
    memcpy(b + at, name, namesz);
    at += (namesz + 3) & ~3u;
    memcpy(b + at, desc, descsz);
    at += (descsz + 3) & ~3u;
    return at;
}

/* The registers our fake QEMU notes carry; vCPU k gets base + k. */
#define T_CR0_64 0x80050033ull
#define T_CR3 0x1aa000ull
#define T_CR4_64 0x3606f0ull
#define T_RIP 0xffffffff81000010ull
#define T_RSP 0xffffc90000003f00ull
#define T_GDTR 0xfffffe0000001000ull
#define T_IDTR 0xfffffe0000000000ull
#define T_KGS 0xffff888007a00000ull
#define T_GSBASE 0x00007f0000001000ull
/* QEMU's flags for a 64-bit ring-0 code segment: P, S, type 0xb, L, G. */
#define T_CS_FLAGS 0x00a09b00u
#define T_CS_AR 0xa9bu

/* QEMUCPUState v1 with `size` 440 (kernel_gs_base) or 432 (older QEMU). */
static void put_qemu_state(uint8_t *d, uint32_t size, uint64_t k, uint64_t cr0,
                           uint64_t cr4)
{
    memset(d, 0, 440);
    put32(d, 1);
    put32(d + 4, size);
    for (int i = 0; i < 16; i++)
        put64(d + 8 + 8 * i, 0x1000 * (uint64_t)(i + 1) + k); /* rax..r15 */
    put64(d + 8 + 8 * 6, T_RSP + k);                            /* rsp */
    put64(d + 136, T_RIP + k);
    put64(d + 144, 0x246);
    /* cs */
    put32(d + 152, 0x10);
    put32(d + 152 + 4, 0xffffffff);
    put32(d + 152 + 8, T_CS_FLAGS);
    /* gs */
    put32(d + 152 + 24 * 4, 0x0);
    put64(d + 152 + 24 * 4 + 16, T_GSBASE + k);
    /* tr */
    put32(d + 152 + 24 * 7, 0x40);
    /* gdt, idt */
    put32(d + 152 + 24 * 8 + 4, 0x7f);
    put64(d + 152 + 24 * 8 + 16, T_GDTR + k);
    put32(d + 152 + 24 * 9 + 4, 0xfff);
    put64(d + 152 + 24 * 9 + 16, T_IDTR + k);
    put64(d + 392, cr0);
    put64(d + 408, 0xdead0000 + k);  /* cr2 */
    put64(d + 416, T_CR3 + 0x1000 * k);
    put64(d + 424, cr4);
    put64(d + 432, T_KGS + k);
}

/* Linux elf_prstatus for x86_64 (336 bytes), regs at 112. */
static void put_prstatus64(uint8_t *d, uint64_t k)
{
    memset(d, 0, 336);
    put32(d + 32, (uint32_t)k + 1);
    put64(d + 112 + 8 * 10, 0xaaaa0000 + k); /* rax */
    put64(d + 112 + 8 * 16, 0x401000 + k);   /* rip */
    put64(d + 112 + 8 * 19, 0x7ffe0000 + k); /* rsp */
    put64(d + 112 + 8 * 17, 0x33);           /* cs */
}

/* Linux elf_prstatus for i386 (144 bytes), regs at 72. */
static void put_prstatus32(uint8_t *d, uint32_t k)
{
    memset(d, 0, 144);
    put32(d + 72 + 24, 0xeaea0000 + k); /* eax */
    put32(d + 72 + 48, 0xc1000000 + k); /* eip */
    put32(d + 72 + 52, 0xffff0060);     /* cs, upper half is junk */
    put32(d + 72 + 60, 0xc0001f00 + k); /* esp */
}

/* ---- Opening ---- */

static const char *forced_format, *read_way;
static const char *lookup(void *ctx, const char *key)
{
    (void)ctx;
    if (strcmp(key, "image_read") == 0)
        return read_way;
    return strcmp(key, "image_format") == 0 ? forced_format : NULL;
}

static void *open_as(const char *path, const char *format, util_err_t *err)
{
    driver_settings_t set = { lookup, NULL };
    void *st = NULL;
    forced_format = format;
    util_err_clear(err);
    if (ops->open(&st, DRIVER_TARGET_NAMED(path), &set, err) != VMI_SUCCESS)
        return NULL;
    return st;
}

/* The address at which path is mapped (offset 0), from /proc/self/maps. */
static uintptr_t mapping_of(const char *path)
{
    char line[1024];
    uintptr_t found = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi, off;
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t ll = strlen(line), pl = strlen(path);
        if (ll < pl || strcmp(line + ll - pl, path) != 0)
            continue;
        if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && off == 0) {
            found = lo;
            break;
        }
    }
    fclose(f);
    return found;
}

static bool contains(const util_err_t *err, const char *s)
{
    return strstr(util_err_msg(err), s) != NULL;
}

/* Open must fail, and the reason must name the path and say `why`. */
static void expect_open_fails(const char *path, const char *format, const char *why)
{
    util_err_t err;
    void *st = open_as(path, format, &err);
    CHECK(st == NULL);
    if (st)
        ops->close(st);
    CHECK(contains(&err, path));
    if (!contains(&err, why))
        fprintf(stderr, "  expected \"%s\" in: %s\n", why, util_err_msg(&err));
    CHECK(contains(&err, why));
}

static bool pat_ok(const uint8_t *b, uint64_t pa, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (b[i] != pat(pa + i))
            return false;
    return true;
}

/* ---- Raw ---- */

static void test_raw(void)
{
    enum { N = 0x3000 };
    static uint8_t img[N];
    uint8_t buf[0x100];
    util_err_t err;
    size_t done = 99;
    driver_range_t r;

    fill_pat(img, 0, N);
    char *path = write_image(img, N);
    CHECK(ops->probe(DRIVER_TARGET_NAMED(path)));
    void *st = open_as(path, NULL, &err);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK(ops->write == NULL);
    CHECK(ops->pause == NULL && ops->resume == NULL);
    CHECK_EQ_U64(ops->memsize(st), N);
    CHECK_EQ_U64(ops->max_pa(st), N);
    CHECK(ops->range(st, 0, &r));
    CHECK_EQ_U64(r.start, 0);
    CHECK_EQ_U64(r.end, N);
    CHECK(!ops->range(st, 1, &r));

    CHECK(ops->read(st, 0x1f80, buf, sizeof(buf), &done, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(done, sizeof(buf));
    CHECK(pat_ok(buf, 0x1f80, sizeof(buf)));

    /* The image says the file offset is the address; map() points there. */
    uintptr_t base = mapping_of(path);
    CHECK(base != 0);
    const void *p = ops->map(st, 0x1234, 0x100, &err);
    CHECK((uintptr_t)p == base + 0x1234);
    CHECK(ops->map(st, 0x1234, 0x100, &err) == p);

    /* Past the end: a hole, with how much was copied. */
    CHECK(ops->read(st, N - 0x10, buf, 0x20, &done, &err) == VMI_FAILURE);
    CHECK_EQ_U64(done, 0x10);
    CHECK(pat_ok(buf, N - 0x10, 0x10));
    CHECK(contains(&err, "guest-physical 0x3000 is not in the image"));
    CHECK(ops->map(st, N - 0x10, 0x20, &err) == NULL);
    CHECK(util_err_msg(&err)[0] != '\0');

    CHECK_EQ_U64(ops->num_vcpus(st), 0);
    uint64_t v;
    CHECK(ops->get_vcpureg(st, &v, CR3, 0, &err) == VMI_FAILURE);
    CHECK(contains(&err, "raw image holds no vCPU registers"));
    ops->close(st);
}

/* ---- ELF64, QEMU style ---- */

/*
 * Memory of the ELF64 core:
 *   A [0x0000, 0x3000)  program header 3, file offset 0x1000
 *   B [0x3000, 0x4000)  program header 1, file offset 0x6000 (adjacent to A
 *                       in memory, not in the file: two ranges)
 *     [0x4000, 0x5000)  hole
 *   C [0x5000, 0x7000)  program header 2, file offset 0x4000; p_memsz 0x3000,
 *                       so [0x7000, 0x8000) is not in the file
 * Notes (program header 0): PRSTATUS x2, then QEMU x2.
 */
#define E64_SIZE 0x7000
static uint8_t e64[E64_SIZE];

static void build_elf64(void)
{
    ph_t ph[4] = {
        { 4, 0x400, 0, 0, 0 },
        { 1, 0x6000, 0x3000, 0x1000, 0x1000 },
        { 1, 0x4000, 0x5000, 0x2000, 0x3000 },
        { 1, 0x1000, 0x0000, 0x3000, 0x3000 },
    };
    uint8_t desc[440];
    size_t at = 0x400;

    memset(e64, 0, sizeof(e64));
    for (int k = 0; k < 2; k++) {
        put_prstatus64(desc, (uint64_t)k);
        at += put_note(e64 + at, "CORE", 1, desc, 336);
    }
    for (int k = 0; k < 2; k++) {
        put_qemu_state(desc, 440, (uint64_t)k, T_CR0_64, T_CR4_64);
        at += put_note(e64 + at, "QEMU", 0, desc, 440);
    }
    ph[0].filesz = ph[0].memsz = at - 0x400;
    put_elf(e64, true, 62, ph, 4);
    fill_pat(e64 + 0x1000, 0x0000, 0x3000);
    fill_pat(e64 + 0x6000, 0x3000, 0x1000);
    fill_pat(e64 + 0x4000, 0x5000, 0x2000);
}

static void test_elf64_memory(void)
{
    uint8_t buf[0x2000];
    util_err_t err;
    size_t done;
    driver_range_t r;

    build_elf64();
    char *path = write_image(e64, E64_SIZE);
    void *st = open_as(path, NULL, &err);
    if (!st)
        fprintf(stderr, "  open: %s\n", util_err_msg(&err));
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK_EQ_U64(ops->memsize(st), 0x6000);
    CHECK_EQ_U64(ops->max_pa(st), 0x7000);
    CHECK(ops->range(st, 0, &r) && r.start == 0 && r.end == 0x3000);
    CHECK(ops->range(st, 1, &r) && r.start == 0x3000 && r.end == 0x4000);
    CHECK(ops->range(st, 2, &r) && r.start == 0x5000 && r.end == 0x7000);
    CHECK(!ops->range(st, 3, &r));

    /* Across A and B, which are adjacent in memory only. */
    CHECK(ops->read(st, 0x2f00, buf, 0x200, &done, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(done, 0x200);
    CHECK(pat_ok(buf, 0x2f00, 0x200));
    /* A whole page inside C. */
    CHECK(ops->read(st, 0x5000, buf, 0x1000, &done, &err) == VMI_SUCCESS);
    CHECK(pat_ok(buf, 0x5000, 0x1000));

    /* Into the hole: the first 0x800 bytes arrive, then the reason. */
    memset(buf, 0, sizeof(buf));
    CHECK(ops->read(st, 0x3800, buf, 0x1000, &done, &err) == VMI_FAILURE);
    CHECK_EQ_U64(done, 0x800);
    CHECK(pat_ok(buf, 0x3800, 0x800));
    CHECK(contains(&err, "guest-physical 0x4000 is not in the image (hole between"
                         " ranges 0x3000-0x3fff and 0x5000-0x6fff)"));
    /* Starting in the hole: nothing. */
    done = 77;
    CHECK(ops->read(st, 0x4ff0, buf, 0x20, &done, &err) == VMI_FAILURE);
    CHECK_EQ_U64(done, 0);
    CHECK(contains(&err, "guest-physical 0x4ff0 is not in the image"));
    /* p_memsz beyond p_filesz is not memory we have. */
    CHECK(ops->read(st, 0x7000, buf, 1, &done, &err) == VMI_FAILURE);
    CHECK(contains(&err, "past its last range"));

    /* map(): straight into the file mapping, at the range's file offset. */
    uintptr_t base = mapping_of(path);
    CHECK(base != 0);
    const uint8_t *p = ops->map(st, 0x5010, 0x100, &err);
    CHECK((uintptr_t)p == base + 0x4000 + 0x10);
    p = ops->map(st, 0x3000, 0x1000, &err);
    CHECK((uintptr_t)p == base + 0x6000);
    p = ops->map(st, 0x0, 0x3000, &err);
    CHECK((uintptr_t)p == base + 0x1000);
    /* Not one range: map refuses (read would work). */
    CHECK(ops->map(st, 0x2f00, 0x200, &err) == NULL);
    CHECK(contains(&err, "not stored contiguously"));
    CHECK(ops->map(st, 0x4000, 0x10, &err) == NULL);
    CHECK(contains(&err, "hole between"));

    /* The cache of the last range must not fool a lookup elsewhere. */
    CHECK(ops->read(st, 0x10, buf, 0x10, &done, &err) == VMI_SUCCESS);
    CHECK(pat_ok(buf, 0x10, 0x10));
    CHECK(ops->read(st, 0x6ff0, buf, 0x10, &done, &err) == VMI_SUCCESS);
    CHECK(pat_ok(buf, 0x6ff0, 0x10));
    CHECK(ops->read(st, 0x10, buf, 0x10, &done, &err) == VMI_SUCCESS);
    CHECK(pat_ok(buf, 0x10, 0x10));
    ops->close(st);
}

static void test_elf64_registers(void)
{
    util_err_t err;
    uint64_t v = 0;

    build_elf64();
    char *path = write_image(e64, E64_SIZE);
    void *st = open_as(path, NULL, &err);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK_EQ_U64(ops->num_vcpus(st), 2);
    for (unsigned long k = 0; k < 2; k++) {
#define REG(r, want)                                                         \
        do {                                                                 \
            v = 0x1111;                                                      \
            CHECK(ops->get_vcpureg(st, &v, r, k, &err) == VMI_SUCCESS);      \
            CHECK_EQ_U64(v, want);                                           \
        } while (0)
        REG(CR3, T_CR3 + 0x1000 * k);
        REG(CR4, T_CR4_64);
        REG(CR0, T_CR0_64);
        REG(CR2, 0xdead0000 + k);
        REG(RIP, T_RIP + k);
        REG(RSP, T_RSP + k);
        REG(RAX, 0x1000 + k);
        REG(RBX, 0x2000 + k);
        REG(R15, 0x10000 + k);
        REG(RFLAGS, 0x246);
        REG(CS_SEL, 0x10);
        REG(CS_LIMIT, 0xffffffff);
        REG(CS_ARBYTES, T_CS_AR);
        REG(TR_SEL, 0x40);
        REG(GS_BASE, T_GSBASE + k);
        REG(GDTR_BASE, T_GDTR + k);
        REG(GDTR_LIMIT, 0x7f);
        REG(IDTR_BASE, T_IDTR + k);
        REG(IDTR_LIMIT, 0xfff);
        REG(SHADOW_GS, T_KGS + k);
        /* Derived: EM_X86_64 with paging and PAE on: LME|LMA, NXE unknown. */
        REG(MSR_EFER, 0x500);
#undef REG
    }
    CHECK(ops->get_vcpureg(st, &v, CR3, 2, &err) == VMI_FAILURE);
    CHECK(contains(&err, "no vCPU 2 (the image holds 2)"));
    CHECK(ops->get_vcpureg(st, &v, DR7, 0, &err) == VMI_FAILURE);
    CHECK(contains(&err, "does not record DR7"));
    CHECK(contains(&err, "QEMU CPU state note"));
    CHECK(ops->get_vcpureg(st, &v, SCTLR, 0, &err) == VMI_FAILURE);
    CHECK(contains(&err, path));
    ops->close(st);
}

/* Without QEMU notes, registers come from NT_PRSTATUS (no CRs there). */
static void test_elf64_prstatus_only(void)
{
    static uint8_t img[0x3000];
    uint8_t desc[336];
    util_err_t err;
    uint64_t v;
    size_t at = 0x200;

    memset(img, 0, sizeof(img));
    put_prstatus64(desc, 0);
    at += put_note(img + at, "CORE", 1, desc, 336);
    ph_t ph[2] = { { 4, 0x200, 0, at - 0x200, at - 0x200 },
                   { 1, 0x1000, 0x100000, 0x2000, 0x2000 } };
    put_elf(img, true, 62, ph, 2);
    fill_pat(img + 0x1000, 0x100000, 0x2000);
    char *path = write_image(img, sizeof(img));
    void *st = open_as(path, NULL, &err);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK_EQ_U64(ops->num_vcpus(st), 1);
    CHECK(ops->get_vcpureg(st, &v, RAX, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0xaaaa0000);
    CHECK(ops->get_vcpureg(st, &v, RIP, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0x401000);
    CHECK(ops->get_vcpureg(st, &v, RSP, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0x7ffe0000);
    CHECK(ops->get_vcpureg(st, &v, CS_SEL, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0x33);
    CHECK(ops->get_vcpureg(st, &v, CR3, 0, &err) == VMI_FAILURE);
    CHECK(contains(&err, "NT_PRSTATUS"));
    CHECK(ops->get_vcpureg(st, &v, MSR_EFER, 0, &err) == VMI_FAILURE);
    /* Reads below the first range are holes too. */
    uint8_t b[4];
    size_t done;
    CHECK(ops->read(st, 0xffffe, b, 4, &done, &err) == VMI_FAILURE);
    CHECK(contains(&err, "below its first range"));
    CHECK(ops->read(st, 0x101ffc, b, 4, &done, &err) == VMI_SUCCESS);
    CHECK(pat_ok(b, 0x101ffc, 4));
    ops->close(st);
}

/* Two PT_LOADs contiguous both in memory and in the file: one range. */
static void test_elf64_merge(void)
{
    static uint8_t img[0x3000];
    util_err_t err;
    driver_range_t r;

    memset(img, 0, sizeof(img));
    ph_t ph[2] = { { 1, 0x2000, 0x9000, 0x1000, 0x1000 },
                   { 1, 0x1000, 0x8000, 0x1000, 0x1000 } };
    put_elf(img, true, 62, ph, 2);
    fill_pat(img + 0x1000, 0x8000, 0x2000);
    char *path = write_image(img, sizeof(img));
    void *st = open_as(path, NULL, &err);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK(ops->range(st, 0, &r) && r.start == 0x8000 && r.end == 0xa000);
    CHECK(!ops->range(st, 1, &r));
    const uint8_t *p = ops->map(st, 0x8800, 0x1000, &err);
    CHECK(p != NULL && pat_ok(p, 0x8800, 0x1000));
    CHECK_EQ_U64(ops->num_vcpus(st), 0);
    ops->close(st);
}

/* Extended numbering: e_phnum == PN_XNUM, the count in section 0's sh_info. */
static void test_elf64_pn_xnum(void)
{
    static uint8_t img[0x3000];
    util_err_t err;

    memset(img, 0, sizeof(img));
    ph_t ph[2] = { { 1, 0x1000, 0x0, 0x800, 0x800 },
                   { 1, 0x2000, 0x1000, 0x1000, 0x1000 } };
    put_elf(img, true, 62, ph, 2);
    put16(img + 56, 0xffff);      /* e_phnum = PN_XNUM */
    put64(img + 40, 0x200);       /* e_shoff */
    put16(img + 58, 64);          /* e_shentsize */
    put16(img + 60, 1);           /* e_shnum */
    put32(img + 0x200 + 44, 2);   /* sh_info = real count */
    fill_pat(img + 0x1000, 0x0, 0x800);
    fill_pat(img + 0x2000, 0x1000, 0x1000);
    char *path = write_image(img, sizeof(img));
    void *st = open_as(path, NULL, &err);
    if (!st)
        fprintf(stderr, "  open: %s\n", util_err_msg(&err));
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK_EQ_U64(ops->memsize(st), 0x1800);
    CHECK_EQ_U64(ops->max_pa(st), 0x2000);
    ops->close(st);
}

/* ---- ELF32, as QEMU writes for a 32-bit guest below 4 GiB ---- */

static void test_elf32(void)
{
    static uint8_t img[0x4000];
    uint8_t desc[440];
    util_err_t err;
    uint64_t v;
    size_t at = 0x100, done;
    uint8_t buf[0x40];

    memset(img, 0, sizeof(img));
    put_prstatus32(desc, 0);
    at += put_note(img + at, "CORE", 1, desc, 144);
    /* Older QEMU: 432 bytes, no kernel_gs_base.  Paging on, no PAE. */
    put_qemu_state(desc, 432, 0, 0x80000011, 0x10);
    at += put_note(img + at, "QEMU", 0, desc, 432);
    ph_t ph[3] = { { 4, 0x100, 0, at - 0x100, at - 0x100 },
                   { 1, 0x1000, 0x0, 0x1000, 0x1000 },
                   { 1, 0x2000, 0xfffff000, 0x1000, 0x1000 } };
    put_elf(img, false, 3, ph, 3);
    fill_pat(img + 0x1000, 0x0, 0x1000);
    fill_pat(img + 0x2000, 0xfffff000, 0x1000);
    char *path = write_image(img, 0x3000);
    void *st = open_as(path, NULL, &err);
    if (!st)
        fprintf(stderr, "  open: %s\n", util_err_msg(&err));
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK_EQ_U64(ops->memsize(st), 0x2000);
    CHECK_EQ_U64(ops->max_pa(st), 0x100000000ull);
    CHECK(ops->read(st, 0xffffffe0, buf, 0x20, &done, &err) == VMI_SUCCESS);
    CHECK(pat_ok(buf, 0xffffffe0, 0x20));
    CHECK(ops->read(st, 0xffffffe0, buf, 0x40, &done, &err) == VMI_FAILURE);
    CHECK_EQ_U64(done, 0x20);
    CHECK(contains(&err, "guest-physical 0x100000000 is not in the image"));
    CHECK_EQ_U64(ops->num_vcpus(st), 1);
    CHECK(ops->get_vcpureg(st, &v, CR3, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, T_CR3);
    CHECK(ops->get_vcpureg(st, &v, CR0, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0x80000011);
    /* EM_386: long mode was not active, so EFER.LMA/LME are clear. */
    CHECK(ops->get_vcpureg(st, &v, MSR_EFER, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0);
    CHECK(ops->get_vcpureg(st, &v, SHADOW_GS, 0, &err) == VMI_FAILURE);
    CHECK(contains(&err, "does not record SHADOW_GS"));
    ops->close(st);
}

/* i386 PRSTATUS layout (no QEMU note), selectors cut to 16 bits. */
static void test_elf32_prstatus(void)
{
    static uint8_t img[0x2000];
    uint8_t desc[144];
    util_err_t err;
    uint64_t v;
    size_t at = 0x100;

    memset(img, 0, sizeof(img));
    put_prstatus32(desc, 3);
    at += put_note(img + at, "CORE", 1, desc, 144);
    ph_t ph[2] = { { 4, 0x100, 0, at - 0x100, at - 0x100 },
                   { 1, 0x1000, 0x0, 0x1000, 0x1000 } };
    put_elf(img, false, 3, ph, 2);
    char *path = write_image(img, sizeof(img));
    void *st = open_as(path, NULL, &err);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK(ops->get_vcpureg(st, &v, EAX, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0xeaea0003);
    CHECK(ops->get_vcpureg(st, &v, EIP, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0xc1000003);
    CHECK(ops->get_vcpureg(st, &v, ESP, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0xc0001f03);
    CHECK(ops->get_vcpureg(st, &v, CS_SEL, 0, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(v, 0x60);
    ops->close(st);
}

/* ---- LiME ---- */

static size_t put_lime(uint8_t *b, uint32_t magic, uint64_t s, uint64_t e)
{
    put32(b, magic);
    put32(b + 4, 1);
    put64(b + 8, s);
    put64(b + 16, e);
    put64(b + 24, 0);
    return 32;
}

#define LIME_MAGIC 0x4C694D45u

static void test_lime(void)
{
    static uint8_t img[32 + 0x2000 + 32 + 0x1000];
    uint8_t buf[0x100];
    util_err_t err;
    size_t at = 0, done;
    driver_range_t r;

    at += put_lime(img + at, LIME_MAGIC, 0x0, 0x1fff);
    fill_pat(img + at, 0x0, 0x2000);
    at += 0x2000;
    at += put_lime(img + at, LIME_MAGIC, 0x4000, 0x4fff);
    fill_pat(img + at, 0x4000, 0x1000);
    at += 0x1000;
    char *path = write_image(img, at);
    void *st = open_as(path, NULL, &err);
    if (!st)
        fprintf(stderr, "  open: %s\n", util_err_msg(&err));
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK_EQ_U64(ops->memsize(st), 0x3000);
    CHECK_EQ_U64(ops->max_pa(st), 0x5000);
    CHECK(ops->range(st, 0, &r) && r.start == 0 && r.end == 0x2000);
    CHECK(ops->range(st, 1, &r) && r.start == 0x4000 && r.end == 0x5000);
    CHECK(ops->read(st, 0x1f00, buf, 0x100, &done, &err) == VMI_SUCCESS);
    CHECK(pat_ok(buf, 0x1f00, 0x100));
    CHECK(ops->read(st, 0x1f80, buf, 0x100, &done, &err) == VMI_FAILURE);
    CHECK_EQ_U64(done, 0x80);
    CHECK(contains(&err, "guest-physical 0x2000 is not in the image (hole between"
                         " ranges 0x0-0x1fff and 0x4000-0x4fff)"));
    uintptr_t base = mapping_of(path);
    const void *p = ops->map(st, 0x4010, 0x10, &err);
    CHECK((uintptr_t)p == base + 32 + 0x2000 + 32 + 0x10);
    CHECK_EQ_U64(ops->num_vcpus(st), 0);
    uint64_t v;
    CHECK(ops->get_vcpureg(st, &v, CR3, 0, &err) == VMI_FAILURE);
    CHECK(contains(&err, "lime image holds no vCPU registers"));
    ops->close(st);
}

/* ---- Forcing a format ---- */

static void test_forced_format(void)
{
    util_err_t err;

    build_elf64();
    char *path = write_image(e64, E64_SIZE);
    void *st = open_as(path, "raw", &err);
    CHECK(st != NULL);
    if (st) {
        CHECK_EQ_U64(ops->memsize(st), E64_SIZE);
        CHECK_EQ_U64(ops->num_vcpus(st), 0);
        ops->close(st);
    }
    st = open_as(path, "ELF", &err);
    CHECK(st != NULL);
    if (st) {
        CHECK_EQ_U64(ops->memsize(st), 0x6000);
        ops->close(st);
    }
    expect_open_fails(path, "lime", "bad magic");
    expect_open_fails(path, "lime", "as image_format says");
    expect_open_fails(path, "vmdk", "unknown image_format \"vmdk\" (known: elf, lime, windump, raw)");

    static uint8_t junk[0x1000];
    memset(junk, 0xcc, sizeof(junk));
    char *raw = write_image(junk, sizeof(junk));
    expect_open_fails(raw, "elf", "not an ELF file");
}

/* ---- How reads copy (image_read) ---- */

/* KiB of path's mapping resident in this process (smaps' Rss), or -1. */
static long mapped_kb(const char *path)
{
    char line[1024];
    long kb = -1;
    bool in = false;
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t ll = strlen(line), pl = strlen(path);
        /* A mapping's line starts "lo-hi "; its fields' lines "Name: ". */
        char *sp = strchr(line, ' '), *dash = strchr(line, '-');
        if (sp && dash && dash < sp) {
            in = ll >= pl && strcmp(line + ll - pl, path) == 0;
            continue;
        }
        if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
            break;
    }
    fclose(f);
    return kb;
}

/* Every way gives the image's bytes and the same holes; pread leaves the
 * mapping untouched (nothing of it resident after reading every page),
 * map reads through it; auto switches after its small-read budget without
 * a wrong byte; a file cut short after open fails a pread with a reason.
 * (Opening reads the format's header through the mapping, so "untouched"
 * means: no more resident after the reads than after the open.) */
static void test_read_ways(void)
{
    enum { N = 0x40000 };
    static uint8_t img[N], big[0x20000];
    const char *ways[] = { NULL, "auto", "pread", "map" };
    uint8_t buf[0x100];
    util_err_t err;
    size_t done;

    fill_pat(img, 0, N);
    for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
        char *path = write_image(img, N);
        read_way = ways[w];
        void *st = open_as(path, NULL, &err);
        CHECK(st != NULL);
        if (!st)
            continue;
        /* What recognising the format touched (the header's pages). */
        long kb0 = mapped_kb(path);
        bool bytes_ok = true;
        /* 1100 small reads: past auto's budget of 1024. */
        for (unsigned i = 0; i < 1100; i++) {
            uint64_t pa = ((uint64_t)i * 0x1234) % (N - sizeof(buf));
            if (ops->read(st, pa, buf, sizeof(buf), &done, &err) != VMI_SUCCESS ||
                done != sizeof(buf) || !pat_ok(buf, pa, sizeof(buf)))
                bytes_ok = false;
        }
        CHECK(bytes_ok);
        CHECK(ops->read(st, 0x8000, big, sizeof(big), &done, &err) == VMI_SUCCESS);
        CHECK(pat_ok(big, 0x8000, sizeof(big)));
        CHECK(ops->read(st, N - 0x10, buf, 0x20, &done, &err) == VMI_FAILURE);
        CHECK_EQ_U64(done, 0x10);
        CHECK(contains(&err, "is not in the image"));
        long kb = mapped_kb(path);
        CHECK(kb0 >= 0 && kb >= kb0);
        if (ways[w] && strcmp(ways[w], "pread") == 0)
            CHECK(kb == kb0);
        else if (ways[w] && strcmp(ways[w], "map") == 0)
            CHECK(kb > kb0);
        if (ways[w] && strcmp(ways[w], "pread") == 0) {
            /* Someone cuts the file: the read fails, it does not fault. */
            CHECK(truncate(path, 0x1000) == 0);
            CHECK(ops->read(st, 0x2000, buf, sizeof(buf), &done, &err) == VMI_FAILURE);
            CHECK_EQ_U64(done, 0);
            CHECK(contains(&err, "shrank after it was opened") && contains(&err, path));
        }
        if (!ways[w]) {
            /* auto: a big read still goes through pread, so it fails too. */
            CHECK(truncate(path, 0x1000) == 0);
            CHECK(ops->read(st, 0x8000, big, sizeof(big), &done, &err) == VMI_FAILURE);
            CHECK(contains(&err, "shrank after it was opened") && contains(&err, path));
        }
        ops->close(st);
    }
    char *path = write_image(img, 0x1000);
    read_way = "fast";
    expect_open_fails(path, NULL, "image_read is \"fast\"; it takes auto");
    read_way = NULL;
}

/* ---- Broken images ---- */

static void test_bad_elf(void)
{
    static uint8_t img[E64_SIZE];
    ph_t ph;

    /* Program-header table cut off: the file ends inside header 2. */
    build_elf64();
    expect_open_fails(write_image(e64, 64 + 56 * 2 + 20),
                      NULL, "ELF program header 2 lies beyond the end of the file"
                            " (offset 0xb0, size 0x38, file size 0xc4)");

    /* A PT_LOAD whose data runs past the end of the file. */
    build_elf64();
    expect_open_fails(write_image(e64, 0x6800), NULL,
                      "ELF program header 1 (PT_LOAD, guest-physical 0x3000) has"
                      " data beyond the end of the file");

    /* Overlapping PT_LOADs. */
    build_elf64();
    memcpy(img, e64, sizeof(img));
    put64(img + 64 + 56 * 1 + 24, 0x2800); /* B now starts inside A */
    expect_open_fails(write_image(img, sizeof(img)), NULL,
                      "ELF program header 1 (guest-physical 0x2800-0x37ff) overlaps"
                      " ELF program header 3 (0x0-0x2fff)");

    /* A range that wraps past 2^64. */
    build_elf64();
    memcpy(img, e64, sizeof(img));
    put64(img + 64 + 56 * 2 + 24, 0xfffffffffffff000ull);
    expect_open_fails(write_image(img, sizeof(img)), NULL,
                      "ELF program header 2 (guest-physical 0xfffffffffffff000,"
                      " length 0x2000) wraps");

    /* A note whose descsz runs past its segment. */
    build_elf64();
    memcpy(img, e64, sizeof(img));
    put32(img + 0x400 + 4, 0x100000);
    expect_open_fails(write_image(img, sizeof(img)), NULL,
                      "ELF note 0 in program header 0 (PT_NOTE at file offset"
                      " 0x400) runs past the end of its segment");

    /* p_filesz > p_memsz. */
    build_elf64();
    memcpy(img, e64, sizeof(img));
    put64(img + 64 + 56 * 1 + 40, 0x10);
    expect_open_fails(write_image(img, sizeof(img)), NULL, "more bytes in the file");

    /* Garbage after the magic; an ELF header cut short; wrong kinds of ELF. */
    memset(img, 0x41, 64);
    memcpy(img, "\x7f" "ELF", 4);
    expect_open_fails(write_image(img, 64), NULL, "unsupported ELF class 65");
    memcpy(img, "\x7f" "ELF\x02\x01\x01", 7);
    expect_open_fails(write_image(img, 40), NULL,
                      "ELF header is truncated (file is 0x28 bytes, an ELFCLASS64"
                      " header needs 0x40)");
    memset(&ph, 0, sizeof(ph));
    memset(img, 0, 0x200);
    put_elf(img, true, 62, &ph, 0);
    expect_open_fails(write_image(img, 0x200), NULL, "no program headers");
    put_elf(img, true, 183 /* EM_AARCH64 */, &ph, 0);
    expect_open_fails(write_image(img, 0x200), NULL, "machine 183");
    put_elf(img, true, 62, &ph, 0);
    put16(img + 16, 2); /* ET_EXEC */
    expect_open_fails(write_image(img, 0x200), NULL, "not a core dump");
    img[5] = 2;
    expect_open_fails(write_image(img, 0x200), NULL, "not little-endian");
    /* Only a PT_NOTE: no memory at all. */
    ph = (ph_t){ 4, 0x100, 0, 0x10, 0x10 };
    memset(img, 0, 0x200);
    put_elf(img, true, 62, &ph, 1);
    expect_open_fails(write_image(img, 0x200), NULL, "no PT_LOAD segment with data");
}

static void test_bad_lime(void)
{
    static uint8_t img[32 + 0x1000 + 32 + 0x1000];
    size_t at;

    /* The second header's magic is wrong. */
    at = put_lime(img, LIME_MAGIC, 0, 0xfff) + 0x1000;
    put_lime(img + at, 0x12345678, 0x2000, 0x2fff);
    expect_open_fails(write_image(img, sizeof(img)), NULL,
                      "LiME header 1 at file offset 0x1020: bad magic 0x12345678"
                      " (expected 0x4c694d45)");

    /* The second range claims more bytes than the file has. */
    put_lime(img + at, LIME_MAGIC, 0x2000, 0x3fff);
    expect_open_fails(write_image(img, sizeof(img)), NULL,
                      "LiME range 1 (guest-physical 0x2000-0x3fff) runs past the"
                      " end of the file: its 0x2000 bytes start at file offset"
                      " 0x1040 but the file ends at 0x2040");

    /* A header cut short. */
    expect_open_fails(write_image(img, 32 + 0x1000 + 10), NULL,
                      "LiME header 1 at file offset 0x1020 is truncated");

    /* End before start; an unknown version; overlapping ranges. */
    put_lime(img + at, LIME_MAGIC, 0x3000, 0x2fff);
    expect_open_fails(write_image(img, sizeof(img)), NULL, "impossible range");
    put_lime(img + at, LIME_MAGIC, 0x2000, 0x2fff);
    put32(img + at + 4, 2);
    expect_open_fails(write_image(img, sizeof(img)), NULL, "unsupported version 2");
    put_lime(img + at, LIME_MAGIC, 0x800, 0x17ff);
    expect_open_fails(write_image(img, sizeof(img)), NULL,
                      "LiME range 1 (guest-physical 0x800-0x17ff) overlaps LiME"
                      " range 0 (0x0-0xfff)");
}

static void test_bad_paths(void)
{
    util_err_t err;
    char path[256];

    /* Zero-length file. */
    char *empty = write_image("", 0);
    expect_open_fails(empty, NULL, "empty image");
    CHECK(ops->probe(DRIVER_TARGET_NAMED(empty))); /* it is a regular file; open says why not */

    /* A directory. */
    snprintf(path, sizeof(path), "%s/adir", tmpdir);
    CHECK(mkdir(path, 0700) == 0);
    expect_open_fails(path, NULL, "is a directory");
    CHECK(!ops->probe(DRIVER_TARGET_NAMED(path)));
    rmdir(path);

    /* Nothing there. */
    snprintf(path, sizeof(path), "%s/no-such-image", tmpdir);
    expect_open_fails(path, NULL, "cannot open for reading: No such file or directory");
    CHECK(!ops->probe(DRIVER_TARGET_NAMED(path)));

    /* A path that is not given at all. */
    void *st = NULL;
    CHECK(ops->open(&st, DRIVER_TARGET_NAMED(""), NULL, &err) == VMI_FAILURE);
    CHECK(contains(&err, "no memory image path"));
}

static void test_unreadable(void)
{
    char *path = write_image("abcd", 4);
    CHECK(chmod(path, 0) == 0);
    expect_open_fails(path, NULL, "cannot open for reading: Permission denied");
}

/* Overlapping runs held by virtual address (a triage dump's data blocks):
 * after file_layout_finish every byte reads from the run added first that
 * covers it, the runs are sorted and disjoint, and nothing else is held.
 * Checked byte by byte against the obvious model, on 200 random tables. */
static void test_virtual_runs_overlap(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 200; round++) {
        file_layout_t l;
        util_err_t err = { "" };
        file_range_t added[24];
        size_t n = 1 + round % 24;
        memset(&l, 0, sizeof(l));
        for (size_t i = 0; i < n; i++) {
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            added[i] = (file_range_t){ 0x1000 + seed % 0x300, 1 + (seed >> 20) % 0x80,
                                       0x10000 * (i + 1) + (seed >> 40) % 0x100, (uint32_t)i };
            CHECK(file_layout_add_vrange(&l, added[i].start, added[i].len, added[i].offset,
                                         (uint32_t)i, &err) == VMI_SUCCESS);
        }
        CHECK(file_layout_finish(&l, 0x10000 * 32, &err) == VMI_SUCCESS);
        for (size_t i = 1; i < l.vmem.nranges; i++)
            CHECK(l.vmem.ranges[i].start >= l.vmem.ranges[i - 1].start + l.vmem.ranges[i - 1].len);
        for (uint64_t va = 0xf00; va < 0x1400; va++) {
            uint64_t want = UINT64_MAX, got = UINT64_MAX;
            for (size_t i = 0; i < n && want == UINT64_MAX; i++)
                if (va - added[i].start < added[i].len)
                    want = added[i].offset + (va - added[i].start);
            for (size_t i = 0; i < l.vmem.nranges; i++)
                if (va - l.vmem.ranges[i].start < l.vmem.ranges[i].len)
                    got = l.vmem.ranges[i].offset + (va - l.vmem.ranges[i].start);
            if (want != got) {
                fprintf(stderr, "  round %d, virtual 0x%llx: file offset 0x%llx, want 0x%llx\n",
                        round, (unsigned long long)va, (unsigned long long)got,
                        (unsigned long long)want);
                CHECK(want == got);
                break;
            }
        }
        file_layout_free(&l);
    }
    /* A run past the end of the file, or wrapping, is refused. */
    file_layout_t l;
    util_err_t err = { "" };
    memset(&l, 0, sizeof(l));
    CHECK(file_layout_add_vrange(&l, UINT64_MAX - 0xf, 0x20, 0, 7, &err) == VMI_SUCCESS);
    CHECK(file_layout_finish(&l, 0x1000, &err) == VMI_FAILURE);
    CHECK(strstr(err.msg, "wraps past the top") != NULL);
    file_layout_free(&l);
    memset(&l, 0, sizeof(l));
    CHECK(file_layout_add_vrange(&l, 0x1000, 0x20, 0xff0, 7, &err) == VMI_SUCCESS);
    CHECK(file_layout_finish(&l, 0x1000, &err) == VMI_FAILURE);
    CHECK(strstr(err.msg, "lies beyond the end of the file") != NULL);
    file_layout_free(&l);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    TEST_RUN(test_raw);
    TEST_RUN(test_elf64_memory);
    TEST_RUN(test_elf64_registers);
    TEST_RUN(test_elf64_prstatus_only);
    TEST_RUN(test_elf64_merge);
    TEST_RUN(test_elf64_pn_xnum);
    TEST_RUN(test_elf32);
    TEST_RUN(test_elf32_prstatus);
    TEST_RUN(test_lime);
    TEST_RUN(test_forced_format);
    TEST_RUN(test_read_ways);
    TEST_RUN(test_bad_elf);
    TEST_RUN(test_bad_lime);
    TEST_RUN(test_bad_paths);
    TEST_RUN(test_virtual_runs_overlap);
    /* root reads any file whatever its mode, so the check means nothing then */
    if (geteuid() == 0)
        TEST_SKIP(test_unreadable, "running as root, which ignores file modes");
    else
        TEST_RUN(test_unreadable);

    for (size_t i = 0; i < nmade; i++) {
        unlink(made[i]);
        free(made[i]);
    }
    rmdir(tmpdir);
    TEST_DONE();
}
