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
#include "raster/cog.hpp"
#include "raster/raster_error.hpp"

#include <omp.h>
#include <sys/resource.h>

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
#include <thread>

namespace cs::pipeline {

namespace fs = std::filesystem;
using models::PixelStatus;

int resolve_threads(int requested) {
    return requested > 0 ? requested : std::max(1, omp_get_num_procs());
}

namespace {
/// The internal district sum of the area where `stage` refused the values of layer `decl`.
std::string refused_series_name(const models::Stage &stage, const models::LayerDecl &decl) {
    return "#refused " + stage.name() + " " + decl.name;
}
} // namespace

AccumDims run_dims(const PreparedRun &run) {
    AccumDims d{run.district_ids.size(),
                run.land_cover.size(),
                run.stock_model->pool_names().size(),
                static_cast<std::size_t>(models::PIXEL_STATUS_COUNT),
                run.config.write_transitions ? run.stock_model->class_codes().size() : 0,
                {},
                {}};
    for (const auto &stage : run.chain) {
        for (const auto &series : stage->series()) {
            d.series_names.push_back(series.name);
            switch (series.axis) {
            case models::TimeAxis::epoch:
                d.series_lengths.push_back(d.epochs);
                break;
            case models::TimeAxis::period:
                d.series_lengths.push_back(d.periods());
                break;
            case models::TimeAxis::month:
                d.series_lengths.push_back(run.months.size());
                break;
            case models::TimeAxis::once:
                d.series_lengths.push_back(1);
                break;
            }
        }
    }
    // Then, per period stage and layer with refused values, the area (ha) of the pixels the
    // stage flagged in each period (not an output; the run is refused when any is > 0).
    for (const auto &stage : run.chain) {
        if (stage->kind() != models::StageKind::period) {
            continue;
        }
        for (const auto &decl : stage->layers()) {
            if (!decl.refused_values.empty()) {
                d.series_names.push_back(refused_series_name(*stage, decl));
                d.series_lengths.push_back(d.periods());
            }
        }
    }
    d.stat_cells = run.uncertainty ? run.uncertainty->cells : 0;
    return d;
}

std::size_t output_raster_count(const Config &config, std::size_t pools) {
    if (!config.write_rasters) {
        return 0;
    }
    const std::size_t n_e = config.epochs.size();
    const std::size_t pool_rasters =
        config.write_pool_rasters ? pools * (n_e + (n_e > 0 ? n_e - 1 : 0)) : 0;
    const std::size_t e = config.epochs.size();
    std::set<int> years;
    for (const auto &m : config.months) {
        years.insert(m.year);
    }
    const std::size_t month_rasters =
        years.size() + (config.write_monthly_rasters ? config.months.size() : 0);
    return e + (e > 0 ? e - 1 : 0) + (config.write_method_codes ? e : 0) + pool_rasters +
           month_rasters;
}

std::vector<MonthRaster> month_rasters(const PreparedRun &run) {
    std::vector<MonthRaster> out;
    if (!run.config.write_rasters || run.months.empty()) {
        return out;
    }
    for (std::size_t s = 0; s < run.chain.size(); ++s) {
        const models::Stage &stage = *run.chain[s];
        if (stage.kind() != models::StageKind::month) {
            continue;
        }
        const auto decls = stage.series();
        for (std::size_t j = 0; j < decls.size(); ++j) {
            const models::SeriesDecl &d = decls[j];
            if (d.raster_prefix.empty()) {
                continue;
            }
            const std::string note = d.raster_note.empty() ? "" : "; " + d.raster_note;
            std::vector<int> years;
            for (const auto &m : run.months) {
                if (years.empty() || years.back() != m.year) {
                    years.push_back(m.year);
                }
            }
            for (int y : years) {
                int n = 0;
                for (const auto &m : run.months) {
                    n += m.year == y ? 1 : 0;
                }
                out.push_back({s, j, y, 0, d.raster_prefix + "_" + std::to_string(y) + ".tif",
                               d.description + ", sum of the " + std::to_string(n) +
                                   (n == 1 ? " month" : " months") + " of " + std::to_string(y) +
                                   " in the run (" + stage.name() + note + ")",
                               d.raster_unit, d.raster_scale});
            }
            if (run.config.write_monthly_rasters) {
                for (const auto &m : run.months) {
                    char ym[16];
                    std::snprintf(ym, sizeof ym, "%04d%02d", m.year, m.month);
                    char label[16];
                    std::snprintf(label, sizeof label, "%04d-%02d", m.year, m.month);
                    out.push_back({s, j, m.year, m.month, d.raster_prefix + "_" + ym + ".tif",
                                   d.description + ", " + label + " (" + stage.name() + note + ")",
                                   d.raster_unit, d.raster_scale});
                }
            }
        }
    }
    return out;
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

/// Bad values in a declared layer that must hold a quantity >= 0 (PixelStatus::invalid_value: a
/// negative, NaN or infinite volume or AGB) are bad input, not data gaps: one message per raster
/// holding them, naming it, the count and the first pixel. Empty when no pixel of the run was
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
    const auto &requests = run.layer_decls;
    const std::size_t n_layers = std::min(requests.size(), run.layers.size());
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

/// What the driver knows of one stage of the chain, worked out once per run.
struct StagePlan {
    const models::Stage *stage = nullptr;
    models::StageKind kind = models::StageKind::epoch_pools;
    std::vector<int> layers;      ///< index into run.layers per stage layer, -1 when absent
    std::vector<int> variables;   ///< per declared variable (produced, then consumed): slot
    std::vector<uint8_t> claimed; ///< period stages: per pool, 1 when the stage claims it
    std::size_t first_series = 0; ///< index of its first series in AccumDims
    std::size_t series_count = 0;
    /// Period stages: the stage layers with refused values (bit j of PeriodRow::refused is
    /// refused_layers[j]) and the AccumDims series of their refused areas (first_refused + j).
    std::vector<std::size_t> refused_layers;
    std::size_t first_refused = 0;
    bool runs = true; ///< false for a period stage without periods, etc.
};

/// The chain as the driver runs it: stages by kind, variables by slot.
struct ChainPlan {
    std::vector<StagePlan> stages; ///< in chain order
    std::vector<std::size_t> epoch_stages, across_stages, period_stages, month_stages;
    std::size_t variables = 0; ///< per-epoch variable rows (produced and consumed)
};

ChainPlan plan_chain(const PreparedRun &run, std::size_t n_epochs, std::size_t n_periods) {
    ChainPlan plan;
    std::map<std::string, int> slot;
    std::set<std::string> consumed;
    for (const auto &stage : run.chain) {
        for (const auto &v : stage->variables_consumed()) {
            consumed.insert(v);
        }
    }
    const auto &pools = run.stock_model->pool_names();
    std::size_t series = 0;
    for (std::size_t s = 0; s < run.chain.size(); ++s) {
        const models::Stage &stage = *run.chain[s];
        StagePlan sp;
        sp.stage = &stage;
        sp.kind = stage.kind();
        sp.layers = s < run.stage_layers.size() ? run.stage_layers[s] : std::vector<int>{};
        for (const auto &v : stage.variables_produced()) {
            if (consumed.count(v) == 0) {
                sp.variables.push_back(-1); // nobody reads it: not computed
                continue;
            }
            const auto [it, added] = slot.emplace(v, static_cast<int>(slot.size()));
            sp.variables.push_back(it->second);
        }
        for (const auto &v : stage.variables_consumed()) {
            const auto it = slot.find(v);
            sp.variables.push_back(it == slot.end() ? -1 : it->second);
        }
        if (sp.kind == models::StageKind::period) {
            const auto written = stage.pools_written();
            for (const auto &p : pools) {
                sp.claimed.push_back(std::find(written.begin(), written.end(), p) != written.end());
            }
        }
        sp.first_series = series;
        sp.series_count = stage.series().size();
        series += sp.series_count;
        switch (sp.kind) {
        case models::StageKind::epoch_pools:
            sp.runs = n_epochs > 0;
            plan.epoch_stages.push_back(s);
            break;
        case models::StageKind::across_epochs:
            sp.runs = n_epochs > 0;
            plan.across_stages.push_back(s);
            break;
        case models::StageKind::period:
            sp.runs = n_periods > 0;
            plan.period_stages.push_back(s);
            break;
        case models::StageKind::month:
            sp.runs = !run.months.empty();
            plan.month_stages.push_back(s);
            break;
        }
        plan.stages.push_back(std::move(sp));
    }
    // The refused-area series follow the declared ones (run_dims).
    for (StagePlan &sp : plan.stages) {
        if (sp.kind != models::StageKind::period) {
            continue;
        }
        const auto decls = sp.stage->layers();
        for (std::size_t l = 0; l < decls.size(); ++l) {
            if (!decls[l].refused_values.empty()) {
                sp.refused_layers.push_back(l);
            }
        }
        sp.first_refused = series;
        series += sp.refused_layers.size();
    }
    plan.variables = slot.size();
    return plan;
}

/// Values a period stage refused (LayerDecl::refused_values) on some pixels of the districts:
/// bad input, one message per layer raster and period naming the area and the districts.
std::vector<std::string> refused_value_messages(const PreparedRun &run, const ChainPlan &chain,
                                                const DistrictTotals &totals) {
    const AccumDims &d = totals.dims();
    std::vector<std::string> messages;
    for (const StagePlan &sp : chain.stages) {
        if (sp.refused_layers.empty() || !sp.runs) {
            continue;
        }
        const auto decls = sp.stage->layers();
        for (std::size_t j = 0; j < sp.refused_layers.size(); ++j) {
            const std::size_t l = sp.refused_layers[j];
            const int li = sp.layers[l];
            if (li < 0) {
                continue;
            }
            for (std::size_t k = 0; k < d.periods(); ++k) {
                double area = 0.0;
                std::string where;
                std::size_t n = 0;
                for (std::size_t u = 0; u < d.districts; ++u) {
                    const double a = totals.value(u, d.series(sp.first_refused + j, k));
                    if (a > 0.0) {
                        area += a;
                        if (++n <= 5) {
                            where += (where.empty() ? "" : ", ") +
                                     std::to_string(run.district_ids[u]) +
                                     (run.district_names[u].empty()
                                          ? std::string()
                                          : " (" + run.district_names[u] + ")");
                        }
                    }
                }
                if (n == 0) {
                    continue;
                }
                const auto &rasters = run.layers[static_cast<std::size_t>(li)];
                const auto &info = rasters[rasters.size() == 1 ? 0 : k];
                char ha[32];
                std::snprintf(ha, sizeof ha, "%.4g", area);
                messages.push_back("bad input values: " + input_where(run, info) + ": " + ha +
                                   " ha where " + sp.stage->name() + " needs it in period " +
                                   std::to_string(run.config.epochs[k].year) + "-" +
                                   std::to_string(run.config.epochs[k + 1].year) +
                                   " hold an impossible value (" +
                                   (n == 1 ? "district " : "districts ") + where +
                                   (n > 5 ? ", ..." : "") + "); " + decls[l].refused_values +
                                   " (use the band's nodata value for pixels without data)");
            }
        }
    }
    return messages;
}

/// Per-thread rows of one stage, pointed at the thread's buffers once per row.
struct StageRows {
    std::vector<std::vector<models::LayerRow>> epoch_layers; ///< [epoch][layer]
    std::vector<std::vector<double *>> variables;            ///< [epoch][variable]
    std::vector<std::vector<const double *>> across_value;   ///< [layer][epoch]
    std::vector<std::vector<const uint8_t *>> across_valid;
    std::vector<const double *const *> across_value_ptrs; ///< [layer]
    std::vector<const uint8_t *const *> across_valid_ptrs;
    std::vector<models::LayerRow> period_layers; ///< [layer], of the current period
    std::vector<std::vector<double>> stock;      ///< period stages: [epoch] claimed pools
    std::vector<std::vector<double>> change;     ///< period stages: [period]
    /// Period stages: rows of the series after the first, [period x (series - 1)], their
    /// pointers per period, and the refused-value flags per period.
    std::vector<std::vector<double>> period_series;
    std::vector<std::vector<double *>> period_series_ptrs;
    std::vector<std::vector<uint8_t>> refused;
    std::vector<std::vector<models::LayerRow>> month_layers; ///< [layer][month]
    std::vector<const models::LayerRow *> month_layer_ptrs;
    std::vector<std::vector<double>> series;       ///< month stages: [series x month] rows
    std::vector<std::vector<double *>> series_ptr; ///< [series][month]
    std::vector<double *const *> series_ptrs;      ///< [series]
    std::vector<int64_t> usage;                    ///< usage_cells() counters
};

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
    std::vector<std::vector<double *>> pool_epochs;  // per pool: one row pointer per epoch
    std::vector<double *const *> pool_epoch_ptrs;    // per pool
    std::vector<std::vector<double>> change;         // per period, one row; NaN = invalid
    std::vector<std::vector<double>> total;          // per epoch, one row: sum of pools
    std::vector<std::vector<double>> variables;      // per variable x epoch, one row
    std::vector<double> area_ha;                     // one row
    std::vector<const int32_t *> class_rows;         // per epoch
    std::vector<uint8_t *> status_rows;              // per epoch
    // Months: the land cover of each month's epoch (pointers into the epoch rows).
    std::vector<const int32_t *> month_codes, month_class;
    std::vector<const uint8_t *> month_valid, month_status;
    // Declared layers: readers and block buffers per layer and raster.
    std::vector<std::vector<std::unique_ptr<raster::RasterReader>>> layer_readers;
    std::vector<std::vector<std::vector<double>>> layer_values;
    std::vector<std::vector<std::vector<uint8_t>>> layer_valid;
    std::vector<StageRows> stages; // parallel to ChainPlan::stages
    BlockScratch scratch;
    std::unique_ptr<UncertaintyRows> uncertainty; // statistics rows, with `uncertainty`
    std::vector<const double *> change_rows;      // per period
    // Per chain stage: its change rows per period (period stages; else null), for the period
    // statistics of the uncertainty.
    std::vector<std::vector<const double *>> stage_change_rows;
    std::vector<const double *const *> stage_change;

    ThreadState(const PreparedRun &run, const ChainPlan &chain, const AccumDims &dims,
                std::size_t row_len)
        : area_ha(row_len), scratch(dims) {
        const auto cells = static_cast<std::size_t>(run.block_plan->max_block_cells());
        const std::size_t n_epochs = dims.epochs;
        const std::size_t n_months = run.months.size();
        for (const auto &lc : run.land_cover) {
            land_cover.push_back(std::make_unique<raster::RasterReader>(lc));
            codes.emplace_back(cells);
            valid.emplace_back(cells);
            status.emplace_back(row_len);
            class_index.emplace_back(row_len);
            total.emplace_back(row_len);
            method.emplace_back(row_len);
            density_ptrs.emplace_back();
            for (std::size_t p = 0; p < dims.pools; ++p) {
                density.emplace_back(row_len);
            }
        }
        pool_epochs.assign(dims.pools, std::vector<double *>(n_epochs));
        for (std::size_t e = 0; e < n_epochs; ++e) {
            for (std::size_t p = 0; p < dims.pools; ++p) {
                density_ptrs[e].push_back(density[e * dims.pools + p].data());
                pool_epochs[p][e] = density[e * dims.pools + p].data();
            }
            class_rows.push_back(class_index[e].data());
            status_rows.push_back(status[e].data());
        }
        for (const auto &row : pool_epochs) {
            pool_epoch_ptrs.push_back(row.data());
        }
        for (std::size_t k = 0; k < dims.periods(); ++k) {
            change.emplace_back(row_len);
            change_rows.push_back(change.back().data());
        }
        if (run.uncertainty) {
            uncertainty = std::make_unique<UncertaintyRows>(*run.uncertainty, row_len);
        }
        for (std::size_t v = 0; v < chain.variables * n_epochs; ++v) {
            variables.emplace_back(row_len);
        }
        for (const auto &m : run.months) {
            month_codes.push_back(codes[m.epoch].data());
            month_valid.push_back(valid[m.epoch].data());
            month_class.push_back(class_index[m.epoch].data());
            month_status.push_back(status[m.epoch].data());
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
        for (const StagePlan &sp : chain.stages) {
            StageRows r;
            const std::size_t n_layers = sp.layers.size();
            switch (sp.kind) {
            case models::StageKind::epoch_pools:
                r.epoch_layers.assign(n_epochs, std::vector<models::LayerRow>(n_layers));
                r.variables.assign(n_epochs, std::vector<double *>(sp.variables.size()));
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    for (std::size_t j = 0; j < sp.variables.size(); ++j) {
                        const int v = sp.variables[j];
                        r.variables[e][j] =
                            v < 0 ? nullptr
                                  : variables[static_cast<std::size_t>(v) * n_epochs + e].data();
                    }
                }
                break;
            case models::StageKind::across_epochs:
                r.across_value.assign(n_layers, std::vector<const double *>(n_epochs));
                r.across_valid.assign(n_layers, std::vector<const uint8_t *>(n_epochs));
                for (std::size_t l = 0; l < n_layers; ++l) {
                    r.across_value_ptrs.push_back(r.across_value[l].data());
                    r.across_valid_ptrs.push_back(r.across_valid[l].data());
                }
                break;
            case models::StageKind::period:
                r.period_layers.resize(n_layers);
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    r.stock.emplace_back(row_len);
                }
                for (std::size_t k = 0; k < dims.periods(); ++k) {
                    r.change.emplace_back(row_len);
                }
                if (sp.series_count > 1) {
                    const std::size_t more = sp.series_count - 1;
                    for (std::size_t j = 0; j < dims.periods() * more; ++j) {
                        r.period_series.emplace_back(row_len);
                    }
                    r.period_series_ptrs.assign(dims.periods(), std::vector<double *>(more));
                    for (std::size_t k = 0; k < dims.periods(); ++k) {
                        for (std::size_t j = 0; j < more; ++j) {
                            r.period_series_ptrs[k][j] = r.period_series[k * more + j].data();
                        }
                    }
                }
                if (!sp.refused_layers.empty()) {
                    for (std::size_t k = 0; k < dims.periods(); ++k) {
                        r.refused.emplace_back(row_len);
                    }
                }
                break;
            case models::StageKind::month:
                r.month_layers.assign(n_layers, std::vector<models::LayerRow>(n_months));
                for (std::size_t l = 0; l < n_layers; ++l) {
                    r.month_layer_ptrs.push_back(r.month_layers[l].data());
                }
                for (std::size_t s = 0; s < sp.series_count * n_months; ++s) {
                    r.series.emplace_back(row_len);
                }
                r.series_ptr.assign(sp.series_count, std::vector<double *>(n_months));
                for (std::size_t s = 0; s < sp.series_count; ++s) {
                    for (std::size_t m = 0; m < n_months; ++m) {
                        r.series_ptr[s][m] = r.series[s * n_months + m].data();
                    }
                    r.series_ptrs.push_back(r.series_ptr[s].data());
                }
                break;
            }
            r.usage.assign(sp.stage->usage_cells(), 0);
            stages.push_back(std::move(r));
        }
        for (StageRows &r : stages) {
            std::vector<const double *> rows(dims.periods(), nullptr);
            for (std::size_t k = 0; k < r.change.size() && k < rows.size(); ++k) {
                rows[k] = r.change[k].data();
            }
            stage_change_rows.push_back(std::move(rows));
        }
        for (const auto &rows : stage_change_rows) {
            stage_change.push_back(rows.data());
        }
    }

