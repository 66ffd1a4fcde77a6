#!/bin/sh
# Builds the documentation site into $O/site from docs/ (the single source of
# the written pages) and what the code says: the API reference from
# include/libvmi/*.h, a page per tool from its --help, the architecture
# diagram from src/'s folders and #include lines, the performance charts
# from $O/bench/results.tsv and bench/COMPARISON.md, the tested kernels from
# the guest cache.  Every generator picks up whatever exists when it runs.
#
# usage: build.sh [O]     (O: the build folder, default build; the tools
#                          must be built there: `make docs` does that)
set -eu
cd "$(dirname "$0")/../.."
O=${1:-build}
PY=/usr/bin/python3          # Debian's python3, whatever PATH says
G=scripts/docs
S=$O/site-src                # a complete Hugo project, made anew each time
F=$S/fragments
rm -rf "$S" "$O/site"
mkdir -p "$S"
cp -R site/. "$S/"
mkdir -p "$F" "$S/content" "$S/static/img"

$PY $G/api.py pages "$S/content/api" "$F"
$PY $G/tools.py "$O/bin" "$S/content/tools" "$F"
$PY $G/arch.py "$O" "$S/static/img/architecture.svg" "$F"
$PY $G/perf.py "$O/bench/results.tsv" bench/COMPARISON.md "$S/static/img" "$F"
$PY $G/guests.py "${TINYVMI_GUEST_CACHE:-$HOME/.cache/tinyvmi/guests}" "$F"
$PY $G/stage.py docs "$S" "$F"

hugo --quiet --source "$S" --destination "$(pwd)/$O/site" --panicOnWarning
echo "docs: site in $O/site ($(find "$O/site" -name '*.html' | wc -l) pages)"
