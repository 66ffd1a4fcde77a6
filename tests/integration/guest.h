/*
 * guest.h - finding the real guest images and reading their ground truth
 * (layout: tests/guests/README.md).  Header-only so each integration test
 * is one self-contained program.
 *
 * Truth files are what the guest itself printed; tests compare TinyVMI's
 * answers with them and never with values TinyVMI computed.
 */
#ifndef TINYVMI_TEST_GUEST_H
#define TINYVMI_TEST_GUEST_H

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const guest_names[] = { "amd64", "amd64-la57", "i386", "i386-pae" };
#define GUEST_COUNT 4

static inline const char *guest_cache_dir(void)
{
    static char buf[4096];
    const char *c = getenv("TINYVMI_GUEST_CACHE");
    if (c && *c)
        return c;
    snprintf(buf, sizeof(buf), "%s/.cache/tinyvmi/guests", getenv("HOME") ? getenv("HOME") : "/tmp");
    return buf;
}

/* <cache>/<guest>/<file> into buf. */
static inline const char *guest_path(const char *guest, const char *file, char *buf, size_t len)
{
    if ((size_t)snprintf(buf, len, "%s/%s/%s", guest_cache_dir(), guest, file) >= len)
        buf[0] = '\0'; /* too long: open fails, the test says what is missing */
    return buf;
}

static inline bool guest_exists(const char *guest)
{
    char p[4096];
    struct stat st;
    return stat(guest_path(guest, "stamp", p, sizeof(p)), &st) == 0;
}

/* Whole file as a NUL-terminated string (caller frees), or NULL. */
static inline char *guest_slurp(const char *guest, const char *file)
{
    char p[4096];
    FILE *f = fopen(guest_path(guest, file, p, sizeof(p)), "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

/* KEY=VALUE from meta.env into out (without newline); false when absent. */
static inline bool guest_meta(const char *guest, const char *key, char *out, size_t len)
{
    char *text = guest_slurp(guest, "meta.env"), *line, *save = NULL;
    size_t klen = strlen(key);
    bool found = false;
    if (!text)
        return false;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            snprintf(out, len, "%s", line + klen + 1);
            found = true;
            break;
        }
    }
    free(text);
    return found;
}

static inline uint64_t guest_meta_u64(const char *guest, const char *key)
{
    char v[128];
    if (!guest_meta(guest, key, v, sizeof(v)))
        return 0;
    return strtoull(v, NULL, 0);
}

/* Address and type letter of a symbol in the guest's /proc/kallsyms (first
 * match); 0 if absent. */
static inline uint64_t guest_kallsyms_typed(const char *guest, const char *name, char *type_out)
{
    char p[4096], line[512];
    FILE *f = fopen(guest_path(guest, "truth/kallsyms.txt", p, sizeof(p)), "r");
    uint64_t addr = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        char sym[256], type;
        unsigned long long a;
        if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 && strcmp(sym, name) == 0) {
            addr = a;
            if (type_out)
                *type_out = type;
            break;
        }
    }
    fclose(f);
    return addr;
}

static inline uint64_t guest_kallsyms(const char *guest, const char *name)
{
    return guest_kallsyms_typed(guest, name, NULL);
}

/* Sum of the "System RAM" ranges of the guest's /proc/iomem. */
static inline uint64_t guest_iomem_ram(const char *guest)
{
    char p[4096], line[256];
    FILE *f = fopen(guest_path(guest, "truth/iomem.txt", p, sizeof(p)), "r");
    uint64_t total = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long a, b;
        if (line[0] != ' ' && strstr(line, ": System RAM") &&
            sscanf(line, "%llx-%llx", &a, &b) == 2)
            total += b - a + 1;
    }
    fclose(f);
    return total;
}

/* Size of a memory region QEMU listed in "info mtree -f" by name (first). */
static inline uint64_t guest_mtree_size(const char *guest, const char *region)
{
    char p[4096], line[512];
    FILE *f = fopen(guest_path(guest, "truth/mtree.txt", p, sizeof(p)), "r");
    uint64_t size = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long a, b;
        char *name = strrchr(line, ':');
        if (!name || sscanf(line, " %llx-%llx", &a, &b) != 2)
            continue;
        name++;
        while (*name == ' ')
            name++;
        name[strcspn(name, "\r\n")] = '\0';
        if (strcmp(name, region) == 0) {
            size = b - a + 1;
            break;
        }
    }
    fclose(f);
    return size;
}

/* One line of truth/kcore.txt: what the guest read at a kernel address. */
typedef struct guest_peek {
    uint64_t addr;
    unsigned char bytes[64];
    size_t len;
    char name[128];
} guest_peek_t;

/* All readable peeks (ERROR lines skipped); returns how many, *out malloc'd. */
static inline size_t guest_kcore_peeks(const char *guest, guest_peek_t **out)
{
    char p[4096], line[1024];
    FILE *f = fopen(guest_path(guest, "truth/kcore.txt", p, sizeof(p)), "r");
    size_t n = 0, cap = 64;
    guest_peek_t *v = malloc(cap * sizeof(*v));
    *out = v;
    if (!f || !v) {
        if (f)
            fclose(f);
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        char hex[256] = "", name[128] = "";
        unsigned long long a;
        int k = sscanf(line, "%llx %255s %127s", &a, hex, name);
        if (k < 2 || strcmp(hex, "ERROR") == 0)
            continue;
        if (n == cap) {
            guest_peek_t *t = realloc(v, 2 * cap * sizeof(*v));
            if (!t)
                break;
            v = t;
            cap *= 2;
        }
        v[n].addr = a;
        v[n].len = strlen(hex) / 2;
        if (v[n].len > 64)
            v[n].len = 64;
        for (size_t i = 0; i < v[n].len; i++) {
            unsigned b;
            sscanf(hex + 2 * i, "%2x", &b);
            v[n].bytes[i] = (unsigned char)b;
        }
        snprintf(v[n].name, sizeof(v[n].name), "%s", name);
        n++;
    }
    fclose(f);
    *out = v;
    return n;
}

#endif
