// True ground area of the pixels of a grid.
//
// Theory of operation. Geographic grids: a pixel spans phi1..phi2 and dlambda degrees, and its
// area on the CRS's own ellipsoid (semi-major a, flattening f) is
//     A = |Z(phi2) - Z(phi1)| * dlambda / 360,
//     Z(phi) = pi b^2 [ atanh(e sin phi)/e + sin phi / ((1 + e sin phi)(1 - e sin phi)) ]
// (science.md §1.3; same formula as wri/gfw_forest_loss_geotrellis Geodesy.scala and GRASS
// G_darea0_on_ellipsoid). It depends only on the row, so it is computed once per row.
// Latitudes beyond the poles are not ground: a row straddling 90°N or 90°S (a global grid
// from -90.5 to 90.5 with 1° pixels centred on the poles) counts only its part up to the pole,
// and warning() names the row; a grid with a row wholly beyond a pole is refused (its
// georeferencing is wrong). A grid spanning more than 360° of longitude repeats ground, which
// warning() says. Within a row the area density varies with latitude; row_area_profiles()
// describes it for weighting partial pixels (raster/coverage.hpp, "Weighted fractions").
//
// Projected grids: the map area of a pixel is the geotransform parallelogram |a*e - b*d| in the
// CRS's linear unit squared, converted to m². A projection maps a small ground area dA to the
// map area s * dA, where s is PROJ's areal scale factor (proj_factors, evaluated on the ellipsoid
// of the CRS's own datum). So
//   - equal-area projections (Albers, LAEA, cylindrical equal area, Mollweide, sinusoidal…):
//     s = 1 everywhere, the true area is the map area. This is detected numerically: s is
//     evaluated on a 17 x 17 sample of pixel centres and |s - 1| < 1e-9 at every sample;
//   - other projections (UTM, Gauss–Krüger, Lambert conformal, Mercator…): the true area of a
//     pixel is map area / s at its centre. s is evaluated by PROJ once per node of a lattice of
//     pixel centres every 64 px in x and y (covering the grid; the last node may lie up to 63 px
//     beyond the last row or column; on grids so large that this would exceed 4 Mi nodes, every
//     128, 256, ... px, so that memory and PROJ time stay bounded), and the true area is
//     interpolated between nodes with a tensor-product cubic Lagrange stencil of 4 x 4 nodes
//     (shifted inward at the edges of the lattice). Bilinear interpolation is not enough: on a 30 m
//     UTM grid the areal scale has a curvature of about 2 k0² / R² = 4.9e-14 per m², so its
//     bilinear error over a 1920 m cell reaches (1920 m)² / 8 * 4.9e-14 = 2.3e-8; the cubic
//     stencil's error there is below the noise of PROJ's numerical derivatives (about 2e-11). The
//     interpolation is then checked against PROJ at the centres of up to 16 x 16 lattice cells;
//     while the error exceeds 1e-9 (coarse grids in strongly varying projections, e.g. a global Web
//     Mercator grid) the spacing is halved, down to 1 px or 4 Mi nodes, and warning() reports an
//     error that is still above 1e-9. Grids smaller than 193 px along an axis use a finer spacing
//     so the lattice keeps 4 nodes.
// When PROJ cannot evaluate s at a lattice node (outside the projection's domain), the node
// takes the value of its nearest evaluated neighbour and warning() says how many nodes did; when
// PROJ cannot evaluate s anywhere, areas fall back to map areas (Kind::planar_map_units) and
// warning() says so.
#pragma once
#include "raster/coverage.hpp"
#include "raster/grid.hpp"

#include <cstdint>
#include <string>
#include <vector>

class OGRSpatialReference;

namespace cs::raster {

namespace detail {
class ScaleEvaluator; // PROJ set-up that evaluates areal scale factors (pixel_area.cpp)
} // namespace detail

/// Ellipsoid band area between the equator and latitude `lat_deg` over 360° of longitude, m².
double ellipsoid_zone_area_m2(double lat_deg, double semi_major_m, double inv_flattening);

/// Area of a geographic cell from lat1 to lat2 spanning `dlon_deg` degrees, m².
double ellipsoid_cell_area_m2(double lat1_deg, double lat2_deg, double dlon_deg,
                              double semi_major_m, double inv_flattening);

/// Area profiles of the rows of `grid` (raster/coverage.hpp RowAreaProfiles): for a geographic
/// grid, the normalized ellipsoidal area density over each row's height, as polynomials exact to
/// about 1e-15 (the ground part of a row straddling a pole only); empty for a projected grid,
/// whose pixels have uniform density. About 0.4 µs per row. Throws RasterError as PixelArea does
/// (no CRS, rotated geographic grid, rows wholly beyond a pole).
RowAreaProfiles row_area_profiles(const GridSpec &grid);

/// PROJ's areal scale factor (map area / ground area on the ellipsoid of the CRS's datum, no
/// unit) of the projected CRS `crs_wkt` (WKT, PROJ string or "EPSG:n") at the point (x, y): x
/// easting and y northing in the CRS's own linear unit, as in a GDAL geotransform. Slow (a PROJ
/// inverse projection and a numerical derivative; the CRS set-up is cached per thread for the
/// last CRS used), meant for tests and diagnostics. Thread-safe. Throws RasterError when the CRS
/// cannot be read, is not projected, or PROJ cannot evaluate the factor at that point.
double projected_areal_scale(const std::string &crs_wkt, double x, double y);

/// True pixel areas of a grid, in hectares. Immutable after construction; every const member is
/// thread-safe.
class PixelArea {
public:
    /// How pixel areas are obtained (see the file comment).
    enum class Kind {
        planar_equal_area,      ///< equal-area projection: every pixel has the map area
        planar_scale_corrected, ///< map area / PROJ areal scale factor, interpolated per pixel
        ellipsoidal_rows,       ///< geographic grid: exact ellipsoidal area, one value per row
        planar_map_units        ///< PROJ gave no scale factors: map area (see warning())
    };

