// Example: run a carbonsink config through the C++ API and print the district totals.
//
//   run_city CONFIG.yaml [OUTPUT_DIR]
//
// The outputs (results.h5, districts.csv, ...) are committed to OUTPUT_DIR (default: the
// config's output_dir); the district totals come back in memory and are printed on stdout.
// Progress goes to stderr; Ctrl-C cancels the run between blocks (the library installs no
// signal handlers: the program maps SIGINT to RunOptions::cancel) and keeps its checkpoint.
#include <carbonsink/carbonsink.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>

namespace {
std::atomic<bool> g_cancel{false};
extern "C" void on_sigint(int) { g_cancel = true; }
} // namespace

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: run_city CONFIG.yaml [OUTPUT_DIR]\n");
        return 2;
    }
    std::signal(SIGINT, on_sigint);
    carbonsink::RunOptions options;
    if (argc == 3) {
        options.output_dir = argv[2];
    }
    options.cancel = &g_cancel;
    options.progress = [](const carbonsink::ProgressEvent &e) {
        if (e.total == 0) { // a phase line, a warning or a note
            std::fprintf(stderr, "%s: %s\n", e.phase.c_str(), e.detail.c_str());
        }
    };
    try {
        const carbonsink::Results r =
            carbonsink::run(carbonsink::ConfigSource::file(argv[1]), options);
        const carbonsink::LevelResults &d = r.levels.front(); // the districts
        const std::size_t E = r.years.size();
        std::printf("%zu districts, Mg C (change in Mg C/yr)\n", d.ids.size());
        for (std::size_t i = 0; i < d.ids.size(); ++i) {
            std::printf("%lld %s:", static_cast<long long>(d.ids[i]), d.names[i].c_str());
            for (std::size_t e = 0; e < E; ++e) {
                std::printf(" %d %.1f", r.years[e], d.total_mg_c[i * E + e]);
            }
            for (std::size_t k = 0; k + 1 < E; ++k) {
                std::printf(" (%d-%d %+.1f)", r.years[k], r.years[k + 1],
                            d.stock_change_mg_c_per_yr[i * (E - 1) + k]);
            }
            std::printf("\n");
        }
        return 0;
    } catch (const carbonsink::Error &e) {
        for (const auto &m : e.messages()) {
            std::fprintf(stderr, "error: %s\n", m.c_str());
        }
        for (const auto &n : e.notes()) {
            std::fprintf(stderr, "note: %s\n", n.c_str());
        }
        return e.exit_code(); // 2 bad config or input, 1 failure while running, 130 cancelled
    }
}
