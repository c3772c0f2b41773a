// Tests of the raster layer: grid checks, block plans, pixel areas, readers, writers, districts.
#include "raster/block_plan.hpp"
#include "raster/grid.hpp"
#include "raster/pixel_area.hpp"
#include "raster/raster_error.hpp"
#include "raster/raster_io.hpp"
#include "raster/vector_districts.hpp"
#include "test_support.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <ogr_spatialref.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace cs::raster;
using cs::test::PolygonFeature;
using cs::test::RasterSpec;
using cs::test::Ring;
using cs::test::TempDir;
namespace fs = std::filesystem;

constexpr double WGS84_A = 6378137.0;
constexpr double WGS84_INV_F = 298.257223563;
constexpr double DEG = std::numbers::pi / 180.0;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Call `f` and return the RasterError message; fails the test when nothing (or something else)
/// is thrown.
template <class F> std::string raster_error_of(F &&f) {
    try {
        f();
    } catch (const RasterError &e) {
        return e.what();
    } catch (const std::exception &e) {
        ADD_FAILURE() << "expected RasterError, got another exception: " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected RasterError, nothing was thrown";
    return {};
}

bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

/// WKT of an EPSG code; `format` is an OGR WKT export option value ("WKT1", "WKT2_2019").
std::string wkt_of(int epsg, const char *format = "WKT2_2019") {
    cs::raster::init_gdal();
    OGRSpatialReference srs;
    EXPECT_EQ(srs.importFromEPSG(epsg), OGRERR_NONE) << "EPSG:" << epsg;
    char *wkt = nullptr;
    const std::string opt = std::string("FORMAT=") + format;
    const char *opts[] = {opt.c_str(), nullptr};
    EXPECT_EQ(srs.exportToWkt(&wkt, opts), OGRERR_NONE);
    std::string out = wkt != nullptr ? wkt : "";
    CPLFree(wkt);
    return out;
}

/// The grid of the synthetic rasters: 30 m pixels in UTM 51N, origin (500000, 4600000).
GridSpec utm_grid(int64_t width = 10, int64_t height = 10) {
    GridSpec g;
    g.geotransform = {500000.0, 30.0, 0.0, 4600000.0, 0.0, -30.0};
    g.width = width;
    g.height = height;
    g.crs_wkt = wkt_of(32651);
    return g;
}

// ---------------------------------------------------------------------------------------------
// describe_misalignment / same_crs

TEST(Grid, IdenticalGridsAreAligned) {
    const GridSpec a = utm_grid();
    EXPECT_EQ(describe_misalignment(a, a), "");
    GridSpec b = a;
    b.geotransform[0] += 30.0 * 1e-8; // far below the 1e-6 px tolerance
    EXPECT_EQ(describe_misalignment(a, b), "");
}

TEST(Grid, OriginShift) {
    const GridSpec a = utm_grid();
    GridSpec b = a;
    b.geotransform[0] += 0.8 * 30.0;
    EXPECT_TRUE(contains(describe_misalignment(a, b), "origin x differs by 0.80 px"))
        << describe_misalignment(a, b);
    GridSpec c = a;
    c.geotransform[3] -= 15.0; // half a pixel south = +0.5 rows
    EXPECT_TRUE(contains(describe_misalignment(a, c), "origin y differs by 0.50 px"))
        << describe_misalignment(a, c);
}

TEST(Grid, PixelSizeDiffers) {
    const GridSpec a = utm_grid();
    GridSpec b = a;
    b.geotransform[1] = 20.0;
    const std::string msg = describe_misalignment(a, b);
    EXPECT_TRUE(contains(msg, "pixel width differs")) << msg;
    EXPECT_TRUE(contains(msg, "30")) << msg;
    EXPECT_TRUE(contains(msg, "20")) << msg;
    GridSpec c = a;
    c.geotransform[5] = -25.0;
    EXPECT_TRUE(contains(describe_misalignment(a, c), "pixel height differs"))
        << describe_misalignment(a, c);
}

TEST(Grid, SizeDiffers) {
    const GridSpec a = utm_grid(10, 10);
    const GridSpec b = utm_grid(10, 11);
    EXPECT_EQ(describe_misalignment(a, b), "size differs: 10 x 10 vs 10 x 11 px");
}

TEST(Grid, CrsDiffers) {
    const GridSpec a = utm_grid();
    GridSpec b = a;
    b.crs_wkt = wkt_of(32650);
    EXPECT_EQ(describe_misalignment(a, b), "CRS differs: EPSG:32651 vs EPSG:32650");
    GridSpec none = a;
    none.crs_wkt.clear();
    EXPECT_EQ(describe_misalignment(a, none), "CRS differs: EPSG:32651 vs none");
}

TEST(Grid, SameCrsAcrossWktFlavours) {
    const std::string wkt1 = wkt_of(32651, "WKT1");
    const std::string wkt2 = wkt_of(32651, "WKT2_2019");
    ASSERT_NE(wkt1, wkt2); // really two different strings
    EXPECT_TRUE(same_crs(wkt1, wkt2));
    EXPECT_TRUE(same_crs(wkt2, wkt1));
    EXPECT_FALSE(same_crs(wkt1, wkt_of(32650, "WKT1")));
    EXPECT_TRUE(same_crs("", ""));
    EXPECT_FALSE(same_crs(wkt1, ""));
    EXPECT_FALSE(same_crs("", wkt1));
    EXPECT_EQ(crs_short_name(wkt1), "EPSG:32651");
    EXPECT_EQ(crs_short_name(""), "none");
    // Same grids, CRS in different WKT flavours: aligned.
    GridSpec a = utm_grid();
    GridSpec b = a;
    a.crs_wkt = wkt1;
    b.crs_wkt = wkt2;
    EXPECT_EQ(describe_misalignment(a, b), "");
}

// ---------------------------------------------------------------------------------------------
// BlockPlan

struct PlanCase {
    int64_t width, height, tile, budget;
};

void check_plan(const PlanCase &pc) {
    SCOPED_TRACE("width " + std::to_string(pc.width) + ", height " + std::to_string(pc.height) +
                 ", tile " + std::to_string(pc.tile) + ", budget " + std::to_string(pc.budget));
    const BlockPlan plan(pc.width, pc.height, pc.tile, pc.budget);
    ASSERT_GT(plan.size(), 0u);
    EXPECT_EQ(plan.tile(), pc.tile);
    std::vector<int> count(static_cast<std::size_t>(pc.width * pc.height), 0);
    int64_t max_cells = 0;
    const int64_t tile_cells = pc.tile * pc.tile;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        const Window &w = plan[i];
        ASSERT_GT(w.x_size, 0) << "block " << i;
        ASSERT_GT(w.y_size, 0) << "block " << i;
        ASSERT_GE(w.x_off, 0) << "block " << i;
        ASSERT_GE(w.y_off, 0) << "block " << i;
        ASSERT_LE(w.x_off + w.x_size, pc.width) << "block " << i;
        ASSERT_LE(w.y_off + w.y_size, pc.height) << "block " << i;
        EXPECT_EQ(w.x_off % pc.tile, 0) << "block " << i;
        EXPECT_EQ(w.y_off % pc.tile, 0) << "block " << i;
        // Whole tiles, except at the right and bottom edges.
        EXPECT_TRUE(w.x_size % pc.tile == 0 || w.x_off + w.x_size == pc.width) << "block " << i;
        EXPECT_TRUE(w.y_size % pc.tile == 0 || w.y_off + w.y_size == pc.height) << "block " << i;
        if (tile_cells <= pc.budget) {
            EXPECT_LE(w.cells(), pc.budget) << "block " << i;
        } else {
            EXPECT_LE(w.x_size, pc.tile) << "block " << i;
            EXPECT_LE(w.y_size, pc.tile) << "block " << i;
        }
        if (i > 0) {
            const Window &p = plan[i - 1];
            EXPECT_TRUE(std::tie(p.y_off, p.x_off) < std::tie(w.y_off, w.x_off))
                << "block " << i << " is not after block " << i - 1 << " in row-major order";
        }
        max_cells = std::max(max_cells, w.cells());
        for (int64_t y = w.y_off; y < w.y_off + w.y_size; ++y) {
            for (int64_t x = w.x_off; x < w.x_off + w.x_size; ++x) {
                ++count[static_cast<std::size_t>(y * pc.width + x)];
            }
        }
    }
    for (int64_t k = 0; k < pc.width * pc.height; ++k) {
        ASSERT_EQ(count[static_cast<std::size_t>(k)], 1)
            << "pixel x " << k % pc.width << ", y " << k / pc.width;
    }
    EXPECT_EQ(plan.max_block_cells(), max_cells);
    EXPECT_LE(plan.max_block_cells(), std::max(pc.budget, tile_cells));
    // A budget that holds a full-width strip of one tile row gives whole-width blocks.
    const int64_t tiles_x = (pc.width + pc.tile - 1) / pc.tile;
    if (pc.budget >= tiles_x * tile_cells) {
        for (const Window &w : plan.windows()) {
            EXPECT_EQ(w.x_off, 0);
            EXPECT_EQ(w.x_size, pc.width);
        }
    }
    const BlockPlan again(pc.width, pc.height, pc.tile, pc.budget);
    EXPECT_EQ(again.windows(), plan.windows());
    EXPECT_EQ(again.max_block_cells(), plan.max_block_cells());
}

