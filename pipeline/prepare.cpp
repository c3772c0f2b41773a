// Prepare/validate: every check that needs no pixel computation.
#include "pipeline/prepare.hpp"
#include "pipeline/interrupt.hpp"

#include "models/agb_raster_stock.hpp"
#include "models/builtin_tables.hpp"
#include "models/crosswalk.hpp"
#include "models/inventory_stock.hpp"
#include "models/model_error.hpp"
#include "models/nep_stage.hpp"
#include "models/soil_tier1.hpp"
#include "models/stages.hpp"
#include "pipeline/runner.hpp"
#include "raster/raster_error.hpp"
#include "raster/text_encoding.hpp"
#include "raster/warp.hpp"

#include <gdal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace cs::pipeline {

namespace fs = std::filesystem;

ScratchDir::~ScratchDir() {
    if (!m_path.empty()) {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
}

std::string ScratchDir::file(const std::string &name) {
    if (m_path.empty()) {
        std::string tmpl = (fs::temp_directory_path() / "carbonsink-XXXXXX").string();
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data()) == nullptr) {
            throw OutputError("cannot create a temporary directory: " + tmpl + ": " +
                              std::strerror(errno));
        }
        m_path = buf.data();
    }
    return (fs::path(m_path) / name).string();
}

int PreparedRun::layer_index(const std::string &name) const {
    for (std::size_t l = 0; l < layer_decls.size(); ++l) {
        if (layer_decls[l].name == name) {
            return static_cast<int>(l);
        }
    }
    for (const auto &[alias, l] : layer_aliases) {
        if (alias == name) {
            return l;
        }
    }
    return -1;
}

std::size_t epoch_of_month(const std::vector<int> &epoch_years, int year) {
    std::size_t e = 0;
    for (std::size_t k = 0; k < epoch_years.size(); ++k) {
        if (epoch_years[k] <= year) {
            e = k;
        }
    }
    return e;
}

std::string month_path(const std::string &pattern, int year, int month) {
    char yyyy[16];
    char mm[16];
    std::snprintf(yyyy, sizeof yyyy, "%04d", year);
    std::snprintf(mm, sizeof mm, "%02d", month);
    std::string out;
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern.compare(i, 6, "{yyyy}") == 0) {
            out += yyyy;
            i += 6;
        } else if (pattern.compare(i, 4, "{mm}") == 0) {
            out += mm;
            i += 4;
        } else {
            out += pattern[i++];
        }
    }
    return out;
}

std::string input_where(const PreparedRun &run, const raster::RasterInfo &info) {
    for (const auto &in : run.inputs) {
        if (in.role == info.label) {
            return info.label + " (" + in.path + ", band " + std::to_string(info.band) + ")";
        }
    }
    return info.where();
}

std::vector<std::string> output_file_names(const Config &config,
                                           const std::vector<std::string> &pool_names) {
    std::vector<std::string> names = {"results.h5", "districts.csv", "districts.csvt"};
    // districts.gpkg needs district polygons; the config alone does not tell a vector source
    // from a raster one, so it is listed whenever districts are given (vector_outputs.hpp).
    if (config.write_geopackage && config.districts.present) {
        names.emplace_back("districts.gpkg");
    }
    if (config.write_xlsx) {
        names.emplace_back("districts.xlsx");
    }
    if (config.write_report) {
        names.emplace_back("report.html");
    }
    if (config.nep.present) {
        names.push_back("nep_monthly.csv");
        if (config.write_rasters) {
            // The NEP stage's rasters (models/nep_stage.cpp declares the prefix "nep").
            int last_year = 0;
            for (const auto &m : config.nep.months) {
                if (m.year != last_year) {
                    names.push_back("nep_" + std::to_string(m.year) + ".tif");
                    last_year = m.year;
                }
            }
            if (config.write_monthly_rasters) {
                for (const auto &m : config.nep.months) {
                    char ym[16];
                    std::snprintf(ym, sizeof ym, "%04d%02d", m.year, m.month);
                    names.push_back(std::string("nep_") + ym + ".tif");
                }
            }
        }
    }
    if (config.write_transitions && config.epochs.size() > 1) {
        names.push_back("transitions.csv");
    }
    if (config.write_method_codes) {
        for (const auto &e : config.epochs) {
            names.push_back("method_" + std::to_string(e.year) + ".tif");
        }
    }
    if (config.write_rasters) {
        for (const auto &e : config.epochs) {
            names.push_back("stock_" + std::to_string(e.year) + ".tif");
        }
        for (std::size_t k = 0; k + 1 < config.epochs.size(); ++k) {
            names.push_back("stock_change_" + std::to_string(config.epochs[k].year) + "_" +
                            std::to_string(config.epochs[k + 1].year) + ".tif");
        }
        for (std::size_t p = 0; config.write_pool_rasters && p < pool_names.size(); ++p) {
            const std::string &pool = pool_names[p];
            for (const auto &e : config.epochs) {
                names.push_back("stock_" + pool + "_" + std::to_string(e.year) + ".tif");
            }
            for (std::size_t k = 0; k + 1 < config.epochs.size(); ++k) {
                names.push_back("stock_change_" + pool + "_" +
                                std::to_string(config.epochs[k].year) + "_" +
                                std::to_string(config.epochs[k + 1].year) + ".tif");
            }
        }
    }
    return names;
}

