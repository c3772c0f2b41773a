// The public C++ API (include/carbonsink/carbonsink.hpp): a hand-worked run in memory, NEP and
// uncertainty results, validate() and run() of bad configs against the CLI's messages, cancel
// and resume, YAML text, progress events and the model list.
#include "carbonsink/carbonsink.hpp"

#include "models/registry.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace cs::test;
namespace fs = std::filesystem;

namespace {

// The scenario of test_integration.cpp (40 x 30 px, 30 m, EPSG:6933: every pixel is exactly
// 0.09 ha), worked by hand below.
// 2010: columns 0-19 class 1 (cropland), columns 20-39 class 2 (forest).
// 2020: as 2010, but rows 0-9 of columns 0-19 become forest, the 10 x 10 block columns 30-39,
//       rows 20-29 becomes class 3 (settlement), and pixel (col 5, row 25) is nodata.
// Pools (Mg C/ha): 1 = 10 + 2 + 50 + 1 = 63; 2 = 100 + 20 + 80 + 5 = 205; 3 = 0 + 0 + 30 + 0.
// Districts: A id 11 = columns 0-19; B id 22 = columns 20-39 rows 0-14; C id 33 = columns 20-39
// rows 15-29.
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
    PolygonFeature rect(int64_t id, const std::string &name, int c0, int r0, int c1, int r1) const {
        return pixel_rectangle(spec, id, name, c0, r0, c1, r1);
    }
    static std::string text(const std::string &extra = "") {
        return "name: scenario\n"
               "output_dir: out\n"
               "land_cover:\n"
               "  epochs:\n"
               "    2010: lc2010.tif\n"
               "    2020: lc2020.tif\n"
               "districts:\n"
               "  path: districts.gpkg\n"
               "  id_field: code\n"
               "  name_field: name\n"
               "models:\n"
               "  stocks:\n"
               "    method: lookup\n"
               "    table: pools.csv\n"
               "  sink:\n"
               "    method: stock_difference\n" +
               extra;
    }
    std::string config(const std::string &extra = "") const {
        const std::string path = dir.file("run.yaml");
        write_text(path, text(extra));
        return path;
    }
};

/// Many small blocks, so that a run can be cancelled between them.
const char *SMALL_BLOCKS = "processing:\n  block_cells: 256\n  tile_size: 16\n";

