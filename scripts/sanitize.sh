#!/usr/bin/env bash
# Build and run the tests under sanitizers.
#
# usage: scripts/sanitize.sh [asan|tsan|all]      (default all)
#
# asan: the whole suite in build-asan/ with GCC, -DCS_SANITIZE=ON: AddressSanitizer and
#       UndefinedBehaviorSanitizer with -fno-sanitize-recover=undefined, so any UB report fails its
#       test. Leak checking is on (LeakSanitizer, also in the carbonsink processes the
#       integration tests start) with no suppressions: GDAL's, PROJ's and HDF5's global caches
#       stay reachable at exit, so LSan does not report them.
# tsan: ThreadSanitizer in build-tsan/ with clang++ and LLVM's libomp (-DCS_SANITIZE=thread).
#       GCC's libgomp is not built for TSan, whose reports then include OpenMP's own barriers;
#       libomp with its OMPT tool libarcher (loaded through OMP_TOOL_LIBRARIES) tells TSan about
#       OpenMP's synchronisation instead. tests/sanitizers/tsan.supp ignores only libomp's own
#       pthread calls and a lock-order report inside GDAL's driver registration. Only the tests
#       of the parallel runner and the OrderedQueue are built and run, with 1 to 4 threads (see
#       TSAN_TESTS below).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

what=${1:-all}
case $what in
asan | tsan | all) ;;
*)
    echo "usage: scripts/sanitize.sh [asan|tsan|all]" >&2
    exit 2
    ;;
esac
jobs=$(nproc)
# Both builds without MPI (-DCS_MPI=OFF): Open MPI's own allocations at MPI_Init/Finalize are
# reported by LeakSanitizer and its progress threads by ThreadSanitizer, which would drown ours;
# the MPI runner is tested by the ctest mpi_run of the normal build (scripts/test.sh).
supp="$PWD/tests/sanitizers"

run_asan() {
    echo "sanitize: ASan+UBSan build (build-asan)"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCS_BUILD_TESTS=ON -DCS_WERROR=ON \
        -DCS_SANITIZE=ON -DCS_MPI=OFF >/dev/null
    cmake --build build-asan -j"$jobs"
    echo "sanitize: ASan+UBSan ctest"
    (
        cd build-asan
        export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_string_checks=1"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
        # The >2^31-pixel run (label "size") takes about a minute optimised and far longer under
        # ASan; its code paths are the ones every other test runs.
        ctest --output-on-failure -j"$jobs" -LE size
    )
}

# The tests of the parallel runner (OpenMP block loop, ordered district merge and writes) and of
# OrderedQueue: every multi-threaded run of test_integration (--threads 2 and 3, byte-identical
# against --threads 1; the default thread count is the number of cores) and the pipeline tests.
TSAN_TESTS='^(OrderedQueue|DistrictTotals|Integration|Errors|Faults|Chain|NepPipeline|UncertaintyPipeline|UncertaintyErrors)\.'

run_tsan() {
    echo "sanitize: ThreadSanitizer build (build-tsan, clang++ and libomp)"
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DCS_BUILD_TESTS=ON -DCS_WERROR=ON \
        -DCS_SANITIZE=thread -DCS_MPI=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        >/dev/null
    cmake --build build-tsan -j"$jobs" --target carbonsink carbonsink-sample \
        test_pipeline test_integration test_faults test_chain test_nep_pipeline
    echo "sanitize: ThreadSanitizer ctest -R '$TSAN_TESTS'"
    (
        cd build-tsan
        export OMP_TOOL_LIBRARIES
        OMP_TOOL_LIBRARIES="$(dirname "$(readlink -f "$(command -v clang++)")")/../lib/libarcher.so"
        if [[ ! -f $OMP_TOOL_LIBRARIES ]]; then
            echo "sanitize: libarcher.so not found (Debian package libomp-14-dev)" >&2
            exit 1
        fi
        export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
        export ARCHER_OPTIONS="verbose=0"
        ctest --output-on-failure -j"$jobs" -R "$TSAN_TESTS"
    )
}

if [[ $what == asan || $what == all ]]; then
    run_asan
fi
if [[ $what == tsan || $what == all ]]; then
    run_tsan
fi
