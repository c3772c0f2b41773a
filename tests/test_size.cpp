// Size safety: BigTIFF outputs beyond 4 GiB and a run over more than 2^31 pixels, both without
// writing or reading gigabytes (constant VRT inputs, outputs of untouched nodata tiles).
#include "h5_read.hpp"
#include "raster/grid.hpp"
#include "raster/raster_error.hpp"
#include "raster/raster_io.hpp"
#include "test_support.hpp"

#include <gdal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

using namespace cs::test;

namespace {

/// The TIFF version word (bytes 2-3 of the header, little-endian): 42 classic, 43 BigTIFF.
int tiff_version(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char h[4] = {0, 0, 0, 0};
    in.read(reinterpret_cast<char *>(h), 4);
    if (h[0] != 'I' || h[1] != 'I') {
        return -1;
    }
    return h[2] | (h[3] << 8);
}

/// Bytes the file occupies on disk (allocated blocks), and its apparent size.
int64_t disk_bytes(const std::string &path, int64_t &apparent) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        apparent = -1;
        return -1;
    }
    apparent = static_cast<int64_t>(st.st_size);
    return static_cast<int64_t>(st.st_blocks) * 512;
}

cs::raster::GridSpec ease_grid(int64_t width, int64_t height) {
    cs::raster::GridSpec g;
    g.geotransform = {0.0, 100.0, 0.0, 2000000.0, 0.0, -100.0};
    g.width = width;
    g.height = height;
    g.crs_wkt = "EPSG:6933";
    return g;
}

/// Peak resident set size of the largest terminated child process (and its descendants), MiB.
double children_peak_rss_mib() {
    struct rusage ru {};
    getrusage(RUSAGE_CHILDREN, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

bool built_with_asan() {
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

} // namespace

// A Float32 output of 34000 x 34000 px is 4.6 GB uncompressed: it must be a BigTIFF. Only one
// tile is written; the others are filled with compressed nodata tiles (one compressed tile
// written many times), so the file stays a few MB.
TEST(BigTiff, OutputOverFourGiBUncompressedIsBigTiffAndStaysSmallOnDisk) {
    using cs::raster::GeoTiffWriter;
    using cs::raster::Window;
    TempDir dir;
    const int64_t n = 34000;
    ASSERT_GT(n * n * 4, int64_t{1} << 32);
    const std::string path = dir.file("stock_2020.tif");
    {
        GeoTiffWriter w(path, ease_grid(n, n), "stock 2020", "Mg C/ha", {},
                        cs::raster::GeoTiffOptions{});
        EXPECT_TRUE(w.bigtiff());
        // One tile far beyond the 4 GiB offset of a classic TIFF's raw layout.
        const Window win{33792, 33792, 208, 208}; // the last (partial) tile
        std::vector<float> v(static_cast<std::size_t>(win.cells()), 7.5f);
        w.write_window(win, v.data());
        w.commit();
    }
    EXPECT_EQ(tiff_version(path), 43);
    int64_t apparent = 0;
    const int64_t used = disk_bytes(path, apparent);
    EXPECT_LT(used, int64_t{64} << 20) << "allocated bytes on disk";
    EXPECT_LT(apparent, int64_t{64} << 20) << "file size";

    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(GDALGetRasterXSize(ds), n);
    EXPECT_EQ(GDALGetRasterYSize(ds), n);
    float px[2] = {0, 0};
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 33999, 33999, 1, 1, &px[0], 1, 1,
                           GDT_Float32, 0, 0),
              CE_None);
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 17000, 17000, 1, 1, &px[1], 1, 1,
                           GDT_Float32, 0, 0),
              CE_None);
    GDALClose(ds);
    EXPECT_EQ(px[0], 7.5f);
    EXPECT_TRUE(std::isnan(px[1])); // an untouched tile is nodata
}

