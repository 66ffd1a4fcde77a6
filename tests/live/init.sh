#!/bin/busybox sh
# /init of TinyVMI's live test guest (busybox ash, PID 1); live-guest.sh puts
# it into the initramfs.  It starts the programs the live tests watch and
# prints, on ttyS0, what the guest itself knows (the host parses these lines):
#   TINYVMI-SYM <address> <type> <name>   from /proc/kallsyms (kptr_restrict 0)
#   TINYVMI-UNAME <release>
#   TINYVMI-MOD <name> <size>            from /proc/modules, after loading ours
#   TINYVMI-LIVE ...                      from tinyvmi-live (see its source)
#   TINYVMI-PS <pid> <comm>               every task once the programs run
#   TINYVMI-LIVE-READY                    all of the above printed
# /dev must be mounted before any `&` job: ash opens /dev/null for them and
# without it they exit at once, silently.  PID 1 never exits.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo 0 > /proc/sys/kernel/kptr_restrict
for m in /lib/modules/*.ko; do
    [ -f "$m" ] && insmod "$m"
done
while read -r name size rest; do
    echo "TINYVMI-MOD $name $size"
done < /proc/modules
for s in _text linux_banner __x64_sys_sched_get_priority_min __x64_sys_getppid asm_exc_int3 switch_mm_irqs_off \
         load_new_mm_cr3 cpu_tlbstate __per_cpu_offset init_task; do
    grep " $s\$" /proc/kallsyms | sed 's/^/TINYVMI-SYM /'
done
echo "TINYVMI-UNAME $(uname -r)"
cd /
/bin/tinyvmi-live counter &
grep -q 'tinyvmi.fork=1' /proc/cmdline && /bin/tinyvmi-live fork &
sleep 1
for d in /proc/[0-9]*; do
    read -r line < $d/stat || continue
    comm=${line#*\(}
    echo "TINYVMI-PS ${line%% *} ${comm%\)*}"
done
echo "TINYVMI-LIVE-READY"
while :; do
    wait
    sleep 3600
done
