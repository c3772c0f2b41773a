// Per-block checkpoints: what `carbonsink run --resume` continues from after a crash or kill.
//
// Theory of operation. Every computed block appends one record to a log in the output directory
// (`.carbonsink-checkpoint`): its district partial sums, pixel counts and its output windows
// (zlib-compressed). Records are appended by the worker threads in completion order, each with a
// length and a checksum, using write(2) directly (no user-space buffer), so a SIGKILL loses at
// most the record being written, which the checksum then rejects. On resume, records whose
// checksum holds are replayed instead of computed; they go through the same ordered queues as
// computed blocks, so the outputs are byte-identical to an uninterrupted run. The log starts with
// a fingerprint of everything that determines the results: the software version, config text,
// output folder, grid and block plan (hashed), and the content fingerprint of every input file
// (provenance.hpp: its size and a sample of its bytes, so a file replaced by another of the same
// size and modification time is caught). A log written for other inputs is refused, naming the
// inputs that changed, never mixed in. The log is deleted after a successful run.
#pragma once
#include "pipeline/accumulator.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cs::pipeline {

struct PreparedRun;

/// Name of the checkpoint log inside the output directory.
inline constexpr const char *CHECKPOINT_FILE = ".carbonsink-checkpoint";

/// Text identifying everything that determines a run's results (see the file comment): one
/// line of hashed settings, then "input <role>\t<content fingerprint>\t<path>" per input file.
/// Reads about 6 MiB of each input. Throws InputChangedError when an input is no longer the
/// file prepare recorded.
std::string run_fingerprint(const PreparedRun &run);

/// Why the fingerprint `now` differs from `before` (a checkpoint's): which inputs changed, or
/// that the configuration, software or grid did.
std::string describe_fingerprint_change(const std::string &before, const std::string &now);

class CheckpointLog {
public:
    /// Start a new log at `path`: an existing file or link of that name is removed, never written
    /// through, and the log created exclusively (O_EXCL, O_NOFOLLOW). Throws OutputError.
    static std::unique_ptr<CheckpointLog>
    create(const std::string &path, const std::string &fingerprint, std::size_t n_blocks);
    /// Open the log at `path` to resume: keeps every intact record, cuts off a torn last one and
    /// appends after it. Returns null when there is no log. Throws InputError when the log was
    /// written for another run (different fingerprint or block count), OutputError on I/O errors.
    static std::unique_ptr<CheckpointLog>
    resume(const std::string &path, const std::string &fingerprint, std::size_t n_blocks);
    ~CheckpointLog();
    CheckpointLog(const CheckpointLog &) = delete;
    CheckpointLog &operator=(const CheckpointLog &) = delete;

    /// True when block `b` has an intact record.
    bool has(std::size_t b) const { return b < m_offset.size() && m_offset[b] >= 0; }
    /// Number of blocks with an intact record.
    std::size_t done() const { return m_done; }
    /// Append block `b`'s results. Thread-safe. Throws OutputError (e.g. disk full).
    void append(std::size_t b, const BlockPartial &partial,
                const std::vector<std::vector<float>> &windows);
    /// Read block `b`'s results back. Thread-safe. Throws OutputError on a damaged record.
    void load(std::size_t b, BlockPartial &partial, std::vector<std::vector<float>> &windows) const;
    /// Close and delete the log (after a successful run).
    void remove();
    const std::string &path() const { return m_path; }

private:
    CheckpointLog(std::string path, int fd, std::size_t n_blocks);

    std::string m_path;
    int m_fd = -1;
    std::vector<int64_t> m_offset; ///< per block: offset of its record, -1 when absent
    std::vector<int64_t> m_length; ///< per block: length of its record
    std::size_t m_done = 0;
    int64_t m_end = 0; ///< where the next record goes
    std::mutex m_mutex;
};

} // namespace cs::pipeline
