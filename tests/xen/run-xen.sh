#!/bin/sh
# Boots TinyVMI's Xen test machine under QEMU (TCG): Debian's Xen 4.17 with
# a PV dom0, which starts the requested test guests (PVH, PV) and runs the
# given host-built programs inside dom0, one after the other.  Their output
# and exit status, the guests' own ground truth and the boot's timings come
# back into OUTDIR.  The parts are built (once) by build-xen.sh.
#
#   run-xen.sh [-g "pvh pv"] [-t SECONDS] [-p SECONDS] [-f FILE]... -o OUTDIR PROGRAM...
#
# PROGRAMs are files (static executables, or sh scripts named *.sh) run in
# dom0 from /host/bin with /host/out (= OUTDIR) as the working directory;
# see dom0-init.sh for what they find there (TVMI_OUT, <kind>/truth/).
# Each -f FILE is put into /host/bin beside them, but not run (the tools a
# program runs).
#
# It must never hang and never leave QEMU behind: QEMU runs under
# timeout(1), the whole run has a deadline, and QEMU is killed on every
# exit path.
#
# Exit status: 0 dom0 ran every program (each one's own status is in
# OUTDIR/<program>.rc), 1 the machine failed (reason on stderr and in
# OUTDIR/run.env), 3 the Xen packages cannot be downloaded, 2 usage.

set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
GUESTS="pvh"
TOTAL=${TINYVMI_XEN_TIMEOUT:-240}
PROGRAM_TIMEOUT=120
GUEST_TIMEOUT=90
OUT=""
FILES=""
usage() {
    sed -n '2,20s/^# \{0,1\}//p' "$0"
    echo "  -g KINDS    guests to start before the programs run (default \"$GUESTS\"; \"\" for none)"
    echo "  -t SECONDS  limit for the whole run (default $TOTAL, TINYVMI_XEN_TIMEOUT)"
    echo "  -p SECONDS  limit per program (default $PROGRAM_TIMEOUT)"
    echo "  -f FILE     put FILE into /host/bin too, without running it (repeatable)"
}
while getopts g:t:p:o:f:h opt; do
    case $opt in
    g) GUESTS=$OPTARG ;;
    t) TOTAL=$OPTARG ;;
    p) PROGRAM_TIMEOUT=$OPTARG ;;
    o) OUT=$OPTARG ;;
    f) [ -f "$OPTARG" ] || { echo "run-xen: no such file: $OPTARG" >&2; exit 2; }
       FILES="$FILES $OPTARG" ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ -n "$OUT" ] || { usage >&2; exit 2; }
for k in $GUESTS; do
    case $k in pvh | pv) ;; *) echo "run-xen: unknown guest kind '$k' (pvh, pv)" >&2; exit 2 ;; esac
done
for p in "$@"; do
    [ -f "$p" ] || { echo "run-xen: no such program: $p" >&2; exit 2; }
done

say() { echo "run-xen: $*"; }
now() { date +%s; }

