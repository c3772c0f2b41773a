// NEP district outputs (pipeline/nep_outputs.hpp): seasonal and annual sums worked out by hand,
// the /nep group of results.h5 read back with the HDF5 C API, nep_monthly.csv as text.
#include "h5_read.hpp"
#include "pipeline/config.hpp"
#include "pipeline/hdf5_writer.hpp"
#include "pipeline/nep_outputs.hpp"
#include "pipeline/problems.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace cs::pipeline;
using namespace cs::test;
using cs::models::YearMonth;

namespace {

std::vector<std::string> split_lines(const std::string &text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return lines;
}

/// Two districts over 15 months, 2019-11 .. 2021-01. District 1 has NEP i + 1 Mg C in month i
/// (0-based), district 2 has -(i + 1) / 2; NPP is 2 x NEP + 10 and R_H = NPP - NEP.
NepSeries fifteen_months() {
    NepSeries s;
    s.level = "district";
    s.ids = {7, 42};
    s.names = {"和平区", "Shenhe, \"east\""};
    for (int i = 0; i < 15; ++i) {
        const int serial = 2019 * 12 + 10 + i; // 2019-11 is month index 10 of 2019
        s.months.push_back(YearMonth{serial / 12, serial % 12 + 1});
    }
    for (int d = 0; d < 2; ++d) {
        for (int i = 0; i < 15; ++i) {
            const double nep = d == 0 ? i + 1.0 : -(i + 1.0) / 2.0;
            s.nep_mg_c.push_back(nep);
            s.npp_mg_c.push_back(2.0 * nep + 10.0);
            s.rh_mg_c.push_back(nep + 10.0);
            s.invalid_area_ha.push_back(d == 0 ? 0.0 : 0.25 * i);
        }
    }
    return s;
}

} // namespace

TEST(NepOutputs, SeasonsAndYearsSumTheirMonthsWithDecemberInTheNextWinter) {
    const NepSeasonal sea = nep_seasonal(fifteen_months());
    // 2019-11 | 2019-12 2020-01 2020-02 | 03 04 05 | 06 07 08 | 09 10 11 | 2020-12 2021-01
    // SON2019 (month 1) | DJF2020 (2, 3, 4) | MAM (5, 6, 7) | JJA (8, 9, 10) | SON (11, 12, 13)
    // | DJF2021 (14, 15)
    ASSERT_EQ(sea.seasons.size(), 6u);
    const std::vector<std::pair<int, const char *>> expected = {
        {2019, "SON"}, {2020, "DJF"}, {2020, "MAM"}, {2020, "JJA"}, {2020, "SON"}, {2021, "DJF"}};
    for (std::size_t k = 0; k < 6; ++k) {
        EXPECT_EQ(sea.seasons[k].year, expected[k].first) << k;
        EXPECT_STREQ(cs::models::season_name(sea.seasons[k].season), expected[k].second) << k;
    }
    EXPECT_EQ(sea.season_months, (std::vector<int32_t>{1, 3, 3, 3, 3, 2}));
    const std::vector<double> d1 = {1, 2 + 3 + 4, 5 + 6 + 7, 8 + 9 + 10, 11 + 12 + 13, 14 + 15};
    for (std::size_t k = 0; k < 6; ++k) {
        EXPECT_DOUBLE_EQ(sea.season_nep_mg_c[k], d1[k]) << k;
        EXPECT_DOUBLE_EQ(sea.season_nep_mg_c[6 + k], -d1[k] / 2.0) << k;
    }
    // Years: 2019 has months 1-2, 2020 months 3-14, 2021 month 15.
    EXPECT_EQ(sea.years, (std::vector<int32_t>{2019, 2020, 2021}));
    EXPECT_EQ(sea.year_months, (std::vector<int32_t>{2, 12, 1}));
    const std::vector<double> y1 = {1 + 2, (3 + 14) * 12 / 2.0, 15};
    for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_DOUBLE_EQ(sea.annual_nep_mg_c[k], y1[k]) << k;
        EXPECT_DOUBLE_EQ(sea.annual_nep_mg_c[3 + k], -y1[k] / 2.0) << k;
    }
}