TEST(BlockPlan, CoversEveryPixelOnceForManyShapes) {
    const std::vector<PlanCase> cases = {
        {300, 200, 256, 1 << 20},        // budget larger than the grid: one block
        {1000, 700, 256, 2 * 256 * 256}, // width not a multiple; strip cut into column groups
        {1000, 700, 256, 100},           // budget smaller than one tile
        {1000, 700, 256, 4 * 256 * 256}, // exactly one full-width tile row
        {1000, 700, 256, 9 * 256 * 256}, // two tile rows per block, leftover budget
        {517, 333, 16, 16 * 16 * 40},    // 33 tiles wide, one tile row per block
        {517, 333, 16, 16 * 16 * 100},   // three tile rows per block
        {517, 333, 16, 16 * 16 * 7},     // column groups of 7 tiles, last group narrower
        {1, 1, 16, 1},                   // a single pixel
        {64, 64, 32, 0},                 // zero budget still allows one tile
        {4097, 3, 256, 3 * 4097},        // very wide, very short
        {3, 4097, 16, 1000},             // very tall, very narrow
    };
    for (const auto &pc : cases) {
        check_plan(pc);
    }
}

TEST(BlockPlan, HandWorkedPlan) {
    // 1000 x 700, tile 256: 4 x 3 tiles. Budget 2 tiles -> column groups of 2 tiles per row.
    const BlockPlan plan(1000, 700, 256, 2 * 256 * 256);
    const std::vector<Window> want = {
        {0, 0, 512, 256},     {512, 0, 488, 256}, {0, 256, 512, 256},
        {512, 256, 488, 256}, {0, 512, 512, 188}, {512, 512, 488, 188},
    };
    EXPECT_EQ(plan.windows(), want);
    EXPECT_EQ(plan.max_block_cells(), 512 * 256);

    const BlockPlan one(300, 200, 256, 1 << 20);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0], (Window{0, 0, 300, 200}));
    EXPECT_EQ(one.max_block_cells(), 300 * 200);
}

TEST(BlockPlan, Errors) {
    EXPECT_EQ(raster_error_of([] { BlockPlan p(0, 10, 256, 1000); }),
              "block plan: grid 0 x 10: the grid is empty");
    EXPECT_EQ(raster_error_of([] { BlockPlan p(10, -1, 256, 1000); }),
              "block plan: grid 10 x -1: the grid is empty");
    EXPECT_EQ(raster_error_of([] { BlockPlan p(10, 10, 24, 1000); }),
              "block plan: tile size 24: must be a positive multiple of 16");
    EXPECT_EQ(raster_error_of([] { BlockPlan p(10, 10, 8, 1000); }),
              "block plan: tile size 8: must be a positive multiple of 16");
    EXPECT_EQ(raster_error_of([] { BlockPlan p(10, 10, 0, 1000); }),
              "block plan: tile size 0: must be a positive multiple of 16");
    EXPECT_EQ(raster_error_of([] { BlockPlan p(3000000000, 10, 256, 1000); }),
              "block plan: grid 3000000000 x 10 px: wider than 2147483647 px, the largest raster "
              "size GDAL can address");
    EXPECT_EQ(raster_error_of([] { BlockPlan p(10, MAX_GRID_SIZE_PX + 1, 256, 1000); }),
              "block plan: grid 10 x 2147483648 px: taller than 2147483647 px, the largest raster "
              "size GDAL can address");
}

TEST(BlockPlan, HugeGridCountsDoNotOverflow) {
    // 200000 x 200000 px = 4e10 cells, more than 2^32: windows tile it exactly once.
    const int64_t n = 200000;
    const BlockPlan plan(n, n, 256, 1 << 20);
    int64_t cells = 0;
    for (const Window &w : plan.windows()) {
        cells += w.cells();
    }
    EXPECT_EQ(cells, n * n);
    EXPECT_EQ(plan.max_block_cells(), 16 * 256 * 256);
    const Window &last = plan[plan.size() - 1];
    EXPECT_EQ(last.x_off + last.x_size, n);
    EXPECT_EQ(last.y_off + last.y_size, n);
    GridSpec g;
    g.width = MAX_GRID_SIZE_PX;
    g.height = MAX_GRID_SIZE_PX;
    EXPECT_EQ(g.cells(), int64_t{2147483647} * 2147483647);
    EXPECT_EQ(describe_oversized_grid(MAX_GRID_SIZE_PX, MAX_GRID_SIZE_PX), "");
}

// ---------------------------------------------------------------------------------------------
// Pixel areas

/// Area of an ellipsoid cell by numerical integration, independent of the closed form:
/// A = dlambda * integral of M(phi) N(phi) cos(phi) dphi, Simpson's rule with n intervals.
double simpson_cell_area(double lat1_deg, double lat2_deg, double dlon_deg, double a, double inv_f,
                         int n = 2000) {
    const double f = 1.0 / inv_f;
    const double e2 = f * (2.0 - f);
    auto g = [&](double phi) {
        const double s = std::sin(phi);
        const double w = 1.0 - e2 * s * s;
        const double m = a * (1.0 - e2) / std::pow(w, 1.5);
        const double nn = a / std::sqrt(w);
        return m * nn * std::cos(phi);
    };
    const double p1 = lat1_deg * DEG;
    const double p2 = lat2_deg * DEG;
    const double h = (p2 - p1) / n;
    double sum = g(p1) + g(p2);
    for (int i = 1; i < n; ++i) {
        sum += g(p1 + i * h) * (i % 2 == 1 ? 4.0 : 2.0);
    }
    return std::fabs(sum * h / 3.0) * dlon_deg * DEG;
}

TEST(PixelArea, Wgs84TotalSurface) {
    const double total_km2 = 2.0 * ellipsoid_zone_area_m2(90.0, WGS84_A, WGS84_INV_F) / 1e6;
    EXPECT_NEAR(total_km2, 510065621.7, 0.1);
    // Zone areas are odd in latitude and zero at the equator.
    EXPECT_EQ(ellipsoid_zone_area_m2(0.0, WGS84_A, WGS84_INV_F), 0.0);
    EXPECT_DOUBLE_EQ(ellipsoid_zone_area_m2(-35.0, WGS84_A, WGS84_INV_F),
                     -ellipsoid_zone_area_m2(35.0, WGS84_A, WGS84_INV_F));
}

TEST(PixelArea, SphereWhenFlatteningIsZero) {
    // inv_flattening 0 means a sphere: zone area 2 pi R^2 sin(phi).
    const double r = 6371007.0;
    EXPECT_NEAR(2.0 * ellipsoid_zone_area_m2(90.0, r, 0.0) / (4.0 * std::numbers::pi * r * r), 1.0,
                1e-14);
    EXPECT_NEAR(ellipsoid_zone_area_m2(30.0, r, 0.0) / (std::numbers::pi * r * r), 1.0, 1e-14);
}

TEST(PixelArea, OneDegreeCellAgainstNumericalIntegration) {
    const double closed = ellipsoid_cell_area_m2(50.0, 51.0, 1.0, WGS84_A, WGS84_INV_F);
    const double numeric = simpson_cell_area(50.0, 51.0, 1.0, WGS84_A, WGS84_INV_F);
    EXPECT_NEAR(closed / numeric, 1.0, 1e-9) << closed << " vs " << numeric;
    // Order of the latitudes does not matter; the southern hemisphere mirrors the northern.
    EXPECT_DOUBLE_EQ(ellipsoid_cell_area_m2(51.0, 50.0, 1.0, WGS84_A, WGS84_INV_F), closed);
    EXPECT_NEAR(ellipsoid_cell_area_m2(-51.0, -50.0, 1.0, WGS84_A, WGS84_INV_F) / closed, 1.0,
                1e-12);
    // Sanity: a 1 x 1 degree cell at 50 N is about 111.2 km x 71.6 km.
    EXPECT_NEAR(closed / 1e6, 7.9e3, 0.1e3);
}

