#!/usr/bin/python3
"""perf.py - the performance charts, drawn as SVG from measured figures only:
the benchmarks' own output of this build (BUILD/bench/results.tsv, written
by bench/run.sh) and the side-by-side table of bench/COMPARISON.md (its
"## Results" table, parsed; a table it cannot read stops the build).  No
number is typed here.

usage: perf.py RESULTS_TSV COMPARISON_MD IMG_DIR FRAGMENTS_DIR
"""
import datetime
import os
import re
import sys
from html import escape

# bench figures (results.tsv metric) that measure what a COMPARISON.md row
# measures, so this build's figure can stand beside LibVMI's
SAME_AS = {"read cold": "read_cold", "read warm": "read_warm", "memcpy limit": "memcpy_limit",
           "translate walk": "translate_walk", "translate cached": "translate_cached"}
COLORS = ["#8c6d31", "#bd9e39", "#0b5cad", "#3182bd", "#6baed6", "#31a354", "#756bb1"]


def number(cell):
    m = re.match(r"^\s*(\d[\d \u202f\u00a0]*(?:\.\d+)?)", cell)
    return float(re.sub(r"[ \u202f\u00a0]", "", m.group(1))) if m else None


def comparison(path):
    """(columns, [(row label, unit, [values])]) from the Results table."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    sec = text.split("## Results", 1)
    if len(sec) < 2:
        sys.exit("perf.py: %s has no '## Results' section" % path)
    rows = [ln for ln in sec[1].split("\n## ")[0].splitlines() if ln.startswith("|")]
    if len(rows) < 3:
        sys.exit("perf.py: %s: the Results table is missing" % path)
    cells = lambda ln: [c.strip() for c in ln.strip().strip("|").split("|")]
    cols = cells(rows[0])[1:]
    out = []
    for ln in rows[2:]:
        c = cells(ln)
        label, _, unit = c[0].partition(",")
        vals = [number(x) for x in c[1:]]
        if len(vals) != len(cols) or None in vals:
            sys.exit("perf.py: %s: cannot read the row %r" % (path, ln))
        out.append((label.strip(), unit.strip(), vals))
    return cols, out


def results(path):
    """{guest: {metric: (value, unit)}}, guests named by their image's folder."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for ln in f:
            p = ln.rstrip("\n").split("\t")
            if len(p) != 4:
                continue
            guest = os.path.basename(os.path.dirname(p[0])) or p[0]
            out.setdefault(guest, {})[p[1]] = (float(p[2]), p[3])
    return out


def fmt(v):
    if v >= 1000:
        return "{:,.0f}".format(v).replace(",", " ")
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.3g" % v


def bar_chart(path, title, unit, bars, higher_better):
    """Horizontal bars: [(label, value, color)]; log scale when the values
    span more than two orders of magnitude."""
    W, LEFT, BAR, GAP, TOP = 720, 250, 20, 8, 44
    H = TOP + len(bars) * (BAR + GAP) + 30
    vals = [v for _, v, _ in bars if v > 0]
    vmax, vmin = max(vals), min(vals)
    log = vmin > 0 and vmax / vmin > 100
    span = W - LEFT - 90

    def length(v):
        if v <= 0:
            return 0
        if log:
            import math
            lo = math.floor(math.log10(vmin))
            return span * (math.log10(v) - lo + 0.05) / (math.log10(vmax) - lo + 0.05)
        return span * v / vmax

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" '
           'font-family="DejaVu Sans, sans-serif" role="img" aria-labelledby="t">' % (W, H, W, H),
           '<title id="t">%s</title>' % escape(title), '<rect width="100%" height="100%" fill="#fff"/>',
           '<text x="8" y="20" font-size="15" font-weight="bold">%s</text>' % escape(title),
           '<text x="8" y="36" font-size="11" fill="#555">%s, %s is better%s</text>'
           % (escape(unit), "higher" if higher_better else "lower", ", log scale" if log else "")]
    for i, (label, v, color) in enumerate(bars):
        y = TOP + i * (BAR + GAP)
        svg.append('<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>'
                   % (LEFT - 8, y + BAR - 5, escape(label)))
        svg.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (LEFT, y, length(v), BAR, color))
        svg.append('<text x="%.1f" y="%d" font-size="12">%s</text>'
                   % (LEFT + length(v) + 6, y + BAR - 5, escape(fmt(v))))
    svg.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(svg) + "\n")


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def higher_better(unit):
    return "/s" in unit


