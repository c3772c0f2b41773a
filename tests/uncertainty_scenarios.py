#!/usr/bin/python3
"""Uncertainty through every model path, checked against the run's own figures.

usage: uncertainty_scenarios.py CARBONSINK SOURCE_ROOT WORK_DIR
Exit 0 when every check passes, 1 on a failed check, 77 when GDAL/h5py are missing.

The golden scenarios (the demo city with the pools table, the forest inventory with soil and
dead matter, the seasonal NEP, Tier 1 and volume gain-loss with losses, an AGB map with
dead-matter zones, a geographic grid; tests/golden/scenarios) are run with `uncertainty`:

1. Approach 1 with every parameter the districts use declared exact (`assume_exact`, the list
   read from `validate`'s refusal): every interval's `central` must equal the run's own figure
   (stocks, pools, totals, stock change, net emissions, monthly NPP/R_H/NEP, annual NEP, and
   every roll-up level) and every SD must be 0. The figures come from the per-pixel pass, the
   centrals from the sufficient statistics alone: equal figures show that the statistics of
   every stage (epoch, across-epoch, period and month) describe what the stage computes.
2. The same parameters given test distributions (normal, 10 % of the value as a 95 %
   half-width; test values, not science) under Approach 1 and under Monte Carlo (2000 draws):
   the two methods' SDs agree within 12 % wherever the SD is not negligible (first-order
   propagation against sampling, products of up to four parameters of 5 % SD), and the Monte
   Carlo mean is within 5 SD / sqrt(N) + 1 % of SD of the central value.
"""
import os
import re
import shutil
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def sh(*args, cwd):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")


def stage(root, work):
    if os.path.exists(work):
        shutil.rmtree(work)
    shutil.copytree(os.path.join(root, "data-samples"), work)
    for f in os.listdir(os.path.join(root, "tests/golden/scenarios")):
        shutil.copy(os.path.join(root, "tests/golden/scenarios", f), work)
    # The rasters scripts/golden.sh derives from the sample.
    for y in (2015, 2020):
        sh("gdal_calc.py", "--quiet", "-A", f"volume_{y}.tif", f"--outfile=agb_{y}.tif",
           "--calc=A*0.6", "--type=Float32", "--NoDataValue=-1", cwd=work)
    sh("gdal_calc.py", "--quiet", "-A", "volume_2015.tif", "--outfile=age.tif", "--calc=A/4",
       "--type=Float32", "--NoDataValue=-1", cwd=work)
    sh("gdal_calc.py", "--quiet", "-A", "volume_2015.tif", "--outfile=increment.tif",
       "--calc=A/40", "--type=Float32", "--NoDataValue=-1", cwd=work)
    sh("gdal_calc.py", "--quiet", "-A", "land_cover_2015.tif", "--outfile=district_ids.tif",
       "--calc=A%3+1", "--type=Int16", "--NoDataValue=0", cwd=work)
    sh("ogr2ogr", "-f", "GeoJSON", "districts_hier.geojson", "districts.geojson", "-dialect",
       "sqlite", "-sql", "SELECT geometry, code, name, (code % 2) + 1 AS city, 'city ' || "
       "((code % 2) + 1) AS city_name FROM districts", cwd=work)


NAME = re.compile(r"^error: uncertainty: (.+?) = \S+ .* has no documented uncertainty", re.M)


def used_parameters(exe, work, scenario):
    cfg = os.path.join(work, f"{scenario}-u.yaml")
    with open(os.path.join(work, f"{scenario}.yaml")) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text.rstrip("\n") + "\nuncertainty:\n  method: error_propagation\n")
    r = subprocess.run([exe, "validate", cfg], capture_output=True, text=True)
    names = NAME.findall(r.stderr)
    check(r.returncode == 2 and names, f"{scenario}: validate refuses and names the parameters "
          f"({r.returncode}: {r.stderr[-300:]})")
    return text, names


def run(exe, work, scenario, text, block, out):
    cfg = os.path.join(work, f"{scenario}-{out}.yaml")
    with open(cfg, "w") as f:
        f.write(text.rstrip("\n") + "\nuncertainty:\n" + block)
    outdir = os.path.join(work, "out", f"{scenario}-{out}")
    r = subprocess.run([exe, "run", cfg, "--quiet", "--threads", "2", "--output-dir", outdir],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"{scenario} {out}: run ({r.stderr[-400:]})")
    return h5py.File(os.path.join(outdir, "results.h5"), "r")


