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
 * (tests/live/live-guest.sh), which this program boots and ends.
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

#define SECS 3.0
#define ROUNDS 2
#define READ_BYTES (64u << 20)

static live_guest_t G;
static addr_t hot_pa, spin_pa, getppid_va;
static uint64_t n_events;

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
    vmi_write_8_va(vmi, getppid_va, 0, &cc);
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

/* Events per second of ev (and for INT3 the single-step helper). */
static double tinyvmi_rate(const char *what, vmi_event_t *ev, bool int3, const char *config)
{
    vmi_instance_t vmi = NULL;
    double t0, t;
    uint8_t cc = 0xcc;

    if (config) {
        if (vmi_init_complete(&vmi, G.qmp, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                              (void *)config, NULL) != VMI_SUCCESS)
            vmi = NULL;
    } else {
        vmi = open_vmi();
    }
    if (!vmi)
        return 0;
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
        return 0;
    }
    if (int3)
        vmi_write_8_va(vmi, getppid_va, 0, &cc);
    set_spin(1);
    t0 = live_now();
    while ((t = live_now()) - t0 < SECS)
        if (vmi_events_listen(vmi, 100) != VMI_SUCCESS) {
            fprintf(stderr, "bench: %s: %s\n", what, tvmi_errmsg(vmi));
            break;
        }
    set_spin(0);
    vmi_pause_vm(vmi);
    if (int3)
        vmi_write_8_va(vmi, getppid_va, 0, &bp_orig);
    while (vmi_are_events_pending(vmi) > 0)
        vmi_events_listen(vmi, 0);
    vmi_clear_event(vmi, ev, NULL);
    if (int3)
        vmi_clear_event(vmi, &bp_ss, NULL);
    vmi_resume_vm(vmi);
    vmi_destroy(vmi);
    return (double)n_events / (t - t0);
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

static double raw_rate(unsigned type, addr_t va, uint64_t len, bool step_only, bool regs)
{
    char path[128];
    qemu_gdb_t g;
    qemu_gdb_stop_t stop;
    util_err_t err;
    bool was;
    double t0, t;
    uint64_t n = 0;

    snprintf(path, sizeof(path), "unix:%s/raw.sock,server=on,wait=off", G.dir);
    if (!start_gdbserver(path))
        return 0;
    snprintf(path, sizeof(path), "%s/raw.sock", G.dir);
    if (qemu_gdb_open(&g, path, 10000, &was, &err) != VMI_SUCCESS) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 0;
    }
    if (!step_only && qemu_gdb_point(&g, true, type, va, len, &err) != VMI_SUCCESS)
        goto out;
    set_spin(1);
    t0 = live_now();
    while ((t = live_now()) - t0 < SECS) {
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
    return n ? (double)n / (t - t0) : 0;
}

/* ---- gdb -batch on the same stub (over TCP loopback: gdb 13 has no
 * UNIX-socket transport) ---- */

/* Run script with gdb; the seconds it took, or -1 unless gdb exited well
 * and printed "$1 = want" (the events it counted). */
static double gdb_run(const char *script, unsigned want)
{
    char cmd[512], out[256], line[256];
    FILE *f;
    bool counted = false;
    double t0 = live_now();
    int rc;

    snprintf(out, sizeof(out), "%s.out", script);
    snprintf(cmd, sizeof(cmd), "timeout 300 gdb -batch -nx -x %s >%s 2>&1", script, out);
    rc = system(cmd);
    t0 = live_now() - t0;
    if ((f = fopen(out, "r"))) {
        while (fgets(line, sizeof(line), f)) {
            unsigned n;
            if (sscanf(line, "$1 = %u", &n) == 1 && n == want)
                counted = true;
        }
        fclose(f);
    }
    if (rc != 0 || !counted) {
        fprintf(stderr, "bench: gdb did not count %u events (see %s)\n", want, out);
        return -1;
    }
    return t0;
}

static double gdb_rate(const char *setup, unsigned n)
{
    char spec[64], script[256];
    FILE *f;
    double t[2] = { 0, 0 };
    unsigned counts[2] = { 1, n };
    int port = 20000 + (int)(getpid() % 20000);

    if (system("command -v gdb >/dev/null 2>&1") != 0)
        return -1;
    snprintf(script, sizeof(script), "%s/bench.gdb", G.dir);
    for (int round = 0; round < 2; round++) {
        snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port + round);
        if (!start_gdbserver(spec))
            return 0;
        if (!(f = fopen(script, "w")))
            return 0;
        fprintf(f, "set pagination off\nset confirm off\ntarget remote 127.0.0.1:%d\n"
                   "set $n = 0\n%s\ncommands\nsilent\nset $n = $n + 1\nif $n < %u\n"
                   "continue\nend\nend\ncontinue\ndelete\nprint $n\ndetach\n",
                port + round, setup, counts[round]);
        fclose(f);
        set_spin(1);
        t[round] = gdb_run(script, counts[round]);
        set_spin(0);
        if (t[round] < 0)
            return 0;
    }
    {
        char *o = NULL;
        if (hmp("gdbserver none", &o))
            free(o);
    }
    /* Start-up and connection cost (the 1-event run) taken out. */
    return t[1] > t[0] ? (double)(n - 1) / (t[1] - t[0]) : 0;
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
    double t0, t_memcpy = 1e9, t_pa = 1e9, t_va = 1e9, t;
    char *out = NULL;
    unsigned xp_pages = 0;

    if (!vmi || fd < 0 || fstat(fd, &st) != 0 || !buf)
        return;
    ram = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (ram == MAP_FAILED)
        return;
    vmi_read_addr_ksym(vmi, "page_offset_base", &pob);
    for (int r = 0; r < 3; r++) {
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
            printf("  %-34s %10.1f MB/s   (%u pages in %.1f s)\n", "QMP human-monitor xp /512gx",
                   mbps((double)xp_pages * 4096, t), xp_pages, t);
            printf("  %-34s %10.0f MB/s   (64 MiB to a file)\n", "QMP pmemsave", mbps(READ_BYTES, tp));
        }
    }
    snprintf(G.console, sizeof(G.console), "%s/console.log", G.dir);
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

