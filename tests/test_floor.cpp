// Tests of the output speed-ups of issue 13: the floating-point predictor encoded by carbonsink
// (float_predictor_rows, set_tiff_predictor) must give the very bytes libtiff gives.
#include "pipeline/runner.hpp"
#include "raster/block_plan.hpp"
#include "raster/grid.hpp"
#include "raster/raster_error.hpp"
#include "raster/raster_io.hpp"
#include "test_support.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace cs::raster;
using cs::test::TempDir;

std::string raster_error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const RasterError &e) {
        return e.what();
    }
    return "(no RasterError)";
}

// TIFF Technical Note 3: 1.0f = 0x3F800000 and 2.0f = 0x40000000; planes (most significant byte
// first) 3F 40 | 80 00 | 00 00 | 00 00; then each byte minus the one before it (mod 256).
TEST(FloatPredictor, HandWorkedRow) {
    const float values[2] = {1.0f, 2.0f};
    uint8_t out[8] = {};
    float_predictor_rows(values, 2, 1, out);
    const uint8_t expected[8] = {0x3F, 0x01, 0x40, 0x80, 0x00, 0x00, 0x00, 0x00};
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(out[i], expected[i]) << "byte " << i;
    }
}

// Rows are encoded independently: the second row starts again from its own first byte.
TEST(FloatPredictor, RowsAreIndependent) {
    const float values[4] = {1.0f, 2.0f, 1.0f, 2.0f};
    uint8_t out[16] = {};
    float_predictor_rows(values, 2, 2, out);
    EXPECT_EQ(std::memcmp(out, out + 8, 8), 0);
    EXPECT_EQ(out[8], 0x3F);
}

GridSpec small_grid(int64_t w, int64_t h) {
    GridSpec g;
    g.width = w;
    g.height = h;
    g.geotransform = {500000.0, 30.0, 0.0, 4600000.0, 0.0, -30.0};
    return g;
}

float value_at(int64_t x, int64_t y) {
    if ((x * 7 + y * 3) % 23 == 0) {
        return std::numeric_limits<float>::quiet_NaN();
    }
    return static_cast<float>(std::sin(0.01 * static_cast<double>(x)) * 100.0 +
                              0.37 * static_cast<double>(y));
}

