/*
 * file_elf.c - ELF core files holding guest-physical memory, chiefly those of
 * QEMU's `dump-guest-memory` (also `virsh dump --memory-only`, and Linux
 * /proc/vmcore copies, which share the layout).
 *
 * Memory: every PT_LOAD segment with file data is a range; p_paddr is its
 * guest-physical address and [p_offset, p_offset + p_filesz) its bytes.  Any
 * p_memsz beyond p_filesz is not in the file, so it is not in the image
 * either (reading it fails; it is never invented as zeros).
 *
 * Registers: QEMU writes, in PT_NOTE segments, one NT_PRSTATUS note named
 * "CORE" per vCPU (general registers only, Linux's elf_prstatus layout), then
 * one note named "QEMU" per vCPU holding its QEMUCPUState: general registers,
 * rip, rflags, ten segment caches, cr0..cr4 and, in newer QEMUs, the
 * KernelGSBase MSR.  The k-th note of a kind belongs to the k-th vCPU.  When
 * QEMU notes are present they are the only source (they hold everything the
 * PRSTATUS notes hold, and more); otherwise the PRSTATUS notes are used.
 *
 * QEMU writes ELFCLASS64/EM_X86_64 when the first vCPU is in long mode;
 * otherwise EM_386, in an ELFCLASS32 file unless some memory lies above
 * 4 GiB.  Both classes and both machines are read; nothing else.
 *
 * Every header offset and every note length is checked against the file or
 * its segment before use: the file is input, not trust.
 */
#include "driver/file_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ELF constants (System V gABI). */
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_CORE 4
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4
#define PN_XNUM 0xffffu
#define NT_PRSTATUS 1

#define EHDR64_SIZE 64u
#define EHDR32_SIZE 52u
#define PHDR64_SIZE 56u
#define PHDR32_SIZE 32u
#define SHDR64_SIZE 64u
#define SHDR32_SIZE 40u
#define NHDR_SIZE 12u   /* Elf32_Nhdr and Elf64_Nhdr are both three u32 */

/* Layout of QEMU's QEMUCPUState note (target/i386/arch_dump.c), version 1:
 * u32 version, u32 size, then u64 fields.  Fields are appended at the end
 * without a version change; `size` tells which are present. */
#define QS_VERSION 1u
#define QS_OFF_GPR 8u      /* rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags */
#define QS_OFF_SEG 152u    /* cs ds es fs gs ss ldt tr gdt idt, 24 bytes each */
#define QS_SEG_SIZE 24u    /* u32 selector, u32 limit, u32 flags, u32 pad, u64 base */
#define QS_OFF_CR 392u     /* cr[0..4] */
#define QS_OFF_KGS 432u    /* kernel_gs_base (newer QEMUs) */
#define QS_MIN_SIZE 432u
#define QS_KGS_SIZE 440u

/* Linux elf_prstatus: where pr_reg starts, and the whole note size. */
#define PRS64_REG 112u
#define PRS64_SIZE 336u
#define PRS32_REG 72u
#define PRS32_SIZE 144u

#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#define NONE ((reg_t)-1)

typedef struct elf_core {
    const uint8_t *map;
    size_t size;
    bool is64;
    uint16_t machine;
} elf_core_t;

typedef struct elf_phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
} elf_phdr_t;

static bool elf_detect(const uint8_t *head, size_t filesize)
{
    return filesize >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0;
}

static uint64_t align4(uint64_t v)
{
    return (v + 3) & ~(uint64_t)3;
}

/* Is [off, off + len) inside a file of `size` bytes, without overflow? */
static bool in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static const char *pt_name(uint32_t type)
{
    return type == PT_LOAD ? "PT_LOAD" : type == PT_NOTE ? "PT_NOTE" : "segment";
}

static void read_phdr(const elf_core_t *c, const uint8_t *p, elf_phdr_t *ph)
{
    ph->type = util_le32(p);
    if (c->is64) {
        ph->offset = util_le64(p + 8);
        ph->paddr = util_le64(p + 24);
        ph->filesz = util_le64(p + 32);
        ph->memsz = util_le64(p + 40);
    } else {
        ph->offset = util_le32(p + 4);
        ph->paddr = util_le32(p + 12);
        ph->filesz = util_le32(p + 16);
        ph->memsz = util_le32(p + 20);
    }
}

