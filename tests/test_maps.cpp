// Maps (issue 12 item 4): overview levels streamed from the written windows, the cloud-optimized
// GeoTIFF layout assembled by copying tiles, and the per-pool rasters of a run. Expected values
// come from an independent computation on the pixels read back with GDAL, or by hand.
#include "raster/block_plan.hpp"
#include "raster/cog.hpp"
#include "raster/raster_error.hpp"
#include "raster/raster_io.hpp"
#include "test_support.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_srs_api.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

using namespace cs::raster;
using namespace cs::test;
namespace fs = std::filesystem;

namespace {

const float NaN = std::numeric_limits<float>::quiet_NaN();

GridSpec utm(int64_t w, int64_t h) {
    GridSpec g;
    g.width = w;
    g.height = h;
    g.geotransform = {500000.0, 30.0, 0.0, 4600000.0, 0.0, -30.0};
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 32651);
    char *wkt = nullptr;
    OSRExportToWkt(srs, &wkt);
    g.crs_wkt = wkt;
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    return g;
}

/// Test raster: smooth values with NaN holes (a whole 2 x 2 block at (10..11, 6..7), single
/// pixels on a diagonal), so every overview case occurs: 4, 1-3 and 0 valid pixels.
float value_at(int64_t x, int64_t y) {
    if ((x >= 10 && x <= 11 && y >= 6 && y <= 7) || (x == y && x % 3 == 0)) {
        return NaN;
    }
    return static_cast<float>(0.37 * static_cast<double>(x) - 1.1 * static_cast<double>(y) +
                              0.001 * static_cast<double>(x * y));
}

std::vector<float> window_values(const Window &w) {
    std::vector<float> v;
    for (int64_t y = w.y_off; y < w.y_off + w.y_size; ++y) {
        for (int64_t x = w.x_off; x < w.x_off + w.x_size; ++x) {
            v.push_back(value_at(x, y));
        }
    }
    return v;
}

/// Independent 2 x 2 reduction: mean of the non-NaN values (NaN when none), an odd last row or
/// column taking the pixels that exist; the result stored as float, as in the file.
std::vector<float> halve(const std::vector<float> &a, int64_t w, int64_t h, int64_t &ow,
                         int64_t &oh) {
    ow = (w + 1) / 2;
    oh = (h + 1) / 2;
    std::vector<float> out(static_cast<std::size_t>(ow * oh));
    for (int64_t y = 0; y < oh; ++y) {
        for (int64_t x = 0; x < ow; ++x) {
            double sum = 0;
            int n = 0;
            for (int64_t dy = 0; dy < 2; ++dy) {
                for (int64_t dx = 0; dx < 2; ++dx) {
                    const int64_t sx = 2 * x + dx;
                    const int64_t sy = 2 * y + dy;
                    if (sx < w && sy < h && !std::isnan(a[sy * w + sx])) {
                        sum += a[sy * w + sx];
                        ++n;
                    }
                }
            }
            out[y * ow + x] = n > 0 ? static_cast<float>(sum / n) : NaN;
        }
    }
    return out;
}

bool same_floats(const std::vector<float> &a, const std::vector<float> &b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) {
            return false;
        }
    }
    return true;
}

std::vector<float> read_band(GDALRasterBandH b) {
    const int w = GDALGetRasterBandXSize(b);
    const int h = GDALGetRasterBandYSize(b);
    std::vector<float> v(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    EXPECT_EQ(GDALRasterIO(b, GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Float32, 0, 0), CE_None);
    return v;
}

std::string raster_error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const RasterError &e) {
        return e.what();
    }
    return "(no error)";
}

/// Output of GDAL's COG validator on `path`, with its exit status appended as "exit N"; empty
/// when python3 or the validator is missing.
std::string validate_cog(const std::string &path) {
    const std::string script =
        "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py";
    if (!fs::exists(script) || !fs::exists("/usr/bin/python3")) {
        return "";
    }
    const std::string cmd = "/usr/bin/python3 " + script + " --full-check=yes '" + path + "' 2>&1";
    FILE *p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[512];
    while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) {
        out += buf;
    }
    const int status = p != nullptr ? ::pclose(p) : -1;
    return out + "exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/// Write the test raster through a GeoTiffWriter with the windows of BlockPlan(`max_cells`).
void write_test_raster(const std::string &path, int64_t w, int64_t h, int64_t max_cells,
                       const GeoTiffOptions &opts) {
    GeoTiffWriter writer(path, utm(w, h), "stock 2020", "Mg C/ha", {{"model", "test"}}, opts);
    const BlockPlan plan(w, h, opts.tile, max_cells);
    for (const Window &win : plan.windows()) {
        const auto v = window_values(win);
        writer.write_window(win, v.data());
    }
    writer.commit();
}

