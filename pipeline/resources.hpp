// What a run may use of the machine: the thread maximum, the memory limit (physical memory or a
// cgroup limit), and the memory a run implies, estimated in prepare so that `validate` reports
// it and a run that cannot fit is refused (exit 2) before anything large is built.
//
// Theory of operation. Memory has three parts. (1) Per thread, the buffers of one block:
// land-cover codes and validity (5 bytes per cell per epoch, 8 more when a raster is read as
// floating point), each model layer raster (9 bytes per cell), the output windows of the block
// being computed and of one finished block waiting for the serial GeoTIFF writer (4 bytes per
// cell per output each; the runner holds at most `threads` finished blocks), the checkpoint
// record being written (the compressed windows, at most their raw size, and one window's
// compression buffer), one row of per-pool densities and
// statuses, and a dense record per district (D x stride doubles, twice). (2) What grows with the
// grid: the block plan (32 bytes per block), the coverage index (8 bytes per row and 16 per run
// of one district's pixels in a row), the pixel areas (8 bytes per row, or at most 4 Mi lattice
// nodes), and the tile index of each GeoTIFF output (16 bytes per 256 x 256 tile). (3) Fixed:
// the program and its libraries (about 100 MiB), GDAL's block cache (GDAL_CACHEMAX, 5 % of
// physical memory by default), the district totals and their copies for the outputs. The figures
// were measured on the runner (see configs/README.md, processing.block_cells) and err on the
// high side: an estimate is a bound, not a prediction.
#pragma once
#include "raster/grid.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cs::pipeline {

struct Config;
struct PreparedRun;

/// Largest `--threads` (a documented maximum: more threads than blocks or cores make a run no
/// faster, and each thread holds a block's buffers).
inline constexpr int MAX_THREADS = 1024;

/// The memory a run may use: physical memory, or the memory limit of the process's cgroup
/// (v1 memory.limit_in_bytes or v2 memory.max, the smallest along its path) when lower.
struct MemoryLimit {
    uint64_t bytes = 0;
    std::string what; ///< "physical memory" or "the cgroup memory limit (<file>)"
};
MemoryLimit machine_memory_limit();

/// The memory limit of a cgroup.
struct CgroupMemory {
    bool limited = false;
    uint64_t limit = 0; ///< bytes: the smallest limit along the cgroup's path
    uint64_t usage = 0; ///< bytes in use in the cgroup that sets the limit (0 when unknown)
    std::string where;  ///< the file holding the limit
};
/// The memory limit of the cgroup that `proc_self_cgroup` (the text of /proc/self/cgroup) names,
/// under `cgroup_root` (normally /sys/fs/cgroup): cgroup v2 ("0::/path", memory.max) or v1
/// ("N:memory:/path", memory/<path>/memory.limit_in_bytes), the smallest along the path up to
/// the root; "max" and v1's "no limit" (~2^63) are no limit.
CgroupMemory cgroup_memory(const std::string &proc_self_cgroup, const std::string &cgroup_root);

/// Memory the system can give now without swapping (MemAvailable), or less when a cgroup limit
/// minus the cgroup's usage is lower.
uint64_t available_memory_bytes();

/// "1.5 GiB", "320 MiB", "12 KiB".
std::string format_bytes(double bytes);

/// An estimate of the memory of a run, by part.
struct MemoryEstimate {
    int threads = 0;         ///< threads that get blocks (at most one per block)
    uint64_t per_thread = 0; ///< the buffers of one thread
    uint64_t shared = 0;     ///< everything else
    /// The parts of `shared` and of one thread, largest first, for messages.
    std::vector<std::pair<std::string, uint64_t>> parts;
    uint64_t total() const { return shared + per_thread * static_cast<uint64_t>(threads); }
    /// "2 threads x 64 MiB + 230 MiB shared".
    std::string summary() const;
    /// "block plan 3.6 PiB, coverage index 45 GiB" (the largest parts).
    std::string largest_parts(std::size_t n = 3) const;
};

/// What prepare needs for a `grid` before it reads a pixel: shared, what grows with the grid (the
/// block plan for processing.block_cells and tile_size, the coverage index's row offsets and at
/// least one entry per row, the pixel areas, the GeoTIFF outputs' tile indexes); per thread (at
/// most one per block), the buffers of one block that prepare's scans read (13 bytes per cell).
MemoryEstimate grid_memory(const raster::GridSpec &grid, const Config &config, int threads);

/// The whole run of a complete PreparedRun (grid, block plan, model layers, districts and
/// coverage index built), with run.threads threads.
MemoryEstimate run_memory(const PreparedRun &run);

} // namespace cs::pipeline
