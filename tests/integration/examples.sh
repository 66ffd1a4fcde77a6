#!/bin/sh
# The LibVMI-style programs in examples/ that use LibVMI's headers beyond
# libvmi.h, built as a LibVMI program is built (va-pages with glib, as
# LIBVMI_EXTRA_GLIB wants) and run on the real guests and on generated
# Windows images:
#  - va-pages lists every page of the CR3 QEMU had loaded; its output, in
#    QEMU's `info mem` format, must equal what QEMU printed (truth/mem.txt)
#    byte for byte.  It frees the GSList as LibVMI documents
#    (g_slist_free_full with g_free) and runs with G_SLICE=debug-blocks, so
#    glib aborts if TinyVMI gave it list nodes glib did not allocate; once
#    under valgrind for leaks; once with libtinyvmi.so, once linked with
#    -static (glib too).
#  - a program that includes json-c's header and LIBVMI_EXTRA_JSON compiles
#    (the json_object typedefs agree).
#  - pe-exports reads kernel and HAL headers and exports through peparse;
#    they must be what the image generator planted.
# Ends with "N passed, N failed".
O=${1:-build}
C=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
CC=${CC:-cc}
pass=0; fail=0; skip=0
ok()   { pass=$((pass + 1)); echo "ok   $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; }
skip() { skip=$((skip + 1)); echo "skip $1"; }
done_() { echo "$pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

SAN=""
[ "$O" = build-san ] && SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
# The archive, and what it needs after it (Xen's libraries, when built in).
LIB="$O/lib/libtinyvmi.a $(make -s --no-print-directory O="$O" libs-private)"
CFLAGS="-std=c11 -Wall -Wextra -Werror -g $SAN -Iinclude"

if ! pkg-config --exists glib-2.0; then
    bad "glib's development files are installed (libglib2.0-dev: scripts/install-deps.sh)"
    done_
fi
# shellcheck disable=SC2046
if $CC $CFLAGS examples/va-pages.c -o "$T/va-pages" $LIB $(pkg-config --cflags --libs glib-2.0) \
        > "$T/log" 2>&1; then ok "va-pages builds against glib"
else bad "va-pages builds against glib"; cat "$T/log"; done_; fi

cr3_of() { # guest: the CR3 QEMU printed at the stop
    sed -n 's/.*CR3=\([0-9a-f]*\).*/0x\1/p' "$C/$1/truth/registers.txt" | head -n 1
}

# Every address in $2 (one hex address a line, any width) lies in a range of $1.
all_inside() {
    awk 'NR == FNR { split($1, r, "-"); lo[NR] = r[1]; hi[NR] = r[2]; n = NR; next }
         { a = sprintf("%016s", $1); gsub(/ /, "0", a); hit = 0
           for (i = 1; i <= n; i++) if (a >= lo[i] && a < hi[i]) { hit = 1; break }
           if (!hit) { print "not mapped: " $1; bad = 1 } }
         END { exit bad }' "$1" "$2"
}

for g in amd64 amd64-la57 i386 i386-pae; do
    [ -f "$C/$g/stamp" ] || { bad "$g: guest image missing"; continue; }
    cr3=$(cr3_of "$g")
    if ! G_SLICE=debug-blocks "$T/va-pages" "$C/$g/core.elf" "$cr3" > "$T/$g.mem" 2> "$T/$g.err"; then
        bad "$g: va-pages on core.elf, CR3 $cr3"; cat "$T/$g.err"; continue
    fi
    if [ -f "$C/$g/truth/mem.txt" ]; then
        if cmp -s "$T/$g.mem" "$C/$g/truth/mem.txt"; then
            ok "$g: the pages of CR3 $cr3 are QEMU's info mem, exactly ($(wc -l < "$T/$g.mem") ranges; $(cat "$T/$g.err"))"
        else
            bad "$g: the pages of CR3 $cr3 are QEMU's info mem"
            diff "$T/$g.mem" "$C/$g/truth/mem.txt" | head -n 10
        fi
    else
        skip "$g: QEMU printed no info mem for this guest (tests/guests/README.md); the kernel symbols below still check it"
    fi
    # The kernel's text (and banner, where kallsyms has it) is mapped.
    sed -n 's/^\([0-9a-f]*\) [A-Za-z] \(_text\|_stext\|linux_banner\)$/\1/p' \
        "$C/$g/truth/kallsyms.txt" > "$T/$g.syms"
    if [ -s "$T/$g.syms" ] && all_inside "$T/$g.mem" "$T/$g.syms"; then
        ok "$g: _text and the banner the guest listed lie in mapped ranges"
    else
        bad "$g: _text and the banner the guest listed lie in mapped ranges"
    fi
done

# A raw image with the page table from the config instead of a core's registers.
cr3=$(cr3_of amd64)
printf 'ram { pagemode = ia32e; kpgd = %s; }\n' "$cr3" > "$T/raw.conf"
if TINYVMI_CONF="$T/raw.conf" G_SLICE=debug-blocks "$T/va-pages" "$C/amd64/ram.raw" "$cr3" > "$T/raw.mem" 2>"$T/raw.err" &&
   cmp -s "$T/raw.mem" "$C/amd64/truth/mem.txt"; then ok "amd64/ram.raw: the same pages from the raw image"
else bad "amd64/ram.raw: the same pages from the raw image"; cat "$T/raw.err"; fi

if [ -n "$SAN" ]; then
    skip "valgrind and -static runs (not with sanitizers)"
elif ! command -v valgrind > /dev/null; then
    bad "valgrind is installed (scripts/install-deps.sh)"
else
    cr3=$(cr3_of i386)
    if valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
            "$T/va-pages" "$C/i386/core.elf" "$cr3" > "$T/vg.mem" 2> "$T/vg.err" &&
       cmp -s "$T/vg.mem" "$C/i386/truth/mem.txt"; then
        ok "i386: va-pages under valgrind: no error, nothing lost"
    else bad "i386: va-pages under valgrind"; tail -n 20 "$T/vg.err"; fi
    # With the shared library, glib's allocators are found by the dynamic linker.
    ln -s "$(pwd)/$O/lib/libtinyvmi.so" "$T/libtinyvmi.so.0"
    # shellcheck disable=SC2046
    if $CC $CFLAGS examples/va-pages.c -o "$T/va-pages-so" "$O/lib/libtinyvmi.so" \
            $(pkg-config --cflags --libs glib-2.0) > "$T/log" 2>&1 &&
       LD_LIBRARY_PATH="$T" G_SLICE=debug-blocks "$T/va-pages-so" "$C/i386/core.elf" \
            "$(cr3_of i386)" 2>/dev/null | cmp -s - "$C/i386/truth/mem.txt"; then
        ok "i386: va-pages with libtinyvmi.so: QEMU's pages, glib's allocator"
    else bad "i386: va-pages with libtinyvmi.so"; cat "$T/log"; fi
    # shellcheck disable=SC2046
    if $CC $CFLAGS -static examples/va-pages.c -o "$T/va-pages-static" $LIB \
            $(pkg-config --static --cflags --libs glib-2.0) > "$T/log" 2>&1; then
        cr3=$(cr3_of i386-pae)
        if ldd "$T/va-pages-static" > /dev/null 2>&1; then bad "va-pages -static has no dynamic dependency"
        elif G_SLICE=debug-blocks "$T/va-pages-static" "$C/i386-pae/core.elf" "$cr3" 2>/dev/null |
             cmp -s - "$C/i386-pae/truth/mem.txt"; then
            ok "i386-pae: va-pages linked -static with glib: QEMU's pages, glib's allocator"
        else bad "i386-pae: va-pages linked -static with glib"; fi
    else bad "va-pages links -static with glib"; grep -v getpw "$T/log" | head -n 5; fi
fi

# ---- json_object: LibVMI programs include json-c beside libvmi_extra.h ----
if pkg-config --exists json-c; then
    cat > "$T/both.c" <<'EOF_C'
#include <json-c/json.h>
#include <libvmi/libvmi.h>
#define LIBVMI_EXTRA_JSON
#include <libvmi/libvmi_extra.h>
int main(void) { json_object *j = vmi_get_kernel_json(NULL); return j != NULL; }
EOF_C
    # shellcheck disable=SC2046
    if $CC $CFLAGS -c "$T/both.c" -o "$T/both.o" $(pkg-config --cflags json-c) > "$T/log" 2>&1
    then ok "json-c's json_object and libvmi_extra.h's compile together"
    else bad "json-c's json_object and libvmi_extra.h's compile together"; cat "$T/log"; fi
else
    bad "json-c's development files are installed (libjson-c-dev: scripts/install-deps.sh)"
fi

# ---- peparse on generated Windows images ----
if $CC $CFLAGS examples/pe-exports.c -o "$T/pe-exports" $LIB > "$T/log" 2>&1; then ok "pe-exports builds"
else bad "pe-exports builds"; cat "$T/log"; done_; fi
for layout in xp-sp3-x86 xp-sp3-x86-pae win7-sp1-x64 win10-x64; do
    img="$T/$layout.raw"
    "$O/tests/helpers/gen-winimage" "$layout" "$img" > "$T/truth" || { bad "$layout: generated"; continue; }
    root=$(sed -n 's/.*System page table \(0x[0-9a-f]*\).*/\1/p' "$T/truth")
    case $layout in *-pae) pm=pae ;; *x86) pm=legacy ;; *) pm=ia32e ;; esac
    printf '%s { ostype = none; pagemode = %s; kpgd = %s; }\n' "$layout" "$pm" "$root" > "$T/win.conf"
    for mod in kernel hal; do
        case $mod in kernel) name=ntoskrnl.exe ;; hal) name=hal.dll ;; esac
        base=$(awk -v n="$name" '$1 == "module" && $2 == n { print $4 }' "$T/truth")
        sed -n "s/^export $mod //p" "$T/truth" > "$T/want"
        if TINYVMI_CONF="$T/win.conf" "$T/pe-exports" "$img" "$base" > "$T/out" 2>&1 &&
           grep -v '^machine\|^section\|^exports of' "$T/out" | cmp -s - "$T/want"; then
            ok "$layout: $mod exports through peparse are the generator's ($(grep -c . "$T/want"))"
        else bad "$layout: $mod exports through peparse"; cat "$T/out"; fi
    done
    # A module whose image was never written (kdcom.dll's pages are absent).
    base=$(awk '$1 == "module" && $2 == "kdcom.dll" { print $4 }' "$T/truth")
    if ! TINYVMI_CONF="$T/win.conf" "$T/pe-exports" "$img" "$base" > "$T/out" 2>&1 &&
       grep -q 'peparse_get_image: .*not present' "$T/out"; then
        ok "$layout: an unmapped module fails with the reason"
    else bad "$layout: an unmapped module fails with the reason"; cat "$T/out"; fi
done
done_
