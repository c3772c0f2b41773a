// Access to the shipped tables: the installed data directory, else the copies embedded by CMake
// (cs_embed_tables).
#include "models/builtin_tables.hpp"

#include "models/model_error.hpp"

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <dlfcn.h>

// Relative paths from the installed bin/ and lib/ directories to <datadir>/carbonsink, set by
// CMakeLists.txt from GNUInstallDirs (e.g. "../share/carbonsink", or
// "../../share/carbonsink" for a Debian multiarch libdir).
#ifndef CS_DATA_FROM_BINDIR
#define CS_DATA_FROM_BINDIR "../share/carbonsink"
#endif
#ifndef CS_DATA_FROM_LIBDIR
#define CS_DATA_FROM_LIBDIR "../share/carbonsink"
#endif

namespace fs = std::filesystem;

namespace cs::models {

// Defined in the generated ${CMAKE_BINARY_DIR}/generated/models/builtin_parameters.cpp and
// builtin_crosswalks.cpp.
namespace generated {
extern const std::size_t BUILTIN_PARAMETER_COUNT;
extern const char *const BUILTIN_PARAMETER_NAMES[];
extern const char *const BUILTIN_PARAMETER_FILES[];
extern const char *const BUILTIN_PARAMETER_CSV[];
extern const std::size_t BUILTIN_CROSSWALK_COUNT;
extern const char *const BUILTIN_CROSSWALK_NAMES[];
extern const char *const BUILTIN_CROSSWALK_FILES[];
extern const char *const BUILTIN_CROSSWALK_CSV[];
} // namespace generated

std::vector<std::string> builtin_parameter_names() {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < generated::BUILTIN_PARAMETER_COUNT; ++i) {
        names.emplace_back(generated::BUILTIN_PARAMETER_NAMES[i]);
    }
    return names;
}

const char *builtin_parameter_table(const std::string &name, std::string &file) {
    for (std::size_t i = 0; i < generated::BUILTIN_PARAMETER_COUNT; ++i) {
        if (name == generated::BUILTIN_PARAMETER_NAMES[i]) {
            file = generated::BUILTIN_PARAMETER_FILES[i];
            return generated::BUILTIN_PARAMETER_CSV[i];
        }
    }
    std::string all;
    for (const auto &n : builtin_parameter_names()) {
        all += (all.empty() ? "" : ", ") + n;
    }
    throw ModelError("unknown built-in parameter table \"" + name + "\": available: " + all);
}

const char *builtin_crosswalk_table(const std::string &scheme, std::string &file) {
    for (std::size_t i = 0; i < generated::BUILTIN_CROSSWALK_COUNT; ++i) {
        if (scheme == generated::BUILTIN_CROSSWALK_NAMES[i]) {
            file = generated::BUILTIN_CROSSWALK_FILES[i];
            return generated::BUILTIN_CROSSWALK_CSV[i];
        }
    }
    return nullptr;
}

namespace {

/// A directory that holds the shipped tables: it has a parameters/ subdirectory.
bool is_data_directory(const fs::path &dir) {
    std::error_code ec;
    return fs::is_directory(dir / "parameters", ec);
}

/// The file this code was loaded from: libcarbonsink.so when linked into it, else empty (the
/// code is part of the executable, found through /proc/self/exe instead).
fs::path this_shared_object() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&is_data_directory), &info) == 0 ||
        info.dli_fname == nullptr) {
        return {};
    }
    const std::string name = info.dli_fname;
    // For code of the main program glibc reports the program's name as invoked (argv[0]),
    // which is no shared object and may be relative: only a ".so" is taken from dladdr.
    if (name.find(".so") == std::string::npos) {
        return {};
    }
    std::error_code ec;
    fs::path p = fs::canonical(name, ec);
    return ec ? fs::path() : p;
}

fs::path this_executable() {
    std::error_code ec;
    fs::path p = fs::canonical("/proc/self/exe", ec);
    return ec ? fs::path() : p;
}

std::string read_file(const fs::path &path, std::string &why) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        why = "file not found";
        return {};
    }
    if (!fs::is_regular_file(path, ec)) {
        why = "not a regular file";
        return {};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = "cannot open it (permission denied?)";
        return {};
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        why = "read error";
        return {};
    }
    return ss.str();
}

