// Checkpoint log implementation (see checkpoint.hpp).
#include "pipeline/checkpoint.hpp"

#include "pipeline/block_bytes.hpp"

#include "pipeline/prepare.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/sha256.hpp"
#include "pipeline/version.hpp"

#include <cpl_compressor.h>
#include <cpl_conv.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace cs::pipeline {

namespace fs = std::filesystem;

namespace {

constexpr char HEADER_MAGIC[8] = {'C', 'S', 'C', 'K', 'P', 'T', '0', '2'};
constexpr uint32_t RECORD_MAGIC = 0x4B425343; // "CSBK"
constexpr std::size_t RECORD_HEAD = 4 + 4 + 8 + 8;
/// Largest fingerprint a header may hold (one line per input file).
constexpr uint64_t MAX_FINGERPRINT_BYTES = uint64_t{64} << 20;
enum Codec : uint8_t { RAW = 0, LZ4 = 1, ZLIB = 2 };

/// LZ4 (GDAL's compressor registry) when available: about 5x faster than zlib level 1, and the
/// log is temporary, so speed matters more than size. zlib otherwise.
const CPLCompressor *lz4_compressor() {
    static const CPLCompressor *c = CPLGetCompressor("lz4");
    return c;
}
const CPLCompressor *lz4_decompressor() {
    static const CPLCompressor *c = CPLGetDecompressor("lz4");
    return c;
}

uint64_t fnv1a(const unsigned char *p, std::size_t n, uint64_t h = 1469598103934665603ULL) {
    for (std::size_t i = 0; i < n; ++i) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return h;
}

std::string os_error(const std::string &what, const std::string &path, int err) {
    return "cannot write checkpoint: " + path + ": " + what + ": " + std::strerror(err) +
           (err == ENOSPC || err == EFBIG ? " (the disk or the file-size limit is full)" : "");
}

void write_all(int fd, const void *data, std::size_t n, int64_t offset, const std::string &path) {
    const auto *p = static_cast<const char *>(data);
    while (n > 0) {
        const ssize_t w = ::pwrite(fd, p, n, offset);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw OutputError(os_error("write failed", path, errno));
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        offset += w;
    }
}

/// Reads exactly n bytes at offset; false at end of file.
bool read_all(int fd, void *data, std::size_t n, int64_t offset) {
    auto *p = static_cast<char *>(data);
    while (n > 0) {
        const ssize_t r = ::pread(fd, p, n, offset);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
        offset += r;
    }
    return true;
}

} // namespace

std::string run_fingerprint(const PreparedRun &run) {
    // Line 1: what the log is; line 2: everything but the inputs' content, hashed; then one line
    // per input file: role, content fingerprint, path (see checkpoint.hpp).
    std::string s = std::string("carbonsink ") + SOFTWARE_VERSION + "\n";
    const Config &c = run.config;
    s += "config " + c.config_path + "\n" + c.config_text + "\n";
    s += "output " + c.output_dir + "\n";
    s += "grid " + std::to_string(run.grid.width) + "x" + std::to_string(run.grid.height) + "\n";
    s += "blocks " + std::to_string(run.block_plan->size()) + " cells " +
         std::to_string(c.block_cells) + " tile " + std::to_string(c.tile_size) + "\n";
    std::string fp = "carbonsink-checkpoint-fingerprint 2\nrun " + sha256_hex(s) + "\n";
    for (const auto &in : run.inputs) {
        fp += "input " + in.role + "\t" + content_fingerprint(in) + "\t" + in.path + "\n";
    }
    return fp;
}

std::string describe_fingerprint_change(const std::string &before, const std::string &now) {
    auto lines = [](const std::string &text) {
        std::vector<std::string> out;
        std::size_t i = 0;
        while (i < text.size()) {
            const std::size_t j = std::min(text.find('\n', i), text.size());
            out.push_back(text.substr(i, j - i));
            i = j + 1;
        }
        return out;
    };
    const auto a = lines(before);
    const auto b = lines(now);
    if (a.size() < 2 || b.size() < 2 || a[0] != b[0]) {
        return "it was written by another version of carbonsink";
    }
    if (a[1] != b[1]) {
        return "the configuration, the software or the grid changed since it was written";
    }
    // Inputs by role and path: the ones whose content fingerprint differs, or that are new/gone.
    struct Entry {
        std::string role, fp, path;
    };
    auto entries = [](const std::vector<std::string> &ls) {
        std::vector<Entry> out;
        for (std::size_t k = 2; k < ls.size(); ++k) {
            const std::string &l = ls[k];
            const std::size_t t1 = l.find('\t');
            const std::size_t t2 = t1 == std::string::npos ? t1 : l.find('\t', t1 + 1);
            if (l.rfind("input ", 0) == 0 && t2 != std::string::npos) {
                out.push_back(
                    {l.substr(6, t1 - 6), l.substr(t1 + 1, t2 - t1 - 1), l.substr(t2 + 1)});
            }
        }
        return out;
    };
    const auto ea = entries(a);
    const auto eb = entries(b);
    std::vector<std::string> changed;
    for (const auto &e : eb) {
        const auto it = std::find_if(ea.begin(), ea.end(), [&](const Entry &o) {
            return o.role == e.role && o.path == e.path;
        });
        if (it == ea.end()) {
            changed.push_back(e.role + " (" + e.path + ") is new");
        } else if (it->fp != e.fp) {
            changed.push_back(e.role + " (" + e.path + ")");
        }
    }
    for (const auto &e : ea) {
        if (std::none_of(eb.begin(), eb.end(),
                         [&](const Entry &o) { return o.role == e.role && o.path == e.path; })) {
            changed.push_back(e.role + " (" + e.path + ") is no longer read");
        }
    }
    if (changed.empty()) {
        return "the inputs changed since it was written";
    }
    std::string list;
    for (const auto &c : changed) {
        list += (list.empty() ? "" : ", ") + c;
    }
    return std::string(changed.size() == 1 ? "the input " : "the inputs ") + list +
           (changed.size() == 1 ? " changed" : " changed") +
           " since it was written (content fingerprint differs)";
}

