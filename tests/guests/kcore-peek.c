/*
 * kcore-peek: runs INSIDE a TinyVMI test guest and prints what the guest's
 * own kernel says is at a few kernel virtual addresses, read through
 * /proc/kcore.  This is ground truth the integration tests compare
 * TinyVMI's translated reads against.
 *
 * Input (stdin), one request per line:   ADDR [NAME...]     (ADDR in hex)
 * Output (stdout), one line per request: ADDR HEXBYTES [NAME...]
 *                                   or:  ADDR ERROR reason [NAME...]
 * ADDR is printed zero-padded to the guest's pointer width, like
 * /proc/kallsyms; HEXBYTES is up to 64 bytes as lowercase hex (fewer only
 * when the address sits near the end of a kcore segment).
 *
 * It is built statically on the host (gcc -static, and -m32 for i386
 * guests) and must not depend on anything but libc: the guest has only
 * busybox.  It must not be linked into TinyVMI or run on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PEEK_BYTES 64
#define MAX_SEGS   4096 /* kcore has a handful; bound a corrupt header */

struct seg {
    uint64_t vaddr, memsz, offset;
};

static struct seg segs[MAX_SEGS];
static unsigned nsegs;

static uint64_t get_le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = (v << 8) | p[n];
    return v;
}

static int full_pread(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

/* Reads the ELF program headers of /proc/kcore (ELF32 or ELF64, little
 * endian: kcore always has the kernel's own class) and keeps PT_LOADs. */
static int load_segments(int fd)
{
    unsigned char eh[64];
    if (full_pread(fd, eh, sizeof(eh), 0) != 0) {
        fprintf(stderr, "kcore-peek: cannot read ELF header: %s\n", strerror(errno));
        return -1;
    }
    if (memcmp(eh, "\177ELF", 4) != 0 || eh[5] != 1) {
        fprintf(stderr, "kcore-peek: /proc/kcore is not a little-endian ELF file\n");
        return -1;
    }
    int is64 = eh[4] == 2;
    uint64_t phoff = is64 ? get_le(eh + 32, 8) : get_le(eh + 28, 4);
    unsigned phentsize = (unsigned)get_le(eh + (is64 ? 54 : 42), 2);
    unsigned phnum = (unsigned)get_le(eh + (is64 ? 56 : 44), 2);
    if (phentsize < (is64 ? 56u : 32u) || phentsize > 256 || phnum > MAX_SEGS) {
        fprintf(stderr, "kcore-peek: implausible program header table\n");
        return -1;
    }
    for (unsigned i = 0; i < phnum; i++) {
        unsigned char ph[256];
        if (full_pread(fd, ph, phentsize, phoff + (uint64_t)i * phentsize) != 0) {
            fprintf(stderr, "kcore-peek: cannot read program header %u\n", i);
            return -1;
        }
        if (get_le(ph, 4) != 1) /* PT_LOAD */
            continue;
        struct seg *s = &segs[nsegs++];
        if (is64) {
            s->offset = get_le(ph + 8, 8);
            s->vaddr = get_le(ph + 16, 8);
            s->memsz = get_le(ph + 40, 8);
        } else {
            s->offset = get_le(ph + 4, 4);
            s->vaddr = get_le(ph + 8, 4);
            s->memsz = get_le(ph + 20, 4);
        }
    }
    return 0;
}

static void peek(int fd, uint64_t addr, const char *name)
{
    int width = (int)(2 * sizeof(void *));
    printf("%0*llx ", width, (unsigned long long)addr);
    const struct seg *hit = NULL;
    for (unsigned i = 0; i < nsegs; i++)
        if (addr >= segs[i].vaddr && addr - segs[i].vaddr < segs[i].memsz) {
            hit = &segs[i];
            break;
        }
    if (!hit) {
        printf("ERROR not-in-kcore%s%s\n", *name ? " " : "", name);
        return;
    }
    uint64_t left = hit->memsz - (addr - hit->vaddr);
    size_t n = left < PEEK_BYTES ? (size_t)left : PEEK_BYTES;
    unsigned char buf[PEEK_BYTES];
    if (full_pread(fd, buf, n, hit->offset + (addr - hit->vaddr)) != 0) {
        printf("ERROR read-failed%s%s\n", *name ? " " : "", name);
        return;
    }
    for (size_t i = 0; i < n; i++)
        printf("%02x", buf[i]);
    printf("%s%s\n", *name ? " " : "", name);
}

int main(void)
{
    int fd = open("/proc/kcore", O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "kcore-peek: open /proc/kcore: %s\n", strerror(errno));
        return 1;
    }
    if (load_segments(fd) != 0)
        return 1;

    char line[512];
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *end;
        errno = 0;
        unsigned long long addr = strtoull(line, &end, 16);
        if (end == line || errno)
            continue;
        while (*end == ' ' || *end == '\t')
            end++;
        peek(fd, addr, end);
    }
    close(fd);
    return 0;
}
