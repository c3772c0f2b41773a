// Machine memory and the memory estimate of a run (see resources.hpp).
#include "pipeline/resources.hpp"

#include "pipeline/prepare.hpp"
#include "pipeline/runner.hpp"
#include "raster/block_plan.hpp"
#include "raster/coverage.hpp"
#include "raster/pixel_area.hpp"

#include <gdal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cs::pipeline {

namespace fs = std::filesystem;

namespace {

/// Program, libraries (GDAL, PROJ, HDF5), PROJ's database cache and GDAL driver state: a run
/// of the 600 x 500 px demo peaks at 70 MiB RSS.
constexpr uint64_t BASE_BYTES = uint64_t{96} << 20;
/// An open GDAL dataset per reader (GTiff directory, warped VRT state): an allowance.
constexpr uint64_t DATASET_BYTES = uint64_t{1} << 20;
/// Bytes of one GeoTIFF tile's offset and byte count (BigTIFF: 8 each).
constexpr uint64_t TILE_INDEX_BYTES = 16;

/// A number from the first line of `path`, or false ("max" and absent files are no limit).
bool read_limit(const fs::path &path, uint64_t &out) {
    std::ifstream in(path);
    std::string s;
    if (!(in >> s) || s == "max") {
        return false;
    }
    try {
        out = std::stoull(s);
    } catch (...) {
        return false;
    }
    return out < (uint64_t{1} << 60); // cgroup v1 writes "no limit" as ~2^63
}

/// Smallest limit in `file` along the cgroup folder `dir` and its parents up to `root`.
bool cgroup_min(fs::path dir, const fs::path &root, const char *file, uint64_t &out,
                std::string &where) {
    bool found = false;
    for (;;) {
        uint64_t v = 0;
        if (read_limit(dir / file, v) && (!found || v < out)) {
            out = v;
            where = (dir / file).string();
            found = true;
        }
        if (dir == root || dir.string().size() <= root.string().size()) {
            break;
        }
        dir = dir.parent_path();
    }
    return found;
}

} // namespace

CgroupMemory cgroup_memory(const std::string &proc_self_cgroup, const std::string &cgroup_root) {
    CgroupMemory m;
    std::istringstream in(proc_self_cgroup);
    std::string line;
    while (std::getline(in, line)) {
        // "hierarchy:controllers:path"
        const auto a = line.find(':');
        const auto b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) {
            continue;
        }
        const std::string controllers = line.substr(a + 1, b - a - 1);
        const std::string path = line.substr(b + 1);
        if (controllers.empty()) { // cgroup v2
            const fs::path root = cgroup_root;
            if (cgroup_min(root / fs::path(path).relative_path(), root, "memory.max", m.limit,
                           m.where)) {
                read_limit(fs::path(m.where).parent_path() / "memory.current", m.usage);
                m.limited = true;
                return m;
            }
        } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
            const fs::path root = fs::path(cgroup_root) / "memory";
            if (cgroup_min(root / fs::path(path).relative_path(), root, "memory.limit_in_bytes",
                           m.limit, m.where)) {
                read_limit(fs::path(m.where).parent_path() / "memory.usage_in_bytes", m.usage);
                m.limited = true;
                return m;
            }
        }
    }
    return m;
}

namespace {

/// This process's cgroup memory.
CgroupMemory own_cgroup_memory() {
    std::ifstream in("/proc/self/cgroup");
    std::ostringstream text;
    text << in.rdbuf();
    return cgroup_memory(text.str(), "/sys/fs/cgroup");
}

/// A /proc/meminfo field in bytes, or 0.
uint64_t meminfo(const std::string &key) {
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) {
            std::istringstream ss(line.substr(key.size() + 1));
            uint64_t kib = 0;
            ss >> kib;
            return kib * 1024;
        }
    }
    return 0;
}

void add_part(MemoryEstimate &m, const std::string &what, uint64_t bytes) {
    if (bytes > 0) {
        m.parts.emplace_back(what, bytes);
    }
}

/// Saturating a * b for sizes that may not fit (a 2e9 x 2e9 px grid).
uint64_t mul(uint64_t a, uint64_t b) {
    if (a != 0 && b > UINT64_MAX / a) {
        return UINT64_MAX;
    }
    return a * b;
}

