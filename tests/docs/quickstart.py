#!/usr/bin/python3
"""quickstart.py - runs every quick start in docs/quickstart/ the way a
reader would: the ```sh blocks of a page, in order, in one bash, in a fresh
copy of the repository (its tracked and new files, not its build), with an
empty HOME of its own.  The test guests are shared through
~/.cache/tinyvmi/guests, a link to the real cache, so nothing is rebuilt.
A ```text block right after a sh block is what that block must print
(docs/quickstart/README.md says how it is matched).  One "ok"/"FAIL"/"skip"
line per page, with the output of a failing one.

usage: quickstart.py [PAGE.md...]     (default: every page but README.md)
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "docs"))
from stage import front_matter  # noqa: E402

MARK = "@@tinyvmi-quickstart-block %d@@"


def blocks(body):
    """[(kind, text)] of the fenced blocks, in order."""
    out = []
    for m in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", body, re.M | re.S):
        out.append((m.group(1), m.group(2)))
    return out


def wild(tok):
    """A word that stands for any word: it holds a digit, or is hex bytes."""
    return bool(re.search(r"\d", tok)) or bool(re.fullmatch(r"[0-9a-f]{2}|[0-9a-f]{8,}", tok))


def line_matches(want, got):
    w, g = want.split(), got.split()
    if w and w[-1] == "...":
        w = w[:-1]
        g = g[:len(w)]
    if len(w) != len(g):
        return False
    return all(a == b or (wild(a) and b) for a, b in zip(w, g))


def expect(want_text, got_text):
    """None when every wanted line appears in order, else the first missing."""
    got = got_text.split("\n")
    i = 0
    for want in want_text.split("\n"):
        if not want.strip() or want.strip() == "...":
            continue
        while i < len(got) and not line_matches(want, got[i]):
            i += 1
        if i == len(got):
            return want
        i += 1
    return None


def copy_repo(dst):
    r = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "-c", "-o", "--exclude-standard"],
                       capture_output=True, check=True)
    for rel in r.stdout.decode().split("\0"):
        if not rel or not os.path.lexists(os.path.join(ROOT, rel)):
            continue
        os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), os.path.join(dst, rel), follow_symlinks=False)


def run_page(page):
    name = os.path.relpath(page, ROOT)
    with open(page, encoding="utf-8") as f:
        meta, body = front_matter(f.read())
    req = meta.get("requires", [])
    req = [req] if isinstance(req, str) else req
    missing = [c for c in req if not shutil.which(c)]
    if missing:
        print("skip %s: needs %s, not on this machine" % (name, ", ".join(missing)))
        return None
    bs = blocks(body)
    script, checks = ["set -eu"], []
    for k, (kind, text) in enumerate(bs):
        if kind == "sh":
            script += ["echo '%s'" % (MARK % k), text]
            if k + 1 < len(bs) and bs[k + 1][0] == "text":
                checks.append((k, bs[k + 1][1]))
    if len(script) == 1:
        print("FAIL %s: no ```sh block to run" % name)
        return False
    cache = os.environ.get("TINYVMI_GUEST_CACHE") or os.path.expanduser("~/.cache/tinyvmi/guests")
    with tempfile.TemporaryDirectory(prefix="tinyvmi-qs-") as tmp:
        repo, home = os.path.join(tmp, "tinyvmi"), os.path.join(tmp, "home")
        copy_repo(repo)
        os.makedirs(os.path.join(home, ".cache", "tinyvmi"))
        os.makedirs(cache, exist_ok=True)
        os.symlink(cache, os.path.join(home, ".cache", "tinyvmi", "guests"))
        env = {k: v for k, v in os.environ.items()
               if k not in ("TINYVMI_GUEST_CACHE", "TINYVMI_CONF", "PKG_CONFIG_PATH", "MAKEFLAGS",
                            "MAKELEVEL", "MFLAGS")}
        env["HOME"] = home
        p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=repo, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
    out = p.stdout
    why = None
    if p.returncode != 0:
        why = "exit status %d" % p.returncode
    for k, want in checks:
        seg = out.split(MARK % k + "\n", 1)
        seg = seg[1].split("@@tinyvmi-quickstart-block", 1)[0] if len(seg) == 2 else ""
        miss = expect(want, seg)
        if miss is not None and not why:
            why = "block %d did not print %r" % (k + 1, miss)
    if why:
        print("FAIL %s: %s" % (name, why))
        print("\n".join("     | " + ln for ln in out.rstrip("\n").split("\n")[-60:]))
        return False
    print("ok   %s: %d blocks ran, %d outputs as shown" % (
        name, sum(1 for k, _ in bs if k == "sh"), len(checks)))
    return True


def main():
    pages = sys.argv[1:] or sorted(p for p in glob.glob(os.path.join(ROOT, "docs", "quickstart", "*.md"))
                                   if os.path.basename(p) != "README.md")
    if not pages:
        print("FAIL no quick start pages in docs/quickstart")
        sys.exit(1)
    res = [run_page(p) for p in pages]
    sys.exit(1 if False in res else 0)


if __name__ == "__main__":
    main()
