#!/usr/bin/env bash
# Set up and test: install dependencies, build with tests (warnings as errors), run ctest.
#
# usage: scripts/test.sh            (real-data tests read ../shared/data and skip when absent)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install_deps.sh --with-test-tools
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCS_BUILD_TESTS=ON -DCS_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"$(nproc)"
