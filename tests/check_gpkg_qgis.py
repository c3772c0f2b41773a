#!/usr/bin/env python3
"""Open districts.gpkg as a QGIS user does (PyQGIS, headless) and check that every level's
layer is valid and comes up with its default style, a graduated choropleth of `column`.

usage: check_gpkg_qgis.py DISTRICTS.GPKG LEVEL[,LEVEL...] COLUMN
Exits 77 (ctest: skipped) when PyQGIS (Debian python3-qgis) is not installed.
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
try:
    from qgis.core import QgsApplication, QgsVectorLayer
except ImportError:
    print("check_gpkg_qgis: PyQGIS (python3-qgis) is not installed: skipped")
    sys.exit(77)


def main():
    path, levels, column = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    app = QgsApplication([], False)
    app.initQgis()
    problems = []
    for level in levels:
        layer = QgsVectorLayer(f"{path}|layername={level}", level, "ogr")
        if not layer.isValid():
            problems.append(f"{level}: layer is not valid")
            continue
        renderer = layer.renderer()
        if renderer is None or renderer.type() != "graduatedSymbol":
            kind = renderer.type() if renderer is not None else "none"
            problems.append(f"{level}: renderer is {kind}, expected graduatedSymbol "
                            "(the default style in layer_styles was not applied)")
            continue
        if renderer.classAttribute() != column:
            problems.append(f"{level}: renderer draws {renderer.classAttribute()}, expected {column}")
        if not renderer.ranges():
            problems.append(f"{level}: the graduated renderer has no classes")
        if layer.featureCount() < 1:
            problems.append(f"{level}: no features")
        del layer
    app.exitQgis()
    for p in problems:
        print("check_gpkg_qgis: " + p, file=sys.stderr)
    print(f"check_gpkg_qgis: {len(levels)} layers checked: "
          f"{'OK' if not problems else str(len(problems)) + ' problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # PyQGIS 3.22 (Debian 12) crashes in the interpreter's teardown after exitQgis(), whatever
    # the checks found; leave without it so the exit code is the checks' own.
    os._exit(code)
