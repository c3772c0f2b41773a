// District polygons: reading, checks, reprojection and pixel-centre rasterization.
#include "raster/vector_districts.hpp"

#include "raster/gcj02.hpp"
#include "raster/pixel_area.hpp"
#include "raster/text_encoding.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <numbers>
#include <system_error>
#include <thread>

namespace cs::raster {

struct VectorDistricts::Impl {
    // Geometries in the grid CRS, parallel to m_records (null for empty geometries).
    std::vector<std::unique_ptr<OGRGeometry>> geoms;
    std::vector<OGREnvelope> envelopes;
};

const OGRGeometry *VectorDistricts::geometry(std::size_t i) const {
    return m_impl->geoms.at(i).get();
}

namespace {
const char *const INT64_RANGE =
    " is beyond the range of 64-bit integer ids (-9223372036854775808 to 9223372036854775807)";

/// Read field `idx` of `f` as a 64-bit integer id. Integer fields are read as they are; a real
/// field must hold a whole number and a text field an integer, each within int64. Returns ""
/// on success, else why not (quoting the value).
std::string read_int64(const OGRFeature &f, int idx, int64_t &out) {
    const OGRFieldType type = f.GetFieldDefnRef(idx)->GetType();
    if (type == OFTInteger || type == OFTInteger64) {
        out = f.GetFieldAsInteger64(idx);
        return "";
    }
    const std::string text = f.GetFieldAsString(idx);
    const std::string quoted = "value \"" + text + "\"";
    if (type == OFTReal) {
        const double v = f.GetFieldAsDouble(idx);
        if (!std::isfinite(v) || v != std::floor(v)) {
            return quoted + " is not an integer";
        }
        // [-2^63, 2^63): both bounds are exact doubles.
        if (v < -9223372036854775808.0 || v >= 9223372036854775808.0) {
            return quoted + INT64_RANGE;
        }
        out = static_cast<int64_t>(v);
        return "";
    }
    const char *s = text.c_str();
    while (*s == ' ' || *s == '\t') {
        ++s;
    }
    errno = 0;
    char *end = nullptr;
    const long long v = std::strtoll(s, &end, 10);
    const bool digits = end != s;
    while (end != nullptr && (*end == ' ' || *end == '\t')) {
        ++end;
    }
    if (!digits || end == nullptr || *end != '\0') {
        return quoted + " is not an integer";
    }
    if (errno == ERANGE) {
        return quoted + INT64_RANGE;
    }
    out = v;
    return "";
}

/// "x NaN, y 4600000": a vertex for a message.
std::string vertex_text(double x, double y) {
    auto num = [](double v) {
        if (std::isnan(v)) {
            return std::string("NaN");
        }
        if (std::isinf(v)) {
            return std::string(v < 0 ? "-inf" : "inf");
        }
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.10g", v);
        return std::string(buf);
    };
    return "x " + num(x) + ", y " + num(y);
}

/// True when `e` could be longitudes and latitudes, in either axis order (longitudes in
/// [-180, 360] allow the 0-360 convention). NaN bounds pass: a non-finite vertex is reported
/// for its district.
bool fits_degrees(const OGREnvelope &e) {
    auto lon = [](double a, double b) { return !(a < -180.0) && !(b > 360.0); };
    auto lat = [](double a, double b) { return !(a < -90.0) && !(b > 90.0); };
    return (lon(e.MinX, e.MaxX) && lat(e.MinY, e.MaxY)) ||
           (lat(e.MinX, e.MaxX) && lon(e.MinY, e.MaxY));
}

std::string extent_text(const OGREnvelope &e) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "x %.10g to %.10g, y %.10g to %.10g", e.MinX, e.MaxX, e.MinY,
                  e.MaxY);
    return buf;
}

/// A vertex whose x or y is NaN or infinite: where it is (counted from 0; ring 0 is the outer
/// ring; polygon = -1 for a single polygon) and its coordinates.
struct BadVertex {
    bool found = false;
    int polygon = -1;
    int ring = 0;
    int vertex = 0;
    double x = 0.0;
    double y = 0.0;

    std::string text() const {
        return "vertex " + std::to_string(vertex) + " of ring " + std::to_string(ring) +
               (polygon >= 0 ? " of polygon " + std::to_string(polygon) : "") +
               " (counted from 0) is not a finite coordinate (" + vertex_text(x, y) + ")";
    }
};

BadVertex non_finite_in(const OGRPolygon *poly, int polygon) {
    for (int r = 0; r <= poly->getNumInteriorRings(); ++r) {
        const OGRLinearRing *ring = r == 0 ? poly->getExteriorRing() : poly->getInteriorRing(r - 1);
        for (int v = 0; ring != nullptr && v < ring->getNumPoints(); ++v) {
            const double x = ring->getX(v);
            const double y = ring->getY(v);
            if (!std::isfinite(x) || !std::isfinite(y)) {
                return {true, polygon, r, v, x, y};
            }
        }
    }
    return {};
}