/// The bytes of tile (tx, ty) of band 1 as stored in the file (compressed).
std::string stored_tile(const std::string &path, int tx, int ty) {
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    EXPECT_NE(ds, nullptr) << path;
    if (ds == nullptr) {
        return {};
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    const std::string suffix = std::to_string(tx) + "_" + std::to_string(ty);
    const char *off = GDALGetMetadataItem(band, ("BLOCK_OFFSET_" + suffix).c_str(), "TIFF");
    const char *size = GDALGetMetadataItem(band, ("BLOCK_SIZE_" + suffix).c_str(), "TIFF");
    std::string bytes;
    if (off != nullptr && size != nullptr) {
        std::ifstream in(path, std::ios::binary);
        in.seekg(std::stoll(off));
        bytes.resize(static_cast<std::size_t>(std::stoll(size)));
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    GDALClose(ds);
    return bytes;
}

// The writer's own encoding against libtiff's: GDAL writes the same tiles with PREDICTOR=3 (the
// predictor encoded by libtiff); every stored (compressed) tile must be the same bytes, the
// Predictor tag must say 3, and the values must read back exactly.
TEST(FloatPredictor, WriterTilesEqualLibtiffTiles) {
    GDALAllRegister();
    TempDir dir;
    const int64_t w = 300, h = 200, t = 256;
    std::vector<float> values(static_cast<std::size_t>(w * h));
    for (int64_t y = 0; y < h; ++y) {
        for (int64_t x = 0; x < w; ++x) {
            values[static_cast<std::size_t>(y * w + x)] = value_at(x, y);
        }
    }
    const std::string ours = dir.file("ours.tif");
    {
        GeoTiffWriter writer(ours, small_grid(w, h), "d", "u", {}, GeoTiffOptions{});
        writer.write_window(Window{0, 0, w, h}, values.data());
        writer.commit();
    }
    // libtiff's encoding: whole tiles padded with NaN, as GeoTiffWriter pads them.
    const std::string ref = dir.file("libtiff.tif");
    {
        CPLStringList opts;
        opts.SetNameValue("TILED", "YES");
        opts.SetNameValue("BLOCKXSIZE", "256");
        opts.SetNameValue("BLOCKYSIZE", "256");
        opts.SetNameValue("COMPRESS", "DEFLATE");
        opts.SetNameValue("PREDICTOR", "3");
        opts.SetNameValue("ZLEVEL", "6");
        opts.SetNameValue("SPARSE_OK", "FALSE");
        GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), ref.c_str(), static_cast<int>(w),
                                     static_cast<int>(h), 1, GDT_Float32, opts.List());
        ASSERT_NE(ds, nullptr);
        GDALRasterBandH band = GDALGetRasterBand(ds, 1);
        std::vector<float> tile(static_cast<std::size_t>(t * t));
        for (int64_t ty = 0; ty < h; ty += t) {
            for (int64_t tx = 0; tx < w; tx += t) {
                for (int64_t r = 0; r < t; ++r) {
                    for (int64_t c = 0; c < t; ++c) {
                        const bool in = ty + r < h && tx + c < w;
                        tile[static_cast<std::size_t>(r * t + c)] =
                            in ? values[static_cast<std::size_t>((ty + r) * w + tx + c)]
                               : std::numeric_limits<float>::quiet_NaN();
                    }
                }
                ASSERT_EQ(GDALWriteBlock(band, static_cast<int>(tx / t), static_cast<int>(ty / t),
                                         tile.data()),
                          CE_None);
            }
        }
        GDALClose(ds);
    }
    for (int tx = 0; tx < 2; ++tx) {
        const std::string a = stored_tile(ours, tx, 0);
        const std::string b = stored_tile(ref, tx, 0);
        EXPECT_FALSE(a.empty());
        EXPECT_EQ(a, b) << "tile " << tx << ", 0";
    }
    GDALDatasetH ds = GDALOpen(ours.c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    const char *pred = GDALGetMetadataItem(ds, "PREDICTOR", "IMAGE_STRUCTURE");
    EXPECT_STREQ(pred, "3");
    std::vector<float> back(values.size());
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, static_cast<int>(w),
                           static_cast<int>(h), back.data(), static_cast<int>(w),
                           static_cast<int>(h), GDT_Float32, 0, 0),
              CE_None);
    GDALClose(ds);
    EXPECT_EQ(std::memcmp(back.data(), values.data(), values.size() * sizeof(float)), 0);
}

std::string make_tiff(const std::string &path, const char *compress, const char *predictor,
                      bool bigtiff) {
    CPLStringList opts;
    opts.SetNameValue("TILED", "YES");
    opts.SetNameValue("COMPRESS", compress);
    if (predictor != nullptr) {
        opts.SetNameValue("PREDICTOR", predictor);
    }
    opts.SetNameValue("BIGTIFF", bigtiff ? "YES" : "NO");
    GDALDatasetH ds =
        GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), 16, 16, 1, GDT_Float32, opts.List());
    EXPECT_NE(ds, nullptr);
    std::vector<float> v(256, 1.5f);
    EXPECT_EQ(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, 16, 16, v.data(), 16, 16,
                           GDT_Float32, 0, 0),
              CE_None);
    GDALClose(ds);
    return path;
}

std::string predictor_of(const std::string &path) {
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    if (ds == nullptr) {
        return "(cannot open)";
    }
    const char *p = GDALGetMetadataItem(ds, "PREDICTOR", "IMAGE_STRUCTURE");
    std::string s = p != nullptr ? p : "(none)";
    GDALClose(ds);
    return s;
}

TEST(SetTiffPredictor, ClassicAndBigTiff) {
    GDALAllRegister();
    TempDir dir;
    for (const bool big : {false, true}) {
        const std::string p =
            make_tiff(dir.file(big ? "big.tif" : "classic.tif"), "DEFLATE", "1", big);
        ASSERT_EQ(predictor_of(p), "(none)") << p; // GDAL reports only predictors other than 1
        set_tiff_predictor(p, 2);
        EXPECT_EQ(predictor_of(p), "2") << p;
    }
}

