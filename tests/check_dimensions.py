#!/usr/bin/env python3
"""Open every group of results.h5 the way an xarray user does and check its named dimensions.

usage: check_dimensions.py RESULTS.h5...

For each file: every group holding datasets is opened with
xarray.open_dataset(path, engine="h5netcdf", group=g) WITHOUT a phony_dims option (h5netcdf
raises on an axis without a dimension scale), no dimension may be called phony_dim_*, every
variable must have `units` and `long_name`, the main figures must carry the dimension names of
interface.md ("Outputs people open"), and label selections (epoch=2020, pool="soil", a month)
must give the values h5py reads at the matching indices. Exit 1 with the failures listed.
"""
import sys

import h5py
import numpy as np
import xarray as xr

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def groups_with_datasets(f):
    out = []

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and any(isinstance(o, h5py.Dataset) for o in obj.values()):
            out.append("/" + name)

    if any(isinstance(o, h5py.Dataset) for o in f.values()):
        out.append("/")
    f.visititems(visit)
    return out


EXPECTED_DIMS = {
    "/stocks/mg_c": ("district", "epoch", "pool"),
    "/stocks/total_mg_c": ("district", "epoch"),
    "/flux/stock_change_mg_c_per_yr": ("district", "period"),
    "/flux/net_emissions_mg_co2_per_yr": ("district", "period"),
    "/transitions/area_ha": ("district", "period", "class_from", "class_to"),
    "/districts/area_ha": ("district",),
    "/epochs/year": ("epoch",),
    "/pools/name": ("pool",),
    "/periods/start_year": ("period",),
    "/nep/nep_mg_c": ("district", "month"),
    "/nep/season_nep_mg_c": ("district", "season"),
    "/nep/annual_nep_mg_c": ("district", "year"),
    "/uncertainty/stocks/mg_c/mean": ("district", "epoch", "pool"),
    "/uncertainty/flux/stock_change_mg_c_per_yr/ci_low": ("district", "period"),
}


def check_file(path):
    with h5py.File(path, "r") as f:
        groups = groups_with_datasets(f)
        opened = {}
        for g in groups:
            try:
                ds = xr.open_dataset(path, engine="h5netcdf", group=g)
            except Exception as e:  # h5netcdf refuses an axis without a dimension scale
                fail(f"{path}: group {g}: xarray cannot open it: {e}")
                continue
            opened[g] = ds
            for dim in ds.dims:
                if str(dim).startswith("phony_dim"):
                    fail(f"{path}: group {g}: unnamed dimension {dim}")
            for name, var in ds.variables.items():
                for attr in ("units", "long_name"):
                    if attr not in var.attrs:
                        fail(f"{path}: {g.rstrip('/')}/{name} has no {attr} attribute")
        for full, dims in EXPECTED_DIMS.items():
            if full not in f:
                continue
            g, name = full.rsplit("/", 1)
            if g in opened and opened[g][name].dims != dims:
                fail(f"{path}: {full} has dimensions {opened[g][name].dims}, expected {dims}")
        for lv in f.get("/levels", {}):
            g = f"/levels/{lv}"
            if isinstance(f[g], h5py.Group) and g in opened:
                if opened[g]["stocks_mg_c"].dims != ("unit", "epoch", "pool"):
                    fail(f"{path}: {g}/stocks_mg_c has dimensions {opened[g]['stocks_mg_c'].dims}")
                got = opened[g]["unit"].values
                if not np.array_equal(got, f[g + "/id"][:]):
                    fail(f"{path}: {g}: unit coordinate {got} is not {g}/id")

        years = list(f["/epochs/year"][:])
        pools = [text(p) for p in f["/pools/name"][:]]
        year = 2020 if 2020 in years else years[-1]
        e, p = years.index(year), pools.index("soil") if "soil" in pools else 0
        pool = pools[p]
        ids = f["/districts/id"][:]
        st = opened["/stocks"]
        if not np.array_equal(st["district"].values, ids):
            fail(f"{path}: /stocks district coordinate is not /districts/id")
        got = st.mg_c.sel(epoch=year, pool=pool).values
        want = f["/stocks/mg_c"][:, e, p]
        if not np.array_equal(got, want):
            fail(f"{path}: /stocks mg_c.sel(epoch={year}, pool={pool}) = {got}, h5py {want}")
        got = st.mg_c.sel(district=ids[-1], epoch=year, pool=pool).item()
        if got != f["/stocks/mg_c"][len(ids) - 1, e, p]:
            fail(f"{path}: /stocks mg_c.sel(district={ids[-1]}, ...) differs from h5py")
        g = "/uncertainty/stocks/mg_c"
        if g in opened:
            got = opened[g]["mean"].sel(epoch=year, pool=pool).values
            want = f[g + "/mean"][:, e, p]
            if not np.array_equal(got, want):
                fail(f"{path}: {g} mean.sel(epoch={year}, pool={pool}) = {got}, h5py {want}")
        if "/nep" in opened:
            months = list(f["/nep/month"][:])
            m = months[len(months) // 2]
            got = opened["/nep"].nep_mg_c.sel(month=m).values
            want = f["/nep/nep_mg_c"][:, months.index(m)]
            if not np.array_equal(got, want):
                fail(f"{path}: /nep nep_mg_c.sel(month={m}) = {got}, h5py {want}")
            labels = [text(s) for s in f["/nep/season"][:]]
            names = [text(s) for s in f["/nep/season_name"][:]]
            yrs = list(f["/nep/season_year"][:])
            if labels != [f"{n} {y}" for n, y in zip(names, yrs)]:
                fail(f"{path}: /nep/season {labels} is not season_name and season_year")
        g = "/uncertainty/nep/nep_mg_c"
        if g in opened:
            months = list(opened[g]["month"].values)
            if months != list(f["/nep/month"][:]):
                fail(f"{path}: {g} months {months} are not /nep/month")
            got = opened[g]["mean"].sel(month=months[0]).values
            if not np.array_equal(got, f[g + "/mean"][:, 0]):
                fail(f"{path}: {g} mean.sel(month={months[0]}) differs from h5py")
        print(f"{path}: {len(opened)} groups opened with named dimensions")


for p in sys.argv[1:]:
    check_file(p)
sys.exit(1 if failures else 0)
