// Uncertainty through the whole pipeline (issue 11): the carbonsink executable on a synthetic
// city whose district standard deviations are worked out by hand (science.md §7, IPCC 2006
// Vol. 1 Ch. 3): Monte Carlo against the hand SD within its sampling error, Approach 1 exactly,
// the correlation of shared draws at a roll-up level, reproducibility for any thread count and
// block size, and refused inputs with their messages.
#include "h5_read.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

using namespace cs::test;
namespace fs = std::filesystem;

namespace {

// 40 x 30 px of 30 m in EPSG:6933 (equal area: every pixel is 0.09 ha of ground).
// 2010: columns 0-19 class 1, columns 20-39 class 2.
// 2020: as 2010, but rows 0-9 of columns 0-19 become class 2, columns 30-39 of rows 20-29
//       become class 3, and pixel (column 5, row 25) is nodata.
// Districts: A 11 = columns 0-19 (city 210); B 22 = columns 20-39, rows 0-14 (city 220);
//            C 33 = columns 20-39, rows 15-29 (city 220).
// Densities (Mg C/ha) with their standard deviations, all normal and independent:
//   class 1: above 10 (1), below 2 (0.25), soil 50 (5), dead 1 (0.1)
//   class 2: above 100 (12), below 20 (2.5), soil 80 (8), dead 5 (0.5)
//   class 3: soil 30 (3); the other pools 0, declared exact (sd 0)
// Every density is at least 8 SD above 0, so the truncation at 0 of non-negative quantities
// changes no SD by more than 1e-14 and the normal formulas below hold.
const char *POOLS = "lucode,c_above,c_below,c_soil,c_dead,c_above_sd,c_below_sd,c_soil_sd,"
                    "c_dead_sd,uncertainty_source\n"
                    "1,10,2,50,1,1,0.25,5,0.1,test values\n"
                    "2,100,20,80,5,12,2.5,8,0.5,test values\n"
                    "3,0,0,30,0,0,0,3,0,test values\n";

// Root-sum-square SD of one hectare of each class's total density (independent pools).
const double S1 = std::sqrt(1.0 * 1.0 + 0.25 * 0.25 + 5.0 * 5.0 + 0.1 * 0.1);
const double S2 = std::sqrt(12.0 * 12.0 + 2.5 * 2.5 + 8.0 * 8.0 + 0.5 * 0.5);
const double S3 = 3.0;
constexpr double Z95 = 1.959963984540054; // normal_quantile(0.975)

struct City {
    TempDir dir;
    RasterSpec spec;
    City() {
        spec = write_two_epoch_city(dir, true);
        write_text(dir.file("pools.csv"), POOLS);
        std::string features;
        const std::vector<std::tuple<int, int, int, int, int, int>> d = {
            {11, 210, 0, 0, 20, 30}, {22, 220, 20, 0, 40, 15}, {33, 220, 20, 15, 40, 30}};
        for (const auto &[id, city, c0, r0, c1, r1] : d) {
            const double x0 = spec.origin_x + c0 * 30.0, x1 = spec.origin_x + c1 * 30.0;
            const double y0 = spec.origin_y - r0 * 30.0, y1 = spec.origin_y - r1 * 30.0;
            char buf[600];
            std::snprintf(
                buf, sizeof buf,
                R"({"type": "Feature", "properties": {"code": %d, "name": "d%d", "city": %d},
 "geometry": {"type": "Polygon", "coordinates": [[[%f, %f], [%f, %f], [%f, %f], [%f, %f], [%f, %f]]]}})",
                id, id, city, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
            features += (features.empty() ? "" : ",\n") + std::string(buf);
        }
        write_text(dir.file("districts.geojson"),
                   R"({"type": "FeatureCollection",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6933"}},
"features": [
)" + features + "]}\n");
    }
    std::string config(const std::string &uncertainty, const std::string &out = "out",
                       const std::string &extra = "") const {
        const std::string path = dir.file("run-" + out + ".yaml");
        write_text(path, "name: city\n"
                         "output_dir: " +
                             out +
                             "\n"
                             "land_cover:\n"
                             "  epochs:\n"
                             "    2010: lc2010.tif\n"
                             "    2020: lc2020.tif\n"
                             "districts:\n"
                             "  path: districts.geojson\n"
                             "  id_field: code\n"
                             "  name_field: name\n"
                             "  parents:\n"
                             "    - level: city\n"
                             "      id_field: city\n"
                             "models:\n"
                             "  stocks:\n"
                             "    method: lookup\n"
                             "    table: pools.csv\n"
                             "  sink:\n"
                             "    method: stock_difference\n" +
                             extra + "uncertainty:\n" + uncertainty);
        return path;
    }
};

