"""Peak memory of a run with more threads than cores (issue 13, item 3).

usage: check_rss.py CARBONSINK CARBONSINK_SAMPLE WORK_DIR [SIZE] [THREADS]

Generates a SIZE x SIZE two-epoch benchmark input (carbonsink-sample bench, 20 districts) into
WORK_DIR, runs `carbonsink run` on it with THREADS threads (default 8; this machine has 2 cores,
so all threads hold their block buffers at once while they wait for a core and for the writer),
and checks the child's peak RSS (getrusage RUSAGE_CHILDREN ru_maxrss, the kernel's own count)
against the estimate the run prints (`memory about N MiB (T threads x P MiB + S MiB shared)`,
configs/README.md, processing.block_cells) and against 1 GiB. SIZE defaults to 4096: 16 blocks
of the default 2^20 cells, so every one of 8 threads computes two blocks and the per-thread
buffers dominate the shared part.

Exit 0 when both hold, 1 when one does not (the message says which and by how much), 77 when
the platform has no getrusage.
"""

import os
import re
import subprocess
import sys

try:
    import resource
except ImportError:  # not a POSIX platform
    sys.exit(77)

LIMIT_MIB = 1024.0


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    exe, sample, work = sys.argv[1], sys.argv[2], sys.argv[3]
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 4096
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    inputs = os.path.join(work, "inputs-%d" % size)
    config = os.path.join(inputs, "bench.yaml")
    if not os.path.exists(config):
        subprocess.run([sample, "bench", "--out", inputs, "--size", str(size),
                        "--districts", "20"], check=True, stdout=subprocess.DEVNULL)
    # Only the run is a child from here on, so RUSAGE_CHILDREN's maximum is the run's own peak
    # unless the generator above peaked higher: measure that first and require the run to be
    # the larger one below.
    before_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out_dir = os.path.join(work, "out-%d-%d" % (size, threads))
    proc = subprocess.run([exe, "run", config, "--threads", str(threads), "--output-dir", out_dir],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        print("error: carbonsink run failed with exit %d: %s" % (proc.returncode, config),
              file=sys.stderr)
        return 1
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kib <= before_kib:
        print("error: cannot measure the run's peak RSS: the input generator's peak (%d KiB) is "
              "not below the run's; use a larger SIZE" % before_kib, file=sys.stderr)
        return 1
    peak_mib = peak_kib / 1024.0
    m = re.search(r"memory about ([\d.]+) (MiB|GiB) \((\d+) threads? x (\d+) MiB \+ (\d+) MiB "
                  r"shared\)", proc.stderr)
    if m is None:
        print(proc.stderr, file=sys.stderr)
        print("error: no memory estimate ('memory about N MiB (T threads x P MiB + S MiB "
              "shared)') in the run's messages", file=sys.stderr)
        return 1
    # The printed total is rounded (1.1 GiB); the parts are exact MiB: sum them.
    est_threads, per_thread, shared = int(m.group(3)), int(m.group(4)), int(m.group(5))
    estimate = est_threads * per_thread + shared
    print("size %d x %d, %d threads (estimate counts %d): peak RSS %.1f MiB, estimate %d MiB "
          "(%d x %d MiB + %d MiB shared), limit %d MiB"
          % (size, size, threads, est_threads, peak_mib, estimate, est_threads, per_thread,
             shared, LIMIT_MIB))
    ok = True
    if est_threads != threads:
        print("error: the estimate counts %d threads, the run was given %d" % (est_threads, threads),
              file=sys.stderr)
        ok = False
    if peak_mib > estimate:
        print("error: peak RSS %.1f MiB is above the printed estimate %d MiB by %.1f MiB: the "
              "per-thread formula (configs/README.md, processing.block_cells; "
              "pipeline/resources.cpp) undercounts" % (peak_mib, estimate, peak_mib - estimate),
              file=sys.stderr)
        ok = False
    if peak_mib >= LIMIT_MIB:
        print("error: peak RSS %.1f MiB is not below %d MiB with %d threads and the default "
              "processing.block_cells" % (peak_mib, LIMIT_MIB, threads), file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
