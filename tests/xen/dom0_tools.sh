#!/bin/sh
# Runs in the Xen test dom0 (run-xen.sh): every TinyVMI tool, static, by
# domain name, on tvmi-pvh and tvmi-pv.  It only records: each run's output
# goes to $TVMI_OUT/tools/<tool>-<kind>.out and its exit status to .rc; the
# host (tests/integration/xen.sh) compares them with the guests' truth.
# It must not stop at a failing tool.
B=/host/bin
O=${TVMI_OUT:-/host/out}/tools
mkdir -p "$O"
run() { # tag, command...
    tag=$1
    shift
    t0=$(cut -d' ' -f1 /proc/uptime)
    "$@" > "$O/$tag.out" 2>&1
    echo $? > "$O/$tag.rc"
    echo "$tag $t0 $(cut -d' ' -f1 /proc/uptime)" >> "$O/times.txt"
}
# Every tool that needs the OS layer on both guests, with no configuration:
# the PV guest's kernel image lies in machine frames in no order, so its
# kallsyms is read through the kernel's page table (docs/xen.md).  The tools
# for memory and addresses run on the PV guest with "ostype = none"
# (LibVMI's way to say: no OS layer) as well, so that they are tested
# without it.  Under TCG each start with the OS layer costs 2-8 s.
for k in pvh pv; do
    n=$(cat "$TVMI_OUT/$k/truth/name.txt")
    ban=0x$(awk '$3 == "linux_banner" { print $1 }' "$TVMI_OUT/$k/truth/kallsyms.txt")
    c=""
    [ $k = pv ] && c="ostype = none"
    run "vmi-process-list-$k" $B/vmi-process-list "$n"
    run "vmi-map-addr-$k" $B/vmi-map-addr "$n" "$ban" ${c:+-c "$c"}
    run "vmi-translate-$k" $B/vmi-translate "$n" "$ban" ${c:+-c "$c"}
    run "vmi-map-symbol-$k" $B/vmi-map-symbol "$n" linux_banner
    run "vmi-dmesg-$k" $B/vmi-dmesg "$n"
    run "vmi-module-list-$k" $B/vmi-module-list "$n"
    run "vmi-linux-offsets-$k" $B/vmi-linux-offsets "$n"
    [ $k = pvh ] && run "vmi-win-guid-$k" $B/vmi-win-guid "$n"
    # The dump stays in dom0 (256 MiB over 9p would take long): only what is
    # at the banner's physical address comes back.
    pa=$(sed -n 's/^physical address *0x\([0-9a-f]*\).*/\1/p' "$O/vmi-translate-$k.out")
    run "vmi-dump-memory-$k" $B/vmi-dump-memory "$n" /tmp/dump-$k.raw -q ${c:+-c "$c"}
    if [ -n "$pa" ] && [ -f /tmp/dump-$k.raw ]; then
        dd if=/tmp/dump-$k.raw bs=1 skip=$((0x$pa)) count=200 2>/dev/null > "$O/dump-banner-$k.bin"
        ls -l /tmp/dump-$k.raw | awk '{ print $5 }' > "$O/dump-size-$k.txt"
    fi
    rm -f /tmp/dump-$k.raw
    # Events, by LibVMI's API: the tool and LibVMI's kind of example
    # program, unchanged (a PV guest has no vm_event: both must fail, the
    # tool with the reason).
    run "vmi-event-example-$k" $B/vmi-event-example "$n" -t 4
    run "cr3-events-$k" timeout -s INT 6 $B/cr3-events "$n"
done
# Names that are no domain, and ids: reasons, not crashes.
run "vmi-process-list-unknown" $B/vmi-process-list tvmi-no-such-domain
exit 0
