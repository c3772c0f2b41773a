// GCJ-02 <-> WGS 84 (raster/gcj02.hpp): the inverse really inverts the forward formula, nothing
// moves outside China, and the offset at Shenyang and Taicang has the size and direction an
// independent long-double derivation of the published formula gives.
#include "raster/gcj02.hpp"

#include <gtest/gtest.h>
#include <ogr_geometry.h>

#include <cmath>
#include <memory>

using namespace cs::raster;

namespace {

// An independent derivation of the forward offset, in long double: the offsets in metres
// (east: 300 + x + 2y + ..., north: -100 + 2x + 3y + ...; written term by term as the formula
// is published, not from raster/gcj02.cpp) divided by the Krasovsky ellipsoid's metres per
// degree of latitude, pi a (1 - e2) / (180 (1 - e2 sin^2)^1.5), and of longitude,
// pi a cos / (180 (1 - e2 sin^2)^0.5).
struct Offset {
    long double east_m, north_m, dlon_deg, dlat_deg;
};
Offset reference_offset(long double lon, long double lat) {
    const long double pi = 3.141592653589793238462643383279502884L;
    const long double x = lon - 105.0L;
    const long double y = lat - 35.0L;
    const long double common =
        (20.0L * sinl(6.0L * x * pi) + 20.0L * sinl(2.0L * x * pi)) * 2.0L / 3.0L;
    long double east = 300.0L + x + 2.0L * y + 0.1L * x * x + 0.1L * x * y + 0.1L * sqrtl(fabsl(x));
    east += common;
    east += (20.0L * sinl(x * pi) + 40.0L * sinl(x / 3.0L * pi)) * 2.0L / 3.0L;
    east += (150.0L * sinl(x / 12.0L * pi) + 300.0L * sinl(x / 30.0L * pi)) * 2.0L / 3.0L;
    long double north =
        -100.0L + 2.0L * x + 3.0L * y + 0.2L * y * y + 0.1L * x * y + 0.2L * sqrtl(fabsl(x));
    north += common;
    north += (20.0L * sinl(y * pi) + 40.0L * sinl(y / 3.0L * pi)) * 2.0L / 3.0L;
    north += (160.0L * sinl(y / 12.0L * pi) + 320.0L * sinl(y * pi / 30.0L)) * 2.0L / 3.0L;
    const long double a = 6378245.0L;
    const long double e2 = 0.00669342162296594323L;
    const long double s = sinl(lat * pi / 180.0L);
    const long double q = 1.0L - e2 * s * s;
    const long double m_per_deg_lat = pi * a * (1.0L - e2) / (180.0L * q * sqrtl(q));
    const long double m_per_deg_lon = pi * a * cosl(lat * pi / 180.0L) / (180.0L * sqrtl(q));
    return {east, north, east / m_per_deg_lon, north / m_per_deg_lat};
}

// Great-circle distance on a sphere of the WGS 84 mean radius (haversine): enough to tell
// 100 m from 1 km.
double haversine_m(double lon1, double lat1, double lon2, double lat2) {
    const double r = 6371008.8;
    const double d = M_PI / 180.0;
    const double h =
        std::pow(std::sin((lat2 - lat1) * d / 2), 2) +
        std::cos(lat1 * d) * std::cos(lat2 * d) * std::pow(std::sin((lon2 - lon1) * d / 2), 2);
    return 2 * r * std::asin(std::sqrt(h));
}

} // namespace

TEST(Gcj02, ForwardMatchesAnIndependentLongDoubleDerivation) {
    for (double lon = 74.0; lon <= 135.0; lon += 3.05) {
        for (double lat = 18.0; lat <= 53.0; lat += 1.75) {
            const LonLat g = wgs84_to_gcj02(lon, lat);
            const Offset ref = reference_offset(lon, lat);
            EXPECT_NEAR(g.lon - lon, static_cast<double>(ref.dlon_deg), 1e-12) << lon << " " << lat;
            EXPECT_NEAR(g.lat - lat, static_cast<double>(ref.dlat_deg), 1e-12) << lon << " " << lat;
        }
    }
}

TEST(Gcj02, InverseRoundTripsToOneNanodegreeOverChina) {
    for (double lon = 73.5; lon <= 135.0; lon += 0.7) {
        for (double lat = 3.9; lat <= 53.5; lat += 0.45) {
            const LonLat w = gcj02_to_wgs84(lon, lat);
            const LonLat back = wgs84_to_gcj02(w.lon, w.lat);
            ASSERT_LT(std::fabs(back.lon - lon), 1e-9) << lon << " " << lat;
            ASSERT_LT(std::fabs(back.lat - lat), 1e-9) << lon << " " << lat;
            // and the point really moved (the offset is never zero inside the box)
            ASSERT_GT(std::hypot(w.lon - lon, w.lat - lat), 1e-4) << lon << " " << lat;
        }
    }
}

