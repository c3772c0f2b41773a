#!/bin/sh
# Run the demo city of an installed carbonsink: the four demo configs of this directory, with
# their outputs in OUT_DIR (default ./carbonsink-demo; this directory may not be writable).
#
# usage: run-demo.sh [OUT_DIR] [carbonsink run options, e.g. --threads 2]
set -eu
here=$(dirname "$(readlink -f "$0")")
out=${1:-carbonsink-demo}
[ $# -gt 0 ] && shift
for demo in demo demo-inventory demo-seasonal demo-uncertainty; do
    echo "== $demo: $here/$demo.yaml -> $out/$demo"
    carbonsink run "$here/$demo.yaml" --output-dir "$out/$demo" --quiet "$@"
done
echo
echo "district totals of the demo: column -s, -t < $out/demo/districts.csv"
