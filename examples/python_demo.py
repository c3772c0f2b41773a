#!/usr/bin/env python3
"""Run a carbonsink config from Python and print its district totals (README "Use it from
Python"; the ctest python_demo compares this program's output with python_demo.expected).

usage: PYTHONPATH=build/python python3 examples/python_demo.py CONFIG.yaml [OUTPUT_DIR]
"""
import sys

import carbonsink

config = sys.argv[1]
output_dir = sys.argv[2] if len(sys.argv) > 2 else None

problems = carbonsink.validate(config)
if problems:
    for p in problems:
        print("error:", p, file=sys.stderr)
    sys.exit(2)

try:
    result = carbonsink.run(config, output_dir=output_dir)
except carbonsink.Error as e:
    for m in e.messages:
        print("error:", m, file=sys.stderr)
    sys.exit(e.exit_code)

d = result.districts  # numpy arrays: total_mg_c is [district, epoch]
first, last = int(result.years[0]), int(result.years[-1])
print(f"{len(d.ids)} districts, pools {', '.join(result.pools)}")
width = max(len(n) for n in d.names)
print(f"{'id':>4}  {'name':<{width}} {'area ha':>9} {f'Mg C {first}':>12} {f'Mg C {last}':>12} "
      f"{'Mg C/yr':>9}")
for i in range(len(d.ids)):
    print(f"{d.ids[i]:>4}  {d.names[i]:<{width}} {d.area_ha[i]:>9.1f} {d.total_mg_c[i, 0]:>12.1f} "
          f"{d.total_mg_c[i, -1]:>12.1f} {d.stock_change_mg_c_per_yr[i, -1]:>+9.1f}")

# The same numbers as an xarray Dataset with named dimensions (when xarray is installed).
ds = result.to_xarray()
soil = ds.stocks_mg_c.sel(epoch=last, pool="soil").sum().item()
print(f"soil carbon {last}, all districts: {soil:.1f} {ds.stocks_mg_c.attrs['units']}")
print("files:", ", ".join(sorted(f for f in result.outputs if "/" not in f)))
