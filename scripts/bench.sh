#!/usr/bin/env bash
# Benchmark: time `carbonsink run` against the I/O floor on synthetic N x N two-epoch inputs.
#
# usage: scripts/bench.sh [--seasonal | --overviews | --uncertainty DRAWS | --peers | --scaling]
#                         [SIZE] [DISTRICTS] [THREADS]   (defaults 20000 100 2)
# Inputs are generated once into ${BENCH_DIR:-/tmp/carbonsink-bench}/SIZE and reused.
# Without a mode: the I/O floor (carbonsink-iofloor, same reads and writes, no model), the run,
# and the run with pixel-centre districts; reports the ratio run / floor (target <= 1.2).
# --seasonal: the plain stock run against the same run with models.nep (CASA over 12 months of
# 2020, six monthly layers: NDVI from the 2020 land cover through a per-class, per-month table,
# and uniform monthly climate, each a VRT over the land cover, so nothing large is generated),
# and the seasonal run's I/O floor (which reads the 72 monthly layers and writes the NEP
# rasters too); reports Mpix-months/s, the ratio seasonal run / its floor and the peak RSS
# (target < 1 GiB).
# --peers: carbonsink against a plain numpy + GDAL implementation of the same totals and
# rasters (scripts/bench_peer_numpy.py: whole arrays, np.take, np.bincount), alternating, 3
# runs each; reports the ratio of the medians (target >= 10).
# --scaling: 1 and 2 threads at SIZE; 1 and 2 MPI ranks x 1 thread at SIZE (when built with
# MPI and mpirun exists); the wall time against raster size for SCALING_SIZES (default
# "5000 10000 20000 40000") at THREADS threads; 2 runs of each (alternating where compared).
# --uncertainty DRAWS: the plain stock run against the same run with a Monte Carlo of DRAWS
# draws (uncertainty: the pools table's documented uncertainties; its densities without one
# declared exact), alternating, 3 runs each; reports the added wall time (target <= 10 %).
# --overviews: the plain stock run (default outputs.overviews: true, every GeoTIFF a COG with
# internal overviews) against the same run with outputs.overviews: false, alternating, 3 runs
# each; reports the added wall time (target < 10 %).
# Exits 0 whatever the PASS/FAIL verdicts (it is a measurement); non-zero when a step fails.
set -euo pipefail

readonly TARGET_RATIO=1.2 # issue 13: pipeline wall <= 1.2 x the I/O floor
readonly TARGET_RSS_MIB=1024
readonly EPOCHS=2

die() {
    echo "error: $*" >&2
    exit 1
}

usage_error() {
    echo "error: invalid argument: $1: $2" >&2
    echo "usage: scripts/bench.sh [--seasonal | --overviews | --uncertainty DRAWS | --peers |" \
        "--scaling] [SIZE] [DISTRICTS] [THREADS]   (defaults 20000 100 2)" >&2
    exit 2
}

SEASONAL=0
UNCERTAINTY_DRAWS=0
OVERVIEWS=0
PEERS=0
SCALING=0
if [[ ${1:-} == --peers ]]; then
    PEERS=1
    shift
elif [[ ${1:-} == --scaling ]]; then
    SCALING=1
    shift
elif [[ ${1:-} == --seasonal ]]; then
    SEASONAL=1
    shift
elif [[ ${1:-} == --overviews ]]; then
    OVERVIEWS=1
    shift
