#!/bin/sh
# What init costs against guest RAM: the amd64 guest (256 MiB) and the same
# kernel with 1 and 4 GiB (the size guests of tests/guests/build-guests.sh,
# built here if missing), in one run.  For each: vmi_init_complete's time
# (bench_init, the median of N) and the peak RSS of the whole
# vmi-process-list process (tests/helpers/peak-rss, the largest of 3), for
# TinyVMI with no configuration, TinyVMI configured and, when
# LIBVMI_PREFIX names an installed LibVMI, LibVMI configured.  Figures,
# never pass/fail.
#
#   sh bench/ram-size.sh [BUILD_DIR]          (default build; make first)
#   LIBVMI_PREFIX=/work/cache-libvmi/install sh bench/ram-size.sh
#   RAM_SIZE_ROUNDS=21 ...                    (inits per median, default 11)
#
# "Configured" is what a LibVMI user writes for a file image, the same
# string for both libraries: a System.map (the guest's kallsyms, so KASLR
# applied), the five linux_* offsets, kpgd and pagemode (LibVMI's file mode
# needs the last two: bench/COMPARISON.md).  The offsets and kpgd come from
# TinyVMI's vmi-linux-offsets on the image (BTF; kpgd this boot's).
#
# The image is read from a sparse copy in /dev/shm, as in
# tests/integration/init_pages.sh: from ext4's page cache one fault can map
# a whole 2 MiB folio, which would count pages nobody read.  LibVMI's file
# driver reads (it is built without its mmap path), so its RSS holds no
# image pages; TinyVMI maps the image and its RSS counts the pages it read.
O=${1:-build}
C=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
N=${RAM_SIZE_ROUNDS:-11}
LV=${LIBVMI_PREFIX:-}
GUESTS="amd64 $(sh tests/guests/build-guests.sh --list-size | tr '\n' ' ')"
for t in bench/bench_init bin/vmi-process-list bin/vmi-linux-offsets tests/helpers/peak-rss; do
    [ -x "$O/$t" ] || { echo "ram-size: no $O/$t (make all tests)"; exit 1; }
done
O=$(cd "$O" && pwd) # LibVMI's example runs in another directory
sh tests/guests/build-guests.sh --only "$GUESTS" >/dev/null ||
    { echo "ram-size: cannot build the guests $GUESTS (sh tests/guests/build-guests.sh --only '$GUESTS')"; exit 1; }

