#!/bin/sh
# Init reads what it needs: on a raw image (no registers) with a System.map
# and the process offsets configured, the Linux layer finds the kernel's
# page-table root from its symbols instead of the core scanning all of
# memory for one.  Checked by what the whole vmi-process-list process
# touches (peak RSS, the image being mapped: a scan faults in every page)
# against a quarter of the guest's RAM, and by its list equalling the
# zero-configuration one.  A resource bound, not a timing.  Then, for every
# guest, where zero configuration found the root on the raw image (the
# symbols, or a scan), against the kernel the guest says it runs.  Ends with
# "N passed, N failed, N skipped".
#
# The image is read from a copy in tmpfs (/dev/shm, huge=never by default
# on Debian): there a fault maps at most the 16 pages around it.  From the
# page cache of ext4 on Linux 6.x, whose folios can be 2 MiB, one fault may
# map a whole folio, so the one short read per 2 MiB that finds the
# banner would count most of the image (measured: 93 MB of 256 for the
# LA57 guest, with nothing else read).
O=${1:-build}
# Sanitizers inflate RSS by design: the plain pass only.
if [ "$O" != build ]; then echo "0 passed, 0 failed, 1 skipped"; exit 0; fi
C=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
pass=0; fail=0; skip=0
T=$(mktemp -d)
S=$(mktemp -d -p /dev/shm tinyvmi-pages.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$T" "$S"' EXIT
for g in amd64 amd64-la57; do
    G=$C/$g
    [ -f "$G/ram.raw" ] || { skip=$((skip + 1)); echo "skip $g: no image"; continue; }
    rm -f "$S/ram.raw"
    cp "$G/ram.raw" "$S/ram.raw" || { fail=$((fail + 1)); echo "FAIL $g: cannot copy the image to $S"; continue; }
    # The guest's own symbols as a System.map (no module lines), and the
    # offsets TinyVMI reports for it.
    awk 'NF == 3' "$G/truth/kallsyms.txt" > "$T/map"
    cfg="ostype = Linux; sysmap = $T/map"
    for k in $("$O/bin/vmi-linux-offsets" "$G/ram.raw" 2>/dev/null |
               sed -n 's/^ *\(linux_[a-z]*\) *= *\(0x[0-9a-f]*\);.*/\1=\2/p' |
               grep -E '^linux_(tasks|mm|pid|name|pgd)='); do
        cfg="$cfg; ${k%%=*} = ${k#*=}"
    done
    "$O/bin/vmi-process-list" "$S/ram.raw" > "$T/zero" 2>&1
    out=$(python3 - "$O/bin/vmi-process-list" "$S/ram.raw" "$cfg" "$T/conf" <<'PY'
import os, resource, subprocess, sys
tool, img, cfg, dest = sys.argv[1:]
with open(dest, "w") as f:
    rc = subprocess.call([tool, img, "-c", cfg], stdout=f, stderr=subprocess.STDOUT)
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
    rc=${out% *}; kb=${out#* }
    limit=$(( $(stat -c %s "$G/ram.raw") / 4096 ))   # a quarter of the RAM, in KiB
    if [ "$rc" = 0 ] && cmp -s "$T/zero" "$T/conf" && [ "$kb" -lt "$limit" ]; then
        pass=$((pass + 1))
        echo "ok   $g: configured process list from ram.raw touched $kb KiB (limit $limit), same list as zero config"
    else
        fail=$((fail + 1))
        echo "FAIL $g: configured process list exit $rc, peak RSS $kb KiB (limit $limit)"
        diff "$T/zero" "$T/conf" | head -n 5
    fi
done
# Zero configuration on a raw image: a 64-bit kernel up to 6.12 keeps
# absolute addresses in its kallsyms tables, so the Linux layer places the
# root table from them, read in physical memory, and no scan for a page
# table runs; later kernels (place-relative offsets) and 32-bit ones need
# the scan.  Which kernel it is comes from the guest's own /proc/version.
for G in "$C"/*/; do
    G=${G%/}; g=${G##*/}
    [ -f "$G/ram.raw" ] && [ -f "$G/truth/version.txt" ] && [ -f "$G/meta.env" ] || continue
    v=$(sed -n 's/^Linux version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' "$G/truth/version.txt")
    arch=$(sed -n 's/^ARCH=//p' "$G/meta.env")
    want="a scan of memory for a page table"
    if [ "$arch" = x86_64 ] && [ -n "$v" ] && [ "${v% *}" -lt 6 -o \( "${v% *}" -eq 6 -a "${v#* }" -le 12 \) ]; then
        want="the OS layer, from the kernel's symbols"
    fi
    got=$("$O/bin/vmi-linux-offsets" "$G/ram.raw" 2>&1 | sed -n 's/^# kernel page table first found by: //p')
    if [ "$got" = "$want" ]; then
        pass=$((pass + 1)); echo "ok   $g (Linux ${v% *}.${v#* }, $arch): zero-config root from $got"
    else
        fail=$((fail + 1)); echo "FAIL $g (Linux ${v% *}.${v#* }, $arch): root from '${got:-nothing}', want '$want'"
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
