#!/usr/bin/python3
"""arch.py - the architecture diagram, drawn from the source tree as it is:
one box per folder of src/ (plus tools/ and the public headers), an arrow
for every folder whose files #include another's headers, and rows found
from those arrows (a folder sits above every folder it includes).  Where two
folders include each other, the lighter direction is the seam through
which a lower layer calls a table of functions the upper one fills in; it
is drawn dashed and named.  Nothing in it is typed by hand: a new folder
(src/events/) or file (src/driver/qemu.c) appears by itself.

Folders under src/ include <libvmi/libvmi.h> for its types; only folders
outside src/ use it as their interface, so only theirs are drawn.  Which
folders implement the public functions comes from the object files' symbols.

usage: arch.py BUILD_DIR OUT_SVG FRAGMENTS_DIR
"""
import glob
import os
import re
import subprocess
import sys
from html import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cheader  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
API = "include/libvmi"
INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def nodes():
    """{node: [files]} for src/* folders, tools, and the public headers."""
    out = {}
    for d in sorted(glob.glob(os.path.join(ROOT, "src", "*"))):
        if os.path.isdir(d):
            files = [os.path.relpath(os.path.join(a, f), ROOT) for a, _, fs in os.walk(d)
                     for f in fs if f.endswith((".c", ".h"))]
            if files:
                out[os.path.relpath(d, ROOT)] = sorted(files)
    tools = [os.path.relpath(os.path.join(a, f), ROOT)
             for a, _, fs in os.walk(os.path.join(ROOT, "tools")) for f in fs if f.endswith((".c", ".h"))]
    if tools:
        out["tools"] = sorted(tools)
    out[API] = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, API, "*.h")))
    return out


def node_of(path, ns):
    for n in sorted(ns, key=len, reverse=True):
        if path == n or path.startswith(n + "/"):
            return n
    return None


def edges(ns):
    """{(from, to): set(included headers)}"""
    out = {}
    for n, files in ns.items():
        for f in files:
            with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            for kind, inc in INC.findall(text):
                cands = [os.path.join("include", inc)] if kind == "<" else [
                    os.path.normpath(os.path.join(os.path.dirname(f), inc)),
                    os.path.join("src", inc), os.path.join("include", inc)]
                for c in cands:
                    if os.path.exists(os.path.join(ROOT, c)):
                        t = node_of(c, ns)
                        if t and t != n and not (t == API and n.startswith("src/")):
                            out.setdefault((n, t), set()).add(c)
                        break
    return out


def implementers(build, ns):
    """{folder: number of public functions its objects define}"""
    public = {d.name for h in glob.glob(os.path.join(ROOT, API, "*.h")) for d in cheader.scan_file(h)}
    out = {}
    for n in ns:
        if not n.startswith("src/"):
            continue
        objs = glob.glob(os.path.join(build, "obj", n, "**", "*.o"), recursive=True)
        if not objs:
            continue
        r = subprocess.run(["nm", "-g", "--defined-only"] + objs, capture_output=True, text=True)
        names = {ln.split()[2] for ln in r.stdout.splitlines()
                 if len(ln.split()) == 3 and ln.split()[1] == "T"}
        k = len(names & public)
        if k:
            out[n] = k
    return out


def layer(ns, es):
    """(levels, seams): a level per node from the arrows, after breaking each
    cycle at its lightest arrow (those are the seams)."""
    live = dict(es)
    seams = {}

    def find_cycle():
        color = {}
        stack = []

        def dfs(u):
            color[u] = 1
            stack.append(u)
            for (a, b) in live:
                if a != u:
                    continue
                if color.get(b) == 1:
                    return stack[stack.index(b):] + [b]
                if not color.get(b):
                    c = dfs(b)
                    if c:
                        return c
            stack.pop()
            color[u] = 2
            return None

        for u in ns:
            if not color.get(u):
                c = dfs(u)
                if c:
                    return c
        return None

    while True:
        c = find_cycle()
        if not c:
            break
        pairs = list(zip(c, c[1:]))
        light = min(pairs, key=lambda p: (len(live[p]), p))
        seams[light] = live.pop(light)
    level = {}

    def lv(u, seen=()):
        if u in level:
            return level[u]
        succ = [b for (a, b) in live if a == u]
        level[u] = 1 + max((lv(b) for b in succ), default=-1)
        return level[u]

    for u in ns:
        lv(u)
    return level, live, seams


