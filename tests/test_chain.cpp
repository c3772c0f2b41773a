// The model chain's driver: declared layers, the month axis and declared district series, with a
// test-only stage (no science), run in-process through prepare_run and run_blocks.
#include "models/chain.hpp"
#include "pipeline/config.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/runner.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using namespace cs::pipeline;
using cs::models::LayerDecl;
using cs::models::MonthRow;
using cs::models::SeriesDecl;
using cs::models::Stage;
using cs::models::StageKind;
using cs::models::TimeAxis;
using cs::test::RasterSpec;
using cs::test::TempDir;
using cs::test::write_raster;
using cs::test::write_text;

namespace {

constexpr int W = 40;
constexpr int H = 30;
constexpr double PX_HA = 0.09; // 30 m x 30 m in EPSG:6933, an equal-area CRS

/// A month stage for the test: per pixel-month, the monthly layer's value where the month's
/// land cover is class 2 and valid and the layer has data ("forest_value"), else 1 in
/// "uncounted" (so its district sum is the uncounted area in ha).
class ForestValueStage final : public Stage {
public:
    const std::string &name() const override {
        static const std::string NAME = "test.forest_value";
        return NAME;
    }
    StageKind kind() const override { return StageKind::month; }
    std::vector<LayerDecl> layers() const override {
        return {LayerDecl{"tmon", "K", TimeAxis::month}};
    }
    std::vector<SeriesDecl> series() const override {
        return {{"forest_value", "K ha", TimeAxis::month}, {"uncounted", "ha", TimeAxis::month}};
    }
    void month_row(const MonthRow &row) const override {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t m = 0; m < row.months; ++m) {
            const auto &layer = row.layers[0][m];
            for (std::size_t i = 0; i < row.n; ++i) {
                const bool counted = row.land_cover_valid[m][i] && row.land_cover[m][i] == 2 &&
                                     row.class_index[m][i] >= 0 && row.status[m][i] == 0 &&
                                     layer.valid[i];
                row.series[0][m][i] = counted ? layer.value[i] : nan;
                row.series[1][m][i] = counted ? nan : 1.0;
            }
        }
    }
};

/// A period stage for the test: claims the soil pool and gives, as its annual change, the value
/// of a per-period layer where both epochs are valid ("period_value").
class PeriodValueStage final : public Stage {
public:
    const std::string &name() const override {
        static const std::string NAME = "test.period_value";
        return NAME;
    }
    StageKind kind() const override { return StageKind::period; }
    std::vector<LayerDecl> layers() const override {
        return {LayerDecl{"pl", "Mg C/ha/yr", TimeAxis::period}};
    }
    std::vector<std::string> pools_written() const override { return {"soil"}; }
    std::vector<SeriesDecl> series() const override {
        return {{"period_value", "Mg C/yr", TimeAxis::period}};
    }
    void period_row(const cs::models::PeriodRow &row) const override {
        for (std::size_t i = 0; i < row.n; ++i) {
            row.change[i] = row.class_from[i] >= 0 && row.class_to[i] >= 0 && row.layers[0].valid[i]
                                ? row.layers[0].value[i]
                                : std::numeric_limits<double>::quiet_NaN();
        }
    }
};

