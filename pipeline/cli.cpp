// Command-line front end: argument parsing, phase messages, exit codes.
#include "pipeline/cli.hpp"

#include "models/builtin_tables.hpp"
#include "models/model_error.hpp"
#include "models/registry.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/config.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/mpi_run.hpp"
#include "pipeline/output_folder.hpp"
#include "pipeline/outputs.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/provenance.hpp"
#include "pipeline/resources.hpp"
#include "pipeline/runner.hpp"
#include "pipeline/version.hpp"
#include "raster/raster_error.hpp"

#include <CLI/CLI.hpp>

#include <omp.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <new>
#include <stdexcept>

namespace cs::pipeline {

namespace fs = std::filesystem;

namespace {

/// What the command is doing, for an out-of-memory message.
std::string g_phase = "starting";

void print_errors(const std::vector<std::string> &errors) {
    for (const auto &e : errors) {
        std::fprintf(stderr, "error: %s\n", e.c_str());
    }
}

void print_warnings(const std::vector<std::string> &warnings) {
    for (const auto &w : warnings) {
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    }
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string grid_text(const PreparedRun &run) {
    return std::to_string(run.grid.width) + " x " + std::to_string(run.grid.height) + " px, " +
           std::to_string(run.config.epochs.size()) + " epoch" +
           (run.config.epochs.size() == 1 ? "" : "s") + ", " +
           std::to_string(run.district_ids.size()) + " district" +
           (run.district_ids.size() == 1 ? "" : "s") + ", " +
           std::to_string(run.block_plan->size()) + " blocks, " + std::to_string(run.threads) +
           " thread" + (run.threads == 1 ? "" : "s") + "; pixel area " + run.pixel_area->method() +
           "; coverage index " + std::to_string(run.coverage.entries()) + " entries, " +
           fixed(static_cast<double>(run.coverage.memory_bytes()) / 1048576.0, 1) +
           " MiB, built in " + fixed(run.coverage_seconds, 2) + " s; memory about " +
           format_bytes(static_cast<double>(run.memory.total())) + " (" + run.memory.summary() +
           ") of " + format_bytes(static_cast<double>(run.memory_limit.bytes)) + " " +
           run.memory_limit.what;
}

/// Load config and prepare; prints problems. Returns null (and sets exit code 2) on error.
/// With `folder`, the output folder is locked as soon as the config is read, before prepare's
/// long work, so that a second run into the same folder is refused at once.
std::unique_ptr<PreparedRun> load_and_prepare(const std::string &config_path,
                                              const std::string &output_dir, int threads,
                                              Progress *progress, bool scan_classes = false,
                                              std::unique_ptr<OutputFolder> *folder = nullptr) {
    Problems problems;
    g_phase = "reading the config " + config_path;
    Config cfg = load_config(config_path, problems);
    if (!output_dir.empty()) {
        cfg.output_dir = join_os_path(fs::current_path().string(), output_dir);
    }
    if (!problems.ok()) {
        // The config could not be checked whole, but the files it names can: report both.
        check_config_files(cfg, problems);
        print_errors(problems.errors);
        return nullptr;
    }
    if (folder != nullptr) {
        // A folder that cannot be created or locked is reported by prepare's output_dir check.
        *folder = OutputFolder::lock(cfg.output_dir, false);
    }
    g_phase = "preparing the inputs of " + config_path;
    auto run = prepare_run(cfg, threads, problems, scan_classes);
    print_warnings(problems.warnings);
    if (run && !problems.ok()) {
        // validate: land-cover codes missing from the pools table are found even when other
        // inputs (e.g. the districts) are bad, as `run` would find them once those are fixed.
        if (run->land_cover_ok && run->stock_model) {
            try {
                for (auto &m : find_unknown_classes(*run)) {
                    problems.error(std::move(m));
                }
            } catch (const raster::RasterError &e) {
                problems.error(std::string(e.what()) + " (the file is truncated or corrupt)");
            }
        }
        run.reset();
    }
    if (!run) {
        print_errors(problems.errors);
        return nullptr;
    }
    if (progress != nullptr) {
        progress->phase("prepare", grid_text(*run));
    }
    return run;
}

/// After an I/O failure (e.g. a full disk) the computed blocks stay in the checkpoint log.
void print_resume_hint(const CheckpointLog *log, const std::string &config_path,
                       const std::string &output_dir) {
    if (log != nullptr && log->done() > 0) {
        std::fprintf(stderr,
                     "note: %zu computed blocks are kept in %s: once the cause is fixed, continue "
                     "with `carbonsink run %s --resume%s`\n",
                     log->done(), log->path().c_str(), config_path.c_str(),
                     output_dir.empty() ? "" : (" --output-dir " + output_dir).c_str());
    }
}

/// errno of a failed write to stdout (0 when every write succeeded). Flushes stdout.
int stdout_error() {
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
        return errno != 0 ? errno : EIO;
    }
    return 0;
}

int cmd_run(const std::string &config_path, const std::string &output_dir, int threads, bool quiet,
            bool resume) {
    install_signal_handlers();
    Progress progress(quiet);
    std::unique_ptr<OutputFolder> folder;
    std::unique_ptr<PreparedRun> run;
    try {
        // In an MPI job only rank 0 locks and writes the output folder (mpi_run.cpp).
        run = load_and_prepare(config_path, output_dir, resolve_threads(threads), &progress, false,
                               mpi_rank() == 0 ? &folder : nullptr);
    } catch (const Interrupted &e) {
        // Nothing is staged or checkpointed before prepare ends: the folder is as it was.
        print_errors({std::string("interrupted: ") + e.what() + "; no output was written"});
        return 128 + interrupt_signal();
    }
    if (!mpi_agree(run != nullptr)) {
        return 2; // every rank of an MPI job exits 2; rank 0 printed the problems
    }
    // MPI job: every rank computes blocks; ranks other than 0 only compute (mpi_run.cpp).
    const std::unique_ptr<RemoteBlocks> remote = mpi_remote_blocks();
    if (remote && !remote->is_root()) {
        run_blocks(*run, "", progress, nullptr, false, remote.get());
        return 0;
    }
    const std::string out_dir = run->config.output_dir;
    if (!folder) {
        folder = OutputFolder::lock(out_dir, true);
    }
    // Per-block checkpoints, so that a killed or interrupted run can be resumed.
    const std::string log_path = (fs::path(out_dir) / CHECKPOINT_FILE).string();
    const std::string fingerprint = run_fingerprint(*run);
    std::unique_ptr<CheckpointLog> checkpoint;
    if (resume && !run->config.checkpoint) {
        throw InputError({"cannot resume: " + config_path +
                          ": processing.checkpoint is false, so runs of this config keep no "
                          "checkpoint; run without --resume"});
    }
    RunResult result;
    try {
        // A commit a killed run left half done is finished first; then every output is written
        // into a private staging folder and committed as a set at the end (output_folder.hpp).
        for (const auto &note : folder->begin_staging()) {
            std::fprintf(stderr, "note: %s\n", note.c_str());
        }
        if (resume) {
            checkpoint = CheckpointLog::resume(log_path, fingerprint, run->block_plan->size());
            if (checkpoint) {
                progress.phase("resume", std::to_string(checkpoint->done()) + " of " +
                                             std::to_string(run->block_plan->size()) +
                                             " blocks from the checkpoint " + log_path);
            } else {
                print_warnings(
                    {"nothing to resume: " + log_path + " does not exist; computing every block"});
            }
        }
        if (!checkpoint && run->config.checkpoint) {
            checkpoint = CheckpointLog::create(log_path, fingerprint, run->block_plan->size());
        } else if (!run->config.checkpoint) {
            std::error_code ec;
            fs::remove(log_path, ec); // a stale log of an earlier run must not be resumed later
        }
        // Checksums of the inputs, computed while the blocks are (provenance.hpp).
        InputHashes hashes(run->inputs);
        g_phase = "computing the blocks of " + config_path + " (" + std::to_string(run->threads) +
                  (run->threads == 1 ? " thread" : " threads") + ", processing.block_cells " +
                  std::to_string(run->config.block_cells) + ")";
        result =
            run_blocks(*run, folder->staging(), progress, checkpoint.get(), false, remote.get());
        // Every input must still be the file prepare opened, before anything is committed.
        result.input_sha256 = hashes.finish();
        print_warnings(result.warnings);
        for (const auto &u : result.unverified_used) {
            std::fprintf(stderr,
                         "warning: unverified parameter used (confirm before reporting): %s\n",
                         u.c_str());
        }
        progress.phase("write",
                       "results.h5, districts.csv" +
                           std::string(run->config.nep.present ? ", nep_monthly.csv" : "") +
                           std::string(run->config.write_rasters ? " and GeoTIFFs" : "") + " in " +
                           out_dir);
        g_phase = "writing the outputs in " + out_dir;
        write_outputs(*run, result, folder->staging());
        if (interrupted()) {
            throw Interrupted("stopped by signal " + std::to_string(interrupt_signal()) +
                              " while writing the outputs");
        }
        folder->commit();
    } catch (const InputChangedError &e) {
        if (checkpoint) {
            checkpoint->remove(); // its blocks may have read the old and the new content
        }
        print_errors(e.messages());
        return 1;
    } catch (const InputError &) {
        if (checkpoint) {
            checkpoint->remove(); // the inputs must change, so the blocks could never be reused
        }
        throw;
    } catch (const OutputError &e) {
        print_errors({e.what()});
        print_resume_hint(checkpoint.get(), config_path, output_dir);
        return 1;
    } catch (const raster::RasterError &e) {
        print_errors({e.what()});
        print_resume_hint(checkpoint.get(), config_path, output_dir);
        return 1;
    } catch (const Interrupted &e) {
        const std::size_t kept = checkpoint ? checkpoint->done() : 0;
        print_errors({std::string("interrupted: ") + e.what() + "; no output was written. " +
                      std::to_string(kept) + " computed blocks are kept in " + log_path +
                      ": continue with `carbonsink run " + config_path + " --resume`" +
                      (output_dir.empty() ? "" : " --output-dir " + output_dir)});
        return 128 + interrupt_signal();
    }
    if (checkpoint) {
        checkpoint->remove();
    }
    const DistrictResults r = district_results(*run, result);
    std::string text = format_district_table(r);
    if (run->config.nep.present) {
        text += format_nep_table(*run, r);
    }
    text += "outputs: " + out_dir + " (results.h5, districts.csv, districts.csvt";
    if (run->config.write_geopackage && run->district_vectors) {
        text += ", districts.gpkg";
    }
    if (run->config.write_xlsx) {
        text += ", districts.xlsx";
    }
    if (run->config.write_report) {
        text += ", report.html";
    }
    if (run->config.nep.present) {
        text += ", nep_monthly.csv";
    }
    if (!result.class_codes.empty() && run->config.write_transitions &&
        run->config.epochs.size() > 1) {
        text += ", transitions.csv";
    }
    if (run->config.write_rasters) {
        text += ", stock_<year>.tif, stock_change_<y1>_<y2>.tif";
        if (run->config.write_pool_rasters) {
            text += ", stock_<pool>_<year>.tif, stock_change_<pool>_<y1>_<y2>.tif";
        }
        if (run->config.nep.present) {
            text += std::string(", nep_<yyyy>.tif") +
                    (run->config.write_monthly_rasters ? ", nep_<yyyy><mm>.tif" : "");
        }
    }
    text += ")\n";
    // The outputs on disk never depend on stdout: they are committed above.
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (const int err = stdout_error(); err != 0) {
        std::fprintf(stderr,
                     "error: cannot write to standard output: %s; the outputs in %s are complete\n",
                     std::strerror(err), out_dir.c_str());
        std::clearerr(stdout);
        return 1;
    }
    return 0;
}

int cmd_validate(const std::string &config_path, int threads) {
    auto run = load_and_prepare(config_path, "", resolve_threads(threads), nullptr, true);
    if (!run) {
        return 2;
    }
    g_phase = "scanning the land-cover classes of " + config_path;
    const auto unknown = find_unknown_classes(*run);
    if (!unknown.empty()) {
        print_errors(unknown);
        return 2;
    }
    if (run->uncertainty) {
        // Which parameters the districts use is known only from the pixels: one pass that
        // sums the statistics and writes nothing finds those without an uncertainty.
        g_phase = "summing the uncertainty statistics of " + config_path;
        Progress quiet(true);
        try {
            run_blocks(*run, "", quiet, nullptr, true);
        } catch (const InputError &e) {
            print_errors(e.messages());
            return 2;
        }
    }
    std::printf("valid: %s: %s\n", config_path.c_str(), grid_text(*run).c_str());
    return 0;
}

int cmd_models() {
    // Which parameter tables and crosswalks the models below read (installed or built in).
    std::printf("%s\n\n", models::shipped_tables_description().c_str());
    for (const auto &m : models::model_registry()) {
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
    app.set_version_flag("--version", std::string("carbonsink ") + SOFTWARE_VERSION +
                                          mpi_version_suffix() + "\n" +
                                          models::shipped_tables_description());
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
    } catch (const InputError &e) {
        print_errors(e.messages());
        return 2;
    } catch (const models::ModelError &e) {
        print_errors({e.what()});
        return 2;
    } catch (const OutputError &e) {
        print_errors({e.what()});
        return 1;
    } catch (const raster::RasterError &e) {
        print_errors({e.what()});
        return 1;
    } catch (const InputChangedError &e) {
        print_errors(e.messages());
        return 1;
    } catch (const std::bad_alloc &) {
        // Memory ran out although prepare's estimate fitted (other programs took it, or the
        // estimate missed something): a runtime failure, named, never an abort.
        try {
            print_errors({"out of memory: while " + g_phase +
                          ": the system refused an allocation; close other programs, or use "
                          "fewer threads (--threads) or a smaller processing.block_cells"});
        } catch (const std::bad_alloc &) {
            std::fputs("error: out of memory\n", stderr);
        }
        return 1;
    } catch (const std::length_error &e) {
        print_errors({"out of memory: while " + g_phase +
                      ": a buffer larger than can be "
                      "allocated (" +
                      e.what() + "); use a smaller processing.block_cells or grid"});
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