def figures(f):
    """(interval group, figure array) pairs of every level."""
    pairs = [("stocks/mg_c", f["stocks/mg_c"][:]), ("stocks/total_mg_c", f["stocks/total_mg_c"][:]),
             ("flux/stock_change_mg_c_per_yr", f["flux/stock_change_mg_c_per_yr"][:]),
             ("flux/net_emissions_mg_co2_per_yr", f["flux/net_emissions_mg_co2_per_yr"][:])]
    out = [("/uncertainty/" + g, v) for g, v in pairs]
    if "nep" in f:
        for s in ("npp_mg_c", "rh_mg_c", "nep_mg_c", "annual_nep_mg_c", "season_nep_mg_c"):
            out.append((f"/uncertainty/nep/{s}", f[f"nep/{s}"][:]))
    if "levels" in f:
        for lv in f["levels"]:
            if not isinstance(f["levels"][lv], h5py.Group):
                continue
            g = f["levels"][lv]
            for name, fig in (("stocks/mg_c", "stocks_mg_c"), ("stocks/total_mg_c", "total_mg_c"),
                              ("flux/stock_change_mg_c_per_yr", "stock_change_mg_c_per_yr")):
                out.append((f"/uncertainty/levels/{lv}/{name}", g[fig][:]))
    return out


def main(exe, root, work):
    stage(root, work)
    scenarios = ["demo", "demo-inventory", "demo-seasonal"] + sorted(
        os.path.splitext(f)[0] for f in os.listdir(os.path.join(root, "tests/golden/scenarios"))
        if f.endswith(".yaml"))
    for s in scenarios:
        text, names = used_parameters(exe, work, s)
        if not names:
            continue
        # Every parameter the districts use: those validate names (no uncertainty) and those
        # with a documented one, listed in /uncertainty/parameters of a run.
        quoted = ", ".join(f'"{n}"' for n in names)
        f = run(exe, work, s, text, f"  method: error_propagation\n  assume_exact: [{quoted}]\n",
                "list")
        names = sorted(set(names) | {n.decode() if isinstance(n, bytes) else n
                                     for n in f["/uncertainty/parameters/name"][:]})
        quoted = ", ".join(f'"{n}"' for n in names)
        # 1. Everything exact: the statistics reproduce the run's own figures.
        f = run(exe, work, s, text, f"  method: error_propagation\n  assume_exact: [{quoted}]\n",
                "exact")
        for group, fig in figures(f):
            check(group in f, f"{s}: {group} present")
            if group not in f:
                continue
            c = f[group + "/central"][:]
            check(c.shape == fig.shape, f"{s}: {group} shape {c.shape} = {fig.shape}")
            if c.shape == fig.shape:
                check(np.allclose(c, fig, rtol=1e-9, atol=1e-6),
                      f"{s}: {group}/central = the figure (max diff "
                      f"{np.max(np.abs(c - fig)) if c.size else 0:.3g})")
            check(bool(np.all(np.abs(f[group + "/sd"][:]) <= 1e-9 * (1 + np.abs(c)))),
                  f"{s}: {group}/sd = 0 with every parameter exact")
        # 2. Test distributions: Approach 1 against Monte Carlo.
        params = "".join(f'    "{n}": {{distribution: normal, u_pct: 10, source: "test value"}}\n'
                         for n in names)
        a1 = run(exe, work, s, text, "  method: error_propagation\n  parameters:\n" + params, "a1")
        mc = run(exe, work, s, text, "  draws: 2000\n  seed: 5\n  parameters:\n" + params, "mc")
        for group, _ in figures(a1):
            if group not in a1 or group not in mc:
                continue
            sa = a1[group + "/sd"][:]
            sm = mc[group + "/sd"][:]
            c = a1[group + "/central"][:]
            big = sa > 1e-6 * (1 + np.abs(c))
            if big.any():
                rel = np.abs(sm[big] / sa[big] - 1)
                check(float(rel.max()) < 0.12,
                      f"{s}: {group}: Monte Carlo SD within 12 % of Approach 1 (worst "
                      f"{rel.max():.3f})")
                mean = mc[group + "/mean"][:]
                dev = np.abs(mean[big] - c[big]) / sa[big]
                check(float(dev.max()) <= 5 / np.sqrt(2000) + 0.01,
                      f"{s}: {group}: Monte Carlo mean near the central value (worst "
                      f"{dev.max():.3f} SD)")
        print(f"{s}: {len(names)} parameters used; checked")
    print("OK" if not failures else f"{len(failures)} failures")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(os.path.realpath(sys.argv[1]), sys.argv[2], sys.argv[3]))
