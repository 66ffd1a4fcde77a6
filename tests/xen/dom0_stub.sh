#!/bin/sh
# Runs in the Xen test dom0 (run-xen.sh): the stub-domain model.  A small
# unprivileged PV domU, tvmi-stub, boots the guests' kernel with the guest
# initramfs and, appended to it, a static vmi-process-list, xs-domains and
# Xen's privcmd and xenfs modules.  dom0 gives it rights over tvmi-pvh in
# two steps, and the stub tries after each:
#
#   A  xc_domain_set_target(stub, tvmi-pvh) only (set-target);
#   B  and read access for the stub to xenstore's /local/domain and
#      tvmi-pvh's entries (xenstore-chmod).
#
# It only records: the stub's console goes to $TVMI_OUT/stub/console.log,
# dom0's side to $TVMI_OUT/stub/dom0.log; the host (xen.sh) compares the
# stub's process list with tvmi-pvh's truth.  Must not stop at a failure
# and never wait without a limit; destroys the stub at the end.
B=/host/bin
O=${TVMI_OUT:-/host/out}/stub
mkdir -p "$O"
L=$O/dom0.log
cons=/run/xen-console/guest-tvmi-stub.log
T=$(cat "$TVMI_OUT/pvh/truth/domid.txt")
log() { echo "$*" >> "$L"; }

S=/tmp/stub-root
rm -rf $S && mkdir -p $S/bin $S/lib/modules
cp $B/vmi-process-list $B/xs-domains $S/bin/
cp /lib/modules/xen-privcmd.ko /lib/modules/xenfs.ko $S/lib/modules/
# The stub's /init: phase A, then phase B once dom0 has granted xenstore
# reads (dom0 waits for TINYVMI-STUB-A on the console; the stub waits
# long enough, then tries anyway).
cat > $S/init <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
insmod /lib/modules/xen-privcmd.ko
insmod /lib/modules/xenfs.ko
mount -t xenfs xenfs /proc/xen
try() {
    echo "TINYVMI-STUB-PHASE $1"
    echo "== xs-domains"
    /bin/xs-domains 2>&1
    echo "== vmi-process-list tvmi-pvh"
    /bin/vmi-process-list tvmi-pvh 2>&1
    echo "== rc $?"
    echo "TINYVMI-STUB-$1"
}
try A
sleep 15
try B
echo TINYVMI-STUB-DONE
poweroff -f
EOF
chmod 755 $S/init $S/bin/*
(cd $S && find . | cpio -o -H newc 2>/dev/null) > /tmp/stub-extra.cpio
# Concatenated archives: the later /init replaces the guests' own.  Both
# uncompressed: xl gunzips a ramdisk that starts gzipped, and fails on the
# raw archive after the gzip stream (measured).
gunzip -c /boot/guest.cpio.gz > /tmp/stub.cpio
cat /tmp/stub-extra.cpio >> /tmp/stub.cpio
cat > /run/tvmi-stub.cfg <<'EOF'
name = "tvmi-stub"
type = "pv"
kernel = "/boot/vmlinux"
ramdisk = "/tmp/stub.cpio"
cmdline = "console=hvc0 loglevel=1 panic=-1"
memory = 160
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOF
rm -f "$cons"
if ! timeout 60 xl create /run/tvmi-stub.cfg >> "$L" 2>&1; then
    log "xl create failed"
    exit 1
fi
S_ID=$(xl domid tvmi-stub)
log "stub domid $S_ID, target tvmi-pvh domid $T"
echo "$S_ID" > "$O/domid.txt"
$B/set-target "$S_ID" "$T" >> "$L" 2>&1
log "set-target status $?"

wait_for() { # marker, seconds
    i=0
    while ! grep -q "$1" "$cons" 2>/dev/null; do
        [ $i -lt $(($2 * 5)) ] || { log "no $1 within $2 s"; return 1; }
        xl domid tvmi-stub > /dev/null 2>&1 ||
            { grep -q "$1" "$cons" 2>/dev/null && return 0; log "the stub is gone before $1"; return 1; }
        sleep 0.2
        i=$((i + 1))
    done
}
if wait_for TINYVMI-STUB-A 120; then
    # The permissions of the keys the name lookup reads, before and after.
    xenstore-ls -p /local/domain 2>&1 | grep -E "^ *[0-9]+ = |^ *name = " > "$O/perms-before.txt"
    xenstore-chmod /local/domain n0 "r$S_ID" >> "$L" 2>&1
    log "xenstore-chmod /local/domain n0 r$S_ID: status $?"
    xenstore-chmod /local/domain/$T n0 "r$T" "r$S_ID" >> "$L" 2>&1
    log "xenstore-chmod /local/domain/$T n0 r$T r$S_ID: status $?"
    xenstore-chmod /local/domain/$T/name n0 "r$T" "r$S_ID" >> "$L" 2>&1
    log "xenstore-chmod /local/domain/$T/name n0 r$T r$S_ID: status $?"
    wait_for TINYVMI-STUB-DONE 120
fi
cp "$cons" "$O/console.log" 2>/dev/null
timeout 30 xl destroy tvmi-stub >> "$L" 2>&1
# Put /local/domain back as it was (dom0 only), for the tests after this.
xenstore-chmod /local/domain n0 >> "$L" 2>&1
exit 0
