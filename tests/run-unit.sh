#!/bin/sh
# Runs every unit test binary in $1/tests/unit and sums their closing lines.
O=${1:-build}
pass=0; fail=0; skip=0; bad=""
for t in "$O"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    echo "== $(basename "$t")"
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | sed -E -f tests/relay-summary.sed
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
    if [ $rc -ne 0 ] || [ -z "$line" ]; then bad="$bad $(basename "$t")"; [ -z "$line" ] && fail=$((fail + 1)); fi
done
echo "unit: $pass passed, $fail failed, $skip skipped"
[ -z "$bad" ] || { echo "failing unit tests:$bad"; exit 1; }
