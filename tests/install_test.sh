#!/usr/bin/env bash
# Install and package tests (issue 14 item 2), run by ctest (tests/CMakeLists.txt):
#
#   install_test.sh prefix BUILD_DIR SOURCE_DIR WORK_DIR
#     cmake --install into a temp prefix; the demo run from that prefix only (PATH, nothing of
#     the source or build tree) gives the build tree's totals byte for byte; the installed
#     tables are the ones read (a changed value changes the result and results.h5 names and
#     hashes the changed file); a missing or corrupt installed table, or a bad CARBONSINK_DATA,
#     is a clear error naming the file; a consumer project built with find_package(carbonsink)
#     and one built with pkg-config run the demo through libcarbonsink and print its totals.
#   install_test.sh deb BUILD_DIR SOURCE_DIR WORK_DIR
#     cpack -G DEB; the package's control fields; dpkg-deb -x into a temp root and the demo run
#     from that root's files (no LD_LIBRARY_PATH or CARBONSINK_DATA needed: the program finds
#     <root>/usr/share/carbonsink relative to itself).
#   install_test.sh man BUILD_DIR SOURCE_DIR WORK_DIR
#     the man page renders with groff -ww and man -l without a warning.
#
# Exit 77 (skip) when a tool it needs is missing (groff/man, cpack/dpkg-deb, pkg-config).
set -euo pipefail

mode=$1
build=$(readlink -f "$2")
src=$(readlink -f "$3")
work=$4
py=/usr/bin/python3

fail() {
    echo "FAIL (after ${SECONDS} s): $*" >&2
    exit 1
}
skip() {
    echo "SKIP: $*"
    exit 77
}
# expect_error STDERR_FILE TEXT: the command failed with exit 2 and printed TEXT.
contains() {
    grep -qF -- "$2" "$1" || fail "expected '$2' in $1, got: $(cat "$1")"
}

rm -rf "$work"
mkdir -p "$work"
work=$(readlink -f "$work")

# exits_2 WHAT ERR_FILE COMMAND...: run COMMAND (stdout discarded, stderr to ERR_FILE); it must
# exit 2 (a bad input or config).
exits_2() {
    local what=$1 err=$2 rc=0
    shift 2
    "$@" >/dev/null 2>"$err" || rc=$?
    [[ $rc == 2 ]] || fail "$what: exit $rc, expected 2"
}

# A clean environment: only the given PATH, so that nothing of the build or source tree (or an
# installed /usr/bin/carbonsink) is used by accident.
clean_env() {
    local path=$1
    shift
    env -i PATH="$path:/usr/bin:/bin" HOME="$work" LANG=C.UTF-8 "$@"
}

# The build tree's run of the demo configs (embedded tables): the reference totals.
reference() {
    local demo=$1
    if [[ ! -f $work/ref/$demo/districts.csv ]]; then
        "$build/carbonsink" run "$src/data-samples/$demo.yaml" --output-dir "$work/ref/$demo" \
            --quiet --threads 2 >/dev/null 2>&1 || fail "build-tree run of $demo failed"
    fi
}

# sha256 of input role ROLE in results.h5, and its path.
h5_input() {
    "$py" - "$1" "$2" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
dec = lambda v: [x.decode() if isinstance(x, bytes) else str(x) for x in v]
roles, files, sums = (dec(f.attrs[k]) for k in ("input_roles", "input_files", "input_sha256"))
hits = [(p, s) for r, p, s in zip(roles, files, sums) if r == sys.argv[2]]
print(" ".join(hits[0]) if hits else "none")
PY
}

case $mode in
man)
    command -v groff >/dev/null || skip "groff is not installed (scripts/install_deps.sh)"
    command -v man >/dev/null || skip "man (man-db) is not installed"
    page=$src/docs/carbonsink.1
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [[ -z $warnings ]] || fail "groff warns on $page: $warnings"
    out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>"$work/man.err")
    [[ ! -s $work/man.err ]] || fail "man -l warns on $page: $(cat "$work/man.err")"
    for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES \
        EXAMPLES; do
        grep -q "^$section" <<<"$out" || fail "the rendered man page has no $section section"
    done
    # Every option of `carbonsink run --help` is in the page.
    for opt in $("$build/carbonsink" run --help | grep -o -- '--[a-z-]*' | sort -u); do
        grep -qF -- "$opt" <<<"$out" || fail "the man page does not document $opt"
    done
    echo "ok: man page renders without warnings and documents every run option"
    ;;

