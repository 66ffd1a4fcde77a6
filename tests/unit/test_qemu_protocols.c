/*
 * test_qemu_protocols.c - what the QEMU driver reads from QEMU, checked
 * against texts in the shape QEMU 7.2 sends them: gdb remote packets
 * (checksums, escapes, run-length encoding), stop replies, register
 * descriptions with includes, the flat memory map (RAM split around the
 * PCI hole, ROM aliases, other address spaces) and the register dump.
 */
#include "test.h"

#include <stdbool.h>
#include <stdint.h>

#include "driver/pmap.h"
#include "driver/qemu_gdb.h"
#include "driver/qemu_layout.h"

static int decode(const char *raw, char *out, size_t cap, size_t *used, util_err_t *err)
{
    size_t len;
    util_err_clear(err);
    return qemu_gdb_decode(raw, strlen(raw), out, cap, &len, used, err);
}

static void test_packets(void)
{
    char out[64];
    size_t used;
    util_err_t err;

    CHECK(decode("+$OK#9a", out, sizeof(out), &used, &err) == -1); /* acks are the caller's */
    CHECK(decode("$OK#9a", out, sizeof(out), &used, &err) == 1);
    CHECK_STREQ(out, "OK");
    CHECK(used == 6);
    /* Checksum mismatch: reported apart, so the caller can NAK. */
    CHECK(decode("$OK#9b", out, sizeof(out), &used, &err) == -2);
    CHECK(strstr(util_err_msg(&err), "checksum") != NULL);
    CHECK(decode("$OK#zz", out, sizeof(out), &used, &err) == -1);
    /* Incomplete: wait for more bytes. */
    CHECK(decode("$OK", out, sizeof(out), &used, &err) == 0);
    CHECK(decode("$OK#9", out, sizeof(out), &used, &err) == 0);
    /* "}]" is an escaped '}'; "0*\"" is '0' and five more (34 - 29). */
    CHECK(decode("$m}]0*\"1#4f", out, sizeof(out), &used, &err) == 1 ||
          strstr(util_err_msg(&err), "checksum"));
    {
        const char body[] = "m}]0*\"1";
        char raw[32];
        unsigned sum = 0;
        for (size_t i = 0; body[i]; i++)
            sum += (unsigned char)body[i];
        snprintf(raw, sizeof(raw), "$%s#%02x", body, sum & 0xff);
        CHECK(decode(raw, out, sizeof(out), &used, &err) == 1);
        CHECK_STREQ(out, "m}0000001");
    }
    /* Longer than the buffer: refused, never overflowed. */
    CHECK(decode("$0123456789abcdef0123456789#00", out, 8, &used, &err) == -1);
    CHECK(strstr(util_err_msg(&err), "longer") != NULL);
    /* A run-length that would grow past the buffer. */
    CHECK(decode("$0*~#00", out, 16, &used, &err) == -1);
    /* A run-length with nothing to repeat. */
    CHECK(decode("$*~#00", out, 16, &used, &err) == -1);
}

static void test_stop_replies(void)
{
    qemu_gdb_stop_t s;
    util_err_t err;
    const char *t = "T05thread:p01.02;watch:00000000004a6100;";

    CHECK(qemu_gdb_parse_stop(t, strlen(t), &s, &err) == VMI_SUCCESS);
    CHECK(s.signal == 5 && s.thread == 2 && s.watch == 'w' && s.watch_addr == 0x4a6100);
    t = "T02thread:01;";
    CHECK(qemu_gdb_parse_stop(t, strlen(t), &s, &err) == VMI_SUCCESS);
    CHECK(s.signal == 2 && s.thread == 1 && !s.watch);
    t = "T05thread:p1.3;awatch:ffff888000001000;";
    CHECK(qemu_gdb_parse_stop(t, strlen(t), &s, &err) == VMI_SUCCESS);
    CHECK(s.thread == 3 && s.watch == 'a' && s.watch_addr == 0xffff888000001000ull);
    CHECK(qemu_gdb_parse_stop("S05", 3, &s, &err) == VMI_SUCCESS && s.signal == 5);
    CHECK(qemu_gdb_parse_stop("W00", 3, &s, &err) == VMI_SUCCESS && s.exited);
    util_err_clear(&err);
    CHECK(qemu_gdb_parse_stop("OK", 2, &s, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "stop reply") != NULL);
    t = "T05thread:pzz.1;";
    CHECK(qemu_gdb_parse_stop(t, strlen(t), &s, &err) == VMI_FAILURE);
    t = "T05watch:12345678901234567;";
    CHECK(qemu_gdb_parse_stop(t, strlen(t), &s, &err) == VMI_FAILURE);
}

/* Register descriptions: target.xml includes core.xml, as QEMU's does. */
static const char core_xml[] =
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>"
    "<reg name=\"rbx\" bitsize=\"64\"/>"
    "<!--reg name=\"cs_base\" bitsize=\"64\"/-->"
    "<reg name=\"eflags\" bitsize=\"32\"/>"
    "<reg name=\"cr3\" bitsize=\"64\"/>"
    "<reg name=\"xmm0\" bitsize=\"128\" regnum=\"40\"/>"
    "</feature>";