/// The hand-worked figures of the scenario (see the comments at the top).
void expect_hand_worked(const carbonsink::Results &res) {
    EXPECT_EQ(res.years, (std::vector<int32_t>{2010, 2020}));
    EXPECT_EQ(res.pools, (std::vector<std::string>{"above_ground", "below_ground", "soil",
                                                   "dead_organic_matter"}));
    EXPECT_TRUE(res.months.empty());
    ASSERT_EQ(res.levels.size(), 1u);
    const carbonsink::LevelResults &l = res.levels[0];
    EXPECT_EQ(l.level, "district");
    EXPECT_EQ(l.ids, (std::vector<int64_t>{11, 22, 33})); // ascending, whatever the file order
    EXPECT_EQ(l.names, (std::vector<std::string>{"A", "B, north", "C"}));
    // A: 20 x 30 px x 0.09 = 54 ha; B and C: 20 x 15 px = 27 ha.
    ASSERT_EQ(l.area_ha.size(), 3u);
    EXPECT_NEAR(l.area_ha[0], 54.0, 1e-9);
    EXPECT_NEAR(l.area_ha[1], 27.0, 1e-9);
    EXPECT_NEAR(l.area_ha[2], 27.0, 1e-9);
    // Totals [D, E]. A 2010: 600 px x 0.09 x 63 = 3402; 2020: 200 px forest (18 ha x 205 = 3690)
    // + 399 cropland px (35.91 ha x 63 = 2262.33) = 5952.33. B: 27 x 205 = 5535 both epochs.
    // C 2010: 5535; 2020: 100 px settlement (9 ha x 30 = 270) + 200 px forest (18 x 205 = 3690).
    const std::vector<double> total = {3402.0,     18 * 205 + 35.91 * 63, 27 * 205.0, 27 * 205.0,
                                       27 * 205.0, 9 * 30 + 18 * 205.0};
    ASSERT_EQ(l.total_mg_c.size(), total.size());
    for (std::size_t i = 0; i < total.size(); ++i) {
        EXPECT_NEAR(l.total_mg_c[i], total[i], 1e-6) << i;
    }
    // Valid area: A 2020 lacks the nodata pixel: 54 - 0.09.
    ASSERT_EQ(l.valid_area_ha.size(), 6u);
    EXPECT_NEAR(l.valid_area_ha[0], 54.0, 1e-9);
    EXPECT_NEAR(l.valid_area_ha[1], 54.0 - 0.09, 1e-9);
    // Pools [D, E, P]: A 2020 above-ground = 18 x 100 + 35.91 x 10; soil = 18 x 80 + 35.91 x 50;
    // and the pools add up to the total everywhere.
    ASSERT_EQ(l.stock_mg_c.size(), 3u * 2u * 4u);
    EXPECT_NEAR(l.stock_mg_c[0 * 8 + 1 * 4 + 0], 18 * 100 + 35.91 * 10, 1e-6);
    EXPECT_NEAR(l.stock_mg_c[0 * 8 + 1 * 4 + 2], 18 * 80 + 35.91 * 50, 1e-6);
    for (std::size_t de = 0; de < 6; ++de) {
        double sum = 0;
        for (std::size_t p = 0; p < 4; ++p) {
            sum += l.stock_mg_c[de * 4 + p];
        }
        EXPECT_NEAR(sum, l.total_mg_c[de], 1e-9);
    }
    // Flux [D, K]: only pixels valid in both epochs. A: 200 px x 0.09 x (205 - 63) / 10 = 255.6;
    // B: 0; C: (3960 - 5535) / 10 = -157.5. Net emissions = -44/12 x change (science.md §1.1).
    const std::vector<double> change = {255.6, 0.0, -157.5};
    ASSERT_EQ(l.stock_change_mg_c_per_yr.size(), 3u);
    ASSERT_EQ(l.net_emissions_mg_co2_per_yr.size(), 3u);
    for (std::size_t d = 0; d < 3; ++d) {
        EXPECT_NEAR(l.stock_change_mg_c_per_yr[d], change[d], 1e-6) << d;
        EXPECT_NEAR(l.net_emissions_mg_co2_per_yr[d], -44.0 / 12.0 * change[d], 1e-6) << d;
    }
    EXPECT_TRUE(l.monthly.empty());
    EXPECT_TRUE(l.uncertainty.empty());
}

/// The "error: " lines of the CLI's stderr, without the prefix.
std::vector<std::string> cli_errors(const std::string &err) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < err.size()) {
        std::size_t end = err.find('\n', start);
        if (end == std::string::npos) {
            end = err.size();
        }
        const std::string line = err.substr(start, end - start);
        if (line.rfind("error: ", 0) == 0) {
            out.push_back(line.substr(7));
        }
        start = end + 1;
    }
    return out;
}

std::vector<std::string> listing(const std::string &dir) {
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir)) {
        names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST(Api, HandWorkedRunInMemoryWithProgress) {
    Scenario s;
    std::vector<carbonsink::ProgressEvent> events;
    carbonsink::RunOptions options;
    options.threads = 2;
    options.output_dir = s.dir.file("api-out");
    options.progress = [&](const carbonsink::ProgressEvent &e) { events.push_back(e); };
    const carbonsink::Results res =
        carbonsink::run(carbonsink::ConfigSource::file(s.config()), options);
    expect_hand_worked(res);
    EXPECT_EQ(res.output_dir, s.dir.file("api-out"));
    for (const char *f : {"results.h5", "districts.csv", "districts.csvt", "report.html"}) {
        EXPECT_NE(std::find(res.outputs.begin(), res.outputs.end(), f), res.outputs.end()) << f;
        EXPECT_TRUE(fs::exists(s.dir.file(std::string("api-out/") + f))) << f;
    }
    EXPECT_TRUE(std::is_sorted(res.outputs.begin(), res.outputs.end()));
    EXPECT_TRUE(res.warnings.empty());

    // Phases in order: prepare (the grid), compute counted from 0 to its total, compute done,
    // write.
    std::vector<std::string> lines;
    int64_t total = 0, last = -1;
    bool started = false;
    for (const auto &e : events) {
        if (e.total == 0) {
            lines.push_back(e.phase);
        } else {
            EXPECT_EQ(e.phase, "compute");
            EXPECT_TRUE(e.detail.empty());
            if (!started) {
                EXPECT_EQ(e.done, 0);
                started = true;
            }
            EXPECT_GT(e.done, last) << "counts only grow";
            last = e.done;
            total = e.total;
        }
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"prepare", "compute", "write"}));
    EXPECT_GT(total, 0);
    EXPECT_EQ(last, total) << "the last count is the total";
    EXPECT_EQ(events.front().detail.rfind("40 x 30 px, 2 epochs, 3 districts, ", 0), 0u)
        << events.front().detail;
    const auto done = std::find_if(events.begin(), events.end(), [](const auto &e) {
        return e.phase == "compute" && e.total == 0;
    });
    ASSERT_NE(done, events.end());
    EXPECT_EQ(done->detail.rfind("done, " + std::to_string(total) + " blocks in ", 0), 0u)
        << done->detail;
}

