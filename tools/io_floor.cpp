// I/O floor for the benchmark: the reads and writes of `carbonsink run` with no model.
//
// It prepares the run exactly as `carbonsink run` does, then streams the same block plan with
// the same per-thread readers and the same ordered, tiled, compressed GeoTIFF writers, but
// computes nothing: each output pixel is the land-cover code of its epoch (or the code
// difference for a period) as Float32, NaN where nodata; every further output (pool, method and
// month-series rasters) takes the values of one of the model's layer rasters in turn (a month's
// NDVI, temperature, ...), so that a seasonal run's floor reads its 12 x 6 monthly layers and
// writes its NEP rasters too. No districts are rasterized and no sums are kept. The wall time of
// this tool is the floor the pipeline is compared against.
#include "pipeline/config.hpp"
#include "pipeline/parallel.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/runner.hpp"
#include "raster/raster_error.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

namespace fs = std::filesystem;
using namespace cs;

namespace {

struct FloorState {
    std::vector<std::unique_ptr<raster::RasterReader>> readers;
    std::vector<std::vector<int32_t>> codes;
    std::vector<std::vector<uint8_t>> valid;
    /// Every raster of every declared model layer (run.layers, all epochs and months).
    std::vector<std::unique_ptr<raster::RasterReader>> layer_readers;
    std::vector<std::vector<double>> layer_values;
    std::vector<std::vector<uint8_t>> layer_valid;
};

int floor_main(const std::string &config_path, const std::string &output_dir, int threads) {
    pipeline::Problems problems;
    pipeline::Config cfg = pipeline::load_config(config_path, problems);
    if (!output_dir.empty()) {
        cfg.output_dir = cs::pipeline::join_os_path(fs::current_path().string(), output_dir);
    }
    auto run = problems.ok()
                   ? pipeline::prepare_run(cfg, pipeline::resolve_threads(threads), problems)
                   : nullptr;
    if (!run) {
        for (const auto &e : problems.errors) {
            std::fprintf(stderr, "error: %s\n", e.c_str());
        }
        return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    fs::create_directories(cfg.output_dir);
    auto writers = pipeline::make_output_writers(*run, cfg.output_dir);
    pipeline::OrderedRasterOutputs outputs(writers, *run->block_plan, run->threads);
    const auto &plan = *run->block_plan;
    const std::size_t cells = static_cast<std::size_t>(plan.max_block_cells());
    const std::size_t n_epochs = run->land_cover.size();
    const std::size_t n_periods = n_epochs > 0 ? n_epochs - 1 : 0;
    std::vector<std::unique_ptr<FloorState>> states;
    std::atomic<bool> stop{false};
    const float nan = std::numeric_limits<float>::quiet_NaN();
    pipeline::parallel_blocks(
        plan.size(), run->threads, states,
        [&] {
            auto st = std::make_unique<FloorState>();
            for (const auto &lc : run->land_cover) {
                st->readers.push_back(std::make_unique<raster::RasterReader>(lc));
                st->codes.emplace_back(cells);
                st->valid.emplace_back(cells);
            }
            if (run->district_raster) {
                st->readers.push_back(
                    std::make_unique<raster::RasterReader>(*run->district_raster));
                st->codes.emplace_back(cells);
                st->valid.emplace_back(cells);
            }
            for (const auto &rasters : run->layers) {
                for (const auto &info : rasters) {
                    st->layer_readers.push_back(std::make_unique<raster::RasterReader>(info));
                    st->layer_values.emplace_back(cells);
                    st->layer_valid.emplace_back(cells);
                }
            }
            return st;
        },
        [&](FloorState &st, std::size_t b) {
            const auto &w = plan[b];
            const auto n = static_cast<std::size_t>(w.cells());
            for (std::size_t i = 0; i < st.readers.size(); ++i) {
                st.readers[i]->read_int32(w, st.codes[i].data(), st.valid[i].data());
            }
            for (std::size_t i = 0; i < st.layer_readers.size(); ++i) {
                st.layer_readers[i]->read_double(w, st.layer_values[i].data(),
                                                 st.layer_valid[i].data());
            }
            std::vector<std::vector<float>> out;
            outputs.take_windows(out, writers.size(),
                                 n); // recycled buffers, as carbonsink run does
            for (std::size_t o = 0; o < writers.size(); ++o) {
                if (o >= n_epochs + n_periods && !st.layer_readers.empty()) {
                    const std::size_t l = (o - n_epochs - n_periods) % st.layer_readers.size();
                    const auto &v = st.layer_values[l];
                    const auto &ok = st.layer_valid[l];
                    for (std::size_t i = 0; i < n; ++i) {
                        out[o][i] = ok[i] ? static_cast<float>(v[i]) : nan;
                    }
                    continue;
                }
                const bool period = o >= n_epochs && o < n_epochs + n_periods;
                const std::size_t e = o < n_epochs ? o : period ? o - n_epochs : 0;
                for (std::size_t i = 0; i < n; ++i) {
                    if (!period) {
                        out[o][i] = st.valid[e][i] ? static_cast<float>(st.codes[e][i]) : nan;
                    } else {
                        out[o][i] = st.valid[e][i] && st.valid[e + 1][i]
                                        ? static_cast<float>(st.codes[e + 1][i] - st.codes[e][i])
                                        : nan;
                    }
                }
            }
            outputs.deposit(b, std::move(out));
            // The run's back-pressure (runner.cpp): at most `threads` finished blocks per output
            // wait for the writer, so the floor holds the memory the run does.
            outputs.wait_for_room(pipeline::pending_blocks_limit(run->threads), stop);
        },
        stop);
    for (auto &w : writers) {
        w->commit();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "io-floor: %zu blocks, %lld px per epoch, %zu epochs in %.2f s\n",
                 plan.size(), static_cast<long long>(run->grid.cells()), n_epochs, s);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app{"carbonsink I/O floor: read the inputs and write the outputs of a run, no model"};
    std::string config_path;
    std::string output_dir;
    int threads = 0;
    bool quiet = false;
    app.add_option("CONFIG", config_path, "run configuration (YAML)")->required();
    app.add_option("--threads", threads, "worker threads (0 = all cores)");
    app.add_option("--output-dir", output_dir, "override output_dir of the config");
    app.add_flag("--quiet", quiet, "accepted for symmetry with carbonsink run");
    CLI11_PARSE(app, argc, argv);
    try {
        return floor_main(config_path, output_dir, threads);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: io-floor failed: %s\n", e.what());
        return 1;
    }
}