prefix)
    prefix=$work/prefix
    cmake --install "$build" --prefix "$prefix" >/dev/null
    for f in bin/carbonsink bin/carbonsink-sample include/carbonsink/carbonsink.hpp \
        lib/libcarbonsink.so lib/cmake/carbonsink/carbonsink-config.cmake \
        lib/cmake/carbonsink/carbonsink-config-version.cmake lib/pkgconfig/carbonsink.pc \
        share/man/man1/carbonsink.1 share/carbonsink/parameters/china_cbef.csv \
        share/carbonsink/parameters/README.md share/carbonsink/crosswalks/clcd.csv \
        share/carbonsink/demo/demo.yaml share/carbonsink/demo/run-demo.sh; do
        [[ -e $prefix/$f ]] || fail "cmake --install did not install $f"
    done
    # The library exports the public API only (namespace carbonsink).
    others=$(nm -D --defined-only "$prefix/lib/libcarbonsink.so" | c++filt |
        awk '{ $1 = ""; $2 = ""; print substr($0, 3) }' |
        grep -v -E '^((typeinfo|typeinfo name|vtable) for )?carbonsink::' || true)
    [[ -z $others ]] || fail "libcarbonsink.so exports more than carbonsink::: $others"

    # (a) The demo from the prefix only, in a temp directory.
    mkdir -p "$work/run"
    cd "$work/run"
    [[ $(clean_env "$prefix/bin" sh -c 'command -v carbonsink') == "$prefix/bin/carbonsink" ]] ||
        fail "carbonsink on PATH is not the installed one"
    version=$(clean_env "$prefix/bin" carbonsink --version)
    grep -qxF "tables: $prefix/share/carbonsink/parameters/*.csv, $prefix/share/carbonsink/crosswalks/*.csv (installed)" <<<"$version" ||
        fail "--version does not name the installed tables: $version"
    models=$(clean_env "$prefix/bin" carbonsink models)
    [[ $(head -1 <<<"$models") == "tables: $prefix/share/carbonsink/parameters/*.csv, $prefix/share/carbonsink/crosswalks/*.csv (installed)" ]] ||
        fail "carbonsink models does not name the installed tables: $(head -1 <<<"$models")"
    # The lookup and inventory demos (the .deb test runs all four with run-demo.sh).
    for demo in demo demo-inventory; do
        clean_env "$prefix/bin" carbonsink run "$prefix/share/carbonsink/demo/$demo.yaml" \
            --output-dir "out/$demo" --quiet --threads 2 >"$demo.log" 2>&1 ||
            fail "$demo from the prefix failed: $(cat "$demo.log")"
        reference "$demo"
        cmp "out/$demo/districts.csv" "$work/ref/$demo/districts.csv" ||
            fail "$demo: districts.csv of the installed run differs from the build tree's"
        for f in results.h5 report.html districts.gpkg stock_2020.tif; do
            [[ -s out/$demo/$f ]] || fail "$demo: no $f"
        done
    done
    [[ ! -e $prefix/share/carbonsink/out ]] || fail "the demo wrote into the installed demo folder"
    # The installed tables are recorded as inputs (path and SHA-256) of the inventory run.
    read -r path sum <<<"$(h5_input out/demo-inventory/results.h5 parameters.ipcc2019_soc_ref)"
    [[ $path == "$prefix/share/carbonsink/parameters/ipcc2019_soc_ref.csv" ]] ||
        fail "results.h5 does not name the installed ipcc2019_soc_ref.csv: $path"
    [[ $sum == "$(sha256sum "$path" | cut -d' ' -f1)" ]] || fail "wrong SHA-256 of $path"
    grep -qF "$path" out/demo-inventory/report.html || fail "report.html does not name $path"
    echo "[${SECONDS} s] ok: demo from the prefix: districts.csv equal to the build tree's, tables named"

    # The run reads the installed file: a copy of the prefix with every SOC_REF doubled. The soil
    # pool of demo-inventory is sum(area x SOC_REF x F_LU x F_MG x F_I) (science.md section 3,
    # IPCC 2019 Vol4 Ch2 Eq. 2.25) for the classes soil.ipcc_tier1 maps, and 0 for water and
    # sealed land (c_soil 0 in pools_split.csv), so it doubles exactly (x2 is exact in binary
    # floating point) and no other pool changes.
    cp -a "$prefix" "$work/prefix2"
    table=$work/prefix2/share/carbonsink/parameters/ipcc2019_soc_ref.csv
    "$py" - "$table" <<'PY'
