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

#include <libvmi/libvmi.h>

/* The guests of tests/guests/build-guests.sh (ALL_GUESTS there): the four
 * paging modes on Debian 12's kernel, then the kernel matrix, one amd64
 * guest per Debian suite (5.10 .. the newest). */
static const char *const guest_names[] = {
    "amd64", "amd64-la57", "i386", "i386-pae",
    "amd64-bullseye", "amd64-bookworm-backports", "amd64-trixie", "amd64-trixie-backports",
    "amd64-sid",
};
#define GUEST_COUNT (sizeof(guest_names) / sizeof(guest_names[0]))

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

/* Does a peek's memory keep its bytes between the guest's read and the
 * snapshot?  Text and read-only data do, writable data moves on.  Inside
 * the kernel image the kernel's own section bounds decide (data starts at
 * _sdata; 7.x's kallsyms types its whole .data 'T', so the nm letter is
 * not enough); elsewhere (modules, or kallsyms without those symbols) the
 * letter does. */
static inline bool guest_peek_stable(const char *guest, const guest_peek_t *p)
{
    uint64_t text = guest_kallsyms(guest, "_text"), sdata = guest_kallsyms(guest, "_sdata");
    uint64_t end = guest_kallsyms(guest, "_end");
    char type = 0;
    if (text && sdata && end && p->addr >= text && p->addr < end)
        return p->addr < sdata;
    guest_kallsyms_typed(guest, p->name, &type);
    return type && strchr("TtRr", type) != NULL;
}

/* ---- what TinyVMI listed, collected for comparison ---- */

typedef struct guest_procs {
    tvmi_process_t *p;
    size_t n, cap;
} guest_procs_t;

/* A tvmi_process_foreach callback: appends to a guest_procs_t. */
static inline int guest_collect_proc(void *ctx, const tvmi_process_t *p)
{
    guest_procs_t *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        tvmi_process_t *t = realloc(l->p, cap * sizeof(*t));
        if (!t)
            return 1; /* stop: the test sees a short list */
        l->p = t;
        l->cap = cap;
    }
    l->p[l->n++] = *p;
    return 0;
}

static inline const tvmi_process_t *guest_find_pid(const guest_procs_t *l, int pid)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i].pid == pid)
            return &l->p[i];
    return NULL;
}

typedef struct guest_mods {
    tvmi_module_t m[64];
    size_t n;
} guest_mods_t;

static inline int guest_collect_mod(void *ctx, const tvmi_module_t *m)
{
    guest_mods_t *l = ctx;
    if (l->n < 64)
        l->m[l->n++] = *m;
    return 0;
}

/* ---- the guest's own process list (truth/ps.txt: PID PPID k|u COMM) ---- */

typedef struct guest_ps_row {
    int pid, ppid;
    char kind; /* 'k' kernel thread, 'u' user process */
    char comm[64];
} guest_ps_row_t;

/* All rows; returns how many, *out malloc'd (free it). */
static inline size_t guest_load_ps(const char *guest, guest_ps_row_t **out)
{
    char *text = guest_slurp(guest, "truth/ps.txt"), *save = NULL;
    size_t n = 0, cap = 64;
    guest_ps_row_t *v = malloc(cap * sizeof(*v));
    *out = v;
    if (!text || !v) {
        free(text);
        return 0;
    }
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int pid, ppid, used = 0;
        char kind;
        if (sscanf(line, "%d %d %c %n", &pid, &ppid, &kind, &used) < 3 || !used)
            continue;
        if (n == cap) {
            guest_ps_row_t *t = realloc(v, 2 * cap * sizeof(*v));
            if (!t)
                break;
            v = t;
            cap *= 2;
            *out = v;
        }
        v[n].pid = pid;
        v[n].ppid = ppid;
        v[n].kind = kind;
        snprintf(v[n].comm, sizeof(v[n].comm), "%s", line + used);
        n++;
    }
    free(text);
    return n;
}

/* How TinyVMI's list differs from the guest's ps, each difference printed. */
typedef struct guest_ps_diff {
    size_t rows, missing, extra, bad_comm, bad_ppid, bad_dtb;
} guest_ps_diff_t;

/* Kernel workers may come and go between the guest's ps and the snapshot,
 * so a kworker missing on either side is not a difference.  A kernel
 * thread's /proc comm is its full name (a busy kworker's adds "-<work>" or
 * "+"); task_struct.comm holds its first 15 characters.  A user process has
 * a page table, a kernel thread none. */
static inline guest_ps_diff_t guest_compare_ps(const char *guest, const guest_procs_t *procs)
{
    guest_ps_diff_t d = { 0, 0, 0, 0, 0, 0 };
    guest_ps_row_t *ps;
    size_t n = guest_load_ps(guest, &ps);
    d.rows = n;
    for (size_t i = 0; i < n; i++) {
        const tvmi_process_t *p = guest_find_pid(procs, ps[i].pid);
        if (!p) {
            if (!(ps[i].kind == 'k' && strncmp(ps[i].comm, "kworker", 7) == 0)) {
                d.missing++;
                fprintf(stderr, "  the guest listed pid %d %s; TinyVMI did not\n", ps[i].pid,
                        ps[i].comm);
            }
            continue;
        }
        size_t ours = strlen(p->name);
        bool same = strcmp(p->name, ps[i].comm) == 0 ||
                    (ps[i].kind == 'k' && strncmp(p->name, ps[i].comm, ours) == 0 &&
                     (ours == 15 || ps[i].comm[ours] == '-' || ps[i].comm[ours] == '+'));
        if (!same) {
            d.bad_comm++;
            fprintf(stderr, "  pid %d: the guest said \"%s\", TinyVMI \"%s\"\n", ps[i].pid,
                    ps[i].comm, p->name);
        }
        if (p->ppid != -1 && p->ppid != ps[i].ppid) {
            d.bad_ppid++;
            fprintf(stderr, "  pid %d: parent %d, TinyVMI %d\n", ps[i].pid, ps[i].ppid,
                    p->ppid);
        }
        if ((ps[i].kind == 'u') != (p->dtb != 0)) {
            d.bad_dtb++;
            fprintf(stderr, "  pid %d (%c): dtb 0x%llx\n", ps[i].pid, ps[i].kind,
                    (unsigned long long)p->dtb);
        }
    }
    for (size_t j = 1; j < procs->n; j++) { /* [0] is init_task, which /proc omits */
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = ps[i].pid == procs->p[j].pid;
        if (!known && strncmp(procs->p[j].name, "kworker", 7) != 0) {
            d.extra++;
            fprintf(stderr, "  TinyVMI listed pid %d %s; the guest did not\n", procs->p[j].pid,
                    procs->p[j].name);
        }
    }
    free(ps);
    return d;
}

#endif