/* The real program-header count: with e_phnum == PN_XNUM it lives in
 * sh_info of section header 0 (gABI "extended numbering"; QEMU uses it for
 * guests with very many memory blocks). */
static status_t real_phnum(const elf_core_t *c, uint32_t phnum, uint64_t shoff,
                           uint16_t shentsize, uint32_t *out, util_err_t *err)
{
    uint32_t need = c->is64 ? SHDR64_SIZE : SHDR32_SIZE;

    if (phnum != PN_XNUM) {
        *out = phnum;
        return VMI_SUCCESS;
    }
    if (shoff == 0 || shentsize < need) {
        util_err_set(err, "ELF header says the program-header count is in"
                     " section header 0, but there is none (e_shoff 0x%" PRIx64
                     ", e_shentsize %u)", shoff, shentsize);
        return VMI_FAILURE;
    }
    if (!in_file(shoff, need, c->size)) {
        util_err_set(err, "ELF section header 0 lies beyond the end of the file"
                     " (offset 0x%" PRIx64 ", size 0x%x, file size 0x%zx)",
                     shoff, need, c->size);
        return VMI_FAILURE;
    }
    *out = util_le32(c->map + shoff + (c->is64 ? 44 : 28));
    return VMI_SUCCESS;
}

/* ---- Registers ---- */

/* QEMU keeps a segment's attributes as bits 8..23 of the descriptor's high
 * word (type, S, DPL, P at 8..15; AVL, L, D/B, G at 20..23).  LibVMI's
 * *_ARBYTES use the packed 12-bit form Xen and VMX use: the access byte in
 * bits 0..7, AVL/L/DB/G in bits 8..11. */
static uint64_t arbytes_from_qemu_flags(uint32_t flags)
{
    return ((flags >> 8) & 0xffu) | ((flags >> 12) & 0xf00u);
}