rc=0
sh "$HERE/build-xen.sh" || rc=$?
[ $rc -eq 0 ] || exit $rc
IMAGE=${TINYVMI_GUEST_CACHE:-${HOME:-/tmp}/.cache/tinyvmi/guests}/xen/image
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
    { echo "run-xen: qemu-system-x86_64 not found (scripts/install-deps.sh)" >&2; exit 1; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/tinyvmi-xenrun.XXXXXX")
QEMU_PID=""
stop_qemu() {
    [ -n "$QEMU_PID" ] || return 0
    kill "$QEMU_PID" 2>/dev/null || true
    i=0
    while kill -0 "$QEMU_PID" 2>/dev/null && [ $i -lt 50 ]; do
        [ $i -eq 30 ] && { kill -9 "$QEMU_PID" 2>/dev/null || true; }
        sleep 0.1
        i=$((i + 1))
    done
    wait "$QEMU_PID" 2>/dev/null || true
    QEMU_PID=""
}
cleanup() { stop_qemu; rm -rf "$RUN"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

S=$RUN/share
mkdir -p "$S/bin" "$S/out" "$OUT"
for f in $FILES; do
    cp "$f" "$S/bin/$(basename "$f")"
    chmod 755 "$S/bin/$(basename "$f")"
done
names=""
for p in "$@"; do
    b=$(basename "$p")
    cp "$p" "$S/bin/$b"
    chmod 755 "$S/bin/$b"
    names="$names $b"
done
{
    echo "GUESTS=\"$GUESTS\""
    echo "PROGRAMS=\"${names# }\""
    echo "PROGRAM_TIMEOUT=$PROGRAM_TIMEOUT"
    echo "GUEST_TIMEOUT=$GUEST_TIMEOUT"
} > "$S/plan"

CONSOLE=$OUT/console.log
rm -f "$CONSOLE" "$OUT/run.env"
t0=$(now)
# -smap: with SMAP, QEMU 7.2's TCG faults dom0's iretq in sync_core and
# dom0 dies.  -xsave: with XSAVE, dom0's processes crash now and then
# (heap corruption in busybox, glibc's malloc) as soon as a second domain
# runs, that is when Xen switches vCPU state: 3 runs of 3 with it, 0 of 2
# without (tests/xen/README.md).  It also keeps AVX away, which TCG
# emulates slowly.  Multiboot modules are comma-separated: dom0's kernel with its
# command line, then its initramfs.
timeout -k 5 $((TOTAL + 30)) qemu-system-x86_64 -accel tcg -cpu "${TINYVMI_XEN_CPU:-max,-smap,-xsave}" -m 2048 -smp 1 \
    -nodefaults -no-user-config -display none -no-reboot \
    -serial "file:$CONSOLE" \
    -kernel "$IMAGE/xen" \
    -append "console=com1 dom0_mem=768M,max:768M loglvl=all guest_loglvl=all ${TINYVMI_XEN_ARGS:-}" \
    -initrd "$IMAGE/vmlinuz console=hvc0 loglevel=4,$IMAGE/dom0.cpio" \
    -fsdev "local,id=host,path=$S,security_model=none" \
    -device virtio-9p-pci,fsdev=host,mount_tag=tinyvmi \
    </dev/null >"$RUN/qemu.log" 2>&1 &
QEMU_PID=$!

result=""
up=""
deadline=$((t0 + TOTAL))
while :; do
    if [ -z "$up" ] && grep -q TINYVMI-DOM0-UP "$CONSOLE" 2>/dev/null; then
        up=$(($(now) - t0))
    fi
    if grep -q TINYVMI-DOM0-DONE "$CONSOLE" 2>/dev/null; then result=done; break; fi
    if ! kill -0 "$QEMU_PID" 2>/dev/null; then result="QEMU exited before dom0 was done"; break; fi
    if grep -Eq 'Kernel panic|Panic on CPU' "$CONSOLE" 2>/dev/null; then
        result="panic: $(grep -Ea 'Kernel panic|Panic on CPU' "$CONSOLE" | head -n 1 | tr -d '\r')"
        break
    fi
    if [ "$(now)" -ge "$deadline" ]; then result="no TINYVMI-DOM0-DONE within ${TOTAL}s"; break; fi
    sleep 0.2
done
# dom0 reboots after DONE, which ends QEMU; give it a moment to flush 9p.
if [ "$result" = done ]; then
    i=0
    while kill -0 "$QEMU_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fi
stop_qemu
t1=$(now)
cp -R "$S/out/." "$OUT/"
err=""
[ "$result" = done ] || err=$result
[ -s "$OUT/dom0-error.txt" ] && err="dom0: $(head -n 1 "$OUT/dom0-error.txt")"
{
    echo "RESULT=$([ -z "$err" ] && echo ok || echo failed)"
    echo "REASON=\"$(echo "$err" | tr -d '"$`\\')\""
    echo "SECONDS=$((t1 - t0))"
    echo "DOM0_UP_SECONDS=${up:-}"
    echo "GUESTS=\"$GUESTS\""
} > "$OUT/run.env"
if [ -n "$err" ]; then
    echo "run-xen: $err" >&2
    echo "---- last lines of the console ($CONSOLE) ----" >&2
    tail -n 30 "$CONSOLE" | tr -d '\r' >&2 || true
    [ -s "$RUN/qemu.log" ] && { echo "---- QEMU ----" >&2; tail -n 10 "$RUN/qemu.log" >&2; }
    exit 1
fi
say "done in $((t1 - t0))s (dom0 toolstack up after ${up:-?}s); output in $OUT"
