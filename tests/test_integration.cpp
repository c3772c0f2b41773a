// Integration tests: the carbonsink executable on synthetic inputs whose totals are worked out
// by hand, determinism across thread counts and block sizes, and error messages.
#include "h5_read.hpp"
#include "test_support.hpp"

#include <gdal.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numbers>
#include <tuple>

using namespace cs::test;
namespace fs = std::filesystem;

namespace {

constexpr double PX_HA = 0.09; // 30 m x 30 m

// Scenario (40 x 30 px, 30 m, EPSG:6933, an equal-area CRS so every pixel is exactly 0.09 ha
// of ground), worked by hand in the comments of the tests.
// 2010: columns 0-19 class 1 (cropland), columns 20-39 class 2 (forest).
// 2020: as 2010, but rows 0-9 of columns 0-19 become forest (afforestation), the 10 x 10 block
//       columns 30-39, rows 20-29 becomes class 3 (settlement), and pixel (col 5, row 25) is
//       nodata.
// Pools (Mg C/ha): 1 = 10 + 2 + 50 + 1 = 63; 2 = 100 + 20 + 80 + 5 = 205; 3 = 0 + 0 + 30 + 0.
// Districts, on pixel edges: A id 11 = columns 0-19; B id 22 = columns 20-39 rows 0-14;
// C id 33 = columns 20-39 rows 15-29.
const char *POOLS = TWO_EPOCH_CITY_POOLS;

struct Scenario {
    TempDir dir;
    RasterSpec spec;
    Scenario() {
        spec = write_two_epoch_city(dir, true);
        write_text(dir.file("pools.csv"), POOLS);
        write_polygons(dir.file("districts.gpkg"), 6933,
                       {rect(33, "C", 20, 15, 40, 30), rect(11, "A", 0, 0, 20, 30),
                        rect(22, "B, north", 20, 0, 40, 15)});
    }
    // Rectangle covering pixel columns [c0, c1) and rows [r0, r1).
    PolygonFeature rect(int64_t id, const std::string &name, int c0, int r0, int c1, int r1) const {
        return pixel_rectangle(spec, id, name, c0, r0, c1, r1);
    }
    std::string config(const std::string &districts_block, const std::string &extra = "") const {
        const std::string text = "name: scenario\n"
                                 "output_dir: out\n"
                                 "land_cover:\n"
                                 "  epochs:\n"
                                 "    2010: lc2010.tif\n"
                                 "    2020: lc2020.tif\n" +
                                 districts_block +
                                 "models:\n"
                                 "  stocks:\n"
                                 "    method: lookup\n"
                                 "    table: pools.csv\n"
                                 "  sink:\n"
                                 "    method: stock_difference\n" +
                                 extra;
        const std::string path = dir.file("run.yaml");
        write_text(path, text);
        return path;
    }
};

const char *VECTOR_DISTRICTS = "districts:\n  path: districts.gpkg\n  id_field: code\n"
                               "  name_field: name\n";

/// `text` with the first `from` replaced by `to` (`from` must be there).
std::string replace_once(std::string text, const std::string &from, const std::string &to) {
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    return pos == std::string::npos ? text : text.replace(pos, from.size(), to);
}

double cell(const std::vector<std::vector<std::string>> &rows, std::size_t row,
            const std::string &column) {
    const auto &header = rows.at(0);
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == column) {
            return std::stod(rows.at(row).at(i));
        }
    }
    ADD_FAILURE() << "no column " << column;
    return NAN;
}

std::vector<float> read_tif(const std::string &path, int &w, int &h) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    if (ds == nullptr) {
        return {};
    }
    w = GDALGetRasterXSize(ds);
    h = GDALGetRasterYSize(ds);
    std::vector<float> v(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
    if (GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Float32, 0,
                     0) != CE_None) {
        v.clear();
    }
    GDALClose(ds);
    return v;
}

bool files_identical(const std::string &a, const std::string &b) {
    return read_text(a) == read_text(b) && !read_text(a).empty();
}

} // namespace

TEST(Integration, HandWorkedDistrictTotals) {
    Scenario s;
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS) + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0][0], "district_id");
    // Rows in ascending id order whatever the order in the file.
    EXPECT_EQ(rows[1][0], "11");
    EXPECT_EQ(rows[2][0], "22");
    EXPECT_EQ(rows[2][1], "B, north"); // quoted in the CSV
    EXPECT_EQ(rows[3][0], "33");
    // A: 20 x 30 px = 54 ha. 2010: 600 px x 0.09 x 63 = 3402.
    // 2020: 200 px forest (18 ha x 205 = 3690) + 399 valid cropland px (35.91 ha x 63 = 2262.33)
    // = 5952.33; the nodata pixel adds nothing and 0.09 ha of invalid area.
    // Change: only pixels valid in both epochs: 200 px x 0.09 x (205 - 63) / 10 = 255.6 Mg C/yr;
    // net emissions = -44/12 x 255.6 = -937.2 Mg CO2/yr.
    EXPECT_NEAR(cell(rows, 1, "area_ha"), 54.0, 1e-9);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), 3402.0, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020"), 5952.33, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "stock_change_mg_c_per_yr_2010_2020"), 255.6, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "net_emissions_mg_co2_per_yr_2010_2020"), -937.2, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "invalid_area_ha_2020"), 0.09, 1e-9);
    EXPECT_NEAR(cell(rows, 1, "invalid_area_ha_2010"), 0.0, 1e-12);
    // B: 20 x 15 px = 27 ha of forest in both epochs: 27 x 205 = 5535; no change.
    EXPECT_NEAR(cell(rows, 2, "area_ha"), 27.0, 1e-9);
    EXPECT_NEAR(cell(rows, 2, "stock_mg_c_2010"), 5535.0, 1e-6);
    EXPECT_NEAR(cell(rows, 2, "stock_mg_c_2020"), 5535.0, 1e-6);
    EXPECT_NEAR(cell(rows, 2, "stock_change_mg_c_per_yr_2010_2020"), 0.0, 1e-9);
    // C: 27 ha; 2020: 100 px settlement (9 ha x 30 = 270) + 200 px forest (18 x 205 = 3690)
    // = 3960; change (3960 - 5535) / 10 = -157.5; net emissions +577.5.
    EXPECT_NEAR(cell(rows, 3, "stock_mg_c_2020"), 3960.0, 1e-6);
    EXPECT_NEAR(cell(rows, 3, "stock_change_mg_c_per_yr_2010_2020"), -157.5, 1e-6);
    EXPECT_NEAR(cell(rows, 3, "net_emissions_mg_co2_per_yr_2010_2020"), 577.5, 1e-6);

    // The same figures in results.h5, with pools: A 2020 above-ground = 18 x 100 + 35.91 x 10.
    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(gdal_read_problems(h5), "");
    const auto ids = h5_read(h5, "/districts/id");
    ASSERT_EQ(ids.values, (std::vector<double>{11, 22, 33}));
    EXPECT_EQ(h5_strings(h5, "/districts/name"), (std::vector<std::string>{"A", "B, north", "C"}));
    EXPECT_EQ(
        h5_strings(h5, "/pools/name"),
        (std::vector<std::string>{"above_ground", "below_ground", "soil", "dead_organic_matter"}));
    const auto stocks = h5_read(h5, "/stocks/mg_c");
    ASSERT_EQ(stocks.shape, (std::vector<uint64_t>{3, 2, 4}));
    EXPECT_NEAR(stocks.values[0 * 8 + 1 * 4 + 0], 18 * 100 + 35.91 * 10, 1e-6);
    EXPECT_NEAR(stocks.values[0 * 8 + 1 * 4 + 2], 18 * 80 + 35.91 * 50, 1e-6);
    const auto total = h5_read(h5, "/stocks/total_mg_c");
    ASSERT_EQ(total.shape, (std::vector<uint64_t>{3, 2}));
    // Mass balance: pools add up to the total for every district and epoch.
    for (std::size_t d = 0; d < 3; ++d) {
        for (std::size_t e = 0; e < 2; ++e) {
            double sum = 0;
            for (std::size_t p = 0; p < 4; ++p) {
                sum += stocks.values[d * 8 + e * 4 + p];
            }
            EXPECT_NEAR(sum, total.values[d * 2 + e], 1e-9);
        }
    }
    const auto change = h5_read(h5, "/flux/stock_change_mg_c_per_yr");
    ASSERT_EQ(change.shape, (std::vector<uint64_t>{3, 1}));
    EXPECT_NEAR(change.values[2], -157.5, 1e-6);
    EXPECT_NEAR(h5_read(h5, "/flux/net_emissions_mg_co2_per_yr").values[0], -937.2, 1e-6);
    EXPECT_EQ(h5_read(h5, "/epochs/year").values, (std::vector<double>{2010, 2020}));
    EXPECT_EQ(h5_read(h5, "/periods/start_year").values, (std::vector<double>{2010}));
    EXPECT_EQ(h5_read(h5, "/periods/end_year").values, (std::vector<double>{2020}));
    EXPECT_EQ(h5_attr(h5, "/stocks/mg_c", "units"), "Mg C");
    EXPECT_EQ(h5_attr(h5, "/districts/area_ha", "units"), "ha");
    EXPECT_EQ(h5_attr(h5, "/flux/stock_change_mg_c_per_yr", "units"), "Mg C/yr");
    EXPECT_EQ(h5_attr(h5, "/flux/net_emissions_mg_co2_per_yr", "units"), "Mg CO2/yr");
    EXPECT_NE(h5_attr(h5, "/", "config").find("name: scenario"), std::string::npos);
    EXPECT_FALSE(h5_attr(h5, "/", "software_version").empty());
    EXPECT_EQ(h5_attr(h5, "/", "created_utc").size(), 20u);
    EXPECT_EQ(h5_attr(h5, "/", "input_roles"), "land_cover/2010");
    EXPECT_EQ(h5_attr(h5, "/", "input_sha256").size(), 64u);
    // The district table is printed.
    EXPECT_NE(r.out.find("B, north"), std::string::npos);
    EXPECT_NE(r.out.find("outputs: "), std::string::npos);
}

TEST(Integration, RastersHaveValuesUnitsNodataAndTiling) {
    Scenario s;
    ASSERT_EQ(run_carbonsink("run " + s.config(VECTOR_DISTRICTS) + " --quiet").exit_code, 0);
    int w = 0, h = 0;
    const auto stock = read_tif(s.dir.file("out/stock_2020.tif"), w, h);
    ASSERT_EQ(w, 40);
    ASSERT_EQ(h, 30);
    EXPECT_FLOAT_EQ(stock[0], 205.0f);           // afforested
    EXPECT_FLOAT_EQ(stock[29 * 40 + 0], 63.0f);  // cropland
    EXPECT_FLOAT_EQ(stock[29 * 40 + 39], 30.0f); // settlement
    EXPECT_TRUE(std::isnan(stock[25 * 40 + 5])); // nodata
    const auto change = read_tif(s.dir.file("out/stock_change_2010_2020.tif"), w, h);
    EXPECT_FLOAT_EQ(change[0], 14.2f);             // (205 - 63) / 10
    EXPECT_FLOAT_EQ(change[29 * 40 + 39], -17.5f); // (30 - 205) / 10
    EXPECT_FLOAT_EQ(change[29 * 40 + 0], 0.0f);    // unchanged: 0, not nodata
    EXPECT_TRUE(std::isnan(change[25 * 40 + 5]));

    GDALDatasetH ds = GDALOpen(s.dir.file("out/stock_change_2010_2020.tif").c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    int bx = 0, by = 0;
    GDALGetBlockSize(b, &bx, &by);
    EXPECT_EQ(bx, 256);
    EXPECT_EQ(by, 256);
    int has = 0;
    EXPECT_TRUE(std::isnan(GDALGetRasterNoDataValue(b, &has)));
    EXPECT_EQ(has, 1);
    EXPECT_STREQ(GDALGetRasterUnitType(b), "Mg C/ha/yr");
    EXPECT_STREQ(GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE"), "DEFLATE");
    EXPECT_EQ(GDALGetRasterDataType(b), GDT_Float32);
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    EXPECT_EQ(gt[0], s.spec.origin_x);
    EXPECT_EQ(gt[1], 30.0);
    GDALClose(ds);
    // No temporary files remain.
    for (const auto &e : fs::directory_iterator(s.dir.file("out"))) {
        EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
    }
}

TEST(Integration, DistrictRasterGivesTheSameTotalsAsPolygons) {
    Scenario s;
    std::vector<double> ids(40 * 30);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 40; ++c) {
            ids[r * 40 + c] = c < 20 ? 11 : (r < 15 ? 22 : 33);
        }
    }
    RasterSpec spec = s.spec;
    spec.type = "Int32";
    spec.nodata = -1;
    write_raster(s.dir.file("districts.tif"), spec, ids);
    const auto r =
        run_carbonsink("run " + s.config("districts:\n  path: districts.tif\n") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[1][0], "11");
    EXPECT_EQ(rows[1][1], "");
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020"), 5952.33, 1e-6);
    EXPECT_NEAR(cell(rows, 3, "stock_change_mg_c_per_yr_2010_2020"), -157.5, 1e-6);
}

TEST(Integration, WithoutDistrictsTheWholeGridIsDistrictZero) {
    Scenario s;
    const auto r = run_carbonsink("run " + s.config("") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1][0], "0");
    EXPECT_EQ(rows[1][1], "all");
    // Sum of the three districts: 108 ha; 2010 = 3402 + 5535 + 5535 = 14472.
    EXPECT_NEAR(cell(rows, 1, "area_ha"), 108.0, 1e-9);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), 14472.0, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "stock_change_mg_c_per_yr_2010_2020"), 255.6 - 157.5, 1e-6);
}

TEST(Integration, FloatLandCoverWithWholeNumberCodesRunsLikeByteLandCover) {
    // The scenario's 2020 land cover stored as Float32 without a nodata value, its nodata pixel
    // (column 5, row 25) NaN: NaN is nodata in a land cover and 1.0, 2.0, 3.0 are codes, so the
    // totals are those of the Byte scenario (hand-worked in WithoutDistrictsTheWholeGridIs...).
    Scenario s;
    RasterSpec f = s.spec;
    f.type = "Float32";
    f.has_nodata = false;
    std::vector<double> lc(40 * 30);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 40; ++c) {
            lc[r * 40 + c] = (c < 20 && r < 10) ? 2 : (c >= 30 && r >= 20) ? 3 : (c < 20 ? 1 : 2);
        }
    }
    lc[25 * 40 + 5] = std::numeric_limits<double>::quiet_NaN();
    write_raster(s.dir.file("lc2020.tif"), f, lc);
    const auto r = run_carbonsink("run " + s.config("") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), 14472.0, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "stock_change_mg_c_per_yr_2010_2020"), 255.6 - 157.5, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "invalid_area_ha_2020"), PX_HA, 1e-9);
}

