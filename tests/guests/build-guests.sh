#!/bin/sh
# Builds TinyVMI's real test targets: small Debian-kernel guests booted
# under QEMU (TCG), a matrix across paging modes and kernel generations, each
# snapshotted at a known moment as a raw RAM file, an
# ELF core and a LiME image, together with the ground truth the guest itself
# printed about its kernel.  The integration tests read these; the layout is
# the contract documented in tests/guests/README.md.
#
# It must not install anything into the host (kernels and busybox are
# fetched with `apt-get download` and unpacked with dpkg-deb), must not change
# the host's apt sources (kernels of other Debian suites come through a
# private apt state under the cache), must not touch the git tree (everything lands in the cache directory), and must stay
# cheap when the images already exist: then it runs no apt, no compiler and
# no QEMU.
#
# POSIX sh on purpose: `make guests` runs it with sh (dash on Debian).

set -eu

# Bump when the layout, the guest's /init or anything that changes what a
# built guest contains changes: every cached guest is rebuilt.
FORMAT_VERSION=2
# The i386 guests' debug-package truth (truth/System.map-dbg,
# truth/offsets-dwarf.txt) is a separate step with its own stamp, so that
# changing it never rebuilds the images.  Bump when that step changes.
DBG_FORMAT_VERSION=1
DBG_GUESTS="i386 i386-pae"

# The kernel matrix: amd64-<suite> runs the newest amd64 kernel of that
# Debian suite (see guest_config).
SUITE_GUESTS="amd64-bullseye amd64-bookworm-backports amd64-trixie amd64-trixie-backports amd64-sid"
ALL_GUESTS="amd64 amd64-la57 i386 i386-pae $SUITE_GUESTS"
# Guests that differ from amd64 only in RAM size, for measuring what init
# costs against guest RAM (bench/ram-size.sh, tests/integration/init_pages.sh).
# Not in ALL_GUESTS: the tests that loop over every guest want core.elf and
# ram.lime, and a size guest has neither (dump-guest-memory would write all
# of its RAM, dense); only `--only` builds them.
SIZE_GUESTS="amd64-1g amd64-4g"
# Modules loaded in the guest, in load order (file names, found anywhere
# below the package's kernel/ directory: 6.15 moved crc-itu-t to lib/crc/).
# Chosen because every kernel of the matrix (5.10 .. 7.x, amd64 and 686)
# has them as modules and they depend on nothing; the build checks both.
MODULES="crc-itu-t ts_kmp ts_bm ts_fsm"
# Where the suites' kernels come from (deb.debian.org serves every suite of
# SUITE_GUESTS; archive.debian.org, for buster and older, may not resolve).
SUITE_MIRROR=${TINYVMI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${TINYVMI_GUEST_CACHE:-${HOME:-/tmp}/.cache/tinyvmi/guests}
BOOT_TIMEOUT=${TINYVMI_GUEST_TIMEOUT:-120}
HOST_CC=${CC:-cc}
GUEST_CC=${TINYVMI_GUEST_CC:-gcc}
DBG_TIMEOUT=${TINYVMI_DBG_TIMEOUT:-1800}

usage() {
    cat <<EOF
usage: $0 [--force] [--only NAME] [--dbg-only] [--list] [--help]

Builds (or reuses) TinyVMI's integration-test guest images in
  \$TINYVMI_GUEST_CACHE (default ~/.cache/tinyvmi/guests), now: $CACHE
Guests: $ALL_GUESTS
Size guests (only with --only): $SIZE_GUESTS

  --force       rebuild even if the cached images are complete
  --only NAME   build only guest NAME (several: --only 'A B')
  --dbg-only    only the debug-package truth of the i386 guests (which
                must be built already): truth/System.map-dbg and
                truth/offsets-dwarf.txt from linux-image-*-dbg
  --list        print the guests' names, one a line, and exit (not the
                size guests: they lack core.elf and ram.lime)
  --list-size   print the size guests' names, one a line, and exit
  --help        this text

A guest is rebuilt when one of its files is missing or its stamp was written
by another FORMAT_VERSION (now $FORMAT_VERSION).  --force also picks up newer
Debian kernels.  TINYVMI_DEBIAN_MIRROR (default $SUITE_MIRROR) serves the
suites' kernels.  TINYVMI_GUEST_TIMEOUT (seconds, default 120) limits each
boot, TINYVMI_DBG_TIMEOUT (default 1800) the -dbg package download.
Host packages needed: see tests/guests/deps.sh.
EOF
}

FORCE=0
ONLY=""
DBG_ONLY=0
while [ $# -gt 0 ]; do
    case $1 in
    --force) FORCE=1 ;;
    --only)
        [ $# -ge 2 ] || { usage >&2; exit 2; }
        ONLY=$2
        shift ;;
    --only=*) ONLY=${1#--only=} ;;
    --dbg-only) DBG_ONLY=1 ;;
    --list) for g in $ALL_GUESTS; do echo "$g"; done; exit 0 ;;
    --list-size) for g in $SIZE_GUESTS; do echo "$g"; done; exit 0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-guests: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

GUESTS=$ALL_GUESTS
if [ -n "$ONLY" ]; then
    for g in $ONLY; do
        case " $ALL_GUESTS $SIZE_GUESTS " in
        *" $g "*) ;;
        *) echo "build-guests: unknown guest '$g' (known: $ALL_GUESTS $SIZE_GUESTS)" >&2; exit 2 ;;
        esac
    done
    GUESTS=$ONLY
fi

say() { echo "build-guests: $*"; }
die() { echo "build-guests: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- guests ---

# Sets the per-guest variables.  EXPECT_PAGING is what CR0/CR4/EFER must
# show once the guest runs; the build fails otherwise, since a guest in the
# wrong paging mode would make its tests test the wrong walker.  SUITE is
# the Debian suite the kernel comes from, through a private apt state
# (suite_apt); empty: the host's own apt sources.  The kernel matrix's
# guests use qemu64 like amd64 (4-level paging: kernels before 6.16 with
# X86_5LEVEL, and all after it, switch to 5-level on a CPU with LA57).
guest_config() {
    SUITE=""
    MEM_MB=256
    SIZE_GUEST=0
    case $1 in
    amd64-1g | amd64-4g)
        # amd64 with more RAM: same kernel, CPU and /init.
        SIZE_GUEST=1
        MEM_MB=1024
        [ "$1" = amd64-1g ] || MEM_MB=4096
        ARCH=x86_64 DEB_ARCH=amd64 META=linux-image-amd64
        QEMU=qemu-system-x86_64 QEMU_CPU=qemu64 EXPECT_PAGING=ia32e
        return 0 ;;
    amd64-la57) ;;
    amd64-*)
        SUITE=${1#amd64-}
        ARCH=x86_64 DEB_ARCH=amd64 META=linux-image-amd64
        QEMU=qemu-system-x86_64 QEMU_CPU=qemu64 EXPECT_PAGING=ia32e
        return 0 ;;
    esac
    case $1 in
    amd64)
        ARCH=x86_64 DEB_ARCH=amd64 META=linux-image-amd64
        QEMU=qemu-system-x86_64 QEMU_CPU=qemu64 EXPECT_PAGING=ia32e ;;
    amd64-la57)
        ARCH=x86_64 DEB_ARCH=amd64 META=linux-image-amd64
        QEMU=qemu-system-x86_64 QEMU_CPU=qemu64,+la57 EXPECT_PAGING=la57 ;;
    i386)
        ARCH=i386 DEB_ARCH=i386 META=linux-image-686
        QEMU=qemu-system-i386 QEMU_CPU=qemu32 EXPECT_PAGING=legacy ;;
    i386-pae)
        ARCH=i386 DEB_ARCH=i386 META=linux-image-686-pae
        QEMU=qemu-system-i386 QEMU_CPU=max EXPECT_PAGING=pae ;;
    *) die "no configuration for guest '$1'" ;;
    esac
}

