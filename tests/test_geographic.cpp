// Geographic grids at their edges: rows beyond the poles, districts across the antimeridian,
// and coverage fractions weighted by true ellipsoidal area, checked against independent
// computations (numerical integration of the ellipsoid's area element; GeographicLib geodesic
// polygon areas through PROJ's geodesic.h).
#include "raster/coverage.hpp"
#include "raster/grid.hpp"
#include "raster/pixel_area.hpp"
#include "raster/raster_error.hpp"
#include "raster/vector_districts.hpp"
#include "test_support.hpp"

#include <cpl_conv.h>
#include <geodesic.h>
#include <ogr_spatialref.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace cs::raster;
using cs::test::PolygonFeature;
using cs::test::RasterSpec;
using cs::test::Ring;
using cs::test::TempDir;

constexpr double WGS84_A = 6378137.0;
constexpr double WGS84_INV_F = 298.257223563;
constexpr double DEG = std::numbers::pi / 180.0;

// ---------------------------------------------------------------------------------------------
// Independent computations

/// Area element of the WGS84 ellipsoid per radian of latitude and longitude, m^2:
/// M(phi) N(phi) cos(phi) with M, N the meridional and prime-vertical radii of curvature.
double area_element(double phi) {
    const double f = 1.0 / WGS84_INV_F;
    const double e2 = f * (2.0 - f);
    const double s = std::sin(phi);
    const double w = 1.0 - e2 * s * s;
    const double m = WGS84_A * (1.0 - e2) / std::pow(w, 1.5);
    const double n = WGS84_A / std::sqrt(w);
    return m * n * std::cos(phi);
}

/// Gauss-Legendre nodes and weights on [0, 1] (Newton iteration on P_n).
struct GaussLegendre {
    std::vector<double> x;
    std::vector<double> w;
    explicit GaussLegendre(int n) {
        for (int i = 0; i < n; ++i) {
            double z = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5));
            double dp = 0.0;
            for (int it = 0; it < 100; ++it) {
                double p0 = 1.0;
                double p1 = z;
                for (int k = 2; k <= n; ++k) {
                    const double p2 = ((2.0 * k - 1.0) * z * p1 - (k - 1.0) * p0) / k;
                    p0 = p1;
                    p1 = p2;
                }
                dp = n * (z * p1 - p0) / (z * z - 1.0);
                const double dz = p1 / dp;
                z -= dz;
                if (std::fabs(dz) < 1e-16) {
                    break;
                }
            }
            x.push_back(0.5 * (1.0 - z));
            w.push_back(1.0 / ((1.0 - z * z) * dp * dp));
        }
    }
};

/// Integral of the area element over latitude from phi_ref to phi_ref + dphi (radians), m^2
/// per radian of longitude; Gauss-Legendre with 24 nodes (exact to rounding over a few degrees).
/// The width is passed on its own: phi2 - phi1 of two latitudes rounded to radians separately
/// would be off by up to 4e-11 of a 1" band.
double band(double phi_ref, double dphi) {
    static const GaussLegendre gl(24);
    double s = 0.0;
    for (std::size_t i = 0; i < gl.x.size(); ++i) {
        s += gl.w[i] * area_element(phi_ref + gl.x[i] * dphi);
    }
    return s * dphi;
}

/// Ellipsoidal area, m^2, of a lon/lat cell (degrees).
double cell_area_m2(double lon1, double lon2, double lat1, double lat2) {
    return std::fabs(band(lat1 * DEG, (lat2 - lat1) * DEG)) * std::fabs(lon2 - lon1) * DEG;
}

/// Signed ellipsoidal area, m^2, of a polygon with straight edges in lon/lat (degrees),
/// counterclockwise positive. Green's theorem: A = -closed integral of B(phi) dlambda with
/// B(phi) = integral of the area element from phi_ref (cancels, as the ring is closed) to phi;
/// both integrals by Gauss-Legendre, independently of the program's polynomial profiles.
double lonlat_polygon_area_m2(const std::vector<std::pair<double, double>> &ring) {
    static const GaussLegendre gl(16);
    if (ring.size() < 3) {
        return 0.0;
    }
    const double lat_ref = ring[0].second;
    double a = 0.0;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const auto [l1, p1] = ring[i];
        const auto [l2, p2] = ring[(i + 1) % ring.size()];
        double s = 0.0;
        for (std::size_t k = 0; k < gl.x.size(); ++k) {
            s += gl.w[k] * band(lat_ref * DEG, (p1 + gl.x[k] * (p2 - p1) - lat_ref) * DEG);
        }
        a -= s * (l2 - l1) * DEG;
    }
    return a;
}