    /// Row `off` of raster `index` of layer `l` (the only raster when the layer has one).
    models::LayerRow layer_row(int l, std::size_t index, std::size_t off) const {
        if (l < 0) {
            return {};
        }
        const auto li = static_cast<std::size_t>(l);
        const std::size_t k = layer_values[li].size() == 1 ? 0 : index;
        return {layer_values[li][k].data() + off, layer_valid[li][k].data() + off};
    }
};

/// Sum of value x area over pixels [i0, i1), NaN values skipped.
double nan_skipping_sum(const double *value, const double *area_row, std::size_t i0,
                        std::size_t i1) {
    double sum = 0.0;
    for (std::size_t i = i0; i < i1; ++i) {
        if (!std::isnan(value[i])) {
            sum += value[i] * area_row[i];
        }
    }
    return sum;
}

/// The period stage that alone claims pool `p` (its change is that pool's change), or -1: the
/// pool's change is its stock difference, either because no stage claims it or because the
/// stage that does claims several pools and gives one change for all of them.
int sole_claimer(const ChainPlan &chain, std::size_t p) {
    for (const std::size_t s : chain.period_stages) {
        const auto &claimed = chain.stages[s].claimed;
        if (p < claimed.size() && claimed[p] != 0) {
            const auto n = std::count(claimed.begin(), claimed.end(), uint8_t{1});
            return n == 1 ? static_cast<int>(s) : -1;
        }
    }
    return -1;
}