// Hand-worked figures, per district (A, B, C) and city (210 = A, 220 = B + C).
struct Hand {
    double central, sd;
};
// Stock 2010: A 54 ha class 1; B 27 ha class 2; C 27 ha class 2.
const Hand STOCK_2010[3] = {{54 * 63.0, 54 * S1}, {27 * 205.0, 27 * S2}, {27 * 205.0, 27 * S2}};
// Stock 2020: A 18 ha class 2 + 35.91 ha class 1 (599 valid px) -> independent classes;
// B unchanged; C 18 ha class 2 + 9 ha class 3.
const Hand STOCK_2020[3] = {{18 * 205.0 + 35.91 * 63.0, std::hypot(18 * S2, 35.91 * S1)},
                            {27 * 205.0, 27 * S2},
                            {18 * 205.0 + 9 * 30.0, std::hypot(18 * S2, 9 * S3)}};
// Change 2010-2020 per year over the pixels valid in both epochs: A: 18 ha from 1 to 2 ->
// 1.8 (theta2 - theta1); B: 0 exactly; C: 9 ha from 2 to 3 -> 0.9 (theta3 - theta2); the 18 ha
// of C that stay class 2 cancel in every draw because they use the same draw in both epochs.
const Hand CHANGE[3] = {{1.8 * (205.0 - 63.0), 1.8 * std::hypot(S1, S2)},
                        {0.0, 0.0},
                        {0.9 * (30.0 - 205.0), 0.9 * std::hypot(S2, S3)}};

double column(const std::vector<std::vector<std::string>> &rows, std::size_t row,
              const std::string &name) {
    for (std::size_t i = 0; i < rows.at(0).size(); ++i) {
        if (rows[0][i] == name) {
            return std::stod(rows.at(row).at(i));
        }
    }
    ADD_FAILURE() << "no column " << name;
    return NAN;
}

} // namespace

