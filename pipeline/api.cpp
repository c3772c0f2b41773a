// The public API (include/carbonsink/carbonsink.hpp): the work of `carbonsink validate` and
// `carbonsink run` as library calls. The CLI (cli.cpp) only parses arguments, prints what these
// calls report and maps Error kinds to exit codes, so the messages here are the CLI's, word for
// word (tests/bad_inputs.txt, test_bad_inputs, test_faults assert them through the CLI).
#include "carbonsink/carbonsink.hpp"

#include "models/model_error.hpp"
#include "models/nep_stage.hpp"
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

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <new>

namespace carbonsink {

namespace fs = std::filesystem;
namespace pl = cs::pipeline;

std::string version() { return cs::SOFTWARE_VERSION; }

Error::Error(Kind kind, std::vector<std::string> messages, std::vector<std::string> notes)
    : std::runtime_error(messages.empty() ? std::string() : messages.front()), m_kind(kind),
      m_messages(std::move(messages)), m_notes(std::move(notes)) {}

int Error::exit_code() const noexcept {
    switch (m_kind) {
    case Kind::invalid:
        return 2;
    case Kind::failed:
        return 1;
    case Kind::cancelled:
        return 130; // 128 + SIGINT, as a shell reports a program stopped by Ctrl-C
    }
    return 1;
}

ConfigSource ConfigSource::file(std::string path) {
    ConfigSource s;
    s.path = std::move(path);
    return s;
}

ConfigSource ConfigSource::yaml(std::string text, std::string base_dir) {
    ConfigSource s;
    s.text = std::move(text);
    s.base_dir = std::move(base_dir);
    return s;
}

namespace {

/// The file name that YAML text goes by in messages and in results.h5 (inside base_dir, so that
/// the config's relative paths resolve there: config_base_dir takes its folder).
constexpr const char *TEXT_NAME = "(config text)";

/// Serialises the calls of a process (the header's promise): GDAL's configuration, the
/// interrupt state and the progress of a run are process-wide.
std::mutex g_call_mutex;

/// The state of one call: its lock, where its events go and what it is doing (for an
/// out-of-memory message).
struct Call {
    std::lock_guard<std::mutex> lock{g_call_mutex};
    ProgressCallback callback;
    std::string phase = "starting";
    std::vector<std::string> warnings;

    explicit Call(ProgressCallback cb) : callback(std::move(cb)) {}

