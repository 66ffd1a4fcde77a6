#!/bin/sh
# Installs, with apt-get, everything TinyVMI's build, tests and real test
# guests need on a Debian (bookworm) machine.  Safe to run again.  Needs root
# (or sudo); does nothing else to the system.
#
#   build:   gcc, make, clang (second compiler), pkg-config
#   static:  musl-tools (small static tools: make static)
#   embed:   strace (the embedded-config test: no file but the image opened)
#   bench:   gdb (bench_live's scripted gdb -batch column on a live guest)
#   fuzz:    libclang-rt-14-dev (libFuzzer and the sanitizer runtimes; clang
#            only recommends it, and recommends are not installed here)
#   tests:   glib and json-c headers (LibVMI-style programs in examples/ are
#            built against them; TinyVMI itself links neither)
#   guests:  qemu-system-x86 (TCG), busybox-static (amd64 and i386), cpio,
#            gcc-multilib (static i386 helper run inside the guest), zstd,
#            debian-archive-keyring (the kernel matrix's suites are checked
#            against it)
#   xen:     libxen-dev (Xen's headers and static libraries: the Xen driver
#            and the static tools that run in the Xen test dom0)
#   docs:    hugo (the site), chromium + chromium-driver + python3-selenium
#            (the site's browser test), all Debian's
#   the i386 guests' kernels and busybox come as :i386 packages, so the
#   i386 architecture is added (nothing of it is installed, only downloaded).
set -eu

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

PACKAGES="build-essential clang libclang-rt-14-dev musl-tools pkg-config qemu-system-x86 busybox-static cpio gzip
    gcc-multilib zstd xz-utils valgrind file dwarves strace gdb debian-archive-keyring
    hugo chromium chromium-driver python3-selenium libglib2.0-dev libjson-c-dev libxen-dev"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
need_i386=0
dpkg --print-foreign-architectures | grep -qx i386 || need_i386=1

if [ -z "$missing" ] && [ $need_i386 = 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi
[ $need_i386 = 1 ] && $SUDO dpkg --add-architecture i386
# A mirror in mid-sync can fail one index ("File has unexpected size"); the
# packages we need usually still resolve, so retry once and go on.
$SUDO apt-get update -q || { sleep 5; $SUDO apt-get update -q; } ||
    echo "install-deps: warning: apt-get update reported errors; trying the install anyway"
if [ -n "$missing" ]; then
    echo "install-deps: installing$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