/// Read `<data>/<sub>/<name>.csv` of the data directory `data`; ModelError naming the file when
/// it cannot be read (the directory exists, so a missing table is a broken installation, never
/// a reason to fall back silently to the embedded copy).
ShippedTable read_shipped(const DataDirectory &data, const std::string &sub,
                          const std::string &what, const std::string &name) {
    ShippedTable t;
    t.file = (fs::path(data.path) / sub / (name + ".csv")).string();
    t.installed = true;
    std::string why;
    t.text = read_file(t.file, why);
    if (!why.empty()) {
        throw ModelError("cannot read " + what + " " + name + ": " + t.file + ": " + why +
                         "; the data directory " + data.path + " (" + data.origin +
                         ") is incomplete: reinstall carbonsink" +
                         (data.origin == "CARBONSINK_DATA"
                              ? ", or point CARBONSINK_DATA at a directory holding parameters/ "
                                "and crosswalks/ (unset it to use the installed tables)"
                              : ", or set CARBONSINK_DATA to a directory holding parameters/ "
                                "and crosswalks/"));
    }
    return t;
}

} // namespace

DataDirectory data_directory() {
    if (const char *env = std::getenv("CARBONSINK_DATA"); env != nullptr && *env != '\0') {
        std::error_code ec;
        const fs::path dir = fs::absolute(env, ec);
        if (ec || !fs::is_directory(dir, ec)) {
            throw ModelError(std::string("invalid environment variable CARBONSINK_DATA: ") + env +
                             ": not a directory; set it to the directory holding the shipped "
                             "tables (parameters/ and crosswalks/, e.g. /usr/share/carbonsink), "
                             "or unset it");
        }
        if (!is_data_directory(dir)) {
            throw ModelError(std::string("invalid environment variable CARBONSINK_DATA: ") + env +
                             ": has no parameters/ subdirectory; set it to the directory "
                             "holding the shipped tables (parameters/ and crosswalks/, e.g. "
                             "/usr/share/carbonsink), or unset it");
        }
        return {fs::weakly_canonical(dir, ec).string(), "CARBONSINK_DATA"};
    }
    // Like PROJ finding proj.db: relative to the library when the code runs from
    // libcarbonsink.so (the Python module, a C++ consumer), else relative to the executable.
    const struct {
        fs::path from;
        const char *rel;
    } candidates[] = {{this_shared_object(), CS_DATA_FROM_LIBDIR},
                      {this_executable(), CS_DATA_FROM_BINDIR}};
    for (const auto &c : candidates) {
        if (c.from.empty()) {
            continue;
        }
        const fs::path dir = (c.from.parent_path() / c.rel).lexically_normal();
        if (is_data_directory(dir)) {
            std::error_code ec;
            return {fs::weakly_canonical(dir, ec).string(), "installed"};
        }
    }
    return {"", "embedded"};
}

ShippedTable shipped_parameter_table(const std::string &name) {
    std::string file;
    const char *embedded = builtin_parameter_table(name, file); // throws for an unknown name
    const DataDirectory data = data_directory();
    if (!data.path.empty()) {
        return read_shipped(data, "parameters", "parameter table", name);
    }
    return {embedded, file, false};
}

ShippedTable shipped_crosswalk_table(const std::string &scheme, bool &found) {
    std::string file;
    const char *embedded = builtin_crosswalk_table(scheme, file);
    found = embedded != nullptr;
    if (!found) {
        return {};
    }
    const DataDirectory data = data_directory();
    if (!data.path.empty()) {
        return read_shipped(data, "crosswalks", "crosswalk", scheme);
    }
    return {embedded, file, false};
}

std::string shipped_tables_description() {
    try {
        const DataDirectory data = data_directory();
        if (data.path.empty()) {
            return "tables: built in (embedded at build time from configs/parameters/*.csv and "
                   "configs/crosswalks/*.csv of the source tree; no data directory found)";
        }
        return "tables: " + data.path + "/parameters/*.csv, " + data.path + "/crosswalks/*.csv (" +
               (data.origin == "CARBONSINK_DATA" ? "from CARBONSINK_DATA" : "installed") + ")";
    } catch (const ModelError &e) {
        return std::string("tables: none usable: ") + e.what();
    }
}

} // namespace cs::models