CheckpointLog::CheckpointLog(std::string path, int fd, std::size_t n_blocks)
    : m_path(std::move(path)), m_fd(fd), m_offset(n_blocks, -1), m_length(n_blocks, 0) {}

CheckpointLog::~CheckpointLog() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::unique_ptr<CheckpointLog> CheckpointLog::create(const std::string &path,
                                                     const std::string &fingerprint,
                                                     std::size_t n_blocks) {
    // A new file, never written through a link or a file planted under the log's name: the
    // old name is removed, then the file is created exclusively.
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        throw OutputError(os_error("cannot remove the previous log", path, errno));
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw OutputError(os_error("cannot create", path, errno));
    }
    std::unique_ptr<CheckpointLog> log(new CheckpointLog(path, fd, n_blocks));
    ByteWriter h;
    for (char c : HEADER_MAGIC) {
        h.put(c);
    }
    h.put<uint64_t>(n_blocks);
    h.put<uint64_t>(fingerprint.size());
    h.buf.insert(h.buf.end(), fingerprint.begin(), fingerprint.end());
    write_all(fd, h.buf.data(), h.buf.size(), 0, path);
    log->m_end = static_cast<int64_t>(h.buf.size());
    return log;
}

std::unique_ptr<CheckpointLog> CheckpointLog::resume(const std::string &path,
                                                     const std::string &fingerprint,
                                                     std::size_t n_blocks) {
    const std::string refuse = "cannot resume: " + path + ": ";
    const int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return nullptr;
        }
        if (errno == ELOOP) {
            throw InputError({refuse + "it is a symbolic link, not a checkpoint log carbonsink "
                                       "wrote (links are never followed); remove it and run "
                                       "without --resume"});
        }
        throw OutputError(os_error("cannot open", path, errno));
    }
    std::unique_ptr<CheckpointLog> log(new CheckpointLog(path, fd, n_blocks));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        throw InputError({refuse + "not a regular file, so not a checkpoint log carbonsink "
                                   "wrote; remove it and run without --resume"});
    }
    char magic[8] = {};
    uint64_t blocks = 0, fp_len = 0;
    if (!read_all(fd, magic, 8, 0) || std::memcmp(magic, HEADER_MAGIC, 8) != 0 ||
        !read_all(fd, &blocks, 8, 8) || !read_all(fd, &fp_len, 8, 16) ||
        fp_len > MAX_FINGERPRINT_BYTES) {
        throw InputError({refuse + "not a carbonsink checkpoint log (or its header is damaged); "
                                   "run without --resume to start over"});
    }
    std::string fp(fp_len, '\0');
    if (!read_all(fd, fp.data(), fp_len, 24)) {
        throw InputError({refuse + "not a carbonsink checkpoint log (or its header is damaged); "
                                   "run without --resume to start over"});
    }
    if (fp != fingerprint || blocks != n_blocks) {
        throw InputError({refuse +
                          "the checkpoint was written for another configuration or other "
                          "inputs: " +
                          describe_fingerprint_change(fp, fingerprint) +
                          "; run without --resume to start over"});
    }
    int64_t off = 24 + static_cast<int64_t>(fp_len);
    std::vector<unsigned char> payload;
    for (;;) {
        unsigned char head[RECORD_HEAD];
        if (!read_all(fd, head, RECORD_HEAD, off)) {
            break;
        }
        uint32_t rmagic = 0;
        uint64_t block = 0, len = 0, sum = 0;
        std::memcpy(&rmagic, head, 4);
        std::memcpy(&block, head + 8, 8);
        std::memcpy(&len, head + 16, 8);
        if (rmagic != RECORD_MAGIC || block >= n_blocks || len > (uint64_t{1} << 40)) {
            break;
        }
        payload.resize(len);
        if (!read_all(fd, payload.data(), len, off + static_cast<int64_t>(RECORD_HEAD)) ||
            !read_all(fd, &sum, 8, off + static_cast<int64_t>(RECORD_HEAD + len))) {
            break;
        }
        if (sum != fnv1a(payload.data(), payload.size(), fnv1a(head, RECORD_HEAD))) {
            break;
        }
        if (log->m_offset[block] < 0) {
            ++log->m_done;
        }
        log->m_offset[block] = off;
        log->m_length[block] = static_cast<int64_t>(RECORD_HEAD + len + 8);
        off += log->m_length[block];
    }
    // A torn last record (the process was killed while writing it) is cut off.
    if (::ftruncate(fd, off) != 0) {
        throw OutputError(os_error("cannot truncate", path, errno));
    }
    log->m_end = off;
    return log;
}