TEST(PixelArea, ThirtyArcSecondCellAt30N) {
    const double d = 30.0 / 3600.0;
    const double area = ellipsoid_cell_area_m2(30.0, 30.0 + d, d, WGS84_A, WGS84_INV_F);
    EXPECT_NEAR(area, 742729.0, 1.0); // science.md §1.3
    EXPECT_NEAR(area / simpson_cell_area(30.0, 30.0 + d, d, WGS84_A, WGS84_INV_F), 1.0, 1e-9);
}

TEST(PixelArea, GeographicGridHasPerRowAreas) {
    GridSpec g;
    g.geotransform = {100.0, 0.25, 0.0, 60.0, 0.0, -0.25}; // 60 N down to 50 N
    g.width = 8;
    g.height = 40;
    g.crs_wkt = wkt_of(4326, "WKT1");
    const PixelArea pa(g);
    EXPECT_FALSE(pa.constant());
    EXPECT_TRUE(contains(pa.method(), "ellipsoidal per row")) << pa.method();
    EXPECT_TRUE(contains(pa.method(), "WGS")) << pa.method();
    for (int64_t r = 0; r < g.height; ++r) {
        const double north = 60.0 - 0.25 * static_cast<double>(r);
        const double south = north - 0.25;
        const double want_ha =
            ellipsoid_cell_area_m2(south, north, 0.25, WGS84_A, WGS84_INV_F) / 1e4;
        EXPECT_NEAR(pa.row_area_ha(r) / want_ha, 1.0, 1e-12) << "row " << r;
        const double numeric_ha = simpson_cell_area(south, north, 0.25, WGS84_A, WGS84_INV_F) / 1e4;
        EXPECT_NEAR(pa.row_area_ha(r) / numeric_ha, 1.0, 1e-9) << "row " << r;
        if (r > 0) {
            // Row 0 is the northernmost: areas shrink toward the pole.
            EXPECT_LT(pa.row_area_ha(r - 1), pa.row_area_ha(r)) << "row " << r;
        }
    }
}

TEST(PixelArea, GeographicGridFromWkt2) {
    GridSpec g;
    g.geotransform = {0.0, 1.0, 0.0, 51.0, 0.0, -1.0};
    g.width = 1;
    g.height = 1;
    g.crs_wkt = wkt_of(4326, "WKT2_2019");
    const PixelArea pa(g);
    EXPECT_NEAR(pa.row_area_ha(0) /
                    (simpson_cell_area(50.0, 51.0, 1.0, WGS84_A, WGS84_INV_F) / 1e4),
                1.0, 1e-9);
}

TEST(PixelArea, EqualAreaProjectedGridIsConstant) {
    // EPSG:6933 (WGS 84 / NSIDC EASE-Grid 2.0 Global) is a cylindrical equal-area projection:
    // a 30 m x 30 m pixel is 0.09 ha of ground everywhere.
    GridSpec g = utm_grid(10, 10);
    g.crs_wkt = wkt_of(6933);
    const PixelArea pa(g);
    EXPECT_TRUE(pa.constant());
    EXPECT_EQ(pa.method(), "planar (equal-area projection)");
    for (int64_t r : {0, 3, 9}) {
        EXPECT_NEAR(pa.row_area_ha(r), 0.09, 1e-15) << "row " << r;
    }
}

TEST(PixelArea, ProjectedGridInUsFeetConvertsUnitsBeforeTheScaleCorrection) {
    // EPSG:2263 (NAD83 / New York Long Island, US survey feet): 1 ftUS = 1200/3937 m. The map
    // area of a 100 ft pixel in m^2, divided by PROJ's areal scale at its centre, is its area.
    GridSpec g;
    g.geotransform = {1000000.0, 100.0, 0.0, 200000.0, 0.0, -100.0};
    g.width = 4;
    g.height = 4;
    g.crs_wkt = wkt_of(2263);
    const PixelArea pa(g);
    EXPECT_FALSE(pa.constant());
    const double side_m = 100.0 * 1200.0 / 3937.0;
    double areas[4];
    pa.row_areas_ha(2, 0, 4, areas);
    const double scale = cs::raster::projected_areal_scale(g.crs_wkt, 1000150.0, 199750.0);
    EXPECT_NEAR(areas[1] * scale / (side_m * side_m / 1e4), 1.0, 1e-9);
}

TEST(PixelArea, NoCrsThrows) {
    GridSpec g = utm_grid();
    g.crs_wkt.clear();
    const std::string msg = raster_error_of([&] { PixelArea pa(g); });
    EXPECT_TRUE(contains(msg, "has no CRS")) << msg;
    EXPECT_EQ(msg.rfind("pixel area: ", 0), 0u) << msg;
}

// ---------------------------------------------------------------------------------------------
// RasterReader and inspect_raster

struct ReadResult {
    std::vector<int32_t> values;
    std::vector<uint8_t> valid;
};

ReadResult read_window(RasterReader &reader, const Window &w) {
    ReadResult r;
    r.values.assign(static_cast<std::size_t>(w.cells()), -12345);
    r.valid.assign(static_cast<std::size_t>(w.cells()), 77);
    reader.read_int32(w, r.values.data(), r.valid.data());
    return r;
}

TEST(RasterReader, ByteWithNodata) {
    TempDir dir;
    const std::string path = dir.file("lc.tif");
    RasterSpec spec; // 10 x 10 Byte, nodata 255
    std::vector<double> v(100);
    for (int i = 0; i < 100; ++i) {
        v[static_cast<std::size_t>(i)] = (i % 7 == 0) ? 255.0 : static_cast<double>(i % 50);
    }
    cs::test::write_raster(path, spec, v);

    const RasterInfo info = inspect_raster("land_cover/2015", path, 1);
    EXPECT_EQ(info.data_type, "Byte");
    EXPECT_TRUE(info.is_integer);
    EXPECT_TRUE(info.has_nodata);
    EXPECT_EQ(info.nodata, 255.0);
    EXPECT_FALSE(info.has_mask_band);
    EXPECT_EQ(info.grid.width, 10);
    EXPECT_EQ(info.grid.height, 10);
    EXPECT_EQ(info.grid.geotransform, (std::array<double, 6>{500000, 30, 0, 4600000, 0, -30}));
    EXPECT_EQ(crs_short_name(info.grid.crs_wkt), "EPSG:32651");
    EXPECT_EQ(info.where(), "land_cover/2015 (" + path + ", band 1)");

    RasterReader reader(info);
    for (const Window &w : {Window{0, 0, 10, 10}, Window{3, 2, 4, 5}, Window{9, 9, 1, 1}}) {
        SCOPED_TRACE("window " + std::to_string(w.x_off) + "," + std::to_string(w.y_off));
        const ReadResult r = read_window(reader, w);
        for (int64_t y = 0; y < w.y_size; ++y) {
            for (int64_t x = 0; x < w.x_size; ++x) {
                const auto k = static_cast<std::size_t>(y * w.x_size + x);
                const int i = static_cast<int>((w.y_off + y) * 10 + (w.x_off + x));
                const bool nodata = i % 7 == 0;
                EXPECT_EQ(r.valid[k], nodata ? 0 : 1) << "pixel " << i;
                EXPECT_EQ(r.values[k], nodata ? 0 : i % 50) << "pixel " << i;
            }
        }
    }
}

TEST(RasterReader, Float32WithNanAndNoNodataTag) {
    TempDir dir;
    const std::string path = dir.file("f.tif");
    RasterSpec spec;
    spec.width = 4;
    spec.height = 2;
    spec.type = "Float32";
    spec.has_nodata = false;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    cs::test::write_raster(path, spec, {nan, 3.0, 2.5, -7.0, 1e10, 16777216.0, 0.0, -0.5});
    const RasterInfo info = inspect_raster("agb", path, 1);
    EXPECT_FALSE(info.is_integer);
    EXPECT_FALSE(info.has_nodata);
    RasterReader reader(info);
    const ReadResult r = read_window(reader, {0, 0, 4, 2});
    EXPECT_EQ(r.valid, (std::vector<uint8_t>{0, 1, 0, 1, 0, 1, 1, 0}));
    EXPECT_EQ(r.values, (std::vector<int32_t>{0, 3, 0, -7, 0, 16777216, 0, 0}));
}

TEST(RasterReader, Float64WithNodataValue) {
    TempDir dir;
    const std::string path = dir.file("f64.tif");
    RasterSpec spec;
    spec.width = 3;
    spec.height = 1;
    spec.type = "Float64";
    spec.nodata = -9999.0;
    cs::test::write_raster(path, spec, {1.0, -9999.0, 3.7});
    RasterReader reader(inspect_raster("agb", path, 1));
    const ReadResult r = read_window(reader, {0, 0, 3, 1});
    EXPECT_EQ(r.valid, (std::vector<uint8_t>{1, 0, 0}));
    EXPECT_EQ(r.values, (std::vector<int32_t>{1, 0, 0}));
}