uint64_t add(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

void sort_parts(MemoryEstimate &m) {
    std::stable_sort(m.parts.begin(), m.parts.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
}

/// Tiles of the GeoTIFF outputs of a grid, all outputs together.
uint64_t output_tiles(int64_t width, int64_t height, int tile, std::size_t outputs) {
    const auto tx = static_cast<uint64_t>((width + tile - 1) / tile);
    const auto ty = static_cast<uint64_t>((height + tile - 1) / tile);
    return mul(mul(tx, ty), outputs);
}

} // namespace

MemoryLimit machine_memory_limit() {
    MemoryLimit m;
    m.bytes = meminfo("MemTotal");
    if (m.bytes == 0) {
        m.bytes = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                  static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
    m.what = "physical memory";
    const CgroupMemory cg = own_cgroup_memory();
    if (cg.limited && cg.limit < m.bytes) {
        m.bytes = cg.limit;
        m.what = "the cgroup memory limit (" + cg.where + ")";
    }
    return m;
}

uint64_t available_memory_bytes() {
    uint64_t avail = meminfo("MemAvailable");
    const CgroupMemory cg = own_cgroup_memory();
    if (cg.limited) {
        avail = std::min(avail, cg.limit > cg.usage ? cg.limit - cg.usage : 0);
    }
    return avail;
}

std::string format_bytes(double bytes) {
    const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 6) {
        bytes /= 1024.0;
        ++u;
    }
    char buf[64];
    if (u == 0) {
        std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
    } else {
        std::snprintf(buf, sizeof buf, bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    }
    return buf;
}

std::string MemoryEstimate::summary() const {
    if (threads == 0) {
        return format_bytes(static_cast<double>(shared));
    }
    return std::to_string(threads) + (threads == 1 ? " thread x " : " threads x ") +
           format_bytes(static_cast<double>(per_thread)) + " + " +
           format_bytes(static_cast<double>(shared)) + " shared";
}

std::string MemoryEstimate::largest_parts(std::size_t n) const {
    std::string s;
    for (std::size_t i = 0; i < parts.size() && i < n; ++i) {
        s += (i ? ", " : "") + parts[i].first + " " +
             format_bytes(static_cast<double>(parts[i].second));
    }
    return s;
}

MemoryEstimate grid_memory(const raster::GridSpec &grid, const Config &config, int threads) {
    MemoryEstimate m;
    const auto height = static_cast<uint64_t>(std::max<int64_t>(grid.height, 0));
    const auto blocks = static_cast<uint64_t>(raster::BlockPlan::window_count(
        grid.width, grid.height, config.tile_size, config.block_cells));
    add_part(m, "block plan (" + std::to_string(blocks) + " blocks)",
             mul(blocks, sizeof(raster::Window)));
    // Row offsets and at least one run per row (the whole grid as one district).
    add_part(m, "coverage index (" + std::to_string(height) + " rows)",
             mul(height, sizeof(uint64_t) + sizeof(raster::CoverageEntry)));
    add_part(m, "pixel areas", raster::PixelArea::memory_bound_bytes(grid.height));
    const std::size_t outputs = output_raster_count(config);
    add_part(
        m, "GeoTIFF tile indexes of " + std::to_string(outputs) + " outputs",
        mul(output_tiles(grid.width, grid.height, config.tile_size, outputs), TILE_INDEX_BYTES));
    for (const auto &[what, bytes] : m.parts) {
        m.shared = add(m.shared, bytes);
    }
    sort_parts(m);
    // A scan of one integer or floating-point raster block (values, validity, conversion).
    const auto cells = static_cast<uint64_t>(raster::BlockPlan::max_window_cells(
        grid.width, grid.height, config.tile_size, config.block_cells));
    m.per_thread = mul(cells, sizeof(int32_t) + 1 + sizeof(double));
    m.threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(std::max(1, threads)),
                                                    std::max<uint64_t>(blocks, 1)));
    return m;
}