int main(void)
{
    vmi_instance_t vmi;
    vmi_event_t ev;
    char setup[128];
    double ceil_w, ceil_b, ceil_s, tv_w, tv_b, tv_s, gdb_w, gdb_b, gdb_s;
    double reg_w = 0, reg_b = 0, reg_s = 0;

    alarm(900);
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
    printf("== live QEMU (TCG, 1 vCPU): reads while the guest runs\n");
    bench_reads();

    printf("== events per second (the guest writes `hot` and calls getppid() in a tight "
           "loop; %.0f s each, best of %d rounds taken in turn)\n", SECS, ROUNDS);
    tv_w = ceil_w = gdb_w = tv_b = ceil_b = gdb_b = tv_s = ceil_s = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double x;
        memset(&ev, 0, sizeof(ev));
        SETUP_MEM_EVENT(&ev, hot_pa >> 12, VMI_MEMACCESS_W, count_cb, 0);
        x = tinyvmi_rate("memory event", &ev, false, NULL);
        tv_w = x > tv_w ? x : tv_w;
        x = raw_rate(2, G.hot_va, 8, false, false);
        ceil_w = x > ceil_w ? x : ceil_w;
        x = raw_rate(2, G.hot_va, 8, false, true);
        reg_w = x > reg_w ? x : reg_w;
        snprintf(setup, sizeof(setup), "watch *(long *)0x%" PRIx64, G.hot_va);
        x = gdb_rate(setup, 2000);
        gdb_w = x > gdb_w ? x : gdb_w;

        memset(&ev, 0, sizeof(ev));
        SETUP_INTERRUPT_EVENT(&ev, bp_cb);
        x = tinyvmi_rate("INT3 event", &ev, true, NULL);
        tv_b = x > tv_b ? x : tv_b;
        x = raw_rate(0, getppid_va, 1, false, false);
        ceil_b = x > ceil_b ? x : ceil_b;
        x = raw_rate(0, getppid_va, 1, false, true);
        reg_b = x > reg_b ? x : reg_b;
        snprintf(setup, sizeof(setup), "break *0x%" PRIx64, getppid_va);
        x = gdb_rate(setup, 500);
        gdb_b = x > gdb_b ? x : gdb_b;

        memset(&ev, 0, sizeof(ev));
        SETUP_SINGLESTEP_EVENT(&ev, 1, count_cb, 1);
        x = tinyvmi_rate("single-step event", &ev, false, NULL);
        tv_s = x > tv_s ? x : tv_s;
        x = raw_rate(0, 0, 0, true, false);
        ceil_s = x > ceil_s ? x : ceil_s;
        x = raw_rate(0, 0, 0, true, true);
        reg_s = x > reg_s ? x : reg_s;
    }
    gdb_s = -2;
    {
        /* gdb: stepi in a scripted loop. */
        char spec[64], script[256];
        FILE *f;
        double t[2] = { -1, -1 };
        unsigned counts[2] = { 1, 2000 };
        int port = 40000 + (int)(getpid() % 20000);
        if (system("command -v gdb >/dev/null 2>&1") == 0) {
            snprintf(script, sizeof(script), "%s/step.gdb", G.dir);
            for (int r = 0; r < 2; r++) {
                snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%d", port + r);
                start_gdbserver(spec);
                if ((f = fopen(script, "w"))) {
                    fprintf(f, "set pagination off\ntarget remote 127.0.0.1:%d\nset $i = 0\n"
                               "while $i < %u\nstepi\nset $i = $i + 1\nend\nprint $i\n"
                               "detach\n", port + r, counts[r]);
                    fclose(f);
                }
                t[r] = gdb_run(script, counts[r]);
            }
            gdb_s = t[0] >= 0 && t[1] > t[0] ? 1999.0 / (t[1] - t[0]) : 0;
            char *o = NULL;
            if (hmp("gdbserver none", &o))
                free(o);
        }
    }
    printf("  %-27s %9s %9s %9s %9s %8s %8s %7s\n", "", "TinyVMI", "ceiling", "+regs",
           "gdb", "vs ceil", "vs +regs", "vs gdb");
#define ROW(name, a, c, r, g)                                                                 \
    printf("  %-27s %9.0f %9.0f %9.0f %9.0f %7.0f%% %7.0f%% %6.1fx\n", name, a, c, r,           \
           g < 0 ? 0 : g, c > 0 ? 100 * (a) / (c) : 0, r > 0 ? 100 * (a) / (r) : 0,            \
           g > 0 ? (a) / (g) : 0)
    ROW("write watch (memory event)", tv_w, ceil_w, reg_w, gdb_w);
    ROW("breakpoint (INT3 idiom)", tv_b, ceil_b, reg_b, gdb_b);
    ROW("single step", tv_s, ceil_s, reg_s, gdb_s);
    printf("  ceiling: a minimal client of the same gdbstub doing no work per stop (continue,\n"
           "  read the stop reply; off a breakpoint: remove, step, insert, as every client\n"
           "  must).  +regs: the same plus one register read ('g') per stop, which every\n"
           "  LibVMI event needs (event->x86_regs).  gdb -batch: a scripted watch / break /\n"
           "  stepi loop; gdb connects over TCP loopback (gdb 13 has no UNIX-socket\n"
           "  transport), TinyVMI and the ceilings over a UNIX socket.\n");
    return 0;
}