GeoTiffOptions tiles16() {
    GeoTiffOptions o;
    o.tile = 16;
    o.overviews = true;
    return o;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Levels and the streaming builder

TEST(OverviewLevels, HalveRoundingUpUntilOneTile) {
    // 600 x 500, 256 px tiles: 300 x 250 fits in one tile.
    const auto a = overview_levels(600, 500, 256);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].width, 300);
    EXPECT_EQ(a[0].height, 250);
    EXPECT_EQ(a[1].width, 150);
    EXPECT_EQ(a[1].height, 125);
    EXPECT_TRUE(overview_levels(256, 256, 256).empty());
    // 20000^2 at 256: 10000, 5000, 2500, 1250, 625, 313, 157.
    const auto b = overview_levels(20000, 20000, 256);
    ASSERT_EQ(b.size(), 7u);
    EXPECT_EQ(b[5].width, 313);
    EXPECT_EQ(b[6].width, 157);
    // A strip: 257 x 10 -> 129 x 5.
    const auto c = overview_levels(257, 10, 256);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].width, 129);
    EXPECT_EQ(c[0].height, 5);
}

TEST(OverviewBuilder, AverageEqualsIndependentReductionForEveryPlan) {
    // 70 x 45 px in 16 px tiles: levels 35 x 23, 18 x 12, 9 x 6 (odd sizes, edge tiles).
    const int64_t W = 70, H = 45, T = 16;
    std::vector<float> main(static_cast<std::size_t>(W * H));
    for (int64_t y = 0; y < H; ++y) {
        for (int64_t x = 0; x < W; ++x) {
            main[y * W + x] = value_at(x, y);
        }
    }
    std::vector<std::vector<float>> expected;
    std::vector<LevelSize> sizes;
    {
        std::vector<float> cur = main;
        int64_t w = W, h = H;
        for (int k = 0; k < 3; ++k) {
            int64_t ow = 0, oh = 0;
            cur = halve(cur, w, h, ow, oh);
            expected.push_back(cur);
            sizes.push_back({ow, oh});
            w = ow;
            h = oh;
        }
    }
    // One tile per block (column groups), one tile row, two tile rows, the whole grid.
    for (const int64_t cells : {T * T, T * T * 5, T * T * 10, int64_t{1} << 20}) {
        std::vector<std::vector<float>> got(3);
        std::vector<int> tiles(3, 0);
        for (std::size_t l = 0; l < 3; ++l) {
            got[l].assign(static_cast<std::size_t>(sizes[l].width * sizes[l].height), -999.0F);
        }
        OverviewBuilder b(W, H, T, false,
                          [&](std::size_t level, int64_t tx, int64_t ty, const float *tile) {
                              ASSERT_LT(level, 3u);
                              ++tiles[level];
                              const LevelSize s = sizes[level];
                              for (int64_t r = 0; r < T; ++r) {
                                  for (int64_t c = 0; c < T; ++c) {
                                      const int64_t x = tx * T + c, y = ty * T + r;
                                      const float v = tile[r * T + c];
                                      if (x < s.width && y < s.height) {
                                          got[level][y * s.width + x] = v;
                                      } else {
                                          EXPECT_TRUE(std::isnan(v)) << "outside the level";
                                      }
                                  }
                              }
                          });
        ASSERT_EQ(b.levels().size(), 3u);
        const BlockPlan plan(W, H, T, cells);
        for (const Window &w : plan.windows()) {
            EXPECT_FALSE(b.complete());
            const auto v = window_values(w);
            b.add_window(w, v.data());
        }
        EXPECT_TRUE(b.complete());
        // 35 x 23 -> 3 x 2 tiles; 18 x 12 -> 2 x 1 tiles; 9 x 6 -> 1 tile; each sent once.
        EXPECT_EQ(tiles[0], 6) << cells;
        EXPECT_EQ(tiles[1], 2) << cells;
        EXPECT_EQ(tiles[2], 1) << cells;
        EXPECT_TRUE(same_floats(got[0], expected[0])) << "level 1, block cells " << cells;
        EXPECT_TRUE(same_floats(got[1], expected[1])) << "level 2, block cells " << cells;
        EXPECT_TRUE(same_floats(got[2], expected[2])) << "level 3, block cells " << cells;
    }
}

