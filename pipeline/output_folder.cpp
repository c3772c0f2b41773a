// Output folder lock, staging folder and set commit (see output_folder.hpp).
#include "pipeline/output_folder.hpp"

#include "pipeline/interrupt.hpp"
#include "pipeline/problems.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace cs::pipeline {

namespace fs = std::filesystem;

namespace {

/// Files GDAL and QGIS read beside a raster (statistics, overviews, masks).
const char *const SIDE_CARS[] = {".aux.xml", ".ovr", ".msk"};
constexpr const char *PLAN_FILE = ".commit";
constexpr const char *PLAN_TEMP = ".commit.partial";
constexpr const char *RESULTS = "results.h5";

std::string why(int err) {
    return std::string(std::strerror(err)) +
           (err == ENOSPC || err == EDQUOT ? " (the disk is full)" : "");
}

std::string join(const std::string &dir, const std::string &name) {
    return (fs::path(dir) / name).string();
}

bool valid_name(const std::string &n) {
    return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos &&
           n.find('\n') == std::string::npos && n.find('\0') == std::string::npos;
}

struct Stamp {
    int64_t size = -1;
    int64_t mtime_ns = -1;
    bool operator==(const Stamp &o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};

/// Size and modification time of a regular file (never following a link); false otherwise.
bool stamp_of(int dir_fd, const std::string &name, Stamp &out) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        return false;
    }
    out.size = static_cast<int64_t>(st.st_size);
    out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return true;
}

/// True when `name` exists in the folder and is not a directory (a file or a link).
bool exists_not_dir(int dir_fd, const std::string &name) {
    struct stat st {};
    return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode);
}

/// Content of a small regular file; false when it is missing, a link or unreadable.
bool read_small_file(int dir_fd, const std::string &name, std::string &text) {
    const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return false;
    }
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 20);
    text.clear();
    char buf[4096];
    while (ok) {
        const ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            ok = r == 0;
            break;
        }
        text.append(buf, static_cast<std::size_t>(r));
    }
    ::close(fd);
    return ok;
}

/// 0, or the errno of the failed write.
int write_all(int fd, const std::string &text) {
    const char *p = text.data();
    std::size_t n = text.size();
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return 0;
}

/// Create `name` in the folder (never through an existing name or link), write `text`, flush
/// it to disk.
void write_new_file(int dir_fd, const std::string &dir, const std::string &name,
                    const std::string &text) {
    ::unlinkat(dir_fd, name.c_str(), 0);
    const int fd =
        ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        throw OutputError("cannot create output: " + join(dir, name) + ": " + why(errno));
    }
    int err = write_all(fd, text);
    if (err == 0 && ::fsync(fd) != 0) {
        err = errno;
    }
    ::close(fd);
    if (err != 0) {
        throw OutputError("cannot write output: " + join(dir, name) + ": " + why(err));
    }
}

void sync_folder(int dir_fd, const std::string &dir) {
    if (::fsync(dir_fd) != 0) {
        throw OutputError("cannot write output folder: " + dir + ": flush failed: " + why(errno));
    }
}

// ---- the commit plan --------------------------------------------------------------------------

struct Step {
    enum Kind { remove, remove_if_ours, move } kind;
    std::string name;
    Stamp stamp; ///< remove_if_ours: size and modification time carbonsink wrote
};

std::string plan_text(const std::vector<Step> &steps) {
    std::ostringstream out;
    out << "carbonsink-commit 1\n";
    for (const auto &s : steps) {
        if (s.kind == Step::remove) {
            out << "remove " << s.name << "\n";
        } else if (s.kind == Step::remove_if_ours) {
            out << "remove-if " << s.stamp.size << " " << s.stamp.mtime_ns << " " << s.name << "\n";
        } else {
            out << "move " << s.name << "\n";
        }
    }
    out << "end\n";
    return out.str();
}

/// False when the plan is not complete (the process was killed while writing it) or damaged.
bool parse_plan(const std::string &text, std::vector<Step> &steps) {
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || line != "carbonsink-commit 1") {
        return false;
    }
    while (std::getline(in, line)) {
        if (line == "end") {
            return true;
        }
        Step s{};
        std::istringstream ls(line);
        std::string kind;
        ls >> kind;
        if (kind == "remove" || kind == "move") {
            s.kind = kind == "remove" ? Step::remove : Step::move;
        } else if (kind == "remove-if" && (ls >> s.stamp.size >> s.stamp.mtime_ns)) {
            s.kind = Step::remove_if_ours;
        } else {
            return false;
        }
        ls.get(); // the space before the name
        std::getline(ls, s.name);
        if (!valid_name(s.name)) {
            return false;
        }
        steps.push_back(s);
    }
    return false;
}

