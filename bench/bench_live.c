/*
 * bench_live - TinyVMI on a running QEMU (TCG), side by side with what else
 * reaches the same guest the same way, in one run on one guest:
 *
 *   events/s   TinyVMI's LibVMI events (a write watch on a variable the guest
 *              writes in a tight loop, LibVMI's INT3 breakpoint idiom on a
 *              system call the loop makes, single steps) next to
 *                - QEMU's ceiling: a minimal client of the same gdbstub doing
 *                  no work per stop (continue, read the stop reply; for a
 *                  breakpoint also step off it), the fastest any client of
 *                  the stub can go;
 *                - gdb -batch driving the same gdbstub with a scripted
 *                  watch/break/stepi loop (`commands; silent; continue`).
 *   reads      TinyVMI's vmi_read_pa and vmi_read_va of guest RAM while the
 *              guest runs, next to memcpy of the mapped RAM file (the limit)
 *              and QMP's own ways to read memory (HMP xp, pmemsave).
 *
 * Figures are printed, never asserted.  Needs gdb for its column (skipped
 * with a note when absent).  The guest is the live test guest
 * (tests/live/live-guest.sh), which this program boots and ends on every
 * way out (live.h), within a bounded time (alarm).  Run from the source
 * tree:  build/bench/bench_live [reads] [watch] [int3] [step]  (none: all).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvmi/libvmi.h>
#include <libvmi/events.h>
#include <libvmi/tinyvmi.h>

#include "../tests/integration/live.h"
#include "driver/qemu_gdb.h"
#include "driver/qemu_qmp.h"

#define SECS 1.5
/* Rounds (TINYVMI_BENCH_LIVE_ROUNDS, 1..20, overrides): more give a busy
 * machine more chances at a quiet moment, at 25-40 s each. */
#define ROUNDS 4
/* Events each gdb run counts (about a second each at the rates seen). */
#define GDB_WATCHES 1000u
#define GDB_BREAKS 100u
#define GDB_STEPS 1000u
#define READ_BYTES (64u << 20)

static live_guest_t G;
static addr_t hot_pa, spin_pa, getppid_va;
static uint64_t n_events;

static void check_alive(const char *before);

static void set_spin(uint64_t v)
{
    /* Straight into the RAM file: no instance needed, no QMP. */
    int fd = open(G.ram, O_RDWR);
    if (fd < 0 || pwrite(fd, &v, 8, (off_t)spin_pa) != 8)
        fprintf(stderr, "bench: cannot set spin\n");
    if (fd >= 0)
        close(fd);
}

static vmi_instance_t open_vmi(void)
{
    vmi_instance_t vmi = NULL;
    if (vmi_init_complete(&vmi, G.qmp, VMI_INIT_DOMAINNAME | VMI_INIT_EVENTS, NULL,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, NULL) != VMI_SUCCESS)
        fprintf(stderr, "bench: %s\n", tvmi_init_errmsg());
    return vmi;
}

/* ---- One measurement: wall rate and CPU per event ---- */

/* Events per second, and the CPU time QEMU (all its threads) and the client
 * spent per event.  On a machine shared with other work the wall rate moves
 * with the load; the CPU per event is the work itself and moves far less. */
typedef struct rate {
    double per_s, cpu_us;
} rate_t;

