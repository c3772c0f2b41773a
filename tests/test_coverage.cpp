// Exact coverage fractions: hand-worked cases, partitions, and random polygons against an
// independent cell-by-cell clipping computation.
#include "raster/coverage.hpp"
#include "raster/grid.hpp"
#include "raster/raster_error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <random>

using cs::raster::CoverageIndex;
using cs::raster::exact_polygon_coverage;
using cs::raster::PixelRing;
using cs::raster::RowCoverageEntry;

namespace {

/// Dense fractions [row][col] of one polygon (district 0) on a w x h grid.
std::vector<std::vector<double>> dense(const std::vector<PixelRing> &rings,
                                       const std::vector<bool> &holes, int w, int h) {
    std::vector<RowCoverageEntry> out;
    exact_polygon_coverage(rings, holes, 0, w, h, out);
    std::vector<std::vector<double>> g(static_cast<std::size_t>(h),
                                       std::vector<double>(static_cast<std::size_t>(w), 0.0));
    for (const auto &e : out) {
        for (uint32_t x = e.entry.x0; x < e.entry.x1; ++x) {
            g[static_cast<std::size_t>(e.row)][x] += e.entry.fraction();
        }
    }
    return g;
}

void expect_grid(const std::vector<std::vector<double>> &got,
                 const std::vector<std::vector<double>> &want, double tol = 5e-10) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t r = 0; r < want.size(); ++r) {
        for (std::size_t c = 0; c < want[r].size(); ++c) {
            EXPECT_NEAR(got[r][c], want[r][c], tol) << "pixel row " << r << ", col " << c;
        }
    }
}

// Independent computation: area of polygon ∩ unit cell by Sutherland–Hodgman clipping of each
// ring against the cell (valid for any simple ring: the clipped ring's signed area is the
// signed area of the intersection), summed over rings with hole signs.
double clip_area(const PixelRing &ring, double x0, double y0, double x1, double y1) {
    std::vector<std::pair<double, double>> poly(ring.begin(), ring.end());
    auto clip = [&](auto inside, auto intersect) {
        std::vector<std::pair<double, double>> out;
        for (std::size_t i = 0; i < poly.size(); ++i) {
            const auto p = poly[i];
            const auto q = poly[(i + 1) % poly.size()];
            const bool pin = inside(p);
            const bool qin = inside(q);
            if (pin) {
                out.push_back(p);
            }
            if (pin != qin) {
                out.push_back(intersect(p, q));
            }
        }
        poly = out;
    };
    auto ix = [](double x) {
        return [x](auto p, auto q) {
            const double t = (x - p.first) / (q.first - p.first);
            return std::make_pair(x, p.second + t * (q.second - p.second));
        };
    };
    auto iy = [](double y) {
        return [y](auto p, auto q) {
            const double t = (y - p.second) / (q.second - p.second);
            return std::make_pair(p.first + t * (q.first - p.first), y);
        };
    };
    clip([&](auto p) { return p.first >= x0; }, ix(x0));
    clip([&](auto p) { return p.first <= x1; }, ix(x1));
    clip([&](auto p) { return p.second >= y0; }, iy(y0));
    clip([&](auto p) { return p.second <= y1; }, iy(y1));
    double a = 0;
    for (std::size_t i = 0; i < poly.size(); ++i) {
        const auto p = poly[i];
        const auto q = poly[(i + 1) % poly.size()];
        a += p.first * q.second - q.first * p.second;
    }
    return std::fabs(0.5 * a);
}

} // namespace

TEST(Coverage, SquareOverThreeByThree) {
    // Square (0.5, 0.5)-(2.5, 2.5): corners a quarter, edges a half, centre whole.
    const auto g = dense({{{0.5, 0.5}, {2.5, 0.5}, {2.5, 2.5}, {0.5, 2.5}}}, {false}, 3, 3);
    expect_grid(g, {{0.25, 0.5, 0.25}, {0.5, 1.0, 0.5}, {0.25, 0.5, 0.25}});
}

