#!/bin/sh
# TinyVMI's main job on a real target it prepares itself: boots Debian's own
# amd64 kernel under QEMU, snapshots its memory (ELF core, raw, LiME), then
# introspects the snapshot: translates the kernel banner's address level by
# level, hex-dumps the page that holds it, and lists the guest's processes.
# The guest's own words (its /proc/version) are printed alongside to compare.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
make -j2 all >/dev/null
sh tests/guests/build-guests.sh --only amd64
G=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}/amd64
banner=$(sed -n 's/^\([0-9a-f]*\) [A-Za-z] linux_banner$/\1/p' "$G/truth/kallsyms.txt")
echo
echo "== the guest said (/proc/version):"
cat "$G/truth/version.txt"
echo
echo "== vmi-translate $G/core.elf 0x$banner   (linux_banner, from the guest's kallsyms)"
build/bin/vmi-translate "$G/core.elf" "0x$banner"
echo
echo "== vmi-map-addr $G/core.elf 0x$banner   (the page holding the banner)"
build/bin/vmi-map-addr "$G/core.elf" "0x$banner" | grep -B2 -A6 'Linux ver' | head -n 12
echo
echo "== vmi-process-list $G/ram.raw   (a raw image, no configuration at all)"
build/bin/vmi-process-list "$G/ram.raw" > /tmp/tinyvmi-demo-ps.txt ||
    echo "(process listing failed; see the reason above)"
cat /tmp/tinyvmi-demo-ps.txt
echo
echo "== the guest's own /proc (pid, name) against TinyVMI's list.  The kernel stores 15"
echo "   characters of a name; /proc adds a busy kworker's current work (\"-events\")."
ours=$(awk 'NR > 1 && $1 != 0 {print $1, $2}' /tmp/tinyvmi-demo-ps.txt | sort)
theirs=$(awk '{ if ($4 ~ /^kworker\//) sub(/-.*/, "", $4); print $1, substr($4, 1, 15) }' \
    "$G/truth/ps.txt" | sort)
if [ "$ours" = "$theirs" ]; then
    echo "   identical: $(echo "$theirs" | wc -l) processes"
else
    echo "   differences (< guest, > TinyVMI):"
    printf '%s\n' "$theirs" > /tmp/tinyvmi-demo-a; printf '%s\n' "$ours" > /tmp/tinyvmi-demo-b
    diff /tmp/tinyvmi-demo-a /tmp/tinyvmi-demo-b || true
fi