/* utime + stime of a process (all its threads), in seconds. */
static double cpu_s(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* After the name's closing parenthesis: state is field 3, utime 14. */
    if (!(p = strrchr(buf, ')')) ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

typedef struct window {
    double t0, c0;
} window_t;

static void win_start(window_t *w)
{
    w->c0 = cpu_s(G.qemu) + cpu_s(getpid());
    w->t0 = live_now();
}

static rate_t win_end(const window_t *w, uint64_t n)
{
    double t = live_now() - w->t0, c = cpu_s(G.qemu) + cpu_s(getpid()) - w->c0;
    rate_t r = { 0, 0 };
    if (n && t > 0) {
        r.per_s = (double)n / t;
        r.cpu_us = c * 1e6 / (double)n;
    }
    return r;
}

/* ---- TinyVMI's events ---- */

static event_response_t count_cb(vmi_instance_t vmi, vmi_event_t *e)
{
    (void)vmi;
    (void)e;
    n_events++;
    return VMI_EVENT_RESPONSE_NONE;
}

static uint8_t bp_orig;
static vmi_event_t bp_ss;
/* While set, the step after a hit puts the INT3 back; cleared before the
 * teardown drains the last events, so that no INT3 is left in the guest. */
static bool bp_armed;

static event_response_t bp_cb(vmi_instance_t vmi, vmi_event_t *e)
{
    if (e->interrupt_event.gla != getppid_va) {
        e->interrupt_event.reinject = 1;
        return VMI_EVENT_RESPONSE_NONE;
    }
    n_events++;
    e->interrupt_event.reinject = 0;
    vmi_write_8_va(vmi, getppid_va, 0, &bp_orig);
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

static event_response_t bp_step_cb(vmi_instance_t vmi, vmi_event_t *e)
{
    uint8_t cc = 0xcc;
    (void)e;
    if (bp_armed)
        vmi_write_8_va(vmi, getppid_va, 0, &cc);
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

/* Events per second of ev (and for INT3 the single-step helper). */
static rate_t tinyvmi_rate(const char *what, vmi_event_t *ev, bool int3)
{
    vmi_instance_t vmi;
    window_t w;
    rate_t r = { 0, 0 };
    uint8_t cc = 0xcc;

    check_alive(what);
    if (!(vmi = open_vmi()))
        return r;
    n_events = 0;
    if (int3) {
        vmi_read_8_va(vmi, getppid_va, 0, &bp_orig);
        memset(&bp_ss, 0, sizeof(bp_ss));
        SETUP_SINGLESTEP_EVENT(&bp_ss, 1, bp_step_cb, 0);
        vmi_register_event(vmi, &bp_ss);
    }
    if (vmi_register_event(vmi, ev) != VMI_SUCCESS) {
        fprintf(stderr, "bench: %s: %s\n", what, tvmi_errmsg(vmi));
        vmi_destroy(vmi);
        return r;
    }
    if (int3) {
        bp_armed = true;
        vmi_write_8_va(vmi, getppid_va, 0, &cc);
    }
    set_spin(1);
    win_start(&w);
    while (live_now() - w.t0 < SECS)
        if (vmi_events_listen(vmi, 100) != VMI_SUCCESS) {
            fprintf(stderr, "bench: %s: %s\n", what, tvmi_errmsg(vmi));
            break;
        }
    r = win_end(&w, n_events);
    set_spin(0);
    bp_armed = false;
    vmi_pause_vm(vmi);
    if (int3)
        vmi_write_8_va(vmi, getppid_va, 0, &bp_orig);
    while (vmi_are_events_pending(vmi) > 0)
        vmi_events_listen(vmi, 0);
    /* A hit drained above stepped on with the byte restored: still the
     * original, but write it once more in case the guest raced us. */
    if (int3)
        vmi_write_8_va(vmi, getppid_va, 0, &bp_orig);
    vmi_clear_event(vmi, ev, NULL);
    if (int3)
        vmi_clear_event(vmi, &bp_ss, NULL);
    vmi_resume_vm(vmi);
    vmi_destroy(vmi);
    return r;
}

/* ---- QEMU's ceiling: a minimal gdbstub client ---- */

static bool hmp(const char *line, char **out)
{
    qemu_qmp_t q;
    util_err_t err;
    bool ok = qemu_qmp_open(&q, G.qmp, 10000, &err) == VMI_SUCCESS &&
              qemu_qmp_hmp(&q, line, out, &err) == VMI_SUCCESS;
    if (!ok)
        fprintf(stderr, "bench: HMP %s: %s\n", line, err.msg);
    qemu_qmp_close(&q);
    return ok;
}

static bool start_gdbserver(const char *spec)
{
    char cmd[160], *out = NULL;
    bool ok;
    if (hmp("gdbserver none", &out))
        free(out);
    snprintf(cmd, sizeof(cmd), "gdbserver %s", spec);
    ok = hmp(cmd, &out) && strstr(out, "Waiting");
    free(out);
    return ok;
}

static rate_t raw_rate(unsigned type, addr_t va, uint64_t len, bool step_only, bool regs)
{
    char path[128];
    qemu_gdb_t g;
    qemu_gdb_stop_t stop;
    util_err_t err;
    bool was;
    window_t w;
    rate_t r = { 0, 0 };
    uint64_t n = 0;

    check_alive("a ceiling run");
    snprintf(path, sizeof(path), "unix:%s/raw.sock,server=on,wait=off", G.dir);
    if (!start_gdbserver(path))
        return r;
    snprintf(path, sizeof(path), "%s/raw.sock", G.dir);
    if (qemu_gdb_open(&g, path, 10000, &was, &err) != VMI_SUCCESS) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return r;
    }
    if (!step_only && qemu_gdb_point(&g, true, type, va, len, &err) != VMI_SUCCESS)
        goto out;
    set_spin(1);
    win_start(&w);
    while (live_now() - w.t0 < SECS) {
        if (qemu_gdb_resume(&g, step_only ? "vCont;s:p1.1" : "c", &err) != VMI_SUCCESS ||
            qemu_gdb_wait_stop(&g, qemu_now_ms() + 5000, &stop, &err) != 1)
            break;
        n++;
        /* A LibVMI event carries the vCPU's registers: one 'g'. */
        if (regs) {
            uint8_t b[QEMU_GDB_MAX_PACKET];
            size_t bl;
            if (qemu_gdb_read_regs(&g, stop.thread, b, sizeof(b), &bl, &err) != VMI_SUCCESS)
                break;
        }
        /* Off the breakpoint: remove, step, insert (what gdb does too). */
        if (type == 0 && !step_only &&
            (qemu_gdb_point(&g, false, 0, va, 1, &err) != VMI_SUCCESS ||
             qemu_gdb_resume(&g, "vCont;s:p1.1", &err) != VMI_SUCCESS ||
             qemu_gdb_wait_stop(&g, qemu_now_ms() + 5000, &stop, &err) != 1 ||
             qemu_gdb_point(&g, true, 0, va, 1, &err) != VMI_SUCCESS))
            break;
    }
    r = win_end(&w, n);
    set_spin(0);
    if (!step_only)
        qemu_gdb_point(&g, false, type, va, len, &err);
out:
    qemu_gdb_detach(&g, &err);
    qemu_gdb_close(&g);
    {
        char *o = NULL;
        if (hmp("gdbserver none", &o))
            free(o);
    }
    return r;
}

/* ---- gdb -batch on the same stub (over TCP loopback: gdb 13 has no
 * UNIX-socket transport) ---- */

static int gdb_port(void)
{
    static int serial;
    return 20000 + (int)(getpid() % 20000) + 2 * serial++;
}

/* A line of the gdb script that prints "TVMI-<tag>=<seconds> <ticks>": the
 * wall clock and the CPU ticks gdb ($PPID of gdb's shell) and QEMU used. */
static void gdb_stamp(FILE *f, const char *tag)
{
    fprintf(f, "shell echo TVMI-%s=$(date +%%s.%%N) $(cat /proc/$PPID/stat /proc/%ld/stat | "
               "sed 's/.*) //' | awk '{ t += $12 + $13 } END { print t }')\n", tag,
            (long)G.qemu);
}

/* Events per second of a gdb script whose body (between two stamps) makes
 * `want` events and then prints "$1 = want".  gdb's own start and
 * connection fall outside the stamps, so one run gives the rate.  Zero
 * unless gdb exited well and counted every event; -1 when there is no gdb. */
static rate_t gdb_rate(const char *setup, const char *body, unsigned want)
{
    char spec[64], script[256], out[300], cmd[700], line[256];
    double t0 = -1, t1 = -1, c0 = 0, c1 = 0;
    bool counted = false;
    rate_t r = { 0, 0 };
    FILE *f;
    int rc, port = gdb_port();

    check_alive("a gdb run");
    if (system("command -v gdb >/dev/null 2>&1") != 0) {
        r.per_s = -1;
        return r;
    }
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port);
    if (!start_gdbserver(spec))
        return r;
    snprintf(script, sizeof(script), "%s/bench.gdb", G.dir);
    snprintf(out, sizeof(out), "%s.out", script);
    if (!(f = fopen(script, "w")))
        return r;
    fprintf(f, "set pagination off\nset confirm off\ntarget remote 127.0.0.1:%d\n%s\n", port,
            setup);
    gdb_stamp(f, "T0");
    fprintf(f, "%s\n", body);
    gdb_stamp(f, "T1");
    fprintf(f, "delete\nprint $n\ndetach\n");
    fclose(f);
    snprintf(cmd, sizeof(cmd), "timeout -k 5 120 gdb -batch -nx -x %s >%s 2>&1", script, out);
    set_spin(1);
    rc = system(cmd);
    set_spin(0);
    if ((f = fopen(out, "r"))) {
        while (fgets(line, sizeof(line), f)) {
            unsigned n;
            sscanf(line, "TVMI-T0=%lf %lf", &t0, &c0);
            sscanf(line, "TVMI-T1=%lf %lf", &t1, &c1);
            if (sscanf(line, "$1 = %u", &n) == 1 && n == want)
                counted = true;
        }
        fclose(f);
    }
    {
        char *o = NULL;
        if (hmp("gdbserver none", &o))
            free(o);
    }
    if (rc != 0 || !counted || t0 < 0 || t1 <= t0) {
        fprintf(stderr, "bench: gdb did not count %u events (see %s)\n", want, out);
        return r;
    }
    r.per_s = want / (t1 - t0);
    r.cpu_us = (c1 - c0) / (double)sysconf(_SC_CLK_TCK) * 1e6 / want;
    return r;
}

/* A watch or break with `commands; silent; continue` until n events. */
static rate_t gdb_point_rate(const char *point, unsigned n)
{
    char setup[256], body[160];
    snprintf(setup, sizeof(setup), "set $n = 0\n%s\ncommands\nsilent\nset $n = $n + 1\n"
                                   "if $n < %u\ncontinue\nend\nend", point, n);
    snprintf(body, sizeof(body), "continue");
    return gdb_rate(setup, body, n);
}

/* stepi in a scripted loop, n times. */
static rate_t gdb_step_rate(unsigned n)
{
    char body[160];
    snprintf(body, sizeof(body), "while $n < %u\nstepi\nset $n = $n + 1\nend", n);
    return gdb_rate("set $n = 0", body, n);
}

/* ---- Reads ---- */

static double mbps(double bytes, double secs)
{
    return secs > 0 ? bytes / secs / 1e6 : 0;
}

static void bench_reads(void)
{
    vmi_instance_t vmi = open_vmi();
    int fd = open(G.ram, O_RDONLY);
    struct stat st;
    const uint8_t *ram;
    uint8_t *buf = malloc(4096);
    addr_t pob = 0, base = 16u << 20;
    double t0, t_memcpy = 1e9, t_pa = 1e9, t_va = 1e9, t_vaw = 1e9, t;
    char *out = NULL;
    unsigned xp_pages = 0;

    if (!vmi || fd < 0 || fstat(fd, &st) != 0 || !buf)
        return;
    ram = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (ram == MAP_FAILED)
        return;
    vmi_read_addr_ksym(vmi, "page_offset_base", &pob);
    /* Best of 9, interleaved: a busy machine gives each its quiet moment. */
    for (int r = 0; r < 9; r++) {
        t0 = live_now();
        for (size_t off = 0; off < READ_BYTES; off += 4096)
            memcpy(buf, ram + base + off, 4096);
        __asm__ volatile("" ::"r"(buf) : "memory");
        if ((t = live_now() - t0) < t_memcpy)
            t_memcpy = t;
        t0 = live_now();
        for (size_t off = 0; off < READ_BYTES; off += 4096)
            vmi_read_pa(vmi, base + off, 4096, buf, NULL);
        if ((t = live_now() - t0) < t_pa)
            t_pa = t;
        vmi_v2pcache_flush(vmi, ~0ULL);
        t0 = live_now();
        for (size_t off = 0; pob && off < READ_BYTES; off += 4096)
            vmi_read_va(vmi, pob + base + off, 0, 4096, buf, NULL);
        if ((t = live_now() - t0) < t_va)
            t_va = t;
        /* Again, translations cached (the v2p cache holds them now). */
        t0 = live_now();
        for (size_t off = 0; pob && off < READ_BYTES; off += 4096)
            vmi_read_va(vmi, pob + base + off, 0, 4096, buf, NULL);
        if ((t = live_now() - t0) < t_vaw)
            t_vaw = t;
    }
    vmi_destroy(vmi);
    /* QMP: xp prints 512 quadwords (one page) as text per command. */
    t0 = live_now();
    {
        qemu_qmp_t q;
        util_err_t err;
        char line[64];
        if (qemu_qmp_open(&q, G.qmp, 10000, &err) == VMI_SUCCESS) {
            while (live_now() - t0 < 1.0) {
                snprintf(line, sizeof(line), "xp /512gx 0x%" PRIx64,
                         (uint64_t)(base + (uint64_t)xp_pages * 4096));
                if (qemu_qmp_hmp(&q, line, &out, &err) != VMI_SUCCESS)
                    break;
                free(out);
                xp_pages++;
            }
            t = live_now() - t0;
            /* pmemsave: QEMU writes the bytes to a file. */
            char args[256];
            snprintf(args, sizeof(args), "{\"val\":%u,\"size\":%u,\"filename\":\"%s/pmem.bin\"}",
                     (unsigned)base, READ_BYTES, G.dir);
            double p0 = live_now();
            qemu_qmp_exec(&q, "pmemsave", args, NULL, NULL, &err);
            double tp = live_now() - p0;
            qemu_qmp_close(&q);
            printf("  %-34s %10.0f MB/s\n", "memcpy of the mapped RAM file", mbps(READ_BYTES, t_memcpy));
            printf("  %-34s %10.0f MB/s   (%.2fx memcpy)\n", "TinyVMI vmi_read_pa, 4 KiB reads",
                   mbps(READ_BYTES, t_pa), t_pa / t_memcpy);
            printf("  %-34s %10.0f MB/s   (%.2fx memcpy)\n", "TinyVMI vmi_read_va (cold walks)",
                   mbps(READ_BYTES, t_va), t_va / t_memcpy);
            printf("  %-34s %10.0f MB/s   (%.2fx memcpy)\n", "TinyVMI vmi_read_va (cached walks)",
                   mbps(READ_BYTES, t_vaw), t_vaw / t_memcpy);
            printf("  %-34s %10.1f MB/s   (%u pages in %.1f s)\n", "QMP human-monitor xp /512gx",
                   mbps((double)xp_pages * 4096, t), xp_pages, t);
            printf("  %-34s %10.0f MB/s   (64 MiB to a file)\n", "QMP pmemsave", mbps(READ_BYTES, tp));
        }
    }
    {
        char rm[200];
        snprintf(rm, sizeof(rm), "rm -f %s/pmem.bin", G.dir);
        if (system(rm) != 0)
            fprintf(stderr, "bench: cannot remove pmem.bin\n");
    }
    munmap((void *)ram, (size_t)st.st_size);
    close(fd);
    free(buf);
}

/* One kind of event, measured every way (TinyVMI, the ceiling, the
 * ceiling with a register read, gdb); best figures over the rounds. */
enum { W_TV, W_CEIL, W_REGS, W_GDB, N_WAYS };
typedef struct kind {
    const char *name, *section;
    rate_t way[N_WAYS];
} kind_t;

/* The highest rate and, separately, the least CPU per event seen. */
static void keep(kind_t *k, int way, rate_t r)
{
    rate_t *b = &k->way[way];
    if (r.per_s < 0) {
        b->per_s = -1;
        return;
    }
    if (r.per_s > b->per_s)
        b->per_s = r.per_s;
    if (r.cpu_us > 0 && (b->cpu_us <= 0 || r.cpu_us < b->cpu_us))
        b->cpu_us = r.cpu_us;
}

static void load(const char *when)
{
    char buf[64];
    if (live_read_file("/proc/loadavg", buf, sizeof(buf)))
        printf("  load average %s: %s (%ld cores)\n", when, buf, sysconf(_SC_NPROCESSORS_ONLN));
}

/* Ends the run when QEMU has gone: what it said last, and no figures from
 * a dead guest. */
static void check_alive(const char *before)
{
    char cmd[300];
    if (G.qemu <= 0 || kill(G.qemu, 0) == 0)
        return;
    fprintf(stderr, "bench_live: QEMU has gone (before %s); its last words and the guest's:\n",
            before);
    snprintf(cmd, sizeof(cmd), "tail -n 5 %s/qemu.log >&2; tail -n 25 %s >&2", G.dir, G.console);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_live: (no logs)\n");
    exit(1);
}

static double ratio(double a, double b)
{
    return a > 0 && b > 0 ? a / b : 0;
}

/* Sections named on the command line (none: all). */
static int n_sections;
static char **sections;

static bool want(const char *section)
{
    for (int i = 0; i < n_sections; i++)
        if (strcmp(sections[i], section) == 0)
            return true;
    return n_sections == 0;
}

/* The rates, or the CPU per event, with TinyVMI's speed over each other
 * way's (for the CPU: the other's cost over TinyVMI's). */
static void print_table(const kind_t *k, int n, bool cpu)
{
    printf("  %-27s %9s %9s %9s %9s %8s %8s %7s\n", cpu ? "CPU us per event" : "events per second",
           "TinyVMI", "ceiling", "+regs", "gdb", "vs ceil", "vs +regs", "vs gdb");
    for (int i = 0; i < n; i++) {
        double v[N_WAYS], sp[N_WAYS];
        if (!want(k[i].section))
            continue;
        for (int w = 0; w < N_WAYS; w++) {
            v[w] = cpu ? k[i].way[w].cpu_us : k[i].way[w].per_s;
            v[w] = v[w] < 0 ? 0 : v[w];
            sp[w] = cpu ? ratio(v[w], v[W_TV]) : ratio(v[W_TV], v[w]);
        }
        printf("  %-27s %9.0f %9.0f %9.0f %9.0f %7.0f%% %7.0f%% %6.1fx\n", k[i].name, v[W_TV],
               v[W_CEIL], v[W_REGS], v[W_GDB], 100 * sp[W_CEIL], 100 * sp[W_REGS], sp[W_GDB]);
    }
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi;
    vmi_event_t ev;
    char point[128];
    kind_t k[3] = {
        { .name = "write watch (memory event)", .section = "watch" },
        { .name = "breakpoint (INT3 idiom)", .section = "int3" },
        { .name = "single step", .section = "step" },
    };
    double t_start = live_now();
    int rounds = ROUNDS;

    if (argc > 1 && argv[1][0] == '-') {
        printf("usage: %s [reads] [watch] [int3] [step]   (none: all)\n", argv[0]);
        return argv[1][1] == 'h' ? 0 : 2;
    }
    n_sections = argc - 1;
    sections = argv + 1;
    for (int i = 0; i < n_sections; i++)
        if (strcmp(sections[i], "reads") && strcmp(sections[i], "watch") &&
            strcmp(sections[i], "int3") && strcmp(sections[i], "step")) {
            fprintf(stderr, "bench_live: no section \"%s\" (reads, watch, int3, step)\n",
                    sections[i]);
            return 2;
        }
    {
        const char *r = getenv("TINYVMI_BENCH_LIVE_ROUNDS");
        if (r && atoi(r) >= 1 && atoi(r) <= 20)
            rounds = atoi(r);
    }
    /* Bounded: the guest ends with us (live.h), even on this alarm. */
    alarm(480);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!live_start(&G, false) || !G.hot_va) {
        fprintf(stderr, "bench_live: the live guest did not start\n");
        return 1;
    }
    if (!(vmi = open_vmi()))
        return 1;
    vmi_translate_uv2p(vmi, G.hot_va, G.counter_pid, &hot_pa);
    vmi_translate_uv2p(vmi, G.spin_va, G.counter_pid, &spin_pa);
    getppid_va = live_sym(&G, "__x64_sys_getppid");
    vmi_destroy(vmi);
    load("at start");
    if (want("reads")) {
        printf("== live QEMU (TCG, 1 vCPU): reads while the guest runs\n");
        bench_reads();
    }

    if (!want("watch") && !want("int3") && !want("step")) {
        load("at the end");
        return 0;
    }
    printf("== events per second (the guest writes `hot` and calls getppid() in a tight "
           "loop; %.1f s each, every way in turn, best of %d rounds)\n", SECS, rounds);
    for (int round = 0; round < rounds; round++) {
        check_alive("the write watch");
        if (want("watch")) {
            memset(&ev, 0, sizeof(ev));
            SETUP_MEM_EVENT(&ev, hot_pa >> 12, VMI_MEMACCESS_W, count_cb, 0);
            keep(&k[0], W_TV, tinyvmi_rate("memory event", &ev, false));
            keep(&k[0], W_CEIL, raw_rate(2, G.hot_va, 8, false, false));
            keep(&k[0], W_REGS, raw_rate(2, G.hot_va, 8, false, true));
            snprintf(point, sizeof(point), "watch *(long *)0x%" PRIx64, G.hot_va);
            keep(&k[0], W_GDB, gdb_point_rate(point, GDB_WATCHES));
        }
        check_alive("the breakpoints");
        if (want("int3")) {
            memset(&ev, 0, sizeof(ev));
            SETUP_INTERRUPT_EVENT(&ev, bp_cb);
            keep(&k[1], W_TV, tinyvmi_rate("INT3 event", &ev, true));
            keep(&k[1], W_CEIL, raw_rate(0, getppid_va, 1, false, false));
            keep(&k[1], W_REGS, raw_rate(0, getppid_va, 1, false, true));
            snprintf(point, sizeof(point), "break *0x%" PRIx64, getppid_va);
            keep(&k[1], W_GDB, gdb_point_rate(point, GDB_BREAKS));
        }
        check_alive("the single steps");
        if (want("step")) {
            memset(&ev, 0, sizeof(ev));
            SETUP_SINGLESTEP_EVENT(&ev, 1, count_cb, 1);
            keep(&k[2], W_TV, tinyvmi_rate("single-step event", &ev, false));
            keep(&k[2], W_CEIL, raw_rate(0, 0, 0, true, false));
            keep(&k[2], W_REGS, raw_rate(0, 0, 0, true, true));
            keep(&k[2], W_GDB, gdb_step_rate(GDB_STEPS));
        }
    }
    if (system("command -v gdb >/dev/null 2>&1") != 0)
        printf("  (no gdb on this machine: its columns are empty)\n");
    check_alive("the tables");
    print_table(k, 3, false);
    print_table(k, 3, true);
    printf("  ceiling: a minimal client of the same gdbstub doing no work per stop (continue,\n"
           "  read the stop reply; off a breakpoint: remove, step, insert, as every client\n"
           "  must).  +regs: the same plus one register read ('g') per stop, which every\n"
           "  LibVMI event needs (event->x86_regs).  gdb -batch: a scripted watch / break /\n"
           "  stepi loop (%u / %u / %u events, timed inside gdb); gdb connects over TCP\n"
           "  loopback (gdb 13 has no UNIX-socket transport), TinyVMI and the ceilings over\n"
           "  a UNIX socket.  CPU per event: QEMU's (all threads) and the client's own, from\n"
           "  /proc (10 ms ticks); its \"vs\" columns are the other's cost over TinyVMI's.\n"
           "  A shared machine's load moves the rates far more than the CPU per event; each\n"
           "  figure is the best of its rounds.\n", GDB_WATCHES, GDB_BREAKS, GDB_STEPS);
    load("at the end");
    printf("  bench_live took %.0f s (the guest's boot included)\n", live_now() - t_start);
    return 0;
}
