// Exact coverage fractions and the coverage index (see coverage.hpp for the method).
#include "raster/coverage.hpp"

#include "raster/raster_error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cs::raster {

namespace {

constexpr double DROP = 1e-12;
constexpr double SNAP = 1e-9;

struct Edge {
    double u1, v1, u2, v2;
};

/// G(U) of a segment, see coverage.hpp.
inline double seg_g(double u1, double u2, double dv, double ul, double ur, double U) {
    if (U <= ul) {
        return dv * U;
    }
    if (U >= ur) {
        return dv * 0.5 * (u1 + u2);
    }
    const double t = (U - ul) / (ur - ul);
    return dv * (t * 0.5 * (ul + U) + (1.0 - t) * U);
}

/// floor(x) as an integer, with x first clamped to [lo, hi] (so coordinates far outside the grid,
/// even beyond the int64 range, convert without overflow).
inline int64_t clamped_floor(double x, int64_t lo, int64_t hi) {
    return static_cast<int64_t>(
        std::floor(std::clamp(x, static_cast<double>(lo), static_cast<double>(hi))));
}

double ring_signed_area(const PixelRing &ring) {
    double a = 0.0;
    const std::size_t n = ring.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto &p = ring[i];
        const auto &q = ring[(i + 1) % n];
        a += p.first * q.second - q.first * p.second;
    }
    return 0.5 * a;
}

struct RowSegment {
    int64_t cl;
    int64_t cr;
    double u1, u2, dv, ul, ur;
    double t1 = 0.0;    ///< weighted sweep: row-local t at (u1, u2)
    double t2 = 0.0;    ///< weighted sweep: row-local t at (u1, u2)
    double dt_du = 0.0; ///< weighted sweep: (t2 - t1) / (u2 - u1), or 0 for u2 == u1
    double full = 0.0;  ///< weighted sweep: (u2 - u1) (t2 - t1) m(t1, t2), see coverage.hpp
};

/// m(p, q) = integral over s in [0, 1] of s w(p + s (q - p)) for one row, by Gauss-Legendre
/// with `nodes` points (2, 3 or 4: exact when w has degree up to 2, 4 or 6).
inline double first_moment(const RowAreaProfiles::Row &row, int nodes, double p, double q) {
    const double d = q - p;
    if (nodes == 2) {
        constexpr double S0 = 0.21132486540518713; // (1 - 1/sqrt(3)) / 2
        constexpr double S1 = 0.78867513459481287;
        return 0.5 * (S0 * row.density(p + S0 * d) + S1 * row.density(p + S1 * d));
    }
    if (nodes == 3) {
        constexpr double S0 = 0.11270166537925831; // (1 - sqrt(3/5)) / 2
        constexpr double S2 = 0.88729833462074169;
        return (5.0 / 18.0) * S0 * row.density(p + S0 * d) +
               (8.0 / 18.0) * 0.5 * row.density(p + 0.5 * d) +
               (5.0 / 18.0) * S2 * row.density(p + S2 * d);
    }
    constexpr double S[4] = {0.069431844202973713, 0.33000947820757187, 0.66999052179242813,
                             0.93056815579702629};
    constexpr double W[4] = {0.17392742256872692, 0.32607257743127308, 0.32607257743127308,
                             0.17392742256872692};
    double m = 0.0;
    for (int i = 0; i < 4; ++i) {
        m += W[i] * S[i] * row.density(p + S[i] * d);
    }
    return m;
}

/// H(U) of a segment in the weighted sweep: the integral, over the part of the segment with
/// u >= U, of (u - U) w(t) dt, signed by the segment's direction (see coverage.hpp).
inline double seg_h(const RowSegment &s, const RowAreaProfiles::Row &row, int nodes, double U) {
    if (U >= s.ur) {
        return 0.0;
    }
    if (U <= s.ul) {
        return (s.u1 - U) * s.dv + s.full;
    }
    // ul < U < ur, so u2 != u1. The end with the larger u, and the stretch from u = U to it.
    const bool end_is_second = s.u2 > s.u1;
    const double ue = end_is_second ? s.u2 : s.u1;
    const double te = end_is_second ? s.t2 : s.t1;
    const double du = ue - U;
    const double dt = du * s.dt_du;
    const double h = du * dt * first_moment(row, nodes, te - dt, te);
    return end_is_second ? h : -h;
}

} // namespace