static int fetches;
static status_t fetch(void *ctx, const char *annex, char **out, size_t *len, util_err_t *err)
{
    const char *doc = strcmp(annex, "core.xml") == 0 ? core_xml
                    : strcmp(annex, "loop.xml") == 0 ? "<xi:include href=\"loop.xml\"/>" : NULL;
    (void)ctx;
    fetches++;
    if (!doc) {
        util_err_set(err, "no %s", annex);
        return VMI_FAILURE;
    }
    *out = strdup(doc);
    *len = strlen(doc);
    return VMI_SUCCESS;
}

static void test_register_description(void)
{
    static qemu_gdb_t g;
    util_err_t err;
    const char *target = "<?xml version=\"1.0\"?><target><architecture>i386:x86-64"
                         "</architecture><xi:include href=\"core.xml\"/></target>";
    const qemu_gdb_reg_t *r;

    memset(&g, 0, sizeof(g));
    CHECK(qemu_gdb_parse_xml(&g, target, strlen(target), fetch, NULL, &err) == VMI_SUCCESS);
    CHECK_STREQ(g.arch, "i386:x86-64");
    CHECK(g.nregs == 5);
    CHECK(qemu_gdb_reg(&g, "cs_base") == NULL); /* commented out */
    r = qemu_gdb_reg(&g, "cr3");
    CHECK(r && r->num == 3 && r->size == 8 && r->offset == 20);
    r = qemu_gdb_reg(&g, "eflags");
    CHECK(r && r->num == 2 && r->size == 4 && r->offset == 16);
    /* 'g' covers the unbroken numbering from 0: rax..cr3. */
    CHECK(g.g_bytes == 28);
    /* Includes that loop end at the document limit, with a reason. */
    target = "<target><xi:include href=\"loop.xml\"/></target>";
    fetches = 0;
    CHECK(qemu_gdb_parse_xml(&g, target, strlen(target), fetch, NULL, &err) == VMI_FAILURE);
    CHECK(fetches <= 8);
    CHECK(strstr(util_err_msg(&err), "too many") != NULL);
    /* An include that is a path is not followed. */
    target = "<target><xi:include href=\"../etc/passwd\"/></target>";
    CHECK(qemu_gdb_parse_xml(&g, target, strlen(target), fetch, NULL, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "plain file name") != NULL);
    target = "<target><reg name=\"a\" bitsize=\"64\" regnum=\"1\"/>"
             "<reg name=\"b\" bitsize=\"64\" regnum=\"1\"/></target>";
    CHECK(qemu_gdb_parse_xml(&g, target, strlen(target), fetch, NULL, &err) == VMI_FAILURE);
    target = "<target><reg name=\"a\" bitsize=\"12\"/></target>";
    CHECK(qemu_gdb_parse_xml(&g, target, strlen(target), fetch, NULL, &err) == VMI_FAILURE);
    target = "<target><!-- never closed <reg name=\"a\" bitsize=\"64\"/></target>";
    CHECK(qemu_gdb_parse_xml(&g, target, strlen(target), fetch, NULL, &err) == VMI_FAILURE);
}

/* A guest with 4 GiB: QEMU splits RAM around the PCI hole. */
static const char mtree[] =
    "FlatView #0\r\n"
    " AS \"cpu-smm-0\", root: memory\r\n"
    " Root memory region: memory\r\n"
    "  0000000000000000-00000000000bffff (prio 0, ram): mem\r\n"
    "\r\n"
    "FlatView #1\r\n"
    " AS \"memory\", root: system\r\n"
    " AS \"cpu-memory-0\", root: system\r\n"
    " Root memory region: system\r\n"
    "  0000000000000000-00000000000bffff (prio 0, ram): mem\r\n"
    "  00000000000c0000-00000000000dffff (prio 1, rom): mem @00000000000c0000\r\n"
    "  00000000000e0000-00000000000fffff (prio 1, rom): pc.bios @0000000000020000\r\n"
    "  0000000000100000-00000000bfffffff (prio 0, ram): mem @0000000000100000\r\n"
    "  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\r\n"
    "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\r\n"
    "  0000000100000000-000000013fffffff (prio 0, ram): mem @00000000c0000000\r\n"
    "  0000000140000000-000000014000ffff (prio 0, ram): memory-extra\r\n"
    "\r\n"
    "FlatView #2\r\n"
    " AS \"I/O\", root: io\r\n"
    "  0000000000000000-0000000000000007 (prio 0, i/o): dma-chan\r\n";