static void qemu_note_regs(const uint8_t *d, uint32_t descsz, file_vcpu_t *v)
{
    static const reg_t gpr[] = {
        RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP,
        R8, R9, R10, R11, R12, R13, R14, R15, RIP, RFLAGS,
    };
    /* selector, limit, base, arbytes for each segment cache, in note order */
    static const reg_t seg[][4] = {
        { CS_SEL, CS_LIMIT, CS_BASE, CS_ARBYTES },
        { DS_SEL, DS_LIMIT, DS_BASE, DS_ARBYTES },
        { ES_SEL, ES_LIMIT, ES_BASE, ES_ARBYTES },
        { FS_SEL, FS_LIMIT, FS_BASE, FS_ARBYTES },
        { GS_SEL, GS_LIMIT, GS_BASE, GS_ARBYTES },
        { SS_SEL, SS_LIMIT, SS_BASE, SS_ARBYTES },
        { LDTR_SEL, LDTR_LIMIT, LDTR_BASE, LDTR_ARBYTES },
        { TR_SEL, TR_LIMIT, TR_BASE, TR_ARBYTES },
        { NONE, GDTR_LIMIT, GDTR_BASE, NONE },
        { NONE, IDTR_LIMIT, IDTR_BASE, NONE },
    };
    static const reg_t cr[] = { CR0, NONE, CR2, CR3, CR4 };
    uint32_t version, size;

    if (descsz < 8) {
        snprintf(v->source, sizeof(v->source),
                 "QEMU CPU state note too short (%" PRIu32 " bytes)", descsz);
        return;
    }
    version = util_le32(d);
    size = util_le32(d + 4);
    if (version != QS_VERSION) {
        snprintf(v->source, sizeof(v->source), "QEMU CPU state note of"
                 " unknown version %" PRIu32, version);
        return;
    }
    if (size < QS_MIN_SIZE || size > descsz) {
        snprintf(v->source, sizeof(v->source), "QEMU CPU state note with bad"
                 " size %" PRIu32 " (note holds %" PRIu32 " bytes)", size, descsz);
        return;
    }
    snprintf(v->source, sizeof(v->source), "QEMU CPU state note");
    for (size_t i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
        file_vcpu_set(v, gpr[i], util_le64(d + QS_OFF_GPR + 8 * i));
    for (size_t i = 0; i < sizeof(seg) / sizeof(seg[0]); i++) {
        const uint8_t *s = d + QS_OFF_SEG + QS_SEG_SIZE * i;
        if (seg[i][0] != NONE)
            file_vcpu_set(v, seg[i][0], util_le32(s));
        file_vcpu_set(v, seg[i][1], util_le32(s + 4));
        file_vcpu_set(v, seg[i][2], util_le64(s + 16));
        if (seg[i][3] != NONE)
            file_vcpu_set(v, seg[i][3], arbytes_from_qemu_flags(util_le32(s + 8)));
    }
    for (size_t i = 0; i < sizeof(cr) / sizeof(cr[0]); i++)
        if (cr[i] != NONE)
            file_vcpu_set(v, cr[i], util_le64(d + QS_OFF_CR + 8 * i));
    if (size >= QS_KGS_SIZE)
        file_vcpu_set(v, SHADOW_GS, util_le64(d + QS_OFF_KGS));
}

/* Linux's elf_prstatus, 64-bit (user_regs_struct of x86_64) or 32-bit
 * (i386); QEMU picks by machine, so tell them apart by size. */
static void prstatus_regs(const uint8_t *d, uint32_t descsz, file_vcpu_t *v)
{
    static const reg_t r64[] = {
        R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI,
        RDI, NONE /* orig_rax */, RIP, CS_SEL, RFLAGS, RSP, SS_SEL, FS_BASE,
        GS_BASE, DS_SEL, ES_SEL, FS_SEL, GS_SEL,
    };
    /* i386 pr_reg, in 32-bit slots; selectors occupy the low 16 bits. */
    static const reg_t r32[] = {
        EBX, ECX, EDX, ESI, EDI, EBP, EAX, DS_SEL, ES_SEL, FS_SEL, GS_SEL,
        NONE /* orig_eax */, EIP, CS_SEL, EFLAGS, ESP, SS_SEL,
    };

    if (descsz == PRS64_SIZE) {
        for (size_t i = 0; i < sizeof(r64) / sizeof(r64[0]); i++)
            if (r64[i] != NONE)
                file_vcpu_set(v, r64[i], util_le64(d + PRS64_REG + 8 * i));
    } else if (descsz == PRS32_SIZE) {
        for (size_t i = 0; i < sizeof(r32) / sizeof(r32[0]); i++) {
            uint64_t x = util_le32(d + PRS32_REG + 4 * i);
            if (r32[i] == DS_SEL || r32[i] == ES_SEL || r32[i] == FS_SEL ||
                r32[i] == GS_SEL || r32[i] == CS_SEL || r32[i] == SS_SEL)
                x &= 0xffff;
            if (r32[i] != NONE)
                file_vcpu_set(v, r32[i], x);
        }
    } else {
        snprintf(v->source, sizeof(v->source), "NT_PRSTATUS note of unknown"
                 " layout (%" PRIu32 " bytes)", descsz);
        return;
    }
    snprintf(v->source, sizeof(v->source), "NT_PRSTATUS note (general"
             " registers only; the core has no QEMU CPU state note)");
}

/* QEMU's note has no EFER, so MSR_EFER is derived, not read.  The facts:
 * QEMU writes EM_X86_64 only when the first vCPU had EFER.LMA set; a vCPU
 * is in long mode when, on such a guest, its CR0.PG and CR4.PAE are set, and
 * long mode active means LME and LMA are both set.  On EM_386 cores, or a
 * vCPU with paging off, long mode is not active: LMA clear, and LME is
 * reported clear.  NXE cannot be told from anything in the dump (no CPUID,
 * no MSRs), so it is left clear: callers must treat EFER.NXE from an image
 * as unknown, not as "no NX". */
static void derive_efer(uint16_t machine, file_vcpu_t *v)
{
    uint64_t efer = 0;

    if (!v->have[CR0] || !v->have[CR4])
        return;
    if (machine == EM_X86_64 && (v->val[CR0] & CR0_PG) && (v->val[CR4] & CR4_PAE))
        efer = EFER_LME | EFER_LMA;
    file_vcpu_set(v, MSR_EFER, efer);
}

/* ---- Notes ---- */

static bool note_name_is(const uint8_t *name, uint32_t namesz, const char *want)
{
    size_t n = strlen(want);
    /* "CORE" with its NUL (namesz 5, as QEMU and Linux write) or without. */
    return (namesz == n + 1 && memcmp(name, want, n + 1) == 0) ||
           (namesz == n && memcmp(name, want, n) == 0);
}

/* Walk the notes of program header `ph_index`, adding a vCPU to `qemu` for
 * each QEMU note and to `prs` for each NT_PRSTATUS note.  The walk ends at
 * the segment's end; each note takes at least NHDR_SIZE bytes. */
static status_t walk_notes(const elf_core_t *c, uint32_t ph_index,
                           const elf_phdr_t *ph, file_layout_t *qemu,
                           file_layout_t *prs, util_err_t *err)
{
    const uint8_t *seg = c->map + ph->offset;
    uint64_t size = ph->filesz, pos = 0;
    uint32_t k = 0;

    while (size - pos >= NHDR_SIZE) {
        uint32_t namesz = util_le32(seg + pos);
        uint32_t descsz = util_le32(seg + pos + 4);
        uint32_t type = util_le32(seg + pos + 8);
        uint64_t name_off = pos + NHDR_SIZE;
        uint64_t desc_off = name_off + align4(namesz);

        if (namesz > size - name_off || desc_off > size || descsz > size - desc_off) {
            util_err_set(err, "ELF note %" PRIu32 " in program header %" PRIu32
                         " (PT_NOTE at file offset 0x%" PRIx64 ") runs past the"
                         " end of its segment (name 0x%" PRIx32 " bytes, data"
                         " 0x%" PRIx32 " bytes at segment offset 0x%" PRIx64
                         ", segment size 0x%" PRIx64 ")", k, ph_index,
                         ph->offset, namesz, descsz, pos, size);
            return VMI_FAILURE;
        }
        const uint8_t *name = seg + name_off, *desc = seg + desc_off;
        file_vcpu_t *v = NULL;
        if (type == 0 && note_name_is(name, namesz, "QEMU")) {
            if (!(v = file_layout_add_vcpu(qemu, err)))
                return VMI_FAILURE;
            qemu_note_regs(desc, descsz, v);
        } else if (type == NT_PRSTATUS && note_name_is(name, namesz, "CORE")) {
            if (!(v = file_layout_add_vcpu(prs, err)))
                return VMI_FAILURE;
            prstatus_regs(desc, descsz, v);
        }
        /* The last note's padding may be cut off by the segment's end. */
        pos = desc_off + align4(descsz);
        if (pos > size)
            break;
        k++;
    }
    return VMI_SUCCESS;
}

/* ---- The file ---- */

static status_t elf_parse(const uint8_t *map, size_t filesize,
                          file_layout_t *out, util_err_t *err)
{
    elf_core_t c = { .map = map, .size = filesize };
    file_layout_t prs = { 0 };
    uint64_t phoff, shoff;
    uint32_t phentsize, phsize, phnum;
    uint16_t shentsize, type;
    status_t ret = VMI_FAILURE;

    out->mem.unit = "ELF program header";
    if (filesize < EI_VERSION + 1 || !elf_detect(map, filesize)) {
        util_err_set(err, "not an ELF file (no \\x7fELF magic)");
        return VMI_FAILURE;
    }
    if (map[EI_CLASS] != ELFCLASS32 && map[EI_CLASS] != ELFCLASS64) {
        util_err_set(err, "unsupported ELF class %u (expected 1, ELFCLASS32,"
                     " or 2, ELFCLASS64)", map[EI_CLASS]);
        return VMI_FAILURE;
    }
    c.is64 = map[EI_CLASS] == ELFCLASS64;
    if (map[EI_DATA] != ELFDATA2LSB) {
        util_err_set(err, "ELF data encoding %u is not little-endian"
                     " (ELFDATA2LSB): not an x86 core", map[EI_DATA]);
        return VMI_FAILURE;
    }
    if (map[EI_VERSION] != EV_CURRENT) {
        util_err_set(err, "unsupported ELF version %u", map[EI_VERSION]);
        return VMI_FAILURE;
    }
    if (filesize < (c.is64 ? EHDR64_SIZE : EHDR32_SIZE)) {
        util_err_set(err, "ELF header is truncated (file is 0x%zx bytes, an"
                     " ELFCLASS%d header needs 0x%x)", filesize,
                     c.is64 ? 64 : 32, c.is64 ? EHDR64_SIZE : EHDR32_SIZE);
        return VMI_FAILURE;
    }
    type = util_le16(map + 16);
    c.machine = util_le16(map + 18);
    if (type != ET_CORE) {
        util_err_set(err, "ELF file of type %u is not a core dump (ET_CORE)", type);
        return VMI_FAILURE;
    }
    if (c.machine != EM_X86_64 && c.machine != EM_386) {
        util_err_set(err, "ELF core for machine %u; TinyVMI reads x86 cores"
                     " (EM_386, EM_X86_64)", c.machine);
        return VMI_FAILURE;
    }
    if (c.is64) {
        phoff = util_le64(map + 32);
        shoff = util_le64(map + 40);
        phentsize = util_le16(map + 54);
        phnum = util_le16(map + 56);
        shentsize = util_le16(map + 58);
        phsize = PHDR64_SIZE;
    } else {
        phoff = util_le32(map + 28);
        shoff = util_le32(map + 32);
        phentsize = util_le16(map + 42);
        phnum = util_le16(map + 44);
        shentsize = util_le16(map + 46);
        phsize = PHDR32_SIZE;
    }
    if (real_phnum(&c, phnum, shoff, shentsize, &phnum, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (phnum == 0) {
        util_err_set(err, "ELF core has no program headers, so no memory");
        return VMI_FAILURE;
    }
    if (phentsize < phsize) {
        util_err_set(err, "ELF program headers are 0x%" PRIx32 " bytes each,"
                     " smaller than an ELFCLASS%d program header (0x%" PRIx32 ")",
                     phentsize, c.is64 ? 64 : 32, phsize);
        return VMI_FAILURE;
    }

    /* The whole table first, so that a cut-off table is reported as such
     * rather than as whatever its first headers point at.  The loop stops at
     * the first header outside the file, so the file size bounds it. */
    for (uint32_t i = 0; i < phnum; i++) {
        uint64_t at = (uint64_t)i * phentsize;

        if (phoff > filesize || at > filesize - phoff ||
            !in_file(phoff + at, phsize, filesize)) {
            util_err_set(err, "ELF program header %" PRIu32 " lies beyond the"
                         " end of the file (offset 0x%" PRIx64 ", size 0x%" PRIx32
                         ", file size 0x%zx)", i, phoff + at, phsize, filesize);
            return VMI_FAILURE;
        }
    }
    for (uint32_t i = 0; i < phnum; i++) {
        elf_phdr_t ph;

        read_phdr(&c, map + phoff + (uint64_t)i * phentsize, &ph);
        if (ph.type != PT_LOAD && ph.type != PT_NOTE)
            continue;
        if (ph.filesz == 0)
            continue;
        if (!in_file(ph.offset, ph.filesz, filesize)) {
            util_err_set(err, "ELF program header %" PRIu32 " (%s, guest-physical"
                         " 0x%" PRIx64 ") has data beyond the end of the file"
                         " (offset 0x%" PRIx64 ", size 0x%" PRIx64 ", file size"
                         " 0x%zx)", i, pt_name(ph.type), ph.paddr, ph.offset,
                         ph.filesz, filesize);
            goto out;
        }
        if (ph.type == PT_NOTE) {
            if (walk_notes(&c, i, &ph, out, &prs, err) != VMI_SUCCESS)
                goto out;
            continue;
        }
        if (ph.filesz > ph.memsz) {
            util_err_set(err, "ELF program header %" PRIu32 " (PT_LOAD,"
                         " guest-physical 0x%" PRIx64 ") has more bytes in the"
                         " file (0x%" PRIx64 ") than in memory (0x%" PRIx64 ")",
                         i, ph.paddr, ph.filesz, ph.memsz);
            goto out;
        }
        if (file_layout_add_range(out, ph.paddr, ph.filesz, ph.offset, i, err)
            != VMI_SUCCESS)
            goto out;
    }
    if (out->mem.nranges == 0) {
        util_err_set(err, "ELF core has no PT_LOAD segment with data in the file,"
                     " so no memory");
        goto out;
    }

    /* QEMU notes hold all that PRSTATUS notes hold; use the latter only
     * when there are no QEMU notes (cores not written by QEMU). */
    if (out->nvcpus == 0 && prs.nvcpus > 0) {
        out->vcpus = prs.vcpus;
        out->nvcpus = prs.nvcpus;
        out->cap_vcpus = prs.cap_vcpus;
        prs.vcpus = NULL;
        prs.nvcpus = prs.cap_vcpus = 0;
    }
    for (unsigned int i = 0; i < out->nvcpus; i++)
        derive_efer(c.machine, &out->vcpus[i]);
    ret = VMI_SUCCESS;
out:
    file_layout_free(&prs);
    return ret;
}

const file_format_t file_format_elf = { "elf", elf_detect, elf_parse };
