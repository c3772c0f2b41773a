// districts.csvt, districts.gpkg and districts.xlsx (see vector_outputs.hpp).
#include "pipeline/vector_outputs.hpp"

#include "pipeline/output_text.hpp"
#include "pipeline/problems.hpp"
#include "raster/raster_io.hpp"
#include "raster/vector_districts.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include <sys/statvfs.h>

namespace fs = std::filesystem;

namespace cs::pipeline {

std::vector<std::string> districts_csv_types(const std::vector<std::string> &columns) {
    std::vector<std::string> types;
    bool after_level = false;
    for (const auto &c : columns) {
        if (after_level) {
            types.emplace_back("Integer64"); // parent-level ids (outputs.cpp districts_csv_columns)
        } else if (c == "district_id") {
            types.emplace_back("Integer64");
        } else if (c == "district_name" || c == "district_name_en" || c == "level") {
            types.emplace_back("String");
        } else {
            types.emplace_back("Real");
        }
        after_level = after_level || c == "level";
    }
    return types;
}

std::vector<std::vector<std::string>> parse_csv(const std::string &text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    bool any = false; // the current row has content
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
            continue;
        }
        if (c == '"') {
            quoted = true;
            any = true;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
            any = true;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            if (any || !field.empty()) {
                row.push_back(field);
                rows.push_back(row);
            }
            row.clear();
            field.clear();
            any = false;
        } else {
            field += c;
            any = true;
        }
    }
    if (any || !field.empty()) {
        row.push_back(field);
        rows.push_back(row);
    }
    return rows;
}