/// A period stage with several series and a rule for its layer's values: claims the dead
/// pool; its change is the per-period layer "pl" where both epochs are valid; its second series
/// is twice the layer on every pixel (the driver counts it only where the change counts). With
/// `refuse`, a value of "pl" above 4.5 where both epochs are valid breaks the layer's rule.
class PeriodPartsStage final : public Stage {
public:
    explicit PeriodPartsStage(bool refuse) : m_refuse(refuse) {}
    const std::string &name() const override {
        static const std::string NAME = "test.period_parts";
        return NAME;
    }
    StageKind kind() const override { return StageKind::period; }
    std::vector<LayerDecl> layers() const override {
        LayerDecl d{"pl", "Mg C/ha/yr", TimeAxis::period};
        d.refused_values = m_refuse ? "pl must be at most 4.5" : "";
        return {d};
    }
    std::vector<std::string> pools_written() const override { return {"dead_organic_matter"}; }
    std::vector<SeriesDecl> series() const override {
        return {{"parts_change", "Mg C/yr", TimeAxis::period},
                {"parts_double", "Mg C/yr", TimeAxis::period}};
    }
    void period_row(const cs::models::PeriodRow &row) const override {
        for (std::size_t i = 0; i < row.n; ++i) {
            const bool both = row.class_from[i] >= 0 && row.class_to[i] >= 0;
            const double v = row.layers[0].value[i];
            row.change[i] =
                both && row.layers[0].valid[i] ? v : std::numeric_limits<double>::quiet_NaN();
            row.series[0][i] = 2.0 * v;
            if (row.refused != nullptr) {
                row.refused[i] = both && v > 4.5 ? 1 : 0;
            }
        }
    }

private:
    bool m_refuse;
};

/// A month stage reading two layer names: per pixel-month, 1 in "shared_rows" when both names
/// hand it the same row (the same raster, read once), else 0.
class TwoNamesStage final : public Stage {
public:
    const std::string &name() const override {
        static const std::string NAME = "test.two_names";
        return NAME;
    }
    StageKind kind() const override { return StageKind::month; }
    std::vector<LayerDecl> layers() const override {
        return {LayerDecl{"tmon", "K", TimeAxis::month},
                LayerDecl{"tmon_again", "K", TimeAxis::month}};
    }
    std::vector<SeriesDecl> series() const override {
        return {{"shared_rows", "ha", TimeAxis::month}};
    }
    void month_row(const MonthRow &row) const override {
        for (std::size_t m = 0; m < row.months; ++m) {
            const bool same = row.layers[0][m].value == row.layers[1][m].value &&
                              row.layers[0][m].valid == row.layers[1][m].valid;
            for (std::size_t i = 0; i < row.n; ++i) {
                row.series[0][m][i] = same ? 1.0 : 0.0;
            }
        }
    }
};

/// A stage that consumes a variable no stage produces.
class HungryStage final : public Stage {
public:
    const std::string &name() const override {
        static const std::string NAME = "test.hungry";
        return NAME;
    }
    StageKind kind() const override { return StageKind::epoch_pools; }
    std::vector<std::string> variables_consumed() const override { return {"no_such_variable"}; }
};

bool registered = [] {
    register_stage("test_month", "forest_value", [](StageContext &) {
        return std::unique_ptr<Stage>(std::make_unique<ForestValueStage>());
    });
    register_stage("test_period", "period_value", [](StageContext &) {
        return std::unique_ptr<Stage>(std::make_unique<PeriodValueStage>());
    });
    register_stage("test_period_parts", "double", [](StageContext &) {
        return std::unique_ptr<Stage>(std::make_unique<PeriodPartsStage>(false));
    });
    register_stage("test_period_parts", "refuse", [](StageContext &) {
        return std::unique_ptr<Stage>(std::make_unique<PeriodPartsStage>(true));
    });
    register_stage("test_two_names", "on", [](StageContext &) {
        return std::unique_ptr<Stage>(std::make_unique<TwoNamesStage>());
    });
    register_stage("test_hungry", "on", [](StageContext &) {
        return std::unique_ptr<Stage>(std::make_unique<HungryStage>());
    });
    return true;
}();

/// Months of the test: one before the first epoch, two in it, one in the second.
const std::vector<Config::YearMonth> MONTHS = {{2019, 12}, {2020, 1}, {2020, 6}, {2021, 3}};

/// Land cover: 2020 columns 0-19 class 1, 20-39 class 2; 2021 and 2022 every pixel class 2
/// except pixel (row 3, column 25), nodata.
int land_cover(int epoch, int r, int c) {
    if (epoch == 0) {
        return c < 20 ? 1 : 2;
    }
    return r == 3 && c == 25 ? 255 : 2;
}

