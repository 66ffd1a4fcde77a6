/*
 * bench_init - how long vmi_init_complete takes on one image with one
 * configuration: the median of N inits, in ms, as "init_ms <median>", and
 * what the last instance holds once init returned, from /proc/self/status
 * ("rss_anon_kib <heap and other anonymous pages>", "rss_file_kib <image
 * pages mapped, and the program's own>").
 *
 * usage: bench_init IMAGE CONFIG-STRING [N]     (N default 11)
 *
 * Written against LibVMI's API alone, so that bench/ram-size.sh can build
 * the same source against LibVMI and time both libraries with one timer
 * (init_time.h, which bench_linux uses too).  Figures, never pass/fail.
 */
/* clock_gettime, also when built outside the tree with plain -std=c11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init_time.h"

static void print_rss(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "RssAnon:", 8))
            printf("rss_anon_kib %ld\n", atol(line + 8));
        else if (!strncmp(line, "RssFile:", 8))
            printf("rss_file_kib %ld\n", atol(line + 8));
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s IMAGE CONFIG-STRING [N]\n", argv[0]);
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 11;
    vmi_init_error_t err = VMI_INIT_ERROR_NONE;
    vmi_instance_t vmi = NULL;
    double ms = bench_time_init(argv[1], argv[2], n, &vmi, &err);
    if (ms < 0) {
        fprintf(stderr, "bench_init: init of %s failed (vmi_init_error_t %d)\n", argv[1],
                (int)err);
        return 1;
    }
    printf("init_ms %.2f\n", ms);
    print_rss();
    vmi_destroy(vmi);
    return 0;
}
