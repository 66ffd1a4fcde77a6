#!/bin/sh
# TinyVMI next to LibVMI on real Xen (the machine of tests/xen/), in one
# boot: bench/xen_map_addr.c and bench/xen_events.c, each built once against
# TinyVMI (static, XEN=1) and once against an installed LibVMI built with
# Xen support, run one after the other in the same dom0 against the same
# PVH guest, alternating which library goes first.  Results and method:
# bench/COMPARISON.md, "On Xen".
#
#   sh bench/xen-compare.sh [LIBVMI_PREFIX]      (or LIBVMI_XEN_PREFIX=...)
#
# LIBVMI_PREFIX is where LibVMI was installed (include/libvmi/libvmi.h and
# lib/libvmi.so.0).  Without one, the script says so and exits 0: LibVMI is
# not part of TinyVMI, and neither CI nor scripts/test.sh runs this.
# XENCMP_RUNS (default 3) pairs of runs, XENCMP_SECONDS (default 10) per
# event window, XENCMP_ROUNDS (default 5) map_addr rounds, XENCMP_OUT the
# directory for the run's files (default: a new one under /tmp, kept).
# Needs pahole (dwarves) for the task_struct offsets LibVMI must be given.
set -u
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE" || exit 1
LV=${1:-${LIBVMI_XEN_PREFIX:-}}
if [ -z "$LV" ] || [ ! -f "$LV/include/libvmi/libvmi.h" ] || [ ! -f "$LV/lib/libvmi.so.0" ]; then
    echo "xen-compare: skipped: no LibVMI installation given (LIBVMI_PREFIX or LIBVMI_XEN_PREFIX" \
        "holding include/libvmi/libvmi.h and lib/libvmi.so.0, built with Xen support)"
    exit 0
fi
command -v pahole > /dev/null ||
    { echo "xen-compare: skipped: pahole (dwarves) is needed for LibVMI's offsets"; exit 0; }
RUNS=${XENCMP_RUNS:-3}
SECS=${XENCMP_SECONDS:-10}
ROUNDS=${XENCMP_ROUNDS:-5}
OUT=${XENCMP_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tinyvmi-xencmp.XXXXXX")}
mkdir -p "$OUT" || exit 1
T=$(mktemp -d "${TMPDIR:-/tmp}/tinyvmi-xencmp-build.XXXXXX")
trap 'rm -rf "$T"' EXIT
die() { echo "xen-compare: $*" >&2; exit 1; }

sh tests/xen/build-xen.sh || die "building the Xen test machine failed (tests/xen/build-xen.sh)"
IMG=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}/xen/image
S=build-xen-static
make -s -j2 lib O=$S CC=gcc XEN=1 TOOL_LDFLAGS=-static > "$T/make.log" 2>&1 ||
    { tail -n 20 "$T/make.log"; die "building TinyVMI with the Xen driver failed"; }
XLIBS="-lxenctrl -lxenforeignmemory -lxendevicemodel -lxenevtchn -lxengnttab -lxencall
    -lxenstore -lxentoollog -lxentoolcore -lpthread"
B=$T/bin
mkdir -p "$B"
for p in xen_map_addr xen_events; do
    # shellcheck disable=SC2086
    gcc -static -std=c11 -O2 -Wall -Wextra -Iinclude -Ibench -o "$B/$p.tinyvmi" "bench/$p.c" \
        $S/lib/libtinyvmi.a $XLIBS || die "building $p against TinyVMI"
    gcc -std=c11 -O2 -Wall -Wextra -I"$LV/include" -Ibench -o "$B/$p.libvmi" "bench/$p.c" \
        -L"$LV/lib" -lvmi -Wl,-rpath,/host/bin || die "building $p against LibVMI"
done

# LibVMI in dom0: its library and what it links that dom0 lacks (dom0 has
# the C library, zlib and Xen's libraries), and the two Xen libraries it
# dlopens by unversioned names, which only -dev packages provide.
cp "$LV/lib/libvmi.so.0" "$B/"
ldd "$LV/lib/libvmi.so.0" | awk '$3 ~ /^\// { print $3 }' | while read -r l; do
    case $(basename "$l") in
    libc.so.*|libm.so.*|ld-linux*|libz.so.*) ;;
    *) cp "$l" "$B/" ;;
    esac
done
for x in xenctrl xenstore; do
    f=$(ldconfig -p | awk -v n="lib$x.so" '$1 ~ "^" n "\\." && $NF ~ /^\// { print $NF; exit }')
    [ -n "$f" ] || die "no lib$x.so.* on this host (libxen-dev)"
    cp "$f" "$B/lib$x.so"
done

# What both libraries are given (the same): the task_struct/mm_struct
# offsets from the guest kernel's BTF, and in dom0 a System.map made from
# the guest's kallsyms sample (run-time addresses: KASLR applied).
(cd "$T" && cpio -id --quiet boot/vmlinux < "$IMG/dom0.cpio") || die "no boot/vmlinux in dom0.cpio"
off() { # struct member
    pahole -C "$1" "$T/boot/vmlinux" 2> /dev/null |
        awk -v m="$2" '{ for (i = 1; i <= NF; i++) if ($i == m ";" || $i == "*" m ";" || $i == m "[16];") { sub(/^.*\/\* */, ""); print $1; exit } }'
}
o_tasks=$(off task_struct tasks); o_mm=$(off task_struct mm); o_pid=$(off task_struct pid)
o_comm=$(off task_struct comm); o_pgd=$(off mm_struct pgd)
for v in "$o_tasks" "$o_mm" "$o_pid" "$o_comm" "$o_pgd"; do
    [ -n "$v" ] || die "pahole found no offset in the guest kernel's BTF"
