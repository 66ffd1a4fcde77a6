#!/bin/sh
# Configuration and symbols compiled in, on the real guests: vmi-embed turns
# a libvmi.conf entry and the guest's symbols into a C file; a LibVMI-style
# program (embed_check.c) linked with it, unchanged and registering nothing,
# lists the guest's processes as the guest did (truth/ps.txt) and answers
# every kernel symbol both ways as the guest's /proc/kallsyms does, with
# HOME empty and TINYVMI_CONF unset; under strace the static build opens
# the image and nothing else.  Built with gcc and clang (the generated file
# with -Wall -Wextra -Werror), linked statically, shared, and statically
# with musl when musl-gcc is there.  Ends with "N passed, N failed".
O=${1:-build}
# Static links are the point here, and the sanitizers cannot link
# statically: the sanitizer run skips this test (the embedded-entry code
# runs under the sanitizers in the unit tests).
if [ "$O" != build ]; then echo "0 passed, 0 failed, 1 skipped"; exit 0; fi
B=$O/bin
C=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
CC=${CC:-cc}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/home"
export TINYVMI_GUEST_CACHE="$C"
INC="-D_GNU_SOURCE -Iinclude -Itests/unit -Itests/integration"

# musl: the library built with musl-gcc into $T/musl (the tools' static build).
MUSL_LIB=
# What libtinyvmi.a needs after it (Xen's libraries, when built in).
XLIBS=$(make -s --no-print-directory O="$O" libs-private)
if command -v musl-gcc >/dev/null 2>&1; then
    if make -s -j2 O="$T/musl" CC=musl-gcc PIC=-fno-pic OPT=-Os "$T/musl/lib/libtinyvmi.a" \
        > "$T/musl.log" 2>&1; then
        MUSL_LIB=$T/musl/lib/libtinyvmi.a
    else
        bad "the library builds with musl-gcc"; tail -n 5 "$T/musl.log"
    fi
fi

# The user processes the guest listed (pid, comm) are all in a "pid name" list.
has_user_ps() { # guest, list
    awk '$3 == "u" { print $1, substr($4, 1, 15) }' "$C/$1/truth/ps.txt" | sort > "$T/want"
    sort "$2" > "$T/got"
    [ -s "$T/want" ] && [ -z "$(comm -23 "$T/want" "$T/got")" ]
}

# Every path the program named in a file system call, less the image.
foreign_paths() { # strace log, image
    grep -v -e '^[0-9]* +++' -e '^[0-9]* ---' "$1" | grep -o '"[^"]*"' | tr -d '"' |
        grep -v -e '^$' -e "^$2\$" | sort -u
}