TEST(OverviewBuilder, ByteClassesTakeTheModeOfNonZeroCodes) {
    // 18 x 2 px, 16 px tiles: one level of 9 x 1. Blocks of 2 x 2, by hand:
    //   {1,1,2,2}: tie 2-2, smallest code -> 1    {2,3,3,2}: tie -> 2
    //   {0,0,0,0}: no class -> 0                  {5,0,NaN,0}: 5 (0 and NaN are nodata)
    //   {2,2,3,3}: tie -> 2                       {7,7,7,0}: 7
    //   {4,4,4,4}: 4 (three times, columns 12-17)
    const std::vector<float> row0 = {1, 1, 2, 3, 0, 0, 5, 0, 2, 2, 7, 7, 4, 4, 4, 4, 4, 4};
    const std::vector<float> row1 = {2, 2, 3, 2, 0, 0, NaN, 0, 3, 3, 7, 0, 4, 4, 4, 4, 4, 4};
    std::vector<float> values = row0;
    values.insert(values.end(), row1.begin(), row1.end());
    // Whole, and as two column groups of one tile row (columns 0-15, then 16-17).
    for (const bool split : {false, true}) {
        std::vector<float> got;
        OverviewBuilder b(18, 2, 16, true, [&](std::size_t, int64_t, int64_t, const float *tile) {
            got.assign(tile, tile + 9);
        });
        if (split) {
            std::vector<float> left(row0.begin(), row0.begin() + 16);
            left.insert(left.end(), row1.begin(), row1.begin() + 16);
            b.add_window({0, 0, 16, 2}, left.data());
            EXPECT_TRUE(got.empty()); // nothing is complete before the right edge
            const std::vector<float> right = {row0[16], row0[17], row1[16], row1[17]};
            b.add_window({16, 0, 2, 2}, right.data());
        } else {
            b.add_window({0, 0, 18, 2}, values.data());
        }
        EXPECT_EQ(got, (std::vector<float>{1, 2, 0, 5, 2, 7, 4, 4, 4})) << split;
    }
}

TEST(OverviewBuilder, WindowsOutOfPlanOrderAreRefused) {
    OverviewBuilder b(64, 64, 16, false, [](std::size_t, int64_t, int64_t, const float *) {});
    const std::vector<float> v(16 * 16, 1.0F);
    EXPECT_EQ(raster_error_of([&] {
                  b.add_window({16, 0, 16, 16}, v.data());
              }),
              "overviews: window x 16, y 0 came out of block-plan order (expected x 0, y 0); "
              "this is a bug in the caller");
    b.add_window({0, 0, 16, 16}, v.data());
    EXPECT_EQ(raster_error_of([&] {
                  b.add_window({0, 16, 16, 16}, v.data());
              }),
              "overviews: window x 0, y 16 came out of block-plan order (expected x 16, y 0); "
              "this is a bug in the caller");
}

// ---------------------------------------------------------------------------------------------
// GeoTiffWriter with overviews: a cloud-optimized GeoTIFF

TEST(CogWriter, OverviewsMatchTheMainImageAndTheLayoutIsCloudOptimized) {
    TempDir d;
    const std::string path = d.file("stock_2020.tif");
    // 100 x 70 px in 16 px tiles: levels 50 x 35, 25 x 18, 13 x 9.
    write_test_raster(path, 100, 70, 16 * 16 * 3, tiles16());
    EXPECT_FALSE(fs::exists(partial_path(path)));
    for (const auto &e : fs::directory_iterator(d.path())) {
        EXPECT_EQ(e.path().filename().string(), "stock_2020.tif") << "left behind";
    }
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    EXPECT_STREQ(GDALGetDescription(b), "stock 2020");
    EXPECT_STREQ(GDALGetRasterUnitType(b), "Mg C/ha");
    EXPECT_STREQ(GDALGetMetadataItem(ds, "model", nullptr), "test");
    int has_nd = 0;
    EXPECT_TRUE(std::isnan(GDALGetRasterNoDataValue(b, &has_nd)));
    EXPECT_TRUE(has_nd);
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    EXPECT_EQ(gt[0], 500000.0);
    EXPECT_EQ(gt[1], 30.0);
    ASSERT_EQ(GDALGetOverviewCount(b), 3);
    std::vector<float> cur = read_band(b);
    {
        std::vector<float> want(100 * 70);
        for (int y = 0; y < 70; ++y) {
            for (int x = 0; x < 100; ++x) {
                want[y * 100 + x] = value_at(x, y);
            }
        }
        EXPECT_TRUE(same_floats(cur, want));
    }
    int64_t w = 100, h = 70;
    const int64_t want_w[] = {50, 25, 13};
    const int64_t want_h[] = {35, 18, 9};
    for (int k = 0; k < 3; ++k) {
        GDALRasterBandH o = GDALGetOverview(b, k);
        EXPECT_EQ(GDALGetRasterBandXSize(o), want_w[k]);
        EXPECT_EQ(GDALGetRasterBandYSize(o), want_h[k]);
        int bx = 0, by = 0;
        GDALGetBlockSize(o, &bx, &by);
        EXPECT_EQ(bx, 16);
        int ond = 0;
        EXPECT_TRUE(std::isnan(GDALGetRasterNoDataValue(o, &ond)));
        EXPECT_TRUE(ond);
        int64_t ow = 0, oh = 0;
        cur = halve(cur, w, h, ow, oh);
        EXPECT_TRUE(same_floats(read_band(o), cur)) << "overview " << k;
        w = ow;
        h = oh;
    }
    // Layout: main IFD at byte 8, overview IFDs after it in order; tile data of the smallest
    // overview first and of the main image last.
    EXPECT_STREQ(GDALGetMetadataItem(b, "IFD_OFFSET", "TIFF"), "8");
    long long last_ifd = 8;
    long long last_data = std::stoll(GDALGetMetadataItem(b, "BLOCK_OFFSET_0_0", "TIFF"));
    for (int k = 0; k < 3; ++k) {
        GDALRasterBandH o = GDALGetOverview(b, k);
        const long long ifd = std::stoll(GDALGetMetadataItem(o, "IFD_OFFSET", "TIFF"));
        EXPECT_GT(ifd, last_ifd);
        last_ifd = ifd;
        const long long data = std::stoll(GDALGetMetadataItem(o, "BLOCK_OFFSET_0_0", "TIFF"));
        EXPECT_LT(data, last_data) << "overview " << k;
        last_data = data;
    }
    EXPECT_GT(last_data, last_ifd);
    GDALClose(ds);
    const std::string v = validate_cog(path);
    if (!v.empty()) {
        EXPECT_NE(v.find("is a valid cloud optimized GeoTIFF"), std::string::npos) << v;
        EXPECT_EQ(v.find("arning"), std::string::npos) << v;
        EXPECT_NE(v.find("exit 0"), std::string::npos) << v;
    }
}

