#!/bin/sh
# Writes a man page for a TinyVMI tool from its own --help text, so the two
# can never disagree.  usage: mkman.sh BIN_DIR OUT_DIR
set -eu
bin=$1 out=$2
mkdir -p "$out"
for t in "$bin"/vmi-*; do
    name=$(basename "$t")
    help=$("$t" --help) || { echo "mkman: $name --help failed" >&2; exit 1; }
    summary=$(printf '%s\n' "$help" | sed -n '2,/^$/p' | tr '\n' ' ' | sed 's/\. .*//; s/\. *$//; s/ *$//')
    {
        echo ".TH $(echo "$name" | tr a-z A-Z) 1 \"\" \"TinyVMI 0.1.0\" \"TinyVMI tools\""
        echo ".SH NAME"
        echo "$name \\- $summary"
        echo ".SH SYNOPSIS"
        printf '%s\n' "$help" | sed -n '1s/^usage: //p' | sed 's/-/\\-/g'
        echo ".SH DESCRIPTION"
        echo ".nf"
        printf '%s\n' "$help" | sed '1d' | sed 's/\\/\\\\/g; s/^\./\\\&./; s/-/\\-/g'
        echo ".fi"
        echo ".SH SEE ALSO"
        echo "The TinyVMI README; LibVMI's documentation for the API these tools use."
    } > "$out/$name.1"
done
