/*
 * bench_map_addr - how fast TinyVMI reads guest kernel memory, next to the
 * machine's own limit.
 *
 *   map_addr:   vmi_read_va of N consecutive 4 KiB kernel pages from _text,
 *               cold (caches flushed: every page walks the page table) and
 *               warm (translations cached), in microseconds per page;
 *   translate:  vmi_translate_kv2p over the same pages, walks per second
 *               (v2p cache flushed each round) and cached lookups per second;
 *   memcpy:     copying the same physical pages out of the raw image, mapped
 *               with mmap: the limit any reader of that image can reach.
 *
 * usage: bench_map_addr IMAGE TEXT_VADDR RAW_IMAGE [PAGES]
 * Prints figures; it is never a pass/fail test.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libvmi/libvmi.h>

#include "bench_out.h"
#include "map_rounds.h"

int main(int argc, char **argv)
{
    vmi_instance_t vmi;
    vmi_init_error_t ierr;
    uint64_t text;
    size_t pages = 500, rounds = 20;
    unsigned char *buf, *copy;
    addr_t *pas;
    double t, mc = 0;
    struct map_times m = {0};

    const unsigned char *raw;
    struct stat st;
    int fd;

    if (argc < 4) {
        fprintf(stderr, "usage: %s IMAGE TEXT_VADDR RAW_IMAGE [PAGES]\n", argv[0]);
        return 2;
    }
    text = strtoull(argv[2], NULL, 16) & ~0xfffULL;
    if (argc > 4)
        pages = strtoul(argv[4], NULL, 0);
    fd = open(argv[3], O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0 ||
        (raw = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
        perror(argv[3]);
        return 1;
    }
    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                          "ostype = none", &ierr) != VMI_SUCCESS) {
        fprintf(stderr, "bench_map_addr: %s\n", tvmi_init_errmsg());
        return 1;
    }
    buf = malloc(pages * 4096);
    copy = malloc(pages * 4096);
    pas = malloc(pages * sizeof(*pas));
    if (!buf || !copy || !pas)
        return 1;

    memset(copy, 0, pages * 4096); /* fault the pages in before timing */
    memset(buf, 0, pages * 4096);
    /* Physical addresses first, so memcpy copies the very same bytes. */
    for (size_t i = 0; i < pages; i++)
        if (vmi_translate_kv2p(vmi, text + i * 4096, &pas[i]) != VMI_SUCCESS) {
            fprintf(stderr, "bench_map_addr: page %zu: %s\n", i, tvmi_errmsg(vmi));
            pages = i;
            break;
        }
    if (!pages)
        return 1;

    /* Fault the raw image's pages in once, untimed, as the cold pass does
     * for the image TinyVMI reads: the limit is the copy, not page faults. */
    for (size_t i = 0; i < pages; i++)
        if (pas[i] + 4096 <= (uint64_t)st.st_size)
            memcpy(copy + i * 4096, raw + (pas[i] & ~0xfffULL), 4096);

    for (size_t r = 0; r < rounds; r++) {
        map_round(vmi, text, pages, buf, pas, &m);

        /* The limit: the same pages copied straight out of guest memory. */
        t = map_now_us();
        for (size_t i = 0; i < pages; i++)
            if (pas[i] + 4096 <= (uint64_t)st.st_size)
                memcpy(copy + i * 4096, raw + (pas[i] & ~0xfffULL), 4096);
        mc += map_now_us() - t;
    }
    double n = (double)(pages * rounds);
    printf("image      %s\n", argv[1]);
    printf("pages      %zu from 0x%" PRIx64 ", %zu rounds\n", pages, text, rounds);
    printf("map_addr   cold %8.3f us/page   warm %8.3f us/page   memcpy limit %8.3f us/page\n",
           m.cold / n, m.warm / n, mc / n);
    printf("translate  walk %10.0f /s        cached %10.0f /s\n", n / m.walk * 1e6,
           n / m.hit * 1e6);
    printf("same bytes %s\n", memcmp(copy, buf, pages * 4096) == 0 ? "yes" : "NO");
    bench_record(argv[1], "read_cold", m.cold / n, "us/page");
    bench_record(argv[1], "read_warm", m.warm / n, "us/page");
    bench_record(argv[1], "memcpy_limit", mc / n, "us/page");
    bench_record(argv[1], "translate_walk", n / m.walk, "M/s");
    bench_record(argv[1], "translate_cached", n / m.hit, "M/s");
    free(buf);
    free(copy);
    free(pas);
    munmap((void *)raw, (size_t)st.st_size);
    close(fd);
    vmi_destroy(vmi);
    return 0;
}
