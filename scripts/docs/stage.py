#!/usr/bin/python3
"""stage.py - turns docs/ (plain markdown, readable on its own) into Hugo
content under STAGE/content, without changing a word of it:

  - README.md in any folder becomes that section's _index.md;
  - the page's title is its first "# " heading (unless its front matter
    says otherwise); front matter, if any, is kept;
  - links to other pages (`linux.md#limits`) become Hugo references, which
    fail the build when their target page is missing; a link to a public
    header or a tool's source (`../include/libvmi/libvmi.h#vmi_read_va`,
    `../tools/vmi-translate.c`, or their folders) becomes a link to its
    generated page; links to other files outside docs/
    (`../bench/COMPARISON.md`) become the file's name in code, since the
    site does not carry the repository; pictures inside docs/ are copied;
  - a line `<!-- generated: NAME -->` is replaced by FRAGMENTS/NAME.md,
    written by one of the generators (invisible in the plain markdown).

usage: stage.py DOCS_DIR STAGE_DIR FRAGMENTS_DIR
"""
import json
import os
import re
import shutil
import sys

MARKER = re.compile(r"^<!--\s*generated:\s*([\w.-]+)\s*-->\s*$")
LINK = re.compile(r"(!?)\[((?:[^\]\\]|\\.)*)\]\(([^)\s]+)\)")


def front_matter(text):
    """(dict, body) from a page that may start with simple YAML front matter
    (key: value lines, values plain, quoted, numbers or [lists])."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ValueError("front matter is not closed by ---")
    meta = {}
    for ln in text[4:end].splitlines():
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        key, sep, val = ln.partition(":")
        if not sep:
            raise ValueError("front matter line without a colon: %r" % ln)
        val = val.strip()
        if val.startswith("[") and val.endswith("]"):
            v = [x.strip().strip("\"'") for x in val[1:-1].split(",") if x.strip()]
        elif re.fullmatch(r"-?\d+", val):
            v = int(val)
        elif val in ("true", "false"):
            v = val == "true"
        else:
            v = val.strip("\"'")
        meta[key.strip()] = v
    return meta, text[end + 5:]


def content_path(rel):
    """docs-relative markdown path -> content-relative path."""
    d, b = os.path.split(rel)
    return os.path.join(d, "_index.md") if b == "README.md" else rel


def rewrite_links(body, page_rel, docs, stage, problems):
    out = []
    fence = None
    for ln in body.split("\n"):
        m = re.match(r"^\s*(```|~~~)", ln)
        if m:
            fence = None if fence == m.group(1) else (fence or m.group(1))
            out.append(ln)
            continue
        if fence:
            out.append(ln)
            continue
        # inline code spans are left alone: split them out first
        parts = re.split(r"(`+[^`]*`+)", ln)
        for i in range(0, len(parts), 2):
            parts[i] = LINK.sub(lambda m: one_link(m, page_rel, docs, stage, problems), parts[i])
        out.append("".join(parts))
    return "\n".join(out)


def one_link(m, page_rel, docs, stage, problems):
    bang, text, dest = m.group(1), m.group(2), m.group(3)
    if re.match(r"^[a-z][a-z0-9+.-]*:", dest, re.I) or dest.startswith(("#", "/")) or "{{" in dest:
        return m.group(0)
    path, _, frag = dest.partition("#")
    target = os.path.normpath(os.path.join(os.path.dirname(page_rel), path))
    inside = not target.startswith("..")
    if inside and path.endswith(".md"):
        if not os.path.exists(os.path.join(docs, target)):
            problems.append("%s: link to %s: no such page in docs/" % (page_rel, dest))
        ref = "/" + content_path(target) + ("#" + frag if frag else "")
        return '%s[%s]({{< relref "%s" >}})' % (bang, text, ref)
    if inside:
        src = os.path.join(docs, target)
        if not os.path.isfile(src):
            problems.append("%s: link to %s: no such file in docs/" % (page_rel, dest))
            return m.group(0)
        dst = os.path.join(stage, "static", target)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        return "%s[%s](/%s%s)" % (bang, text, target, "#" + frag if frag else "")
    # outside docs/: generated pages stand for headers and tools
    repo_path = os.path.normpath(os.path.join("docs", os.path.dirname(page_rel), path))
    gen = generated_page(repo_path)
    if gen and not bang:
        if not os.path.exists(os.path.join(docs, "..", repo_path)):
            problems.append("%s: link to %s: no such file in the repository" % (page_rel, dest))
        return '[%s]({{< relref "%s%s" >}})' % (text, gen, "#" + frag if frag else "")
    if bang:
        problems.append("%s: picture %s lies outside docs/" % (page_rel, dest))
        return m.group(0)
    if text.strip("`") == repo_path or text.strip("`") == path:
        return "`%s`" % repo_path
    return "%s (`%s`)" % (text, repo_path)


def generated_page(repo_path):
    """The generated page that stands for a repository file, or None."""
    m = re.fullmatch(r"include/libvmi/(\w+)\.h", repo_path)
    if m:
        return "/api/%s.md" % m.group(1)
    m = re.fullmatch(r"tools/(vmi-[\w-]+)\.c", repo_path)
    if m:
        return "/tools/%s.md" % m.group(1)
    return {"include/libvmi": "/api/_index.md", "tools": "/tools/_index.md"}.get(repo_path)


def insert_fragments(body, page_rel, frags, problems):
    out = []
    for ln in body.split("\n"):
        m = MARKER.match(ln)
        if not m:
            out.append(ln)
            continue
        f = os.path.join(frags, m.group(1) + ".md")
        if not os.path.exists(f):
            problems.append("%s: no generator wrote the fragment %s" % (page_rel, m.group(1)))
            continue
        with open(f, encoding="utf-8") as fh:
            out.append(fh.read().rstrip("\n"))
    return "\n".join(out)


def stage_page(docs, stage, frags, rel, problems):
    with open(os.path.join(docs, rel), encoding="utf-8") as f:
        text = f.read()
    try:
        meta, body = front_matter(text)
    except ValueError as e:
        problems.append("%s: %s" % (rel, e))
        return
    if "title" not in meta:
        m = re.search(r"^# (.+)$", body, re.M)
        if not m:
            problems.append("%s: no title (a first '# ' heading or title: in front matter)" % rel)
            return
        meta["title"] = m.group(1).strip().replace("`", "")
    meta.setdefault("source", "docs/" + rel)
    body = insert_fragments(body, rel, frags, problems)
    body = rewrite_links(body, rel, docs, stage, problems)
    out = os.path.join(stage, "content", content_path(rel))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(json.dumps(meta, indent=1) + "\n\n" + body)


def main():
    docs, stage, frags = sys.argv[1:4]
    problems = []
    for d, _, files in os.walk(docs):
        for b in sorted(files):
            if b.endswith(".md"):
                rel = os.path.relpath(os.path.join(d, b), docs)
                stage_page(docs, stage, frags, rel, problems)
    for p in problems:
        print("stage: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
