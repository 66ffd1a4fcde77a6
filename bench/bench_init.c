/*
 * bench_init - how long vmi_init_complete takes on one image with one
 * configuration: the median of N inits, in ms, as "init_ms <median>".
 *
 * usage: bench_init IMAGE CONFIG-STRING [N]     (N default 11)
 *
 * Written against LibVMI's API alone, so that bench/ram-size.sh can build
 * the same source against LibVMI and time both libraries with one timer
 * (init_time.h, which bench_linux uses too).  Figures, never pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>

#include "init_time.h"

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s IMAGE CONFIG-STRING [N]\n", argv[0]);
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 11;
    vmi_init_error_t err = VMI_INIT_ERROR_NONE;
    double ms = bench_time_init(argv[1], argv[2], n, NULL, &err);
    if (ms < 0) {
        fprintf(stderr, "bench_init: init of %s failed (vmi_init_error_t %d)\n", argv[1],
                (int)err);
        return 1;
    }
    printf("init_ms %.3f\n", ms);
    return 0;
}
