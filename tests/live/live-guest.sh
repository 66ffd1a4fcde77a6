#!/bin/sh
# Boots TinyVMI's live test guest and leaves it running: Debian's amd64
# kernel (the one tests/guests/build-guests.sh caches) with a busybox
# initramfs whose /init (init.sh) starts tinyvmi-live.  QEMU gets exactly the
# two options a TinyVMI user gives it: a QMP socket and RAM in a shared file.
#
#   sh tests/live/live-guest.sh start DIR [--smp N] [--fork]   boot, wait for ready
#   sh tests/live/live-guest.sh stop DIR                       end QEMU, remove its RAM file
#
# DIR (short: UNIX socket paths have 108 bytes) receives qmp.sock,
# console.log (the guest's ttyS0, with its ground-truth lines), qemu.pid,
# ram.path.  QEMU runs under timeout(1) (TINYVMI_LIVE_LIFETIME seconds,
# default 900), so it can never outlive a test that forgets it; `stop` is
# always safe to call twice.  TINYVMI_LIVE_TIMEOUT (default 120) limits the
# boot.  It never touches the guest cache except to build it when missing.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${TINYVMI_GUEST_CACHE:-${HOME:-/tmp}/.cache/tinyvmi/guests}
die() { echo "live-guest: $*" >&2; exit 1; }

stop() {
    d=$1
    if [ -f "$d/qemu.pid" ]; then
        pid=$(cat "$d/qemu.pid")
        # timeout(1) passes TERM on to QEMU; KILL only if it lingers.
        kill "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$pid" 2>/dev/null || true
        [ -f "$d/qemu.child" ] && kill -9 "$(cat "$d/qemu.child")" 2>/dev/null || true
        rm -f "$d/qemu.pid" "$d/qemu.child"
    fi
    if [ -f "$d/ram.path" ]; then
        rm -f "$(cat "$d/ram.path")" "$d/ram.path"
    fi
}

[ $# -ge 2 ] || die "usage: $0 start DIR [--smp N] [--fork] | stop DIR"
cmd=$1 DIR=$2
shift 2
case $cmd in
stop) stop "$DIR"; exit 0 ;;
start) ;;
*) die "unknown command $cmd" ;;
esac
SMP=1 FORK=0
while [ $# -gt 0 ]; do
    case $1 in
    --smp) SMP=$2; shift ;;
    --fork) FORK=1 ;;
    *) die "unknown option $1" ;;
    esac
    shift
done

# The amd64 guest's own kernel (the one linux-image-amd64 depends on when the
# cache was built; its meta.env names the package and version).
amd64_kernel() {
    pkg=$(sed -n 's/^KERNEL_PKG=//p' "$CACHE/amd64/meta.env" 2>/dev/null)
    ver=$(sed -n 's/^KERNEL_PKG_VERSION=//p' "$CACHE/amd64/meta.env" 2>/dev/null)
    [ -n "$pkg" ] && [ -n "$ver" ] && echo "$CACHE/kernels/${pkg}_${ver}_amd64"
}
kernel=$(amd64_kernel)
deb=$(ls "$CACHE"/debs/busybox-static_*_amd64.deb 2>/dev/null | tail -n 1)
if [ -z "$kernel" ] || [ ! -f "$kernel/done" ] || [ -z "$deb" ]; then
    sh "$HERE/../guests/build-guests.sh" --only amd64 >&2 || die "cannot build the amd64 guest cache"
    kernel=$(amd64_kernel)
    deb=$(ls "$CACHE"/debs/busybox-static_*_amd64.deb | tail -n 1)
    [ -n "$kernel" ] && [ -f "$kernel/done" ] || die "no kernel for the amd64 guest in $CACHE"
fi
mkdir -p "$DIR"
stop "$DIR"
root=$DIR/root
rm -rf "$root" "$DIR/console.log" "$DIR/qmp.sock"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/lib/modules"
# Two modules of the guest's own kernel package (build-guests.sh unpacked
# them), so module lists have something to show.
for m in ts_kmp ts_bm; do
    [ -f "$kernel/modules/$m.ko" ] && cp "$kernel/modules/$m.ko" "$root/lib/modules/"
done
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" ./bin/busybox || die "no busybox in $deb"
${TINYVMI_GUEST_CC:-gcc} -static -O2 -o "$root/bin/tinyvmi-live" "$HERE/tinyvmi-live.c" ||
    die "cannot build a static tinyvmi-live"
cp "$HERE/init.sh" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$DIR/initrd.gz"
rm -rf "$root"

ram=/dev/shm/tinyvmi-live-$$-$(date +%s)
echo "$ram" > "$DIR/ram.path"
append="console=ttyS0 panic=-1"
[ "$FORK" = 0 ] || append="$append tinyvmi.fork=1"
timeout -k 5 "${TINYVMI_LIVE_LIFETIME:-900}" qemu-system-x86_64 -accel tcg -cpu qemu64 \
    -smp "$SMP" -m 256M \
    -object "memory-backend-file,id=mem,size=256M,mem-path=$ram,share=on" \
    -machine pc,memory-backend=mem \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$DIR/console.log" \
    -qmp "unix:$DIR/qmp.sock,server=on,wait=off" \
    -kernel "$kernel/vmlinuz" -initrd "$DIR/initrd.gz" -append "$append" \
    </dev/null >"$DIR/qemu.log" 2>&1 &
echo $! > "$DIR/qemu.pid"

deadline=$(($(date +%s) + ${TINYVMI_LIVE_TIMEOUT:-120}))
while ! grep -q TINYVMI-LIVE-READY "$DIR/console.log" 2>/dev/null; do
    if ! kill -0 "$(cat "$DIR/qemu.pid")" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
        echo "live-guest: the guest did not get ready; console and QEMU output:" >&2
        tail -n 30 "$DIR/console.log" "$DIR/qemu.log" >&2 2>/dev/null || true
        stop "$DIR"
        exit 1
    fi
    sleep 0.2
done
# QEMU's own pid (timeout's child), so that stop can KILL it if needed.
pgrep -P "$(cat "$DIR/qemu.pid")" > "$DIR/qemu.child" 2>/dev/null || true
echo "live-guest: ready in $DIR"
