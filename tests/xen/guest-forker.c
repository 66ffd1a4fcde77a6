/*
 * guest-forker.c - runs inside the Xen test guests (static, amd64), started
 * by guest-init.sh as /bin/tinyvmi-forker.  Everything it does is something
 * dom0's tests watch for:
 *
 *  - it forks a child every 200 ms (the child exits at once), so the guest
 *    keeps switching address spaces: CR3 writes.  A busybox-only guest may
 *    never switch, since busybox runs its applets in the shell's process;
 *  - it advances a counter every 100 ms, and first prints where it lives,
 *    so dom0 can see the guest run, stop when paused and run again;
 *  - every 100 ms it executes CPUID leaf 0x7417 (a leaf no CPU defines, so
 *    an event for it is ours);
 *  - every second it executes INT3 and ICEBP (INT1), catching the SIGTRAPs
 *    they raise, and, in a PVH guest, asks the monitor for attention from
 *    user space (HVMOP_guest_request_vm_event by VMMCALL or VMCALL).
 *    Under QEMU's SVM, Xen turns ICEBP into #UD (SIGILL, measured: the
 *    forker died of it); the handler then steps over that one byte, so the
 *    forker lives on, and counts it.
 *
 * It prints, before the loop:
 *   TINYVMI-COUNTER <pid> <va of the counter> <start value>
 *   TINYVMI-FORKER cpuid-leaf 0x7417 guest-type <PVH|PV|...> guest-request-rc <rax>
 *   TINYVMI-BENCH <guest-physical address of the bench page, hex>   (0: none)
 * (the request's return value with no monitor listening; -1 is -EPERM).
 *  - it keeps one locked, shared page for bench/xen_events.c and prints its
 *    guest-physical address; while dom0 sets the page's go word, two
 *    children switch to each other as fast as they can (a pipe ping-pong:
 *    every switch is a CR3 write), stamping rdtsc before each one and
 *    timing each round trip (below).  Nothing of this runs unless dom0 asks.
 *
 * It must stay small and never exit: the tests look for it by name.  It
 * wakes 10 times a second: under TCG every wakeup of a guest costs dom0 and
 * the other guest time (50 a second halved their speed).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* REG_RIP */
#endif
#include <signal.h>
#include <ucontext.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_page.h"

/* The high bits mark the counter, so a read of the wrong address is seen. */
#define COUNTER_START 0x7417000000000000ull
#define CPUID_LEAF 0x7417u
#define HYPERVISOR_hvm_op 34
#define HVMOP_guest_request_vm_event 24

static volatile uint64_t tinyvmi_counter = COUNTER_START;

/* The bench page: its layout is bench_page.h's. */
static volatile uint64_t *bench;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One shared, locked page; its frame from /proc/self/pagemap (we run as
 * root, so the frame number is shown).  0 when any step fails. */
static uint64_t bench_page(void)
{
    uint64_t e = 0;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    memset(p, 0, 4096);
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (mlock(p, 4096) != 0 || fd < 0 ||
        pread(fd, &e, sizeof(e), (off_t)((uintptr_t)p / 4096 * 8)) != sizeof(e) ||
        !(e >> 63) || !(e & ((1ull << 55) - 1))) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    close(fd);
    bench = p;
    bench[B_MAGIC] = BENCH_MAGIC;
    return (e & ((1ull << 55) - 1)) * 4096;
}

/* One side of the ping-pong: stamp, wake the other side, block until it
 * answers; the other side, on waking, times the round from the stamp. */
static void ping_pong(int rd, int wr, int first)
{
    char c = 0;
    if (first) {
        bench[B_SEQ]++;
        bench[B_STAMP] = bench_rdtsc();
        if (write(wr, &c, 1) != 1)
            return;
    }
    while (bench[B_GO]) {
        if (read(rd, &c, 1) != 1)
            return;
        uint64_t t = bench_rdtsc();
        bench[B_RTT] += t - bench[B_STAMP];
        bench[B_ROUNDS]++;
        bench[B_SEQ]++;
        bench[B_STAMP] = bench_rdtsc();
        if (write(wr, &c, 1) != 1)
            return;
    }
}