/// The first non-finite vertex of a linear polygon geometry (polygon, multipolygon or a
/// collection of them), in storage order.
BadVertex first_non_finite_vertex(const OGRGeometry *g) {
    const auto type = wkbFlatten(g->getGeometryType());
    if (type == wkbPolygon) {
        return non_finite_in(g->toPolygon(), -1);
    }
    if (type == wkbMultiPolygon || type == wkbGeometryCollection) {
        int p = 0;
        for (const auto *part : *g->toGeometryCollection()) {
            if (wkbFlatten(part->getGeometryType()) == wkbPolygon) {
                if (BadVertex bad = non_finite_in(part->toPolygon(), p); bad.found) {
                    return bad;
                }
            }
            ++p;
        }
    }
    return {};
}

/// 360° in the angular unit of a geographic CRS, or 0 for any other CRS.
double longitude_period(const OGRSpatialReference &srs) {
    if (!srs.IsGeographic()) {
        return 0.0;
    }
    const double rad_per_unit = srs.GetAngularUnits(nullptr);
    if (!(rad_per_unit > 0.0)) {
        return 0.0;
    }
    const double period = 2.0 * std::numbers::pi / rad_per_unit;
    return std::fabs(period - 360.0) < 1e-9 ? 360.0 : period; // degrees, exactly
}

/// Apply `fn` to every polygon of `g` (a polygon, or polygons inside collections).
template <class Fn> void for_each_polygon(OGRGeometry *g, Fn &&fn) {
    if (g == nullptr || g->IsEmpty()) {
        return;
    }
    const auto type = wkbFlatten(g->getGeometryType());
    if (type == wkbPolygon) {
        fn(g->toPolygon());
    } else if (type == wkbMultiPolygon || type == wkbGeometryCollection) {
        for (auto *part : *g->toGeometryCollection()) {
            for_each_polygon(part, fn);
        }
    }
}

/// Add `dx` to every x of a ring.
void shift_ring(OGRLinearRing *ring, double dx) {
    for (int i = 0; i < ring->getNumPoints(); ++i) {
        ring->setPoint(i, ring->getX(i) + dx, ring->getY(i));
    }
}

/// A ring with consecutive vertices more than half a turn of longitude apart crosses the
/// antimeridian: it is rewritten with continuous longitudes (the short way across). Kept as
/// written instead: a ring with a step of a whole turn (-180 to 180: a world box or a band round
/// the globe), and a ring whose continuous longitudes do not close, which goes once around a
/// pole (Antarctica written from -180 to 180 and back along -90). Returns true when rewritten.
bool unwrap_ring(OGRLinearRing *ring, double period) {
    const int n = ring->getNumPoints();
    if (n < 3) {
        return false;
    }
    std::vector<double> x(static_cast<std::size_t>(n));
    double offset = 0.0;
    bool jumped = false;
    bool whole_turn = false;
    auto step = [&](double d) {
        if (std::fabs(d) > 0.5 * period) {
            whole_turn = whole_turn || std::fabs(d) >= period * (1.0 - 1e-12);
            offset -= std::round(d / period) * period;
            jumped = true;
        }
    };
    for (int i = 0; i < n; ++i) {
        if (i > 0) {
            step(ring->getX(i) - ring->getX(i - 1));
        }
        x[static_cast<std::size_t>(i)] = ring->getX(i) + offset;
    }
    // The implicit closing edge of a ring whose last vertex does not repeat the first.
    step(ring->getX(0) - ring->getX(n - 1));
    if (!jumped || whole_turn || offset != 0.0) {
        return false;
    }
    for (int i = 0; i < n; ++i) {
        ring->setPoint(i, x[static_cast<std::size_t>(i)], ring->getY(i));
    }
    return true;
}

/// unwrap_ring on every ring of `g`; true when one crossed the antimeridian. Then, in every
/// polygon, each hole is moved by whole turns next to its outer ring (a hole written at -179.5
/// inside an outer ring unwrapped to 178..182 moves to 180.5).
bool unwrap_rings(OGRGeometry *g, double period) {
    bool any = false;
    for_each_polygon(g, [&](OGRPolygon *poly) {
        for (auto *ring : *poly) {
            any = unwrap_ring(ring, period) || any;
        }
        OGRLinearRing *outer = poly->getExteriorRing();
        if (outer == nullptr || outer->IsEmpty()) {
            return;
        }
        OGREnvelope env;
        outer->getEnvelope(&env);
        const double centre = 0.5 * (env.MinX + env.MaxX);
        for (int i = 0; i < poly->getNumInteriorRings(); ++i) {
            OGRLinearRing *hole = poly->getInteriorRing(i);
            OGREnvelope he;
            hole->getEnvelope(&he);
            const double turns = std::round((centre - 0.5 * (he.MinX + he.MaxX)) / period);
            if (turns != 0.0) {
                shift_ring(hole, turns * period);
            }
        }
    });
    return any;
}

