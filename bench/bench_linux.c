/*
 * bench_linux - what the Linux layer costs.
 *
 *   init:     vmi_init_complete with the Linux layer, median of 5: from a
 *             System.map (the guest's own kallsyms, runtime addresses), from
 *             the same map at link-time addresses (the KASLR slide searched),
 *             and with zero configuration (kallsyms decoded from memory, BTF
 *             parsed or heuristics run);
 *   walk:     tvmi_process_foreach, microseconds per task, cold (page and
 *             v2p caches flushed before each walk) and warm;
 *   symbols:  vmi_translate_ksym2v and vmi_translate_v2ksym lookups per
 *             second over every kernel symbol (the index, not a file scan).
 *
 * usage: bench_linux [GUEST_DIR...]   (default: every guest in the cache)
 * Prints figures; it is never a pass/fail test.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvmi/libvmi.h>

#include "bench_out.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct syms {
    char (*name)[128];
    uint64_t *addr;
    size_t n;
} syms_t;

/* Writes the System.maps and keeps the symbols for the lookup figures. */
static bool write_maps(const char *dir, const char *rt, const char *ln, syms_t *s)
{
    char path[4096], line[1024];
    snprintf(path, sizeof(path), "%s/truth/kallsyms.txt", dir);
    FILE *in = fopen(path, "r"), *a = fopen(rt, "w"), *b = fopen(ln, "w");
    size_t cap = 1 << 17;
    s->name = malloc(cap * sizeof(*s->name));
    s->addr = malloc(cap * sizeof(*s->addr));
    s->n = 0;
    uint64_t text = 0;
    bool ok = in && a && b && s->name && s->addr;
    while (ok && fgets(line, sizeof(line), in)) {
        unsigned long long ad;
        char t, nm[512];
        if (strchr(line, '[') || sscanf(line, "%llx %c %511s", &ad, &t, nm) != 3 ||
            strlen(nm) >= 128)
            continue;
        if (!text && strcmp(nm, "_text") == 0)
            text = ad;
        if (s->n == cap) {
            cap *= 2;
            s->name = realloc(s->name, cap * sizeof(*s->name));
            s->addr = realloc(s->addr, cap * sizeof(*s->addr));
        }
        snprintf(s->name[s->n], 128, "%s", nm);
        s->addr[s->n++] = ad;
        fprintf(a, "%llx %c %s\n", ad, t, nm);
    }
    /* Link-time copy: the image moved back to the default _text. */
    bool is64 = text > 0xffffffffULL;
    uint64_t link = is64 ? 0xffffffff81000000ULL : 0xc1000000ULL;
    uint64_t kbase = is64 ? 0xffffffff80000000ULL : 0xc0000000ULL;
    if (in)
        rewind(in);
    while (ok && fgets(line, sizeof(line), in)) {
        unsigned long long ad;
        char t, nm[512];
        if (strchr(line, '[') || sscanf(line, "%llx %c %511s", &ad, &t, nm) != 3)
            continue;
        fprintf(b, "%llx %c %s\n", ad >= kbase ? ad - (text - link) : ad, t, nm);
    }
    if (in)
        fclose(in);
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return ok && s->n > 0 && text;
}

static double time_init(const char *img, const char *cfg, vmi_instance_t *keep)
{
    double t[5];
    for (int i = 0; i < 5; i++) {
        vmi_instance_t v;
        vmi_init_error_t e;
        double t0 = now_us();
        if (vmi_init_complete(&v, img, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                              (void *)cfg, &e) != VMI_SUCCESS) {
            fprintf(stderr, "  init failed (%s): %s\n", cfg, tvmi_init_errmsg());
            return -1;
        }
        t[i] = now_us() - t0;
        if (keep && i == 4)
            *keep = v;
        else
            vmi_destroy(v);
    }
    qsort(t, 5, sizeof(double), cmp_d);
    return t[2] / 1000.0;
}

static int count(void *ctx, const tvmi_process_t *p)
{
    (void)p;
    (*(size_t *)ctx)++;
    return 0;
}

