#!/bin/busybox sh
# /init of the Xen test guests (PVH and PV; busybox ash, PID 1).
# build-xen.sh puts it into the guest initramfs.  It starts the processes
# dom0's tests look for, then prints what the guest knows about itself
# ("ground truth") on its console, hvc0, which xenconsoled logs in dom0.
#
# It must not start long-lived processes after the process list is taken,
# and must print nothing but the protocol between the markers: dom0 cuts
# the truth files out of the console log.  The kernel runs with loglevel=1
# so its messages do not interleave.
#
# Console protocol (lines; \r may follow):
#   TINYVMI-COUNTER <pid> <va> <start>   from tinyvmi-forker, see guest-forker.c
#   TINYVMI-FILE <name>                  the lines up to TINYVMI-EOF are file <name>
#   TINYVMI-EOF <name>
#   TINYVMI-ERROR <text>
#   TINYVMI-GUEST-READY                  all truth printed

/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo 0 > /proc/sys/kernel/kptr_restrict
dmesg -n 1
cd /

# ash opens /dev/null for background jobs: without /dev they exit at once.
env -i TINYVMI_MARK=tinyvmi-sleeper PATH=/bin sleep 100000 &
env -i TINYVMI_MARK=tinyvmi-forker PATH=/bin /bin/tinyvmi-forker &
sleep 1

file() { # name, command...
    n=$1
    shift
    echo "TINYVMI-FILE $n"
    "$@" || echo "TINYVMI-ERROR $n: '$*' failed"
    echo "TINYVMI-EOF $n"
}

# Taken with shell builtins only, so that taking it adds no process (the
# forker's short-lived children come and go; their comm is tinyvmi-forker).
# Line format as in tests/guests: PID PPID KIND COMM, KIND k = kernel thread.
ps_list() {
    # A task can exit between the glob and the read; the braces keep the
    # shell's "can't open" off the console, where it would land in ps.txt.
    for d in /proc/[0-9]*; do
        { read -r line < $d/stat; } 2>/dev/null || continue
        pid=${line%% *}
        comm=${line#*\(}
        comm=${comm%\)*}
        set -- ${line##*\) }
        kind=u
        [ $(( $7 & 0x200000 )) -ne 0 ] && kind=k
        echo "$pid $2 $kind $comm"
    done > /tmp/ps.unsorted
    sort -n /tmp/ps.unsorted
}

file version.txt cat /proc/version
file uname.txt uname -a
file cmdline.txt cat /proc/cmdline
file ps.txt ps_list
# A sample of /proc/kallsyms, not all of it: the console moves about 30 KB/s
# under QEMU's TCG, and the whole table (4 MB) would take two minutes.
# Every named symbol the tests look up, and every 200th line.
kallsyms_sample() {
    awk 'BEGIN { n = split("_text _stext _etext linux_banner init_task init_mm init_top_pgt swapper_pg_dir init_uts_ns sys_call_table jiffies_64 modules", w, " ")
                 for (i = 1; i <= n; i++) want[w[i]] = 1 }
         ($3 in want) || NR % 200 == 0' /proc/kallsyms
}
file kallsyms.txt kallsyms_sample
file iomem.txt cat /proc/iomem
file modules.txt cat /proc/modules
file meminfo.txt cat /proc/meminfo
echo "TINYVMI-GUEST-READY"

while :; do
    wait
    sleep 3600
done