run_case() { # label, guest, image, embed options...
    label=$1; g=$2; img=$3; shift 3
    conf=$T/$label.conf
    # The entry: what vmi-linux-offsets found (offsets, kpgd), plus pagemode.
    { echo "ram {"
      "$B/vmi-linux-offsets" "$C/$g/$img" | sed -n -e 's/^ *\(linux_[a-z_]* *= [^;]*;\).*/    \1/p' \
          -e 's/^ *# *\(kpgd *= [^;]*;\).*/    \1/p'
      echo "    ostype = \"Linux\";"
      echo "    pagemode = \"$(sed -n 's/^PAGING=//p' "$C/$g/meta.env")\";"
      echo "}"; } > "$conf"
    grep -q linux_tasks "$conf" && grep -q kpgd "$conf" ||
        { bad "$label: an entry for the guest (vmi-linux-offsets)"; cat "$conf"; return; }
    if "$B/vmi-embed" -c "$conf" -e ram "$@" -o "$T/$label.c" > "$T/log" 2>&1; then
        ok "$label: vmi-embed wrote $(sed -n 's/^ \* (\(.*\))\.$/\1/p' "$T/$label.c")"
    else
        bad "$label: vmi-embed"; cat "$T/log"; return
    fi
    for cc in gcc clang; do
        command -v $cc >/dev/null 2>&1 || continue
        if $cc -std=c11 -Wall -Wextra -Werror -Iinclude -c "$T/$label.c" -o "$T/$label-$cc.o" \
            > "$T/log" 2>&1; then ok "$label: the generated file compiles with $cc -Wall -Wextra -Werror"
        else bad "$label: the generated file compiles with $cc -Wall -Werror"; head -n 5 "$T/log"; fi
    done
    # One program, linked three ways (four with musl).
    src=tests/integration/embed_check.c
    $CC -std=c11 -O2 $INC "$src" "$T/$label.c" "$O/lib/libtinyvmi.a" $XLIBS -o "$T/check" 2> "$T/log" &&
    mkdir -p "$T/lib" && ln -sf "$PWD/$O/lib/libtinyvmi.so" "$T/lib/libtinyvmi.so.0" &&
    $CC -std=c11 -O2 $INC "$src" "$T/$label.c" -L"$O/lib" -ltinyvmi -Wl,-rpath,"$T/lib" \
        -o "$T/check-shared" 2>> "$T/log" &&
    $CC -std=c11 -O2 -static $INC "$src" "$T/$label.c" "$O/lib/libtinyvmi.a" $XLIBS -o "$T/check-static" \
        2>> "$T/log" || { bad "$label: embed_check links (static library, shared, -static)"; head -n 5 "$T/log"; return; }
    bins="check check-shared check-static"
    if [ -n "$MUSL_LIB" ]; then
        if musl-gcc -std=c11 -Os -static $INC "$src" "$T/$label.c" "$MUSL_LIB" -o "$T/check-musl" \
            2> "$T/log"; then bins="$bins check-musl"
        else bad "$label: embed_check links with musl-gcc -static"; head -n 5 "$T/log"; fi
    fi
    for b in $bins; do
        names=; [ "$b" = check ] && names=${NAMES:-}
        if env -u TINYVMI_CONF HOME="$T/home" "$T/$b" check "$g" "$C/$g/$img" $names > "$T/log" 2>&1
        then ok "$label/$b: processes${names:+ and every kernel symbol} as the guest listed them ($(sed -n '/passed/!s/^ *//p' "$T/log" | paste -sd ';' -))"
        else bad "$label/$b: embedded entry against the guest's truth"; tail -n 12 "$T/log"; fi
    done
    # The static builds under strace: the image and nothing else.
    for b in check-static check-musl; do
        [ -x "$T/$b" ] || continue
        if ! command -v strace >/dev/null 2>&1; then bad "strace is installed"; break; fi
        env -u TINYVMI_CONF HOME="$T/home" strace -f -o "$T/strace" \
            -e trace=open,openat,openat2,stat,lstat,newfstatat,statx,access,faccessat,faccessat2,readlink,execve \
            "$T/$b" ps "$C/$g/$img" > "$T/ps" 2> "$T/log"
        rc=$?
        # execve names the program itself, and glibc's static start-up reads
        # the /proc/self/exe link: neither is a file the program chose.
        sed -i -e '/execve(/d' -e '/readlink("\/proc\/self\/exe"/d' "$T/strace"
        other=$(foreign_paths "$T/strace" "$C/$g/$img")
        if [ $rc -eq 0 ] && [ -z "$other" ] && grep -q "\"$C/$g/$img\"" "$T/strace"; then
            ok "$label/$b: under strace it opens only the image, no config or symbol file"
        else
            bad "$label/$b: under strace it opens only the image (rc $rc; also: $other)"; tail -n 3 "$T/log"
        fi
        if has_user_ps "$g" "$T/ps"; then ok "$label/$b: every user process of the guest listed"
        else bad "$label/$b: every user process of the guest listed"; comm -23 "$T/want" "$T/got" | head -n 5; fi
    done
}

if [ -f "$C/amd64/stamp" ]; then
    # The guest's own kallsyms text: runtime addresses.
    NAMES=names run_case amd64-kallsyms amd64 ram.raw --kallsyms "$C/amd64/truth/kallsyms.txt"
    # The same symbols at link-time addresses (as a vmlinux's System.map has
    # them): the table is then moved by the KASLR slide found in memory.
    perl -e 'no warnings; my ($slide, @l);
        while (<>) { next if /\[/; my ($a, $t, $n) = split; push @l, [hex($a), $t, $n];
                     $slide = hex($a) - 0xffffffff81000000 if !defined $slide && $n eq "_text"; }
        for (@l) { my $a = $_->[0]; $a -= $slide if $a >= 0xffffffff80000000;
                   printf "%016x %s %s\n", $a, $_->[1], $_->[2]; }' \
        "$C/amd64/truth/kallsyms.txt" > "$T/link.map"
    NAMES=names run_case amd64-linktime amd64 ram.raw --sysmap "$T/link.map"
else
    bad "amd64: guest image missing"
fi
if [ -f "$C/i386/stamp" ] && [ -f "$C/i386/truth/System.map-dbg" ]; then
    run_case i386-sysmap i386 ram.raw --sysmap "$C/i386/truth/System.map-dbg"
else
    bad "i386: guest image or its System.map missing"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