/// Sutherland-Hodgman clip of a ring to the rectangle [x0, x1] x [y0, y1]. For any simple ring
/// the signed area of the result is the signed area of the intersection.
std::vector<std::pair<double, double>> clip_to_box(std::vector<std::pair<double, double>> poly,
                                                   double x0, double x1, double y0, double y1) {
    auto clip = [&](auto inside, auto cut) {
        std::vector<std::pair<double, double>> out;
        for (std::size_t i = 0; i < poly.size(); ++i) {
            const auto p = poly[i];
            const auto q = poly[(i + 1) % poly.size()];
            if (inside(p)) {
                out.push_back(p);
            }
            if (inside(p) != inside(q)) {
                out.push_back(cut(p, q));
            }
        }
        poly = out;
    };
    auto at_x = [](double x) {
        return [x](auto p, auto q) {
            const double t = (x - p.first) / (q.first - p.first);
            return std::make_pair(x, p.second + t * (q.second - p.second));
        };
    };
    auto at_y = [](double y) {
        return [y](auto p, auto q) {
            const double t = (y - p.second) / (q.second - p.second);
            return std::make_pair(p.first + t * (q.first - p.first), y);
        };
    };
    clip([&](auto p) { return p.first >= x0; }, at_x(x0));
    clip([&](auto p) { return p.first <= x1; }, at_x(x1));
    clip([&](auto p) { return p.second >= y0; }, at_y(y0));
    clip([&](auto p) { return p.second <= y1; }, at_y(y1));
    return poly;
}

/// GeographicLib area (PROJ's geodesic.h) of a polygon whose edges are straight lines in
/// lon/lat: every edge of L degrees is densified to points * sqrt(L) points (at least
/// `at_least`) on the straight line, so the geodesics between them follow it. The area between
/// a geodesic and the straight line grows as its length cubed, so the relative error of the
/// densified polygon goes as L / points^2 per edge: the same for long and short edges. m^2,
/// unsigned.
double geodesic_area_m2(const std::vector<std::pair<double, double>> &ring, double points,
                        int at_least) {
    geod_geodesic g;
    geod_init(&g, WGS84_A, 1.0 / WGS84_INV_F);
    geod_polygon p;
    geod_polygon_init(&p, 0);
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const auto [l1, p1] = ring[i];
        const auto [l2, p2] = ring[(i + 1) % ring.size()];
        const int per_edge =
            std::max(at_least,
                     static_cast<int>(std::ceil(points * std::sqrt(std::hypot(l2 - l1, p2 - p1)))));
        for (int k = 0; k < per_edge; ++k) {
            const double t = static_cast<double>(k) / per_edge;
            geod_polygon_addpoint(&g, &p, p1 + t * (p2 - p1), l1 + t * (l2 - l1));
        }
    }
    double area = 0.0;
    double perimeter = 0.0;
    geod_polygon_compute(&g, &p, 0, 1, &area, &perimeter);
    return std::fabs(area);
}

// ---------------------------------------------------------------------------------------------
// Helpers

std::string wkt_4326() {
    init_gdal();
    OGRSpatialReference srs;
    EXPECT_EQ(srs.importFromEPSG(4326), OGRERR_NONE);
    char *wkt = nullptr;
    EXPECT_EQ(srs.exportToWkt(&wkt), OGRERR_NONE);
    std::string out = wkt != nullptr ? wkt : "";
    CPLFree(wkt);
    return out;
}

/// A north-up EPSG:4326 grid: west edge `west`, top edge `top`, square pixels of `px` degrees.
GridSpec lonlat_grid(double west, double top, double px, int64_t width, int64_t height) {
    GridSpec g;
    g.geotransform = {west, px, 0.0, top, 0.0, -px};
    g.width = width;
    g.height = height;
    g.crs_wkt = wkt_4326();
    return g;
}

template <class F> std::string raster_error_of(F &&f) {
    try {
        f();
    } catch (const RasterError &e) {
        return e.what();
    }
    ADD_FAILURE() << "expected RasterError";
    return {};
}

VectorDistrictSpec spec_of(const std::string &path) {
    VectorDistrictSpec s;
    s.path = path;
    s.id_field = "code";
    s.name_field = "name";
    return s;
}

