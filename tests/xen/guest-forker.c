/*
 * guest-forker.c - runs inside the Xen test guests (static, amd64), started
 * by guest-init.sh as /bin/tinyvmi-forker.
 *
 * Two jobs, both ground truth for dom0's tests:
 *  - it forks a child every 200 ms (the child exits at once), so the guest
 *    keeps switching address spaces: CR3 writes for the event tests.  A
 *    busybox-only guest may never switch, since busybox runs its applets
 *    inside the shell's own process;
 *  - it advances a counter every 100 ms and first prints where it lives
 *    ("TINYVMI-COUNTER <pid> <virtual address> <start value>"), so dom0 can
 *    see the guest run, stop when paused and run again when resumed.
 *
 * It must stay tiny and never exit: the tests look for it by name.  It
 * wakes only 10 times a second: under TCG every wakeup of a guest costs
 * dom0 and the other guest time (50 a second halved their speed).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The high bits mark the counter, so a read of the wrong address is seen. */
#define COUNTER_START 0x7417000000000000ull

static volatile uint64_t tinyvmi_counter = COUNTER_START;

int main(void)
{
    printf("TINYVMI-COUNTER %d %p 0x%llx\n", (int)getpid(), (void *)&tinyvmi_counter,
           (unsigned long long)COUNTER_START);
    fflush(stdout);
    const struct timespec tick = {0, 100 * 1000 * 1000};
    for (unsigned long i = 1;; i++) {
        nanosleep(&tick, NULL);
        tinyvmi_counter++;
        if (i % 2 == 0) {
            pid_t child = fork();
            if (child == 0)
                _exit(0);
            if (child > 0)
                waitpid(child, NULL, 0);
        }
    }
}