TEST(Integration, GeographicGridUsesEllipsoidalRowAreas) {
    // 0.1 degree pixels, 4 x 3 px, from 50.0 N down to 49.7 N, all forest (205 Mg C/ha).
    TempDir dir;
    RasterSpec spec;
    spec.width = 4;
    spec.height = 3;
    spec.origin_x = 120.0;
    spec.origin_y = 50.0;
    spec.pixel_size = 0.1;
    spec.epsg = 4326;
    write_raster(dir.file("lc.tif"), spec, std::vector<double>(12, 2));
    write_text(dir.file("pools.csv"), POOLS);
    write_text(dir.file("run.yaml"), "name: geo\noutput_dir: out\nland_cover:\n  epochs:\n"
                                     "    2020: lc.tif\nmodels:\n  stocks:\n    method: lookup\n"
                                     "    table: pools.csv\n");
    const auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Independent computation: integrate M(phi) N(phi) cos(phi) dphi dlambda on WGS84 with
    // Simpson's rule (M, N: meridional and prime-vertical radii of curvature).
    const double a = 6378137.0;
    const double f = 1.0 / 298.257223563;
    const double e2 = f * (2 - f);
    auto integrand = [&](double phi) {
        const double w = 1 - e2 * std::sin(phi) * std::sin(phi);
        const double m = a * (1 - e2) / std::pow(w, 1.5);
        const double n = a / std::sqrt(w);
        return m * n * std::cos(phi);
    };
    const double deg = std::numbers::pi / 180.0;
    const double lo = 49.7 * deg;
    const double hi = 50.0 * deg;
    const int steps = 2000;
    const double hstep = (hi - lo) / steps;
    double sum = integrand(lo) + integrand(hi);
    for (int i = 1; i < steps; ++i) {
        sum += integrand(lo + i * hstep) * (i % 2 ? 4 : 2);
    }
    const double area_m2 = sum * hstep / 3 * (0.4 * deg);
    const auto rows = read_csv(dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_NEAR(cell(rows, 1, "area_ha") / (area_m2 / 1e4), 1.0, 1e-9);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020") / (area_m2 / 1e4 * 205), 1.0, 1e-9);
    // One epoch: stocks only, no flux columns.
    EXPECT_EQ(rows[0].size(), 5u);
    EXPECT_NE(h5_attr(dir.file("out/results.h5"), "/", "pixel_area_method").find("WGS 84"),
              std::string::npos);
    // One epoch (no period: zero-length flux datasets), no districts, no transitions, no
    // warnings: GDAL opens every part of it.
    EXPECT_EQ(h5_read(dir.file("out/results.h5"), "/flux/stock_change_mg_c_per_yr").shape,
              (std::vector<uint64_t>{1, 0}));
    EXPECT_EQ(gdal_read_problems(dir.file("out/results.h5")), "");
}

TEST(Integration, UtmAreasAreGroundAreasCorrectedByTheScaleFactor) {
    // 40 x 30 px of 30 m on UTM zone 51N starting at the central meridian (x = 500000): the
    // point scale there is k0 = 0.9996 by definition of UTM and grows by only (x'/R)^2 / 2 <=
    // 2e-8 over these 1.2 km, so each pixel's ground area is 900 m^2 / 0.9996^2.
    TempDir dir;
    RasterSpec spec;
    spec.width = 40;
    spec.height = 30;
    spec.epsg = 32651;
    write_raster(dir.file("lc.tif"), spec, std::vector<double>(40 * 30, 2));
    write_text(dir.file("pools.csv"), POOLS);
    write_text(dir.file("run.yaml"), "name: utm\noutput_dir: out\nland_cover:\n  epochs:\n"
                                     "    2020: lc.tif\nmodels:\n  stocks:\n    method: lookup\n"
                                     "    table: pools.csv\n");
    const auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(dir.file("out/districts.csv"));
    const double expected_ha = 1200 * 0.09 / (0.9996 * 0.9996);
    EXPECT_NEAR(cell(rows, 1, "area_ha") / expected_ha, 1.0, 1e-7);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020") / (expected_ha * 205), 1.0, 1e-7);
    EXPECT_NE(h5_attr(dir.file("out/results.h5"), "/", "pixel_area_method").find("areal scale"),
              std::string::npos);
}

namespace {
// A 600 x 500 landscape of pseudo-random patches for determinism tests (no hand totals).
void write_patchy(const Scenario &s) {
    RasterSpec spec = s.spec;
    spec.width = 600;
    spec.height = 500;
    std::vector<double> a(600 * 500), b(600 * 500);
    uint64_t x = 88172645463325252ull;
    for (int r = 0; r < 500; ++r) {
        for (int c = 0; c < 600; ++c) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const int i = r * 600 + c;
            a[i] = 1 + ((r / 37 + c / 23) % 3);
            b[i] = (x % 10 == 0) ? 1 + static_cast<double>(x % 3) : a[i];
            if (x % 997 == 0) {
                b[i] = 255;
            }
        }
    }
    write_raster(s.dir.file("lc2010.tif"), spec, a);
    write_raster(s.dir.file("lc2020.tif"), spec, b);
    write_polygons(
        s.dir.file("districts.gpkg"), 6933,
        {{1,
          "west",
          {{{500000, 4600000}, {509000.5, 4600000}, {505000, 4585000}, {500000, 4585000}}}},
         {2,
          "east",
          {{{509000.5, 4600000}, {518000, 4600000}, {518000, 4585000}, {505000, 4585000}}}},
         {3,
          "lake",
          {{{503000, 4596000}, {512000, 4596000}, {512000, 4589000}, {503000, 4589000}}}}});
}
} // namespace

TEST(Integration, OutputsAreByteIdenticalForOneAndManyThreads) {
    Scenario s;
    write_patchy(s);
    const std::string cfg = s.config(VECTOR_DISTRICTS, "processing:\n  block_cells: 4096\n"
                                                       "  tile_size: 32\n");
    const std::string env = "SOURCE_DATE_EPOCH=1700000000";
    ASSERT_EQ(
        run_carbonsink("run " + cfg + " --quiet --threads 1 --output-dir " + s.dir.file("t1"), env)
            .exit_code,
        0);
    for (const char *n : {"2", "3"}) {
        const std::string out = s.dir.file(std::string("t") + n);
        const auto r =
            run_carbonsink("run " + cfg + " --quiet --threads " + n + " --output-dir " + out, env);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        for (const char *f : {"results.h5", "districts.csv", "stock_2010.tif", "stock_2020.tif",
                              "stock_change_2010_2020.tif"}) {
            EXPECT_TRUE(files_identical(s.dir.file(std::string("t1/") + f), out + "/" + f))
                << f << " differs between 1 and " << n << " threads";
        }
    }
}

TEST(Integration, TotalsDoNotDependOnBlockSize) {
    Scenario s;
    write_patchy(s);
    std::vector<std::vector<std::vector<std::string>>> results;
    for (const char *cells : {"1024", "16384", "1000000"}) {
        const std::string cfg =
            s.config(VECTOR_DISTRICTS,
                     std::string("processing:\n  block_cells: ") + cells + "\n  tile_size: 16\n");
        const auto r = run_carbonsink("run " + cfg + " --quiet --threads 2");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        results.push_back(read_csv(s.dir.file("out/districts.csv")));
    }
    for (std::size_t k = 1; k < results.size(); ++k) {
        ASSERT_EQ(results[k].size(), results[0].size());
        for (std::size_t row = 1; row < results[0].size(); ++row) {
            for (std::size_t c = 2; c < results[0][row].size(); ++c) {
                const double a = std::stod(results[0][row][c]);
                const double b = std::stod(results[k][row][c]);
                EXPECT_NEAR(a, b, 1e-9 * std::max(1.0, std::fabs(a)) + 2e-6)
                    << "row " << row << " column " << results[0][0][c];
            }
        }
    }
}

// ---- Errors: exit code 2 and the message text -------------------------------------------

TEST(Errors, MissingLandCoverFile) {
    Scenario s;
    fs::remove(s.dir.file("lc2020.tif"));
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS) + " --quiet");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: cannot open raster: land_cover/2020 (" + s.dir.file("lc2020.tif") +
                         ", band 1): file not found (run.yaml, line 6)\n"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(s.dir.file("out/results.h5")));
}

TEST(Errors, EveryMissingFileIsListed) {
    Scenario s;
    fs::remove(s.dir.file("lc2010.tif"));
    fs::remove(s.dir.file("pools.csv"));
    const auto r = run_carbonsink("validate " + s.config(VECTOR_DISTRICTS));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("land_cover/2010 ("), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("error: cannot read pools table: models.stocks.table (pools.csv), "
                         "run.yaml, line 14: file not found"),
              std::string::npos)
        << r.err;
}

TEST(Errors, MisalignedGridIsRefusedInStrictMode) {
    Scenario s;
    RasterSpec shifted = s.spec;
    shifted.origin_x += 15.0; // half a pixel
    write_raster(s.dir.file("lc2020.tif"), shifted, std::vector<double>(40 * 30, 1));
    const auto r =
        run_carbonsink("run " + s.config(VECTOR_DISTRICTS, "grid:\n  strict: true\n") + " --quiet");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: grids do not match: land_cover/2020 (" + s.dir.file("lc2020.tif") +
                         ", band 1) vs the reference grid land_cover/2010 (" +
                         s.dir.file("lc2010.tif") +
                         ", band 1): origin x differs by 0.50 px; grid.strict is true, so inputs "
                         "are not warped"),
              std::string::npos)
        << r.err;
}

TEST(Integration, MisalignedGridIsWarpedWithAWarning) {
    // 2020 is shifted half a pixel east and is all cropland: warped with nearest, target pixel
    // (c, r) takes source pixel (c - 1, r) (its centre, x = origin + (c + 0.5) px, lies in
    // source pixel c - 0.5 .. c + 0.5 -> the GDAL nearest rule picks floor(c - 0.5 + 0.5) =
    // c... so every target pixel except column 0 is covered by the source.
    Scenario s;
    RasterSpec shifted = s.spec;
    shifted.origin_x += 15.0;
    write_raster(s.dir.file("lc2020.tif"), shifted, std::vector<double>(40 * 30, 1));
    const auto r = run_carbonsink("run " + s.config("") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: land_cover/2020 (" + s.dir.file("lc2020.tif") +
                         ", band 1): not on the reference grid land_cover/2010 (" +
                         s.dir.file("lc2010.tif") +
                         ", band 1) (origin x differs by 0.50 px); warped on the fly with nearest "
                         "resampling"),
              std::string::npos)
        << r.err;
    // The warning is recorded in results.h5 (a string dataset), which GDAL opens whole.
    const auto warnings = h5_strings(s.dir.file("out/results.h5"), "/provenance/warnings");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("warped on the fly"), std::string::npos) << warnings[0];
    EXPECT_EQ(gdal_read_problems(s.dir.file("out/results.h5")), "");
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    // 2020 is cropland wherever the warped raster has data; column 0 (x < origin + 15 m at
    // centres? no: centre at +15 m is on the source edge) may be nodata: valid area is 1170 or
    // 1200 px, every valid pixel holding 63 Mg C/ha.
    const double valid_ha = 108.0 - cell(rows, 1, "invalid_area_ha_2020");
    EXPECT_TRUE(std::fabs(valid_ha - 1200 * PX_HA) < 1e-9 ||
                std::fabs(valid_ha - 1170 * PX_HA) < 1e-9)
        << valid_ha;
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020"), valid_ha * 63, 1e-6);
}

TEST(Errors, UnknownClassCodesAreListedAndNothingIsWritten) {
    Scenario s;
    std::vector<double> v(40 * 30, 1);
    v[3] = 7;
    v[50] = 200;
    v[51] = 7;
    write_raster(s.dir.file("lc2020.tif"), s.spec, v);
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS) + " --quiet");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: land_cover/2020 (" + s.dir.file("lc2020.tif") +
                         ", band 1): 2 class codes are not in the pools table (pools.csv): 7, "
                         "200\n"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(s.dir.file("out/results.h5")));
    if (fs::exists(s.dir.file("out"))) {
        EXPECT_TRUE(fs::is_empty(s.dir.file("out"))) << "partial outputs left behind";
    }
    // validate finds the same problem without running the models.
    const auto v2 = run_carbonsink("validate " + s.dir.file("run.yaml"));
    EXPECT_EQ(v2.exit_code, 2);
    EXPECT_NE(v2.err.find("2 class codes are not in the pools table (pools.csv): 7, 200"),
              std::string::npos);
}

// validate finds in one pass what run would find (issue 9, item 9): problems that do not
// depend on each other are reported together.
TEST(Errors, ValidateReportsConfigAndFileProblemsTogether) {
    Scenario s;
    fs::remove(s.dir.file("lc2010.tif"));
    fs::remove(s.dir.file("pools.csv"));
    std::string cfg = read_text(s.config(VECTOR_DISTRICTS));
    cfg.replace(cfg.find("output_dir: out\n"), 16, "output_dir: out\nthreds: 2\n");
    write_text(s.dir.file("typo.yaml"), cfg);
    const auto r = run_carbonsink("validate " + s.dir.file("typo.yaml"));
    EXPECT_EQ(r.exit_code, 2);
    // The config problem (line 3) ...
    EXPECT_NE(r.err.find("error: unknown config key \"threds\": typo.yaml, line 3"),
              std::string::npos)
        << r.err;
    // ... and the files it names that are missing, with their config lines.
    EXPECT_NE(r.err.find("error: cannot read land_cover/2010: land_cover/2010 (lc2010.tif), "
                         "typo.yaml, line 6: file not found"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("error: cannot read models.stocks.table: models.stocks.table "
                         "(pools.csv), typo.yaml, line "),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("lc2020.tif"), std::string::npos) << "lc2020.tif exists: " << r.err;
}

TEST(Errors, ValidateReportsDistrictAndClassCodeProblemsTogether) {
    Scenario s;
    std::vector<double> v(40 * 30, 1);
    v[7] = 9;
    write_raster(s.dir.file("lc2020.tif"), s.spec, v);
    std::string districts = VECTOR_DISTRICTS;
    districts.replace(districts.find("id_field: code"), 14, "id_field: kode");
    const auto r = run_carbonsink("validate " + s.config(districts));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("id_field \"kode\" is not a field"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("error: land_cover/2020 (" + s.dir.file("lc2020.tif") +
                         ", band 1): 1 class code is not in the pools table (pools.csv): 9"),
              std::string::npos)
        << r.err;
    // A pools-table problem does not hide the district problem either.
    write_text(s.dir.file("pools.csv"), std::string(POOLS) + "9,x,1,1,-1,1\n");
    const auto r2 = run_carbonsink("validate " + s.dir.file("run.yaml"));
    EXPECT_EQ(r2.exit_code, 2);
    EXPECT_NE(r2.err.find("c_soil -1 is negative"), std::string::npos) << r2.err;
    EXPECT_NE(r2.err.find("id_field \"kode\" is not a field"), std::string::npos) << r2.err;
}

TEST(Errors, UnknownConfigKeyWithSuggestion) {
    Scenario s;
    std::string text = read_text(s.config(VECTOR_DISTRICTS));
    text.replace(text.find("land_cover:"), 11, "land_cvoer:");
    write_text(s.dir.file("run.yaml"), text);
    const auto r = run_carbonsink("run " + s.dir.file("run.yaml"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: unknown config key \"land_cvoer\": run.yaml, line 3: did you "
                         "mean \"land_cover\"?"),
              std::string::npos)
        << r.err;
}

TEST(Errors, DistrictProblems) {
    Scenario s;
    write_polygons(s.dir.file("districts.gpkg"), 6933,
                   {s.rect(5, "a", 0, 0, 10, 10), s.rect(5, "b", 10, 0, 20, 10)});
    auto r = run_carbonsink("validate " + s.config(VECTOR_DISTRICTS));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("duplicate district id 5"), std::string::npos) << r.err;
    r = run_carbonsink("validate " + s.config("districts:\n  path: districts.gpkg\n  id_field: "
                                              "kode\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("id_field \"kode\" is not a field; fields are: code, name"),
              std::string::npos)
        << r.err;
}

TEST(Errors, OutputDirThatIsAFile) {
    Scenario s;
    write_text(s.dir.file("out"), "not a directory");
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: cannot use output directory: output_dir (" + s.dir.file("out") +
                         "), run.yaml, line 2: it exists and is not a directory"),
              std::string::npos)
        << r.err;
}

