// Coverage index: which districts cover each pixel, and by what fraction of its area.
//
// Theory of operation (exact coverage fractions). Polygons are first mapped to pixel space
// (u = column, v = row; pixel (c, r) is the unit square [c, c+1] x [r, r+1]) and their rings
// oriented so outer rings have positive shoelace area and holes negative. For the strip of
// row r (r <= v <= r+1), the area of the polygon to the left of the abscissa U is, by Green's
// theorem,
//     F(U) = sum over edge segments e clipped to the strip of  integral_e min(u, U) dv
// (dv signed: on a positively oriented ring the right-hand boundary runs towards +v, the left
// towards -v, and min(b, U) - min(a, U) is the length of [a, b] left of U). The area of the
// polygon inside pixel (c, r) is F(c+1) - F(c). For one segment from (u1, v1) to (u2, v2),
// with ul = min(u1, u2), ur = max(u1, u2), dv = v2 - v1:
//     G(U) = dv * U                                   for U <= ul
//     G(U) = dv * (u1 + u2) / 2                       for U >= ur
//     G(U) = dv * (t (ul + U) / 2 + (1 - t) U),  t = (U - ul) / (ur - ul)   otherwise,
// so a segment adds exactly dv to every column left of floor(ul), a closed-form value to the
// columns floor(ul)..floor(ur) it crosses, and nothing to columns right of it. Summing the
// constant parts as a running sum along the row gives, between crossings, runs of whole pixels
// (fraction 1 inside, 0 outside) without visiting them one by one: a row costs O(k log k) for
// k edge crossings. Holes, multipolygons, polygons smaller than a pixel and polygons partly
// outside the grid need no special case: columns and rows outside the grid are dropped after
// the sums. Overlapping polygons are independent, so a pixel shared by two districts gives each
// its own fraction. The same formula is what exactextract computes by walking rings through
// cells; this formulation is ours.
//
// Weighted fractions (geographic grids). On a lon/lat grid the ground area of a pixel is not
// spread evenly over its height: the area density is rho(phi) = M(phi) N(phi) cos(phi) per unit
// of longitude and latitude, so a piece in the equatorward half of a pixel is larger than the
// same piece in the poleward half (the two halves of a 1 degree pixel at 45 degrees differ by a
// relative 8.7e-3, about tan(phi) times the pixel height in radians / 2). The fraction stored
// for a partial pixel is then the piece's share of the pixel's true area, f = integral of
// w(t) du dt over the piece, where t = v - r is the row-local coordinate and w the row's area
// density normalized to integrate to 1 over the row (RowAreaProfiles). Green's theorem still
// applies with dv replaced by w(t) dt:
//     F(U) = sum over segments of  integral min(u(t), U) w(t) dt,
// so a segment adds dW = W(t_b) - W(t_a) (W = integral of w, the share of the row's area
// above t) to every column left of it, and to a column c it crosses
//     H(c) - H(c + 1),   H(U) = integral over the part of the segment with u >= U of
//                                (u - U) w(t) dt = +-(u_e - U) (t_e - t_U) m(t_U, t_e),
// where e is the segment's end with the larger u, t_U the row coordinate where u = U, and
// m(p, q) = integral_0^1 s w(p + s (q - p)) ds is computed by Gauss-Legendre with 2, 3 or 4
// points, exact for the profile's polynomial degree up to 2, 4 or 6 (degree 2 covers pixels up
// to a few arc minutes; beyond 6, for pixels of several degrees, the terms left out are below
// 1e-12). Written this way no term is a difference of large primitives, so nearly horizontal
// segments stay accurate. For rows straddling a pole the segments are clipped to the part of
// the row that is ground, where w is smooth. Whole pixels keep fraction 1 (the dW of a row's
// crossings telescope to 1), and the runner's `fraction x row area` is the piece's true
// ellipsoidal area. Projected grids pass no profiles and take the unweighted path above
// unchanged.
#pragma once
#include "raster/grid.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace cs::raster {

/// Pixels [x0, x1) of one row covered by `district` (dense index) with fraction() of each
/// pixel's area (1 for interior runs, in (0, 1) for boundary pixels, which have x1 = x0 + 1).
/// The fraction is stored in 32-bit fixed point: 1 exactly, or q / 2^32 (resolution 2.3e-10 of
/// a pixel), so an entry takes 16 bytes (a province-wide index holds tens of millions). Columns
/// are 32-bit: grids are at most MAX_GRID_SIZE_PX = 2^31 - 1 px wide (raster/grid.hpp), so x1 <=
/// width always fits. Rows are indexed by int64 and entry counts by 64-bit offsets.
struct CoverageEntry {
    uint32_t x0 = 0;
    uint32_t x1 = 0;
    uint32_t district = 0;
    uint32_t fraction_q = FULL;

    static constexpr uint32_t FULL = 0xFFFFFFFFu;
    /// Fixed-point code of a fraction in (0, 1]: FULL for 1, else round(f * 2^32) in
    /// [1, FULL - 1].
    static uint32_t encode(double f) {
        if (f >= 1.0) {
            return FULL;
        }
        const double q = f * 4294967296.0 + 0.5;
        return q < 1.0 ? 1u : q >= 4294967295.0 ? FULL - 1 : static_cast<uint32_t>(q);
    }
    double fraction() const {
        return fraction_q == FULL ? 1.0 : static_cast<double>(fraction_q) * (1.0 / 4294967296.0);
    }
};

