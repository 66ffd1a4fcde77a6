/*
 * tinyvmi-live - runs inside TinyVMI's live test guest (static, amd64).
 * It gives the host tests a guest that does known things and says what
 * they are, so the tests can compare TinyVMI's view of a running guest with
 * the guest's own word.
 *
 *   tinyvmi-live counter   advance a counter every 10 ms; when the host
 *                          writes N into `request`, make exactly N
 *                          sched_get_priority_min() system calls (a call
 *                          nothing else in the guest makes), then add N to
 *                          `done` and print it; while the host keeps
 *                          `spin` non-zero, write `hot` and call getppid()
 *                          in a tight loop (the benchmark's event source)
 *   tinyvmi-live fork      fork a short-lived child every 200 ms, so the
 *                          guest switches address space often (busybox
 *                          applets run inside the shell's own process)
 *
 * Lines on stdout (the console), for the host:
 *   TINYVMI-LIVE counter pid=P counter=0xVA request=0xVA done=0xVA spin=0xVA hot=0xVA
 *   TINYVMI-LIVE fork pid=P
 *   TINYVMI-LIVE-DONE pid=P calls=N total=T
 *   TINYVMI-LIVE-CHILD pid=P             (every child, as it is forked:
 *                                         the demo sets them beside the
 *                                         CR3 events that name them)
 *
 * It must never exit on its own, and must not make sched_get_priority_min
 * calls except on request: the tests count them.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Each on its own cache line and in .data (initialised), so the host can
 * watch one without the others' writes. */
volatile uint64_t counter __attribute__((aligned(64))) = 1;
volatile uint64_t request __attribute__((aligned(64))) = 0;
volatile uint64_t done __attribute__((aligned(64))) = 0;
volatile uint64_t spin __attribute__((aligned(64))) = 0;
volatile uint64_t hot __attribute__((aligned(64))) = 0;

static void nap(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void __attribute__((noreturn)) run_counter(void)
{
    printf("TINYVMI-LIVE counter pid=%d counter=%p request=%p done=%p spin=%p hot=%p\n",
           (int)getpid(), (void *)&counter, (void *)&request, (void *)&done, (void *)&spin,
           (void *)&hot);
    fflush(stdout);
    for (;;) {
        uint64_t n = request;
        if (n) {
            for (uint64_t i = 0; i < n; i++)
                syscall(SYS_sched_get_priority_min, SCHED_FIFO);
            done += n;
            request = 0;
            printf("TINYVMI-LIVE-DONE pid=%d calls=%llu total=%llu\n", (int)getpid(),
                   (unsigned long long)n, (unsigned long long)done);
            fflush(stdout);
        }
        while (spin) {
            hot++;
            syscall(SYS_getppid);
        }
        counter++;
        nap(10);
    }
}

static void __attribute__((noreturn)) run_fork(void)
{
    printf("TINYVMI-LIVE fork pid=%d\n", (int)getpid());
    fflush(stdout);
    for (;;) {
        pid_t p = fork();
        if (p == 0) {
            prctl(PR_SET_NAME, "tinyvmi-child", 0, 0, 0);
            nap(50);
            _exit(0);
        }
        if (p > 0) {
            printf("TINYVMI-LIVE-CHILD pid=%d\n", (int)p);
            fflush(stdout);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        nap(200);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "counter") == 0)
        run_counter();
    if (argc == 2 && strcmp(argv[1], "fork") == 0)
        run_fork();
    fprintf(stderr, "usage: tinyvmi-live counter|fork\n");
    return 2;
}