elif [[ ${1:-} == --uncertainty ]]; then
    [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage_error "--uncertainty '${2:-}'" "needs a number of draws"
    UNCERTAINTY_DRAWS=$2
    shift 2
fi
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

# use_inputs N: the inputs of an N x N benchmark, generated on first use; sets DIR, CONFIG and
# LOGS.
use_inputs() {
    DIR="${BENCH_DIR:-/tmp/carbonsink-bench}/$1"
    CONFIG="$DIR/bench.yaml"
    LOGS="$DIR/logs"
    # bench.yaml is written last, so its presence (with the right district count) marks a
    # complete input set from an earlier run.
    if [[ -f $CONFIG ]] && grep -q " $DISTRICTS districts\.\$" "$CONFIG"; then
        echo "== reusing inputs in $DIR"
    else
        echo "== generating inputs in $DIR ($1 x $1, $DISTRICTS districts)"
        rm -f "$CONFIG"
        build-bench/carbonsink-sample bench --out "$DIR" --size "$1" --districts "$DISTRICTS" ||
            die "input generation failed: $DIR: see the output above"
    fi
    mkdir -p "$LOGS"
}
use_inputs "$SIZE"

# median VALUES...: the median of the values (the mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

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

if [[ $SEASONAL -eq 1 ]]; then
    MET="$DIR/met"
    mkdir -p "$MET"
    # A monthly layer as a VRT over the 2020 land cover (Byte, nodata 0): a LUT from class code
    # to value (exact at integer codes), or a uniform value (ScaleRatio 0).
    # write_vrt FILE TYPE NODATA SCALE SOURCE_XML
    write_vrt() {
        cat >"$1" <<VRT
<VRTDataset rasterXSize="$SIZE" rasterYSize="$SIZE">
  <SRS>$(gdalsrsinfo -o wkt1 "$DIR/land_cover_2020.tif" | tr -d '\n' | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g')</SRS>
  <GeoTransform>$(gdalinfo -json "$DIR/land_cover_2020.tif" | python3 -c 'import json,sys; print(", ".join(repr(v) for v in json.load(sys.stdin)["geoTransform"]))')</GeoTransform>
  <VRTRasterBand dataType="$2" band="1">
    <NoDataValue>$3</NoDataValue>
    <Scale>$4</Scale>
    <ComplexSource>
      <SourceFilename relativeToVRT="0">$DIR/land_cover_2020.tif</SourceFilename>
      <SourceBand>1</SourceBand>
      <NODATA>0</NODATA>
      $5
    </ComplexSource>
  </VRTRasterBand>
</VRTDataset>
VRT
    }
    # NDVI x 10000 per month: cropland, forest, grassland, water, impervious (made-up curves
    # of a cool temperate monsoon climate; only forest and grassland get a CASA type).
    NDVI_CROP=(1200 1300 1800 3000 5000 7000 7800 7500 5500 3000 1500 1200)
    NDVI_FOREST=(2500 2600 3200 4800 6800 8200 8600 8400 7200 5000 3200 2600)
    NDVI_GRASS=(1800 1900 2300 3500 5200 6500 7000 6800 5600 3600 2300 1900)
    TEMP=(-12 -8 1 10 17 22 25 24 18 10 0 -8)
    PREC=(5 8 15 35 60 90 160 150 70 35 15 8)
    SOL=(250 320 450 520 600 610 580 540 450 350 250 210)
    ET=(3 5 15 35 65 95 120 110 70 35 10 4)
    PET=(10 15 35 70 110 135 145 130 90 55 25 12)
    for m in $(seq 1 12); do
        mm=$(printf "%02d" "$m")
        i=$((m - 1))
        write_vrt "$MET/ndvi_2020$mm.vrt" Int16 -32768 0.0001 \
            "<LUT>1:${NDVI_CROP[$i]},2:${NDVI_FOREST[$i]},3:${NDVI_FOREST[$i]},4:${NDVI_GRASS[$i]},5:-1000,6:-1000,7:500,8:500,9:500</LUT>"
        for name in tmean prec sol et pet; do
            case $name in
                tmean) value=${TEMP[$i]} ;;
                prec) value=${PREC[$i]} ;;
                sol) value=${SOL[$i]} ;;
                et) value=${ET[$i]} ;;
                pet) value=${PET[$i]} ;;
            esac
            write_vrt "$MET/${name}_2020$mm.vrt" Float32 -9999 1 \
                "<ScaleOffset>$value</ScaleOffset><ScaleRatio>0</ScaleRatio>"
        done
    done
    printf 'lucode,casa_type\n2,evergreen_needleleaf_forest\n4,grassland\n' >"$DIR/casa_types.csv"
    SEASONAL_CONFIG="$DIR/bench-seasonal.yaml"
    # Twelve months of six layers are held per block: smaller blocks keep a thread's buffers
    # near 160 MiB (configs/README.md, processing.block_cells).
    sed -e 's/^name: \(.*\)$/name: \1-seasonal/' "$CONFIG" | sed '/^models:$/,$d' >"$SEASONAL_CONFIG"
    cat >>"$SEASONAL_CONFIG" <<YAML
