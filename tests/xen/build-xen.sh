#!/bin/sh
# Builds the parts of TinyVMI's real Xen test machine: Debian's Xen 4.17
# hypervisor (an ELF QEMU's -kernel boots by multiboot), Debian's current
# amd64 kernel (dom0 and guests alike), a dom0 initramfs with the Xen
# toolstack, and a small guest initramfs (busybox, tinyvmi-forker).
# run-xen.sh boots them; the layout is documented in tests/xen/README.md.
#
# It must not install anything into the host (packages are fetched with
# `apt-get download` and unpacked with dpkg-deb), must not touch the git
# tree, and must stay cheap when the cache is complete: then it runs no apt,
# no compiler and no cpio.
#
# Exit status: 0 ready, 1 error, 3 the Xen packages cannot be downloaded
# (the tests then skip, saying so), 2 usage.
#
# POSIX sh on purpose (dash on Debian), like tests/guests/build-guests.sh.

set -eu

# Bump when the layout changes.  Edits of the files in INPUTS rebuild by
# themselves: their checksum is in the stamp.
FORMAT_VERSION=1
HERE=$(cd "$(dirname "$0")" && pwd)
INPUTS="build-xen.sh dom0-init.sh dom0-guest.sh guest-init.sh guest-forker.c bench_page.h"
CACHE=${TINYVMI_GUEST_CACHE:-${HOME:-/tmp}/.cache/tinyvmi/guests}/xen
GUEST_CC=${TINYVMI_GUEST_CC:-gcc}
KERNEL_META=linux-image-amd64

# Everything dom0 and the guests run, as Debian packages (amd64).  The
# libraries are those the toolstack links: without libgcc_s, `xl` aborts
# after it created a domain (pthread_exit unwinds through it).
XEN_PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils libxencall1
    libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
    libxenmisc4.17 libxenstore4 libxentoolcore1 libxentoollog1 libyajl2"
BASE_PKGS="busybox-static libc6 libgcc-s1 liblzma5 libuuid1 zlib1g libzstd1 libext2fs2
    libcom-err2"
# Modules dom0 loads (their dependencies are found from the .ko files):
# the Xen device drivers the toolstack needs, and the 9p client for the
# host's share.
DOM0_MODULES="xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc virtio_pci 9pnet_virtio 9p"
# The toolstack binaries dom0 runs (from xen-utils-4.17, in
# /usr/lib/xen-4.17/bin) and xenstore-utils' multi-call client.
XEN_BINS="xl xenstored xenconsoled xen-init-dom0 xenstore-control"

usage() {
    cat <<EOF
usage: $0 [--force] [--help]

Builds (or reuses) TinyVMI's Xen test machine in
  \$TINYVMI_GUEST_CACHE/xen (default ~/.cache/tinyvmi/guests/xen), now: $CACHE

  --force   rebuild even if the cache is complete (also picks up newer
            Debian packages)

The cache is rebuilt when a file is missing, or its stamp was written by
another FORMAT_VERSION (now $FORMAT_VERSION) or other inputs ($INPUTS).
Exit status 3: the packages cannot be downloaded.
EOF
}

FORCE=0
while [ $# -gt 0 ]; do
    case $1 in
    --force) FORCE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-xen: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

say() { echo "build-xen: $*"; }
die() { echo "build-xen: error: $*" >&2; exit 1; }
now() { date +%s; }

IMAGE=$CACHE/image
REQUIRED="xen vmlinuz dom0.cpio guest.cpio.gz meta.env"

inputs_sum() { (cd "$HERE" && cat $INPUTS) | md5sum | cut -d' ' -f1; }

complete() {
    [ -f "$IMAGE/stamp" ] || return 1
    [ "$(cat "$IMAGE/stamp")" = "FORMAT_VERSION=$FORMAT_VERSION INPUTS=$(inputs_sum)" ] || return 1
    for f in $REQUIRED; do
        [ -s "$IMAGE/$f" ] || return 1
    done
}

if [ "$FORCE" = 0 ] && complete; then
    exit 0
fi

# ------------------------------------------------------ cleanup and lock ---

WORK=""
cleanup() {
    [ -z "$WORK" ] || rm -rf "$WORK"
    rm -rf "$IMAGE.new"
}
mkdir -p "$CACHE/debs" || die "cannot create $CACHE"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.lock"
    flock -w 900 9 || die "timed out waiting for the lock on $CACHE/.lock"
fi
# Another run may have built it while we waited for the lock.
if [ "$FORCE" = 0 ] && complete; then
    exit 0
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
for t in apt-get apt-cache dpkg-deb tar cpio gzip xz md5sum "$GUEST_CC"; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' not found (see scripts/install-deps.sh)"
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tinyvmi-xen.XXXXXX")
t0=$(now)