void CheckpointLog::append(std::size_t b, const BlockPartial &partial,
                           const std::vector<std::vector<float>> &windows) {
    ByteWriter w;
    w.put_partial(partial);
    w.put<uint64_t>(windows.size());
    std::vector<unsigned char> packed;
    for (const auto &win : windows) {
        const std::size_t bytes = win.size() * sizeof(float);
        w.put<uint64_t>(win.size());
        packed.resize(bytes + bytes / 100 + 1024);
        std::size_t out = packed.size();
        void *dst = packed.data();
        Codec codec = RAW;
        if (bytes > 0) {
            if (const CPLCompressor *lz4 = lz4_compressor();
                lz4 != nullptr &&
                lz4->pfnFunc(win.data(), bytes, &dst, &out, nullptr, lz4->user_data)) {
                codec = LZ4;
            } else if (CPLZLibDeflate(win.data(), bytes, 1, packed.data(), packed.size(), &out) !=
                       nullptr) {
                codec = ZLIB;
            }
        }
        w.put<uint8_t>(codec);
        if (codec == RAW) {
            w.put<uint64_t>(bytes);
            if (bytes > 0) {
                const auto *p = reinterpret_cast<const unsigned char *>(win.data());
                w.buf.insert(w.buf.end(), p, p + bytes);
            }
        } else {
            w.put<uint64_t>(out);
            w.buf.insert(w.buf.end(), packed.begin(), packed.begin() + static_cast<long>(out));
        }
    }
    unsigned char head[RECORD_HEAD] = {};
    const uint64_t block = b, len = w.buf.size();
    std::memcpy(head, &RECORD_MAGIC, 4);
    std::memcpy(head + 8, &block, 8);
    std::memcpy(head + 16, &len, 8);
    const uint64_t sum = fnv1a(w.buf.data(), w.buf.size(), fnv1a(head, RECORD_HEAD));
    // Head, payload and checksum are written in place, without a copy of the payload (a
    // block's windows can be hundreds of MB: resources.hpp counts one compressed copy).
    const auto length = static_cast<int64_t>(RECORD_HEAD + w.buf.size() + 8);
    std::lock_guard<std::mutex> lock(m_mutex);
    write_all(m_fd, head, RECORD_HEAD, m_end, m_path);
    write_all(m_fd, w.buf.data(), w.buf.size(), m_end + static_cast<int64_t>(RECORD_HEAD), m_path);
    write_all(m_fd, &sum, 8, m_end + length - 8, m_path);
    if (m_offset[b] < 0) {
        ++m_done;
    }
    m_offset[b] = m_end;
    m_length[b] = length;
    m_end += length;
}

void CheckpointLog::load(std::size_t b, BlockPartial &partial,
                         std::vector<std::vector<float>> &windows) const {
    const std::string damaged = "cannot resume: " + m_path + ": the record of block " +
                                std::to_string(b) + " is damaged; run without --resume";
    std::vector<unsigned char> rec(static_cast<std::size_t>(m_length[b]));
    if (!read_all(m_fd, rec.data(), rec.size(), m_offset[b])) {
        throw OutputError(damaged);
    }
    try {
        ByteReader r(rec.data() + RECORD_HEAD, rec.size() - RECORD_HEAD - 8);
        r.get_partial(partial);
        windows.resize(r.get<uint64_t>());
        for (auto &win : windows) {
            win.resize(r.get<uint64_t>());
            const auto codec = r.get<uint8_t>();
            const auto stored = static_cast<std::size_t>(r.get<uint64_t>());
            const std::size_t bytes = win.size() * sizeof(float);
            const unsigned char *p = r.take(stored);
            std::size_t out = bytes;
            void *dst = win.data();
            bool ok = false;
            if (codec == RAW) {
                ok = stored == bytes;
                if (ok && bytes > 0) {
                    std::memcpy(win.data(), p, bytes);
                }
            } else if (codec == LZ4 && lz4_decompressor() != nullptr) {
                ok = lz4_decompressor()->pfnFunc(p, stored, &dst, &out, nullptr,
                                                 lz4_decompressor()->user_data) &&
                     out == bytes;
            } else if (codec == ZLIB) {
                ok = CPLZLibInflate(p, stored, win.data(), bytes, &out) != nullptr && out == bytes;
            }
            if (!ok) {
                throw std::runtime_error("bad window");
            }
        }
    } catch (const std::runtime_error &) {
        throw OutputError(damaged);
    }
}

void CheckpointLog::remove() {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    std::error_code ec;
    fs::remove(m_path, ec);
}

} // namespace cs::pipeline