TRUTH_FILES="truth/uname.txt truth/version.txt truth/cmdline.txt truth/kallsyms.txt
    truth/iomem.txt truth/modules.txt truth/ps.txt truth/marked.txt
    truth/dmesg.txt truth/meminfo.txt truth/cpuinfo.txt truth/kcore.txt
    truth/registers.txt truth/mtree.txt"

guest_complete() {
    d=$CACHE/$1
    [ -f "$d/stamp" ] || return 1
    grep -qx "FORMAT_VERSION=$FORMAT_VERSION" "$d/stamp" || return 1
    files="ram.raw core.elf ram.lime"
    case " $SIZE_GUESTS " in *" $1 "*) files=ram.raw ;; esac
    for f in $files meta.env console.log $TRUTH_FILES; do
        [ -s "$d/$f" ] || return 1
    done
    return 0
}

# VALUE of KEY in a KEY=VALUE file (meta.env, dbg-stamp); empty if absent.
kv_get() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1; }

DBG_FILES="truth/System.map-dbg truth/offsets-dwarf.txt"

# The debug-package truth is there, from this DBG_FORMAT_VERSION and for
# the very kernel package the guest runs.
dbg_complete() {
    d=$CACHE/$1
    [ -f "$d/dbg-stamp" ] || return 1
    [ "$(kv_get "$d/dbg-stamp" DBG_FORMAT_VERSION)" = "$DBG_FORMAT_VERSION" ] || return 1
    [ "$(kv_get "$d/dbg-stamp" DBG_PKG)" = "$(kv_get "$d/meta.env" KERNEL_PKG)-dbg" ] || return 1
    [ "$(kv_get "$d/dbg-stamp" DBG_PKG_VERSION)" = "$(kv_get "$d/meta.env" KERNEL_PKG_VERSION)" ] ||
        return 1
    for f in $DBG_FILES; do
        [ -s "$d/$f" ] || return 1
    done
    return 0
}

# ------------------------------------------------------ cleanup and lock ---

WORK=""
QEMU_PID=""
SHM_FILE=""
OUTNEW="" # the half-built guest directory, removed if we do not finish
DBG_DIR="" # the -dbg package and what was unpacked from it (~1 GB), always removed
# Ends our QEMU (asked to quit already, or TERM'd now if FAST) and removes
# its RAM file.  TERM before KILL: QEMU runs under timeout(1), which passes
# TERM on but would orphan QEMU if it were killed itself.
stop_qemu() {
    if [ -n "$QEMU_PID" ]; then
        [ "${1:-}" != fast ] || kill "$QEMU_PID" 2>/dev/null || true
        i=0
        while kill -0 "$QEMU_PID" 2>/dev/null && [ $i -lt 60 ]; do
            [ $i -eq 30 ] && { kill "$QEMU_PID" 2>/dev/null || true; }
            [ $i -eq 50 ] && { kill -9 "$QEMU_PID" 2>/dev/null || true; }
            sleep 0.1
            i=$((i + 1))
        done
        wait "$QEMU_PID" 2>/dev/null || true
    fi
    QEMU_PID=""
    [ -z "$SHM_FILE" ] || rm -f "$SHM_FILE"
    SHM_FILE=""
}
cleanup() {
    stop_qemu fast
    [ -z "$OUTNEW" ] || rm -rf "$OUTNEW"
    OUTNEW=""
    [ -z "$DBG_DIR" ] || rm -rf "$DBG_DIR"
    DBG_DIR=""
    [ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir -p "$CACHE" || die "cannot create cache directory $CACHE"
# Two `make check` runs at once must not build the same guest twice.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock -w 1800 9 || die "timed out waiting for the lock on $CACHE/.lock"
fi

# RAM files of runs that were killed with SIGKILL (no trap ran): ours are
# named tinyvmi-<guest>-<pid of the builder>, and we hold the lock.
for f in /dev/shm/tinyvmi-*-*; do
    [ -f "$f" ] || continue
    ours=0
    for g in $ALL_GUESTS $SIZE_GUESTS; do
        case ${f#/dev/shm/tinyvmi-"$g"-} in
        "$f" | "" | *[!0-9]*) ;;
        *) ours=1 ;;
        esac
    done
    [ "$ours" = 1 ] || continue
    kill -0 "${f##*-}" 2>/dev/null || rm -f "$f"
done

TODO=""
for g in $GUESTS; do
    if [ "$DBG_ONLY" = 1 ]; then
        guest_complete "$g" || case " $DBG_GUESTS " in
            *" $g "*) die "$g: no complete guest image in $CACHE/$g; build it first" \
                "(sh $0 --only $g)" ;;
        esac
    elif [ "$FORCE" = 1 ] || ! guest_complete "$g"; then
        TODO="$TODO $g"
    else
        say "$g: up to date ($CACHE/$g)"
    fi
done

# The debug-package step of the i386 guests: which of GUESTS need it.
DBG_TODO=""
for g in $GUESTS; do
    case " $DBG_GUESTS " in *" $g "*) ;; *) continue ;; esac
    case " $TODO " in
    *" $g "*) DBG_TODO="$DBG_TODO $g" ;; # a rebuilt guest has none
    *)
        if [ "$FORCE" = 1 ] || ! dbg_complete "$g"; then
            DBG_TODO="$DBG_TODO $g"
        else
            say "$g: debug-package truth up to date"
        fi ;;
    esac
done
[ -n "$TODO$DBG_TODO" ] || exit 0

# ------------------------------------------------------------ host tools ---

for t in timeout tar dpkg-deb apt-get apt-cache; do
    command -v "$t" >/dev/null 2>&1 ||
        die "'$t' not found; install the packages listed in tests/guests/deps.sh"