    void event(const std::string &phase_name, const std::string &detail, int64_t done = 0,
               int64_t total = 0) const {
        if (callback) {
            callback(ProgressEvent{phase_name, detail, done, total});
        }
    }
    void warn(const std::string &text) {
        warnings.push_back(text);
        event("warning", text);
    }
    /// A Progress that hands its events to the callback instead of printing them.
    pl::Progress progress() const {
        return pl::Progress([this](const std::string &p, const std::string &d, int64_t done,
                                   int64_t total) { event(p, d, done, total); });
    }
};

/// The cancel flag is seen by interrupted() for the duration of a call only.
struct CancelScope {
    explicit CancelScope(const std::atomic<bool> *flag) { pl::set_cancel_flag(flag); }
    ~CancelScope() { pl::set_cancel_flag(nullptr); }
    CancelScope(const CancelScope &) = delete;
    CancelScope &operator=(const CancelScope &) = delete;
};

/// The config as the user named it: its path, or the name of YAML text.
std::string config_name(const ConfigSource &source) {
    return source.path.empty() ? pl::join_os_path(source.base_dir, TEXT_NAME) : source.path;
}

pl::Config load(const ConfigSource &source, pl::Problems &problems) {
    if (!source.path.empty()) {
        return pl::load_config(source.path, problems);
    }
    return pl::parse_config(source.text, config_name(source), problems);
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string grid_text(const pl::PreparedRun &run) {
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
           pl::format_bytes(static_cast<double>(run.memory.total())) + " (" + run.memory.summary() +
           ") of " + pl::format_bytes(static_cast<double>(run.memory_limit.bytes)) + " " +
           run.memory_limit.what;
}

/// A prepared run, or the errors that kept the config from being prepared.
struct Prepared {
    std::unique_ptr<pl::PreparedRun> run;
    std::vector<std::string> errors;
};

/// Load the config and prepare the run; warnings go to the call as they are found. With
/// `folder`, the output folder is locked as soon as the config is read, before prepare's long
/// work, so that a second run into the same folder is refused at once. With `announce`, a
/// prepared run is reported as the phase "prepare".
Prepared load_and_prepare(Call &call, const ConfigSource &source, const std::string &output_dir,
                          int threads, bool scan_classes, std::unique_ptr<pl::OutputFolder> *folder,
                          bool announce) {
    Prepared out;
    pl::Problems problems;
    const std::string name = config_name(source);
    call.phase = "reading the config " + name;
    pl::Config cfg = load(source, problems);
    if (!output_dir.empty()) {
        cfg.output_dir = pl::join_os_path(fs::current_path().string(), output_dir);
    }
    if (!problems.ok()) {
        // The config could not be checked whole, but the files it names can: report both.
        pl::check_config_files(cfg, problems);
        out.errors = std::move(problems.errors);
        return out;
    }
    if (folder != nullptr) {
        // A folder that cannot be created or locked is reported by prepare's output_dir check.
        *folder = pl::OutputFolder::lock(cfg.output_dir, false);
    }
    call.phase = "preparing the inputs of " + name;
    auto run = pl::prepare_run(cfg, threads, problems, scan_classes);
    for (const auto &w : problems.warnings) {
        call.warn(w);
    }
    if (run && !problems.ok()) {
        // validate: land-cover codes missing from the pools table are found even when other
        // inputs (e.g. the districts) are bad, as `run` would find them once those are fixed.
        if (run->land_cover_ok && run->stock_model) {
            try {
                for (auto &m : pl::find_unknown_classes(*run)) {
                    problems.error(std::move(m));
                }
            } catch (const cs::raster::RasterError &e) {
                problems.error(std::string(e.what()) + " (the file is truncated or corrupt)");
            }
        }
        run.reset();
    }
    if (!run) {
        out.errors = std::move(problems.errors);
        return out;
    }
    if (announce) {
        call.event("prepare", grid_text(*run));
    }
    out.run = std::move(run);
    return out;
}

/// Runs `body`, turning the pipeline's exceptions into Error with the CLI's messages.
template <class Body> auto guarded(Call &call, Body body) -> decltype(body()) {
    try {
        return body();
    } catch (const Error &) {
        throw;
    } catch (const pl::InputError &e) {
        throw Error(Error::Kind::invalid, e.messages());
    } catch (const cs::models::ModelError &e) {
        throw Error(Error::Kind::invalid, {e.what()});
    } catch (const pl::OutputError &e) {
        throw Error(Error::Kind::failed, {e.what()});
    } catch (const cs::raster::RasterError &e) {
        throw Error(Error::Kind::failed, {e.what()});
    } catch (const pl::InputChangedError &e) {
        throw Error(Error::Kind::failed, e.messages());
    } catch (const pl::Interrupted &e) {
        throw Error(Error::Kind::cancelled, {std::string("interrupted: ") + e.what()});
    } catch (const std::bad_alloc &) {
        // Memory ran out although prepare's estimate fitted (other programs took it, or the
        // estimate missed something): a runtime failure, named, never an abort.
        throw Error(Error::Kind::failed,
                    {"out of memory: while " + call.phase +
                     ": the system refused an allocation; close other programs, or use "
                     "fewer threads (--threads) or a smaller processing.block_cells"});
    } catch (const std::length_error &e) {
        throw Error(Error::Kind::failed,
                    {"out of memory: while " + call.phase +
                     ": a buffer larger than can be "
                     "allocated (" +
                     e.what() + "); use a smaller processing.block_cells or grid"});
    } catch (const std::exception &e) {
        throw Error(Error::Kind::failed, {std::string("run failed: ") + e.what()});
    }
}

int checked_threads(int threads) {
    if (threads < 0 || threads > pl::MAX_THREADS) {
        throw Error(Error::Kind::invalid,
                    {"bad option: threads " + std::to_string(threads) + ": give 0 (all cores) to " +
                     std::to_string(pl::MAX_THREADS)});
    }
    return pl::resolve_threads(threads);
}

/// How to continue a stopped run: the CLI's command for a config file.
std::string resume_command(const ConfigSource &source) {
    return source.path.empty() ? std::string("RunOptions::resume = true")
                               : "carbonsink run " + source.path + " --resume";
}

Intervals intervals(const pl::FigureIntervals &f) {
    return Intervals{f.mean, f.sd, f.ci_low, f.ci_high};
}

LevelResults level_results(const pl::DistrictResults &r, bool nep) {
    LevelResults l;
    l.level = r.level;
    l.ids = r.ids;
    l.names = r.names;
    l.names_en = r.names_en;
    l.area_ha = r.area_ha;
    l.stock_mg_c = r.stock_mg_c;
    l.total_mg_c = r.total_mg_c;
    l.valid_area_ha = r.valid_area_ha;
    l.stock_change_mg_c_per_yr = r.stock_change_mg_c_per_yr;
    l.net_emissions_mg_co2_per_yr = r.net_emissions_mg_co2_per_yr;
    if (nep) {
        for (const char *name : {cs::models::NEP_SERIES_NPP, cs::models::NEP_SERIES_RH,
                                 cs::models::NEP_SERIES_NEP, cs::models::NEP_SERIES_INVALID}) {
            if (const auto it = r.series.find(name); it != r.series.end()) {
                l.monthly[name] = it->second;
            }
        }
    }
    if (r.uncertainty) {
        const pl::UncertaintyResults &u = *r.uncertainty;
        l.uncertainty["stock_mg_c"] = intervals(u.stock_mg_c);
        l.uncertainty["total_mg_c"] = intervals(u.total_mg_c);
        l.uncertainty["stock_change_mg_c_per_yr"] = intervals(u.stock_change_mg_c_per_yr);
        l.uncertainty["net_emissions_mg_co2_per_yr"] = intervals(u.net_emissions_mg_co2_per_yr);
        for (std::size_t i = 0; i < u.month_series.size() && i < u.month_intervals.size(); ++i) {
            l.uncertainty[u.month_series[i]] = intervals(u.month_intervals[i]);
        }
        l.uncertainty_label = u.label;
    }
    return l;
}

/// The regular files of `dir`, ascending.
std::vector<std::string> files_in(const std::string &dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec)) {
            names.push_back(entry.path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

Results run_locked(Call &call, const ConfigSource &config, const RunOptions &options) {
    const int threads = checked_threads(options.threads);
    std::unique_ptr<pl::OutputFolder> folder;
    Prepared prepared;
    try {
        // In an MPI job only rank 0 locks and writes the output folder (mpi_run.cpp).
        prepared = load_and_prepare(call, config, options.output_dir, threads, false,
                                    pl::mpi_rank() == 0 ? &folder : nullptr, true);
    } catch (const pl::Interrupted &e) {
        // Nothing is staged or checkpointed before prepare ends: the folder is as it was.
        throw Error(Error::Kind::cancelled,
                    {std::string("interrupted: ") + e.what() + "; no output was written"});
    }
    if (!pl::mpi_agree(prepared.run != nullptr)) {
        // Every rank of an MPI job fails; a rank that could prepare has no message of its own
        // (rank 0 said that another rank failed).
        throw Error(Error::Kind::invalid, std::move(prepared.errors));
    }
    pl::PreparedRun &run = *prepared.run;
    pl::Progress progress = call.progress();
    // MPI job: every rank computes blocks; ranks other than 0 only compute (mpi_run.cpp).
    const std::unique_ptr<pl::RemoteBlocks> remote = pl::mpi_remote_blocks();
    if (remote && !remote->is_root()) {
        pl::run_blocks(run, "", progress, nullptr, false, remote.get());
        return Results{};
    }
    const std::string out_dir = run.config.output_dir;
    if (!folder) {
        folder = pl::OutputFolder::lock(out_dir, true);
    }
    // Per-block checkpoints, so that a killed or cancelled run can be resumed.
    const std::string log_path = (fs::path(out_dir) / pl::CHECKPOINT_FILE).string();
    const std::string fingerprint = pl::run_fingerprint(run);
    std::unique_ptr<pl::CheckpointLog> checkpoint;
    if (options.resume && !run.config.checkpoint) {
        throw Error(Error::Kind::invalid,
                    {"cannot resume: " + config_name(config) +
                     ": processing.checkpoint is false, so runs of this config keep no "
                     "checkpoint; run without --resume"});
    }
    pl::RunResult result;
    std::vector<std::string> outputs;
    // After an I/O failure (e.g. a full disk) the computed blocks stay in the checkpoint log.
    auto resume_hint = [&]() -> std::vector<std::string> {
        if (!checkpoint || checkpoint->done() == 0) {
            return {};
        }
        return {std::to_string(checkpoint->done()) + " computed blocks are kept in " +
                checkpoint->path() + ": once the cause is fixed, continue with `" +
                resume_command(config) +
                (options.output_dir.empty() || config.path.empty()
                     ? ""
                     : " --output-dir " + options.output_dir) +
                "`"};
    };
    try {
        // A commit a killed run left half done is finished first; then every output is written
        // into a private staging folder and committed as a set at the end (output_folder.hpp).
        for (const auto &note : folder->begin_staging()) {
            call.event("note", note);
        }
        if (options.resume) {
            checkpoint = pl::CheckpointLog::resume(log_path, fingerprint, run.block_plan->size());
            if (checkpoint) {
                call.event("resume", std::to_string(checkpoint->done()) + " of " +
                                         std::to_string(run.block_plan->size()) +
                                         " blocks from the checkpoint " + log_path);
            } else {
                call.warn("nothing to resume: " + log_path +
                          " does not exist; computing every block");
            }
        }
        if (!checkpoint && run.config.checkpoint) {
            checkpoint = pl::CheckpointLog::create(log_path, fingerprint, run.block_plan->size());
        } else if (!run.config.checkpoint) {
            std::error_code ec;
            fs::remove(log_path, ec); // a stale log of an earlier run must not be resumed later
        }
        // Checksums of the inputs, computed while the blocks are (provenance.hpp).
        pl::InputHashes hashes(run.inputs);
        call.phase = "computing the blocks of " + config_name(config) + " (" +
                     std::to_string(run.threads) + (run.threads == 1 ? " thread" : " threads") +
                     ", processing.block_cells " + std::to_string(run.config.block_cells) + ")";
        result =
            pl::run_blocks(run, folder->staging(), progress, checkpoint.get(), false, remote.get());
        // Every input must still be the file prepare opened, before anything is committed.
        result.input_sha256 = hashes.finish();
        for (const auto &w : result.warnings) {
            call.warn(w);
        }
        for (const auto &u : result.unverified_used) {
            call.warn("unverified parameter used (confirm before reporting): " + u);
        }
        call.event("write", "results.h5, districts.csv" +
                                std::string(run.config.nep.present ? ", nep_monthly.csv" : "") +
                                std::string(run.config.write_rasters ? " and GeoTIFFs" : "") +
                                " in " + out_dir);
        call.phase = "writing the outputs in " + out_dir;
        pl::write_outputs(run, result, folder->staging());
        if (pl::interrupted()) {
            throw pl::Interrupted("stopped by " + pl::interrupt_cause() +
                                  " while writing the outputs");
        }
        outputs = files_in(folder->staging());
        folder->commit();
    } catch (const pl::InputChangedError &e) {
        if (checkpoint) {
            checkpoint->remove(); // its blocks may have read the old and the new content
        }
        throw Error(Error::Kind::failed, e.messages());
    } catch (const pl::InputError &) {
        if (checkpoint) {
            checkpoint->remove(); // the inputs must change, so the blocks could never be reused
        }
        throw;
    } catch (const pl::OutputError &e) {
        throw Error(Error::Kind::failed, {e.what()}, resume_hint());
    } catch (const cs::raster::RasterError &e) {
        throw Error(Error::Kind::failed, {e.what()}, resume_hint());
    } catch (const pl::Interrupted &e) {
        const std::size_t kept = checkpoint ? checkpoint->done() : 0;
        throw Error(Error::Kind::cancelled,
                    {std::string("interrupted: ") + e.what() + "; no output was written. " +
                     std::to_string(kept) + " computed blocks are kept in " + log_path +
                     ": continue with `" + resume_command(config) + "`" +
                     (options.output_dir.empty() || config.path.empty()
                          ? ""
                          : " --output-dir " + options.output_dir)});
    }
    if (checkpoint) {
        checkpoint->remove();
    }

    Results res;
    res.output_dir = out_dir;
    const std::vector<pl::DistrictResults> levels = pl::all_level_results(run, result);
    const bool nep = run.config.nep.present;
    res.years = levels.front().years;
    res.pools = levels.front().pools;
    if (nep) {
        for (const auto &m : run.config.nep.months) {
            char ym[16];
            std::snprintf(ym, sizeof ym, "%04d-%02d", m.year, m.month);
            res.months.emplace_back(ym);
        }
    }
    for (const auto &l : levels) {
        res.levels.push_back(level_results(l, nep));
    }
    res.warnings = call.warnings;
    res.outputs = std::move(outputs);
    return res;
}

} // namespace

Validation validate(const ConfigSource &config, int threads, const ProgressCallback &progress) {
    Call call(progress);
    Validation v;
    guarded(call, [&] {
        try {
            Prepared prepared =
                load_and_prepare(call, config, "", checked_threads(threads), true, nullptr, false);
            if (!prepared.run) {
                v.errors = std::move(prepared.errors);
                return;
            }
            pl::PreparedRun &run = *prepared.run;
            call.phase = "scanning the land-cover classes of " + config_name(config);
            v.errors = pl::find_unknown_classes(run);
            if (!v.errors.empty()) {
                return;
            }
            if (run.uncertainty) {
                // Which parameters the districts use is known only from the pixels: one pass
                // that sums the statistics and writes nothing finds those without an
                // uncertainty.
                call.phase = "summing the uncertainty statistics of " + config_name(config);
                pl::Progress pass = call.progress();
                pl::run_blocks(run, "", pass, nullptr, true);
            }
            v.summary = grid_text(run);
        } catch (const pl::InputError &e) {
            v.errors = e.messages(); // a bad config or input is a result, not a failure
        } catch (const cs::models::ModelError &e) {
            v.errors = {e.what()};
        }
    });
    v.warnings = call.warnings;
    v.ok = v.errors.empty();
    if (!v.ok) {
        v.summary.clear();
    }
    return v;
}

Results run(const ConfigSource &config, const RunOptions &options) {
    Call call(options.progress);
    CancelScope cancel(options.cancel);
    return guarded(call, [&] { return run_locked(call, config, options); });
}

std::vector<ModelInfo> models() {
    std::vector<ModelInfo> out;
    for (const auto &m : cs::models::model_registry()) {
        ModelInfo info;
        info.name = m.name;
        info.section = m.section;
        info.method = m.method;
        info.summary = m.summary;
        info.inputs = m.inputs;
        for (const auto &p : m.parameters) {
            info.parameters.push_back(ParameterInfo{p.name, p.unit, p.description, p.source});
        }
        info.outputs = m.outputs;
        info.reference = m.reference;
        out.push_back(std::move(info));
    }
    return out;
}

} // namespace carbonsink
