#!/usr/bin/env bash
# Install carbonsink's build and test dependencies from Debian packages (skips apt when present).
#
# usage: scripts/install_deps.sh [--with-test-tools]
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libgdal-dev libproj-dev libhdf5-dev libyaml-cpp-dev libcli11-dev libgtest-dev libssl-dev
    gdal-bin hdf5-tools
    # MPI runner (CS_MPI, README "Many machines"): the library and mpirun.
    libopenmpi-dev openmpi-bin
    # Packaging (README "Install"): dpkg-shlibdeps for the .deb's dependencies; groff and man
    # render the man page (ctest install_man).
    dpkg-dev groff-base man-db
    # The Python module (CS_PYTHON, README "Use it from Python"): optional for a build, built and
    # tested in CI.
    pybind11-dev python3-dev
)
if [[ ${1:-} == "--with-test-tools" ]]; then
    # Output checks done the way a user would (GDAL and h5py from Python), and the style check.
    packages+=(python3-gdal python3-h5py python3-numpy clang-format)
    # The Python module's pytest suite (tests/python, ctest python_module).
    packages+=(python3-pytest)
    # results.h5 opened the way xarray users do (tests/check_dimensions.py).
    packages+=(python3-xarray python3-h5netcdf)
    # districts.csv and districts.xlsx read the way pandas users do (tests/check_pandas.py).
    packages+=(python3-pandas python3-openpyxl)
    # districts.gpkg opened in QGIS headless (tests/check_gpkg_qgis.py).
    packages+=(python3-qgis)
    # report.html rendered in headless Chromium (tests/check_report_chromium.py, the screenshots
    # of scripts/screenshots.sh), with a CJK font so that Chinese district names show.
    packages+=(chromium fonts-noto-cjk)
    # Sanitizers and fuzzing (scripts/sanitize.sh, scripts/fuzz.sh): clang++ with libFuzzer and
    # the sanitizer runtimes, LLVM's OpenMP runtime with its TSan tool libarcher, and
    # llvm-symbolizer for readable reports.
    packages+=(clang libclang-rt-14-dev libomp-14-dev llvm)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    echo "dependencies: all ${#packages[@]} Debian packages present"
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    SUDO="sudo"
fi
echo "dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
