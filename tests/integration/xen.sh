#!/bin/sh
# TinyVMI on real Xen: boots Debian's Xen 4.17 under QEMU (tests/xen/),
# with a PVH and a PV guest, runs TinyVMI's static tools and test programs
# in dom0, and checks what they say against what the guests said about
# themselves (tests/xen/README.md).  Ends with "N passed, N failed, N skipped".
#
# Skips, saying so, only when the Xen packages cannot be downloaded.  The
# sanitizer pass (O=build-san) runs nothing here: the dom0 programs must be
# static, which ASan is not; the plain pass covers the same code.
O=${1:-build}
set -u
HERE=$(cd "$(dirname "$0")/../.." && pwd)
cd "$HERE" || exit 1
pass=0; fail=0; skip=0
ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; }
skip() { skip=$((skip + 1)); echo "skip $1"; }
done_() { echo "$pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }

case $O in
*san*) skip "xen: not under sanitizers (the dom0 programs are static; the plain pass runs them)"
       done_ ;;
esac

sh tests/xen/build-xen.sh
rc=$?
if [ $rc -eq 3 ]; then
    skip "xen: the Xen packages cannot be downloaded (apt-get download failed; see above)"
    done_
fi
[ $rc -eq 0 ] || { bad "xen: building the Xen test machine (tests/xen/build-xen.sh)"; done_; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tinyvmi-xentest.XXXXXX")
# TINYVMI_XEN_KEEP=DIR keeps the run's output (consoles, truth, tool
# output) in DIR for a look afterwards.
keep() {
    [ -n "${TINYVMI_XEN_KEEP:-}" ] && [ -d "$T/run" ] &&
        { rm -rf "$TINYVMI_XEN_KEEP"; cp -R "$T/run" "$TINYVMI_XEN_KEEP"; }
    rm -rf "$T"
}
trap keep EXIT
S=build-xen-static
# glibc, static, with the Xen driver (musl cannot link Xen's archives).
if ! make -s -j2 lib tools O=$S CC=gcc XEN=1 TOOL_LDFLAGS=-static > "$T/make.log" 2>&1; then
    tail -n 20 "$T/make.log"
    bad "xen: static tools with the Xen driver (libxen-dev installed? scripts/install-deps.sh)"
    done_
fi
XLIBS="-lxenctrl -lxenforeignmemory -lxendevicemodel -lxenevtchn -lxengnttab -lxencall
    -lxenstore -lxentoollog -lxentoolcore -lpthread"
for p in dom0_api dom0_events; do
    # shellcheck disable=SC2086
    gcc -static -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Iinclude -Isrc -Itests/unit \
        -Itests/integration -o "$T/$p" "tests/xen/$p.c" $S/lib/libtinyvmi.a $XLIBS \
        2> "$T/cc-$p.log" || { cat "$T/cc-$p.log"; bad "xen: building $p"; done_; }
done
# LibVMI's own kind of event program, unchanged: LibVMI's headers only.
# shellcheck disable=SC2086
gcc -static -std=c11 -O2 -Wall -Wextra -Iinclude -o "$T/cr3-events" examples/cr3-events.c \
    $S/lib/libtinyvmi.a $XLIBS 2> "$T/cc-cr3.log" ||
    { cat "$T/cc-cr3.log"; bad "xen: building examples/cr3-events.c"; done_; }
# shellcheck disable=SC2086
gcc -static -O2 -o "$T/xs-domains" tests/xen/xs-domains.c -lxenstore -lxentoolcore -lpthread ||
    { bad "xen: building xs-domains"; done_; }
# shellcheck disable=SC2086
gcc -static -O2 -o "$T/set-target" tests/xen/set-target.c $XLIBS ||
    { bad "xen: building set-target"; done_; }
TOOLS=""
for t in $S/bin/vmi-* "$T/cr3-events" "$T/set-target"; do
    TOOLS="$TOOLS -f $t"
done

# One boot for everything; the events test goes last (it destroys tvmi-pvh).
R=$T/run
t0=$(date +%s)
# The stub-domain model (dom0_stub.sh, about 35 s); TINYVMI_XEN_STUB=0
# leaves it out.
STUB=""
[ "${TINYVMI_XEN_STUB:-1}" = 1 ] && STUB=tests/xen/dom0_stub.sh
# In the background, so that a signal to this script stops run-xen.sh,
# which kills its QEMU on every exit path.
# shellcheck disable=SC2086
sh tests/xen/run-xen.sh -g "pvh pv" -t "${TINYVMI_XEN_TIMEOUT:-900}" -p 400 -o "$R" $TOOLS \
    "$T/xs-domains" "$T/dom0_api" tests/xen/dom0_tools.sh $STUB "$T/dom0_events" &
RUNXEN=$!
trap 'kill $RUNXEN 2>/dev/null; wait $RUNXEN; exit 143' TERM HUP
trap 'kill $RUNXEN 2>/dev/null; wait $RUNXEN; exit 130' INT
wait $RUNXEN
rc=$?
trap - TERM HUP INT
echo "xen: the run took $(($(date +%s) - t0)) s; dom0 steps (uptime in s):"
sed 's/^/    /' "$R/times.txt" 2>/dev/null
if [ -s "$R/guest-reboots.txt" ]; then
    echo "xen: NOTE a guest died while booting, before any program ran, and was booted again"
    echo "     (its whole first console is boot-crash-KIND.log in TINYVMI_XEN_KEEP=DIR):"
    sed 's/^/    /' "$R/guest-reboots.txt"
fi
if [ $rc -eq 3 ]; then
    skip "xen: the Xen packages cannot be downloaded"
    done_
fi
[ $rc -eq 0 ] || { bad "xen: the Xen machine ran every program ($(sed -n 's/^REASON=//p' "$R/run.env"))"; done_; }

# ---- the C test programs: their own checks ----
for p in dom0_api dom0_events; do
    echo "== $p (in dom0)"
    cat "$R/$p.out"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$R/$p.out" | tail -n 1)
    if [ -z "$line" ] || [ "$(cat "$R/$p.rc")" != 0 ]; then
        bad "xen: $p ran to its end in dom0 (status $(cat "$R/$p.rc"))"
    fi
    p_=$(echo "$line" | sed -nE 's/^([0-9]+) passed.*/\1/p')
    f_=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
    s_=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
    pass=$((pass + ${p_:-0})); fail=$((fail + ${f_:-0})); skip=$((skip + ${s_:-0}))
done

# ---- the tools, by domain name, against the guests' truth ----
echo "== tools in dom0"
D=$R/tools
for k in pvh pv; do
    G=$R/$k/truth
    name=$(cat "$G/name.txt")
    # vmi-process-list: every task the guest's /proc listed, with its name
    # (kernel threads' names cut at 15 characters; kworkers come and go);
    # nothing else but kworkers and the forker's short-lived children.
    if [ "$(cat "$D/vmi-process-list-$k.rc")" = 0 ]; then
        fpid=$(cut -d' ' -f1 "$G/counter.txt")
        awk -v truth="$G/ps.txt" -v forker="$fpid" '
            BEGIN {
                while ((getline l < truth) > 0) {
                    # Only "PID PPID KIND COMM" lines are tasks; anything
                    # else the console carried (a shell message) is not.
                    if (l !~ /^[0-9]+ -?[0-9]+ [ku] /) { print "  (truth line ignored: " l ")"; continue }
                    split(l, f, " "); c = l; sub(/^[0-9]+ -?[0-9]+ [ku] /, "", c)
                    if (f[2] == forker) continue # its children come and go
                    want[f[1]] = c; kind[f[1]] = f[3]
                }
            }
            $1 ~ /^[0-9]+$/ { got[$1] = $2 }
            END {
                bad = 0
                for (p in want) {
                    if (!(p in got)) {
                        if (want[p] !~ /^kworker/) { print "  missing " p " " want[p]; bad++ }
                        continue
                    }
                    g = got[p]; c = want[p]
                    same = g == c || (kind[p] == "k" && index(c, g) == 1 &&
                           (length(g) == 15 || substr(c, length(g) + 1, 1) ~ /[-+]/))
                    if (!same) { print "  pid " p ": the guest said " c ", TinyVMI " g; bad++ }
                }
                for (p in got)
                    if (!(p in want) && p != 0 && got[p] !~ /^kworker/ && got[p] != "tinyvmi-forker") {
                        print "  extra " p " " got[p]; bad++
                    }
                exit bad != 0
            }' "$D/vmi-process-list-$k.out" > "$T/ps-$k.diff"
        if [ $? -eq 0 ]; then
            ok "xen $k: vmi-process-list $name lists the guest's /proc ($(wc -l < "$G/ps.txt") tasks)"
        else
            bad "xen $k: vmi-process-list $name lists the guest's /proc"; cat "$T/ps-$k.diff"
        fi
    else
        bad "xen $k: vmi-process-list $name: $(tail -n 1 "$D/vmi-process-list-$k.out")"
    fi
    ver=$(head -c 40 "$G/version.txt")
    if grep -q '|Linux version' "$D/vmi-map-addr-$k.out" ||
        tr -d '\n' < "$D/vmi-map-addr-$k.out" | grep -q 'Linux ver'; then
        ok "xen $k: vmi-map-addr $name linux_banner shows the banner"
    else
        bad "xen $k: vmi-map-addr $name linux_banner shows the banner"; head -n 3 "$D/vmi-map-addr-$k.out"
    fi
    if [ -s "$D/dump-banner-$k.bin" ] && [ "$(head -c 40 "$D/dump-banner-$k.bin")" = "$ver" ]; then
        ok "xen $k: vmi-dump-memory $name holds the banner where vmi-translate says ($(cat "$D/dump-size-$k.txt") bytes)"
    else
        bad "xen $k: vmi-dump-memory $name holds the banner where vmi-translate says"
        tail -n 2 "$D/vmi-dump-memory-$k.out" "$D/vmi-translate-$k.out"
    fi
    for t in map-symbol dmesg module-list linux-offsets; do
        out=$D/vmi-$t-$k.out
        case $t in
        map-symbol) want='Linux ver' ;;
        dmesg) want=$ver ;;
        module-list) want="" ;;
        linux-offsets) want='linux_tasks' ;;
        esac
        if [ "$(cat "$D/vmi-$t-$k.rc")" = 0 ] &&
            { [ -z "$want" ] || tr -d '\n' < "$out" | grep -qF "$want"; }; then
            if [ "$t" = module-list ] && [ "$(grep -c . "$G/modules.txt")" != 0 ]; then
                bad "xen $k: the guest has modules loaded; this test expects none"
            else
                ok "xen $k: vmi-$t $name${want:+ shows \"$want\"}"
            fi
        else
            bad "xen $k: vmi-$t $name${want:+ shows \"$want\"}"; tail -n 3 "$out"
        fi
    done
    # Where the symbols came from: on the PV guest, kallsyms read through
    # the kernel's page table (its image is in no physical order).
    if [ "$k" = pv ]; then
        if grep -q '^# symbols: kallsyms in guest memory.*read through the kernel.s page table' \
            "$D/vmi-linux-offsets-$k.out"; then
            ok "xen pv: $(grep '^# symbols:' "$D/vmi-linux-offsets-$k.out" | sed 's/^# //')"
        else
            bad "xen pv: vmi-linux-offsets $name names kallsyms read through the page table"
            grep '^# symbols' "$D/vmi-linux-offsets-$k.out"
        fi
    fi
    if [ "$k" = pv ]; then
        :
    elif [ "$(cat "$D/vmi-win-guid-$k.rc")" != 0 ] && [ -s "$D/vmi-win-guid-$k.out" ]; then
        ok "xen $k: vmi-win-guid $name fails with a reason: $(tail -n 1 "$D/vmi-win-guid-$k.out")"
    else
        bad "xen $k: vmi-win-guid $name fails with a reason"
    fi
    # Events through LibVMI's API: vmi-event-example's lines and
    # examples/cr3-events' lines name processes the guest's /proc listed (or
    # the forker's children, or the kernel's own table); a PV guest has no
    # vm_event, and the tool must say so.
    ee=$D/vmi-event-example-$k.out
    ce=$D/cr3-events-$k.out
    if [ "$k" = pv ]; then
        if [ "$(cat "$D/cr3-events-$k.rc")" != 0 ] && grep -q 'Failed to register' "$ce"; then
            ok "xen pv: examples/cr3-events $name fails to register (LibVMI's program prints no reason)"
        else
            bad "xen pv: examples/cr3-events $name fails to register"; tail -n 3 "$ce"
        fi
        if [ "$(cat "$D/vmi-event-example-$k.rc")" != 0 ] && grep -q 'PV guest' "$ee"; then
            ok "xen pv: vmi-event-example $name fails with the reason: $(grep 'PV guest' "$ee" | head -n 1)"
        else
            bad "xen pv: vmi-event-example $name fails with a reason naming the PV guest"; tail -n 3 "$ee"
        fi
    else
        awk -v truth="$G/ps.txt" '
            BEGIN { while ((getline l < truth) > 0) { split(l, f, " "); c = l
                        sub(/^[0-9]+ -?[0-9]+ [ku] /, "", c); known[f[1]] = c } }
            /^vcpu / { n++; pid = $8; name = $0; sub(/^.*pid +-?[0-9]+  /, "", name)
                       if (name == "tinyvmi-forker") forker++
                       else if (name ~ /^\(the kernel/) kern++
                       else if (!(pid in known) || known[pid] != name) { print "  unknown: " $0; bad++ } }
            END { printf "%d %d %d\n", n, forker, kern; exit bad != 0 || n == 0 || forker == 0 }' \
            "$ee" > "$T/ee-$k.txt"
        st=$?
        set -- $(tail -n 1 "$T/ee-$k.txt")
        if [ "$(cat "$D/vmi-event-example-$k.rc")" = 0 ] && [ $st -eq 0 ]; then
            ok "xen $k: vmi-event-example $name -t 4: $1 CR3 writes, each to a process of the guest's /proc ($2 to the forker, $3 to the kernel's table)"
        else
            bad "xen $k: vmi-event-example $name -t 4 (status $(cat "$D/vmi-event-example-$k.rc"))"
            head -n -1 "$T/ee-$k.txt" | head -n 5; tail -n 3 "$ee"
        fi
        # It opens without the OS layer (vmi_init, as LibVMI's example does),
        # so its pids are -1; its CR3 values must chain (each write starts
        # from the last one) and include the forker's page table, as
        # vmi-process-list showed it.
        n=$(grep -c '^CR3=' "$ce")
        fp=$(cut -d' ' -f1 "$G/counter.txt")
        fdtb=$(awk -v p="$fp" '$1 == p { sub(/^0x0*/, "", $3); print $3 }' "$D/vmi-process-list-$k.out")
        broken=$(awk '/^CR3=/ { v = $1; sub(/^CR3=/, "", v); p = $NF; sub(/^CR3=/, "", p)
                                 if (NR > 1 && last != "" && p != last) b++; last = v }
                      END { print b + 0 }' "$ce")
        fn=$(grep -c "^CR3=${fdtb:-none} " "$ce")
        if [ "$(cat "$D/cr3-events-$k.rc")" = 0 ] && grep -q '^Finished' "$ce" && [ "$n" -gt 1 ] &&
            [ "$broken" = 0 ] && [ "$fn" -gt 0 ]; then
            ok "xen $k: examples/cr3-events $name (LibVMI's kind of program, unchanged): $n CR3 writes, each from the one before, $fn to the forker's page table 0x$fdtb"
        else
            bad "xen $k: examples/cr3-events $name (status $(cat "$D/cr3-events-$k.rc"), $n events, $broken not from the one before, $fn to the forker's table 0x$fdtb)"; tail -n 3 "$ce"
        fi
    fi
    if grep -qx "$(cat "$G/domid.txt") $name" "$R/xs-domains.out"; then
        ok "xen $k: xenstore lists $name with xl's domid $(cat "$G/domid.txt")"
    else
        bad "xen $k: xenstore lists $name with xl's domid"; cat "$R/xs-domains.out"
    fi
done
if [ "$(cat "$D/vmi-process-list-unknown.rc")" != 0 ] &&
    grep -q 'tvmi-no-such-domain' "$D/vmi-process-list-unknown.out"; then
    ok "xen: an unknown domain name fails with a reason: $(tail -n 1 "$D/vmi-process-list-unknown.out")"
else
    bad "xen: an unknown domain name fails with a reason"
fi
# ---- the stub-domain model (dom0_stub.sh): a measurement, reported ----
# In each phase the stub's vmi-process-list either lists the guest's
# processes or fails with a reason; what Xen and xenstore refused is
# printed.
SC=$R/stub/console.log
[ -n "$STUB" ] && echo "== the stub domain (tvmi-stub, rights over tvmi-pvh)"
[ -z "$STUB" ] || {
sed 's/^/    dom0: /' "$R/stub/dom0.log" 2>/dev/null
if grep -q TINYVMI-STUB-DONE "$SC" 2>/dev/null; then
    for ph in A B; do
        tr -d '\r' < "$SC" | awk -v ph="$ph" '$1 == "TINYVMI-STUB-PHASE" { on = $2 == ph; next }
                         /^TINYVMI-STUB-/ { on = 0 } on' > "$T/stub-$ph.txt"
        echo "  phase $ph:"; grep -v '^ *[0-9]\+  ' "$T/stub-$ph.txt" | sed 's/^/    /'
        rows=$(grep -c '^ *[0-9]\+  ' "$T/stub-$ph.txt")
        if [ "$rows" -gt 0 ]; then
            want=$(grep -c ' u \| k ' "$R/pvh/truth/ps.txt")
            if [ "$rows" -ge $((want - 5)) ] && grep -q ' tinyvmi-forker ' "$T/stub-$ph.txt"; then
                ok "xen stub phase $ph: vmi-process-list in the stub domain lists tvmi-pvh's processes ($rows rows, the guest's /proc $want)"
            else
                bad "xen stub phase $ph: vmi-process-list in the stub domain: $rows rows, the guest's /proc $want"
            fi
        elif grep -q '^vmi-process-list: cannot open tvmi-pvh: .' "$T/stub-$ph.txt"; then
            ok "xen stub phase $ph: TinyVMI in the stub domain says why it cannot: $(grep '^vmi-process-list: cannot open' "$T/stub-$ph.txt" | sed 's/^vmi-process-list: //')"
        else
            bad "xen stub phase $ph: vmi-process-list in the stub domain neither listed nor said why"
        fi
    done
    ok "xen stub: the stub domain ran both phases and said what Xen allowed (above)"
else
    bad "xen stub: the stub domain did not run to its end"; tail -n 5 "$SC" 2>/dev/null
fi
}
echo "xen: tool times in dom0 (tag, start and end uptime):"
sed 's/^/    /' "$D/times.txt" 2>/dev/null
done_