TEST(CogWriter, EveryCompressionGivesAValidCogWithTheSameOverviews) {
    for (const char *compress : {"LZW", "ZSTD", "NONE"}) {
        TempDir d;
        const std::string path = d.file("stock.tif");
        GeoTiffOptions o = tiles16();
        o.compress = compress;
        write_test_raster(path, 100, 70, 16 * 16 * 3, o);
        GDALAllRegister();
        GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
        ASSERT_NE(ds, nullptr) << compress;
        GDALRasterBandH b = GDALGetRasterBand(ds, 1);
        ASSERT_EQ(GDALGetOverviewCount(b), 3) << compress;
        std::vector<float> cur = read_band(b);
        int64_t w = 100, h = 70;
        for (int k = 0; k < 3; ++k) {
            int64_t ow = 0, oh = 0;
            cur = halve(cur, w, h, ow, oh);
            EXPECT_TRUE(same_floats(read_band(GDALGetOverview(b, k)), cur))
                << compress << " overview " << k;
            w = ow;
            h = oh;
        }
        GDALClose(ds);
        const std::string v = validate_cog(path);
        if (!v.empty()) {
            EXPECT_NE(v.find("exit 0"), std::string::npos) << compress << v;
            EXPECT_EQ(v.find("arning"), std::string::npos) << compress << v;
        }
    }
}

TEST(CogWriter, SameBytesForEveryBlockPlanOfTheSameTiling) {
    TempDir d;
    write_test_raster(d.file("a.tif"), 100, 70, 16 * 16, tiles16());
    write_test_raster(d.file("b.tif"), 100, 70, 16 * 16 * 14, tiles16());
    write_test_raster(d.file("c.tif"), 100, 70, int64_t{1} << 20, tiles16());
    const std::string a = read_text(d.file("a.tif"));
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, read_text(d.file("b.tif")));
    EXPECT_EQ(a, read_text(d.file("c.tif")));
}

TEST(CogWriter, WithoutOverviewsThereAreNone) {
    TempDir d;
    GeoTiffOptions o = tiles16();
    o.overviews = false;
    write_test_raster(d.file("a.tif"), 100, 70, 16 * 16 * 3, o);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(d.file("a.tif").c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(GDALGetOverviewCount(GDALGetRasterBand(ds, 1)), 0);
    GDALClose(ds);
}

TEST(CogWriter, ByteRasterKeepsItsLegendAndTakesTheModeOnOverviews) {
    TempDir d;
    const std::string path = d.file("method_2020.tif");
    GeoTiffOptions o = tiles16();
    o.data_type = "Byte";
    o.category_names = {"none", "table", "inventory"};
    // 40 x 20 px: column pairs alternate code 1 and 2 on the top row of each 2 x 2 block and 2
    // on the bottom row, so each block is {1,1,2,2} (tie -> 1) or {2,2,2,2} (2); level 20 x 10.
    {
        GeoTiffWriter w(path, utm(40, 20), "model branch", "class", {}, o);
        std::vector<float> v(40 * 20);
        for (int y = 0; y < 20; ++y) {
            for (int x = 0; x < 40; ++x) {
                v[y * 40 + x] = y % 2 == 0 ? ((x / 2) % 2 == 0 ? 1.0F : 2.0F) : 2.0F;
            }
        }
        w.write_window({0, 0, 40, 20}, v.data());
        w.commit();
    }
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    EXPECT_STREQ(GDALGetMetadataItem(b, "code_1", nullptr), "table");
    EXPECT_EQ(GDALGetRasterDataType(b), GDT_Byte);
    ASSERT_EQ(GDALGetOverviewCount(b), 2); // 20 x 10, 10 x 5
    const auto ov = read_band(GDALGetOverview(b, 0));
    ASSERT_EQ(ov.size(), 200u);
    for (int x = 0; x < 20; ++x) {
        EXPECT_EQ(ov[x], x % 2 == 0 ? 1.0F : 2.0F) << x;
    }
    GDALClose(ds);
    const std::string v = validate_cog(path);
    if (!v.empty()) {
        EXPECT_NE(v.find("exit 0"), std::string::npos) << v;
        EXPECT_EQ(v.find("arning"), std::string::npos) << v;
    }
}

// ---------------------------------------------------------------------------------------------
// assemble_cog on its own: tiles copied raw from files GDAL wrote

namespace {

void gdal_tiled(const std::string &path, int w, int h, const char *bigtiff, int seed) {
    GDALAllRegister();
    CPLStringList opts;
    opts.SetNameValue("TILED", "YES");
    opts.SetNameValue("BLOCKXSIZE", "16");
    opts.SetNameValue("BLOCKYSIZE", "16");
    opts.SetNameValue("COMPRESS", "DEFLATE");
    opts.SetNameValue("PREDICTOR", "3");
    opts.SetNameValue("BIGTIFF", bigtiff);
    GDALDatasetH ds =
        GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), w, h, 1, GDT_Float32, opts.List());
    ASSERT_NE(ds, nullptr);
    std::vector<float> v(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    uint32_t s = static_cast<uint32_t>(seed);
    for (auto &x : v) {
        s = s * 1664525u + 1013904223u; // LCG (Numerical Recipes)
        x = static_cast<float>(s >> 8) / 65536.0F;
    }
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, w, h, v.data(), w, h,
                           GDT_Float32, 0, 0),
              CE_None);
    GDALSetRasterNoDataValue(GDALGetRasterBand(ds, 1), -1.0);
    GDALClose(ds);
}