namespace {

bool is_raster_path(const std::string &path) {
    GDALDatasetH ds =
        GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (ds == nullptr) {
        return false;
    }
    GDALClose(ds);
    return true;
}

void check_output_dir(const Config &cfg, const std::vector<InputFile> &inputs,
                      const std::vector<std::string> &pool_names, Problems &problems) {
    const std::string where = "output_dir (" + cfg.output_dir + ")";
    auto refuse = [&](const std::string &why) {
        problems.error("cannot use output directory: " + where + ", " +
                       cfg.at(cfg.output_dir_line) + ": " + why);
    };
    fs::path dir(cfg.output_dir);
    std::error_code ec;
    // ENOENT and ENOTDIR (a parent is a file) are "does not exist yet", checked below.
    auto missing = [](const std::error_code &e) {
        return !e || e == std::errc::no_such_file_or_directory || e == std::errc::not_a_directory;
    };
    const auto st = fs::status(dir, ec);
    if (!missing(ec)) {
        // ELOOP (a symbolic-link loop), ENAMETOOLONG, EACCES on a parent, ...
        refuse(ec.message());
        return;
    }
    if (fs::exists(st)) {
        if (!fs::is_directory(st)) {
            refuse("it exists and is not a directory");
            return;
        }
        if (access(dir.c_str(), W_OK | X_OK) != 0) {
            refuse(std::string("not writable (") + std::strerror(errno) + ")");
            return;
        }
    } else {
        // Walk up to the nearest existing folder, the way mkdir -p would; every missing
        // component must be creatable there. A dangling symbolic link cannot be created over.
        fs::path parent = dir;
        while (!parent.empty()) {
            const auto link = fs::symlink_status(parent, ec);
            if (!missing(ec)) {
                refuse("cannot be created (" + parent.string() + ": " + ec.message() + ")");
                return;
            }
            if (fs::exists(link)) {
                break;
            }
            parent = parent.parent_path();
        }
        if (parent.empty()) {
            parent = ".";
        }
        const auto pst = fs::status(parent, ec);
        if (ec) {
            std::error_code lec;
            refuse("cannot be created (" + parent.string() +
                   (fs::is_symlink(fs::symlink_status(parent, lec)) &&
                            ec == std::errc::no_such_file_or_directory
                        ? " is a symbolic link to a missing target)"
                        : ": " + ec.message() + ")"));
            return;
        }
        if (!fs::is_directory(pst)) {
            refuse("cannot be created (" + parent.string() + " is a file, not a directory)");
            return;
        }
        if (access(parent.c_str(), W_OK | X_OK) != 0) {
            refuse("cannot be created (" + parent.string() +
                   " is not writable: " + std::strerror(errno) + ")");
            return;
        }
    }
    // An output replaces the directory entry `<output_dir>/<name>`. It overwrites an input when
    // that entry is the input's real entry (every symbolic link followed, ".." resolved after
    // them, the way open(2) does): same folder, by device and inode, and same name. Comparing
    // files, not strings, also catches a folder reached by two names (links, bind mounts).
    struct stat dst = {};
    if (::stat(dir.c_str(), &dst) != 0) {
        return; // not created yet: it holds no input
    }
    const auto names = output_file_names(cfg, pool_names);
    for (const auto &in : inputs) {
        char *real = ::realpath(in.path.c_str(), nullptr);
        if (real == nullptr) {
            continue;
        }
        const fs::path entry(real);
        std::free(real);
        struct stat pst = {};
        const std::string name = entry.filename().string();
        if (::stat(entry.parent_path().c_str(), &pst) == 0 && pst.st_dev == dst.st_dev &&
            pst.st_ino == dst.st_ino &&
            std::find(names.begin(), names.end(), name) != names.end()) {
            problems.error("cannot use output directory: " + where + ", " +
                           cfg.at(cfg.output_dir_line) + ": output " + name +
                           " would overwrite the input " + in.role + " (" + in.path + ")");
        }
    }
}

std::string read_text(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Record `path` as an input of `run`, with its identity `id` taken before it was first read;
/// for a GDAL dataset (`dataset`), also the side files GDAL reads with it, each once.
void add_input(PreparedRun &run, const std::string &role, const std::string &path,
               const FileIdentity &id, bool dataset) {
    run.inputs.push_back({role, path, id});
    if (!dataset) {
        return;
    }
    for (const auto &f : raster::dataset_files(path)) {
        const FileIdentity side = file_identity(f);
        const bool known = std::any_of(run.inputs.begin(), run.inputs.end(), [&](const auto &in) {
            return in.identity.exists && side.exists && in.identity.device == side.device &&
                   in.identity.inode == side.inode;
        });
        if (!known && side.exists) {
            run.inputs.push_back({role, f, side});
        }
    }
}

/// Which CSV column byte `offset` of `text` is in: the header's name for it, or its number.
std::string csv_column_at(const std::string &text, std::size_t offset) {
    const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    const std::size_t from = line_start == std::string::npos ? 0 : line_start + 1;
    std::size_t field = 0;
    bool quoted = false;
    for (std::size_t i = from; i < offset; ++i) {
        if (text[i] == '"') {
            quoted = !quoted;
        } else if (text[i] == ',' && !quoted) {
            ++field;
        }
    }
    const std::string header = text.substr(0, text.find('\n'));
    std::size_t start = 0;
    for (std::size_t k = 0; k < field && start != std::string::npos; ++k) {
        start = header.find(',', start);
        start = start == std::string::npos ? start : start + 1;
    }
    if (from == 0 || start == std::string::npos) {
        return "column " + std::to_string(field + 1);
    }
    std::string name = header.substr(start, header.find(',', start) - start);
    name.erase(std::remove(name.begin(), name.end(), '\r'), name.end());
    return "column " + name;
}

/// The bytes of the table `path`, recorded as an input (role `role`) before they are read. A
/// table that is not UTF-8 text is an error, "invalid <what>: <where>, line L, column C (column
/// <name>): not UTF-8 text ...": its names would reach the outputs garbled. The text is
/// returned either way, so that its other problems are listed too.
std::string read_input_table(PreparedRun &run, const std::string &role, const std::string &path,
                             const std::string &what, const std::string &where,
                             Problems &problems) {
    const FileIdentity id = file_identity(path);
    std::string text = read_text(path);
    add_input(run, role, path, id, false);
    const raster::Utf8Problem bad = raster::find_invalid_utf8(text);
    if (bad.found) {
        problems.error("invalid " + what + ": " + where + ", line " + std::to_string(bad.line) +
                       ", " + csv_column_at(text, bad.offset) + ": not UTF-8 text (" +
                       (bad.byte == 0 ? std::string("a NUL byte") : bad.where()) +
                       "); save the table as UTF-8 (iconv -f <its encoding> -t UTF-8)");
    }
    return text;
}

/// Shipped table `name` of `sub` ("parameters" or "crosswalks"): from the data directory
/// (models/builtin_tables.hpp) when there is one, then recorded as an input of the run (role
/// "<sub>.<name>"), so that results.h5 and the report name and hash the file actually used and
/// a change during the run is caught like any input's; else the embedded copy, not recorded
/// (it is part of the program, named by software_version). A missing or unreadable installed
/// table throws ModelError naming the file. `found` is false for an unknown crosswalk name.
models::ShippedTable shipped_table(PreparedRun &run, const std::string &sub,
                                   const std::string &name, bool &found) {
    const models::DataDirectory data = models::data_directory();
    const std::string path = (fs::path(data.path) / sub / (name + ".csv")).string();
    const FileIdentity id = data.path.empty() ? FileIdentity{} : file_identity(path);
    found = true;
    models::ShippedTable t = sub == "parameters" ? models::shipped_parameter_table(name)
                                                 : models::shipped_crosswalk_table(name, found);
    if (t.installed) {
        const std::string role = sub + "." + name;
        const bool known = std::any_of(run.inputs.begin(), run.inputs.end(),
                                       [&](const auto &in) { return in.role == role; });
        if (!known) {
            add_input(run, role, t.file, id, false);
        }
    }
    return t;
}

models::ShippedTable shipped_parameters(PreparedRun &run, const std::string &name) {
    bool found = true;
    return shipped_table(run, "parameters", name, found);
}

/// Built-in crosswalk `scheme`: the installed file when there is a data directory, else the
/// embedded copy. An unknown name throws Crosswalk::builtin's "unknown crosswalk" ModelError.
models::Crosswalk builtin_crosswalk(PreparedRun &run, const std::string &scheme) {
    bool found = true;
    const models::ShippedTable t = shipped_table(run, "crosswalks", scheme, found);
    return found && t.installed ? models::Crosswalk::builtin(scheme, t.text, t.file)
                                : models::Crosswalk::builtin(scheme);
}

/// Coverage index of the districts (and, for a district raster, the district ids).
void build_district_coverage(PreparedRun &run, Problems &problems) {
    const auto &grid = run.grid;
    switch (run.district_source) {
    case PreparedRun::DistrictSource::whole_grid: {
        std::vector<raster::RowCoverageEntry> entries;
        entries.reserve(static_cast<std::size_t>(grid.height));
        for (int64_t r = 0; r < grid.height; ++r) {
            entries.push_back(
                {r, {0, static_cast<uint32_t>(grid.width), 0, raster::CoverageEntry::FULL}});
        }
        run.coverage = raster::CoverageIndex(grid.height, std::move(entries));
        run.coverage_method = "whole grid (one district, id 0)";
        return;
    }
    case PreparedRun::DistrictSource::vector: {
        const bool exact = run.config.districts.coverage == "exact";
        run.coverage = run.district_vectors->build_coverage(
            exact ? raster::CoverageMode::exact : raster::CoverageMode::centre, run.threads);
        run.coverage_method =
            exact ? "exact: each pixel counts by the fraction of its area inside the polygon; "
                    "overlapping districts each get their share"
                  : "pixel centre: a pixel belongs to the polygon containing its centre; on "
                    "overlaps the larger id wins";
        if (run.config.districts.datum == "gcj02") {
            // The datum note of the provenance (results.h5 attribute district_assignment).
            run.coverage_method +=
                "; district polygons converted from GCJ-02 (datum of Chinese web maps) to WGS 84 "
                "before reprojection (districts.datum: gcj02; the published forward formula "
                "inverted at every vertex to 1e-9 degree)";
        }
        break;
    }
    case PreparedRun::DistrictSource::raster: {
        auto [ids, coverage] =
            district_raster_coverage(*run.district_raster, *run.block_plan, run.threads);
        if (ids.empty()) {
            problems.error("invalid district raster: " + run.district_raster->where() + ", " +
                           run.config.at(run.config.districts.line) +
                           ": every pixel is nodata, so there are no districts");
            return;
        }
        for (int64_t id : ids) {
            run.district_ids.push_back(id);
            run.district_names.emplace_back();
        }
        run.coverage = std::move(coverage);
        run.coverage_method = "district raster (pixel value = district id)";
        return;
    }
    }
    // Districts with no pixel in the grid are kept (zero totals) and reported.
    std::vector<double> covered(run.district_ids.size(), 0.0);
    for (int64_t r = 0; r < run.coverage.height(); ++r) {
        for (const auto &e : run.coverage.row(r)) {
            covered[e.district] += e.fraction() * static_cast<double>(e.x1 - e.x0);
        }
    }
    if (!covered.empty() &&
        std::all_of(covered.begin(), covered.end(), [](double c) { return c == 0.0; })) {
        const auto &g = grid.geotransform;
        char extent[200];
        std::snprintf(extent, sizeof extent, "x %.10g to %.10g, y %.10g to %.10g", g[0],
                      g[0] + g[1] * static_cast<double>(grid.width),
                      g[3] + g[5] * static_cast<double>(grid.height), g[3]);
        problems.error("invalid districts: districts (" + run.config.districts.path_as_written +
                       "), " + run.config.at(run.config.districts.line) + ": none of the " +
                       std::to_string(covered.size()) +
                       (covered.size() == 1 ? " district lies" : " districts lie") +
                       " on the grid (" + extent +
                       "), so every district would report zero; check their coordinates and CRS");
        return;
    }
    for (std::size_t i = 0; i < covered.size(); ++i) {
        if (covered[i] == 0.0) {
            problems.warn(
                "districts: district " + std::to_string(run.district_ids[i]) +
                (run.district_names[i].empty() ? "" : " (" + run.district_names[i] + ")") +
                ": no part of it lies on the grid; reported with zero area");
        }
    }
}

/// Parent levels: unit ids and names, and a consistent child -> parent map at every level.
void build_hierarchy(PreparedRun &run, Problems &problems) {
    const auto &records = run.district_vectors->districts();
    const auto &d = run.config.districts;
    // Parent ids are read from fields (parents) or derived from the codes (parents_from_code,
    // filled in by VectorDistricts); either way each record has one per level.
    std::vector<std::string> level_names;
    if (!d.parents_from_code.empty()) {
        level_names = d.parent_levels;
    } else {
        for (const auto &p : d.parents) {
            level_names.push_back(p.level);
        }
    }
    run.base_level = d.level;
    // child keys at the current level: for level 0 the districts themselves
    std::vector<int64_t> child_ids = run.district_ids;
    std::string child_level = run.base_level;
    for (std::size_t l = 0; l < level_names.size(); ++l) {
        PreparedRun::Level level;
        level.name = level_names[l];
        // parent of each child, checked for consistency across the districts under it
        std::map<int64_t, int64_t> parent_of; // child id -> parent id
        std::map<int64_t, std::string> name_of;
        std::set<int64_t> reported;
        for (std::size_t i = 0; i < records.size(); ++i) {
            const int64_t child = l == 0 ? records[i].id : records[i].parent_ids[l - 1];
            const int64_t parent = records[i].parent_ids[l];
            auto [it, fresh] = parent_of.emplace(child, parent);
            if (!fresh && it->second != parent && reported.insert(child).second) {
                problems.error("invalid district hierarchy: districts (" +
                               run.config.districts.path_as_written + "), " +
                               run.config.at(run.config.districts.line) + ", " + child_level + " " +
                               std::to_string(child) + ": it has two " + level.name + " parents, " +
                               std::to_string(it->second) + " and " + std::to_string(parent) +
                               " (district " + std::to_string(records[i].id) + ")");
            }
            if (!records[i].parent_names[l].empty()) {
                name_of.emplace(parent, records[i].parent_names[l]);
            }
        }
        std::set<int64_t> unit_set;
        for (const auto &[c, p] : parent_of) {
            unit_set.insert(p);
        }
        level.ids.assign(unit_set.begin(), unit_set.end());
        for (int64_t id : level.ids) {
            auto it = name_of.find(id);
            level.names.push_back(it == name_of.end() ? std::string() : it->second);
        }
        for (int64_t child : child_ids) {
            const int64_t p = parent_of[child];
            level.unit_of_child.push_back(static_cast<uint32_t>(
                std::lower_bound(level.ids.begin(), level.ids.end(), p) - level.ids.begin()));
        }
        child_ids = level.ids;
        child_level = level.name;
        run.levels.push_back(std::move(level));
    }
}

/// parents_from_code: the units of every derived level are named from districts.parent_names
/// (`names`), or by their code, with one warning listing the codes that have no name.
void name_code_units(PreparedRun &run, const std::map<int64_t, std::string> &names,
                     Problems &problems) {
    const auto &d = run.config.districts;
    std::string unnamed;
    for (auto &level : run.levels) {
        for (std::size_t i = 0; i < level.ids.size(); ++i) {
            auto it = names.find(level.ids[i]);
            if (it != names.end() && !it->second.empty()) {
                level.names[i] = it->second;
            } else {
                level.names[i] = std::to_string(level.ids[i]);
                unnamed += (unnamed.empty() ? "" : ", ") + level.name + " " + level.names[i];
            }
        }
    }
    if (unnamed.empty()) {
        return;
    }
    if (d.parent_names.empty()) {
        problems.warn("districts (" + d.path_as_written + "), " + run.config.at(d.line) +
                      ": parents_from_code without parent_names: the units are named by their "
                      "code: " +
                      unnamed + " (give parent_names: a CSV with columns code,name to name them)");
    } else {
        std::string tables;
        for (const auto &t : d.parent_names) {
            tables += (tables.empty() ? "" : ", ") + t.path_as_written;
        }
        problems.warn("districts.parent_names (" + tables + "), " +
                      run.config.at(d.parent_names.front().line) + ": no name for " + unnamed +
                      "; named by their code (add rows code,name for them)");
    }
}

/// Put `layer` on the run's grid: nothing when aligned; an error in strict mode; otherwise a
/// warped VRT in the scratch directory, with a warning naming the layer and the resampling.
void align_layer(PreparedRun &run, raster::RasterInfo &layer, const std::string &ref_name,
                 const std::string &resampling, const std::string &file_stem, Problems &problems) {
    const std::string diff = raster::describe_misalignment(run.grid, layer.grid);
    if (diff.empty()) {
        return;
    }
    if (run.config.grid.strict) {
        problems.error("grids do not match: " + layer.where() + " vs " + ref_name + ": " + diff +
                       "; grid.strict is true, so inputs are not warped (align them, e.g. with "
                       "gdalwarp -tr/-te/-tap, or drop grid.strict)");
        return;
    }
    const raster::Resampling r = resampling == "nearest" ? raster::Resampling::nearest
                                 : resampling == "mode"
                                     ? raster::Resampling::mode
                                     : raster::default_resampling(layer, run.grid, true);
    try {
        const std::string where = layer.where();
        const std::string vrt = run.scratch.file(file_stem + ".vrt");
        raster::RasterInfo warped = raster::warp_to_grid(layer, run.grid, r, vrt);
        warped.label = layer.label;
        problems.warn(where + ": not on " + ref_name + " (" + diff + "); warped on the fly with " +
                      raster::resampling_name(r) + " resampling");
        layer = warped;
    } catch (const raster::RasterError &e) {
        problems.error(e.what());
    }
}

/// stocks.inventory: the shipped parameter tables (shipped_parameters: installed, else embedded),
/// the user's forest types and forest classes.
std::unique_ptr<models::StockModel>
make_inventory_model(PreparedRun &run, const models::PoolsTable &pools, Problems &problems) {
    const Config &cfg = run.config;
    const std::size_t errors_before = problems.errors.size();
    auto tables = std::make_shared<models::InventoryTables>();
    std::vector<std::string> errs;
    models::ShippedTable table_csv = shipped_parameters(run, "china_cbef");
    tables->cbef = models::parse_cbef_table(table_csv.text, table_csv.file, errs);
    table_csv = shipped_parameters(run, "ipcc_bcef");
    tables->bcef = models::parse_bcef_table(table_csv.text, table_csv.file, errs);
    table_csv = shipped_parameters(run, "ipcc_root_shoot");
    tables->root_shoot = models::parse_root_shoot_table(table_csv.text, table_csv.file, errs);
    for (auto &e : errs) {
        problems.error("invalid built-in parameter table: " + e);
    }
    errs.clear();
    const std::string where = "models.stocks.forest_types (" + cfg.forest_types_as_written + ")";
    std::vector<models::ForestType> types;
    if (!fs::is_regular_file(cfg.forest_types)) {
        problems.error("cannot read forest types: " + where + ", " + cfg.at(cfg.forest_types_line) +
                       ": file not found");
    } else {
        types = models::parse_forest_types(read_input_table(run, "models.stocks.forest_types",
                                                            cfg.forest_types, "forest types", where,
                                                            problems),
                                           where, *tables, errs);
        for (auto &e : errs) {
            problems.error("invalid forest types: " + e);
        }
    }
    std::vector<int32_t> forest = cfg.forest_classes;
    if (!cfg.crosswalk.empty()) {
        try {
            std::vector<std::string> xerr;
            const models::Crosswalk xw =
                fs::is_regular_file(run.config.crosswalk)
                    ? models::Crosswalk::parse(
                          read_input_table(
                              run, "models.stocks.crosswalk", cfg.crosswalk, "crosswalk",
                              "models.stocks.crosswalk (" + cfg.crosswalk + ")", problems),
                          "models.stocks.crosswalk (" + cfg.crosswalk + ")", xerr)
                    : builtin_crosswalk(run, cfg.crosswalk);
            for (auto &e : xerr) {
                problems.error("invalid crosswalk: " + e);
            }
            for (const auto &row : xw.rows()) {
                if (row.category == models::IpccCategory::forest) {
                    forest.push_back(row.code);
                }
            }
            // Unverified crosswalk rows are warned like unverified pools rows, when used.
            for (const models::CrosswalkRow *row : xw.unverified()) {
                const bool builtin = xw.scheme().find(' ') == std::string::npos;
                run.class_unverified[row->code].push_back(
                    (builtin ? "crosswalk " + xw.scheme() : xw.scheme()) + ", line " +
                    std::to_string(row->line) + ": code " + std::to_string(row->code) +
                    (row->class_name.empty() ? "" : " (" + row->class_name + ")") + " -> " +
                    models::ipcc_category_name(row->category) + ", status " + row->status);
            }
            // Every class a pixel can have is in the pools table (else the run stops), so a
            // crosswalk covering the table covers every pixel: no class is silently non-forest.
            std::vector<int32_t> table_codes;
            for (const auto &row : pools.rows) {
                table_codes.push_back(row.lucode);
            }
            if (!xw.missing(table_codes).empty()) {
                problems.error(
                    "invalid config value models.stocks.crosswalk: " + cfg.at(cfg.crosswalk_line) +
                    ": " +
                    xw.missing_message("the pools table (" + cfg.pools_table_as_written + ")",
                                       table_codes));
            }
        } catch (const models::ModelError &e) {
            problems.error("invalid config value models.stocks.crosswalk: " +
                           cfg.at(cfg.crosswalk_line) + ": " + e.what());
        }
    }
    if (problems.errors.size() != errors_before || types.empty()) {
        return nullptr;
    }
    std::sort(forest.begin(), forest.end());
    forest.erase(std::unique(forest.begin(), forest.end()), forest.end());
    return std::make_unique<models::InventoryStockModel>(pools, forest, tables, types);
}

/// Every forest-type code of `info` must be in `known` (ascending).
void check_type_codes(const PreparedRun &run, const raster::RasterInfo &info,
                      const std::vector<int32_t> &known, const std::string &table,
                      Problems &problems, const std::string &what = "forest type code") {
    std::vector<int32_t> missing;
    for (int32_t code : scan_distinct_values(info, *run.block_plan, run.threads)) {
        if (!std::binary_search(known.begin(), known.end(), code)) {
            missing.push_back(code);
        }
    }
    if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size(); ++i) {
            list += (i ? ", " : "") + std::to_string(missing[i]);
        }
        problems.error(info.where() + ": " + std::to_string(missing.size()) + " " + what +
                       (missing.size() == 1 ? " is" : "s are") + " not in the " + table + ": " +
                       list);
    }
}

