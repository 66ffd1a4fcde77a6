/*
 * xen_events - how many CR3-write events a monitor gets through per second
 * on a live Xen domain, and how long a guest's CR3 write waits for the
 * callback.  Written against LibVMI's API only (plus rdtsc), so the same
 * source builds against LibVMI and against TinyVMI (bench/xen-compare.sh
 * builds and runs both in one dom0, against the same PVH guest).
 *
 * The guest side is tinyvmi-forker (tests/xen/guest-forker.c): it keeps a
 * locked page at a guest-physical address it prints (TINYVMI-BENCH); while
 * we set the page's go word, two of its children switch to each other as
 * fast as they can, each stamping its rdtsc into the page just before it
 * blocks (so just before the CR3 write that switches to the other), and
 * the side that runs next adds the round trip stamp -> running again.
 * Word indexes below must match guest-forker.c's.
 *
 * Three windows of SECONDS each:
 *   free   no monitor: the guest's own switch rate and round trip (the
 *          limit: what the guest does when nobody watches);
 *   bare   a CR3 write event whose callback only counts: events per second,
 *          and the guest's round trip with every switch paused for us;
 *   stamp  the callback also reads the page (16 bytes by physical address)
 *          and subtracts the stamp from its own rdtsc: the time from the
 *          guest's stamp to the callback.  That is a latency only if dom0's
 *          and the guest's rdtsc are one counter; it is checked, not
 *          assumed: every sample must lie between 0 and the guest's own
 *          round trip for the same switches, or the figure is not printed.
 *
 * usage: xen_events DOMAIN BENCH_PA [SECONDS]
 * Prints figures; it is never a pass/fail test.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvmi/libvmi.h>
#include <libvmi/events.h>

#include "../tests/xen/bench_page.h" /* the page tinyvmi-forker writes */

#define MAX_SAMPLES (1u << 20)

static addr_t page;
static uint64_t events, last_seq, nsamples;
static int64_t *samples;
static int reading; /* the stamp window */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t word(vmi_instance_t vmi, int i)
{
    uint64_t v = 0;
    if (vmi_read_64_pa(vmi, page + 8u * (unsigned)i, &v) != VMI_SUCCESS) {
        fprintf(stderr, "xen_events: cannot read the bench page at 0x%" PRIx64 "\n",
                (uint64_t)page);
        exit(1);
    }
    return v;
}

static void set_go(vmi_instance_t vmi, uint64_t go)
{
    if (vmi_write_64_pa(vmi, page + 8u * B_GO, &go) != VMI_SUCCESS) {
        fprintf(stderr, "xen_events: cannot write the bench page\n");
        exit(1);
    }
}

static event_response_t on_cr3(vmi_instance_t vmi, vmi_event_t *event)
{
    (void)event;
    events++;
    if (reading) {
        uint64_t w[2]; /* seq, stamp */
        uint64_t now;
        if (vmi_read_pa(vmi, page + 8u * B_SEQ, sizeof(w), w, NULL) == VMI_SUCCESS) {
            now = bench_rdtsc();
            if (w[0] != last_seq && nsamples < MAX_SAMPLES)
                samples[nsamples++] = (int64_t)(now - w[1]);
            last_seq = w[0];
        }
    }
    return VMI_EVENT_RESPONSE_NONE;
}

