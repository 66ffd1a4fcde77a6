#!/usr/bin/python3
"""api.py - the API reference and the porting table, from the comments of
every header in include/libvmi/, and the test that every public function
is documented.

  api.py pages OUT_DIR FRAGMENTS_DIR   one page per header (OUT_DIR/<name>.md),
                                       the section index, and the fragment
                                       "porting-table" for docs/porting.md
  api.py check BUILD_DIR               the checks; one "ok"/"FAIL" line each

A function's documentation is the comment above it (cheader.py's rule).
Inside it, a line starting "LibVMI:" begins what TinyVMI does differently
from LibVMI; the porting page lists those notes.  A function that returns
a value must say how it fails (the word "fail" somewhere: "Fails when...",
"NULL on failure", "Never fails").
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cheader  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
INCLUDE = os.path.join(ROOT, "include")
LIBVMI_LIST = os.path.join(ROOT, "scripts", "docs", "libvmi-functions.tsv")


def headers():
    """Every public header: LibVMI's main one first, then ours, then the rest."""
    hs = sorted(glob.glob(os.path.join(INCLUDE, "libvmi", "*.h")))
    order = {"libvmi.h": 0, "tinyvmi.h": 1}
    return sorted(hs, key=lambda p: (order.get(os.path.basename(p), 2), p))


class Header:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.stem = self.name[:-2]
        self.decls = cheader.scan_file(path)
        intro = cheader.file_comment(path)
        first, _, rest = intro.partition("\n")
        m = re.match(r"^\S+\s+-\s+(.*)$", first)
        self.summary = m.group(1).strip() if m else ""
        # the rest of the first paragraph continues the summary sentence
        para, _, tail = rest.partition("\n\n")
        if m and para.strip():
            self.summary = (self.summary + " " + " ".join(para.split())).strip()
            rest = tail
        self.intro = rest.strip()
        with open(path, encoding="utf-8") as f:
            self.lines = f.read().split("\n")

    def signature(self, d):
        text = "\n".join(self.lines[d.first - 1:d.last])
        text = re.sub(r"\s*NOEXCEPT\s*;", ";", text)
        text = re.sub(r"\s*\{.*", ";", text, flags=re.S) if d.inline else text
        return text.strip()


def load_all():
    return [Header(p) for p in headers()]


def libvmi_list():
    """[(header, name, deprecated)] from the committed list."""
    out = []
    with open(LIBVMI_LIST, encoding="utf-8") as f:
        for ln in f:
            if ln.startswith("#") or not ln.strip():
                continue
            h, n, dep = ln.rstrip("\n").split("\t")
            out.append((h, n, dep == "1"))
    return out


def split_doc(doc):
    """(description, what differs from LibVMI or "")."""
    if not doc:
        return "", ""
    lines = doc.split("\n")
    for i, ln in enumerate(lines):
        if re.match(r"^\s*LibVMI:", ln):
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            note = " ".join(x.strip() for x in lines[i:j])
            note = re.sub(r"^LibVMI:\s*", "", note)
            desc = "\n".join(lines[:i] + lines[j:]).strip()
            return desc, note
    return doc.strip(), ""


def summary_of(doc):
    desc, _ = split_doc(doc)
    text = " ".join(desc.split())
    m = re.match(r"(.+?[.;])(\s|$)", text)
    s = m.group(1) if m else text
    return s if len(s) <= 160 else s[:157] + "..."