// Byte outputs (method codes, 1 byte per pixel) switch at 4 times as many pixels; a 1000 x 1000
// px output stays classic.
TEST(BigTiff, ByteOutputsAndSmallOutputs) {
    using cs::raster::GeoTiffWriter;
    TempDir dir;
    cs::raster::GeoTiffOptions byte;
    byte.data_type = "Byte";
    {
        GeoTiffWriter w(dir.file("method.tif"), ease_grid(34000, 34000), "method", "class", {},
                        byte);
        EXPECT_FALSE(w.bigtiff()); // 1.16 GB uncompressed
        w.discard();
    }
    {
        GeoTiffWriter w(dir.file("method_big.tif"), ease_grid(70000, 70000), "method", "class", {},
                        byte);
        EXPECT_TRUE(w.bigtiff()); // 4.9 GB uncompressed
        w.commit();
    }
    EXPECT_EQ(tiff_version(dir.file("method_big.tif")), 43);
    {
        GeoTiffWriter w(dir.file("small.tif"), ease_grid(1000, 1000), "stock", "Mg C/ha", {},
                        cs::raster::GeoTiffOptions{});
        EXPECT_FALSE(w.bigtiff());
        w.commit();
    }
    EXPECT_EQ(tiff_version(dir.file("small.tif")), 42);
}