/// Place the polygons of `g` (in the grid's geographic CRS, after unwrap_rings) on the grid's
/// longitudes [west, east] (east - west <= period): each polygon is replaced by its copies
/// shifted by whole turns that overlap the grid (a district at -180..-179.5 lies at
/// 180..180.5 on a grid spanning 179.5..180.5; one reaching across the grid's seam gets a copy
/// on each side). Returns the placed geometry, or null when nothing moves (the common case, so
/// `g` is kept as read).
std::unique_ptr<OGRGeometry> place_on_longitudes(const OGRGeometry &g, double period, double west,
                                                 double east) {
    std::vector<std::unique_ptr<OGRPolygon>> placed;
    bool moved = false;
    std::unique_ptr<OGRGeometry> work(g.clone());
    work->flattenTo2D();
    for_each_polygon(work.get(), [&](OGRPolygon *poly) {
        OGRLinearRing *outer = poly->getExteriorRing();
        if (outer == nullptr || outer->IsEmpty()) {
            return;
        }
        OGREnvelope env;
        outer->getEnvelope(&env);
        // Whole turns k with (MinX + k period, MaxX + k period) overlapping (west, east).
        const double k_lo = std::floor((west - env.MaxX) / period);
        const double k_hi = std::ceil((east - env.MinX) / period);
        bool any_copy = false;
        for (double k = k_lo; k <= k_hi; k += 1.0) {
            if (env.MinX + k * period >= east || env.MaxX + k * period <= west) {
                continue;
            }
            std::unique_ptr<OGRPolygon> copy(poly->clone());
            if (k != 0.0) {
                for (auto *ring : *copy) {
                    shift_ring(ring, k * period);
                }
                moved = true;
            }
            placed.push_back(std::move(copy));
            any_copy = true;
        }
        if (!any_copy) {
            placed.emplace_back(poly->clone()); // not on the grid at all: kept as is
        }
    });
    if (!moved) {
        return nullptr;
    }
    auto multi = std::make_unique<OGRMultiPolygon>();
    for (auto &p : placed) {
        multi->addGeometryDirectly(p.release());
    }
    return multi;
}
} // namespace