/// stocks.inventory: every forest-type code in the forest-type raster must be in the table.
void check_forest_type_codes(PreparedRun &run, Problems &problems) {
    const auto *model = dynamic_cast<const models::InventoryStockModel *>(run.stock_model.get());
    if (model == nullptr) {
        return;
    }
    std::vector<int32_t> known; // ascending: parse_forest_types sorts by code
    for (const auto &t : model->forest_types()) {
        known.push_back(t.code);
    }
    check_type_codes(run, run.layers[static_cast<std::size_t>(run.layer_index("forest_type"))][0],
                     known, "forest-types table (" + run.config.forest_types_as_written + ")",
                     problems);
}

/// soil.ipcc_tier1: the shipped SOC tables (shipped_parameters), the user's soil-management rules
/// and soil types.
void make_soil_model(PreparedRun &run, const models::PoolsTable &pools_table, Problems &problems) {
    const Config &cfg = run.config;
    const auto &pools = run.stock_model->pool_names();
    const auto soil = std::find(pools.begin(), pools.end(), "soil");
    if (soil == pools.end()) {
        problems.error("invalid config value models.soil: " + cfg.at(cfg.soil_line) + ": " +
                       run.stock_model->name() + " has no soil pool to replace");
        return;
    }
    run.soil_pool = static_cast<std::size_t>(soil - pools.begin());
    auto tables = std::make_shared<models::SoilTables>();
    std::vector<std::string> errs;
    models::ShippedTable table_csv = shipped_parameters(run, "ipcc2019_soc_ref");
    tables->soc_ref = models::parse_soc_ref_table(table_csv.text, table_csv.file, errs);
    table_csv = shipped_parameters(run, "ipcc2019_soc_factors");
    tables->factors = models::parse_soc_factor_table(table_csv.text, table_csv.file, errs);
    table_csv = shipped_parameters(run, "ipcc_climate_zone_codes");
    tables->zones = models::parse_climate_zone_code_table(table_csv.text, table_csv.file, errs);
    for (auto &e : errs) {
        problems.error("invalid built-in parameter table: " + e);
    }
    errs.clear();
    const std::string where = "models.soil.management (" + cfg.soil_management_as_written + ")";
    if (!fs::is_regular_file(cfg.soil_management)) {
        problems.error("cannot read soil management: " + where + ", " +
                       cfg.at(cfg.soil_management_line) + ": file not found");
        return;
    }
    const auto rules = models::parse_soil_management(
        read_input_table(run, "models.soil.management", cfg.soil_management, "soil management",
                         where, problems),
        where, errs, &tables->factors);
    // Mode raster: the management raster and its code table.
    const bool raster_rule =
        std::any_of(rules.begin(), rules.end(), [](const models::SoilClassRule &r) {
            return r.mode == models::SoilClassRule::Mode::raster;
        });
    const bool raster_given = cfg.soil_management_raster_line > 0;
    const std::string codes_where =
        "models.soil.management_codes (" + cfg.soil_management_codes_as_written + ")";
    models::SoilManagementCodes codes;
    if (raster_given && !raster_rule && errs.empty()) {
        problems.warn("models.soil.management_raster (" + cfg.at(cfg.soil_management_raster_line) +
                      "): not used: no class of " + where + " has mode raster");
    }
    if (raster_rule && !raster_given) {
        for (const auto &r : rules) {
            if (r.mode == models::SoilClassRule::Mode::raster) {
                errs.push_back(where + ", line " + std::to_string(r.line) + ": lucode " +
                               std::to_string(r.lucode) +
                               ": mode raster needs models.soil.management_raster and "
                               "models.soil.management_codes, which models.soil (" +
                               cfg.at(cfg.soil_line) + ") does not give");
            }
        }
    }
    if (raster_rule && raster_given && !cfg.soil_management_codes.empty()) {
        if (!fs::is_regular_file(cfg.soil_management_codes)) {
            problems.error("cannot read soil management codes: " + codes_where + ", " +
                           cfg.at(cfg.soil_management_codes_line) + ": file not found");
            return;
        }
        codes = models::parse_soil_management_codes(
            read_input_table(run, "models.soil.management_codes", cfg.soil_management_codes,
                             "soil management codes", codes_where, problems),
            codes_where, errs, &tables->factors);
    }
    // c_soil of each class, for classes whose soil comes from the pools table.
    std::vector<double> table_soil; // in class order: the table's rows are sorted by lucode
    for (const auto &row : pools_table.rows) {
        table_soil.push_back(row.c_soil_mg_c_per_ha);
    }
    // Built even after errors in some rows, so that its own checks (soil types, a rule per
    // class) are listed too; a rule's problems (levels, mode raster without codes) were reported
    // above. Not built when no rule could be read (every class would lack one).
    const bool reported = !errs.empty();
    if (rules.empty() && reported) {
        for (auto &e : errs) {
            problems.error("invalid soil model: " + e);
        }
        return;
    }
    std::vector<std::string> model_errs;
    auto model = std::make_unique<models::SoilTier1Model>(
        tables, run.stock_model->class_codes(), table_soil, rules, codes, cfg.soil_types,
        cfg.soil_transition_years, model_errs, &pools_table);
    for (auto &e : model_errs) {
        if (!reported || (e.rfind("soil rule of class", 0) != 0 &&
                          std::find(errs.begin(), errs.end(), e) == errs.end())) {
            errs.push_back(e);
        }
    }
    if (errs.empty()) {
        run.soil_model = std::move(model);
    }
    for (auto &e : errs) {
        // Table errors already name the management file or the code table; the others come
        // from the models.soil block (soil_types, rules missing for a class) and name it.
        const bool named = e.rfind(where, 0) == 0 || e.rfind(codes_where, 0) == 0;
        problems.error("invalid soil model: " +
                       (named ? e : "models.soil, " + cfg.at(cfg.soil_line) + ": " + e));
    }
}

