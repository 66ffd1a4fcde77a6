/*
 * bench_linux - what the Linux layer costs.
 *
 *   init:     vmi_init_complete with the Linux layer, median of 5: from a
 *             System.map (the guest's own kallsyms, runtime addresses), from
 *             the same map at link-time addresses (the KASLR slide searched),
 *             and with zero configuration (kallsyms decoded from memory, BTF
 *             parsed or heuristics run);
 *   full:     the same with a configuration as LibVMI users write it (the
 *             System.map and the five process offsets): init time, and the
 *             whole vmi-process-list process on the raw image (wall time
 *             and peak RSS, next to the same tool printing --help: the
 *             process's floor);
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
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvmi/libvmi.h>

#include "bench_out.h"
#include "init_time.h"

static double now_us(void) { return bench_now_us(); }

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

static bool has_symbol(const syms_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return true;
    return false;
}

/* Median of 5 (init_time.h, the timer bench_init shares). */
static double time_init(const char *img, const char *cfg, vmi_instance_t *keep)
{
    double ms = bench_time_init(img, cfg, 5, keep, NULL);
    if (ms < 0)
        fprintf(stderr, "  init failed (%s): %s\n", cfg, tvmi_init_errmsg());
    return ms;
}

extern char **environ;

/* The tools beside this benchmark (build/bench/.. /bin). */
static char tool_dir[4096];

static char self_path[4096];

/* `bench_linux --measure TOOL ARGS...`: run TOOL (stdout dropped) in a
 * forked child and print its wall ms and peak RSS in KiB.  A fresh process
 * does it because Linux counts the memory of the process a program was
 * started from (before exec) in that program's peak RSS; this small one
 * forks, so the tool's figure is its own. */
static int measure_main(char **argv)
{
    struct rusage ru;
    int status;
    double t0 = now_us();
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 1);
        execv(argv[0], argv);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    printf("%.3f %ld\n", (now_us() - t0) / 1000.0, ru.ru_maxrss);
    return 0;
}

/* Run tool with args 5 times through --measure: median wall ms, largest
 * peak RSS in KiB.  False when it failed. */
static bool run_tool(const char *tool, const char *a1, const char *a2, const char *a3,
                     double *ms, long *kb)
{
    char path[4200], line[128];
    double t[5];
    snprintf(path, sizeof(path), "%s/%s", tool_dir, tool);
    *kb = 0;
    for (int i = 0; i < 5; i++) {
        char *argv[] = { self_path, "--measure", path, (char *)a1, (char *)a2, (char *)a3,
                         NULL };
        posix_spawn_file_actions_t fa;
        int fds[2], status;
        pid_t pid;
        long k = 0;
        FILE *f;
        if (pipe(fds) != 0)
            return false;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        int rc = posix_spawn(&pid, self_path, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        f = fdopen(fds[0], "r");
        bool ok = rc == 0 && f && fgets(line, sizeof(line), f) &&
                  sscanf(line, "%lf %ld", &t[i], &k) == 2;
        if (f)
            fclose(f);
        else
            close(fds[0]);
        if (rc == 0)
            waitpid(pid, &status, 0);
        if (!ok) {
            fprintf(stderr, "  %s %s failed\n", path, a1 ? a1 : "");
            return false;
        }
        if (k > *kb)
            *kb = k;
    }
    qsort(t, 5, sizeof(double), bench_cmp_d);
    *ms = t[2];
    return true;
}

/* RssAnon and RssFile of this process, KiB (/proc/self/status). */
static bool rss_kib(long *anon, long *file)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    *anon = *file = -1;
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "RssAnon:", 8))
            *anon = atol(line + 8);
        else if (!strncmp(line, "RssFile:", 8))
            *file = atol(line + 8);
    }
    fclose(f);
    return *anon >= 0 && *file >= 0;
}

/* The scale figure: n instances open at once on one image in this
 * process, each with the full configuration; per instance, the time to
 * open it and the memory it adds: heap (anonymous) and the image pages
 * its own mapping of the file has touched. */