import csv, io, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
k = rows[0].index("soc_ref_t_c_per_ha")
for r in rows[1:]:
    r[k] = repr(2 * float(r[k]))
out = io.StringIO()
csv.writer(out, lineterminator="\n").writerows(rows)
open(sys.argv[1], "w").write(out.getvalue())
PY
    clean_env "$work/prefix2/bin" carbonsink run "$work/prefix2/share/carbonsink/demo/demo-inventory.yaml" \
        --output-dir out2 --quiet >/dev/null 2>&1 || fail "run with the changed table failed"
    "$py" - out/demo-inventory/results.h5 out2/results.h5 <<'PY' || fail "soil pool did not double"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
pools = [x.decode() if isinstance(x, bytes) else x for x in a["pools/name"][()]]
s = pools.index("soil")
sa, sb = a["stocks/mg_c"][()], b["stocks/mg_c"][()]
assert sa[..., s].sum() > 0, "no soil stock in the demo"
assert np.array_equal(sb[..., s], 2 * sa[..., s]), (sa[..., s], sb[..., s])
other = [p for p in range(len(pools)) if p != s]
assert np.array_equal(sb[..., other], sa[..., other], equal_nan=True)
PY
    read -r path sum <<<"$(h5_input out2/results.h5 parameters.ipcc2019_soc_ref)"
    [[ $path == "$table" && $sum == "$(sha256sum "$table" | cut -d' ' -f1)" ]] ||
        fail "results.h5 of the changed run names $path $sum, not the changed $table"
    grep -qF "$table" out2/report.html || fail "report.html does not name $table"
    # CARBONSINK_DATA overrides: the original prefix's program reads the changed tables.
    clean_env "$prefix/bin" CARBONSINK_DATA="$work/prefix2/share/carbonsink" carbonsink run \
        "$prefix/share/carbonsink/demo/demo-inventory.yaml" --output-dir out3 --quiet >/dev/null 2>&1 ||
        fail "run with CARBONSINK_DATA failed"
    cmp out2/districts.csv out3/districts.csv || fail "CARBONSINK_DATA was not used"
    echo "[${SECONDS} s] ok: the installed table is read: SOC_REF x 2 doubles the soil pool, results.h5 names it"

    # A missing installed table: exit 2, the file named, nothing written.
    rm "$work/prefix2/share/carbonsink/parameters/china_cbef.csv"
    exits_2 "missing table" err4.txt clean_env "$work/prefix2/bin" carbonsink run \
        "$work/prefix2/share/carbonsink/demo/demo-inventory.yaml" --output-dir out4 --quiet
    contains err4.txt "error: invalid model parameters: models.stocks (demo-inventory.yaml, line 17): cannot read parameter table china_cbef: $work/prefix2/share/carbonsink/parameters/china_cbef.csv: file not found; the data directory $work/prefix2/share/carbonsink (installed) is incomplete: reinstall carbonsink"
    [[ ! -e out4/results.h5 ]] || fail "missing table: outputs written"
    # A corrupt installed table (a column renamed): exit 2, the file and line named.
    sed -i '1s/bcef_s/bcef_x/' "$work/prefix2/share/carbonsink/parameters/ipcc_bcef.csv"
    cp "$prefix/share/carbonsink/parameters/china_cbef.csv" "$work/prefix2/share/carbonsink/parameters/"
    exits_2 "corrupt table" err5.txt clean_env "$work/prefix2/bin" carbonsink validate \
        "$work/prefix2/share/carbonsink/demo/demo-inventory.yaml"
    contains err5.txt "error: invalid built-in parameter table: $work/prefix2/share/carbonsink/parameters/ipcc_bcef.csv, line 1:"
    contains err5.txt "bcef_s"
    # A missing installed crosswalk (demo-inventory uses clcd).
    rm "$work/prefix2/share/carbonsink/crosswalks/clcd.csv"
    exits_2 "missing crosswalk" err6.txt clean_env "$prefix/bin" \
        CARBONSINK_DATA="$work/prefix2/share/carbonsink" carbonsink validate \
        "$prefix/share/carbonsink/demo/demo-inventory.yaml"
    contains err6.txt "cannot read crosswalk clcd: $work/prefix2/share/carbonsink/crosswalks/clcd.csv: file not found"
    contains err6.txt "point CARBONSINK_DATA at a directory holding parameters/ and crosswalks/"
    # CARBONSINK_DATA naming no directory.
    exits_2 "bad CARBONSINK_DATA" err7.txt clean_env "$prefix/bin" CARBONSINK_DATA="$work/nowhere" \
        carbonsink validate \
        "$prefix/share/carbonsink/demo/demo-inventory.yaml"
    contains err7.txt "error: invalid model parameters: models.stocks (demo-inventory.yaml, line 17): invalid environment variable CARBONSINK_DATA: $work/nowhere: not a directory; set it to the directory holding the shipped tables"
    echo "[${SECONDS} s] ok: missing and corrupt installed tables and a bad CARBONSINK_DATA are named errors"

    # (b) Consumers: find_package(carbonsink) and pkg-config, each runs the demo.
    reference demo-inventory
    expected=$(awk -F, 'NR > 1 { printf "%s 2015 %s\n%s 2020 %s\n", $1, $4, $1, $5 }' \
        "$work/ref/demo-inventory/districts.csv")
    cmake -S "$src/tests/install_consumer" -B "$work/consumer-cmake" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$prefix" >"$work/consumer-cmake.log" 2>&1 ||
        fail "find_package consumer: configure failed: $(cat "$work/consumer-cmake.log")"
    cmake --build "$work/consumer-cmake" >>"$work/consumer-cmake.log" 2>&1 ||
        fail "find_package consumer: build failed: $(cat "$work/consumer-cmake.log")"
    out=$(clean_env "$prefix/bin" "$work/consumer-cmake/consumer" \
        "$prefix/share/carbonsink/demo/demo-inventory.yaml" c1)
    [[ $(sed 1d <<<"$out") == "$expected" ]] || fail "find_package consumer printed: $out, expected $expected"
    [[ $(head -1 <<<"$out") == "version $(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/carbonsink.pc")" ]] ||
        fail "consumer: library version $(head -1 <<<"$out")"
    # libcarbonsink found its tables relative to itself: results.h5 names the installed file.
    read -r path sum <<<"$(h5_input c1/results.h5 parameters.china_cbef)"
    [[ $path == "$prefix/share/carbonsink/parameters/china_cbef.csv" ]] ||
        fail "consumer run read $path, not the installed china_cbef.csv"
    # The C++ API example (examples/), built standalone against the prefix as its
    # CMakeLists.txt documents: its output on the demo is run_city.expected.
    if [[ -f $src/examples/CMakeLists.txt ]]; then
        cmake -S "$src/examples" -B "$work/examples" -DCMAKE_BUILD_TYPE=Release \
            -DCMAKE_PREFIX_PATH="$prefix" >"$work/examples.log" 2>&1 &&
            cmake --build "$work/examples" >>"$work/examples.log" 2>&1 ||
            fail "examples/ against the prefix: build failed: $(cat "$work/examples.log")"
        clean_env "$prefix/bin" "$work/examples/run_city" "$prefix/share/carbonsink/demo/demo.yaml" \
            c3 >run_city.out || fail "examples/run_city against the prefix failed"
        diff -u "$src/examples/run_city.expected" run_city.out ||
            fail "examples/run_city against the prefix: output differs from run_city.expected"
    fi
    if command -v pkg-config >/dev/null; then
        flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs carbonsink)
        # shellcheck disable=SC2086
        c++ -std=c++17 -O1 "$src/tests/install_consumer/main.cpp" -o "$work/consumer-pc" $flags \
            -Wl,-rpath,"$prefix/lib" || fail "pkg-config consumer: build failed (flags: $flags)"
        out=$(clean_env "$prefix/bin" "$work/consumer-pc" \
            "$prefix/share/carbonsink/demo/demo-inventory.yaml" c2)
        [[ $(sed 1d <<<"$out") == "$expected" ]] || fail "pkg-config consumer printed: $out"
        echo "[${SECONDS} s] ok: consumers built with find_package and with pkg-config ($flags) print the totals"
    else
        echo "ok: find_package consumer prints the totals (pkg-config not installed: not tried)"
    fi
    ;;

