// The parameter tables and crosswalks shipped in configs/parameters and configs/crosswalks:
// read at run time from the installed data directory (<prefix>/share/carbonsink, or
// CARBONSINK_DATA), or, where there is none (the build tree), the copies embedded at build time.
#pragma once
#include <string>
#include <vector>

namespace cs::models {

/// Names of the built-in parameter tables ("china_cbef", "ipcc_bcef", ...), ascending.
std::vector<std::string> builtin_parameter_names();

/// The embedded CSV text of built-in table `name` and, in `file`, its path in the repository
/// ("configs/parameters/china_cbef.csv"). Throws ModelError for an unknown name.
const char *builtin_parameter_table(const std::string &name, std::string &file);

/// The embedded CSV text of built-in crosswalk `scheme` and, in `file`, its path in the
/// repository ("configs/crosswalks/clcd.csv"); nullptr when `scheme` is not built in.
const char *builtin_crosswalk_table(const std::string &scheme, std::string &file);

/// Where the shipped tables are read from at run time.
struct DataDirectory {
    /// The directory holding parameters/ and crosswalks/, absolute; empty: the embedded tables.
    std::string path;
    /// How it was found: "CARBONSINK_DATA", "installed" (relative to the library or the
    /// executable), or "embedded".
    std::string origin;
};

/// The data directory: the environment variable CARBONSINK_DATA
/// when set (it must name a directory with a parameters/ subdirectory, else ModelError naming
/// it), else <dir of libcarbonsink or of the executable>/<relative path to the data directory
/// set at build time> when that directory has a parameters/ subdirectory, else embedded.
/// Looked up on every call (a getenv and a few stat calls), so that a process that changes
/// CARBONSINK_DATA sees the change.
DataDirectory data_directory();

/// One shipped table as read: its CSV text and the file a user can open ("/usr/share/
/// carbonsink/parameters/china_cbef.csv", or the repository path of an embedded copy).
struct ShippedTable {
    std::string text;
    std::string file;
    bool installed = false; ///< read from a data directory (file is a real file) or embedded
};

/// Shipped parameter table `name` (one of builtin_parameter_names()). From a data directory:
/// throws ModelError "cannot read parameter table <name>: <file>: <why>; ..." when the file is
/// missing or unreadable. Throws ModelError for an unknown name.
ShippedTable shipped_parameter_table(const std::string &name);

/// Shipped crosswalk `scheme`; `found` false (and nothing read) when `scheme` is not a built-in
/// name. From a data directory, a missing or unreadable file throws ModelError naming it.
ShippedTable shipped_crosswalk_table(const std::string &scheme, bool &found);

/// One line for `carbonsink --version` and `carbonsink models`: where the tables come from,
/// e.g. "tables: /usr/share/carbonsink (installed): parameters/*.csv, crosswalks/*.csv". Never
/// throws: a bad CARBONSINK_DATA is described in the line.
std::string shipped_tables_description();

} // namespace cs::models
