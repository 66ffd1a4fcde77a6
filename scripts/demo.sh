#!/bin/sh
# TinyVMI's main job on real targets it prepares itself.
#  1. A memory image: boots Debian's own amd64 kernel under QEMU, snapshots
#     its memory (ELF core, raw, LiME), then introspects the snapshot:
#     translates the kernel banner's address level by level, hex-dumps the
#     page that holds it, and lists the guest's processes.
#  2. A running guest: boots the same kernel again and leaves it running
#     (tests/live/live-guest.sh: QEMU with a QMP socket and its RAM in a
#     shared file, nothing else), attaches by the socket alone, lists its
#     processes live, reads a counter the guest advances, and prints its CR3
#     writes (the processes it switches to) for a few seconds.
# The guest's own words (its /proc, its console lines) are printed alongside
# to compare.  The running guest is stopped on every way out (trap).
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

# ---- 2. a running guest ----------------------------------------------------
D=/tmp/tvdemo.$$
stop_guest() {
    sh tests/live/live-guest.sh stop "$D" >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap stop_guest EXIT
trap 'echo "demo: interrupted; stopping the guest" >&2; exit 130' INT TERM HUP
# QEMU cannot outlive the demo even if this shell is killed outright.
TINYVMI_LIVE_LIFETIME=${TINYVMI_LIVE_LIFETIME:-600}
export TINYVMI_LIVE_LIFETIME
echo
echo "== a running guest: the same kernel under QEMU, left running; QEMU has only"
echo "   -qmp unix:$D/qmp.sock,server=on,wait=off and its RAM in a shared file"
sh tests/live/live-guest.sh start "$D" --fork
S=$D/qmp.sock
echo
echo "== the guest said (its console):"
tr -d '\r' < "$D/console.log" | grep -a -E '^TINYVMI-(UNAME|LIVE (counter|fork))'
cpid=$(sed -n 's/^TINYVMI-LIVE counter pid=\([0-9]*\) counter=\(0x[0-9a-f]*\).*/\1/p' "$D/console.log")
cva=$(sed -n 's/^TINYVMI-LIVE counter pid=\([0-9]*\) counter=\(0x[0-9a-f]*\).*/\2/p' "$D/console.log")
fpid=$(sed -n 's/^TINYVMI-LIVE fork pid=\([0-9]*\).*/\1/p' "$D/console.log")
echo
echo "== vmi-process-list $S   (live: the QMP socket is all TinyVMI is given)"
build/bin/vmi-process-list "$S" > "$D/ps.txt" || echo "(process listing failed; see the reason above)"
cat "$D/ps.txt"
echo
echo "== against the guest's own /proc, read at boot (its TINYVMI-PS lines; the"
echo "   children it forks every 200 ms live 50 ms each, so they are left out)"
ours=$(awk 'NR > 1 && $1 != 0 && $2 != "tinyvmi-child" {print $1, $2}' "$D/ps.txt" | sort)
theirs=$(tr -d '\r' < "$D/console.log" | sed -n 's/^TINYVMI-PS //p' |
    awk '$2 != "tinyvmi-child" { if ($2 ~ /^kworker\//) sub(/-.*/, "", $2); print $1, substr($2, 1, 15) }' |
    sort)
if [ "$ours" = "$theirs" ]; then
    echo "   identical: $(echo "$theirs" | wc -l) processes"
else
    echo "   differences (< guest, > TinyVMI):"
    printf '%s\n' "$theirs" > "$D/a"; printf '%s\n' "$ours" > "$D/b"
    diff "$D/a" "$D/b" || true
fi
echo
echo "== the guest's counter (pid $cpid, $cva; it adds 1 every 10 ms), read live"
echo "   once a second: vmi-map-addr $S $cva -p $cpid -l 8"
for i in 1 2 3; do
    [ $i = 1 ] || sleep 1
    # The 8 bytes of the dump, little-endian, as one number.
    hex=$(build/bin/vmi-map-addr "$S" "$cva" -p "$cpid" -l 8 |
        awk '/^00000000/ { for (i = 9; i >= 2; i--) printf "%s", $i }')
    echo "   counter = $(printf '%d' "0x${hex:-0}")"
done
echo
echo "== vmi-event-example $S -t 5   (one line per CR3 write: vCPU, old -> new CR3,"
echo "   the process switched to; the first 12 lines)"
log0=$(wc -c < "$D/console.log")
build/bin/vmi-event-example "$S" -t 5 > "$D/ev.txt" 2> "$D/ev.err" ||
    { cat "$D/ev.err"; echo "(events failed; see the reason above)"; }
head -n 12 "$D/ev.txt"
echo "   ... $(wc -l < "$D/ev.txt") CR3 writes in 5 s, by the process switched to:"
sed -n 's/.*  pid *\(-*[0-9]*\)  \(.*\)/\1 \2/p' "$D/ev.txt" | sort | uniq -c | sort -rn |
    head -n 8 | awk '{ n = $1; $1 = ""; printf "   %5d  pid%s\n", n, $0 }'
echo
echo "== the guest said meanwhile (its console: the children tinyvmi-live (pid $fpid) forked)"
echo "   and the CR3 writes TinyVMI saw into each:"
tail -c +"$((log0 + 1))" "$D/console.log" | tr -d '\r' |
    sed -n 's/^TINYVMI-LIVE-CHILD pid=\([0-9]*\).*/\1/p' > "$D/kids"
seen=0 said=0
while read -r k; do
    n=$(grep -c "  pid *$k  " "$D/ev.txt" || true)
    said=$((said + 1))
    [ "$n" -gt 0 ] && seen=$((seen + 1))
    [ "$said" -le 6 ] && echo "   TINYVMI-LIVE-CHILD pid=$k   $n CR3 writes into pid $k"
done < "$D/kids"
echo "   ... TinyVMI saw $seen of the $said children the guest said it forked (one forked"
echo "   while vmi-event-example attached, or just before it stopped, may show none)"
echo
echo "== stopping the guest"