# --------------------------------------------------------------- packages ---

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
    else return 1
    fi
}
fsize() { if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi; }

# The .debs of the named packages into debs/ (reusing complete ones); sets
# DEB_FILES to their paths in argument order.  Status 1 on any failure.
download_debs() {
    apt-get download --print-uris "$@" > "$WORK/uris" 2>> "$WORK/apt.log" || return 1
    DEB_FILES=""
    for p in "$@"; do
        # 'URI' FILE SIZE HASH; FILE begins with the package name.
        # shellcheck disable=SC2046
        set -- $(grep "^'[^ ]*' ${p}_" "$WORK/uris" | head -n 1)
        [ $# -ge 3 ] || { echo "no URI for $p" >> "$WORK/apt.log"; return 1; }
        f=$CACHE/debs/$2
        if [ "$(fsize "$f")" -ne "$3" ]; then
            rm -f "$f"
            (cd "$CACHE/debs" && apt-get download "$p") >> "$WORK/apt.log" 2>&1 || return 1
            [ "$(fsize "$f")" -eq "$3" ] || return 1
        fi
        DEB_FILES="$DEB_FILES $f"
    done
}

fetch() {
    KERNEL_PKG=$(apt-cache depends "$KERNEL_META" 2>> "$WORK/apt.log" |
        sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ :]*\).*/\1/p' | head -n 1)
    [ -n "$KERNEL_PKG" ] || { echo "apt knows no dependency of $KERNEL_META" >> "$WORK/apt.log"; return 1; }
    # shellcheck disable=SC2086
    download_debs "$KERNEL_PKG" $XEN_PKGS $BASE_PKGS
}

say "fetching Xen 4.17, $KERNEL_META and the dom0 libraries (apt-get download)"
if ! fetch; then
    # Once: a mirror in mid-sync can fail an index, and old kernels leave.
    say "apt-get update"
    as_root apt-get update >> "$WORK/apt.log" 2>&1 || true
    if ! fetch; then
        tail -n 10 "$WORK/apt.log" >&2
        echo "build-xen: cannot download the Xen packages (apt log above)" >&2
        exit 3
    fi
fi
# shellcheck disable=SC2086
set -- $DEB_FILES
KERNEL_DEB=$1
XEN_DEB=$2 # the first of XEN_PKGS
t1=$(now)

# ----------------------------------------------------------------- unpack ---

X=$WORK/x
mkdir -p "$X" "$WORK/k"
shift
for d in "$@"; do
    dpkg-deb -x "$d" "$X" || die "cannot unpack $d"
done
dpkg-deb --fsys-tarfile "$KERNEL_DEB" |
    tar -x -C "$WORK/k" --wildcards './boot/vmlinuz-*' './lib/modules/*.ko' ||
    die "cannot unpack $KERNEL_DEB"
