#!/bin/sh
# Runs the benchmarks on every guest image that exists (figures, never pass/fail).
# Also writes them to $O/bench/results.tsv (see bench/bench_out.h).
O=${1:-build}
C=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
# The same figures, machine-readable, for the documentation's charts.
TINYVMI_BENCH_TSV=$O/bench/results.tsv
export TINYVMI_BENCH_TSV
mkdir -p "$O/bench" && : > "$TINYVMI_BENCH_TSV"
for g in amd64 amd64-la57 i386 i386-pae; do
    [ -f "$C/$g/stamp" ] || { echo "bench: no $g image (run make guests)"; continue; }
    text=$(sed -n 's/^\([0-9a-f]*\) [Tt] _text$/\1/p' "$C/$g/truth/kallsyms.txt" | head -n 1)
    [ -n "$text" ] || text=$(sed -n 's/^\([0-9a-f]*\) [Tt] startup_32$/\1/p' "$C/$g/truth/kallsyms.txt" | head -n 1)
    echo "== $g"
    "$O/bench/bench_map_addr" "$C/$g/core.elf" "$text" "$C/$g/ram.raw" 500
    [ -x "$O/bench/bench_linux" ] && "$O/bench/bench_linux" "$C/$g"
done
