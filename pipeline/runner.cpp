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
#include "pipeline/parallel.hpp"
#include "raster/raster_error.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
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

std::vector<int32_t> scan_distinct_values(const raster::RasterInfo &info,
                                          const raster::BlockPlan &plan, int threads) {
    struct ScanState {
        explicit ScanState(const raster::RasterInfo &i, std::size_t cells)
            : reader(i), values(cells), valid(cells) {}
        raster::RasterReader reader;
        std::vector<int32_t> values;
        std::vector<uint8_t> valid;
        std::set<int32_t> found;
    };
    const auto cells = static_cast<std::size_t>(plan.max_block_cells());
    std::vector<std::unique_ptr<ScanState>> states;
    std::atomic<bool> stop{false};
    parallel_blocks(
        plan.size(), threads, states, [&] { return std::make_unique<ScanState>(info, cells); },
        [&](ScanState &st, std::size_t b) {
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

std::vector<std::string> find_unknown_classes(const PreparedRun &run) {
    std::vector<std::string> messages;
    for (const auto &lc : run.land_cover) {
        const auto codes = scan_distinct_values(lc, *run.block_plan, run.threads);
        std::vector<int32_t> missing;
        for (int32_t c : codes) {
            if (!run.stock_model->has_code(c)) {
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

/// Everything one thread needs, allocated once.
struct ThreadState {
    std::vector<std::unique_ptr<raster::RasterReader>> land_cover;
    std::unique_ptr<raster::RasterReader> districts;
    std::vector<std::vector<int32_t>> codes; // per epoch, block cells
    std::vector<std::vector<uint8_t>> valid; // per epoch
    std::vector<int32_t> district_values;    // block cells
    std::vector<uint8_t> district_valid;
    std::vector<int32_t> district_of;         // block cells, -1 = none
    std::vector<std::vector<uint8_t>> status; // per epoch, one row
    std::vector<std::vector<double>> density; // per pool, one row
    std::vector<double *> density_ptrs;
    std::vector<std::vector<double>> total; // per epoch, one row: total density or NaN
    BlockScratch scratch;

    ThreadState(const PreparedRun &run, const AccumDims &dims, std::size_t row_len)
        : scratch(dims) {
        const auto cells = static_cast<std::size_t>(run.block_plan->max_block_cells());
        for (const auto &lc : run.land_cover) {
            land_cover.push_back(std::make_unique<raster::RasterReader>(lc));
            codes.emplace_back(cells);
            valid.emplace_back(cells);
            status.emplace_back(row_len);
            total.emplace_back(row_len);
        }
        if (run.district_raster) {
            districts = std::make_unique<raster::RasterReader>(*run.district_raster);
            district_values.resize(cells);
            district_valid.resize(cells);
        }
        district_of.resize(cells);
        for (std::size_t p = 0; p < dims.pools; ++p) {
            density.emplace_back(row_len);
        }
        for (auto &d : density) {
            density_ptrs.push_back(d.data());
        }
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

RunResult run_blocks(const PreparedRun &run, const std::string &output_dir, Progress &progress) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto &plan = *run.block_plan;
    const auto &model = *run.stock_model;
    const auto &area = *run.pixel_area;
    const std::size_t n_epochs = run.land_cover.size();
    const std::size_t n_periods = n_epochs > 0 ? n_epochs - 1 : 0;

    RunResult result;
    result.pool_names = model.pool_names();
    result.dims = AccumDims{run.district_ids.size(), n_epochs, result.pool_names.size(),
                            static_cast<std::size_t>(models::PIXEL_STATUS_COUNT)};
    const AccumDims dims = result.dims;
    result.totals = std::make_unique<DistrictTotals>(dims);

    std::vector<double> years_between(n_periods);
    for (std::size_t k = 0; k < n_periods; ++k) {
        years_between[k] =
            static_cast<double>(run.config.epochs[k + 1].year - run.config.epochs[k].year);
    }

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

    parallel_blocks(
        plan.size(), run.threads, states,
        [&] { return std::make_unique<ThreadState>(run, dims, row_len); },
        [&](ThreadState &st, std::size_t b) {
            const raster::Window &w = plan[b];
            const auto cells = static_cast<std::size_t>(w.cells());
            for (std::size_t e = 0; e < n_epochs; ++e) {
                st.land_cover[e]->read_int32(w, st.codes[e].data(), st.valid[e].data());
            }
            // District of each pixel: dense index, or -1 outside every district.
            switch (run.district_source) {
            case PreparedRun::DistrictSource::whole_grid:
                std::fill(st.district_of.begin(),
                          st.district_of.begin() + static_cast<std::ptrdiff_t>(cells), 0);
                break;
            case PreparedRun::DistrictSource::vector:
                run.district_vectors->rasterize(w, st.district_of.data());
                for (std::size_t i = 0; i < cells; ++i) {
                    st.district_of[i] -= 1;
                }
                break;
            case PreparedRun::DistrictSource::raster:
                st.districts->read_int32(w, st.district_values.data(), st.district_valid.data());
                for (std::size_t i = 0; i < cells; ++i) {
                    st.district_of[i] = st.district_valid[i]
                                            ? run.district_index.index_of(st.district_values[i])
                                            : -1;
                }
                break;
            }

            BlockPartial partial;
            partial.status_pixels.assign(n_epochs * dims.statuses, 0);
            partial.unknown_codes.resize(n_epochs);
            std::vector<std::vector<float>> out(n_outputs, std::vector<float>(cells));

            const auto xs = static_cast<std::size_t>(w.x_size);
            for (int64_t r = 0; r < w.y_size; ++r) {
                const double area_ha = area.row_area_ha(w.y_off + r);
                const std::size_t off = static_cast<std::size_t>(r) * xs;
                const int32_t *dist = st.district_of.data() + off;
                for (std::size_t e = 0; e < n_epochs; ++e) {
                    models::StockInputs in{st.codes[e].data() + off, st.valid[e].data() + off, xs};
                    models::StockOutputs o{st.density_ptrs.data(), st.status[e].data()};
                    model.compute(in, o);
                    const uint8_t *status = st.status[e].data();
                    double *total = st.total[e].data();
                    int64_t *counts = &partial.status_pixels[e * dims.statuses];
                    for (std::size_t i = 0; i < xs; ++i) {
                        const uint8_t s = status[i];
                        ++counts[s];
                        double sum = 0.0;
                        for (std::size_t p = 0; p < dims.pools; ++p) {
                            sum += st.density[p][i];
                        }
                        total[i] = s == s_valid ? sum : std::numeric_limits<double>::quiet_NaN();
                        if (s == s_unknown) {
                            partial.unknown_codes[e].insert(st.codes[e][off + i]);
                        }
                        const int32_t d = dist[i];
                        if (d < 0) {
                            continue;
                        }
                        double *rec = st.scratch.touch(static_cast<uint32_t>(d));
                        rec[dims.status_area(e, s)] += area_ha;
                        if (s == s_valid) {
                            for (std::size_t p = 0; p < dims.pools; ++p) {
                                rec[dims.stock(e, p)] += st.density[p][i] * area_ha;
                            }
                        }
                    }
                    if (n_outputs > 0) {
                        float *o_stock = out[e].data() + off;
                        for (std::size_t i = 0; i < xs; ++i) {
                            o_stock[i] = status[i] == s_valid ? static_cast<float>(total[i]) : nan;
                        }
                    }
                }
                for (std::size_t i = 0; i < xs; ++i) {
                    if (dist[i] >= 0) {
                        st.scratch.touch(static_cast<uint32_t>(dist[i]))[dims.area()] += area_ha;
                    }
                }
                for (std::size_t k = 0; k < n_periods; ++k) {
                    const double *t1 = st.total[k].data();
                    const double *t2 = st.total[k + 1].data();
                    float *o_change = n_outputs > 0 ? out[n_epochs + k].data() + off : nullptr;
                    for (std::size_t i = 0; i < xs; ++i) {
                        const bool ok = !std::isnan(t1[i]) && !std::isnan(t2[i]);
                        const double change =
                            ok ? models::stock_change_per_yr(t1[i], t2[i], years_between[k]) : 0.0;
                        if (o_change != nullptr) {
                            o_change[i] = ok ? static_cast<float>(change) : nan;
                        }
                        const int32_t d = dist[i];
                        if (d < 0) {
                            continue;
                        }
                        double *rec = st.scratch.touch(static_cast<uint32_t>(d));
                        if (ok) {
                            rec[dims.flux(k)] += change * area_ha;
                        } else {
                            rec[dims.flux_invalid_area(k)] += area_ha;
                        }
                    }
                }
            }
            st.scratch.extract(partial);
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
        },
        stop);
    if (unknown_found) {
        const auto messages = find_unknown_classes(run);
        throw InputError(messages.empty()
                             ? std::vector<std::string>{"land-cover codes missing from the pools "
                                                        "table were found but could not be "
                                                        "listed"}
                             : messages);
    }
    result.compute_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.finish(std::to_string(plan.size() == 0 ? 0 : run.grid.cells()) + " px per epoch");
    return result;
}

} // namespace cs::pipeline