TEST(Api, YamlTextResolvesRelativePathsAgainstBaseDir) {
    Scenario s;
    // The current folder is not the scenario's: only base_dir can find lc2010.tif and put `out`
    // there.
    ASSERT_NE(fs::current_path(), fs::path(s.dir.file("")).parent_path());
    const carbonsink::Results res =
        carbonsink::run(carbonsink::ConfigSource::yaml(Scenario::text(), s.dir.file("")));
    expect_hand_worked(res);
    EXPECT_TRUE(fs::exists(s.dir.file("out/districts.csv")));
    EXPECT_EQ(fs::path(res.output_dir).lexically_normal(),
              fs::path(s.dir.file("out")).lexically_normal());

    // A problem in the text names it "(config text)" with its line.
    const auto v = carbonsink::validate(
        carbonsink::ConfigSource::yaml("threds: 2\n" + Scenario::text(), s.dir.file("")));
    EXPECT_FALSE(v.ok);
    ASSERT_FALSE(v.errors.empty());
    EXPECT_EQ(v.errors[0].rfind("unknown config key \"threds\": (config text), line 1", 0), 0u)
        << v.errors[0];
}

TEST(Api, ValidateAndRunOfABadConfigGiveTheCliMessages) {
    Scenario s;
    fs::remove(s.dir.file("lc2010.tif"));
    std::string text = Scenario::text();
    text.replace(text.find("output_dir: out\n"), 16, "output_dir: out\nthreds: 2\n");
    write_text(s.dir.file("typo.yaml"), text);
    const auto v = carbonsink::validate(carbonsink::ConfigSource::file(s.dir.file("typo.yaml")));
    EXPECT_FALSE(v.ok);
    EXPECT_TRUE(v.summary.empty());
    // Both problems, as test_integration asserts them on the CLI's stderr ...
    ASSERT_EQ(v.errors.size(), 2u) << ::testing::PrintToString(v.errors);
    EXPECT_EQ(v.errors[0].rfind("unknown config key \"threds\": typo.yaml, line 3", 0), 0u)
        << v.errors[0];
    EXPECT_EQ(v.errors[1], "cannot read land_cover/2010: land_cover/2010 (lc2010.tif), typo.yaml, "
                           "line 6: file not found");
    // ... and word for word the lines `carbonsink validate` prints, in the same order.
    const auto cli = run_carbonsink("validate " + s.dir.file("typo.yaml"));
    EXPECT_EQ(cli.exit_code, 2);
    EXPECT_EQ(cli_errors(cli.err), v.errors);

    // run() throws Error kind invalid with the same messages; the CLI exits 2 with them.
    try {
        carbonsink::run(carbonsink::ConfigSource::file(s.dir.file("typo.yaml")));
        FAIL() << "run() of a bad config must throw";
    } catch (const carbonsink::Error &e) {
        EXPECT_EQ(e.kind(), carbonsink::Error::Kind::invalid);
        EXPECT_EQ(e.exit_code(), 2);
        EXPECT_EQ(e.messages(), v.errors);
        EXPECT_EQ(std::string(e.what()), v.errors[0]);
        const auto cli_run = run_carbonsink("run " + s.dir.file("typo.yaml"));
        EXPECT_EQ(cli_run.exit_code, 2);
        EXPECT_EQ(cli_errors(cli_run.err), e.messages());
    }
    EXPECT_FALSE(fs::exists(s.dir.file("out/districts.csv")));
}