/// How the change raster of pool `p` is computed, for its band description.
std::string pool_change_note(const ChainPlan &chain, std::size_t p) {
    for (const std::size_t s : chain.period_stages) {
        const auto &claimed = chain.stages[s].claimed;
        if (p < claimed.size() && claimed[p] != 0) {
            return sole_claimer(chain, p) >= 0
                       ? chain.stages[s].stage->name()
                       : "stock difference of this pool; the total change uses " +
                             chain.stages[s].stage->name() + " for it and other pools together";
        }
    }
    return "stock difference";
}

} // namespace

std::vector<std::unique_ptr<raster::GeoTiffWriter>>
make_output_writers(const PreparedRun &run, const std::string &output_dir) {
    std::vector<std::unique_ptr<raster::GeoTiffWriter>> writers;
    if (!run.config.write_rasters) {
        return writers;
    }
    if (run.config.write_overviews) {
        // Each output keeps one open temporary file per overview level (raster/cog.hpp) until
        // commit: a run with many outputs (monthly NEP rasters of several years) on a large grid
        // can pass the usual soft limit of 1024 open files, so raise it towards the hard limit.
        const std::size_t levels =
            raster::overview_levels(run.grid.width, run.grid.height, run.config.tile_size).size();
        const auto wanted = static_cast<rlim_t>(
            output_raster_count(run.config, run.stock_model->pool_names().size()) * (levels + 1) +
            256);
        struct rlimit lim = {};
        if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
            lim.rlim_cur < wanted) {
            lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, lim.rlim_max);
            ::setrlimit(RLIMIT_NOFILE, &lim);
        }
    }
    raster::GeoTiffOptions opts;
    opts.tile = run.config.tile_size;
    opts.compress = run.config.compression;
    opts.overviews = run.config.write_overviews;
    // The writer's DEFLATE on GDAL's pool besides the workers' own: measured on bench.sh
    // (README, Performance) it shortens the run even with every core computing, because an
    // output's tiles are otherwise compressed by one thread at a time.
    opts.compress_threads = run.threads;
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
    if (run.config.write_pool_rasters) {
        // Per pool: its stock per epoch, then its change per period (pool_raster_index()).
        const auto &pools = run.stock_model->pool_names();
        const ChainPlan chain =
            plan_chain(run, epochs.size(), epochs.empty() ? 0 : epochs.size() - 1);
        for (std::size_t p = 0; p < pools.size(); ++p) {
            const std::string &pool = pools[p];
            for (const auto &ep : epochs) {
                const std::string y = std::to_string(ep.year);
                writers.push_back(std::make_unique<raster::GeoTiffWriter>(
                    (fs::path(output_dir) / ("stock_" + pool + "_" + y + ".tif")).string(),
                    run.grid,
                    "carbon stock density " + y + ", pool " + pool + " (" +
                        run.stock_model->name() + ")",
                    "Mg C/ha", md, opts));
            }
            const std::string how = pool_change_note(chain, p);
            for (std::size_t k = 0; k + 1 < epochs.size(); ++k) {
                const std::string y1 = std::to_string(epochs[k].year);
                const std::string y2 = std::to_string(epochs[k + 1].year);
                writers.push_back(std::make_unique<raster::GeoTiffWriter>(
                    (fs::path(output_dir) / ("stock_change_" + pool + "_" + y1 + "_" + y2 + ".tif"))
                        .string(),
                    run.grid,
                    "annual carbon stock change " + y1 + "-" + y2 + ", pool " + pool + " (" + how +
                        "; positive = uptake/sink)",
                    "Mg C/ha/yr", md, opts));
            }
        }
    }
    for (const MonthRaster &mr : month_rasters(run)) {
        writers.push_back(
            std::make_unique<raster::GeoTiffWriter>((fs::path(output_dir) / mr.file).string(),
                                                    run.grid, mr.description, mr.unit, md, opts));
    }
    return writers;
}