done
[ -z "$DBG_TODO" ] || command -v pahole >/dev/null 2>&1 ||
    die "'pahole' not found (it reads the i386 kernels' DWARF); install dwarves" \
        "(see tests/guests/deps.sh)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tinyvmi-guests.XXXXXX")
mkdir -p "$WORK/bin" "$CACHE/debs" "$CACHE/kernels"

if [ -n "$TODO" ]; then
    for t in "$HOST_CC" "$GUEST_CC" cpio gzip md5sum; do
        command -v "$t" >/dev/null 2>&1 ||
            die "'$t' not found; install the packages listed in tests/guests/deps.sh"
    done
    for g in $TODO; do
        guest_config "$g"
        command -v "$QEMU" >/dev/null 2>&1 ||
            die "'$QEMU' not found; install qemu-system-x86 (see tests/guests/deps.sh)"
    done

    CFLAGS_HELPER="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra"
    "$HOST_CC" $CFLAGS_HELPER -o "$WORK/bin/qmp-cmd" "$HERE/qmp-cmd.c" ||
        die "cannot compile qmp-cmd.c with $HOST_CC"
    "$HOST_CC" $CFLAGS_HELPER -o "$WORK/bin/raw2lime" "$HERE/raw2lime.c" ||
        die "cannot compile raw2lime.c with $HOST_CC"
fi

# kcore-peek runs inside the guest, so it is static and of the guest's
# architecture; -m32 needs gcc-multilib (or libc6-dev-i386 + lib32gcc-dev).
kcore_peek_for() {
    out=$WORK/bin/kcore-peek-$1
    [ -x "$out" ] && return 0
    case $1 in
    x86_64) m=-m64 ;;
    i386) m=-m32 ;;
    esac
    "$GUEST_CC" $m -static $CFLAGS_HELPER -D_FILE_OFFSET_BITS=64 -o "$out" \
        "$HERE/kcore-peek.c" 2>"$WORK/cc.log" || {
        cat "$WORK/cc.log" >&2
        die "cannot build a static $1 kcore-peek with '$GUEST_CC $m -static'" \
            "(for i386 install gcc-multilib; see tests/guests/deps.sh)"
    }
}

# ---------------------------------------------------------- debian bits ---

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

# apt-get update only when a lookup or download failed, and only once: a
# mirror in mid-sync can fail one index ("File has unexpected size ...
# Mirror sync in progress"), so one retry and then carry on with the lists
# we have, as long as the packages we need still download.
APT_REFRESHED=0
apt_refresh() {
    [ "$APT_REFRESHED" = 0 ] || return 1
    APT_REFRESHED=1
    if [ "$1" = i386 ] && [ "$(dpkg --print-architecture)" != i386 ] &&
        ! dpkg --print-foreign-architectures | grep -qx i386; then
        say "adding dpkg architecture i386"
        as_root dpkg --add-architecture i386 ||
            die "i386 packages are needed: run 'dpkg --add-architecture i386 && apt-get update' as root"
    fi
    say "apt-get update"
    if ! as_root apt-get update >>"$WORK/apt.log" 2>&1; then
        sleep 5
        as_root apt-get update >>"$WORK/apt.log" 2>&1 ||
            say "apt-get update failed twice ($(grep '^E:' "$WORK/apt.log" | head -n 1));" \
                "going on with the lists we have"
    fi
    return 0
}

fsize() { if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi; }

# ---- kernels of other Debian suites, without touching the host's apt ----
#
# Each suite gets its own apt state under $CACHE/apt/<suite>/: an apt.conf
# (handed to apt through APT_CONFIG) naming a one-line sources.list, its own
# lists, package cache and an empty dpkg status.  apt itself then checks the
# suite's InRelease signature against Debian's archive keyring and every
# Packages index and .deb against the hashes of the signed index, exactly as
# for the host's own sources, and nothing of the host's apt configuration
# (sources, lists, /var/cache) changes.  No root is needed for it.  The
# host's apt.conf.d still applies (a proxy set there is used).
# Check-Valid-Until is off: a mirror that is not refreshed (a frozen or
# slow one) serves a sid index whose Valid-Until has passed; the signature
# is still checked, so the worst case is an older genuine Debian kernel.
suite_dir() { echo "$CACHE/apt/$1"; }

suite_setup() { # suite
    d=$(suite_dir "$1")
    [ -s "$SUITE_KEYRING" ] ||
        die "$SUITE_KEYRING is missing (install debian-archive-keyring)"
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/sources.list.d"
    : > "$d/status"
    # Packages only: the host's apt.conf.d (read after APT_CONFIG) may ask
    # for more, e.g. apt-file's Contents, which a syncing mirror can fail.
    echo "deb [arch=amd64 target=Packages signed-by=$SUITE_KEYRING] $SUITE_MIRROR $1 main" \
        > "$d/sources.list"
    {
        echo "Dir::Etc::SourceList \"$d/sources.list\";"
        echo "Dir::Etc::SourceParts \"$d/sources.list.d\";"
        echo "Dir::State::Lists \"$d/lists\";"
        echo "Dir::State::status \"$d/status\";"
        echo "Dir::Cache \"$d/cache\";"
        echo 'APT::Architecture "amd64";'
        echo 'APT::Architectures { "amd64"; };'
        echo 'Acquire::Languages "none";'
        echo 'Acquire::Check-Valid-Until "false";'
    } > "$d/apt.conf.new"
    mv "$d/apt.conf.new" "$d/apt.conf"
}

# apt-get / apt-cache for the current guest's kernel: the suite's private
# state when SUITE is set, else the host's own apt.
kapt() {
    if [ -n "$SUITE" ]; then
        APT_CONFIG=$(suite_dir "$SUITE")/apt.conf "$@"
    else
        "$@"
    fi
}
# The host's apt (busybox-static: the same initramfs for every guest).
hapt() { "$@"; }

# The suite's lists: fetched on first use, and again (once a run per suite)
# when a lookup or download failed.
SUITES_REFRESHED=""
suite_refresh() { # suite
    case " $SUITES_REFRESHED " in *" $1 "*) return 1 ;; esac
    SUITES_REFRESHED="$SUITES_REFRESHED $1"
    say "apt-get update for $1 (private apt state in $(suite_dir "$1"))"
    if ! SUITE=$1 kapt apt-get update >>"$WORK/apt.log" 2>&1; then
        sleep 5
        SUITE=$1 kapt apt-get update >>"$WORK/apt.log" 2>&1 ||
            say "apt-get update for $1 failed twice ($(grep '^E:' "$WORK/apt.log" | tail -n 1))"
    fi
    return 0
}

