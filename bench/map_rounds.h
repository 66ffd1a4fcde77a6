/*
 * map_rounds.h - the timed round bench_map_addr.c and xen_map_addr.c share:
 * vmi_read_va of PAGES consecutive kernel pages, cold (v2p and page caches
 * flushed first) and warm, then vmi_translate_kv2p over them, walked (v2p
 * cache flushed) and cached.  LibVMI's API only, so that xen_map_addr.c
 * builds against LibVMI too; nothing here prints or decides.
 */
#ifndef TINYVMI_BENCH_MAP_ROUNDS_H
#define TINYVMI_BENCH_MAP_ROUNDS_H

#include <stddef.h>
#include <time.h>

#include <libvmi/libvmi.h>

/* Microseconds summed over rounds; bad counts reads that failed. */
struct map_times {
    double cold, warm, walk, hit;
    size_t bad;
};

static inline double map_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline void map_round(vmi_instance_t vmi, addr_t text, size_t pages, unsigned char *buf,
                             addr_t *pas, struct map_times *m)
{
    double t;
    vmi_v2pcache_flush(vmi, ~0ULL);
    vmi_pagecache_flush(vmi);
    t = map_now_us();
    for (size_t i = 0; i < pages; i++)
        if (vmi_read_va(vmi, text + i * 4096, 0, 4096, buf + i * 4096, NULL) != VMI_SUCCESS)
            m->bad++;
    m->cold += map_now_us() - t;
    t = map_now_us();
    for (size_t i = 0; i < pages; i++)
        if (vmi_read_va(vmi, text + i * 4096, 0, 4096, buf + i * 4096, NULL) != VMI_SUCCESS)
            m->bad++;
    m->warm += map_now_us() - t;

    vmi_v2pcache_flush(vmi, ~0ULL);
    t = map_now_us();
    for (size_t i = 0; i < pages; i++)
        vmi_translate_kv2p(vmi, text + i * 4096, &pas[i]);
    m->walk += map_now_us() - t;
    t = map_now_us();
    for (size_t i = 0; i < pages; i++)
        vmi_translate_kv2p(vmi, text + i * 4096, &pas[i]);
    m->hit += map_now_us() - t;
}

#endif