models:
  stocks:
    method: lookup
    table: pools.csv
  sink:
    method: stock_difference
  nep:
    method: casa
    months: [2020-01, 2020-12]
    vegetation: casa_types.csv
    layers:
      ndvi: met/ndvi_{yyyy}{mm}.vrt
      temperature_c: met/tmean_{yyyy}{mm}.vrt
      precipitation_mm: met/prec_{yyyy}{mm}.vrt
      solar_mj_per_m2: met/sol_{yyyy}{mm}.vrt
      et_mm: met/et_{yyyy}{mm}.vrt
      pet_mm: met/pet_{yyyy}{mm}.vrt
processing:
  block_cells: 262144
YAML
    echo "== warm-up: seasonal I/O floor (untimed, fills the page cache)"
    run_timed warmup-seasonal "$DIR/iofloor-seasonal" build-bench/carbonsink-iofloor \
        "$SEASONAL_CONFIG" --threads "$THREADS" --output-dir "$DIR/iofloor-seasonal"
    FLOOR_RUNS=()
    SEASONAL_RUNS=()
    for i in 1 2; do
        echo "== seasonal I/O floor, run $i (reads the 72 monthly layers, writes the NEP rasters)"
        run_timed "iofloor-seasonal$i" "$DIR/iofloor-seasonal" build-bench/carbonsink-iofloor \
            "$SEASONAL_CONFIG" --threads "$THREADS" --output-dir "$DIR/iofloor-seasonal"
        FLOOR_RUNS+=("$WALL_S")
        echo "== pipeline with models.nep (12 months x 6 layers), run $i"
        run_timed "seasonal$i" "$DIR/run-seasonal" build-bench/carbonsink run "$SEASONAL_CONFIG" \
            --threads "$THREADS" --quiet --output-dir "$DIR/run-seasonal"
        SEASONAL_RUNS+=("$WALL_S")
        S_RSS=$RSS_MIB
    done
    echo "== pipeline (stocks only)"
    run_timed pipeline "$DIR/run" build-bench/carbonsink run "$CONFIG" --threads "$THREADS" \
        --quiet --output-dir "$DIR/run"
    PLAIN_S=$WALL_S
    PLAIN_RSS=$RSS_MIB
    F_MIN=$(printf '%s\n' "${FLOOR_RUNS[@]}" | sort -g | head -n 1)
    S_MIN=$(printf '%s\n' "${SEASONAL_RUNS[@]}" | sort -g | head -n 1)
    awk -v n="$SIZE" -v t="$THREADS" -v k="$DISTRICTS" -v ps="$PLAIN_S" -v pr="$PLAIN_RSS" \
        -v fl="${FLOOR_RUNS[*]}" -v se="${SEASONAL_RUNS[*]}" -v fm="$F_MIN" -v sm="$S_MIN" \
        -v sr="$S_RSS" -v tm="$TARGET_RSS_MIB" -v tr="$TARGET_RATIO" 'BEGIN {
        printf "\nseasonal benchmark: %d x %d pixels, 2 epochs + 12 months x 6 layers, %d districts, %d threads\n", n, n, k, t
        printf "stocks only:    wall s %.2f, peak RSS %.1f MiB\n", ps, pr
        printf "seasonal floor: wall s %s (best %.2f)\n", fl, fm
        printf "seasonal run:   wall s %s (best %.2f), %.1f Mpix-months/s, peak RSS %.1f MiB\n", se, sm, (sm > 0 ? n * n * 12 / 1e6 / sm : 0), sr
        ratio = fm > 0 ? sm / fm : 0
        printf "ratio seasonal run/floor (best of each): %.2f (target <= %.1f): %s\n", ratio, tr, (fm > 0 && ratio <= tr ? "PASS" : "FAIL")
        printf "seasonal / stocks wall time: %.2f\n", (ps > 0 ? sm / ps : 0)
        printf "seasonal peak RSS: %.1f MiB (target < %d MiB): %s\n", sr, tm, (sr < tm ? "PASS" : "FAIL")
    }'
    echo "logs: $LOGS"
    exit 0