#define SCALE_INSTANCES 100
static void scale_figure(const char *img, const char *cfg)
{
    static vmi_instance_t v[SCALE_INSTANCES];
    long a0, f0, a1, f1;
    size_t n = 0;
    if (!rss_kib(&a0, &f0))
        return;
    double t0 = now_us();
    for (; n < SCALE_INSTANCES; n++)
        if (vmi_init_complete(&v[n], img, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                              (void *)cfg, NULL) != VMI_SUCCESS) {
            printf("  %zu instances: init %zu failed: %s\n", (size_t)SCALE_INSTANCES, n,
                   tvmi_init_errmsg());
            break;
        }
    double t = now_us() - t0;
    if (n == SCALE_INSTANCES && rss_kib(&a1, &f1)) {
        printf("  %d instances on one image, one process: open %.2f ms each, heap %.0f KiB "
               "each, image pages mapped %.0f KiB each\n", SCALE_INSTANCES,
               t / 1000.0 / SCALE_INSTANCES, (double)(a1 - a0) / SCALE_INSTANCES,
               (double)(f1 - f0) / SCALE_INSTANCES);
        bench_record(img, "instance_heap", (double)(a1 - a0) / SCALE_INSTANCES, "KiB");
        bench_record(img, "instance_image_pages", (double)(f1 - f0) / SCALE_INSTANCES, "KiB");
    }
    while (n)
        vmi_destroy(v[--n]);
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
    if (vmi) {
        /* A LibVMI user's configuration: the map and the offsets. */
        static const char *const keys[] = { "linux_tasks", "linux_mm", "linux_pid",
                                            "linux_name", "linux_pgd" };
        char cfg_full[4400], raw[4200], dbg[4200];
        /* A kernel built without CONFIG_KALLSYMS_ALL (Debian's i386) lists
         * only code in kallsyms: no linux_banner, no swapper_pg_dir, so
         * a map made of it gives the layer no root and init scans memory.
         * A user of such a kernel configures its System.map, as here the
         * debug package's (link-time addresses: the slide is found). */
        const char *map = rt;
        snprintf(dbg, sizeof(dbg), "%s/truth/System.map-dbg", dir);
        if (!has_symbol(&s, "linux_banner") && access(dbg, R_OK) == 0)
            map = dbg;
        size_t n = (size_t)snprintf(cfg_full, sizeof(cfg_full), "ostype = Linux; sysmap = %s",
                                    map);
        bool all = true;
        for (size_t k = 0; k < 5; k++) {
            addr_t off = 0;
            all = all && vmi_get_offset(vmi, keys[k], &off) == VMI_SUCCESS;
            n += (size_t)snprintf(cfg_full + n, sizeof(cfg_full) - n, "; %s = 0x%" PRIx64,
                                  keys[k], (uint64_t)off);
        }
        snprintf(raw, sizeof(raw), "%s/ram.raw", dir);
        double t_full = all ? time_init(img, cfg_full, NULL) : -1, tool_ms, floor_ms;
        long tool_kb, floor_kb;
        if (t_full >= 0) {
            printf("  init with System.map + offsets (median of 5): %.2f ms%s\n", t_full,
                   map == dbg ? " (the debug package's System.map: kallsyms lacks data)" : "");
            bench_record(img, "init_full_config", t_full, "ms");
            scale_figure(img, cfg_full);
        }
        if (all && run_tool("vmi-process-list", raw, "-c", cfg_full, &tool_ms, &tool_kb) &&
            run_tool("vmi-process-list", "--help", NULL, NULL, &floor_ms, &floor_kb)) {
            printf("  vmi-process-list ram.raw -c '<map + offsets>': %.1f ms, peak RSS %ld KiB "
                   "(the same tool's --help: %.1f ms, %ld KiB)\n", tool_ms, tool_kb, floor_ms,
                   floor_kb);
            bench_record(raw, "process_list_full_config", tool_ms, "ms");
            bench_record(raw, "process_list_full_config_rss", (double)tool_kb, "KiB");
        }
        if (run_tool("vmi-process-list", raw, NULL, NULL, &tool_ms, &tool_kb))
            printf("  vmi-process-list ram.raw (zero config): %.1f ms, peak RSS %ld KiB\n",
                   tool_ms, tool_kb);
    }
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
    if (argc > 2 && strcmp(argv[1], "--measure") == 0)
        return measure_main(argv + 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!realpath("/proc/self/exe", self_path))
        snprintf(self_path, sizeof(self_path), "%s", argv[0]);
    {
        const char *slash = strrchr(argv[0], '/');
        if (slash)
            snprintf(tool_dir, sizeof(tool_dir), "%.*s/../bin", (int)(slash - argv[0]), argv[0]);
        else
            snprintf(tool_dir, sizeof(tool_dir), "build/bin");
    }
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
