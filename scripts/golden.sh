#!/usr/bin/env bash
# Golden outputs: run the demos and a set of scenarios covering every model path, and compare
# every output file with the checksums in tests/golden/checksums.txt.
#
# usage: scripts/golden.sh CARBONSINK [--update]
#
# The scenarios run on a copy of data-samples/ (plus a few rasters derived from it with GDAL)
# in a temporary folder, with SOURCE_DATE_EPOCH fixed, 2 threads and small blocks. GeoTIFFs
# and CSVs are compared byte for byte. results.h5 records the absolute paths of the config and
# of every input, which differ from run to run (the temporary folder), so it is compared as a
# canonical dump: `h5dump -w 0` with that folder's path replaced by @STAGE@ (nothing else is
# dropped or changed); report.html lists the input paths too and gets the same replacement. The
# warnings a run prints are compared as well (same replacement); the output folder's
# .carbonsink-manifest (file modification times) is not.
#
# --update rewrites tests/golden/checksums.txt. Regenerate ONLY for an intended change of the
# outputs, and say in the commit message which outputs change and why. A refactor must leave
# the checksums unchanged.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exe="$(realpath "${1:?usage: scripts/golden.sh CARBONSINK [--update]}")"
update="${2:-}"
golden="$root/tests/golden/checksums.txt"
stage="$(mktemp -d "${TMPDIR:-/tmp}/carbonsink-golden.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
export SOURCE_DATE_EPOCH=1700000000
export GDAL_NUM_THREADS=1