namespace {

std::string read_text(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw OutputError("cannot read output: " + path + ": " + io_cause(errno));
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Sets a GDAL config option for this thread and restores the previous value on exit.
class ScopedOption {
public:
    ScopedOption(const char *key, const std::string &value) : m_key(key) {
        const char *old = CPLGetThreadLocalConfigOption(key, nullptr);
        if (old != nullptr) {
            m_old = old;
            m_had = true;
        }
        CPLSetThreadLocalConfigOption(key, value.c_str());
    }
    ~ScopedOption() { CPLSetThreadLocalConfigOption(m_key, m_had ? m_old.c_str() : nullptr); }
    ScopedOption(const ScopedOption &) = delete;
    ScopedOption &operator=(const ScopedOption &) = delete;

private:
    const char *m_key;
    std::string m_old;
    bool m_had = false;
};

struct Closer {
    void operator()(GDALDataset *ds) const { GDALClose(ds); }
};
using Dataset = std::unique_ptr<GDALDataset, Closer>;

/// The hidden temporary name of `path` while it is written (".districts.partial.gpkg"): GDAL's
/// GPKG and XLSX drivers go by the extension, so it is kept; the staging commit skips dot files.
std::string partial_keeping_extension(const std::string &path) {
    const fs::path p(path);
    return (p.parent_path() / ("." + p.stem().string() + ".partial" + p.extension().string()))
        .string();
}

/// Why GDAL failed to write `path`: its last error, and, when the file system of `path` has no
/// block or inode left, the system's cause (SQLite reports a full disk only as "unable to open
/// database file").
std::string gdal_cause(const std::string &path) {
    const char *m = CPLGetLastErrorMsg();
    std::string cause = (m != nullptr && *m != '\0') ? m : "GDAL gave no reason";
    struct statvfs st {};
    const std::string dir = fs::path(path).parent_path().string();
    if (::statvfs(dir.empty() ? "." : dir.c_str(), &st) == 0 &&
        (st.f_bavail == 0 || st.f_favail == 0)) {
        cause += ": " + io_cause(ENOSPC);
    }
    return cause;
}

/// The staged districts.csv: its header and rows.
struct Table {
    std::vector<std::string> columns;
    std::vector<std::string> types;
    std::vector<std::vector<std::string>> rows;
};

Table read_table(const std::string &path, bool districts) {
    auto rows = parse_csv(read_text(path));
    if (rows.empty()) {
        throw OutputError("cannot read output: " + path + ": the file is empty");
    }
    Table t;
    t.columns = rows.front();
    rows.erase(rows.begin());
    t.rows = std::move(rows);
    if (districts) {
        t.types = districts_csv_types(t.columns);
    } else {
        // transitions.csv: district_id,start_year,end_year,from_class,to_class,area_ha
        for (const auto &c : t.columns) {
            t.types.emplace_back(c == "area_ha" ? "Real" : "Integer64");
        }
    }
    return t;
}

OGRFieldType field_type(const std::string &t) {
    return t == "Integer64" ? OFTInteger64 : t == "Real" ? OFTReal : OFTString;
}

void create_fields(OGRLayer *layer, const Table &t, const std::string &path,
                   const std::string &where) {
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
        OGRFieldDefn f(t.columns[c].c_str(), field_type(t.types[c]));
        if (layer->CreateField(&f) != OGRERR_NONE) {
            throw OutputError("cannot write output: " + where + ": cannot create field " +
                              t.columns[c] + ": " + gdal_cause(path));
        }
    }
}

void set_fields(OGRFeature &f, const Table &t, const std::vector<std::string> &row) {
    for (std::size_t c = 0; c < t.columns.size() && c < row.size(); ++c) {
        const std::string &v = row[c];
        const int i = static_cast<int>(c);
        if (v.empty() && t.types[c] != "String") {
            f.SetFieldNull(i);
        } else if (t.types[c] == "Integer64") {
            f.SetField(i, static_cast<GIntBig>(std::strtoll(v.c_str(), nullptr, 10)));
        } else if (t.types[c] == "Real") {
            f.SetField(i, std::strtod(v.c_str(), nullptr));
        } else {
            f.SetField(i, v.c_str());
        }
    }
}

/// Five classes from loss (red) to gain (green): ColorBrewer "RdYlGn", 5 classes
/// (Brewer, C. A., colorbrewer2.org).
// ColorBrewer RdYlGn, 6 classes (Brewer, colorbrewer2.org): three loss classes below 0, three
// sink classes above, so a loss is never drawn in a sink colour.
const char *const CLASS_COLOURS[6] = {"215,48,39,255",   "252,141,89,255", "254,224,139,255",
                                      "217,239,139,255", "145,207,96,255", "26,152,80,255"};

std::string fill_symbol(int name, const char *colour) {
    std::ostringstream s;
    s << "   <symbol type=\"fill\" name=\"" << name
      << "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n"
      << "    <layer class=\"SimpleFill\" enabled=\"1\" pass=\"0\" locked=\"0\">\n"
      << "     <Option type=\"Map\">\n"
      << "      <Option name=\"color\" type=\"QString\" value=\"" << colour << "\"/>\n"
      << "      <Option name=\"outline_color\" type=\"QString\" value=\"60,60,60,255\"/>\n"
      << "      <Option name=\"outline_style\" type=\"QString\" value=\"solid\"/>\n"
      << "      <Option name=\"outline_width\" type=\"QString\" value=\"0.26\"/>\n"
      << "      <Option name=\"outline_width_unit\" type=\"QString\" value=\"MM\"/>\n"
      << "      <Option name=\"style\" type=\"QString\" value=\"solid\"/>\n"
      << "     </Option>\n"
      // QGIS before 3.26 reads the symbol layer's properties from <prop> elements.
      << "     <prop k=\"color\" v=\"" << colour << "\"/>\n"
      << "     <prop k=\"outline_color\" v=\"60,60,60,255\"/>\n"
      << "     <prop k=\"outline_style\" v=\"solid\"/>\n"
      << "     <prop k=\"outline_width\" v=\"0.26\"/>\n"
      << "     <prop k=\"outline_width_unit\" v=\"MM\"/>\n"
      << "     <prop k=\"style\" v=\"solid\"/>\n"
      << "    </layer>\n"
      << "   </symbol>\n";
    return s.str();
}

} // namespace

