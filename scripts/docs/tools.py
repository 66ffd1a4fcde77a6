#!/usr/bin/python3
"""tools.py - one page per command-line tool, from the tool's own --help:
the same text scripts/mkman.sh turns into the man page, so the site, the
man page and --help cannot disagree.  Every tools/vmi-*.c is a tool; one
that is not built, or whose --help fails, stops the build.

usage: tools.py BIN_DIR OUT_DIR FRAGMENTS_DIR
"""
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cheader  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def esc(s):
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", s)


def parse_help(text):
    """usage line, description paragraph, [(option, meaning)], other lines."""
    lines = text.rstrip("\n").split("\n")
    usage = re.sub(r"^usage:\s*", "", lines[0])
    i = 1
    desc = []
    while i < len(lines) and lines[i].strip():
        desc.append(lines[i].strip())
        i += 1
    opts, other = [], []
    for ln in lines[i:]:
        m = re.match(r"^\s{2,}(\S.*?)\s{2,}(\S.*)$", ln)
        if m and not other:
            opts.append([m.group(1), m.group(2)])
        elif opts and re.match(r"^\s{6,}\S", ln) and not other:
            opts[-1][1] += " " + ln.strip()
        elif ln.strip():
            other.append(ln.strip())
    return usage, " ".join(desc), opts, other


def summary(desc):
    m = re.match(r"(.+?\.)(\s|$)", desc)
    return m.group(1) if m else desc


def main():
    bin_dir, out_dir, frag_dir = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    tools = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(ROOT, "tools", "vmi-*.c")))
    rows = []
    for w, name in enumerate(tools):
        exe = os.path.join(bin_dir, name)
        try:
            r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=20)
        except OSError as e:
            sys.exit("tools.py: %s: %s (build the tools first: make tools)" % (exe, e))
        if r.returncode != 0 or not r.stdout.startswith("usage:"):
            sys.exit("tools.py: %s --help failed (exit %d): %s" % (name, r.returncode, r.stderr))
        usage, desc, opts, other = parse_help(r.stdout)
        body = ["# %s" % name, "", esc(desc), "", "## Usage", "", "```text", usage, "```", ""]
        if opts:
            body += ["## Arguments and options", "", "| argument or option | meaning |", "|---|---|"]
            body += ["| `%s` | %s |" % (o.replace("|", "\\|"), esc(m)) for o, m in opts]
            body.append("")
        if other:
            body += [esc(" ".join(other)), ""]
        body += ["## The whole `--help` text", "",
                 "The man page (`man %s` after `make install`) is made from this same text "
                 "by `scripts/mkman.sh`." % name, "", "```text", r.stdout.rstrip("\n"), "```", ""]
        meta = {"title": name, "description": summary(desc), "weight": 10 + w,
                "source": "tools/%s.c" % name}
        with open(os.path.join(out_dir, name + ".md"), "w", encoding="utf-8") as f:
            f.write(json.dumps(meta, indent=1) + "\n\n" + "\n".join(body))
        rows.append('| [`%s`]({{< relref "/tools/%s.md" >}}) | %s |' % (name, name, esc(summary(desc))))

    # What every tool shares is said once, in the tools' common header.
    common = cheader.file_comment(os.path.join(ROOT, "tools", "common", "tool.h"))
    common = common.split("\n\n", 1)[1] if "\n\n" in common else ""
    text = ["# Tools", "", "The command-line tools, built by `make` into `build/bin` "
            "(statically linked by `make static`). Each page is generated from the tool's "
            "`--help`.", ""]
    if common.strip():
        # the header's comment writes code in backticks: keep them
        text += [re.sub(r"([\\*_\[\]<>|])", r"\\\1", " ".join(p.split())) + "\n"
                 for p in common.split("\n\n")]
    text += ["| tool | what it does |", "|---|---|"] + rows + [""]
    meta = {"title": "Tools", "group": "Reference", "weight": 20, "nochildren": True,
            "description": "one page per tool, from its --help"}
    with open(os.path.join(out_dir, "_index.md"), "w", encoding="utf-8") as f:
        f.write(json.dumps(meta, indent=1) + "\n\n" + "\n".join(text))
    with open(os.path.join(frag_dir, "tools-table.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(["| tool | what it does |", "|---|---|"] + rows) + "\n")


if __name__ == "__main__":
    main()