class Linker:
    """Turns comment text into markdown: known functions become links,
    code-like words become code, the rest is escaped."""

    def __init__(self, where):
        self.where = where  # function name -> header stem

    def ref(self, name):
        return '{{< relref "/api/%s.md#%s" >}}' % (self.where[name], name)

    def word(self, w):
        m = re.match(r"^([(\"'\[]*)(.*?)([)\"'\].,;:!?]*)$", w)
        lead, core, trail = m.groups()
        if not core:
            return esc(w)
        if re.fullmatch(r"`[^`]+`", core):   # the comment's own code span
            core = core[1:-1]
            if core not in self.where:
                return "%s`%s`%s" % (esc(lead), core, esc(trail))
        fn = core[:-2] if core.endswith("()") else core
        if fn in self.where:
            return "%s[`%s`](%s)%s" % (esc(lead), core, self.ref(fn), esc(trail))
        if re.search(r"[_*<>]|->|\(\)|::|\[\]", core) or re.fullmatch(r"0x[0-9a-fA-F]+", core):
            return "%s`%s`%s" % (esc(lead), core.replace("`", ""), esc(trail))
        return esc(w)

    def text(self, s):
        out = []
        for para in re.split(r"\n\s*\n", s.strip()):
            lines = para.split("\n")
            if all(re.match(r"^\s*(- |\d+\. )", x) or x.startswith("   ") for x in lines) \
                    and re.match(r"^\s*(- |\d+\. )", lines[0]):
                items, cur = [], None
                for x in lines:
                    m = re.match(r"^\s*(- |\d+\. )(.*)", x)
                    if m:
                        cur = [m.group(2)]
                        items.append(cur)
                    else:
                        cur.append(x.strip())
                out.append("\n".join("- " + self.words(" ".join(it)) for it in items))
            else:
                out.append(self.words(" ".join(x.strip() for x in lines)))
        return "\n\n".join(out)

    def words(self, s):
        return " ".join(self.word(w) for w in s.split())


def esc(s):
    return re.sub(r"([\\`*_\[\]<>#|{}])", r"\\\1", s)


def anchor(title):
    a = re.sub(r"[^\w\s-]", "", title.lower()).strip()
    return "s-" + re.sub(r"[\s]+", "-", a)


def groups(h):
    """[(section, [decls])] in header order, one entry per documentation group."""
    out = []
    last = None
    for d in h.decls:
        if last is not None and d.group == last[0].group:
            last.append(d)
            continue
        last = [d]
        out.append(last)
    return out


def header_page(h, link, in_libvmi, weight):
    funcs = []
    body = ["# `<libvmi/%s>`" % h.name, ""]
    if h.summary:
        body += [link.text(h.summary), ""]
    if h.intro:
        body += [link.text(h.intro), ""]
    grs = groups(h)
    sections = []
    for g in grs:
        if not sections or sections[-1] != g[0].section:
            sections.append(g[0].section)
    if len([s for s in sections if s]) > 1:
        body += ["Contents: " + " · ".join(
            "[%s](#%s)" % (esc(s), anchor(s)) for s in sections if s), ""]
    cur = None
    for g in grs:
        if g[0].section != cur:
            cur = g[0].section
            if cur:
                body += ["## %s {#%s}" % (esc(cur), anchor(cur)), ""]
        names = [d.name for d in g]
        first = names[0]
        body.append("### %s {#%s}" % (", ".join(esc(n) for n in names), first))
        body.append("")
        if len(names) > 1:
            body += ["".join('<span id="%s"></span>' % n for n in names[1:]), ""]
        body += ["```c", "\n".join(h.signature(d) for d in g), "```", ""]
        desc, note = split_doc(g[0].doc)
        if desc:
            body += [link.text(desc), ""]
        else:
            body += ["**Not documented yet.**", ""]
        if note:
            body += ["> **Differs from LibVMI:** " + link.words(note), ""]
        where = sorted({in_libvmi[n] for n in names if n in in_libvmi})
        if where:
            body += ['<p class="muted">LibVMI declares %s in <code>%s</code>.</p>' % (
                "it" if len(names) == 1 else "these", ", ".join(where)), ""]
        else:
            body += ['<p class="muted">TinyVMI only: not in LibVMI.</p>', ""]
        for d in g:
            funcs.append({"name": d.name, "summary": summary_of(g[0].doc)})
    meta = {"title": h.name, "description": h.summary, "weight": weight,
            "source": "include/libvmi/" + h.name, "functions": funcs}
    return json.dumps(meta, indent=1) + "\n\n" + "\n".join(body) + "\n"


