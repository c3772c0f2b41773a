// carbonsink public C++ API: validate and run a config, get the district results in memory.
//
// This header and the shared library libcarbonsink are the stable interface for programs that
// call carbonsink (roadmap and reporting tools, the Python module, the carbonsink CLI itself).
// It uses the standard library only. Everything in namespace carbonsink::detail or in the
// source tree's pipeline/, models/ and raster/ headers is internal and may change.
//
// Threads: run() and validate() may be called from any thread; calls in one process are
// serialised (the library holds a lock for the duration of a call), because GDAL's
// configuration and the progress of a run are process-wide.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(_WIN32)
#define CARBONSINK_API __declspec(dllexport)
#else
#define CARBONSINK_API __attribute__((visibility("default")))
#endif

namespace carbonsink {

/// "0.1.0" (the project version), and the same text `carbonsink --version` prints first.
CARBONSINK_API std::string version();

/// Every failure of the API. `what()` is the first message; `messages()` holds all of them,
/// word for word the lines the CLI prints after "error: "; `notes()` the lines it prints after
/// them with "note: " (e.g. how to resume after a full disk).
class CARBONSINK_API Error : public std::runtime_error {
public:
    enum class Kind {
        invalid,   ///< bad config or input (the CLI exits 2)
        failed,    ///< failure while running, e.g. I/O (the CLI exits 1)
        cancelled, ///< RunOptions::cancel was set, or SIGINT/SIGTERM in the CLI
    };
    Error(Kind kind, std::vector<std::string> messages, std::vector<std::string> notes = {});
    Kind kind() const noexcept { return m_kind; }
    const std::vector<std::string> &messages() const noexcept { return m_messages; }
    const std::vector<std::string> &notes() const noexcept { return m_notes; }
    /// The CLI's exit code for this error: 2 invalid, 1 failed, 130 cancelled.
    int exit_code() const noexcept;

private:
    Kind m_kind;
    std::vector<std::string> m_messages;
    std::vector<std::string> m_notes;
};

/// Where a config comes from: a YAML file, or YAML text whose relative paths are resolved
/// against `base_dir` (the current directory when empty). Messages about YAML text name it
/// "<base_dir>/(config text)", and results.h5 records that name as the config's path.
struct CARBONSINK_API ConfigSource {
    static ConfigSource file(std::string path);
    static ConfigSource yaml(std::string text, std::string base_dir = {});
    std::string path; ///< the file, or empty for text
    std::string text; ///< the YAML text when path is empty
    std::string base_dir;
};

/// The outcome of validate(): `ok` when `errors` is empty.
struct Validation {
    bool ok = false;
    std::vector<std::string> errors;   ///< as the CLI prints them after "error: "
    std::vector<std::string> warnings; ///< as the CLI prints them after "warning: "
    std::string summary;               ///< "<W> x <H> px, <E> epochs, <D> districts, ..."
};

/// One progress report: a phase line (`total` 0) or a count of blocks done in a phase.
/// A counted phase starts with `done` 0 and ends with `done` == `total`, then a phase line
/// "done, N blocks in S s, ..." of the same phase. Warnings and notes arrive as they arise as
/// phase lines of phase "warning" and "note" (`detail` is the text). The CLI prints every
/// phase line as "<phase>: <detail>", so its stderr is these events in order.
struct ProgressEvent {
    std::string phase;  ///< "prepare", "resume", "compute", "write", "warning", "note"
    std::string detail; ///< the CLI's phase text (empty for counts)
    int64_t done = 0;
    int64_t total = 0;
};
using ProgressCallback = std::function<void(const ProgressEvent &)>;

/// Check a config and its inputs as `carbonsink validate` does: every problem is collected,
/// nothing is written. Never throws for a bad config (that is what `errors` is for); throws
/// Error only when validation itself cannot proceed (an unreadable raster: Kind::failed, out
/// of memory). `progress` gets the warnings and, with `uncertainty`, the pass that finds the
/// parameters without one (as RunOptions::progress).
CARBONSINK_API Validation validate(const ConfigSource &config, int threads = 0,
                                   const ProgressCallback &progress = {});

struct RunOptions {
    int threads = 0;        ///< worker threads, as the CLI's --threads: 0 = every core
    std::string output_dir; ///< when set, replaces the config's output_dir
    bool resume = false;    ///< continue a killed run from its checkpoint (`--resume`)
    /// Called from the calling thread or a worker thread (never two at a time), at most a few
    /// times per second for counts. Must not call back into the library.
    ProgressCallback progress;
    /// Checked between blocks: once true, the run stops, keeps its checkpoint, writes nothing
    /// to the output folder and throws Error(Kind::cancelled).
    const std::atomic<bool> *cancel = nullptr;
};

/// Uncertainty of one figure, parallel to the figure's values (same shape).
struct Intervals {
    std::vector<double> mean, sd, ci_low, ci_high;
};

/// The results of one level: the districts, or one parent level (e.g. city, province).
/// Shapes: D units, E epochs, K = E-1 periods, P pools, M months; row-major.
struct LevelResults {
    std::string level; ///< "district", or the parent level's name
    std::vector<int64_t> ids;
    std::vector<std::string> names;
    std::vector<std::string> names_en;               ///< districts.name_field_en; empty without
    std::vector<double> area_ha;                     ///< [D]
    std::vector<double> stock_mg_c;                  ///< [D, E, P]
    std::vector<double> total_mg_c;                  ///< [D, E]
    std::vector<double> valid_area_ha;               ///< [D, E] area with a stock result
    std::vector<double> stock_change_mg_c_per_yr;    ///< [D, K]
    std::vector<double> net_emissions_mg_co2_per_yr; ///< [D, K]
    /// Month series of the NEP model by name (npp_mg_c, rh_mg_c, nep_mg_c,
    /// nep_invalid_area_ha), [D, M] each; empty without models.nep.
    std::map<std::string, std::vector<double>> monthly;
    /// With `uncertainty`: the intervals of stock_mg_c ([D, E, P]), total_mg_c ([D, E]),
    /// stock_change_mg_c_per_yr and net_emissions_mg_co2_per_yr ([D, K]) and of each month
    /// series of the uncertainty analysis ([D, M]), by those names; empty otherwise.
    std::map<std::string, Intervals> uncertainty;
    std::string uncertainty_label; ///< e.g. "95 % interval, Monte Carlo ..., 1000 draws"
};

/// What run() returns: the same numbers as results.h5 and districts.csv.
struct Results {
    std::string output_dir;            ///< where the outputs were committed
    std::vector<int32_t> years;        ///< [E]
    std::vector<std::string> pools;    ///< [P]
    std::vector<std::string> months;   ///< [M] "YYYY-MM"; empty without models.nep
    std::vector<LevelResults> levels;  ///< the districts first, then each parent level
    std::vector<std::string> warnings; ///< every warning of the run, as the CLI prints them
    std::vector<std::string> outputs;  ///< the files written, names relative to output_dir,
                                       ///< ascending
};

/// Run a config as `carbonsink run` does: the outputs are committed to the output folder as a
/// set, and the district results are returned. Throws Error.
CARBONSINK_API Results run(const ConfigSource &config, const RunOptions &options = {});

/// One parameter a model uses.
struct ParameterInfo {
    std::string name, unit, description, source;
};

/// A model of the chain, as `carbonsink models` lists it.
struct ModelInfo {
    std::string name;    ///< e.g. "stocks.lookup"
    std::string section; ///< config section, e.g. "stocks"
    std::string method;  ///< value of `method:` in that section
    std::string summary;
    std::vector<std::string> inputs;
    std::vector<ParameterInfo> parameters;
    std::vector<std::string> outputs;
    std::string reference;
};

/// Every model this build provides.
CARBONSINK_API std::vector<ModelInfo> models();

} // namespace carbonsink