void exact_polygon_coverage(const std::vector<PixelRing> &rings, const std::vector<bool> &is_hole,
                            uint32_t district, int64_t width, int64_t height,
                            std::vector<RowCoverageEntry> &out, const RowAreaProfiles *profiles) {
    if (const std::string why = describe_oversized_grid(width, height); !why.empty()) {
        throw RasterError("cannot compute district coverage: grid " + why);
    }
    const bool weighted = profiles != nullptr && !profiles->empty();
    if (weighted && profiles->rows() != height) {
        throw RasterError("cannot compute district coverage: area profiles for " +
                          std::to_string(profiles->rows()) + " rows on a grid of " +
                          std::to_string(height) + " rows");
    }
    // Gauss-Legendre points for first_moment: exact for the profiles' degree up to 6.
    const int nodes = !weighted ? 0 : profiles->degree() <= 2 ? 2 : profiles->degree() <= 4 ? 3 : 4;
    // 1. Oriented edges (outer rings positive, holes negative); horizontal edges add nothing.
    std::vector<Edge> edges;
    double vmin = INFINITY;
    double vmax = -INFINITY;
    for (std::size_t k = 0; k < rings.size(); ++k) {
        const PixelRing &ring = rings[k];
        if (ring.size() < 3) {
            continue;
        }
        const double area = ring_signed_area(ring);
        if (area == 0.0) {
            continue;
        }
        const bool hole = k < is_hole.size() && is_hole[k];
        const bool reverse = hole ? area > 0.0 : area < 0.0;
        const std::size_t n = ring.size();
        for (std::size_t i = 0; i < n; ++i) {
            auto p = ring[i];
            auto q = ring[(i + 1) % n];
            if (reverse) {
                std::swap(p, q);
            }
            if (p.second == q.second) {
                continue;
            }
            edges.push_back({p.first, p.second, q.first, q.second});
            vmin = std::min({vmin, p.second, q.second});
            vmax = std::max({vmax, p.second, q.second});
        }
    }
    if (edges.empty()) {
        return;
    }
    if (edges.size() > std::numeric_limits<uint32_t>::max()) {
        throw RasterError("cannot compute district coverage: district index " +
                          std::to_string(district) + ": " + std::to_string(edges.size()) +
                          " polygon edges, more than the 2^32 - 1 the coverage sweep indexes");
    }
    // Rows and columns are clamped to one beyond the grid before conversion to integers, so
    // vertices far outside the grid (even infinite) cannot overflow int64 or make a row sweep
    // visit rows and columns that are dropped anyway.
    const int64_t r0 = std::max<int64_t>(0, clamped_floor(vmin, -1, height + 1));
    const int64_t r1 = std::min<int64_t>(height, -clamped_floor(-vmax, -height - 1, 1));
    if (r0 >= r1) {
        return;
    }
    // 2. Bucket edges by the rows they span (counting sort, CSR). Counts are 64-bit: the number
    // of (edge, row) pairs of one polygon is not bounded by 2^32.
    const auto nrows = static_cast<std::size_t>(r1 - r0);
    std::vector<std::size_t> count(nrows + 1, 0);
    auto row_span = [&](const Edge &e, int64_t &a, int64_t &b) {
        const double lo = std::min(e.v1, e.v2);
        const double hi = std::max(e.v1, e.v2);
        a = std::max<int64_t>(r0, clamped_floor(lo, -1, height + 1));
        b = std::min<int64_t>(r1, -clamped_floor(-hi, -height - 1, 1));
    };
    for (const Edge &e : edges) {
        int64_t a = 0;
        int64_t b = 0;
        row_span(e, a, b);
        for (int64_t r = a; r < b; ++r) {
            ++count[static_cast<std::size_t>(r - r0) + 1];
        }
    }
    for (std::size_t i = 1; i <= nrows; ++i) {
        count[i] += count[i - 1];
    }
    std::vector<uint32_t> bucket(count[nrows]);
    std::vector<std::size_t> fill(count.begin(), count.end() - 1);
    for (std::size_t i = 0; i < edges.size(); ++i) {
        int64_t a = 0;
        int64_t b = 0;
        row_span(edges[i], a, b);
        for (int64_t r = a; r < b; ++r) {
            bucket[fill[static_cast<std::size_t>(r - r0)]++] = static_cast<uint32_t>(i);
        }
    }

    // 3. Row by row: clip segments to the strip, sweep columns.
    std::vector<RowSegment> segs;
    std::vector<std::pair<int64_t, double>> partial;
    for (int64_t r = r0; r < r1; ++r) {
        const double row_v = static_cast<double>(r);
        const RowAreaProfiles::Row prof =
            weighted ? profiles->row(r) : RowAreaProfiles::Row{nullptr, 0};
        // The weighted sweep clips to the ground part of the row (all of it except at a pole).
        const double top = weighted ? row_v + prof.t0() : row_v;
        const double bottom = weighted ? row_v + prof.t1() : top + 1.0;
        segs.clear();
        const auto ri = static_cast<std::size_t>(r - r0);
        for (std::size_t k = count[ri]; k < count[ri + 1]; ++k) {
            const Edge &e = edges[bucket[k]];
            // Clip the edge to top <= v <= bottom, parameterized by v.
            const double va = std::clamp(e.v1, top, bottom);
            const double vb = std::clamp(e.v2, top, bottom);
            if (va == vb) {
                continue;
            }
            const double du_dv = (e.u2 - e.u1) / (e.v2 - e.v1);
            const double ua = e.v1 == va ? e.u1 : e.u1 + (va - e.v1) * du_dv;
            const double ub = e.v2 == vb ? e.u2 : e.u1 + (vb - e.v1) * du_dv;
            RowSegment s;
            s.u1 = ua;
            s.u2 = ub;
            s.dv = vb - va;
            s.ul = std::min(ua, ub);
            s.ur = std::max(ua, ub);
            if (weighted) {
                s.t1 = va - row_v;
                s.t2 = vb - row_v;
                s.dt_du = ub != ua ? (s.t2 - s.t1) / (ub - ua) : 0.0;
                s.dv = prof.share(s.t2) - prof.share(s.t1);
                s.full = (ub - ua) * (s.t2 - s.t1) * first_moment(prof, nodes, s.t1, s.t2);
            }
            // Columns beyond the grid are clamped to -1 and width + 1: the fractions of the
            // grid's columns do not change (G is evaluated at the true u), and a long edge far
            // outside the grid does not produce one partial per column it crosses.
            s.cl = clamped_floor(s.ul, -1, width + 1);
            s.cr = clamped_floor(s.ur, -1, width + 1);
            if (s.cr > s.cl && static_cast<double>(s.cr) == s.ur) {
                --s.cr; // a segment ending exactly on a column edge adds nothing to the next one
            }
            segs.push_back(s);
        }
        if (segs.empty()) {
            continue;
        }
        std::sort(segs.begin(), segs.end(),
                  [](const RowSegment &a, const RowSegment &b) { return a.cl < b.cl; });
        double total_dv = 0.0;
        partial.clear();
        for (const RowSegment &s : segs) {
            total_dv += s.dv;
            if (weighted) {
                // Column c gets H(c) - H(c + 1); each H is evaluated once.
                double h_left = seg_h(s, prof, nodes, static_cast<double>(s.cl));
                for (int64_t c = s.cl; c <= s.cr; ++c) {
                    const double h_right = seg_h(s, prof, nodes, static_cast<double>(c + 1));
                    partial.emplace_back(c, h_left - h_right);
                    h_left = h_right;
                }
                continue;
            }
            for (int64_t c = s.cl; c <= s.cr; ++c) {
                const double U0 = static_cast<double>(c);
                partial.emplace_back(c, seg_g(s.u1, s.u2, s.dv, s.ul, s.ur, U0 + 1.0) -
                                            seg_g(s.u1, s.u2, s.dv, s.ul, s.ur, U0));
            }
        }
        std::sort(partial.begin(), partial.end(),
                  [](const auto &a, const auto &b) { return a.first < b.first; });
        // area(c) = C(c) + P(c), C(c) = sum of dv over segments with cl > c = total - prefix.
        std::size_t si = 0;
        std::size_t pi = 0;
        double prefix = 0.0;
        int64_t c = segs.front().cl;
        const int64_t c_end =
            std::max_element(segs.begin(), segs.end(),
                             [](const RowSegment &a, const RowSegment &b) { return a.cr < b.cr; })
                ->cr;
        auto emit = [&](int64_t x0, int64_t x1, double fraction) {
            x0 = std::max<int64_t>(x0, 0);
            x1 = std::min<int64_t>(x1, width);
            if (x0 >= x1 || fraction <= DROP) {
                return;
            }
            if (std::fabs(fraction - 1.0) < SNAP) {
                fraction = 1.0;
            }
            fraction = std::min(fraction, 1.0);
            const uint32_t q = CoverageEntry::encode(fraction);
            if (!out.empty() && out.back().row == r && out.back().entry.x1 == x0 &&
                out.back().entry.district == district && q == CoverageEntry::FULL &&
                out.back().entry.fraction_q == CoverageEntry::FULL) {
                out.back().entry.x1 = static_cast<uint32_t>(x1);
                return;
            }
            out.push_back({r, {static_cast<uint32_t>(x0), static_cast<uint32_t>(x1), district, q}});
        };
        while (c <= c_end) {
            while (si < segs.size() && segs[si].cl <= c) {
                prefix += segs[si].dv;
                ++si;
            }
            const double constant = total_dv - prefix;
            if (pi < partial.size() && partial[pi].first == c) {
                double p = 0.0;
                while (pi < partial.size() && partial[pi].first == c) {
                    p += partial[pi].second;
                    ++pi;
                }
                emit(c, c + 1, constant + p);
                ++c;
                continue;
            }
            // Run of whole pixels up to the next column where something changes.
            int64_t next = c_end + 1;
            if (si < segs.size()) {
                next = std::min(next, segs[si].cl);
            }
            if (pi < partial.size()) {
                next = std::min(next, partial[pi].first);
            }
            emit(c, next, constant);
            c = next;
        }
    }
}