/// soil.ipcc_tier1 with mode raster: every code in the management raster(s) must be in the
/// management-code table (nodata pixels are not codes).
void check_management_codes(PreparedRun &run, Problems &problems) {
    if (!run.soil_model || !run.soil_model->uses_management_raster()) {
        return;
    }
    const int layer = run.layer_index("management");
    if (layer < 0) {
        return;
    }
    const auto &known = run.soil_model->management_codes();
    for (const auto &info : run.layers[static_cast<std::size_t>(layer)]) {
        std::vector<int32_t> missing;
        for (int32_t code : scan_distinct_values(info, *run.block_plan, run.threads)) {
            if (!std::binary_search(known.begin(), known.end(), code)) {
                missing.push_back(code);
            }
        }
        if (missing.empty()) {
            continue;
        }
        std::string list;
        for (std::size_t i = 0; i < missing.size(); ++i) {
            list += (i ? ", " : "") + std::to_string(missing[i]);
        }
        problems.error(info.where() + ": " + std::to_string(missing.size()) + " management code" +
                       (missing.size() == 1 ? " is" : "s are") +
                       " not in the management-code table (" +
                       run.config.soil_management_codes_as_written + "): " + list);
    }
}

/// dom.agb_fraction: the shipped fraction and climate-zone tables (shipped_parameters); needs a
/// pools table with dead wood and litter apart and a stock model that gives AGB in dry matter.
void make_dom_model(PreparedRun &run, const models::PoolsTable &pools_table, Problems &problems) {
    const Config &cfg = run.config;
    const std::string at = cfg.at(cfg.dom_line);
    if (!pools_table.split_dead_matter) {
        problems.error("invalid config value models.dom: " + at + ": the pools table (" +
                       cfg.pools_table_as_written +
                       ") has one column c_dead; dead wood and litter from AGB are two pools: "
                       "give the columns c_dead_wood and c_litter instead of c_dead (their "
                       "values stay on pixels without AGB)");
        return;
    }
    const auto *agb_model =
        dynamic_cast<const models::AgbRasterStockModel *>(run.stock_model.get());
    if (cfg.stocks_method == "lookup") {
        problems.error("invalid config value models.dom: " + at +
                       ": stocks.lookup gives no above-ground biomass (its densities are carbon "
                       "per class); use models.stocks.method agb_raster or inventory");
        return;
    }
    if (agb_model != nullptr && !agb_model->has_dry_matter_agb()) {
        problems.error("invalid config value models.dom: " + at +
                       ": the AGB map is carbon (agb_units: mg_c_per_ha) and "
                       "models.stocks.carbon_fraction is not given, so no pixel has AGB in dry "
                       "matter: give the map's carbon fraction");
        return;
    }
    models::DomTables tables;
    std::vector<std::string> errs;
    models::ShippedTable table_csv = shipped_parameters(run, "dom_fractions");
    tables.fractions = models::parse_dom_table(table_csv.text, table_csv.file, errs);
    table_csv = shipped_parameters(run, "ipcc_climate_zone_codes");
    tables.zones = models::parse_climate_zone_code_table(table_csv.text, table_csv.file, errs);
    for (auto &e : errs) {
        problems.error("invalid built-in parameter table: " + e);
    }
    if (!errs.empty()) {
        return;
    }
    const auto source = cfg.dom_climate_zone ? models::DomDomainSource::climate_zone
                        : cfg.dom_climate_domain == "tropical"
                            ? models::DomDomainSource::tropical
                            : models::DomDomainSource::temperate_or_boreal;
    const auto &model = *run.stock_model;
    auto dom = std::make_unique<models::DomFractionModel>(
        tables, source, cfg.dom_strata, model.pool_names().size(), model.pool_index("dead_wood"),
        model.pool_index("litter"), errs, &pools_table);
    for (auto &e : errs) {
        problems.error("invalid DOM model: models.dom, " + at + ": " + e);
    }
    if (errs.empty()) {
        run.dom_model = std::move(dom);
    }
}

/// models.dom with a climate-zone raster and no elevation/precipitation: no zone in the raster
/// may need them (the tropical zones do).
void check_dom_zone_codes(PreparedRun &run, Problems &problems) {
    const auto &info = run.layers[static_cast<std::size_t>(run.layer_index("dom_climate_zone"))][0];
    std::string list;
    for (int32_t code : scan_distinct_values(info, *run.block_plan, run.threads)) {
        if (run.dom_model->zone_needs_strata(code)) {
            list += (list.empty() ? "" : ", ") + std::to_string(code);
        }
    }
    if (!list.empty()) {
        problems.error("missing config key \"models.dom.elevation\": " +
                       run.config.at(run.config.dom_line) + ": " + info.where() +
                       " has climate-zone codes whose dead-wood and litter fractions depend on "
                       "elevation and precipitation (tropical zones of "
                       "ipcc_climate_zone_codes.csv): " +
                       list + "; give models.dom.elevation and models.dom.precipitation");
    }
}

/// flux.gain_loss losses: the user's disturbance (fd) table and the wood density.
void set_flux_losses(PreparedRun &run, Problems &problems) {
    const Config &cfg = run.config;
    models::LossParameters losses;
    losses.wood_density = cfg.wood_density;
    if (!cfg.disturbance_table.empty()) {
        const std::string where =
            "models.flux.disturbance_table (" + cfg.disturbance_table_as_written + ")";
        if (!fs::is_regular_file(cfg.disturbance_table)) {
            problems.error("cannot read disturbance table: " + where + ", " +
                           cfg.at(cfg.disturbance_table_line) + ": file not found");
            return;
        }
        std::vector<std::string> errs;
        losses.disturbance_types = models::parse_disturbance_types(
            read_input_table(run, "models.flux.disturbance_table", cfg.disturbance_table,
                             "disturbance table", where, problems),
            where, errs);
        for (auto &e : errs) {
            problems.error("invalid disturbance table: " + e);
        }
        if (!errs.empty()) {
            return;
        }
    }
    run.flux_model->set_losses(std::move(losses));
}

/// flux.gain_loss: which pools it estimates, which classes are forest, growth parameters.
void make_flux_model(PreparedRun &run, Problems &problems) {
    const Config &cfg = run.config;
    const auto &pools = run.stock_model->pool_names();
    std::string pool_list;
    for (const auto &p : pools) {
        pool_list += (pool_list.empty() ? "" : ", ") + p;
    }
    auto has_pool = [&](const std::string &p) {
        return std::find(pools.begin(), pools.end(), p) != pools.end();
    };
    if (cfg.epochs.size() < 2) {
        problems.warn("models.flux, " + cfg.at(cfg.flux_line) +
                      ": one land-cover epoch has no period, so gain-loss estimates nothing");
    }
    std::vector<std::string> gl = cfg.flux_pools;
    if (gl.empty()) {
        // Default: the live-biomass pools, the ones Eqs. 2.9-2.10 grow.
        for (const char *p : {"above_ground", "below_ground", "live_biomass_cbef"}) {
            if (has_pool(p)) {
                gl.emplace_back(p);
            }
        }
    }
    bool ok = true;
    for (const auto &p : gl) {
        if (!has_pool(p)) {
            problems.error("invalid config value models.flux.pools: " +
                           cfg.at(cfg.flux_pools_line ? cfg.flux_pools_line : cfg.flux_line) +
                           ": \"" + p + "\" is not a pool of " + run.stock_model->name() +
                           "; its pools: " + pool_list);
            ok = false;
        }
    }
    for (const auto &p : cfg.sink_pools) {
        if (!has_pool(p)) {
            problems.error(
                "invalid config value models.sink.pools: " + cfg.at(cfg.sink_pools_line) + ": \"" +
                p + "\" is not a pool of " + run.stock_model->name() + "; its pools: " + pool_list);
            ok = false;
        } else if (cfg.flux_pools.empty() && std::find(gl.begin(), gl.end(), p) != gl.end()) {
            problems.error("conflicting config values models.sink.pools and models.flux: " +
                           cfg.at(cfg.sink_pools_line) + ": pool \"" + p +
                           "\" is estimated by both stock difference and gain-loss (the "
                           "gain-loss default pools are " +
                           [&] {
                               std::string l;
                               for (const auto &g : gl) {
                                   l += (l.empty() ? "" : ", ") + g;
                               }
                               return l;
                           }() +
                           "); each pool takes one method (IPCC 2006 Vol. 4 Ch. 2: using both "
                           "double-counts)");
            ok = false;
        }
    }
    if (!cfg.sink_pools.empty()) {
        for (const auto &p : pools) {
            if (std::find(gl.begin(), gl.end(), p) == gl.end() &&
                std::find(cfg.sink_pools.begin(), cfg.sink_pools.end(), p) ==
                    cfg.sink_pools.end()) {
                problems.error("invalid config value models.sink.pools: " +
                               cfg.at(cfg.sink_pools_line) + ": pool \"" + p +
                               "\" is in neither models.sink.pools nor the gain-loss pools, so "
                               "its change would be missing; list it in one of them");
                ok = false;
            }
        }
    }
    if (gl.empty()) {
        problems.error("invalid config value models.flux: " + cfg.at(cfg.flux_line) + ": " +
                       run.stock_model->name() +
                       " has no live-biomass pool for gain-loss; list the pools in "
                       "models.flux.pools (its pools: " +
                       pool_list + ")");
        ok = false;
    }
    run.gain_loss_pool.assign(pools.size(), 0);
    for (std::size_t p = 0; p < pools.size(); ++p) {
        run.gain_loss_pool[p] = std::find(gl.begin(), gl.end(), pools[p]) != gl.end();
    }
    // Forest classes: the config's list, or stocks.inventory's.
    const auto &codes = run.stock_model->class_codes();
    const auto *inventory =
        dynamic_cast<const models::InventoryStockModel *>(run.stock_model.get());
    std::vector<uint8_t> forest(codes.size(), 0);
    if (!cfg.flux_forest_classes.empty()) {
        for (int32_t c : cfg.flux_forest_classes) {
            const auto it = std::lower_bound(codes.begin(), codes.end(), c);
            if (it == codes.end() || *it != c) {
                problems.error("invalid config value models.flux.forest_classes: " +
                               cfg.at(cfg.flux_line) + ": class " + std::to_string(c) +
                               " is not in the pools table (" + cfg.pools_table_as_written + ")");
                ok = false;
            } else {
                forest[static_cast<std::size_t>(it - codes.begin())] = 1;
            }
        }
    } else if (inventory != nullptr) {
        forest = inventory->forest_classes();
    } else {
        problems.error(
            "missing config key \"models.flux.forest_classes\": " + cfg.at(cfg.flux_line) +
            ": say which land-cover classes are forest (gain-loss grows forest "
            "remaining forest); with stocks.inventory its forest classes are used");
        ok = false;
    }
    if (!ok) {
        return;
    }
    try {
        if (cfg.flux_growth == "volume_increment") {
            if (inventory == nullptr) {
                return; // refused by the config check
            }
            run.flux_model = std::make_unique<models::GainLossModel>(
                inventory->tables(), inventory->forest_types(), forest,
                "models.stocks.forest_types (" + cfg.forest_types_as_written + ")");
            set_flux_losses(run, problems);
            return;
        }
        std::vector<std::string> errs;
        models::ShippedTable table_csv = shipped_parameters(run, "ipcc_tier1_growth");
        auto table = std::make_shared<models::Tier1GrowthTable>(
            models::parse_tier1_growth_table(table_csv.text, table_csv.file, errs));
        for (auto &e : errs) {
            problems.error("invalid built-in parameter table: " + e);
        }
        errs.clear();
        const std::string where = "models.flux.growth_table (" + cfg.growth_table_as_written + ")";
        if (!fs::is_regular_file(cfg.growth_table)) {
            problems.error("cannot read growth table: " + where + ", " +
                           cfg.at(cfg.growth_table_line) + ": file not found");
            return;
        }
        auto types = models::parse_growth_types(read_input_table(run, "models.flux.growth_table",
                                                                 cfg.growth_table, "growth table",
                                                                 where, problems),
                                                where, *table, errs);
        for (auto &e : errs) {
            problems.error("invalid growth table: " + e);
        }
        if (errs.empty()) {
            run.flux_growth_table = table; // the types point into it
            run.flux_model = std::make_unique<models::GainLossModel>(std::move(types), forest);
            set_flux_losses(run, problems);
        }
    } catch (const models::ModelError &e) {
        problems.error("invalid model parameters: models.flux (" + cfg.at(cfg.flux_line) +
                       "): " + e.what());
    }
}