def main():
    tsv, comp, img, frags = sys.argv[1:5]
    os.makedirs(img, exist_ok=True)
    cols, rows = comparison(comp)
    res = results(tsv)
    out = []

    out += ["### TinyVMI beside LibVMI", "",
            "From the table in `bench/COMPARISON.md` (its method, machine and versions are "
            "described there), one chart per row.", ""]
    ref_guest = "amd64" if "amd64" in res else (sorted(res)[0] if res else None)
    for label, unit, vals in rows:
        bars = [(c, v, COLORS[i % len(COLORS)]) for i, (c, v) in enumerate(zip(cols, vals))]
        metric = SAME_AS.get(label)
        if metric and ref_guest and metric in res[ref_guest]:
            v, u = res[ref_guest][metric]
            if u == unit.replace("µs", "us"):
                bars.append(("TinyVMI, this build (%s)" % ref_guest, v, "#d62728"))
        name = "cmp-%s.svg" % slug(label)
        bar_chart(os.path.join(img, name), label, unit, bars, higher_better(unit))
        out += ["![%s, %s](/img/%s)" % (label, unit, name), ""]
    if ref_guest:
        out += ["The red bar, where there is one, is this build's own `make bench` figure on its "
                "`%s` guest (`bench_map_addr` on `core.elf` with `ostype = none`), measured "
                "when the site was built, not on the day of the comparison." % ref_guest, ""]

    out += ["### This build, every guest", ""]
    if not res:
        out += ["No benchmark figures were there when this site was built: `make bench` writes "
                "them to `build/bench/results.tsv`, and the next `make docs` draws them here.", ""]
    else:
        when = datetime.datetime.fromtimestamp(os.path.getmtime(tsv), datetime.timezone.utc)
        cpu = ""
        try:
            with open("/proc/cpuinfo") as f:
                m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
                cpu = m.group(1).strip() if m else ""
        except OSError:
            pass
        out += ["Measured by `make bench` on %s UTC on the machine that built this site "
                "(%d cores%s).  Machines shared with other work give noisier times; the "
                "memcpy limit is measured in the same run, so compare reads with it." % (
                    when.strftime("%Y-%m-%d %H:%M"), os.cpu_count() or 0,
                    ", " + cpu if cpu else ""), ""]
        guests = sorted(res)
        metrics = []
        for g in guests:
            for m in res[g]:
                if m not in metrics:
                    metrics.append(m)
        # reads next to the limit, in one chart
        reads = [m for m in ("read_cold", "read_warm", "memcpy_limit") if m in metrics]
        if reads:
            bars = []
            for g in guests:
                for k, m in enumerate(reads):
                    if m in res[g]:
                        bars.append(("%s %s" % (g, m.replace("_", " ")), res[g][m][0],
                                     ["#3182bd", "#6baed6", "#999"][k]))
            bar_chart(os.path.join(img, "bench-reads.svg"), "Reading 500 kernel pages",
                      res[guests[0]][reads[0]][1], bars, False)
            out += ["![Reads next to the memcpy limit](/img/bench-reads.svg)", ""]
        for m in metrics:
            if m in reads:
                continue
            bars = [(g, res[g][m][0], "#0b5cad") for g in guests if m in res[g]]
            unit = res[guests[0]].get(m, next(res[g][m] for g in guests if m in res[g]))[1]
            name = "bench-%s.svg" % slug(m)
            bar_chart(os.path.join(img, name), m.replace("_", " "), unit, bars, higher_better(unit))
            out += ["![%s](/img/%s)" % (m, name), ""]
        out += ["| guest | " + " | ".join(m.replace("_", " ") for m in metrics) + " |",
                "|---|" + "---:|" * len(metrics)]
        for g in guests:
            out.append("| %s | %s |" % (g, " | ".join(
                "%s %s" % (fmt(res[g][m][0]), res[g][m][1]) if m in res[g] else "" for m in metrics)))
        out.append("")
    with open(os.path.join(frags, "performance-charts.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