/// A coverage entry with its row, as produced before the index is assembled.
struct RowCoverageEntry {
    int64_t row = 0;
    CoverageEntry entry;
};

/// A closed ring in pixel coordinates (u = column, v = row), first vertex not repeated.
using PixelRing = std::vector<std::pair<double, double>>;

/// How the true area of each row's pixels is spread over the row's height, for grids where it
/// is not uniform (geographic grids; built by raster/pixel_area.hpp row_area_profiles). In the
/// row-local coordinate t = v - r, the ground part of row r is t0 <= t <= t1 (0 and 1 except for
/// a row straddling a pole); there the normalized area density w(t) (integral 1 over the row)
/// and its integral W(t) from t0 (the share of the row's area between t0 and t) are polynomials
/// in y = 2 (t - t0) / (t1 - t0) - 1. Empty for grids whose pixels have uniform area density
/// (projected grids). Immutable and thread-safe once built.
class RowAreaProfiles {
public:
    RowAreaProfiles() = default;
    /// `degree`: degree of the density polynomials; `data`: per row, t0, t1, 2 / (t1 - t0), then
    /// the density coefficients (degree + 1, constant first) and the coefficients of its integral
    /// (degree + 2), so rows * (degree * 2 + 6) values.
    RowAreaProfiles(int64_t rows, int degree, std::vector<double> data)
        : m_rows(rows), m_degree(degree), m_stride(2 * static_cast<std::size_t>(degree) + 6),
          m_data(std::move(data)) {}

    bool empty() const { return m_rows == 0; }
    int64_t rows() const { return m_rows; }
    int degree() const { return m_degree; }

    /// The profile of one row.
    struct Row {
        const double *p;
        int degree;
        /// Ground part [t0, t1] of the row.
        double t0() const { return p[0]; }
        double t1() const { return p[1]; }
        /// w(t) (t0 <= t <= t1).
        double density(double t) const {
            const double y = (t - p[0]) * p[2] - 1.0;
            const double *c = p + 3;
            double s = c[degree];
            for (int j = degree - 1; j >= 0; --j) {
                s = s * y + c[j];
            }
            return s;
        }
        /// W(t) (t0 <= t <= t1): 0 at t0, 1 at t1.
        double share(double t) const {
            const double y = (t - p[0]) * p[2] - 1.0;
            const double *c = p + 3 + degree + 1;
            double s = c[degree + 1];
            for (int j = degree; j >= 0; --j) {
                s = s * y + c[j];
            }
            return s;
        }
    };
    /// Precondition: 0 <= r < rows().
    Row row(int64_t r) const { return {at(r), m_degree}; }

private:
    const double *at(int64_t r) const {
        return m_data.data() + static_cast<std::size_t>(r) * m_stride;
    }

    int64_t m_rows = 0;
    int m_degree = 0;
    std::size_t m_stride = 0;
    std::vector<double> m_data;
};

/// Append the exact coverage of one polygon to `out`: `rings` holds every ring of the polygon
/// (or of several disjoint polygons), outer rings and holes in any orientation; `is_hole[i]`
/// says which are holes. Only pixels of the `width` x `height` grid are emitted; fractions below
/// 1e-12 are dropped and values within 1e-9 of 1 are snapped to 1. Vertices may lie anywhere,
/// far outside the grid too. With `profiles` (non-empty, one profile per grid row), fractions
/// are shares of each pixel's true area (see "Weighted fractions" above); without, shares of its
/// planar area. Thread-safe (pure). Throws RasterError when the grid is wider or taller than
/// MAX_GRID_SIZE_PX, or when `profiles` does not have `height` rows.
void exact_polygon_coverage(const std::vector<PixelRing> &rings, const std::vector<bool> &is_hole,
                            uint32_t district, int64_t width, int64_t height,
                            std::vector<RowCoverageEntry> &out,
                            const RowAreaProfiles *profiles = nullptr);

/// Coverage of the whole grid by every district: for each row, entries sorted by (x0, district).
/// Built once per run and shared read-only by every thread.
class CoverageIndex {
public:
    CoverageIndex() = default;
    /// Assemble from entries in any order (sorted here, so the index does not depend on the order
    /// entries were produced in).
    CoverageIndex(int64_t height, std::vector<RowCoverageEntry> &&entries);
    /// Same, from several lists (e.g. one per thread), each freed as soon as it is placed: peak
    /// memory is the lists plus the 16-byte entries of the index, with no merged copy.
    CoverageIndex(int64_t height, std::vector<std::vector<RowCoverageEntry>> &&parts);

    std::span<const CoverageEntry> row(int64_t r) const {
        const auto b = m_offsets[static_cast<std::size_t>(r)];
        const auto e = m_offsets[static_cast<std::size_t>(r) + 1];
        return {m_entries.data() + b, static_cast<std::size_t>(e - b)};
    }
    int64_t height() const { return static_cast<int64_t>(m_offsets.size()) - 1; }
    std::size_t entries() const { return m_entries.size(); }
    std::size_t memory_bytes() const {
        return m_entries.size() * sizeof(CoverageEntry) + m_offsets.size() * sizeof(uint64_t);
    }

private:
    std::vector<uint64_t> m_offsets{0};
    std::vector<CoverageEntry> m_entries;
};

/// Convert a row of per-pixel district indices (-1 = none) into fraction-1 runs.
void runs_from_labels(const int32_t *labels, int64_t width, int64_t row,
                      std::vector<RowCoverageEntry> &out);

} // namespace cs::raster