static void bench_guest(const char *dir)
{
    char img[4096], rt[256], ln[256], cfg_rt[512], cfg_ln[512];
    syms_t s;
    snprintf(img, sizeof(img), "%s/core.elf", dir);
    snprintf(rt, sizeof(rt), "/tmp/bench-linux-%d-runtime.map", (int)getpid());
    snprintf(ln, sizeof(ln), "/tmp/bench-linux-%d-link.map", (int)getpid());
    if (access(img, R_OK) != 0 || !write_maps(dir, rt, ln, &s)) {
        printf("  %s: no usable guest image\n", dir);
        return;
    }
    snprintf(cfg_rt, sizeof(cfg_rt), "ostype = Linux; sysmap = %s", rt);
    snprintf(cfg_ln, sizeof(cfg_ln), "ostype = Linux; sysmap = %s", ln);
    vmi_instance_t vmi = NULL;
    double t_map = time_init(img, cfg_rt, NULL);
    double t_link = time_init(img, cfg_ln, NULL);
    double t_zero = time_init(img, "ostype = Linux", &vmi);
    printf("  init (median of 5):  System.map %.1f ms,  System.map + KASLR search %.1f ms,  "
           "zero config %.1f ms\n", t_map, t_link, t_zero);
    if (t_map >= 0) /* -1: that init failed, and said why */
        bench_record(img, "init_sysmap", t_map, "ms");
    if (t_link >= 0)
        bench_record(img, "init_sysmap_kaslr", t_link, "ms");
    if (t_zero >= 0)
        bench_record(img, "init_zero_config", t_zero, "ms");
    unlink(rt);
    unlink(ln);
    if (!vmi)
        return;

    size_t tasks = 0;
    int rounds = 50;
    double cold = 0, warm = 0;
    for (int r = 0; r < rounds; r++) {
        size_t n = 0;
        vmi_pagecache_flush(vmi);
        vmi_v2pcache_flush(vmi, ~0ULL);
        double t0 = now_us();
        tvmi_process_foreach(vmi, count, &n);
        cold += now_us() - t0;
        tasks = n;
        t0 = now_us();
        tvmi_process_foreach(vmi, count, &n);
        warm += now_us() - t0;
    }
    printf("  process walk (%zu tasks):  cold %.2f us/task,  warm %.2f us/task\n", tasks,
           cold / rounds / (double)tasks, warm / rounds / (double)tasks);
    bench_record(img, "process_walk_cold", cold / rounds / (double)tasks, "us/task");
    bench_record(img, "process_walk_warm", warm / rounds / (double)tasks, "us/task");

    double t0 = now_us();
    size_t found = 0;
    for (size_t i = 0; i < s.n; i++) {
        addr_t a;
        found += vmi_translate_ksym2v(vmi, s.name[i], &a) == VMI_SUCCESS;
    }
    double t_k = now_us() - t0;
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0);
    t0 = now_us();
    size_t named = 0;
    for (size_t i = 0; i < s.n; i++)
        named += vmi_translate_v2ksym(vmi, &ctx, s.addr[i]) != NULL;
    double t_v = now_us() - t0;
    printf("  symbols (%zu):  ksym2v %.2f M/s (%zu found),  v2ksym %.2f M/s (%zu named)\n", s.n,
           (double)s.n / t_k, found, (double)s.n / t_v, named);
    bench_record(img, "ksym2v", (double)s.n / t_k, "M/s");
    bench_record(img, "v2ksym", (double)s.n / t_v, "M/s");
    vmi_destroy(vmi);
    free(s.name);
    free(s.addr);
}

int main(int argc, char **argv)
{
    static const char *const guests[] = { "amd64", "amd64-la57", "i386", "i386-pae" };
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            printf("== %s\n", argv[i]);
            bench_guest(argv[i]);
        }
        return 0;
    }
    char base[4096];
    const char *c = getenv("TINYVMI_GUEST_CACHE");
    snprintf(base, sizeof(base), "%s", c && *c ? c : "");
    if (!base[0])
        snprintf(base, sizeof(base), "%s/.cache/tinyvmi/guests",
                 getenv("HOME") ? getenv("HOME") : "/tmp");
    for (size_t g = 0; g < 4; g++) {
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/%s", base, guests[g]);
        printf("== %s (bench_linux)\n", guests[g]);
        bench_guest(dir);
    }
    return 0;
}
