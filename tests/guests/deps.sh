#!/bin/sh
# Host packages build-guests.sh needs (Debian/Ubuntu names), and a way to
# install them.  This is the one list CI scripts should use, so the guest
# build's needs are written down in one place.
#
#   sh tests/guests/deps.sh --list      print the package names
#   sh tests/guests/deps.sh --install   as root: add the i386 architecture
#                                       (i386 guests need :i386 kernels and
#                                       busybox via apt-get download), update
#                                       the lists and install the packages
#
# It must not install the guests' kernels or busybox: those are only
# downloaded (never installed) by build-guests.sh itself.

set -eu

# qemu-system-x86  qemu-system-x86_64 and qemu-system-i386 (TCG is enough)
# gcc libc6-dev    host helpers (qmp-cmd, raw2lime) and the static amd64
#                  kcore-peek that runs in the guest
# gcc-multilib     gcc -m32 -static for the i386 kcore-peek (pulls in
#                  libc6-dev-i386 and lib32gcc-12-dev)
# cpio gzip        the guests' initramfs
# xz-utils zstd    only if a kernel package ships compressed modules
# util-linux       flock (cache lock) and fallocate (sparse core.elf)
# dwarves          pahole: the i386 kernels' DWARF -> truth/offsets-dwarf.txt
# debian-archive-keyring  the keys the kernel matrix's suites (private apt
#                  states) are checked against
# apt dpkg tar coreutils grep sed   usually there already
PACKAGES="qemu-system-x86 gcc libc6-dev gcc-multilib cpio gzip xz-utils zstd
util-linux dwarves debian-archive-keyring apt dpkg tar coreutils grep sed"

case ${1:---list} in
--list)
    echo $PACKAGES ;;
--install)
    [ "$(id -u)" = 0 ] || { echo "deps.sh: --install needs root" >&2; exit 1; }
    if [ "$(dpkg --print-architecture)" != i386 ] &&
        ! dpkg --print-foreign-architectures | grep -qx i386; then
        dpkg --add-architecture i386
    fi
    # A mirror in mid-sync can fail one index; retry once, then go on.
    apt-get update || { sleep 5; apt-get update; } ||
        echo "deps.sh: apt-get update failed twice; trying with the lists we have" >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES ;;
*)
    echo "usage: $0 [--list | --install]" >&2
    exit 2 ;;
esac