TEST(Coverage, OrientationDoesNotMatter) {
    const auto g = dense({{{0.5, 2.5}, {2.5, 2.5}, {2.5, 0.5}, {0.5, 0.5}}}, {false}, 3, 3);
    expect_grid(g, {{0.25, 0.5, 0.25}, {0.5, 1.0, 0.5}, {0.25, 0.5, 0.25}});
}

TEST(Coverage, Diamond) {
    // |u - 1.5| + |v - 1.5| <= 1.5 (area 4.5): centre 1; edge pixels: width 2v for v < 0.5, then
    // 1: 0.25 + 0.5 = 0.75; corner pixels: triangle u + v >= 1.5 in the unit square = 0.125.
    const auto g = dense({{{1.5, 0}, {3, 1.5}, {1.5, 3}, {0, 1.5}}}, {false}, 3, 3);
    expect_grid(g, {{0.125, 0.75, 0.125}, {0.75, 1.0, 0.75}, {0.125, 0.75, 0.125}});
}

TEST(Coverage, LShape) {
    // [0.5, 2.5] x [0.5, 1.5] plus [0.5, 1.5] x [1.5, 2.5].
    const auto g = dense({{{0.5, 0.5}, {2.5, 0.5}, {2.5, 1.5}, {1.5, 1.5}, {1.5, 2.5}, {0.5, 2.5}}},
                         {false}, 3, 3);
    expect_grid(g, {{0.25, 0.5, 0.25}, {0.5, 0.75, 0.25}, {0.25, 0.25, 0.0}});
}

TEST(Coverage, PolygonWithHole) {
    // [0, 3]^2 minus the hole [0.5, 1.5]^2: the four pixels around (1, 1) lose a quarter each.
    const auto g =
        dense({{{0, 0}, {3, 0}, {3, 3}, {0, 3}}, {{0.5, 0.5}, {1.5, 0.5}, {1.5, 1.5}, {0.5, 1.5}}},
              {false, true}, 3, 3);
    expect_grid(g, {{0.75, 0.75, 1}, {0.75, 0.75, 1}, {1, 1, 1}});
    // Hole given with the same orientation as the outer ring: still a hole.
    const auto g2 =
        dense({{{0, 0}, {3, 0}, {3, 3}, {0, 3}}, {{0.5, 1.5}, {1.5, 1.5}, {1.5, 0.5}, {0.5, 0.5}}},
              {false, true}, 3, 3);
    expect_grid(g2, g);
}

TEST(Coverage, SubPixelPolygons) {
    // Inside one pixel: 0.25 x 0.25 = 0.0625.
    auto g = dense({{{0.25, 0.25}, {0.5, 0.25}, {0.5, 0.5}, {0.25, 0.5}}}, {false}, 2, 2);
    expect_grid(g, {{0.0625, 0}, {0, 0}});
    // Straddling the corner of four pixels: 0.1 x 0.1 = 0.01 each.
    g = dense({{{0.9, 0.9}, {1.1, 0.9}, {1.1, 1.1}, {0.9, 1.1}}}, {false}, 2, 2);
    expect_grid(g, {{0.01, 0.01}, {0.01, 0.01}});
    // A thin sliver triangle inside one pixel: area 0.5 * 0.5 * 0.01 = 0.0025.
    g = dense({{{0.2, 0.3}, {0.7, 0.3}, {0.2, 0.31}}}, {false}, 1, 1);
    expect_grid(g, {{0.0025}});
}

TEST(Coverage, PolygonPartlyAndWhollyOutsideTheGrid) {
    // [-1, 1.5] x [-1, 1.5]: pixel (0, 0) whole, its neighbours half, (1, 1) a quarter.
    auto g = dense({{{-1, -1}, {1.5, -1}, {1.5, 1.5}, {-1, 1.5}}}, {false}, 3, 3);
    expect_grid(g, {{1, 0.5, 0}, {0.5, 0.25, 0}, {0, 0, 0}});
    // Past the right and bottom edges.
    g = dense({{{2.5, 2.5}, {9, 2.5}, {9, 9}, {2.5, 9}}}, {false}, 3, 3);
    expect_grid(g, {{0, 0, 0}, {0, 0, 0}, {0, 0, 0.25}});
    std::vector<RowCoverageEntry> out;
    exact_polygon_coverage({{{10, 10}, {12, 10}, {12, 12}}}, {false}, 0, 3, 3, out);
    EXPECT_TRUE(out.empty());
}

