#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz) with clang++ and run each for a bounded time.
#
# usage: scripts/fuzz.sh [SECONDS]          (default 60 seconds per target)
#        scripts/fuzz.sh --reproduce TARGET FILE   (run one input again, e.g. a crash-* file)
#
# Targets: fuzz_config (pipeline/config.cpp, YAML) and fuzz_tables (the CSV and table parsers of
# models/). Both are built with -fsanitize=fuzzer,address,undefined in build-fuzz/ (only the
# parser libraries; no GDAL, HDF5 or OpenMP). Each run starts from a fresh copy of
# tests/fuzz/corpus/<name>/ in build-fuzz/run/ (the seeds stay untouched), with leak detection
# on, a 10 s per-input timeout and a 2 GiB RSS limit. Any crash, leak, timeout, out-of-memory or
# sanitizer report fails the script and prints the reproducer's path; add a fixed reproducer to
# the seed corpus as a regression seed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build="build-fuzz"
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

configure_and_build() {
    cmake -S . -B "$build" -DCS_FUZZ=ON -DCMAKE_BUILD_TYPE=Release -DCS_WERROR=ON -DCS_MPI=OFF \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
    cmake --build "$build" -j"$(nproc)"
}

if [[ ${1:-} == "--reproduce" ]]; then
    [[ $# -eq 3 ]] || { echo "usage: scripts/fuzz.sh --reproduce TARGET FILE" >&2; exit 2; }
    configure_and_build
    exec "$build/tests/fuzz/$2" -timeout=10 -rss_limit_mb=2048 "$3"
fi

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -lt 1 ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS]" >&2
    exit 2
fi

configure_and_build

failed=0
for name in config tables; do
    target="fuzz_$name"
    work="$build/run/$name"
    artifacts="$build/artifacts/$name"
    rm -rf "$work" "$artifacts"
    mkdir -p "$work" "$artifacts"
    cp tests/fuzz/corpus/"$name"/* "$work"/
    log="$build/$target.log"
    echo "fuzz: $target for ${seconds} s (seeds tests/fuzz/corpus/$name, log $log)"
    status=0
    "$build/tests/fuzz/$target" "$work" \
        -dict="tests/fuzz/$name.dict" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -detect_leaks=1 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done )' "$log" | sed 's/^/  /' || true
    mapfile -t found < <(find "$artifacts" -type f | sort)
    if [[ $status -ne 0 || ${#found[@]} -gt 0 ]]; then
        failed=1
        echo "fuzz: $target FAILED (exit $status); report:" >&2
        grep -E -m 20 'ERROR: |SUMMARY: |runtime error: |==[0-9]+==|deadly signal|Test unit written' \
            "$log" >&2 || tail -n 40 "$log" >&2
        for f in "${found[@]}"; do
            echo "fuzz: reproducer: $f  (scripts/fuzz.sh --reproduce $target $f)" >&2
        done
    else
        echo "fuzz: $target ok"
    fi
done
exit $failed