MemoryEstimate run_memory(const PreparedRun &run) {
    MemoryEstimate m;
    const Config &cfg = run.config;
    const auto &plan = *run.block_plan;
    const auto cells = static_cast<uint64_t>(plan.max_block_cells());
    const auto row =
        static_cast<uint64_t>(std::min<int64_t>(run.grid.width, plan.max_block_cells()));
    const AccumDims dims = run_dims(run);
    const uint64_t epochs = dims.epochs;
    const uint64_t periods = dims.periods();
    const std::size_t outputs = output_raster_count(cfg, dims.pools);
    m.threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(std::max(1, run.threads)),
                                                    std::max<std::size_t>(plan.size(), 1)));

    // Per thread (see the file comment of resources.hpp).
    std::vector<std::pair<std::string, uint64_t>> thread_parts;
    uint64_t lc_per_cell = 0;
    for (const auto &lc : run.land_cover) {
        lc_per_cell +=
            sizeof(int32_t) + 1 + (lc.fits_int32 ? 0 : sizeof(double)) + (lc.has_mask_band ? 1 : 0);
    }
    thread_parts.emplace_back("land-cover block buffers", mul(cells, lc_per_cell));
    uint64_t layer_per_cell = 0;
    std::size_t readers = run.land_cover.size();
    for (const auto &rasters : run.layers) {
        for (const auto &info : rasters) {
            layer_per_cell += sizeof(double) + 1 + (info.has_mask_band ? 1 : 0);
            ++readers;
        }
    }
    thread_parts.emplace_back("model-layer block buffers", mul(cells, layer_per_cell));
    // The block's output windows, and one finished block waiting for the writer.
    const uint64_t windows = mul(mul(cells, sizeof(float)), outputs);
    thread_parts.emplace_back("output windows (" + std::to_string(outputs) + " outputs)",
                              mul(windows, 2));
    if (cfg.checkpoint) {
        // The record being written: the compressed windows (at most their raw size) and one
        // window's compression buffer.
        thread_parts.emplace_back("checkpoint record", add(windows, cells * 4));
    }
    uint64_t per_row = epochs * (1 + 4 + 1 + 8 + 8 * dims.pools + 8 + 8) + periods * 16 + 8;
    for (const auto &stage : run.chain) {
        // A period stage's further series and refused-value flags, per period.
        if (stage->kind() == models::StageKind::period) {
            const auto series = stage->series().size();
            const auto decls = stage->layers();
            const bool refused =
                std::any_of(decls.begin(), decls.end(),
                            [](const models::LayerDecl &d) { return !d.refused_values.empty(); });
            per_row += periods * (8 * (series > 1 ? series - 1 : 0) + (refused ? 1 : 0));
        }
    }
    thread_parts.emplace_back("row buffers", mul(row, per_row));
    const uint64_t record_bytes = mul(dims.districts, dims.stride() * sizeof(double));
    thread_parts.emplace_back("district records (" + std::to_string(dims.districts) +
                                  (dims.districts == 1 ? " district x " : " districts x ") +
                                  std::to_string(dims.stride()) + " values)",
                              add(mul(record_bytes, 2), dims.districts * 5));
    thread_parts.emplace_back("GDAL datasets", mul(readers, DATASET_BYTES));
    for (const auto &[what, bytes] : thread_parts) {
        m.per_thread = add(m.per_thread, bytes);
    }

    // Shared.
    add_part(m, "program and libraries", BASE_BYTES);
    add_part(m, "GDAL block cache (GDAL_CACHEMAX)", static_cast<uint64_t>(GDALGetCacheMax64()));
    add_part(m, "coverage index", run.coverage.memory_bytes());
    add_part(m, "pixel areas", run.pixel_area->memory_bytes());
    add_part(m, "block plan", mul(plan.size(), sizeof(raster::Window)));
    uint64_t units = dims.districts;
    for (const auto &level : run.levels) {
        units += level.ids.size();
    }
    // Totals of every level, and the results built from them for the outputs (about two copies).
    add_part(m, "district totals", mul(mul(units, dims.stride() * sizeof(double)), 3));
    add_part(m, "GeoTIFF tile indexes",
             mul(output_tiles(run.grid.width, run.grid.height, cfg.tile_size, outputs),
                 TILE_INDEX_BYTES));
    if (cfg.write_overviews && outputs > 0) {
        // Each output's overview builder holds one tile row per level (raster/cog.hpp): about
        // tile x width / 2 floats for the levels together (1/2 + 1/4 + ... of the width).
        add_part(m, "overview tile rows (outputs.overviews)",
                 mul(mul(static_cast<uint64_t>(cfg.tile_size),
                         static_cast<uint64_t>(std::max<int64_t>(run.grid.width, 0)) / 2 + 1),
                     mul(sizeof(float) * 2, outputs)));
    }
    add_part(m, "input checksum buffer", uint64_t{1} << 20);
    if (run.uncertainty && run.uncertainty->draws > 0) {
        // The Monte Carlo holds every product of parameters for every draw (and each parameter's
        // draws while they are built), plus each summarising thread's figure draws.
        const uint64_t draws = run.uncertainty->draws;
        add_part(
            m, "Monte Carlo draws (uncertainty.draws " + std::to_string(draws) + ")",
            mul(mul(run.uncertainty->monomials.size() + run.uncertainty->parameters.size(), draws),
                sizeof(double)));
    }
    for (const auto &[what, bytes] : m.parts) {
        m.shared = add(m.shared, bytes);
    }
    for (const auto &[what, bytes] : thread_parts) {
        add_part(m, what + " per thread", mul(bytes, static_cast<uint64_t>(m.threads)));
    }
    sort_parts(m);
    return m;
}

} // namespace cs::pipeline
