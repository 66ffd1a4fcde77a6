#!/bin/sh
# Runs the benchmarks on every guest image that exists (figures, never pass/fail),
# then bench_live on a running guest it boots (tests/live/live-guest.sh).
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
# Init against guest RAM (256 MiB, 1 and 4 GiB; builds the size guests if
# missing), with LibVMI beside it when LIBVMI_PREFIX names an installation.
if [ -f "$C/amd64/stamp" ]; then
    echo "== init against guest RAM (bench/ram-size.sh)"
    sh bench/ram-size.sh "$O"
fi
# A running guest: bench_live boots the live test guest and ends it on every
# way out (live.h); timeout bounds it, and the launcher's own lifetime bounds
# QEMU even if bench_live is killed outright.  Run it from the source tree.
if [ -x "$O/bench/bench_live" ] && [ -f "$C/amd64/stamp" ] && command -v qemu-system-x86_64 >/dev/null; then
    echo "== live QEMU (bench_live: about 3 minutes, the guest's boot included)"
    TINYVMI_LIVE_LIFETIME=600 timeout -k 10 540 "$O/bench/bench_live" ||
        echo "bench: bench_live did not finish (exit $?)"
else
    echo "bench: no bench_live run (needs $O/bench/bench_live, the amd64 guest, qemu-system-x86_64)"
fi