int checksum(const std::string &path, int overview) {
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    if (ds == nullptr) {
        return -1;
    }
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (overview >= 0) {
        b = GDALGetOverview(b, overview);
    }
    const int c = GDALChecksumImage(b, 0, 0, GDALGetRasterBandXSize(b), GDALGetRasterBandYSize(b));
    GDALClose(ds);
    return c;
}

} // namespace

TEST(AssembleCog, CopiesEveryLevelPixelForPixel) {
    for (const char *bigtiff : {"NO", "YES"}) {
        TempDir d;
        gdal_tiled(d.file("main.tif"), 50, 40, bigtiff, 1);
        gdal_tiled(d.file("ovr1.tif"), 25, 20, bigtiff, 2);
        gdal_tiled(d.file("ovr2.tif"), 13, 10, bigtiff, 3);
        const bool big = assemble_cog(d.file("cog.tif"),
                                      {d.file("main.tif"), d.file("ovr1.tif"), d.file("ovr2.tif")});
        EXPECT_EQ(big, std::string(bigtiff) == "YES");
        const std::string head = read_text(d.file("cog.tif")).substr(0, 4);
        EXPECT_EQ(head, big ? std::string("II\x2b\0", 4) : std::string("II\x2a\0", 4));
        EXPECT_EQ(checksum(d.file("cog.tif"), -1), checksum(d.file("main.tif"), -1));
        EXPECT_EQ(checksum(d.file("cog.tif"), 0), checksum(d.file("ovr1.tif"), -1));
        EXPECT_EQ(checksum(d.file("cog.tif"), 1), checksum(d.file("ovr2.tif"), -1));
        GDALDatasetH ds = GDALOpen(d.file("cog.tif").c_str(), GA_ReadOnly);
        ASSERT_NE(ds, nullptr);
        GDALRasterBandH b = GDALGetRasterBand(ds, 1);
        ASSERT_EQ(GDALGetOverviewCount(b), 2);
        GDALDatasetH m = GDALOpen(d.file("main.tif").c_str(), GA_ReadOnly);
        EXPECT_TRUE(same_floats(read_band(b), read_band(GDALGetRasterBand(m, 1))));
        GDALClose(m);
        int has = 0;
        EXPECT_EQ(GDALGetRasterNoDataValue(b, &has), -1.0);
        GDALClose(ds);
        const std::string v = validate_cog(d.file("cog.tif"));
        if (!v.empty()) {
            EXPECT_NE(v.find("exit 0"), std::string::npos) << v;
            EXPECT_EQ(v.find("arning"), std::string::npos) << v;
        }
    }
}

TEST(AssembleCog, StrippedOrMissingInputsAreRefused) {
    TempDir d;
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), d.file("strips.tif").c_str(), 8, 8,
                                 1, GDT_Float32, nullptr);
    ASSERT_NE(ds, nullptr);
    GDALClose(ds);
    EXPECT_EQ(raster_error_of([&] { assemble_cog(d.file("out.tif"), {d.file("strips.tif")}); }),
              "cannot write cloud-optimized GeoTIFF: " + d.file("out.tif") + ": " +
                  d.file("strips.tif") + ": tag 273 (strips or sub-IFDs) cannot be relaid out");
    EXPECT_EQ(raster_error_of([&] { assemble_cog(d.file("out.tif"), {d.file("none.tif")}); }),
              "cannot write cloud-optimized GeoTIFF: " + d.file("out.tif") + ": " +
                  d.file("none.tif") + ": No such file or directory");
    write_text(d.file("text.tif"), "hello, world");
    EXPECT_EQ(raster_error_of([&] { assemble_cog(d.file("out.tif"), {d.file("text.tif")}); }),
              "cannot write cloud-optimized GeoTIFF: " + d.file("out.tif") + ": " +
                  d.file("text.tif") + ": not a little-endian TIFF");
}