rm -rf "$IMAGE.new"
mkdir -p "$IMAGE.new"
gzip -dc "$X"/boot/xen-4.17-amd64.gz > "$IMAGE.new/xen" || die "no boot/xen-4.17-amd64.gz"
[ "$(head -c 4 "$IMAGE.new/xen" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    die "boot/xen-4.17-amd64.gz is not an ELF image"
cp "$WORK"/k/boot/vmlinuz-* "$IMAGE.new/vmlinuz"
KERNEL_RELEASE=$(basename "$(ls -d "$WORK"/k/lib/modules/*)")

# Module names in depends= use '-' and '_' as the file names do not always.
module_file() {
    find "$WORK/k/lib/modules" -name "$1.ko" -o -name "$(echo "$1" | tr '_-' '-_').ko" | head -n 1
}
# Appends module $1 after its dependencies to $WORK/modules (once each).
MODS_SEEN=" "
add_module() {
    case $MODS_SEEN in *" $1 "*) return 0 ;; esac
    MODS_SEEN="$MODS_SEEN$1 "
    f=$(module_file "$1")
    [ -n "$f" ] || die "module $1 is not in $KERNEL_DEB"
    for d in $(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
        add_module "$d"
    done
    # f again: sh has no local variables, and the recursion reused it.
    echo "$1 $(module_file "$1")" >> "$WORK/modules"
}
: > "$WORK/modules"
for m in $DOM0_MODULES; do
    add_module "$m"
done

# -------------------------------------------------------------- the guest ---

G=$WORK/guest
mkdir -p "$G/bin" "$G/proc" "$G/sys" "$G/dev" "$G/tmp"
cp "$X/bin/busybox" "$G/bin/busybox"
"$GUEST_CC" -static -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -o "$G/bin/tinyvmi-forker" \
    "$HERE/guest-forker.c" || die "cannot build a static guest-forker.c with $GUEST_CC"
cp "$HERE/guest-init.sh" "$G/init"
chmod 755 "$G/init" "$G/bin/busybox" "$G/bin/tinyvmi-forker"
(cd "$G" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 > "$IMAGE.new/guest.cpio.gz" ||
    die "cannot build the guest initramfs"

# ---------------------------------------------------------------- dom0 ---

D=$WORK/dom0
XB=usr/lib/xen-4.17/bin
mkdir -p "$D/bin" "$D/boot" "$D/etc/xen" "$D/lib/modules" "$D/lib64" "$D/$XB" \
    "$D/usr/bin" "$D/usr/lib/x86_64-linux-gnu" "$D/lib/x86_64-linux-gnu" "$D/proc" "$D/sys" \
    "$D/dev" "$D/tmp" "$D/run" "$D/var" "$D/host"
cp "$X/bin/busybox" "$D/bin/busybox"
for b in $XEN_BINS; do
    if [ -f "$X/$XB/$b" ]; then cp "$X/$XB/$b" "$D/$XB/"
    else die "no $XB/$b in the Xen packages"
    fi
done
cp -a "$X"/usr/bin/xenstore* "$D/usr/bin/"
# Every shared library of the packages: a few MB, and no dependency list
# to keep in step with Debian's.
cp -a "$X"/lib/x86_64-linux-gnu/*.so* "$D/lib/x86_64-linux-gnu/"
cp -a "$X"/usr/lib/x86_64-linux-gnu/*.so* "$D/usr/lib/x86_64-linux-gnu/"
cp -a "$X"/lib64/ld-linux-x86-64.so.2 "$D/lib64/"
cp "$X/etc/xen/xl.conf" "$D/etc/xen/"
while read -r name f; do
    cp "$f" "$D/lib/modules/$name.ko"
    echo "$name" >> "$D/etc/tinyvmi-modules"
done < "$WORK/modules"
# The guests get the kernel's ELF image, unpacked from the bzImage here:
# `xl create` would otherwise unpack the xz payload in dom0, under TCG, for
# 15 s per guest.  (The first xz stream in the bzImage is the kernel.)
xzoff=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$IMAGE.new/vmlinuz" | head -n 1 | cut -d: -f1)
[ -n "$xzoff" ] || die "no xz stream in $KERNEL_DEB's vmlinuz"
tail -c +$((xzoff + 1)) "$IMAGE.new/vmlinuz" | xz -dc --single-stream > "$D/boot/vmlinux" ||
    die "cannot unpack the kernel from vmlinuz"
[ "$(head -c 4 "$D/boot/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    die "the xz stream in vmlinuz is not the kernel's ELF image"
cp "$IMAGE.new/guest.cpio.gz" "$D/boot/guest.cpio.gz"
cp "$HERE/dom0-init.sh" "$D/init"
cp "$HERE/dom0-guest.sh" "$D/bin/tvmi-guest"
chmod 755 "$D/init" "$D/bin/tvmi-guest" "$D/bin/busybox"
# Not compressed: the dom0 kernel would gunzip 100 MB under TCG.
(cd "$D" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$IMAGE.new/dom0.cpio" ||
    die "cannot build the dom0 initramfs"

ver() { dpkg-deb -f "$1" Version; }
{
    echo "FORMAT_VERSION=$FORMAT_VERSION"
    echo "XEN_VERSION=$(ver "$XEN_DEB")"
    echo "KERNEL_PKG=$KERNEL_PKG"
    echo "KERNEL_PKG_VERSION=$(ver "$KERNEL_DEB")"
    echo "KERNEL_VERSION=$KERNEL_RELEASE"
    echo "DOM0_MODULES=$(tr '\n' ' ' < "$D/etc/tinyvmi-modules" | sed 's/ $//' | tr ' ' ',')"
    echo "DOM0_INITRAMFS_BYTES=$(fsize "$IMAGE.new/dom0.cpio")"
    echo "GUEST_INITRAMFS_BYTES=$(fsize "$IMAGE.new/guest.cpio.gz")"
    echo "BUILD_SECONDS=$(($(now) - t0))"
    echo "BUILT_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$IMAGE.new/meta.env"
echo "FORMAT_VERSION=$FORMAT_VERSION INPUTS=$(inputs_sum)" > "$IMAGE.new/stamp"
rm -rf "$IMAGE"
mv "$IMAGE.new" "$IMAGE"
# Old versions of the packages are of no further use.
for f in "$CACHE"/debs/*.deb; do
    case " $DEB_FILES " in *" $f "*) ;; *) rm -f "$f" ;; esac
done
say "built in $(($(now) - t0))s (downloads $((t1 - t0))s): Xen $(sed -n 's/^XEN_VERSION=//p' "$IMAGE/meta.env"), kernel $KERNEL_RELEASE, in $IMAGE"
