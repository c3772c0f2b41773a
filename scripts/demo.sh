#!/usr/bin/env bash
# Set up and run the demo: install dependencies, build Release, run the sample city (pools-table
# and forest-inventory versions), show results.
#
# usage: scripts/demo.sh [--threads N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target carbonsink
echo
build/carbonsink run data-samples/demo.yaml "$@"
echo
echo "Forest-inventory version (stocks.inventory: forest biomass from growing-stock volume and forest type):"
build/carbonsink run data-samples/demo-inventory.yaml "$@"
echo
echo "Seasonal version (models.nep casa: monthly NPP - heterotrophic respiration = NEP, 2020):"
build/carbonsink run data-samples/demo-seasonal.yaml "$@"
echo
echo "With uncertainty (Monte Carlo, 1000 shared draws over the uncertainties pools.csv documents):"
build/carbonsink run data-samples/demo-uncertainty.yaml "$@"
echo
echo "Check the outputs like a user would:"
echo "  gdalinfo out/demo-city/stock_change_2015_2020.tif"
echo "  h5dump -d /stocks/total_mg_c out/demo-city/results.h5"
echo "  column -s, -t < out/demo-city/districts.csv"
echo "  column -s, -t < out/demo-city-inventory/districts.csv"
echo "  h5dump -d /pools/name -d /stocks/mg_c out/demo-city-inventory/results.h5"
echo "  column -s, -t < out/demo-city-seasonal/nep_monthly.csv | head"
echo "  h5dump -d /nep/season_name -d /nep/season_nep_mg_c out/demo-city-seasonal/results.h5"
echo "  h5dump -d /uncertainty/stocks/total_mg_c/ci_low -d /uncertainty/parameters/source out/demo-city-uncertainty/results.h5"
