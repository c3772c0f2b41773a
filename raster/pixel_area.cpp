// Pixel areas: PROJ areal-scale-corrected on projected grids, per-row ellipsoidal on geographic.
#include "raster/pixel_area.hpp"

#include "raster/raster_error.hpp"

#include <cpl_string.h>
#include <ogr_spatialref.h>
#include <ogr_srs_api.h>
#include <proj.h>
#include <proj_experimental.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <numbers>

namespace cs::raster {

namespace detail {

/// PROJ set-up that turns a projected CRS into the single projection step proj_factors needs:
/// input longitude/latitude in radians (Greenwich), output easting/northing in metres. This is
/// what PROJ >= 9.2 does inside proj_factors for a projected CRS; PROJ 9.1 rebuilds it on every
/// call (about 10 ms) and returns wrong factors for northing/easting axes or non-metre units
/// (seen with EPSG:4547 and EPSG:2263), so it is built once here. Not thread-safe: one instance
/// per thread.
class ScaleEvaluator {
public:
    ScaleEvaluator() = default;
    ~ScaleEvaluator() { reset(); }
    ScaleEvaluator(const ScaleEvaluator &) = delete;
    ScaleEvaluator &operator=(const ScaleEvaluator &) = delete;

    /// Set up for `crs_text` (WKT, PROJ string or "AUTH:code"); returns "" or why it failed.
    std::string open(const std::string &crs_text);

    /// Areal scale factor at (x, y), easting and northing in the CRS's linear unit; false when
    /// PROJ cannot evaluate it there (outside the projection's domain).
    bool at(double x, double y, double &scale) const;

private:
    void reset() {
        if (m_op != nullptr) {
            proj_destroy(m_op);
            m_op = nullptr;
        }
        if (m_ctx != nullptr) {
            proj_context_destroy(m_ctx);
            m_ctx = nullptr;
        }
    }