def lines_of(files):
    n = 0
    for f in files:
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fh:
            n += sum(1 for _ in fh)
    return n


def contents(n, files):
    """What a box lists: subfolders, then file names without .c/.h."""
    subs, own = {}, []
    for f in files:
        rel = os.path.relpath(f, n)
        if "/" in rel:
            subs.setdefault(rel.split("/")[0], 0)
            subs[rel.split("/")[0]] += 1
        else:
            own.append(os.path.splitext(rel)[0])
    items = ["%s/" % s for s in sorted(subs)] + sorted(dict.fromkeys(own))
    return items


def wrap(items, width):
    rows, cur = [], ""
    for it in items:
        add = (", " if cur else "") + it
        if len(cur) + len(add) > width and cur:
            rows.append(cur + ",")
            cur = it
        else:
            cur += add
    if cur:
        rows.append(cur)
    return rows


def draw(ns, level, live, seams, impl, out_svg):
    W, BOX_H, ROW_H, PAD = 960, 92, 140, 16
    rows = {}
    for n, l in level.items():
        rows.setdefault(l, []).append(n)
    top = max(rows)
    pos = {}
    for l, members in rows.items():
        members.sort()
        k = len(members)
        bw = min(250, (W - PAD * (k + 1)) // k)
        total = k * bw + (k - 1) * PAD
        x0 = (W - total) // 2
        y = 40 + (top - l) * ROW_H
        for i, n in enumerate(members):
            pos[n] = (x0 + i * (bw + PAD), y, bw)
    H = 40 + top * ROW_H + BOX_H + 56
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" '
           'font-family="DejaVu Sans, sans-serif" role="img" aria-labelledby="t">' % (W, H, W, H),
           '<title id="t">TinyVMI layers: folders of the source tree and their #include arrows</title>',
           '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/>'
           '</marker><marker id="s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#b35900"/>'
           '</marker></defs>', '<rect width="100%" height="100%" fill="#fff"/>']

    # Every arrow leaves the bottom of its box and enters the top of its
    # target at its own point, spread by the other end's position; arrows
    # that skip rows go down a lane right of the rows they skip.
    plan = [(a, b, "inc", str(len(hs))) for (a, b), hs in sorted(live.items())]
    plan += [(API, n, "impl", "implements %d" % k) for n, k in sorted(impl.items())
             if API in pos and n in pos]
    downs = [p for p in plan]
    cx = {n: pos[n][0] + pos[n][2] / 2 for n in pos}
    out_port, in_port = {}, {}
    for n in pos:
        outs = sorted((p for p in downs if p[0] == n), key=lambda p: cx[p[1]])
        ins = sorted((p for p in downs if p[1] == n), key=lambda p: cx[p[0]])
        x, _, w = pos[n]
        for lst, port in ((outs, out_port), (ins, in_port)):
            for i, p in enumerate(lst):
                port[(p[0], p[1])] = x + w * (0.2 + 0.6 * (i + 0.5) / len(lst))
    lanes = [0]

    def style(cls):
        return {"seam": ("#b35900", ' stroke-dasharray="6 4"', "s"),
                "impl": ("#0b5cad", ' stroke-dasharray="2 3"', "a")}.get(cls, ("#555", "", "a"))

    def put(d, cls, label, lx, ly):
        color, dash, mk = style(cls)
        svg.append('<path d="%s" fill="none" stroke="%s" stroke-width="1.4"%s marker-end="url(#%s)"/>'
                   % (d, color, dash, mk))
        svg.append('<text x="%.0f" y="%.0f" font-size="11" fill="%s" text-anchor="middle" '
                   'paint-order="stroke" stroke="#fff" stroke-width="3">%s</text>'
                   % (lx, ly, color, escape(label)))

    for a, b, cls, label in plan:
        xa, ya, wa = pos[a]
        xb, yb, wb = pos[b]
        x1, y1 = out_port[(a, b)], ya + BOX_H
        x2, y2 = in_port[(a, b)], yb
        if y2 - y1 <= ROW_H:          # the next row down
            my = (y1 + y2) / 2
            d = "M%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f" % (x1, y1, x1, my, x2, my, x2, y2)
            put(d, cls, label, (x1 + x2) / 2, my + 4)
            continue
        between = [n for n in pos if y1 < pos[n][1] < y2]
        lane = max(pos[n][0] + pos[n][2] for n in between) + 18 + 14 * lanes[0]
        lanes[0] += 1
        t1, t2 = y1 + (ROW_H - BOX_H) / 2, y2 - (ROW_H - BOX_H) / 2
        d = ("M%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f L%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f"
             % (x1, y1, x1, t1, lane, y1, lane, t1, lane, t2, lane, y2, x2, t2, x2, y2))
        put(d, cls, label, lane, (t1 + t2) / 2)
    for (a, b), hs in sorted(seams.items()):
        xa, ya, wa = pos[a]
        xb, yb, wb = pos[b]
        x1, y1 = xa + wa * 0.9, ya
        x2, y2 = xb + wb * 0.1, yb + BOX_H
        my = (y1 + y2) / 2
        d = "M%.0f,%.0f C%.0f,%.0f %.0f,%.0f %.0f,%.0f" % (x1, y1, x1, my, x2, my, x2, y2)
        put(d, "seam", ", ".join(sorted(os.path.relpath(h, "src") for h in hs)), (x1 + x2) / 2, my + 4)
    for n, (x, y, w) in pos.items():
        files = ns[n]
        svg.append('<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#333"/>'
                   % (x, y, w, BOX_H, "#eef4fb" if n == API else "#f7f7f2"))
        svg.append('<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>'
                   % (x + 8, y + 18, escape(n + ("" if n == API else "/"))))
        svg.append('<text x="%d" y="%d" font-size="11" fill="#555">%d files, %d lines</text>'
                   % (x + 8, y + 34, len(files), lines_of(files)))
        rows_ = wrap(contents(n, files), max(12, w // 7))
        if len(rows_) > 3:
            rows_ = rows_[:3]
            rows_[2] = rows_[2].rstrip(",") + " …"
        for i, ln in enumerate(rows_):
            svg.append('<text x="%d" y="%d" font-size="11">%s</text>' % (x + 8, y + 52 + 14 * i, escape(ln)))
    svg.append('<text x="10" y="%d" font-size="11" fill="#555">Grey: #include between folders (how '
               'many headers). Dotted blue: where the public functions are defined.</text>' % (H - 28))
    svg.append('<text x="10" y="%d" font-size="11" fill="#555">Dashed orange: a seam, the lighter '
               'direction of two folders that include each other (a table of functions).</text>' % (H - 12))
    svg.append("</svg>")
    with open(out_svg, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")


def fragment(ns, level, live, seams, impl, frag_dir):
    out = ["![TinyVMI's folders and the #include arrows between them](/img/architecture.svg)", "",
           "*Drawn by `make docs` from the source tree (`scripts/docs/arch.py`): rows are computed "
           "from the arrows, so a folder sits above every folder it includes.*", "",
           "| row | folder | files | lines | includes headers of |", "|---:|---|---:|---:|---|"]
    for n in sorted(ns, key=lambda n: (-level[n], n)):
        uses = sorted(b for (a, b) in live if a == n)
        out.append("| %d | `%s` | %d | %d | %s |" % (
            level[n], n, len(ns[n]), lines_of(ns[n]),
            ", ".join("`%s` (%s)" % (b, ", ".join("`%s`" % os.path.basename(h) for h in sorted(live[(n, b)])))
                      for b in uses) or "libc only"))
    out.append("")
    if seams:
        out.append("Seams (an arrow against the rows, through a table of functions):")
        out.append("")
        for (a, b), hs in sorted(seams.items()):
            out.append("- `%s` includes %s from `%s`" % (a, ", ".join("`%s`" % h for h in sorted(hs)), b))
        out.append("")
    if impl:
        out.append("The public functions are defined in " + ", ".join(
            "`%s` (%d)" % (n, k) for n, k in sorted(impl.items())) + ".")
        out.append("")
    with open(os.path.join(frag_dir, "architecture-diagram.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def main():
    build, out_svg, frag_dir = sys.argv[1:4]
    ns = nodes()
    es = edges(ns)
    impl = implementers(build, ns)
    # the public API sits above the folders that implement it
    for n in impl:
        es.setdefault((API, n), set()).add("(defines its functions)")
    level, live, seams = layer(ns, es)
    for n in impl:
        live.pop((API, n), None)
    draw(ns, level, live, seams, impl, out_svg)
    fragment(ns, level, live, seams, impl, frag_dir)


if __name__ == "__main__":
    main()