// A land-cover grid of 50000 x 44000 = 2.2e9 px (> 2^31) as a VRT of constants, so nothing
// large is written or read from disk: c1.vrt has no source and returns class 1 everywhere
// (its hidden nodata value initializes every read); lc.vrt returns class 2 except columns
// 0-19999, which come from c1.vrt. EPSG:6933 (equal-area) with 100 m pixels: every pixel is
// exactly 1 ha. Districts on pixel edges: west id 1 = columns 0-29999, east id 2 = columns
// 30000-49999, all 44000 rows. Pools (Mg C/ha): class 1 = 10 + 2 + 50 + 1 = 63, class 2 = 100
// + 20 + 80 + 5 = 205.
//   west: 30000 x 44000 = 1.32e9 ha; 20000 x 44000 px of class 1 and 10000 x 44000 of class 2:
//         8.8e8 x 63 + 4.4e8 x 205 = 5.544e10 + 9.02e10 = 1.4564e11 Mg C.
//   east: 20000 x 44000 = 8.8e8 ha of class 2: 8.8e8 x 205 = 1.804e11 Mg C.
//   valid pixels: 2 200 000 000, more than 2^31 = 2 147 483 648.
// Every partial sum is an integer below 2^53, so the double sums are exact.
TEST(SizeSafety, RunOverMoreThanTwoToThe31PixelsGivesHandCountedTotals) {
    TempDir dir;
    const int64_t W = 50000;
    const int64_t H = 44000;
    ASSERT_GT(W * H, int64_t{1} << 31);
    const std::string header = "<VRTDataset rasterXSize=\"" + std::to_string(W) +
                               "\" rasterYSize=\"" + std::to_string(H) +
                               "\">\n"
                               "  <SRS>EPSG:6933</SRS>\n"
                               "  <GeoTransform>0, 100, 0, 2000000, 0, -100</GeoTransform>\n"
                               "  <VRTRasterBand dataType=\"Byte\" band=\"1\">\n";
    write_text(dir.file("c1.vrt"), header + "    <NoDataValue>1</NoDataValue>\n"
                                            "    <HideNoDataValue>1</HideNoDataValue>\n"
                                            "  </VRTRasterBand>\n</VRTDataset>\n");
    write_text(dir.file("lc.vrt"),
               header + "    <NoDataValue>2</NoDataValue>\n"
                        "    <HideNoDataValue>1</HideNoDataValue>\n"
                        "    <SimpleSource>\n"
                        "      <SourceFilename relativeToVRT=\"1\">c1.vrt</SourceFilename>\n"
                        "      <SourceBand>1</SourceBand>\n"
                        "      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"20000\" ySize=\"44000\"/>\n"
                        "      <DstRect xOff=\"0\" yOff=\"0\" xSize=\"20000\" ySize=\"44000\"/>\n"
                        "    </SimpleSource>\n"
                        "  </VRTRasterBand>\n</VRTDataset>\n");
    write_text(dir.file("pools.csv"), "lucode,LULC_Name,C_above,c_below,c_soil,c_dead\n"
                                      "1,cropland,10,2,50,1\n"
                                      "2,forest,100,20,80,5\n");
    auto rect = [](int64_t id, const std::string &name, double c0, double c1) {
        const double x0 = c0 * 100.0;
        const double x1 = c1 * 100.0;
        const double y0 = 2000000.0;
        const double y1 = 2000000.0 - 44000 * 100.0;
        return PolygonFeature{id, name, {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}};
    };
    write_polygons(dir.file("districts.gpkg"), 6933,
                   {rect(1, "west", 0, 30000), rect(2, "east", 30000, 50000)});
    write_text(dir.file("run.yaml"), "name: over_2e31_pixels\n"
                                     "output_dir: out\n"
                                     "land_cover:\n"
                                     "  epochs:\n"
                                     "    2020: lc.vrt\n"
                                     "districts:\n"
                                     "  path: districts.gpkg\n"
                                     "  id_field: code\n"
                                     "  name_field: name\n"
                                     "models:\n"
                                     "  stocks:\n"
                                     "    method: lookup\n"
                                     "    table: pools.csv\n"
                                     "outputs:\n"
                                     "  rasters: false\n"
                                     "  transitions: false\n");

    const auto t0 = std::chrono::steady_clock::now();
    // validate scans every land-cover pixel for class codes; run computes every pixel.
    const auto v = run_carbonsink("validate " + dir.file("run.yaml") + " --threads 2");
    ASSERT_EQ(v.exit_code, 0) << v.err;
    EXPECT_NE(v.out.find("50000 x 44000 px"), std::string::npos) << v.out;
    const auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rss_mib = children_peak_rss_mib();
    std::cout << "[ size     ] " << W * H << " px: validate + run in " << seconds
              << " s, peak RSS of the runs " << rss_mib << " MiB\n";

    const std::string h5 = dir.file("out/results.h5");
    const auto counts = h5_read(h5, "/provenance/pixel_status_count");
    ASSERT_EQ(counts.shape, (std::vector<uint64_t>{1, 5}));
    EXPECT_EQ(counts.values[0], 2200000000.0); // valid
    for (std::size_t s = 1; s < 5; ++s) {
        EXPECT_EQ(counts.values[s], 0.0) << "status " << s;
    }
    EXPECT_EQ(h5_read(h5, "/districts/id").values, (std::vector<double>{1, 2}));
    const auto area = h5_read(h5, "/districts/area_ha");
    ASSERT_EQ(area.values.size(), 2u);
    EXPECT_DOUBLE_EQ(area.values[0], 1.32e9);
    EXPECT_DOUBLE_EQ(area.values[1], 8.8e8);
    const auto total = h5_read(h5, "/stocks/total_mg_c");
    ASSERT_EQ(total.shape, (std::vector<uint64_t>{2, 1}));
    EXPECT_DOUBLE_EQ(total.values[0], 1.4564e11);
    EXPECT_DOUBLE_EQ(total.values[1], 1.804e11);
    // Pools [D, E, P]: west above-ground = 8.8e8 x 10 + 4.4e8 x 100; east soil = 8.8e8 x 80.
    const auto pools = h5_read(h5, "/stocks/mg_c");
    ASSERT_EQ(pools.shape, (std::vector<uint64_t>{2, 1, 4}));
    EXPECT_DOUBLE_EQ(pools.values[0], 8.8e9 + 4.4e10);
    EXPECT_DOUBLE_EQ(pools.values[4 + 2], 7.04e10);

    // Rasters larger than memory: the run streams blocks. One epoch as Int32 would take 8.8 GB;
    // the runs stay far below that (measured about 80 MiB).
    if (!built_with_asan()) {
        EXPECT_LT(rss_mib, 512.0);
    }
}