TEST(RasterReader, ReadDoubleTellsBadValuesFromNodata) {
    // Nodata -1: NaN and infinities are bad values (invalid, value kept); -1 is nodata (0).
    TempDir dir;
    const std::string path = dir.file("vol.tif");
    RasterSpec spec;
    spec.width = 5;
    spec.height = 1;
    spec.type = "Float32";
    spec.nodata = -1.0;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    cs::test::write_raster(path, spec, {2.5, -1.0, nan, inf, -3.0});
    RasterReader reader(inspect_raster("volume/2020", path, 1));
    std::vector<double> values(5, 99.0);
    std::vector<uint8_t> valid(5, 77);
    reader.read_double({0, 0, 5, 1}, values.data(), valid.data());
    EXPECT_EQ(valid, (std::vector<uint8_t>{1, 0, 0, 0, 1}));
    EXPECT_EQ(values[0], 2.5);
    EXPECT_EQ(values[1], 0.0);
    EXPECT_TRUE(std::isnan(values[2]));
    EXPECT_EQ(values[3], inf);
    EXPECT_EQ(values[4], -3.0); // valid data; the model decides that it is bad
    // Nodata NaN: a NaN pixel is nodata.
    const std::string nan_path = dir.file("vol_nan.tif");
    spec.nodata = nan;
    cs::test::write_raster(nan_path, spec, {2.5, -1.0, nan, inf, -3.0});
    RasterReader nan_reader(inspect_raster("volume/2020", nan_path, 1));
    nan_reader.read_double({0, 0, 5, 1}, values.data(), valid.data());
    EXPECT_EQ(valid, (std::vector<uint8_t>{1, 1, 0, 0, 1}));
    EXPECT_EQ(values[2], 0.0);
    EXPECT_EQ(values[3], inf);
}

TEST(RasterReader, Int16NegativeValues) {
    TempDir dir;
    const std::string path = dir.file("i16.tif");
    RasterSpec spec;
    spec.width = 5;
    spec.height = 1;
    spec.type = "Int16";
    spec.nodata = -32768;
    cs::test::write_raster(path, spec, {-5, -32767, 32767, -32768, 0});
    const RasterInfo info = inspect_raster("lc", path, 1);
    EXPECT_EQ(info.data_type, "Int16");
    EXPECT_TRUE(info.is_integer);
    RasterReader reader(info);
    const ReadResult r = read_window(reader, {0, 0, 5, 1});
    EXPECT_EQ(r.valid, (std::vector<uint8_t>{1, 1, 1, 0, 1}));
    EXPECT_EQ(r.values, (std::vector<int32_t>{-5, -32767, 32767, 0, 0}));
}

TEST(RasterReader, UInt32MaxNodataIsInvalid) {
    // 4294967295 is the usual nodata value of UInt32 rasters. It does not fit in int32, but
    // pixels equal to it are still nodata (read_int32 contract: "not nodata").
    TempDir dir;
    const std::string path = dir.file("u32.tif");
    RasterSpec spec;
    spec.width = 3;
    spec.height = 1;
    spec.type = "UInt32";
    spec.nodata = 4294967295.0;
    cs::test::write_raster(path, spec, {1.0, 4294967295.0, 2147483647.0});
    const RasterInfo info = inspect_raster("lc", path, 1);
    EXPECT_TRUE(info.is_integer);
    EXPECT_TRUE(info.has_nodata);
    EXPECT_EQ(info.nodata, 4294967295.0);
    RasterReader reader(info);
    const ReadResult r = read_window(reader, {0, 0, 3, 1});
    EXPECT_EQ(r.valid, (std::vector<uint8_t>{1, 0, 1}));
    EXPECT_EQ(r.values, (std::vector<int32_t>{1, 0, 2147483647}));
}

TEST(RasterReader, UInt32CodesAboveInt32RangeAreInvalid) {
    // A code that int32 cannot hold must not come back as a different, valid code (as for float
    // rasters, whose out-of-range values are invalid).
    TempDir dir;
    const std::string path = dir.file("u32.tif");
    RasterSpec spec;
    spec.width = 2;
    spec.height = 1;
    spec.type = "UInt32";
    spec.has_nodata = false;
    cs::test::write_raster(path, spec, {3000000000.0, 5.0});
    RasterReader reader(inspect_raster("lc", path, 1));
    const ReadResult r = read_window(reader, {0, 0, 2, 1});
    EXPECT_EQ(r.valid, (std::vector<uint8_t>{0, 1}));
    EXPECT_EQ(r.values, (std::vector<int32_t>{0, 5}));
}

TEST(RasterReader, PerDatasetMask) {
    TempDir dir;
    const std::string path = dir.file("masked.tif");
    cs::raster::init_gdal();
    {
        GDALDatasetH ds =
            GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), 6, 4, 1, GDT_Byte, nullptr);
        ASSERT_NE(ds, nullptr);
        double gt[6] = {500000, 30, 0, 4600000, 0, -30};
        GDALSetGeoTransform(ds, gt);
        GDALRasterBandH band = GDALGetRasterBand(ds, 1);
        std::vector<uint8_t> values(24);
        std::vector<uint8_t> mask(24, 255);
        for (int i = 0; i < 24; ++i) {
            values[static_cast<std::size_t>(i)] = static_cast<uint8_t>(i + 1);
        }
        for (int i : {0, 7, 13, 23}) {
            mask[static_cast<std::size_t>(i)] = 0;
        }
        ASSERT_EQ(GDALRasterIO(band, GF_Write, 0, 0, 6, 4, values.data(), 6, 4, GDT_Byte, 0, 0),
                  CE_None);
        ASSERT_EQ(GDALCreateMaskBand(band, GMF_PER_DATASET), CE_None);
        GDALRasterBandH mb = GDALGetMaskBand(band);
        ASSERT_EQ(GDALRasterIO(mb, GF_Write, 0, 0, 6, 4, mask.data(), 6, 4, GDT_Byte, 0, 0),
                  CE_None);
        GDALClose(ds);
    }
    const RasterInfo info = inspect_raster("lc", path, 1);
    EXPECT_TRUE(info.has_mask_band);
    EXPECT_FALSE(info.has_nodata);
    RasterReader reader(info);
    const ReadResult r = read_window(reader, {0, 0, 6, 4});
    for (int i = 0; i < 24; ++i) {
        const bool masked = i == 0 || i == 7 || i == 13 || i == 23;
        EXPECT_EQ(r.valid[static_cast<std::size_t>(i)], masked ? 0 : 1) << "pixel " << i;
        EXPECT_EQ(r.values[static_cast<std::size_t>(i)], masked ? 0 : i + 1) << "pixel " << i;
    }
    // A window away from the origin sees the same mask.
    const ReadResult w = read_window(reader, {1, 1, 2, 2}); // pixels 7, 8, 13, 14
    EXPECT_EQ(w.valid, (std::vector<uint8_t>{0, 1, 0, 1}));
    EXPECT_EQ(w.values, (std::vector<int32_t>{0, 9, 0, 15}));
}

TEST(InspectRaster, MissingFile) {
    TempDir dir;
    const std::string path = dir.file("missing.tif");
    const std::string msg = raster_error_of([&] { inspect_raster("land_cover/2015", path, 1); });
    EXPECT_EQ(msg, "cannot open raster: land_cover/2015 (" + path + ", band 1): file not found");
}

TEST(InspectRaster, NotARaster) {
    TempDir dir;
    const std::string path = dir.file("notes.tif");
    cs::test::write_text(path, "this is not a raster\n");
    const std::string msg = raster_error_of([&] { inspect_raster("land_cover/2015", path, 1); });
    EXPECT_TRUE(contains(msg, "land_cover/2015 (" + path + ", band 1): ")) << msg;
    EXPECT_EQ(msg.rfind("cannot open raster: ", 0), 0u) << msg;
    EXPECT_FALSE(contains(msg, "file not found")) << msg;
}