TEST(NepOutputs, ResultsGroupHoldsMonthsSeasonsYearsWithUnitsAndSign) {
    TempDir dir;
    const std::string path = dir.file("results.h5");
    {
        Hdf5Writer h5(path);
        write_nep_group(h5, "/nep", fifteen_months());
        h5.close();
    }
    const auto month = h5_read(path, "/nep/month");
    ASSERT_EQ(month.shape, (std::vector<uint64_t>{15}));
    EXPECT_EQ(month.values.front(), 201911);
    EXPECT_EQ(month.values[2], 202001);
    EXPECT_EQ(month.values.back(), 202101);
    const auto nep = h5_read(path, "/nep/nep_mg_c");
    ASSERT_EQ(nep.shape, (std::vector<uint64_t>{2, 15}));
    EXPECT_EQ(nep.values[4], 5.0);
    EXPECT_EQ(nep.values[15 + 4], -2.5);
    const auto em = h5_read(path, "/nep/net_emissions_mg_co2");
    ASSERT_EQ(em.shape, (std::vector<uint64_t>{2, 15}));
    EXPECT_DOUBLE_EQ(em.values[4], -44.0 / 12.0 * 5.0); // a sink is a negative emission
    EXPECT_DOUBLE_EQ(em.values[15 + 4], 44.0 / 12.0 * 2.5);
    EXPECT_EQ(h5_read(path, "/nep/npp_mg_c").values[1], 2.0 * 2.0 + 10.0);
    EXPECT_EQ(h5_read(path, "/nep/rh_mg_c").values[1], 2.0 + 10.0);
    EXPECT_EQ(h5_read(path, "/nep/invalid_area_ha").values[15 + 3], 0.75);
    EXPECT_EQ(h5_strings(path, "/nep/season_name"),
              (std::vector<std::string>{"SON", "DJF", "MAM", "JJA", "SON", "DJF"}));
    EXPECT_EQ(h5_read(path, "/nep/season_year").values,
              (std::vector<double>{2019, 2020, 2020, 2020, 2020, 2021}));
    const auto season = h5_read(path, "/nep/season_nep_mg_c");
    ASSERT_EQ(season.shape, (std::vector<uint64_t>{2, 6}));
    EXPECT_EQ(season.values[5], 29.0);
    const auto annual = h5_read(path, "/nep/annual_nep_mg_c");
    ASSERT_EQ(annual.shape, (std::vector<uint64_t>{2, 3}));
    EXPECT_EQ(annual.values[1], 102.0);
    EXPECT_EQ(h5_read(path, "/nep/year").values, (std::vector<double>{2019, 2020, 2021}));
    EXPECT_EQ(h5_read(path, "/nep/year_months").values, (std::vector<double>{2, 12, 1}));
    for (const char *ds :
         {"npp_mg_c", "rh_mg_c", "nep_mg_c", "season_nep_mg_c", "annual_nep_mg_c"}) {
        EXPECT_EQ(h5_attr(path, std::string("/nep/") + ds, "units"), "Mg C") << ds;
        EXPECT_NE(h5_attr(path, std::string("/nep/") + ds, "sign_convention")
                      .find("NEP > 0 = "
                            "net uptake"),
                  std::string::npos)
            << ds;
    }
    EXPECT_EQ(h5_attr(path, "/nep/net_emissions_mg_co2", "units"), "Mg CO2");
    EXPECT_EQ(h5_attr(path, "/nep/month", "units"), "yyyymm");
    EXPECT_NE(h5_attr(path, "/nep", "sign_convention").find("-44/12 x NEP"), std::string::npos);
}

TEST(NepOutputs, MonthlyCsvIsTidyWithLevelsAndQuotedNames) {
    TempDir dir;
    NepSeries city;
    city.level = "city";
    city.ids = {210100};
    city.names = {"沈阳市"};
    const NepSeries districts = fifteen_months();
    city.months = districts.months;
    for (std::size_t m = 0; m < 15; ++m) {
        // The roll-up of both districts, worked out: (m + 1) - (m + 1) / 2.
        city.nep_mg_c.push_back((m + 1.0) / 2.0);
        city.npp_mg_c.push_back(districts.npp_mg_c[m] + districts.npp_mg_c[15 + m]);
        city.rh_mg_c.push_back(districts.rh_mg_c[m] + districts.rh_mg_c[15 + m]);
        city.invalid_area_ha.push_back(0.25 * static_cast<double>(m));
    }
    const std::string path = dir.file("nep_monthly.csv");
    write_nep_monthly_csv(path, {districts, city});
    const std::string text = read_text(path);
    const auto lines = split_lines(text);
    ASSERT_EQ(lines.size(), 1u + 2u * 15u + 15u);
    EXPECT_EQ(lines[0], "district_id,district_name,month,npp_mg_c,rh_mg_c,nep_mg_c,"
                        "net_emissions_mg_co2,invalid_area_ha,level");
    EXPECT_EQ(lines[1], "7,和平区,2019-11,12.000000,11.000000,1.000000,-3.666667,0.000000,"
                        "district");
    // 2020-02 of the second district: i = 3, NEP -2, NPP 6, R_H 8, emissions +7.333333.
    EXPECT_EQ(lines[1 + 15 + 3], "42,\"Shenhe, \"\"east\"\"\",2020-02,6.000000,8.000000,"
                                 "-2.000000,7.333333,0.750000,district");
    EXPECT_EQ(lines.back(), "210100,沈阳市,2021-01,35.000000,27.500000,7.500000,-27.500000,"
                            "3.500000,city");
    // Without parent levels there is no level column.
    write_nep_monthly_csv(path, {districts});
    EXPECT_EQ(split_lines(read_text(path))[0], "district_id,district_name,month,npp_mg_c,"
                                               "rh_mg_c,nep_mg_c,net_emissions_mg_co2,"
                                               "invalid_area_ha");
}

