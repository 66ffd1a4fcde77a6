/*
 * test_image32 - the 32-bit kernel image from the real-mode trampoline's
 * header (lx_image32_find, src/os/linux/image32.c) on images this test lays
 * out by hand.  The header (start, pad, gdt_limit, gdt_base: the layout of
 * arch/x86's struct trampoline_header for CONFIG_X86_32) lies below 1 MiB;
 * boot_gdt holds the kernel's flat code and data descriptors at entries 2
 * and 3.  It checks that the header is found and read, with the Accessed
 * bits the CPU sets in the descriptors; that each piece of evidence is
 * required (limit, pad, the descriptors, start above 1 MiB and data above
 * start, the 64 MiB span); that a header above 1 MiB is not looked for;
 * and that a decoy before the real header does not hide it.  The real
 * guests' headers are checked in tests/integration/test_linux_i386_dwarf.c
 * against their /proc/iomem.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "handmade.h"
#include "os/linux/linux.h"

#define IMG_SIZE (16u << 20)
#define BIG_SIZE (72u << 20) /* for the span case only */
#define HEADER_PA 0x9d100u
#define TEXT_PA 0x00400088u /* startup_32_smp */
#define GDT_PA 0x00c4fe80u  /* boot_gdt */

static void put64(uint32_t pa, uint64_t v) { memcpy(hm.img + pa, &v, 8); }

static void header(uint32_t at, uint32_t start, uint32_t pad_limit, uint32_t gdt)
{
    hm_put32(at, start);
    hm_put32(at + 4, pad_limit);
    hm_put32(at + 8, gdt);
}

static void boot_gdt(uint32_t gdt, uint64_t code, uint64_t data)
{
    put64(gdt + 16, code);
    put64(gdt + 24, data);
}

#define LIMIT_1F (0x1fu << 16) /* gdt_pad 0, gdt_limit 0x1f */
#define CODE 0x00cf9a000000ffffULL
#define DATA 0x00cf92000000ffffULL

static void layout_in(size_t size, uint32_t start, uint32_t pad_limit, uint32_t gdt,
                      uint64_t code, uint64_t data)
{
    hm_fresh(size);
    header(HEADER_PA, start, pad_limit, gdt);
    if (gdt + 32 <= size)
        boot_gdt(gdt, code, data);
}

static void layout(uint32_t start, uint32_t pad_limit, uint32_t gdt, uint64_t code,
                   uint64_t data)
{
    layout_in(IMG_SIZE, start, pad_limit, gdt, code, data);
}

/* 1 when found (*text, *data set), 0 when not. */
static int find(addr_t *text, addr_t *data)
{
    int found = 0;
    *text = *data = 0;
    vmi_instance_t vmi = hm_open();
    if (vmi)
        found = lx_image32_find(vmi, text, data);
    hm_close(vmi);
    return found;
}

static void test_header_read(void)
{
    addr_t text, data;
    layout(TEXT_PA, LIMIT_1F, GDT_PA, CODE, DATA);
    CHECK(find(&text, &data));
    CHECK_EQ_U64(text, TEXT_PA & ~0xfffu);
    CHECK_EQ_U64(data, GDT_PA);
    /* The CPU sets Accessed (bit 40) when it loads a segment. */
    layout(TEXT_PA, LIMIT_1F, GDT_PA, CODE | 1ULL << 40, DATA | 1ULL << 40);
    CHECK(find(&text, &data));
    CHECK_EQ_U64(data, GDT_PA);
}

static void test_each_piece_of_evidence_needed(void)
{
    addr_t text, data;
    layout(TEXT_PA, 0x20u << 16, GDT_PA, CODE, DATA); /* another limit */
    CHECK(!find(&text, &data));
    layout(TEXT_PA, LIMIT_1F | 1, GDT_PA, CODE, DATA); /* pad not 0 */
    CHECK(!find(&text, &data));
    layout(TEXT_PA, LIMIT_1F, GDT_PA, CODE, 0); /* no data descriptor */
    CHECK(!find(&text, &data));
    layout(TEXT_PA, LIMIT_1F, GDT_PA, CODE & ~(1ULL << 47), DATA); /* not present */
    CHECK(!find(&text, &data));
    layout(TEXT_PA, LIMIT_1F, GDT_PA, CODE | 1ULL << 53, DATA); /* 64-bit code */
    CHECK(!find(&text, &data));
    layout(0x80000u, LIMIT_1F, GDT_PA, CODE, DATA); /* start below 1 MiB */
    CHECK(!find(&text, &data));
    layout(TEXT_PA, LIMIT_1F, TEXT_PA - 0x1000, CODE, DATA); /* data below start */
    CHECK(!find(&text, &data));
    /* More than an image apart; 64 MiB apart is still one. */
    layout_in(BIG_SIZE, 0x00200088u, LIMIT_1F, 0x00200088u + (64u << 20) + 0x1000, CODE, DATA);
    CHECK(!find(&text, &data));
    layout_in(BIG_SIZE, 0x00200088u, LIMIT_1F, 0x00200088u + (64u << 20) - 0x100, CODE, DATA);
    CHECK(find(&text, &data));
    layout(TEXT_PA, LIMIT_1F, IMG_SIZE + 0x1000, CODE, DATA); /* beyond memory */
    CHECK(!find(&text, &data));
}

/* Only the first MiB holds the blob: a header above it is not the kernel's. */
static void test_only_low_memory(void)
{
    addr_t text, data;
    hm_fresh(IMG_SIZE);
    header(0x100000u, TEXT_PA, LIMIT_1F, GDT_PA);
    boot_gdt(GDT_PA, CODE, DATA);
    CHECK(!find(&text, &data));
}

/* A decoy first (its descriptors missing), then the real header. */
static void test_decoy_before_header(void)
{
    addr_t text, data;
    layout(TEXT_PA, LIMIT_1F, GDT_PA, CODE, DATA);
    header(0x1000u, 0x00500000u, LIMIT_1F, 0x00600000u);
    CHECK(find(&text, &data));
    CHECK_EQ_U64(text, TEXT_PA & ~0xfffu);
    CHECK_EQ_U64(data, GDT_PA);
}

int main(void)
{
    TEST_RUN(test_header_read);
    TEST_RUN(test_each_piece_of_evidence_needed);
    TEST_RUN(test_only_low_memory);
    TEST_RUN(test_decoy_before_header);
    free(hm.img);
    TEST_DONE();
}