TEST(Api, ValidateOfAGoodConfigHasTheCliSummary) {
    Scenario s;
    const auto v = carbonsink::validate(carbonsink::ConfigSource::file(s.config()), 1);
    EXPECT_TRUE(v.ok);
    EXPECT_TRUE(v.errors.empty());
    EXPECT_EQ(v.summary.rfind("40 x 30 px, 2 epochs, 3 districts, ", 0), 0u) << v.summary;
    EXPECT_NE(v.summary.find(", 1 thread; "), std::string::npos) << v.summary;
    EXPECT_FALSE(fs::exists(s.dir.file("out"))) << "validate writes nothing";
}

TEST(Api, CancelKeepsTheCheckpointAndResumeFinishes) {
    Scenario s;
    const std::string cfg = s.config(SMALL_BLOCKS);
    // The output folder holds a file of its own; a cancelled run must leave it as it was.
    fs::create_directories(s.dir.file("out"));
    write_text(s.dir.file("out/mine.txt"), "keep");
    std::atomic<bool> cancel{false};
    bool armed = true; // cancel the first run only
    std::vector<carbonsink::ProgressEvent> events;
    carbonsink::RunOptions options;
    options.threads = 1;
    options.cancel = &cancel;
    options.progress = [&](const carbonsink::ProgressEvent &e) {
        events.push_back(e);
        if (armed && e.phase == "compute" && e.total > 0 && e.done >= 1) {
            cancel = true; // after the first block
        }
    };
    int64_t total = 0;
    try {
        carbonsink::run(carbonsink::ConfigSource::file(cfg), options);
        FAIL() << "a cancelled run must throw";
    } catch (const carbonsink::Error &e) {
        EXPECT_EQ(e.kind(), carbonsink::Error::Kind::cancelled);
        EXPECT_EQ(e.exit_code(), 130);
        ASSERT_EQ(e.messages().size(), 1u);
        const std::string &m = e.messages()[0];
        EXPECT_EQ(m.rfind("interrupted: stopped by a cancel request after ", 0), 0u) << m;
        EXPECT_NE(m.find("; no output was written. "), std::string::npos) << m;
        EXPECT_NE(m.find(" computed blocks are kept in " + s.dir.file("out") +
                         "/.carbonsink-checkpoint: continue with `carbonsink run " + cfg +
                         " --resume`"),
                  std::string::npos)
            << m;
    }
    for (const auto &e : events) {
        total = std::max(total, e.total);
    }
    ASSERT_GT(total, 2) << "the scenario needs several blocks";
    EXPECT_EQ(listing(s.dir.file("out")),
              (std::vector<std::string>{".carbonsink-checkpoint", "mine.txt"}));
    EXPECT_EQ(read_text(s.dir.file("out/mine.txt")), "keep");

    // Resume: the blocks of the checkpoint are not computed again; the totals are the hand's.
    cancel = false;
    armed = false;
    events.clear();
    options.resume = true;
    const carbonsink::Results res = carbonsink::run(carbonsink::ConfigSource::file(cfg), options);
    expect_hand_worked(res);
    const auto resumed = std::find_if(events.begin(), events.end(),
                                      [](const auto &e) { return e.phase == "resume"; });
    ASSERT_NE(resumed, events.end());
    EXPECT_EQ(resumed->detail.find("0 of "), std::string::npos) << "blocks were kept";
    EXPECT_NE(resumed->detail.find(" of " + std::to_string(total) + " blocks from the checkpoint"),
              std::string::npos)
        << resumed->detail;
    EXPECT_FALSE(fs::exists(s.dir.file("out/.carbonsink-checkpoint")));
    EXPECT_TRUE(fs::exists(s.dir.file("out/mine.txt")));
}