TEST(InspectRaster, VrtWithAMissingSourceNamesIt) {
    TempDir dir;
    fs::create_directory(dir.file("sub"));
    cs::test::write_raster(dir.file("west.tif"), RasterSpec{}, std::vector<double>(100, 1.0));
    auto vrt = [](const std::vector<std::pair<std::string, bool>> &sources) {
        std::string xml = "<VRTDataset rasterXSize=\"10\" rasterYSize=\"10\">\n"
                          "  <VRTRasterBand dataType=\"Byte\" band=\"1\">\n";
        for (const auto &[name, relative] : sources) {
            xml += std::string("    <SimpleSource><SourceFilename relativeToVRT=\"") +
                   (relative ? "1" : "0") + "\">" + name +
                   "</SourceFilename><SourceBand>1</SourceBand></SimpleSource>\n";
        }
        return xml + "  </VRTRasterBand>\n</VRTDataset>\n";
    };
    // outer.vrt -> west.tif (present) and sub/inner.vrt -> sub/gone.tif (missing).
    cs::test::write_text(dir.file("outer.vrt"), vrt({{"west.tif", true}, {"sub/inner.vrt", true}}));
    cs::test::write_text(dir.file("sub/inner.vrt"), vrt({{"gone.tif", true}}));
    const std::string outer = dir.file("outer.vrt");
    EXPECT_EQ(raster_error_of([&] { inspect_raster("land_cover/2015", outer, 1); }),
              "cannot open raster: land_cover/2015 (" + outer + ", band 1): missing VRT source: " +
                  dir.file("sub/gone.tif") + ": No such file or directory");
    // An absolute source name (relativeToVRT="0").
    const std::string abs = dir.file("abs.vrt");
    cs::test::write_text(abs, vrt({{dir.file("nowhere.tif"), false}}));
    EXPECT_EQ(raster_error_of([&] { inspect_raster("agb/2015", abs, 1); }),
              "cannot open raster: agb/2015 (" + abs + ", band 1): missing VRT source: " +
                  dir.file("nowhere.tif") + ": No such file or directory");
    // Once the source is there, both open.
    cs::test::write_raster(dir.file("sub/gone.tif"), RasterSpec{}, std::vector<double>(100, 2.0));
    EXPECT_EQ(inspect_raster("land_cover/2015", outer, 1).data_type, "Byte");
}

TEST(InspectRaster, BandOutOfRange) {
    TempDir dir;
    const std::string path = dir.file("one.tif");
    cs::test::write_raster(path, RasterSpec{}, std::vector<double>(100, 1.0));
    EXPECT_EQ(raster_error_of([&] { inspect_raster("land_cover/2015", path, 2); }),
              "cannot open raster: land_cover/2015 (" + path +
                  ", band 2): band 2 does not exist (the file has 1 band)");
    EXPECT_EQ(raster_error_of([&] { inspect_raster("land_cover/2015", path, 0); }),
              "cannot open raster: land_cover/2015 (" + path +
                  ", band 0): band 0 does not exist (the file has 1 band)");
}

// ---------------------------------------------------------------------------------------------
// GeoTiffWriter

constexpr int OUT_W = 300;
constexpr int OUT_H = 200;

float out_value(int x, int y) {
    if (x == 5 && y == 7) {
        return std::numeric_limits<float>::quiet_NaN();
    }
    return static_cast<float>(x) + 1000.0f * static_cast<float>(y) - 0.5f;
}

/// The values of window `w` of the 300 x 200 test output, row-major.
std::vector<float> window_values(const Window &w) {
    std::vector<float> v;
    for (int64_t y = w.y_off; y < w.y_off + w.y_size; ++y) {
        for (int64_t x = w.x_off; x < w.x_off + w.x_size; ++x) {
            v.push_back(out_value(static_cast<int>(x), static_cast<int>(y)));
        }
    }
    return v;
}

const std::vector<Window> OUT_WINDOWS = {{0, 0, 256, 200}, {256, 0, 44, 200}};

void write_all(GeoTiffWriter &w) {
    for (const Window &win : OUT_WINDOWS) {
        const auto v = window_values(win);
        w.write_window(win, v.data());
    }
}

GeoTiffWriter make_writer(const std::string &path) {
    return GeoTiffWriter(path, utm_grid(OUT_W, OUT_H), "stock 2015", "Mg C/ha",
                         {{"model", "stocks.lookup"}, {"period", "2015"}}, GeoTiffOptions{});
}

TEST(GeoTiffWriter, PartialPathName) {
    EXPECT_EQ(partial_path("/a/b/stock_2015.tif"), "/a/b/.stock_2015.tif.partial");
}

TEST(GeoTiffWriter, WritesTiledCompressedFileAndCommits) {
    TempDir dir;
    const std::string path = dir.file("stock_2015.tif");
    {
        GeoTiffWriter w = make_writer(path);
        EXPECT_EQ(w.final_path(), path);
        EXPECT_EQ(w.temp_path(), dir.file(".stock_2015.tif.partial"));
        EXPECT_TRUE(fs::exists(w.temp_path()));
        EXPECT_FALSE(fs::exists(path));
        write_all(w);
        EXPECT_FALSE(fs::exists(path));
        w.commit();
        EXPECT_TRUE(fs::exists(path));
        EXPECT_FALSE(fs::exists(w.temp_path()));
        EXPECT_EQ(raster_error_of([&] { w.commit(); }),
                  "cannot finish output: " + path + ": already closed");
    }
    EXPECT_TRUE(fs::exists(path)) << "the destructor removed a committed file";

    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(GDALGetRasterXSize(ds), OUT_W);
    EXPECT_EQ(GDALGetRasterYSize(ds), OUT_H);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    EXPECT_EQ(GDALGetRasterDataType(b), GDT_Float32);
    int bx = 0;
    int by = 0;
    GDALGetBlockSize(b, &bx, &by);
    EXPECT_EQ(bx, 256);
    EXPECT_EQ(by, 256);
    const char *comp = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
    ASSERT_NE(comp, nullptr);
    EXPECT_STREQ(comp, "DEFLATE");
    int has_nd = 0;
    const double nd = GDALGetRasterNoDataValue(b, &has_nd);
    EXPECT_TRUE(has_nd);
    EXPECT_TRUE(std::isnan(nd));
    EXPECT_STREQ(GDALGetRasterUnitType(b), "Mg C/ha");
    EXPECT_STREQ(GDALGetDescription(b), "stock 2015");
    const char *model = GDALGetMetadataItem(ds, "model", nullptr);
    ASSERT_NE(model, nullptr);
    EXPECT_STREQ(model, "stocks.lookup");
    std::array<double, 6> gt{};
    GDALGetGeoTransform(ds, gt.data());
    EXPECT_EQ(gt, utm_grid().geotransform);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
    ASSERT_NE(srs, nullptr);
    EXPECT_STREQ(OSRGetAuthorityCode(srs, nullptr), "32651");

    std::vector<float> back(static_cast<std::size_t>(OUT_W * OUT_H));
    ASSERT_EQ(
        GDALRasterIO(b, GF_Read, 0, 0, OUT_W, OUT_H, back.data(), OUT_W, OUT_H, GDT_Float32, 0, 0),
        CE_None);
    GDALClose(ds);
    int mismatches = 0;
    for (int y = 0; y < OUT_H; ++y) {
        for (int x = 0; x < OUT_W; ++x) {
            const float want = out_value(x, y);
            const float got = back[static_cast<std::size_t>(y * OUT_W + x)];
            const bool same = std::isnan(want) ? std::isnan(got) : got == want;
            if (!same && ++mismatches <= 5) {
                ADD_FAILURE() << "pixel x " << x << ", y " << y << ": " << got << " vs " << want;
            }
        }
    }
    EXPECT_EQ(mismatches, 0);
}