/// Run a commit plan. Idempotent: a step already done (a file already removed or moved) is
/// skipped, so a plan interrupted by a kill can be run again from the start.
void run_plan(int out_fd, int stage_fd, const std::string &dir, const std::vector<Step> &steps) {
    const int64_t kill_after = failpoint("kill_during_commit");
    int64_t moved = 0;
    for (const auto &s : steps) {
        const std::string path = join(dir, s.name);
        if (s.kind == Step::remove || s.kind == Step::remove_if_ours) {
            Stamp now;
            if (s.kind == Step::remove_if_ours &&
                !(stamp_of(out_fd, s.name, now) && now == s.stamp)) {
                continue; // changed since carbonsink wrote it: the user's file now
            }
            if (::unlinkat(out_fd, s.name.c_str(), 0) != 0 && errno != ENOENT) {
                throw OutputError("cannot replace output: " + path +
                                  ": cannot remove the previous file: " + why(errno));
            }
            continue;
        }
        if (moved == kill_after) {
            std::raise(SIGKILL); // crash-test failpoint (interrupt.hpp)
        }
        if (::renameat(stage_fd, s.name.c_str(), out_fd, s.name.c_str()) != 0) {
            if (errno == ENOENT) {
                continue; // moved before the interruption
            }
            throw OutputError("cannot commit output: " + path + ": rename failed: " + why(errno));
        }
        ++moved;
    }
    sync_folder(out_fd, dir);
}

/// Entries of a manifest: name -> size and modification time.
std::map<std::string, Stamp> parse_manifest(const std::string &text) {
    std::map<std::string, Stamp> out;
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || line != "carbonsink-manifest 1") {
        return out;
    }
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Stamp s;
        std::string name;
        if (ls >> s.size >> s.mtime_ns) {
            ls.get();
            std::getline(ls, name);
            if (valid_name(name)) {
                out[name] = s;
            }
        }
    }
    return out;
}

