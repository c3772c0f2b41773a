// Command-line front end: argument parsing, printing what the public API (api.cpp) reports,
// exit codes.
#include "pipeline/cli.hpp"

#include "carbonsink/carbonsink.hpp"
#include "models/nep_stage.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/mpi_run.hpp"
#include "pipeline/nep_outputs.hpp"
#include "pipeline/outputs.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/resources.hpp"
#include "pipeline/uncertainty_run.hpp"
#include "pipeline/version.hpp"

#include <CLI/CLI.hpp>

#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <set>
#include <stdexcept>

namespace cs::pipeline {

namespace {

void print_errors(const std::vector<std::string> &errors) {
    for (const auto &e : errors) {
        std::fprintf(stderr, "error: %s\n", e.c_str());
    }
}

/// Prints an Error as the CLI always has: its messages after "error: ", then its notes.
int report(const carbonsink::Error &e) {
    print_errors(e.messages());
    for (const auto &n : e.notes()) {
        std::fprintf(stderr, "note: %s\n", n.c_str());
    }
    if (e.kind() == carbonsink::Error::Kind::cancelled && interrupt_signal() != 0) {
        return 128 + interrupt_signal();
    }
    return e.exit_code();
}

/// Prints the API's progress events on stderr: phase lines (warnings and notes among them)
/// as "<phase>: <detail>", counts as the bar on a terminal.
carbonsink::ProgressCallback printer(Progress &progress) {
    return [&progress](const carbonsink::ProgressEvent &e) {
        if (e.total == 0) {
            progress.phase(e.phase, e.detail);
        } else if (e.done == 0) {
            progress.start(e.phase, e.total);
        } else {
            progress.show(e.done);
        }
    };
}

/// errno of a failed write to stdout (0 when every write succeeded). Flushes stdout.
int stdout_error() {
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
        return errno != 0 ? errno : EIO;
    }
    return 0;
}

/// The district results of the API as the table formatter's input (one formatter for the CLI
/// and the tests of the table).
DistrictResults table_input(const carbonsink::Results &res) {
    const carbonsink::LevelResults &l = res.levels.front();
    DistrictResults r;
    r.ids = l.ids;
    r.names = l.names;
    r.years = res.years;
    r.area_ha = l.area_ha;
    r.total_mg_c = l.total_mg_c;
    r.stock_change_mg_c_per_yr = l.stock_change_mg_c_per_yr;
    if (!l.uncertainty.empty()) {
        auto u = std::make_shared<UncertaintyResults>();
        auto take = [&](const char *name, FigureIntervals &f) {
            if (const auto it = l.uncertainty.find(name); it != l.uncertainty.end()) {
                f.mean = it->second.mean;
                f.sd = it->second.sd;
                f.ci_low = it->second.ci_low;
                f.ci_high = it->second.ci_high;
            }
        };
        take("total_mg_c", u->total_mg_c);
        take("stock_change_mg_c_per_yr", u->stock_change_mg_c_per_yr);
        u->label = l.uncertainty_label;
        r.uncertainty = std::move(u);
    }
    return r;
}

/// The month series of the districts as the NEP table's input.
NepSeries nep_input(const carbonsink::Results &res) {
    const carbonsink::LevelResults &l = res.levels.front();
    NepSeries s;
    s.level = l.level;
    s.ids = l.ids;
    s.names = l.names;
    for (const auto &m : res.months) {
        s.months.push_back(models::YearMonth{std::stoi(m.substr(0, 4)), std::stoi(m.substr(5))});
    }
    auto take = [&](const char *name, std::vector<double> &out) {
        if (const auto it = l.monthly.find(name); it != l.monthly.end()) {
            out = it->second;
        }
    };
    take(models::NEP_SERIES_NPP, s.npp_mg_c);
    take(models::NEP_SERIES_RH, s.rh_mg_c);
    take(models::NEP_SERIES_NEP, s.nep_mg_c);
    take(models::NEP_SERIES_INVALID, s.invalid_area_ha);
    return s;
}

/// "outputs: <dir> (results.h5, ...)": the kinds of file the run wrote, from their names.
std::string outputs_line(const carbonsink::Results &res) {
    const std::set<std::string> files(res.outputs.begin(), res.outputs.end());
    auto has = [&](const std::string &name) { return files.count(name) != 0; };
    // A name "<prefix><digits>.tif" with `digits` digits.
    auto has_raster = [&](const std::string &prefix, std::size_t digits) {
        for (const auto &f : files) {
            if (f.size() == prefix.size() + digits + 4 && f.rfind(prefix, 0) == 0 &&
                f.compare(f.size() - 4, 4, ".tif") == 0 &&
                std::all_of(f.begin() + static_cast<std::ptrdiff_t>(prefix.size()), f.end() - 4,
                            [](char c) { return c >= '0' && c <= '9'; })) {
                return true;
            }
        }
        return false;
    };
    std::string text = "outputs: " + res.output_dir + " (results.h5, districts.csv, districts.csvt";
    for (const char *name : {"districts.gpkg", "districts.xlsx", "report.html", "nep_monthly.csv",
                             "transitions.csv"}) {
        if (has(name)) {
            text += std::string(", ") + name;
        }
    }
    if (has_raster("stock_", 4)) {
        text += ", stock_<year>.tif, stock_change_<y1>_<y2>.tif";
        const bool pool_rasters =
            std::any_of(res.pools.begin(), res.pools.end(),
                        [&](const std::string &p) { return has_raster("stock_" + p + "_", 4); });
        if (pool_rasters) {
            text += ", stock_<pool>_<year>.tif, stock_change_<pool>_<y1>_<y2>.tif";
        }
        if (!res.months.empty()) {
            text += std::string(", nep_<yyyy>.tif") +
                    (has_raster("nep_", 6) ? ", nep_<yyyy><mm>.tif" : "");
        }
    }
    return text + ")\n";
}

int cmd_run(const std::string &config_path, const std::string &output_dir, int threads, bool quiet,
            bool resume) {
    install_signal_handlers(); // SIGINT/SIGTERM stop the run between blocks (interrupt.hpp)
    Progress progress(quiet);
    carbonsink::RunOptions options;
    options.threads = threads;
    options.output_dir = output_dir;
    options.resume = resume;
    options.progress = printer(progress);
    const carbonsink::Results res =
        carbonsink::run(carbonsink::ConfigSource::file(config_path), options);
    if (mpi_rank() != 0) {
        return 0; // rank 0 reports for an MPI job
    }
    std::string text = format_district_table(table_input(res));
    if (!res.months.empty()) {
        text += format_nep_table(nep_input(res));
    }
    text += outputs_line(res);
    // The outputs on disk never depend on stdout: they are committed by run().
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (const int err = stdout_error(); err != 0) {
        std::fprintf(stderr,
                     "error: cannot write to standard output: %s; the outputs in %s are complete\n",
                     std::strerror(err), res.output_dir.c_str());
        std::clearerr(stdout);
        return 1;
    }
    return 0;
}

int cmd_validate(const std::string &config_path, int threads) {
    Progress progress(true);
    const carbonsink::Validation v = carbonsink::validate(
        carbonsink::ConfigSource::file(config_path), threads, printer(progress));
    if (!v.ok) {
        print_errors(v.errors);
        return 2;
    }
    std::printf("valid: %s: %s\n", config_path.c_str(), v.summary.c_str());
    return 0;
}

int cmd_models() {
    for (const auto &m : carbonsink::models()) {
        std::printf("%s  (models.%s.method: %s)\n  %s\n", m.name.c_str(), m.section.c_str(),
                    m.method.c_str(), m.summary.c_str());
        std::printf("  inputs:\n");
        for (const auto &i : m.inputs) {
            std::printf("    - %s\n", i.c_str());
        }
        std::printf("  parameters:\n");
        for (const auto &p : m.parameters) {
            std::printf("    - %s [%s]: %s; source: %s\n", p.name.c_str(), p.unit.c_str(),
                        p.description.c_str(), p.source.c_str());
        }
        std::printf("  outputs:\n");
        for (const auto &o : m.outputs) {
            std::printf("    - %s\n", o.c_str());
        }
        std::printf("  reference: %s\n\n", m.reference.c_str());
    }
    return 0;
}

int dispatch(int argc, char **argv) {
    CLI::App app{"carbonsink: terrestrial carbon stocks and sinks by district"};
    app.set_version_flag("--version",
                         std::string("carbonsink ") + SOFTWARE_VERSION + mpi_version_suffix());
    app.require_subcommand(1);

    std::string config_path;
    std::string output_dir;
    int threads = 0;
    bool quiet = false;
    bool resume = false;
    auto *run = app.add_subcommand("run", "compute stocks and sinks and write the outputs");
    run->add_option("CONFIG", config_path, "run configuration (YAML)")->required();
    run->add_option("--threads", threads, "worker threads (0 = all cores)")
        ->check(CLI::NonNegativeNumber);
    run->add_option("--output-dir", output_dir, "override output_dir of the config");
    run->add_flag("--quiet", quiet, "no progress bar; one line per phase");
    run->add_flag("--resume", resume,
                  "continue an interrupted or killed run from its checkpoint in the output "
                  "directory (same config and inputs)");

    auto *validate =
        app.add_subcommand("validate", "run every check of `run` that needs no pixel computation");
    validate->add_option("CONFIG", config_path, "run configuration (YAML)")->required();
    validate->add_option("--threads", threads, "threads for reading (0 = all cores)")
        ->check(CLI::NonNegativeNumber);

    app.add_subcommand("models", "list models, their inputs, parameters, units and sources");

    try {
        app.parse(argc, argv);
        if (threads > MAX_THREADS) {
            std::fprintf(stderr,
                         "error: bad usage: --threads %d: more than the maximum of %d threads "
                         "(this machine has %d cores; more threads than cores make a run no "
                         "faster and each holds a block's buffers)\n",
                         threads, MAX_THREADS, omp_get_num_procs());
            return 2;
        }
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        std::fprintf(stderr,
                     "error: bad usage: carbonsink command line: %s (see carbonsink --help)\n",
                     e.what());
        return 2;
    }

    try {
        if (app.got_subcommand("run")) {
            return cmd_run(config_path, output_dir, threads, quiet, resume);
        }
        if (app.got_subcommand("validate")) {
            return cmd_validate(config_path, threads);
        }
        return cmd_models();
    } catch (const carbonsink::Error &e) {
        return report(e);
    } catch (const std::bad_alloc &) {
        std::fputs("error: out of memory\n", stderr);
        return 1;
    } catch (const std::exception &e) {
        print_errors({std::string("run failed: ") + e.what()});
        return 1;
    }
}

} // namespace

int run_cli(int argc, char **argv) {
    // A closed pipe on stdout or stderr (`| head`) is a write error (EPIPE) reported below, not a
    // signal that kills the run half-way.
    std::signal(SIGPIPE, SIG_IGN);
    mpi_start(&argc, &argv); // under mpirun/srun only (README "Many machines")
    int code = dispatch(argc, argv);
    if (const int err = stdout_error(); err != 0) {
        std::fprintf(stderr, "error: cannot write to standard output: %s\n", std::strerror(err));
        code = code == 0 ? 1 : code;
    }
    if (std::fflush(stderr) != 0 || std::ferror(stderr) != 0) {
        code = code == 0 ? 1 : code; // nowhere left to say so
    }
    return mpi_finish(code); // every rank of an MPI job exits with rank 0's code
}

} // namespace cs::pipeline
