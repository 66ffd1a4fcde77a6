# pahole-offsets.awk - turns `pahole -E -C A,B,...` output (every nested
# struct written out, offsets from the start of the outermost struct) into
# one line per member: "<struct>.<member path> <offset> <size>", decimal,
# plus "<struct> 0 <size>" for each struct itself.  Named nested members
# become dotted paths (module.core_layout.base); anonymous structs and
# unions add nothing to the path (mm_struct.pgd), as in C.
#
# Used by build-guests.sh to derive truth/offsets-dwarf.txt; it only
# reshapes pahole's text and must not decide which members matter (the
# builder filters and checks the result).  Bitfields are skipped: they
# have no byte offset of their own.

function strip_attrs(s) {
    # __attribute__((x)) and __attribute__((x(64))), possibly glued to a name
    gsub(/__attribute__\(\([^()]*(\([^()]*\))?[^()]*\)\)/, " ", s)
    return s
}

# The declared name of a member declaration (text before the ';').
function decl_name(d,    m) {
    d = strip_attrs(d)
    if (match(d, /\(\*[A-Za-z_][A-Za-z0-9_]*\)/))
        return substr(d, RSTART + 2, RLENGTH - 3)
    sub(/[ \t]+$/, "", d)
    while (d ~ /\[[^]]*\]$/)
        sub(/\[[^]]*\]$/, "", d)
    if (match(d, /[A-Za-z_][A-Za-z0-9_]*$/))
        return substr(d, RSTART, RLENGTH)
    return ""
}

BEGIN { depth = 0; n = 0 }

# "struct task_struct {": a top-level struct starts.
depth == 0 && /^(struct|union) [A-Za-z_][A-Za-z0-9_]* \{$/ {
    top = $2; depth = 1; n = 0; size = ""
    next
}

depth == 0 { next }

# "/* size: 6528, cachelines: ... */" of the top-level struct (the nested
# ones print none with -E, and a later one would be the outer one anyway).
/\/\* size: [0-9]+,/ {
    if (match($0, /size: [0-9]+/))
        size = substr($0, RSTART + 6, RLENGTH - 6)
    next
}

# A nested struct or union opens: remember where its members start.
/\{[ \t]*$/ {
    start[depth] = n; depth++
    next
}

# A closing brace: the top-level struct ends, or a nested one does and its
# name (if any) prefixes the members recorded since it opened.
/^[ \t]*\}/ {
    if (depth == 1) {
        print top " 0 " size
        for (i = 0; i < n; i++)
            print top "." path[i] " " off[i] " " sz[i]
        depth = 0
        next
    }
    depth--
    line = $0
    sub(/\/\*.*$/, "", line)
    sub(/^[ \t]*\}/, "", line)
    sub(/;[ \t]*$/, "", line)
    name = decl_name(line)
    if (name != "") {
        for (i = start[depth]; i < n; i++)
            path[i] = name "." path[i]
        if (match($0, /\/\* *[0-9]+ +[0-9]+ *\*\/[ \t]*$/)) {
            split(substr($0, RSTART + 2, RLENGTH - 4), f, " ")
            path[n] = name; off[n] = f[1]; sz[n] = f[2]; n++
        }
    }
    next
}

# A member: "type name;  /* offset size */" (bitfields have "offset: bit").
/;[ \t]*\/\* *[0-9]+ +[0-9]+ *\*\/[ \t]*$/ {
    line = $0
    match(line, /\/\* *[0-9]+ +[0-9]+ *\*\/[ \t]*$/)
    split(substr(line, RSTART + 2, RLENGTH - 4), f, " ")
    d = substr(line, 1, RSTART - 1)
    sub(/;[ \t]*$/, "", d)
    name = decl_name(d)
    if (name != "") {
        path[n] = name; off[n] = f[1]; sz[n] = f[2]; n++
    }
    next
}