TEST(NepOutputs, AnUnwritableFolderIsAnOutputErrorWithTheCause) {
    TempDir dir;
    const std::string path = dir.file("missing/nep_monthly.csv");
    try {
        write_nep_monthly_csv(path, {fifteen_months()});
        FAIL() << "no error";
    } catch (const OutputError &e) {
        EXPECT_NE(std::string(e.what()).find("cannot write output: " + path + ": cannot create "),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos)
            << e.what();
    }
}

namespace {

// Line numbers: models.nep is line 11, method 12, months 13, vegetation 14, layers 15. A
// missing key is reported at the line where its mapping begins (its first key), as elsewhere.
const char *const NEP_CONFIG = R"(name: seasonal
output_dir: out
land_cover:
  epochs:
    2015: lc2015.tif
    2020: lc2020.tif
models:
  stocks:
    method: lookup
    table: pools.csv
  nep:
    method: casa
    months: [2019-12, 2021-01]
    vegetation: casa_types.csv
    layers:
      ndvi: met/ndvi_{yyyy}{mm}.tif
      temperature_c: met/t_{yyyy}-{mm}.tif
      precipitation_mm: /data/prec/{yyyy}/{mm}.tif
      solar_mj_per_m2: met/sol_{yyyy}{mm}.tif
      et_mm: met/et_{yyyy}{mm}.tif
      pet_mm: met/pet_{yyyy}{mm}.tif
)";

std::string errors_of(const std::string &text) {
    cs::pipeline::Problems p;
    cs::pipeline::parse_config(text, "/srv/city/run.yaml", p);
    std::string s;
    for (const auto &e : p.errors) {
        s += e + "\n";
    }
    return s;
}

std::string replaced(std::string text, const std::string &from, const std::string &to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
}

} // namespace

TEST(NepConfig, CasaRunParsesMonthsAcrossYearsAndResolvesPatterns) {
    cs::pipeline::Problems p;
    const auto c = cs::pipeline::parse_config(NEP_CONFIG, "/srv/city/run.yaml", p);
    ASSERT_TRUE(p.ok()) << errors_of(NEP_CONFIG);
    ASSERT_TRUE(c.nep.present);
    EXPECT_EQ(c.nep.method, "casa");
    ASSERT_EQ(c.nep.months.size(), 14u); // 2019-12 .. 2021-01
    EXPECT_EQ(c.nep.months.front().yyyymm(), 201912);
    EXPECT_EQ(c.nep.months[1].yyyymm(), 202001);
    EXPECT_EQ(c.nep.months.back().yyyymm(), 202101);
    EXPECT_EQ(c.nep.vegetation, "/srv/city/casa_types.csv");
    ASSERT_EQ(c.nep.layers.size(), 6u);
    EXPECT_EQ(c.nep.layers[0].name, "ndvi");
    EXPECT_EQ(c.nep.layers[0].pattern, "/srv/city/met/ndvi_{yyyy}{mm}.tif");
    EXPECT_EQ(c.nep.layers[0].line, 16);
    EXPECT_EQ(c.nep.layers[2].name, "precipitation_mm");
    EXPECT_EQ(c.nep.layers[2].pattern, "/data/prec/{yyyy}/{mm}.tif");
    EXPECT_FALSE(c.write_monthly_rasters);
}