std::string graduated_qml(const std::string &column, const std::vector<double> &values) {
    double m = 0;
    for (double v : values) {
        if (std::isfinite(v)) {
            m = std::max(m, std::fabs(v));
        }
    }
    // Six equal classes over [-m, m]: 0 is a class bound (QGIS puts a value on a bound in the
    // lower class, so exactly 0 draws in the palest loss colour).
    const int n = m > 0 ? 6 : 1;
    std::vector<double> bounds;
    for (int i = 0; i <= n; ++i) {
        bounds.push_back(n == 1 ? (i == 0 ? -1.0 : 1.0) : -m + 2 * m * i / n);
    }
    std::ostringstream s;
    s.precision(17);
    s << "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
      << "<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n"
      << " <renderer-v2 type=\"graduatedSymbol\" attr=\"" << markup_escape(column)
      << "\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" forceraster=\"0\" "
         "enableorderby=\"0\">\n"
      << "  <ranges>\n";
    for (int i = 0; i < n; ++i) {
        char label[96];
        std::snprintf(label, sizeof label, "%.6g to %.6g", bounds[i], bounds[i + 1]);
        s << "   <range symbol=\"" << i << "\" lower=\"" << bounds[i] << "\" upper=\""
          << bounds[i + 1] << "\" label=\"" << label << "\" render=\"true\"/>\n";
    }
    s << "  </ranges>\n  <symbols>\n";
    for (int i = 0; i < n; ++i) {
        s << fill_symbol(i, n == 1 ? CLASS_COLOURS[2] : CLASS_COLOURS[i]);
    }
    s << "  </symbols>\n"
      << "  <mode name=\"equal\"/>\n"
      << "  <classificationMethod id=\"EqualInterval\"/>\n"
      << " </renderer-v2>\n"
      << "</qgis>\n";
    return s.str();
}

namespace {

void write_csvt(const std::string &path, const Table &t) {
    const std::string temp = raster::partial_path(path);
    {
        errno = 0;
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw OutputError("cannot write output: " + path + ": cannot create " + temp + ": " +
                              io_cause(errno));
        }
        for (std::size_t c = 0; c < t.types.size(); ++c) {
            out << (c ? "," : "") << t.types[c];
        }
        out << "\n";
        out.flush();
        if (!out) {
            const int err = errno;
            std::remove(temp.c_str());
            throw OutputError("cannot write output: " + path + ": " + io_cause(err));
        }
    }
    commit_file(temp, path);
}

std::size_t column_of(const Table &t, const std::string &name) {
    const auto it = std::find(t.columns.begin(), t.columns.end(), name);
    return it == t.columns.end() ? t.columns.size()
                                 : static_cast<std::size_t>(it - t.columns.begin());
}

/// The column the default style draws: the first stock change, else (one epoch) the first
/// stock.
std::string style_column(const Table &t) {
    for (const auto &c : t.columns) {
        if (c.rfind("stock_change_mg_c_per_yr_", 0) == 0 && c.find("_ci_") == std::string::npos) {
            return c;
        }
    }
    for (const auto &c : t.columns) {
        if (c.rfind("stock_mg_c_", 0) == 0) {
            return c;
        }
    }
    return "area_ha";
}