static void test_memory_map(void)
{
    driver_pmap_t m;
    driver_range_t r;
    util_err_t err;
    uint8_t *file = calloc(1, 0x100000000ull >> 12); /* 1/4096 of 4 GiB: offsets only */
    uint8_t b;
    size_t done;

    memset(&m, 0, sizeof(m));
    CHECK(qemu_layout_parse_mtree(mtree, "mem", &m, &err) == VMI_SUCCESS);
    CHECK(driver_pmap_finish(&m, 0x100000000ull, &err) == VMI_SUCCESS);
    /* Low RAM and its ROM alias merge (contiguous in memory and the file);
     * the BIOS's own ROM at 0xe0000 is not RAM; above 4 GiB at its offset. */
    CHECK(m.nranges == 3);
    CHECK(driver_pmap_range(&m, 0, &r) && r.start == 0 && r.end == 0xe0000ull);
    CHECK(driver_pmap_range(&m, 1, &r) && r.start == 0x100000ull && r.end == 0xc0000000ull);
    CHECK(driver_pmap_range(&m, 2, &r) && r.start == 0x100000000ull &&
          r.end == 0x140000000ull);
    CHECK(m.ranges[2].offset == 0xc0000000ull);
    CHECK(m.memsize == 0x100000000ull - 0x20000);
    /* The PCI hole is not RAM: a reason, never zeros. */
    m.base = file;
    m.where = "QEMU's guest RAM";
    CHECK(driver_pmap_copy(&m, 0xd0000000ull, &b, 1, &done, false, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "not in QEMU's guest RAM (hole between") != NULL);
    driver_pmap_free(&m);
    /* Offsets past the end of the file are caught. */
    memset(&m, 0, sizeof(m));
    CHECK(qemu_layout_parse_mtree(mtree, "mem", &m, &err) == VMI_SUCCESS);
    CHECK(driver_pmap_finish(&m, 0x40000000ull, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "beyond the end") != NULL);
    driver_pmap_free(&m);
    /* A region the map does not show. */
    memset(&m, 0, sizeof(m));
    CHECK(qemu_layout_parse_mtree(mtree, "pc.ram", &m, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "\"pc.ram\"") != NULL);
    driver_pmap_free(&m);
    free(file);
}

static const char regs_text[] =
    "CPU#0\r\n"
    "RAX=000000000001ad40 RBX=0000000000000000 RCX=0000000000000000 RDX=4000000000000000\r\n"
    "R8 =0000000000023000 R9 =0000000038ff0ede R10=00000000fffffffb R11=0000000000000001\r\n"
    "RIP=ffffffff9ee592eb RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\r\n"
    "CS =0010 0000000000000000 ffffffff 00af9b00 DPL=0 CS64 [-RA]\r\n"
    "GS =0000 ffff8c9bcf800000 00000000 00000000\r\n"
    "TR =0040 fffffe0000003000 00004087 00008900 DPL=0 TSS64-avl\r\n"
    "GDT=     fffffe0000001000 0000007f\r\n"
    "IDT=     fffffe0000000000 00000fff\r\n"
    "CR0=80050033 CR2=0000000003cf21d1 CR3=00000000029f8000 CR4=000006f0\r\n"
    "DR6=00000000ffff0ff0 DR7=0000000000000400\r\n"
    "EFER=0000000000000d01\r\n"
    "FPR0=0000000000000000 0000 FPR1=0000000000000000 0000\r\n"
    "CPU#1\r\n"
    "RAX=0000000000000007 RIP=ffffffff81000000 CR3=0000000000001000\r\n";

static void test_register_dump(void)
{
    x86_registers_t r;
    util_err_t err;

    CHECK(qemu_layout_parse_registers(regs_text, 0, &r, &err) == VMI_SUCCESS);
    CHECK(r.rax == 0x1ad40 && r.rdx == 0x4000000000000000ull && r.r8 == 0x23000);
    CHECK(r.rip == 0xffffffff9ee592ebull && r.rflags == 0x246);
    CHECK(r.cs_sel == 0x10 && r.cs_limit == 0xffffffff && r.cs_arbytes == 0xa09b);
    CHECK(r.gs_base == 0xffff8c9bcf800000ull);
    CHECK(r.tr_sel == 0x40 && r.tr_base == 0xfffffe0000003000ull && r.tr_limit == 0x4087);
    CHECK(r.gdtr_base == 0xfffffe0000001000ull && r.gdtr_limit == 0x7f);
    CHECK(r.idtr_base == 0xfffffe0000000000ull && r.idtr_limit == 0xfff);
    CHECK(r.cr0 == 0x80050033 && r.cr3 == 0x29f8000 && r.cr4 == 0x6f0);
    CHECK(r.dr7 == 0x400 && r.msr_efer == 0xd01);
    CHECK(qemu_layout_parse_registers(regs_text, 1, &r, &err) == VMI_SUCCESS);
    CHECK(r.rax == 7 && r.cr3 == 0x1000 && r.idtr_base == 0);
    util_err_clear(&err);
    CHECK(qemu_layout_parse_registers(regs_text, 2, &r, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "no vCPU 2") != NULL);
    CHECK(qemu_layout_parse_registers("CPU#0\r\nCR3=1\r\n", 0, &r, &err) == VMI_FAILURE);
}

int main(void)
{
    TEST_RUN(test_packets);
    TEST_RUN(test_stop_replies);
    TEST_RUN(test_register_description);
    TEST_RUN(test_memory_map);
    TEST_RUN(test_register_dump);
    TEST_DONE();
}
