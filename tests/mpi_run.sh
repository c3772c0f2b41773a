#!/usr/bin/env bash
# MPI runs on loopback (README "Many machines"): every output of `mpirun -n N carbonsink run`
# is byte-identical to a one-process run of the same config (N = 2, 3; --threads 1, 2), a rank
# killed mid-run then `--resume` gives the same bytes, a bad input is reported once with exit 2
# on every rank, and --version names the MPI library.
#
# usage: tests/mpi_run.sh CARBONSINK SOURCE_DIR CS_MPI(ON|OFF)
# Exits 77 (skipped) when mpirun is absent or carbonsink is built without MPI.
set -euo pipefail
exe="$(realpath "${1:?usage: tests/mpi_run.sh CARBONSINK SOURCE_DIR CS_MPI}")"
root="$(realpath "${2:?}")"
built_with_mpi="${3:?}"
if [[ "$built_with_mpi" != ON ]]; then
    echo "mpi_run: carbonsink is built without MPI (CS_MPI=OFF): skipped"
    exit 77
fi
if ! command -v mpirun >/dev/null; then
    echo "mpi_run: mpirun not found (apt-get install openmpi-bin): skipped"
    exit 77
fi
stage="$(mktemp -d "${TMPDIR:-/tmp}/carbonsink-mpi.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
export SOURCE_DATE_EPOCH=1700000000 # provenance times, as scripts/golden.sh
export GDAL_NUM_THREADS=1
mpi=(mpirun --oversubscribe --allow-run-as-root -x SOURCE_DATE_EPOCH -x GDAL_NUM_THREADS)
fail() {
    echo "mpi_run: FAIL: $*" >&2
    exit 1
}

# ---- --version: names the MPI library, the version mpirun itself reports ---------------------
version="$("$exe" --version | head -n 1)" # line 2 names the tables
lib="$(mpirun --version | sed -n 's/.*(Open MPI) \([0-9.]*\).*/\1/p' | head -1)"
[[ -n "$lib" ]] || fail "cannot read the Open MPI version from mpirun --version"
[[ "$version" == "carbonsink "*" (MPI: Open MPI v$lib)" ]] ||
    fail "--version says '$version', expected 'carbonsink <v> (MPI: Open MPI v$lib)'"
echo "ok: --version: $version"

# ---- Inputs: the sample city with small blocks (many blocks to hand out) ---------------------
cp -r "$root"/data-samples/* "$stage/"
cd "$stage"
# demo-big: the demo's land cover at 4 x 4 times the pixels (2400 x 2000 px), 80 blocks of one
# 256 px tile each; demo-seasonal: month rasters and stages with usage counters, 6 blocks.
for y in 2015 2020; do
    gdal_translate -q -r nearest -outsize 400% 400% -co COMPRESS=DEFLATE -co TILED=YES \
        "land_cover_$y.tif" "big_$y.tif"
done
sed 's|land_cover_\(20[0-9][0-9]\).tif|big_\1.tif|' demo.yaml >demo-big.yaml
for s in demo-big demo-seasonal; do
    printf '\nprocessing:\n  block_cells: 65536\n' >>"$s.yaml"
done
# outputs compared: every file but .carbonsink-manifest (file modification times, bookkeeping;
# scripts/golden.sh leaves it out too)
same() { diff -r --exclude=.carbonsink-manifest "$1" "$2" >/dev/null; }
warnings() { grep '^warning:' "$1" | sed "s|$stage/[a-z0-9/-]*||g" || true; }

# results.h5 records the output folder: every run writes to $stage/o/x, then is moved aside.
for s in demo-big demo-seasonal; do
    rm -rf "$stage/o" && mkdir -p "$stage/o"
    "$exe" run "$s.yaml" --quiet --threads 1 --output-dir "$stage/o/x" >/dev/null \
        2>"$stage/ref-$s.err" || fail "one-process run of $s failed: $(cat "$stage/ref-$s.err")"
    mv "$stage/o/x" "$stage/ref-$s"
    blocks="$(sed -n 's/.*, \([0-9]*\) blocks,.*/\1/p' "$stage/ref-$s.err" | head -1)"
    [[ "${blocks:-0}" -ge 6 ]] || fail "$s: expected several blocks, prepare said: $blocks"
    for n in 2 3; do
        for t in 1 2; do
            out="$stage/out-$s-$n-$t"
            "${mpi[@]}" -n "$n" "$exe" run "$s.yaml" --quiet --threads "$t" \
                --output-dir "$stage/o/x" >"$out.log" 2>"$out.err" ||
                fail "$s with $n ranks x $t threads exited $?: $(cat "$out.err")"
            mv "$stage/o/x" "$out"
            same "$stage/ref-$s" "$out" ||
                fail "$s: $n ranks x $t threads: outputs differ from one process: $(diff -rq --exclude=.carbonsink-manifest "$stage/ref-$s" "$out" | head -5)"
            # the warnings (unverified parameters used: counted on the workers) are the same
            [[ "$(warnings "$out.err")" == "$(warnings "$stage/ref-$s.err")" ]] ||
                fail "$s: $n ranks x $t threads: warnings differ from one process"
            [[ -n "$(warnings "$out.err")" ]] || fail "$s: no warning to compare"
            echo "ok: $s ($blocks blocks): $n ranks x $t threads: every output byte-identical"
        done
    done