VectorDistricts::VectorDistricts(const VectorDistrictSpec &spec, const GridSpec &grid,
                                 Findings &findings)
    : m_impl(std::make_unique<Impl>()), m_grid(grid) {
    init_gdal();
    const std::size_t errors_before = findings.errors.size();
    const std::string where =
        spec.label + " (" + spec.path + ")" + (spec.config_at.empty() ? "" : ", " + spec.config_at);
    VSIStatBufL st;
    if (VSIStatL(spec.path.c_str(), &st) != 0) {
        throw RasterError("cannot open districts: " + where + ": file not found");
    }
    CPLErrorReset();
    std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset *>(GDALOpenEx(
        spec.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
    if (!ds) {
        std::string why = "not a vector format GDAL can read";
        if (CPLGetLastErrorNo() != 0) {
            why = last_gdal_error();
        } else if (GDALDriverH drv =
                       GDALIdentifyDriverEx(spec.path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr)) {
            // A format that recognises the file but opens nothing of it: e.g. a GeoPackage
            // without any table of features (read-only GDAL does not open those).
            why = std::string("the file is a ") + GDALGetDriverLongName(drv) +
                  " without any vector layer";
        }
        throw RasterError("cannot open districts: " + where + ": " + why);
    }
    OGRLayer *layer = spec.layer.empty() ? (ds->GetLayerCount() > 0 ? ds->GetLayer(0) : nullptr)
                                         : ds->GetLayerByName(spec.layer.c_str());
    if (layer == nullptr) {
        throw RasterError("cannot open districts: " + where + ": " +
                          (spec.layer.empty() ? std::string("the file has no vector layer")
                                              : "no layer named \"" + spec.layer + "\""));
    }
    // OGR opens a Shapefile whose .dbf is missing as a layer without fields; the id field would
    // then look absent, while the real cause is the missing file.
    if (EQUAL(ds->GetDriver()->GetDescription(), "ESRI Shapefile")) {
        const CPLStringList files(ds->GetFileList());
        std::string shp;
        bool dbf = false;
        for (int i = 0; i < files.size(); ++i) {
            if (EQUAL(CPLGetBasename(files[i]), layer->GetName())) {
                shp = EQUAL(CPLGetExtension(files[i]), "shp") ? files[i] : shp;
                dbf = dbf || EQUAL(CPLGetExtension(files[i]), "dbf");
            }
        }
        if (!shp.empty() && !dbf) {
            const std::string dbf_name = CPLGetFilename(CPLResetExtension(shp.c_str(), "dbf"));
            throw RasterError("cannot open districts: " + where + ": " + dbf_name +
                              " is missing next to " + CPLGetFilename(shp.c_str()) +
                              "; a Shapefile keeps its fields (and so the id field) in the .dbf: "
                              "copy the .shp, .shx, .dbf and .prj together");
        }
    }
    OGRFeatureDefn *defn = layer->GetLayerDefn();
    auto field_list = [&] {
        std::string names;
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            names += (i ? ", " : "") + std::string(defn->GetFieldDefn(i)->GetNameRef());
        }
        return names.empty() ? std::string("(none)") : names;
    };
    const int id_idx = defn->GetFieldIndex(spec.id_field.c_str());
    if (id_idx < 0) {
        findings.errors.push_back("districts: " + where + ", layer " + layer->GetName() +
                                  ": id_field \"" + spec.id_field +
                                  "\" is not a field; fields are: " + field_list());
    }
    int name_idx = -1;
    if (!spec.name_field.empty()) {
        name_idx = defn->GetFieldIndex(spec.name_field.c_str());
        if (name_idx < 0) {
            findings.errors.push_back("districts: " + where + ", layer " + layer->GetName() +
                                      ": name_field \"" + spec.name_field +
                                      "\" is not a field; fields are: " + field_list());
        }
    }
    int name_en_idx = -1;
    if (!spec.name_field_en.empty()) {
        name_en_idx = defn->GetFieldIndex(spec.name_field_en.c_str());
        if (name_en_idx < 0) {
            findings.errors.push_back("districts: " + where + ", layer " + layer->GetName() +
                                      ": name_field_en \"" + spec.name_field_en +
                                      "\" is not a field; fields are: " + field_list());
        }
    }
    std::vector<std::pair<int, int>> parent_idx; // (id field, name field) per parent level
    for (const auto &pl : spec.parents) {
        const int pid = defn->GetFieldIndex(pl.id_field.c_str());
        const int pname = pl.name_field.empty() ? -1 : defn->GetFieldIndex(pl.name_field.c_str());
        if (pid < 0) {
            findings.errors.push_back("districts: " + where + ", layer " + layer->GetName() +
                                      ": id_field \"" + pl.id_field + "\" of level \"" + pl.level +
                                      "\" is not a field; fields are: " + field_list());
        }
        if (!pl.name_field.empty() && pname < 0) {
            findings.errors.push_back("districts: " + where + ", layer " + layer->GetName() +
                                      ": name_field \"" + pl.name_field + "\" of level \"" +
                                      pl.level + "\" is not a field; fields are: " + field_list());
        }
        parent_idx.emplace_back(pid, pname);
    }
    const OGRSpatialReference *layer_srs = layer->GetSpatialRef();
    // Longitudes are taken modulo 360°: antimeridian crossings (unwrap_ring) and, on a
    // geographic grid, districts written on the other side of ±180° (place_on_longitudes).
    double grid_period = 0.0;
    double layer_period = 0.0;
    double grid_west = 0.0;
    double grid_east = 0.0;
    if (!grid.crs_wkt.empty()) {
        OGRSpatialReference grid_srs;
        if (grid_srs.importFromWkt(grid.crs_wkt.c_str()) == OGRERR_NONE) {
            grid_period = longitude_period(grid_srs);
        }
        const auto &gt = grid.geotransform;
        const double x_end = gt[0] + gt[1] * static_cast<double>(grid.width);
        grid_west = std::min(gt[0], x_end);
        grid_east = std::max(gt[0], x_end);
    }
    if (layer_srs != nullptr) {
        layer_period = longitude_period(*layer_srs);
    }
    // A grid spanning more than one turn repeats ground: districts are not wrapped there
    // (PixelArea warns about the grid).
    const bool wrap_copies =
        grid_period > 0.0 && grid_east - grid_west <= grid_period * (1.0 + 1e-12);
    std::unique_ptr<OGRCoordinateTransformation> ct;
    const std::string at_layer = where + ", layer " + layer->GetName();
    OGREnvelope extent;
    if (layer_srs == nullptr) {
        findings.errors.push_back("districts: " + at_layer +
                                  ": the layer has no CRS, so it cannot be placed on the grid "
                                  "(add a .prj or save it with a CRS)");
    } else if (layer_srs->IsGeographic() && layer->GetExtent(&extent, TRUE) == OGRERR_NONE &&
               !fits_degrees(extent)) {
        // Said once for the layer, not once per district that then fails to reproject.
        findings.errors.push_back(
            "districts: " + at_layer + ": the layer's CRS is " + layer_srs->GetName() +
            " (longitude and latitude in degrees) but its coordinates are not degrees (" +
            extent_text(extent) +
            "); the file has no CRS of its own (GeoJSON without a \"crs\" member is read as "
            "WGS 84) or a wrong one: save it with its real CRS");
    } else if (spec.gcj02 && !layer_srs->IsGeographic()) {
        findings.errors.push_back(
            "districts: " + at_layer +
            ": datum: gcj02 converts longitudes and latitudes, but the "
            "layer's CRS is " +
            layer_srs->GetName() +
            " (projected): GCJ-02 offsets are defined in degrees; give the layer as downloaded "
            "(longitude/latitude, e.g. GeoJSON read as WGS 84) or remove datum: gcj02 if the "
            "coordinates are not GCJ-02");
    } else if (!grid.crs_wkt.empty()) {
        OGRSpatialReference grid_srs;
        grid_srs.importFromWkt(grid.crs_wkt.c_str());
        grid_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        OGRSpatialReference src(*layer_srs);
        src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        const char *opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", nullptr};
        if (!src.IsSame(&grid_srs, opts)) {
            ct.reset(OGRCreateCoordinateTransformation(&src, &grid_srs));
            if (!ct) {
                findings.errors.push_back(
                    "districts: " + where +
                    ": no coordinate transformation to the grid CRS: " + last_gdal_error());
            }
        }
    }
    if (findings.errors.size() != errors_before) {
        return;
    }

    struct Item {
        DistrictRecord rec;
        std::unique_ptr<OGRGeometry> geom;
    };
    std::vector<Item> items;
    std::map<int64_t, int64_t> first_fid;
    // Names go to UTF-8 outputs (results.h5, CSV, the terminal). GDAL recodes a Shapefile with a
    // .cpg file (or a code page in its .dbf header) to UTF-8; other bytes are refused, never
    // passed on garbled.
    const bool shapefile = EQUAL(ds->GetDriverName(), "ESRI Shapefile");
    const std::string cpg = std::filesystem::path(spec.path).replace_extension(".cpg").string();
    auto check_utf8 = [&](const std::string &value, int64_t fid, int64_t id,
                          const std::string &field) {
        const Utf8Problem bad = find_invalid_utf8(value);
        if (!bad.found) {
            return;
        }
        char byte[16];
        std::snprintf(byte, sizeof byte, "0x%02X", bad.byte);
        findings.errors.push_back(
            "districts: " + where + ", feature " + std::to_string(fid) + ", district " +
            std::to_string(id) + ": name field \"" + field + "\" is not UTF-8 text (byte " + byte +
            " at character " + std::to_string(bad.column) + "); " +
            (shapefile ? "declare the Shapefile's encoding in " + cpg +
                             " (one line, e.g. GBK or CP936 or 1252; GDAL then converts the "
                             "names to UTF-8) or save the file as UTF-8"
                       : "save the file with UTF-8 text (GeoPackage and GeoJSON text is UTF-8)"));
    };
    layer->ResetReading();
    for (auto &feature : *layer) {
        const int64_t fid = feature->GetFID();
        Item it;
        if (!feature->IsFieldSetAndNotNull(id_idx)) {
            findings.errors.push_back("districts: " + where + ", feature " + std::to_string(fid) +
                                      ": id_field \"" + spec.id_field + "\" is empty");
            continue;
        }
        if (const std::string why = read_int64(*feature, id_idx, it.rec.id); !why.empty()) {
            findings.errors.push_back("districts: " + where + ", feature " + std::to_string(fid) +
                                      ": id_field \"" + spec.id_field + "\" " + why);
            continue;
        }
        if (spec.china_adcode) {
            if (it.rec.id < 100000 || it.rec.id > 999999) {
                findings.errors.push_back(
                    "districts: " + where + ", feature " + std::to_string(fid) + ": id_field \"" +
                    spec.id_field + "\" value " + std::to_string(it.rec.id) +
                    " is not a 6-digit administrative code (100000 to 999999), which "
                    "parents_from_code: china_adcode derives the city and province from");
                continue;
            }
            if (it.rec.id % 10000 == 0) {
                findings.errors.push_back(
                    "districts: " + where + ", feature " + std::to_string(fid) + ": id_field \"" +
                    spec.id_field + "\" value " + std::to_string(it.rec.id) +
                    " is a province's code (it ends in 0000); parents_from_code: china_adcode "
                    "needs county- or city-level districts (give the province-level file without "
                    "parents_from_code)");
                continue;
            }
            for (std::size_t l = 0; l < 2; ++l) {
                it.rec.parent_ids.push_back(china_adcode_parent(it.rec.id, l));
                it.rec.parent_names.emplace_back();
            }
        }
        if (auto [pos, fresh] = first_fid.emplace(it.rec.id, fid); !fresh) {
            findings.errors.push_back("districts: " + where + ", feature " + std::to_string(fid) +
                                      ": duplicate district id " + std::to_string(it.rec.id) +
                                      " (also feature " + std::to_string(pos->second) + ")");
            continue;
        }
        if (name_idx >= 0 && feature->IsFieldSetAndNotNull(name_idx)) {
            it.rec.name = feature->GetFieldAsString(name_idx);
            check_utf8(it.rec.name, fid, it.rec.id, spec.name_field);
        }
        if (name_en_idx >= 0 && feature->IsFieldSetAndNotNull(name_en_idx)) {
            it.rec.name_en = feature->GetFieldAsString(name_en_idx);
            check_utf8(it.rec.name_en, fid, it.rec.id, spec.name_field_en);
        }
        bool parents_ok = true;
        for (std::size_t l = 0; l < parent_idx.size(); ++l) {
            const auto [pid, pname] = parent_idx[l];
            int64_t parent = 0;
            const std::string why = feature->IsFieldSetAndNotNull(pid)
                                        ? read_int64(*feature, pid, parent)
                                        : std::string("is empty");
            if (!why.empty()) {
                findings.errors.push_back("districts: " + where + ", district " +
                                          std::to_string(it.rec.id) + ": parent id_field \"" +
                                          spec.parents[l].id_field + "\" (level \"" +
                                          spec.parents[l].level + "\") " + why);
                parents_ok = false;
                continue;
            }
            it.rec.parent_ids.push_back(parent);
            it.rec.parent_names.emplace_back(pname >= 0 && feature->IsFieldSetAndNotNull(pname)
                                                 ? feature->GetFieldAsString(pname)
                                                 : "");
            check_utf8(it.rec.parent_names.back(), fid, it.rec.id, spec.parents[l].name_field);
        }
        if (!parents_ok) {
            continue;
        }
        const OGRGeometry *g = feature->GetGeometryRef();
        if (g == nullptr || g->IsEmpty()) {
            it.rec.empty_geometry = true;
            findings.warnings.push_back("districts: " + where + ", district " +
                                        std::to_string(it.rec.id) +
                                        ": empty geometry; reported with zero area");
        } else {
            const auto flat = wkbFlatten(g->getGeometryType());
            if (flat != wkbPolygon && flat != wkbMultiPolygon && flat != wkbCurvePolygon &&
                flat != wkbMultiSurface && flat != wkbGeometryCollection) {
                findings.errors.push_back("districts: " + where + ", district " +
                                          std::to_string(it.rec.id) + ": geometry is a " +
                                          OGRGeometryTypeToName(g->getGeometryType()) +
                                          ", not a polygon");
                continue;
            }
            it.geom.reset(g->getLinearGeometry());
            // NaN or infinite coordinates have no place on any grid (and GEOS's validity check
            // and the coverage computation assume finite ones).
            if (const BadVertex bad = first_non_finite_vertex(it.geom.get()); bad.found) {
                findings.errors.push_back("districts: " + where + ", district " +
                                          std::to_string(it.rec.id) + " (feature " +
                                          std::to_string(fid) + "): " + bad.text());
                continue;
            }
            // GCJ-02 -> WGS 84 in the layer's own longitudes and latitudes, before anything
            // else looks at the shape (raster/gcj02.hpp: vertices suffice, no densifying).
            if (spec.gcj02 && !gcj02_to_wgs84(*it.geom)) {
                findings.errors.push_back("districts: " + where + ", district " +
                                          std::to_string(it.rec.id) +
                                          ": cannot be converted from GCJ-02 to WGS 84");
                continue;
            }
            // A ring crossing the antimeridian is unwrapped before the validity check (written
            // from 179 to -179 it would look like a band round the globe) when the layer's
            // coordinates are longitudes, and after the reprojection below when the grid's are.
            bool crossed = layer_period > 0.0 && unwrap_rings(it.geom.get(), layer_period);
            if (!it.geom->IsValid()) {
                std::unique_ptr<OGRGeometry> fixed(it.geom->MakeValid());
                if (!fixed || fixed->IsEmpty()) {
                    findings.errors.push_back("districts: " + where + ", district " +
                                              std::to_string(it.rec.id) +
                                              ": invalid geometry that cannot be repaired");
                    continue;
                }
                findings.warnings.push_back("districts: " + where + ", district " +
                                            std::to_string(it.rec.id) +
                                            ": invalid geometry (e.g. self-intersection) repaired "
                                            "with GEOS MakeValid");
                it.geom = std::move(fixed);
            }
            if (ct && it.geom->transform(ct.get()) != OGRERR_NONE) {
                findings.errors.push_back("districts: " + where + ", district " +
                                          std::to_string(it.rec.id) +
                                          ": cannot be reprojected to the grid CRS");
                continue;
            }
            if (grid_period > 0.0) {
                crossed = unwrap_rings(it.geom.get(), grid_period) || crossed;
                if (wrap_copies) {
                    if (auto placed =
                            place_on_longitudes(*it.geom, grid_period, grid_west, grid_east)) {
                        it.geom = std::move(placed);
                    }
                }
            }
            if (crossed) {
                findings.warnings.push_back(
                    "districts: " + where + ", district " + std::to_string(it.rec.id) +
                    ": a ring crosses the antimeridian (consecutive vertices more than 180° of "
                    "longitude apart): it is taken the short way across ±180°, not the long "
                    "way round the globe");
            }
        }
        items.push_back(std::move(it));
    }
    if (items.empty() && findings.errors.size() == errors_before) {
        findings.errors.push_back("districts: " + at_layer +
                                  ": the layer has no features, so there are no districts");
    }
    std::sort(items.begin(), items.end(),
              [](const Item &a, const Item &b) { return a.rec.id < b.rec.id; });
    for (auto &it : items) {
        OGREnvelope env;
        if (it.geom) {
            it.geom->getEnvelope(&env);
        }
        m_records.push_back(it.rec);
        m_impl->envelopes.push_back(env);
        m_impl->geoms.push_back(std::move(it.geom));
    }
}

VectorDistricts::~VectorDistricts() = default;

void VectorDistricts::rasterize(const Window &w, int32_t *out) const {
    const auto &gt = m_grid.geotransform;
    // Window extent in grid coordinates (north-up grids; rotated grids fall back to no filter).
    const double x0 = gt[0] + gt[1] * static_cast<double>(w.x_off);
    const double x1 = gt[0] + gt[1] * static_cast<double>(w.x_off + w.x_size);
    const double y0 = gt[3] + gt[5] * static_cast<double>(w.y_off);
    const double y1 = gt[3] + gt[5] * static_cast<double>(w.y_off + w.y_size);
    OGREnvelope win;
    win.MinX = std::min(x0, x1);
    win.MaxX = std::max(x0, x1);
    win.MinY = std::min(y0, y1);
    win.MaxY = std::max(y0, y1);
    const bool rotated = gt[2] != 0.0 || gt[4] != 0.0;

    std::vector<OGRGeometryH> geoms;
    std::vector<double> burn;
    for (std::size_t i = 0; i < m_records.size(); ++i) {
        const auto &g = m_impl->geoms[i];
        if (!g || (!rotated && !m_impl->envelopes[i].Intersects(win))) {
            continue;
        }
        geoms.push_back(OGRGeometry::ToHandle(g.get()));
        burn.push_back(static_cast<double>(i + 1));
    }
    const auto n = static_cast<std::size_t>(w.cells());
    std::fill(out, out + n, 0);
    if (geoms.empty()) {
        return;
    }
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH ds = GDALCreate(mem, "", static_cast<int>(w.x_size), static_cast<int>(w.y_size), 1,
                                 GDT_Int32, nullptr);
    if (ds == nullptr) {
        throw RasterError("cannot rasterize districts: window at x " + std::to_string(w.x_off) +
                          ", y " + std::to_string(w.y_off) + ": " + last_gdal_error());
    }
    double wgt[6] = {
        gt[0] + gt[1] * static_cast<double>(w.x_off) + gt[2] * static_cast<double>(w.y_off),
        gt[1],
        gt[2],
        gt[3] + gt[4] * static_cast<double>(w.x_off) + gt[5] * static_cast<double>(w.y_off),
        gt[4],
        gt[5]};
    GDALSetGeoTransform(ds, wgt);
    int band = 1;
    const CPLErr err =
        GDALRasterizeGeometries(ds, 1, &band, static_cast<int>(geoms.size()), geoms.data(), nullptr,
                                nullptr, burn.data(), nullptr, nullptr, nullptr);
    CPLErr rerr = CE_Failure;
    if (err == CE_None) {
        rerr = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, static_cast<int>(w.x_size),
                            static_cast<int>(w.y_size), out, static_cast<int>(w.x_size),
                            static_cast<int>(w.y_size), GDT_Int32, 0, 0);
    }
    GDALClose(ds);
    if (err != CE_None || rerr != CE_None) {
        throw RasterError("cannot rasterize districts: window at x " + std::to_string(w.x_off) +
                          ", y " + std::to_string(w.y_off) + ": " + last_gdal_error());
    }
}

} // namespace cs::raster