// ---------------------------------------------------------------------------------------------
// Pool rasters of a run (outputs.pool_rasters)

namespace {

// 40 x 30 px, 30 m, EPSG:6933. 2010: columns 0-19 class 1 (cropland), 20-39 class 2 (forest).
// 2020: rows 0-9 of columns 0-19 become forest, pixel (col 5, row 25) is nodata.
// Pools (Mg C/ha): 1 = 10 + 2 + 50 + 1; 2 = 100 + 20 + 80 + 5.
const char *POOLS = "lucode,LULC_Name,C_above,c_below,c_soil,c_dead\n"
                    "1,cropland,10,2,50,1\n"
                    "2,forest,100,20,80,5\n";

struct PoolScenario {
    TempDir dir;
    PoolScenario() {
        RasterSpec spec;
        spec.width = 40;
        spec.height = 30;
        spec.epsg = 6933;
        std::vector<double> lc2010(40 * 30), lc2020(40 * 30);
        for (int r = 0; r < 30; ++r) {
            for (int c = 0; c < 40; ++c) {
                lc2010[r * 40 + c] = c < 20 ? 1 : 2;
                lc2020[r * 40 + c] = c < 20 && r < 10 ? 2 : lc2010[r * 40 + c];
            }
        }
        lc2020[25 * 40 + 5] = 255;
        write_raster(dir.file("lc2010.tif"), spec, lc2010);
        write_raster(dir.file("lc2020.tif"), spec, lc2020);
        write_text(dir.file("pools.csv"), POOLS);
    }
    std::string config(const std::string &outputs, const std::string &processing = "") const {
        write_text(dir.file("run.yaml"), "name: pools\n"
                                         "output_dir: out\n"
                                         "land_cover:\n"
                                         "  epochs:\n"
                                         "    2010: lc2010.tif\n"
                                         "    2020: lc2020.tif\n"
                                         "models:\n"
                                         "  stocks:\n"
                                         "    method: lookup\n"
                                         "    table: pools.csv\n"
                                         "  sink:\n"
                                         "    method: stock_difference\n" +
                                             outputs + processing);
        return dir.file("run.yaml");
    }
};

std::vector<float> read_tif(const std::string &path, std::string *description = nullptr,
                            std::string *units = nullptr) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    if (ds == nullptr) {
        ADD_FAILURE() << "cannot open " << path;
        return {};
    }
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (description != nullptr) {
        *description = GDALGetDescription(b);
    }
    if (units != nullptr) {
        *units = GDALGetRasterUnitType(b);
    }
    auto v = read_band(b);
    GDALClose(ds);
    return v;
}

const std::vector<std::string> POOL_NAMES = {"above_ground", "below_ground", "soil",
                                             "dead_organic_matter"};

} // namespace