deb)
    command -v cpack >/dev/null || skip "cpack is not installed"
    command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
    command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps (dpkg-dev) is not installed"
    cd "$work"
    cpack -G DEB -B "$work/deb" --config "$build/CPackConfig.cmake" >cpack.log 2>&1 ||
        fail "cpack failed: $(cat cpack.log)"
    version=$(sed -n 's/^Version: //p' "$build/packaging/carbonsink.pc")
    deb=$work/deb/carbonsink_${version}_amd64.deb
    [[ -f $deb ]] || fail "no $deb: $(ls "$work/deb")"
    info=$(dpkg-deb -I "$deb")
    for field in "Package: carbonsink" "Version: $version" "Architecture: amd64" \
        "Section: science" "Maintainer: "; do
        grep -qF " $field" <<<"$info" || fail "dpkg-deb -I has no '$field': $info"
    done
    depends=$(sed -n 's/^ Depends: //p' <<<"$info")
    for pkg in libgdal32 libproj25 libhdf5 libyaml-cpp0.7 libssl3 libgomp1 libstdc++6 libc6; do
        grep -q "$pkg" <<<"$depends" || fail "Depends lacks $pkg: $depends"
    done
    dpkg-deb -x "$deb" "$work/root"
    root=$work/root
    for f in usr/bin/carbonsink usr/lib/libcarbonsink.so usr/share/carbonsink/parameters/china_cbef.csv \
        usr/share/man/man1/carbonsink.1 usr/lib/pkgconfig/carbonsink.pc \
        usr/lib/cmake/carbonsink/carbonsink-config.cmake; do
        [[ -e $root/$f ]] || fail "the .deb has no /$f"
    done
    mkdir -p run && cd run
    clean_env "$root/usr/bin" "$root/usr/share/carbonsink/demo/run-demo.sh" out --threads 2 \
        >run-demo.log 2>&1 || fail "run-demo.sh from the unpacked .deb failed: $(cat run-demo.log)"
    for demo in demo demo-inventory demo-seasonal demo-uncertainty; do
        reference "$demo"
        cmp "out/$demo/districts.csv" "$work/ref/$demo/districts.csv" ||
            fail "$demo: districts.csv of the .deb's run differs from the build tree's"
    done
    read -r path sum <<<"$(h5_input out/demo-inventory/results.h5 parameters.china_cbef)"
    [[ $path == "$root/usr/share/carbonsink/parameters/china_cbef.csv" ]] ||
        fail "the .deb's program read $path, not its own china_cbef.csv"
    # With the Python module built (CS_PYTHON), the package holds it, depends on what it needs
    # and the module imported from the unpacked root reads the root's own tables.
    if [[ -f $build/python/carbonsink/__init__.py ]]; then
        for pkg in python3-numpy "python3 (>= 3"; do
            grep -qF "$pkg" <<<"$depends" || fail "Depends lacks $pkg (Python module): $depends"
        done
        site=$root/usr/lib/python3/dist-packages
        [[ -f $site/carbonsink/__init__.py ]] || fail "the .deb has no Python module in $site"
        got=$(cd "$work" && PYTHONPATH="$site" "$py" -c \
            'import carbonsink; print(carbonsink.__version__, len(carbonsink.models()))') ||
            fail "import carbonsink from the unpacked .deb failed"
        [[ $got == "$("$build/carbonsink" --version | sed -n '1s/^carbonsink \([^ ]*\).*/\1/p') "* ]] ||
            fail "the .deb's Python module says '$got'"
        echo "ok: the .deb's Python module imports: version and model count $got"
    fi
    echo "[${SECONDS} s] ok: $(basename "$deb"): Depends: $depends"
    echo "ok: the demo runs from the unpacked .deb (no LD_LIBRARY_PATH, no CARBONSINK_DATA)"
    ;;
*)
    fail "unknown mode $mode (prefix, deb or man)"
    ;;
esac