namespace cs::raster {

namespace {

/// Collect the polygon rings of `g` in pixel coordinates (inverse geotransform `inv`).
void collect_rings(const OGRGeometry *g, const double *inv, std::vector<PixelRing> &rings,
                   std::vector<bool> &holes) {
    if (g == nullptr || g->IsEmpty()) {
        return;
    }
    const auto type = wkbFlatten(g->getGeometryType());
    auto add_ring = [&](const OGRLinearRing *ring, bool hole) {
        PixelRing pr;
        const int n = ring->getNumPoints();
        pr.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            const double x = ring->getX(i);
            const double y = ring->getY(i);
            pr.emplace_back(inv[0] + inv[1] * x + inv[2] * y, inv[3] + inv[4] * x + inv[5] * y);
        }
        if (pr.size() > 1 && pr.front() == pr.back()) {
            pr.pop_back();
        }
        rings.push_back(std::move(pr));
        holes.push_back(hole);
    };
    if (type == wkbPolygon) {
        const auto *poly = g->toPolygon();
        add_ring(poly->getExteriorRing(), false);
        for (int i = 0; i < poly->getNumInteriorRings(); ++i) {
            add_ring(poly->getInteriorRing(i), true);
        }
    } else if (type == wkbMultiPolygon || type == wkbGeometryCollection) {
        // Points and lines of a repaired collection have no area and are skipped.
        for (const auto *part : *g->toGeometryCollection()) {
            collect_rings(part, inv, rings, holes);
        }
    }
}

} // namespace

