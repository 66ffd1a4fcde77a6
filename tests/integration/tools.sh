#!/bin/sh
# The command-line tools on the real guest images, checked against what the
# guests said: the page vmi-map-addr shows at the kernel banner's address
# holds the guest's own /proc/version; vmi-translate lands where that banner
# really is in RAM; vmi-dump-memory reproduces QEMU's RAM file; bad input
# gives a reason and a non-zero exit.  Ends with "N passed, N failed".
O=${1:-build}
B=$O/bin
C=${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # name, then a command that must succeed
    name=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The banner's virtual address.  amd64 kallsyms list linux_banner; the i386
# kernels list text symbols only, so there the address comes from where the
# guest said its kernel code sits: virtual _text minus physical "Kernel code"
# (/proc/iomem) is the kernel's linear offset, and the banner is where the
# guest's /proc/version text lies in its RAM plus that offset.
banner_va() { # guest
    g=$1
    v=$(sed -n 's/^\([0-9a-f]*\) [A-Za-z] linux_banner$/\1/p' "$C/$g/truth/kallsyms.txt" | head -n 1)
    if [ -n "$v" ]; then echo "0x$v"; return; fi
    text=$(sed -n 's/^\([0-9a-f]*\) [Tt] _text$/\1/p' "$C/$g/truth/kallsyms.txt" | head -n 1)
    code=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : Kernel code$/\1/p' "$C/$g/truth/iomem.txt" | head -n 1)
    ver=$(head -c 60 "$C/$g/truth/version.txt")
    # The banner proper is NUL-terminated after its newline; the printk log
    # holds another copy, so take the one followed by a NUL.
    for off in $(grep -boaF "$ver" "$C/$g/ram.raw" | cut -d: -f1); do
        len=$(wc -c < "$C/$g/truth/version.txt")
        if [ "$(dd if="$C/$g/ram.raw" bs=1 skip=$((off + len)) count=1 2>/dev/null | od -An -tx1 | tr -d ' ')" = "00" ]; then
            printf '0x%x\n' $((off + 0x$text - 0x$code))
            return
        fi
    done
}

for g in $(sh tests/guests/build-guests.sh --list); do
    [ -f "$C/$g/stamp" ] || { bad "$g: guest image missing"; continue; }
    va=$(banner_va "$g")
    [ -n "$va" ] || { bad "$g: banner address not found in the guest's truth"; continue; }
    first=$(head -c 40 "$C/$g/truth/version.txt")
    for img in core.elf ram.raw ram.lime; do
        cfg=""
        [ "$img" = core.elf ] || cfg="pagemode = $(sed -n 's/^PAGING=//p' "$C/$g/meta.env"); kpgd = $(sed -n 's/^CR3=//p' "$C/$g/meta.env")"
        "$B/vmi-map-addr" "$C/$g/$img" "$va" ${cfg:+-c "$cfg"} > "$T/map" 2>&1
        # The hex dump's text column shows the banner ("Linux version ...").
        if grep -q '|Linux version' "$T/map" || tr -d '\n' < "$T/map" | grep -q 'Linux ver'; then
            ok "$g/$img: vmi-map-addr $va shows the banner page"
        else
            bad "$g/$img: vmi-map-addr $va shows the banner page"; head -n 5 "$T/map"
        fi
    done
    # vmi-translate: the physical address it prints holds the guest's banner in RAM.
    pa=$("$B/vmi-translate" "$C/$g/core.elf" "$va" | sed -n 's/^physical address *0x\([0-9a-f]*\).*/\1/p')
    if [ -n "$pa" ] && [ "$(dd if="$C/$g/ram.raw" bs=1 skip=$((0x$pa)) count=40 2>/dev/null)" = "$first" ]; then
        ok "$g: vmi-translate $va -> 0x$pa, where RAM holds the banner"
    else
        bad "$g: vmi-translate $va -> '0x$pa', where RAM holds the banner"
    fi
    "$B/vmi-translate" "$C/$g/core.elf" "$va" --json > "$T/json" 2>&1
    jpa=$(sed -n 's/.*"paddr":"0x\([0-9a-f]*\)".*/\1/p' "$T/json")
    if [ -n "$pa" ] && [ -n "$jpa" ] && [ $((0x$jpa)) -eq $((0x$pa)) ]; then
        ok "$g: vmi-translate --json gives the same address"
    else
        bad "$g: vmi-translate --json gives the same address ('$jpa')"
    fi
done

# vmi-dump-memory: the RAM it writes from the ELF core is QEMU's RAM file.
g=amd64
if [ -f "$C/$g/stamp" ]; then
    "$B/vmi-dump-memory" "$C/$g/core.elf" "$T/dump.raw" -q
    check "vmi-dump-memory core.elf: RAM equals QEMU's RAM file" \
        cmp -n "$(stat -c %s "$C/$g/ram.raw")" "$T/dump.raw" "$C/$g/ram.raw"
    used=$(du -k "$T/dump.raw" | cut -f1)
    if [ "$used" -lt 300000 ]; then ok "vmi-dump-memory: sparse output (${used} KiB on disk)"; else bad "vmi-dump-memory: sparse output (${used} KiB)"; fi
    rm -f "$T/dump.raw"
fi

# Bad input: a reason and a non-zero exit, never a crash.
for t in vmi-map-addr vmi-translate vmi-dump-memory vmi-process-list vmi-module-list; do
    check "$t --help" "$B/$t" --help
done
: > "$T/empty"
head -c 100 "$C/amd64/core.elf" > "$T/truncated.elf" 2>/dev/null
head -c 1048576 /dev/urandom > "$T/garbage"
expect_fail() { # name, expected text, command...
    name=$1; want=$2; shift 2
    "$@" > "$T/out" 2>&1; rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -qi "$want" "$T/out"; then ok "$name"
    else bad "$name (exit $rc)"; cat "$T/out"; fi
}
expect_fail "missing image: says so" "no such file\|not a readable\|cannot open" "$B/vmi-map-addr" "$T/nope" 0x1000
expect_fail "empty image: says so" "empty" "$B/vmi-map-addr" "$T/empty" 0x1000
expect_fail "truncated ELF: says so" "beyond\|truncated\|end of the file" "$B/vmi-map-addr" "$T/truncated.elf" 0x1000
expect_fail "garbage image, no registers: says why" "pagemode\|page table" "$B/vmi-map-addr" "$T/garbage" 0x1000
expect_fail "bad address: says so" "not a number" "$B/vmi-map-addr" "$C/amd64/core.elf" xyz
expect_fail "unmapped address: says why" "not present" "$B/vmi-map-addr" "$C/amd64/core.elf" 0x1000
expect_fail "bad config: says where" "line\|expected" "$B/vmi-map-addr" "$C/amd64/core.elf" 0x1000 -c 'pagemode = ;'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