/// Area of every district (in districts() order) from the exact coverage index: the sum of
/// fraction x pixels x row area, m^2, as the runner adds it up.
std::vector<double> district_areas_m2(const VectorDistricts &vd, const GridSpec &g,
                                      CoverageMode mode = CoverageMode::exact) {
    const PixelArea pa(g);
    const CoverageIndex idx = vd.build_coverage(mode, 2);
    std::vector<double> out(vd.districts().size(), 0.0);
    for (int64_t r = 0; r < g.height; ++r) {
        for (const auto &e : idx.row(r)) {
            out[e.district] +=
                e.fraction() * static_cast<double>(e.x1 - e.x0) * pa.row_area_ha(r) * 1e4;
        }
    }
    return out;
}

/// Polygons of one district each, on grid `g`; returns their coverage areas, m^2.
std::vector<double> areas_on_grid(const std::vector<PolygonFeature> &features, const GridSpec &g,
                                  std::vector<std::string> *warnings = nullptr,
                                  CoverageMode mode = CoverageMode::exact) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    cs::test::write_polygons(path, 4326, features);
    Findings f;
    VectorDistricts vd(spec_of(path), g, f);
    EXPECT_TRUE(f.errors.empty()) << f.errors.front();
    if (warnings != nullptr) {
        *warnings = f.warnings;
    }
    return district_areas_m2(vd, g, mode);
}

Ring box(double lon1, double lon2, double lat1, double lat2) {
    return {{lon1, lat1}, {lon2, lat1}, {lon2, lat2}, {lon1, lat2}};
}

// ---------------------------------------------------------------------------------------------
// Rows beyond the poles

TEST(PoleRows, RowStraddlingTheNorthPoleCountsOnlyItsGround) {
    // 1° grid, 4 x 5 px, top edge at 90.5°N: row 0 spans 89.5..90.5, of which 89.5..90 is ground.
    const GridSpec g = lonlat_grid(10.0, 90.5, 1.0, 4, 5);
    const PixelArea pa(g, "reference grid land_cover/2020 (lc.tif, band 1)");
    EXPECT_NEAR(pa.row_area_ha(0) * 1e4 / cell_area_m2(0.0, 1.0, 89.5, 90.0), 1.0, 1e-13);
    EXPECT_NEAR(pa.row_area_ha(1) * 1e4 / cell_area_m2(0.0, 1.0, 88.5, 89.5), 1.0, 1e-13);
    // Sanity: near the pole areas grow as the square of the distance to it, so the 0.5° cap
    // is (0.5^2 / 2) / ((1.5^2 - 0.5^2) / 2) = 1/8 of the 1° row below it.
    EXPECT_NEAR(pa.row_area_ha(0) / pa.row_area_ha(1), 0.125, 1e-4);
    EXPECT_EQ(pa.warning(), "pixel area: reference grid land_cover/2020 (lc.tif, band 1): row 0 "
                            "spans 89.5°N to 90.5°N, 0.5° beyond the North Pole: its pixels count "
                            "only their ground up to the pole (the part beyond has no area)");
}

TEST(PoleRows, GlobalGridCentredOnThePolesHasTheEllipsoidsArea) {
    // 1° pixels centred on the poles: rows -90.5..90.5, 181 rows. The whole grid is the whole
    // ellipsoid: 510 065 621.7 km² (science.md §1.3), by the independent integration here.
    const GridSpec g = lonlat_grid(-180.0, 90.5, 1.0, 360, 181);
    const PixelArea pa(g);
    double total_m2 = 0.0;
    for (int64_t r = 0; r < g.height; ++r) {
        total_m2 += pa.row_area_ha(r) * 1e4 * 360.0;
    }
    const double want_m2 = 2.0 * band(0.0, 90.0 * DEG) * 2.0 * std::numbers::pi;
    EXPECT_NEAR(want_m2 / 1e6, 510065621.7, 0.1);
    EXPECT_NEAR(total_m2 / want_m2, 1.0, 1e-12);
    EXPECT_EQ(pa.warning(),
              "pixel area: reference grid: row 0 spans 89.5°N to 90.5°N, 0.5° beyond the North "
              "Pole; row 180 spans 89.5°S to 90.5°S, 0.5° beyond the South Pole: their pixels "
              "count only their ground up to the pole (the part beyond has no area)");
}

TEST(PoleRows, SouthUpGridStraddlingTheSouthPole) {
    // gt[5] > 0: row 0 is the southernmost, from -90.25 up to -89.75.
    GridSpec g = lonlat_grid(0.0, -90.25, 0.5, 2, 3);
    g.geotransform[5] = 0.5;
    const PixelArea pa(g);
    EXPECT_NEAR(pa.row_area_ha(0) * 1e4 / cell_area_m2(0.0, 0.5, -90.0, -89.75), 1.0, 1e-12);
    EXPECT_NEAR(pa.row_area_ha(2) * 1e4 / cell_area_m2(0.0, 0.5, -89.25, -88.75), 1.0, 1e-12);
    EXPECT_EQ(pa.warning(), "pixel area: reference grid: row 0 spans 89.75°S to 90.25°S, 0.25° "
                            "beyond the South Pole: its pixels count only their ground up to the "
                            "pole (the part beyond has no area)");
}