fi

if [[ $OVERVIEWS -eq 1 ]]; then
    NO_OVR_CONFIG="$DIR/bench-no-overviews.yaml"
    grep -q '^outputs:' "$CONFIG" && die "cannot derive $NO_OVR_CONFIG: $CONFIG has outputs: already"
    {
        sed 's/^name: \(.*\)$/name: \1-no-overviews/' "$CONFIG"
        printf 'outputs:\n  overviews: false\n'
    } >"$NO_OVR_CONFIG"
    echo "== warm-up (untimed)"
    run_timed warmup "$DIR/run" build-bench/carbonsink run "$CONFIG" --threads "$THREADS" \
        --quiet --output-dir "$DIR/run"
    WITHOUT=()
    WITH=()
    for i in 1 2 3; do
        echo "== pipeline without overviews, run $i"
        run_timed "no-overviews$i" "$DIR/run-no-overviews" build-bench/carbonsink run \
            "$NO_OVR_CONFIG" --threads "$THREADS" --quiet --output-dir "$DIR/run-no-overviews"
        WITHOUT+=("$WALL_S")
        echo "== pipeline with overviews, run $i"
        run_timed "overviews$i" "$DIR/run" build-bench/carbonsink run "$CONFIG" \
            --threads "$THREADS" --quiet --output-dir "$DIR/run"
        WITH+=("$WALL_S")
        O_RSS=$RSS_MIB
    done
    N_MED=$(median "${WITHOUT[@]}")
    O_MED=$(median "${WITH[@]}")
    awk -v n="$SIZE" -v t="$THREADS" -v k="$DISTRICTS" -v p="${WITHOUT[*]}" -v u="${WITH[*]}" \
        -v pm="$N_MED" -v um="$O_MED" -v r="$O_RSS" 'BEGIN {
        printf "\noverview benchmark: %d x %d pixels x 2 epochs, %d districts, %d threads\n", n, n, k, t
        printf "without overviews: wall s %s (median %.2f)\n", p, pm
        printf "with overviews:    wall s %s (median %.2f), peak RSS %.1f MiB\n", u, um, r
        added = pm > 0 ? (um / pm - 1) * 100 : 0
        printf "added wall time (medians): %.1f %% (target < 10 %%): %s\n", added, (added < 10 ? "PASS" : "FAIL")
    }'
    echo "logs: $LOGS"
    exit 0
fi