/// One registered stage builder (register_stage).
struct RegisteredStage {
    std::string section;
    std::string method;
    StageBuilder build;
};

std::vector<RegisteredStage> &stage_registry() {
    static std::vector<RegisteredStage> registry;
    return registry;
}

/// With losses (any loss layer in the config): the loss layers after the growth layers.
void add_gain_loss_losses(const Config &cfg, std::vector<models::LayerDecl> &out) {
    const auto loss = models::gain_loss_loss_layers();
    const bool any = std::any_of(cfg.layers.begin(), cfg.layers.end(), [&](const LayerSpec &l) {
        return std::any_of(loss.begin(), loss.end(),
                           [&](const models::LayerDecl &d) { return d.name == l.name; });
    });
    if (any) {
        out.insert(out.end(), loss.begin(), loss.end());
    }
}

/// The declarations of flux.gain_loss: its driver (stand age or volume increment), its forest
/// types, and for volume increment the growing stock.
std::vector<models::LayerDecl> gain_loss_layers(const PreparedRun &run, Problems &problems) {
    const Config &cfg = run.config;
    using models::LayerDecl;
    using models::TimeAxis;
    auto given = [&](const std::string &name) {
        return std::any_of(cfg.layers.begin(), cfg.layers.end(),
                           [&](const LayerSpec &l) { return l.name == name; });
    };
    if (run.flux_model->growth() == models::GainLossModel::Growth::volume_increment) {
        std::vector<LayerDecl> out = {
            LayerDecl{"volume_increment", "m3/ha/yr", TimeAxis::once},
            LayerDecl{"forest_type", "class", TimeAxis::once, false, true},
            LayerDecl{"volume", "m3/ha", TimeAxis::epoch}};
        add_gain_loss_losses(cfg, out);
        return out;
    }
    std::vector<LayerDecl> out = {LayerDecl{"stand_age", "yr", TimeAxis::once}};
    if (given("flux_forest_type")) {
        out.push_back(LayerDecl{"flux_forest_type", "class", TimeAxis::once, false, true});
    } else {
        if (!given("forest_type")) {
            problems.error(
                "missing config key \"models.flux.forest_type\": " + cfg.at(cfg.flux_line) +
                ": tier1 growth needs a forest-type raster (codes of the "
                "growth table); with stocks.inventory its forest_type is used");
        }
        out.push_back(LayerDecl{"forest_type", "class", TimeAxis::once, false, true, {}, true});
    }
    add_gain_loss_losses(cfg, out);
    return out;
}

/// models.nep: the shipped CASA vegetation table, the user's class -> CASA type mapping (casa;
/// optional for npp_raster) and the monthly layers, as a month stage.
std::unique_ptr<models::Stage> make_nep_stage(PreparedRun &run, Problems &problems) {
    const Config &cfg = run.config;
    const NepConfig &nep = cfg.nep;
    std::vector<std::string> errs;
    models::ShippedTable table_csv = shipped_parameters(run, "casa_vegetation");
    models::CasaVegetationTable table =
        models::parse_casa_table(table_csv.text, table_csv.file, errs);
    for (auto &e : errs) {
        problems.error("invalid built-in parameter table: " + e);
    }
    errs.clear();
    std::vector<models::CasaClassMapping> mapping;
    const std::string where = "models.nep.vegetation (" + nep.vegetation_as_written + ")";
    if (!nep.vegetation.empty()) {
        if (!fs::is_regular_file(nep.vegetation)) {
            problems.error("cannot read vegetation mapping: " + where + ", " +
                           cfg.at(nep.vegetation_line) + ": file not found");
            return nullptr;
        }
        mapping = models::parse_casa_mapping(read_input_table(run, "models.nep.vegetation",
                                                              nep.vegetation, "vegetation mapping",
                                                              where, problems),
                                             where, table, errs);
        for (auto &e : errs) {
            problems.error("invalid vegetation mapping: " + e);
        }
        if (!errs.empty()) {
            return nullptr;
        }
    }
    std::vector<std::string> layer_names, month_labels;
    for (const auto &l : nep.layers) {
        layer_names.push_back(l.name);
    }
    for (const auto &m : nep.months) {
        month_labels.push_back(m.text());
    }
    return std::make_unique<models::NepStage>(
        nep.method == "casa" ? models::NepStage::Method::casa
                             : models::NepStage::Method::npp_raster,
        std::move(layer_names), std::move(table), table_csv.file, mapping, where,
        std::move(month_labels));
}