TEST(Coverage, VerticesFarOutsideTheGridNeitherOverflowNorSweepTheirColumns) {
    // Columns -1e30 .. 2.5 and rows -1e20 .. 1e20: every row of a 4 x 3 grid has columns 0
    // and 1 whole and column 2 half covered. Converting such coordinates to int64 directly would
    // overflow, and sweeping their columns one by one would never end.
    auto g = dense({{{-1e30, -1e20}, {2.5, -1e20}, {2.5, 1e20}, {-1e30, 1e20}}}, {false}, 4, 3);
    expect_grid(g, {{1, 1, 0.5, 0}, {1, 1, 0.5, 0}, {1, 1, 0.5, 0}});
    // A triangle with a vertex far to the right: a shallow edge crosses 1e15 columns per row.
    // Its part in the grid (rows 0-1, v <= 2) is the strip between v = 0 and the edge from (0, 2)
    // to (1e15, 0), whose height drops by 2e-15 per column: pixel (c, 1) keeps 1 - 2e-15 (c + 0.5),
    // snapped to 1.
    g = dense({{{0, 0}, {1e15, 0}, {0, 2}}}, {false}, 3, 2);
    expect_grid(g, {{1, 1, 1}, {1, 1, 1}}, 1e-9);
}

TEST(Coverage, GridLargerThanTheLimitIsRefused) {
    std::vector<RowCoverageEntry> out;
    const PixelRing square = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    try {
        exact_polygon_coverage({square}, {false}, 0, cs::raster::MAX_GRID_SIZE_PX + 1, 10, out);
        FAIL() << "no exception";
    } catch (const cs::raster::RasterError &e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot compute district coverage: grid 2147483648 x 10 px: wider than "
                  "2147483647 px, the largest raster size GDAL can address");
    }
    // At the limit itself the columns still fit the 32-bit coverage entries.
    exact_polygon_coverage({{{2147483646, 0}, {2147483647, 0}, {2147483647, 1}, {2147483646, 1}}},
                           {false}, 0, cs::raster::MAX_GRID_SIZE_PX, 1, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].entry.x0, 2147483646u);
    EXPECT_EQ(out[0].entry.x1, 2147483647u);
    EXPECT_EQ(out[0].entry.fraction(), 1.0);
}

TEST(Coverage, InteriorIsEmittedAsRunsNotPixels) {
    std::vector<RowCoverageEntry> out;
    exact_polygon_coverage({{{0.5, 0.5}, {999.5, 0.5}, {999.5, 1.5}, {0.5, 1.5}}}, {false}, 0, 1000,
                           2, out);
    // Row 0: 2 partial end pixels + 1 run of half pixels... every pixel of rows 0 and 1 is half
    // covered except the ends (quarter), so each row is quarter, run of halves, quarter.
    ASSERT_EQ(out.size(), 6u);
    EXPECT_EQ(out[1].entry.x0, 1u);
    EXPECT_EQ(out[1].entry.x1, 999u);
    EXPECT_DOUBLE_EQ(out[1].entry.fraction(), 0.5);
    out.clear();
    exact_polygon_coverage({{{0, 0}, {1000, 0}, {1000, 5}, {0, 5}}}, {false}, 0, 1000, 5, out);
    ASSERT_EQ(out.size(), 5u);
    for (const auto &e : out) {
        EXPECT_EQ(e.entry.x0, 0u);
        EXPECT_EQ(e.entry.x1, 1000u);
        EXPECT_EQ(e.entry.fraction(), 1.0);
    }
}

