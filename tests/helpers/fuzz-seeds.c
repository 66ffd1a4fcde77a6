/*
 * fuzz-seeds - cut real inputs for the fuzzers out of the real guest images,
 * so every harness starts past the magic checks (tests/fuzz/run.sh).
 *
 *   fuzz-seeds btf RAM.RAW IOMEM.TXT OUT       the kernel's BTF, by its header
 *   fuzz-seeds kallsyms RAM.RAW IOMEM.TXT OUT  rodata around the token table
 *   fuzz-seeds elf CORE.ELF OUT                the ELF core, every PT_LOAD cut to a page
 *   fuzz-seeds lime RAM.LIME OUT               the LiME image, every range cut to a page
 *   fuzz-seeds pe RAW OUT                      the first PE image in a raw image
 *   fuzz-seeds bytes FILE OFFSET LEN OUT       any slice of a file
 *
 * Everything is found from the formats' own definitions (the BTF header, the
 * ELF and LiME headers, /proc/iomem's "Kernel rodata" line); only the choice
 * among several digit runs asks the kallsyms locator which one is a table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/linux/linux.h"
#include "util/bytes.h"

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    long len;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        !(b = malloc((size_t)len + 1)) || fread(b, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spill(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    printf("fuzz-seeds: %s: %zu bytes\n", path, n);
}

/* [start, end] of an iomem.txt line naming what. */
static void iomem_range(const char *iomem, const char *what, uint64_t *start, uint64_t *end)
{
    size_t n;
    char *t = (char *)slurp(iomem, &n), *line;
    t[n] = '\0';
    for (line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, what) && sscanf(line, " %" SCNx64 "-%" SCNx64, start, end) == 2) {
            free(t);
            return;
        }
    fprintf(stderr, "fuzz-seeds: %s names no \"%s\"\n", iomem, what);
    exit(1);
}

/* The BTF blob: magic 0xeb9f, version 1, a 24-byte header whose type and
 * string sections lie inside rodata (include/uapi/linux/btf.h). */
static int cut_btf(const char *raw, const char *iomem, const char *out)
{
    size_t n;
    uint8_t *m = slurp(raw, &n);
    uint64_t s, e;
    iomem_range(iomem, "Kernel rodata", &s, &e);
    for (uint64_t p = s; p + 24 <= e && p + 24 <= n; p += 4) {
        if (util_le16(m + p) != 0xeb9f || m[p + 2] != 1 || util_le32(m + p + 4) != 24)
            continue;
        uint64_t toff = util_le32(m + p + 8), tlen = util_le32(m + p + 12);
        uint64_t soff = util_le32(m + p + 16), slen = util_le32(m + p + 20);
        uint64_t total = 24 + (toff + tlen > soff + slen ? toff + tlen : soff + slen);
        if (tlen && slen && p + total <= e + 1 && p + total <= n) {
            spill(out, m + p, total);
            free(m);
            return 0;
        }
    }
    fprintf(stderr, "fuzz-seeds: no BTF header in %s's rodata\n", raw);
    return 1;
}

/* The kallsyms tables sit before the token table, whose digit tokens are
 * the ten strings "0".."9"; keep the 2 MiB before them and 64 KiB after.
 * Rodata holds other runs of "0".."9" (character tables); the one kept is
 * the one the kallsyms locator accepts, so the seed is a real table. */
static int cut_kallsyms(const char *raw, const char *iomem, const char *out)
{
    static const uint8_t digits[20] = { '0', 0, '1', 0, '2', 0, '3', 0, '4', 0,
                                        '5', 0, '6', 0, '7', 0, '8', 0, '9', 0 };
    size_t n;
    uint8_t *m = slurp(raw, &n);
    uint64_t s, e;
    iomem_range(iomem, "Kernel rodata", &s, &e);
    for (uint64_t p = s; p + sizeof(digits) <= e && p + sizeof(digits) <= n; p++) {
        if (memcmp(m + p, digits, sizeof(digits)) != 0 || (p > 0 && m[p - 1] != 0))
            continue;
        uint64_t from = p > s + (2u << 20) ? p - (2u << 20) : s;
        uint64_t to = p + (64u << 10) < e ? p + (64u << 10) : e;
        lx_kallsyms_t k;
        util_err_t err;
        if (lx_kallsyms_locate(m + from, to - from, p - from, 8, &k, &err) != VMI_SUCCESS)
            continue;
        spill(out, m + from, to - from);
        free(m);
        return 0;
    }
    fprintf(stderr, "fuzz-seeds: no token table in %s's rodata\n", raw);
    return 1;
}

/* An ELF64 core with its real header, notes and program headers, every
 * PT_LOAD cut to one page and laid out right after the notes. */