TEST(Cli, ValidateModelsVersionAndUsage) {
    Scenario s;
    auto r = run_carbonsink("validate " + s.config(VECTOR_DISTRICTS));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("valid: "), std::string::npos);
    EXPECT_NE(r.out.find("40 x 30 px, 2 epochs, 3 districts"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(s.dir.file("out"))) << "validate must not write outputs";
    r = run_carbonsink("models");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("stocks.lookup"), std::string::npos);
    EXPECT_NE(r.out.find("flux.stock_difference"), std::string::npos);
    EXPECT_NE(r.out.find("Eq. 2.8"), std::string::npos);
    r = run_carbonsink("--version");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("carbonsink ", 0), 0u);
    r = run_carbonsink("");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("error: bad usage: ", 0), 0u) << r.err;
    r = run_carbonsink("run " + s.dir.file("run.yaml") + " --threads -3");
    EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, PhaseLinesWhenNotATerminal) {
    Scenario s;
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("prepare: 40 x 30 px"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("compute: done, "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("write: "), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no progress bar when not a terminal";
}

TEST(Cli, ProgressBarWithEtaOnATerminal) {
    if (std::system("command -v script >/dev/null 2>&1") != 0) {
        GTEST_SKIP() << "util-linux 'script' is not installed; cannot fake a terminal";
    }
    Scenario s;
    const std::string cfg = s.config(VECTOR_DISTRICTS, "processing:\n  block_cells: 1024\n"
                                                       "  tile_size: 16\n");
    const std::string log = s.dir.file("tty.log");
    // `script` runs carbonsink on a pseudo-terminal, so stderr is a terminal.
    const std::string cmd = "script -qec \"" + std::string(CS_CARBONSINK_EXE) + " run " + cfg +
                            "\" /dev/null > " + log + " 2>&1 </dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    const std::string out = read_text(log);
    EXPECT_NE(out.find("ETA "), std::string::npos) << out;
    EXPECT_NE(out.find("100.0%"), std::string::npos) << out;
    EXPECT_NE(out.find("compute: done, "), std::string::npos) << out;
}

TEST(Errors, CorruptRasterFoundWhileRunningExitsOne) {
    Scenario s;
    // lc2020.tif in 16 x 16 tiles with its last tiles cut off: its header and first tile read
    // (so prepare, which reads the first block of every raster, accepts it), a later block does
    // not. With 16 x 16 blocks the failure comes while computing: an I/O failure, exit 1. (A
    // file whose first block does not read is bad input, exit 2: tests/bad_inputs.txt.)
    RasterSpec tiled = s.spec;
    tiled.tiled = true;
    int w = 0, h = 0;
    const auto lc = read_tif(s.dir.file("lc2020.tif"), w, h);
    write_raster(s.dir.file("lc2020.tif"), tiled, std::vector<double>(lc.begin(), lc.end()));
    const std::string bytes = read_text(s.dir.file("lc2020.tif"));
    std::string cfg = read_text(s.config(VECTOR_DISTRICTS));
    cfg += "processing:\n  block_cells: 256\n  tile_size: 16\n";
    write_text(s.dir.file("run.yaml"), cfg);
    // Keep the header, the tile index and the first tiles; drop the last 300 bytes of pixels.
    write_text(s.dir.file("lc2020.tif"), bytes.substr(0, bytes.size() - 300));
    const auto r = run_carbonsink("run " + s.dir.file("run.yaml") + " --quiet");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: cannot read raster: land_cover/2020 (" + s.dir.file("lc2020.tif") +
                         ", band 1), window x "),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(s.dir.file("out/results.h5")));
    // Nothing that looks like an output: only the hidden checkpoint log (for --resume) remains.
    if (fs::exists(s.dir.file("out"))) {
        for (const auto &entry : fs::directory_iterator(s.dir.file("out"))) {
            EXPECT_EQ(entry.path().filename().string(), ".carbonsink-checkpoint")
                << "partial outputs left behind";
        }
    }
}

// ---- Exact coverage, transitions and hierarchies through the whole pipeline ------------------

TEST(Integration, TransitionMatricesByDistrict) {
    // Same scenario: A (id 11) 2010 -> 2020: 200 px cropland -> forest, 399 px stay cropland
    // (the nodata pixel is in no transition); B: 300 px forest -> forest; C: 200 px forest ->
    // forest, 100 px forest -> settlement. 1 px = 0.09 ha.
    Scenario s;
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS) + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(s.dir.file("out/transitions.csv"));
    ASSERT_EQ(rows[0], (std::vector<std::string>{"district_id", "start_year", "end_year",
                                                 "from_class", "to_class", "area_ha"}));
    std::map<std::string, double> got;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        got[rows[i][0] + ":" + rows[i][3] + "->" + rows[i][4]] = std::stod(rows[i][5]);
        EXPECT_EQ(rows[i][1], "2010");
        EXPECT_EQ(rows[i][2], "2020");
    }
    const std::map<std::string, double> want = {{"11:1->1", 399 * PX_HA},
                                                {"11:1->2", 200 * PX_HA},
                                                {"22:2->2", 300 * PX_HA},
                                                {"33:2->2", 200 * PX_HA},
                                                {"33:2->3", 100 * PX_HA}};
    ASSERT_EQ(got.size(), want.size());
    for (const auto &[k, v] : want) {
        EXPECT_NEAR(got[k], v, 1e-9) << k;
    }
    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(h5_read(h5, "/transitions/class_code").values, (std::vector<double>{1, 2, 3}));
    const auto m = h5_read(h5, "/transitions/area_ha");
    ASSERT_EQ(m.shape, (std::vector<uint64_t>{3, 1, 3, 3}));
    EXPECT_NEAR(m.values[0 * 9 + 0 * 3 + 1], 200 * PX_HA, 1e-9); // A: class 1 -> 2
    EXPECT_NEAR(m.values[2 * 9 + 1 * 3 + 2], 100 * PX_HA, 1e-9); // C: class 2 -> 3
    EXPECT_EQ(h5_attr(h5, "/transitions/area_ha", "units"), "ha");
}

TEST(Integration, ExactCoverageSplitsBoundaryPixels) {
    // Districts whose shared edge runs through the middle of pixel column 20 (x = origin +
    // 20.5 px): A gets columns 0-19 plus half of column 20, B the other half and columns 21-39.
    // 2010 land cover: columns 0-19 class 1 (63 Mg C/ha), 20-39 class 2 (205 Mg C/ha).
    Scenario s;
    const double x0 = s.spec.origin_x;
    const double top = s.spec.origin_y;
    const double bottom = s.spec.origin_y - 30 * 30.0;
    const double mid = x0 + 20.5 * 30.0;
    write_polygons(
        s.dir.file("districts.gpkg"), 6933,
        {{1, "A", {{{x0, top}, {mid, top}, {mid, bottom}, {x0, bottom}}}},
         {2, "B", {{{mid, top}, {x0 + 1200, top}, {x0 + 1200, bottom}, {mid, bottom}}}}});
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS) + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    // A: 20.5 columns x 30 rows = 615 px = 55.35 ha; 2010: 600 px x 63 + 15 px x 205.
    EXPECT_NEAR(cell(rows, 1, "area_ha"), 615 * PX_HA, 1e-9);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), (600 * 63 + 15 * 205) * PX_HA, 1e-6);
    // B: 19.5 columns = 585 px, all forest.
    EXPECT_NEAR(cell(rows, 2, "area_ha"), 585 * PX_HA, 1e-9);
    EXPECT_NEAR(cell(rows, 2, "stock_mg_c_2010"), 585 * 205 * PX_HA, 1e-6);
    // Pixel centres instead: column 20's centre is on the edge; GDAL gives it to one side only.
    const auto c =
        run_carbonsink("run " + s.config(std::string(VECTOR_DISTRICTS) + "  coverage: centre\n") +
                       " --quiet --output-dir " + s.dir.file("centre"));
    ASSERT_EQ(c.exit_code, 0) << c.err;
    const auto crow = read_csv(s.dir.file("centre/districts.csv"));
    EXPECT_NEAR(cell(crow, 1, "area_ha") + cell(crow, 2, "area_ha"), 1200 * PX_HA, 1e-9);
    EXPECT_TRUE(std::fabs(cell(crow, 1, "area_ha") - 600 * PX_HA) < 1e-9 ||
                std::fabs(cell(crow, 1, "area_ha") - 630 * PX_HA) < 1e-9);
}

TEST(Integration, OverlappingAndOutsideDistrictsAndEmptyGeometry) {
    Scenario s;
    const double x0 = s.spec.origin_x;
    const double y0 = s.spec.origin_y;
    write_polygons(
        s.dir.file("districts.gpkg"), 6933,
        {// columns 0-9, rows 0-9 (100 px of cropland)
         {1, "left", {{{x0, y0}, {x0 + 300, y0}, {x0 + 300, y0 - 300}, {x0, y0 - 300}}}},
         // overlaps it: columns 5-14, rows 0-9 (50 px cropland + 50 px cropland)
         {2,
          "overlap",
          {{{x0 + 150, y0}, {x0 + 450, y0}, {x0 + 450, y0 - 300}, {x0 + 150, y0 - 300}}}},
         // wholly outside the grid
         {3,
          "away",
          {{{x0 - 900, y0}, {x0 - 600, y0}, {x0 - 600, y0 - 300}, {x0 - 900, y0 - 300}}}},
         // half outside: columns -5..4 of rows 20-29 -> 50 px inside
         {4,
          "edge",
          {{{x0 - 150, y0 - 600},
            {x0 + 150, y0 - 600},
            {x0 + 150, y0 - 900},
            {x0 - 150, y0 - 900}}}},
         {5, "empty", {}}});
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: districts: district 3 (away): no part of it lies on the grid; "
                         "reported with zero area"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("district 5: empty geometry"), std::string::npos) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 6u); // every district appears, even with nothing on the grid
    EXPECT_NEAR(cell(rows, 1, "area_ha"), 100 * PX_HA, 1e-9);
    EXPECT_NEAR(cell(rows, 2, "area_ha"), 100 * PX_HA, 1e-9); // overlap: each gets its share
    EXPECT_NEAR(cell(rows, 2, "stock_mg_c_2010"), 100 * 63 * PX_HA, 1e-6);
    EXPECT_NEAR(cell(rows, 3, "area_ha"), 0.0, 1e-12);
    EXPECT_NEAR(cell(rows, 3, "stock_mg_c_2010"), 0.0, 1e-12);
    EXPECT_NEAR(cell(rows, 4, "area_ha"), 50 * PX_HA, 1e-9);
    EXPECT_NEAR(cell(rows, 5, "area_ha"), 0.0, 1e-12);
}

TEST(Integration, InvalidGeometryIsRepairedAndSaidSo) {
    Scenario s;
    const double x0 = s.spec.origin_x;
    const double y0 = s.spec.origin_y;
    // A bow-tie (self-intersecting) over columns 0-9, rows 0-9: two triangles of 25 px each
    // once repaired into a valid multipolygon.
    write_polygons(
        s.dir.file("districts.gpkg"), 6933,
        {{7, "bowtie", {{{x0, y0}, {x0 + 300, y0 - 300}, {x0 + 300, y0}, {x0, y0 - 300}}}}});
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(
        r.err.find(
            "warning: districts: districts (" + s.dir.file("districts.gpkg") +
            "), run.yaml, line 8, district 7: invalid geometry (e.g. self-intersection) repaired"),
        std::string::npos)
        << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    EXPECT_NEAR(cell(rows, 1, "area_ha"), 50 * PX_HA, 1e-9);
}

TEST(Integration, HierarchyRollsUpToEveryLevel) {
    // Parks 11, 22, 33 -> cities 210 (11, 22) and 220 (33) -> province 2000.
    Scenario s;
    const auto path = s.dir.file("districts.geojson");
    write_text(
        path, R"({"type": "FeatureCollection",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6933"}},
"features": [
)" + [&] {
            std::string f;
            const std::vector<std::tuple<int, int, const char *, int, int, int, int>> d = {
                {11, 210, "Alpha City", 0, 0, 20, 30},
                {22, 210, "Alpha City", 20, 0, 40, 15},
                {33, 220, "Beta City", 20, 15, 40, 30}};
            for (const auto &[id, city, cname, c0, r0, c1, r1] : d) {
                const double x0 = s.spec.origin_x + c0 * 30.0, x1 = s.spec.origin_x + c1 * 30.0;
                const double y0 = s.spec.origin_y - r0 * 30.0, y1 = s.spec.origin_y - r1 * 30.0;
                char buf[600];
                std::snprintf(
                    buf, sizeof buf,
                    R"({"type": "Feature", "properties": {"code": %d, "name": "park %d", "city": %d, "city_name": "%s", "prov": 2000},
 "geometry": {"type": "Polygon", "coordinates": [[[%f, %f], [%f, %f], [%f, %f], [%f, %f], [%f, %f]]]}})",
                    id, id, city, cname, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
                f += (f.empty() ? "" : ",\n") + std::string(buf);
            }
            return f;
        }() + "]}\n");
    const auto r = run_carbonsink(
        "run " +
        s.config("districts:\n  path: districts.geojson\n  id_field: code\n  name_field: name\n"
                 "  level: park\n  parents:\n    - level: city\n      id_field: city\n"
                 "      name_field: city_name\n    - level: province\n      id_field: prov\n") +
        " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 1u + 3 + 2 + 1);
    const auto &h = rows[0];
    EXPECT_EQ(h[h.size() - 3], "level");
    EXPECT_EQ(h[h.size() - 2], "city_id");
    EXPECT_EQ(h[h.size() - 1], "province_id");
    // Parks first, with their city and province.
    EXPECT_EQ(rows[1][0], "11");
    EXPECT_EQ(rows[1][h.size() - 3], "park");
    EXPECT_EQ(rows[1][h.size() - 2], "210");
    EXPECT_EQ(rows[1][h.size() - 1], "2000");
    // City 210 = parks 11 + 22: 2010 stock 3402 + 5535; change 255.6 + 0.
    EXPECT_EQ(rows[4][0], "210");
    EXPECT_EQ(rows[4][1], "Alpha City");
    EXPECT_EQ(rows[4][h.size() - 3], "city");
    EXPECT_EQ(rows[4][h.size() - 2], "");
    EXPECT_EQ(rows[4][h.size() - 1], "2000");
    EXPECT_NEAR(cell(rows, 4, "stock_mg_c_2010"), 3402 + 5535, 1e-6);
    EXPECT_NEAR(cell(rows, 4, "stock_change_mg_c_per_yr_2010_2020"), 255.6, 1e-6);
    EXPECT_EQ(rows[5][0], "220");
    EXPECT_NEAR(cell(rows, 5, "stock_change_mg_c_per_yr_2010_2020"), -157.5, 1e-6);
    // Province = everything: 108 ha, 14472 Mg C in 2010.
    EXPECT_EQ(rows[6][0], "2000");
    EXPECT_EQ(rows[6][h.size() - 3], "province");
    EXPECT_NEAR(cell(rows, 6, "area_ha"), 108.0, 1e-9);
    EXPECT_NEAR(cell(rows, 6, "stock_mg_c_2010"), 14472.0, 1e-6);
    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(gdal_read_problems(h5), "");
    EXPECT_EQ(h5_strings(h5, "/levels/name"),
              (std::vector<std::string>{"park", "city", "province"}));
    EXPECT_EQ(h5_read(h5, "/levels/city/id").values, (std::vector<double>{210, 220}));
    EXPECT_EQ(h5_strings(h5, "/levels/city/name"),
              (std::vector<std::string>{"Alpha City", "Beta City"}));
    EXPECT_NEAR(h5_read(h5, "/levels/province/total_mg_c").values[0], 14472.0, 1e-6);
    EXPECT_EQ(h5_read(h5, "/districts/parent_id").values,
              (std::vector<double>{210, 2000, 210, 2000, 220, 2000}));
    const auto tr = h5_read(h5, "/levels/city/transitions_area_ha");
    ASSERT_EQ(tr.shape, (std::vector<uint64_t>{2, 1, 3, 3}));
    EXPECT_NEAR(tr.values[0 * 9 + 0 * 3 + 1], 200 * PX_HA, 1e-9); // Alpha: cropland -> forest
}

TEST(Integration, AParentLevelNamedDistrictKeepsColumnNamesUnique) {
    // Two parks (the districts' own level) in one city district 210 (issue 9, item 11).
    Scenario s;
    write_text(s.dir.file("parks.geojson"), R"({"type": "FeatureCollection",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6933"}},
"features": [
{"type": "Feature", "properties": {"code": 11, "dist": 210}, "geometry": {"type": "Polygon", "coordinates": [[[500000, 4600000], [500600, 4600000], [500600, 4599100], [500000, 4599100], [500000, 4600000]]]}},
{"type": "Feature", "properties": {"code": 22, "dist": 210}, "geometry": {"type": "Polygon", "coordinates": [[[500600, 4600000], [501200, 4600000], [501200, 4599100], [500600, 4599100], [500600, 4600000]]]}}
]})");
    const auto r = run_carbonsink(
        "run " +
        s.config("districts:\n  path: parks.geojson\n  id_field: code\n  level: park\n"
                 "  parents:\n    - level: district\n      id_field: dist\n") +
        " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 1u + 2 + 1);
    auto h = rows[0];
    EXPECT_EQ(h.front(), "district_id");
    EXPECT_EQ(h.back(), "parent_district_id");
    std::sort(h.begin(), h.end());
    EXPECT_EQ(std::adjacent_find(h.begin(), h.end()), h.end()) << "duplicate column name";
    EXPECT_EQ(rows[1].back(), "210");
    EXPECT_EQ(rows[3][0], "210"); // the rolled-up city district
}

TEST(Errors, InconsistentHierarchyIsRefused) {
    Scenario s;
    // Park 11 and 22 both in city 210, but with different provinces.
    write_text(s.dir.file("districts.geojson"), R"({"type": "FeatureCollection",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6933"}},
"features": [
{"type": "Feature", "properties": {"code": 11, "city": 210, "prov": 1}, "geometry": {"type": "Polygon", "coordinates": [[[500000, 4600000], [500300, 4600000], [500300, 4599700], [500000, 4600000]]]}},
{"type": "Feature", "properties": {"code": 22, "city": 210, "prov": 2}, "geometry": {"type": "Polygon", "coordinates": [[[500300, 4600000], [500600, 4600000], [500600, 4599700], [500300, 4600000]]]}}
]})");
    const auto r = run_carbonsink(
        "validate " + s.config("districts:\n  path: districts.geojson\n  id_field: code\n"
                               "  parents:\n    - level: city\n      id_field: city\n"
                               "    - level: province\n      id_field: prov\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(
                  "error: invalid district hierarchy: districts (districts.geojson), "
                  "run.yaml, line 8, city 210: it has two province parents, 1 and 2 (district 22)"),
              std::string::npos)
        << r.err;
}