void write_gpkg(const std::string &path, const PreparedRun &run,
                const std::vector<DistrictResults> &levels, const Table &t) {
    const raster::VectorDistricts &vd = *run.district_vectors;
    // Base district polygons by id, as MultiPolygons in the grid CRS.
    std::map<int64_t, std::unique_ptr<OGRGeometry>> base;
    for (std::size_t i = 0; i < vd.districts().size(); ++i) {
        const OGRGeometry *g = vd.geometry(i);
        if (g != nullptr) {
            base[vd.districts()[i].id] =
                std::unique_ptr<OGRGeometry>(OGRGeometryFactory::forceToMultiPolygon(g->clone()));
        }
    }
    const std::string temp = partial_keeping_extension(path);
    std::remove(temp.c_str());
    // Fixed timestamps in gpkg_contents.last_change: the GPKG driver's OGR_CURRENT_DATE
    // config option, in the GeoPackage date format (GDAL GPKG driver documentation).
    // The time GDAL stamps into the GeoPackage and XLSX (gpkg_contents.last_change, the
    // layer_styles row).
    const std::string now = stamp_utc("%Y-%m-%dT%H:%M:%SZ");
    ScopedOption date("OGR_CURRENT_DATE", now.substr(0, now.size() - 1) + ".000Z");
    GDALDriver *drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (drv == nullptr) {
        throw OutputError("cannot write output: " + path +
                          ": GDAL has no GPKG driver; install a GDAL built with SQLite, or set "
                          "outputs.geopackage to false");
    }
    CPLErrorReset();
    Dataset ds(drv->Create(temp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) {
        throw OutputError("cannot write output: " + path + ": " + gdal_cause(path));
    }
    try {
        OGRSpatialReference srs;
        srs.importFromWkt(run.grid.crs_wkt.c_str());
        srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        const std::size_t level_col = column_of(t, "level");
        const std::size_t id_col = column_of(t, "district_id");
        const std::size_t style_col = column_of(t, style_column(t));
        const char *opts[] = {"FID=fid", "GEOMETRY_NAME=geom", nullptr};
        std::vector<std::pair<std::string, std::string>> styles; // layer, QML
        for (std::size_t l = 0; l < levels.size(); ++l) {
            const std::string &name = levels[l].level;
            OGRLayer *layer =
                ds->CreateLayer(name.c_str(), &srs, wkbMultiPolygon, const_cast<char **>(opts));
            if (layer == nullptr) {
                throw OutputError("cannot write output: " + path + ": cannot create layer " + name +
                                  ": " + gdal_cause(path));
            }
            create_fields(layer, t, path, path + ", layer " + name);
            // Members of each unit of this level: base districts whose ancestor is the unit.
            std::map<int64_t, std::vector<const OGRGeometry *>> members;
            if (l > 0) {
                const DistrictResults &b = levels.front();
                for (std::size_t d = 0; d < b.ids.size(); ++d) {
                    const auto it = base.find(b.ids[d]);
                    if (it != base.end()) {
                        members[b.ancestor_ids[d][l - 1]].push_back(it->second.get());
                    }
                }
            }
            std::vector<double> values;
            if (layer->StartTransaction() != OGRERR_NONE) {
                throw OutputError("cannot write output: " + path + ": " + gdal_cause(path));
            }
            for (const auto &row : t.rows) {
                if (level_col < t.columns.size() && row.at(level_col) != name) {
                    continue;
                }
                OGRFeature f(layer->GetLayerDefn());
                set_fields(f, t, row);
                const int64_t id = std::strtoll(row.at(id_col).c_str(), nullptr, 10);
                if (l == 0) {
                    const auto it = base.find(id);
                    if (it != base.end()) {
                        f.SetGeometry(it->second.get());
                    }
                } else {
                    OGRMultiPolygon all;
                    for (const OGRGeometry *g : members[id]) {
                        for (const auto *p : *g->toMultiPolygon()) {
                            all.addGeometry(p);
                        }
                    }
                    // The parent's outline: the union of its districts (shared borders go).
                    std::unique_ptr<OGRGeometry> u(all.IsEmpty() ? nullptr : all.UnionCascaded());
                    if (u) {
                        std::unique_ptr<OGRGeometry> mp(
                            OGRGeometryFactory::forceToMultiPolygon(u.release()));
                        f.SetGeometry(mp.get());
                    } else if (!all.IsEmpty()) {
                        // GEOS could not union (invalid rings): keep the parts, and forget the
                        // error so that it does not fail the file below.
                        CPLErrorReset();
                        f.SetGeometry(&all);
                    }
                }
                if (layer->CreateFeature(&f) != OGRERR_NONE) {
                    throw OutputError("cannot write output: " + path + ", layer " + name +
                                      ": cannot write district " + row.at(id_col) + ": " +
                                      gdal_cause(path));
                }
                values.push_back(style_col < row.size() && !row[style_col].empty()
                                     ? std::strtod(row[style_col].c_str(), nullptr)
                                     : std::nan(""));
            }
            if (layer->CommitTransaction() != OGRERR_NONE) {
                throw OutputError("cannot write output: " + path + ": " + gdal_cause(path));
            }
            styles.emplace_back(name, graduated_qml(t.columns.at(style_col), values));
        }
        // Default styles, in the table QGIS reads and writes (its layer_styles convention).
        const char *sopts[] = {"FID=id", nullptr};
        OGRLayer *ls =
            ds->CreateLayer("layer_styles", nullptr, wkbNone, const_cast<char **>(sopts));
        if (ls == nullptr) {
            throw OutputError("cannot write output: " + path +
                              ": cannot create layer layer_styles: " + gdal_cause(path));
        }
        const std::vector<std::pair<const char *, OGRFieldType>> fields = {
            {"f_table_catalog", OFTString},
            {"f_table_schema", OFTString},
            {"f_table_name", OFTString},
            {"f_geometry_column", OFTString},
            {"styleName", OFTString},
            {"styleQML", OFTString},
            {"styleSLD", OFTString},
            {"useAsDefault", OFTInteger},
            {"description", OFTString},
            {"owner", OFTString},
            {"ui", OFTString},
            {"update_time", OFTDateTime}};
        for (const auto &[fname, ftype] : fields) {
            OGRFieldDefn fd(fname, ftype);
            if (ftype == OFTInteger) {
                fd.SetSubType(OFSTBoolean);
            }
            if (ls->CreateField(&fd) != OGRERR_NONE) {
                throw OutputError("cannot write output: " + path +
                                  ", layer layer_styles: " + gdal_cause(path));
            }
        }
        for (const auto &[lname, qml] : styles) {
            OGRFeature f(ls->GetLayerDefn());
            f.SetField("f_table_catalog", "");
            f.SetField("f_table_schema", "");
            f.SetField("f_table_name", lname.c_str());
            f.SetField("f_geometry_column", "geom");
            f.SetField("styleName", lname.c_str());
            f.SetField("styleQML", qml.c_str());
            f.SetField("styleSLD", "");
            f.SetField("useAsDefault", 1);
            f.SetField("description", "carbonsink: graduated colours of the stock change");
            f.SetField("owner", "");
            f.SetField("ui", "");
            f.SetField("update_time", now.c_str());
            if (ls->CreateFeature(&f) != OGRERR_NONE) {
                throw OutputError("cannot write output: " + path +
                                  ", layer layer_styles: " + gdal_cause(path));
            }
        }
        ds.reset();
    } catch (...) {
        ds.reset();
        std::remove(temp.c_str());
        throw;
    }
    if (CPLGetLastErrorType() == CE_Failure) {
        std::remove(temp.c_str());
        throw OutputError("cannot write output: " + path + ": " + gdal_cause(path));
    }
    commit_file(temp, path);
}

/// The unit of a districts.csv column, for the "columns" sheet.
std::string unit_of(const std::string &c) {
    if (c.find("area_ha") != std::string::npos) {
        return "ha";
    }
    if (c.find("mg_co2_per_yr") != std::string::npos) {
        return "Mg CO2 / yr";
    }
    if (c.find("mg_c_per_yr") != std::string::npos) {
        return "Mg C / yr";
    }
    if (c.find("mg_c") != std::string::npos) {
        return "Mg C";
    }
    return "";
}

void add_sheet(GDALDataset &ds, const std::string &path, const std::string &name, const Table &t) {
    OGRLayer *layer = ds.CreateLayer(name.c_str(), nullptr, wkbNone, nullptr);
    if (layer == nullptr) {
        throw OutputError("cannot write output: " + path + ": cannot create sheet " + name + ": " +
                          gdal_cause(path));
    }
    create_fields(layer, t, path, path + ", sheet " + name);
    for (const auto &row : t.rows) {
        OGRFeature f(layer->GetLayerDefn());
        set_fields(f, t, row);
        if (layer->CreateFeature(&f) != OGRERR_NONE) {
            throw OutputError("cannot write output: " + path + ", sheet " + name + ": " +
                              gdal_cause(path));
        }
    }
}

/// The transitions table with a class-name column after `from_class` and after `to_class`
/// (names from the stock model, e.g. the pools table's lulc_name; empty where it has none), so
/// a spreadsheet reader sees "2 forest -> 1 cropland" without a legend at hand.
Table with_class_names(const Table &t, const std::vector<int32_t> &codes,
                       const std::vector<std::string> &names) {
    std::map<std::string, std::string> name_of;
    for (std::size_t i = 0; i < codes.size() && i < names.size(); ++i) {
        name_of[std::to_string(codes[i])] = names[i];
    }
    Table out;
    std::vector<bool> after;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
        out.columns.push_back(t.columns[c]);
        out.types.push_back(t.types[c]);
        const bool add = t.columns[c] == "from_class" || t.columns[c] == "to_class";
        after.push_back(add);
        if (add) {
            out.columns.push_back(t.columns[c] + "_name");
            out.types.emplace_back("String");
        }
    }
    out.rows.reserve(t.rows.size());
    for (const auto &row : t.rows) {
        std::vector<std::string> r;
        r.reserve(out.columns.size());
        for (std::size_t c = 0; c < row.size(); ++c) {
            r.push_back(row[c]);
            if (c < after.size() && after[c]) {
                const auto it = name_of.find(row[c]);
                r.push_back(it == name_of.end() ? std::string() : it->second);
            }
        }
        out.rows.push_back(std::move(r));
    }
    return out;
}