TEST(GeoTiffWriter, DestructorWithoutCommitRemovesPartialFile) {
    TempDir dir;
    const std::string path = dir.file("out.tif");
    std::string temp;
    {
        GeoTiffWriter w = make_writer(path);
        temp = w.temp_path();
        const auto v = window_values(OUT_WINDOWS[0]);
        w.write_window(OUT_WINDOWS[0], v.data());
        ASSERT_TRUE(fs::exists(temp));
    }
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(GeoTiffWriter, DiscardRemovesPartialFile) {
    TempDir dir;
    const std::string path = dir.file("out.tif");
    GeoTiffWriter w = make_writer(path);
    ASSERT_TRUE(fs::exists(w.temp_path()));
    w.discard();
    EXPECT_FALSE(fs::exists(w.temp_path()));
    EXPECT_FALSE(fs::exists(path));
}

TEST(GeoTiffWriter, BigTiffRule) {
    // BigTIFF when the whole tiles exceed 2 GiB uncompressed (BIGTIFF_ABOVE_BYTES).
    EXPECT_EQ(BIGTIFF_ABOVE_BYTES, int64_t{1} << 31);
    EXPECT_FALSE(needs_bigtiff(300, 200, 256, 4));
    EXPECT_FALSE(needs_bigtiff(16384, 32768, 256, 4)); // exactly 2 GiB
    EXPECT_TRUE(needs_bigtiff(16384, 32769, 256, 4));  // one more row: a tile row more
    // Edge tiles count whole: 16385 x 32700 x 4 B = 2.14e9 < 2^31, but stored as 65 x 128
    // tiles of 256 KiB = 2.18e9.
    EXPECT_TRUE(needs_bigtiff(16385, 32700, 256, 4));
    EXPECT_FALSE(needs_bigtiff(20000, 20000, 256, 4)); // 1.64 GB
    EXPECT_TRUE(needs_bigtiff(40000, 40000, 256, 4));  // 6.46 GB
    EXPECT_FALSE(needs_bigtiff(40000, 40000, 256, 1)); // Byte: 1.62 GB
    EXPECT_TRUE(needs_bigtiff(50000, 50000, 256, 1));  // Byte: 2.51 GB
    // The largest grid: no integer overflow.
    EXPECT_TRUE(needs_bigtiff(MAX_GRID_SIZE_PX, MAX_GRID_SIZE_PX, 4096, 4));
    EXPECT_TRUE(needs_bigtiff(MAX_GRID_SIZE_PX, 1, 16, 1));
}

TEST(GeoTiffWriter, GridLargerThanTheLimitIsRefused) {
    TempDir dir;
    const std::string path = dir.file("stock.tif");
    const auto make = [&] {
        GeoTiffWriter w(path, utm_grid(MAX_GRID_SIZE_PX + 1, 10), "stock", "Mg C/ha", {},
                        GeoTiffOptions{});
    };
    EXPECT_EQ(raster_error_of(make), "cannot create output: " + path +
                                         ": grid 2147483648 x 10 px: wider than 2147483647 px, "
                                         "the largest raster size GDAL can address");
    EXPECT_FALSE(fs::exists(partial_path(path)));
}

TEST(GeoTiffWriter, SmallOutputIsClassicTiff) {
    TempDir dir;
    const std::string path = dir.file("stock.tif");
    GeoTiffWriter w = make_writer(path);
    EXPECT_FALSE(w.bigtiff());
    write_all(w);
    w.commit();
    const std::string bytes = cs::test::read_text(path);
    ASSERT_GT(bytes.size(), 4u);
    EXPECT_EQ(bytes.substr(0, 4), std::string("II*\0", 4)); // version 42: classic TIFF
}

TEST(GeoTiffWriter, SameWritesGiveIdenticalBytes) {
    TempDir d1;
    TempDir d2;
    for (const TempDir *d : {&d1, &d2}) {
        GeoTiffWriter w = make_writer(d->file("stock.tif"));
        write_all(w);
        w.commit();
    }
    const std::string a = cs::test::read_text(d1.file("stock.tif"));
    const std::string b = cs::test::read_text(d2.file("stock.tif"));
    ASSERT_GT(a.size(), 1000u);
    EXPECT_TRUE(a == b) << "files differ (" << a.size() << " vs " << b.size() << " bytes)";
}

// ---------------------------------------------------------------------------------------------
// VectorDistricts

constexpr double X0 = 500000.0;
constexpr double Y0 = 4600000.0;
constexpr double PX = 30.0;

/// An axis-aligned rectangle in UTM covering pixel columns c0..c1 and rows r0..r1 (inclusive),
/// its edges on pixel edges.
Ring pixel_rect(int c0, int c1, int r0, int r1) {
    const double xa = X0 + PX * c0;
    const double xb = X0 + PX * (c1 + 1);
    const double ya = Y0 - PX * r0;
    const double yb = Y0 - PX * (r1 + 1);
    return {{xa, ya}, {xb, ya}, {xb, yb}, {xa, yb}};
}

VectorDistrictSpec district_spec(const std::string &path) {
    VectorDistrictSpec s;
    s.path = path;
    s.id_field = "code";
    s.name_field = "name";
    return s;
}

/// Rasterize the whole 10 x 10 grid.
std::vector<int32_t> rasterize_all(const VectorDistricts &vd, const GridSpec &g) {
    std::vector<int32_t> out(static_cast<std::size_t>(g.cells()), -1);
    vd.rasterize({0, 0, g.width, g.height}, out.data());
    return out;
}

/// Even-odd point-in-polygon test (ray casting), independent of GDAL.
bool point_in_ring(const Ring &ring, double x, double y) {
    bool inside = false;
    for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
        const auto [xi, yi] = ring[i];
        const auto [xj, yj] = ring[j];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) {
            inside = !inside;
        }
    }
    return inside;
}

double distance_to_segment(double px, double py, std::pair<double, double> a,
                           std::pair<double, double> b) {
    const double dx = b.first - a.first;
    const double dy = b.second - a.second;
    double t = ((px - a.first) * dx + (py - a.second) * dy) / (dx * dx + dy * dy);
    t = std::clamp(t, 0.0, 1.0);
    return std::hypot(px - (a.first + t * dx), py - (a.second + t * dy));
}

std::string grid_text(const std::vector<int32_t> &v, int64_t width) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) {
        s += i % static_cast<std::size_t>(width) == 0 ? '\n' : ' ';
        s += std::to_string(v[i]);
    }
    return s;
}

TEST(VectorDistricts, SquareOnPixelEdges) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    cs::test::write_polygons(path, 32651, {{3, "square", {pixel_rect(2, 4, 1, 3)}}});
    const GridSpec g = utm_grid();
    Findings f;
    VectorDistricts vd(district_spec(path), g, f);
    ASSERT_TRUE(f.errors.empty()) << f.errors.front();
    EXPECT_TRUE(f.warnings.empty());
    ASSERT_EQ(vd.districts().size(), 1u);
    EXPECT_EQ(vd.districts()[0].id, 3);
    EXPECT_EQ(vd.districts()[0].name, "square");
    EXPECT_FALSE(vd.districts()[0].empty_geometry);
    const auto out = rasterize_all(vd, g);
    std::vector<int32_t> want(100, 0);
    for (int r = 1; r <= 3; ++r) {
        for (int c = 2; c <= 4; ++c) {
            want[static_cast<std::size_t>(r * 10 + c)] = 1;
        }
    }
    EXPECT_EQ(out, want) << grid_text(out, 10);
}

TEST(VectorDistricts, TriangleFollowsPixelCentreRule) {
    TempDir dir;
    const std::string path = dir.file("tri.gpkg");
    const Ring tri = {{X0 + 21, Y0 - 11}, {X0 + 283, Y0 - 97}, {X0 + 67, Y0 - 281}};
    cs::test::write_polygons(path, 32651, {{11, "tri", {tri}}});
    std::vector<int32_t> want(100, 0);
    int inside = 0;
    int touched_but_centre_outside = 0;
    for (int r = 0; r < 10; ++r) {
        for (int c = 0; c < 10; ++c) {
            const double cx = X0 + PX * (c + 0.5);
            const double cy = Y0 - PX * (r + 0.5);
            double dmin = 1e300;
            for (std::size_t i = 0; i < tri.size(); ++i) {
                dmin =
                    std::min(dmin, distance_to_segment(cx, cy, tri[i], tri[(i + 1) % tri.size()]));
            }
            // Test design: no centre is so close to an edge that rounding could decide it.
            ASSERT_GT(dmin, 0.5) << "pixel column " << c << ", row " << r;
            if (point_in_ring(tri, cx, cy)) {
                want[static_cast<std::size_t>(r * 10 + c)] = 1;
                ++inside;
            } else if (dmin < PX * std::numbers::sqrt2 / 2.0) {
                ++touched_but_centre_outside; // the edge crosses the pixel
            }
        }
    }
    ASSERT_GT(inside, 5);
    ASSERT_GT(touched_but_centre_outside, 3); // an all-touched rule would differ here
    const GridSpec g = utm_grid();
    Findings f;
    VectorDistricts vd(district_spec(path), g, f);
    ASSERT_TRUE(f.errors.empty()) << f.errors.front();
    const auto out = rasterize_all(vd, g);
    EXPECT_EQ(out, want) << "got" << grid_text(out, 10) << "\nwant" << grid_text(want, 10);
}

/// Three overlapping districts written out of id order: 9 (cols 3-8, rows 3-8), 2 (col 4,
/// row 4), 5 (cols 0-5, rows 0-5).
std::vector<PolygonFeature> overlapping() {
    return {{9, "nine", {pixel_rect(3, 8, 3, 8)}},
            {2, "two", {pixel_rect(4, 4, 4, 4)}},
            {5, "five", {pixel_rect(0, 5, 0, 5)}}};
}

/// Expected rasterization of overlapping(): 1 + index in id order (2 -> 1, 5 -> 2, 9 -> 3).
std::vector<int32_t> overlapping_expected() {
    std::vector<int32_t> want(100, 0);
    for (int r = 0; r < 10; ++r) {
        for (int c = 0; c < 10; ++c) {
            int32_t v = 0;
            int64_t best_id = -1;
            // Larger id wins: check every district that contains the pixel.
            const std::vector<std::tuple<int64_t, int32_t, int, int, int, int>> d = {
                {2, 1, 4, 4, 4, 4}, {5, 2, 0, 5, 0, 5}, {9, 3, 3, 8, 3, 8}};
            for (const auto &[id, idx, c0, c1, r0, r1] : d) {
                if (c >= c0 && c <= c1 && r >= r0 && r <= r1 && id > best_id) {
                    best_id = id;
                    v = idx;
                }
            }
            want[static_cast<std::size_t>(r * 10 + c)] = v;
        }
    }
    return want;
}