/// The model chain of the run, through the one table of stage builders: the stock model's
/// stage, then each configured model (built-in ones, then registered ones), each with its
/// declarations checked against the stages before it.
void build_chain(PreparedRun &run, Problems &problems) {
    const Config &cfg = run.config;
    // models.<section>.method -> stage. The built-in models were built from the config by
    // make_*_model() above; their entries only wrap them.
    const std::vector<RegisteredStage> builtin = {
        {"soil", "ipcc_tier1",
         [](StageContext &c) -> std::unique_ptr<models::Stage> {
             if (!c.run.soil_model) {
                 return nullptr;
             }
             return std::make_unique<models::SoilStage>(
                 *c.run.soil_model, c.run.soil_pool,
                 c.run.stock_model->pool_names()[c.run.soil_pool], c.run.config.epochs.size());
         }},
        {"dom", "agb_fraction",
         [](StageContext &c) -> std::unique_ptr<models::Stage> {
             if (!c.run.dom_model) {
                 return nullptr;
             }
             return std::make_unique<models::DomStage>(
                 *c.run.dom_model, std::vector<std::string>{"dead_wood", "litter"});
         }},
        {"nep", "casa", [](StageContext &c) { return make_nep_stage(c.run, c.problems); }},
        {"nep", "npp_raster", [](StageContext &c) { return make_nep_stage(c.run, c.problems); }},
        {"flux", "gain_loss",
         [](StageContext &c) -> std::unique_ptr<models::Stage> {
             if (!c.run.flux_model) {
                 return nullptr;
             }
             std::vector<std::string> pools;
             const auto &names = c.run.stock_model->pool_names();
             for (std::size_t p = 0; p < names.size(); ++p) {
                 if (c.run.gain_loss_pool[p]) {
                     pools.push_back(names[p]);
                 }
             }
             return std::make_unique<models::GainLossStage>(*c.run.flux_model, std::move(pools),
                                                            gain_loss_layers(c.run, c.problems));
         }},
    };
    auto method_of = [&](const std::string &section) -> std::string {
        if (section == "soil") {
            return cfg.soil_method;
        }
        if (section == "dom") {
            return cfg.dom_method;
        }
        if (section == "flux") {
            return cfg.flux_method;
        }
        if (section == "nep") {
            return cfg.nep.method;
        }
        const auto it = cfg.registered_methods.find(section);
        return it == cfg.registered_methods.end() ? std::string() : it->second;
    };
    run.chain.clear();
    run.chain.push_back(std::make_unique<models::StockStage>(*run.stock_model));
    StageContext ctx{run, problems};
    const std::vector<RegisteredStage> *tables[] = {&builtin, &stage_registry()};
    for (const auto *entries : tables) {
        for (const auto &entry : *entries) {
            if (method_of(entry.section) != entry.method) {
                continue;
            }
            if (auto stage = entry.build(ctx)) {
                run.chain.push_back(std::move(stage));
            }
        }
    }
    // Declarations: pools exist, no pool refined by two stages of one kind, every variable
    // produced by a stage that runs before its consumer.
    const auto &pools = run.stock_model->pool_names();
    std::map<std::pair<int, std::string>, std::string> writer; // (kind, pool) -> stage
    std::vector<std::pair<int, std::size_t>> order;            // (kind, chain index)
    for (std::size_t s = 0; s < run.chain.size(); ++s) {
        order.emplace_back(static_cast<int>(run.chain[s]->kind()), s);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    std::set<std::string> produced;
    for (const auto &[kind, s] : order) {
        const models::Stage &stage = *run.chain[s];
        for (const auto &v : stage.variables_consumed()) {
            if (produced.count(v) == 0) {
                problems.error("invalid model chain: " + stage.name() + " consumes \"" + v +
                               "\", which no stage before it produces");
            }
        }
        for (const auto &v : stage.variables_produced()) {
            produced.insert(v);
        }
        // The driver sums a period stage's change into its first period series and the rows
        // it fills into the others, and a month stage's rows into its month series; other
        // stages add no series. Refused values are flagged by period stages only, at most 8
        // layers each (one bit per pixel each).
        const auto series = stage.series();
        const auto decls = stage.layers();
        const auto refused =
            std::count_if(decls.begin(), decls.end(),
                          [](const models::LayerDecl &d) { return !d.refused_values.empty(); });
        if (refused > 0 && (stage.kind() != models::StageKind::period || refused > 8)) {
            problems.error("invalid model chain: " + stage.name() + " declares refused values of " +
                           std::to_string(refused) +
                           " layers (only a period stage may, for at most 8 layers)");
        }
        const bool series_ok =
            (stage.kind() == models::StageKind::period &&
             std::all_of(series.begin(), series.end(),
                         [](const auto &d) { return d.axis == models::TimeAxis::period; })) ||
            (stage.kind() == models::StageKind::month &&
             std::all_of(series.begin(), series.end(),
                         [](const auto &d) { return d.axis == models::TimeAxis::month; })) ||
            series.empty();
        if (!series_ok) {
            problems.error("invalid model chain: " + stage.name() +
                           " declares district series its kind of stage cannot add (a period "
                           "stage adds period series, a month stage month series)");
        }
        if (s == 0) {
            continue; // the stock model writes every pool
        }
        for (const auto &p : stage.pools_written()) {
            if (std::find(pools.begin(), pools.end(), p) == pools.end()) {
                problems.error("invalid model chain: " + stage.name() + " writes pool \"" + p +
                               "\", which " + run.stock_model->name() + " does not have");
                continue;
            }
            auto [it, inserted] = writer.emplace(std::make_pair(kind, p), stage.name());
            if (!inserted) {
                problems.error("invalid model chain: pool \"" + p + "\" is written by both " +
                               it->second + " and " + stage.name());
            }
        }
    }
}

/// Open, check and align every raster the chain's stages declare (models/chain.hpp), each
/// name once, and each set of files once: a name whose files, axis and resampling kind are
/// those of a layer opened before shares its rasters (recorded as an input under both names).
void prepare_model_layers(PreparedRun &run, Problems &problems) {
    const Config &cfg = run.config;
    using models::TimeAxis;
    run.layers.clear();
    run.layer_decls.clear();
    run.layer_aliases.clear();
    std::vector<std::vector<std::string>> layer_files; // parallel to run.layers
    run.stage_layers.assign(run.chain.size(), {});
    for (std::size_t s = 0; s < run.chain.size(); ++s) {
        for (const models::LayerDecl &req : run.chain[s]->layers()) {
            if (const int known = run.layer_index(req.name); known >= 0) {
                run.stage_layers[s].push_back(known);
                continue;
            }
            const LayerSpec *spec = nullptr;
            for (const auto &l : cfg.layers) {
                if (l.name == req.name) {
                    spec = &l;
                }
            }
            if (spec == nullptr && req.optional) {
                run.stage_layers[s].push_back(-1);
                continue;
            }
            run.stage_layers[s].push_back(static_cast<int>(run.layers.size()));
            models::LayerDecl decl = req;
            if (decl.either_form) {
                const TimeAxis many =
                    req.axis == TimeAxis::period ? TimeAxis::period : TimeAxis::epoch;
                decl.axis = spec != nullptr && spec->per_epoch ? many : TimeAxis::once;
            }
            run.layer_decls.push_back(decl);
            layer_files.emplace_back();
            std::vector<raster::RasterInfo> rasters;
            if (spec == nullptr) {
                problems.error("missing input layer \"" + req.name + "\": models.stocks, " +
                               cfg.at(cfg.pools_table_line) + ": " + run.stock_model->name() +
                               " needs it");
                run.layers.push_back(rasters);
                continue;
            }
            // (key, path, line, label) of each raster of the layer.
            struct Item {
                int key;
                LayerSpec::File file;
                std::string label;
            };
            std::vector<Item> items;
            if (decl.axis == TimeAxis::epoch || decl.axis == TimeAxis::period) {
                const bool per_period = decl.axis == TimeAxis::period;
                const std::size_t n =
                    per_period && !cfg.epochs.empty() ? cfg.epochs.size() - 1 : cfg.epochs.size();
                std::string missing;
                for (std::size_t k = 0; k < n; ++k) {
                    const int year = cfg.epochs[k].year;
                    const auto it = spec->paths.find(year);
                    if (it == spec->paths.end()) {
                        missing += (missing.empty() ? "" : ", ") + std::to_string(year);
                    } else {
                        std::string label = req.name + "/" + std::to_string(year);
                        if (per_period) {
                            label += "_" + std::to_string(cfg.epochs[k + 1].year);
                        }
                        const int end = it->second.end_year;
                        if (per_period && end != 0 && end != cfg.epochs[k + 1].year) {
                            problems.error("invalid input layer \"" + req.name + "\": period " +
                                           std::to_string(year) + "-" + std::to_string(end) + ", " +
                                           cfg.at(it->second.line) +
                                           ": not a period of two consecutive land-cover "
                                           "epochs (the next epoch after " +
                                           std::to_string(year) + " is " +
                                           std::to_string(cfg.epochs[k + 1].year) + ")");
                        }
                        items.push_back({year, it->second, label});
                    }
                }
                for (const auto &[year, file] : spec->paths) {
                    // An init-capture: clang before 16 cannot capture a structured binding.
                    if (std::none_of(cfg.epochs.begin(),
                                     cfg.epochs.begin() + static_cast<std::ptrdiff_t>(n),
                                     [y = year](const EpochSpec &e) { return e.year == y; })) {
                        problems.error("invalid input layer \"" + req.name + "\": year " +
                                       std::to_string(year) + ", " + cfg.at(file.line) +
                                       (per_period ? ": not the first year of a period between "
                                                     "land-cover epochs"
                                                   : ": not a land-cover epoch"));
                    }
                }
                if (!missing.empty()) {
                    problems.error(
                        "missing input layer \"" + req.name + "\": " + cfg.at(spec->line) +
                        (per_period
                             ? ": no raster for the period starting " + missing +
                                   " (one per period between land-cover epochs)"
                             : ": no raster for epoch " + missing + " (one per land-cover epoch)"));
                    run.layers.push_back(rasters);
                    continue;
                }
            } else if (decl.axis == TimeAxis::month) {
                if (spec->month_pattern.path.empty()) {
                    problems.error("missing input layer \"" + req.name +
                                   "\": " + cfg.at(spec->line) +
                                   ": a monthly layer needs a path pattern with {yyyy} and {mm}");
                    run.layers.push_back(rasters);
                    continue;
                }
                for (const auto &m : cfg.months) {
                    char ym[16];
                    std::snprintf(ym, sizeof ym, "%04d-%02d", m.year, m.month);
                    LayerSpec::File file = spec->month_pattern;
                    file.path = month_path(file.path, m.year, m.month);
                    file.path_as_written = month_path(file.path_as_written, m.year, m.month);
                    items.push_back({m.year * 100 + m.month, file, req.name + "/" + ym});
                }
            } else {
                items.push_back({0, spec->paths.at(0), req.name});
            }
            std::vector<std::string> files;
            for (const auto &item : items) {
                files.push_back(item.file.path);
            }
            int same = -1;
            for (std::size_t j = 0; j + 1 < run.layer_decls.size() && same < 0; ++j) {
                const auto &other = run.layer_decls[j];
                if (layer_files[j] == files && other.axis == decl.axis &&
                    other.categorical == decl.categorical && run.layers[j].size() == files.size()) {
                    same = static_cast<int>(j);
                }
            }
            if (same >= 0) {
                // Read once: this name uses the rasters already open, and the inputs list
                // records the files under this name too.
                for (const auto &item : items) {
                    add_input(run, item.label, item.file.path, file_identity(item.file.path), true);
                }
                run.layer_decls.pop_back();
                layer_files.pop_back();
                run.stage_layers[s].back() = same;
                run.layer_aliases.emplace_back(req.name, same);
                continue;
            }
            layer_files.back() = files;
            for (const auto &item : items) {
                const auto &file = item.file;
                const std::string &label = item.label;
                try {
                    const FileIdentity id = file_identity(file.path);
                    auto info = raster::inspect_raster(label, file.path, 1);
                    add_input(run, label, file.path, id, true);
                    const auto r = raster::default_resampling(info, run.grid, req.categorical);
                    const std::string diff = raster::describe_misalignment(run.grid, info.grid);
                    if (!diff.empty() && cfg.grid.strict) {
                        problems.error("grids do not match: " + info.where() +
                                       " vs the reference grid: " + diff +
                                       "; grid.strict is true, so inputs are not warped");
                    } else if (!diff.empty()) {
                        const std::string where = info.where();
                        info = raster::warp_to_grid(
                            info, run.grid, r,
                            run.scratch.file(label.substr(0, label.find('/')) + "_" +
                                             std::to_string(item.key) + ".vrt"));
                        info.label = label;
                        problems.warn(where + ": not on the reference grid (" + diff +
                                      "); warped on the fly with " + raster::resampling_name(r) +
                                      " resampling");
                    }
                    rasters.push_back(info);
                } catch (const raster::RasterError &e) {
                    problems.error(std::string(e.what()) + " (" + cfg.at(file.line) + ")");
                }
            }
            run.layers.push_back(rasters);
        }
    }
}

} // namespace

void register_stage(const std::string &section, const std::string &method, StageBuilder builder) {
    stage_registry().push_back({section, method, std::move(builder)});
}

namespace {

/// True when `info` has at least one valid pixel on the grid. Reads blocks in plan order and
/// stops at the first valid pixel, so a raster with data costs about one block read; only a
/// raster that is nodata everywhere is read to the end.
bool has_valid_pixel(const raster::RasterInfo &info, const raster::BlockPlan &plan,
                     bool as_integer) {
    raster::RasterReader reader(info);
    const auto cells = static_cast<std::size_t>(plan.max_block_cells());
    std::vector<int32_t> codes(as_integer ? cells : 0);
    std::vector<double> values(as_integer ? 0 : cells);
    std::vector<uint8_t> valid(cells);
    for (std::size_t b = 0; b < plan.size(); ++b) {
        if (interrupted()) {
            throw_interrupted("looking for data in " + info.where());
        }
        const auto &w = plan[b];
        if (as_integer) {
            reader.read_int32(w, codes.data(), valid.data());
        } else {
            reader.read_double(w, values.data(), valid.data());
        }
        const auto n = static_cast<std::size_t>(w.cells());
        if (std::any_of(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(n),
                        [](uint8_t v) { return v != 0; })) {
            return true;
        }
    }
    return false;
}

/// A land-cover or model raster with no valid pixel on the grid can add nothing to any
/// district: it is bad input (a wrong nodata value, a mask, or a raster of another area), not
/// a result of zero carbon.
void check_rasters_have_data(const PreparedRun &run, Problems &problems) {
    if (!run.block_plan) {
        return;
    }
    // A read failure here, before any computation, is bad input (a truncated or corrupt file):
    // exit 2 with the reader's message. Read failures later, while computing, are exit 1.
    auto check = [&](const raster::RasterInfo &info, bool as_integer) {
        try {
            if (has_valid_pixel(info, *run.block_plan, as_integer)) {
                return;
            }
        } catch (const raster::RasterError &e) {
            problems.error(std::string(e.what()) + " (the file is truncated or corrupt)");
            return;
        }
        std::string nodata;
        if (info.has_nodata) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%g", info.nodata);
            nodata = std::string("nodata value ") + buf;
        }
        if (info.has_mask_band) {
            nodata += (nodata.empty() ? "" : ", ") + std::string("or masked");
        }
        problems.error("no data: " + input_where(run, info) + ": every pixel on the grid is " +
                       "nodata" + (nodata.empty() ? "" : " (" + nodata + ")") +
                       ", so it adds nothing to any district");
    };
    for (const auto &lc : run.land_cover) {
        check(lc, true);
    }
    for (const auto &rasters : run.layers) {
        for (const auto &info : rasters) {
            check(info, false);
        }
    }
}

