#!/usr/bin/python3
"""guests.py - the kernels TinyVMI is tested on, read from the real test
guests in the cache (tests/guests/build-guests.sh writes a meta.env for
each) when the site is built, so the list is the one the tests just used.

usage: guests.py GUEST_CACHE FRAGMENTS_DIR
"""
import glob
import os
import sys


def main():
    cache, frags = sys.argv[1:3]
    rows = []
    for d in sorted(glob.glob(os.path.join(cache, "*"))):
        meta = os.path.join(d, "meta.env")
        if not (os.path.isfile(os.path.join(d, "stamp")) and os.path.isfile(meta)):
            continue
        env = {}
        with open(meta, encoding="utf-8") as f:
            for ln in f:
                k, sep, v = ln.rstrip("\n").partition("=")
                if sep:
                    env[k] = v
        rows.append("| `%s` | %s | `%s` %s | %s | %s | %s |" % (
            os.path.basename(d), env.get("ARCH", "?"), env.get("KERNEL_VERSION", "?"),
            env.get("KERNEL_PKG_VERSION", ""), env.get("PAGING", "?"),
            "%s `-cpu %s` %s" % (env.get("QEMU", "?"), env.get("QEMU_CPU", "?"), env.get("QEMU_VERSION", "")),
            env.get("BUILT_AT", "?")))
    if rows:
        out = ["| guest | architecture | kernel (Debian package version) | paging | QEMU | booted |",
               "|---|---|---|---|---|---|"] + rows + [
               "", "*Read from the guest cache (`meta.env` of each guest) when this site was built.*"]
    else:
        out = ["*No test guests were on the machine that built this site; `make guests` builds "
               "them and the next `make docs` lists their kernels here.*"]
    with open(os.path.join(frags, "tested-kernels.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
