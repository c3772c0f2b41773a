#!/usr/bin/python3
"""Check a carbonsink output directory the way a user would: GDAL, h5py and the csv module.

usage: check_outputs.py OUTPUT_DIR
Exit 0 when every check passes, 1 on a failed check, 77 when GDAL/h5py/numpy are missing.
Independent checks: the CSV and the HDF5 agree; every HDF5 dataset has units; the pools (four
InVEST pools, or dead wood and litter apart) add up to the total; the GeoTIFFs have
NaN nodata, tiling, compression and units; and, for a run whose districts cover the whole grid,
the sum of stock_<year>.tif x pixel area equals the sum of the district totals.
"""
import csv
import math
import os
import sys

try:
    import h5py
    import numpy as np
    from osgeo import gdal
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

gdal.UseExceptions()
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def main(out):
    rows = list(csv.DictReader(open(os.path.join(out, "districts.csv"), newline="", encoding="utf-8")))
    f = h5py.File(os.path.join(out, "results.h5"), "r")

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            check("units" in obj.attrs, f"dataset /{name} has a units attribute")
    f.visititems(visit)
    for key in ("config", "software_version", "created_utc", "input_files", "input_sha256"):
        check(key in f.attrs, f"root attribute {key}")

    ids = f["/districts/id"][:]
    years = f["/epochs/year"][:]
    total = f["/stocks/total_mg_c"][:]
    pools = f["/stocks/mg_c"][:]
    change = f["/flux/stock_change_mg_c_per_yr"][:]
    check(list(ids) == sorted(ids), "district ids ascending")
    check(len(rows) == len(ids), "one CSV row per district")
    names = [n.decode() if isinstance(n, bytes) else n for n in f["/pools/name"][:]]
    check(len(names) == pools.shape[2], "one pool name per pool")
    check("soil" in names and ("dead_organic_matter" in names) != ("dead_wood" in names),
          f"pools {names}: soil and either dead_organic_matter or dead_wood and litter")
    check(("dead_wood" in names) == ("litter" in names), "dead_wood and litter come together")
    check(bool((pools >= 0).all()), "no negative pool stock")
    check(np.allclose(pools.sum(axis=2), total, rtol=1e-12, atol=1e-9), "pools add up to total")
    for i, row in enumerate(rows):
        check(int(row["district_id"]) == ids[i], f"CSV row {i} id matches HDF5")
        check(math.isclose(float(row["area_ha"]), f["/districts/area_ha"][i], rel_tol=1e-9,
                           abs_tol=1e-5), f"area of district {ids[i]}")
        for e, y in enumerate(years):
            check(math.isclose(float(row[f"stock_mg_c_{y}"]), total[i, e], rel_tol=1e-9,
                               abs_tol=1e-5), f"stock {y} of district {ids[i]}")
        for k in range(len(years) - 1):
            y1, y2 = years[k], years[k + 1]
            c = float(row[f"stock_change_mg_c_per_yr_{y1}_{y2}"])
            n = float(row[f"net_emissions_mg_co2_per_yr_{y1}_{y2}"])
            check(math.isclose(c, change[i, k], rel_tol=1e-9, abs_tol=1e-5),
                  f"change {y1}-{y2} of district {ids[i]}")
            check(math.isclose(n, -44.0 / 12.0 * c, rel_tol=1e-9, abs_tol=1e-5),
                  f"net emissions = -44/12 x change, district {ids[i]}")

    if "uncertainty" in f:
        # Intervals: the central value is the run's figure, sd >= 0, the mean lies inside the
        # interval, and the CSV's _ci_low / _ci_high columns hold the same numbers.
        u = f["/uncertainty"]
        for path, figure in (("stocks/total_mg_c", total), ("stocks/mg_c", pools),
                             ("flux/stock_change_mg_c_per_yr", change)):
            g = u[path]
            check(np.allclose(g["central"][:], figure, rtol=1e-9, atol=1e-6),
                  f"/uncertainty/{path}/central = the figure")
            check(bool((g["sd"][:] >= 0).all()), f"/uncertainty/{path}/sd >= 0")
            # (to rounding: the mean of 1000 equal draws is not always that value exactly)
            tol = 1e-12 * np.abs(g["mean"][:]) + 1e-9
            check(bool((g["ci_low"][:] <= g["mean"][:] + tol).all() and
                       (g["mean"][:] <= g["ci_high"][:] + tol).all()),
                  f"/uncertainty/{path}: ci_low <= mean <= ci_high")
            check("method" in g["sd"].attrs, f"/uncertainty/{path}/sd has its method")
        lo = u["stocks/total_mg_c/ci_low"][:]
        hi = u["stocks/total_mg_c/ci_high"][:]
        for i, row in enumerate(rows):
            for e, y in enumerate(years):
                check(math.isclose(float(row[f"stock_mg_c_{y}_ci_low"]), lo[i, e], rel_tol=1e-9,
                                   abs_tol=1e-5), f"CSV ci_low of stock {y}, district {ids[i]}")
                check(math.isclose(float(row[f"stock_mg_c_{y}_ci_high"]), hi[i, e], rel_tol=1e-9,
                                   abs_tol=1e-5), f"CSV ci_high of stock {y}, district {ids[i]}")
        n = u["parameters/name"].shape[0]
        for key in ("unit", "central", "distribution", "sd", "source", "status"):
            check(u[f"parameters/{key}"].shape[0] == n, f"/uncertainty/parameters/{key} length")

    grid_area = None
    for e, y in enumerate(years):
        ds = gdal.Open(os.path.join(out, f"stock_{y}.tif"))
        band = ds.GetRasterBand(1)
        check(math.isnan(band.GetNoDataValue()), f"stock_{y}.tif nodata is NaN")
        check(band.GetUnitType() == "Mg C/ha", f"stock_{y}.tif units")
        check(band.GetBlockSize() == [256, 256], f"stock_{y}.tif tiled 256")
        check(ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE") is not None,
              f"stock_{y}.tif compressed")
        gt = ds.GetGeoTransform()
        px_ha = abs(gt[1] * gt[5]) / 10000.0
        grid_area = ds.RasterXSize * ds.RasterYSize * px_ha
        a = band.ReadAsArray().astype(np.float64)
        raster_total = np.nansum(a) * px_ha
        district_area = float(f["/districts/area_ha"][:].sum())
        if math.isclose(district_area, grid_area, rel_tol=1e-9):
            check(math.isclose(raster_total, total[:, e].sum(), rel_tol=1e-6),
                  f"sum of stock_{y}.tif x pixel area ({raster_total:.3f}) = sum of districts "
                  f"({total[:, e].sum():.3f})")
    print(f"checked {len(rows)} districts, {len(years)} epochs: "
          f"{'OK' if not failures else str(len(failures)) + ' failures'}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
