// The OpenMP block runner.
//
// Theory of operation. prepare_run() has opened and checked every input, so the loop below only
// reads, computes and accumulates. Threads take block indices dynamically. Each thread owns its
// GDAL readers and scratch buffers (GDAL datasets are not thread-safe; nothing is allocated per
// pixel). A finished block deposits its district partial and its output tiles into ordered
// queues, which merge and write them in block index order (see accumulator.hpp), so results do
// not depend on the thread count. The first exception stops the loop and is rethrown after it.
#include "pipeline/runner.hpp"

#include "models/flux.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/parallel.hpp"
#include "raster/raster_error.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <set>

namespace cs::pipeline {

namespace fs = std::filesystem;
using models::PixelStatus;

int resolve_threads(int requested) {
    return requested > 0 ? requested : std::max(1, omp_get_num_procs());
}

AccumDims run_dims(const PreparedRun &run) {
    return AccumDims{run.district_ids.size(),
                     run.land_cover.size(),
                     run.stock_model->pool_names().size(),
                     static_cast<std::size_t>(models::PIXEL_STATUS_COUNT),
                     run.config.write_transitions ? run.stock_model->class_codes().size() : 0,
                     run.flux_model != nullptr,
                     run.flux_model != nullptr && run.flux_layers.losses()};
}

std::size_t output_raster_count(const Config &config) {
    if (!config.write_rasters) {
        return 0;
    }
    const std::size_t e = config.epochs.size();
    return e + (e > 0 ? e - 1 : 0) + (config.write_method_codes ? e : 0);
}

namespace {
/// Per-thread state of a pass that reads one integer raster block by block.
struct IntScanState {
    IntScanState(const raster::RasterInfo &info, std::size_t cells)
        : reader(info), values(cells), valid(cells) {}
    raster::RasterReader reader;
    std::vector<int32_t> values;
    std::vector<uint8_t> valid;
};
} // namespace

std::vector<int32_t> scan_distinct_values(const raster::RasterInfo &info,
                                          const raster::BlockPlan &plan, int threads) {
    struct ScanState : IntScanState {
        using IntScanState::IntScanState;
        std::set<int32_t> found;
    };
    const auto cells = static_cast<std::size_t>(plan.max_block_cells());
    std::vector<std::unique_ptr<ScanState>> states;
    std::atomic<bool> stop{false};
    parallel_blocks(
        plan.size(), threads, states, [&] { return std::make_unique<ScanState>(info, cells); },
        [&](ScanState &st, std::size_t b) {
            if (interrupted()) {
                throw_interrupted("scanning " + info.where());
            }
            const auto &w = plan[b];
            st.reader.read_int32(w, st.values.data(), st.valid.data());
            bool have_last = false;
            int32_t last = 0;
            for (std::size_t i = 0; i < static_cast<std::size_t>(w.cells()); ++i) {
                if (!st.valid[i]) {
                    continue;
                }
                const int32_t v = st.values[i];
                if (!have_last || v != last) {
                    st.found.insert(v);
                    last = v;
                    have_last = true;
                }
            }
        },
        stop);
    std::set<int32_t> all;
    for (const auto &st : states) {
        if (st) {
            all.insert(st->found.begin(), st->found.end());
        }
    }
    return {all.begin(), all.end()};
}

std::pair<std::vector<int64_t>, raster::CoverageIndex>
district_raster_coverage(const raster::RasterInfo &info, const raster::BlockPlan &plan,
                         int threads) {
    struct Run {
        int64_t row;
        uint32_t x0;
        uint32_t x1;
        int32_t id;
    };
    struct ScanState : IntScanState {
        using IntScanState::IntScanState;
        std::vector<Run> runs;
    };
    const auto cells = static_cast<std::size_t>(plan.max_block_cells());
    std::vector<std::unique_ptr<ScanState>> states;
    std::atomic<bool> stop{false};
    parallel_blocks(
        plan.size(), threads, states, [&] { return std::make_unique<ScanState>(info, cells); },
        [&](ScanState &st, std::size_t b) {
            if (interrupted()) {
                throw_interrupted("scanning " + info.where());
            }
            const auto &w = plan[b];
            st.reader.read_int32(w, st.values.data(), st.valid.data());
            for (int64_t r = 0; r < w.y_size; ++r) {
                const int32_t *v = st.values.data() + r * w.x_size;
                const uint8_t *ok = st.valid.data() + r * w.x_size;
                int64_t x = 0;
                while (x < w.x_size) {
                    int64_t end = x + 1;
                    while (end < w.x_size && ok[end] == ok[x] && (!ok[x] || v[end] == v[x])) {
                        ++end;
                    }
                    if (ok[x]) {
                        st.runs.push_back({w.y_off + r, static_cast<uint32_t>(w.x_off + x),
                                           static_cast<uint32_t>(w.x_off + end), v[x]});
                    }
                    x = end;
                }
            }
        },
        stop);
    std::set<int64_t> id_set;
    std::size_t total = 0;
    for (const auto &st : states) {
        if (st) {
            total += st->runs.size();
            for (const auto &r : st->runs) {
                id_set.insert(r.id);
            }
        }
    }
    std::vector<int64_t> ids(id_set.begin(), id_set.end());
    std::vector<raster::RowCoverageEntry> entries;
    entries.reserve(total);
    for (auto &st : states) {
        if (!st) {
            continue;
        }
        for (const auto &r : st->runs) {
            const auto d = static_cast<uint32_t>(
                std::lower_bound(ids.begin(), ids.end(), static_cast<int64_t>(r.id)) - ids.begin());
            entries.push_back({r.row, {r.x0, r.x1, d, raster::CoverageEntry::FULL}});
        }
        st->runs.clear();
        st->runs.shrink_to_fit();
    }
    return {ids,
            raster::CoverageIndex(
                plan.size() == 0 ? 0 : plan[plan.size() - 1].y_off + plan[plan.size() - 1].y_size,
                std::move(entries))};
}

std::vector<std::string> find_unknown_classes(const PreparedRun &run) {
    std::vector<std::string> messages;
    for (const auto &lc : run.land_cover) {
        const auto codes = scan_distinct_values(lc, *run.block_plan, run.threads);
        std::vector<int32_t> missing;
        for (int32_t c : codes) {
            const auto &known = run.stock_model->class_codes();
            if (!std::binary_search(known.begin(), known.end(), c)) {
                missing.push_back(c);
            }
        }
        if (missing.empty()) {
            continue;
        }
        std::string list;
        for (std::size_t i = 0; i < missing.size(); ++i) {
            list += (i ? ", " : "") + std::to_string(missing[i]);
        }
        messages.push_back(lc.where() + ": " + std::to_string(missing.size()) + " class code" +
                           (missing.size() == 1 ? " is" : "s are") + " not in the pools table (" +
                           run.config.pools_table_as_written + "): " + list);
    }
    return messages;
}

namespace {

/// "-5", "NaN", "inf": a pixel value for a message.
std::string value_text(double v) {
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v < 0 ? "-inf" : "inf";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

/// Pixels of a layer that must be finite and >= 0 but are not, and the first of them in
/// row-major order.
struct BadValueScan {
    int64_t count = 0;
    int64_t row = -1;
    int64_t column = -1;
    double value = 0.0;
};

/// Pixels of `info` for which is_bad(value, valid) holds (value and valid as read_double gives
/// them), counted over the grid, and the first in row-major order.
template <class IsBad>
BadValueScan scan_values(const raster::RasterInfo &info, const raster::BlockPlan &plan, int threads,
                         IsBad is_bad) {
    struct ScanState {
        ScanState(const raster::RasterInfo &info, std::size_t cells)
            : reader(info), values(cells), valid(cells) {}
        raster::RasterReader reader;
        std::vector<double> values;
        std::vector<uint8_t> valid;
        BadValueScan found;
    };
    const auto cells = static_cast<std::size_t>(plan.max_block_cells());
    std::vector<std::unique_ptr<ScanState>> states;
    std::atomic<bool> stop{false};
    parallel_blocks(
        plan.size(), threads, states, [&] { return std::make_unique<ScanState>(info, cells); },
        [&](ScanState &st, std::size_t b) {
            if (interrupted()) {
                throw_interrupted("scanning " + info.where());
            }
            const auto &w = plan[b];
            st.reader.read_double(w, st.values.data(), st.valid.data());
            for (int64_t r = 0; r < w.y_size; ++r) {
                for (int64_t c = 0; c < w.x_size; ++c) {
                    const auto i = static_cast<std::size_t>(r * w.x_size + c);
                    const double v = st.values[i];
                    if (!is_bad(v, st.valid[i])) {
                        continue;
                    }
                    BadValueScan &f = st.found;
                    ++f.count;
                    const int64_t y = w.y_off + r;
                    const int64_t x = w.x_off + c;
                    if (f.row < 0 || y < f.row || (y == f.row && x < f.column)) {
                        f.row = y;
                        f.column = x;
                        f.value = v;
                    }
                }
            }
        },
        stop);
    BadValueScan all;
    for (const auto &st : states) {
        if (!st || st->found.count == 0) {
            continue;
        }
        const BadValueScan &f = st->found;
        all.count += f.count;
        if (all.row < 0 || f.row < all.row || (f.row == all.row && f.column < all.column)) {
            all.row = f.row;
            all.column = f.column;
            all.value = f.value;
        }
    }
    return all;
}

BadValueScan scan_bad_values(const raster::RasterInfo &info, const raster::BlockPlan &plan,
                             int threads) {
    // Not data and not finite is a bad value (read_double keeps it; nodata reads as 0); data
    // must be >= 0.
    return scan_values(info, plan, threads, [](double v, uint8_t valid) {
        return valid ? !(v >= 0.0) : !std::isfinite(v);
    });
}

/// Bad values in a layer the stock model needs (PixelStatus::invalid_value: a negative, NaN
/// or infinite volume or AGB) are bad input, not data gaps: one message per raster holding
/// them, naming it, the count and the first pixel. Empty when no pixel of the run was
/// invalid_value. Reads only the rasters of the epochs that had such pixels.
std::vector<std::string> bad_value_messages(const PreparedRun &run, const DistrictTotals &totals,
                                            std::size_t n_epochs) {
    const auto s_bad = static_cast<std::size_t>(PixelStatus::invalid_value);
    std::vector<bool> epoch_bad(n_epochs, false);
    int64_t pixel_epochs = 0;
    for (std::size_t e = 0; e < n_epochs; ++e) {
        const int64_t n = totals.status_pixels(e, s_bad);
        epoch_bad[e] = n > 0;
        pixel_epochs += n;
    }
    if (pixel_epochs == 0) {
        return {};
    }
    std::vector<std::string> messages;
    const auto requests = run.stock_model->layers();
    const std::size_t n_layers =
        std::min({run.stock_layer_count, requests.size(), run.layers.size()});
    for (std::size_t l = 0; l < n_layers; ++l) {
        const std::string &quantity = requests[l].non_negative_quantity;
        if (quantity.empty()) {
            continue;
        }
        const auto &rasters = run.layers[l];
        for (std::size_t k = 0; k < rasters.size(); ++k) {
            // One raster for every epoch, or the raster of an epoch that had bad values.
            const bool needed = rasters.size() == 1 || (k < n_epochs && epoch_bad[k]);
            if (!needed) {
                continue;
            }
            const BadValueScan f = scan_bad_values(rasters[k], *run.block_plan, run.threads);
            if (f.count == 0) {
                continue;
            }
            messages.push_back("bad input values: " + input_where(run, rasters[k]) + ": " +
                               std::to_string(f.count) +
                               (f.count == 1 ? " pixel is negative, NaN or infinite"
                                             : " pixels are negative, NaN or infinite") +
                               " (first at row " + std::to_string(f.row) + ", column " +
                               std::to_string(f.column) +
                               " counted from 0: " + value_text(f.value) + "); " + quantity +
                               " must be a finite number >= 0 " + requests[l].unit +
                               " (use the band's nodata value for pixels without data)");
        }
    }
    if (messages.empty()) {
        messages.push_back("bad input values: " + run.stock_model->name() + ": " +
                           std::to_string(pixel_epochs) +
                           " pixel-epochs have an input value no real pixel can have (negative, "
                           "NaN or infinite)");
    }
    return messages;
}

/// Impossible values of the gain-loss loss inputs on the forest-remaining-forest pixels of
/// the districts (negative, NaN or infinite volumes; a disturbed fraction outside 0..1): bad
/// input, one message per raster and period naming the districts where they were found.
std::vector<std::string> loss_value_messages(const PreparedRun &run, const DistrictTotals &totals) {
    const AccumDims &d = totals.dims();
    if (!d.losses) {
        return {};
    }
    const auto &fl = run.flux_layers;
    const int layer_of[AccumDims::LOSS_INPUTS] = {fl.harvest, fl.fuelwood, fl.fuelwood_parts,
                                                  fl.disturbed};
    const char *rule[AccumDims::LOSS_INPUTS] = {
        "a removal volume must be a finite number >= 0 m3/ha/yr",
        "a fuelwood volume must be a finite number >= 0 m3/ha/yr",
        "a fuelwood volume must be a finite number >= 0 m3/ha/yr",
        "a disturbed fraction must be a number from 0 to 1 (a share of the pixel, not a "
        "percentage)"};
    std::vector<std::string> messages;
    for (std::size_t k = 0; k < d.periods(); ++k) {
        for (std::size_t j = 0; j < AccumDims::LOSS_INPUTS; ++j) {
            if (layer_of[j] < 0) {
                continue;
            }
            double area = 0.0;
            std::string where;
            std::size_t n = 0;
            for (std::size_t u = 0; u < d.districts; ++u) {
                const double a = totals.value(u, d.loss_bad_area(k, j));
                if (a > 0.0) {
                    area += a;
                    if (++n <= 5) {
                        where +=
                            (where.empty() ? "" : ", ") + std::to_string(run.district_ids[u]) +
                            (run.district_names[u].empty() ? std::string()
                                                           : " (" + run.district_names[u] + ")");
                    }
                }
            }
            if (n == 0) {
                continue;
            }
            const auto &rasters = run.layers[static_cast<std::size_t>(layer_of[j])];
            const auto &info = rasters[rasters.size() == 1 ? 0 : k];
            char ha[32];
            std::snprintf(ha, sizeof ha, "%.4g", area);
            messages.push_back(
                "bad input values: " + input_where(run, info) + ": " + ha +
                " ha of forest remaining forest in period " +
                std::to_string(run.config.epochs[k].year) + "-" +
                std::to_string(run.config.epochs[k + 1].year) + " hold an impossible value (" +
                (n == 1 ? "district " : "districts ") + where + (n > 5 ? ", ..." : "") + "); " +
                rule[j] + " (use the band's nodata value for pixels without data)");
        }
    }
    return messages;
}

} // namespace

std::vector<std::string> land_cover_value_messages(const PreparedRun &run) {
    std::vector<std::string> messages;
    for (const auto &lc : run.land_cover) {
        if (lc.fits_int32) {
            continue; // every value of the type is an int32 code
        }
        // Data that is not a whole number within int32; infinity is never nodata. NaN is
        // nodata in a land cover (configs/README.md), so it is not counted.
        const BadValueScan f =
            scan_values(lc, *run.block_plan, run.threads, [](double v, uint8_t valid) {
                return valid ? v != std::floor(v) || v < -2147483648.0 || v > 2147483647.0
                             : std::isinf(v);
            });
        if (f.count == 0) {
            continue;
        }
        messages.push_back("bad input values: " + input_where(run, lc) + ": " +
                           std::to_string(f.count) +
                           (f.count == 1 ? " pixel is not an integer class code"
                                         : " pixels are not integer class codes") +
                           " of 32 bits (first at row " + std::to_string(f.row) + ", column " +
                           std::to_string(f.column) + " counted from 0: " + value_text(f.value) +
                           "); land-cover codes must be whole numbers from -2147483648 to "
                           "2147483647 (use the band's nodata value for pixels without data)");
    }
    return messages;
}

namespace {

/// An epoch in which no pixel has a result (every pixel nodata or otherwise invalid) would
/// report zero carbon as if it were a measurement: one message per such epoch, naming its land
/// cover and the layers it was combined with, and the count of each pixel status.
std::vector<std::string> empty_epoch_messages(const PreparedRun &run, const DistrictTotals &totals,
                                              std::size_t n_epochs) {
    std::vector<std::string> messages;
    const auto s_valid = static_cast<std::size_t>(PixelStatus::valid);
    for (std::size_t e = 0; e < n_epochs; ++e) {
        if (totals.status_pixels(e, s_valid) > 0) {
            continue;
        }
        std::string layers;
        for (const auto &rasters : run.layers) {
            if (rasters.empty()) {
                continue;
            }
            // One raster for every epoch, or one per epoch.
            const auto &info = rasters[std::min(e, rasters.size() - 1)];
            layers += (layers.empty() ? " with " : ", ") + input_where(run, info);
        }
        std::string counts;
        int64_t total = 0;
        for (std::size_t q = 0; q < static_cast<std::size_t>(models::PIXEL_STATUS_COUNT); ++q) {
            const int64_t n = totals.status_pixels(e, q);
            total += n;
            if (n > 0) {
                counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " +
                          models::pixel_status_name(static_cast<PixelStatus>(q));
            }
        }
        messages.push_back("no pixel has a result: epoch " +
                           std::to_string(run.config.epochs[e].year) + ", " +
                           input_where(run, run.land_cover[e]) + layers + ": all " +
                           std::to_string(total) + " pixels are invalid (" + counts +
                           "); check the nodata values and extents of these rasters");
    }
    return messages;
}

/// Everything one thread needs, allocated once.
struct ThreadState {
    std::vector<std::unique_ptr<raster::RasterReader>> land_cover;
    std::vector<std::vector<int32_t>> codes;         // per epoch, block cells
    std::vector<std::vector<uint8_t>> valid;         // per epoch, block cells
    std::vector<std::vector<uint8_t>> status;        // per epoch, one row
    std::vector<std::vector<int32_t>> class_index;   // per epoch, one row
    std::vector<std::vector<uint8_t>> method;        // per epoch, one row
    std::vector<std::vector<double>> density;        // per epoch x pool, one row
    std::vector<std::vector<double *>> density_ptrs; // per epoch
    std::vector<std::vector<double>> change;         // per period, one row; NaN = invalid
    std::vector<std::vector<double>> total;          // per epoch, one row: sum of pools
    std::vector<std::vector<double>> agb;            // per epoch, one row (models.dom only)
    std::vector<std::vector<double>> gl_stock;       // per epoch, one row: sum of gain-loss pools
    std::vector<std::vector<double>> gl_change;      // per period, one row: gain-loss change
    std::vector<double> area_ha;                     // one row