TEST(Integration, GridOverrideWarpsEveryEpochOntoTheNewGrid) {
    // Override: 40 m pixels over x 500000-501200, y 4599120-4600000 (multiples of 40, so -tap
    // keeps them): 30 x 22 px of 0.16 ha. 40/30 < 1.5, so nearest: target column c has its centre
    // at x = 500000 + 40c + 20, in source column floor((40c + 20) / 30); class 2 starts at
    // source column 20, i.e. at target column 15. So 15 x 22 px of each class in 2010.
    Scenario s;
    const auto r =
        run_carbonsink("run " +
                       s.config("", "grid:\n  resolution: 40\n  extent: [500000, 4599120, 501200, "
                                    "4600000]\n") +
                       " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: land_cover/2010 (" + s.dir.file("lc2010.tif") +
                         ", band 1): not on the grid override (grid, run.yaml, line 14) (pixel "
                         "width differs: 40 vs 30); warped on the fly with nearest resampling"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("warning: land_cover/2020 ("), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("prepare: 30 x 22 px"), std::string::npos) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    EXPECT_NEAR(cell(rows, 1, "area_ha"), 30 * 22 * 0.16, 1e-9);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), 330 * 0.16 * 63 + 330 * 0.16 * 205, 1e-6);
}

TEST(Errors, GridOverrideNeedsAResolution) {
    Scenario s;
    const auto r = run_carbonsink("validate " + s.config("", "grid:\n  crs: EPSG:32651\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: missing config key \"grid.resolution\": run.yaml, line 14: a grid "
                         "override (crs or extent) needs the pixel size"),
              std::string::npos)
        << r.err;
}

// ---- stocks.agb_raster -------------------------------------------------------------------

TEST(Integration, AgbRasterStocksByHand) {
    // Scenario land cover with an AGB map per epoch (Mg dry matter/ha): 2010: 10 on cropland
    // (columns 0-19), 200 on forest; 2020: the afforested block (rows 0-9, columns 0-19) has 150,
    // pixel (col 30, row 0) has no AGB (nodata). (A negative AGB is bad input: see
    // tests/bad_inputs.txt.)
    // CF 0.47, R 0.24; soil and dead from the pools table (1: 50 + 1; 2: 80 + 5; 3: 30 + 0).
    Scenario s;
    RasterSpec spec = s.spec;
    spec.type = "Float32";
    spec.nodata = -9999;
    std::vector<double> a10(40 * 30), a20(40 * 30);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 40; ++c) {
            a10[r * 40 + c] = c < 20 ? 10 : 200;
            a20[r * 40 + c] = (c < 20 && r < 10) ? 150 : a10[r * 40 + c];
        }
    }
    a20[30] = -9999;
    write_raster(s.dir.file("agb2010.tif"), spec, a10);
    write_raster(s.dir.file("agb2020.tif"), spec, a20);
    std::string cfg = read_text(s.config(""));
    cfg.replace(cfg.find("    method: lookup\n"), 19,
                "    method: agb_raster\n    agb:\n      2010: agb2010.tif\n"
                "      2020: agb2020.tif\n    agb_units: mg_dm_per_ha\n"
                "    carbon_fraction: 0.47\n    root_shoot_ratio: 0.24\n");
    write_text(s.dir.file("agb.yaml"), cfg);
    const auto r = run_carbonsink("run " + s.dir.file("agb.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Per-ha totals: cropland 10 x 0.47 x 1.24 + 51 = 56.828; forest 200 x 0.47 x 1.24 + 85 =
    // 201.56; afforested 150 x 0.47 x 1.24 + 85 = 172.42; settlement (AGB 200 on the old
    // forest map) 200 x 0.47 x 1.24 + 30 = 146.56.
    const double crop = 10 * 0.47 * 1.24 + 51;
    const double forest = 200 * 0.47 * 1.24 + 85;
    const double affor = 150 * 0.47 * 1.24 + 85;
    const double settle = 200 * 0.47 * 1.24 + 30;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    // 2010: 600 px cropland + 600 px forest.
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), 600 * PX_HA * (crop + forest), 1e-6);
    // 2020: 200 afforested, 399 cropland (1 nodata land cover), 499 forest (1 nodata AGB
    // pixel), 100 settlement.
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020"),
                PX_HA * (200 * affor + 399 * crop + 499 * forest + 100 * settle), 1e-6);
    EXPECT_NEAR(cell(rows, 1, "invalid_area_ha_2020"), 2 * PX_HA, 1e-9);
    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(h5_attr(h5, "/", "stock_model"), "stocks.agb_raster");
    const auto counts = h5_read(h5, "/provenance/pixel_status_count"); // [E, 5]
    ASSERT_EQ(counts.values.size(), 10u);
    EXPECT_EQ(counts.values[5 + 1], 2); // 2020 nodata: land cover + AGB
    EXPECT_EQ(counts.values[5 + 3], 0); // 2020 invalid_value: none (it would be exit 2)
    EXPECT_EQ(h5_attr(h5, "/", "input_roles"), "land_cover/2010");
    const auto stocks = h5_read(h5, "/stocks/mg_c");                             // [1, 2, 4]
    EXPECT_NEAR(stocks.values[1], 600 * PX_HA * (10 + 200) * 0.47 * 0.24, 1e-6); // 2010 BGB
}

TEST(Errors, AgbRasterConfigProblems) {
    Scenario s;
    std::string cfg = read_text(s.config(""));
    cfg.replace(cfg.find("    method: lookup\n"), 19,
                "    method: agb_raster\n    agb:\n      2010: agb2010.tif\n"
                "    agb_units: kg_per_m2\n");
    write_text(s.dir.file("bad.yaml"), cfg);
    const auto r = run_carbonsink("validate " + s.dir.file("bad.yaml"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid config value models.stocks.agb_units: bad.yaml, line 12: "
                         "\"kg_per_m2\" is not one of mg_dm_per_ha (dry matter), mg_c_per_ha "
                         "(carbon)"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("error: missing config key \"models.stocks.root_shoot_ratio\": "),
              std::string::npos)
        << r.err;
    // Valid keys, but the 2020 AGB raster is missing from the config and 2010's file is absent.
    cfg = read_text(s.config(""));
    cfg.replace(cfg.find("    method: lookup\n"), 19,
                "    method: agb_raster\n    agb:\n      2010: agb2010.tif\n"
                "    agb_units: mg_c_per_ha\n    root_shoot_ratio: 0.2\n");
    write_text(s.dir.file("bad2.yaml"), cfg);
    const auto r2 = run_carbonsink("validate " + s.dir.file("bad2.yaml"));
    EXPECT_EQ(r2.exit_code, 2);
    EXPECT_NE(r2.err.find("error: missing input layer \"agb\": bad2.yaml, line 11: no raster for "
                          "epoch 2020 (one per land-cover epoch)"),
              std::string::npos)
        << r2.err;
    // lookup with an agb key: the key belongs to another method.
    cfg = read_text(s.config(""));
    cfg.replace(cfg.find("    table: pools.csv\n"), 20, "    table: pools.csv\n    agb_units: x\n");
    write_text(s.dir.file("bad3.yaml"), cfg);
    const auto r3 = run_carbonsink("validate " + s.dir.file("bad3.yaml"));
    EXPECT_EQ(r3.exit_code, 2);
    EXPECT_NE(r3.err.find("error: invalid config key \"models.stocks.agb_units\": bad3.yaml, line "
                          "11: it belongs to method agb_raster, not lookup"),
              std::string::npos)
        << r3.err;
}

TEST(Integration, UnverifiedParametersThatAreUsedAreWarnedAndRecorded) {
    // Class 3 (settlement) is marked U and is used in 2020 by 100 px; class 9 is marked
    // PLACEHOLDER but no pixel has it, so it is not reported.
    Scenario s;
    write_text(s.dir.file("pools.csv"), "lucode,c_above,c_below,c_soil,c_dead,status,source\n"
                                        "1,10,2,50,1,V2,table 5.5\n"
                                        "2,100,20,80,5,V,table 4.7\n"
                                        "3,0,0,30,0,U,nobody checked\n"
                                        "9,1,1,1,1,PLACEHOLDER - confirm,none\n");
    const auto r = run_carbonsink("run " + s.config(VECTOR_DISTRICTS));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: unverified parameter used (confirm before reporting): pools "
                         "table lucode 3, line 4: status U; source: nobody checked (used by 100 "
                         "pixel-epochs)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("lucode 9"), std::string::npos) << r.err;
    // A list, as a dataset: GDAL 3.6 crashes on an empty string-array attribute.
    const std::string h5 = s.dir.file("out/results.h5");
    const auto unverified = h5_strings(h5, "/provenance/unverified_parameters");
    ASSERT_EQ(unverified.size(), 1u);
    EXPECT_NE(unverified[0].find("lucode 3"), std::string::npos) << unverified[0];
    EXPECT_EQ(h5_strings(h5, "/provenance/warnings"), std::vector<std::string>{});
    EXPECT_EQ(gdal_read_problems(h5), "");
}

// ---- stocks.inventory ----------------------------------------------------------------------

namespace {
/// Scenario plus inventory layers: forest type 1 (columns 0-29, Chinese fir, China CBEF) and
/// type 2 (columns 30-39, temperate pines, IPCC BCEF); volume 100 m3/ha in 2010; in 2020 150,
/// except 50 on the afforested block (rows 0-9, columns 0-19).
std::string inventory_config(const Scenario &s, const std::string &types_csv) {
    RasterSpec spec = s.spec;
    spec.type = "Float32";
    spec.nodata = -1;
    std::vector<double> v10(40 * 30, 100), v20(40 * 30, 150), ft(40 * 30);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 40; ++c) {
            v20[r * 40 + c] = (r < 10 && c < 20) ? 50 : 150;
            ft[r * 40 + c] = c < 30 ? 1 : 2;
        }
    }
    write_raster(s.dir.file("vol2010.tif"), spec, v10);
    write_raster(s.dir.file("vol2020.tif"), spec, v20);
    RasterSpec tspec = s.spec;
    tspec.type = "Byte";
    tspec.nodata = 0;
    write_raster(s.dir.file("ftype.tif"), tspec, ft);
    write_text(s.dir.file("forest_types.csv"), types_csv);
    std::string cfg = read_text(s.config(""));
    cfg.replace(cfg.find("    method: lookup\n"), 19,
                "    method: inventory\n    forest_classes: [2]\n    volume:\n"
                "      2010: vol2010.tif\n      2020: vol2020.tif\n"
                "    forest_type: ftype.tif\n    forest_types: forest_types.csv\n");
    write_text(s.dir.file("inventory.yaml"), cfg);
    return s.dir.file("inventory.yaml");
}

const char *FOREST_TYPES =
    "code,name,method,cbef_forest_type,climate_domain,bcef_forest_type,root_shoot_zone,"
    "root_shoot_type,carbon_fraction\n"
    "1,Chinese fir,china_cbef,cunninghamia_lanceolata,,,,,\n"
    "2,Pines,ipcc_bcef,,temperate,pines,temperate,conifer,0.47\n";
} // namespace

TEST(Integration, InventoryStocksByHand) {
    Scenario s;
    const auto r = run_carbonsink("run " + inventory_config(s, FOREST_TYPES) + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // China CBEF (Cunninghamia: a 0.4652, b 19.141, CF 0.5), B includes roots:
    auto fir = [](double v) { return (0.4652 * v + 19.141) * 0.5 + 85; }; // + soil 80, dead 5
    // IPCC, temperate pines: BCEF_S 0.75 for 40 < V <= 100, 0.70 for 100 < V <= 200; R for
    // temperate conifers 0.29 for 50 < AGB <= 150; CF 0.47.
    auto pines = [](double v, double bcef) { return v * bcef * (1 + 0.29) * 0.47 + 85; };
    // 2010: 600 px cropland (63), 300 px fir at V 100, 300 px pines at V 100.
    const double s2010 = PX_HA * (600 * 63 + 300 * fir(100) + 300 * pines(100, 0.75));
    // 2020: 399 px cropland, 200 px afforested fir at V 50, 300 px fir at V 150, 200 px pines at
    // V 150, 100 px settlement (30).
    const double s2020 =
        PX_HA * (399 * 63 + 200 * fir(50) + 300 * fir(150) + 200 * pines(150, 0.70) + 100 * 30);
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), s2010, 1e-6);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020"), s2020, 1e-6);
    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(h5_strings(h5, "/pools/name"),
              (std::vector<std::string>{"above_ground", "below_ground", "live_biomass_cbef", "soil",
                                        "dead_organic_matter"}));
    const auto pools = h5_read(h5, "/stocks/mg_c"); // [1, 2, 5]
    ASSERT_EQ(pools.values.size(), 10u);
    // 2010 pools: the CBEF pool holds only fir; above-ground = cropland 10 + pines AGB x CF.
    EXPECT_NEAR(pools.values[2], PX_HA * 300 * (0.4652 * 100 + 19.141) * 0.5, 1e-6);
    EXPECT_NEAR(pools.values[0], PX_HA * (600 * 10 + 300 * 100 * 0.75 * 0.47), 1e-6);
    EXPECT_NEAR(pools.values[1], PX_HA * (600 * 2 + 300 * 100 * 0.75 * 0.29 * 0.47), 1e-6);
    EXPECT_EQ(h5_attr(h5, "/", "stock_model"), "stocks.inventory");
}

TEST(Errors, InventoryForestTypeProblems) {
    Scenario s;
    // A forest type the raster uses (2) is missing from the table.
    auto r = run_carbonsink(
        "validate " + inventory_config(s, "code,name,method,cbef_forest_type\n1,fir,china_cbef,"
                                          "cunninghamia_lanceolata\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: forest_type (" + s.dir.file("ftype.tif") +
                         ", band 1): 1 forest type code is not in the forest-types table "
                         "(forest_types.csv): 2"),
              std::string::npos)
        << r.err;
    // Unknown parameter keys and methods are named.
    r = run_carbonsink("validate " +
                       inventory_config(s, "code,name,method,cbef_forest_type\n"
                                           "1,fir,china_cbef,cunninghamia\n2,pine,guess,\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid forest types: models.stocks.forest_types "
                         "(forest_types.csv), line 2: forest type 1 (fir): cbef_forest_type "
                         "\"cunninghamia\" is not in china_cbef.csv; valid keys: "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("line 3: forest type 2 (pine): method \"guess\" is not one of "
                         "china_cbef, ipcc_bcef"),
              std::string::npos)
        << r.err;
}

TEST(Integration, MethodCodeRastersTraceEachPixel) {
    Scenario s;
    const auto r = run_carbonsink("run " + inventory_config(s, FOREST_TYPES) +
                                      " --quiet --output-dir " + s.dir.file("m"),
                                  "");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(s.dir.file("m/method_2010.tif"))) << "off by default";
    std::string cfg = read_text(s.dir.file("inventory.yaml"));
    cfg += "outputs:\n  method_codes: true\n";
    write_text(s.dir.file("inventory.yaml"), cfg);
    const auto r2 = run_carbonsink("run " + s.dir.file("inventory.yaml") + " --quiet");
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    GDALDatasetH ds = GDALOpen(s.dir.file("out/method_2020.tif").c_str(), GA_ReadOnly);
    ASSERT_NE(ds, nullptr);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    EXPECT_EQ(GDALGetRasterDataType(b), GDT_Byte);
    EXPECT_STREQ(GDALGetMetadataItem(b, "code_3", nullptr), "China CBEF");
    EXPECT_STREQ(GDALGetMetadataItem(b, "code_4", nullptr), "IPCC BCEF + root:shoot");
    int has = 0;
    EXPECT_EQ(GDALGetRasterNoDataValue(b, &has), 0.0);
    EXPECT_EQ(has, 1);
    std::vector<uint8_t> v(40 * 30);
    ASSERT_EQ(GDALRasterIO(b, GF_Read, 0, 0, 40, 30, v.data(), 40, 30, GDT_Byte, 0, 0), CE_None);
    GDALClose(ds);
    // 2020: afforested fir (row 0, col 0) -> 3; pines (row 0, col 35) -> 4; cropland (row 29,
    // col 0) -> 1 (pools table); settlement (row 29, col 39) -> 1; nodata (row 25, col 5) -> 0.
    EXPECT_EQ(v[0], 3);
    EXPECT_EQ(v[35], 4);
    EXPECT_EQ(v[29 * 40 + 0], 1);
    EXPECT_EQ(v[29 * 40 + 39], 1);
    EXPECT_EQ(v[25 * 40 + 5], 0);
}