TEST(VectorDistricts, OverlapLargerIdWinsAndDistrictsSortedById) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    cs::test::write_polygons(path, 32651, overlapping());
    const GridSpec g = utm_grid();
    Findings f;
    VectorDistricts vd(district_spec(path), g, f);
    ASSERT_TRUE(f.errors.empty()) << f.errors.front();
    ASSERT_EQ(vd.districts().size(), 3u);
    EXPECT_EQ(vd.districts()[0].id, 2);
    EXPECT_EQ(vd.districts()[0].name, "two");
    EXPECT_EQ(vd.districts()[1].id, 5);
    EXPECT_EQ(vd.districts()[1].name, "five");
    EXPECT_EQ(vd.districts()[2].id, 9);
    EXPECT_EQ(vd.districts()[2].name, "nine");
    const auto out = rasterize_all(vd, g);
    const auto want = overlapping_expected();
    EXPECT_EQ(out[4 * 10 + 4], 3) << "district 9 must win over 2 and 5 at column 4, row 4";
    EXPECT_EQ(out, want) << "got" << grid_text(out, 10) << "\nwant" << grid_text(want, 10);
}

TEST(VectorDistricts, WindowsMatchTheFullGrid) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    auto feats = overlapping();
    feats.push_back({20, "tri", {{{X0 + 21, Y0 - 11}, {X0 + 283, Y0 - 97}, {X0 + 67, Y0 - 281}}}});
    cs::test::write_polygons(path, 32651, feats);
    const GridSpec g = utm_grid();
    Findings f;
    VectorDistricts vd(district_spec(path), g, f);
    ASSERT_TRUE(f.errors.empty()) << f.errors.front();
    const auto full = rasterize_all(vd, g);
    for (const Window &w : {Window{5, 5, 5, 5}, Window{3, 2, 4, 6}, Window{9, 0, 1, 10},
                            Window{0, 9, 10, 1}, Window{7, 0, 3, 2}}) {
        SCOPED_TRACE("window x " + std::to_string(w.x_off) + ", y " + std::to_string(w.y_off));
        std::vector<int32_t> part(static_cast<std::size_t>(w.cells()), -1);
        vd.rasterize(w, part.data());
        std::vector<int32_t> want;
        for (int64_t y = w.y_off; y < w.y_off + w.y_size; ++y) {
            for (int64_t x = w.x_off; x < w.x_off + w.x_size; ++x) {
                want.push_back(full[static_cast<std::size_t>(y * 10 + x)]);
            }
        }
        EXPECT_EQ(part, want) << "got" << grid_text(part, w.x_size) << "\nwant"
                              << grid_text(want, w.x_size);
    }
    // A window no polygon reaches is all zeros (the output is overwritten, not left as is).
    const auto big = utm_grid(40, 40);
    Findings f2;
    VectorDistricts vd2(district_spec(path), big, f2);
    ASSERT_TRUE(f2.errors.empty());
    std::vector<int32_t> far(16, -1);
    vd2.rasterize({30, 30, 4, 4}, far.data());
    EXPECT_EQ(far, std::vector<int32_t>(16, 0));
}

TEST(VectorDistricts, GeographicPolygonsAreReprojected) {
    // Transform the corners of the square of SquareOnPixelEdges to lon/lat with OGR.
    OGRSpatialReference utm;
    utm.importFromEPSG(32651);
    utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReference wgs;
    wgs.importFromEPSG(4326);
    wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&utm, &wgs));
    ASSERT_TRUE(ct);
    Ring lonlat;
    for (auto [x, y] : pixel_rect(2, 4, 1, 3)) {
        ASSERT_TRUE(ct->Transform(1, &x, &y));
        lonlat.emplace_back(x, y);
    }
    // Sanity: UTM 51N around 500 km easting is near 123 E; 4600 km northing near 41.5 N.
    EXPECT_NEAR(lonlat[0].first, 123.0, 0.1);
    EXPECT_NEAR(lonlat[0].second, 41.5, 0.5);

    TempDir dir;
    const std::string path = dir.file("ll.gpkg");
    cs::test::write_polygons(path, 4326, {{3, "square", {lonlat}}});
    const GridSpec g = utm_grid();
    Findings f;
    VectorDistricts vd(district_spec(path), g, f);
    ASSERT_TRUE(f.errors.empty()) << f.errors.front();
    const auto out = rasterize_all(vd, g);
    std::vector<int32_t> want(100, 0);
    for (int r = 1; r <= 3; ++r) {
        for (int c = 2; c <= 4; ++c) {
            want[static_cast<std::size_t>(r * 10 + c)] = 1;
        }
    }
    EXPECT_EQ(out, want) << grid_text(out, 10);
}

TEST(VectorDistricts, MissingIdFieldListsFields) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    cs::test::write_polygons(path, 32651, {{3, "a", {pixel_rect(0, 1, 0, 1)}}});
    VectorDistrictSpec spec = district_spec(path);
    spec.id_field = "district_id";
    Findings f;
    VectorDistricts vd(spec, utm_grid(), f);
    ASSERT_EQ(f.errors.size(), 1u);
    EXPECT_EQ(f.errors[0], "districts: districts (" + path +
                               "), layer districts: id_field \"district_id\" is not a field; "
                               "fields are: code, name");
}

TEST(VectorDistricts, DuplicateIds) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    cs::test::write_polygons(path, 32651,
                             {{7, "a", {pixel_rect(0, 1, 0, 1)}},
                              {8, "b", {pixel_rect(2, 3, 0, 1)}},
                              {7, "c", {pixel_rect(4, 5, 0, 1)}}});
    Findings f;
    VectorDistricts vd(district_spec(path), utm_grid(), f);
    ASSERT_EQ(f.errors.size(), 1u);
    EXPECT_TRUE(contains(f.errors[0], "duplicate district id 7")) << f.errors[0];
    EXPECT_TRUE(contains(f.errors[0], "districts (" + path + ")")) << f.errors[0];
    // GeoPackage feature ids start at 1: the duplicate is feature 3, the first is feature 1.
    EXPECT_TRUE(contains(f.errors[0], "feature 3: duplicate district id 7 (also feature 1)"))
        << f.errors[0];
}

TEST(VectorDistricts, LayerWithoutCrs) {
    TempDir dir;
    const std::string path = dir.file("nocrs.shp");
    cs::test::write_polygons(path, 0, {{3, "a", {pixel_rect(0, 1, 0, 1)}}});
    ASSERT_FALSE(fs::exists(dir.file("nocrs.prj")));
    Findings f;
    VectorDistricts vd(district_spec(path), utm_grid(), f);
    ASSERT_EQ(f.errors.size(), 1u);
    EXPECT_TRUE(contains(f.errors[0], "has no CRS")) << f.errors[0];
    EXPECT_EQ(f.errors[0].rfind("districts: districts (" + path + "), layer nocrs: ", 0), 0u)
        << f.errors[0];
}

TEST(VectorDistricts, NonFiniteVertexNamesDistrictFeatureRingAndVertex) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    Ring hole = pixel_rect(2, 3, 2, 3);
    hole[1].second = std::numeric_limits<double>::infinity();
    Ring outer = pixel_rect(5, 6, 0, 1);
    outer[3].first = -std::numeric_limits<double>::infinity();
    cs::test::write_polygons(path, 32651,
                             {{3, "ok", {pixel_rect(0, 1, 0, 1)}},
                              {8, "holed", {pixel_rect(0, 9, 0, 9), hole}},
                              {5, "outer", {outer}}});
    Findings f;
    VectorDistricts vd(district_spec(path), utm_grid(), f);
    ASSERT_EQ(f.errors.size(), 2u);
    // Feature 2 (GeoPackage ids start at 1), its hole (ring 1), the hole's vertex 1 (x of
    // pixel column 4's left edge, y infinite).
    EXPECT_EQ(f.errors[0], "districts: districts (" + path +
                               "), district 8 (feature 2): vertex 1 of ring 1 of polygon 0 "
                               "(counted from 0) is not a finite coordinate (x 500120, y inf)");
    EXPECT_EQ(f.errors[1], "districts: districts (" + path +
                               "), district 5 (feature 3): vertex 3 of ring 0 of polygon 0 "
                               "(counted from 0) is not a finite coordinate (x -inf, y 4599940)");
}