if [[ $UNCERTAINTY_DRAWS -gt 0 ]]; then
    U_CONFIG="$DIR/bench-uncertainty-$UNCERTAINTY_DRAWS.yaml"
    # The densities the table gives no uncertainty are declared exact (their draws are the
    # value): the propagation still evaluates every term of every district.
    EXACT=$(python3 - "$DIR/pools.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
names = []
for r in rows:
    for col in ("c_above", "c_below", "c_soil", "c_dead"):
        if col in r and not (r.get(col + "_sd") or r.get(col + "_u_pct")):
            names.append('"pools.csv:%s[%s]"' % (col, r["lucode"]))
print(", ".join(names))
PY
    ) || die "cannot read $DIR/pools.csv"
    {
        sed 's/^name: \(.*\)$/name: \1-uncertainty/' "$CONFIG"
        printf 'uncertainty:\n  draws: %d\n  seed: 1\n  assume_exact: [%s]\n' \
            "$UNCERTAINTY_DRAWS" "$EXACT"
    } >"$U_CONFIG"
    echo "== warm-up (untimed)"
    run_timed warmup "$DIR/run" build-bench/carbonsink run "$CONFIG" --threads "$THREADS" \
        --quiet --output-dir "$DIR/run"
    PLAIN=()
    WITH=()
    for i in 1 2 3; do
        echo "== pipeline, run $i"
        run_timed "plain$i" "$DIR/run" build-bench/carbonsink run "$CONFIG" \
            --threads "$THREADS" --quiet --output-dir "$DIR/run"
        PLAIN+=("$WALL_S")
        echo "== pipeline with uncertainty ($UNCERTAINTY_DRAWS draws), run $i"
        run_timed "uncertainty$i" "$DIR/run-uncertainty" build-bench/carbonsink run \
            "$U_CONFIG" --threads "$THREADS" --quiet --output-dir "$DIR/run-uncertainty"
        WITH+=("$WALL_S")
        U_RSS=$RSS_MIB
    done
    P_MED=$(median "${PLAIN[@]}")
    U_MED=$(median "${WITH[@]}")
    awk -v n="$SIZE" -v t="$THREADS" -v k="$DISTRICTS" -v d="$UNCERTAINTY_DRAWS" \
        -v p="${PLAIN[*]}" -v u="${WITH[*]}" -v pm="$P_MED" -v um="$U_MED" -v r="$U_RSS" 'BEGIN {
        printf "\nuncertainty benchmark: %d x %d pixels x 2 epochs, %d districts, %d threads, %d draws\n", n, n, k, t, d
        printf "plain:       wall s %s (median %.2f)\n", p, pm
        printf "uncertainty: wall s %s (median %.2f), peak RSS %.1f MiB\n", u, um, r
        added = pm > 0 ? (um / pm - 1) * 100 : 0
        printf "added wall time (medians): %.1f %% (target <= 10 %%): %s\n", added, (added <= 10 ? "PASS" : "FAIL")
    }'
    echo "logs: $LOGS"
    exit 0
fi

if [[ $PEERS -eq 1 ]]; then
    readonly TARGET_PEER_RATIO=10
    # Debian's Python, which has python3-gdal (a python3 earlier in PATH may not).
    PY=${PYTHON:-/usr/bin/python3}
    [[ -x $PY ]] || PY=python3
    "$PY" -c 'import numpy, osgeo.gdal' 2>/dev/null ||
        die "the peer needs numpy and GDAL's Python bindings: apt-get install python3-numpy python3-gdal"
    echo "== warm-up: carbonsink (untimed, fills the page cache)"
    run_timed warmup "$DIR/run" build-bench/carbonsink run "$CONFIG" --threads "$THREADS" \
        --quiet --output-dir "$DIR/run"
    OURS=()
    PEER=()
    for i in 1 2 3; do
        echo "== carbonsink, run $i"
        run_timed "carbonsink$i" "$DIR/run" build-bench/carbonsink run "$CONFIG" \
            --threads "$THREADS" --quiet --output-dir "$DIR/run"
        OURS+=("$WALL_S")
        O_RSS=$RSS_MIB
        echo "== numpy + GDAL peer, run $i"
        run_timed "peer$i" "$DIR/peer" "$PY" scripts/bench_peer_numpy.py "$DIR" "$DIR/peer" \
            "$THREADS"
        PEER+=("$WALL_S")
        P_RSS=$RSS_MIB
    done
    cat "$LOGS/peer3.log"
    awk -v n="$SIZE" -v t="$THREADS" -v k="$DISTRICTS" -v o="${OURS[*]}" -v p="${PEER[*]}" \
        -v om="$(median "${OURS[@]}")" -v pm="$(median "${PEER[@]}")" -v orr="$O_RSS" \
        -v prr="$P_RSS" -v tr="$TARGET_PEER_RATIO" 'BEGIN {
        printf "\npeers benchmark: %d x %d pixels x 2 epochs, %d districts, %d threads\n", n, n, k, t
        printf "carbonsink:      wall s %s (median %.2f), peak RSS %.1f MiB\n", o, om, orr
        printf "numpy + GDAL:    wall s %s (median %.2f), peak RSS %.1f MiB\n", p, pm, prr
        ratio = om > 0 ? pm / om : 0
        printf "peer / carbonsink (medians): %.2f (target >= %d): %s\n", ratio, tr, (ratio >= tr ? "PASS" : "FAIL")
    }'
    echo "logs: $LOGS"
    exit 0