TEST(PoleRows, GridEndingExactlyAtThePolesHasNoWarning) {
    const PixelArea pa(lonlat_grid(-180.0, 90.0, 1.0, 360, 180));
    EXPECT_EQ(pa.warning(), "");
}

TEST(PoleRows, RowsWhollyBeyondAPoleAreRefused) {
    // Top edge at 92°N with 1° rows: rows 0 and 1 lie north of the pole.
    EXPECT_EQ(raster_error_of([] {
                  PixelArea pa(lonlat_grid(0.0, 92.0, 1.0, 3, 10), "reference grid lc (x.tif)");
              }),
              "pixel area: reference grid lc (x.tif): rows 0 to 1 (92°N to 90°N) lie wholly "
              "beyond the North Pole: there is no ground beyond a pole, so the geotransform or "
              "the CRS is wrong");
    EXPECT_EQ(raster_error_of([] { PixelArea pa(lonlat_grid(0.0, -89.0, 1.0, 3, 2)); }),
              "pixel area: reference grid: row 1 (91°S to 90°S) lies wholly beyond the South "
              "Pole: there is no ground beyond a pole, so the geotransform or the CRS is wrong");
    EXPECT_EQ(raster_error_of([] {
                  (void)row_area_profiles(lonlat_grid(0.0, 95.0, 1.0, 3, 10));
              }).rfind("pixel area: reference grid: rows 0 to 4 (95°N to 90°N) lie wholly", 0),
              0u);
}

TEST(PoleRows, ArcSecondRowsNearThePoleAreExact) {
    // 1" rows at 89.99°N: the zone areas Z(phi) differ by 8e-10 of themselves, so subtracting
    // them would lose about 1e-7 of the row's area. (1e-11: near the pole, cos(phi) of a
    // latitude rounded to radians is itself only good to about 1e-12.)
    const double px = 1.0 / 3600;
    const GridSpec g = lonlat_grid(0.0, 89.99, px, 2, 3);
    const PixelArea pa(g);
    for (int64_t r = 0; r < 3; ++r) {
        // Row edges as the geotransform gives them (a different rounding of the edges would
        // change a 1" row by up to 5e-11).
        const double lat1 = 89.99 + (-px) * static_cast<double>(r);
        const double lat2 = 89.99 + (-px) * static_cast<double>(r + 1);
        EXPECT_NEAR(pa.row_area_ha(r) * 1e4 / cell_area_m2(0.0, px, lat2, lat1), 1.0, 1e-11)
            << "row " << r;
    }
}

TEST(PoleRows, GridWiderThanOneTurnWarns) {
    const PixelArea pa(lonlat_grid(-180.5, 60.0, 1.0, 361, 2));
    EXPECT_EQ(pa.warning(),
              "pixel area: reference grid: the grid spans 361° of longitude: the ground under "
              "its last 1° is also under its first, so it is counted twice (districts are not "
              "wrapped around the antimeridian on such a grid)");
}

