#!/usr/bin/env bash
# Set up and test: install dependencies, build with tests (warnings as errors), run ctest.
#
# usage: scripts/test.sh            (real-data tests read ../shared/data and skip when absent)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install_deps.sh --with-test-tools
# Style: every C++ source must be clang-format clean (.clang-format at the root).
git ls-files -- '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
# CS_PYTHON=ON: the Python module is optional for users, but CI must build and test it (fails
# here if pybind11-dev or python3-dev is missing rather than skipping its tests).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCS_BUILD_TESTS=ON -DCS_WERROR=ON -DCS_PYTHON=ON \
    >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"$(nproc)"
