/*
 * image32.c - where a 32-bit kernel image lies in physical memory, read from
 * the real-mode trampoline's header instead of searched for in all of RAM.
 *
 * x86-32 Linux has no trampoline page table to walk (image.c's way), but it
 * keeps a real-mode blob below 1 MiB for the rest of its life (secondary
 * CPUs and ACPI resume start in it), and in that blob a trampoline header
 * the kernel fills in at boot (arch/x86/realmode, struct trampoline_header
 * under CONFIG_X86_32):
 *
 *     u32 start;       physical address of startup_32_smp (head text)
 *     u16 gdt_pad;     0
 *     u16 gdt_limit;   __BOOT_DS + 7 = 0x1f
 *     u32 gdt_base;    physical address of boot_gdt (in .data)
 *
 * startup_32_smp lies in the head text at the start of the image, and
 * boot_gdt in .data; vmlinux.lds.S puts .rodata, and so the banner, the
 * kallsyms tables and __ksymtab, between the two.  What is read then
 * depends on the kernel's size, not on where physical KASLR put it (i386's
 * image may sit anywhere in its first 512 MiB).
 *
 * Evidence before a header is believed, since low memory also holds BIOS
 * data: the pattern above at a 4-byte boundary, both addresses in guest
 * RAM and at most an image's span apart, and at boot_gdt the two flat
 * 4 GiB descriptors the kernel defines there (SDM vol. 3A, 3.4.5: base 0,
 * limit 0xfffff in 4 KiB units, 32-bit, present, ring 0; code execute/read
 * at GDT_ENTRY_BOOT_CS = 2, data read/write after it; the CPU may have set
 * either's Accessed bit).  Callers still look for the banner between the
 * two addresses.  This file reads the first MiB, and 16 bytes at each candidate
 * header's boot_gdt.
 */
#include "os/linux/linux.h"

#include "core/core.h"
#include "util/bytes.h"

/* The blob is allocated below 1 MiB (it starts in real mode). */
#define LOW_MEMORY (1u << 20)
#define HEADER_LEN 12
#define BOOT_GDT_LIMIT 0x1f
/* Text, rodata and data of any 32-bit kernel fit (i386's 6.1: 13 MiB). */
#define MAX_TEXT_TO_DATA (64u << 20)
#define BOOT_CS_OFFSET 16 /* GDT_ENTRY_BOOT_CS * 8 */
#define DESC_ACCESSED (1ULL << 40)
#define FLAT_CODE 0x00cf9a000000ffffULL
#define FLAT_DATA 0x00cf92000000ffffULL

/* boot_gdt's code and data descriptors at physical gdt. */
static bool boot_gdt_at(vmi_instance_t vmi, addr_t gdt)
{
    uint8_t d[16];
    if (vmi_read_pa(vmi, gdt + BOOT_CS_OFFSET, sizeof(d), d, NULL) != VMI_SUCCESS)
        return false;
    return (util_le64(d) & ~DESC_ACCESSED) == FLAT_CODE &&
           (util_le64(d + 8) & ~DESC_ACCESSED) == FLAT_DATA;
}

typedef struct header_scan {
    vmi_instance_t vmi;
    uint64_t max;
    addr_t text, data;
    bool found;
} header_scan_t;

/* One chunk of low memory (the scan skips holes: a LiME dump has no page
 * 0); headers are 4-byte aligned. */
static bool header_fn(void *ctx, addr_t pa, const uint8_t *buf, size_t len)
{
    header_scan_t *s = ctx;
    for (size_t o = (size_t)((4 - (pa & 3)) & 3); o + HEADER_LEN <= len; o += 4) {
        const uint8_t *h = buf + o;
        if (util_le16(h + 6) != BOOT_GDT_LIMIT || util_le16(h + 4) != 0)
            continue;
        uint32_t start = util_le32(h), gdt = util_le32(h + 8);
        if (start < LOW_MEMORY || start >= s->max || gdt <= start || gdt >= s->max ||
            gdt - start > MAX_TEXT_TO_DATA || !boot_gdt_at(s->vmi, gdt))
            continue;
        s->text = start & ~(addr_t)0xfff;
        s->data = gdt;
        s->found = true;
        return true;
    }
    return false;
}

bool lx_image32_find(vmi_instance_t vmi, addr_t *text_pa, addr_t *data_pa)
{
    header_scan_t s = { vmi, vmi_get_max_physical_address(vmi), 0, 0, false };
    lx_scan_physical_within(vmi, 0, LOW_MEMORY, HEADER_LEN, header_fn, &s);
    util_err_clear(core_err(vmi));
    if (s.found) {
        *text_pa = s.text;
        *data_pa = s.data;
    }
    return s.found;
}