/// The memory the whole run implies, against the machine's limit: refused when it cannot fit
/// (naming what drives it and how many threads would fit), warned when it exceeds the memory
/// available now.
void check_memory(PreparedRun &run, Problems &problems) {
    const Config &cfg = run.config;
    run.memory = run_memory(run);
    const MemoryEstimate &m = run.memory;
    const MemoryLimit &limit = run.memory_limit;
    const std::string need = format_bytes(static_cast<double>(m.total()));
    std::size_t layer_rasters = 0;
    for (const auto &rasters : run.layers) {
        layer_rasters += rasters.size();
    }
    const AccumDims dims = run_dims(run);
    const std::string drivers =
        std::to_string(m.threads) + (m.threads == 1 ? " thread, " : " threads, ") +
        std::to_string(run.block_plan->max_block_cells()) +
        " cells per block (processing.block_cells " + std::to_string(cfg.block_cells) + "), " +
        std::to_string(cfg.epochs.size()) + " epochs, " + std::to_string(layer_rasters) +
        " model-layer rasters, " + std::to_string(output_raster_count(cfg, dims.pools)) +
        " GeoTIFF outputs, " + std::to_string(dims.districts) +
        (dims.districts == 1 ? " district" : " districts") +
        (dims.classes > 0 ? ", transition matrices of " + std::to_string(dims.classes) +
                                (dims.classes == 1 ? " class" : " classes")
                          : std::string());
    if (m.total() > limit.bytes) {
        // Advice for what weighs most: the district records (transition matrices), the
        // threads' block buffers, or the grid.
        const std::string largest = m.parts.empty() ? std::string() : m.parts.front().first;
        std::string advice;
        if (largest.find("district") != std::string::npos) {
            advice = "use fewer districts or land-cover classes, or outputs.transitions: false "
                     "(the transition matrices take districts x periods x classes^2 values)";
        } else if (m.shared < limit.bytes && m.per_thread > 0 &&
                   (limit.bytes - m.shared) / m.per_thread >= 1) {
            const uint64_t fit = (limit.bytes - m.shared) / m.per_thread;
            advice = "use --threads " + std::to_string(fit) +
                     " or fewer, or a smaller processing.block_cells";
        } else {
            advice = "use a smaller processing.block_cells or a smaller grid (grid.extent, "
                     "grid.resolution)";
        }
        problems.error("not enough memory: " + cfg.at(cfg.block_cells_line) +
                       ": the run needs about " + need + " (" + m.summary() + "; largest: " +
                       m.largest_parts() + "; for " + drivers + "), more than the " + limit.what +
                       " of " + format_bytes(static_cast<double>(limit.bytes)) + "; " + advice);
        return;
    }
    const uint64_t available = available_memory_bytes();
    if (m.total() > available) {
        problems.warn("memory: " + cfg.at(0) + ": the run needs about " + need + " (" +
                      m.summary() + ") but only " + format_bytes(static_cast<double>(available)) +
                      " is available now (other programs use the rest); it may swap or be "
                      "stopped by the system");
    }
}

} // namespace