TEST(PoleRows, DistrictUpToThePoleFillsThePoleRow) {
    // A district covering 10..11°E from 89°N to the pole, on the grid whose row 0 spans
    // 89.75..90.25: its area is the ellipsoidal area of that cell.
    const GridSpec g = lonlat_grid(10.0, 90.25, 0.5, 4, 4);
    const auto areas = areas_on_grid({{1, "cap", {box(10.0, 11.0, 89.0, 90.0)}}}, g);
    EXPECT_NEAR(areas[0] / cell_area_m2(10.0, 11.0, 89.0, 90.0), 1.0, 1e-9);
    // A triangle from the pole down to 89.5: the sweep clips at the pole, where the area
    // density falls to zero, and the weighted share is still exact.
    const Ring tri = {{10.0, 90.0}, {10.5, 89.5}, {10.0, 89.5}};
    const auto tri_area = areas_on_grid({{2, "tri", {tri}}}, g);
    EXPECT_NEAR(tri_area[0] / std::fabs(lonlat_polygon_area_m2(tri)), 1.0, 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Longitude wrap

TEST(LongitudeWrap, DistrictWestOfTheAntimeridianOnAGridEastOfIt) {
    // Grid 179.5..180.5°E (0.1° pixels); the district is written at -180..-179.5, which is
    // 180..180.5 on the grid: its true area, not zero.
    const GridSpec g = lonlat_grid(179.5, 10.5, 0.1, 10, 10);
    const auto areas = areas_on_grid({{1, "d", {box(-180.0, -179.5, 9.73, 10.21)}}}, g);
    EXPECT_NEAR(areas[0] / cell_area_m2(0.0, 0.5, 9.73, 10.21), 1.0, 1e-9);
}

TEST(LongitudeWrap, DistrictEastOfTheAntimeridianOnAGridWestOfIt) {
    const GridSpec g = lonlat_grid(-180.5, 10.5, 0.1, 10, 10);
    const auto areas = areas_on_grid({{1, "d", {box(179.5, 180.0, 9.73, 10.21)}}}, g);
    EXPECT_NEAR(areas[0] / cell_area_m2(0.0, 0.5, 9.73, 10.21), 1.0, 1e-9);
}

TEST(LongitudeWrap, GridFrom0To360WithADistrictAtMinus10To0) {
    const GridSpec g = lonlat_grid(0.0, 50.0, 0.5, 720, 6);
    const auto areas = areas_on_grid(
        {{1, "d", {box(-10.0, 0.0, 47.3, 49.6)}}, {2, "e", {box(-3.0, 2.0, 47.3, 49.6)}}}, g);
    EXPECT_NEAR(areas[0] / cell_area_m2(0.0, 10.0, 47.3, 49.6), 1.0, 1e-9);
    // A district across the grid's seam at 0/360: both of its parts count.
    EXPECT_NEAR(areas[1] / cell_area_m2(0.0, 5.0, 47.3, 49.6), 1.0, 1e-9);
}

TEST(LongitudeWrap, PixelCentreRuleWrapsToo) {
    // 0.5° pixels: placed at 180..181, the district holds the centres of columns 1-2 and
    // rows 1-3, whose pixels are exactly 180..181 x 8..9.5.
    const GridSpec g = lonlat_grid(179.5, 10.0, 0.5, 4, 4);
    const auto areas = areas_on_grid({{1, "d", {box(-180.0, -179.0, 8.0, 9.5)}}}, g, nullptr,
                                     CoverageMode::centre);
    EXPECT_NEAR(areas[0] / cell_area_m2(0.0, 1.0, 8.0, 9.5), 1.0, 1e-12);
}

TEST(LongitudeWrap, RingWrittenAcrossTheAntimeridianIsTakenTheShortWay) {
    // From 179°E to 179°W along 0° and 1°N: a 2° wide district across the antimeridian, not a
    // 358° band round the globe. On a grid 178..182 and on a global grid -180..180.
    const Ring across = {{179.0, 0.0}, {-179.0, 0.0}, {-179.0, 1.0}, {179.0, 1.0}};
    const double want = cell_area_m2(0.0, 2.0, 0.0, 1.0);
    std::vector<std::string> warnings;
    auto areas =
        areas_on_grid({{7, "across", {across}}}, lonlat_grid(178.0, 2.0, 0.25, 16, 8), &warnings);
    EXPECT_NEAR(areas[0] / want, 1.0, 1e-9);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find(", district 7: a ring crosses the antimeridian (consecutive "
                               "vertices more than 180° of longitude apart): it is taken the "
                               "short way across ±180°, not the long way round the globe"),
              std::string::npos)
        << warnings[0];
    areas = areas_on_grid({{7, "across", {across}}}, lonlat_grid(-180.0, 2.0, 1.0, 360, 4));
    EXPECT_NEAR(areas[0] / want, 1.0, 1e-9);
}

TEST(LongitudeWrap, HoleOfARingAcrossTheAntimeridian) {
    // Outer ring across the antimeridian (178..-178 = 178..182), hole at -179.5..-179 (written
    // west of it): the hole is cut out of the district on the grid 177..183.
    const Ring outer = {{178.0, 0.0}, {-178.0, 0.0}, {-178.0, 2.0}, {178.0, 2.0}};
    const Ring hole = box(-179.5, -179.0, 0.5, 1.5);
    const auto areas =
        areas_on_grid({{1, "d", {outer, hole}}}, lonlat_grid(177.0, 3.0, 0.5, 12, 6));
    const double want = cell_area_m2(0.0, 4.0, 0.0, 2.0) - cell_area_m2(0.0, 0.5, 0.5, 1.5);
    EXPECT_NEAR(areas[0] / want, 1.0, 1e-9);
}

TEST(LongitudeWrap, RingsRoundThePoleOrTheGlobeAreKeptAsWritten) {
    const GridSpec g = lonlat_grid(-180.0, 90.0, 1.0, 360, 180);
    // Antarctica written as Natural Earth does: along a parallel from -180 to 180, down to the
    // pole, back along -90.
    Ring antarctica;
    for (int lon = -180; lon <= 180; lon += 10) {
        antarctica.emplace_back(lon, -80.0);
    }
    antarctica.emplace_back(180.0, -90.0);
    antarctica.emplace_back(-180.0, -90.0);
    // A world box and a band round the globe (edges of exactly 360°).
    std::vector<std::string> warnings;
    const auto areas = areas_on_grid({{1, "antarctica", {antarctica}},
                                      {2, "world", {box(-180.0, 180.0, -90.0, 90.0)}},
                                      {3, "band", {box(-180.0, 180.0, 10.0, 20.0)}}},
                                     g, &warnings);
    EXPECT_NEAR(areas[0] / cell_area_m2(0.0, 360.0, -90.0, -80.0), 1.0, 1e-9);
    EXPECT_NEAR(areas[1] / cell_area_m2(0.0, 360.0, -90.0, 90.0), 1.0, 1e-9);
    EXPECT_NEAR(areas[2] / cell_area_m2(0.0, 360.0, 10.0, 20.0), 1.0, 1e-9);
    EXPECT_TRUE(warnings.empty()) << warnings.front();
}

// ---------------------------------------------------------------------------------------------
// Weighted fractions

TEST(EllipsoidalCoverage, FractionsAreSharesOfThePixelsTrueArea) {
    // Random polygons (with a hole) on 8 x 8 px grids at several latitudes and pixel sizes:
    // each pixel's fraction must be the ellipsoidal area of the polygon inside it (clipped
    // here, integrated here) over the pixel's area, to the 2.3e-10 resolution of the index.
    std::mt19937_64 rng(20240611);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    for (const double lat : {0.3, 45.0, 70.0, -62.0}) {
        for (const double px : {1.0 / 3600, 30.0 / 3600, 0.25, 1.0, 5.0}) {
            SCOPED_TRACE("latitude " + std::to_string(lat) + ", pixel " + std::to_string(px));
            const double west = 100.0;
            const double top = std::min(lat + 4.0 * px, 90.0);
            const GridSpec g = lonlat_grid(west, top, px, 8, 8);
            const RowAreaProfiles profiles = row_area_profiles(g);
            ASSERT_FALSE(profiles.empty());
            for (int trial = 0; trial < 4; ++trial) {
                // A random star-shaped polygon (simple, possibly very non-convex, partly
                // outside the grid), and for odd trials a quadrilateral with a triangular hole.
                std::vector<PixelRing> rings;
                std::vector<bool> holes;
                if (trial % 2 == 0) {
                    const double cx = 1.0 + 6.0 * unif(rng);
                    const double cy = 1.0 + 6.0 * unif(rng);
                    const int n = 3 + static_cast<int>(unif(rng) * 12);
                    PixelRing ring;
                    for (int i = 0; i < n; ++i) {
                        const double ang = 2 * std::numbers::pi * (i + 0.8 * unif(rng)) / n;
                        const double rad = 0.3 + 5.0 * unif(rng);
                        ring.emplace_back(cx + rad * std::cos(ang), cy + rad * std::sin(ang));
                    }
                    rings.push_back(ring);
                    holes.push_back(false);
                } else {
                    rings.push_back({{0.3, -0.6}, {8.6, 0.2}, {7.9, 8.7}, {-0.4, 7.1}});
                    rings.push_back({{2.2, 2.9}, {6.1, 3.3}, {3.7, 6.8}});
                    holes = {false, true};
                }
                std::vector<RowCoverageEntry> out;
                exact_polygon_coverage(rings, holes, 0, 8, 8, out, &profiles);
                double got[8][8] = {};
                for (const auto &e : out) {
                    for (uint32_t x = e.entry.x0; x < e.entry.x1; ++x) {
                        got[e.row][x] += e.entry.fraction();
                    }
                }
                for (int r = 0; r < 8; ++r) {
                    const double lat1 = top - px * r;
                    const double lat2 = top - px * (r + 1);
                    const double cell = cell_area_m2(0.0, px, lat1, lat2);
                    for (int c = 0; c < 8; ++c) {
                        double piece = 0.0;
                        for (std::size_t k = 0; k < rings.size(); ++k) {
                            std::vector<std::pair<double, double>> ll;
                            double planar = 0.0;
                            for (std::size_t i = 0; i < rings[k].size(); ++i) {
                                const auto [u, v] = rings[k][i];
                                const auto [u2, v2] = rings[k][(i + 1) % rings[k].size()];
                                planar += (west + px * u) * (top - px * v2) -
                                          (west + px * u2) * (top - px * v);
                                ll.emplace_back(west + px * u, top - px * v);
                            }
                            const auto clipped =
                                clip_to_box(ll, west + px * c, west + px * (c + 1), lat2, lat1);
                            const double a = lonlat_polygon_area_m2(clipped);
                            piece += (holes[k] ? -1.0 : 1.0) * (planar > 0.0 ? a : -a);
                        }
                        EXPECT_NEAR(got[r][c], piece / cell, 3e-10)
                            << "trial " << trial << ", pixel row " << r << ", col " << c;
                    }
                }
            }
        }
    }
}

/// Dense fractions [row][col] of one polygon on a w x h grid with area profiles.
std::vector<std::vector<double>> dense(const std::vector<PixelRing> &rings, int w, int h,
                                       const RowAreaProfiles &profiles) {
    std::vector<RowCoverageEntry> out;
    exact_polygon_coverage(rings, std::vector<bool>(rings.size(), false), 0, w, h, out, &profiles);
    std::vector<std::vector<double>> g(static_cast<std::size_t>(h),
                                       std::vector<double>(static_cast<std::size_t>(w), 0.0));
    for (const auto &e : out) {
        for (uint32_t x = e.entry.x0; x < e.entry.x1; ++x) {
            g[static_cast<std::size_t>(e.row)][x] += e.entry.fraction();
        }
    }
    return g;
}

TEST(EllipsoidalCoverage, WholePixelsKeepFractionOneAndHalvesAddUp) {
    const GridSpec g = lonlat_grid(0.0, 60.0, 1.0, 6, 6);
    const RowAreaProfiles profiles = row_area_profiles(g);
    // A polygon covering rows 1-2 entirely: one run of fraction exactly 1 per row.
    std::vector<RowCoverageEntry> out;
    exact_polygon_coverage({{{-1.0, 1.0}, {7.0, 1.0}, {7.0, 3.0}, {-1.0, 3.0}}}, {false}, 0, 6, 6,
                           out, &profiles);
    ASSERT_EQ(out.size(), 2u);
    for (const auto &e : out) {
        EXPECT_EQ(e.entry.x0, 0u);
        EXPECT_EQ(e.entry.x1, 6u);
        EXPECT_EQ(e.entry.fraction_q, CoverageEntry::FULL);
    }
    // The two halves of the pixels of row 0 cut along v = 0.5 add up to 1, and the half nearer
    // the equator (larger v on a north-up grid) is the larger: the area density grows by about
    // k = tan(59.5°) x 1° (in radians) across the row, so the halves differ by k / 4.
    const auto north = dense({{{0.0, 0.0}, {6.0, 0.0}, {6.0, 0.5}, {0.0, 0.5}}}, 6, 6, profiles);
    const auto south = dense({{{0.0, 0.5}, {6.0, 0.5}, {6.0, 1.0}, {0.0, 1.0}}}, 6, 6, profiles);
    for (std::size_t c = 0; c < 6; ++c) {
        EXPECT_NEAR(north[0][c] + south[0][c], 1.0, 3e-10) << "col " << c;
        EXPECT_NEAR(south[0][c] - north[0][c], std::tan(59.5 * DEG) * DEG / 4.0, 1e-4)
            << "col " << c;
    }
    EXPECT_NEAR(north[0][0] / cell_area_m2(0, 1, 59.5, 60) * cell_area_m2(0, 1, 59, 60), 1.0, 1e-9);
}

TEST(EllipsoidalCoverage, ProjectedGridsHaveNoProfiles) {
    init_gdal();
    OGRSpatialReference utm;
    utm.importFromEPSG(32651);
    char *wkt = nullptr;
    utm.exportToWkt(&wkt);
    GridSpec g;
    g.geotransform = {500000.0, 30.0, 0.0, 4600000.0, 0.0, -30.0};
    g.width = 4;
    g.height = 4;
    g.crs_wkt = wkt;
    CPLFree(wkt);
    EXPECT_TRUE(row_area_profiles(g).empty());
}

/// The test district: a pentagon in pixel units of an n x n px grid with long diagonal edges,
/// reaching beyond the grid's top, right, bottom and left edges, so the grid edges and the
/// diagonals cut many pixels.
std::vector<std::pair<double, double>> pentagon_px(double n) {
    return {{0.13 * n + 0.31, -0.27 * n - 0.17},
            {1.21 * n + 0.43, 0.38 * n + 0.29},
            {0.71 * n - 0.11, 1.17 * n + 0.07},
            {-0.19 * n + 0.23, 0.83 * n - 0.41},
            {0.05 * n + 0.37, 0.21 * n + 0.13}};
}

TEST(EllipsoidalCoverage, DistrictAreasMatchGeographicLib) {
    // District areas (sum of fraction x row area over the exact coverage index) against
    // GeographicLib's area of the part of the district inside the grid, with every edge
    // densified along its straight lon/lat line. Equator, 45°N and 70°N; pixels from 1" to 1°.
    struct Case {
        double lat;
        double px;
        int n;
    };
    std::vector<Case> cases;
    for (const double lat : {0.0, 45.0, 70.0}) {
        for (const auto &[px, n] : std::vector<std::pair<double, int>>{
                 {1.0 / 3600, 60}, {30.0 / 3600, 40}, {0.1, 30}, {1.0, 12}}) {
            cases.push_back({lat, px, n});
        }
    }
    double worst = 0.0;
    for (const Case &k : cases) {
        SCOPED_TRACE("latitude " + std::to_string(k.lat) + ", pixel " + std::to_string(k.px));
        const double west = 30.0;
        const double top = k.lat + 0.5 * k.n * k.px;
        const GridSpec g = lonlat_grid(west, top, k.px, k.n, k.n);
        Ring ring;
        for (const auto &[u, v] : pentagon_px(k.n)) {
            ring.emplace_back(west + k.px * u, top - k.px * v);
        }
        const auto areas = areas_on_grid({{1, "pentagon", {ring}}}, g);
        const auto inside = clip_to_box(ring, west, west + k.n * k.px, top - k.n * k.px, top);
        // Halving the points changes the area by 3/4 of the coarser polygon's error, so a change
        // below 1e-10 bounds the finer one's error below 3.4e-11.
        const double geodesic = geodesic_area_m2(inside, 5000.0, 1000);
        const double coarser = geodesic_area_m2(inside, 2500.0, 500);
        ASSERT_NEAR(coarser / geodesic, 1.0, 1e-10);
        // And the program's own independent check agrees: Green's theorem on the ellipsoid.
        EXPECT_NEAR(std::fabs(lonlat_polygon_area_m2(inside)) / geodesic, 1.0, 1e-10);
        const double rel = areas[0] / geodesic - 1.0;
        worst = std::max(worst, std::fabs(rel));
        EXPECT_LE(std::fabs(rel), 1e-9)
            << "coverage " << areas[0] << " m², GeographicLib " << geodesic << " m²";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", worst);
    RecordProperty("worst_relative_error", text);
}

// ---------------------------------------------------------------------------------------------
// Through the command line

TEST(GeographicRun, PoleRowIsWarnedWithItsRasterAndCountsOnlyItsGround) {
    // 3 x 4 px of 1° from 90.5°N: row 0 straddles the pole. All forest (200 Mg C/ha).
    TempDir dir;
    RasterSpec spec;
    spec.width = 3;
    spec.height = 4;
    spec.origin_x = 20.0;
    spec.origin_y = 90.5;
    spec.pixel_size = 1.0;
    spec.epsg = 4326;
    cs::test::write_raster(dir.file("lc.tif"), spec, std::vector<double>(12, 2));
    cs::test::write_text(dir.file("pools.csv"), "lucode,c_above,c_below,c_soil,c_dead\n"
                                                "2,100,20,75,5\n");
    cs::test::write_text(dir.file("run.yaml"), "name: pole\noutput_dir: out\nland_cover:\n"
                                               "  epochs:\n    2020: lc.tif\nmodels:\n"
                                               "  stocks:\n    method: lookup\n"
                                               "    table: pools.csv\n");
    const auto r = cs::test::run_carbonsink("run " + dir.file("run.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: pixel area: reference grid land_cover/2020 (" +
                         dir.file("lc.tif") +
                         ", band 1): row 0 spans 89.5°N to 90.5°N, 0.5° beyond the North Pole: "
                         "its pixels count only their ground up to the pole (the part beyond "
                         "has no area)\n"),
              std::string::npos)
        << r.err;
    const auto rows = cs::test::read_csv(dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 2u);
    const double want_ha = cell_area_m2(20.0, 23.0, 86.5, 90.0) / 1e4;
    EXPECT_NEAR(std::stod(rows[1][2]) / want_ha, 1.0, 1e-9) << rows[1][2];
    EXPECT_NEAR(std::stod(rows[1][3]) / (want_ha * 200.0), 1.0, 1e-9) << rows[1][3];
}

} // namespace