TEST(Coverage, PartitionFractionsSumToOnePerPixel) {
    // A 10 x 7 grid cut by a zigzag line into two polygons, plus a triangle carved out of the
    // upper one as a third district: every pixel's fractions sum to 1, the total is 70.
    const int w = 10;
    const int h = 7;
    const std::vector<std::pair<double, double>> zig = {
        {0, 3.3}, {2.7, 1.2}, {5.1, 4.9}, {7.4, 2.05}, {10, 3.7}};
    PixelRing upper = {{0, 0}, {10, 0}};
    for (auto it = zig.rbegin(); it != zig.rend(); ++it) {
        upper.push_back(*it);
    }
    PixelRing lower = zig;
    lower.push_back({10, 7});
    lower.push_back({0, 7});
    const PixelRing tri = {{3.2, 0.4}, {4.6, 0.7}, {3.9, 1.9}};
    std::vector<RowCoverageEntry> out;
    exact_polygon_coverage({upper, tri}, {false, true}, 0, w, h, out);
    exact_polygon_coverage({lower}, {false}, 1, w, h, out);
    exact_polygon_coverage({tri}, {false}, 2, w, h, out);
    std::vector<double> sum(w * h, 0.0);
    double total = 0;
    for (const auto &e : out) {
        for (uint32_t x = e.entry.x0; x < e.entry.x1; ++x) {
            sum[static_cast<std::size_t>(e.row * w + x)] += e.entry.fraction();
            total += e.entry.fraction();
        }
    }
    for (double s : sum) {
        EXPECT_NEAR(s, 1.0, 1e-9); // fractions are stored to 2.3e-10
    }
    EXPECT_NEAR(total, 70.0, 1e-7);
    // The index groups by row, sorted by x0 then district.
    CoverageIndex index(h, std::move(out));
    for (int64_t r = 0; r < h; ++r) {
        const auto row = index.row(r);
        for (std::size_t i = 1; i < row.size(); ++i) {
            EXPECT_TRUE(row[i - 1].x0 < row[i].x0 ||
                        (row[i - 1].x0 == row[i].x0 && row[i - 1].district < row[i].district));
        }
    }
}

TEST(Coverage, RandomPolygonsMatchCellByCellClipping) {
    std::mt19937_64 rng(12345);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    for (int trial = 0; trial < 200; ++trial) {
        // Random star-shaped polygon (simple, possibly very non-convex) around a random centre,
        // sometimes partly outside the 12 x 9 grid, with vertices off pixel edges.
        const double cx = -2 + 16 * unif(rng);
        const double cy = -2 + 13 * unif(rng);
        const int n = 3 + static_cast<int>(unif(rng) * 25);
        PixelRing ring;
        for (int i = 0; i < n; ++i) {
            const double ang = 2 * std::numbers::pi * (i + 0.8 * unif(rng)) / n;
            const double rad = 0.2 + 6 * unif(rng);
            ring.emplace_back(cx + rad * std::cos(ang), cy + rad * std::sin(ang));
        }
        const auto g = dense({ring}, {false}, 12, 9);
        for (int r = 0; r < 9; ++r) {
            for (int c = 0; c < 12; ++c) {
                const double want = clip_area(ring, c, r, c + 1, r + 1);
                ASSERT_NEAR(g[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)], want, 1e-9)
                    << "trial " << trial << ", pixel row " << r << ", col " << c;
            }
        }
    }
}

TEST(Coverage, RunsFromLabels) {
    const int32_t labels[] = {-1, 3, 3, 3, -1, -1, 2, 2, 3};
    std::vector<RowCoverageEntry> out;
    cs::raster::runs_from_labels(labels, 9, 4, out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].row, 4);
    EXPECT_EQ(out[0].entry.x0, 1u);
    EXPECT_EQ(out[0].entry.x1, 4u);
    EXPECT_EQ(out[0].entry.district, 3u);
    EXPECT_EQ(out[1].entry.x0, 6u);
    EXPECT_EQ(out[1].entry.district, 2u);
    EXPECT_EQ(out[2].entry.x0, 8u);
    EXPECT_EQ(out[2].entry.x1, 9u);
}