CoverageIndex::CoverageIndex(int64_t height, std::vector<RowCoverageEntry> &&entries)
    : CoverageIndex(height, [&] {
          std::vector<std::vector<RowCoverageEntry>> parts;
          parts.push_back(std::move(entries));
          return parts;
      }()) {}

CoverageIndex::CoverageIndex(int64_t height, std::vector<std::vector<RowCoverageEntry>> &&parts) {
    // Counting sort by row, then each row sorted by (x0, district): the result does not depend
    // on how entries were split into parts or ordered in them.
    m_offsets.assign(static_cast<std::size_t>(height) + 1, 0);
    for (const auto &part : parts) {
        for (const auto &e : part) {
            m_offsets[static_cast<std::size_t>(e.row) + 1]++;
        }
    }
    for (std::size_t i = 1; i < m_offsets.size(); ++i) {
        m_offsets[i] += m_offsets[i - 1];
    }
    m_entries.resize(m_offsets.back());
    std::vector<uint64_t> fill(m_offsets.begin(), m_offsets.end() - 1);
    for (auto &part : parts) {
        for (const auto &e : part) {
            m_entries[fill[static_cast<std::size_t>(e.row)]++] = e.entry;
        }
        part.clear();
        part.shrink_to_fit();
    }
    for (int64_t r = 0; r < height; ++r) {
        auto b =
            m_entries.begin() + static_cast<std::ptrdiff_t>(m_offsets[static_cast<std::size_t>(r)]);
        auto e = m_entries.begin() +
                 static_cast<std::ptrdiff_t>(m_offsets[static_cast<std::size_t>(r) + 1]);
        std::sort(b, e, [](const CoverageEntry &x, const CoverageEntry &y) {
            return x.x0 != y.x0 ? x.x0 < y.x0 : x.district < y.district;
        });
    }
}

void runs_from_labels(const int32_t *labels, int64_t width, int64_t row,
                      std::vector<RowCoverageEntry> &out) {
    int64_t x = 0;
    while (x < width) {
        const int32_t d = labels[x];
        int64_t end = x + 1;
        while (end < width && labels[end] == d) {
            ++end;
        }
        if (d >= 0) {
            out.push_back({row,
                           {static_cast<uint32_t>(x), static_cast<uint32_t>(end),
                            static_cast<uint32_t>(d), CoverageEntry::FULL}});
        }
        x = end;
    }
}

} // namespace cs::raster