def write_pages(out_dir, frag_dir):
    hs = load_all()
    where = {d.name: h.stem for h in hs for d in h.decls}
    link = Linker(where)
    lib = libvmi_list()
    in_libvmi = {n: hh for hh, n, _ in lib}
    os.makedirs(out_dir, exist_ok=True)
    for i, h in enumerate(hs):
        with open(os.path.join(out_dir, h.stem + ".md"), "w", encoding="utf-8") as f:
            f.write(header_page(h, link, in_libvmi, 10 + i))
    total = sum(len(h.decls) for h in hs)
    idx = {"title": "API reference", "group": "Reference", "weight": 10, "nochildren": True,
           "description": "every public function, from the headers' own comments"}
    rows = ["| header | functions | what it is |", "|---|---:|---|"]
    for h in hs:
        rows.append('| [`<libvmi/%s>`]({{< relref "/api/%s.md" >}}) | %d | %s |' % (
            h.name, h.stem, len(h.decls), link.words(h.summary)))
    text = ("# API reference\n\nEvery public function of TinyVMI (%d in %d headers), with "
            "what it does, how it fails and what it does differently from LibVMI. These pages "
            "are generated from the comments in `include/libvmi/` by `make docs`; a function "
            "without a comment fails the documentation test.\n\n"
            "After any failing call, `tvmi_errmsg(vmi)` says what failed and why; after a "
            "failed `vmi_init`, `tvmi_init_errmsg()` does.\n\n" % (total, len(hs))
            + "\n".join(rows) + "\n")
    with open(os.path.join(out_dir, "_index.md"), "w", encoding="utf-8") as f:
        f.write(json.dumps(idx, indent=1) + "\n\n" + text)
    with open(os.path.join(frag_dir, "porting-table.md"), "w", encoding="utf-8") as f:
        f.write(porting_table(hs, lib, link))


def porting_table(hs, lib, link):
    decl = {d.name: (h, d) for h in hs for d in h.decls}
    notes = {}
    for h in hs:
        for g in groups(h):
            _, note = split_doc(g[0].doc)
            for d in g:
                notes[d.name] = note
    out = []
    by_header = {}
    for hh, n, dep in lib:
        by_header.setdefault(hh, []).append((n, dep))
    out += ["| LibVMI header | functions | in TinyVMI | behave differently | missing |",
            "|---|---:|---:|---:|---:|"]
    for hh, fns in by_header.items():
        have = [n for n, _ in fns if n in decl]
        diff = [n for n in have if notes.get(n)]
        out.append("| `%s` | %d | %d | %d | %d |" % (hh, len(fns), len(have), len(diff),
                                                    len(fns) - len(have)))
    out.append("")
    for hh, fns in by_header.items():
        out += ["### LibVMI's `%s`" % hh, ""]
        missing = [n for n, _ in fns if n not in decl]
        if missing:
            out += ["Not in TinyVMI: " + ", ".join("`%s`" % n for n in missing) + ".", ""]
        have = [(n, dep) for n, dep in fns if n in decl]
        if not have:
            continue
        out += ["| function | TinyVMI | what differs |", "|---|---|---|"]
        for n, dep in have:
            h, _ = decl[n]
            where = "`%s`" % h.name + ("" if h.name == hh else " (not `%s`)" % hh)
            note = link.words(notes[n]) if notes.get(n) else "the same"
            out.append("| [`%s`](%s)%s | %s | %s |" % (
                n, link.ref(n), " (deprecated in LibVMI)" if dep else "", where, note))
        out.append("")
    ours = [(h, d) for h in hs for d in h.decls if d.name not in {n for _, n, _ in lib}]
    out += ["### TinyVMI's additions", "",
            "Not in LibVMI; a program that uses them needs TinyVMI.", ""]
    for h, d in ours:
        out.append("- [`%s`](%s) (`%s`): %s" % (d.name, link.ref(d.name), h.name,
                                               link.words(summary_of(d.doc))))
    return "\n".join(out) + "\n"