# Makes sure the candidate .debs of the given PKG:ARCH names are in the deb
# cache (downloading what is missing or short) and sets DEB_FILES to their
# paths, in argument order.  $1 is kapt or hapt (which apt to ask).  Fails
# (status 1) on any error.
download_debs() {
    via=$1
    shift
    $via apt-get download --print-uris "$@" >"$WORK/uris" 2>>"$WORK/apt.log" || return 1
    DEB_FILES=""
    for pa in "$@"; do
        # Lines: 'URI' FILE SIZE HASH; FILE starts with the package name.
        # shellcheck disable=SC2046 # splitting the line into fields is the point
        set -- $(grep "^'[^ ]*' ${pa%%:*}_" "$WORK/uris" | head -n 1)
        [ $# -ge 3 ] || return 1
        f=$CACHE/debs/$2
        if [ "$(fsize "$f")" -ne "$3" ]; then
            rm -f "$f"
            (cd "$CACHE/debs" && $via apt-get download "$pa") >>"$WORK/apt.log" 2>&1 || return 1
            [ "$(fsize "$f")" -eq "$3" ] || return 1
        fi
        DEB_FILES="$DEB_FILES $f"
    done
}

# The versioned kernel package behind metapackage META (ABI numbers move,
# and i386 lags amd64, so this is looked up every build).
resolve_kernel_pkg() {
    kapt apt-cache depends "$1:$2" 2>>"$WORK/apt.log" |
        sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ :]*\).*/\1/p' | head -n 1
}

# The packages that hold the parts of kernel package $1 (arch $2): itself
# and, since Debian's 7.x packaging splits a kernel, the dependencies that
# are the same kernel's image, modules and base files
# (linux-binary-/linux-modules-/linux-base-<abi>).
kernel_parts() {
    abi=${1#linux-image-}
    echo "$1"
    kapt apt-cache depends "$1:$2" 2>>"$WORK/apt.log" | awk -v abi="$abi" '
        $1 ~ /Depends:$/ {
            p = $2; sub(/:.*/, "", p)
            if (p == "linux-binary-" abi || p == "linux-modules-" abi || p == "linux-base-" abi)
                print p
        }' | sort -u
}

# Sets KERNEL_PKG, KERNEL_DEBS (the .debs of kernel_parts, the versioned
# package's own first), KERNEL_DEB (that first one) and BUSYBOX_DEB for META
# on DEB_ARCH from SUITE.  The answer is kept for the run: amd64 and
# amd64-la57 share their packages.
FETCHED=""
fetch_packages() {
    [ "$FETCHED" = "$SUITE:$1:$2" ] && return 0
    KERNEL_PKG=$(resolve_kernel_pkg "$1" "$2")
    [ -n "$KERNEL_PKG" ] || return 1
    parts=""
    for p in $(kernel_parts "$KERNEL_PKG" "$2"); do
        parts="$parts $p:$2"
    done
    # shellcheck disable=SC2086 # one argument per package
    download_debs kapt $parts || return 1
    KERNEL_DEBS=$DEB_FILES
    # shellcheck disable=SC2086 # squeezes the spaces
    KERNEL_PARTS=$(echo $parts | sed "s/:$2//g; s/ /,/g")
    # shellcheck disable=SC2086
    set -- "$1" "$2" $KERNEL_DEBS
    KERNEL_DEB=$3
    download_debs hapt "busybox-static:$2" || return 1
    BUSYBOX_DEB=${DEB_FILES# }
    FETCHED="$SUITE:$1:$2"
}

get_packages() {
    if [ -n "$SUITE" ]; then
        suite_setup "$SUITE"
        # First use: no lists yet.
        ls "$(suite_dir "$SUITE")"/lists/*_Packages* >/dev/null 2>&1 || suite_refresh "$SUITE"
        fetch_packages "$1" "$2" && return 0
        suite_refresh "$SUITE" && fetch_packages "$1" "$2" && return 0
        # busybox comes from the host's apt, whose lists may be the stale ones.
        apt_refresh "$2" && fetch_packages "$1" "$2" && return 0
    else
        fetch_packages "$1" "$2" && return 0
        apt_refresh "$2" && fetch_packages "$1" "$2" && return 0
    fi
    echo "---- end of the apt log ----" >&2
    tail -n 20 "$WORK/apt.log" >&2
    die "cannot fetch $1:$2${SUITE:+ from $SUITE} and busybox-static:$2 with apt-get download" \
        "(log above)"
}

# Unpacks vmlinuz, config and the test modules of a kernel (the .debs of
# KERNEL_DEBS) once per package version into $CACHE/kernels/; sets KDIR.
# Packages put them under ./boot and ./lib/modules/<release>/ (up to
# Debian 12), ./usr/lib/modules/<release>/ (13), or split them over several
# packages with vmlinuz and config in ./usr/lib/modules/<release>/ (7.x).
unpack_kernel() {
    KDIR=$CACHE/kernels/$(basename "$KERNEL_DEB" .deb)
    # done holds the module list it was unpacked for.
    [ "$(cat "$KDIR/done" 2>/dev/null)" = "$MODULES" ] && return 0
    rm -rf "$KDIR"
    mkdir -p "$KDIR/x" "$KDIR/modules"
    for deb in $KERNEL_DEBS; do
        # Listed first, then the wanted members by exact name: tar fails on
        # a pattern that matches nothing, and each part holds only some.
        dpkg-deb --fsys-tarfile "$deb" | tar -t > "$WORK/members" ||
            die "cannot read $deb"
        : > "$WORK/wanted"
        grep -E '^\./boot/(vmlinuz|config)-|^\./(usr/)?lib/modules/[^/]+/(vmlinuz|config)$' \
            "$WORK/members" >> "$WORK/wanted" || true
        for m in $MODULES; do
            grep -E "^\./(usr/)?lib/modules/[^/]+/kernel/.*/$m\.ko(\.xz|\.zst|\.gz)?\$" \
                "$WORK/members" >> "$WORK/wanted" || true
        done
        [ -s "$WORK/wanted" ] || continue
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$KDIR/x" -T "$WORK/wanted" ||
            die "cannot unpack $deb"
    done
    for f in "$KDIR"/x/boot/vmlinuz-* "$KDIR"/x/lib/modules/*/vmlinuz \
        "$KDIR"/x/usr/lib/modules/*/vmlinuz; do
        if [ -f "$f" ]; then cp "$f" "$KDIR/vmlinuz"; break; fi
    done
    for f in "$KDIR"/x/boot/config-* "$KDIR"/x/lib/modules/*/config \
        "$KDIR"/x/usr/lib/modules/*/config; do
        if [ -f "$f" ]; then cp "$f" "$KDIR/config"; break; fi
    done
    [ -s "$KDIR/vmlinuz" ] && [ -s "$KDIR/config" ] ||
        die "no vmlinuz or config in$KERNEL_DEBS"
    for name in $MODULES; do
        src=$(find "$KDIR/x" -path '*/modules/*/kernel/*' -name "$name.ko*" | head -n 1)
        [ -n "$src" ] || die "module $name.ko is not in$KERNEL_DEBS; pick another in MODULES"
        case $src in
        *.ko) cp "$src" "$KDIR/modules/$name.ko" ;;
        *.ko.xz) xz -dc "$src" > "$KDIR/modules/$name.ko" ;;
        *.ko.zst) zstd -qdc "$src" > "$KDIR/modules/$name.ko" ;;
        *.ko.gz) gzip -dc "$src" > "$KDIR/modules/$name.ko" ;;
        *) die "unknown module compression: $src" ;;
        esac
        deps=$(tr '\0' '\n' < "$KDIR/modules/$name.ko" | sed -n 's/^depends=//p' | head -n 1)
        [ -z "$deps" ] || die "module $name depends on '$deps'; load those first (MODULES)"
    done
    rm -rf "$KDIR/x"
    echo "$MODULES" > "$KDIR/done"
}

