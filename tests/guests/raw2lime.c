/*
 * raw2lime: turns a test guest's flat RAM image (ram.raw, file offset ==
 * guest physical address) into a LiME image holding exactly the ranges the
 * guest itself called "System RAM" in /proc/iomem.  It gives the
 * integration tests a LiME file whose layout came from the guest, not from
 * us, so TinyVMI's LiME reader is checked against an independent source.
 *
 * LiME layout, per range: a 32-byte little-endian header
 *   u32 magic 0x4C694D45 ("EMiL" on disk), u32 version 1,
 *   u64 first address, u64 last address (inclusive), 8 zero bytes,
 * followed by the range's bytes.
 *
 * Usage: raw2lime RAW IOMEM OUT       convert
 *        raw2lime --verify LIME RAW   walk LIME's headers, check each range's
 *                                     bytes against RAW, list the ranges
 *
 * Host-only build helper (no library beyond libc).  It must not guess: a
 * "System RAM" range that the raw file does not fully cover is an error,
 * because with -machine pc the offset == address rule only holds below the
 * PCI hole and a silently short range would make every later test lie.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIME_MAGIC   0x4C694D45u
#define LIME_VERSION 1u
#define MAX_RANGES   256
#define CHUNK        (1u << 20)

struct range {
    uint64_t start, end; /* end inclusive, as /proc/iomem prints it */
};

static void put_le(unsigned char *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

static int write_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, (const char *)buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* Only top-level iomem lines (no indent) describe RAM the kernel owns;
 * indented children such as "Kernel code" are parts of those. */
static int read_ranges(const char *path, struct range *r, unsigned *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "raw2lime: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256];
    *n = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long s, e;
        char name[128];
        if (line[0] == ' ' || line[0] == '\t')
            continue;
        if (sscanf(line, "%llx-%llx : %127[^\n]", &s, &e, name) != 3)
            continue;
        if (strcmp(name, "System RAM") != 0)
            continue;
        if (e < s || *n >= MAX_RANGES) {
            fprintf(stderr, "raw2lime: bad or too many ranges in %s\n", path);
            fclose(f);
            return -1;
        }
        r[*n].start = s;
        r[*n].end = e;
        (*n)++;
    }
    fclose(f);
    if (*n == 0) {
        fprintf(stderr, "raw2lime: no \"System RAM\" in %s (was kptr_restrict 0?)\n", path);
        return -1;
    }
    return 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* An independent reader of what we wrote: every header sane, every byte
 * equal to the raw image at the same physical address, nothing trailing. */
static int verify(const char *lime_path, const char *raw_path)
{
    FILE *lime = fopen(lime_path, "rb"), *raw = fopen(raw_path, "rb");
    if (!lime || !raw) {
        fprintf(stderr, "raw2lime: cannot open %s or %s\n", lime_path, raw_path);
        return 1;
    }
    unsigned char h[32], a[4096], b[4096];
    unsigned count = 0;
    size_t got;
    while ((got = fread(h, 1, sizeof(h), lime)) == sizeof(h)) {
        uint64_t magic = h[0] | h[1] << 8 | h[2] << 16 | (uint64_t)h[3] << 24;
        uint64_t version = h[4] | h[5] << 8 | h[6] << 16 | (uint64_t)h[7] << 24;
        uint64_t start = 0, end = 0;
        for (int i = 7; i >= 0; i--) {
            start = start << 8 | h[8 + i];
            end = end << 8 | h[16 + i];
        }
        if (magic != LIME_MAGIC || version != LIME_VERSION || end < start ||
            ++count > MAX_RANGES) {
            fprintf(stderr, "raw2lime: bad LiME header #%u in %s\n", count, lime_path);
            return 1;
        }
        printf("%016llx-%016llx\n", (unsigned long long)start, (unsigned long long)end);
        if (fseeko(raw, (off_t)start, SEEK_SET) != 0)
            return 1;
        for (uint64_t left = end - start + 1; left;) {
            size_t len = left < sizeof(a) ? (size_t)left : sizeof(a);
            if (fread(a, 1, len, lime) != len || fread(b, 1, len, raw) != len ||
                memcmp(a, b, len) != 0) {
                fprintf(stderr, "raw2lime: range %#llx-%#llx differs from %s\n",
                        (unsigned long long)start, (unsigned long long)end, raw_path);
                return 1;
            }
            left -= len;
        }
    }
    if (got != 0 || count == 0) {
        fprintf(stderr, "raw2lime: %s: trailing bytes or no ranges\n", lime_path);
        return 1;
    }
    fclose(lime);
    fclose(raw);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--verify") == 0)
        return verify(argv[2], argv[3]);
    if (argc != 4) {
        fprintf(stderr, "usage: raw2lime RAW IOMEM OUT | raw2lime --verify LIME RAW\n");
        return 2;
    }
    struct range r[MAX_RANGES];
    unsigned n;
    if (read_ranges(argv[2], r, &n) != 0)
        return 1;

    int in = open(argv[1], O_RDONLY);
    struct stat st;
    if (in < 0 || fstat(in, &st) != 0) {
        fprintf(stderr, "raw2lime: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (unsigned i = 0; i < n; i++)
        if (r[i].end >= (uint64_t)st.st_size) {
            fprintf(stderr, "raw2lime: System RAM %#llx-%#llx is beyond %s (%lld bytes)\n",
                    (unsigned long long)r[i].start, (unsigned long long)r[i].end, argv[1],
                    (long long)st.st_size);
            return 1;
        }

    int out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0) {
        fprintf(stderr, "raw2lime: %s: %s\n", argv[3], strerror(errno));
        return 1;
    }
    unsigned char *buf = malloc(CHUNK);
    if (!buf) {
        fprintf(stderr, "raw2lime: out of memory\n");
        return 1;
    }
    off_t pos = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned char h[32] = {0};
        put_le(h, LIME_MAGIC, 4);
        put_le(h + 4, LIME_VERSION, 4);
        put_le(h + 8, r[i].start, 8);
        put_le(h + 16, r[i].end, 8);
        if (lseek(out, pos, SEEK_SET) < 0 || write_all(out, h, sizeof(h)) != 0)
            goto write_fail;
        pos += (off_t)sizeof(h);
        uint64_t left = r[i].end - r[i].start + 1, at = r[i].start;
        while (left) {
            size_t len = left < CHUNK ? (size_t)left : CHUNK;
            ssize_t got = pread(in, buf, len, (off_t)at);
            if (got != (ssize_t)len) {
                fprintf(stderr, "raw2lime: short read at %#llx\n", (unsigned long long)at);
                return 1;
            }
            /* Mostly-idle guests are mostly zero: leave holes, keep disks small. */
            if (!all_zero(buf, len)) {
                if (lseek(out, pos, SEEK_SET) < 0 || write_all(out, buf, len) != 0)
                    goto write_fail;
            }
            pos += (off_t)len;
            at += len;
            left -= len;
        }
    }
    if (ftruncate(out, pos) != 0 || close(out) != 0)
        goto write_fail;
    free(buf);
    close(in);
    return 0;

write_fail:
    fprintf(stderr, "raw2lime: writing %s: %s\n", argv[3], strerror(errno));
    return 1;
}
