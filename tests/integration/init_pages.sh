#!/bin/sh
# Init reads what it needs: on a raw image (no registers) with a System.map
# and the process offsets configured, the Linux layer finds the kernel's
# page-table root from its symbols instead of the core scanning all of
# memory for one.  Checked by what the whole vmi-process-list process
# touches beyond the same tool's --help (peak RSS: the image's pages that
# reads or walks fault in, and the heap) against 3 MiB (issue 11; it was
# 3.9 MiB while reads copied from the mapping, whose faults map 16 pages
# each; now they use pread), and by its list equalling the
# zero-configuration one.  A resource bound, not a timing.  Then, for every
# guest, where zero configuration found the root on the raw image (the
# trampoline's table, or a scan), against the kernel the guest says it runs,
# and what the zero-config list touched.  Ends with
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
# The peak of the tool alone (a child of this shell or of python would
# count the parent's pages too: tests/helpers/peak-rss.c).
[ -x "$O/tests/helpers/peak-rss" ] || { echo "FAIL no $O/tests/helpers/peak-rss (make tests)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
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
    "$O/tests/helpers/peak-rss" "$T/rss" "$O/bin/vmi-process-list" "$S/ram.raw" -c "$cfg" > "$T/conf" 2>&1
    out=$(cat "$T/rss" 2>/dev/null)
    rc=${out% *}; kb=${out#* }
    "$O/tests/helpers/peak-rss" "$T/rss" "$O/bin/vmi-process-list" --help > /dev/null 2>&1
    base=$(cat "$T/rss" 2>/dev/null); base=${base#* }
    limit=3072
    if [ "$rc" = 0 ] && cmp -s "$T/zero" "$T/conf" && [ -n "$base" ] && [ $((kb - base)) -le "$limit" ]; then
        pass=$((pass + 1))
        echo "ok   $g: configured process list from ram.raw: peak RSS $kb KiB, $((kb - base)) beyond --help's (limit $limit), same list as zero config"
    else
        fail=$((fail + 1))
        echo "FAIL $g: configured process list exit $rc, peak RSS $kb KiB, --help's ${base:-?} KiB (limit $limit beyond it)"
        diff "$T/zero" "$T/conf" | head -n 5
    fi
done
# The size guests (amd64 with 1 and 4 GiB of RAM, 4 GiB's top GiB at
# 4 GiB in ram.raw) are not built by default: build them here, so that the
# loop below sees whether init's cost stays the same as RAM grows.
sizes=$(sh tests/guests/build-guests.sh --list-size | tr '\n' ' ')
if sh tests/guests/build-guests.sh --only "$sizes" > "$T/build" 2>&1; then
    pass=$((pass + 1)); echo "ok   size guests built or up to date: $sizes"
else
    fail=$((fail + 1)); echo "FAIL cannot build the size guests ($sizes):"; tail -n 5 "$T/build"
fi
for g in $sizes; do
    [ -f "$C/$g/stamp" ] || { fail=$((fail + 1)); echo "FAIL $g: no image after the build"; }
done
# Zero configuration on a raw image.  A 64-bit kernel's image is found
# through the real-mode trampoline's page table below 1 MiB (image.c), so
# no scan for a page table runs and what is read is the kernel's image,
# not its RAM: the whole process stays under 64 MiB whatever the guest's
# RAM (the old search read up to the kernel, 159-312 MB on these guests).
# 32-bit kernels have no such table; their root is searched for in the
# 64 MiB after the banner by the fixed layout (va = pa + PAGE_OFFSET), not
# by the core's scan of every page.  Which kernel it is
# comes from the guest's own /proc/version and the builder's meta.env.
# The zero-config list must hold exactly the guest's user processes
# (ps.txt's KIND u: those with a page table), PID and name.
for G in "$C"/*/; do
    G=${G%/}; g=${G##*/}
    [ -f "$G/ram.raw" ] && [ -f "$G/truth/version.txt" ] && [ -f "$G/meta.env" ] || continue
    v=$(sed -n 's/^Linux version \([0-9]*\)\.\([0-9]*\).*/\1.\2/p' "$G/truth/version.txt")
    arch=$(sed -n 's/^ARCH=//p' "$G/meta.env")
    want="the OS layer, from a 32-bit kernel's fixed layout"
    [ "$arch" = x86_64 ] && want="the OS layer, from the real-mode trampoline's page table"
    got=$("$O/bin/vmi-linux-offsets" "$G/ram.raw" 2>&1 | sed -n 's/^# kernel page table first found by: //p')
    if [ "$got" = "$want" ]; then
        pass=$((pass + 1)); echo "ok   $g (Linux $v, $arch): zero-config root from $got"
    else
        fail=$((fail + 1)); echo "FAIL $g (Linux $v, $arch): root from '${got:-nothing}', want '$want'"
    fi
    rm -f "$S/ram.raw"
    # Sparse: the 4 GiB guest's ram.raw is 5 GiB, most of it holes.
    cp --sparse=always "$G/ram.raw" "$S/ram.raw" || { fail=$((fail + 1)); echo "FAIL $g: cannot copy the image to $S"; continue; }
    "$O/tests/helpers/peak-rss" "$T/rss" "$O/bin/vmi-process-list" "$S/ram.raw" > "$T/zl" 2>&1
    out=$(cat "$T/rss" 2>/dev/null)
    rc=${out% *}; kb=${out#* }
    if [ "$rc" = 0 ] && [ "$kb" -lt 65536 ]; then
        pass=$((pass + 1)); echo "ok   $g: zero-config process list touched $kb KiB (limit 65536; RAM $(( $(sed -n 's/^MEMSIZE=//p' "$G/meta.env") >> 20 )) MiB)"
    else
        fail=$((fail + 1)); echo "FAIL $g: zero-config process list exit $rc, peak RSS $kb KiB (limit 65536)"
        head -n 3 "$T/zl"
    fi
    # What an instance keeps once init returned (#11: 16 MB beyond the
    # image pages it maps): the symbol index and caches, not the BTF
    # (dropped, read again on demand), not kallsyms windows left in
    # malloc's heap (a 32-bit kernel's was read twice: 26 MB).
    anon=$("$O/bench/bench_init" "$S/ram.raw" '' 1 2>&1 | sed -n 's/^rss_anon_kib //p')
    if [ -n "$anon" ] && [ "$anon" -lt 16384 ]; then
        pass=$((pass + 1)); echo "ok   $g: $anon KiB anonymous memory after a zero-config init (limit 16384)"
    else
        fail=$((fail + 1)); echo "FAIL $g: ${anon:-?} KiB anonymous memory after a zero-config init (limit 16384)"
    fi
    awk '$3 == "u" { print $1, $4 }' "$G/truth/ps.txt" > "$T/want"
    awk '$1 ~ /^[0-9]+$/ && $3 ~ /^0x/ && $3 !~ /^0x0+$/ { print $1, $2 }' "$T/zl" |
        sort -n > "$T/got"
    if [ -s "$T/want" ] && cmp -s "$T/want" "$T/got"; then
        pass=$((pass + 1)); echo "ok   $g: zero-config list has the guest's $(wc -l < "$T/want") user processes, as ps.txt says"
    else
        fail=$((fail + 1)); echo "FAIL $g: zero-config user processes differ from ps.txt (< guest, > TinyVMI):"
        diff "$T/want" "$T/got" | head -n 6
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