# ------------------------------------------------------------- initramfs ---

build_initramfs() { # out-file busybox-deb kcore-peek
    root=$WORK/root
    rm -rf "$root"
    mkdir -p "$root/bin" "$root/etc" "$root/lib/modules" "$root/proc" "$root/sys" \
        "$root/dev" "$root/tmp" "$root/truth"
    rm -rf "$WORK/bb"
    mkdir -p "$WORK/bb"
    dpkg-deb --fsys-tarfile "$2" | tar -x -C "$WORK/bb" ./bin/busybox ||
        die "no ./bin/busybox in $2"
    mv "$WORK/bb/bin/busybox" "$root/bin/busybox"
    cp "$3" "$root/bin/kcore-peek"
    cp "$HERE/tinyvmi-loop.sh" "$root/bin/tinyvmi-loop"
    cp "$HERE/init.sh" "$root/init"
    chmod 755 "$root/bin/busybox" "$root/bin/kcore-peek" "$root/bin/tinyvmi-loop" "$root/init"
    : > "$root/etc/tinyvmi-modules"
    for name in $MODULES; do
        cp "$KDIR/modules/$name.ko" "$root/lib/modules/"
        echo "$name" >> "$root/etc/tinyvmi-modules"
    done
    (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
        gzip -1 > "$1" || die "cannot build the initramfs"
}

# ------------------------------------------------------------------ boot ---

now() { date +%s; }

# The release whose apt sources the host uses (guests without SUITE).
HOST_SUITE=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | head -n 1)
HOST_SUITE=${HOST_SUITE:-host}

fail_boot() {
    echo "build-guests: error: $GUEST: $*" >&2
    # Keep the whole console for a post-mortem; the half-built guest goes.
    cp "$OUTNEW/console.log" "$CACHE/$GUEST.failed-console.log" 2>/dev/null || true
    echo "---- last lines of the guest console ($CACHE/$GUEST.failed-console.log) ----" >&2
    tail -n 40 "$OUTNEW/console.log" 2>/dev/null | tr -d '\r' >&2 || true
    if [ -s "$WORK/qemu.log" ]; then
        echo "---- QEMU's own output ----" >&2
        tail -n 20 "$WORK/qemu.log" >&2
    fi
    exit 1
}

qmp() { "$WORK/bin/qmp-cmd" -t 300 "$WORK/qmp.sock" "$@"; }

# Hex register value NAME from QEMU's "info registers" text.
reg() {
    v=$(tr ' ' '\n' < "$OUTNEW/truth/registers.txt" | sed -n "s/^$1=\([0-9a-fA-F]*\)\$/\1/p" | head -n 1)
    [ -n "$v" ] || fail_boot "no $1 in info registers"
    echo "0x$v"
}

