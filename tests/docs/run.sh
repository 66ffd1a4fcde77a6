#!/bin/sh
# The documentation test (make check-docs): the API reference is complete,
# every configuration key the code reads is documented,
# every quick start runs as written, and the built site works in a real
# browser.  Builds the site first.  The last line is the total, in the form
# scripts/test.sh adds up.   usage: run.sh [O]
cd "$(dirname "$0")/../.."
O=${1:-build}
PY=/usr/bin/python3
log=$(mktemp)
start=$(date +%s)
{
    echo "== documentation: the API reference"
    $PY scripts/docs/api.py check "$O"
    echo "== documentation: the configuration keys"
    $PY tests/docs/config_keys.py
    echo "== documentation: building the site"
    if sh scripts/docs/build.sh "$O"; then echo "ok   make docs built $O/site"
    else echo "FAIL make docs"; fi
    echo "== documentation: the quick starts, run as written"
    $PY tests/docs/quickstart.py
    echo "== documentation: the site in Chromium (headless)"
    timeout 600 $PY tests/docs/browser.py "$O/site" "$O/site-shots" ||
        [ $? -ne 124 ] || echo "FAIL the browser test timed out"
} 2>&1 | tee "$log"
pass=$(grep -c '^ok ' "$log"); fail=$(grep -c '^FAIL' "$log"); skip=$(grep -c '^skip' "$log")
rm -f "$log"
echo "docs: $pass passed, $fail failed, $skip skipped ($(( $(date +%s) - start )) s)"
[ "$fail" -eq 0 ]
