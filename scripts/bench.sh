#!/usr/bin/env bash
# Benchmark: time `carbonsink run` against the I/O floor on synthetic N x N two-epoch inputs.
#
# usage: scripts/bench.sh [SIZE] [DISTRICTS] [THREADS]     (defaults 20000 100 2)
# Inputs are generated once into ${BENCH_DIR:-/tmp/carbonsink-bench}/SIZE and reused.
# Exits 0 whatever the PASS/FAIL verdicts (it is a measurement); non-zero when a step fails.
set -euo pipefail

readonly TARGET_RATIO=1.5
readonly TARGET_RSS_MIB=1024
readonly EPOCHS=2

die() {
    echo "error: $*" >&2
    exit 1
}

usage_error() {
    echo "error: invalid argument: $1: $2" >&2
    echo "usage: scripts/bench.sh [SIZE] [DISTRICTS] [THREADS]   (defaults 20000 100 2)" >&2
    exit 2
}

if [[ $# -gt 3 ]]; then
    usage_error "$4" "expected at most 3 arguments"
fi
SIZE=${1:-20000}
DISTRICTS=${2:-100}
THREADS=${3:-2}
for arg in "SIZE=$SIZE" "DISTRICTS=$DISTRICTS" "THREADS=$THREADS"; do
    if [[ ! ${arg#*=} =~ ^[1-9][0-9]*$ ]]; then
        usage_error "${arg%%=*} '${arg#*=}'" "must be a positive integer"
    fi
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== build (Release, build-bench/)"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCS_BUILD_TESTS=OFF >/dev/null ||
    die "cmake configure failed: build-bench: see the output above"
cmake --build build-bench -j2 --target carbonsink carbonsink-sample carbonsink-iofloor ||
    die "build failed: build-bench: see the output above"

if [[ ! -x /usr/bin/time ]]; then
    echo "== installing the Debian 'time' package (for /usr/bin/time -v)"
    SUDO=""
    if [[ $(id -u) -ne 0 ]]; then
        SUDO="sudo"
    fi
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time >/dev/null; }; then
        die "cannot install package time: apt-get: see the output above"
    fi
fi

DIR="${BENCH_DIR:-/tmp/carbonsink-bench}/$SIZE"
CONFIG="$DIR/bench.yaml"
LOGS="$DIR/logs"
# bench.yaml is written last, so its presence (with the right district count) marks a complete
# input set from an earlier run.
if [[ -f $CONFIG ]] && grep -q " $DISTRICTS districts\.\$" "$CONFIG"; then
    echo "== reusing inputs in $DIR"
else
    echo "== generating inputs in $DIR ($SIZE x $SIZE, $DISTRICTS districts)"
    rm -f "$CONFIG"
    build-bench/carbonsink-sample bench --out "$DIR" --size "$SIZE" --districts "$DISTRICTS" ||
        die "input generation failed: $DIR: see the output above"
fi
mkdir -p "$LOGS"

# run_timed NAME OUTPUT_DIR COMMAND...: run COMMAND under /usr/bin/time -v into a fresh
# OUTPUT_DIR; sets WALL_S and RSS_MIB.
run_timed() {
    local name=$1 out=$2
    shift 2
    rm -rf "$out"
    if ! /usr/bin/time -v -o "$LOGS/$name.time" "$@" >"$LOGS/$name.log" 2>&1; then
        tail -n 20 "$LOGS/$name.log" >&2 || true
        die "$name failed: $* : exit status in $LOGS/$name.time, output in $LOGS/$name.log"
    fi
    WALL_S=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
        "$LOGS/$name.time")
    RSS_MIB=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' \
        "$LOGS/$name.time")
    [[ -n $WALL_S && -n $RSS_MIB ]] || die "cannot read timings: $LOGS/$name.time: no output"
}

FLOOR=(build-bench/carbonsink-iofloor "$CONFIG" --threads "$THREADS")
RUN=(build-bench/carbonsink run "$CONFIG" --threads "$THREADS" --quiet)

echo "== warm-up: I/O floor (untimed, fills the page cache)"
run_timed warmup "$DIR/iofloor" "${FLOOR[@]}" --output-dir "$DIR/iofloor"
echo "== I/O floor"
run_timed iofloor "$DIR/iofloor" "${FLOOR[@]}" --output-dir "$DIR/iofloor"
FLOOR_S=$WALL_S
FLOOR_RSS=$RSS_MIB
if [[ -z $(ls -A "$DIR/iofloor" 2>/dev/null) ]]; then
    echo "warning: the I/O floor wrote nothing in $DIR/iofloor: its time is not a real floor" >&2
fi
echo "== pipeline"
run_timed pipeline "$DIR/run" "${RUN[@]}" --output-dir "$DIR/run"
RUN_S=$WALL_S
RUN_RSS=$RSS_MIB
# The same run with pixel-centre district assignment, to measure what exact coverage costs.
CENTRE_CONFIG="$DIR/bench-centre.yaml"
sed 's/^\(  id_field: .*\)$/\1\n  coverage: centre/' "$CONFIG" >"$CENTRE_CONFIG"
grep -q '^  coverage: centre' "$CENTRE_CONFIG" ||
    die "cannot derive the pixel-centre config: $CENTRE_CONFIG: no districts.id_field line"
echo "== pipeline, pixel-centre districts"
run_timed centre "$DIR/run-centre" build-bench/carbonsink run "$CENTRE_CONFIG" \
    --threads "$THREADS" --quiet --output-dir "$DIR/run-centre"
CENTRE_S=$WALL_S
CENTRE_RSS=$RSS_MIB
COVERAGE_LINE=$(grep -o 'coverage index [^;]*' "$LOGS/pipeline.log" | head -n 1 || true)
CENTRE_LINE=$(grep -o 'coverage index [^;]*' "$LOGS/centre.log" | head -n 1 || true)

awk -v n="$SIZE" -v e="$EPOCHS" -v t="$THREADS" -v k="$DISTRICTS" \
    -v fs="$FLOOR_S" -v fr="$FLOOR_RSS" -v rs="$RUN_S" -v rr="$RUN_RSS" \
    -v cs="$CENTRE_S" -v cr="$CENTRE_RSS" \
    -v tr="$TARGET_RATIO" -v tm="$TARGET_RSS_MIB" 'BEGIN {
    mpix = n * n * e / 1e6
    printf "\nbenchmark: %d x %d pixels x %d epochs, %d districts, %d threads\n", n, n, e, k, t
    printf "%-10s %9s %10s %14s\n", "step", "wall s", "Mpixel/s", "peak RSS MiB"
    printf "%-10s %9.2f %10.1f %14.1f\n", "io-floor", fs, (fs > 0 ? mpix / fs : 0), fr
    printf "%-10s %9.2f %10.1f %14.1f\n", "pipeline", rs, (rs > 0 ? mpix / rs : 0), rr
    printf "%-10s %9.2f %10.1f %14.1f\n", "centre", cs, (cs > 0 ? mpix / cs : 0), cr
    ratio = fs > 0 ? rs / fs : 0
    printf "ratio pipeline/floor: %.2f (target <= %.1f): %s\n", ratio, tr,
        (fs > 0 && ratio <= tr ? "PASS" : "FAIL")
    printf "pipeline peak RSS: %.1f MiB (target < %d MiB): %s\n", rr, tm,
        (rr < tm ? "PASS" : "FAIL")
    cov = cs > 0 ? rs / cs : 0
    printf "exact coverage / pixel centre: %.3f (target <= 1.10): %s\n", cov,
        (cs > 0 && cov <= 1.10 ? "PASS" : "FAIL")
}'
echo "exact:  $COVERAGE_LINE"
echo "centre: $CENTRE_LINE"
echo "logs: $LOGS"
