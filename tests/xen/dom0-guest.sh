#!/bin/sh
# tvmi-guest: starts, waits for and removes the Xen test guests, in dom0
# (installed as /bin/tvmi-guest by build-xen.sh).  dom0-init.sh uses it
# for the guests the host asked for; a test that destroys a guest can
# bring it back with `tvmi-guest up KIND`.
#
#   tvmi-guest start KIND          xl create (KIND: pvh or pv); guest tvmi-KIND
#   tvmi-guest wait KIND [SECONDS] until the guest printed TINYVMI-GUEST-READY,
#                                  then its truth -> $TVMI_OUT/KIND/truth/
#   tvmi-guest up KIND [SECONDS]   start, then wait
#   tvmi-guest destroy KIND        xl destroy
#
# KIND/truth/ holds the files the guest printed (guest-init.sh: version.txt,
# uname.txt, cmdline.txt, ps.txt, kallsyms.txt, iomem.txt, meminfo.txt),
# plus counter.txt ("PID VA START") and forker.txt (the rest of its
# TINYVMI-FORKER line) from the guest's tinyvmi-forker, domid.txt and
# name.txt (from xl) and console.log (the whole console).  The layout is
# tests/guests' (<cache>/<guest>/truth/), so tests/integration/guest.h
# reads it with TINYVMI_GUEST_CACHE=$TVMI_OUT.
# On failure the reason is in /run/tvmi-guest-error and the status is 1.
#
# It must never wait without a limit.

set -u
kind=${2:-}
case $kind in
pvh | pv) ;;
*) echo "usage: tvmi-guest start|wait|up|destroy pvh|pv [SECONDS]" >&2; exit 2 ;;
esac
name=tvmi-$kind
cons=/run/xen-console/guest-$name.log
truth=${TVMI_OUT:-/run}/$kind/truth
err() {
    echo "$name: $*" > /run/tvmi-guest-error
    echo "tvmi-guest: $name: $*" >&2
    exit 1
}

start() {
    cfg=/run/$name.cfg
    {
        echo "name = \"$name\""
        echo "type = \"$kind\""
        echo 'kernel = "/boot/vmlinux"'
        echo 'ramdisk = "/boot/guest.cpio.gz"'
        echo "cmdline = \"console=hvc0 loglevel=1 panic=-1 tinyvmi=$kind\""
        echo 'memory = 256'
        echo 'vcpus = 1'
        echo 'on_poweroff = "destroy"'
        echo 'on_crash = "destroy"'
        # Under QEMU's SVM, without NRIP save, Xen mis-decodes the RDTSCP a
        # PVH guest runs unless the TSC is native.
        [ "$kind" = pvh ] && echo 'tsc_mode = "native"'
    } > "$cfg"
    rm -f "$cons"
    log=${TVMI_OUT:-/run}/xl-create-$kind.log
    timeout 60 xl -v create "$cfg" > "$log" 2>&1 ||
        err "xl create failed (log: xl-create-$kind.log): $(grep -m 2 -i error "$log" | tr '\n' ' ')"
}

wait_ready() {
    limit=${1:-60}
    i=0
    # Only the end of the log: it grows to megabytes (kallsyms), and
    # reading all of it five times a second would slow the guest down.
    while ! tail -c 512 "$cons" 2>/dev/null | grep -q TINYVMI-GUEST-READY; do
        xl domid "$name" > /dev/null 2>&1 || err "the guest is gone (console: $(tail -c 300 "$cons" 2>/dev/null))"
        [ $i -lt $((limit * 5)) ] || err "no TINYVMI-GUEST-READY within ${limit}s"
        sleep 0.2
        i=$((i + 1))
    done
    rm -rf "$truth"
    mkdir -p "$truth"
    tr -d '\r' < "$cons" > "$truth/console.log"
    awk -v dir="$truth" '
        /^TINYVMI-FILE / { f = dir "/" $2; printf "" > f; next }
        /^TINYVMI-EOF / { close(f); f = ""; next }
        f != "" { print > f; next }
        /^TINYVMI-COUNTER / { print $2, $3, $4 > (dir "/counter.txt") }
        /^TINYVMI-FORKER / { sub(/^TINYVMI-FORKER /, ""); print > (dir "/forker.txt") }
    ' "$truth/console.log"
    xl domid "$name" > "$truth/domid.txt"
    echo "$name" > "$truth/name.txt"
    grep -q '^TINYVMI-ERROR' "$truth/console.log" &&
        err "the guest reported: $(grep '^TINYVMI-ERROR' "$truth/console.log" | head -n 3 | tr '\n' ' ')"
    for f in version.txt ps.txt kallsyms.txt counter.txt forker.txt; do
        [ -s "$truth/$f" ] || err "the guest printed no $f"
    done
}

case $1 in
start) start ;;
wait) wait_ready "${3:-60}" ;;
up) start && wait_ready "${3:-60}" ;;
destroy) timeout 30 xl destroy "$name" || err "xl destroy failed" ;;
*) echo "usage: tvmi-guest start|wait|up|destroy pvh|pv [SECONDS]" >&2; exit 2 ;;
esac
