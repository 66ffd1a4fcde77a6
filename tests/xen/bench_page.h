/*
 * bench_page.h - the page tinyvmi-forker (guest-forker.c, in the guest)
 * shares with bench/xen_events.c (in dom0, reading it through VMI): its
 * 64-bit words, and the guest's clock.  One definition for both sides, so
 * the writer and the reader cannot drift apart.
 *
 *   0 magic   BENCH_MAGIC
 *   1 go      dom0 writes 1 to start the ping-pong, 0 to stop it
 *   2 seq     +1 just before each switch, then
 *   3 stamp   the guest's rdtsc, written last before the switch
 *   4 rounds  switches completed (the side that ran next saw its stamp)
 *   5 rtt     sum of rdtsc(after the switch) - stamp, over those
 *   6 tsc_khz the guest's TSC rate, measured against CLOCK_MONOTONIC
 *   7 bursts  ping-pongs started
 */
#ifndef TINYVMI_XEN_BENCH_PAGE_H
#define TINYVMI_XEN_BENCH_PAGE_H

#include <stdint.h>

#define BENCH_MAGIC 0x746976626e636821ull /* "tivbnch!" */
enum { B_MAGIC, B_GO, B_SEQ, B_STAMP, B_ROUNDS, B_RTT, B_KHZ, B_BURSTS };

/* The time-stamp counter of the CPU this runs on (x86). */
static inline uint64_t bench_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

#endif