build_guest() {
    GUEST=$1
    guest_config "$GUEST"
    t0=$(now)
    say "$GUEST: resolving $META:$DEB_ARCH${SUITE:+ in $SUITE}"
    get_packages "$META" "$DEB_ARCH"
    KERNEL_PKG_VERSION=$(dpkg-deb -f "$KERNEL_DEB" Version)
    BUSYBOX_VERSION=$(dpkg-deb -f "$BUSYBOX_DEB" Version)
    say "$GUEST: $KERNEL_PKG $KERNEL_PKG_VERSION, busybox-static $BUSYBOX_VERSION"
    unpack_kernel
    kcore_peek_for "$ARCH"

    OUT=$CACHE/$GUEST
    OUTNEW=$CACHE/$GUEST.new
    rm -rf "$OUTNEW"
    mkdir -p "$OUTNEW/truth"
    build_initramfs "$WORK/initrd.gz" "$BUSYBOX_DEB" "$WORK/bin/kcore-peek-$ARCH"
    cp "$KDIR/config" "$OUTNEW/kernel-config"

    rm -f "$WORK/qmp.sock" "$WORK/bulk.bin" "$WORK/qemu.log"
    SHM_FILE=/dev/shm/tinyvmi-$GUEST-$$
    rm -f "$SHM_FILE"
    t1=$(now)
    # KASLR stays on (no nokaslr): finding the kernel under KASLR is the
    # real case TinyVMI has to handle.  timeout(1) ends QEMU even if this
    # script is SIGKILLed; fd 9 (the lock) is not handed to it.
    timeout -k 5 $((BOOT_TIMEOUT + 600)) \
    "$QEMU" -accel tcg -cpu "$QEMU_CPU" -smp 1 -m "${MEM_MB}M" \
        -object "memory-backend-file,id=mem,size=${MEM_MB}M,mem-path=$SHM_FILE,share=on" \
        -machine pc,memory-backend=mem \
        -nodefaults -no-user-config -display none -no-reboot \
        -serial "file:$OUTNEW/console.log" -serial "file:$WORK/bulk.bin" \
        -qmp "unix:$WORK/qmp.sock,server=on,wait=off" \
        -kernel "$KDIR/vmlinuz" -initrd "$WORK/initrd.gz" \
        -append "console=ttyS0 panic=-1 tinyvmi=$GUEST" \
        </dev/null >"$WORK/qemu.log" 2>&1 9>&- &
    QEMU_PID=$!

    deadline=$((t1 + BOOT_TIMEOUT))
    while ! grep -q TINYVMI-GUEST-READY "$OUTNEW/console.log" 2>/dev/null; do
        kill -0 "$QEMU_PID" 2>/dev/null || fail_boot "QEMU exited before the guest was ready"
        grep -q 'Kernel panic' "$OUTNEW/console.log" 2>/dev/null && fail_boot "guest kernel panic"
        [ "$(now)" -lt "$deadline" ] ||
            fail_boot "no TINYVMI-GUEST-READY within ${BOOT_TIMEOUT}s (TINYVMI_GUEST_TIMEOUT)"
        sleep 0.2
    done
    t2=$(now)
    if grep -a 'TINYVMI-ERROR' "$OUTNEW/console.log" | tr -d '\r' >"$WORK/errors" &&
        [ -s "$WORK/errors" ]; then
        fail_boot "the guest reported: $(cat "$WORK/errors")"
    fi

    # The ground truth tarball drains from the second UART after the guest
    # wrote it; wait for all of it.
    bulk=$(tr -d '\r' < "$OUTNEW/console.log" | sed -n 's/^TINYVMI-BULK \([0-9]*\) \([0-9a-f]*\)$/\1 \2/p')
    [ -n "$bulk" ] || fail_boot "no TINYVMI-BULK line on the console"
    bulk_size=${bulk% *}
    bulk_md5=${bulk#* }
    deadline=$(($(now) + 60))
    while [ "$(wc -c < "$WORK/bulk.bin")" -lt "$bulk_size" ]; do
        [ "$(now)" -lt "$deadline" ] ||
            fail_boot "ground truth on ttyS1: $(wc -c < "$WORK/bulk.bin") of $bulk_size bytes after 60s"
        sleep 0.1
    done
    [ "$(md5sum < "$WORK/bulk.bin" | cut -d' ' -f1)" = "$bulk_md5" ] ||
        fail_boot "ground truth on ttyS1 is corrupt (md5 mismatch)"

    # Snapshot: stop the vCPU, then take every view of the same instant.
    qmp '{"execute":"stop"}' || fail_boot "QMP stop failed"
    qmp 'hmp:info registers' > "$OUTNEW/truth/registers.txt" || fail_boot "QMP info registers failed"
    qmp 'hmp:info mtree -f' > "$OUTNEW/truth/mtree.txt" || fail_boot "QMP info mtree failed"
    # "info mem" lists the current CR3's mappings: a cross-check for page
    # walkers.  QEMU 7.2 printed nothing for 5-level paging after ~20 s of
    # work, so LA57 guests go without (README says mem.txt is optional).
    if [ "$EXPECT_PAGING" != la57 ]; then
        qmp 'hmp:info mem' > "$OUTNEW/truth/mem.txt" || fail_boot "QMP info mem failed"
    fi
    copy_ram
    if [ "$SIZE_GUEST" = 0 ]; then
        qmp "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$OUTNEW/core.elf\"}}" ||
            fail_boot "QMP dump-guest-memory failed"
    fi
    qmp '{"execute":"quit"}' || true
    stop_qemu
    if [ "$SIZE_GUEST" = 0 ]; then
        # QEMU writes the core 0400 and dense; most of a small guest is zeros.
        chmod 644 "$OUTNEW/core.elf"
        fallocate -d "$OUTNEW/core.elf" 2>/dev/null || true
    fi
    t3=$(now)

    # Ground truth from the guest, then derived files.
    tar -xzf "$WORK/bulk.bin" -C "$OUTNEW/truth" || fail_boot "cannot unpack the ground truth"
    if [ "$SIZE_GUEST" = 0 ]; then
        "$WORK/bin/raw2lime" "$OUTNEW/ram.raw" "$OUTNEW/truth/iomem.txt" "$OUTNEW/ram.lime" ||
            fail_boot "raw2lime failed"
        "$WORK/bin/raw2lime" --verify "$OUTNEW/ram.lime" "$OUTNEW/ram.raw" >/dev/null ||
            fail_boot "ram.lime does not read back as ram.raw"
    fi

    check_guest
    write_meta "$((t2 - t1))"
    t4=$(now)
    echo "FORMAT_VERSION=$FORMAT_VERSION" > "$OUTNEW/stamp"
    rm -rf "$OUT" "$CACHE/$GUEST.failed-console.log"
    mv "$OUTNEW" "$OUT"
    OUTNEW=""
    say "$GUEST: built in $((t4 - t0))s (boot to ready $((t2 - t1))s, snapshot $((t3 - t2))s)" \
        "$PAGING paging, kernel $KERNEL_RELEASE_GUEST"
}

# ram.raw from the RAM file, so that file offset == guest physical address.
# The RAM file is the guest's RAM in order; -machine pc maps all of it at 0
# while it fits below the PCI hole, else the first 3 GiB at 0 and the rest
# at 4 GiB ("mem @<file offset>" at 0x100000000 in info mtree -f).  The
# high part is then copied to offset 4 GiB, leaving 3..4 GiB a hole of
# zeros (sparse, as is every zero page).  Sets RAW_SIZE.
copy_ram() {
    high=$(sed -n 's/^ *\(0*1[0-9a-f]\{8\}\)-[0-9a-f]* (prio [0-9]*, ram): mem @\([0-9a-f]*\)$/\1 \2/p' \
        "$OUTNEW/truth/mtree.txt" | head -n 1)
    if [ -z "$high" ]; then
        cp --sparse=always "$SHM_FILE" "$OUTNEW/ram.raw" 2>/dev/null ||
            cp "$SHM_FILE" "$OUTNEW/ram.raw" || fail_boot "cannot copy $SHM_FILE"
        RAW_SIZE=$((MEM_MB * 1048576))
        return 0
    fi
    gpa=$((0x${high% *}))
    low=$((0x${high#* }))
    [ $((gpa % 1048576)) -eq 0 ] && [ $((low % 1048576)) -eq 0 ] ||
        fail_boot "RAM above 4 GiB at $gpa from file offset $low: not MiB-aligned"
    # dd conv=sparse seeks over zero blocks instead of writing them.
    dd if="$SHM_FILE" of="$OUTNEW/ram.raw" bs=1M count=$((low >> 20)) conv=sparse status=none &&
        dd if="$SHM_FILE" of="$OUTNEW/ram.raw" bs=1M skip=$((low >> 20)) seek=$((gpa >> 20)) \
            conv=sparse,notrunc status=none || fail_boot "cannot copy $SHM_FILE"
    RAW_SIZE=$((gpa + MEM_MB * 1048576 - low))
    # A sparse dd ends in a seek when the last MiB is zero: set the size.
    truncate -s "$RAW_SIZE" "$OUTNEW/ram.raw" || fail_boot "cannot size ram.raw"
    cmp -n "$low" "$SHM_FILE" "$OUTNEW/ram.raw" &&
        cmp -i "$low:$gpa" "$SHM_FILE" "$OUTNEW/ram.raw" ||
        fail_boot "ram.raw differs from the RAM file"
}

# Checks that the guest is what the tests will assume it is.
check_guest() {
    T=$OUTNEW/truth
    # One per line: a failing $(reg) must stop the build under set -e.
    CR0=$(reg CR0)
    CR3=$(reg CR3)
    CR4=$(reg CR4)
    EFER=$(reg EFER)
    if [ $((CR0 & 0x80000000)) -eq 0 ]; then PAGING=none
    elif [ $((EFER & 0x400)) -ne 0 ] && [ $((CR4 & 0x1000)) -ne 0 ]; then PAGING=la57
    elif [ $((EFER & 0x400)) -ne 0 ]; then PAGING=ia32e
    elif [ $((CR4 & 0x20)) -ne 0 ]; then PAGING=pae
    else PAGING=legacy
    fi
    [ "$PAGING" = "$EXPECT_PAGING" ] ||
        fail_boot "expected $EXPECT_PAGING paging with -cpu $QEMU_CPU, got $PAGING (CR0=$CR0 CR4=$CR4 EFER=$EFER)"

    size=$(wc -c < "$OUTNEW/ram.raw")
    [ "$size" -eq "$RAW_SIZE" ] || fail_boot "ram.raw is $size bytes, not $RAW_SIZE"
    if [ "$SIZE_GUEST" = 0 ]; then
        [ "$(head -c 4 "$OUTNEW/core.elf" | od -An -c | tr -d ' ')" = '177ELF' ] ||
            fail_boot "core.elf is not an ELF file"
    else
        # The guest must have been given, and use, all of its RAM: its
        # System RAM reaches within 1 MiB of ram.raw's end (the BIOS keeps
        # the top 128 KiB below 4 GiB) and ram.raw holds every range.
        top=$(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : System RAM$/\2/p' "$T/iomem.txt" | tail -n 1)
        [ -n "$top" ] && [ $((0x$top + 1)) -le "$size" ] && [ $((0x$top + 1048576)) -ge "$size" ] ||
            fail_boot "the guest's System RAM ends at 0x${top:-?}, ram.raw at $size bytes"
    fi
    n=$(wc -l < "$T/kallsyms.txt")
    [ "$n" -gt 1000 ] || fail_boot "kallsyms has only $n lines"
    grep -q '^0*[1-9a-f][0-9a-f]* [Tt] ' "$T/kallsyms.txt" ||
        fail_boot "kallsyms addresses are all zero (kptr_restrict?)"
    grep -q ' System RAM$' "$T/iomem.txt" || fail_boot "iomem has no System RAM"
    [ "$(wc -l < "$T/modules.txt")" -ge "$(echo $MODULES | wc -w)" ] ||
        fail_boot "not all test modules are loaded"
    grep -q ' tinyvmi-loop$' "$T/ps.txt" || fail_boot "tinyvmi-loop missing from ps.txt"
    grep -q ' tinyvmi-sleeper$' "$T/marked.txt" || fail_boot "sleeper missing from marked.txt"
    good=$(grep -vc ' ERROR ' "$T/kcore.txt" || true)
    [ "$good" -ge 10 ] || fail_boot "kcore.txt has only $good readable addresses"
    if grep -q ' ERROR ' "$T/kcore.txt"; then
        say "$GUEST: note: kcore could not read: $(grep ' ERROR ' "$T/kcore.txt" | cut -d' ' -f4- | tr '\n' ' ')"
    fi
}

# meta.env can be sourced by sh: no value may contain spaces or quotes.
write_meta() {
    T=$OUTNEW/truth
    KERNEL_RELEASE_GUEST=$(cut -d' ' -f3 < "$T/uname.txt")
    text=$(sed -n 's/^\([0-9a-f]*\) [Tt] _text$/\1/p' "$T/kallsyms.txt" | head -n 1)
    {
        echo "FORMAT_VERSION=$FORMAT_VERSION"
        echo "GUEST=$GUEST"
        echo "ARCH=$ARCH"
        echo "DEB_ARCH=$DEB_ARCH"
        echo "KERNEL_SUITE=${SUITE:-$HOST_SUITE}"
        echo "KERNEL_META=$META"
        echo "KERNEL_PKG=$KERNEL_PKG"
        echo "KERNEL_PKG_VERSION=$KERNEL_PKG_VERSION"
        echo "KERNEL_PARTS=$KERNEL_PARTS"
        echo "KERNEL_VERSION=$KERNEL_RELEASE_GUEST"
        echo "BUSYBOX_VERSION=$BUSYBOX_VERSION"
        echo "QEMU=$QEMU"
        echo "QEMU_VERSION=$("$QEMU" --version | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')"
        echo "QEMU_CPU=$QEMU_CPU"
        echo "MEMSIZE=$((MEM_MB * 1048576))"
        echo "CR0=$CR0"
        echo "CR3=$CR3"
        echo "CR4=$CR4"
        echo "EFER=$EFER"
        echo "PAGING=$PAGING"
        echo "KERNEL_TEXT=0x$text"
        echo "BOOT_SECONDS=$1"
        echo "BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } > "$OUTNEW/meta.env"
}

# ------------------------------------------------- debug-package truth ---

# The i386 kernels have text-only kallsyms and no BTF, so what TinyVMI
# finds there by heuristics needs an independent source of truth: the
# kernel's -dbg package (the link-time System.map and a vmlinux with
# DWARF, ~760 MB).  Only two small derived files are kept; the package and
# the 300 MB vmlinux are deleted at once (DBG_DIR, also on failure).

# Members that must be in offsets-dwarf.txt (the ones the Linux layer
# uses); module base/size are 6.1's core_layout, or 6.4's mem[0].
DBG_MEMBERS="task_struct.tasks task_struct.pid task_struct.tgid task_struct.comm
    task_struct.mm task_struct.real_parent mm_struct.pgd module.list module.name"

# Checks System.map against the guest's own kallsyms: every text symbol
# whose name occurs once in both lies at its map address plus one slide
# (KASLR moves the whole i386 kernel by one offset).  Prints
# "<matches> <mismatches> <slide>"; 32-bit addresses only (exact in awk).
map_vs_kallsyms() { # System.map kallsyms.txt
    awk '
    function hex(s,    i, v) {
        v = 0; s = tolower(s)
        for (i = 1; i <= length(s); i++)
            v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
    }
    FNR == NR { if (NF == 3) { m[$3] = $1; mt[$3] = $2; mc[$3]++ } next }
    NF == 3 { k[$3] = $1; kt[$3] = $2; kc[$3]++ }
    END {
        if (!("_text" in m) || !("_text" in k)) { print "0 0 0"; exit }
        slide = hex(k["_text"]) - hex(m["_text"])
        good = bad = 0
        for (s in k) {
            if (kc[s] != 1 || mc[s] != 1 || (kt[s] != "T" && kt[s] != "t"))
                continue
            if (hex(k[s]) - hex(m[s]) == slide) good++
            else bad++
        }
        printf "%d %d %d\n", good, bad, slide
    }' "$1" "$2"
}

build_dbg() {
    GUEST=$1
    d=$CACHE/$GUEST
    kpkg=$(kv_get "$d/meta.env" KERNEL_PKG)
    kver=$(kv_get "$d/meta.env" KERNEL_PKG_VERSION)
    darch=$(kv_get "$d/meta.env" DEB_ARCH)
    [ -n "$kpkg" ] && [ -n "$kver" ] && [ -n "$darch" ] ||
        die "$GUEST: meta.env lacks KERNEL_PKG, KERNEL_PKG_VERSION or DEB_ARCH"
    dbg=$kpkg-dbg
    release=${kpkg#linux-image-}
    t0=$(now)
    say "$GUEST: fetching $dbg $kver ($darch) for the full System.map and DWARF"
    # Under the cache, not TMPDIR: ~1 GB, and /tmp may be a small tmpfs.
    DBG_DIR=$CACHE/.dbg-$GUEST-$$
    rm -rf "$DBG_DIR"
    mkdir -p "$DBG_DIR/x"
    # The exact version the guest runs: another build's DWARF would be
    # wrong in exactly the way these files are meant to catch.
    # (Its own log: apt_refresh quotes the first error of apt.log.)
    if ! apt-get download --print-uris "$dbg:$darch=$kver" >"$WORK/dbg-uris" 2>"$WORK/dbg-apt.log"; then
        apt_refresh "$darch" || true
        apt-get download --print-uris "$dbg:$darch=$kver" >"$WORK/dbg-uris" 2>"$WORK/dbg-apt.log" || {
            tail -n 5 "$WORK/dbg-apt.log" >&2
            die "$GUEST: apt knows no $dbg:$darch version $kver (the guest's kernel);" \
                "if Debian has moved on, rebuild the guest: sh $0 --force --only $GUEST"
        }
    fi
    # shellcheck disable=SC2046 # 'URI' FILE SIZE HASH
    set -- $(grep "^'[^ ]*' ${dbg}_" "$WORK/dbg-uris" | head -n 1)
    [ $# -ge 3 ] || die "$GUEST: no download address for $dbg in apt's answer"
    deb=$DBG_DIR/$2
    size=$3
    say "$GUEST: downloading $2 ($((size / 1048576)) MB, limit ${DBG_TIMEOUT}s: TINYVMI_DBG_TIMEOUT)"
    (cd "$DBG_DIR" && timeout -k 10 "$DBG_TIMEOUT" apt-get download "$dbg:$darch=$kver") \
        >"$WORK/dbg-apt.log" 2>&1 || {
        tail -n 5 "$WORK/dbg-apt.log" >&2
        die "$GUEST: downloading $dbg $kver failed or took over ${DBG_TIMEOUT}s"
    }
    [ "$(fsize "$deb")" -eq "$size" ] ||
        die "$GUEST: $deb is $(fsize "$deb") bytes, apt said $size"
    t1=$(now)

    # Both files sit near the start of the data tarball: --occurrence lets
    # tar stop once it has them (2-3 s instead of ~20 s of xz for all of
    # it); dpkg-deb then dies of SIGPIPE, which is expected.
    map=./usr/lib/debug/boot/System.map-$release
    vml=./usr/lib/debug/boot/vmlinux-$release
    dpkg-deb --fsys-tarfile "$deb" 2>"$WORK/dbg-dpkg.log" |
        timeout -k 5 600 tar -x -C "$DBG_DIR/x" --occurrence=1 "$map" "$vml" 2>"$WORK/dbg-tar.log" || {
        cat "$WORK/dbg-tar.log" >&2
        die "$GUEST: cannot unpack $map and $vml from $deb"
    }
    rm -f "$deb"
    [ -s "$DBG_DIR/x/$map" ] && [ -s "$DBG_DIR/x/$vml" ] ||
        die "$GUEST: $map or $vml is empty in $deb"
    t2=$(now)

    # pahole -E writes nested structs out with offsets from the outer
    # struct's start; pahole-offsets.awk turns that into dotted paths.
    timeout -k 5 300 pahole -E -C task_struct,mm_struct,module "$DBG_DIR/x/$vml" \
        >"$DBG_DIR/pahole.txt" 2>"$WORK/pahole.log" || {
        tail -n 5 "$WORK/pahole.log" >&2
        die "$GUEST: pahole failed on $vml"
    }
    off=$DBG_DIR/offsets-dwarf.txt
    {
        echo "# $dbg $kver: pahole -E -C task_struct,mm_struct,module on its vmlinux"
        echo "# <struct>.<member path> <offset> <size>, decimal bytes; <struct> 0 <size> for the struct"
        awk -f "$HERE/pahole-offsets.awk" "$DBG_DIR/pahole.txt"
    } >"$off" || die "$GUEST: cannot derive offsets from pahole's output"
    for m in $DBG_MEMBERS task_struct mm_struct module; do
        [ "$(grep -c "^$m [0-9][0-9]* [0-9][0-9]*\$" "$off")" -eq 1 ] ||
            die "$GUEST: '$m' is not exactly once in pahole's output ($DBG_DIR/pahole.txt)"
    done
    grep -Eq '^module\.(core_layout|mem)\.base ' "$off" &&
        grep -Eq '^module\.(core_layout|mem)\.size ' "$off" ||
        die "$GUEST: pahole shows neither module.core_layout nor module.mem base/size"

    # The map must be this guest's kernel: its text symbols at kallsyms'
    # addresses less one slide; and it must have the data symbols that
    # kallsyms lacks, which are what it is for.
    # shellcheck disable=SC2046 # three numbers
    set -- $(map_vs_kallsyms "$DBG_DIR/x/$map" "$d/truth/kallsyms.txt")
    [ "${1:-0}" -ge 1000 ] && [ "${2:-1}" -eq 0 ] ||
        die "$GUEST: $map does not match the guest's kallsyms" \
            "(${1:-0} text symbols agree, ${2:-?} do not)"
    for s in init_task linux_banner init_mm swapper_pg_dir; do
        grep -q " $s\$" "$DBG_DIR/x/$map" || die "$GUEST: no $s in $map"
    done
    t3=$(now)

    cp "$DBG_DIR/x/$map" "$d/truth/System.map-dbg.new" &&
        mv "$d/truth/System.map-dbg.new" "$d/truth/System.map-dbg" &&
        cp "$off" "$d/truth/offsets-dwarf.txt.new" &&
        mv "$d/truth/offsets-dwarf.txt.new" "$d/truth/offsets-dwarf.txt" ||
        die "$GUEST: cannot write the debug-package truth into $d/truth"
    {
        echo "DBG_FORMAT_VERSION=$DBG_FORMAT_VERSION"
        echo "DBG_PKG=$dbg"
        echo "DBG_PKG_VERSION=$kver"
        echo "DBG_SECONDS=$((t3 - t0))"
        echo "DBG_BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$d/dbg-stamp.new" && mv "$d/dbg-stamp.new" "$d/dbg-stamp" ||
        die "$GUEST: cannot write $d/dbg-stamp"
    rm -rf "$DBG_DIR"
    DBG_DIR=""
    say "$GUEST: debug-package truth in $((t3 - t0))s (download $((t1 - t0))s," \
        "unpack $((t2 - t1))s, pahole and checks $((t3 - t2))s; $1 text symbols agree" \
        "with kallsyms, KASLR slide $(printf 0x%x "$3"))"
}

total0=$(now)
for g in $TODO; do
    build_guest "$g"
done
for g in $DBG_TODO; do
    build_dbg "$g"
done
say "all done in $(($(now) - total0))s"
