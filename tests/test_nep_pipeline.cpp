// models.nep end to end through the CLI: a hand-worked two-district, 14-month run across two
// years with a land-cover change between them (issue 10 item 8). Expected values are worked out
// here from the layers written and science.md §5.2 (R_H), never from the program's output.
#include "h5_read.hpp"
#include "test_support.hpp"

#include <gdal.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using namespace cs::test;

namespace {

constexpr int W = 40;
constexpr int H = 10;
constexpr int MONTHS = 14; // 2020-11 .. 2021-12
/// EPSG:6933 is equal-area: every 30 m pixel is 0.09 ha.
constexpr double PIXEL_HA = 0.09;

int year_of(int m) { return m < 2 ? 2020 : 2021; }
int month_of(int m) { return m < 2 ? 11 + m : m - 1; }

/// Land cover: 2020 cropland (1) west of column 20, forest (2) from column 20; 2021 forest
/// everywhere but pixel (row 3, column 25), nodata.
int land_cover(int epoch, int r, int c) {
    if (epoch == 0) {
        return c < 20 ? 1 : 2;
    }
    return r == 3 && c == 25 ? 255 : 2;
}

/// Uniform monthly fields: NPP 10 (m + 1) g C m-2, T = m - 3 °C, P = 10 m mm.
double npp_of(int m) { return 10.0 * (m + 1); }
double t_of(int m) { return m - 3.0; }
double p_of(int m) { return 10.0 * m; }

/// Pei et al. R_H as science.md §5.2 prints it: 0.22 [exp(0.0912 T) + ln(0.3145 P + 1)] x 30 x
/// 46.5 %, g C m-2 per month.
double rh_of(int m) {
    return 0.22 * (std::exp(0.0912 * t_of(m)) + std::log(0.3145 * p_of(m) + 1.0)) * 30.0 * 0.465;
}

/// Pixels with NEP in month m of district d (0 west, 1 east), coverage-weighted: the district
/// boundary runs through the middle of column 20. Only forest (2) has a CASA type.
double valid_pixels(int d, int m) {
    if (year_of(m) == 2020) {
        return d == 0 ? 0.5 * H : 19.5 * H; // forest from column 20
    }
    return d == 0 ? 20.5 * H : 19.5 * H - 1.0; // one nodata pixel in the east
}
double invalid_pixels(int d, int m) {
    if (year_of(m) == 2020) {
        return d == 0 ? 20.0 * H : 0.0; // cropland: no CASA type
    }
    return d == 0 ? 0.0 : 1.0;
}

/// Band 1 of a GeoTIFF as floats, with its description and unit.
struct Band {
    std::vector<float> values;
    std::string description;
    std::string unit;
};
Band read_band(const std::string &path) {
    Band b;
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    if (ds == nullptr) {
        return b;
    }
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    b.values.resize(static_cast<std::size_t>(W * H));
    if (GDALRasterIO(band, GF_Read, 0, 0, W, H, b.values.data(), W, H, GDT_Float32, 0, 0) !=
        CE_None) {
        b.values.clear();
    }
    b.description = GDALGetDescription(band);
    b.unit = GDALGetRasterUnitType(band);
    GDALClose(ds);
    return b;
}

class NepPipeline : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new TempDir();
        RasterSpec spec;
        spec.width = W;
        spec.height = H;
        spec.epsg = 6933;
        for (int e = 0; e < 2; ++e) {
            std::vector<double> lc(W * H);
            for (int r = 0; r < H; ++r) {
                for (int c = 0; c < W; ++c) {
                    lc[r * W + c] = land_cover(e, r, c);
                }
            }
            write_raster(dir->file(e == 0 ? "lc2020.tif" : "lc2021.tif"), spec, lc);
        }
        RasterSpec f = spec;
        f.type = "Float32";
        f.nodata = -9999;
        for (int m = 0; m < MONTHS; ++m) {
            char ym[16];
            std::snprintf(ym, sizeof ym, "%04d%02d", year_of(m), month_of(m));
            write_raster(dir->file(std::string("npp_") + ym + ".tif"), f,
                         std::vector<double>(W * H, npp_of(m)));
            write_raster(dir->file(std::string("t_") + ym + ".tif"), f,
                         std::vector<double>(W * H, t_of(m)));
            write_raster(dir->file(std::string("p_") + ym + ".tif"), f,
                         std::vector<double>(W * H, p_of(m)));
        }
        write_text(dir->file("pools.csv"), "lucode,LULC_Name,C_above,c_below,c_soil,c_dead\n"
                                           "1,cropland,10,2,50,1\n"
                                           "2,forest,100,20,80,5\n");
        write_text(dir->file("casa_types.csv"), "lucode,casa_type,note\n"
                                                "2,grassland,forest mapped for the test\n");
        const double x0 = 500000.0;
        const double y0 = 4600000.0;
        const double mid = x0 + 20.5 * 30.0;
        write_polygons(
            dir->file("districts.gpkg"), 6933,
            {{1, "west", {{{x0, y0}, {mid, y0}, {mid, y0 - H * 30.0}, {x0, y0 - H * 30.0}}}},
             {2,
              "east",
              {{{mid, y0},
                {x0 + W * 30.0, y0},
                {x0 + W * 30.0, y0 - H * 30.0},
                {mid, y0 - H * 30.0}}}}});
        write_text(dir->file("run.yaml"), "name: seasonal\n"
                                          "output_dir: out\n"
                                          "land_cover:\n"
                                          "  epochs:\n"
                                          "    2020: lc2020.tif\n"
                                          "    2021: lc2021.tif\n"
                                          "districts:\n"
                                          "  path: districts.gpkg\n"
                                          "  id_field: code\n"
                                          "  name_field: name\n"
                                          "models:\n"
                                          "  stocks:\n"
                                          "    method: lookup\n"
                                          "    table: pools.csv\n"
                                          "  nep:\n"
                                          "    method: npp_raster\n"
                                          "    months: [2020-11, 2021-12]\n"
                                          "    vegetation: casa_types.csv\n"
                                          "    layers:\n"
                                          "      npp_g_c_per_m2: npp_{yyyy}{mm}.tif\n"
                                          "      temperature_c: t_{yyyy}{mm}.tif\n"
                                          "      precipitation_mm: p_{yyyy}{mm}.tif\n"
                                          "processing:\n"
                                          "  block_cells: 256\n"
                                          "  tile_size: 16\n"
                                          "  checkpoint: false\n");
    }
    static void TearDownTestSuite() {
        delete dir;
        dir = nullptr;
    }
    static CliResult run(int threads, const std::string &out) {
        return run_carbonsink("run " + dir->file("run.yaml") + " --quiet --threads " +
                                  std::to_string(threads) + " --output-dir " + dir->file(out),
                              "SOURCE_DATE_EPOCH=1");
    }
    static TempDir *dir;
};
TempDir *NepPipeline::dir = nullptr;

} // namespace