TEST(PoolRasters, EachPoolHoldsItsStockAndChangeAndThePoolsAddUpToTheTotal) {
    PoolScenario s;
    const auto r = run_carbonsink(
        "run " + s.config("outputs:\n  pool_rasters: true\n", "processing:\n  tile_size: 16\n") +
        " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Hand-worked pixels: (0, 0) cropland -> forest; (30, 0) forest both; (0, 29) cropland
    // both; (5, 25) nodata in 2020.
    const std::map<std::string, std::pair<double, double>> density = {
        {"above_ground", {10, 100}},
        {"below_ground", {2, 20}},
        {"soil", {50, 80}},
        {"dead_organic_matter", {1, 5}}};
    std::vector<float> sum2010(1200, 0.0F), sum2020(1200, 0.0F), sum_change(1200, 0.0F);
    for (const auto &pool : POOL_NAMES) {
        const auto [crop, forest] = density.at(pool);
        std::string desc, units;
        const auto s2010 = read_tif(s.dir.file("out/stock_" + pool + "_2010.tif"), &desc, &units);
        ASSERT_EQ(s2010.size(), 1200u) << pool;
        EXPECT_EQ(units, "Mg C/ha");
        EXPECT_NE(desc.find("pool " + pool), std::string::npos) << desc;
        EXPECT_NE(desc.find("2010"), std::string::npos) << desc;
        const auto s2020 = read_tif(s.dir.file("out/stock_" + pool + "_2020.tif"));
        const auto ch =
            read_tif(s.dir.file("out/stock_change_" + pool + "_2010_2020.tif"), &desc, &units);
        ASSERT_EQ(ch.size(), 1200u);
        EXPECT_EQ(units, "Mg C/ha/yr");
        EXPECT_NE(desc.find("positive = uptake/sink"), std::string::npos) << desc;
        EXPECT_NE(desc.find("stock difference"), std::string::npos) << desc;
        EXPECT_FLOAT_EQ(s2010[0], static_cast<float>(crop)) << pool;
        EXPECT_FLOAT_EQ(s2020[0], static_cast<float>(forest)) << pool;
        EXPECT_FLOAT_EQ(ch[0], static_cast<float>((forest - crop) / 10.0)) << pool;
        EXPECT_FLOAT_EQ(s2020[30], static_cast<float>(forest)) << pool;
        EXPECT_FLOAT_EQ(ch[30], 0.0F) << pool;
        EXPECT_FLOAT_EQ(s2020[29 * 40], static_cast<float>(crop)) << pool;
        EXPECT_FLOAT_EQ(s2010[25 * 40 + 5], static_cast<float>(crop)) << pool;
        EXPECT_TRUE(std::isnan(s2020[25 * 40 + 5])) << pool;
        EXPECT_TRUE(std::isnan(ch[25 * 40 + 5])) << pool;
        for (std::size_t i = 0; i < 1200; ++i) {
            sum2010[i] += s2010[i];
            sum2020[i] += s2020[i];
            sum_change[i] += ch[i];
        }
    }
    // The pools add up to the total rasters (within float rounding), NaN where they are.
    const auto t2010 = read_tif(s.dir.file("out/stock_2010.tif"));
    const auto t2020 = read_tif(s.dir.file("out/stock_2020.tif"));
    const auto tch = read_tif(s.dir.file("out/stock_change_2010_2020.tif"));
    for (std::size_t i = 0; i < 1200; ++i) {
        EXPECT_TRUE(std::isnan(t2020[i]) == std::isnan(sum2020[i])) << i;
        if (!std::isnan(t2020[i])) {
            EXPECT_NEAR(sum2010[i], t2010[i], 1e-4) << i;
            EXPECT_NEAR(sum2020[i], t2020[i], 1e-4) << i;
            EXPECT_NEAR(sum_change[i], tch[i], 1e-5) << i;
        }
    }
    // Listed among the outputs.
    EXPECT_NE(r.out.find("stock_<pool>_<year>.tif, stock_change_<pool>_<y1>_<y2>.tif"),
              std::string::npos)
        << r.out;
    // Every GeoTIFF of the run is a valid COG (40 x 30 in 16 px tiles: overviews 20 x 15, 10 x 8).
    std::size_t tifs = 0;
    for (const auto &e : fs::directory_iterator(s.dir.file("out"))) {
        if (e.path().extension() != ".tif") {
            continue;
        }
        ++tifs;
        GDALDatasetH ds = GDALOpen(e.path().c_str(), GA_ReadOnly);
        ASSERT_NE(ds, nullptr);
        EXPECT_EQ(GDALGetOverviewCount(GDALGetRasterBand(ds, 1)), 2) << e.path();
        GDALClose(ds);
        const std::string v = validate_cog(e.path().string());
        if (!v.empty()) {
            EXPECT_NE(v.find("exit 0"), std::string::npos) << v;
            EXPECT_EQ(v.find("arning"), std::string::npos) << v;
        }
    }
    EXPECT_EQ(tifs, 3u + 4u * 3u);
}

TEST(PoolRasters, OffByDefaultAndSameBytesForAnyThreadCountAndBlockSize) {
    PoolScenario s;
    ASSERT_EQ(run_carbonsink("run " + s.config("") + " --quiet").exit_code, 0);
    EXPECT_FALSE(fs::exists(s.dir.file("out/stock_soil_2010.tif")));
    EXPECT_TRUE(fs::exists(s.dir.file("out/stock_2010.tif")));
    const std::string outputs = "outputs:\n  pool_rasters: true\n";
    ASSERT_EQ(run_carbonsink("run " + s.config(outputs, "processing:\n  tile_size: 16\n") +
                             " --quiet --threads 1 --output-dir " + s.dir.file("t1"))
                  .exit_code,
              0);
    ASSERT_EQ(run_carbonsink("run " +
                             s.config(outputs, "processing:\n  tile_size: 16\n  block_cells: "
                                               "256\n") +
                             " --quiet --threads 2 --output-dir " + s.dir.file("t2"))
                  .exit_code,
              0);
    std::size_t compared = 0;
    for (const auto &e : fs::directory_iterator(s.dir.file("t1"))) {
        if (e.path().extension() == ".tif") {
            const std::string a = read_text(e.path().string());
            EXPECT_FALSE(a.empty());
            EXPECT_EQ(a, read_text(s.dir.file("t2/" + e.path().filename().string())))
                << e.path().filename();
            ++compared;
        }
    }
    EXPECT_EQ(compared, 15u);
}

TEST(PoolRasters, RefusedConfigValuesSayWhatIsWrong) {
    PoolScenario s;
    const auto r = run_carbonsink("validate " + s.config("outputs:\n  pool_rasters: maybe\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("invalid config value outputs.pool_rasters: run.yaml, line 14: expected "
                         "true or false, got \"maybe\""),
              std::string::npos)
        << r.err;
    const auto o = run_carbonsink("validate " + s.config("outputs:\n  overviews: [1]\n"));
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.err.find("invalid config value outputs.overviews: run.yaml, line 14: expected true "
                         "or false, got a list"),
              std::string::npos)
        << o.err;
}