TEST(Errors, InventoryCrosswalkMustCoverThePoolsTable) {
    Scenario s;
    std::string cfg = read_text(inventory_config(s, FOREST_TYPES));
    cfg.replace(cfg.find("    forest_classes: [2]\n"), 24, "    crosswalk: clcd\n");
    write_text(s.dir.file("xw.yaml"), cfg);
    // CLCD has codes 1-9; add a class 12 to the pools table.
    write_text(s.dir.file("pools.csv"), std::string(POOLS) + "12,extra,0,0,10,0\n");
    const auto r = run_carbonsink("validate " + s.dir.file("xw.yaml"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid config value models.stocks.crosswalk: xw.yaml, line 10: "
                         "the pools table (pools.csv): 1 class code is not in crosswalk clcd: 12"),
              std::string::npos)
        << r.err;
    // With the crosswalk's classes only, CLCD 2 (forest) is the forest class: same as the list.
    write_text(s.dir.file("pools.csv"), POOLS);
    const auto ok = run_carbonsink("run " + s.dir.file("xw.yaml") + " --quiet");
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(Integration, UnverifiedCrosswalkRowsUsedByTheRunAreWarned) {
    Scenario s;
    std::string cfg = read_text(inventory_config(s, FOREST_TYPES));
    cfg.replace(cfg.find("    forest_classes: [2]\n"), 24, "    crosswalk: xw.csv\n");
    write_text(s.dir.file("xw.yaml"), cfg);
    // Class 1 (cropland) is unverified and used by 600 + 399 pixel-epochs (2010, 2020); class 4
    // is unverified but no pixel has it, so it is not warned.
    write_text(s.dir.file("xw.csv"), "code,class_name,ipcc_category,source,status\n"
                                     "1,Cropland,cropland,my legend,U\n"
                                     "2,Forest,forest,my legend,V\n"
                                     "3,Built-up,settlement,my legend,V\n"
                                     "4,Bare,other_land,my legend,U: guessed\n");
    const auto r = run_carbonsink("run " + s.dir.file("xw.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: unverified parameter used (confirm before reporting): "
                         "models.stocks.crosswalk (" +
                         s.dir.file("xw.csv") +
                         "), line 2: code 1 (Cropland) -> cropland, status U (used by 999 "
                         "pixel-epochs)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("code 4 (Bare)"), std::string::npos) << r.err;
}

// ---- soil.ipcc_tier1 -----------------------------------------------------------------------

TEST(Integration, SoilTier1MovesLinearlyToTheNewEquilibrium) {
    // Scenario land cover 2010 and 2020, and 2030 = 2020. Climate zone 3 (cool temperate moist),
    // soil code 1 = HAC everywhere: SOC_REF 81 Mg C/ha (IPCC 2019 Table 2.3). Cropland: long-term
    // cultivated (F_LU 0.70), full tillage (1.0), medium input (1.0) -> 56.7; forest: the
    // reference, 81; settlement: the pools table's c_soil, 30. Other pools from the pools table
    // (cropland 10 + 2 + 1 = 13, forest 100 + 20 + 5 = 125, settlement 0).
    Scenario s;
    std::filesystem::copy_file(s.dir.file("lc2020.tif"), s.dir.file("lc2030.tif"));
    write_raster(s.dir.file("zone.tif"), s.spec, std::vector<double>(40 * 30, 3));
    write_raster(s.dir.file("soil.tif"), s.spec, std::vector<double>(40 * 30, 1));
    write_text(s.dir.file("soil_management.csv"),
               "lucode,mode,land_use,lu_level,mg_level,i_level\n"
               "1,factors,cropland,long_term_cultivated,full_tillage,medium\n"
               "2,reference,,,,\n"
               "3,table,,,,\n");
    write_text(s.dir.file("pools.csv"), POOLS);
    write_text(s.dir.file("soil.yaml"),
               "name: soil\noutput_dir: out\nland_cover:\n  epochs:\n    2010: lc2010.tif\n"
               "    2020: lc2020.tif\n    2030: lc2030.tif\nmodels:\n  stocks:\n"
               "    method: lookup\n    table: pools.csv\n  soil:\n    method: ipcc_tier1\n"
               "    climate_zone: zone.tif\n    soil_type: soil.tif\n    soil_types:\n"
               "      1: hac\n    management: soil_management.csv\n");
    const auto r = run_carbonsink("run " + s.dir.file("soil.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const double crop = 13 + 81 * 0.70;
    const double forest = 125 + 81;
    // 2020, 10 of 20 years after the change in 2010: afforested soil 56.7 + (81 - 56.7) / 2;
    // settlement soil 81 + (30 - 81) / 2. 2030: both reached their new equilibria.
    const double affor2020 = 125 + (56.7 + (81 - 56.7) * 0.5);
    const double settle2020 = 0 + (81 + (30 - 81) * 0.5);
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), PX_HA * (600 * crop + 600 * forest), 1e-6);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020"),
                PX_HA * (200 * affor2020 + 399 * crop + 500 * forest + 100 * settle2020), 1e-6);
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2030"),
                PX_HA * (200 * forest + 399 * crop + 500 * forest + 100 * 30), 1e-6);
    // The sink follows the transition, not an instant jump: 2010-2020 change of the afforested
    // pixels is (affor2020 - crop) / 10 per ha, not (forest - crop) / 10.
    const double change1 = PX_HA * (200 * (affor2020 - crop) + 100 * (settle2020 - forest)) / 10;
    EXPECT_NEAR(cell(rows, 1, "stock_change_mg_c_per_yr_2010_2020"), change1, 1e-6);
    const double change2 = PX_HA * (200 * (forest - affor2020) + 100 * (30 - settle2020)) / 10;
    EXPECT_NEAR(cell(rows, 1, "stock_change_mg_c_per_yr_2020_2030"), change2, 1e-6);
    // Soil pool alone, 2020.
    const auto pools = h5_read(s.dir.file("out/results.h5"), "/stocks/mg_c"); // [1, 3, 4]
    EXPECT_NEAR(pools.values[4 + 2], PX_HA * (200 * 68.85 + 399 * 56.7 + 500 * 81 + 100 * 55.5),
                1e-6);
}

TEST(Errors, SoilTier1Problems) {
    Scenario s;
    write_raster(s.dir.file("zone.tif"), s.spec, std::vector<double>(40 * 30, 3));
    write_raster(s.dir.file("soil.tif"), s.spec, std::vector<double>(40 * 30, 1));
    write_text(s.dir.file("soil_management.csv"),
               "lucode,mode,land_use,lu_level,mg_level,i_level\n"
               "1,factors,cropland,forever_tilled,full_tillage,medium\n2,reference,,,,\n");
    const auto r = run_carbonsink(
        "validate " + s.config("", "  soil:\n    method: ipcc_tier1\n    climate_zone: zone.tif\n"
                                   "    soil_type: soil.tif\n    soil_types:\n      1: peat\n"
                                   "    management: soil_management.csv\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid soil model: models.soil, run.yaml, line 14: soil_types: "
                         "code 1: soil type \"peat\" is not in ipcc2019_soc_ref.csv"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("no soil rule for land-cover class 3"), std::string::npos) << r.err;
    // The bad level is reported with its file, line and the valid levels.
    EXPECT_NE(r.err.find("error: invalid soil model: models.soil.management "
                         "(soil_management.csv), line 2: lucode 1: lu_level \"forever_tilled\" "
                         "is not a cropland F_LU level of ipcc2019_soc_factors.csv "
                         "(long_term_cultivated, paddy_rice, perennial_tree_crop, set_aside)"),
              std::string::npos)
        << r.err;
}

// ---- soil.ipcc_tier1, management by raster ---------------------------------------------------

namespace {

/// Codes of the management rasters below; levels from IPCC 2019 Table 5.5 as shipped in
/// configs/parameters/ipcc2019_soc_factors.csv.
const char *MANAGEMENT_CODES = "code,land_use,lu_level,mg_level,i_level,source,status\n"
                               "1,cropland,long_term_cultivated,full_tillage,medium,test,V\n"
                               "2,cropland,long_term_cultivated,no_tillage,medium,test,V\n"
                               "3,cropland,long_term_cultivated,reduced_tillage,medium,test,V\n"
                               "5,cropland,perennial_tree_crop,full_tillage,medium,test,V\n";

/// A management raster on the scenario grid: `west` on columns 0-9, `east` on columns 10-19
/// (the cropland of 2010), nodata (255) on columns 20-39 (forest and settlement, which do not
/// read it) and on pixel (col 15, row 29) when `hole`.
void write_management(const Scenario &s, const std::string &name, int west, int east, bool hole) {
    std::vector<double> v(40 * 30, 255);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 20; ++c) {
            v[r * 40 + c] = c < 10 ? west : east;
        }
    }
    if (hole) {
        v[29 * 40 + 15] = 255;
    }
    write_raster(s.dir.file(name), s.spec, v);
}

/// The scenario with soil.ipcc_tier1: climate zone `zone` and HAC everywhere; cropland (class 1)
/// in mode raster, forest reference, settlement table; `management` is appended to the
/// models.soil block (management_raster and management_codes keys).
std::string soil_raster_config(const Scenario &s, int zone, const std::string &districts,
                               const std::string &management,
                               const std::string &cropland_mode = "raster,,,,") {
    write_raster(s.dir.file("zone.tif"), s.spec, std::vector<double>(40 * 30, zone));
    write_raster(s.dir.file("soil.tif"), s.spec, std::vector<double>(40 * 30, 1));
    write_text(s.dir.file("soil_management.csv"),
               "lucode,mode,land_use,lu_level,mg_level,i_level\n1," + cropland_mode +
                   "\n2,reference,,,,\n3,table,,,,\n");
    write_text(s.dir.file("codes.csv"), MANAGEMENT_CODES);
    return s.config(districts, "  soil:\n    method: ipcc_tier1\n    climate_zone: zone.tif\n"
                               "    soil_type: soil.tif\n    soil_types:\n      1: hac\n"
                               "    management: soil_management.csv\n" +
                                   management);
}

} // namespace

TEST(Integration, SoilManagementRasterByHand) {
    // Climate zone 3 (cool temperate moist), HAC: SOC_REF 81. Cropland long-term cultivated,
    // F_LU 0.70, medium input 1.0; tillage by management code (IPCC 2019 Table 5.5, cool
    // temperate moist): code 1 full tillage 1.0 -> 56.7; code 2 no-till 1.09 -> 61.803; code 3
    // reduced tillage 1.04 -> 58.968. Forest: 81. Other pools per ha: cropland 13, forest 125.
    // Management per epoch: 2010 code 1 on columns 0-9, code 2 on columns 10-19; 2020 code 1 and
    // code 3. Pixel (15, 29), cropland in both epochs, has no management code: nodata in both.
    Scenario s;
    write_management(s, "mg2010.tif", 1, 2, true);
    write_management(s, "mg2020.tif", 1, 3, true);
    const std::string per_epoch =
        "    management_raster:\n      2010: mg2010.tif\n      2020: mg2020.tif\n";
    const std::string cfg =
        soil_raster_config(s, 3, VECTOR_DISTRICTS, per_epoch + "    management_codes: codes.csv\n");
    const auto r = run_carbonsink("run " + cfg + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    // District A (columns 0-19). 2010: 300 px code 1 (13 + 56.7) and 299 px code 2
    // (13 + 61.803); 1 px invalid.
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2010"), PX_HA * (300 * 69.7 + 299 * 74.803), 1e-6);
    EXPECT_NEAR(cell(rows, 1, "invalid_area_ha_2010"), PX_HA, 1e-9);
    // 2020, 10 of 20 years after the 2010 changes. Afforested rows 0-9: columns 0-9 from 56.7
    // towards 81: 68.85; columns 10-19 from 61.803: 61.803 + (81 - 61.803) / 2 = 71.4015.
    // Cropland rows 10-29: columns 0-9 keep code 1 (56.7; 199 px, (5, 25) is nodata land
    // cover); columns 10-19 change code 2 -> 3 (61.803 -> 58.968): 61.803 - 2.835 / 2 = 60.3855
    // (199 px, (15, 29) has no code).
    const double aff_w = 125 + 68.85, aff_e = 125 + 71.4015;
    const double crop_w = 13 + 56.7, crop_e = 13 + 60.3855;
    EXPECT_NEAR(cell(rows, 1, "stock_mg_c_2020"),
                PX_HA * (100 * aff_w + 100 * aff_e + 199 * crop_w + 199 * crop_e), 1e-6);
    EXPECT_NEAR(cell(rows, 1, "invalid_area_ha_2020"), 2 * PX_HA, 1e-9);
    // Soil pool alone, A 2020: 100 x 68.85 + 100 x 71.4015 + 199 x 56.7 + 199 x 60.3855.
    const auto pools = h5_read(s.dir.file("out/results.h5"), "/stocks/mg_c"); // [3, 2, 4]
    EXPECT_NEAR(pools.values[0 * 8 + 1 * 4 + 2],
                PX_HA * (100 * 68.85 + 100 * 71.4015 + 199 * 56.7 + 199 * 60.3855), 1e-6);
    // Change over the pixels valid in both epochs, per year: afforested (aff - crop 2010) / 10;
    // the code-2 -> 3 cropland (60.3855 - 61.803) / 10 on 199 px; code-1 cropland 0.
    const double change =
        PX_HA * (100 * (aff_w - 69.7) + 100 * (aff_e - 74.803) + 199 * (crop_e - 74.803)) / 10;
    EXPECT_NEAR(cell(rows, 1, "stock_change_mg_c_per_yr_2010_2020"), change, 1e-6);

    // One raster for every epoch: 2010's codes hold in 2020 too, so columns 10-19 of the
    // cropland stay at 61.803 and only the afforested pixels change.
    std::string single = read_text(cfg);
    single.replace(single.find(per_epoch), per_epoch.size(), "    management_raster: mg2010.tif\n");
    write_text(s.dir.file("single.yaml"), single);
    const auto r2 = run_carbonsink("run " + s.dir.file("single.yaml") + " --quiet --output-dir " +
                                   s.dir.file("out2"));
    ASSERT_EQ(r2.exit_code, 0) << r2.err << single;
    const auto rows2 = read_csv(s.dir.file("out2/districts.csv"));
    EXPECT_NEAR(cell(rows2, 1, "stock_mg_c_2020"),
                PX_HA * (100 * aff_w + 100 * aff_e + 199 * crop_w + 199 * 74.803), 1e-6);
}

TEST(Errors, ManagementCodesMissingFromTheTableAreListed) {
    Scenario s;
    // Codes 1, 2 and, on a few pixels, 7 and 9; the table has 1, 2, 3 and 5.
    std::vector<double> v(40 * 30, 1);
    v[3] = 9;
    v[100] = 7;
    v[101] = 2;
    v[102] = 7;
    write_raster(s.dir.file("mg.tif"), s.spec, v);
    const auto r =
        run_carbonsink("validate " + soil_raster_config(s, 3, "",
                                                        "    management_raster: mg.tif\n"
                                                        "    management_codes: codes.csv\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: management (" + s.dir.file("mg.tif") +
                         ", band 1): 2 management codes are not in the management-code table "
                         "(codes.csv): 7, 9"),
              std::string::npos)
        << r.err;
}

TEST(Errors, ManagementRasterConfigProblems) {
    Scenario s;
    write_management(s, "mg.tif", 1, 2, false);
    // Mode raster without management_raster: the class and its line are named.
    auto r = run_carbonsink("validate " + soil_raster_config(s, 3, "", ""));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid soil model: models.soil.management "
                         "(soil_management.csv), line 2: lucode 1: mode raster needs "
                         "models.soil.management_raster and models.soil.management_codes, which "
                         "models.soil (run.yaml, line 14) does not give"),
              std::string::npos)
        << r.err;
    // A management raster that no class uses: a warning, and the run is valid.
    r = run_carbonsink("validate " +
                       soil_raster_config(s, 3, "",
                                          "    management_raster: mg.tif\n"
                                          "    management_codes: codes.csv\n",
                                          "factors,cropland,long_term_cultivated,full_tillage,"
                                          "medium"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: models.soil.management_raster (run.yaml, line 20): not used: "
                         "no class of models.soil.management (soil_management.csv) has mode "
                         "raster"),
              std::string::npos)
        << r.err;
    // management_raster needs its code table; a bad level in it names file, line and choices.
    r = run_carbonsink("validate " +
                       soil_raster_config(s, 3, "", "    management_raster: mg.tif\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: missing config key \"models.soil.management_codes\": run.yaml, "
                         "line 20: management_raster needs the table of its codes"),
              std::string::npos)
        << r.err;
    const std::string cfg = soil_raster_config(s, 3, "",
                                               "    management_raster: mg.tif\n"
                                               "    management_codes: codes.csv\n");
    write_text(s.dir.file("codes.csv"),
               "code,land_use,lu_level,mg_level,i_level,source,status\n"
               "1,cropland,long_term_cultivated,full_tillage,medium,test,V\n"
               "2,cropland,long_term_cultivated,zero_till,medium,test,V\n");
    r = run_carbonsink("validate " + cfg);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid soil model: models.soil.management_codes (codes.csv), "
                         "line 3: code 2: mg_level \"zero_till\" is not a cropland F_MG level of "
                         "ipcc2019_soc_factors.csv (full_tillage, no_tillage, reduced_tillage)"),
              std::string::npos)
        << r.err;
}