/// Per-period layer value of period k at (r, c), Mg C/ha/yr.
double period_value(std::size_t k, int r, int c) {
    return k == 0 ? 1.0 + c / 10.0 : 2.0 + r / 10.0;
}

/// Monthly layer value of month index m at (r, c): 10 (m + 1) + c / 4; nodata (-1) at
/// (row 5, column 30) in month 2.
double month_value(std::size_t m, int r, int c) {
    if (m == 2 && r == 5 && c == 30) {
        return -1;
    }
    return 10.0 * static_cast<double>(m + 1) + c / 4.0;
}

struct Fixture {
    TempDir dir;
    Fixture() {
        RasterSpec spec;
        spec.width = W;
        spec.height = H;
        spec.epsg = 6933;
        for (int e = 0; e < 3; ++e) {
            std::vector<double> lc(W * H);
            for (int r = 0; r < H; ++r) {
                for (int c = 0; c < W; ++c) {
                    lc[r * W + c] = land_cover(e, r, c);
                }
            }
            write_raster(dir.file("lc" + std::to_string(2020 + e) + ".tif"), spec, lc);
        }
        RasterSpec fspec = spec;
        fspec.type = "Float32";
        fspec.nodata = -1;
        for (std::size_t k = 0; k < 2; ++k) {
            std::vector<double> v(W * H);
            for (int r = 0; r < H; ++r) {
                for (int c = 0; c < W; ++c) {
                    v[r * W + c] = period_value(k, r, c);
                }
            }
            write_raster(dir.file("pl" + std::to_string(2020 + k) + ".tif"), fspec, v);
        }
        for (std::size_t m = 0; m < MONTHS.size(); ++m) {
            std::vector<double> v(W * H);
            for (int r = 0; r < H; ++r) {
                for (int c = 0; c < W; ++c) {
                    v[r * W + c] = month_value(m, r, c);
                }
            }
            char name[64];
            std::snprintf(name, sizeof name, "t_%04d-%02d.tif", MONTHS[m].year, MONTHS[m].month);
            write_raster(dir.file(name), fspec, v);
        }
        write_text(dir.file("pools.csv"), "lucode,LULC_Name,C_above,c_below,c_soil,c_dead\n"
                                          "1,cropland,10,2,50,1\n"
                                          "2,forest,100,20,80,5\n");
        // District 1: x from the grid's west edge to the middle of column 20; district 2 the
        // rest, so column 20 is half in each.
        const double x0 = 500000.0;
        const double y0 = 4600000.0;
        const double mid = x0 + 20.5 * 30.0;
        cs::test::write_polygons(
            dir.file("districts.gpkg"), 6933,
            {{1, "west", {{{x0, y0}, {mid, y0}, {mid, y0 - H * 30.0}, {x0, y0 - H * 30.0}}}},
             {2,
              "east",
              {{{mid, y0},
                {x0 + W * 30.0, y0},
                {x0 + W * 30.0, y0 - H * 30.0},
                {mid, y0 - H * 30.0}}}}});
    }