std::size_t pending_blocks_limit(int threads) {
    return static_cast<std::size_t>(std::clamp(threads, 1, MAX_PENDING_BLOCKS));
}

OrderedRasterOutputs::OrderedRasterOutputs(
    std::vector<std::unique_ptr<raster::GeoTiffWriter>> &writers, const raster::BlockPlan &plan)
    : m_writers(writers), m_plan(plan), m_queues(writers.size()) {}

void OrderedRasterOutputs::deposit(std::size_t block, std::vector<std::vector<float>> &&windows) {
    for (std::size_t o = 0; o < m_writers.size(); ++o) {
        raster::GeoTiffWriter &writer = *m_writers[o];
        m_queues[o].deposit(block, std::move(windows[o]),
                            [&](std::size_t i, std::vector<float> &data) {
                                writer.write_window(m_plan[i], data.data());
                                std::lock_guard<std::mutex> lock(m_free_mutex);
                                m_free.push_back(std::move(data));
                            });
    }
}

void OrderedRasterOutputs::take_windows(std::vector<std::vector<float>> &windows, std::size_t count,
                                        std::size_t cells) {
    windows.resize(count);
    for (auto &win : windows) {
        {
            std::lock_guard<std::mutex> lock(m_free_mutex);
            if (!m_free.empty()) {
                win = std::move(m_free.back());
                m_free.pop_back();
            }
        }
        // Shrinking keeps the values; growing (after an edge block) zeroes only the new tail.
        win.resize(cells);
    }
}

