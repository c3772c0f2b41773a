#!/bin/sh
# Run the demos (demo.yaml also with outputs.method_codes and outputs.pool_rasters, so the Byte
# and per-pool rasters are covered) into OUT and check every GeoTIFF with tests/check_cog.sh.
#
# usage: sh tests/cog_demo.sh CARBONSINK OUT
set -e
exe=$1
out=$2
[ -n "$exe" ] && [ -n "$out" ] || { echo "usage: sh tests/cog_demo.sh CARBONSINK OUT" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
samples="$here/../data-samples"
rm -rf "$out"
mkdir -p "$out/samples"
# A copy of the samples, so the derived config resolves its relative paths the same way.
cp -R "$samples/." "$out/samples/"
{
    sed 's|^output_dir:.*|output_dir: ../demo|' "$samples/demo.yaml"
    printf 'outputs:\n  method_codes: true\n  pool_rasters: true\n'
} >"$out/samples/demo-maps.yaml"
"$exe" run "$out/samples/demo-maps.yaml" --quiet >/dev/null
for d in demo-inventory demo-seasonal demo-uncertainty; do
    "$exe" run "$samples/$d.yaml" --quiet --output-dir "$out/$d" >/dev/null
done
set +e
sh "$here/check_cog.sh" "$out/demo" "$out/demo-inventory" "$out/demo-seasonal" "$out/demo-uncertainty"
