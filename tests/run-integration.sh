#!/bin/sh
# Builds (or reuses) the real guest images, then runs every integration test
# against them and sums the closing "N passed, N failed" lines.
O=${1:-build}
set -u
if ! sh tests/guests/build-guests.sh; then
    echo "integration: the guest images could not be built (see above)"
    echo "integration: 0 passed, 1 failed"
    exit 1
fi
pass=0; fail=0; skip=0; bad=""
run() { # name, command...
    name=$1; shift
    echo "== $name"
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | sed -E -f tests/relay-summary.sed
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(echo "$line" | sed -nE 's/^([0-9]+) passed.*/\1/p'); f=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
    s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        bad="$bad $name"
        [ -z "$line" ] && fail=$((fail + 1))
    fi
}
for t in "$O"/tests/integration/test_*; do
    [ -x "$t" ] || continue
    run "$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    run "$(basename "$t")" sh "$t" "$O"
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ -z "$bad" ] || { echo "failing integration tests:$bad"; exit 1; }