fi

if [[ $SCALING -eq 1 ]]; then
    SIZES=${SCALING_SIZES:-5000 10000 20000 40000}
    RESULTS="$LOGS/scaling.txt"
    : >"$RESULTS"
    # record LABEL PIXELS CORES: append the last timed run to the results table.
    record() {
        echo "$1 $2 $3 $WALL_S $RSS_MIB" >>"$RESULTS"
    }
    echo "== warm-up (untimed)"
    run_timed warmup "$DIR/run" build-bench/carbonsink run "$CONFIG" --threads "$THREADS" \
        --quiet --output-dir "$DIR/run"
    PX=$((SIZE * SIZE * EPOCHS))
    for i in 1 2; do
        for t in 1 2; do
            echo "== $SIZE px, $t thread(s), run $i"
            run_timed "threads$t-$i" "$DIR/run" build-bench/carbonsink run "$CONFIG" \
                --threads "$t" --quiet --output-dir "$DIR/run"
            record "threads=$t" "$PX" "$t"
        done
    done
    if build-bench/carbonsink --version | grep -q "(MPI:" && command -v mpirun >/dev/null; then
        MPI=(mpirun --oversubscribe --allow-run-as-root --bind-to none)
        for i in 1 2; do
            for r in 1 2; do
                echo "== $SIZE px, $r MPI rank(s) x 1 thread, run $i"
                run_timed "ranks$r-$i" "$DIR/run" "${MPI[@]}" -n "$r" build-bench/carbonsink run \
                    "$CONFIG" --threads 1 --quiet --output-dir "$DIR/run"
                record "ranks=${r}x1" "$PX" "$r"
            done
        done
    else
        echo "== MPI: skipped (carbonsink built without MPI, or no mpirun)"
    fi
    for n in $SIZES; do
        use_inputs "$n"
        for i in 1 2; do
            echo "== size $n, $THREADS threads, run $i"
            run_timed "size$n-$i" "$DIR/run" build-bench/carbonsink run "$CONFIG" \
                --threads "$THREADS" --quiet --output-dir "$DIR/run"
            record "size=$n" "$((n * n * EPOCHS))" "$THREADS"
        done
        rm -rf "$DIR/run"
    done
    echo
    echo "scaling: $DISTRICTS districts, 2 epochs; 2 runs each (wall s: run 1, run 2)"
    awk '{
        k = $1; if (!(k in n)) { order[++m] = k; px[k] = $2; cores[k] = $3 }
        n[k]++; w[k] = w[k] (n[k] > 1 ? ", " : "") sprintf("%.2f", $4); s[k] += $4
        if ($5 > r[k]) r[k] = $5
    } END {
        printf "%-16s %10s %18s %9s %14s %14s\n", "case", "Mpixel", "wall s", "Mpixel/s", "Mpix/s/core", "peak RSS MiB"
        for (i = 1; i <= m; i++) {
            k = order[i]; mean = s[k] / n[k]
            printf "%-16s %10.1f %18s %9.1f %14.1f %14.1f\n", k, px[k] / 1e6, w[k], px[k] / 1e6 / mean, px[k] / 1e6 / mean / cores[k], r[k]
        }
    }' "$RESULTS"
    echo "logs: $LOGS (each size has its own logs folder)"
    exit 0
fi

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
