#!/bin/sh
# Every GeoTIFF under the given folders passes GDAL's cloud-optimized GeoTIFF validator with
# --full-check=yes, with no error and no warning (outputs.overviews: internal overviews, IFDs
# first, smallest overview's tiles first; the validator warns when a file larger than 512 px has
# no overviews). Exit 77 (ctest skip) when python3 or the validator is missing.
#
# usage: sh tests/check_cog.sh DIR...
validator=/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py
if [ ! -x /usr/bin/python3 ] || [ ! -f "$validator" ]; then
    echo "check_cog: skipped: /usr/bin/python3 or $validator is missing" >&2
    exit 77
fi
[ $# -gt 0 ] || { echo "usage: sh tests/check_cog.sh DIR..." >&2; exit 2; }
status=0
count=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
for f in $(find "$@" -name '*.tif' -type f | sort); do
    count=$((count + 1))
    if ! /usr/bin/python3 "$validator" --full-check=yes "$f" >"$tmp" 2>&1; then
        echo "check_cog: not a valid cloud-optimized GeoTIFF: $f:" >&2
        cat "$tmp" >&2
        status=1
    elif grep -qi 'warning' "$tmp"; then
        echo "check_cog: the COG validator warns about $f:" >&2
        cat "$tmp" >&2
        status=1
    fi
done
if [ "$count" -eq 0 ]; then
    echo "check_cog: no GeoTIFF under $*" >&2
    exit 1
fi
[ "$status" -eq 0 ] && echo "check_cog: $count GeoTIFFs are valid cloud-optimized GeoTIFFs"
exit "$status"