TEST(Api, NepRunHasMonthlySeriesOfTheRightShape) {
    TempDir out;
    carbonsink::RunOptions options;
    options.output_dir = out.file("seasonal");
    const auto res =
        carbonsink::run(carbonsink::ConfigSource::file(std::string(CS_SOURCE_DIR) +
                                                       "/data-samples/demo-seasonal.yaml"),
                        options);
    ASSERT_FALSE(res.months.empty());
    EXPECT_EQ(res.months.front().size(), 7u); // "YYYY-MM"
    EXPECT_EQ(res.months.front()[4], '-');
    const auto &l = res.levels.front();
    const std::size_t D = l.ids.size();
    ASSERT_GT(D, 0u);
    for (const char *name : {"npp_mg_c", "rh_mg_c", "nep_mg_c", "nep_invalid_area_ha"}) {
        ASSERT_EQ(l.monthly.count(name), 1u) << name;
        EXPECT_EQ(l.monthly.at(name).size(), D * res.months.size()) << name;
    }
    // NEP = NPP - R_H (science.md §1.2), unit by unit and month by month.
    for (std::size_t i = 0; i < D * res.months.size(); ++i) {
        EXPECT_NEAR(l.monthly.at("nep_mg_c")[i],
                    l.monthly.at("npp_mg_c")[i] - l.monthly.at("rh_mg_c")[i], 1e-6);
    }
    EXPECT_NE(std::find(res.outputs.begin(), res.outputs.end(), "nep_monthly.csv"),
              res.outputs.end());
}

TEST(Api, UncertaintyRunHasIntervalsOfTheRightShape) {
    TempDir out;
    carbonsink::RunOptions options;
    options.output_dir = out.file("mc");
    const auto res =
        carbonsink::run(carbonsink::ConfigSource::file(std::string(CS_SOURCE_DIR) +
                                                       "/data-samples/demo-uncertainty.yaml"),
                        options);
    const std::size_t E = res.years.size(), K = E - 1, P = res.pools.size();
    ASSERT_GE(E, 2u);
    for (const auto &l : res.levels) {
        const std::size_t D = l.ids.size();
        EXPECT_NE(l.uncertainty_label.find("1000 draws"), std::string::npos) << l.uncertainty_label;
        const std::vector<std::pair<std::string, std::size_t>> shapes = {
            {"stock_mg_c", D * E * P},
            {"total_mg_c", D * E},
            {"stock_change_mg_c_per_yr", D * K},
            {"net_emissions_mg_co2_per_yr", D * K}};
        for (const auto &[name, n] : shapes) {
            ASSERT_EQ(l.uncertainty.count(name), 1u) << name;
            const carbonsink::Intervals &iv = l.uncertainty.at(name);
            EXPECT_EQ(iv.mean.size(), n) << name;
            EXPECT_EQ(iv.sd.size(), n) << name;
            EXPECT_EQ(iv.ci_low.size(), n) << name;
            EXPECT_EQ(iv.ci_high.size(), n) << name;
            for (std::size_t i = 0; i < iv.ci_low.size(); ++i) {
                EXPECT_LE(iv.ci_low[i], iv.ci_high[i]) << name << " " << i;
            }
        }
    }
}

TEST(Api, ModelsMatchTheRegistry) {
    const auto listed = carbonsink::models();
    const auto &registry = cs::models::model_registry();
    ASSERT_EQ(listed.size(), registry.size());
    ASSERT_FALSE(listed.empty());
    for (std::size_t i = 0; i < listed.size(); ++i) {
        EXPECT_EQ(listed[i].name, registry[i].name);
        EXPECT_EQ(listed[i].section, registry[i].section);
        EXPECT_EQ(listed[i].method, registry[i].method);
        EXPECT_EQ(listed[i].summary, registry[i].summary);
        EXPECT_EQ(listed[i].inputs, registry[i].inputs);
        EXPECT_EQ(listed[i].outputs, registry[i].outputs);
        EXPECT_EQ(listed[i].reference, registry[i].reference);
        ASSERT_EQ(listed[i].parameters.size(), registry[i].parameters.size());
        for (std::size_t p = 0; p < listed[i].parameters.size(); ++p) {
            EXPECT_EQ(listed[i].parameters[p].name, registry[i].parameters[p].name);
            EXPECT_EQ(listed[i].parameters[p].unit, registry[i].parameters[p].unit);
            EXPECT_EQ(listed[i].parameters[p].source, registry[i].parameters[p].source);
        }
    }
    const auto lookup = std::find_if(listed.begin(), listed.end(),
                                     [](const auto &m) { return m.name == "stocks.lookup"; });
    EXPECT_NE(lookup, listed.end());
}

