#!/usr/bin/env bash
# The screenshots of the README (docs/*.png), made from the demo's outputs:
#   docs/report.png              report.html of the uncertainty demo in headless Chromium
#   docs/districts_gpkg_qgis.png districts.gpkg of the demo in QGIS (PyQGIS, headless), with the
#                                default style it carries in its layer_styles table
#
# usage: scripts/screenshots.sh [CARBONSINK]   (default build/carbonsink)
# Needs chromium, python3-qgis and python3-gdal (scripts/install_deps.sh --with-test-tools).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exe="$(realpath "${1:-$root/build/carbonsink}")"
work="$(mktemp -d "${TMPDIR:-/tmp}/carbonsink-screenshots.XXXXXX")"
trap 'rm -rf "$work"' EXIT
chromium="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$chromium" ]]; then
    echo "screenshots: chromium is not installed (scripts/install_deps.sh --with-test-tools)" >&2
    exit 1
fi
# Fixed dates in the outputs (report.html prints its date), so that a rerun gives the same page.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"

"$exe" run "$root/data-samples/demo-uncertainty.yaml" --quiet --output-dir "$work/uncertainty" \
    >/dev/null
"$exe" run "$root/data-samples/demo.yaml" --quiet --output-dir "$work/demo" >/dev/null

# The top of the report (summary, warnings, maps, charts), 1280 px wide, then reduced to 60 %
# as an indexed-colour PNG to keep the repository small.
"$chromium" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size=1280,2300 \
    --screenshot="$work/report.png" "file://$work/uncertainty/report.html" >/dev/null 2>&1
/usr/bin/python3 - "$work/report.png" "$root/docs/report.png" <<'PY'
import sys
from osgeo import gdal
gdal.UseExceptions()
src = gdal.Open(sys.argv[1])
w, h = src.RasterXSize * 6 // 10, src.RasterYSize * 6 // 10
small = gdal.Translate("/vsimem/small.tif", src, width=w, height=h, bandList=[1, 2, 3],
                       resampleAlg="average")
# 256 colours (median cut), then PNG: a few hundred KB instead of MB.
ct = gdal.ColorTable()
gdal.ComputeMedianCutPCT(small.GetRasterBand(1), small.GetRasterBand(2), small.GetRasterBand(3),
                         256, ct)
pal = gdal.GetDriverByName("MEM").Create("", w, h, 1, gdal.GDT_Byte)
pal.GetRasterBand(1).SetRasterColorTable(ct)
gdal.DitherRGB2PCT(small.GetRasterBand(1), small.GetRasterBand(2), small.GetRasterBand(3),
                   pal.GetRasterBand(1), ct)
gdal.GetDriverByName("PNG").CreateCopy(sys.argv[2], pal, options=["ZLEVEL=9"])
PY

# districts.gpkg in QGIS: the default style (graduated stock change) from layer_styles, drawn
# by QGIS' own renderer.
QT_QPA_PLATFORM=offscreen /usr/bin/python3 - "$work/demo/districts.gpkg" \
    "$root/docs/districts_gpkg_qgis.png" <<'PY'
import os
import sys
from qgis.core import (QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings,
                       QgsPalLayerSettings, QgsTextFormat, QgsVectorLayer,
                       QgsVectorLayerSimpleLabeling)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(sys.argv[1] + "|layername=district", "district", "ogr")
code = 1
if layer.isValid() and layer.renderer() is not None and \
        layer.renderer().type() == "graduatedSymbol":
    # The district names as labels (drawn by QGIS; the file's style is left as it is).
    pal = QgsPalLayerSettings()
    pal.fieldName = "district_name || '\\n' || round(stock_change_mg_c_per_yr_2015_2020) || ' Mg C/yr'"
    pal.isExpression = True
    fmt = QgsTextFormat()
    fmt.setSize(11)
    pal.setFormat(fmt)
    layer.setLabeling(QgsVectorLayerSimpleLabeling(pal))
    layer.setLabelsEnabled(True)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    extent = layer.extent()
    extent.scale(1.05)
    settings.setExtent(extent)
    settings.setOutputSize(QSize(800, 660))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    code = 0 if job.renderedImage().save(sys.argv[2], "png") else 1
else:
    print("screenshots: districts.gpkg did not open in QGIS with its graduated default style",
          file=sys.stderr)
del layer
app.exitQgis()
sys.stdout.flush()
sys.stderr.flush()
# PyQGIS 3.22 (Debian 12) crashes in the interpreter's teardown after exitQgis() (see
# tests/check_gpkg_qgis.py): leave with the result's own code.
os._exit(code)
PY
ls -l "$root/docs/report.png" "$root/docs/districts_gpkg_qgis.png"