void write_xlsx(const std::string &path, const Table &districts, const Table *transitions) {
    const std::string temp = partial_keeping_extension(path);
    std::remove(temp.c_str());
    GDALDriver *drv = GetGDALDriverManager()->GetDriverByName("XLSX");
    if (drv == nullptr) {
        throw OutputError("cannot write output: " + path +
                          ": GDAL has no XLSX driver; install a GDAL built with Expat, or set "
                          "outputs.xlsx to false");
    }
    CPLErrorReset();
    Dataset ds(drv->Create(temp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) {
        throw OutputError("cannot write output: " + path + ": " + gdal_cause(path));
    }
    try {
        add_sheet(*ds, path, "districts", districts);
        // An Excel sheet holds at most 1048576 rows (Microsoft, "Excel specifications and
        // limits"); a longer transition table stays in transitions.csv only, and a sheet says so.
        constexpr std::size_t MAX_ROWS = 1048576 - 1; // below the header row
        const bool transitions_fit = transitions == nullptr || transitions->rows.size() <= MAX_ROWS;
        if (transitions != nullptr && transitions_fit) {
            add_sheet(*ds, path, "transitions", *transitions);
        }
        // The units of every column (a units row inside the table would make spreadsheet
        // readers take the number columns as text).
        // The position column also lets OGR tell the header row from the data (its XLSX reader
        // takes a first row as a header only when a later row holds a number).
        Table cols;
        cols.columns = {"position", "column", "unit", "type"};
        cols.types = {"Integer64", "String", "String", "String"};
        for (std::size_t c = 0; c < districts.columns.size(); ++c) {
            cols.rows.push_back({std::to_string(c + 1), districts.columns[c],
                                 unit_of(districts.columns[c]), districts.types[c]});
        }
        add_sheet(*ds, path, "columns", cols);
        if (!transitions_fit) {
            Table notes;
            notes.columns = {"rows", "note"};
            notes.types = {"Integer64", "String"};
            notes.rows.push_back({std::to_string(transitions->rows.size()),
                                  "transitions: more rows than an Excel sheet holds (1048576); "
                                  "they are in transitions.csv"});
            add_sheet(*ds, path, "notes", notes);
        }
        ds.reset();
    } catch (...) {
        ds.reset();
        std::remove(temp.c_str());
        throw;
    }
    if (CPLGetLastErrorType() == CE_Failure) {
        std::remove(temp.c_str());
        throw OutputError("cannot write output: " + path + ": " + gdal_cause(path));
    }
    commit_file(temp, path);
}

} // namespace

void write_vector_outputs(const PreparedRun &run, const std::vector<DistrictResults> &levels,
                          const std::string &staging_dir) {
    const fs::path dir(staging_dir);
    const Table table = read_table((dir / "districts.csv").string(), true);
    write_csvt((dir / "districts.csvt").string(), table);
    if (run.config.write_geopackage && run.district_vectors) {
        write_gpkg((dir / "districts.gpkg").string(), run, levels, table);
    }
    if (run.config.write_xlsx) {
        const fs::path tpath = dir / "transitions.csv";
        std::unique_ptr<Table> transitions;
        if (fs::exists(tpath)) {
            transitions = std::make_unique<Table>(
                with_class_names(read_table(tpath.string(), false), run.stock_model->class_codes(),
                                 run.stock_model->class_names()));
        }
        write_xlsx((dir / "districts.xlsx").string(), table, transitions.get());
    }
}

} // namespace cs::pipeline