TEST_F(NepPipeline, MonthlyDistrictSumsAreTheHandWorkedValues) {
    const auto r = run(2, "out");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = dir->file("out/results.h5");
    const auto month = h5_read(h5, "/nep/month");
    ASSERT_EQ(month.values.size(), static_cast<std::size_t>(MONTHS));
    EXPECT_EQ(month.values.front(), 202011);
    EXPECT_EQ(month.values[2], 202101);
    EXPECT_EQ(month.values.back(), 202112);
    const auto npp = h5_read(h5, "/nep/npp_mg_c");
    const auto rh = h5_read(h5, "/nep/rh_mg_c");
    const auto nep = h5_read(h5, "/nep/nep_mg_c");
    const auto invalid = h5_read(h5, "/nep/invalid_area_ha");
    ASSERT_EQ(nep.shape, (std::vector<uint64_t>{2, MONTHS}));
    for (int d = 0; d < 2; ++d) {
        for (int m = 0; m < MONTHS; ++m) {
            SCOPED_TRACE("district " + std::to_string(d) + ", month " + std::to_string(m));
            // g C m-2 x 0.01 (Mg C ha-1 per g C m-2) x ha
            const double ha = valid_pixels(d, m) * PIXEL_HA;
            const std::size_t i = static_cast<std::size_t>(d * MONTHS + m);
            EXPECT_NEAR(npp.values[i], npp_of(m) * 0.01 * ha, 1e-9);
            EXPECT_NEAR(rh.values[i], rh_of(m) * 0.01 * ha, 1e-9);
            EXPECT_NEAR(nep.values[i], (npp_of(m) - rh_of(m)) * 0.01 * ha, 1e-9);
            EXPECT_NEAR(invalid.values[i], invalid_pixels(d, m) * PIXEL_HA, 1e-9);
        }
    }
    // By hand for one figure: the east in 2021-01 (m = 2): 194 pixels x 0.09 ha = 17.46 ha;
    // NPP 30 g C m-2 -> 0.3 Mg C/ha -> 5.238 Mg C.
    EXPECT_NEAR(npp.values[MONTHS + 2], 5.238, 1e-9);
    // R_H(T = 20 °C, P = 100 mm) = 29.7 g C m-2 per month (science.md §5.2) holds for the
    // formula used here.
    EXPECT_NEAR(0.22 * (std::exp(0.0912 * 20) + std::log(0.3145 * 100 + 1)) * 30 * 0.465, 29.7,
                0.05);
    // Seasons: 2020-11 is SON 2020 (one month), 2020-12 .. 2021-02 DJF 2021, then MAM, JJA,
    // SON 2021, and 2021-12 opens DJF 2022.
    EXPECT_EQ(h5_strings(h5, "/nep/season_name"),
              (std::vector<std::string>{"SON", "DJF", "MAM", "JJA", "SON", "DJF"}));
    EXPECT_EQ(h5_read(h5, "/nep/season_year").values,
              (std::vector<double>{2020, 2021, 2021, 2021, 2021, 2022}));
    const auto season = h5_read(h5, "/nep/season_nep_mg_c");
    ASSERT_EQ(season.shape, (std::vector<uint64_t>{2, 6}));
    double djf = 0.0;
    for (int m = 1; m <= 3; ++m) {
        djf += nep.values[static_cast<std::size_t>(m)];
    }
    EXPECT_NEAR(season.values[1], djf, 1e-9);
    const auto annual = h5_read(h5, "/nep/annual_nep_mg_c");
    ASSERT_EQ(annual.shape, (std::vector<uint64_t>{2, 2}));
    double y2021 = 0.0;
    for (int m = 2; m < MONTHS; ++m) {
        y2021 += (npp_of(m) - rh_of(m)) * 0.01 * valid_pixels(1, m) * PIXEL_HA;
    }
    EXPECT_NEAR(annual.values[3], y2021, 1e-9);
    EXPECT_EQ(h5_read(h5, "/nep/year_months").values, (std::vector<double>{2, 12}));
    // The class without a CASA type is warned and counted: 200 cropland pixels x 2 months.
    EXPECT_NE(r.err.find("warning: models.nep.npp_raster: 400 pixel-months have a land-cover "
                         "class without a CASA vegetation type in models.nep.vegetation "
                         "(casa_types.csv); they have no NEP and count as invalid area "
                         "(2020-11: 200, 2020-12: 200)"),
              std::string::npos)
        << r.err;
    const auto warnings = h5_strings(h5, "/provenance/warnings");
    EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(), [](const std::string &w) {
        return w.find("400 pixel-months") != std::string::npos;
    }));
    // nep_monthly.csv: tidy, one row per district and month; the east in 2021-01.
    const std::string csv = read_text(dir->file("out/nep_monthly.csv"));
    EXPECT_EQ(csv.substr(0, csv.find('\n')),
              "district_id,district_name,month,npp_mg_c,rh_mg_c,nep_mg_c,net_emissions_mg_co2,"
              "invalid_area_ha");
    char row[256];
    const double nep_e = (npp_of(2) - rh_of(2)) * 0.01 * valid_pixels(1, 2) * PIXEL_HA;
    std::snprintf(row, sizeof row, "\n2,east,2021-01,5.238000,%.6f,%.6f,%.6f,0.090000\n",
                  rh_of(2) * 0.01 * valid_pixels(1, 2) * PIXEL_HA, nep_e, -44.0 / 12.0 * nep_e);
    EXPECT_NE(csv.find(row), std::string::npos) << row << csv;
}

