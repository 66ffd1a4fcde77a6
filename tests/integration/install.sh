#!/bin/sh
# `make install` into a scratch root, then a LibVMI-style program
# (examples/map-addr.c) built purely through `pkg-config tinyvmi`, both
# dynamically and statically, run on a real guest: LibVMI programs compile
# against TinyVMI unchanged.  Ends with "N passed, N failed".
O=${1:-build}
# The install test is about the normal build; the sanitizer run skips it.
if [ "$O" != build ]; then echo "0 passed, 0 failed, 1 skipped"; exit 0; fi
C=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CC=${CC:-cc}

if make -s install O="$O" DESTDIR="$T/root" PREFIX=/usr > "$T/log" 2>&1; then ok "make install"
else bad "make install"; cat "$T/log"; fi
for f in usr/include/tinyvmi/libvmi/libvmi.h usr/include/tinyvmi/libvmi/tinyvmi.h \
         usr/include/tinyvmi/libvmi/libvmi_extra.h usr/include/tinyvmi/libvmi/peparse.h \
         usr/include/tinyvmi/libvmi/slat.h usr/include/tinyvmi/libvmi/x86.h \
         usr/lib/libtinyvmi.a usr/lib/libtinyvmi.so usr/lib/pkgconfig/tinyvmi.pc \
         usr/bin/vmi-map-addr; do
    if [ -e "$T/root/$f" ]; then ok "installed $f"; else bad "installed $f"; fi
done

# Only the public API leaves the shared library (tinyvmi.map), under its SONAME.
so=$T/root/usr/lib/libtinyvmi.so.0
if [ -f "$so" ]; then
    soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    if [ "$soname" = libtinyvmi.so.0 ]; then ok "SONAME libtinyvmi.so.0"; else bad "SONAME is '$soname'"; fi
    leaked=$(nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' |
             grep -vE '^(vmi_|tvmi_|peparse_)' | head -n 10)
    nexp=$(nm -D --defined-only "$so" | awk '$2 != "A"' | wc -l)
    if [ -z "$leaked" ] && [ "$nexp" -gt 100 ]; then ok "the shared library exports only vmi_/tvmi_/peparse_ ($nexp symbols)"
    else bad "the shared library exports internals: $leaked"; fi
    # ...and every public function the static library defines (a public
    # call declared without default visibility would be missing).
    nm -D --defined-only "$so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$T/so.syms"
    nm --defined-only "$T/root/usr/lib/libtinyvmi.a" 2>/dev/null |
        awk '$2 == "T" && $3 ~ /^(vmi_|tvmi_|peparse_)/ { print $3 }' | sort -u > "$T/a.syms"
    hidden=$(comm -23 "$T/a.syms" "$T/so.syms" | head -n 10 | tr '\n' ' ')
    if [ -z "$hidden" ] && [ -s "$T/a.syms" ]; then ok "every public function of libtinyvmi.a is exported by the shared library ($(wc -l < "$T/a.syms"))"
    else bad "public functions the shared library does not export: $hidden"; fi
fi

export PKG_CONFIG_PATH="$T/root/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$T/root"
if ! command -v pkg-config >/dev/null; then bad "pkg-config is installed"; echo "$pass passed, $fail failed"; exit 1; fi
cflags=$(pkg-config --cflags tinyvmi); libs=$(pkg-config --libs tinyvmi)
if $CC -std=c11 -Wall -Werror $cflags examples/map-addr.c -o "$T/map-addr" $libs > "$T/log" 2>&1
then ok "LibVMI-style program builds with pkg-config (shared)"
else bad "LibVMI-style program builds with pkg-config (shared)"; cat "$T/log"; fi
for ex in examples/cr3-events.c examples/breakpoint-recoil.c examples/mem-watch.c; do
    if $CC -std=c11 -Wall -Werror $cflags "$ex" -o "$T/ex" $libs > "$T/log" 2>&1
    then ok "LibVMI-style events program $ex builds with pkg-config"
    else bad "LibVMI-style events program $ex builds with pkg-config"; cat "$T/log"; fi
done
if $CC -std=c11 -Wall -Werror -static $cflags examples/map-addr.c -o "$T/map-addr-static" \
        $(pkg-config --static --libs tinyvmi) > "$T/log" 2>&1
then ok "LibVMI-style program links statically"
else bad "LibVMI-style program links statically"; cat "$T/log"; fi

g=amd64
banner=$(sed -n 's/^\([0-9a-f]*\) [A-Za-z] linux_banner$/\1/p' "$C/$g/truth/kallsyms.txt" | head -n 1)
for bin in map-addr map-addr-static; do
    LD_LIBRARY_PATH="$T/root/usr/lib" "$T/$bin" "$C/$g/core.elf" "$banner" > "$T/out" 2>&1
    if grep -q '|Linux version' "$T/out"; then ok "$bin shows the banner of the real guest"
    else bad "$bin shows the banner of the real guest"; head -n 5 "$T/out"; fi
done
if file "$T/map-addr-static" 2>/dev/null | grep -q 'statically linked' ||
   ! ldd "$T/map-addr-static" >/dev/null 2>&1; then ok "static program has no dynamic dependency"
else bad "static program has no dynamic dependency"; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
