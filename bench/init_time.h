/*
 * init_time.h - the one init timer of the benchmarks: vmi_init_complete on
 * an image with a configuration string, until it returns, median of n.
 * LibVMI's API only (bench_init.c is also compiled against LibVMI), so a
 * failure is reported by its vmi_init_error_t; callers that link TinyVMI
 * print tvmi_init_errmsg() for the reason.
 */
#ifndef TINYVMI_BENCH_INIT_TIME_H
#define TINYVMI_BENCH_INIT_TIME_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libvmi/libvmi.h>

static inline double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define BENCH_INIT_MAX_ROUNDS 101

/* Median ms of n (1..BENCH_INIT_MAX_ROUNDS) inits of img with cfg; the last
 * instance is kept in *keep when keep is not NULL.  -1 when an init failed
 * (*err says how). */
static inline double bench_time_init(const char *img, const char *cfg, int n,
                                     vmi_instance_t *keep, vmi_init_error_t *err)
{
    double t[BENCH_INIT_MAX_ROUNDS];
    if (n < 1 || n > BENCH_INIT_MAX_ROUNDS)
        return -1;
    for (int i = 0; i < n; i++) {
        vmi_instance_t v;
        double t0 = bench_now_us();
        if (vmi_init_complete(&v, (void *)img, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                              (void *)cfg, err) != VMI_SUCCESS)
            return -1;
        t[i] = bench_now_us() - t0;
        if (keep && i == n - 1)
            *keep = v;
        else
            vmi_destroy(v);
    }
    qsort(t, (size_t)n, sizeof(double), bench_cmp_d);
    return t[n / 2] / 1000.0;
}

#endif