# ---- the checks ----

def compiler_functions(header):
    """Functions gcc sees declared in header (its -aux-info), by name."""
    with tempfile.TemporaryDirectory() as tmp:
        tu = os.path.join(tmp, "tu.c")
        aux = os.path.join(tmp, "aux.txt")
        with open(tu, "w") as f:
            f.write("#include <libvmi/%s>\n" % os.path.basename(header))
        # Every optional group of a header switched on (libvmi_extra.h's
        # glib and JSON calls), as the scanner sees them all.
        glib = subprocess.run(["pkg-config", "--cflags", "glib-2.0"], capture_output=True,
                              text=True).stdout.split()
        r = subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-DLIBVMI_EXTRA_GLIB",
                            "-DLIBVMI_EXTRA_JSON", "-I" + INCLUDE] + glib +
                           ["-fsyntax-only", "-aux-info", aux, tu],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None, r.stderr.strip()
        names = set()
        with open(aux) as f:
            for ln in f:
                m = re.match(r"/\* (\S+):\d+:\w+ \*/ .*?(\w+) \(", ln)
                if m and os.path.realpath(m.group(1)) == os.path.realpath(header):
                    names.add(m.group(2))
        return names, ""


def library_functions(build):
    lib = os.path.join(build, "lib", "libtinyvmi.a")
    r = subprocess.run(["nm", "-g", "--defined-only", lib], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return {ln.split()[2] for ln in r.stdout.splitlines()
            if len(ln.split()) == 3 and ln.split()[1] == "T"}


def check(build):
    results = []

    def report(ok, what, detail=""):
        results.append(ok)
        print(("ok   " if ok else "FAIL ") + what + ("" if ok or not detail else ": " + detail))

    hs = load_all()
    report(len(hs) > 0, "public headers found in include/libvmi", "none")
    for h in hs:
        names, err = compiler_functions(h.path)
        ours = {d.name for d in h.decls}
        if names is None:
            report(False, "%s compiles on its own" % h.name, err)
            continue
        report(names == ours, "%s: the scanner sees the %d functions gcc sees" % (h.name, len(names)),
               "gcc only: %s; scanner only: %s" % (sorted(names - ours), sorted(ours - names)))
        undoc = [d.name for d in h.decls if not d.doc]
        report(not undoc, "%s: every function is documented (%d)" % (h.name, len(h.decls)),
               "no comment above %s" % ", ".join(undoc))
        silent = [d.name for d in h.decls if d.doc and not re.match(r"^\s*(static\s+)?(inline\s+)?void\s+[^*]", d.text)
                  and not re.search(r"fail", d.doc, re.I)]
        report(not silent, "%s: every function returning a value says how it fails" % h.name,
               "no word on failure for %s" % ", ".join(silent))
    lib = library_functions(build)
    if lib is None:
        report(False, "the library's symbols can be read", "no %s/lib/libtinyvmi.a" % build)
    else:
        declared = {d.name for h in hs for d in h.decls if not d.inline}
        public = {n for n in lib if re.match(r"^(vmi|tvmi)_", n)}
        report(declared <= lib, "every declared function is in libtinyvmi.a",
               "declared, not defined: %s" % sorted(declared - lib))
        report(public <= declared, "every exported vmi_/tvmi_ function is in a public header",
               "exported, undeclared: %s" % sorted(public - declared))
    lst = libvmi_list()
    report(len(lst) > 100, "LibVMI's function list is there (%d names)" % len(lst), LIBVMI_LIST)
    return all(results)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "pages":
        write_pages(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
