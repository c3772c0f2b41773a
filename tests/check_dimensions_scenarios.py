#!/usr/bin/env python3
"""results.h5 of runs the demos do not cover, checked like the demos' (gdal_reads.sh and
check_dimensions.py): a district hierarchy (/levels/<level>, /districts/parent_id), and a
hierarchy with the seasonal NEP model and Monte Carlo uncertainty (/levels/<level>/nep,
/uncertainty/levels/<level>, /uncertainty/nep).

usage: check_dimensions_scenarios.py CARBONSINK SOURCE_DIR WORK_DIR
"""
import os
import re
import shutil
import subprocess
import sys

exe, src, work = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
shutil.rmtree(work, ignore_errors=True)
data = os.path.join(work, "data")
shutil.copytree(os.path.join(src, "data-samples"), data)
# Two cities above the sample districts (by the parity of the district code).
subprocess.run(["ogr2ogr", "-f", "GeoJSON", "districts_hier.geojson", "districts.geojson",
                "-dialect", "sqlite", "-sql",
                "SELECT geometry, code, name, (code % 2) + 1 AS city, "
                "'city ' || ((code % 2) + 1) AS city_name FROM districts"],
               cwd=data, check=True)


def read(name):
    with open(os.path.join(data, name), encoding="utf-8") as f:
        return f.read()


def with_hierarchy(text):
    text = text.replace("path: districts.geojson", "path: districts_hier.geojson")
    out, n = re.subn(r"(\n  name_field: name\n)",
                     r"\1  parents:\n    - level: city\n      id_field: city\n"
                     r"      name_field: city_name\n", text, count=1)
    assert n == 1, "the demo config has no districts name_field line"
    return out


unc = read("demo-uncertainty.yaml")
# The NEP parameters without a documented uncertainty are declared exact (carbonsink invents no
# distribution): this run checks the layout of results.h5, not the intervals.
uncertainty_block = (unc[unc.index("\nuncertainty:"):].replace("draws: 1000", "draws: 200")
                     .replace("  assume_exact:\n", "  assume_exact:\n"
                              "    - \"casa_vegetation.csv:epsilon_max_g_c_per_mj"
                              "[evergreen_needleleaf_forest]\"\n"
                              "    - \"casa_vegetation.csv:epsilon_max_g_c_per_mj[grassland]\"\n"
                              "    - \"pei_rh:a\"\n    - \"pei_rh:microbial_share\"\n"))
# A sample error matrix of the 2015 map (test counts, rows = map class, columns = reference
# class, the demo's classes) so that /uncertainty/area_adjusted/2015 is written and checked too.
with open(os.path.join(data, "accuracy_2015.csv"), "w", encoding="utf-8") as f:
    f.write("map_class,1,2,4,5,8\n1,40,2,1,0,0\n2,3,50,0,1,0\n4,0,1,30,2,0\n"
            "5,1,0,2,45,1\n8,0,0,0,3,20\n")
uncertainty_block = uncertainty_block.replace(
    "\nuncertainty:\n", "\nuncertainty:\n  land_cover_accuracy:\n    2015: accuracy_2015.csv\n", 1)
configs = {
    "hierarchy": with_hierarchy(read("demo.yaml")),
    "hierarchy-seasonal-uncertainty": with_hierarchy(read("demo-seasonal.yaml")) +
    uncertainty_block,
}
status = 0
for name, text in configs.items():
    cfg = os.path.join(data, name + ".yaml")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(text)
    out = os.path.join(work, name)
    run = subprocess.run([exe, "run", cfg, "--quiet", "--output-dir", out],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(f"FAIL: run {name} exited {run.returncode}: {run.stderr.strip()[-400:]}")
        status = 1
        continue
    h5 = os.path.join(out, "results.h5")
    for cmd in (["sh", os.path.join(here, "gdal_reads.sh"), h5],
                [sys.executable, os.path.join(here, "check_dimensions.py"), h5]):
        if subprocess.run(cmd).returncode != 0:
            print(f"FAIL: {' '.join(cmd)}")
            status = 1
sys.exit(status)
