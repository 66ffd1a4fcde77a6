/*
 * bench_out.h - the machine-readable copy of a benchmark's figures, for the
 * documentation's charts.  When TINYVMI_BENCH_TSV names a file, each figure
 * is appended to it as one line: TARGET <tab> METRIC <tab> VALUE <tab> UNIT.
 * The printed output stays what people read; this only mirrors it.
 */
#ifndef TINYVMI_BENCH_OUT_H
#define TINYVMI_BENCH_OUT_H

#include <stdio.h>
#include <stdlib.h>

static inline void bench_record(const char *target, const char *metric, double value,
                                const char *unit)
{
    const char *path = getenv("TINYVMI_BENCH_TSV");
    FILE *f;
    if (!path || !*path || !(f = fopen(path, "a")))
        return;
    fprintf(f, "%s\t%s\t%.6g\t%s\n", target, metric, value, unit);
    fclose(f);
}

#endif
