// True ground area of the pixels of a grid.
//
// Theory of operation. Projected grids: every pixel has the area of the geotransform
// parallelogram |a*e - b*d| in the CRS's linear unit squared, converted to m². (Issue 3 adds the
// areal scale-factor correction of conformal projections; for now projected areas are map areas
// and the provenance says so.) Geographic grids: a pixel spans phi1..phi2 and dlambda degrees, and
// its area on the CRS's own ellipsoid (semi-major a, flattening f) is
//     A = |Z(phi2) - Z(phi1)| * dlambda / 360,
//     Z(phi) = pi b^2 [ atanh(e sin phi)/e + sin phi / ((1 + e sin phi)(1 - e sin phi)) ]
// (science.md §1.3; same formula as wri/gfw_forest_loss_geotrellis Geodesy.scala and GRASS
// G_darea0_on_ellipsoid). It depends only on the row, so it is computed once per row.
#pragma once
#include "raster/grid.hpp"

#include <string>
#include <vector>

namespace cs::raster {

/// Ellipsoid band area between the equator and latitude `lat_deg` over 360° of longitude, m².
double ellipsoid_zone_area_m2(double lat_deg, double semi_major_m, double inv_flattening);

/// Area of a geographic cell from lat1 to lat2 spanning `dlon_deg` degrees, m².
double ellipsoid_cell_area_m2(double lat1_deg, double lat2_deg, double dlon_deg,
                              double semi_major_m, double inv_flattening);

/// Per-row pixel areas of a grid, in hectares. Immutable after construction; thread-safe.
class PixelArea {
public:
    /// Throws RasterError when the grid has no CRS, a rotated geographic geotransform, or a CRS
    /// whose unit cannot be converted to metres.
    explicit PixelArea(const GridSpec &grid);

    /// Area of any pixel of row `row`, ha.
    double row_area_ha(int64_t row) const {
        return m_constant ? m_constant_ha : m_row_ha[static_cast<std::size_t>(row)];
    }
    bool constant() const { return m_constant; }
    /// "planar (projected CRS, map units)" or "ellipsoidal per row (<ellipsoid name>)".
    const std::string &method() const { return m_method; }

private:
    bool m_constant = true;
    double m_constant_ha = 0.0;
    std::vector<double> m_row_ha;
    std::string m_method;
};

} // namespace cs::raster
