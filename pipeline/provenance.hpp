// Input provenance: which file each input is (its identity, recorded when prepare opens it), the
// SHA-256 of what was read, the content fingerprint a checkpoint is tied to, and the check that
// no input changed while a run read it.
//
// Theory of operation. Prepare records, for every input file and the side files GDAL reads with
// it (a Shapefile's .shx/.dbf/.prj/.cpg, a raster's .aux.xml/.ovr, a VRT's sources), its
// identity: device, inode, size, modification and status-change times (ns). The status-change
// time (ctime) moves on every write, truncation, rename and utime call and cannot be set back by
// `touch`, so an unchanged identity at the end of a run means every read in between saw the same
// bytes. While the blocks are computed, a background thread hashes every input (SHA-256), each
// from a descriptor whose identity it checks before and after reading; when the blocks are done,
// every path is stat()ed again. Any difference is an InputChangedError (exit 1) naming each
// input that changed, before anything is committed; otherwise the checksums stored in
// results.h5 are those of the bytes the run read.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cs::pipeline {

/// What identifies a file's content without reading it.
struct FileIdentity {
    bool exists = false;
    uint64_t device = 0;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const FileIdentity &) const = default;
};

/// One input file recorded in the provenance. A path GDAL reads through a virtual file system
/// (/vsizip/, /vsicurl/, ...) has no local identity (exists = false): it is listed, but not
/// hashed, fingerprinted or checked for changes.
struct InputFile {
    std::string role;      ///< e.g. "land_cover/2015"; side files carry their input's role
    std::string path;      ///< as opened (relative paths joined to the config's folder)
    FileIdentity identity; ///< when prepare opened it
};

/// Identity of the file `path` names now (stat(2), following symbolic links); exists = false
/// when it cannot be stat()ed.
FileIdentity file_identity(const std::string &path);

/// Why `now` is not `before`, for messages: "removed", "replaced by another file (inode
/// differs)", "modified at 2025-01-31 14:03:07 (size, mtime, ctime differ)". Empty when equal.
std::string describe_identity_change(const FileIdentity &before, const FileIdentity &now);

/// A run read an input that changed (or was replaced or removed) after prepare opened it:
/// exit code 1. Carries one message per changed input.
class InputChangedError : public std::runtime_error {
public:
    explicit InputChangedError(std::vector<std::string> messages);
    const std::vector<std::string> &messages() const { return m_messages; }

private:
    std::vector<std::string> m_messages;
};

/// "input changed during the run: <role> (<path>): <why>; no output was written; run again".
std::string input_changed_message(const InputFile &in, const std::string &why);

/// Bytes of a file that content_fingerprint() hashes whole; larger files are sampled.
inline constexpr int64_t FINGERPRINT_WHOLE_BYTES = 8 << 20;

/// Hex SHA-256 of a sample of the file's content: its size (decimal), then, for files up to
/// FINGERPRINT_WHOLE_BYTES, every byte; for larger files its first and last MiB and 64 slices of
/// 64 KiB at evenly spaced offsets k * (size - 64 KiB) / 63, k = 0..63 (about 6 MiB read, ~10 ms
/// from the page cache). Read from a descriptor whose identity must equal `in.identity`, checked
/// before and after reading; throws InputChangedError (naming `in`) when it does not.
std::string content_fingerprint(const InputFile &in);

/// SHA-256 of every input, computed by a background thread while the blocks are computed.
class InputHashes {
public:
    /// Starts hashing `inputs` in the background (in finish() when no thread can be started).
    explicit InputHashes(std::vector<InputFile> inputs);
    /// Stops the thread (between chunks) if finish() was not called.
    ~InputHashes();
    InputHashes(const InputHashes &) = delete;
    InputHashes &operator=(const InputHashes &) = delete;

    /// Waits for the hashes, then stat()s every input again. Returns the hex SHA-256 of each
    /// input, parallel to `inputs`. Throws InputChangedError listing every input that was
    /// replaced, modified or removed since prepare recorded it (while hashing or after).
    std::vector<std::string> finish();

private:
    void hash_all();
    std::vector<InputFile> m_inputs;
    std::vector<std::string> m_sha256;
    std::vector<std::string> m_changed; ///< per input: why it changed, or empty
    std::atomic<bool> m_cancel{false};
    std::thread m_thread;
    bool m_done = false;
};

} // namespace cs::pipeline