TEST_F(NepPipeline, AnnualAndMonthlyNepMapsInGramsPerSquareMetre) {
    std::string cfg = read_text(dir->file("run.yaml"));
    cfg += "outputs:\n  monthly_rasters: true\n";
    write_text(dir->file("run-maps.yaml"), cfg);
    const auto r = run_carbonsink("run " + dir->file("run-maps.yaml") + " --quiet --output-dir " +
                                      dir->file("maps"),
                                  "SOURCE_DATE_EPOCH=1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // nep_2021.tif: per pixel the sum of NPP - R_H over 2021's twelve months, g C m-2.
    double y2021 = 0.0;
    for (int m = 2; m < MONTHS; ++m) {
        y2021 += npp_of(m) - rh_of(m);
    }
    const Band annual = read_band(dir->file("maps/nep_2021.tif"));
    ASSERT_EQ(annual.values.size(), static_cast<std::size_t>(W * H));
    EXPECT_NEAR(annual.values[0], y2021, 1e-3 * std::abs(y2021));
    EXPECT_NEAR(annual.values[9 * W + 39], y2021, 1e-3 * std::abs(y2021));
    EXPECT_TRUE(std::isnan(annual.values[3 * W + 25])) << "nodata land cover in 2021";
    EXPECT_EQ(annual.unit, "g C m-2");
    EXPECT_NE(annual.description.find("sum of the 12 months of 2021"), std::string::npos)
        << annual.description;
    EXPECT_NE(annual.description.find("> 0 = sink; CO2 = -44/12 x NEP"), std::string::npos);
    // nep_2020.tif: November and December; cropland (west of column 20) has no CASA type.
    const Band y2020 = read_band(dir->file("maps/nep_2020.tif"));
    ASSERT_EQ(y2020.values.size(), static_cast<std::size_t>(W * H));
    EXPECT_TRUE(std::isnan(y2020.values[5 * W + 3]));
    EXPECT_NEAR(y2020.values[5 * W + 30], npp_of(0) - rh_of(0) + npp_of(1) - rh_of(1), 1e-3);
    // One map per month with outputs.monthly_rasters: 2021-08 is m = 9.
    const Band aug = read_band(dir->file("maps/nep_202108.tif"));
    ASSERT_EQ(aug.values.size(), static_cast<std::size_t>(W * H));
    EXPECT_NEAR(aug.values[0], npp_of(9) - rh_of(9), 1e-4);
    EXPECT_NE(aug.description.find("2021-08"), std::string::npos) << aug.description;
    int monthly = 0;
    for (const auto &e : std::filesystem::directory_iterator(dir->file("maps"))) {
        const std::string n = e.path().filename().string();
        monthly += n.size() == 14 && n.rfind("nep_", 0) == 0 ? 1 : 0; // nep_yyyymm.tif
    }
    EXPECT_EQ(monthly, MONTHS);
    EXPECT_NE(r.out.find("nep_<yyyy>.tif, nep_<yyyy><mm>.tif"), std::string::npos) << r.out;
}

TEST_F(NepPipeline, MonthlyOutputsAreByteIdenticalForAnyThreadCount) {
    const auto a = run(1, "t1");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const auto b = run(3, "t3");
    ASSERT_EQ(b.exit_code, 0) << b.err;
    for (const char *f :
         {"results.h5", "nep_monthly.csv", "districts.csv", "nep_2020.tif", "nep_2021.tif"}) {
        EXPECT_TRUE(read_text(dir->file(std::string("t1/") + f)) ==
                    read_text(dir->file(std::string("t3/") + f)))
            << f;
    }
}

TEST_F(NepPipeline, NegativePrecipitationIsCountedWarnedAndNeverSummed) {
    // The same run with precipitation from pbad_*: in 2021-08 (m = 9) pixel (row 2, column 30),
    // in the east, holds -5 mm, which is no nodata value: a counted, warned pixel-month status.
    RasterSpec f;
    f.width = W;
    f.height = H;
    f.epsg = 6933;
    f.type = "Float32";
    f.nodata = -9999;
    for (int m = 0; m < MONTHS; ++m) {
        char ym[16];
        std::snprintf(ym, sizeof ym, "%04d%02d", year_of(m), month_of(m));
        std::vector<double> p(W * H, p_of(m));
        if (m == 9) {
            p[2 * W + 30] = -5.0;
        }
        write_raster(dir->file(std::string("pbad_") + ym + ".tif"), f, p);
    }
    std::string cfg = read_text(dir->file("run.yaml"));
    const std::string from = "precipitation_mm: p_{yyyy}{mm}.tif";
    cfg.replace(cfg.find(from), from.size(), "precipitation_mm: pbad_{yyyy}{mm}.tif");
    write_text(dir->file("run-bad.yaml"), cfg);
    const auto r = run_carbonsink("run " + dir->file("run-bad.yaml") + " --quiet --output-dir " +
                                      dir->file("bad"),
                                  "SOURCE_DATE_EPOCH=1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: models.nep.npp_raster: 1 pixel-month has a negative "
                         "precipitation, solar radiation or potential evapotranspiration, or a "
                         "value that is not finite; they have no NEP and count as invalid area "
                         "(2021-08: 1)"),
              std::string::npos)
        << r.err;
    const std::string h5 = dir->file("bad/results.h5");
    const auto nep = h5_read(h5, "/nep/nep_mg_c");
    const auto invalid = h5_read(h5, "/nep/invalid_area_ha");
    ASSERT_EQ(nep.values.size(), static_cast<std::size_t>(2 * MONTHS));
    // East, 2021-08: one pixel fewer with NEP, one more of invalid area.
    const std::size_t i = MONTHS + 9;
    EXPECT_NEAR(nep.values[i], (npp_of(9) - rh_of(9)) * 0.01 * (valid_pixels(1, 9) - 1) * PIXEL_HA,
                1e-9);
    EXPECT_NEAR(invalid.values[i], (invalid_pixels(1, 9) + 1) * PIXEL_HA, 1e-9);
    // Other months are untouched.
    EXPECT_NEAR(nep.values[MONTHS + 8],
                (npp_of(8) - rh_of(8)) * 0.01 * valid_pixels(1, 8) * PIXEL_HA, 1e-9);
}