TEST(PoolRasters, OverviewsCanBeTurnedOff) {
    PoolScenario s;
    ASSERT_EQ(run_carbonsink(
                  "run " +
                  s.config("outputs:\n  overviews: false\n", "processing:\n  tile_size: 16\n") +
                  " --quiet")
                  .exit_code,
              0);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(s.dir.file("out/stock_2020.tif").c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(GDALGetOverviewCount(GDALGetRasterBand(ds, 1)), 0);
    GDALClose(ds);
}

TEST(PoolRasters, GainLossPoolsKeepTheirStockDifferenceAndSaySo) {
    // The golden gain-loss scenario (tests/golden/scenarios/gain-loss-volume.yaml) on a copy of
    // data-samples, with the volume increment derived as scripts/golden.sh does (volume / 40).
    TempDir d;
    const std::string root = CS_SOURCE_DIR;
    fs::copy(root + "/data-samples", d.path(), fs::copy_options::recursive);
    fs::copy(root + "/tests/golden/scenarios/soil_management_nomr.csv", d.path());
    {
        int w = 0, h = 0;
        GDALAllRegister();
        GDALDatasetH src = GDALOpen(d.file("volume_2015.tif").c_str(), GA_ReadOnly);
        ASSERT_NE(src, nullptr);
        w = GDALGetRasterXSize(src);
        h = GDALGetRasterYSize(src);
        std::vector<float> v(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
        ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(src, 1), GF_Read, 0, 0, w, h, v.data(), w, h,
                               GDT_Float32, 0, 0),
                  CE_None);
        int has = 0;
        const double nd = GDALGetRasterNoDataValue(GDALGetRasterBand(src, 1), &has);
        for (auto &x : v) {
            x = has && x == nd ? -1.0F : x / 40.0F;
        }
        GDALDatasetH dst =
            GDALCreateCopy(GDALGetDriverByName("GTiff"), d.file("increment.tif").c_str(), src, 0,
                           nullptr, nullptr, nullptr);
        ASSERT_NE(dst, nullptr);
        GDALRasterBandH b = GDALGetRasterBand(dst, 1);
        ASSERT_EQ(GDALGetRasterDataType(b), GDT_Float32) << "volume_2015.tif is not Float32";
        GDALSetRasterNoDataValue(b, -1.0);
        ASSERT_EQ(GDALRasterIO(b, GF_Write, 0, 0, w, h, v.data(), w, h, GDT_Float32, 0, 0),
                  CE_None);
        GDALClose(dst);
        GDALClose(src);
    }
    std::string cfg = read_text(root + "/tests/golden/scenarios/gain-loss-volume.yaml");
    cfg.replace(cfg.find("outputs:\n"), 9, "outputs:\n  pool_rasters: true\n");
    write_text(d.file("gl.yaml"), cfg);
    const auto r = run_carbonsink("run " + d.file("gl.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The inventory model's pools; flux.gain_loss claims the live-biomass ones.
    const std::vector<std::string> pools = {"above_ground", "below_ground", "live_biomass_cbef",
                                            "dead_wood",    "litter",       "soil"};
    for (const auto &pool : pools) {
        std::string desc;
        const auto s1 = read_tif(d.file("out/stock_" + pool + "_2015.tif"));
        const auto s2 = read_tif(d.file("out/stock_" + pool + "_2020.tif"));
        const auto ch = read_tif(d.file("out/stock_change_" + pool + "_2015_2020.tif"), &desc);
        ASSERT_EQ(ch.size(), s1.size());
        // flux.gain_loss claims the two live-biomass pools together: they keep their stock
        // difference, and the description says the total change uses the stage for them.
        const bool live =
            pool == "above_ground" || pool == "below_ground" || pool == "live_biomass_cbef";
        EXPECT_EQ(desc.find("together") != std::string::npos, live) << pool << ": " << desc;
        std::size_t valid = 0;
        for (std::size_t i = 0; i < ch.size(); ++i) {
            if (std::isnan(ch[i])) {
                continue;
            }
            ++valid;
            // Stock difference per year over 2015-2020, from the pool rasters themselves.
            EXPECT_NEAR(ch[i], (static_cast<double>(s2[i]) - s1[i]) / 5.0,
                        1e-5 * (1.0 + std::fabs(s1[i]) + std::fabs(s2[i])))
                << pool << " pixel " << i;
            if (::testing::Test::HasFailure()) {
                return;
            }
        }
        EXPECT_GT(valid, 1000u) << pool;
        EXPECT_NE(desc.find("stock difference"), std::string::npos) << desc;
    }
}
