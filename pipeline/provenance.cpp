// Input identities, checksums and fingerprints (see provenance.hpp).
#include "pipeline/provenance.hpp"

#include "pipeline/sha256.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

namespace cs::pipeline {

namespace {

FileIdentity identity_of(const struct stat &st) {
    FileIdentity id;
    id.exists = true;
    id.device = static_cast<uint64_t>(st.st_dev);
    id.inode = static_cast<uint64_t>(st.st_ino);
    id.size = static_cast<int64_t>(st.st_size);
    id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    id.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    return id;
}

std::string local_time(int64_t ns) {
    const auto t = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm = {};
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

/// A descriptor closed on scope exit.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

/// Reads exactly n bytes at offset (fewer only at end of file); -1 with errno on error.
ssize_t read_at(int fd, char *buf, std::size_t n, int64_t offset) {
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, buf + got, n - got, offset + static_cast<int64_t>(got));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            break;
        }
        got += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(got);
}

/// Opens `in.path` and checks that it is still the file prepare recorded; the reason when not.
std::string open_checked(const InputFile &in, Fd &fd) {
    fd.fd = ::open(in.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd.fd < 0) {
        return errno == ENOENT ? std::string("removed")
                               : std::string("cannot be read (") + std::strerror(errno) + ")";
    }
    struct stat st = {};
    if (::fstat(fd.fd, &st) != 0) {
        return std::string("cannot be read (") + std::strerror(errno) + ")";
    }
    return describe_identity_change(in.identity, identity_of(st));
}

/// After reading: the descriptor's file must still have the recorded identity.
std::string recheck(const InputFile &in, const Fd &fd) {
    struct stat st = {};
    if (::fstat(fd.fd, &st) != 0) {
        return std::string("cannot be read (") + std::strerror(errno) + ")";
    }
    return describe_identity_change(in.identity, identity_of(st));
}

} // namespace

FileIdentity file_identity(const std::string &path) {
    struct stat st = {};
    if (::stat(path.c_str(), &st) != 0) {
        return {};
    }
    return identity_of(st);
}

std::string describe_identity_change(const FileIdentity &before, const FileIdentity &now) {
    if (before == now) {
        return {};
    }
    if (!now.exists) {
        return "removed";
    }
    if (!before.exists) {
        return "created";
    }
    if (before.device != now.device || before.inode != now.inode) {
        return "replaced by another file at " + local_time(now.ctime_ns) + " (inode differs)";
    }
    std::string fields;
    auto field = [&](bool differs, const char *name) {
        if (differs) {
            fields += (fields.empty() ? "" : ", ") + std::string(name);
        }
    };
    field(before.size != now.size, "size");
    field(before.mtime_ns != now.mtime_ns, "mtime");
    field(before.ctime_ns != now.ctime_ns, "ctime");
    return "modified at " + local_time(std::max(now.mtime_ns, now.ctime_ns)) + " (" + fields +
           (fields.find(',') == std::string::npos ? " differs)" : " differ)");
}

InputChangedError::InputChangedError(std::vector<std::string> messages)
    : std::runtime_error(messages.empty() ? std::string("input changed") : messages.front()),
      m_messages(std::move(messages)) {}

std::string input_changed_message(const InputFile &in, const std::string &why) {
    return "input changed during the run: " + in.role + " (" + in.path + "): " + why +
           "; no output was written; run again";
}

std::string content_fingerprint(const InputFile &in) {
    if (!in.identity.exists) {
        return "no local file"; // a /vsi... path GDAL reads: known by its path only
    }
    Fd fd;
    if (const std::string why = open_checked(in, fd); !why.empty()) {
        throw InputChangedError({input_changed_message(in, why)});
    }
    const int64_t size = in.identity.size;
    Sha256 sha;
    const std::string head = std::to_string(size) + "\n";
    sha.update(head.data(), head.size());
    std::vector<char> buf;
    auto take = [&](int64_t offset, int64_t n) {
        buf.resize(static_cast<std::size_t>(n));
        const ssize_t got = read_at(fd.fd, buf.data(), buf.size(), offset);
        if (got < 0) {
            throw InputChangedError({input_changed_message(in, std::string("cannot be read (") +
                                                                   std::strerror(errno) + ")")});
        }
        sha.update(buf.data(), static_cast<std::size_t>(got));
    };
    if (size <= FINGERPRINT_WHOLE_BYTES) {
        take(0, size);
    } else {
        constexpr int64_t MIB = 1 << 20;
        constexpr int64_t SLICE = 64 << 10;
        take(0, MIB);
        for (int64_t k = 0; k < 64; ++k) {
            take(k * (size - SLICE) / 63, SLICE);
        }
        take(size - MIB, MIB);
    }
    if (const std::string why = recheck(in, fd); !why.empty()) {
        throw InputChangedError({input_changed_message(in, why)});
    }
    return sha.hex();
}

InputHashes::InputHashes(std::vector<InputFile> inputs)
    : m_inputs(std::move(inputs)), m_sha256(m_inputs.size()), m_changed(m_inputs.size()) {
    try {
        m_thread = std::thread([this] { hash_all(); });
    } catch (const std::system_error &) {
        // No thread available (a process or thread limit): finish() hashes instead.
    }
}

InputHashes::~InputHashes() {
    m_cancel = true;
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void InputHashes::hash_all() {
    std::vector<char> buf(1 << 20);
    for (std::size_t i = 0; i < m_inputs.size() && !m_cancel; ++i) {
        const InputFile &in = m_inputs[i];
        if (!in.identity.exists) {
            continue; // a /vsi... path GDAL reads: no local file to hash
        }
        Fd fd;
        if (std::string why = open_checked(in, fd); !why.empty()) {
            m_changed[i] = std::move(why);
            continue;
        }
        ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        Sha256 sha;
        int64_t offset = 0;
        for (;;) {
            if (m_cancel) {
                return;
            }
            const ssize_t got = read_at(fd.fd, buf.data(), buf.size(), offset);
            if (got < 0) {
                m_changed[i] = std::string("cannot be read (") + std::strerror(errno) + ")";
                break;
            }
            if (got == 0) {
                break;
            }
            sha.update(buf.data(), static_cast<std::size_t>(got));
            offset += got;
        }
        if (!m_changed[i].empty()) {
            continue;
        }
        if (std::string why = recheck(in, fd); !why.empty()) {
            m_changed[i] = std::move(why);
        } else if (offset != in.identity.size) {
            m_changed[i] = "modified (" + std::to_string(offset) + " bytes read, " +
                           std::to_string(in.identity.size) + " expected)";
        } else {
            m_sha256[i] = sha.hex();
        }
    }
}

std::vector<std::string> InputHashes::finish() {
    if (m_thread.joinable()) {
        m_thread.join();
    } else if (!m_done) {
        hash_all();
    }
    m_done = true;
    std::vector<std::string> messages;
    for (std::size_t i = 0; i < m_inputs.size(); ++i) {
        if (!m_inputs[i].identity.exists) {
            continue;
        }
        std::string why = m_changed[i];
        if (why.empty()) {
            why = describe_identity_change(m_inputs[i].identity, file_identity(m_inputs[i].path));
        }
        if (!why.empty()) {
            messages.push_back(input_changed_message(m_inputs[i], why));
        }
    }
    if (!messages.empty()) {
        throw InputChangedError(std::move(messages));
    }
    return m_sha256;
}

} // namespace cs::pipeline