    PJ_CONTEXT *m_ctx = nullptr;
    PJ *m_op = nullptr;
    double m_to_m = 1.0;
};

/// Owns a PJ for the duration of a scope.
struct PjPtr {
    PJ *p = nullptr;
    explicit PjPtr(PJ *pj) : p(pj) {}
    ~PjPtr() {
        if (p != nullptr) {
            proj_destroy(p);
        }
    }
    PjPtr(const PjPtr &) = delete;
    PjPtr &operator=(const PjPtr &) = delete;
    void reset(PJ *pj) {
        if (p != nullptr) {
            proj_destroy(p);
        }
        p = pj;
    }
};

std::string ScaleEvaluator::open(const std::string &crs_text) {
    reset();
    m_ctx = proj_context_create();
    if (m_ctx == nullptr) {
        return "PROJ cannot create a context";
    }
    proj_log_level(m_ctx, PJ_LOG_NONE);
    // Use the same PROJ database as GDAL when GDAL was told where it is.
    char **paths = OSRGetPROJSearchPaths();
    if (paths != nullptr && CSLCount(paths) > 0) {
        proj_context_set_search_paths(m_ctx, CSLCount(paths), paths);
    }
    CSLDestroy(paths);

    std::string text = crs_text;
    if (!text.empty() && text[0] == '+' && text.find("+type=crs") == std::string::npos) {
        text += " +type=crs";
    }
    PjPtr crs(proj_create(m_ctx, text.c_str()));
    if (crs.p == nullptr) {
        return "PROJ cannot read the CRS definition";
    }
    if (proj_get_type(crs.p) == PJ_TYPE_BOUND_CRS) {
        crs.reset(proj_get_source_crs(m_ctx, crs.p));
    }
    if (crs.p != nullptr && proj_get_type(crs.p) == PJ_TYPE_COMPOUND_CRS) {
        crs.reset(proj_crs_get_sub_crs(m_ctx, crs.p, 0));
    }
    if (crs.p == nullptr || proj_get_type(crs.p) != PJ_TYPE_PROJECTED_CRS) {
        return "not a projected CRS";
    }
    PjPtr cs(proj_crs_get_coordinate_system(m_ctx, crs.p));
    double to_m = 0.0;
    if (cs.p == nullptr ||
        proj_cs_get_axis_info(m_ctx, cs.p, 0, nullptr, nullptr, nullptr, &to_m, nullptr, nullptr,
                              nullptr) == 0 ||
        !(to_m > 0.0)) {
        return "the CRS has no linear unit PROJ can convert to metres";
    }
    m_to_m = to_m;

    PjPtr geodetic(proj_crs_get_geodetic_crs(m_ctx, crs.p));
    PjPtr conversion(proj_crs_get_coordoperation(m_ctx, crs.p));
    if (geodetic.p == nullptr || conversion.p == nullptr) {
        return "PROJ cannot split the CRS into its geodetic CRS and map projection";
    }
    PjPtr lonlat_cs(
        proj_create_ellipsoidal_2D_cs(m_ctx, PJ_ELLPS2D_LONGITUDE_LATITUDE, "Radian", 1.0));
    double pm_longitude = 0.0;
    {
        PjPtr pm(proj_get_prime_meridian(m_ctx, geodetic.p));
        if (pm.p != nullptr) {
            proj_prime_meridian_get_parameters(m_ctx, pm.p, &pm_longitude, nullptr, nullptr);
        }
    }
    PjPtr geog(nullptr);
    if (pm_longitude != 0.0) {
        // Same ellipsoid, Greenwich meridian: longitudes in are Greenwich longitudes.
        PjPtr ellipsoid(proj_get_ellipsoid(m_ctx, geodetic.p));
        double a = 0.0;
        double inv_f = 0.0;
        if (ellipsoid.p == nullptr ||
            proj_ellipsoid_get_parameters(m_ctx, ellipsoid.p, &a, nullptr, nullptr, &inv_f) == 0) {
            return "PROJ cannot read the ellipsoid of the CRS";
        }
        geog.reset(proj_create_geographic_crs(m_ctx, "unnamed", "unnamed datum",
                                              proj_get_name(ellipsoid.p), a, inv_f, "Greenwich",
                                              0.0, nullptr, 0.0, lonlat_cs.p));
    } else {
        PjPtr datum(proj_crs_get_datum(m_ctx, geodetic.p));
        PjPtr ensemble(proj_crs_get_datum_ensemble(m_ctx, geodetic.p));
        geog.reset(proj_create_geographic_crs_from_datum(
            m_ctx, "unnamed", datum.p != nullptr ? datum.p : ensemble.p, lonlat_cs.p));
    }
    PjPtr en_cs(proj_create_cartesian_2D_cs(m_ctx, PJ_CART2D_EASTING_NORTHING, "metre", 1.0));
    PjPtr normalized(
        proj_create_projected_crs(m_ctx, "normalized", geodetic.p, conversion.p, en_cs.p));
    if (geog.p == nullptr || normalized.p == nullptr) {
        return "PROJ cannot build the longitude/latitude to easting/northing operation";
    }
    m_op = proj_create_crs_to_crs_from_pj(m_ctx, geog.p, normalized.p, nullptr, nullptr);
    if (m_op == nullptr) {
        return "PROJ cannot build the longitude/latitude to easting/northing operation";
    }
    const char *def = proj_as_proj_string(m_ctx, m_op, PJ_PROJ_5, nullptr);
    if (def == nullptr || std::string(def).find("+proj=pipeline") != std::string::npos) {
        // proj_factors differentiates the operation as one projection: a pipeline (datum shift,
        // unit or axis steps) would give meaningless factors.
        std::string why = "PROJ expresses the map projection as a pipeline";
        if (def != nullptr) {
            why += " (";
            why += def;
            why += ")";
        }
        why += ", which proj_factors cannot evaluate";
        return why;
    }
    return {};
}

bool ScaleEvaluator::at(double x, double y, double &scale) const {
    if (m_op == nullptr) {
        return false;
    }
    const PJ_COORD xy = proj_coord(x * m_to_m, y * m_to_m, 0.0, 0.0);
    proj_errno_reset(m_op);
    const PJ_COORD lp = proj_trans(m_op, PJ_INV, xy);
    if (proj_errno(m_op) != 0 || !std::isfinite(lp.lp.lam) || !std::isfinite(lp.lp.phi)) {
        return false;
    }
    // Outside their domain some inverse projections return a point that does not project back.
    const PJ_COORD back = proj_trans(m_op, PJ_FWD, lp);
    if (proj_errno(m_op) != 0 || !(std::hypot(back.xy.x - xy.xy.x, back.xy.y - xy.xy.y) < 1e-3)) {
        return false;
    }
    const PJ_FACTORS f = proj_factors(m_op, lp);
    if (proj_errno(m_op) != 0 || !std::isfinite(f.areal_scale) || !(f.areal_scale > 0.0)) {
        return false;
    }
    scale = f.areal_scale;
    return true;
}

} // namespace detail

namespace {

using detail::ScaleEvaluator;

constexpr int64_t LATTICE_SPACING_PX = 64;
constexpr int SAMPLES_PER_AXIS = 17;
constexpr double EQUAL_AREA_TOLERANCE = 1e-9;
constexpr double INTERPOLATION_TOLERANCE = 1e-9;
constexpr int CHECK_CELLS = 16;
constexpr double MAX_NODES = 4.0 * 1024 * 1024;

/// A CRS as shown in messages: short inputs verbatim, WKT by its short name.
std::string crs_label(const std::string &crs_text) {
    if (crs_text.size() <= 80 && crs_text.find('[') == std::string::npos) {
        return "\"" + crs_text + "\"";
    }
    return crs_short_name(crs_text);
}

std::string fmt_g(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

/// A latitude in degrees as shown in messages: "89.5°N", "12°S", "0°".
std::string fmt_lat(double lat_deg) {
    if (lat_deg == 0.0) {
        return "0°";
    }
    return fmt_g(std::fabs(lat_deg)) + (lat_deg > 0.0 ? "°N" : "°S");
}

/// Rows (or row ranges) as shown in messages: "row 0", "rows 0 to 4".
std::string fmt_rows(int64_t first, int64_t last) {
    return first == last ? "row " + std::to_string(first)
                         : "rows " + std::to_string(first) + " to " + std::to_string(last);
}

/// A geographic grid's ellipsoid and angular unit, with its rows checked against the poles.
struct GeographicGrid {
    double semi_major_m = 0.0;
    double inv_flattening = 0.0;
    double unit_deg = 1.0; ///< degrees per CRS angular unit (almost always 1)
    std::string ellipsoid;
    std::string warning; ///< rows straddling a pole, more than 360° of longitude; or empty

    /// Latitude of the top edge of row r (of the bottom edge of row r - 1), degrees, unclipped.
    double edge_lat_deg(const GridSpec &grid, int64_t r) const {
        return (grid.geotransform[3] + grid.geotransform[5] * static_cast<double>(r)) * unit_deg;
    }
};

/// Read the ellipsoid and unit of a geographic grid and check its rows and columns (file
/// comment of pixel_area.hpp). Throws RasterError for a rotated grid or a row wholly beyond a
/// pole; `label` names the grid in messages.
GeographicGrid geographic_grid(const GridSpec &grid, const OGRSpatialReference &srs,
                               const std::string &label) {
    const auto &gt = grid.geotransform;
    if (gt[2] != 0.0 || gt[4] != 0.0) {
        throw RasterError("pixel area: " + label + ": rotated geographic grids are not supported");
    }
    GeographicGrid geo;
    OGRErr err = OGRERR_NONE;
    geo.semi_major_m = srs.GetSemiMajor(&err);
    geo.inv_flattening = srs.GetInvFlattening(&err);
    geo.unit_deg = srs.GetAngularUnits(nullptr) * 180.0 / std::numbers::pi;
    if (std::fabs(geo.unit_deg - 1.0) < 1e-12) {
        // Degrees, stored as radians per unit: without this the latitudes of row edges would
        // move by up to 1e-14°, 4e-11 of a 1" row.
        geo.unit_deg = 1.0;
    }
    const char *ell = srs.GetAttrValue("ELLIPSOID");
    if (ell == nullptr) {
        ell = srs.GetAttrValue("SPHEROID");
    }
    geo.ellipsoid = ell != nullptr ? ell : "unnamed ellipsoid";

    // Rows beyond the poles. A row whose ground part is below 1e-9 of its height lies wholly
    // beyond; a row reaching beyond by less than that is clipped without a warning (rounding
    // of a geotransform meant to end at the pole).
    const double row_deg = std::fabs(gt[5]) * geo.unit_deg;
    const double slack = 1e-9 * row_deg;
    std::vector<std::string> beyond;
    std::vector<std::string> straddling;
    auto check_pole = [&](double sign, const char *pole) {
        // Rows are scanned from the grid's edge nearest this pole.
        int64_t first_beyond = -1;
        int64_t last_beyond = -1;
        for (int64_t i = 0; i < grid.height; ++i) {
            const int64_t r = (gt[5] < 0.0) == (sign > 0.0) ? i : grid.height - 1 - i;
            const double a = sign * geo.edge_lat_deg(grid, r);
            const double b = sign * geo.edge_lat_deg(grid, r + 1);
            const double inner = std::min(a, b); // the edge nearer the equator
            const double outer = std::max(a, b);
            if (inner >= 90.0 - slack) {
                first_beyond = first_beyond < 0 ? r : std::min(first_beyond, r);
                last_beyond = std::max(last_beyond, r);
                continue;
            }
            if (outer > 90.0 + slack) {
                straddling.push_back("row " + std::to_string(r) + " spans " +
                                     fmt_lat(sign * inner) + " to " + fmt_lat(sign * outer) + ", " +
                                     fmt_g(outer - 90.0) + "° beyond the " + pole);
            }
            break;
        }
        if (first_beyond >= 0) {
            beyond.push_back(
                fmt_rows(first_beyond, last_beyond) + " (" +
                fmt_lat(sign * std::max(sign * geo.edge_lat_deg(grid, first_beyond),
                                        sign * geo.edge_lat_deg(grid, last_beyond + 1))) +
                " to " + fmt_lat(sign * 90.0) + ") " +
                (first_beyond == last_beyond ? "lies" : "lie") + " wholly beyond the " + pole);
        }
    };
    check_pole(1.0, "North Pole");
    check_pole(-1.0, "South Pole");
    if (!beyond.empty()) {
        std::string msg = "pixel area: " + label + ": ";
        for (std::size_t i = 0; i < beyond.size(); ++i) {
            msg += (i ? "; " : "") + beyond[i];
        }
        throw RasterError(msg + ": there is no ground beyond a pole, so the geotransform or the "
                                "CRS is wrong");
    }
    if (!straddling.empty()) {
        geo.warning = "pixel area: " + label + ": ";
        for (std::size_t i = 0; i < straddling.size(); ++i) {
            geo.warning += (i ? "; " : "") + straddling[i];
        }
        geo.warning += straddling.size() == 1
                           ? ": its pixels count only their ground up to the pole (the part "
                             "beyond has no area)"
                           : ": their pixels count only their ground up to the pole (the part "
                             "beyond has no area)";
    }
    const double lon_span = std::fabs(gt[1]) * static_cast<double>(grid.width) * geo.unit_deg;
    if (lon_span > 360.0 * (1.0 + 1e-12)) {
        geo.warning += (geo.warning.empty() ? "pixel area: " + label + ": " : "; also ") +
                       std::string("the grid spans ") + fmt_g(lon_span) +
                       "° of longitude: the ground under its last " + fmt_g(lon_span - 360.0) +
                       "° is also under its first, so it is counted twice (districts are not "
                       "wrapped around the antimeridian on such a grid)";
    }
    return geo;
}

/// The CRS of a grid; throws RasterError when it is missing or unreadable.
void read_grid_crs(const GridSpec &grid, const std::string &label, OGRSpatialReference &srs) {
    if (grid.crs_wkt.empty()) {
        throw RasterError("pixel area: " + label +
                          ": the raster has no CRS, so pixel areas are unknown (assign one with "
                          "gdal_edit.py -a_srs)");
    }
    if (srs.importFromWkt(grid.crs_wkt.c_str()) != OGRERR_NONE) {
        throw RasterError("pixel area: " + label + ": the CRS definition cannot be read");
    }
}

/// Pixel centre (px, py in pixel units from the grid origin) to map coordinates.
void pixel_to_map(const GridSpec &grid, double px, double py, double &x, double &y) {
    const auto &gt = grid.geotransform;
    x = gt[0] + px * gt[1] + py * gt[2];
    y = gt[3] + px * gt[4] + py * gt[5];
}

} // namespace

double ellipsoid_zone_area_m2(double lat_deg, double semi_major_m, double inv_flattening) {
    const double a = semi_major_m;
    const double f = inv_flattening > 0.0 ? 1.0 / inv_flattening : 0.0;
    const double b = a * (1.0 - f);
    const double s = std::sin(lat_deg * std::numbers::pi / 180.0);
    if (f == 0.0) {
        return 2.0 * std::numbers::pi * a * a * s; // sphere
    }
    const double e = std::sqrt(1.0 - (b * b) / (a * a));
    const double es = e * s;
    return std::numbers::pi * b * b * (std::atanh(es) / e + s / ((1.0 + es) * (1.0 - es)));
}

double ellipsoid_cell_area_m2(double lat1_deg, double lat2_deg, double dlon_deg,
                              double semi_major_m, double inv_flattening) {
    // Z(phi2) - Z(phi1) without subtracting the two zone areas, which would lose up to
    // Z / dZ ulps (1e-7 relative for a 1" row near a pole). With s = sin(phi), q = 1 - e^2 s^2
    // and ds = s2 - s1 = 2 cos((phi1 + phi2) / 2) sin((phi2 - phi1) / 2):
    //   atanh(e s2) - atanh(e s1) = atanh(e ds / (1 - e^2 s1 s2)),
    //   s2 / q2 - s1 / q1 = ds (1 + e^2 s1 s2) / (q1 q2).
    const double deg = std::numbers::pi / 180.0;
    const double a = semi_major_m;
    const double f = inv_flattening > 0.0 ? 1.0 / inv_flattening : 0.0;
    const double s1 = std::sin(lat1_deg * deg);
    const double s2 = std::sin(lat2_deg * deg);
    const double ds = 2.0 * std::cos(0.5 * (lat1_deg + lat2_deg) * deg) *
                      std::sin(0.5 * (lat2_deg - lat1_deg) * deg);
    double dz = 0.0;
    if (f == 0.0) {
        dz = 2.0 * std::numbers::pi * a * a * ds; // sphere
    } else {
        const double b = a * (1.0 - f);
        const double e2 = f * (2.0 - f);
        const double e = std::sqrt(e2);
        dz = std::numbers::pi * b * b *
             (std::atanh(e * ds / (1.0 - e2 * s1 * s2)) / e +
              ds * (1.0 + e2 * s1 * s2) / ((1.0 - e2 * s1 * s1) * (1.0 - e2 * s2 * s2)));
    }
    return std::fabs(dz) * std::fabs(dlon_deg) / 360.0;
}

double projected_areal_scale(const std::string &crs_wkt, double x, double y) {
    struct Cache {
        std::string text;
        std::unique_ptr<ScaleEvaluator> evaluator;
        std::string why;
    };
    thread_local Cache cache;
    if (!cache.evaluator || cache.text != crs_wkt) {
        cache.evaluator = std::make_unique<ScaleEvaluator>();
        cache.why = cache.evaluator->open(crs_wkt);
        cache.text = crs_wkt;
    }
    if (!cache.why.empty()) {
        throw RasterError("areal scale factor: CRS " + crs_label(crs_wkt) + ": " + cache.why);
    }
    double scale = 0.0;
    if (!cache.evaluator->at(x, y, scale)) {
        throw RasterError("areal scale factor: CRS " + crs_label(crs_wkt) + ", point (" + fmt_g(x) +
                          ", " + fmt_g(y) +
                          "): PROJ cannot evaluate it there (outside the projection's domain)");
    }
    return scale;
}

std::size_t PixelArea::memory_bound_bytes(int64_t height) {
    // Per-row areas (geographic grids) or the lattice (projected): node values, failure flags
    // and the fill queue of build_lattice; the weight tables are a few kB.
    return static_cast<std::size_t>(std::max<int64_t>(height, 0)) * sizeof(double) +
           static_cast<std::size_t>(MAX_NODES) * (sizeof(double) + 1 + sizeof(std::size_t));
}

void PixelArea::LatticeAxis::build(int64_t pixels, int64_t max_spacing) {
    const int64_t span = std::max<int64_t>(pixels - 1, 0);
    spacing = span >= 3 * max_spacing ? max_spacing : std::max<int64_t>(1, (span + 2) / 3);
    last = std::max<int64_t>(3, (span + spacing - 1) / spacing);
    const auto offsets = static_cast<std::size_t>(spacing + 1);
    weights.assign(3 * offsets * 4, 0.0);
    for (std::size_t shift = 0; shift < 3; ++shift) {
        for (std::size_t j = 0; j < offsets; ++j) {
            // Position in units of the spacing, relative to the first node of the stencil.
            const double t =
                static_cast<double>(shift) + static_cast<double>(j) / static_cast<double>(spacing);
            for (int m = 0; m < 4; ++m) {
                double w = 1.0;
                for (int k = 0; k < 4; ++k) {
                    if (k != m) {
                        w *= (t - k) / static_cast<double>(m - k);
                    }
                }
                weights[(shift * offsets + j) * 4 + static_cast<std::size_t>(m)] = w;
            }
        }
    }
}

const double *PixelArea::LatticeAxis::stencil(int64_t p, int64_t &first) const {
    const int64_t i = std::min(p / spacing, last - 1);
    first = std::clamp<int64_t>(i - 1, 0, last - 3);
    const auto shift = static_cast<std::size_t>(i - first);
    const auto j = static_cast<std::size_t>(p - i * spacing);
    return &weights[(shift * static_cast<std::size_t>(spacing + 1) + j) * 4];
}

void PixelArea::throw_varies_along_row() const {
    throw RasterError("pixel area: " + m_label +
                      ": areas vary along each row with the areal scale factor of the projection "
                      "(" +
                      m_method + "); use row_areas_ha, not row_area_ha");
}

PixelArea::PixelArea(const GridSpec &grid, const std::string &label)
    : m_width(grid.width), m_height(grid.height), m_label(label) {
    OGRSpatialReference srs;
    read_grid_crs(grid, label, srs);
    if (srs.IsGeographic()) {
        setup_geographic(grid, srs);
        return;
    }
    const double to_m = srs.GetLinearUnits(nullptr);
    if (!(to_m > 0.0)) {
        throw RasterError("pixel area: " + label + ": the CRS has no linear unit");
    }
    setup_projected(grid, to_m);
}

void PixelArea::setup_geographic(const GridSpec &grid, const OGRSpatialReference &srs) {
    const GeographicGrid geo = geographic_grid(grid, srs, m_label);
    m_kind = Kind::ellipsoidal_rows;
    m_row_ha.resize(static_cast<std::size_t>(grid.height));
    const double dlon_deg = grid.geotransform[1] * geo.unit_deg;
    for (int64_t r = 0; r < grid.height; ++r) {
        // Only the ground part of a row straddling a pole has area.
        const double lat1 = std::clamp(geo.edge_lat_deg(grid, r), -90.0, 90.0);
        const double lat2 = std::clamp(geo.edge_lat_deg(grid, r + 1), -90.0, 90.0);
        m_row_ha[static_cast<std::size_t>(r)] =
            ellipsoid_cell_area_m2(lat1, lat2, dlon_deg, geo.semi_major_m, geo.inv_flattening) /
            10000.0;
    }
    m_method = "ellipsoidal per row (" + geo.ellipsoid + ")";
    m_warning = geo.warning;
}

RowAreaProfiles row_area_profiles(const GridSpec &grid) {
    OGRSpatialReference srs;
    read_grid_crs(grid, "reference grid", srs);
    if (!srs.IsGeographic()) {
        return {};
    }
    const GeographicGrid geo = geographic_grid(grid, srs, "reference grid");
    const double f = geo.inv_flattening > 0.0 ? 1.0 / geo.inv_flattening : 0.0;
    const double e2 = f * (2.0 - f);
    const double deg = std::numbers::pi / 180.0;
    // Area density per unit latitude and longitude, up to a constant factor a^2 (1 - e^2):
    // M(phi) N(phi) cos(phi) / (a^2 (1 - e^2)).
    auto density = [&](double lat_deg) {
        const double s = std::sin(lat_deg * deg);
        const double w = 1.0 - e2 * s * s;
        return std::cos(lat_deg * deg) / (w * w);
    };
    // Each row's density is fitted on its ground part [t0, t1] by Chebyshev interpolation in
    // y = 2 (t - t0) / (t1 - t0) - 1 at 8 nodes (16 when the last coefficients of 8 are not
    // negligible: rows taller than about 10°), truncated where the coefficients fall to the
    // rounding noise of the samples (1e-14 of the mean; the dropped tail changes a fraction by
    // less than 2e-13) and converted to monomials in y. The grid's degree is the largest kept:
    // 1 or 2 for pixels up to a few arc minutes, about 6 for 1° pixels.
    constexpr int MAX_NODES = 16;
    constexpr double TRUNCATE = 1e-14;
    struct Fit {
        double t0 = 0.0;
        double t1 = 0.0;
        int kept = 0;
        std::array<double, MAX_NODES> mono{}; // density coefficients in y
    };
    // cos(pi j (k + 1/2) / n) for n = 8 and 16, and the Chebyshev nodes y_k = cos(pi (k + 1/2) /
    // n).
    std::array<std::vector<double>, 2> dct;
    for (int i = 0; i < 2; ++i) {
        const int n = 8 << i;
        dct[static_cast<std::size_t>(i)].resize(static_cast<std::size_t>(n * n));
        for (int j = 0; j < n; ++j) {
            for (int k = 0; k < n; ++k) {
                dct[static_cast<std::size_t>(i)][static_cast<std::size_t>(j * n + k)] =
                    std::cos(std::numbers::pi * j * (k + 0.5) / n);
            }
        }
    }
    // Monomial coefficients of the Chebyshev polynomials T_0 .. T_15: cheb_mono[j][i] is the
    // coefficient of y^i in T_j (T_{j+1} = 2 y T_j - T_{j-1}).
    std::array<std::array<double, MAX_NODES>, MAX_NODES> cheb_mono{};
    cheb_mono[0][0] = 1.0;
    cheb_mono[1][1] = 1.0;
    for (std::size_t j = 1; j + 1 < MAX_NODES; ++j) {
        for (std::size_t i = 0; i < MAX_NODES; ++i) {
            cheb_mono[j + 1][i] = (i > 0 ? 2.0 * cheb_mono[j][i - 1] : 0.0) - cheb_mono[j - 1][i];
        }
    }
    std::vector<Fit> fits(static_cast<std::size_t>(grid.height));
    int degree = 0;
    std::array<double, MAX_NODES> samples{};
    std::array<double, MAX_NODES> cheb{};
    for (int64_t r = 0; r < grid.height; ++r) {
        Fit &fit = fits[static_cast<std::size_t>(r)];
        const double top = geo.edge_lat_deg(grid, r);
        const double span = geo.edge_lat_deg(grid, r + 1) - top;
        // Ground part of the row: where -90 <= top + t span <= 90.
        const double ta = (90.0 - top) / span;
        const double tb = (-90.0 - top) / span;
        fit.t0 = std::clamp(std::min(ta, tb), 0.0, 1.0);
        fit.t1 = std::clamp(std::max(ta, tb), 0.0, 1.0);
        for (int i = 0; i < 2; ++i) {
            const int n = 8 << i;
            const double *table = dct[static_cast<std::size_t>(i)].data();
            for (int k = 0; k < n; ++k) {
                // y_k is row j = 1 of the table.
                const double t = fit.t0 + 0.5 * (table[n + k] + 1.0) * (fit.t1 - fit.t0);
                samples[static_cast<std::size_t>(k)] = density(top + t * span);
            }
            for (int j = 0; j < n; ++j) {
                double c = 0.0;
                for (int k = 0; k < n; ++k) {
                    c += samples[static_cast<std::size_t>(k)] * table[j * n + k];
                }
                cheb[static_cast<std::size_t>(j)] = c * (j == 0 ? 1.0 : 2.0) / n;
            }
            const double tol = TRUNCATE * std::fabs(cheb[0]);
            fit.kept = 0;
            for (int j = 0; j < n; ++j) {
                if (std::fabs(cheb[static_cast<std::size_t>(j)]) > tol) {
                    fit.kept = j;
                }
            }
            if (fit.kept < n - 2) {
                break; // converged: the last two coefficients are noise
            }
        }
        for (std::size_t j = 0; j <= static_cast<std::size_t>(fit.kept); ++j) {
            for (std::size_t i = 0; i <= j; ++i) {
                fit.mono[i] += cheb[j] * cheb_mono[j][i];
            }
        }
        degree = std::max(degree, fit.kept);
    }
    const auto stride = static_cast<std::size_t>(2 * degree + 6);
    std::vector<double> data(static_cast<std::size_t>(grid.height) * stride, 0.0);
    for (int64_t r = 0; r < grid.height; ++r) {
        const Fit &fit = fits[static_cast<std::size_t>(r)];
        double *p = data.data() + static_cast<std::size_t>(r) * stride;
        const double h = fit.t1 - fit.t0;
        p[0] = fit.t0;
        p[1] = fit.t1;
        p[2] = h > 0.0 ? 2.0 / h : 0.0;
        double *w = p + 3;
        double *big_w = w + degree + 1;
        // Integral from y = -1: coefficient j + 1 is b_j / (j + 1); the constant makes it 0 at
        // y = -1. The total over the row (y = 1) normalizes both to a share.
        double total = 0.0;
        double at_minus_one = 0.0;
        const auto terms = static_cast<std::size_t>(fit.kept) + 1;
        for (std::size_t j = 0; j < terms; ++j) {
            const double b = fit.mono[j] / static_cast<double>(j + 1);
            total += b;
            at_minus_one += j % 2 == 0 ? -b : b;
        }
        total -= at_minus_one;
        if (!(total > 0.0) || !(h > 0.0)) {
            continue; // no ground in this row (cannot happen after geographic_grid's checks)
        }
        for (std::size_t j = 0; j < terms; ++j) {
            w[j] = fit.mono[j] / total * p[2];
            big_w[j + 1] = fit.mono[j] / static_cast<double>(j + 1) / total;
        }
        big_w[0] = -at_minus_one / total;
    }
    return RowAreaProfiles(grid.height, degree, std::move(data));
}

void PixelArea::setup_projected(const GridSpec &grid, double to_m) {
    const auto &gt = grid.geotransform;
    const double map_m2 = std::fabs(gt[1] * gt[5] - gt[2] * gt[4]) * to_m * to_m;
    m_constant_ha = map_m2 / 10000.0;
    const std::string where = "pixel area: " + m_label + " (" + crs_short_name(grid.crs_wkt) + ")";
    auto use_map_units = [&](const std::string &why) {
        m_kind = Kind::planar_map_units;
        m_method = "planar (projected CRS, map units; PROJ gave no areal scale factor)";
        m_warning = where + ": " + why + "; pixel areas are map areas, not true ground areas";
    };

    ScaleEvaluator evaluator;
    const std::string why = evaluator.open(grid.crs_wkt);
    if (!why.empty()) {
        use_map_units(why);
        return;
    }

    // Equal-area test on a sample of pixel centres spread over the grid, corners included.
    int evaluated = 0;
    bool equal_area = true;
    const double w1 = static_cast<double>(std::max<int64_t>(grid.width - 1, 0));
    const double h1 = static_cast<double>(std::max<int64_t>(grid.height - 1, 0));
    for (int j = 0; j < SAMPLES_PER_AXIS && equal_area; ++j) {
        for (int i = 0; i < SAMPLES_PER_AXIS && equal_area; ++i) {
            const double px = std::round(w1 * i / (SAMPLES_PER_AXIS - 1)) + 0.5;
            const double py = std::round(h1 * j / (SAMPLES_PER_AXIS - 1)) + 0.5;
            double x = 0.0;
            double y = 0.0;
            pixel_to_map(grid, px, py, x, y);
            double s = 0.0;
            if (evaluator.at(x, y, s)) {
                ++evaluated;
                equal_area = std::fabs(s - 1.0) < EQUAL_AREA_TOLERANCE;
            }
        }
    }
    if (equal_area && evaluated > 0) {
        m_kind = Kind::planar_equal_area;
        m_method = "planar (equal-area projection)";
        return;
    }
    if (evaluated == 0) {
        use_map_units("PROJ cannot evaluate the areal scale factor at any of " +
                      std::to_string(SAMPLES_PER_AXIS * SAMPLES_PER_AXIS) +
                      " sample pixel centres");
        return;
    }

    // Lattice of true areas at pixel centres: 64 px, halved while the interpolation error at
    // sampled cell centres exceeds the tolerance and the lattice stays within the node budget.
    std::vector<uint8_t> failed;
    double error = 0.0;
    // The first lattice keeps within the node budget too: on a grid over ~131 000 px along an
    // axis a 64 px lattice would take gigabytes and minutes of PROJ calls (a 10^6 x 10^6 px grid:
    // 244 M nodes), so the spacing doubles until it fits; the error check below reports what
    // that costs in accuracy.
    int64_t first_spacing = LATTICE_SPACING_PX;
    while ((static_cast<double>(grid.width) / static_cast<double>(first_spacing) + 4) *
               (static_cast<double>(grid.height) / static_cast<double>(first_spacing) + 4) >
           MAX_NODES) {
        first_spacing *= 2;
    }
    for (int64_t max_spacing = first_spacing;; max_spacing /= 2) {
        const std::size_t n_failed = build_lattice(grid, evaluator, map_m2, max_spacing, failed);
        if (n_failed == m_node_ha.size()) {
            m_node_ha.clear();
            use_map_units("PROJ cannot evaluate the areal scale factor at any lattice node");
            return;
        }
        m_kind = Kind::planar_scale_corrected;
        m_warning.clear();
        if (n_failed > 0) {
            m_warning = where + ": PROJ cannot evaluate the areal scale factor at " +
                        std::to_string(n_failed) + " of " + std::to_string(m_node_ha.size()) +
                        " lattice nodes (outside the projection's domain); they use the value of "
                        "the nearest evaluated node";
        }
        error = interpolation_error(grid, evaluator, map_m2, failed);
        const int64_t next = std::max<int64_t>(max_spacing / 2, 1);
        const double next_nodes =
            (static_cast<double>(grid.width) / static_cast<double>(next) + 4) *
            (static_cast<double>(grid.height) / static_cast<double>(next) + 4);
        if (error <= INTERPOLATION_TOLERANCE || max_spacing == 1 || next_nodes > MAX_NODES) {
            break;
        }
    }
    const std::string lattice =
        m_x.spacing == m_y.spacing
            ? std::to_string(m_x.spacing) + " px"
            : std::to_string(m_x.spacing) + " x " + std::to_string(m_y.spacing) + " px";
    m_method = "planar corrected by PROJ areal scale factor (lattice " + lattice + ", bicubic)";
    if (error > INTERPOLATION_TOLERANCE) {
        m_warning += (m_warning.empty() ? where : std::string("; also")) +
                     ": the areal scale factor varies too fast for the finest affordable lattice "
                     "(" +
                     lattice + "): interpolated areas are off by up to " + fmt_g(error) +
                     " (relative) at sampled pixels";
    }
}

std::size_t PixelArea::build_lattice(const GridSpec &grid, const ScaleEvaluator &evaluator,
                                     double map_m2, int64_t max_spacing,
                                     std::vector<uint8_t> &failed) {
    m_x.build(grid.width, max_spacing);
    m_y.build(grid.height, max_spacing);
    const auto nx = static_cast<std::size_t>(m_x.last + 1);
    const auto ny = static_cast<std::size_t>(m_y.last + 1);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    m_node_ha.assign(nx * ny, nan);
    failed.assign(nx * ny, 0);
    std::size_t n_failed = 0;
    for (std::size_t iy = 0; iy < ny; ++iy) {
        const double py = static_cast<double>(static_cast<int64_t>(iy) * m_y.spacing) + 0.5;
        for (std::size_t ix = 0; ix < nx; ++ix) {
            const double px = static_cast<double>(static_cast<int64_t>(ix) * m_x.spacing) + 0.5;
            double x = 0.0;
            double y = 0.0;
            pixel_to_map(grid, px, py, x, y);
            double s = 0.0;
            if (evaluator.at(x, y, s)) {
                m_node_ha[iy * nx + ix] = map_m2 / s / 10000.0;
            } else {
                failed[iy * nx + ix] = 1;
                ++n_failed;
            }
        }
    }
    if (n_failed == 0 || n_failed == m_node_ha.size()) {
        return n_failed;
    }
    // Breadth-first fill: every missing node takes the value of a nearest evaluated node (in
    // lattice steps), in a fixed order so the result is deterministic.
    std::deque<std::size_t> queue;
    for (std::size_t k = 0; k < m_node_ha.size(); ++k) {
        if (!failed[k]) {
            queue.push_back(k);
        }
    }
    while (!queue.empty()) {
        const std::size_t k = queue.front();
        queue.pop_front();
        const std::size_t ix = k % nx;
        const std::size_t iy = k / nx;
        const std::size_t neighbours[4] = {ix > 0 ? k - 1 : k, ix + 1 < nx ? k + 1 : k,
                                           iy > 0 ? k - nx : k, iy + 1 < ny ? k + nx : k};
        for (std::size_t q : neighbours) {
            if (std::isnan(m_node_ha[q])) {
                m_node_ha[q] = m_node_ha[k];
                queue.push_back(q);
            }
        }
    }
    return n_failed;
}

double PixelArea::interpolation_error(const GridSpec &grid, const ScaleEvaluator &evaluator,
                                      double map_m2, const std::vector<uint8_t> &failed) const {
    const auto nx = static_cast<std::size_t>(m_x.last + 1);
    double worst = 0.0;
    // Centres of up to CHECK_CELLS x CHECK_CELLS lattice cells spread over the grid, where the
    // interpolation error of a cubic is largest; cells next to filled nodes are skipped.
    for (int j = 0; j < CHECK_CELLS; ++j) {
        const int64_t cy = m_y.last * j / CHECK_CELLS;
        const int64_t row = cy * m_y.spacing + m_y.spacing / 2;
        if (row >= grid.height) {
            continue;
        }
        int64_t first_row = 0;
        (void)m_y.stencil(row, first_row);
        for (int i = 0; i < CHECK_CELLS; ++i) {
            const int64_t cx = m_x.last * i / CHECK_CELLS;
            const int64_t col = cx * m_x.spacing + m_x.spacing / 2;
            if (col >= grid.width) {
                continue;
            }
            int64_t first_col = 0;
            (void)m_x.stencil(col, first_col);
            bool near_filled = false;
            for (int64_t a = 0; a < 4; ++a) {
                for (int64_t b = 0; b < 4; ++b) {
                    near_filled =
                        near_filled || failed[static_cast<std::size_t>(first_row + a) * nx +
                                              static_cast<std::size_t>(first_col + b)] != 0;
                }
            }
            double x = 0.0;
            double y = 0.0;
            pixel_to_map(grid, static_cast<double>(col) + 0.5, static_cast<double>(row) + 0.5, x,
                         y);
            double s = 0.0;
            if (near_filled || !evaluator.at(x, y, s)) {
                continue;
            }
            double interpolated = 0.0;
            row_areas_ha(row, col, 1, &interpolated);
            worst = std::max(worst, std::fabs(interpolated / (map_m2 / s / 10000.0) - 1.0));
        }
    }
    return worst;
}

void PixelArea::row_areas_ha(int64_t row, int64_t x0, int64_t n, double *out) const {
    if (row < 0 || row >= m_height || x0 < 0 || n < 0 || x0 > m_width - n) {
        throw RasterError("pixel area: row " + std::to_string(row) + ", pixels " +
                          std::to_string(x0) + " + " + std::to_string(n) + ": outside the " +
                          std::to_string(m_width) + " x " + std::to_string(m_height) + " px grid");
    }
    switch (m_kind) {
    case Kind::planar_equal_area:
    case Kind::planar_map_units:
        std::fill(out, out + n, m_constant_ha);
        return;
    case Kind::ellipsoidal_rows:
        std::fill(out, out + n, m_row_ha[static_cast<std::size_t>(row)]);
        return;
    case Kind::planar_scale_corrected:
        break;
    }
    int64_t first_row = 0;
    const double *wy = m_y.stencil(row, first_row);
    const auto nx = static_cast<std::size_t>(m_x.last + 1);
    const double *r0 = m_node_ha.data() + static_cast<std::size_t>(first_row) * nx;
    const double *r1 = r0 + nx;
    const double *r2 = r1 + nx;
    const double *r3 = r2 + nx;
    const int64_t end = x0 + n;
    int64_t p = x0;
    while (p < end) {
        int64_t first_col = 0;
        const double *wx = m_x.stencil(p, first_col);
        // The 4 stencil columns interpolated to this row.
        double v[4];
        for (int m = 0; m < 4; ++m) {
            const auto c = static_cast<std::size_t>(first_col + m);
            v[m] = wy[0] * r0[c] + wy[1] * r1[c] + wy[2] * r2[c] + wy[3] * r3[c];
        }
        const int64_t interval = std::min(p / m_x.spacing, m_x.last - 1);
        const int64_t stop =
            interval == m_x.last - 1 ? end : std::min(end, (interval + 1) * m_x.spacing);
        for (; p < stop; ++p, wx += 4) {
            *out++ = wx[0] * v[0] + wx[1] * v[1] + wx[2] * v[2] + wx[3] * v[3];
        }
    }
}

} // namespace cs::raster
