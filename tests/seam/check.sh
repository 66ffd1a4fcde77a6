#!/bin/sh
# The seam check: every symbol the core's objects leave undefined is either
# defined by TinyVMI's own objects or listed in tests/seam/allowlist.  The
# core is src/util, arch, core, os and events; drivers (their own I/O) and
# tools are not, and util/sys_posix.o is the host half of the seam.
# Usage: tests/seam/check.sh [build dir [core objects]] (default build, and
# the build's own obj/src; make check-freestanding passes its objects).
# Exit 1 on any symbol outside the list, naming it and the objects using it.
O=${1:-build}
here=$(dirname "$0")
list=$here/allowlist
lib=$O/obj/src
src=${2:-$lib}
NM=${NM:-nm}

core=$(find "$src/util" "$src/arch" "$src/core" "$src/os" "$src/events" -name '*.o' \
            ! -name sys_posix.o 2>/dev/null | sort)
n=$(echo "$core" | grep -c '\.o$')
if [ "$n" -lt 20 ]; then
    echo "seam: only $n core objects under $src: build the library first (make lib)"
    exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Global definitions anywhere in the library, drivers included (the core
# calls driver_*), so calls between our own files are never flagged.
find "$lib" -name '*.o' -exec $NM --defined-only --extern-only {} + 2>/dev/null |
    awk 'NF >= 3 { print $3 }' | sort -u > "$tmp/defined"
for o in $core; do
    $NM --undefined-only "$o" | awk -v o="${o#$src/}" '{ print $NF, o }'
done | sort > "$tmp/undefined"
join -v 1 "$tmp/undefined" "$tmp/defined" > "$tmp/foreign"

patterns=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | awk '{ print $1 }')
bad=0
for sym in $(awk '{ print $1 }' "$tmp/foreign" | sort -u); do
    ok=
    for p in $patterns; do
        # shellcheck disable=SC2254
        case $sym in $p) ok=1; break ;; esac
    done
    if [ -z "$ok" ]; then
        echo "seam: $sym is not in tests/seam/allowlist; used by:" \
             $(awk -v s="$sym" '$1 == s { print $2 }' "$tmp/foreign")
        bad=$((bad + 1))
    fi
done
used=$(awk '{ print $1 }' "$tmp/foreign" | sort -u | wc -l)
if [ "$bad" -ne 0 ]; then
    echo "seam: $bad symbol(s) outside the allowlist: route the host service through src/util/sys.h or add it to the list with a reason"
    exit 1
fi
echo "seam: $n core objects reference $used outside symbols, all in the allowlist ($(echo "$patterns" | wc -l) entries)"