TEST(NepConfig, NppRasterReadsItsMapsAndNeedsNoVegetation) {
    std::string t = NEP_CONFIG;
    t = replaced(t, "    method: casa\n", "    method: npp_raster\n");
    t = replaced(t, "    vegetation: casa_types.csv\n", "");
    t = replaced(t, "      ndvi: met/ndvi_{yyyy}{mm}.tif\n",
                 "      npp_g_c_per_m2: npp/npp_{yyyy}{mm}.tif\n");
    t = replaced(t, "      solar_mj_per_m2: met/sol_{yyyy}{mm}.tif\n", "");
    t = replaced(t, "      et_mm: met/et_{yyyy}{mm}.tif\n", "");
    t = replaced(t, "      pet_mm: met/pet_{yyyy}{mm}.tif\n", "");
    t += "outputs:\n  monthly_rasters: true\n";
    cs::pipeline::Problems p;
    const auto c = cs::pipeline::parse_config(t, "/srv/city/run.yaml", p);
    ASSERT_TRUE(p.ok()) << errors_of(t);
    EXPECT_EQ(c.nep.method, "npp_raster");
    ASSERT_EQ(c.nep.layers.size(), 3u);
    EXPECT_EQ(c.nep.layers[0].name, "npp_g_c_per_m2");
    EXPECT_TRUE(c.nep.vegetation.empty());
    EXPECT_TRUE(c.write_monthly_rasters);
}

TEST(NepConfig, EachMistakeIsOneClearErrorWithItsLine) {
    const std::string at = "run.yaml, line ";
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "method: casa", "method: cassa")),
              "invalid config value models.nep.method: " + at +
                  "12: unknown method \"cassa\"; available: casa (NPP from NDVI and climate, "
                  "science.md 5.1), npp_raster (NPP from your monthly maps) (did you mean "
                  "\"casa\"?)\n");
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "[2019-12, 2021-01]", "[2021-01, 2019-12]")),
              "invalid config value models.nep.months: " + at +
                  "13: the last month 2019-12 is before the first month 2021-01\n");
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "[2019-12, 2021-01]", "[2019-12]")),
              "invalid config value models.nep.months: " + at +
                  "13: expected the first and last month written yyyy-mm, e.g. [2020-01, "
                  "2020-12], got a list\n");
    EXPECT_NE(errors_of(replaced(NEP_CONFIG, "[2019-12, 2021-01]", "[2019-12, 2021-1]"))
                  .find("invalid config value models.nep.months: " + at +
                        "13: \"2021-1\" is "
                        "not a month written "
                        "yyyy-mm"),
              std::string::npos);
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "[2019-12, 2021-01]", "[1900-01, 2000-12]")),
              "invalid config value models.nep.months: " + at +
                  "13: 1212 months, more than the maximum of 1200 (every month of a row is held "
                  "in memory at once); split the run\n");
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "    vegetation: casa_types.csv\n", "")),
              "missing config key \"models.nep.vegetation\": " + at +
                  "12: method casa needs the land-cover class -> CASA vegetation type mapping "
                  "(lucode,casa_type)\n");
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "      et_mm: met/et_{yyyy}{mm}.tif\n", "")),
              "missing config key \"models.nep.layers.et_mm\": " + at +
                  "16: the key is required\n");
    EXPECT_NE(errors_of(replaced(NEP_CONFIG, "met/ndvi_{yyyy}{mm}.tif", "met/ndvi_2020.tif"))
                  .find("invalid config value models.nep.layers.ndvi: " + at + "16: "),
              std::string::npos);
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "      pet_mm:",
                                 "      npp_g_c_per_m2: x{yyyy}{mm}\n"
                                 "      pet_mm:")),
              "invalid config key \"models.nep.layers.npp_g_c_per_m2\": " + at +
                  "21: method casa does not read it (it reads ndvi, temperature_c, "
                  "precipitation_mm, solar_mj_per_m2, et_mm, pet_mm)\n");
    EXPECT_EQ(errors_of(replaced(NEP_CONFIG, "    layers:", "    layer:")),
              "unknown config key \"models.nep.layer\": " + at +
                  "15: did you mean \"layers\"?\nmissing config key \"models.nep.layers\": " + at +
                  "12: the key is required\n");
    // Monthly rasters are NEP maps.
    std::string no_nep = NEP_CONFIG;
    no_nep = no_nep.substr(0, no_nep.find("  nep:\n")) + "outputs:\n  monthly_rasters: true\n";
    EXPECT_EQ(errors_of(no_nep), "invalid config value outputs.monthly_rasters: " + at +
                                     "12: monthly rasters are NEP maps; they need models.nep\n");
}