TEST(Gcj02, NothingMovesOutsideChina) {
    const LonLat outside[] = {{2.35, 48.85}, {-74.0, 40.7}, {139.7, 35.7}, {71.9, 40.0},
                              {100.0, 56.0}, {100.0, 0.5},  {151.2, -33.9}};
    for (const auto &p : outside) {
        const LonLat f = wgs84_to_gcj02(p.lon, p.lat);
        const LonLat i = gcj02_to_wgs84(p.lon, p.lat);
        EXPECT_EQ(f.lon, p.lon);
        EXPECT_EQ(f.lat, p.lat);
        EXPECT_EQ(i.lon, p.lon);
        EXPECT_EQ(i.lat, p.lat);
    }
}

// At Shenyang (123.4E 41.8N) the formula puts GCJ-02 about 511 m east and 272 m north of
// WGS 84; at Taicang (121.1E 31.45N) about 441 m east and 196 m south (the metres come from
// reference_offset; the test checks the signs and the 100 m - 1 km range independently).
TEST(Gcj02, OffsetAtShenyangAndTaicangIsAFewHundredMetresInTheFormulasDirection) {
    struct Place {
        double lon, lat;
        bool north;
    };
    for (const Place &p : {Place{123.4, 41.8, true}, Place{121.1, 31.45, false}}) {
        const Offset ref = reference_offset(p.lon, p.lat);
        EXPECT_GT(ref.east_m, 400.0L);
        EXPECT_LT(ref.east_m, 600.0L);
        EXPECT_EQ(ref.north_m > 0.0L, p.north);
        // WGS 84 -> GCJ-02 moves east (and north at Shenyang, south at Taicang) ...
        const LonLat g = wgs84_to_gcj02(p.lon, p.lat);
        EXPECT_GT(g.lon, p.lon);
        EXPECT_EQ(g.lat > p.lat, p.north);
        const double d = haversine_m(p.lon, p.lat, g.lon, g.lat);
        EXPECT_GT(d, 100.0);
        EXPECT_LT(d, 1000.0);
        EXPECT_NEAR(d, static_cast<double>(std::hypot(ref.east_m, ref.north_m)), 2.0);
        // ... so reading a GCJ-02 boundary back to WGS 84 moves it west by as much.
        const LonLat w = gcj02_to_wgs84(p.lon, p.lat);
        EXPECT_LT(w.lon, p.lon);
        EXPECT_EQ(w.lat < p.lat, p.north);
        EXPECT_NEAR(haversine_m(p.lon, p.lat, w.lon, w.lat), d, 1.0);
    }
}

TEST(Gcj02, GeometryVerticesAreConvertedAndTheCrsKept) {
    OGRPolygon poly;
    OGRLinearRing ring;
    ring.addPoint(123.0, 41.5);
    ring.addPoint(123.5, 41.5);
    ring.addPoint(123.5, 42.0);
    ring.addPoint(123.0, 41.5);
    poly.addRing(&ring);
    OGRSpatialReference *wgs = new OGRSpatialReference();
    wgs->importFromEPSG(4326);
    poly.assignSpatialReference(wgs);
    wgs->Release();
    ASSERT_TRUE(gcj02_to_wgs84(poly));
    ASSERT_NE(poly.getSpatialReference(), nullptr);
    const OGRLinearRing *out = poly.getExteriorRing();
    // Edges longer than 0.01 degree are cut first (gcj02.hpp "Edges"): 0.5 -> 50 pieces, 0.5 ->
    // 50, the diagonal sqrt(0.5) = 0.7071 -> 71; 171 pieces, 172 points with the closing one.
    ASSERT_EQ(out->getNumPoints(), 172);
    const double in[4][2] = {{123.0, 41.5}, {123.5, 41.5}, {123.5, 42.0}, {123.0, 41.5}};
    const int at[4] = {0, 50, 100, 171};
    for (int i = 0; i < 4; ++i) {
        const LonLat w = gcj02_to_wgs84(in[i][0], in[i][1]);
        EXPECT_EQ(out->getX(at[i]), w.lon);
        EXPECT_EQ(out->getY(at[i]), w.lat);
    }
    // Every point, taken forward to GCJ-02 again, lies on its straight GCJ-02 edge, at most
    // 0.01 degree from the previous one.
    double gx_prev = in[0][0], gy_prev = in[0][1];
    for (int k = 1; k < out->getNumPoints(); ++k) {
        const int e = k <= 50 ? 0 : k <= 100 ? 1 : 2;
        const LonLat g = wgs84_to_gcj02(out->getX(k), out->getY(k));
        const double ax = in[e][0], ay = in[e][1], bx = in[e + 1][0], by = in[e + 1][1];
        const double cross = (bx - ax) * (g.lat - ay) - (by - ay) * (g.lon - ax);
        EXPECT_NEAR(cross / std::hypot(bx - ax, by - ay), 0.0, 1e-8) << k;
        EXPECT_LE(std::hypot(g.lon - gx_prev, g.lat - gy_prev), 0.01 + 1e-8) << k;
        gx_prev = g.lon;
        gy_prev = g.lat;
    }
}
