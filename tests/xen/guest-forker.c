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
 * (the request's return value with no monitor listening; -1 is -EPERM).
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The high bits mark the counter, so a read of the wrong address is seen. */
#define COUNTER_START 0x7417000000000000ull
#define CPUID_LEAF 0x7417u
#define HYPERVISOR_hvm_op 34
#define HVMOP_guest_request_vm_event 24

static volatile uint64_t tinyvmi_counter = COUNTER_START;
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
    printf("TINYVMI-FORKER cpuid-leaf 0x%x guest-type %s guest-request-rc %ld\n", CPUID_LEAF,
           type, pvh ? guest_request() : 0L);
    fflush(stdout);

    const struct timespec tick = {0, 100 * 1000 * 1000};
    for (unsigned long i = 1;; i++) {
        nanosleep(&tick, NULL);
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
