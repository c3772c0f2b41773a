#!/usr/bin/env python3
"""The peer of `scripts/bench.sh --peers`: the benchmark's totals the plain numpy + GDAL way.

What a careful analyst would write without carbonsink, for the benchmark config that
carbonsink-sample generates (lookup stocks from pools.csv, two epochs, stock difference,
districts from a vector layer):

- every raster read whole into memory (GDAL ReadAsArray);
- the districts burnt into a raster of ids with gdal.RasterizeLayer (pixel centre: a pixel
  belongs to the district its centre falls in, no partial coverage);
- per pixel: stock density (Mg C/ha, the sum of the pool columns) by np.take on the class code,
  times the nominal pixel area (|dx * dy|, no true-area correction);
- per district: np.bincount with weights;
- the same three Float32 GeoTIFFs as `carbonsink run` (stock per epoch, mean annual change),
  with its creation options (256 px tiles, DEFLATE at its level with the floating-point
  predictor) and GDAL's multithreaded compression (NUM_THREADS = the run's threads), but
  without internal overviews; and districts.csv.

usage: bench_peer_numpy.py CONFIG_DIR OUTPUT_DIR THREADS
Prints the per-district totals' largest difference against carbonsink's districts.csv when
CONFIG_DIR/run/districts.csv exists (both are written by bench.sh), so the comparison is of the
same figures. The differences come from pixel-centre assignment and nominal areas.
"""
import csv
import os
import sys
import time

import numpy as np
from osgeo import gdal, ogr

gdal.UseExceptions()

POOLS = ("c_above", "c_below", "c_soil", "c_dead")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: bench_peer_numpy.py CONFIG_DIR OUTPUT_DIR THREADS")
    src, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    t0 = time.time()

    # Stock density per class code (Mg C/ha): NaN for codes the table does not have.
    density = np.full(256, np.nan, dtype=np.float32)
    with open(os.path.join(src, "pools.csv"), newline="") as f:
        for row in csv.DictReader(f):
            density[int(row["lucode"])] = sum(float(row[p] or 0) for p in POOLS)

    years = (2015, 2020)
    first = gdal.Open(os.path.join(src, "land_cover_%d.tif" % years[0]))
    width, height = first.RasterXSize, first.RasterYSize
    gt = first.GetGeoTransform()
    srs = first.GetProjection()
    area_ha = abs(gt[1] * gt[5]) / 1e4
    first = None

    # Districts burnt at pixel centres (0 = outside every district).
    vec = ogr.Open(os.path.join(src, "districts.gpkg"))
    layer = vec.GetLayerByName("districts")
    mem = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_Int32)
    mem.SetGeoTransform(gt)
    mem.SetProjection(srs)
    gdal.RasterizeLayer(mem, [1], layer, options=["ATTRIBUTE=code"])
    ids = mem.GetRasterBand(1).ReadAsArray().ravel()
    mem = None
    names = {f.GetField("code"): f.GetField("name") for f in layer}
    layer = None
    vec = None
    n_ids = int(ids.max()) + 1

    options = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE",
               "PREDICTOR=3", "ZLEVEL=6", "BIGTIFF=IF_SAFER", "NUM_THREADS=%d" % threads]

    def write(name, array):
        ds = gdal.GetDriverByName("GTiff").Create(os.path.join(out, name), width, height, 1,
                                                  gdal.GDT_Float32, options)
        ds.SetGeoTransform(gt)
        ds.SetProjection(srs)
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(float("nan"))
        band.WriteArray(array)
        ds = None

    stocks = []
    totals = []
    for y in years:
        ds = gdal.Open(os.path.join(src, "land_cover_%d.tif" % y))
        codes = ds.GetRasterBand(1).ReadAsArray()
        nodata = ds.GetRasterBand(1).GetNoDataValue()
        ds = None
        stock = np.take(density, codes) * np.float32(area_ha)
        if nodata is not None:
            stock[codes == int(nodata)] = np.nan
        codes = None
        write("stock_%d.tif" % y, stock)
        flat = stock.ravel()
        totals.append(np.bincount(ids, weights=np.nan_to_num(flat), minlength=n_ids))
        stocks.append(stock)
    change = (stocks[1] - stocks[0]) / np.float32(years[1] - years[0])
    stocks = None
    write("stock_change_%d_%d.tif" % years, change)
    change = None

    with open(os.path.join(out, "districts.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["district_id", "district_name", "stock_mg_c_%d" % years[0],
                    "stock_mg_c_%d" % years[1], "stock_change_mg_c_per_yr"])
        for d in sorted(names):
            w.writerow([d, names[d], "%.6f" % totals[0][d], "%.6f" % totals[1][d],
                        "%.6f" % ((totals[1][d] - totals[0][d]) / (years[1] - years[0]))])
    print("peer: %d x %d px, %d districts in %.2f s" % (width, height, len(names),
                                                        time.time() - t0))

    ours = os.path.join(src, "run", "districts.csv")
    if os.path.exists(ours):
        worst = 0.0
        with open(ours, newline="") as f:
            for row in csv.DictReader(f):
                d = int(row["district_id"])
                for k, y in enumerate(years):
                    a = float(row["stock_mg_c_%d" % y])
                    worst = max(worst, abs(totals[k][d] - a) / abs(a) if a else 0.0)
        print("peer vs carbonsink district stocks: largest relative difference %.2e "
              "(pixel centre and nominal area against exact coverage and true area)" % worst)


if __name__ == "__main__":
    main()
