/*
 * xen_map_addr - bench_map_addr's measurement on a live Xen domain, written
 * against LibVMI's API only, so the same source builds against LibVMI and
 * against TinyVMI (bench/xen-compare.sh builds and runs both in one dom0).
 *
 *   init:       vmi_init_complete with the Linux OS layer, until it returns;
 *   map_addr:   vmi_read_va of N consecutive 4 KiB kernel pages from _text,
 *               cold (v2p and page caches flushed: every page is mapped from
 *               Xen again) and warm, in microseconds per page;
 *   translate:  vmi_translate_kv2p over the same pages, walks per second
 *               (v2p cache flushed) and cached lookups per second;
 *   memcpy:     copying the same bytes once more inside dom0, page by page
 *               as the reads do: what moving them costs on this machine,
 *               the floor under any reader.
 *
 * usage: xen_map_addr DOMAIN LIBVMI_CONF [PAGES [ROUNDS]]
 * Prints figures and a checksum of the bytes read (so two libraries can be
 * seen to read the same memory); it is never a pass/fail test.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvmi/libvmi.h>

#include "map_rounds.h"

/* FNV-1a over the bytes read: equal sums, same bytes (short of a collision). */
static uint64_t fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t ierr = VMI_INIT_ERROR_NONE;
    addr_t text = 0;
    size_t pages = 500, rounds = 20;
    unsigned char *buf, *copy;
    addr_t *pas;
    double t, mc = 0;
    struct map_times m = {0};

    if (argc < 3) {
        fprintf(stderr, "usage: %s DOMAIN LIBVMI_CONF [PAGES [ROUNDS]]\n", argv[0]);
        return 2;
    }
    if (argc > 3)
        pages = strtoul(argv[3], NULL, 0);
    if (argc > 4)
        rounds = strtoul(argv[4], NULL, 0);
    if (!pages || !rounds)
        return 2;
    t = map_now_us();
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_FILE_PATH,
                          argv[2], &ierr) != VMI_SUCCESS) {
        fprintf(stderr, "xen_map_addr: vmi_init_complete failed (vmi_init_error_t %d)\n",
                (int)ierr);
        return 1;
    }
    double init_ms = (map_now_us() - t) / 1e3;
    if (vmi_translate_ksym2v(vmi, "_text", &text) != VMI_SUCCESS) {
        fprintf(stderr, "xen_map_addr: no _text symbol\n");
        vmi_destroy(vmi);
        return 1;
    }
    text &= ~(addr_t)0xfff;
    buf = malloc(pages * 4096);
    copy = malloc(pages * 4096);
    pas = malloc(pages * sizeof(*pas));
    if (!buf || !copy || !pas)
        return 1;
    memset(copy, 0, pages * 4096); /* fault the buffers in before timing */
    memset(buf, 0, pages * 4096);
    for (size_t i = 0; i < pages; i++)
        if (vmi_translate_kv2p(vmi, text + i * 4096, &pas[i]) != VMI_SUCCESS) {
            fprintf(stderr, "xen_map_addr: page %zu of _text does not translate\n", i);
            pages = i;
            break;
        }
    if (!pages)
        return 1;

    for (size_t r = 0; r < rounds; r++) {
        map_round(vmi, text, pages, buf, pas, &m);
        t = map_now_us();
        for (size_t i = 0; i < pages; i++)
            memcpy(copy + i * 4096, buf + i * 4096, 4096);
        mc += map_now_us() - t;
    }
    double n = (double)(pages * rounds);
    printf("domain     %s\n", argv[1]);
    printf("pages      %zu from 0x%" PRIx64 " (pa of the first 0x%" PRIx64 "), %zu rounds\n",
           pages, (uint64_t)text, (uint64_t)pas[0], rounds);
    printf("init       %.1f ms\n", init_ms);
    printf("map_addr   cold %8.3f us/page   warm %8.3f us/page   memcpy limit %8.3f us/page\n",
           m.cold / n, m.warm / n, mc / n);
    printf("translate  walk %10.0f /s        cached %10.0f /s\n", n / m.walk * 1e6,
           n / m.hit * 1e6);
    printf("failed     %zu reads\n", m.bad);
    printf("checksum   %016" PRIx64 "  (same bytes in dom0's copy: %s)\n",
           fnv(buf, pages * 4096), memcmp(copy, buf, pages * 4096) == 0 ? "yes" : "NO");
    /* One line for bench/xen-compare.sh to collect. */
    printf("RESULT map init_ms=%.1f cold_us=%.3f warm_us=%.3f memcpy_us=%.3f walk_Ms=%.3f "
           "cached_Ms=%.3f failed=%zu\n",
           init_ms, m.cold / n, m.warm / n, mc / n, n / m.walk, n / m.hit, m.bad);
    free(buf);
    free(copy);
    free(pas);
    vmi_destroy(vmi);
    return m.bad ? 1 : 0;
}
