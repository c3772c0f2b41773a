#!/usr/bin/env bash
# Build the sample generator (Release, in build/) and regenerate data-samples/ deterministically.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Reuse an existing build tree as it is configured; configure a Release one otherwise.
if [[ ! -f build/CMakeCache.txt ]]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCS_BUILD_TESTS=OFF
fi
cmake --build build -j2 --target carbonsink-sample
build/carbonsink-sample sample --out data-samples
