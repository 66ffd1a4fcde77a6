#!/bin/busybox sh
# /init of a TinyVMI test guest (busybox ash, PID 1).  build-guests.sh puts
# it into the initramfs.  It makes the guest look like a small real system
# (modules loaded, user processes with known command lines and environments),
# records what the guest itself says about its kernel ("ground truth"), ships
# that to the host over the second serial port, prints the ready marker and
# then idles so the host can snapshot it.
#
# It must not start anything after the ground truth is taken that would
# still be alive at snapshot time, or the truth would no longer describe
# the snapshot: PID 1 ends by waiting on its own children, without forking.
#
# Console protocol on ttyS0 (lines the host looks for):
#   TINYVMI-ERROR <text>          something the host should report
#   TINYVMI-BULK <bytes> <md5>    size and md5 of the gzip'd tar on ttyS1
#   TINYVMI-GUEST-READY           all truth sent; snapshot now

/bin/busybox mkdir -p /proc /sys /dev /tmp /truth
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo 0 > /proc/sys/kernel/kptr_restrict
echo 0 > /proc/sys/kernel/dmesg_restrict
echo "TINYVMI-INIT $(uname -r)"

# Modules from the guest's own kernel package, in dependency order.
while read -r m; do
    [ -n "$m" ] || continue
    insmod "/lib/modules/$m.ko" || echo "TINYVMI-ERROR insmod $m failed"
done < /etc/tinyvmi-modules

# Long-lived user processes the tests look for.  env -i gives each one an
# exact, known environment; TINYVMI_PAD makes the loop's environment cross a
# page boundary so readers of environ must handle more than one page.
cd /
env -i TINYVMI_MARK=tinyvmi-sleeper PATH=/bin HOME=/ sleep 100000 &
env -i TINYVMI_MARK=tinyvmi-loop PATH=/bin TINYVMI_PAD="$(printf '%05000d' 0)" \
    /bin/tinyvmi-loop first-arg "second arg" &
# Let both exec() before they are looked at.
sleep 1

T=/truth
uname -a > $T/uname.txt
cat /proc/version > $T/version.txt
cat /proc/cmdline > $T/cmdline.txt
cat /proc/kallsyms > $T/kallsyms.txt
cat /proc/iomem > $T/iomem.txt
cat /proc/modules > $T/modules.txt
cat /proc/meminfo > $T/meminfo.txt
cat /proc/cpuinfo > $T/cpuinfo.txt

# Marked processes: raw cmdline/environ bytes exactly as /proc shows them.
: > $T/marked.txt
for d in /proc/[0-9]*; do
    p=${d#/proc/}
    mark=$(tr '\0' '\n' < $d/environ 2>/dev/null | sed -n 's/^TINYVMI_MARK=//p')
    [ -n "$mark" ] || continue
    echo "$p $mark" >> $T/marked.txt
    cat $d/cmdline > $T/proc-$p-cmdline.raw
    cat $d/environ > $T/proc-$p-environ.raw
    cat $d/maps > $T/proc-$p-maps.txt
done

# Bytes the guest reads at kernel addresses of its own choosing (KASLR makes
# them differ per boot): named text/data symbols if this kernel lists them,
# about 20 global text symbols spread over the kernel, and the first text
# symbol of every loaded module (module space is mapped differently).
# Symbols in .init.text are skipped: that memory is freed after boot and
# reused, so its bytes would not stay put until the snapshot.  Addresses
# are compared as strings: kallsyms pads them to one width, and awk's
# doubles cannot hold 64-bit addresses.
ntext=$(grep -c '^[0-9a-f]* T ' $T/kallsyms.txt)
awk -v step=$((ntext / 20 + 1)) '
    BEGIN { n = split("_text _stext linux_banner init_uts_ns init_task init_top_pgt swapper_pg_dir sys_call_table", w, " ")
            for (i = 1; i <= n; i++) want[w[i]] = 1 }
    NR == FNR { if ($3 == "_sinittext") lo = $1; if ($3 == "_einittext") hi = $1; next }
    lo != "" && hi != "" && $1 >= lo && $1 < hi { next }
    NF == 3 && ($3 in want) && !seen[$3]++ { print $1, $3; next }
    NF == 3 && $2 == "T" && ++t % step == 0 { print $1, $3; next }
    NF == 4 && ($2 == "t" || $2 == "T") && !mod[$4]++ { print $1, $3, $4 }
' $T/kallsyms.txt $T/kallsyms.txt > /tmp/peek.list
kcore-peek < /tmp/peek.list > $T/kcore.txt || echo "TINYVMI-ERROR kcore-peek failed"

dmesg > $T/dmesg.txt

# Process list taken with shell builtins only, so that taking it adds no
# process; everything forked after it exits before the ready marker.
# Line format: PID PPID KIND COMM (KIND k = kernel thread, u = user).
for d in /proc/[0-9]*; do
    read -r line < $d/stat || continue
    pid=${line%% *}
    comm=${line#*\(}
    comm=${comm%\)*}
    set -- ${line##*\) }
    kind=u
    [ $(( $7 & 0x200000 )) -ne 0 ] && kind=k
    echo "$pid $2 $kind $comm"
done > /tmp/ps.unsorted
sort -n /tmp/ps.unsorted > $T/ps.txt

tar -c -C $T -f - . | gzip -c > /tmp/bulk.tgz
sum=$(md5sum /tmp/bulk.tgz | cut -d' ' -f1)
size=$(wc -c < /tmp/bulk.tgz)
stty -F /dev/ttyS1 raw -echo
echo "TINYVMI-BULK $size $sum"
cat /tmp/bulk.tgz > /dev/ttyS1
rm -f /tmp/bulk.tgz /tmp/ps.unsorted /tmp/peek.list
echo "TINYVMI-GUEST-READY"

# Idle without forking: wait returns only if every child exited, which
# should not happen; then fall back to sleeping.
while :; do
    wait
    sleep 3600
done