TEST(SetTiffPredictor, Errors) {
    GDALAllRegister();
    TempDir dir;
    const std::string missing = dir.file("missing.tif");
    EXPECT_EQ(raster_error_of([&] { set_tiff_predictor(missing, 3); }),
              "cannot set the TIFF predictor tag: " + missing + ": No such file or directory");
    const std::string text = dir.file("text.tif");
    std::ofstream(text) << "not a TIFF file at all";
    EXPECT_EQ(raster_error_of([&] { set_tiff_predictor(text, 3); }),
              "cannot set the TIFF predictor tag: " + text + ": not a little-endian TIFF");
    const std::string plain = make_tiff(dir.file("plain.tif"), "NONE", nullptr, false);
    EXPECT_EQ(raster_error_of([&] { set_tiff_predictor(plain, 3); }),
              "cannot set the TIFF predictor tag: " + plain +
                  ": no Predictor tag (317) in the first IFD");
    const std::string tiny = dir.file("tiny.tif");
    std::ofstream(tiny) << "II";
    EXPECT_EQ(raster_error_of([&] { set_tiff_predictor(tiny, 3); }),
              "cannot set the TIFF predictor tag: " + tiny + ": cannot read 16 bytes at offset 0");
}

// Windows that OrderedRasterOutputs::take_windows did not hand out (a --resume replay, results
// from MPI workers) go back to its pool only up to (threads + MAX_PENDING_BLOCKS + 1) per output;
// before that bound a 20000 x 20000 px run on 2 MPI ranks held 2.8 GiB of them. The files are
// still written whole and in block order.
TEST(OrderedRasterOutputs, PoolOfWrittenWindowsIsBounded) {
    TempDir dir;
    const int64_t w = 2048, h = 512;
    const cs::raster::BlockPlan plan(w, h, 256, 256 * 256);
    ASSERT_EQ(plan.size(), 16u);
    std::vector<std::unique_ptr<GeoTiffWriter>> writers;
    for (const char *name : {"a.tif", "b.tif"}) {
        writers.push_back(std::make_unique<GeoTiffWriter>(dir.file(name), small_grid(w, h), "d",
                                                          "u", std::map<std::string, std::string>{},
                                                          GeoTiffOptions{}));
    }
    const int threads = 1;
    cs::pipeline::OrderedRasterOutputs outputs(writers, plan, threads);
    const std::size_t bound = 2 * (threads + cs::pipeline::MAX_PENDING_BLOCKS + 1);
    for (std::size_t b = 0; b < plan.size(); ++b) {
        const auto cells = static_cast<std::size_t>(plan[b].cells());
        std::vector<std::vector<float>> windows{std::vector<float>(cells, static_cast<float>(b)),
                                                std::vector<float>(cells, -static_cast<float>(b))};
        outputs.deposit(b, std::move(windows));
        EXPECT_LE(outputs.pooled_windows(), bound) << "after block " << b;
    }
    EXPECT_EQ(outputs.pooled_windows(), bound); // 32 windows were written: the pool is full
    for (auto &wr : writers) {
        wr->commit();
    }
    for (int k = 0; k < 2; ++k) {
        GDALDatasetH ds = GDALOpen(dir.file(k == 0 ? "a.tif" : "b.tif").c_str(), GA_ReadOnly);
        ASSERT_NE(ds, nullptr);
        for (std::size_t b = 0; b < plan.size(); ++b) {
            float v = 0;
            const cs::raster::Window &win = plan[b];
            ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, static_cast<int>(win.x_off),
                                   static_cast<int>(win.y_off), 1, 1, &v, 1, 1, GDT_Float32, 0, 0),
                      CE_None);
            EXPECT_EQ(v, (k == 0 ? 1.0f : -1.0f) * static_cast<float>(b)) << "block " << b;
        }
        GDALClose(ds);
    }
}

} // namespace