/* Listen (when monitoring) or sleep for d seconds. */
static void pass_time(vmi_instance_t vmi, int monitoring, double d)
{
    double end = now_s() + d;
    while (now_s() < end) {
        if (monitoring) {
            if (vmi_events_listen(vmi, 100) != VMI_SUCCESS) {
                fprintf(stderr, "xen_events: vmi_events_listen failed\n");
                exit(1);
            }
        } else {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
}

/* Start a burst and wait (up to 5 s) until its first round trips are done. */
static void start_burst(vmi_instance_t vmi, int monitoring)
{
    uint64_t b = word(vmi, B_BURSTS);
    set_go(vmi, 1);
    for (int i = 0; i < 50; i++) {
        pass_time(vmi, monitoring, 0.1);
        if (word(vmi, B_BURSTS) != b && word(vmi, B_ROUNDS) > 10)
            return;
    }
    fprintf(stderr, "xen_events: the guest did not start its ping-pong in 5 s\n");
    exit(1);
}

/* The burst's counters are cumulative within a burst: a window is a difference. */
struct window {
    double secs, cpu; /* wall and this process's CPU time (user + system) */
    uint64_t rounds, rtt, events;
};

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct window run_window(vmi_instance_t vmi, int monitoring, double secs)
{
    struct window w;
    uint64_t r0, t0, e0;
    double s0, c0;
    start_burst(vmi, monitoring);
    r0 = word(vmi, B_ROUNDS);
    t0 = word(vmi, B_RTT);
    e0 = events;
    s0 = now_s();
    c0 = cpu_s();
    pass_time(vmi, monitoring, secs);
    w.cpu = cpu_s() - c0;
    w.rounds = word(vmi, B_ROUNDS) - r0;
    w.rtt = word(vmi, B_RTT) - t0;
    w.events = events - e0;
    w.secs = now_s() - s0;
    set_go(vmi, 0);
    pass_time(vmi, monitoring, 0.5); /* let the players see go = 0 and leave */
    return w;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_event_t ev;
    double secs = 10;

    if (argc < 3) {
        fprintf(stderr, "usage: %s DOMAIN BENCH_PA [SECONDS]\n", argv[0]);
        return 2;
    }
    page = strtoull(argv[2], NULL, 16);
    if (argc > 3)
        secs = strtod(argv[3], NULL);
    if (!page || secs <= 0)
        return 2;
    samples = malloc(MAX_SAMPLES * sizeof(*samples));
    if (!samples)
        return 1;

    /* dom0's TSC rate against its monotonic clock. */
    double s0 = now_s();
    uint64_t c0 = bench_rdtsc();
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    double dom0_khz = (double)(bench_rdtsc() - c0) / (now_s() - s0) / 1e3;

    double t = now_s();
    if (vmi_init(&vmi, VMI_XEN, argv[1], VMI_INIT_DOMAINNAME | VMI_INIT_EVENTS, NULL, NULL) !=
        VMI_SUCCESS) {
        fprintf(stderr, "xen_events: vmi_init of %s with events failed\n", argv[1]);
        return 1;
    }
    double init_ms = (now_s() - t) * 1e3;
    if (word(vmi, B_MAGIC) != BENCH_MAGIC) {
        fprintf(stderr, "xen_events: no bench page at 0x%" PRIx64 " (magic %016" PRIx64 ")\n",
                (uint64_t)page, word(vmi, B_MAGIC));
        return 1;
    }
    set_go(vmi, 0);

    struct window fr = run_window(vmi, 0, secs);
    double guest_khz = (double)word(vmi, B_KHZ);

    memset(&ev, 0, sizeof(ev));
    ev.version = VMI_EVENTS_VERSION;
    ev.type = VMI_EVENT_REGISTER;
    ev.reg_event.reg = CR3;
    ev.reg_event.in_access = VMI_REGACCESS_W;
    ev.callback = on_cr3;
    if (vmi_register_event(vmi, &ev) != VMI_SUCCESS) {
        fprintf(stderr, "xen_events: cannot register the CR3 event\n");
        return 1;
    }
    struct window bare = run_window(vmi, 1, secs);
    reading = 1;
    last_seq = word(vmi, B_SEQ);
    struct window st = run_window(vmi, 1, secs);
    reading = 0;
    vmi_clear_event(vmi, &ev, NULL);
    vmi_events_listen(vmi, 0);
    set_go(vmi, 0);
    vmi_destroy(vmi);

    double gus = 1e3 / (guest_khz > 0 ? guest_khz : dom0_khz); /* us per guest tick */
    double dus = 1e3 / dom0_khz;
#define RATE(w, x) ((double)(w).x / (w).secs)
#define RTT(w) ((w).rounds ? (double)(w).rtt / (double)(w).rounds * gus : 0)
    printf("domain     %s, bench page 0x%" PRIx64 ", windows of %.0f s\n", argv[1],
           (uint64_t)page, secs);
    printf("init       %.1f ms (vmi_init with VMI_INIT_EVENTS)\n", init_ms);
    printf("tsc        dom0 %.0f kHz, guest %.0f kHz\n", dom0_khz, guest_khz);
    printf("free       %8.0f switches/s in the guest, round trip %8.1f us (no monitor)\n",
           RATE(fr, rounds), RTT(fr));
    printf("bare       %8.0f CR3 events/s, guest %8.0f switches/s, round trip %8.1f us\n",
           RATE(bare, events), RATE(bare, rounds), RTT(bare));
    printf("stamp      %8.0f CR3 events/s, guest %8.0f switches/s, round trip %8.1f us\n",
           RATE(st, events), RATE(st, rounds), RTT(st));
#define CPU(w) ((w).events ? (w).cpu / (double)(w).events * 1e6 : 0)
    printf("dom0 cpu   %8.1f us an event (bare), %8.1f us (stamp): this process, user + "
           "system\n", CPU(bare), CPU(st));

    qsort(samples, nsamples, sizeof(*samples), cmp64);
    int64_t bound = st.rounds ? (int64_t)(st.rtt / st.rounds) : 0;
    uint64_t neg = 0, over = 0;
    for (uint64_t i = 0; i < nsamples; i++) {
        neg += samples[i] < 0;
        over += samples[i] > bound;
    }
    /* One clock: no sample below 0, and the median within the round trip the
     * guest measured for the same switches on its own clock. */
    int one_clock = nsamples > 0 && neg == 0 && samples[nsamples / 2] <= bound;
    double med = 0, p10 = 0, p90 = 0, mn = 0;
    if (nsamples) {
        med = (double)samples[nsamples / 2] * dus;
        p10 = (double)samples[nsamples / 10] * dus;
        p90 = (double)samples[nsamples * 9 / 10] * dus;
        mn = (double)samples[0] * dus;
    }
    printf("latency    %" PRIu64 " samples; stamp -> callback min %.1f p10 %.1f median %.1f "
           "p90 %.1f us; %" PRIu64 " below 0, %" PRIu64 " above the mean round trip: %s\n",
           nsamples, mn, p10, med, p90, neg, over,
           one_clock ? "one clock" : "NOT one clock, no latency");
    printf("RESULT ev init_ms=%.1f free_sw_s=%.0f free_rtt_us=%.1f bare_ev_s=%.0f "
           "bare_sw_s=%.0f bare_rtt_us=%.1f stamp_ev_s=%.0f stamp_rtt_us=%.1f lat_med_us=%.1f "
           "lat_p10_us=%.1f lat_p90_us=%.1f samples=%" PRIu64 " one_clock=%d dom0_khz=%.0f "
           "guest_khz=%.0f bare_cpu_us=%.1f stamp_cpu_us=%.1f\n",
           init_ms, RATE(fr, rounds), RTT(fr), RATE(bare, events), RATE(bare, rounds), RTT(bare),
           RATE(st, events), RTT(st), med, p10, p90, nsamples, one_clock,
           dom0_khz, guest_khz, CPU(bare), CPU(st));
    free(samples);
    return 0;
}