TEST_F(NepPipeline, ParentLevelsGetTheirOwnMonthlyFiguresSummedFromTheirDistricts) {
    // Both districts in one city (an added field `city` = 210100, via ogr2ogr's SQLite SQL).
    const std::string gpkg = dir->file("districts-city.gpkg");
    std::filesystem::remove(gpkg);
    const std::string cmd = "ogr2ogr -f GPKG " + gpkg + " " + dir->file("districts.gpkg") +
                            " -dialect SQLite -sql \"SELECT *, 210100 AS city FROM districts\" " +
                            "-nln districts >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::string cfg = read_text(dir->file("run.yaml"));
    const std::string from = "  path: districts.gpkg\n";
    cfg.replace(cfg.find(from), from.size(),
                "  path: districts-city.gpkg\n  layer: districts\n  parents:\n"
                "    - level: city\n      id_field: city\n");
    write_text(dir->file("run-city.yaml"), cfg);
    const auto r = run_carbonsink("run " + dir->file("run-city.yaml") + " --quiet --output-dir " +
                                      dir->file("city"),
                                  "SOURCE_DATE_EPOCH=1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = dir->file("city/results.h5");
    const auto nep = h5_read(h5, "/nep/nep_mg_c");
    const auto city = h5_read(h5, "/levels/city/nep/nep_mg_c");
    ASSERT_EQ(city.shape, (std::vector<uint64_t>{1, MONTHS}));
    for (int m = 0; m < MONTHS; ++m) {
        // By hand: both districts' valid pixels of the month.
        const double ha = (valid_pixels(0, m) + valid_pixels(1, m)) * PIXEL_HA;
        EXPECT_NEAR(city.values[static_cast<std::size_t>(m)], (npp_of(m) - rh_of(m)) * 0.01 * ha,
                    1e-9)
            << m;
        EXPECT_NEAR(city.values[static_cast<std::size_t>(m)],
                    nep.values[static_cast<std::size_t>(m)] +
                        nep.values[static_cast<std::size_t>(MONTHS + m)],
                    1e-9)
            << m;
    }
    const auto annual = h5_read(h5, "/levels/city/nep/annual_nep_mg_c");
    ASSERT_EQ(annual.shape, (std::vector<uint64_t>{1, 2}));
    const std::string csv = read_text(dir->file("city/nep_monthly.csv"));
    EXPECT_EQ(csv.substr(0, csv.find('\n')),
              "district_id,district_name,month,npp_mg_c,rh_mg_c,nep_mg_c,net_emissions_mg_co2,"
              "invalid_area_ha,level");
    // The city's row of 2021-12 (m = 13; no name_field for the level: an empty name): NPP 140 g
    // C m-2 x 0.01 x (205 + 194 pixels) x 0.09 ha = 50.274 Mg C.
    EXPECT_NE(csv.find("\n210100,,2021-12,50.274000,"), std::string::npos)
        << csv.substr(csv.size() - 300);
}