    // flux.gain_loss with losses: the parts of the change, per period x part, one row.
    std::vector<std::vector<double>> gl_parts;
    std::vector<std::vector<uint8_t>> gl_bad;         // per period: impossible loss inputs
    std::vector<models::GainLossParts> gl_parts_ptrs; // per period

    std::vector<const int32_t *> soil_class; // per epoch: row pointers handed to the soil model
    std::vector<uint8_t *> soil_status;
    std::vector<double *> soil_out;
    std::vector<const double *> soil_mg; // per epoch: management-code row pointers
    std::vector<const uint8_t *> soil_mg_ok;
    std::vector<int64_t> soil_usage; // pixel-epochs per soil cell using an unverified row
    // Model layers: readers and block buffers per layer and raster (one per epoch, or one).
    std::vector<std::vector<std::unique_ptr<raster::RasterReader>>> layer_readers;
    std::vector<std::vector<std::vector<double>>> layer_values;
    std::vector<std::vector<std::vector<uint8_t>>> layer_valid;
    std::vector<std::vector<const double *>> layer_row; // per epoch: one pointer per layer
    std::vector<std::vector<const uint8_t *>> layer_row_valid;
    BlockScratch scratch;

    ThreadState(const PreparedRun &run, const AccumDims &dims, std::size_t row_len)
        : area_ha(row_len), scratch(dims) {
        const auto cells = static_cast<std::size_t>(run.block_plan->max_block_cells());
        for (const auto &lc : run.land_cover) {
            land_cover.push_back(std::make_unique<raster::RasterReader>(lc));
            codes.emplace_back(cells);
            valid.emplace_back(cells);
            status.emplace_back(row_len);
            class_index.emplace_back(row_len);
            total.emplace_back(row_len);
            if (run.flux_model) {
                gl_stock.emplace_back(row_len);
            }
            method.emplace_back(row_len);
            agb.emplace_back(run.dom_model ? row_len : 0);
            density_ptrs.emplace_back();
            for (std::size_t p = 0; p < dims.pools; ++p) {
                density.emplace_back(row_len);
            }
        }
        for (std::size_t e = 0; e < dims.epochs; ++e) {
            for (std::size_t p = 0; p < dims.pools; ++p) {
                density_ptrs[e].push_back(density[e * dims.pools + p].data());
            }
        }
        for (std::size_t k = 0; k < dims.periods(); ++k) {
            change.emplace_back(row_len);
            if (run.flux_model) {
                gl_change.emplace_back(row_len);
            }
        }
        if (dims.losses) {
            for (std::size_t j = 0; j < dims.periods() * AccumDims::GAIN_LOSS_PARTS; ++j) {
                gl_parts.emplace_back(row_len);
            }
            for (std::size_t k = 0; k < dims.periods(); ++k) {
                gl_bad.emplace_back(row_len);
            }
            for (std::size_t k = 0; k < dims.periods(); ++k) {
                const std::size_t j = k * AccumDims::GAIN_LOSS_PARTS;
                gl_parts_ptrs.push_back({gl_parts[j].data(), gl_parts[j + 1].data(),
                                         gl_parts[j + 2].data(), gl_parts[j + 3].data(),
                                         gl_parts[j + 4].data(), gl_bad[k].data()});
            }
        }
        for (const auto &rasters : run.layers) {
            layer_readers.emplace_back();
            layer_values.emplace_back();
            layer_valid.emplace_back();
            for (const auto &info : rasters) {
                layer_readers.back().push_back(std::make_unique<raster::RasterReader>(info));
                layer_values.back().emplace_back(cells);
                layer_valid.back().emplace_back(cells);
            }
        }
        layer_row.assign(dims.epochs, std::vector<const double *>(run.layers.size()));
        soil_class.resize(dims.epochs);
        soil_status.resize(dims.epochs);
        soil_out.resize(dims.epochs);
        soil_mg.resize(dims.epochs);
        soil_mg_ok.resize(dims.epochs);
        if (run.soil_model) {
            soil_usage.assign(run.soil_model->usage_cells(), 0);
        }
        layer_row_valid.assign(dims.epochs, std::vector<const uint8_t *>(run.layers.size()));
    }
};

} // namespace

std::vector<std::unique_ptr<raster::GeoTiffWriter>>
make_output_writers(const PreparedRun &run, const std::string &output_dir) {
    std::vector<std::unique_ptr<raster::GeoTiffWriter>> writers;
    if (!run.config.write_rasters) {
        return writers;
    }
    raster::GeoTiffOptions opts;
    opts.tile = run.config.tile_size;
    opts.compress = run.config.compression;
    const std::map<std::string, std::string> md = {{"carbonsink_run", run.config.name}};
    const auto &epochs = run.config.epochs;
    for (const auto &ep : epochs) {
        const std::string y = std::to_string(ep.year);
        writers.push_back(std::make_unique<raster::GeoTiffWriter>(
            (fs::path(output_dir) / ("stock_" + y + ".tif")).string(), run.grid,
            "total carbon stock density " + y + " (" + run.stock_model->name() + ", all pools)",
            "Mg C/ha", md, opts));
    }
    for (std::size_t k = 0; k + 1 < epochs.size(); ++k) {
        const std::string y1 = std::to_string(epochs[k].year);
        const std::string y2 = std::to_string(epochs[k + 1].year);
        writers.push_back(std::make_unique<raster::GeoTiffWriter>(
            (fs::path(output_dir) / ("stock_change_" + y1 + "_" + y2 + ".tif")).string(), run.grid,
            "annual carbon stock change " + y1 + "-" + y2 +
                " (stock difference; positive = uptake/sink)",
            "Mg C/ha/yr", md, opts));
    }
    if (run.config.write_method_codes) {
        raster::GeoTiffOptions byte = opts;
        byte.data_type = "Byte";
        for (int c = 0; c < models::METHOD_CODE_COUNT; ++c) {
            byte.category_names.emplace_back(
                models::method_code_name(static_cast<models::MethodCode>(c)));
        }
        for (const auto &ep : epochs) {
            const std::string y = std::to_string(ep.year);
            writers.push_back(std::make_unique<raster::GeoTiffWriter>(
                (fs::path(output_dir) / ("method_" + y + ".tif")).string(), run.grid,
                "model branch of each pixel " + y + " (" + run.stock_model->name() +
                    "; 0 = no result)",
                "class", md, byte));
        }
    }
    return writers;
}

OrderedRasterOutputs::OrderedRasterOutputs(
    std::vector<std::unique_ptr<raster::GeoTiffWriter>> &writers, const raster::BlockPlan &plan)
    : m_writers(writers), m_plan(plan), m_queues(writers.size()) {}

void OrderedRasterOutputs::deposit(std::size_t block, std::vector<std::vector<float>> &&windows) {
    for (std::size_t o = 0; o < m_writers.size(); ++o) {
        raster::GeoTiffWriter &writer = *m_writers[o];
        m_queues[o].deposit(block, std::move(windows[o]),
                            [&](std::size_t i, const std::vector<float> &data) {
                                writer.write_window(m_plan[i], data.data());
                            });
    }
}

void OrderedRasterOutputs::wait_for_room(std::size_t max_pending, const std::atomic<bool> &stop) {
    for (auto &q : m_queues) {
        q.wait_for_room(max_pending, stop);
    }
}

RunResult run_blocks(const PreparedRun &run, const std::string &output_dir, Progress &progress,
                     CheckpointLog *checkpoint) {
    const auto &plan = *run.block_plan;
    const auto &model = *run.stock_model;
    const auto &area = *run.pixel_area;
    const auto &coverage = run.coverage;
    const std::size_t n_epochs = run.land_cover.size();
    const std::size_t n_periods = n_epochs > 0 ? n_epochs - 1 : 0;

    RunResult result;
    result.pool_names = model.pool_names();
    result.class_codes = model.class_codes();
    result.dims = run_dims(run);
    const AccumDims dims = result.dims;
    result.totals = std::make_unique<DistrictTotals>(dims);

    std::vector<int> epoch_years;
    for (const auto &ep : run.config.epochs) {
        epoch_years.push_back(ep.year);
    }
    std::vector<double> years_between(n_periods);
    for (std::size_t k = 0; k < n_periods; ++k) {
        years_between[k] =
            static_cast<double>(run.config.epochs[k + 1].year - run.config.epochs[k].year);
    }
    const models::GainLossModel *gain_loss = run.flux_model.get();
    const auto &flux_layers = run.flux_layers;

    std::error_code ec;
    fs::create_directories(output_dir, ec);
    if (ec) {
        throw OutputError("cannot create output directory: " + output_dir + ": " + ec.message());
    }
    result.rasters = make_output_writers(run, output_dir);
    const std::size_t n_outputs = result.rasters.size();
    OrderedRasterOutputs raster_outputs(result.rasters, plan);
    OrderedQueue<BlockPartial> partial_queue;

    const std::size_t row_len =
        static_cast<std::size_t>(std::min<int64_t>(run.grid.width, plan.max_block_cells()));
    std::vector<std::unique_ptr<ThreadState>> states;
    std::atomic<bool> stop{false};
    std::atomic<bool> unknown_found{false};

    progress.start("compute", static_cast<int64_t>(plan.size()));
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto s_valid = static_cast<uint8_t>(PixelStatus::valid);
    const auto s_unknown = static_cast<uint8_t>(PixelStatus::unknown_class);
    const bool transitions = dims.classes > 0;

    const int64_t kill_after = failpoint("kill_after_blocks");
    const int64_t sigint_after = failpoint("sigint_after_blocks");
    const int64_t pause_after = failpoint("pause_after_blocks");
    std::atomic<int64_t> appended{0};
    std::atomic<int64_t> computed{0};
    const auto pending_limit = static_cast<std::size_t>(std::max(1, run.threads));
    // Compute one block: its district partial and its output windows.
    auto compute_block = [&](ThreadState &st, std::size_t b, BlockPartial &partial,
                             std::vector<std::vector<float>> &out) {
        const raster::Window &w = plan[b];
        const auto cells = static_cast<std::size_t>(w.cells());
        for (std::size_t e = 0; e < n_epochs; ++e) {
            st.land_cover[e]->read_int32(w, st.codes[e].data(), st.valid[e].data());
        }
        for (std::size_t l = 0; l < st.layer_readers.size(); ++l) {
            for (std::size_t k = 0; k < st.layer_readers[l].size(); ++k) {
                st.layer_readers[l][k]->read_double(w, st.layer_values[l][k].data(),
                                                    st.layer_valid[l][k].data());
            }
        }
        partial.status_pixels.assign(n_epochs * dims.statuses, 0);
        partial.unknown_codes.resize(n_epochs);
        const std::size_t n_classes = result.class_codes.size();
        partial.class_pixels.assign(n_epochs * n_classes, 0);
        out.assign(n_outputs, std::vector<float>(cells));

        const auto xs = static_cast<std::size_t>(w.x_size);
        const auto x_end = static_cast<uint32_t>(w.x_off + w.x_size);
        for (int64_t r = 0; r < w.y_size; ++r) {
            const int64_t y = w.y_off + r;
            const std::size_t off = static_cast<std::size_t>(r) * xs;
            area.row_areas_ha(y, w.x_off, w.x_size, st.area_ha.data());
            // 1. Every epoch's pools, status and class for the row (all pixels, so the
            //    rasters and the pixel counts cover the whole grid).
            for (std::size_t e = 0; e < n_epochs; ++e) {
                for (std::size_t l = 0; l < st.layer_readers.size(); ++l) {
                    // One raster for every epoch, one per epoch, or one per period (flux losses:
                    // epoch e sees period e, the last epoch the last period; only the flux step
                    // reads them, as period k = epoch k).
                    const std::size_t k = st.layer_readers[l].size() == 1
                                              ? 0
                                              : std::min(e, st.layer_readers[l].size() - 1);
                    st.layer_row[e][l] = st.layer_values[l][k].data() + off;
                    st.layer_row_valid[e][l] = st.layer_valid[l][k].data() + off;
                }
                models::StockInputs in{st.codes[e].data() + off, st.valid[e].data() + off, xs,
                                       st.layer_row[e].data(), st.layer_row_valid[e].data()};
                models::StockOutputs o{
                    st.density_ptrs[e].data(), st.status[e].data(), st.class_index[e].data(),
                    run.config.write_method_codes ? st.method[e].data() : nullptr,
                    run.dom_model ? st.agb[e].data() : nullptr};
                model.compute(in, o);
                // 1a. Dead wood and litter from the AGB the stock model gave (models.dom).
                if (run.dom_model) {
                    const std::size_t dl = run.dom_layer_first;
                    const models::DomInputs din{xs, st.agb[e].data(), st.layer_row[e].data() + dl,
                                                st.layer_row_valid[e].data() + dl};
                    run.dom_model->apply(din, o);
                }
            }
            // 1b. Soil across epochs (its transitions link the epochs of a pixel).
            if (run.soil_model) {
                // The soil layers follow the stock model's: zone, soil, [management].
                const std::size_t zl = run.stock_layer_count;
                const bool mg = run.soil_model->uses_management_raster();
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    st.soil_class[e] = st.class_index[e].data();
                    st.soil_status[e] = st.status[e].data();
                    st.soil_out[e] = st.density_ptrs[e][run.soil_pool];
                    if (mg) {
                        st.soil_mg[e] = st.layer_row[e][zl + 2];
                        st.soil_mg_ok[e] = st.layer_row_valid[e][zl + 2];
                    }
                }
                run.soil_model->apply(xs, epoch_years, st.soil_class.data(), st.soil_status.data(),
                                      st.layer_row[0][zl], st.layer_row_valid[0][zl],
                                      st.layer_row[0][zl + 1], st.layer_row_valid[0][zl + 1],
                                      st.soil_out.data(), mg ? st.soil_mg.data() : nullptr,
                                      mg ? st.soil_mg_ok.data() : nullptr, st.soil_usage.data());
                // A pixel the soil model made invalid (nodata stratum or management code,
                // missing SOC value) keeps no pool at all, like any invalid pixel.
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    const uint8_t *status = st.status[e].data();
                    for (std::size_t i = 0; i < xs; ++i) {
                        if (status[i] != s_valid) {
                            for (std::size_t p = 0; p < dims.pools; ++p) {
                                st.density_ptrs[e][p][i] = 0.0;
                            }
                            st.method[e][i] = static_cast<uint8_t>(models::MethodCode::none);
                        }
                    }
                }
            }
            // 1c. Pixel counts and the stock rasters.
            for (std::size_t e = 0; e < n_epochs; ++e) {
                const uint8_t *status = st.status[e].data();
                int64_t *counts = &partial.status_pixels[e * dims.statuses];
                float *o_stock = n_outputs > 0 ? out[e].data() + off : nullptr;
                int64_t *class_counts = partial.class_pixels.data() + e * n_classes;
                const int32_t *cls = st.class_index[e].data();
                for (std::size_t i = 0; i < xs; ++i) {
                    ++counts[status[i]];
                    if (status[i] == s_valid) {
                        ++class_counts[cls[i]];
                    }
                    if (status[i] == s_unknown) {
                        partial.unknown_codes[e].insert(st.codes[e][off + i]);
                    }
                    double sum = 0.0;
                    for (std::size_t p = 0; p < dims.pools; ++p) {
                        sum += st.density_ptrs[e][p][i];
                    }
                    st.total[e][i] = sum;
                    if (gain_loss != nullptr) {
                        double gl = 0.0;
                        for (std::size_t p = 0; p < dims.pools; ++p) {
                            if (run.gain_loss_pool[p]) {
                                gl += st.density_ptrs[e][p][i];
                            }
                        }
                        st.gl_stock[e][i] = gl;
                    }
                    if (o_stock != nullptr) {
                        o_stock[i] = status[i] == s_valid ? static_cast<float>(sum) : nan;
                    }
                }
            }
            if (run.config.write_method_codes) {
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    float *o_method = out[n_epochs + n_periods + e].data() + off;
                    for (std::size_t i = 0; i < xs; ++i) {
                        o_method[i] = st.method[e][i];
                    }
                }
            }
            // 2. Per-pixel annual stock change of each period (NaN where either epoch is
            //    invalid). With flux.gain_loss, the gain-loss pools take the gain-loss
            //    change and the others their stock difference.
            for (std::size_t k = 0; k < n_periods; ++k) {
                double *change = st.change[k].data();
                float *o_change = n_outputs > 0 ? out[n_epochs + k].data() + off : nullptr;
                if (gain_loss == nullptr) {
                    for (std::size_t i = 0; i < xs; ++i) {
                        double c = std::numeric_limits<double>::quiet_NaN();
                        if (st.status[k][i] == s_valid && st.status[k + 1][i] == s_valid) {
                            c = models::stock_change_per_yr(st.total[k][i], st.total[k + 1][i],
                                                            years_between[k]);
                        }
                        change[i] = c;
                    }
                } else {
                    auto layer = [&](int l, std::size_t e) {
                        return l < 0 ? nullptr : st.layer_row[e][static_cast<std::size_t>(l)];
                    };
                    auto layer_ok = [&](int l, std::size_t e) {
                        return l < 0 ? nullptr : st.layer_row_valid[e][static_cast<std::size_t>(l)];
                    };
                    models::GainLossPeriod in;
                    in.n = xs;
                    in.class_from = st.class_index[k].data();
                    in.class_to = st.class_index[k + 1].data();
                    in.stock_from = st.gl_stock[k].data();
                    in.stock_to = st.gl_stock[k + 1].data();
                    in.forest_type = layer(flux_layers.forest_type, k);
                    in.forest_type_ok = layer_ok(flux_layers.forest_type, k);
                    in.driver = layer(flux_layers.driver, k);
                    in.driver_ok = layer_ok(flux_layers.driver, k);
                    in.volume_from = layer(flux_layers.volume, k);
                    in.volume_from_ok = layer_ok(flux_layers.volume, k);
                    in.years_since_first_epoch =
                        static_cast<double>(epoch_years[k] - epoch_years[0]);
                    in.years = years_between[k];
                    in.removals = layer(flux_layers.harvest, k);
                    in.removals_ok = layer_ok(flux_layers.harvest, k);
                    in.fuelwood = layer(flux_layers.fuelwood, k);
                    in.fuelwood_ok = layer_ok(flux_layers.fuelwood, k);
                    in.fuelwood_parts = layer(flux_layers.fuelwood_parts, k);
                    in.fuelwood_parts_ok = layer_ok(flux_layers.fuelwood_parts, k);
                    in.disturbed = layer(flux_layers.disturbed, k);
                    in.disturbed_ok = layer_ok(flux_layers.disturbed, k);
                    in.disturbance_type = layer(flux_layers.disturbance_type, k);
                    in.disturbance_type_ok = layer_ok(flux_layers.disturbance_type, k);
                    double *gl_change = st.gl_change[k].data();
                    gain_loss->period(in, gl_change, dims.losses ? &st.gl_parts_ptrs[k] : nullptr);
                    for (std::size_t i = 0; i < xs; ++i) {
                        double c = std::numeric_limits<double>::quiet_NaN();
                        if (st.status[k][i] == s_valid && st.status[k + 1][i] == s_valid) {
                            // Stock difference of the other pools + gain-loss of these.
                            c = models::stock_change_per_yr(
                                    st.total[k][i] - st.gl_stock[k][i],
                                    st.total[k + 1][i] - st.gl_stock[k + 1][i], years_between[k]) +
                                gl_change[i];
                        }
                        change[i] = c;
                        // Keep the gain-loss part for the district sums (NaN with c).
                        gl_change[i] = std::isnan(c) ? c : gl_change[i];
                    }
                }
                if (o_change != nullptr) {
                    for (std::size_t i = 0; i < xs; ++i) {
                        o_change[i] = static_cast<float>(change[i]);
                    }
                }
            }
            // 3. District sums: every coverage entry of the row that meets the block,
            //    weighted by its fraction and the true pixel area.
            for (const raster::CoverageEntry &ce : coverage.row(y)) {
                if (ce.x1 <= w.x_off || ce.x0 >= x_end) {
                    continue;
                }
                const auto i0 =
                    static_cast<std::size_t>(std::max<int64_t>(ce.x0, w.x_off) - w.x_off);
                const auto i1 = static_cast<std::size_t>(
                    std::min<int64_t>(ce.x1, static_cast<int64_t>(x_end)) - w.x_off);
                // Each quantity is first reduced over the entry's pixels in a local sum
                // (no aliasing with the record, so the loops vectorize), then added to the
                // district record once, times the entry's fraction. Models leave the pools
                // of invalid pixels at 0, so stock sums need no validity test.
                double *rec = st.scratch.touch(ce.district);
                const double f = ce.fraction();
                const double *area_row = st.area_ha.data();
                double area_sum = 0.0;
                for (std::size_t i = i0; i < i1; ++i) {
                    area_sum += area_row[i];
                }
                rec[dims.area()] += f * area_sum;
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    const uint8_t *status = st.status[e].data();
                    double status_sum[models::PIXEL_STATUS_COUNT] = {};
                    for (std::size_t i = i0; i < i1; ++i) {
                        status_sum[status[i]] += area_row[i];
                    }
                    for (std::size_t q = 0; q < dims.statuses; ++q) {
                        rec[dims.status_area(e, q)] += f * status_sum[q];
                    }
                    for (std::size_t p = 0; p < dims.pools; ++p) {
                        const double *dens = st.density_ptrs[e][p];
                        double sum = 0.0;
                        for (std::size_t i = i0; i < i1; ++i) {
                            sum += dens[i] * area_row[i];
                        }
                        rec[dims.stock(e, p)] += f * sum;
                    }
                }
                for (std::size_t k = 0; k < n_periods; ++k) {
                    const double *change = st.change[k].data();
                    double flux = 0.0;
                    double invalid = 0.0;
                    for (std::size_t i = i0; i < i1; ++i) {
                        if (std::isnan(change[i])) {
                            invalid += area_row[i];
                        } else {
                            flux += change[i] * area_row[i];
                        }
                    }
                    rec[dims.flux(k)] += f * flux;
                    rec[dims.flux_invalid_area(k)] += f * invalid;
                    if (gain_loss != nullptr) {
                        const double *gl = st.gl_change[k].data();
                        double gl_sum = 0.0;
                        for (std::size_t i = i0; i < i1; ++i) {
                            if (!std::isnan(gl[i])) {
                                gl_sum += gl[i] * area_row[i];
                            }
                        }
                        rec[dims.flux_gain_loss(k)] += f * gl_sum;
                        // The parts of the change, on the pixels the change counts (parts are 0
                        // where the kernel found it NaN, but not where an epoch's pools were
                        // invalid).
                        for (std::size_t j = 0; dims.losses && j < AccumDims::GAIN_LOSS_PARTS;
                             ++j) {
                            const double *part =
                                st.gl_parts[k * AccumDims::GAIN_LOSS_PARTS + j].data();
                            double part_sum = 0.0;
                            for (std::size_t i = i0; i < i1; ++i) {
                                if (!std::isnan(gl[i])) {
                                    part_sum += part[i] * area_row[i];
                                }
                            }
                            rec[dims.gain_loss_part(k, j)] += f * part_sum;
                        }
                        // Impossible loss inputs, by input (refused after the run).
                        for (std::size_t j = 0; dims.losses && j < AccumDims::LOSS_INPUTS; ++j) {
                            const uint8_t *bad = st.gl_bad[k].data();
                            double bad_sum = 0.0;
                            for (std::size_t i = i0; i < i1; ++i) {
                                if ((bad[i] >> j) & 1U) {
                                    bad_sum += area_row[i];
                                }
                            }
                            rec[dims.loss_bad_area(k, j)] += f * bad_sum;
                        }
                    }
                    if (!transitions) {
                        continue;
                    }
                    // Run-length: consecutive pixels with the same (from, to) pair add to
                    // one local sum.
                    const int32_t *from = st.class_index[k].data();
                    const int32_t *to = st.class_index[k + 1].data();
                    std::size_t cell = SIZE_MAX;
                    double cell_sum = 0.0;
                    for (std::size_t i = i0; i < i1; ++i) {
                        if (std::isnan(change[i])) {
                            continue;
                        }
                        const std::size_t c = dims.transition(k, static_cast<std::size_t>(from[i]),
                                                              static_cast<std::size_t>(to[i]));
                        if (c != cell) {
                            if (cell != SIZE_MAX) {
                                rec[cell] += f * cell_sum;
                            }
                            cell = c;
                            cell_sum = 0.0;
                        }
                        cell_sum += area_row[i];
                    }
                    if (cell != SIZE_MAX) {
                        rec[cell] += f * cell_sum;
                    }
                }
            }
        }
        st.scratch.extract(partial);
    };

    parallel_blocks(
        plan.size(), run.threads, states,
        [&] { return std::make_unique<ThreadState>(run, dims, row_len); },
        [&](ThreadState &st, std::size_t b) {
            if (interrupted()) {
                stop = true;
                return;
            }
            BlockPartial partial;
            std::vector<std::vector<float>> out;
            if (checkpoint != nullptr && checkpoint->has(b)) {
                checkpoint->load(b, partial, out); // done before an interruption
            } else {
                compute_block(st, b, partial, out);
                if (checkpoint != nullptr) {
                    checkpoint->append(b, partial, out);
                    const int64_t n_appended = appended.fetch_add(1) + 1;
                    if (kill_after >= 0 && n_appended >= kill_after) {
                        std::raise(SIGKILL); // crash-test failpoint (interrupt.hpp)
                    }
                    if (sigint_after >= 0 && n_appended == sigint_after) {
                        std::raise(SIGINT); // as if Ctrl-C were pressed now
                    }
                }
            }
            for (std::size_t e = 0; e < n_epochs; ++e) {
                if (!partial.unknown_codes[e].empty()) {
                    unknown_found = true;
                    stop = true;
                }
            }
            raster_outputs.deposit(b, std::move(out));
            partial_queue.deposit(b, std::move(partial), [&](std::size_t, const BlockPartial &p) {
                result.totals->merge(p);
                progress.tick();
            });
            // Threads that run ahead of the (serial) GeoTIFF writer wait here, so that at most
            // `threads` finished blocks per output are held in memory, whatever the grid size
            // (resources.hpp counts them in the memory per thread).
            raster_outputs.wait_for_room(pending_limit, stop);
            partial_queue.wait_for_room(pending_limit, stop);
            const int64_t n_computed = computed.fetch_add(1) + 1;
            if (pause_after >= 0 && n_computed == pause_after) {
                std::raise(SIGSTOP); // failpoint: a test changes an input, then sends SIGCONT
            }
        },
        stop);
    if (interrupted()) {
        throw Interrupted("stopped by signal " + std::to_string(interrupt_signal()) + " after " +
                          std::to_string(partial_queue.consumed()) + " of " +
                          std::to_string(plan.size()) + " blocks");
    }
    if (unknown_found) {
        const auto messages = find_unknown_classes(run);
        throw InputError(messages.empty()
                             ? std::vector<std::string>{"land-cover codes missing from the pools "
                                                        "table were found but could not be "
                                                        "listed"}
                             : messages);
    }
    // Bad values in the model's layers, and epochs without any result: bad input (exit 2).
    // Nothing has been committed yet, so no output is left behind.
    if (auto messages = bad_value_messages(run, *result.totals, n_epochs); !messages.empty()) {
        throw InputError(std::move(messages));
    }
    if (auto messages = loss_value_messages(run, *result.totals); !messages.empty()) {
        throw InputError(std::move(messages));
    }
    if (auto messages = empty_epoch_messages(run, *result.totals, n_epochs); !messages.empty()) {
        throw InputError(std::move(messages));
    }
    // Unverified parameter values that valid pixels actually used (science.md status [U]).
    for (std::size_t c = 0; c < result.class_codes.size(); ++c) {
        int64_t used = 0;
        for (std::size_t e = 0; e < n_epochs; ++e) {
            used += result.totals->class_pixels(e, c);
        }
        if (used == 0) {
            continue;
        }
        for (auto &desc : model.unverified_parameters(static_cast<int32_t>(c))) {
            result.unverified_used.push_back(desc + " (used by " + std::to_string(used) +
                                             " pixel-epochs)");
        }
        if (const auto it = run.class_unverified.find(result.class_codes[c]);
            it != run.class_unverified.end()) {
            for (const auto &desc : it->second) {
                result.unverified_used.push_back(desc + " (used by " + std::to_string(used) +
                                                 " pixel-epochs)");
            }
        }
    }
    if (gain_loss != nullptr && n_periods > 0) {
        for (auto &desc : gain_loss->unverified_parameters()) {
            result.unverified_used.push_back(desc);
        }
    }
    // Unverified SOC parameter rows: the per-thread counts of the soil cells that use them.
    if (run.soil_model) {
        std::vector<int64_t> usage(run.soil_model->usage_cells(), 0);
        for (const auto &st : states) {
            if (st) {
                for (std::size_t k = 0; k < usage.size(); ++k) {
                    usage[k] += st->soil_usage[k];
                }
            }
        }
        for (auto &desc : run.soil_model->unverified_parameters(usage)) {
            result.unverified_used.push_back(std::move(desc));
        }
    }
    progress.finish(std::to_string(run.grid.cells()) + " px per epoch");
    return result;
}

} // namespace cs::pipeline