    /// The run's config with the test stage (or `section`: `method`) and the monthly layer.
    Config config(const std::string &section = "test_month",
                  const std::string &method = "forest_value") const {
        const std::string text = "name: chain\n"
                                 "output_dir: out\n"
                                 "land_cover:\n"
                                 "  epochs:\n"
                                 "    2020: lc2020.tif\n"
                                 "    2021: lc2021.tif\n"
                                 "    2022: lc2022.tif\n"
                                 "districts:\n"
                                 "  path: districts.gpkg\n"
                                 "  id_field: code\n"
                                 "models:\n"
                                 "  stocks:\n"
                                 "    method: lookup\n"
                                 "    table: pools.csv\n"
                                 "processing:\n"
                                 "  block_cells: 256\n"
                                 "  tile_size: 16\n"
                                 "  checkpoint: false\n"
                                 "outputs:\n"
                                 "  rasters: false\n";
        Problems problems;
        Config cfg = parse_config(text, dir.file("run.yaml"), problems);
        EXPECT_TRUE(problems.errors.empty()) << problems.errors.front();
        cfg.months = MONTHS;
        cfg.registered_methods[section] = method;
        LayerSpec layer;
        layer.name = "tmon";
        layer.per_epoch = false;
        layer.month_pattern.path = dir.file("t_{yyyy}-{mm}.tif");
        layer.month_pattern.path_as_written = "t_{yyyy}-{mm}.tif";
        cfg.layers.push_back(layer);
        LayerSpec pl;
        pl.name = "pl";
        pl.per_epoch = false;
        for (int year : {2020, 2021}) {
            pl.paths[year] = {dir.file("pl" + std::to_string(year) + ".tif"),
                              "pl" + std::to_string(year) + ".tif", 0};
        }
        cfg.layers.push_back(pl);
        return cfg;
    }
};

/// Run the config in-process with `threads` threads.
RunResult run_with(const Fixture &f, const Config &cfg, int threads,
                   std::unique_ptr<PreparedRun> &run) {
    Problems problems;
    run = prepare_run(cfg, threads, problems);
    EXPECT_TRUE(problems.errors.empty()) << problems.errors.front();
    if (!run) {
        return {};
    }
    Progress progress(true);
    return run_blocks(*run, f.dir.file("out-" + std::to_string(threads)), progress);
}

} // namespace

TEST(Chain, MonthPathAndEpochOfMonth) {
    EXPECT_EQ(month_path("ndvi/{yyyy}/ndvi_{yyyy}{mm}.tif", 2020, 3), "ndvi/2020/ndvi_202003.tif");
    EXPECT_EQ(month_path("t_{mm}_{yyyy}", 987, 11), "t_11_0987");
    EXPECT_EQ(month_path("{yy}{m}", 2020, 3), "{yy}{m}"); // only the two tokens are replaced
    const std::vector<int> years = {2015, 2020};
    EXPECT_EQ(epoch_of_month(years, 2010), 0u); // before every epoch: the first
    EXPECT_EQ(epoch_of_month(years, 2015), 0u);
    EXPECT_EQ(epoch_of_month(years, 2019), 0u);
    EXPECT_EQ(epoch_of_month(years, 2020), 1u);
    EXPECT_EQ(epoch_of_month(years, 2031), 1u);
}

