"""cheader.py - reads the function declarations of a C header, with the
comment that documents each, for the API reference, the porting page and
the list of LibVMI's names.

It is a scanner, not a C parser: it knows comments, strings, preprocessor
lines, braces and statements, which is all a public header holds.  Its
results are cross-checked against the compiler (api.py --check), so a
declaration it misreads fails the docs test instead of going missing.

Documentation rule (the one the headers follow): the comment that ends on
the line just above a declaration documents it.  Statements written on
consecutive lines with no blank line or comment between form a group that
shares the comment above the group's first line.  A comment of the form
"==== Title ====" or "---- Title ----" is a section heading, never
documentation.
"""
import re

_SECTION = re.compile(r"^\s*(=+|-{3,})\s*(.*?)\s*\1\s*$")


class Decl:
    """One function declared (or defined inline) at file scope."""

    def __init__(self, name, first, last, text, inline):
        self.name = name
        self.first = first      # line numbers, 1-based
        self.last = last
        self.text = text        # the declaration as written, comments removed
        self.inline = inline
        self.doc = None         # the documenting comment's text, or None
        self.group = None       # index of the group it belongs to
        self.section = ""


def _comment_text(raw):
    """The words of a /* */ or // comment, without its markers and the
    column of asterisks."""
    if raw.startswith("//"):
        return raw[2:].strip()
    body = raw[2:-2]
    lines = body.split("\n")
    out = []
    for ln in lines:
        s = ln.strip()
        if s.startswith("*"):
            s = s[1:]
            if s.startswith(" "):
                s = s[1:]
        out.append(s.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def _lex(src):
    """Tokens (kind, text, line) and comments (first line, last line, text).
    Preprocessor lines vanish (with their continuations)."""
    toks, comments = [], []
    i, n, line = 0, len(src), 1
    at_line_start = True
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if at_line_start and c == "#":
            # a directive, up to an unescaped newline (comments inside end it too)
            while i < n and src[i] != "\n":
                if src[i] == "\\" and i + 1 < n and src[i + 1] == "\n":
                    line += 1
                    i += 2
                    continue
                if src.startswith("/*", i):
                    j = src.find("*/", i + 2)
                    j = n if j < 0 else j + 2
                    line += src.count("\n", i, j)
                    i = j
                    continue
                i += 1
            continue
        at_line_start = False
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            raw = src[i:j]
            comments.append((line, line + raw.count("\n"), _comment_text(raw)))
            line += raw.count("\n")
            i = j
            continue
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            comments.append((line, line, _comment_text(src[i:j])))
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            toks.append(("str", src[i:j + 1], line))
            i = j + 1
            continue
        m = re.match(r"[A-Za-z_]\w*|\d[\w.]*|\.\.\.|->|.", src[i:i + 64], re.S)
        t = m.group(0)
        toks.append(("id" if re.match(r"[A-Za-z_]", t) else "p", t, line))
        i += len(t)
    return toks, comments


def _join(tokens):
    """Source-like text from tokens: spaces only where C needs or likes them."""
    out = ""
    prev = ""
    for _, t, _ in tokens:
        if out and (re.match(r"\w", t) and re.search(r"\w$", out)
                    or prev == "," or (t == "*" and re.search(r"\w$", out))
                    or (t == "(" and prev in ("NOEXCEPT",))):
            out += " "
        out += t
        prev = t
    return out


def scan(src):
    """Every file-scope function in src, in order, with its documentation.
    Returns (decls, statements) where statements are (first, last) line
    ranges of every file-scope statement (for the grouping rule)."""
    toks, comments = _lex(src)
    decls, stmts = [], []
    cur = []
    i = 0

    def skip_braces(k):
        depth = 0
        while k < len(toks):
            if toks[k][1] == "{":
                depth += 1
            elif toks[k][1] == "}":
                depth -= 1
                if depth == 0:
                    return k
            k += 1
        return k

    def function_name(ts):
        """The name of the function ts declares, or None."""
        if not ts or ts[0][1] in ("typedef", "struct", "union", "enum") and not any(
                t[1] == "(" for t in ts):
            return None
        if ts[0][1] == "typedef":
            return None
        for k in range(1, len(ts)):
            if ts[k][1] == "(" and ts[k - 1][0] == "id" and ts[k - 1][1] not in (
                    "__attribute__", "sizeof", "NOEXCEPT"):
                # `int (*fp)(...)` declares a pointer, not a function
                if k >= 2 and ts[k - 2][1] == "(":
                    return None
                return ts[k - 1][1]
        return None

    while i < len(toks):
        kind, t, ln = toks[i]
        if t == "{":
            # extern "C" { ... }: not a scope of its own for our purposes
            if len(cur) == 2 and cur[0][1] == "extern" and cur[1][0] == "str":
                cur = []
                i += 1
                continue
            name = function_name(cur)
            j = skip_braces(i)
            if name:
                d = Decl(name, cur[0][2], toks[min(j, len(toks) - 1)][2],
                         _join(cur) + ";", True)
                decls.append(d)
                stmts.append((d.first, d.last))
                cur = []
                i = j + 1
                continue
            # a struct/union/enum body: part of the statement
            cur.append(toks[i])
            cur.append(("p", "}", toks[min(j, len(toks) - 1)][2]))
            i = j + 1
            continue
        if t == "}":  # the end of extern "C" {
            i += 1
            continue
        if t == ";":
            if cur:
                name = function_name(cur)
                first, last = cur[0][2], ln
                stmts.append((first, last))
                if name:
                    inline = any(x[1] == "inline" for x in cur)
                    decls.append(Decl(name, first, last, _join(cur) + ";", inline))
            cur = []
            i += 1
            continue
        cur.append(toks[i])
        i += 1

    by_end = {}
    for c in comments:
        by_end.setdefault(c[1], c)
    sections = [(c[0], _SECTION.match(c[2]).group(2)) for c in comments
                if _SECTION.match(c[2])]
    stmt_by_last = {last: (first, last) for first, last in stmts}

    group_of_first = {}
    for d in decls:
        # walk up through statements on the lines right above
        first = d.first
        while (first - 1) in stmt_by_last and (first - 1) not in by_end:
            first = stmt_by_last[first - 1][0]
        d.group = group_of_first.setdefault(first, len(group_of_first))
        c = by_end.get(first - 1)
        if c and not _SECTION.match(c[2]) and c[2].strip():
            d.doc = c[2]
        d.section = ""
        for sl, title in sections:
            if sl < d.first:
                d.section = title
    return decls


def scan_file(path):
    with open(path, encoding="utf-8") as f:
        return scan(f.read())


def file_comment(path):
    """The text of the first comment in the file (what the file is for)."""
    with open(path, encoding="utf-8") as f:
        _, comments = _lex(f.read())
    return comments[0][2] if comments else ""