TEST(Api, ErrorCarriesKindMessagesAndNotes) {
    const carbonsink::Error e(carbonsink::Error::Kind::failed, {"first", "second"}, {"a note"});
    EXPECT_EQ(std::string(e.what()), "first");
    EXPECT_EQ(e.messages(), (std::vector<std::string>{"first", "second"}));
    EXPECT_EQ(e.notes(), (std::vector<std::string>{"a note"}));
    EXPECT_EQ(e.exit_code(), 1);
    EXPECT_EQ(carbonsink::Error(carbonsink::Error::Kind::invalid, {}).exit_code(), 2);
    EXPECT_EQ(std::string(carbonsink::Error(carbonsink::Error::Kind::invalid, {}).what()), "");
    // The version is the one `carbonsink --version` prints.
    const auto cli = run_carbonsink("--version");
    EXPECT_EQ(cli.out.rfind("carbonsink " + carbonsink::version(), 0), 0u) << cli.out;
}

TEST(Api, WarningsReachValidateRunAndTheProgressEventsAsTheCliPrintsThem) {
    // 2020 shifted half a pixel east (test_integration's MisalignedGridIsWarpedWithAWarning):
    // prepare warns that it is warped on the fly.
    Scenario s;
    RasterSpec shifted = s.spec;
    shifted.origin_x += 15.0;
    write_raster(s.dir.file("lc2020.tif"), shifted, std::vector<double>(40 * 30, 1));
    const std::string cfg = s.config();
    const std::string expected = "land_cover/2020 (" + s.dir.file("lc2020.tif") +
                                 ", band 1): not on the reference grid land_cover/2010 (" +
                                 s.dir.file("lc2010.tif") +
                                 ", band 1) (origin x differs by 0.50 px); warped on the fly with "
                                 "nearest resampling";
    std::vector<std::string> seen;
    const auto v = carbonsink::validate(carbonsink::ConfigSource::file(cfg), 1,
                                        [&](const carbonsink::ProgressEvent &e) {
                                            if (e.phase == "warning") {
                                                seen.push_back(e.detail);
                                            }
                                        });
    EXPECT_TRUE(v.ok) << ::testing::PrintToString(v.errors);
    EXPECT_EQ(v.warnings, std::vector<std::string>{expected});
    EXPECT_EQ(seen, v.warnings);
    // The CLI prints the same warnings.
    const auto cli = run_carbonsink("validate " + cfg);
    EXPECT_EQ(cli.exit_code, 0);
    EXPECT_EQ(cli.err, "warning: " + expected + "\n");

    seen.clear();
    carbonsink::RunOptions options;
    options.progress = [&](const carbonsink::ProgressEvent &e) {
        if (e.phase == "warning") {
            seen.push_back(e.detail);
        }
    };
    const auto res = carbonsink::run(carbonsink::ConfigSource::file(cfg), options);
    ASSERT_FALSE(res.warnings.empty());
    EXPECT_EQ(res.warnings.front(), expected);
    EXPECT_EQ(seen, res.warnings);
}

TEST(Api, CallsFromTwoThreadsAreSerialisedAndBothHandWorked) {
    Scenario s;
    const std::string cfg = s.config();
    carbonsink::Results a, b;
    auto one = [&](carbonsink::Results &out, const std::string &dir) {
        carbonsink::RunOptions options;
        options.threads = 1;
        options.output_dir = s.dir.file(dir);
        out = carbonsink::run(carbonsink::ConfigSource::file(cfg), options);
    };
    std::thread t1(one, std::ref(a), "t1");
    std::thread t2(one, std::ref(b), "t2");
    t1.join();
    t2.join();
    expect_hand_worked(a);
    expect_hand_worked(b);
    EXPECT_EQ(read_text(s.dir.file("t1/districts.csv")), read_text(s.dir.file("t2/districts.csv")));
}