# ---- Inputs: the sample city, and rasters derived from it -----------------------------------
cp -r "$root"/data-samples/* "$stage/"
cp "$root"/tests/golden/scenarios/* "$stage/"
cd "$stage"
q() { "$@" >/dev/null 2>&1 || { echo "golden: failed: $*" >&2; exit 1; }; }
# AGB (t dm/ha) from growing-stock volume, a stand age (yr) and a volume increment (m3/ha/yr).
for y in 2015 2020; do
    q gdal_calc.py --quiet -A "volume_$y.tif" --outfile="agb_$y.tif" --calc="A*0.6" \
        --type=Float32 --NoDataValue=-1 --co=COMPRESS=DEFLATE
done
q gdal_calc.py --quiet -A volume_2015.tif --outfile=age.tif --calc="A/4" --type=Float32 \
    --NoDataValue=-1 --co=COMPRESS=DEFLATE
q gdal_calc.py --quiet -A volume_2015.tif --outfile=increment.tif --calc="A/40" \
    --type=Float32 --NoDataValue=-1 --co=COMPRESS=DEFLATE
# A district raster: ids 1..3 from the 2015 land cover (its nodata stays nodata).
q gdal_calc.py --quiet -A land_cover_2015.tif --outfile=district_ids.tif --calc="A%3+1" \
    --type=Int16 --NoDataValue=0 --co=COMPRESS=DEFLATE
# Districts with a parent level (city = code / 100 ... + 0, 1, 2 by code parity).
q ogr2ogr -f GeoJSON districts_hier.geojson districts.geojson -dialect sqlite \
    -sql "SELECT geometry, code, name, (code % 2) + 1 AS city, 'city ' || ((code % 2) + 1) AS city_name FROM districts"

# ---- Runs ------------------------------------------------------------------------------------
scenarios=(demo demo-inventory)
for f in "$root"/tests/golden/scenarios/*.yaml; do
    scenarios+=("$(basename "$f" .yaml)")
done
sums="$stage/checksums.txt"
: >"$sums"
for s in "${scenarios[@]}"; do
    out="$stage/out/$s"
    if ! "$exe" run "$stage/$s.yaml" --quiet --threads 2 --output-dir "$out" >"$stage/$s.log" \
        2>"$stage/$s.err"; then
        echo "golden: run of scenario $s failed:" >&2
        cat "$stage/$s.err" >&2
        exit 1
    fi
    # The warnings (unverified parameters used, warped inputs) are compared too.
    sum="$({ grep '^warning:' "$stage/$s.err" || true; } | sed "s|$stage|@STAGE@|g" | sha256sum | cut -d' ' -f1)"
    echo "$s/(stderr warnings) $sum" >>"$sums"
    # .carbonsink-manifest holds modification times: bookkeeping, not compared.
    (cd "$out" && find . -type f ! -name .carbonsink-manifest | LC_ALL=C sort) | while read -r f; do
        f="${f#./}"
        if [[ "$f" == *.h5 ]]; then
            sum="$(h5dump -w 0 "$out/$f" | sed "s|$stage|@STAGE@|g" | sha256sum | cut -d' ' -f1)"
        elif [[ "$f" == *.html ]]; then
            # report.html lists the inputs by path, as results.h5 does: same replacement.
            sum="$(sed "s|$stage|@STAGE@|g" "$out/$f" | sha256sum | cut -d' ' -f1)"
        else
            sum="$(sha256sum "$out/$f" | cut -d' ' -f1)"
        fi
        echo "$s/$f $sum" >>"$sums"
    done
done

# Every scenario's results.h5 opens the way users open it: gdalinfo on the file and on each
# subdataset, gdalmdiminfo (tests/gdal_reads.sh: GDAL 3.6 and QGIS crashed on some attributes),
# and every group in xarray with named dimensions (tests/check_dimensions.py).
readers_ok=1
for s in "${scenarios[@]}"; do
    h5="$stage/out/$s/results.h5"
    if ! sh "$root/tests/gdal_reads.sh" "$h5" >"$stage/$s.gdal" 2>&1; then
        echo "golden: GDAL cannot read the results.h5 of scenario $s:" >&2
        cat "$stage/$s.gdal" >&2
        readers_ok=0
    fi
    # (xarray and h5netcdf come with scripts/install_deps.sh --with-test-tools)
    if /usr/bin/python3 -c "import xarray, h5netcdf" 2>/dev/null; then
        if ! /usr/bin/python3 "$root/tests/check_dimensions.py" "$h5" >"$stage/$s.xr" 2>&1; then
            echo "golden: xarray cannot read the results.h5 of scenario $s by named dimensions:" >&2
            cat "$stage/$s.xr" >&2
            readers_ok=0
        fi
    fi
    # districts.csv and districts.xlsx as pandas reads them (tests/check_pandas.py; pandas and
    # openpyxl come with --with-test-tools; exit 77 = not installed).
    pandas_status=0
    /usr/bin/python3 "$root/tests/check_pandas.py" "$stage/out/$s" >"$stage/$s.pd" 2>&1 ||
        pandas_status=$?
    if [[ $pandas_status -ne 0 && $pandas_status -ne 77 ]]; then
        echo "golden: pandas does not read the district tables of scenario $s as expected:" >&2
        cat "$stage/$s.pd" >&2
        readers_ok=0
    fi
done
# Every GeoTIFF of every scenario is a cloud-optimized GeoTIFF that GDAL's validator accepts
# without error or warning (tests/check_cog.sh; outputs.overviews; skipped without the validator).
cog_status=0
sh "$root/tests/check_cog.sh" "$stage/out" >"$stage/cog" 2>&1 || cog_status=$?
if [[ $cog_status -ne 0 && $cog_status -ne 77 ]]; then
    echo "golden: GeoTIFF outputs that are not valid cloud-optimized GeoTIFFs:" >&2
    cat "$stage/cog" >&2
    readers_ok=0
fi
if [[ $readers_ok -eq 0 ]]; then
    exit 1
fi

if [[ "$update" == "--update" ]]; then
    cp "$sums" "$golden"
    echo "golden: wrote $(wc -l <"$golden") checksums to $golden"
    exit 0
fi
if ! diff -u "$golden" "$sums" >"$stage/diff"; then
    echo "golden: outputs differ from tests/golden/checksums.txt (- golden, + this build):" >&2
    grep '^[-+][^-+]' "$stage/diff" >&2 || true
    exit 1
fi
echo "golden: $(wc -l <"$golden") output files identical"