CoverageIndex VectorDistricts::build_coverage(CoverageMode mode, int threads) const {
    const int64_t width = m_grid.width;
    const int64_t height = m_grid.height;
    threads = std::max(1, threads);
    std::vector<std::vector<RowCoverageEntry>> parts(static_cast<std::size_t>(threads));
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
    std::atomic<std::size_t> next{0};
    // Everything the worker threads capture by reference lives at function scope: the threads
    // are joined only after the branches below.
    double inv[6] = {0, 0, 0, 0, 0, 0};
    RowAreaProfiles profiles;
    const int64_t band = std::max<int64_t>(1, std::min<int64_t>(256, (1 << 22) / width));
    const auto n_bands = static_cast<std::size_t>((height + band - 1) / band);
    // Start `threads` workers running `work(t)`. When the system refuses a thread (a process or
    // thread limit), the workers already started take the remaining items (they share `next`),
    // or this thread does the work alone: never std::terminate from a joinable std::thread.
    std::vector<std::thread> pool;
    auto launch = [&](auto &&work) {
        for (int t = 0; t < threads; ++t) {
            try {
                pool.emplace_back(work, t);
            } catch (const std::system_error &) {
                break;
            }
        }
        if (pool.empty()) {
            work(0);
        }
    };
    if (mode == CoverageMode::exact) {
        if (!GDALInvGeoTransform(const_cast<double *>(m_grid.geotransform.data()), inv)) {
            throw RasterError("cannot compute district coverage: the reference grid's "
                              "geotransform cannot be inverted");
        }
        // Geographic grids: fractions are shares of each pixel's true ellipsoidal area.
        if (!m_grid.crs_wkt.empty()) {
            profiles = row_area_profiles(m_grid);
        }
        launch([&](int t) {
            try {
                std::vector<PixelRing> rings;
                std::vector<bool> holes;
                for (std::size_t i = next++; i < m_records.size(); i = next++) {
                    rings.clear();
                    holes.clear();
                    collect_rings(m_impl->geoms[i].get(), inv, rings, holes);
                    exact_polygon_coverage(rings, holes, static_cast<uint32_t>(i), width, height,
                                           parts[static_cast<std::size_t>(t)], &profiles);
                }
            } catch (...) {
                errors[static_cast<std::size_t>(t)] = std::current_exception();
            }
        });
    } else {
        launch([&](int t) {
            try {
                std::vector<int32_t> labels;
                for (std::size_t b = next++; b < n_bands; b = next++) {
                    const int64_t y0 = static_cast<int64_t>(b) * band;
                    const Window w{0, y0, width, std::min(band, height - y0)};
                    labels.resize(static_cast<std::size_t>(w.cells()));
                    rasterize(w, labels.data());
                    for (int64_t r = 0; r < w.y_size; ++r) {
                        int32_t *row = labels.data() + r * width;
                        for (int64_t x = 0; x < width; ++x) {
                            row[x] -= 1;
                        }
                        runs_from_labels(row, width, y0 + r, parts[static_cast<std::size_t>(t)]);
                    }
                }
            } catch (...) {
                errors[static_cast<std::size_t>(t)] = std::current_exception();
            }
        });
    }
    for (auto &th : pool) {
        th.join();
    }
    for (auto &e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
    return CoverageIndex(height, std::move(parts));
}

int64_t china_adcode_parent(int64_t code, std::size_t level) {
    // GB/T 2260: digits 1-2 province, 3-4 city (prefecture), 5-6 county.
    return level == 0 ? code / 100 * 100 : code / 10000 * 10000;
}

std::map<int64_t, std::string> read_code_names(const std::string &label, const std::string &path,
                                               const std::string &path_as_written,
                                               const std::string &config_at, Findings &findings) {
    init_gdal();
    std::map<int64_t, std::string> names;
    const std::string where =
        label + " (" + path_as_written + ")" + (config_at.empty() ? "" : ", " + config_at);
    VSIStatBufL st;
    if (VSIStatL(path.c_str(), &st) != 0) {
        findings.errors.push_back("cannot open " + label + ": " + where + ": file not found");
        return names;
    }
    CPLErrorReset();
    std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset *>(
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
    OGRLayer *layer = ds && ds->GetLayerCount() > 0 ? ds->GetLayer(0) : nullptr;
    if (layer == nullptr) {
        findings.errors.push_back(
            "cannot open " + label + ": " + where + ": " +
            (CPLGetLastErrorNo() != 0 ? last_gdal_error()
                                      : std::string("not a table GDAL can read")) +
            "; give a CSV with a header line code,name or a vector file with fields adcode and "
            "name");
        return names;
    }
    OGRFeatureDefn *defn = layer->GetLayerDefn();
    int code_idx = defn->GetFieldIndex("code");
    if (code_idx < 0) {
        code_idx = defn->GetFieldIndex("adcode");
    }
    const int name_idx = defn->GetFieldIndex("name");
    if (code_idx < 0 || name_idx < 0) {
        std::string fields;
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            fields += (i ? ", " : "") + std::string(defn->GetFieldDefn(i)->GetNameRef());
        }
        findings.errors.push_back(
            "invalid " + where + ": " +
            (code_idx < 0 ? std::string("no column code (or adcode)") : std::string("")) +
            (code_idx < 0 && name_idx < 0 ? " and " : "") + (name_idx < 0 ? "no column name" : "") +
            "; its columns are: " + (fields.empty() ? std::string("(none)") : fields) +
            "; give a CSV whose first line is code,name (or a vector file with fields adcode and "
            "name)");
        return names;
    }
    layer->ResetReading();
    for (auto &feature : *layer) {
        const std::string row = "feature " + std::to_string(feature->GetFID());
        int64_t code = 0;
        const std::string why = feature->IsFieldSetAndNotNull(code_idx)
                                    ? read_int64(*feature, code_idx, code)
                                    : std::string("is empty");
        if (!why.empty()) {
            findings.errors.push_back("invalid " + where + ", " + row + ": code " + why);
            continue;
        }
        const std::string name =
            feature->IsFieldSetAndNotNull(name_idx) ? feature->GetFieldAsString(name_idx) : "";
        if (const Utf8Problem bad = find_invalid_utf8(name); bad.found) {
            findings.errors.push_back("invalid " + where + ", " + row + ": the name of code " +
                                      std::to_string(code) +
                                      " is not UTF-8 text; save the table as UTF-8");
            continue;
        }
        auto [it, fresh] = names.emplace(code, name);
        if (!fresh && it->second != name) {
            findings.errors.push_back("invalid " + where + ", " + row + ": code " +
                                      std::to_string(code) + " is named twice (" + it->second +
                                      ", " + name + "); keep one name per code");
        }
    }
    return names;
}

} // namespace cs::raster
