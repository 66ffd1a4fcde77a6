#!/usr/bin/python3
"""Every configuration key the code reads is documented, and every key the
documentation's tables list is read by the code.

The keys read are found in src/ at the calls that read configuration: the
core's config_get*/config_value, the OS layers' core_config_get*, the
drivers' settings lookup and the Xen driver's setting() (a call may span
lines).  The documented keys are the backquoted words of
docs/configuration.md, which links the OS pages for their offset keys;
those pages count too.  Prints ok/FAIL lines for tests/docs/run.sh.

    config_keys.py [ROOT]
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
READ = re.compile(
    r'\b(?:config_get|config_get_u64|config_value|core_config_get|core_config_get_u64|'
    r'lookup|setting)\s*\(\s*[^,()"]*(?:\([^()]*\))?[^,()"]*,\s*"([a-z][a-z0-9_]*)"', re.S)
ROW = re.compile(r'^\|\s*`([a-z][a-z0-9_]*)`\s*\|', re.M)
WORD = re.compile(r'`([a-z][a-z0-9_]*)`')
DOCS = ["docs/configuration.md", "docs/linux.md", "docs/windows.md"]


def main():
    read = {}
    for top, _dirs, files in os.walk(os.path.join(ROOT, "src")):
        for f in files:
            if f.endswith(".c"):
                path = os.path.join(top, f)
                with open(path, encoding="utf-8") as h:
                    for key in READ.findall(h.read()):
                        read.setdefault(key, os.path.relpath(path, ROOT))
    documented = set()
    for d in DOCS:
        with open(os.path.join(ROOT, d), encoding="utf-8") as h:
            documented |= set(WORD.findall(h.read()))
    rows = set()
    with open(os.path.join(ROOT, DOCS[0]), encoding="utf-8") as h:
        # The keys' tables are those whose first column is headed "key".
        for table in re.findall(r'^\| key \|.*?(?=^[^|]|\Z)', h.read(), re.M | re.S):
            rows |= set(ROW.findall(table))
    src_text = ""
    for top, _dirs, files in os.walk(os.path.join(ROOT, "src")):
        for f in files:
            if f.endswith((".c", ".h")):
                with open(os.path.join(top, f), encoding="utf-8") as h:
                    src_text += h.read()
    fails = 0
    missing = sorted(k for k in read if k not in documented)
    if len(read) < 15:
        print("FAIL the key scanner found only %d keys read in src/: it is broken" % len(read))
        fails += 1
    elif missing:
        for k in missing:
            print("FAIL config key %s (read in %s) is not in %s" % (k, read[k], DOCS[0]))
        fails += 1
    else:
        print("ok   every configuration key the code reads (%d) is documented" % len(read))
    stale = sorted(k for k in rows if '"%s"' % k not in src_text)
    if stale:
        for k in stale:
            print("FAIL %s documents key %s, which no code reads" % (DOCS[0], k))
        fails += 1
    else:
        print("ok   every key in %s's tables (%d) is read by the code" % (DOCS[0], len(rows)))
    if os.environ.get("CONFIG_KEYS_LIST"):
        print("read:", " ".join(sorted(read)))
        print("rows:", " ".join(sorted(rows)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