std::unique_ptr<PreparedRun> prepare_run(const Config &cfg, int threads, Problems &problems,
                                         bool keep_on_error) {
    raster::init_gdal();
    auto run = std::make_unique<PreparedRun>();
    run->config = cfg;
    run->threads = threads < 1 ? 1 : threads;
    // Checks run in one pass: a check is skipped only when what it depends on failed, so one
    // `validate` reports land-cover, table, model-layer, class-code and district problems
    // together (counted per section, never by problems.ok()).
    auto errors_since = [&](std::size_t before) { return problems.errors.size() - before; };
    const std::size_t lc_before = problems.errors.size();

    // Land cover: the first epoch defines the reference grid.
    for (const auto &ep : cfg.epochs) {
        const std::string label = "land_cover/" + std::to_string(ep.year);
        try {
            const FileIdentity id = file_identity(ep.path);
            auto info = raster::inspect_raster(label, ep.path, cfg.land_cover_band);
            info.path = ep.path;
            run->land_cover.push_back(info);
            add_input(*run, label, ep.path, id, true);
        } catch (const raster::RasterError &e) {
            problems.error(std::string(e.what()) + " (" + cfg.at(ep.line) + ")");
        }
    }
    if (run->land_cover.size() == cfg.epochs.size() && !run->land_cover.empty()) {
        const raster::RasterInfo first = run->land_cover.front();
        // The reference grid: the first epoch's, or the configured override.
        raster::RasterInfo ref = first;
        std::string ref_name = "the reference grid " + first.where();
        std::string area_label = "reference grid " + first.where(); // for pixel-area messages
        if (cfg.grid.resolution > 0.0) {
            try {
                ref.grid = raster::grid_from_override(cfg.grid.crs.empty() ? first.grid.crs_wkt
                                                                           : cfg.grid.crs,
                                                      cfg.grid.resolution, cfg.grid.extent, first);
                ref_name = "the grid override (grid, " + cfg.at(cfg.grid.line) + ")";
                area_label = ref_name.substr(4);
            } catch (const raster::RasterError &e) {
                problems.error(std::string("invalid grid override: grid, ") +
                               cfg.at(cfg.grid.line) + ": " + e.what());
            }
        }
        run->grid = ref.grid;
        for (std::size_t i = 0; i < run->land_cover.size(); ++i) {
            align_layer(*run, run->land_cover[i], ref_name, cfg.land_cover_resampling,
                        "land_cover_" + std::to_string(cfg.epochs[i].year), problems);
        }
        // What grows with the grid (block plan, coverage rows, pixel areas, tile indexes) is
        // checked against the machine before any of it is built: a tiny file can declare a
        // grid no machine can hold.
        run->memory_limit = machine_memory_limit();
        const MemoryEstimate grid_mem = grid_memory(ref.grid, cfg, run->threads);
        const bool grid_fits = grid_mem.total() <= run->memory_limit.bytes;
        if (!grid_fits && grid_mem.shared <= run->memory_limit.bytes) {
            // The grid fits; one block per thread for prepare's scans does not.
            const uint64_t room = run->memory_limit.bytes - grid_mem.shared;
            const uint64_t fit = grid_mem.per_thread > 0 ? room / grid_mem.per_thread : 0;
            problems.error(
                "not enough memory: " + cfg.at(cfg.block_cells_line) + ": processing.block_cells " +
                std::to_string(cfg.block_cells) + " with " + std::to_string(grid_mem.threads) +
                (grid_mem.threads == 1 ? " thread" : " threads") +
                ": reading one block per thread needs about " +
                format_bytes(static_cast<double>(grid_mem.total())) + " (" + grid_mem.summary() +
                "), more than the " + run->memory_limit.what + " of " +
                format_bytes(static_cast<double>(run->memory_limit.bytes)) + "; " +
                (fit >= 1 ? "use --threads " + std::to_string(fit) +
                                " or fewer, or a smaller "
                                "processing.block_cells"
                          : std::string("use a smaller processing.block_cells")));
        } else if (!grid_fits) {
            problems.error("grid too large for this machine: " +
                           (cfg.grid.resolution > 0.0
                                ? "the grid override (grid, " + cfg.at(cfg.grid.line) + ")"
                                : first.where()) +
                           ": " + std::to_string(ref.grid.width) + " x " +
                           std::to_string(ref.grid.height) + " px need at least " +
                           format_bytes(static_cast<double>(grid_mem.shared)) +
                           " of memory before any pixel is read (" + grid_mem.largest_parts() +
                           "), more than the " + run->memory_limit.what + " of " +
                           format_bytes(static_cast<double>(run->memory_limit.bytes)) +
                           "; cut the grid with grid.extent or coarsen it with grid.resolution");
        } else if (ref.grid.crs_wkt.empty()) {
            problems.error("reference grid has no CRS: " + first.where() +
                           ": pixel areas are unknown (assign one with gdal_edit.py -a_srs)");
        } else {
            try {
                run->pixel_area = std::make_unique<raster::PixelArea>(ref.grid, area_label);
                if (!run->pixel_area->warning().empty()) {
                    problems.warn(run->pixel_area->warning());
                }
            } catch (const raster::RasterError &e) {
                problems.error(e.what());
            }
        }
        try {
            if (grid_fits) {
                run->block_plan = std::make_unique<raster::BlockPlan>(
                    ref.grid.width, ref.grid.height, cfg.tile_size, cfg.block_cells);
            }
        } catch (const raster::RasterError &e) {
            problems.error(std::string(e.what()) + ": " + ref.where());
        }
    }

    run->land_cover_ok = errors_since(lc_before) == 0 && run->block_plan && run->pixel_area &&
                         run->land_cover.size() == cfg.epochs.size();
    // A land cover stored in a type wider than int32 (Float32, UInt32, ...) is read whole once:
    // a value that is not an integer code (2.5, 3e9) is bad input, not nodata. Its valid codes
    // can still be checked (validate's class-code scan), so land_cover_ok stays unless the
    // raster cannot be read.
    if (run->land_cover_ok) {
        try {
            for (auto &m : land_cover_value_messages(*run)) {
                problems.error(std::move(m));
            }
        } catch (const raster::RasterError &e) {
            problems.error(std::string(e.what()) + " (the file is truncated or corrupt)");
            run->land_cover_ok = false;
        }
    }

    // Pools table and stock model.
    models::PoolsTable pools_table; // kept for the soil model's table classes
    if (!cfg.pools_table.empty()) {
        const std::string where = "models.stocks.table (" + cfg.pools_table_as_written + ")";
        if (!fs::is_regular_file(cfg.pools_table)) {
            problems.error("cannot read pools table: " + where + ", " +
                           cfg.at(cfg.pools_table_line) + ": file not found");
        } else {
            std::vector<std::string> errs;
            pools_table = models::parse_pools_table(read_input_table(*run, "models.stocks.table",
                                                                     cfg.pools_table, "pools table",
                                                                     where, problems),
                                                    where, errs);
            const models::PoolsTable &table = pools_table;
            for (auto &e : errs) {
                problems.error("invalid pools table: " + e);
            }
            if (errs.empty()) {
                try {
                    if (cfg.stocks_method == "inventory") {
                        run->stock_model = make_inventory_model(*run, table, problems);
                    } else if (cfg.stocks_method == "agb_raster") {
                        run->stock_model = std::make_unique<models::AgbRasterStockModel>(
                            table, models::AgbRasterOptions{cfg.agb_is_carbon, cfg.carbon_fraction,
                                                            cfg.root_shoot_ratio});
                    } else {
                        run->stock_model = std::make_unique<models::LookupStockModel>(table);
                    }
                } catch (const models::ModelError &e) {
                    problems.error(std::string("invalid model parameters: models.stocks (") +
                                   cfg.at(cfg.pools_table_line) + "): " + e.what());
                }
            }
        }
    }
    if (run->stock_model && !cfg.soil_method.empty()) {
        make_soil_model(*run, pools_table, problems);
    }
    if (run->stock_model && !cfg.dom_method.empty()) {
        make_dom_model(*run, pools_table, problems);
    }
    if (run->stock_model && !cfg.flux_method.empty()) {
        make_flux_model(*run, problems);
    }
    // models.sink.pools names pools of the stock model, with or without models.flux.
    if (run->stock_model && cfg.flux_method.empty()) {
        const auto &pools = run->stock_model->pool_names();
        for (const auto &p : cfg.sink_pools) {
            if (std::find(pools.begin(), pools.end(), p) == pools.end()) {
                std::string list;
                for (const auto &q : pools) {
                    list += (list.empty() ? "" : ", ") + q;
                }
                const std::string hint = closest_match(p, pools);
                problems.error("invalid config value models.sink.pools: " +
                               cfg.at(cfg.sink_pools_line) + ": \"" + p + "\" is not a pool of " +
                               run->stock_model->name() + "; its pools: " + list +
                               (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            }
        }
    }
    const std::size_t layers_before = problems.errors.size();
    if (run->stock_model) {
        try {
            build_chain(*run, problems);
        } catch (const models::ModelError &e) {
            problems.error(std::string("invalid model chain: ") + e.what());
        }
        if (errors_since(layers_before) == 0 && cfg.uncertainty.present) {
            PreparedRun &r = *run;
            run->uncertainty = plan_uncertainty(
                cfg, run->chain, run->stock_model->pool_names(), run->stock_model->class_codes(),
                problems, [&](const std::string &role, const std::string &path) {
                    std::error_code ec;
                    if (!fs::is_regular_file(path, ec)) {
                        problems.error("cannot read " + role + ": " + path +
                                       ": no such file (paths are relative to the config's "
                                       "folder)");
                        throw std::runtime_error("");
                    }
                    const std::size_t before = problems.errors.size();
                    std::string text =
                        read_input_table(r, role, path, "land-cover error matrix", role, problems);
                    if (problems.errors.size() > before) {
                        throw std::runtime_error("");
                    }
                    return text;
                });
        }
    }
    if (!cfg.epochs.empty()) {
        std::vector<int> years;
        for (const auto &ep : cfg.epochs) {
            years.push_back(ep.year);
        }
        for (const auto &m : cfg.months) {
            run->months.push_back({m.year, m.month, epoch_of_month(years, m.year)});
        }
    }
    if (run->stock_model && run->grid.width > 0) {
        prepare_model_layers(*run, problems);
    }
    // Class-code checks read pixels: they need the grid and the model layers, nothing else.
    const bool layers_ok = run->land_cover_ok && errors_since(layers_before) == 0;
    auto single = [&](const std::string &name) {
        const int l = run->layer_index(name);
        return l >= 0 && run->layers[static_cast<std::size_t>(l)].size() == 1;
    };
    if (layers_ok && run->stock_model && cfg.stocks_method == "inventory" &&
        single("forest_type")) {
        check_forest_type_codes(*run, problems);
    }
    if (layers_ok && run->dom_model && cfg.dom_climate_zone && !cfg.dom_strata &&
        single("dom_climate_zone")) {
        check_dom_zone_codes(*run, problems);
    }
    const std::string flux_types =
        run->layer_index("flux_forest_type") >= 0 ? "flux_forest_type" : "forest_type";
    if (layers_ok && run->flux_model &&
        run->flux_model->growth() == models::GainLossModel::Growth::tier1 && single(flux_types)) {
        const auto codes = run->flux_model->type_codes();
        check_type_codes(*run,
                         run->layers[static_cast<std::size_t>(run->layer_index(flux_types))][0],
                         codes, "growth table (" + cfg.growth_table_as_written + ")", problems);
    }
    // Every code of the disturbance-type rasters needs its fd (undisturbed codes too: fd 0).
    if (const int dt = run->layer_index("disturbance_type");
        layers_ok && run->flux_model && dt >= 0) {
        const auto codes = run->flux_model->disturbance_codes();
        for (const auto &info : run->layers[static_cast<std::size_t>(dt)]) {
            check_type_codes(*run, info, codes,
                             "disturbance table (" + cfg.disturbance_table_as_written + ")",
                             problems, "disturbance type code");
        }
    }
    if (layers_ok) {
        check_management_codes(*run, problems);
        const std::size_t data_before = problems.errors.size();
        check_rasters_have_data(*run, problems);
        // An unreadable land cover must not be scanned again (validate's class-code scan).
        run->land_cover_ok = errors_since(data_before) == 0;
    }

    // Districts.
    const std::size_t districts_before = problems.errors.size();
    std::map<int64_t, std::string> code_names; // districts.parent_names
    if (!cfg.districts.present) {
        run->district_source = PreparedRun::DistrictSource::whole_grid;
        run->district_ids = {0};
        run->district_names = {"all"};
    } else {
        const auto &d = cfg.districts;
        const std::string where = "districts (" + d.path_as_written + ")";
        if (!fs::exists(d.path)) {
            problems.error("cannot open districts: " + where + ", " + cfg.at(d.line) +
                           ": file not found");
        } else if (is_raster_path(d.path)) {
            run->district_source = PreparedRun::DistrictSource::raster;
            try {
                const FileIdentity id = file_identity(d.path);
                auto info = raster::inspect_raster("districts", d.path, d.band);
                info.path = d.path;
                add_input(*run, "districts", d.path, id, true);
                if (!info.is_integer) {
                    problems.error(
                        "invalid district raster: " + info.where() + ", " + cfg.at(d.line) +
                        ": district ids must be integers, the raster is " + info.data_type);
                }
                if (run->grid.width > 0 && info.is_integer) {
                    align_layer(*run, info, "the reference grid", d.resampling, "districts",
                                problems);
                }
                if (!d.id_field.empty()) {
                    problems.warn(info.where() + ": districts.id_field is ignored for a raster "
                                                 "(its pixel values are the ids)");
                }
                if (!d.parents.empty()) {
                    problems.error("invalid config value districts.parents: " + cfg.at(d.line) +
                                   ": a district raster has no fields to read parents from; "
                                   "use polygons with parent id fields");
                }
                if (!d.name_field_en.empty()) {
                    problems.error("invalid config value districts.name_field_en: " +
                                   cfg.at(d.name_field_en_line) +
                                   ": a district raster has no name fields; use polygons with "
                                   "name fields");
                }
                if (!d.parents_from_code.empty()) {
                    problems.error("invalid config value districts.parents_from_code: " +
                                   cfg.at(d.parents_from_code_line) +
                                   ": it derives parents from the polygons' codes, and a "
                                   "district raster has none; use polygons with a code field");
                }
                if (d.datum_line != 0 && d.datum != "wgs84") {
                    problems.error("invalid config value districts.datum: " + cfg.at(d.datum_line) +
                                   ": a district raster is not converted between datums; use "
                                   "the polygons it was made from, or a raster in WGS 84");
                }
                run->district_raster = info;
            } catch (const raster::RasterError &e) {
                problems.error(std::string(e.what()) + " (districts, " + cfg.at(d.line) + ")");
            }
        } else {
            run->district_source = PreparedRun::DistrictSource::vector;
            add_input(*run, "districts", d.path, file_identity(d.path), true);
            if (d.id_field.empty()) {
                problems.error("missing config key \"districts.id_field\": " + cfg.at(d.line) +
                               ": vector districts need the name of their integer id field");
            } else if (!run->grid.crs_wkt.empty()) {
                try {
                    raster::Findings f;
                    raster::VectorDistrictSpec spec{"districts",    d.path,         d.layer,
                                                    d.id_field,     d.name_field,   {},
                                                    cfg.at(d.line), d.name_field_en};
                    for (const auto &p : d.parents) {
                        spec.parents.push_back({p.level, p.id_field, p.name_field});
                    }
                    spec.china_adcode = d.parents_from_code == "china_adcode";
                    spec.gcj02 = d.datum == "gcj02";
                    for (const auto &t : d.parent_names) {
                        if (fs::exists(t.path)) {
                            add_input(*run, "districts.parent_names", t.path, file_identity(t.path),
                                      true);
                        }
                        raster::Findings nf;
                        // A code named by two tables takes the first table's name.
                        for (auto &[code, name] :
                             raster::read_code_names("districts.parent_names", t.path,
                                                     t.path_as_written, cfg.at(t.line), nf)) {
                            if (!name.empty()) {
                                code_names.emplace(code, std::move(name));
                            }
                        }
                        for (auto &e : nf.errors) {
                            problems.error(e);
                        }
                    }
                    auto vd = std::make_unique<raster::VectorDistricts>(spec, run->grid, f);
                    for (auto &e : f.errors) {
                        problems.error("invalid " + e);
                    }
                    for (auto &w : f.warnings) {
                        problems.warn(w);
                    }
                    if (f.errors.empty()) {
                        for (const auto &rec : vd->districts()) {
                            run->district_ids.push_back(rec.id);
                            run->district_names.push_back(rec.name);
                            if (!d.name_field_en.empty()) {
                                run->district_names_en.push_back(rec.name_en);
                            }
                        }
                        run->district_vectors = std::move(vd);
                    }
                } catch (const raster::RasterError &e) {
                    problems.error(e.what());
                }
            }
        }
    }

    const bool districts_ok =
        errors_since(districts_before) == 0 &&
        (cfg.districts.present ? run->district_source != PreparedRun::DistrictSource::whole_grid
                               : true);

    check_output_dir(cfg, run->inputs,
                     run->stock_model ? run->stock_model->pool_names() : std::vector<std::string>{},
                     problems);

    if (run->land_cover_ok && districts_ok) {
        const std::size_t coverage_before = problems.errors.size();
        const auto t0 = std::chrono::steady_clock::now();
        build_district_coverage(*run, problems);
        run->coverage_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (errors_since(coverage_before) == 0 &&
            (!cfg.districts.parents.empty() || !cfg.districts.parents_from_code.empty())) {
            build_hierarchy(*run, problems);
            if (!cfg.districts.parents_from_code.empty()) {
                name_code_units(*run, code_names, problems);
            }
        }
    }
    if (problems.ok()) {
        check_memory(*run, problems);
    }
    for (auto &w : problems.warnings) {
        run->warnings.push_back(w);
    }
    if (!problems.ok() && !keep_on_error) {
        return nullptr;
    }
    return run;
}

void check_config_files(const Config &cfg, Problems &problems) {
    auto check = [&](const std::string &role, const std::string &path,
                     const std::string &as_written, int line) {
        if (path.empty()) {
            return;
        }
        std::error_code ec;
        const auto st = fs::status(path, ec);
        std::string why;
        if (ec && ec != std::errc::no_such_file_or_directory) {
            why = ec.message();
        } else if (!fs::exists(st)) {
            why = "file not found";
        } else if (fs::is_directory(st) && !is_raster_path(path)) {
            why = "it is a directory, not a file";
        } else if (access(path.c_str(), R_OK) != 0) {
            why = std::string("cannot be read (") + std::strerror(errno) + ")";
        } else {
            return;
        }
        problems.error("cannot read " + role + ": " + role + " (" +
                       (as_written.empty() ? path : as_written) + "), " + cfg.at(line) + ": " +
                       why);
    };
    for (const auto &ep : cfg.epochs) {
        check("land_cover/" + std::to_string(ep.year), ep.path, ep.path_as_written, ep.line);
    }
    check("models.stocks.table", cfg.pools_table, cfg.pools_table_as_written, cfg.pools_table_line);
    check("models.stocks.forest_types", cfg.forest_types, cfg.forest_types_as_written,
          cfg.forest_types_line);
    check("soil management", cfg.soil_management, cfg.soil_management_as_written,
          cfg.soil_management_line);
    check("soil management codes", cfg.soil_management_codes, cfg.soil_management_codes_as_written,
          cfg.soil_management_codes_line);
    check("growth table", cfg.growth_table, cfg.growth_table_as_written, cfg.growth_table_line);
    check("disturbance table", cfg.disturbance_table, cfg.disturbance_table_as_written,
          cfg.disturbance_table_line);
    if (cfg.crosswalk.find('/') != std::string::npos) {
        check("models.stocks.crosswalk", cfg.crosswalk, "", cfg.crosswalk_line);
    }
    for (const auto &layer : cfg.layers) {
        for (const auto &[year, f] : layer.paths) {
            std::string role = layer.name;
            if (layer.per_epoch) {
                role += '/';
                role += std::to_string(year);
            }
            if (f.end_year != 0) {
                role += '-';
                role += std::to_string(f.end_year);
            }
            check(role, f.path, f.path_as_written, f.line);
        }
    }
    if (cfg.districts.present) {
        check("districts", cfg.districts.path, cfg.districts.path_as_written, cfg.districts.line);
        for (const auto &t : cfg.districts.parent_names) {
            check("districts.parent_names", t.path, t.path_as_written, t.line);
        }
    }
}

} // namespace cs::pipeline