std::string utc_text(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/// "pid 123 on host h, started 2026-01-01T00:00:00Z" from a lock file's content.
std::string holder_text(int fd) {
    std::string text;
    // The holder writes its line right after taking the lock: wait for it a little.
    for (int attempt = 0; attempt < 50; ++attempt) {
        char buf[512];
        const ssize_t r = ::pread(fd, buf, sizeof buf - 1, 0);
        if (r > 0) {
            text.assign(buf, static_cast<std::size_t>(r));
            if (text.find('\n') != std::string::npos) {
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::istringstream in(text);
    std::string line, pid, host, started;
    while (std::getline(in, line)) {
        const auto sp = line.find(' ');
        const std::string key = line.substr(0, sp);
        const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
        if (key == "pid") {
            pid = value;
        } else if (key == "host") {
            host = value;
        } else if (key == "started") {
            started = value;
        }
    }
    if (pid.empty()) {
        return "pid unknown";
    }
    return "pid " + pid + (host.empty() ? "" : " on host " + host) +
           (started.empty() ? "" : ", started " + started);
}

} // namespace

std::unique_ptr<OutputFolder> OutputFolder::lock(const std::string &dir, bool report_errors) {
    std::unique_ptr<OutputFolder> f(new OutputFolder());
    f->m_dir = dir;
    auto fail = [&](const std::string &what, int err) -> std::unique_ptr<OutputFolder> {
        if (!report_errors) {
            return nullptr;
        }
        throw OutputError("cannot lock output folder: " + dir + ": " + what + ": " + why(err));
    };
    // The folders to create, deepest first, so that a refused run can remove them again.
    fs::path p = fs::path(dir).lexically_normal();
    if (p.filename().empty()) {
        p = p.parent_path();
    }
    std::error_code ec;
    while (!p.empty() && p != p.root_path() &&
           fs::symlink_status(p, ec).type() == fs::file_type::not_found) {
        f->m_created.push_back(p.string());
        p = p.parent_path();
    }
    fs::create_directories(dir, ec);
    if (ec) {
        return fail("cannot create it", ec.value());
    }
    f->m_dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->m_dir_fd < 0) {
        return fail("cannot open it", errno);
    }
    for (int attempt = 0;; ++attempt) {
        if (attempt == 100) {
            return fail("the lock file " + std::string(LOCK_FILE) + " keeps being replaced",
                        EAGAIN);
        }
        // Never through a link planted under the lock's name, never truncated before locked.
        const int fd = ::openat(f->m_dir_fd, LOCK_FILE,
                                O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
        if (fd < 0) {
            if (errno == ELOOP && ::unlinkat(f->m_dir_fd, LOCK_FILE, 0) == 0) {
                continue; // a symbolic link under our name: removed, not followed
            }
            return fail("cannot open the lock file " + std::string(LOCK_FILE), errno);
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            return fail("the lock file " + std::string(LOCK_FILE) + " is not a regular file",
                        EEXIST);
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            if (err == EWOULDBLOCK) {
                const std::string holder = holder_text(fd);
                ::close(fd);
                throw InputError({"output folder in use: " + dir + ": another carbonsink run (" +
                                  holder +
                                  ") is writing to it; wait for it to finish or choose another "
                                  "output_dir"});
            }
            ::close(fd);
            return fail("cannot lock " + std::string(LOCK_FILE), err);
        }
        // The holder before us may have removed the file between our open and our lock: the
        // lock counts only when the name still refers to the file we locked.
        struct stat now {};
        if (::fstatat(f->m_dir_fd, LOCK_FILE, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
            now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
            ::close(fd);
            continue;
        }
        f->m_lock_fd = fd;
        break;
    }
    char host[256] = "";
    ::gethostname(host, sizeof host - 1);
    const std::string info = "pid " + std::to_string(::getpid()) + "\nhost " + host + "\nstarted " +
                             utc_text(std::time(nullptr)) + "\n";
    // Who holds the lock is for the message of a refused run; the lock holds without it (e.g.
    // on a full disk, where the run then fails with its own message).
    if (::ftruncate(f->m_lock_fd, 0) == 0) {
        [[maybe_unused]] const ssize_t w = ::pwrite(f->m_lock_fd, info.data(), info.size(), 0);
    }
    return f;
}

OutputFolder::~OutputFolder() {
    remove_staging();
    if (m_lock_fd >= 0) {
        // Removed while still locked: a run that opened the old file sees that the name no
        // longer refers to it and starts over (see lock()).
        ::unlinkat(m_dir_fd, LOCK_FILE, 0);
        ::close(m_lock_fd);
    }
    if (m_dir_fd >= 0) {
        ::close(m_dir_fd);
    }
    if (!m_committed) {
        for (const auto &d : m_created) {
            ::rmdir(d.c_str()); // only when empty again
        }
    }
}

void OutputFolder::remove_staging() noexcept {
    if (m_staging_fd >= 0) {
        ::close(m_staging_fd);
        m_staging_fd = -1;
    }
    if (!m_staging.empty() && !m_keep_staging) {
        std::error_code ec;
        fs::remove_all(m_staging, ec);
    }
    m_staging.clear();
}

std::vector<std::string> OutputFolder::begin_staging() {
    std::vector<std::string> notes;
    std::vector<std::string> stale;
    std::error_code ec;
    for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(STAGING_PREFIX, 0) == 0) {
            stale.push_back(name);
        }
    }
    if (ec) {
        throw OutputError("cannot read output folder: " + m_dir + ": " + why(ec.value()));
    }
    std::sort(stale.begin(), stale.end());
    for (const auto &name : stale) {
        struct stat st {};
        // Only real folders this user made: a link or another user's folder is left alone.
        if (::fstatat(m_dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
            continue;
        }
        const int sfd =
            ::openat(m_dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0) {
            continue;
        }
        std::string text;
        std::vector<Step> steps;
        try {
            if (read_small_file(sfd, PLAN_FILE, text) && parse_plan(text, steps)) {
                run_plan(m_dir_fd, sfd, m_dir, steps);
                notes.push_back("finished committing the outputs of a run that was killed while "
                                "committing them in " +
                                m_dir);
            }
        } catch (...) {
            ::close(sfd);
            throw;
        }
        ::close(sfd);
        fs::remove_all(join(m_dir, name), ec);
        if (ec) {
            throw OutputError("cannot remove the staging folder of an earlier run: " +
                              join(m_dir, name) + ": " + why(ec.value()));
        }
    }
    std::string tmpl = join(m_dir, std::string(STAGING_PREFIX) + "XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw OutputError("cannot create staging folder: " + tmpl + ": " + why(errno));
    }
    m_staging = tmpl;
    m_staging_fd = ::open(m_staging.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (m_staging_fd < 0) {
        throw OutputError("cannot open staging folder: " + m_staging + ": " + why(errno));
    }
    return notes;
}

void OutputFolder::commit() {
    // 1. The staged set, results.h5 last; each file flushed to disk before it is renamed.
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(m_staging, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name[0] != '.' && it->symlink_status().type() == fs::file_type::regular) {
            names.push_back(name);
        }
    }
    if (ec) {
        throw OutputError("cannot read staging folder: " + m_staging + ": " + why(ec.value()));
    }
    std::sort(names.begin(), names.end(), [](const std::string &a, const std::string &b) {
        return (a == RESULTS) != (b == RESULTS) ? b == RESULTS : a < b;
    });
    std::string manifest = "carbonsink-manifest 1\n";
    for (const auto &name : names) {
        const int fd = ::openat(m_staging_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || ::fsync(fd) != 0) {
            const int err = errno;
            if (fd >= 0) {
                ::close(fd);
            }
            throw OutputError("cannot write output: " + join(m_staging, name) +
                              ": flush failed: " + why(err));
        }
        ::close(fd);
        Stamp s;
        stamp_of(m_staging_fd, name, s);
        manifest += std::to_string(s.size) + " " + std::to_string(s.mtime_ns) + " " + name + "\n";
    }
    write_new_file(m_staging_fd, m_staging, MANIFEST_FILE, manifest);

    // 2. The plan: the old results.h5 first, stale side-cars, the previous run's other files.
    const std::set<std::string> fresh(names.begin(), names.end());
    std::vector<Step> steps;
    if (exists_not_dir(m_dir_fd, RESULTS)) {
        steps.push_back({Step::remove, RESULTS, {}});
    }
    auto remove_side_cars = [&](const std::string &name) {
        for (const char *suffix : SIDE_CARS) {
            const std::string sc = name + suffix;
            if (fresh.count(sc) == 0 && exists_not_dir(m_dir_fd, sc)) {
                steps.push_back({Step::remove, sc, {}});
            }
        }
    };
    for (const auto &name : names) {
        remove_side_cars(name);
    }
    std::string previous;
    if (read_small_file(m_dir_fd, MANIFEST_FILE, previous)) {
        for (const auto &[name, stamp] : parse_manifest(previous)) {
            Stamp now;
            if (fresh.count(name) == 0 && name != MANIFEST_FILE && stamp_of(m_dir_fd, name, now) &&
                now == stamp) {
                steps.push_back({Step::remove_if_ours, name, stamp});
                remove_side_cars(name);
            }
        }
    }
    for (const auto &name : names) {
        if (name == RESULTS) {
            steps.push_back({Step::move, MANIFEST_FILE, {}});
        }
        steps.push_back({Step::move, name, {}});
    }
    if (fresh.count(RESULTS) == 0) {
        steps.push_back({Step::move, MANIFEST_FILE, {}});
    }
    write_new_file(m_staging_fd, m_staging, PLAN_TEMP, plan_text(steps));
    if (::renameat(m_staging_fd, PLAN_TEMP, m_staging_fd, PLAN_FILE) != 0) {
        throw OutputError("cannot write output: " + join(m_staging, PLAN_FILE) +
                          ": rename failed: " + why(errno));
    }
    sync_folder(m_staging_fd, m_staging);

    // 3. Run it. From here on a failure keeps the staging folder: the next run finishes the plan.
    m_keep_staging = true;
    try {
        run_plan(m_dir_fd, m_staging_fd, m_dir, steps);
    } catch (const OutputError &e) {
        throw OutputError(std::string(e.what()) + "; the outputs not yet moved stay in " +
                          m_staging + " and the next carbonsink run into " + m_dir +
                          " moves them in");
    }
    m_keep_staging = false;
    m_committed = true;
    remove_staging();
}

} // namespace cs::pipeline