    /// Sets up the areas of `grid`. For projected grids that are not equal-area this evaluates
    /// PROJ on the lattice (about 0.35 s for a 40000 x 40000 px UTM grid, up to a few seconds
    /// when the lattice must be refined to its 4 Mi node limit). `label` names the grid in
    /// messages ("reference grid land_cover/2015 (lc.tif, band 1)"). Throws RasterError when the
    /// grid has no CRS, a rotated geographic geotransform, a row wholly beyond a pole, or a CRS
    /// whose unit cannot be converted to metres.
    explicit PixelArea(const GridSpec &grid, const std::string &label = "reference grid");

    /// Most memory a PixelArea of a grid `height` rows tall can take (bytes), whatever its CRS
    /// and width: per-row areas, or a lattice of at most 4 Mi nodes while it is built.
    static std::size_t memory_bound_bytes(int64_t height);
    /// Memory this object holds (bytes).
    std::size_t memory_bytes() const {
        return (m_row_ha.capacity() + m_node_ha.capacity() + m_x.weights.capacity() +
                m_y.weights.capacity()) *
               sizeof(double);
    }

    /// Area of any pixel of row `row`, ha. Valid only when the area does not vary along a row
    /// (every kind except planar_scale_corrected); for planar_scale_corrected it throws
    /// RasterError (use row_areas_ha). Precondition: 0 <= row < grid height.
    double row_area_ha(int64_t row) const {
        if (m_kind == Kind::ellipsoidal_rows) {
            return m_row_ha[static_cast<std::size_t>(row)];
        }
        if (m_kind == Kind::planar_scale_corrected) {
            throw_varies_along_row();
        }
        return m_constant_ha;
    }

    /// Write the true areas (ha) of pixels x0 .. x0 + n - 1 of row `row` to out[0 .. n - 1]. Works
    /// for every kind; allocates nothing and calls no PROJ function (a few multiply-adds per
    /// pixel). Throws RasterError when the pixels are not inside the grid.
    void row_areas_ha(int64_t row, int64_t x0, int64_t n, double *out) const;

    /// True when every pixel has the same area (planar_equal_area and planar_map_units).
    bool constant() const {
        return m_kind == Kind::planar_equal_area || m_kind == Kind::planar_map_units;
    }
    Kind kind() const { return m_kind; }
    /// "planar (equal-area projection)", "planar corrected by PROJ areal scale factor (lattice
    /// 64 px, bicubic)", "ellipsoidal per row (<ellipsoid name>)" or "planar (projected CRS, map
    /// units; PROJ gave no areal scale factor)". Recorded in the outputs' provenance.
    const std::string &method() const { return m_method; }
    /// Empty, or one message in the project grammar about a degraded result (map units used,
    /// lattice nodes filled from neighbours, rows straddling a pole, more than 360° of
    /// longitude).
    const std::string &warning() const { return m_warning; }

private:
    /// One axis of the interpolation lattice: nodes at pixel offsets 0, spacing, …, last * spacing.
    struct LatticeAxis {
        int64_t spacing = 1;
        int64_t last = 3; ///< index of the last node (>= 3)
        /// Cubic Lagrange weights: [shift 0..2][offset 0..spacing][4 nodes], shift = index of the
        /// interval inside its 4-node stencil.
        std::vector<double> weights;
        void build(int64_t pixels, int64_t max_spacing);
        /// Stencil of pixel `p`: first node index and its 4 weights.
        const double *stencil(int64_t p, int64_t &first) const;
    };

    [[noreturn]] void throw_varies_along_row() const;
    void setup_geographic(const GridSpec &grid, const OGRSpatialReference &srs);
    void setup_projected(const GridSpec &grid, double to_m);
    /// Evaluate the lattice nodes (failed[k] = 1 where PROJ could not, those filled from
    /// neighbours); returns the number of failed nodes.
    std::size_t build_lattice(const GridSpec &grid, const detail::ScaleEvaluator &evaluator,
                              double map_m2, int64_t max_spacing, std::vector<uint8_t> &failed);
    /// Largest relative error of the interpolated area against PROJ at sampled cell centres.
    double interpolation_error(const GridSpec &grid, const detail::ScaleEvaluator &evaluator,
                               double map_m2, const std::vector<uint8_t> &failed) const;

    Kind m_kind = Kind::planar_map_units;
    int64_t m_width = 0;
    int64_t m_height = 0;
    double m_constant_ha = 0.0;
    std::vector<double> m_row_ha;
    LatticeAxis m_x;
    LatticeAxis m_y;
    std::vector<double> m_node_ha; ///< true pixel area at each node, ha, row-major
    std::string m_label;
    std::string m_method;
    std::string m_warning;
};

} // namespace cs::raster
