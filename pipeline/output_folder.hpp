// The output folder of one run: one run at a time, outputs staged privately and committed as a
// set, nothing written outside the folder.
//
// Theory of operation. A run first locks its output folder: an exclusive flock(2) on
// `<output_dir>/.carbonsink.lock`, opened without following a symbolic link and holding the
// pid, host and start time of the run. The kernel drops the lock when the process ends, however
// it ends, so a lock left by a killed run never blocks; a second run while the first is alive
// is refused at once (exit 2) naming the first. Every output is then written under its final
// name inside a private staging folder, `<output_dir>/.carbonsink-staging-XXXXXX` (mkdtemp,
// mode 0700), so a refused, interrupted or killed run changes no file the folder held before.
// Only a complete set is committed:
//   1. every staged file is flushed to disk (fsync) and the set is recorded in the staging
//      folder: `.carbonsink-manifest` (name, size and modification time of each file) and the
//      commit plan `.commit` (written under another name, flushed, then renamed);
//   2. the plan runs: the previous results.h5 is removed first (results.h5 present means a
//      complete run, so a half-done commit never looks complete), then the stale side-cars of
//      the new names (`<name>.aux.xml`, `.ovr`, `.msk`, which GDAL and QGIS would read as the
//      new file's statistics and overviews) and the files of the previous run that the new one
//      does not write (listed in the previous manifest, removed only when their size and
//      modification time are still those carbonsink wrote: a user's own file is never
//      removed); then each staged file is renamed into place, the manifest next to last and
//      results.h5 last; the folder is flushed and the staging folder removed.
// A run killed during step 2 leaves its staging folder with the plan; the next run that locks
// the folder (or `--resume`) finishes that plan before anything else, so the manifest always
// describes what carbonsink wrote. Staging folders without a plan are from runs that never
// reached their commit and are removed.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace cs::pipeline {

/// Name of the lock file inside the output folder.
inline constexpr const char *LOCK_FILE = ".carbonsink.lock";
/// Name of the record of the files the last committed run wrote.
inline constexpr const char *MANIFEST_FILE = ".carbonsink-manifest";
/// Prefix of the staging folders (mkdtemp adds six characters).
inline constexpr const char *STAGING_PREFIX = ".carbonsink-staging-";

class OutputFolder {
public:
    /// Lock `dir`, creating it (and missing parents) when it does not exist. Throws InputError
    /// (exit 2) when another process holds the lock, naming the folder and that process. Other
    /// failures (the folder cannot be created or the lock file opened) throw OutputError naming
    /// the cause, or, with `report_errors` false, return null: prepare's output_dir check then
    /// reports them as a config problem.
    static std::unique_ptr<OutputFolder> lock(const std::string &dir, bool report_errors);
    /// Removes an uncommitted staging folder, the lock file (then unlocks) and the folders
    /// lock() created when they are empty again.
    ~OutputFolder();
    OutputFolder(const OutputFolder &) = delete;
    OutputFolder &operator=(const OutputFolder &) = delete;

    const std::string &dir() const { return m_dir; }

    /// Finish the commit of a run killed while committing, remove staging folders of runs killed
    /// before, then create this run's staging folder. Returns one note per finished commit.
    /// Throws OutputError.
    std::vector<std::string> begin_staging();
    /// The staging folder (begin_staging() first).
    const std::string &staging() const { return m_staging; }

    /// Commit every file in the staging folder into the output folder (see the file comment).
    /// Throws OutputError; when the plan was already recorded, the staging folder is kept so
    /// that the next run finishes the commit, and the message says so.
    void commit();

private:
    OutputFolder() = default;
    void remove_staging() noexcept;

    std::string m_dir;
    int m_dir_fd = -1;
    int m_lock_fd = -1;
    std::vector<std::string> m_created; ///< folders lock() created, deepest first
    std::string m_staging;
    int m_staging_fd = -1;
    bool m_keep_staging = false; ///< a commit plan is recorded: the next run finishes it
    bool m_committed = false;
};

} // namespace cs::pipeline