static int cut_elf(const char *core, const char *out)
{
    size_t n, o;
    uint8_t *m = slurp(core, &n), *b;
    if (n < 64 || memcmp(m, "\177ELF", 4) != 0 || m[4] != 2) {
        fprintf(stderr, "fuzz-seeds: %s is not an ELF64 file\n", core);
        return 1;
    }
    uint64_t phoff = util_le64(m + 32);
    unsigned phnum = util_le16(m + 56), phsz = util_le16(m + 54);
    if (phsz != 56 || phoff + (uint64_t)phnum * 56 > n) {
        fprintf(stderr, "fuzz-seeds: %s: odd program headers\n", core);
        return 1;
    }
    b = calloc(1, (1u << 20) + (size_t)phnum * 4096);
    memcpy(b, m, 64);
    util_put_le64(b + 32, 64);
    memcpy(b + 64, m + phoff, (size_t)phnum * 56);
    o = 64 + (size_t)phnum * 56;
    for (unsigned i = 0; i < phnum; i++) {
        uint8_t *ph = b + 64 + i * 56;
        uint32_t type = util_le32(ph);
        uint64_t off = util_le64(ph + 8), fsz = util_le64(ph + 32);
        uint64_t keep = type == 1 ? (fsz < 4096 ? fsz : 4096) : fsz;
        if (off + keep > n || keep > (1u << 20) - 4096) {
            keep = 0;
        }
        memcpy(b + o, m + off, keep);
        util_put_le64(ph + 8, o);
        util_put_le64(ph + 32, keep);
        if (type == 1)
            util_put_le64(ph + 40, keep); /* memsz */
        o += keep;
    }
    spill(out, b, o);
    free(b);
    free(m);
    return 0;
}

/* A LiME image with its real range headers, each range cut to one page. */
static int cut_lime(const char *lime, const char *out)
{
    size_t n, o = 0;
    uint8_t *m = slurp(lime, &n), *b = malloc(64 * (32 + 4096));
    for (size_t p = 0, k = 0; p + 32 <= n && k < 64; k++) {
        uint64_t s = util_le64(m + p + 8), e = util_le64(m + p + 16), len = e - s + 1;
        if (util_le32(m + p) != 0x4C694D45 || e < s || p + 32 + len > n)
            break;
        uint64_t keep = len < 4096 ? len : 4096;
        memcpy(b + o, m + p, 32);
        util_put_le64(b + o + 16, s + keep - 1);
        memcpy(b + o + 32, m + p + 32, keep);
        o += 32 + keep;
        p += 32 + len;
    }
    if (!o) {
        fprintf(stderr, "fuzz-seeds: %s: no LiME range\n", lime);
        return 1;
    }
    spill(out, b, o);
    free(b);
    free(m);
    return 0;
}

/* The first PE image on a page boundary of a raw image ("MZ", e_lfanew to
 * "PE\0\0"), SizeOfImage bytes of it (capped at 1 MiB). */
static int cut_pe(const char *raw, const char *out)
{
    size_t n;
    uint8_t *m = slurp(raw, &n);
    for (size_t p = 0; p + 4096 <= n; p += 4096) {
        uint32_t lfanew = util_le32(m + p + 0x3c);
        if (m[p] != 'M' || m[p + 1] != 'Z' || lfanew > 4096 - 0x100 ||
            memcmp(m + p + lfanew, "PE\0\0", 4) != 0)
            continue;
        uint64_t size = util_le32(m + p + lfanew + 24 + 56); /* SizeOfImage */
        if (size > (1u << 20))
            size = 1u << 20;
        if (size > n - p)
            size = n - p;
        spill(out, m + p, size);
        free(m);
        return 0;
    }
    fprintf(stderr, "fuzz-seeds: no PE image in %s\n", raw);
    return 1;
}

static int cut_bytes(const char *file, const char *off_s, const char *len_s, const char *out)
{
    size_t n;
    uint8_t *m = slurp(file, &n);
    uint64_t off = strtoull(off_s, NULL, 0), len = strtoull(len_s, NULL, 0);
    if (off > n || len > n - off) {
        fprintf(stderr, "fuzz-seeds: %s holds %zu bytes, not 0x%" PRIx64 "+0x%" PRIx64 "\n",
                file, n, off, len);
        return 1;
    }
    spill(out, m + off, len);
    free(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "btf") == 0)
        return cut_btf(argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "kallsyms") == 0)
        return cut_kallsyms(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "elf") == 0)
        return cut_elf(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "lime") == 0)
        return cut_lime(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "pe") == 0)
        return cut_pe(argv[2], argv[3]);
    if (argc == 6 && strcmp(argv[1], "bytes") == 0)
        return cut_bytes(argv[2], argv[3], argv[4], argv[5]);
    fprintf(stderr, "usage: fuzz-seeds btf|kallsyms RAM.RAW IOMEM.TXT OUT\n"
                    "       fuzz-seeds elf CORE.ELF OUT | lime RAM.LIME OUT | pe RAW OUT\n"
                    "       fuzz-seeds bytes FILE OFFSET LEN OUT\n");
    return 2;
}