void OrderedRasterOutputs::wait_for_room(std::size_t max_pending, const std::atomic<bool> &stop) {
    for (auto &q : m_queues) {
        q.wait_for_room(max_pending, stop);
    }
}

// ---- MPI hooks (the protocol and its theory of operation are in mpi_run.cpp) ----
namespace {

/// Usage counters of every stage of `chain` summed over `states`, concatenated in chain order
/// (the layout RemoteBlocks::finish returns).
std::vector<int64_t> flat_usage(const ChainPlan &chain,
                                const std::vector<std::unique_ptr<ThreadState>> &states) {
    std::vector<int64_t> flat;
    for (std::size_t s = 0; s < chain.stages.size(); ++s) {
        const std::size_t base = flat.size();
        flat.resize(base + chain.stages[s].stage->usage_cells(), 0);
        for (const auto &st : states) {
            for (std::size_t k = base; st && k < flat.size(); ++k) {
                flat[k] += st->stages[s].usage[k - base];
            }
        }
    }
    return flat;
}

/// Add the workers' counters of stage `s` (from flat_usage) to `usage`; none without MPI.
void add_remote_usage(const ChainPlan &chain, const std::vector<int64_t> &flat, std::size_t s,
                      std::vector<int64_t> &usage) {
    std::size_t base = 0;
    for (std::size_t t = 0; t < s; ++t) {
        base += chain.stages[t].stage->usage_cells();
    }
    for (std::size_t k = 0; k < usage.size() && base + k < flat.size(); ++k) {
        usage[k] += flat[base + k];
    }
}

/// An MPI worker's compute phase: each of its threads asks the root for blocks, computes them
/// with `compute_block` (the single-process block function) and sends the results; then the
/// rank's usage counters go to the root. A failure ends the whole job (RemoteBlocks::abort_job).
/// `local`: rank 0's own compute threads (the kill failpoint is for other ranks only).
template <class Compute>
void run_worker_blocks(const PreparedRun &run, const ChainPlan &chain, const AccumDims &dims,
                       std::size_t row_len, RemoteBlocks &remote, Compute &compute_block,
                       bool local) {
    std::vector<std::unique_ptr<ThreadState>> states;
    std::atomic<bool> stop{false};
    const int threads = std::max(1, run.threads);
    // Crash-test failpoint: this worker is killed after sending N blocks (tests/mpi_run.sh).
    const int64_t kill_after = local ? -1 : failpoint("mpi_worker_kill_after_blocks");
    std::atomic<int64_t> sent{0};
    try {
        parallel_blocks(
            static_cast<std::size_t>(threads), threads, states,
            [&] { return std::make_unique<ThreadState>(run, chain, dims, row_len); },
            [&](ThreadState &st, std::size_t t) {
                std::size_t b = 0;
                std::vector<std::vector<float>> out; // reused: sent by copy, never deposited
                while (!interrupted() && remote.next_block(static_cast<int>(t), b)) {
                    BlockPartial partial;
                    compute_block(st, b, partial, out);
                    remote.send(static_cast<int>(t), b, partial, out);
                    if (kill_after >= 0 && sent.fetch_add(1) + 1 >= kill_after) {
                        std::raise(SIGKILL);
                    }
                }
            },
            stop);
    } catch (const std::exception &e) {
        remote.abort_job(e.what());
    }
    remote.send_usage(flat_usage(chain, states));
}
} // namespace