TEST(Chain, MonthStageGetsEveryMonthWithItsLandCoverAndAddsDistrictSeries) {
    Fixture f;
    std::unique_ptr<PreparedRun> run;
    const RunResult result = run_with(f, f.config(), 2, run);
    ASSERT_TRUE(run);
    ASSERT_EQ(run->months.size(), 4u);
    EXPECT_EQ(run->months[0].epoch, 0u); // 2019-12: before the first epoch
    EXPECT_EQ(run->months[2].epoch, 0u);
    EXPECT_EQ(run->months[3].epoch, 1u); // 2021-03
    const int sv = result.dims.find_series("forest_value");
    const int su = result.dims.find_series("uncounted");
    ASSERT_GE(sv, 0);
    ASSERT_GE(su, 0);
    // Independent sums: every pixel, its coverage fraction in each district (column 20 half
    // in each), 0.09 ha, the land cover of the month's epoch.
    double want_value[2][4] = {};
    double want_uncounted[2][4] = {};
    for (std::size_t m = 0; m < 4; ++m) {
        const int epoch = MONTHS[m].year >= 2021 ? 1 : 0;
        for (int r = 0; r < H; ++r) {
            for (int c = 0; c < W; ++c) {
                const double v = month_value(m, r, c);
                const bool counted = land_cover(epoch, r, c) == 2 && v >= 0;
                for (int d = 0; d < 2; ++d) {
                    const double frac = c == 20 ? 0.5 : ((c < 20) == (d == 0) ? 1.0 : 0.0);
                    if (counted) {
                        want_value[d][m] += v * PX_HA * frac;
                    } else {
                        want_uncounted[d][m] += PX_HA * frac;
                    }
                }
            }
        }
    }
    for (std::size_t d = 0; d < 2; ++d) {
        for (std::size_t m = 0; m < 4; ++m) {
            EXPECT_NEAR(result.totals->value(d, result.dims.series(sv, m)), want_value[d][m], 1e-9)
                << "district " << d << " month " << m;
            EXPECT_NEAR(result.totals->value(d, result.dims.series(su, m)), want_uncounted[d][m],
                        1e-9)
                << "district " << d << " month " << m;
        }
    }
    // By hand for one figure: district 1 (west) in 2021-03 (month 3, every pixel forest but
    // the nodata one is in the east): columns 0-19 and half of column 20, 30 rows each:
    // sum over c of (40 + c/4) x 30 x 0.09, column 20 weighted 0.5.
    double hand = 0.0;
    for (int c = 0; c < 20; ++c) {
        hand += (40.0 + c / 4.0) * 30 * PX_HA;
    }
    hand += (40.0 + 5.0) * 30 * PX_HA * 0.5;
    EXPECT_NEAR(result.totals->value(0, result.dims.series(sv, 3)), hand, 1e-9);
    // Month 0 (2019-12, the 2020 land cover): the west district's only forest is its half of
    // column 20.
    EXPECT_NEAR(result.totals->value(0, result.dims.series(sv, 0)), (10.0 + 5.0) * 30 * PX_HA * 0.5,
                1e-9);
}

TEST(Chain, PeriodStageReadsItsPerPeriodLayerAndClaimsItsPool) {
    Fixture f;
    std::unique_ptr<PreparedRun> run;
    const RunResult result = run_with(f, f.config("test_period", "period_value"), 2, run);
    ASSERT_TRUE(run);
    const int sp = result.dims.find_series("period_value");
    ASSERT_GE(sp, 0);
    ASSERT_EQ(result.dims.periods(), 2u);
    // Pools (above, below, soil, dead): class 1 = 10 + 2 + 50 + 1 = 63 Mg C/ha, class 2 = 100 +
    // 20 + 80 + 5 = 205; without soil 13 and 125. Pixels valid at both ends of a period: all
    // but (row 3, column 25), nodata in 2021 and 2022. Each period is one year.
    const double rest[3] = {0.0, 13.0, 125.0};
    for (std::size_t k = 0; k < 2; ++k) {
        double want_series[2] = {};
        double want_flux[2] = {};
        for (int r = 0; r < H; ++r) {
            for (int c = 0; c < W; ++c) {
                if (r == 3 && c == 25) {
                    continue;
                }
                // As stored: the layer is Float32 (2.3 is not exact in it).
                const double v = static_cast<float>(period_value(k, r, c));
                const double soil_free_change = rest[land_cover(static_cast<int>(k) + 1, r, c)] -
                                                rest[land_cover(static_cast<int>(k), r, c)];
                for (int d = 0; d < 2; ++d) {
                    const double frac = c == 20 ? 0.5 : ((c < 20) == (d == 0) ? 1.0 : 0.0);
                    want_series[d] += v * PX_HA * frac;
                    want_flux[d] += (soil_free_change + v) * PX_HA * frac;
                }
            }
        }
        for (std::size_t d = 0; d < 2; ++d) {
            EXPECT_NEAR(result.totals->value(d, result.dims.series(sp, k)), want_series[d], 1e-9)
                << "district " << d << " period " << k;
            EXPECT_NEAR(result.totals->value(d, result.dims.flux(k)), want_flux[d], 1e-9)
                << "district " << d << " period " << k;
        }
    }
    // By hand: the east district (columns 20.5-40) in period 1 (value 2 + r/10): 19.5 columns
    // x sum over the 30 rows of (2 + r/10) = 19.5 x (60 + 43.5), minus the nodata pixel at
    // row 3 (2.3), x 0.09 ha = 181.4355 (to the Float32 rounding of the layer's tenths).
    EXPECT_NEAR(result.totals->value(1, result.dims.series(sp, 1)),
                (19.5 * (60.0 + 43.5) - 2.3) * PX_HA, 1e-6);
}

