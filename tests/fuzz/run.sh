#!/bin/sh
# make fuzz-run SECONDS=N: every libFuzzer harness for N seconds, each
# started from seeds that reach its parser: the small hand-built inputs of
# test_hostile_inputs (--write-seeds) plus real inputs cut from the real
# guest images and the generated Windows images (tests/helpers/fuzz-seeds).
# Prints, per harness, the edges the seeds alone cover and the edges after
# N seconds.  A crash or a failure without a reason fails the run; coverage
# is a figure, never a pass/fail.
#
#   sh tests/fuzz/run.sh SECONDS [BUILD]     (BUILD: the normal build, default build)
#
# Corpora are generated under build-fuzz/corpus (never committed); inputs
# the fuzzer finds go to build-fuzz/found and are kept between runs.
set -u
SECS=${1:-10}
B=${2:-build}
F=build-fuzz
G=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
C=$F/corpus
rm -rf "$C"
mkdir -p "$C" "$F/found" "$F/logs"

"$B/tests/unit/test_hostile_inputs" --write-seeds "$C" >/dev/null || {
    echo "fuzz: cannot write the hand-built seeds"; exit 1; }

# Real seeds.  A missing guest only means fewer seeds; say so.
seeds=$B/tests/helpers/fuzz-seeds
real=0
cut() { # kind name fuzz-seeds-args...
    k=$1; n=$2; shift 2
    if "$seeds" "$@" "$C/$k/real-$n" >/dev/null 2>"$F/logs/seed-$k-$n.err"; then
        real=$((real + 1))
    else
        echo "fuzz: no real $k seed from $n: $(cat "$F/logs/seed-$k-$n.err")"
    fi
}
for g in amd64 amd64-la57 i386-pae; do
    d=$G/$g
    [ -f "$d/stamp" ] || { echo "fuzz: guest $g not built: no real seeds from it"; continue; }
    cut elf "$g" elf "$d/core.elf"
    cut lime "$g" lime "$d/ram.lime"
    case $g in amd64) cut btf "$g" btf "$d/ram.raw" "$d/truth/iomem.txt"
                      cut kallsyms "$g" kallsyms "$d/ram.raw" "$d/truth/iomem.txt" ;; esac
done
if [ -f "$G/i386/System.map-dbg" ] || [ -f "$G/i386/truth/System.map-dbg" ]; then
    m=$G/i386/truth/System.map-dbg; [ -f "$m" ] || m=$G/i386/System.map-dbg
    head -n 4000 "$m" > "$C/sysmap/real-i386" && real=$((real + 1))
fi
if [ -f "$G/amd64/stamp" ]; then
    "$B/bin/vmi-linux-offsets" "$G/amd64/core.elf" > "$C/config/real-amd64" 2>/dev/null &&
        real=$((real + 1))
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for l in xp-sp3-x86 win10-x64; do
    "$B/tests/helpers/gen-winimage" "$l" "$tmp/$l.raw" >/dev/null &&
        cut pe "$l" pe "$tmp/$l.raw"
    for fmt in header triage triage-kpe; do
        "$B/tests/helpers/gen-winimage" --format $fmt "$l" "$tmp/$l.$fmt" >/dev/null &&
            cp "$tmp/$l.$fmt" "$C/windump/real-$l-$fmt" && real=$((real + 1))
    done
    # A full dump's headers and its first pages (the rest is guest memory).
    "$B/tests/helpers/gen-winimage" --format bitmap "$l" "$tmp/$l.bitmap" >/dev/null &&
        cut windump "$l-bitmap" bytes "$tmp/$l.bitmap" 0 0x12000
done
for j in tests/data/windows/*.json; do
    cp "$j" "$C/isf/real-$(basename "$j")"
    cp "$j" "$C/json/real-$(basename "$j")"
    real=$((real + 2))
done
echo "fuzz: $real real seeds beside the hand-built ones; $SECS s per harness"

edges() { # log -> the last "cov: N" libFuzzer printed
    sed -n 's/.*cov: \([0-9]*\).*/\1/p' "$1" | tail -n 1
}
status=0
printf '   %-14s %6s %10s %12s %10s\n' harness seeds "max bytes" "seeds edges" "after run"
for h in "$F"/fuzz/fuzz_*; do
    k=${h##*/fuzz_}
    [ -d "$C/$k" ] || mkdir -p "$C/$k"
    mkdir -p "$F/found/$k"
    n=$(ls "$C/$k" | wc -l)
    max=$(find "$C/$k" -type f -printf '%s\n' | sort -n | tail -n 1)
    [ -n "$max" ] && [ "$max" -gt 4096 ] || max=4096
    # Seeds alone: one pass over them, no mutation.
    "$h" -runs=0 -max_len="$max" "$C/$k" > "$F/logs/$k-seeds.log" 2>&1
    base=$(edges "$F/logs/$k-seeds.log")
    "$h" -max_total_time="$SECS" -max_len="$max" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 "$F/found/$k" "$C/$k" > "$F/logs/$k.log" 2>&1
    rc=$?
    after=$(edges "$F/logs/$k.log")
    printf '   %-14s %6s %10s %12s %10s\n' "fuzz_$k" "$n" "$max" "${base:-?}" "${after:-?}"
    if [ $rc -ne 0 ]; then
        status=1
        echo "FAIL fuzz_$k (exit $rc): see $F/logs/$k.log"
        grep -E "ERROR|hostile:|SUMMARY" "$F/logs/$k.log" | head -n 5
    fi
done
[ $status = 0 ] && echo "fuzz: every harness ran $SECS s without a finding"
exit $status