RunResult run_blocks(const PreparedRun &run, const std::string &output_dir, Progress &progress,
                     CheckpointLog *checkpoint, bool statistics_only, RemoteBlocks *remote) {
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
    const ChainPlan chain = plan_chain(run, n_epochs, n_periods);
    const std::size_t n_months = run.months.size();
    std::vector<int> month_year, month_number;
    for (const auto &m : run.months) {
        month_year.push_back(m.year);
        month_number.push_back(m.month);
    }
    std::vector<std::size_t> series_offset; // record offset of each declared series
    for (std::size_t j = 0; j < dims.series_names.size(); ++j) {
        series_offset.push_back(dims.series(j, 0));
    }

    // MPI worker (mpi_run.cpp): computes what the root hands out, writes nothing.
    const bool mpi_worker = remote != nullptr && !remote->is_root();
    std::size_t worker_outputs = 0;
    if (mpi_worker && !remote->output_count(run.threads, worker_outputs)) {
        return result; // the root stopped before computing
    }
    if (!statistics_only && !mpi_worker) {
        std::error_code ec;
        fs::create_directories(output_dir, ec);
        if (ec) {
            throw OutputError("cannot create output directory: " + output_dir + ": " +
                              ec.message());
        }
        result.rasters = make_output_writers(run, output_dir);
    }
    const std::size_t n_outputs = mpi_worker ? worker_outputs : result.rasters.size();
    // Month-series rasters come last among the outputs; each sums its months (a year's, or one).
    const std::vector<MonthRaster> month_outs =
        statistics_only ? std::vector<MonthRaster>{} : month_rasters(run);
    const std::size_t month_out_base = n_outputs - month_outs.size();
    std::vector<std::vector<std::size_t>> month_out_months(month_outs.size());
    for (std::size_t k = 0; k < month_outs.size(); ++k) {
        for (std::size_t m = 0; m < run.months.size(); ++m) {
            if (run.months[m].year == month_outs[k].year &&
                (month_outs[k].month == 0 || run.months[m].month == month_outs[k].month)) {
                month_out_months[k].push_back(m);
            }
        }
    }
    // Pool rasters (outputs.pool_rasters): after the method rasters, per pool its stock per
    // epoch then its change per period (make_output_writers).
    const bool pool_out = n_outputs > 0 && run.config.write_pool_rasters;
    const std::size_t pool_base =
        n_epochs + n_periods + (run.config.write_method_codes ? n_epochs : 0);
    const std::size_t per_pool = n_epochs + n_periods;
    std::vector<int> pool_claimer(dims.pools, -1);
    for (std::size_t p = 0; p < dims.pools; ++p) {
        pool_claimer[p] = sole_claimer(chain, p);
    }
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
    // The mapped area of each class on the whole grid, for a land-cover accuracy (Olofsson).
    bool count_class_area = false;
    if (run.uncertainty) {
        for (const auto &a : run.uncertainty->accuracy) {
            count_class_area = count_class_area || a.present;
        }
    }

    const int64_t kill_after = failpoint("kill_after_blocks");
    const int64_t sigint_after = failpoint("sigint_after_blocks");
    const int64_t pause_after = failpoint("pause_after_blocks");
    std::atomic<int64_t> appended{0};
    std::atomic<int64_t> computed{0};
    const std::size_t pending_limit = pending_blocks_limit(run.threads);
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
        if (count_class_area) {
            partial.class_area.assign(n_epochs * n_classes, 0.0);
        }
        raster_outputs.take_windows(out, n_outputs, cells);

        const auto xs = static_cast<std::size_t>(w.x_size);
        const auto x_end = static_cast<uint32_t>(w.x_off + w.x_size);
        for (int64_t r = 0; r < w.y_size; ++r) {
            const int64_t y = w.y_off + r;
            const std::size_t off = static_cast<std::size_t>(r) * xs;
            area.row_areas_ha(y, w.x_off, w.x_size, st.area_ha.data());
            // 1. Every epoch's pools, status and class for the row (all pixels, so the
            //    rasters and the pixel counts cover the whole grid): the epoch stages in
            //    chain order (the stock model first).
            for (std::size_t e = 0; e < n_epochs; ++e) {
                models::StockOutputs o{
                    st.density_ptrs[e].data(), st.status[e].data(), st.class_index[e].data(),
                    run.config.write_method_codes ? st.method[e].data() : nullptr, nullptr};
                for (const std::size_t s : chain.epoch_stages) {
                    const StagePlan &sp = chain.stages[s];
                    StageRows &sr = st.stages[s];
                    for (std::size_t l = 0; l < sp.layers.size(); ++l) {
                        sr.epoch_layers[e][l] = st.layer_row(sp.layers[l], e, off);
                    }
                    const models::EpochRow row{xs,
                                               e,
                                               st.codes[e].data() + off,
                                               st.valid[e].data() + off,
                                               sr.epoch_layers[e].data(),
                                               sr.variables[e].data(),
                                               &o,
                                               st.uncertainty ? st.uncertainty->rows(s, e)
                                                              : nullptr};
                    sp.stage->epoch_row(row);
                }
            }
            // 1b. Stages across epochs (transitions link the epochs of a pixel).
            for (const std::size_t s : chain.across_stages) {
                const StagePlan &sp = chain.stages[s];
                StageRows &sr = st.stages[s];
                for (std::size_t l = 0; l < sp.layers.size(); ++l) {
                    for (std::size_t e = 0; e < n_epochs; ++e) {
                        const models::LayerRow lr = st.layer_row(sp.layers[l], e, off);
                        sr.across_value[l][e] = lr.value;
                        sr.across_valid[l][e] = lr.valid;
                    }
                }
                const models::AcrossEpochsRow row{xs,
                                                  n_epochs,
                                                  &epoch_years,
                                                  sr.across_value_ptrs.data(),
                                                  sr.across_valid_ptrs.data(),
                                                  st.class_rows.data(),
                                                  st.status_rows.data(),
                                                  st.pool_epoch_ptrs.data(),
                                                  sr.usage.data(),
                                                  st.uncertainty ? st.uncertainty->epoch_rows(s)
                                                                 : nullptr};
                sp.stage->across_epochs_row(row);
            }
            if (!chain.across_stages.empty()) {
                // A pixel an across-epoch stage made invalid (e.g. a nodata stratum) keeps no
                // pool at all, like any invalid pixel.
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
            // 1c. Pixel counts and the stock rasters; the pools each period stage claims.
            for (std::size_t e = 0; e < n_epochs; ++e) {
                const uint8_t *status = st.status[e].data();
                int64_t *counts = &partial.status_pixels[e * dims.statuses];
                float *o_stock = n_outputs > 0 ? out[e].data() + off : nullptr;
                int64_t *class_counts = partial.class_pixels.data() + e * n_classes;
                const int32_t *cls = st.class_index[e].data();
                if (count_class_area) {
                    double *class_area = partial.class_area.data() + e * n_classes;
                    for (std::size_t i = 0; i < xs; ++i) {
                        if (status[i] == s_valid) {
                            class_area[cls[i]] += st.area_ha[i];
                        }
                    }
                }
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
                    for (const std::size_t s : chain.period_stages) {
                        const uint8_t *claimed = chain.stages[s].claimed.data();
                        double part = 0.0;
                        for (std::size_t p = 0; p < dims.pools; ++p) {
                            if (claimed[p]) {
                                part += st.density_ptrs[e][p][i];
                            }
                        }
                        st.stages[s].stock[e][i] = part;
                    }
                    if (o_stock != nullptr) {
                        o_stock[i] = status[i] == s_valid ? static_cast<float>(sum) : nan;
                    }
                }
            }
            if (pool_out) {
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    const uint8_t *status = st.status[e].data();
                    for (std::size_t p = 0; p < dims.pools; ++p) {
                        float *o = out[pool_base + p * per_pool + e].data() + off;
                        const double *d = st.density_ptrs[e][p];
                        for (std::size_t i = 0; i < xs; ++i) {
                            o[i] = status[i] == s_valid ? static_cast<float>(d[i]) : nan;
                        }
                    }
                }
            }
            if (run.config.write_method_codes && n_outputs > 0) {
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    float *o_method = out[n_epochs + n_periods + e].data() + off;
                    for (std::size_t i = 0; i < xs; ++i) {
                        o_method[i] = st.method[e][i];
                    }
                }
            }
            // 2. Per-pixel annual stock change of each period (NaN where either epoch is
            //    invalid): the change each period stage gives for the pools it claims, plus
            //    the stock difference of the other pools.
            for (std::size_t k = 0; k < n_periods; ++k) {
                double *change = st.change[k].data();
                float *o_change = n_outputs > 0 ? out[n_epochs + k].data() + off : nullptr;
                if (chain.period_stages.empty()) {
                    for (std::size_t i = 0; i < xs; ++i) {
                        double c = std::numeric_limits<double>::quiet_NaN();
                        if (st.status[k][i] == s_valid && st.status[k + 1][i] == s_valid) {
                            c = models::stock_change_per_yr(st.total[k][i], st.total[k + 1][i],
                                                            years_between[k]);
                        }
                        change[i] = c;
                    }
                } else {
                    for (const std::size_t s : chain.period_stages) {
                        const StagePlan &sp = chain.stages[s];
                        StageRows &sr = st.stages[s];
                        for (std::size_t l = 0; l < sp.layers.size(); ++l) {
                            sr.period_layers[l] = st.layer_row(sp.layers[l], k, off);
                        }
                        const models::PeriodRow row{
                            xs,
                            k,
                            years_between[k],
                            static_cast<double>(epoch_years[k] - epoch_years[0]),
                            st.class_index[k].data(),
                            st.class_index[k + 1].data(),
                            sr.stock[k].data(),
                            sr.stock[k + 1].data(),
                            sr.period_layers.data(),
                            sr.change[k].data(),
                            sr.usage.data(),
                            sr.period_series_ptrs.empty() ? nullptr
                                                          : sr.period_series_ptrs[k].data(),
                            sr.refused.empty() ? nullptr : sr.refused[k].data(),
                            st.uncertainty ? st.uncertainty->rows(s, k) : nullptr};
                        sp.stage->period_row(row);
                    }
                    for (std::size_t i = 0; i < xs; ++i) {
                        double c = std::numeric_limits<double>::quiet_NaN();
                        if (st.status[k][i] == s_valid && st.status[k + 1][i] == s_valid) {
                            // Stock difference of the unclaimed pools + each stage's change.
                            double rest_from = st.total[k][i];
                            double rest_to = st.total[k + 1][i];
                            for (const std::size_t s : chain.period_stages) {
                                rest_from -= st.stages[s].stock[k][i];
                                rest_to -= st.stages[s].stock[k + 1][i];
                            }
                            c = models::stock_change_per_yr(rest_from, rest_to, years_between[k]);
                            for (const std::size_t s : chain.period_stages) {
                                c += st.stages[s].change[k][i];
                            }
                        }
                        change[i] = c;
                        // Keep each stage's part for its district series (NaN with c), and
                        // its further series where its part counts.
                        for (const std::size_t s : chain.period_stages) {
                            StageRows &sr = st.stages[s];
                            double &part = sr.change[k][i];
                            part = std::isnan(c) ? c : part;
                            if (std::isnan(part) && !sr.period_series_ptrs.empty()) {
                                for (double *row : sr.period_series_ptrs[k]) {
                                    row[i] = part;
                                }
                            }
                        }
                    }
                }
                if (o_change != nullptr) {
                    for (std::size_t i = 0; i < xs; ++i) {
                        o_change[i] = static_cast<float>(change[i]);
                    }
                }
                // Each pool's change: the change of the stage that alone claims it, else its
                // stock difference (sole_claimer); NaN where the total change is.
                for (std::size_t p = 0; pool_out && p < dims.pools; ++p) {
                    float *o = out[pool_base + p * per_pool + n_epochs + k].data() + off;
                    const double *from = st.density_ptrs[k][p];
                    const double *to = st.density_ptrs[k + 1][p];
                    const int s = pool_claimer[p];
                    for (std::size_t i = 0; i < xs; ++i) {
                        double c = std::numeric_limits<double>::quiet_NaN();
                        if (!std::isnan(change[i])) {
                            c = s >= 0
                                    ? st.stages[static_cast<std::size_t>(s)].change[k][i]
                                    : models::stock_change_per_yr(from[i], to[i], years_between[k]);
                        }
                        o[i] = static_cast<float>(c);
                    }
                }
            }
            // 2b. Month stages: every month of the run for the row, with the land cover of
            //     each month's epoch.
            for (const std::size_t s : chain.month_stages) {
                const StagePlan &sp = chain.stages[s];
                StageRows &sr = st.stages[s];
                for (std::size_t l = 0; l < sp.layers.size(); ++l) {
                    const int li = sp.layers[l];
                    const models::TimeAxis axis =
                        li < 0 ? models::TimeAxis::once
                               : run.layer_decls[static_cast<std::size_t>(li)].axis;
                    for (std::size_t m = 0; m < n_months; ++m) {
                        const std::size_t index = axis == models::TimeAxis::month ? m
                                                  : axis == models::TimeAxis::epoch
                                                      ? run.months[m].epoch
                                                      : 0;
                        sr.month_layers[l][m] = st.layer_row(li, index, off);
                    }
                }
                for (std::size_t m = 0; m < n_months; ++m) {
                    const std::size_t e = run.months[m].epoch;
                    st.month_codes[m] = st.codes[e].data() + off;
                    st.month_valid[m] = st.valid[e].data() + off;
                }
                const models::MonthRow row{xs,
                                           n_months,
                                           month_year.data(),
                                           month_number.data(),
                                           sr.month_layer_ptrs.data(),
                                           st.month_codes.data(),
                                           st.month_valid.data(),
                                           st.month_class.data(),
                                           st.month_status.data(),
                                           sr.series_ptrs.data(),
                                           sr.usage.data(),
                                           st.uncertainty ? st.uncertainty->epoch_rows(s)
                                                          : nullptr};
                sp.stage->month_row(row);
            }
            // 2c. Rasters of month series: per pixel, the sum of the raster's months (NaN when
            //     any of them has no value), scaled to the raster's unit.
            for (std::size_t k = 0; k < month_outs.size(); ++k) {
                const MonthRaster &mr = month_outs[k];
                double *const *rows = st.stages[mr.stage].series_ptr[mr.series].data();
                float *o = out[month_out_base + k].data() + off;
                for (std::size_t i = 0; i < xs; ++i) {
                    double sum = 0.0;
                    for (const std::size_t m : month_out_months[k]) {
                        sum += rows[m][i];
                    }
                    o[i] = static_cast<float>(sum * mr.scale);
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
                    for (const std::size_t s : chain.period_stages) {
                        const StagePlan &sp = chain.stages[s];
                        const StageRows &sr = st.stages[s];
                        if (sp.series_count > 0) {
                            rec[series_offset[sp.first_series] + k] +=
                                f * nan_skipping_sum(sr.change[k].data(), area_row, i0, i1);
                        }
                        for (std::size_t j = 1; j < sp.series_count; ++j) {
                            rec[series_offset[sp.first_series + j] + k] +=
                                f *
                                nan_skipping_sum(sr.period_series_ptrs[k][j - 1], area_row, i0, i1);
                        }
                        // Area of the pixels whose layer values the stage refused, per layer.
                        for (std::size_t j = 0; j < sp.refused_layers.size(); ++j) {
                            const uint8_t *flags = sr.refused[k].data();
                            double bad = 0.0;
                            for (std::size_t i = i0; i < i1; ++i) {
                                if ((flags[i] >> j) & 1U) {
                                    bad += area_row[i];
                                }
                            }
                            rec[series_offset[sp.first_refused + j] + k] += f * bad;
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
                if (st.uncertainty) {
                    // Sufficient statistics of the figures' intervals (uncertainty_run.hpp).
                    st.uncertainty->add(*run.uncertainty, rec + dims.stat(0), i0, i1, f, area_row,
                                        st.status_rows.data(), st.change_rows.data(),
                                        st.class_rows.data());
                    if (st.uncertainty->has_series(*run.uncertainty)) {
                        st.uncertainty->add_series(*run.uncertainty, rec + dims.stat(0), i0, i1, f,
                                                   area_row, st.stage_change.data());
                    }
                }
                for (const std::size_t s : chain.month_stages) {
                    const StagePlan &sp = chain.stages[s];
                    const StageRows &sr = st.stages[s];
                    for (std::size_t j = 0; j < sp.series_count; ++j) {
                        const std::size_t base = series_offset[sp.first_series + j];
                        for (std::size_t m = 0; m < n_months; ++m) {
                            rec[base + m] +=
                                f * nan_skipping_sum(sr.series_ptr[j][m], area_row, i0, i1);
                        }
                    }
                }
            }
        }
        st.scratch.extract(partial);
    };

    if (mpi_worker) {
        run_worker_blocks(run, chain, dims, row_len, *remote, compute_block, false);
        return result;
    }
    // MPI root: the threads below take the blocks in order and write; the workers, and
    // `local_compute` (rank 0's own compute threads), compute them. finish() and the join run
    // even when the loop below throws.
    std::vector<int64_t> remote_usage;
    struct FinishRemote {
        RemoteBlocks *remote;
        std::thread local_compute;
        ~FinishRemote() {
            if (remote != nullptr) {
                try {
                    remote->finish();
                } catch (...) { // already leaving with an error
                }
            }
            if (local_compute.joinable()) {
                local_compute.join();
            }
        }
    } finish_remote{remote, {}};
    if (remote != nullptr) {
        remote->start(plan.size(), checkpoint, n_outputs, run.threads, stop);
        finish_remote.local_compute = std::thread(
            [&] { run_worker_blocks(run, chain, dims, row_len, *remote, compute_block, true); });
    }
    parallel_blocks(
        plan.size(), run.threads, states,
        [&] { return std::make_unique<ThreadState>(run, chain, dims, row_len); },
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
                if (remote == nullptr) {
                    compute_block(st, b, partial, out);
                } else if (!remote->take(b, partial, out)) {
                    stop = true; // the run stops (signal, error): the block is not needed
                    return;
                } else if (out.size() != n_outputs) {
                    throw OutputError("MPI: block " + std::to_string(b) + " came with " +
                                      std::to_string(out.size()) + " output windows instead of " +
                                      std::to_string(n_outputs) +
                                      "; every rank must run the same carbonsink and config");
                }
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
    if (remote != nullptr) {
        finish_remote.remote = nullptr;
        remote_usage = remote->finish();
        finish_remote.local_compute.join();
    }
    if (interrupted()) {
        throw Interrupted("stopped by " + interrupt_cause() + " after " +
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
    if (auto messages = refused_value_messages(run, chain, *result.totals); !messages.empty()) {
        throw InputError(std::move(messages));
    }
    if (auto messages = empty_epoch_messages(run, *result.totals, n_epochs); !messages.empty()) {
        throw InputError(std::move(messages));
    }
    // Parameters a pixel used that have no uncertainty: no interval can be defended.
    if (run.uncertainty) {
        std::vector<uint32_t> used = used_parameters(*run.uncertainty, *result.totals);
        if (auto messages = missing_uncertainty(*run.uncertainty, used); !messages.empty()) {
            throw InputError(std::move(messages));
        }
        AccuracyOutcome accuracy =
            apply_land_cover_accuracy(*run.uncertainty, *result.totals, epoch_years);
        for (auto &w : accuracy.warnings) {
            result.warnings.push_back(std::move(w));
        }
        result.area_estimates = std::move(accuracy.estimates);
        auto engine =
            std::make_shared<UncertaintyEngine>(*run.uncertainty, std::move(accuracy.parameters));
        result.uncertain_parameters_used = std::move(used);
        result.uncertainty = std::move(engine);
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
    // Then each stage that ran: first those whose unverified parameters do not depend on the
    // pixels (listed whenever the stage runs), then those that count the pixels using them
    // (their per-thread counters summed), each group in chain order.
    for (const bool counted : {false, true}) {
        for (std::size_t s = 0; s < chain.stages.size(); ++s) {
            const StagePlan &sp = chain.stages[s];
            const std::size_t cells = sp.stage->usage_cells();
            if (!sp.runs || (cells > 0) != counted) {
                continue;
            }
            std::vector<int64_t> usage(cells, 0);
            for (const auto &st : states) {
                if (st) {
                    for (std::size_t k = 0; k < cells; ++k) {
                        usage[k] += st->stages[s].usage[k];
                    }
                }
            }
            add_remote_usage(chain, remote_usage, s, usage);
            for (auto &desc : sp.stage->unverified_parameters(usage)) {
                result.unverified_used.push_back(std::move(desc));
            }
            for (auto &w : sp.stage->warnings(usage)) {
                result.warnings.push_back(std::move(w));
            }
        }
    }
    progress.finish(std::to_string(run.grid.cells()) + " px per epoch");
    return result;
}

} // namespace cs::pipeline