T=$(mktemp -d)
S=$(mktemp -d -p /dev/shm tinyvmi-ramsize.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$T" "$S"' EXIT

# The same benchmark source against LibVMI (its API only).
if [ -z "$LV" ]; then
    LVSKIP="skipped: no LibVMI installation given (LIBVMI_PREFIX)"
elif [ ! -f "$LV/include/libvmi/libvmi.h" ] || [ ! -x "$LV/bin/vmi-process-list" ]; then
    LVSKIP="skipped: $LV has no include/libvmi/libvmi.h or bin/vmi-process-list"
elif ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$LV/include" -o "$T/bench_init_libvmi" \
        bench/bench_init.c -L"$LV/lib" -Wl,-rpath,"$LV/lib" -lvmi 2>"$T/cc.log"; then
    LVSKIP="skipped: bench_init.c does not build against $LV ($(head -n 1 "$T/cc.log"))"
else
    LVSKIP=""
fi

tsv() { # target metric value unit: bench_out.h's line
    [ -z "${TINYVMI_BENCH_TSV:-}" ] || printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$TINYVMI_BENCH_TSV"
}
# Largest peak RSS (KiB) of 3 runs of a command; its output goes to $T/out.
rss3() {
    best=0
    for i in 1 2 3; do
        "$O/tests/helpers/peak-rss" "$T/rss" "$@" >"$T/out" 2>&1 || { echo "-"; return; }
        r=$(cat "$T/rss"); [ "${r% *}" = 0 ] || { echo "-"; return; }
        [ "${r#* }" -gt "$best" ] && best=${r#* }
    done
    echo "$best"
}
mb() { [ "$1" = - ] && echo - || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ms() { sed -n 's/.*init_ms //p' "$T/init"; }
# The anonymous part once init returned (heap: what is not image pages).
anon() { mb "$(sed -n 's/^rss_anon_kib //p' "$T/init")"; }

echo "ram-size: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
    "init median of $N, peak RSS largest of 3 (whole vmi-process-list process)"
# The process's own floor: the same tool printing its help.
"$O/tests/helpers/peak-rss" "$T/rss" "$O/bin/vmi-process-list" --help >/dev/null 2>&1
echo "floor: TinyVMI vmi-process-list --help peak RSS $(mb "$(cut -d' ' -f2 "$T/rss")") MB"
echo "peak RSS: the whole vmi-process-list process; (anon): anonymous memory (heap) of a process"
echo "that has just run init (bench_init), the rest being mapped image pages and the program"
printf '%-9s | %-28s | %-28s | %-28s\n' "guest RAM" "TinyVMI zero config" "TinyVMI configured" "LibVMI configured"
printf '%-9s | %8s %19s | %8s %19s | %8s %19s\n' "" "init ms" "peak RSS MB (anon)" "init ms" \
    "peak RSS MB (anon)" "init ms" "peak RSS MB (anon)"
for g in $GUESTS; do
    G=$C/$g
    mem=$(($(sed -n 's/^MEMSIZE=//p' "$G/meta.env") >> 20))
    rm -f "$S/ram.raw"
    cp --sparse=always "$G/ram.raw" "$S/ram.raw" || { echo "$g: cannot copy ram.raw to $S"; continue; }
    awk 'NF == 3' "$G/truth/kallsyms.txt" >"$T/System.map"
    "$O/bin/vmi-linux-offsets" "$S/ram.raw" >"$T/offsets" 2>&1
    cfg="ostype = \"Linux\"; sysmap = \"$T/System.map\";"
    for k in $(sed -n 's/^ *#* *\(linux_[a-z]*\|kpgd\) *= *\(0x[0-9a-f]*\);.*/\1=\2/p' "$T/offsets" |
               grep -E '^(linux_(tasks|mm|pid|name|pgd)|kpgd)='); do
        cfg="$cfg ${k%%=*} = ${k#*=};"
    done
    cfg="$cfg pagemode = \"VMI_PM_IA32E\";"
    # TinyVMI
    z_ms=- c_ms=- l_ms=- l_kb=- z_an=- c_an=- l_an=-
    "$O/bench/bench_init" "$S/ram.raw" "" "$N" >"$T/init" 2>&1 && z_ms=$(ms) z_an=$(anon)
    z_kb=$(rss3 "$O/bin/vmi-process-list" "$S/ram.raw")
    cp "$T/out" "$T/list-zero"
    "$O/bench/bench_init" "$S/ram.raw" "{ $cfg }" "$N" >"$T/init" 2>&1 && c_ms=$(ms) c_an=$(anon)
    c_kb=$(rss3 "$O/bin/vmi-process-list" "$S/ram.raw" -c "{ $cfg }")
    cmp -s "$T/out" "$T/list-zero" || echo "note: $g: TinyVMI's configured list differs from its zero-config one"
    # LibVMI: its example reads the entry named after the image file from
    # ./libvmi.conf (the first place it looks).
    if [ -z "$LVSKIP" ]; then
        mkdir -p "$T/lv"
        echo "ram.raw { $cfg }" >"$T/lv/libvmi.conf"
        (cd "$T/lv" && "$T/bench_init_libvmi" "$S/ram.raw" "{ $cfg }" "$N") >"$T/init" 2>/dev/null && l_ms=$(ms) l_an=$(anon)
        # Its installed example has no rpath to its library.
        l_kb=$(cd "$T/lv" && LD_LIBRARY_PATH=$LV/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} &&
            export LD_LIBRARY_PATH && rss3 "$LV/bin/vmi-process-list" "$S/ram.raw")
        # Same tasks?  PIDs of both lists (LibVMI prints "[ pid] name (struct addr:...)").
        sed -n 's/^ *\[ *\([0-9]*\)\].*/\1/p' "$T/out" | sort -n >"$T/lv-pids"
        awk '$1 ~ /^[0-9]+$/ { print $1 }' "$T/list-zero" | sort -n >"$T/tv-pids"
        cmp -s "$T/lv-pids" "$T/tv-pids" ||
            echo "note: $g: LibVMI listed $(wc -l <"$T/lv-pids") PIDs, TinyVMI $(wc -l <"$T/tv-pids"), not the same"
    fi
    printf '%-9s | %8s %19s | %8s %19s | %8s %19s\n' "$mem MiB" "$z_ms" "$(mb "$z_kb") ($z_an)" \
        "$c_ms" "$(mb "$c_kb") ($c_an)" "$l_ms" "$(mb "$l_kb") ($l_an)"
    tsv "$g/ram.raw" init_zero_config "$z_ms" ms
    tsv "$g/ram.raw" process_list_zero_config_rss "$z_kb" KiB
    tsv "$g/ram.raw" init_libvmi_config "$c_ms" ms
    tsv "$g/ram.raw" process_list_libvmi_config_rss "$c_kb" KiB
    if [ -z "$LVSKIP" ]; then
        tsv "$g/ram.raw" libvmi_init_config "$l_ms" ms
        tsv "$g/ram.raw" libvmi_process_list_rss "$l_kb" KiB
    fi
done
[ -z "$LVSKIP" ] || echo "LibVMI: $LVSKIP"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