TEST(Integration, UnverifiedSocRowsThatAreUsedAreWarnedAndRecorded) {
    // Climate zone 9 (tropical montane). Code 5 (perennial/tree crop) uses the shipped F_LU row
    // of line 33 of ipcc2019_soc_factors.csv, status U (science.md §3.2: HESTIA only); every
    // other row used here (zone code 9, SOC_REF tropical montane HAC, long-term cultivated,
    // full tillage, medium input) is V2 or V2-single. Code 5 is on columns 0-9 of the 2010
    // cropland: 300 px in 2010, and in 2020 rows 10-29 less the nodata pixel (5, 25): 199 px.
    const std::string shipped =
        read_text(std::string(CS_SOURCE_DIR) + "/configs/parameters/ipcc2019_soc_factors.csv");
    std::size_t pos = 0;
    for (int line = 1; line < 33; ++line) {
        pos = shipped.find('\n', pos) + 1;
    }
    ASSERT_EQ(shipped.compare(pos, 51, "cropland,F_LU,perennial_tree_crop,tropical_montane,"), 0)
        << "the shipped factor table changed: update this test's row and line";
    Scenario s;
    write_management(s, "mg.tif", 5, 1, false);
    const auto r = run_carbonsink("run " +
                                  soil_raster_config(s, 9, VECTOR_DISTRICTS,
                                                     "    management_raster: mg.tif\n"
                                                     "    management_codes: codes.csv\n") +
                                  " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string row = "ipcc2019_soc_factors.csv line 33: cropland F_LU perennial_tree_crop "
                            "(tropical montane): status U (used by 499 pixel-epochs)";
    EXPECT_NE(r.err.find("warning: unverified parameter used (confirm before reporting): " + row),
              std::string::npos)
        << r.err;
    EXPECT_EQ(h5_strings(s.dir.file("out/results.h5"), "/provenance/unverified_parameters"),
              std::vector<std::string>{row});
}

// ---- models.dom: dead wood and litter from AGB, the five-pool split -------------------------

namespace {
/// The scenario's pools with dead matter split: cropland dead wood 0.5 + litter 0.5 (= the
/// c_dead 1 of POOLS), forest 3 + 2 (= 5), settlement 0 + 0.
const char *SPLIT_POOLS = "lucode,LULC_Name,c_above,c_below,c_dead_wood,c_litter,c_soil\n"
                          "1,cropland,10,2,0.5,0.5,50\n"
                          "2,forest,100,20,3,2,80\n"
                          "3,settlement,0,0,0,0,30\n";

/// Sum of a float GeoTIFF's non-NaN values.
double tif_sum(const std::string &path) {
    int w = 0, h = 0;
    const auto v = read_tif(path, w, h);
    double sum = 0.0;
    for (float x : v) {
        sum += std::isnan(x) ? 0.0 : x;
    }
    return sum;
}
} // namespace

TEST(Integration, DeadWoodAndLitterFromAgbWithMassBalance) {
    // stocks.inventory as in InventoryStocksByHand (fir = China CBEF on columns 0-29, pines =
    // IPCC BCEF on columns 30-39; volume 100 in 2010; 150 in 2020, 50 on the afforested block),
    // a split pools table and models.dom, temperate_or_boreal: dead wood = AGB x 0.08 x 0.47,
    // litter = AGB x 0.04 x 0.37 on the pines pixels (the only ones with AGB); fir pixels (B =
    // aV + b has no AGB) and non-forest classes keep the table's dead wood and litter.
    //   pines 2010: V 100, BCEF_S 0.75 -> AGB 75: dead wood 2.82, litter 1.11 Mg C/ha
    //   pines 2020: V 150, BCEF_S 0.70 -> AGB 105: dead wood 3.948, litter 1.554 Mg C/ha
    Scenario s;
    write_text(s.dir.file("pools.csv"), SPLIT_POOLS);
    std::string cfg = read_text(inventory_config(s, FOREST_TYPES));
    cfg += "  dom:\n    method: agb_fraction\n    climate_domain: temperate_or_boreal\n";
    write_text(s.dir.file("grid.yaml"), cfg);
    cfg.replace(cfg.find("models:\n"), 8, std::string(VECTOR_DISTRICTS) + "models:\n");
    write_text(s.dir.file("dom.yaml"), cfg);
    const auto r = run_carbonsink("run " + s.dir.file("dom.yaml") + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto g = run_carbonsink("run " + s.dir.file("grid.yaml") + " --quiet --output-dir " +
                                  s.dir.file("grid"));
    ASSERT_EQ(g.exit_code, 0) << g.err;

    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(h5_strings(h5, "/pools/name"),
              (std::vector<std::string>{"above_ground", "below_ground", "live_biomass_cbef",
                                        "dead_wood", "litter", "soil"}));
    const auto stocks = h5_read(h5, "/stocks/mg_c"); // [3 districts, 2 epochs, 6 pools]
    ASSERT_EQ(stocks.shape, (std::vector<uint64_t>{3, 2, 6}));
    auto at = [&](std::size_t d, std::size_t e, std::size_t p) {
        return stocks.values[d * 12 + e * 6 + p];
    };
    const std::size_t DW = 3, LI = 4;
    // A (columns 0-19): 2010 600 px cropland: 600 x 0.09 x 0.5 = 27 of each.
    // 2020: 200 px afforested fir (3, 2) + 399 px cropland (0.5, 0.5):
    //   dead wood 0.09 x (600 + 199.5) = 71.955; litter 0.09 x (400 + 199.5) = 53.955.
    EXPECT_NEAR(at(0, 0, DW), 27.0, 1e-9);
    EXPECT_NEAR(at(0, 0, LI), 27.0, 1e-9);
    EXPECT_NEAR(at(0, 1, DW), 71.955, 1e-9);
    EXPECT_NEAR(at(0, 1, LI), 53.955, 1e-9);
    // B (columns 20-39, rows 0-14): 150 px fir + 150 px pines.
    //   2010: dead wood 0.09 x (150 x 3 + 150 x 2.82) = 78.57; litter 0.09 x (300 + 166.5)
    //   = 41.985. 2020: 0.09 x (450 + 150 x 3.948) = 93.798; 0.09 x (300 + 233.1) = 47.979.
    EXPECT_NEAR(at(1, 0, DW), 78.57, 1e-9);
    EXPECT_NEAR(at(1, 0, LI), 41.985, 1e-9);
    EXPECT_NEAR(at(1, 1, DW), 93.798, 1e-9);
    EXPECT_NEAR(at(1, 1, LI), 47.979, 1e-9);
    // C (columns 20-39, rows 15-29): 2010 as B. 2020: 150 px fir, 50 px pines (rows 15-19),
    // 100 px settlement (0, 0): 0.09 x (450 + 50 x 3.948) = 58.266; 0.09 x (300 + 77.7) = 33.993.
    EXPECT_NEAR(at(2, 0, DW), 78.57, 1e-9);
    EXPECT_NEAR(at(2, 1, DW), 58.266, 1e-9);
    EXPECT_NEAR(at(2, 1, LI), 33.993, 1e-9);
    // Pines above-ground is unchanged by DOM: B 2010 = 0.09 x 150 x 75 x 0.47 = 475.875.
    EXPECT_NEAR(at(1, 0, 0), 475.875, 1e-9);

    // Mass balance 1: for each district and epoch the pools add up to the total, in results.h5
    // and in districts.csv.
    const auto total = h5_read(h5, "/stocks/total_mg_c");
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 4u);
    for (std::size_t d = 0; d < 3; ++d) {
        for (std::size_t e = 0; e < 2; ++e) {
            double sum = 0.0;
            for (std::size_t p = 0; p < 6; ++p) {
                sum += at(d, e, p);
            }
            EXPECT_NEAR(sum, total.values[d * 2 + e], 1e-9) << "district " << d << " epoch " << e;
            EXPECT_NEAR(cell(rows, d + 1, e == 0 ? "stock_mg_c_2010" : "stock_mg_c_2020"), sum,
                        1e-6);
        }
    }
    // Mass balance 2: the districts partition the grid, so their sums equal the whole-grid run,
    // pool by pool.
    const auto grid = h5_read(s.dir.file("grid/results.h5"), "/stocks/mg_c"); // [1, 2, 6]
    ASSERT_EQ(grid.shape, (std::vector<uint64_t>{1, 2, 6}));
    const auto grid_total = h5_read(s.dir.file("grid/results.h5"), "/stocks/total_mg_c");
    for (std::size_t e = 0; e < 2; ++e) {
        for (std::size_t p = 0; p < 6; ++p) {
            EXPECT_NEAR(at(0, e, p) + at(1, e, p) + at(2, e, p), grid.values[e * 6 + p], 1e-9)
                << "epoch " << e << " pool " << p;
        }
        EXPECT_NEAR(total.values[e] + total.values[2 + e] + total.values[4 + e],
                    grid_total.values[e], 1e-9);
        // Mass balance 3: the stock raster x pixel area is the total (Float32 pixels).
        const std::string tif = s.dir.file(e == 0 ? "grid/stock_2010.tif" : "grid/stock_2020.tif");
        EXPECT_NEAR(tif_sum(tif) * PX_HA, grid_total.values[e], 1e-6 * grid_total.values[e]);
    }
    EXPECT_EQ(h5_attr(h5, "/", "dom_model"),
              "dom.agb_fraction (climate_domain temperate_or_boreal)");
    EXPECT_NE(h5_attr(h5, "/", "dom_fraction_rows").find("dom_fractions.csv line 6: temperate"),
              std::string::npos);
}

TEST(Integration, DeadMatterDomainFromClimateZoneElevationAndRainfall) {
    // stocks.agb_raster (AGB Mg dm/ha: 2010 10 on columns 0-19, 200 on 20-39; 2020 150 on the
    // afforested block rows 0-9 x columns 0-19), split pools table, models.dom with a climate-
    // zone raster: columns 0-19 zone 11 (tropical moist), 20-39 zone 3 (cool temperate moist),
    // pixel (col 39, row 0) zone 99 (no such code: missing_parameter); elevation 500 m on rows
    // 0-14, 2500 m on rows 15-29, nodata at (col 1, row 0) (nodata); rainfall 1200 mm/yr.
    // Fractions (dead wood / litter, CF 0.47 / 0.37): tropical 500 m, 1200 mm: 0.01 / 0.01;
    // tropical 2500 m: 0.07 / 0.01; temperate: 0.08 / 0.04. Per ha:
    //   AGB 10, 500 m: 0.047 / 0.037; AGB 10, 2500 m: 0.329 / 0.037; AGB 150, 500 m: 0.705 /
    //   0.555; AGB 200 temperate: 7.52 / 2.96.
    Scenario s;
    write_text(s.dir.file("pools.csv"), SPLIT_POOLS);
    RasterSpec fspec = s.spec;
    fspec.type = "Float32";
    fspec.nodata = -9999;
    std::vector<double> a10(40 * 30), a20(40 * 30), zone(40 * 30), dem(40 * 30),
        rain(40 * 30, 1200);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 40; ++c) {
            const int i = r * 40 + c;
            a10[i] = c < 20 ? 10 : 200;
            a20[i] = (c < 20 && r < 10) ? 150 : a10[i];
            zone[i] = c < 20 ? 11 : 3;
            dem[i] = r < 15 ? 500 : 2500;
        }
    }
    zone[39] = 99;
    dem[1] = -9999;
    write_raster(s.dir.file("agb2010.tif"), fspec, a10);
    write_raster(s.dir.file("agb2020.tif"), fspec, a20);
    write_raster(s.dir.file("dem.tif"), fspec, dem);
    write_raster(s.dir.file("rain.tif"), fspec, rain);
    write_raster(s.dir.file("zone.tif"), s.spec, zone);
    std::string cfg =
        read_text(s.config("", "processing:\n  block_cells: 1024\n  tile_size: 16\n"));
    cfg.replace(cfg.find("    method: lookup\n"), 19,
                "    method: agb_raster\n    agb:\n      2010: agb2010.tif\n"
                "      2020: agb2020.tif\n    agb_units: mg_dm_per_ha\n"
                "    carbon_fraction: 0.47\n    root_shoot_ratio: 0.24\n");
    cfg.replace(cfg.find("  sink:\n"), 8,
                "  dom:\n    method: agb_fraction\n    climate_zone: zone.tif\n"
                "    elevation: dem.tif\n    precipitation: rain.tif\n  sink:\n");
    write_text(s.dir.file("zones.yaml"), cfg);
    const std::string env = "SOURCE_DATE_EPOCH=1700000000";
    const auto r = run_carbonsink("run " + s.dir.file("zones.yaml") + " --quiet --threads 1", env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(
        h5_strings(h5, "/pools/name"),
        (std::vector<std::string>{"above_ground", "below_ground", "dead_wood", "litter", "soil"}));
    const auto stocks = h5_read(h5, "/stocks/mg_c"); // [1, 2, 5]
    ASSERT_EQ(stocks.values.size(), 10u);
    // 2010: tropical 299 px at 500 m (one has no elevation) + 300 px at 2500 m; temperate 599 px
    // (one has zone 99):
    //   dead wood 0.09 x (299 x 0.047 + 300 x 0.329 + 599 x 7.52) = 0.09 x 4617.233 = 415.55097
    //   litter 0.09 x (599 x 0.037 + 599 x 2.96) = 0.09 x 1795.203 = 161.56827
    EXPECT_NEAR(stocks.values[2], 415.55097, 1e-9);
    EXPECT_NEAR(stocks.values[3], 161.56827, 1e-9);
    // 2020: tropical 199 px forest AGB 150 at 500 m, 100 px cropland at 500 m, 299 px cropland
    // at 2500 m (one has no land cover); temperate 599 px:
    //   dead wood 0.09 x (140.295 + 4.7 + 98.371 + 4504.48) = 0.09 x 4747.846 = 427.30614
    //   litter 0.09 x (110.445 + 3.7 + 11.063 + 1773.04) = 0.09 x 1898.248 = 170.84232
    EXPECT_NEAR(stocks.values[5 + 2], 427.30614, 1e-9);
    EXPECT_NEAR(stocks.values[5 + 3], 170.84232, 1e-9);
    // Invalid pixels hold no carbon: above-ground 2010 = 0.09 x 599 x (10 + 200) x 0.47 =
    // 5320.917 (not 600 pixels).
    EXPECT_NEAR(stocks.values[0], 5320.917, 1e-9);
    const auto counts = h5_read(h5, "/provenance/pixel_status_count"); // [E, 5]
    EXPECT_EQ(counts.values[0], 1198);
    EXPECT_EQ(counts.values[1], 1);     // 2010 nodata: elevation
    EXPECT_EQ(counts.values[4], 1);     // 2010 missing_parameter: zone 99
    EXPECT_EQ(counts.values[5 + 1], 2); // 2020 nodata: elevation, land cover
    EXPECT_EQ(counts.values[5 + 4], 1);
    const auto total = h5_read(h5, "/stocks/total_mg_c");
    for (std::size_t e = 0; e < 2; ++e) {
        double sum = 0.0;
        for (std::size_t p = 0; p < 5; ++p) {
            sum += stocks.values[e * 5 + p];
        }
        EXPECT_NEAR(sum, total.values[e], 1e-9);
        const std::string tif = s.dir.file(e == 0 ? "out/stock_2010.tif" : "out/stock_2020.tif");
        EXPECT_NEAR(tif_sum(tif) * PX_HA, total.values[e], 1e-6 * total.values[e]);
    }
    // One and two threads: byte-identical outputs.
    const auto r2 = run_carbonsink("run " + s.dir.file("zones.yaml") + " --quiet --threads 2 " +
                                       "--output-dir " + s.dir.file("t2"),
                                   env);
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    for (const char *f : {"results.h5", "districts.csv", "stock_2010.tif", "stock_2020.tif",
                          "stock_change_2010_2020.tif"}) {
        EXPECT_TRUE(files_identical(s.dir.file(std::string("out/") + f),
                                    s.dir.file(std::string("t2/") + f)))
            << f << " differs between 1 and 2 threads";
    }
}

