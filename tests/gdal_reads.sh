#!/bin/sh
# Open each HDF5 file with GDAL the way gdalinfo and QGIS do: gdalinfo on the file, gdalinfo on
# each of its subdatasets (SUBDATASET_n_NAME) and gdalmdiminfo (GDAL's multidimensional API).
# Exit 1 when any of them fails or crashes (GDAL 3.6 segfaults on some HDF5 attributes), printing
# which; exit 0 when every one opens.
#
# usage: gdal_reads.sh FILE.h5...
status=0
fail() {
    echo "FAIL: $1"
    status=1
}
for f in "$@"; do
    out=$(gdalinfo "$f" 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
        fail "gdalinfo $f (exit $rc): $(printf '%s\n' "$out" | tail -n 2)"
        continue
    fi
    subs=$(printf '%s\n' "$out" | sed -n 's/^ *SUBDATASET_[0-9]*_NAME=//p')
    if [ -z "$subs" ]; then
        fail "gdalinfo $f lists no subdataset"
    fi
    old_ifs=$IFS
    IFS='
'
    for sub in $subs; do
        sub_out=$(gdalinfo "$sub" 2>&1)
        rc=$?
        if [ $rc -ne 0 ]; then
            fail "gdalinfo $sub (exit $rc): $(printf '%s\n' "$sub_out" | tail -n 2)"
        fi
    done
    IFS=$old_ifs
    if command -v gdalmdiminfo >/dev/null 2>&1; then
        md_out=$(gdalmdiminfo "$f" 2>&1)
        rc=$?
        if [ $rc -ne 0 ]; then
            fail "gdalmdiminfo $f (exit $rc): $(printf '%s\n' "$md_out" | tail -n 2)"
        fi
    fi
done
exit $status