done
cat > "$B/xencmp.sh" << EOF
# Runs in dom0 (written by bench/xen-compare.sh).
export LD_LIBRARY_PATH=/host/bin
cd /host/out
G=pvh/truth
PA=\$(sed -n 's/^TINYVMI-BENCH \\(0x[0-9a-f]*\\).*/\\1/p' \$G/console.log | head -n 1)
echo "bench page \$PA"
[ -n "\$PA" ] && [ "\$PA" != 0x0 ] || { echo "no TINYVMI-BENCH line in the guest's console"; exit 1; }
awk 'NF >= 3 { print \$1, \$2, \$3 }' \$G/kallsyms.txt > /tmp/xencmp.map
cat > /tmp/xencmp.conf << CONF
tvmi-pvh {
    ostype = "Linux";
    sysmap = "/tmp/xencmp.map";
    linux_tasks = $(printf 0x%x "$o_tasks");
    linux_mm = $(printf 0x%x "$o_mm");
    linux_pid = $(printf 0x%x "$o_pid");
    linux_name = $(printf 0x%x "$o_comm");
    linux_pgd = $(printf 0x%x "$o_pgd");
}
CONF
# TinyVMI drops its caches at every call on a live target unless told
# live_cache = event (docs/limits.md); LibVMI keeps them: both ways.
awk '/^}/ { print "    live_cache = \"event\";" } { print }' /tmp/xencmp.conf > /tmp/xencmp-event.conf
cat /tmp/xencmp.conf
echo "dom0 load before: \$(cat /proc/loadavg)"
i=1
while [ \$i -le $RUNS ]; do
    order="tinyvmi libvmi"
    [ \$((i % 2)) -eq 0 ] && order="libvmi tinyvmi"
    for lib in \$order; do
        echo "== run \$i \$lib map"
        timeout 300 /host/bin/xen_map_addr.\$lib tvmi-pvh /tmp/xencmp.conf 500 $ROUNDS 2>&1
        echo "status \$?"
        if [ \$lib = tinyvmi ]; then
            echo "== run \$i tinyvmi-event map"
            timeout 300 /host/bin/xen_map_addr.tinyvmi tvmi-pvh /tmp/xencmp-event.conf 500 $ROUNDS 2>&1
            echo "status \$?"
        fi
        echo "== run \$i \$lib events"
        timeout 300 /host/bin/xen_events.\$lib tvmi-pvh \$PA $SECS 2>&1
        echo "status \$?"
    done
    i=\$((i + 1))
done
echo "dom0 load after: \$(cat /proc/loadavg)"
EOF

echo "xen-compare: host load before: $(cat /proc/loadavg)"
FILES=""
for f in "$B"/*; do
    case $f in */xencmp.sh) ;; *) FILES="$FILES -f $f" ;; esac
done
budget=$((120 + RUNS * 2 * (3 * (SECS + 8) + 60 + ROUNDS * 10)))
# XENCMP_EXTRA: more programs to run in the same boot, after the comparison.
# shellcheck disable=SC2086
sh tests/xen/run-xen.sh -g pvh -t $((budget + 300)) -p "$budget" -o "$OUT" $FILES "$B/xencmp.sh" \
    ${XENCMP_EXTRA:-}
rc=$?
echo "xen-compare: host load after: $(cat /proc/loadavg)"
[ $rc -eq 0 ] || die "the Xen machine failed (status $rc; $OUT/run.env)"
R=$OUT/xencmp.sh.out
[ -f "$R" ] || die "no output from dom0 ($OUT)"
grep -E '^(== |status [^0]|xen_|bench page|dom0 load)' "$R" | grep -v '^== ' | sed 's/^/    /'

# Medians per library of every figure on the RESULT lines.
awk '
    /^== run / { lib = $4 }
    /^RESULT / {
        for (i = 3; i <= NF; i++) {
            split($i, kv, "="); k = $2 "." kv[1]
            if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
            n = ++cnt[lib, k]; v[lib, k, n] = kv[2] + 0
        }
    }
    function median(lib, k,   n, i, j, t, a) {
        n = cnt[lib, k]; if (!n) return "-"
        for (i = 1; i <= n; i++) a[i] = v[lib, k, i]
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
        printf "%-24s %12s %12s %12s   (medians of %d runs each)\n", "", "TinyVMI", "LibVMI", "TinyVMI-ev", cnt["tinyvmi", keys[1]]
        for (i = 1; i <= nk; i++)
            printf "%-24s %12s %12s %12s\n", keys[i], median("tinyvmi", keys[i]), median("libvmi", keys[i]), median("tinyvmi-event", keys[i])
    }' "$R" | tee "$OUT/medians.txt"
echo "xen-compare: everything is in $OUT"