/* The forker's child for one burst: forks the other side and plays. */
static void burst(uint64_t tsc0, uint64_t ns0)
{
    int ab[2], ba[2];
    uint64_t ns = mono_ns();
    if (ns > ns0)
        bench[B_KHZ] = (bench_rdtsc() - tsc0) * 1000000u / (ns - ns0);
    bench[B_BURSTS]++;
    signal(SIGPIPE, SIG_IGN); /* the side that stops last sees EPIPE */
    if (pipe(ab) != 0 || pipe(ba) != 0)
        _exit(1);
    pid_t other = fork();
    if (other == 0) {
        close(ab[1]); /* only the other side may hold each write end, */
        close(ba[0]); /* so that a read ends when that side has gone */
        ping_pong(ab[0], ba[1], 0);
        _exit(0);
    }
    close(ab[0]);
    close(ba[1]);
    if (other > 0)
        ping_pong(ba[0], ab[1], 1);
    close(ab[1]);
    close(ba[0]);
    if (other > 0)
        waitpid(other, NULL, 0);
    _exit(0);
}
static volatile unsigned long traps;
static int amd; /* VMMCALL (AMD) or VMCALL (Intel) */

static void on_trap(int sig)
{
    (void)sig;
    traps++;
}

/* ICEBP delivered as #UD: step over its one byte; any other #UD is a real
 * fault and kills the forker as it would without a handler. */
static void on_ill(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    unsigned char *ip = (unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
    (void)si;
    if (*ip != 0xf1) {
        signal(sig, SIG_DFL);
        return;
    }
    uc->uc_mcontext.gregs[REG_RIP]++;
    traps++;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(0));
}

static long guest_request(void)
{
    long rax = HYPERVISOR_hvm_op;
    if (amd)
        __asm__ volatile("vmmcall" : "+a"(rax) : "D"((long)HVMOP_guest_request_vm_event),
                         "S"(0L) : "memory");
    else
        __asm__ volatile("vmcall" : "+a"(rax) : "D"((long)HVMOP_guest_request_vm_event),
                         "S"(0L) : "memory");
    return rax;
}

int main(void)
{
    char type[16] = "unknown";
    uint32_t r[4];
    FILE *f = fopen("/sys/hypervisor/guest_type", "r");
    int pvh;

    if (f) {
        if (fscanf(f, "%15s", type) != 1)
            strcpy(type, "unknown");
        fclose(f);
    }
    /* A PV guest's user space cannot make this call at all (#UD). */
    pvh = strcmp(type, "PVH") == 0 || strcmp(type, "HVM") == 0;
    cpuid(0, r);
    amd = r[1] == 0x68747541; /* "Auth"enticAMD */
    signal(SIGTRAP, on_trap);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_ill;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &sa, NULL);

    printf("TINYVMI-COUNTER %d %p 0x%llx\n", (int)getpid(), (void *)&tinyvmi_counter,
           (unsigned long long)COUNTER_START);
    uint64_t tsc0 = bench_rdtsc(), ns0 = mono_ns();
    printf("TINYVMI-BENCH 0x%llx\n", (unsigned long long)bench_page());
    printf("TINYVMI-FORKER cpuid-leaf 0x%x guest-type %s guest-request-rc %ld\n", CPUID_LEAF,
           type, pvh ? guest_request() : 0L);
    fflush(stdout);

    const struct timespec tick = {0, 100 * 1000 * 1000};
    pid_t player = 0;
    for (unsigned long i = 1;; i++) {
        nanosleep(&tick, NULL);
        if (player > 0 && waitpid(player, NULL, WNOHANG) == player)
            player = 0;
        if (bench && bench[B_GO] && player == 0) {
            player = fork();
            if (player == 0)
                burst(tsc0, ns0);
        }
        tinyvmi_counter++;
        cpuid(CPUID_LEAF, r);
        if (i % 2 == 0) {
            pid_t child = fork();
            if (child == 0)
                _exit(0);
            if (child > 0)
                waitpid(child, NULL, 0);
        }
        if (i % 10 == 0) {
            __asm__ volatile("int3");
            __asm__ volatile(".byte 0xf1"); /* ICEBP */
            if (pvh)
                (void)guest_request();
        }
    }
}
