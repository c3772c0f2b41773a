// GCJ-02, the datum of Chinese web maps (Amap/Gaode, Tencent, Aliyun DataV.GeoAtlas): conversion
// of longitude/latitude from GCJ-02 back to WGS 84, so that district boundaries downloaded from
// those services land where they are on the ground.
//
// Theory of operation. GCJ-02 is WGS 84 plus a deliberate, smoothly varying offset of a few
// hundred metres, applied only in a rough box around China. Its algorithm is not officially
// published; the forward formula (WGS 84 -> GCJ-02) used here is the one widely circulated from
// leaked code and re-implemented in many open-source projects (Wikipedia, "Restrictions on
// geographic data in China", section "GCJ-02",
// https://en.wikipedia.org/wiki/Restrictions_on_geographic_data_in_China; its constants and series
// are documented e.g. in
// https://deepwiki.com/wandergis/coordtransform/3.1-wgs84-gcj-02-transformations and
// https://deepwiki.com/wandergis/coordtransform/5.1-constants-and-helper-functions). It was
// written here from that description:
//   x = lon - 105, y = lat - 35 (degrees),
//   E(x, y) = 300 + x + 2y + 0.1x² + 0.1xy + 0.1 sqrt|x| + S(x) + 2/3 (150 sin(πx/12) +
//             300 sin(πx/30)) + 2/3 (20 sin(πx) + 40 sin(πx/3)),
//   N(x, y) = -100 + 2x + 3y + 0.2y² + 0.1xy + 0.2 sqrt|x| + S(x) + 2/3 (160 sin(πy/12) +
//             320 sin(πy/30)) + 2/3 (20 sin(πy) + 40 sin(πy/3)),
//   S(x) = 2/3 (20 sin(6πx) + 20 sin(2πx)),
// E and N are the east and north offsets in metres, turned into degrees with the radii of
// curvature of the Krasovsky ellipsoid (a = 6378245 m, e² = 0.00669342162296594323) at the
// WGS 84 latitude φ: M = a(1 - e²)/(1 - e² sin²φ)^(3/2) (meridian), N = a/(1 - e² sin²φ)^(1/2)
// (prime vertical): Δlat = N(x,y)/M · 180/π, Δlon = E(x,y)/(N cos φ) · 180/π. Outside the box
// 72.004..137.8347 °E, 0.8293..55.8271 °N the offset is zero.
//
// Accuracy. Because the official algorithm is secret, its agreement with this formula cannot be
// stated from a specification. The Wikipedia article above reports that the rough one-step
// inverse (g - d(g)) is good to 1-2 m and the fixed-point inverse to "centimeter accuracy"
// against the forward formula, and that an independent Fourier analysis of map offsets (Wu
// Yongzheng) gave a result much like the leaked code. Our inverse iterates to 1e-9 degree (about
// 0.1 mm), far below the offset itself (a few hundred metres) and below any pixel size.
//
// Inverse. The offset d(p) = F(p) - p changes by a few metres per kilometre at most (its
// fastest term, 2/3 · 20 sin(6πx), by 2/3 · 20 · 6π ≈ 250 m per degree), so w = g - d(w) is a
// contraction by a factor of a few 1e-3: start at w0 = g and iterate
// w_{k+1} = w_k - (F(w_k) - g) until |F(w) - g| < 1e-9 degree in both coordinates (a few
// iterations; at most 20 are tried).
//
// Areas. The same term stretches ground by up to about 250 m per degree of longitude (3e-3), so
// the conversion is a shift of a few hundred metres that is nearly, not exactly, rigid: the
// areas of Shenyang's districts change by 1.6e-4 to 3.4e-3 (tests/test_china.cpp).
//
// Edges. The offset's curvature is at most about 2/3 · 20 · (6π)² ≈ 4700 m per degree², so along a
// straight edge of L degrees the converted edge departs from the image of the GCJ-02 edge by at
// most 4700 · L² / 8 m: 6 cm for a 0.01-degree (1 km) edge, 6 m for a 0.1-degree one. Boundaries
// from DataV.GeoAtlas mostly have short edges (Shenyang's districts: median 0.7 km, 99 % under
// 2.7 km) but not all (Shenyang's longest 7.8 km, Suzhou's 21 km: metres off). So edges longer
// than GCJ02_SEGMENT_DEG are first cut into pieces of at most that length (OGR segmentize,
// straight in degrees), which bounds the error at 6 cm for a few more vertices.
#pragma once

class OGRGeometry;

namespace cs::raster {

/// Longest edge converted as a straight line, degrees (see "Edges" above).
inline constexpr double GCJ02_SEGMENT_DEG = 0.01;

struct LonLat {
    double lon = 0.0;
    double lat = 0.0;
};

/// The rough box where GCJ-02 differs from WGS 84 (see above); outside it both are equal.
bool gcj02_applies(double lon, double lat);

/// WGS 84 -> GCJ-02 (the forward obfuscation), degrees.
LonLat wgs84_to_gcj02(double lon, double lat);

/// GCJ-02 -> WGS 84 by fixed-point iteration: the returned w satisfies
/// |wgs84_to_gcj02(w) - (lon, lat)| < 1e-9 degree in each coordinate (or w = (lon, lat) outside
/// the box).
LonLat gcj02_to_wgs84(double lon, double lat);

/// Convert `geom` (x = longitude, y = latitude in degrees) from GCJ-02 to WGS 84 in place: edges
/// longer than GCJ02_SEGMENT_DEG are split first, then every vertex is converted. Returns false
/// when OGR could not apply the conversion.
bool gcj02_to_wgs84(OGRGeometry &geom);

} // namespace cs::raster