TEST(Chain, PeriodStageFillsSeveralSeriesCountedWhereItsChangeCounts) {
    Fixture f;
    std::unique_ptr<PreparedRun> run;
    const RunResult result = run_with(f, f.config("test_period_parts", "double"), 2, run);
    ASSERT_TRUE(run);
    const int change = result.dims.find_series("parts_change");
    const int twice = result.dims.find_series("parts_double");
    ASSERT_GE(change, 0);
    ASSERT_EQ(twice, change + 1);
    for (std::size_t k = 0; k < 2; ++k) {
        double want[2] = {};
        for (int r = 0; r < H; ++r) {
            for (int c = 0; c < W; ++c) {
                if (r == 3 && c == 25) {
                    continue; // nodata land cover in 2021 and 2022: the change does not count
                }
                const double v = static_cast<float>(period_value(k, r, c));
                for (int d = 0; d < 2; ++d) {
                    want[d] += v * PX_HA * (c == 20 ? 0.5 : ((c < 20) == (d == 0) ? 1.0 : 0.0));
                }
            }
        }
        for (std::size_t d = 0; d < 2; ++d) {
            EXPECT_NEAR(result.totals->value(d, result.dims.series(change, k)), want[d], 1e-9);
            EXPECT_NEAR(result.totals->value(d, result.dims.series(twice, k)), 2.0 * want[d], 1e-9)
                << "district " << d << " period " << k;
        }
    }
    // By hand, east district, period 1: twice 19.5 x (60 + 43.5) - 2.3 (as in the test above).
    EXPECT_NEAR(result.totals->value(1, result.dims.series(twice, 1)),
                2.0 * (19.5 * (60.0 + 43.5) - 2.3) * PX_HA, 1e-6);
}

TEST(Chain, RefusedLayerValuesRefuseTheRunNamingRasterPeriodAreaAndDistricts) {
    Fixture f;
    Problems problems;
    auto run = prepare_run(f.config("test_period_parts", "refuse"), 2, problems);
    ASSERT_TRUE(run) << problems.errors.front();
    Progress progress(true);
    try {
        run_blocks(*run, f.dir.file("out-refused"), progress);
        FAIL() << "the run was not refused";
    } catch (const InputError &e) {
        // pl above 4.5: period 2020-2021 (1 + c/10) columns 36-39, all 30 rows, east only:
        // 120 px x 0.09 ha = 10.8 ha; period 2021-2022 (2 + r/10) rows 26-29, every column:
        // west 20.5 x 4 px, east 19.5 x 4 px, 160 px = 14.4 ha.
        ASSERT_EQ(e.messages().size(), 2u);
        EXPECT_NE(e.messages()[0].find("bad input values: pl/2020_2021 (" +
                                       f.dir.file("pl2020.tif") +
                                       ", band 1): 10.8 ha where test.period_parts needs it in "
                                       "period 2020-2021 hold an impossible value (district 2); "
                                       "pl must be at most 4.5 (use the band's nodata value for "
                                       "pixels without data)"),
                  std::string::npos)
            << e.messages()[0];
        EXPECT_NE(e.messages()[1].find("pl2021.tif, band 1): 14.4 ha where test.period_parts "
                                       "needs it in period 2021-2022 hold an impossible value "
                                       "(districts 1, 2); "),
                  std::string::npos)
            << e.messages()[1];
    }
    EXPECT_FALSE(std::filesystem::exists(f.dir.file("out-refused/results.h5")));
}