done

# ---- A rank killed mid-run, then --resume ----------------------------------------------------
# Two kills: a worker (rank 2) after sending 4 blocks, and the writer (rank 0) by SIGKILL after 4
# checkpointed blocks. How many blocks the other ranks finish before mpirun ends the job after a
# worker's death depends on timing (with rank 0 computing too, all 80 may be done), so only the
# writer's kill can assert that --resume replays some but not all blocks.
kill_then_resume() { # FAILPOINT STRICT
    rm -rf "$stage/o" && mkdir -p "$stage/o"
    set +e
    CARBONSINK_FAILPOINT="$1" "${mpi[@]}" -x CARBONSINK_FAILPOINT -n 3 \
        "$exe" run demo-big.yaml --quiet --threads 1 --output-dir "$stage/o/x" >"$stage/kill.log" \
        2>"$stage/kill.err"
    rc=$?
    set -e
    [[ $rc -ne 0 ]] || fail "$1: the run with a killed rank exited 0"
    [[ -f "$stage/o/x/.carbonsink-checkpoint" ]] || fail "$1: no checkpoint log after the killed run"
    "${mpi[@]}" -n 3 "$exe" run demo-big.yaml --quiet --threads 1 --output-dir "$stage/o/x" \
        --resume >"$stage/resume.log" 2>"$stage/resume.err" ||
        fail "$1: --resume exited $?: $(cat "$stage/resume.err")"
    kept="$(sed -n 's/^resume: \([0-9]*\) of \([0-9]*\) blocks.*/\1/p' "$stage/resume.err")"
    total="$(sed -n 's/^resume: \([0-9]*\) of \([0-9]*\) blocks.*/\2/p' "$stage/resume.err")"
    [[ -n "$kept" && "$kept" -ge 1 && "$kept" -le "$total" ]] ||
        fail "$1: --resume kept no block: $(grep resume "$stage/resume.err")"
    if [[ $2 == strict ]]; then
        [[ "$kept" -lt "$total" ]] ||
            fail "$1: --resume should replay some but not all blocks: $(grep resume "$stage/resume.err")"
    fi
    [[ ! -e "$stage/o/x/.carbonsink-checkpoint" ]] || fail "$1: checkpoint left after the resumed run"
    same "$stage/ref-demo-big" "$stage/o/x" ||
        fail "$1: outputs after kill + --resume differ from one process"
    echo "ok: $1: killed (exit $rc), --resume kept $kept of $total blocks: outputs byte-identical"
}
kill_then_resume mpi_worker_kill_after_blocks:4 loose
kill_then_resume kill_after_blocks:4 strict

# ---- Bad input: reported once, exit 2 on every rank ------------------------------------------
# (a) found by prepare: a land-cover file that does not exist
sed 's|land_cover_2020.tif|missing_2020.tif|' demo.yaml >bad-prepare.yaml
# (b) found while computing: pools table without grassland (code 4), which the rasters hold
grep -v '^4,grassland' pools.csv >pools-no4.csv
sed 's|table: pools.csv|table: pools-no4.csv|' demo.yaml >bad-compute.yaml
for bad in bad-prepare bad-compute; do
    rm -rf "$stage/rc" && mkdir "$stage/rc"
    "$exe" run "$bad.yaml" --quiet --output-dir "$stage/o/$bad-1" >/dev/null 2>"$stage/$bad-1.err" &&
        fail "$bad: the one-process run exited 0"
    msg="$(grep '^error:' "$stage/$bad-1.err" | head -1)"
    [[ -n "$msg" ]] || fail "$bad: the one-process run printed no error"
    # each rank records its own exit code
    # shellcheck disable=SC2016 # expanded by the inner sh, per rank
    "${mpi[@]}" -n 3 sh -c '"$0" run "$1" --quiet --output-dir "$2"; echo $? >"$3/$OMPI_COMM_WORLD_RANK"' \
        "$exe" "$bad.yaml" "$stage/o/$bad-3" "$stage/rc" >/dev/null 2>"$stage/$bad-3.err" || true
    for r in 0 1 2; do
        [[ "$(cat "$stage/rc/$r" 2>/dev/null)" == 2 ]] ||
            fail "$bad: rank $r exited $(cat "$stage/rc/$r" 2>/dev/null || echo '(none)'), expected 2"
    done
    [[ "$(grep -cxF -- "$msg" "$stage/$bad-3.err")" -eq 1 ]] ||
        fail "$bad: the message must appear once in the job's stderr: $(cat "$stage/$bad-3.err")"
    [[ "$(grep -c '^error:' "$stage/$bad-3.err")" -eq "$(grep -c '^error:' "$stage/$bad-1.err")" ]] ||
        fail "$bad: the job printed other errors than one process: $(cat "$stage/$bad-3.err")"
    echo "ok: $bad: reported once ($msg), exit 2 on ranks 0, 1, 2"
done
echo "mpi_run: all checks passed"