TEST(UncertaintyPipeline, MonteCarloSdMatchesTheHandSdAndSharedDrawsCorrelate) {
    City c;
    constexpr int N = 4000;
    const auto r = run_carbonsink(
        "run " +
        c.config("  method: monte_carlo\n  draws: " + std::to_string(N) + "\n  seed: 7\n") +
        " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = c.dir.file("out/results.h5");
    const auto total_sd = h5_read(h5, "/uncertainty/stocks/total_mg_c/sd");
    const auto total_mean = h5_read(h5, "/uncertainty/stocks/total_mg_c/mean");
    const auto total_central = h5_read(h5, "/uncertainty/stocks/total_mg_c/central");
    const auto total = h5_read(h5, "/stocks/total_mg_c");
    ASSERT_EQ(total_sd.shape, (std::vector<uint64_t>{3, 2}));
    // Sampling error of a sample SD of N normal draws: sd / sqrt(2 (N - 1)); allow 4 of them.
    const double rel = 4.0 / std::sqrt(2.0 * (N - 1));
    for (int d = 0; d < 3; ++d) {
        EXPECT_NEAR(total_central.values[d * 2], STOCK_2010[d].central, 1e-6);
        EXPECT_NEAR(total_central.values[d * 2], total.values[d * 2], 1e-6);
        EXPECT_NEAR(total_sd.values[d * 2], STOCK_2010[d].sd, rel * STOCK_2010[d].sd) << d;
        EXPECT_NEAR(total_sd.values[d * 2 + 1], STOCK_2020[d].sd, rel * STOCK_2020[d].sd) << d;
        // The mean of the draws is within 4 standard errors of the central value.
        EXPECT_NEAR(total_mean.values[d * 2], STOCK_2010[d].central,
                    4 * STOCK_2010[d].sd / std::sqrt(N));
    }
    // Per pool: A's soil stock in 2010 is 54 ha x theta, sd 54 x 5.
    const auto pool_sd = h5_read(h5, "/uncertainty/stocks/mg_c/sd");
    ASSERT_EQ(pool_sd.shape, (std::vector<uint64_t>{3, 2, 4}));
    EXPECT_NEAR(pool_sd.values[2], 270.0, rel * 270.0);
    const auto change_sd = h5_read(h5, "/uncertainty/flux/stock_change_mg_c_per_yr/sd");
    const auto change_central = h5_read(h5, "/uncertainty/flux/stock_change_mg_c_per_yr/central");
    ASSERT_EQ(change_sd.shape, (std::vector<uint64_t>{3, 1}));
    for (int d = 0; d < 3; ++d) {
        EXPECT_NEAR(change_central.values[d], CHANGE[d].central, 1e-6) << d;
        EXPECT_NEAR(change_sd.values[d], CHANGE[d].sd, rel * CHANGE[d].sd + 1e-9) << d;
    }
    const auto net_sd = h5_read(h5, "/uncertainty/flux/net_emissions_mg_co2_per_yr/sd");
    EXPECT_NEAR(net_sd.values[2], 44.0 / 12.0 * change_sd.values[2], 1e-9 * net_sd.values[2]);

    // City 220 = B + C in 2010: 54 ha of class 2 share one draw per density, so its SD is
    // 54 x S2, not the root-sum-square sqrt(2) x 27 x S2 of independent districts.
    const auto city_sd = h5_read(h5, "/uncertainty/levels/city/stocks/total_mg_c/sd");
    ASSERT_EQ(city_sd.shape, (std::vector<uint64_t>{2, 2}));
    EXPECT_NEAR(city_sd.values[2], 54 * S2, rel * 54 * S2);
    EXPECT_GT(city_sd.values[2], 1.3 * std::sqrt(2.0) * 27 * S2);
    // City 210 = A alone: the same draws give the same SD as A's.
    EXPECT_DOUBLE_EQ(city_sd.values[0], total_sd.values[0]);

    // The interval: quantiles of the draws around the central value.
    const auto lo = h5_read(h5, "/uncertainty/stocks/total_mg_c/ci_low");
    const auto hi = h5_read(h5, "/uncertainty/stocks/total_mg_c/ci_high");
    for (int d = 0; d < 3; ++d) {
        EXPECT_NEAR(lo.values[d * 2], STOCK_2010[d].central - Z95 * STOCK_2010[d].sd,
                    0.1 * STOCK_2010[d].sd);
        EXPECT_NEAR(hi.values[d * 2], STOCK_2010[d].central + Z95 * STOCK_2010[d].sd,
                    0.1 * STOCK_2010[d].sd);
    }
    EXPECT_EQ(h5_attr(h5, "/uncertainty/stocks/total_mg_c/sd", "units"), "Mg C");
    EXPECT_NE(h5_attr(h5, "/uncertainty/stocks/total_mg_c/sd", "method").find("Monte Carlo"),
              std::string::npos);

    // districts.csv: the same intervals in _ci_low / _ci_high columns, for every level.
    const auto rows = read_csv(c.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 6u); // header, 3 districts, 2 cities
    EXPECT_NEAR(column(rows, 1, "stock_mg_c_2010_ci_low"), lo.values[0], 1e-5);
    EXPECT_NEAR(column(rows, 3, "stock_change_mg_c_per_yr_2010_2020_ci_high"),
                h5_read(h5, "/uncertainty/flux/stock_change_mg_c_per_yr/ci_high").values[2], 1e-5);
    EXPECT_LT(column(rows, 5, "stock_mg_c_2010_ci_low"), column(rows, 5, "stock_mg_c_2010"));
    EXPECT_GT(column(rows, 5, "stock_mg_c_2010_ci_high"), column(rows, 5, "stock_mg_c_2010"));
    // The provenance lists the parameters with their distributions and sources.
    const auto names = h5_strings(h5, "/uncertainty/parameters/name");
    ASSERT_EQ(names.size(), 12u);
    EXPECT_EQ(names[0], "pools.csv:c_above[1]");
    EXPECT_EQ(h5_strings(h5, "/uncertainty/parameters/distribution")[0], "normal");
    EXPECT_EQ(h5_strings(h5, "/uncertainty/parameters/distribution")[8], "exact");
    EXPECT_EQ(h5_strings(h5, "/uncertainty/parameters/source")[0],
              "test values (pools.csv, line 2)");
    EXPECT_NEAR(h5_read(h5, "/uncertainty/parameters/sd").values[0], 1.0, 1e-12);
    // The printed table shows the intervals.
    EXPECT_EQ(gdal_read_problems(h5), "");
}

TEST(UncertaintyPipeline, ErrorPropagationIsTheHandSdExactly) {
    City c;
    const auto r = run_carbonsink(
        "run " + c.config("  method: error_propagation\n  confidence: 0.9\n") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = c.dir.file("out/results.h5");
    const auto sd = h5_read(h5, "/uncertainty/stocks/total_mg_c/sd");
    const auto mean = h5_read(h5, "/uncertainty/stocks/total_mg_c/mean");
    const auto lo = h5_read(h5, "/uncertainty/stocks/total_mg_c/ci_low");
    const auto change_sd = h5_read(h5, "/uncertainty/flux/stock_change_mg_c_per_yr/sd");
    const auto change_hi = h5_read(h5, "/uncertainty/flux/stock_change_mg_c_per_yr/ci_high");
    constexpr double Z90 = 1.6448536269514722; // normal_quantile(0.95)
    for (int d = 0; d < 3; ++d) {
        EXPECT_NEAR(sd.values[d * 2], STOCK_2010[d].sd, 1e-9 * STOCK_2010[d].sd);
        EXPECT_NEAR(sd.values[d * 2 + 1], STOCK_2020[d].sd, 1e-9 * STOCK_2020[d].sd);
        EXPECT_NEAR(mean.values[d * 2], STOCK_2010[d].central, 1e-6);
        EXPECT_NEAR(lo.values[d * 2], STOCK_2010[d].central - Z90 * STOCK_2010[d].sd, 1e-6);
        EXPECT_NEAR(change_sd.values[d], CHANGE[d].sd, 1e-9 * CHANGE[d].sd + 1e-12);
        EXPECT_NEAR(change_hi.values[d], CHANGE[d].central + Z90 * CHANGE[d].sd, 1e-6);
    }
    const auto city_sd = h5_read(h5, "/uncertainty/levels/city/stocks/total_mg_c/sd");
    EXPECT_NEAR(city_sd.values[2], 54 * S2, 1e-9 * 54 * S2);
    EXPECT_NE(h5_attr(h5, "/uncertainty", "method").find("Approach 1"), std::string::npos);
}

TEST(UncertaintyPipeline, SameSeedSameBytesForAnyThreadCountAndBlockSize) {
    City c;
    const std::string u = "  draws: 500\n  seed: 99\n";
    ASSERT_EQ(run_carbonsink("run " + c.config(u, "one") + " --quiet --threads 1").exit_code, 0);
    ASSERT_EQ(run_carbonsink("run " + c.config(u, "two") + " --quiet --threads 2").exit_code, 0);
    ASSERT_EQ(run_carbonsink("run " + c.config(u, "small", "processing:\n  block_cells: 256\n") +
                             " --quiet --threads 2")
                  .exit_code,
              0);
    ASSERT_EQ(run_carbonsink("run " + c.config("  draws: 500\n  seed: 100\n", "other") + " --quiet")
                  .exit_code,
              0);
    const std::string one = read_text(c.dir.file("one/districts.csv"));
    EXPECT_EQ(one, read_text(c.dir.file("two/districts.csv")));
    const auto a = h5_read(c.dir.file("one/results.h5"), "/uncertainty/stocks/mg_c/ci_high");
    const auto b = h5_read(c.dir.file("two/results.h5"), "/uncertainty/stocks/mg_c/ci_high");
    ASSERT_FALSE(a.values.empty());
    EXPECT_EQ(a.values, b.values);
    // Another block size sums the statistics in another order: equal to rounding.
    const auto s = h5_read(c.dir.file("small/results.h5"), "/uncertainty/stocks/mg_c/ci_high");
    ASSERT_EQ(s.values.size(), a.values.size());
    for (std::size_t i = 0; i < a.values.size(); ++i) {
        EXPECT_NEAR(s.values[i], a.values[i], 1e-9 * std::fabs(a.values[i]) + 1e-9);
    }
    // Another seed, other draws.
    EXPECT_NE(read_text(c.dir.file("other/districts.csv")), one);
}

TEST(UncertaintyPipeline, UserDistributionsAndExactParameters) {
    City c;
    // c_soil of class 3 given as uniform [20, 40] (sd 20 / sqrt 12); every class-2 density
    // declared exact: C's change is then 0.9 x (theta3 - theta2) with only theta3 uncertain.
    const auto r = run_carbonsink(
        "run " +
        c.config("  method: error_propagation\n  parameters:\n"
                 "    \"pools.csv:c_soil[3]\": {distribution: uniform, low: 20, high: 40, "
                 "source: \"settlement soil survey\"}\n"
                 "  assume_exact: [\"pools.csv:c_above[2]\", \"pools.csv:c_below[2]\", "
                 "\"pools.csv:c_soil[2]\", \"pools.csv:c_dead[2]\"]\n") +
        " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = c.dir.file("out/results.h5");
    const auto change_sd = h5_read(h5, "/uncertainty/flux/stock_change_mg_c_per_yr/sd");
    EXPECT_NEAR(change_sd.values[2], 0.9 * 20.0 / std::sqrt(12.0), 1e-9);
    EXPECT_NEAR(change_sd.values[1], 0.0, 1e-12);
    const auto names = h5_strings(h5, "/uncertainty/parameters/name");
    const auto sources = h5_strings(h5, "/uncertainty/parameters/source");
    const auto dists = h5_strings(h5, "/uncertainty/parameters/distribution");
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == "pools.csv:c_soil[3]") {
            EXPECT_EQ(dists[i], "uniform");
            EXPECT_EQ(sources[i], "settlement soil survey (run-out.yaml, line 23)");
        }
        if (names[i] == "pools.csv:c_soil[2]") {
            EXPECT_EQ(dists[i], "exact");
        }
    }
}

TEST(UncertaintyErrors, MissingUncertaintyIsRefusedNamingEveryParameter) {
    City c;
    // Class 3 without any uncertainty column value: the run uses it (C, 2020).
    write_text(c.dir.file("pools.csv"),
               "lucode,c_above,c_below,c_soil,c_dead,c_above_sd,c_below_sd,c_soil_sd,c_dead_sd\n"
               "1,10,2,50,1,2,0.5,5,0.2\n"
               "2,100,20,80,5,15,4,8,1\n"
               "3,0,0,30,0,,,,\n");
    const auto r = run_carbonsink("run " + c.config("  draws: 100\n") + " --quiet");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    for (const char *p : {"c_above", "c_below", "c_soil", "c_dead"}) {
        EXPECT_NE(r.err.find(std::string("uncertainty: pools.csv:") + p +
                             "[3] = " + (std::string(p) == "c_soil" ? "30" : "0") +
                             " Mg C/ha has no documented uncertainty (pools.csv, line 4 (no " + p +
                             "_sd or " + p + "_u_pct given))"),
                  std::string::npos)
            << r.err;
    }
    EXPECT_NE(r.err.find("4 parameters the districts use have no documented uncertainty, and "
                         "carbonsink invents none"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(c.dir.file("out/results.h5")));
    EXPECT_FALSE(fs::exists(c.dir.file("out/districts.csv")));
    // validate finds them too (one pass over the pixels that writes nothing).
    fs::remove_all(c.dir.file("out"));
    const auto v = run_carbonsink("validate " + c.config("  draws: 100\n"));
    EXPECT_EQ(v.exit_code, 2) << v.err;
    EXPECT_NE(v.err.find("uncertainty: pools.csv:c_soil[3] = 30 Mg C/ha has no documented "
                         "uncertainty"),
              std::string::npos)
        << v.err;
    EXPECT_FALSE(fs::exists(c.dir.file("out")));
    // Declared exact, the same config is valid.
    const auto ok = run_carbonsink(
        "validate " + c.config("  draws: 100\n  assume_exact: [\"pools.csv:c_above[3]\", "
                               "\"pools.csv:c_below[3]\", \"pools.csv:c_soil[3]\", "
                               "\"pools.csv:c_dead[3]\"]\n"));
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(UncertaintyErrors, UnknownParameterNamesAndBadDistributions) {
    City c;
    const auto r = run_carbonsink(
        "validate " +
        c.config("  parameters:\n"
                 "    \"pools.csv:c_sol[3]\": {distribution: normal, sd: 1, source: s}\n"
                 "    \"pools.csv:c_soil[3]\": {distribution: uniform, low: -5, high: 40, "
                 "source: s}\n"
                 "    \"pools.csv:c_soil[1]\": {distribution: triangular, low: 60, high: 70, "
                 "source: s}\n"
                 "  assume_exact: [\"c_dead[9]\"]\n"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("invalid config value uncertainty.parameters: run-out.yaml, line 22: "
                         "\"pools.csv:c_sol[3]\" is not a parameter of this run's models (did "
                         "you mean \"pools.csv:c_soil[3]\"?)"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("invalid config value uncertainty.parameters.\"pools.csv:c_soil[3]\": "
                         "run-out.yaml, line 23: low -5 is below 0, but pools.csv:c_soil[3] "
                         "cannot be negative"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("run-out.yaml, line 24: the value the model uses, 50 Mg C/ha, is "
                         "outside [low, high] = [60, 70]"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("invalid config value uncertainty.assume_exact: run-out.yaml, line 25: "
                         "\"c_dead[9]\" is not a parameter of this run's models"),
              std::string::npos)
        << r.err;
    // A negative SD in the table is refused with the table's own message.
    write_text(c.dir.file("pools.csv"), "lucode,c_above,c_below,c_soil,c_dead,c_soil_sd\n"
                                        "1,10,2,50,1,-5\n2,100,20,80,5,8\n3,0,0,30,0,6\n");
    const auto neg = run_carbonsink("validate " + c.config("  draws: 10\n"));
    EXPECT_EQ(neg.exit_code, 2);
    EXPECT_NE(neg.err.find("line 2"), std::string::npos) << neg.err;
    EXPECT_NE(neg.err.find("negative SD"), std::string::npos) << neg.err;
}

// Land-cover map accuracy (Olofsson et al. 2014), worked by hand. The 2010 map: class 1 on
// 54 ha and class 2 on 54 ha (A_tot = 108, W_1 = W_2 = 0.5). Sample: 50 pixels mapped 1 (40
// reference 1, 10 reference 2), 50 mapped 2 (5 reference 1, 45 reference 2).
// p_.1 = 0.5 x 40/50 + 0.5 x 5/50 = 0.45 -> adjusted area 48.6 ha; p_.2 = 0.55 -> 59.4 ha.
// SE(p_.1) = sqrt(0.25 x 0.8 x 0.2 / 49 + 0.25 x 0.1 x 0.9 / 49) = 0.25 / 7, the same for
// class 2: SE = 108 x 0.25 / 7 = 3.857142857 ha each. Area factors: class 1 mean 48.6 / 54 =
// 0.9, class 2 mean 1.1, both sd (108 x 0.25 / 7) / 54 = 0.5 / 7.
const char *MATRIX_2010 = "map_class,1,2\n1,40,10\n2,5,45\n";

TEST(UncertaintyPipeline, LandCoverAccuracyAdjustsAreasAndWidensIntervals) {
    City c;
    write_text(c.dir.file("acc2010.csv"), MATRIX_2010);
    const auto r = run_carbonsink(
        "run " +
        c.config("  method: error_propagation\n  land_cover_accuracy:\n    2010: acc2010.csv\n") +
        " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = c.dir.file("out/results.h5");
    const auto codes = h5_read(h5, "/uncertainty/area_adjusted/2010/class_code");
    EXPECT_EQ(codes.values, (std::vector<double>{1, 2}));
    const auto mapped = h5_read(h5, "/uncertainty/area_adjusted/2010/mapped_ha");
    ASSERT_EQ(mapped.values.size(), 2u);
    EXPECT_NEAR(mapped.values[0], 54.0, 1e-9);
    EXPECT_NEAR(mapped.values[1], 54.0, 1e-9);
    const auto adjusted = h5_read(h5, "/uncertainty/area_adjusted/2010/adjusted_ha");
    EXPECT_NEAR(adjusted.values[0], 48.6, 1e-9);
    EXPECT_NEAR(adjusted.values[1], 59.4, 1e-9);
    const auto se = h5_read(h5, "/uncertainty/area_adjusted/2010/se_ha");
    EXPECT_NEAR(se.values[0], 108 * 0.25 / 7, 1e-9);
    EXPECT_NEAR(h5_read(h5, "/uncertainty/area_adjusted/2010/ci_high_ha").values[1],
                59.4 + Z95 * 108 * 0.25 / 7, 1e-9);
    // Approach 1: A's 2010 stock is 54 ha x f_1 x sum of densities: the density term and the
    // area term add in quadrature; the 2020 stock has no accuracy, so its SD is unchanged.
    const double sf = 0.5 / 7;
    const auto sd = h5_read(h5, "/uncertainty/stocks/total_mg_c/sd");
    EXPECT_NEAR(sd.values[0], std::hypot(54 * S1, 54 * 63.0 * sf), 1e-9 * sd.values[0]);
    EXPECT_NEAR(sd.values[2], std::hypot(27 * S2, 27 * 205.0 * sf), 1e-9 * sd.values[2]);
    EXPECT_NEAR(sd.values[1], STOCK_2020[0].sd, 1e-9 * STOCK_2020[0].sd);
    // The central value stays the mapped one (the deterministic run's).
    EXPECT_NEAR(h5_read(h5, "/uncertainty/stocks/total_mg_c/central").values[0], 54 * 63.0, 1e-6);
    const auto names = h5_strings(h5, "/uncertainty/parameters/name");
    EXPECT_NE(std::find(names.begin(), names.end(), "land_cover_area[2010,1]"), names.end());

    // Monte Carlo: the mean moves to the area-adjusted stock, 48.6 ha x 63.
    write_text(c.dir.file("acc2010.csv"), MATRIX_2010);
    const auto mc = run_carbonsink(
        "run " + c.config("  draws: 4000\n  land_cover_accuracy:\n    2010: acc2010.csv\n", "mc") +
        " --quiet");
    ASSERT_EQ(mc.exit_code, 0) << mc.err;
    const auto mean = h5_read(c.dir.file("mc/results.h5"), "/uncertainty/stocks/total_mg_c/mean");
    EXPECT_NEAR(mean.values[0], 48.6 * 63.0, 4 * sd.values[0] / std::sqrt(4000.0));
}

TEST(UncertaintyErrors, LandCoverAccuracyWithoutAMappedClassIsRefused) {
    City c;
    // 2020 maps class 3 on 9 ha, but the matrix has no class 3 row.
    write_text(c.dir.file("acc2020.csv"), MATRIX_2010);
    const auto r = run_carbonsink(
        "run " +
        c.config("  method: error_propagation\n  land_cover_accuracy:\n    2020: acc2020.csv\n") +
        " --quiet");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("invalid land-cover error matrix: uncertainty.land_cover_accuracy.2020 "
                         "(acc2020.csv): class 3 covers 9 ha of the 2020 map but has no row in "
                         "the matrix: its area cannot be estimated (add the class's sample "
                         "counts)"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(c.dir.file("out/results.h5")));
    // A malformed matrix is reported by validate, with its line.
    write_text(c.dir.file("acc2020.csv"), "map_class,1,2\n1,40,-1\n2,5,45\n");
    const auto v =
        run_carbonsink("validate " + c.config("  land_cover_accuracy:\n    2020: acc2020.csv\n"));
    EXPECT_EQ(v.exit_code, 2);
    EXPECT_NE(v.err.find("uncertainty.land_cover_accuracy.2020 (acc2020.csv), line 2"),
              std::string::npos)
        << v.err;
    const auto missing =
        run_carbonsink("validate " + c.config("  land_cover_accuracy:\n    2020: nowhere.csv\n"));
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("cannot read uncertainty.land_cover_accuracy.2020: "),
              std::string::npos)
        << missing.err;
}

TEST(UncertaintyPipeline, KilledRunResumesToTheSameBytes) {
    City c;
    // 40 x 30 px in blocks of 256 cells: several blocks; the statistics are part of each
    // block's record in the checkpoint, so a resumed run gives the same intervals.
    const std::string u = "  draws: 300\n  seed: 3\n";
    const std::string blocks = "processing:\n  block_cells: 256\n  tile_size: 16\n";
    ASSERT_EQ(
        run_carbonsink("run " + c.config(u, "whole", blocks) + " --quiet --threads 1").exit_code,
        0);
    const std::string cfg = c.config(u, "killed", blocks);
    const auto killed = run_carbonsink("run " + cfg + " --quiet --threads 1",
                                       "CARBONSINK_FAILPOINT=kill_after_blocks:2");
    EXPECT_NE(killed.exit_code, 0);
    EXPECT_FALSE(fs::exists(c.dir.file("killed/districts.csv")));
    const auto resumed = run_carbonsink("run " + cfg + " --quiet --threads 2 --resume");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(read_text(c.dir.file("killed/districts.csv")),
              read_text(c.dir.file("whole/districts.csv")));
    EXPECT_EQ(h5_read(c.dir.file("killed/results.h5"), "/uncertainty/stocks/mg_c/ci_low").values,
              h5_read(c.dir.file("whole/results.h5"), "/uncertainty/stocks/mg_c/ci_low").values);
}
