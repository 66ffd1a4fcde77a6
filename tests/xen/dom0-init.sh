#!/bin/busybox sh
# /init of the Xen test dom0 (busybox ash, PID 1).  build-xen.sh puts it
# into the dom0 initramfs; run-xen.sh boots it.  It brings up the Xen
# toolstack (xenstored, xen-init-dom0, xenconsoled), mounts the host's
# share (9p over virtio, tag "tinyvmi") on /host, starts the test guests the
# host asked for, runs the host's programs one by one and reboots, which
# ends QEMU (-no-reboot).
#
# It must never wait without a limit: every step has a timeout, and when
# one fails it says so on the console and reboots at once.
#
# The host's share:
#   /host/plan      sh variables: GUESTS (kinds, e.g. "pvh pv"), PROGRAMS
#                   (file names in /host/bin, run in order), PROGRAM_TIMEOUT,
#                   GUEST_TIMEOUT (seconds)
#   /host/bin/      the programs (static executables, or sh scripts *.sh)
#   /host/out/      written here: <program>.out (stdout and stderr),
#                   <program>.rc (exit status; 124 = timed out),
#                   <kind>/truth/ (the guest's own ground truth, see
#                   dom0-guest.sh), guest-<name>.log (each guest's console),
#                   times.txt,
#                   xl-dmesg.txt, dom0-dmesg.txt
# Console lines for the host: TINYVMI-DOM0-UP, TINYVMI-RAN <program> <rc>,
# TINYVMI-ERROR <text>, TINYVMI-DOM0-DONE.

/bin/busybox mkdir -p /proc /sys /dev /run /tmp /host
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
# xenconsoled makes each guest's console a pty: without devpts `xl create`
# waits for it and times out.
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mkdir -p /run/xen /run/xenstored /run/xen-console /var/lib/xen /var/log/xen /var/lib/xenstored
ln -sfn /run /var/run

uptime_s() { cut -d' ' -f1 /proc/uptime; }
TIMES=/run/times.txt
mark() { echo "$1 $(uptime_s)" >> $TIMES; }
fail() {
    echo "TINYVMI-ERROR $*"
    [ -d /host/out ] && echo "$*" >> /host/out/dom0-error.txt
    finish
}
finish() {
    if [ -d /host/out ]; then
        cp $TIMES /host/out/times.txt 2>/dev/null
        timeout 20 xl dmesg > /host/out/xl-dmesg.txt 2>&1
        dmesg > /host/out/dom0-dmesg.txt 2>&1
        cp /run/xen-console/*.log /host/out/ 2>/dev/null
        sync
        umount /host 2>/dev/null
    fi
    echo "TINYVMI-DOM0-DONE"
    reboot -f
    sleep 10
    poweroff -f
}
mark userspace

# Xen's drivers and the 9p client, in dependency order (build-xen.sh).
while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done < /etc/tinyvmi-modules
mount -t xenfs xenfs /proc/xen || fail "cannot mount xenfs on /proc/xen"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 tinyvmi /host ||
    fail "cannot mount the host's 9p share (tag tinyvmi)"
mkdir -p /host/out
[ -f /host/plan ] || fail "no /host/plan"
GUESTS="" PROGRAMS="" PROGRAM_TIMEOUT=60 GUEST_TIMEOUT=60
. /host/plan
mark modules

timeout 20 xenstored --pid-file=/run/xenstored.pid || fail "xenstored did not start"
timeout 20 xen-init-dom0 > /run/xen-init-dom0.log 2>&1 || fail "xen-init-dom0: $(tail -n 3 /run/xen-init-dom0.log)"
# The guests' consoles are logged in tmpfs: through 9p every line would
# be a round trip to QEMU.  finish() copies them to the share.
timeout 20 xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/run/xen-console ||
    fail "xenconsoled did not start"
mark toolstack
echo "TINYVMI-DOM0-UP"

export TVMI_OUT=/host/out
for g in $GUESTS; do
    tvmi-guest start "$g" || fail "guest $g: $(cat /run/tvmi-guest-error 2>/dev/null)"
done
mark guests-created
# A guest that dies while it boots has met none of the programs yet (they
# start below): its kernel failed on this nested, emulated machine (seen
# once, 2026-12-06: a PVH guest's "Fatal exception in interrupt" 32 s into
# its boot).  It is booted once more, and the host is told (guest-reboots.txt,
# which xen.sh prints; the first console is kept as boot-crash-KIND.log);
# a second death, or any other failure, fails the run.
for g in $GUESTS; do
    if ! tvmi-guest wait "$g" "$GUEST_TIMEOUT"; then
        why=$(cat /run/tvmi-guest-error 2>/dev/null)
        case $why in
        *"the guest is gone"*) ;;
        *) fail "guest $g: $why" ;;
        esac
        cp "/run/xen-console/guest-tvmi-$g.log" "/host/out/boot-crash-$g.log" 2>/dev/null
        echo "$g: $why" | tr -d '\r' | head -c 600 >> /host/out/guest-reboots.txt
        echo >> /host/out/guest-reboots.txt
        echo "TINYVMI-NOTE guest $g died while booting, before any program; booting it again"
        mark "guest-$g-died"
        timeout 30 xl destroy "tvmi-$g" > /dev/null 2>&1
        tvmi-guest up "$g" "$GUEST_TIMEOUT" ||
            fail "guest $g, booted a second time: $(cat /run/tvmi-guest-error 2>/dev/null)"
    fi
    mark "guest-$g-ready"
done

for p in $PROGRAMS; do
    [ -f "/host/bin/$p" ] || { echo 127 > "/host/out/$p.rc"; echo "TINYVMI-RAN $p 127"; continue; }
    run=/host/bin/$p
    case $p in *.sh) run="sh /host/bin/$p" ;; esac
    # busybox timeout sends TERM, and the status is then 143, not 124.
    (cd /host/out && timeout "$PROGRAM_TIMEOUT" $run > "/host/out/$p.out" 2>&1)
    rc=$?
    [ $rc -eq 143 ] && rc=124
    echo $rc > "/host/out/$p.rc"
    echo "TINYVMI-RAN $p $rc"
    mark "ran-$p"
done
finish