TEST(Errors, DeadMatterConfigProblems) {
    Scenario s;
    write_text(s.dir.file("pools.csv"), SPLIT_POOLS);
    RasterSpec fspec = s.spec;
    fspec.type = "Float32";
    fspec.nodata = -9999;
    write_raster(s.dir.file("agb2010.tif"), fspec, std::vector<double>(40 * 30, 100));
    write_raster(s.dir.file("agb2020.tif"), fspec, std::vector<double>(40 * 30, 100));
    write_raster(s.dir.file("zone.tif"), s.spec, std::vector<double>(40 * 30, 10));
    // Lines 1-17 of every config; the dom block starts on line 18.
    const std::string head = "name: dom\n"                   // 1
                             "output_dir: out\n"             // 2
                             "land_cover:\n"                 // 3
                             "  epochs:\n"                   // 4
                             "    2010: lc2010.tif\n"        // 5
                             "    2020: lc2020.tif\n"        // 6
                             "models:\n"                     // 7
                             "  stocks:\n"                   // 8
                             "    method: agb_raster\n"      // 9
                             "    table: pools.csv\n"        // 10
                             "    agb:\n"                    // 11
                             "      2010: agb2010.tif\n"     // 12
                             "      2020: agb2020.tif\n"     // 13
                             "    agb_units: mg_dm_per_ha\n" // 14
                             "    carbon_fraction: 0.47\n"   // 15
                             "    root_shoot_ratio: 0.24\n"  // 16
                             "  dom:\n"                      // 17
                             "    method: agb_fraction\n";   // 18
    auto validate = [&](const std::string &name, const std::string &dom_keys) {
        write_text(s.dir.file(name), head + dom_keys);
        const auto r = run_carbonsink("validate " + s.dir.file(name));
        EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
        return r.err;
    };
    // A c_dead pools table: the dead matter cannot be split.
    write_text(s.dir.file("pools.csv"), POOLS);
    std::string err = validate("dead.yaml", "    climate_domain: temperate_or_boreal\n");
    EXPECT_NE(err.find("error: invalid config value models.dom: dead.yaml, line 18: the pools "
                       "table (pools.csv) has one column c_dead; dead wood and litter from AGB "
                       "are two pools: give the columns c_dead_wood and c_litter instead of "
                       "c_dead"),
              std::string::npos)
        << err;
    write_text(s.dir.file("pools.csv"), SPLIT_POOLS);
    // Tropical needs elevation and precipitation.
    err = validate("tropical.yaml", "    climate_domain: tropical\n");
    EXPECT_NE(err.find("error: missing config key \"models.dom.elevation\": tropical.yaml, line "
                       "18: the tropical dead-wood and litter fractions depend on elevation (m) "
                       "and annual precipitation (mm/yr)"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("missing config key \"models.dom.precipitation\""), std::string::npos)
        << err;
    // An unknown domain, with a suggestion.
    err = validate("domain.yaml", "    climate_domain: temperate_boreal\n");
    EXPECT_NE(err.find("error: invalid config value models.dom.climate_domain: domain.yaml, line "
                       "19: \"temperate_boreal\" is not one of tropical, temperate_or_boreal (the "
                       "domains of dom_fractions.csv) (did you mean \"temperate_or_boreal\"?)"),
              std::string::npos)
        << err;
    // Both a domain and a zone raster.
    err = validate("both.yaml", "    climate_domain: tropical\n    climate_zone: zone.tif\n");
    EXPECT_NE(err.find("error: invalid config value models.dom: both.yaml, line 20: give either "
                       "climate_domain (one domain for the whole map) or climate_zone (a "
                       "climate-zone raster), not both"),
              std::string::npos)
        << err;
    // Neither.
    err = validate("neither.yaml", "");
    EXPECT_NE(err.find("error: missing config key \"models.dom.climate_domain\": neither.yaml, "
                       "line 18: say which climate domain"),
              std::string::npos)
        << err;
    // A zone raster with tropical zones (10, tropical wet) and no elevation or rainfall.
    err = validate("zone.yaml", "    climate_zone: zone.tif\n");
    EXPECT_NE(err.find("error: missing config key \"models.dom.elevation\": zone.yaml, line 18: "
                       "dom_climate_zone (" +
                       s.dir.file("zone.tif") +
                       ", band 1) has climate-zone codes whose dead-wood and litter fractions "
                       "depend on elevation and precipitation (tropical zones of "
                       "ipcc_climate_zone_codes.csv): 10; give models.dom.elevation and "
                       "models.dom.precipitation"),
              std::string::npos)
        << err;
    // Unknown method and keys, with suggestions.
    write_text(s.dir.file("method.yaml"), head.substr(0, head.size() - 25) +
                                              "    method: agb_fractions\n"
                                              "    climate_domain: tropical\n");
    auto r = run_carbonsink("validate " + s.dir.file("method.yaml"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid config value models.dom.method: method.yaml, line 18: "
                         "unknown method \"agb_fractions\"; available: agb_fraction (did you "
                         "mean \"agb_fraction\"?)"),
              std::string::npos)
        << r.err;
    err = validate("key.yaml", "    climate_domain: tropical\n    elevaton: dem.tif\n");
    EXPECT_NE(err.find("error: unknown config key \"models.dom.elevaton\": key.yaml, line 20: did "
                       "you mean \"elevation\"?"),
              std::string::npos)
        << err;
    // stocks.lookup gives no AGB.
    std::string lookup = read_text(s.config(""));
    lookup.replace(lookup.find("  sink:\n"), 8,
                   "  dom:\n    method: agb_fraction\n    climate_domain: tropical\n"
                   "    elevation: zone.tif\n    precipitation: zone.tif\n  sink:\n");
    write_text(s.dir.file("lookup.yaml"), lookup);
    r = run_carbonsink("validate " + s.dir.file("lookup.yaml"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: invalid config value models.dom: lookup.yaml, line 12: "
                         "stocks.lookup gives no above-ground biomass"),
              std::string::npos)
        << r.err;
}

TEST(Integration, PixelsTheSoilModelMakesInvalidHoldNoCarbon) {
    // Soil code nodata at one forest pixel (col 25, row 5): the forest class needs the soil
    // stratum (mode reference), so the soil model marks the pixel nodata in both epochs, and
    // its other pools (above 100 + below 20 + dead 5) must not reach the totals either.
    Scenario s;
    RasterSpec soil_spec = s.spec;
    std::vector<double> soil(40 * 30, 1);
    soil[5 * 40 + 25] = 255;
    write_raster(s.dir.file("zone.tif"), s.spec, std::vector<double>(40 * 30, 3));
    write_raster(s.dir.file("soil.tif"), soil_spec, soil);
    write_text(s.dir.file("soil_management.csv"),
               "lucode,mode,land_use,lu_level,mg_level,i_level\n"
               "1,factors,cropland,long_term_cultivated,full_tillage,medium\n"
               "2,reference,,,,\n"
               "3,table,,,,\n");
    const auto r =
        run_carbonsink("run " +
                       s.config("", "  soil:\n    method: ipcc_tier1\n    climate_zone: zone.tif\n"
                                    "    soil_type: soil.tif\n    soil_types:\n      1: hac\n"
                                    "    management: soil_management.csv\n") +
                       " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // 2010: 600 px cropland (13 + 81 x 0.70 = 69.7) + 599 valid forest px (125 + 81 = 206):
    // 0.09 x (600 x 69.7 + 599 x 206) = 0.09 x 165214 = 14869.26.
    const std::string h5 = s.dir.file("out/results.h5");
    const auto total = h5_read(h5, "/stocks/total_mg_c");
    EXPECT_NEAR(total.values[0], 14869.26, 1e-6);
    const auto counts = h5_read(h5, "/provenance/pixel_status_count"); // [E, 5]
    EXPECT_EQ(counts.values[1], 1);
    for (std::size_t e = 0; e < 2; ++e) {
        const std::string tif = s.dir.file(e == 0 ? "out/stock_2010.tif" : "out/stock_2020.tif");
        EXPECT_NEAR(tif_sum(tif) * PX_HA, total.values[e], 1e-6 * total.values[e]);
    }
}

namespace {
/// The scenario with flux.gain_loss (tier1): forest type 1 everywhere, stand age 10 yr in
/// columns 20-29 and 30 yr in columns 30-39 at 2010 (0 elsewhere), the growth table's type 1 =
/// IPCC Tier 1 subtropical humid forest, Asia, natural (ipcc_tier1_growth.csv: r0 2.5, r20 1.0,
/// K20 = Kmax = 258.4 t/ha, root:shoot 0.23 below 125 t/ha, 0.25 above), CF 0.47.
std::string gain_loss_config(const Scenario &s, const std::string &flux_extra = "",
                             const std::string &sink_block = "") {
    RasterSpec spec = s.spec;
    spec.type = "Float32";
    spec.nodata = -1;
    std::vector<double> age(40 * 30, 0), ft(40 * 30, 1);
    for (int r = 0; r < 30; ++r) {
        for (int c = 20; c < 40; ++c) {
            age[r * 40 + c] = c < 30 ? 10 : 30;
        }
    }
    write_raster(s.dir.file("age.tif"), spec, age);
    RasterSpec tspec = s.spec;
    tspec.type = "Byte";
    tspec.nodata = 0;
    write_raster(s.dir.file("ftype.tif"), tspec, ft);
    write_text(s.dir.file("growth.csv"),
               "code,name,ecozone,continent,growth_forest_type,carbon_fraction,source\n"
               "1,natural forest,subtropical_humid_forest,asia,natural,0.47,test\n");
    std::string cfg = read_text(s.config(VECTOR_DISTRICTS));
    const std::string sink = "  sink:\n    method: stock_difference\n";
    cfg.replace(cfg.find(sink), sink.size(),
                (sink_block.empty() ? sink : sink_block) +
                    "  flux:\n    method: gain_loss\n    growth: tier1\n"
                    "    forest_classes: [2]\n    forest_type: ftype.tif\n    age: age.tif\n"
                    "    growth_table: growth.csv\n" +
                    flux_extra);
    write_text(s.dir.file("gl.yaml"), cfg);
    return s.dir.file("gl.yaml");
}

double district_value(const std::vector<std::vector<std::string>> &rows, int64_t id,
                      const std::string &column) {
    for (std::size_t i = 1; i < rows.size(); ++i) {
        if (rows[i].at(0) == std::to_string(id)) {
            return cell(rows, i, column);
        }
    }
    ADD_FAILURE() << "no district " << id;
    return NAN;
}
} // namespace

TEST(Integration, GainLossTier1GrowthAndConversionByHand) {
    Scenario s;
    const auto r = run_carbonsink("run " + gain_loss_config(s) + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Gain-loss pools (default): above_ground + below_ground. Forest remaining forest:
    //   age 10 -> 20: AGB 25 -> 50 t/ha, G_W = 2.5; AGB 25 < 125 so R = 0.23:
    //     2.5 x 1.23 x 0.47 = 1.44525 Mg C/ha/yr
    //   age 30 -> 40: AGB 60 -> 70, G_W = 1.0; AGB 60 < 125: 1.0 x 1.23 x 0.47 = 0.5781
    // Conversions, (C_2020 - C_2010) / 10 of above + below: cropland -> forest (12 -> 120):
    //   +10.8; forest -> settlement (120 -> 0): -12. Other pools (soil + dead) by stock
    //   difference: cropland -> forest 51 -> 85: +3.4; forest -> settlement 85 -> 30: -5.5.
    const double g10 = 2.5 * 1.23 * 0.47;
    const double g30 = 1.0 * 1.23 * 0.47;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    // A (columns 0-19): 200 afforested px, 399 cropland, 1 nodata.
    EXPECT_NEAR(district_value(rows, 11, "stock_change_mg_c_per_yr_2010_2020"),
                PX_HA * 200 * (10.8 + 3.4), 1e-9);
    EXPECT_NEAR(district_value(rows, 11, "gain_loss_mg_c_per_yr_2010_2020"), PX_HA * 200 * 10.8,
                1e-9);
    // B (columns 20-39, rows 0-14): 150 px at age 10, 150 px at age 30, all forest remaining
    // forest. A stock difference would give 0 here.
    EXPECT_NEAR(district_value(rows, 22, "stock_change_mg_c_per_yr_2010_2020"),
                PX_HA * 150 * (g10 + g30), 1e-9);
    EXPECT_NEAR(district_value(rows, 22, "gain_loss_mg_c_per_yr_2010_2020"),
                PX_HA * 150 * (g10 + g30), 1e-9);
    // C (columns 20-39, rows 15-29): 150 px at age 10, 50 px at age 30, 100 px deforested.
    EXPECT_NEAR(district_value(rows, 33, "stock_change_mg_c_per_yr_2010_2020"),
                PX_HA * (150 * g10 + 50 * g30 + 100 * (-12 - 5.5)), 1e-9);
    EXPECT_NEAR(district_value(rows, 33, "gain_loss_mg_c_per_yr_2010_2020"),
                PX_HA * (150 * g10 + 50 * g30 - 100 * 12), 1e-9);
    const std::string h5 = s.dir.file("out/results.h5");
    EXPECT_EQ(h5_attr(h5, "/", "sink_model"),
              "flux.gain_loss (tier1 growth; pools above_ground, below_ground) + "
              "flux.stock_difference (pools soil, dead_organic_matter)");
    const auto gl = h5_read(h5, "/flux/gain_loss_mg_c_per_yr"); // [3, 1], ascending ids
    ASSERT_EQ(gl.values.size(), 3u);
    EXPECT_NEAR(gl.values[1], PX_HA * 150 * (g10 + g30), 1e-9);
    // The per-pixel change raster holds the same per-hectare values.
    int w = 0, h = 0;
    const auto ch = read_tif(s.dir.file("out/stock_change_2010_2020.tif"), w, h);
    ASSERT_EQ(ch.size(), 1200u);
    EXPECT_NEAR(ch[0 * 40 + 25], g10, 1e-6);
    EXPECT_NEAR(ch[0 * 40 + 35], g30, 1e-6);
    EXPECT_NEAR(ch[25 * 40 + 35], -17.5, 1e-5);
    EXPECT_NEAR(ch[0 * 40 + 5], 14.2, 1e-5);
}

TEST(Integration, GainLossWithVolumeIncrementByHand) {
    Scenario s;
    std::string cfg = read_text(inventory_config(s, FOREST_TYPES));
    RasterSpec spec = s.spec;
    spec.type = "Float32";
    spec.nodata = -1;
    write_raster(s.dir.file("iv.tif"), spec, std::vector<double>(40 * 30, 5));
    cfg += "  flux:\n    method: gain_loss\n    growth: volume_increment\n"
           "    volume_increment: iv.tif\n";
    write_text(s.dir.file("glv.yaml"), cfg);
    const auto r = run_carbonsink("run " + s.dir.file("glv.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Whole grid (one district). I_V = 5 m3/ha/yr; V(2010) = 100 everywhere.
    //   Fir (China CBEF, a 0.4652, CF 0.5; B includes roots): 0.4652 x 5 x 0.5 = 1.163
    //   Pines (IPCC): BCEF_I 0.6 for 40 < V <= 100 (Table 4.5 temperate pines); AGB = 100 x
    //   0.75 = 75 -> R 0.29 (temperate conifers 50-150); CF 0.47: 5 x 0.6 x 1.29 x 0.47 = 1.8189
    // Forest remaining forest: 300 px fir (columns 20-29), 200 px pines (columns 30-39, rows
    // 0-19). Afforested 200 px (cropland -> fir at V 50): gain-loss pools (above, below, CBEF)
    // 12 -> (0.4652 x 50 + 19.141) x 0.5 = 21.2005, (21.2005 - 12)/10 = 0.92005; soil + dead
    // 51 -> 85: +3.4. Deforested 100 px (pines V 100 -> settlement): gain-loss pools
    // 75 x 1.29 x 0.47 = 45.4725 -> 0: -4.54725; soil + dead 85 -> 30: -5.5.
    const double gl = PX_HA * (300 * 1.163 + 200 * 1.8189 + 200 * 0.92005 - 100 * 4.54725);
    const double total = gl + PX_HA * (200 * 3.4 - 100 * 5.5);
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    EXPECT_NEAR(cell(rows, 1, "gain_loss_mg_c_per_yr_2010_2020"), gl, 1e-9);
    EXPECT_NEAR(cell(rows, 1, "stock_change_mg_c_per_yr_2010_2020"), total, 1e-9);
}

// Losses (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14) on the inventory scenario with three vector
// districts, worked by hand per district, and the mass balance of every district:
// gain_loss = growth + conversion - wood removals - fuelwood - disturbance.
TEST(Integration, GainLossLossesByHandAndMassBalancePerDistrict) {
    Scenario s;
    std::string cfg = read_text(inventory_config(s, FOREST_TYPES));
    RasterSpec spec = s.spec;
    spec.type = "Float32";
    spec.nodata = -1;
    std::vector<double> harvest(40 * 30, 0), fuelwood(40 * 30, 0), disturbed(40 * 30, 0);
    std::vector<double> dtype(40 * 30, 1);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 40; ++c) {
            const int i = r * 40 + c;
            if (c >= 20 && c < 25) {
                harvest[i] = 2; // fir
            } else if (c >= 25 && c < 30) {
                fuelwood[i] = 0.5; // fir
            } else if (c >= 30 && c < 35) {
                harvest[i] = r < 20 ? 1 : 3; // pines; rows 20-29 are deforested: ignored
            } else if (c >= 35) {
                disturbed[i] = 0.125; // pines and deforested (ignored); exact in Float32
                dtype[i] = 2;
            }
        }
    }
    write_raster(s.dir.file("harvest.tif"), spec, harvest);
    write_raster(s.dir.file("fuelwood.tif"), spec, fuelwood);
    write_raster(s.dir.file("disturbed.tif"), spec, disturbed);
    RasterSpec tspec = s.spec;
    tspec.type = "Byte";
    tspec.nodata = 0;
    write_raster(s.dir.file("dtype.tif"), tspec, dtype);
    write_text(s.dir.file("fd.csv"), "code,name,fd,source,status\n"
                                     "1,none,0,no disturbance,V\n"
                                     "2,storm,0.5,test value,U\n");
    write_raster(s.dir.file("iv.tif"), spec, std::vector<double>(40 * 30, 5));
    cfg += "  flux:\n    method: gain_loss\n    growth: volume_increment\n"
           "    volume_increment: iv.tif\n"
           "    harvest_volume:\n      2010-2020: harvest.tif\n"
           "    fuelwood_volume: fuelwood.tif\n"
           "    disturbed_fraction: disturbed.tif\n"
           "    disturbance_type: dtype.tif\n"
           "    disturbance_table: fd.csv\n";
    // Districts A (11) and B (22) in city 210, C (33) in city 220.
    std::string features;
    for (const auto &[id, city, c0, r0, c1, r1] :
         std::vector<std::tuple<int, int, int, int, int, int>>{
             {11, 210, 0, 0, 20, 30}, {22, 210, 20, 0, 40, 15}, {33, 220, 20, 15, 40, 30}}) {
        const double x0 = s.spec.origin_x + c0 * 30.0, x1 = s.spec.origin_x + c1 * 30.0;
        const double y0 = s.spec.origin_y - r0 * 30.0, y1 = s.spec.origin_y - r1 * 30.0;
        char buf[600];
        std::snprintf(buf, sizeof buf,
                      R"({"type": "Feature", "properties": {"code": %d, "name": "d%d", "city": %d},
 "geometry": {"type": "Polygon", "coordinates": [[[%f, %f], [%f, %f], [%f, %f], [%f, %f], [%f, %f]]]}})",
                      id, id, city, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
        features += (features.empty() ? "" : ",\n") + std::string(buf);
    }
    write_text(s.dir.file("levels.geojson"),
               R"({"type": "FeatureCollection",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6933"}},
"features": [
)" + features + "]}\n");
    cfg += "districts:\n  path: levels.geojson\n  id_field: code\n  name_field: name\n"
           "  parents:\n    - level: city\n      id_field: city\n";
    write_text(s.dir.file("losses.yaml"), cfg);
    const auto r = run_carbonsink("run " + s.dir.file("losses.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The fd row with status U is warned.
    EXPECT_NE(r.err.find("disturbance type 2 (storm): fd 0.5"), std::string::npos) << r.err;
    // Per pixel, Mg C/ha/yr, over 2010-2020 (10 yr), V(2010) = 100, I_V = 5:
    //   fir (a 0.4652, CF 0.5, roots included): growth 0.4652 x 5 x 0.5 = 1.163;
    //     H 2: 2 x 0.4652 x 0.5 = 0.4652; FG_trees 0.5: 0.5 x 0.4652 x 0.5 = 0.1163
    //   pines (BCEF_R 0.83 for 40 < V <= 100, R 0.29, CF 0.47): growth 1.8189;
    //     H 1: 1 x 0.83 x 1.29 x 0.47 = 0.503229;
    //     disturbed 12.5 % by storm (fd 0.5) of 75 x 1.29 x 0.47 = 45.4725 Mg C/ha:
    //     0.125 / 10 x 45.4725 x 0.5 = 0.284203125
    //   deforested pines (columns 30-39, rows 20-29): (0 - 45.4725) / 10, losses ignored
    //   afforested cropland (columns 0-19, rows 0-9): (21.2005 - 12) / 10 = 0.92005
    const double fir_g = 1.163, fir_h = 0.4652, fir_f = 0.1163;
    const double pin_g = 1.8189, pin_h = 0.503229, pin_d = 0.284203125;
    struct Expected {
        double growth, removals, fuelwood, disturbance, conversion;
    };
    // District rows of districts.csv are ordered by id: 11 (A), 22 (B), 33 (C).
    // A: columns 0-19: 200 px afforested, the rest cropland (0) or invalid.
    // B: columns 20-39, rows 0-14: fir 150 px (75 harvest, 75 fuelwood), pines 150 px (75
    //    harvest, 75 disturbed).
    // C: rows 15-29: fir 150 px (75 + 75), pines rows 15-19 50 px (25 harvest, 25 disturbed),
    //    deforested 100 px.
    const Expected expected[] = {
        {0, 0, 0, 0, 200 * 0.92005},
        {150 * fir_g + 150 * pin_g, 75 * fir_h + 75 * pin_h, 75 * fir_f, 75 * pin_d, 0},
        {150 * fir_g + 50 * pin_g, 75 * fir_h + 25 * pin_h, 75 * fir_f, 25 * pin_d,
         -100 * 4.54725}};
    // results.h5 by hand, then the mass balance of every district: the change of the live pools
    // is growth and conversion minus what moved out of them (relative to the largest term).
    const std::string h5 = s.dir.file("out/results.h5");
    const auto gl = h5_read(h5, "/flux/gain_loss_mg_c_per_yr");
    std::vector<std::vector<double>> parts;
    for (const char *name : {"growth", "wood_removals", "fuelwood", "disturbance", "conversion"}) {
        parts.push_back(
            h5_read(h5, std::string("/flux/gain_loss/") + name + "_mg_c_per_yr").values);
        ASSERT_EQ(parts.back().size(), 3u);
    }
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    const std::string p = "_mg_c_per_yr_2010_2020";
    for (std::size_t d = 0; d < 3; ++d) {
        const Expected &e = expected[d];
        const double want[] = {e.growth, e.removals, e.fuelwood, e.disturbance, e.conversion};
        const char *names[] = {"growth", "wood_removals", "fuelwood", "disturbance", "conversion"};
        double scale = 0.0;
        for (std::size_t j = 0; j < 5; ++j) {
            EXPECT_NEAR(parts[j][d], PX_HA * want[j], 1e-9) << d << " " << names[j];
            // districts.csv has the same figures with 6 decimals
            EXPECT_NEAR(cell(rows, d + 1, names[j] + p), PX_HA * want[j], 5.000001e-7) << d;
            scale = std::max(scale, std::fabs(parts[j][d]));
        }
        EXPECT_NEAR(gl.values[d],
                    PX_HA * (e.growth + e.conversion - e.removals - e.fuelwood - e.disturbance),
                    1e-9)
            << d;
        const double balance = parts[0][d] + parts[4][d] - parts[1][d] - parts[2][d] - parts[3][d];
        EXPECT_NEAR(gl.values[d], balance, 1e-13 * scale) << d;
    }
    // The parent level sums its districts: city 210 = A + B, 220 = C.
    for (std::size_t j = 0; j < 5; ++j) {
        const char *names[] = {"growth", "wood_removals", "fuelwood", "disturbance", "conversion"};
        const auto city =
            h5_read(h5, std::string("/levels/city/gain_loss/") + names[j] + "_mg_c_per_yr").values;
        ASSERT_EQ(city.size(), 2u);
        EXPECT_NEAR(city[0], parts[j][0] + parts[j][1], 1e-9) << names[j];
        EXPECT_NEAR(city[1], parts[j][2], 1e-9) << names[j];
    }
    EXPECT_EQ(gdal_read_problems(h5), "");
    EXPECT_EQ(h5_attr(h5, "/flux/gain_loss/wood_removals_mg_c_per_yr", "units"), "Mg C/yr");
    EXPECT_EQ(h5_attr(h5, "/", "sink_model"),
              "flux.gain_loss (volume_increment growth; pools above_ground, below_ground, "
              "live_biomass_cbef; losses: wood removals, fuelwood, disturbance) + "
              "flux.stock_difference (pools soil, dead_organic_matter)");
}

// Loss rasters per period with three epochs: each period reads its own raster (the per-period
// layers of the runner), and 1 vs 3 threads give byte-identical outputs.
TEST(Integration, GainLossLossRastersPerPeriodAndThreadIdentity) {
    Scenario s;
    std::string cfg = read_text(inventory_config(s, FOREST_TYPES));
    RasterSpec spec = s.spec;
    spec.type = "Float32";
    spec.nodata = -1;
    write_raster(s.dir.file("vol2030.tif"), spec, std::vector<double>(40 * 30, 150));
    write_raster(s.dir.file("iv.tif"), spec, std::vector<double>(40 * 30, 5));
    write_raster(s.dir.file("h1.tif"), spec, std::vector<double>(40 * 30, 1));
    write_raster(s.dir.file("h2.tif"), spec, std::vector<double>(40 * 30, 2));
    std::filesystem::copy_file(s.dir.file("lc2020.tif"), s.dir.file("lc2030.tif"));
    cfg =
        replace_once(cfg, "    2020: lc2020.tif\n", "    2020: lc2020.tif\n    2030: lc2030.tif\n");
    cfg = replace_once(cfg, "      2020: vol2020.tif\n",
                       "      2020: vol2020.tif\n      2030: vol2030.tif\n");
    cfg += "  flux:\n    method: gain_loss\n    growth: volume_increment\n"
           "    volume_increment: iv.tif\n"
           "    harvest_volume:\n      2020-2030: h2.tif\n      2010-2020: h1.tif\n"
           "processing:\n  block_cells: 256\n  tile_size: 16\n";
    write_text(s.dir.file("periods.yaml"), cfg);
    const std::string env = "SOURCE_DATE_EPOCH=1700000000";
    const auto r = run_carbonsink("run " + s.dir.file("periods.yaml") +
                                      " --quiet --threads 1 --output-dir " + s.dir.file("t1"),
                                  env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Removals, Mg C/ha/yr: fir (China CBEF, a 0.4652, CF 0.5) H x 0.4652 x 0.5; pines at
    // V(2010) 100: H x 0.83 x 1.29 x 0.47, at V(2020) 150 (Table 4.5 class 100-200: BCEF_R
    // 0.77, AGB 150 x 0.70 = 105 -> R 0.29): H x 0.77 x 1.29 x 0.47.
    // 2010-2020, H 1: 300 px fir remaining fir, 200 px pines remaining pines.
    // 2020-2030, H 2: the 200 afforested px are fir remaining fir too: 500 px fir, 200 px pines.
    const double p1 = PX_HA * (300 * 1 * 0.4652 * 0.5 + 200 * 1 * 0.83 * 1.29 * 0.47);
    const double p2 = PX_HA * (500 * 2 * 0.4652 * 0.5 + 200 * 2 * 0.77 * 1.29 * 0.47);
    const auto removals =
        h5_read(s.dir.file("t1/results.h5"), "/flux/gain_loss/wood_removals_mg_c_per_yr");
    ASSERT_EQ(removals.values.size(), 2u);
    EXPECT_NEAR(removals.values[0], p1, 1e-9);
    EXPECT_NEAR(removals.values[1], p2, 1e-9);
    const auto r3 = run_carbonsink("run " + s.dir.file("periods.yaml") +
                                       " --quiet --threads 3 --output-dir " + s.dir.file("t3"),
                                   env);
    ASSERT_EQ(r3.exit_code, 0) << r3.err;
    for (const char *f : {"results.h5", "districts.csv", "stock_change_2020_2030.tif"}) {
        EXPECT_TRUE(
            files_identical(s.dir.file(std::string("t1/") + f), s.dir.file(std::string("t3/") + f)))
            << f << " differs between 1 and 3 threads";
    }
}

TEST(Errors, GainLossAndStockDifferenceNeverShareAPool) {
    Scenario s;
    // Explicit lists that overlap: refused by the config check.
    auto r = run_carbonsink("validate " +
                            gain_loss_config(s, "    pools: [above_ground, below_ground]\n",
                                             "  sink:\n    method: stock_difference\n"
                                             "    pools: [above_ground, soil, "
                                             "dead_organic_matter]\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("conflicting config values models.sink.pools and models.flux.pools"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("pool \"above_ground\" is estimated by both stock difference and "
                         "gain-loss"),
              std::string::npos)
        << r.err;
    // sink.pools overlapping the default gain-loss pools.
    r = run_carbonsink("validate " + gain_loss_config(s, "",
                                                      "  sink:\n    method: stock_difference\n"
                                                      "    pools: [below_ground, soil, "
                                                      "dead_organic_matter]\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("pool \"below_ground\" is estimated by both"), std::string::npos) << r.err;
    // A pool in neither list.
    r = run_carbonsink("validate " + gain_loss_config(s, "",
                                                      "  sink:\n    method: "
                                                      "stock_difference\n    pools: "
                                                      "[soil]\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("pool \"dead_organic_matter\" is in neither models.sink.pools nor the "
                         "gain-loss pools"),
              std::string::npos)
        << r.err;
    // An unknown pool name.
    r = run_carbonsink("validate " + gain_loss_config(s, "    pools: [above]\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("invalid config value models.flux.pools: gl.yaml, line"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("\"above\" is not a pool of stocks.lookup; its pools: above_ground, "
                         "below_ground, soil, dead_organic_matter"),
              std::string::npos)
        << r.err;
}

TEST(Errors, GainLossInputProblems) {
    Scenario s;
    // A forest-type code of the raster missing from the growth table, listed with the raster.
    std::string path = gain_loss_config(s);
    write_text(s.dir.file("growth.csv"),
               "code,ecozone,continent,growth_forest_type,carbon_fraction\n"
               "7,subtropical_humid_forest,asia,natural,0.47\n");
    auto r = run_carbonsink("validate " + path);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("1 forest type code is not in the growth table (growth.csv): 1"),
              std::string::npos)
        << r.err;
    // An unknown growth row names the valid forest types of that ecozone and continent.
    write_text(s.dir.file("growth.csv"),
               "code,ecozone,continent,growth_forest_type,carbon_fraction\n"
               "1,subtropical_humid_forest,asia,naturel,0.47\n");
    r = run_carbonsink("validate " + path);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("invalid growth table: models.flux.growth_table (growth.csv), line 2: "
                         "forest type 1: ecozone/continent/growth_forest_type "
                         "\"subtropical_humid_forest/asia/naturel\" is not in "
                         "ipcc_tier1_growth.csv; forest types of subtropical_humid_forest/asia:"),
              std::string::npos)
        << r.err;
    // Unknown growth with a suggestion; volume_increment without the inventory.
    std::string cfg = read_text(path);
    cfg.replace(cfg.find("growth: tier1"), 13, "growth: tier2");
    write_text(path, cfg);
    r = run_carbonsink("validate " + path);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown growth \"tier2\"; available: tier1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(did you mean \"tier1\"?)"), std::string::npos) << r.err;
    cfg.replace(cfg.find("growth: tier2"), 13, "growth: volume_increment");
    write_text(path, cfg);
    r = run_carbonsink("validate " + path);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("volume_increment needs models.stocks.method inventory"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("invalid config key \"models.flux.age\""), std::string::npos) << r.err;
    // Without forest classes (stocks.lookup has none of its own).
    path = gain_loss_config(s);
    cfg = read_text(path);
    cfg.replace(cfg.find("    forest_classes: [2]\n"), 24, "");
    write_text(path, cfg);
    r = run_carbonsink("validate " + path);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("missing config key \"models.flux.forest_classes\""), std::string::npos)
        << r.err;
}