TEST(VectorDistricts, IdsMustBeIntegersWithinInt64) {
    TempDir dir;
    const std::string path = dir.file("d.geojson");
    const Ring r = pixel_rect(0, 1, 0, 1);
    std::string ring;
    for (std::size_t i = 0; i <= r.size(); ++i) {
        ring += std::string(i ? ", " : "") + "[" + std::to_string(r[i % r.size()].first) + ", " +
                std::to_string(r[i % r.size()].second) + "]";
    }
    auto feature = [&](const std::string &props) {
        return "{\"type\": \"Feature\", \"properties\": " + props +
               ", \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[" + ring + "]]}}";
    };
    // A real id field: 7.0 is the id 7; 2.5 is no integer; -2^63 is the smallest id, -2^64 and
    // 1e300 are beyond int64.
    cs::test::write_text(
        path, "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": "
              "{\"name\": \"urn:ogc:def:crs:EPSG::32651\"}}, \"features\": [" +
                  feature("{\"code\": 7.0}") + ", " + feature("{\"code\": 2.5}") + ", " +
                  feature("{\"code\": -9223372036854775808.0}") + ", " +
                  feature("{\"code\": -18446744073709551616.0}") + ", " +
                  feature("{\"code\": 1e300}") + "]}\n");
    VectorDistrictSpec spec = district_spec(path);
    spec.name_field.clear();
    Findings f;
    VectorDistricts vd(spec, utm_grid(), f);
    const std::string at = "districts: districts (" + path + "), feature ";
    const std::string range =
        " is beyond the range of 64-bit integer ids (-9223372036854775808 to 9223372036854775807)";
    ASSERT_EQ(f.errors.size(), 3u);
    EXPECT_EQ(f.errors[0], at + "1: id_field \"code\" value \"2.5\" is not an integer");
    EXPECT_EQ(f.errors[1], at + "3: id_field \"code\" value \"-1.84467440737096e+19\"" + range);
    EXPECT_EQ(f.errors[2], at + "4: id_field \"code\" value \"1e+300\"" + range);

    // A text id field: 2^63 - 1 is the largest id, 2^63 is beyond; a parent id as well.
    cs::test::write_text(
        path, "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": "
              "{\"name\": \"urn:ogc:def:crs:EPSG::32651\"}}, \"features\": [" +
                  feature("{\"code\": \"9223372036854775807\", \"city\": \"1\"}") + ", " +
                  feature("{\"code\": \"9223372036854775808\", \"city\": \"1\"}") + ", " +
                  feature("{\"code\": \"12\", \"city\": \"-9223372036854775809\"}") + "]}\n");
    spec.parents = {{"city", "city", ""}};
    Findings g;
    VectorDistricts vd2(spec, utm_grid(), g);
    ASSERT_EQ(g.errors.size(), 2u);
    EXPECT_EQ(g.errors[0], at + "1: id_field \"code\" value \"9223372036854775808\"" + range);
    EXPECT_EQ(g.errors[1], "districts: districts (" + path +
                               "), district 12: parent id_field \"city\" (level \"city\") value "
                               "\"-9223372036854775809\"" +
                               range);
}

TEST(VectorDistricts, ShapefileWithoutDbfSaysSo) {
    TempDir dir;
    const std::string path = dir.file("counties.shp");
    cs::test::write_polygons(path, 32651, {{3, "a", {pixel_rect(0, 1, 0, 1)}}});
    fs::remove(dir.file("counties.dbf"));
    Findings f;
    EXPECT_EQ(raster_error_of([&] { VectorDistricts vd(district_spec(path), utm_grid(), f); }),
              "cannot open districts: districts (" + path +
                  "): counties.dbf is missing next to counties.shp; a Shapefile keeps its fields "
                  "(and so the id field) in the .dbf: copy the .shp, .shx, .dbf and .prj "
                  "together");
}

TEST(VectorDistricts, GeographicLayerWithMetreCoordinatesIsOneError) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    // EPSG:4326 declared, UTM metres written: every district would fail to reproject.
    cs::test::write_polygons(path, 4326,
                             {{1, "a", {pixel_rect(0, 1, 0, 1)}},
                              {2, "b", {pixel_rect(2, 3, 0, 1)}},
                              {3, "c", {pixel_rect(4, 5, 0, 1)}}});
    Findings f;
    VectorDistricts vd(district_spec(path), utm_grid(), f);
    ASSERT_EQ(f.errors.size(), 1u);
    EXPECT_EQ(f.errors[0], "districts: districts (" + path +
                               "), layer districts: the layer's CRS is WGS 84 (longitude and "
                               "latitude in degrees) but its coordinates are not degrees (x "
                               "500000 to 500180, y 4599940 to 4600000); the file has no CRS of "
                               "its own (GeoJSON without a \"crs\" member is read as WGS 84) or "
                               "a wrong one: save it with its real CRS");
}

TEST(VectorDistricts, UnknownLayerThrows) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    cs::test::write_polygons(path, 32651, {{3, "a", {pixel_rect(0, 1, 0, 1)}}});
    VectorDistrictSpec spec = district_spec(path);
    spec.layer = "counties";
    Findings f;
    EXPECT_EQ(raster_error_of([&] { VectorDistricts vd(spec, utm_grid(), f); }),
              "cannot open districts: districts (" + path + "): no layer named \"counties\"");
}

TEST(VectorDistricts, MissingFileThrows) {
    TempDir dir;
    const std::string path = dir.file("nothing.gpkg");
    Findings f;
    EXPECT_EQ(raster_error_of([&] { VectorDistricts vd(district_spec(path), utm_grid(), f); }),
              "cannot open districts: districts (" + path + "): file not found");
}

TEST(VectorDistricts, EmptyGeometryIsAWarning) {
    TempDir dir;
    const std::string path = dir.file("d.gpkg");
    cs::test::write_polygons(path, 32651,
                             {{4, "ghost", {}}, {3, "square", {pixel_rect(2, 4, 1, 3)}}});
    const GridSpec g = utm_grid();
    Findings f;
    VectorDistricts vd(district_spec(path), g, f);
    EXPECT_TRUE(f.errors.empty()) << f.errors.front();
    ASSERT_EQ(f.warnings.size(), 1u);
    EXPECT_TRUE(contains(f.warnings[0], "district 4: empty geometry")) << f.warnings[0];
    EXPECT_TRUE(contains(f.warnings[0], "districts (" + path + ")")) << f.warnings[0];
    ASSERT_EQ(vd.districts().size(), 2u);
    EXPECT_EQ(vd.districts()[0].id, 3);
    EXPECT_FALSE(vd.districts()[0].empty_geometry);
    EXPECT_EQ(vd.districts()[1].id, 4);
    EXPECT_TRUE(vd.districts()[1].empty_geometry);
    EXPECT_EQ(vd.districts()[1].name, "ghost");
    // The empty district covers no pixel; the square still does.
    const auto out = rasterize_all(vd, g);
    EXPECT_EQ(std::count(out.begin(), out.end(), 1), 9);
    EXPECT_EQ(std::count(out.begin(), out.end(), 2), 0);
}

} // namespace

TEST(RasterReaderScale, BandScaleAndOffsetApplyToDataNotToNodataNorToCodes) {
    // A MODIS-style NDVI: Int16 x 0.0001, nodata -3000 (stored value); 5000 stored is 0.5.
    TempDir dir;
    RasterSpec spec;
    spec.width = 4;
    spec.height = 1;
    spec.type = "Int16";
    spec.nodata = -3000;
    const std::string path = dir.file("ndvi.tif");
    write_raster(path, spec, {5000, -3000, -2000, 10000});
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_Update);
    ASSERT_NE(ds, nullptr);
    GDALSetRasterScale(GDALGetRasterBand(ds, 1), 0.0001);
    GDALSetRasterOffset(GDALGetRasterBand(ds, 1), 0.25);
    GDALClose(ds);
    const auto info = cs::raster::inspect_raster("ndvi/2020-01", path, 1);
    EXPECT_EQ(info.scale, 0.0001);
    EXPECT_EQ(info.offset, 0.25);
    cs::raster::RasterReader reader(info);
    const cs::raster::Window w{0, 0, 4, 1};
    std::vector<double> v(4);
    std::vector<uint8_t> ok(4);
    reader.read_double(w, v.data(), ok.data());
    EXPECT_EQ(ok, (std::vector<uint8_t>{1, 0, 1, 1}));
    EXPECT_NEAR(v[0], 5000 * 0.0001 + 0.25, 1e-12);
    EXPECT_EQ(v[1], 0.0); // nodata is the stored -3000, not -3000 x scale + offset
    EXPECT_NEAR(v[2], -2000 * 0.0001 + 0.25, 1e-12);
    EXPECT_NEAR(v[3], 1.0 + 0.25, 1e-12);
    // Codes are what is stored.
    std::vector<int32_t> codes(4);
    reader.read_int32(w, codes.data(), ok.data());
    EXPECT_EQ(codes[0], 5000);
    EXPECT_EQ(codes[3], 10000);
}
