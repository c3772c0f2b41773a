// GCJ-02 <-> WGS 84 (see gcj02.hpp for the formula, its sources and its accuracy).
#include "raster/gcj02.hpp"

#include <cmath>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

namespace cs::raster {

namespace {

constexpr double PI = 3.14159265358979323846;
// Krasovsky 1940 ellipsoid, as the published formula uses it (gcj02.hpp).
constexpr double KRASOVSKY_A = 6378245.0;
constexpr double KRASOVSKY_E2 = 0.00669342162296594323;

/// The term both offsets share: 2/3 (20 sin(6πx) + 20 sin(2πx)).
double shared_term(double x) {
    return 2.0 / 3.0 * (20.0 * std::sin(6.0 * PI * x) + 20.0 * std::sin(2.0 * PI * x));
}

/// East offset in metres at x = lon - 105, y = lat - 35 (gcj02.hpp, E(x, y)).
double east_metres(double x, double y) {
    return 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::fabs(x)) +
           shared_term(x) + 2.0 / 3.0 * (20.0 * std::sin(PI * x) + 40.0 * std::sin(PI * x / 3.0)) +
           2.0 / 3.0 * (150.0 * std::sin(PI * x / 12.0) + 300.0 * std::sin(PI * x / 30.0));
}

/// North offset in metres (gcj02.hpp, N(x, y)).
double north_metres(double x, double y) {
    return -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::fabs(x)) +
           shared_term(x) + 2.0 / 3.0 * (20.0 * std::sin(PI * y) + 40.0 * std::sin(PI * y / 3.0)) +
           2.0 / 3.0 * (160.0 * std::sin(PI * y / 12.0) + 320.0 * std::sin(PI * y / 30.0));
}

/// Applies gcj02_to_wgs84 to every point OGRGeometry::transform() hands it; source and target
/// CRS are the layer's own (only the coordinates move).
class Gcj02ToWgs84 final : public OGRCoordinateTransformation {
public:
    OGRSpatialReference *GetSourceCS() override { return nullptr; }
    OGRSpatialReference *GetTargetCS() override { return nullptr; }
    int Transform(int count, double *x, double *y, double * /*z*/, double * /*t*/,
                  int *success) override {
        for (int i = 0; i < count; ++i) {
            const LonLat w = gcj02_to_wgs84(x[i], y[i]);
            x[i] = w.lon;
            y[i] = w.lat;
            if (success != nullptr) {
                success[i] = TRUE;
            }
        }
        return TRUE;
    }
    OGRCoordinateTransformation *Clone() const override { return new Gcj02ToWgs84(); }
    OGRCoordinateTransformation *GetInverse() const override { return nullptr; }
};

} // namespace

bool gcj02_applies(double lon, double lat) {
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

LonLat wgs84_to_gcj02(double lon, double lat) {
    if (!gcj02_applies(lon, lat)) {
        return {lon, lat};
    }
    const double x = lon - 105.0;
    const double y = lat - 35.0;
    const double phi = lat * PI / 180.0;
    const double s = std::sin(phi);
    const double w = 1.0 - KRASOVSKY_E2 * s * s;
    // Radii of curvature of the Krasovsky ellipsoid at φ: meridian M and prime vertical N.
    const double m = KRASOVSKY_A * (1.0 - KRASOVSKY_E2) / (w * std::sqrt(w));
    const double n = KRASOVSKY_A / std::sqrt(w);
    return {lon + east_metres(x, y) / (n * std::cos(phi)) * 180.0 / PI,
            lat + north_metres(x, y) / m * 180.0 / PI};
}

LonLat gcj02_to_wgs84(double lon, double lat) {
    if (!gcj02_applies(lon, lat)) {
        return {lon, lat};
    }
    constexpr double TOLERANCE_DEG = 1e-9;
    LonLat w{lon, lat};
    for (int k = 0; k < 20; ++k) {
        const LonLat g = wgs84_to_gcj02(w.lon, w.lat);
        const double dlon = g.lon - lon;
        const double dlat = g.lat - lat;
        if (std::fabs(dlon) < TOLERANCE_DEG && std::fabs(dlat) < TOLERANCE_DEG) {
            break;
        }
        w.lon -= dlon;
        w.lat -= dlat;
    }
    return w;
}

bool gcj02_to_wgs84(OGRGeometry &geom) {
    Gcj02ToWgs84 ct;
    // transform() would assign the transformation's target CRS (null here) to the geometry:
    // keep the layer's.
    OGRSpatialReference *srs =
        geom.getSpatialReference() == nullptr ? nullptr : geom.getSpatialReference()->Clone();
    // Densify first (gcj02.hpp, "Edges"): a straight GCJ-02 edge is a slightly curved WGS 84
    // line; with vertices at most SEGMENT_DEG apart the converted polygon is within 6 cm of it.
    geom.segmentize(GCJ02_SEGMENT_DEG);
    const bool ok = geom.transform(&ct) == OGRERR_NONE;
    geom.assignSpatialReference(srs);
    if (srs != nullptr) {
        srs->Release();
    }
    return ok;
}

} // namespace cs::raster