TEST(Chain, MissingPerPeriodLayerIsAnError) {
    Fixture f;
    Config cfg = f.config("test_period", "period_value");
    for (auto &l : cfg.layers) {
        if (l.name == "pl") {
            l.paths.erase(2021);
        }
    }
    Problems problems;
    EXPECT_FALSE(prepare_run(cfg, 1, problems));
    ASSERT_FALSE(problems.errors.empty());
    EXPECT_NE(problems.errors.front().find("missing input layer \"pl\": "), std::string::npos)
        << problems.errors.front();
    EXPECT_NE(problems.errors.front().find(": no raster for the period starting 2021 (one per "
                                           "period between land-cover epochs)"),
              std::string::npos)
        << problems.errors.front();
}

TEST(Chain, MonthSeriesAreBitIdenticalForOneAndManyThreads) {
    Fixture f;
    std::unique_ptr<PreparedRun> run1, run3;
    const RunResult one = run_with(f, f.config(), 1, run1);
    const RunResult three = run_with(f, f.config(), 3, run3);
    ASSERT_TRUE(one.totals && three.totals);
    ASSERT_EQ(one.dims.stride(), three.dims.stride());
    ASSERT_GT(run1->block_plan->size(), 3u); // several blocks, merged in block order
    for (std::size_t d = 0; d < one.dims.districts; ++d) {
        for (std::size_t j = 0; j < one.dims.stride(); ++j) {
            const double a = one.totals->value(d, j);
            const double b = three.totals->value(d, j);
            EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "district " << d << " offset " << j;
        }
    }
}

TEST(Chain, TheSameFilesUnderTwoNamesAreOpenedAndReadOnce) {
    Fixture f;
    Config cfg = f.config("test_two_names", "on");
    LayerSpec again = cfg.layers.front(); // tmon: the same pattern under another name
    ASSERT_EQ(again.name, "tmon");
    again.name = "tmon_again";
    cfg.layers.push_back(again);
    std::unique_ptr<PreparedRun> run;
    const RunResult result = run_with(f, cfg, 2, run);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->layers.size(), 1u);
    EXPECT_EQ(run->layer_index("tmon_again"), run->layer_index("tmon"));
    // Both names stay in the inputs of the provenance.
    int named = 0;
    for (const auto &in : run->inputs) {
        named += in.role == "tmon/2020-06" || in.role == "tmon_again/2020-06";
    }
    EXPECT_EQ(named, 2);
    // Every pixel-month got the same row for both names: the sum is the whole grid's area.
    const int ss = result.dims.find_series("shared_rows");
    ASSERT_GE(ss, 0);
    for (std::size_t m = 0; m < MONTHS.size(); ++m) {
        EXPECT_NEAR(result.totals->value(0, result.dims.series(ss, m)) +
                        result.totals->value(1, result.dims.series(ss, m)),
                    W * H * PX_HA, 1e-9);
    }
}

TEST(Chain, MissingMonthIsAnErrorNamingTheFile) {
    Fixture f;
    std::remove(f.dir.file("t_2020-06.tif").c_str());
    Problems problems;
    const auto run = prepare_run(f.config(), 1, problems);
    EXPECT_FALSE(run);
    ASSERT_FALSE(problems.errors.empty());
    EXPECT_NE(problems.errors.front().find("tmon/2020-06"), std::string::npos)
        << problems.errors.front();
    EXPECT_NE(problems.errors.front().find(f.dir.file("t_2020-06.tif")), std::string::npos)
        << problems.errors.front();
}

TEST(Chain, AVariableNoStageProducesIsRefused) {
    Fixture f;
    Problems problems;
    const auto run = prepare_run(f.config("test_hungry", "on"), 1, problems);
    EXPECT_FALSE(run);
    bool found = false;
    for (const auto &e : problems.errors) {
        found = found || e == "invalid model chain: test.hungry consumes \"no_such_variable\", "
                              "which no stage before it produces";
    }
    EXPECT_TRUE(found) << (problems.errors.empty() ? "" : problems.errors.front());
}
