/*
 * live.h - a running test guest for the live tests and the live benchmark:
 * boots it with tests/live/live-guest.sh, reads what the guest printed
 * about itself on its console (the ground truth), and makes sure QEMU ends
 * on every exit path (atexit, SIGINT/SIGTERM/SIGALRM, and a hard lifetime
 * in the launcher itself).  Header-only, like guest.h.
 */
#ifndef TINYVMI_TEST_LIVE_H
#define TINYVMI_TEST_LIVE_H

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef struct live_guest {
    char dir[64];
    char qmp[128];
    char console[128];
    pid_t qemu;           /* QEMU's own pid */
    char ram[256];        /* its RAM file */
    /* From the guest's console. */
    int counter_pid, fork_pid;
    uint64_t counter_va, request_va, done_va, spin_va, hot_va;
} live_guest_t;

static live_guest_t *live_current;

static inline void live_stop(live_guest_t *g)
{
    char cmd[256];
    if (!g || !g->dir[0])
        return;
    snprintf(cmd, sizeof(cmd), "sh tests/live/live-guest.sh stop %s >/dev/null 2>&1", g->dir);
    if (system(cmd) != 0 && g->qemu > 0)
        kill(g->qemu, SIGKILL);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "live: could not remove %s\n", g->dir);
    g->dir[0] = '\0';
}

static inline void live_atexit(void)
{
    live_stop(live_current);
}

/* Signals: end QEMU with async-signal-safe calls only, then die. */
static inline void live_on_signal(int sig)
{
    if (live_current && live_current->qemu > 0)
        kill(live_current->qemu, SIGKILL);
    if (live_current && live_current->ram[0])
        unlink(live_current->ram);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The whole console text (malloc'd). */
static inline char *live_console(const live_guest_t *g)
{
    FILE *f = fopen(g->console, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (n + 4097 > cap) {
            char *b = realloc(buf, cap = cap * 2 + 8192);
            if (!b)
                break;
            buf = b;
        }
        size_t k = fread(buf + n, 1, 4096, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* The console's last lines on stderr: what a guest said before it died
 * (an oops, a panic) is the only clue a failed live run leaves behind. */
static inline void live_print_console_tail(const live_guest_t *g, int lines)
{
    char *text = live_console(g), *p;
    if (!text) {
        fprintf(stderr, "  (no console log at %s)\n", g->console);
        return;
    }
    p = text + strlen(text);
    while (p > text && lines >= 0)
        if (*--p == '\n')
            lines--;
    fprintf(stderr, "  -- the guest's console, last lines:\n%s\n  -- end of console\n",
            p == text ? p : p + 1);
    free(text);
}

/* Value of "TINYVMI-SYM <addr> <type> <name>"; 0 when the guest printed none. */
static inline uint64_t live_sym(const live_guest_t *g, const char *name)
{
    char *text = live_console(g), *p = text;
    uint64_t v = 0;
    while (p && (p = strstr(p, "TINYVMI-SYM "))) {
        unsigned long long a;
        char t, n[128];
        if (sscanf(p, "TINYVMI-SYM %llx %c %127s", &a, &t, n) == 3 && strcmp(n, name) == 0) {
            v = a;
            break;
        }
        p++;
    }
    free(text);
    return v;
}

/* Does the console hold this text (after the kernel's own timestamps)? */
static inline bool live_said(const live_guest_t *g, const char *what)
{
    char *text = live_console(g);
    bool r = text && strstr(text, what);
    free(text);
    return r;
}

static inline bool live_read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(out, (int)cap, f);
    if (f)
        fclose(f);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok;
}

/* Boot the guest (fork: also the process that forks every 200 ms). */
static inline bool live_start(live_guest_t *g, bool fork)
{
    char cmd[256], buf[256], *text, *p;
    unsigned long long c, r, d, sp = 0, h = 0;

    memset(g, 0, sizeof(*g));
    snprintf(g->dir, sizeof(g->dir), "/tmp/tvlive.%ld", (long)getpid());
    snprintf(g->qmp, sizeof(g->qmp), "%s/qmp.sock", g->dir);
    snprintf(g->console, sizeof(g->console), "%s/console.log", g->dir);
    live_current = g;
    atexit(live_atexit);
    signal(SIGINT, live_on_signal);
    signal(SIGTERM, live_on_signal);
    signal(SIGALRM, live_on_signal);
    snprintf(cmd, sizeof(cmd), "sh tests/live/live-guest.sh start %s%s", g->dir,
             fork ? " --fork" : "");
    if (system(cmd) != 0)
        return false;
    snprintf(cmd, sizeof(cmd), "%s/qemu.child", g->dir);
    if (live_read_file(cmd, buf, sizeof(buf)))
        g->qemu = (pid_t)atoi(buf);
    snprintf(cmd, sizeof(cmd), "%s/ram.path", g->dir);
    live_read_file(cmd, g->ram, sizeof(g->ram));
    text = live_console(g);
    if (text && (p = strstr(text, "TINYVMI-LIVE counter pid=")) &&
        sscanf(p, "TINYVMI-LIVE counter pid=%d counter=%llx request=%llx done=%llx "
               "spin=%llx hot=%llx", &g->counter_pid, &c, &r, &d, &sp, &h) >= 4) {
        g->counter_va = c;
        g->request_va = r;
        g->done_va = d;
        g->spin_va = sp;
        g->hot_va = h;
    }
    if (text && (p = strstr(text, "TINYVMI-LIVE fork pid=")))
        sscanf(p, "TINYVMI-LIVE fork pid=%d", &g->fork_pid);
    free(text);
    return g->counter_pid > 0 && g->counter_va && g->qemu > 0;
}

static inline double live_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
