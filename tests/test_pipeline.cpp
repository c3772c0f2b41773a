// Unit tests of the pipeline layer: config parsing, suggestions, ordered reduction, checksums.
#include "pipeline/accumulator.hpp"
#include "pipeline/config.hpp"
#include "pipeline/outputs.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/resources.hpp"
#include "pipeline/sha256.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <random>
#include <thread>

using namespace cs::pipeline;

namespace {

const char *MINIMAL = R"(name: demo
output_dir: out
land_cover:
  epochs:
    2015: data/lc2015.tif
    2020: data/lc2020.tif
models:
  stocks:
    method: lookup
    table: pools.csv
  sink:
    method: stock_difference
)";

bool has_error(const Problems &p, const std::string &text) {
    return std::any_of(p.errors.begin(), p.errors.end(),
                       [&](const std::string &e) { return e == text; });
}

std::string all_errors(const Problems &p) {
    std::string s;
    for (const auto &e : p.errors) {
        s += e + "\n";
    }
    return s;
}

} // namespace

TEST(Config, MinimalParsesAndResolvesPathsAgainstConfigDir) {
    Problems p;
    Config c = parse_config(MINIMAL, "/srv/city/run.yaml", p);
    ASSERT_TRUE(p.ok()) << all_errors(p);
    EXPECT_EQ(c.name, "demo");
    EXPECT_EQ(c.output_dir, "/srv/city/out");
    ASSERT_EQ(c.epochs.size(), 2u);
    EXPECT_EQ(c.epochs[0].year, 2015);
    EXPECT_EQ(c.epochs[0].path, "/srv/city/data/lc2015.tif");
    EXPECT_EQ(c.epochs[0].path_as_written, "data/lc2015.tif");
    EXPECT_EQ(c.epochs[0].line, 5);
    EXPECT_EQ(c.pools_table, "/srv/city/pools.csv");
    EXPECT_EQ(c.stocks_method, "lookup");
    EXPECT_EQ(c.sink_method, "stock_difference");
    EXPECT_FALSE(c.districts.present);
    EXPECT_TRUE(c.write_rasters);
}

TEST(Config, AbsolutePathsStay) {
    Problems p;
    std::string text = MINIMAL;
    text.replace(text.find("data/lc2015.tif"), 15, "/abs/lc2015.tif");
    Config c = parse_config(text, "/srv/city/run.yaml", p);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(c.epochs[0].path, "/abs/lc2015.tif");
}

TEST(Config, UnknownKeyHasSuggestionAndLine) {
    Problems p;
    std::string text = MINIMAL;
    text.replace(text.find("land_cover:"), 11, "land_cvoer:");
    parse_config(text, "/x/run.yaml", p);
    EXPECT_TRUE(has_error(p, "unknown config key \"land_cvoer\": run.yaml, line 3: did you mean "
                             "\"land_cover\"?"))
        << all_errors(p);
    // The real key is then missing: also reported.
    EXPECT_TRUE(has_error(p, "missing config key \"land_cover\": run.yaml, line 1: the key is "
                             "required"))
        << all_errors(p);
}

TEST(Config, NestedUnknownKeyWithoutCloseMatchListsAllowedKeys) {
    Problems p;
    std::string text = std::string(MINIMAL) + "processing:\n  zzzzzz: 3\n";
    parse_config(text, "/x/run.yaml", p);
    EXPECT_TRUE(has_error(p, "unknown config key \"processing.zzzzzz\": run.yaml, line 14: "
                             "allowed keys here are block_cells, tile_size, checkpoint"))
        << all_errors(p);
}

TEST(Config, EveryProblemIsReportedNotOnlyTheFirst) {
    Problems p;
    const char *text = R"(name: demo
outptu_dir: out
land_cover:
  band: one
  epochs:
    2020: a.tif
    2015: b.tif
models:
  stocks:
    method: lookp
)";
    parse_config(text, "/x/bad.yaml", p);
    EXPECT_TRUE(has_error(p, "unknown config key \"outptu_dir\": bad.yaml, line 2: did you mean "
                             "\"output_dir\"?"));
    EXPECT_TRUE(has_error(p, "invalid config value land_cover.band: bad.yaml, line 4: expected "
                             "an integer, got \"one\""));
    EXPECT_TRUE(has_error(p, "invalid config value land_cover.epochs: bad.yaml, line 7: year "
                             "2015 comes after 2020; list epochs in ascending year order"));
    EXPECT_TRUE(has_error(
        p, "invalid config value models.stocks.method: bad.yaml, line 10: "
           "unknown method \"lookp\"; available: lookup, agb_raster, inventory (did you mean "
           "\"lookup\"?)"));
    EXPECT_TRUE(has_error(p, "missing config key \"output_dir\": bad.yaml, line 1: the key is "
                             "required"));
    // No "missing table" error: which keys a method needs is unknown when the method is.
    EXPECT_EQ(p.errors.size(), 5u) << all_errors(p);
}

TEST(Config, YamlSyntaxErrorHasLineAndColumn) {
    Problems p;
    parse_config("name: demo\nland_cover: [unclosed\n", "/x/broken.yaml", p);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0].rfind("cannot parse config: broken.yaml, line ", 0), 0u) << p.errors[0];
    EXPECT_NE(p.errors[0].find(", column "), std::string::npos);
}

namespace {

/// `depth` block mappings inside each other: line i (from 1) holds key k<i-1>, indented by
/// i - 1 spaces; the innermost key has a scalar value.
std::string nested_maps(int depth) {
    std::string text;
    for (int i = 0; i < depth; ++i) {
        text += std::string(static_cast<std::size_t>(i), ' ') + "k" + std::to_string(i) + ":" +
                (i + 1 == depth ? " x\n" : "\n");
    }
    return text;
}

bool mentions(const Problems &p, const std::string &text) {
    return std::any_of(p.errors.begin(), p.errors.end(),
                       [&](const std::string &e) { return e.find(text) != std::string::npos; });
}

} // namespace

TEST(Config, NestingIsLimitedTo64Levels) {
    ASSERT_EQ(MAX_CONFIG_DEPTH, 64);
    Problems ok;
    parse_config(nested_maps(64), "/x/run.yaml", ok);
    EXPECT_FALSE(mentions(ok, "nested more than")) << all_errors(ok);
    EXPECT_TRUE(mentions(ok, "unknown config key \"k0\"")) << all_errors(ok); // parsed on
    // The 65th mapping starts with key k64 on line 65, indented by 64 spaces (column 65).
    Problems p;
    parse_config(nested_maps(65), "/x/run.yaml", p);
    ASSERT_EQ(p.errors.size(), 1u) << all_errors(p);
    EXPECT_EQ(p.errors[0], "cannot parse config: run.yaml, line 65, column 65: lists and "
                           "mappings are nested more than 64 deep (the limit of a config)");
    // Flow lists: the root mapping is level 1, so the 64th '[' opens level 65; "name: " is 6
    // characters, so it is at column 6 + 64.
    for (const std::size_t n : {std::size_t{64}, std::size_t{500000}}) {
        Problems q;
        parse_config("name: " + std::string(n, '[') + std::string(n, ']') + "\n", "/x/run.yaml", q);
        ASSERT_EQ(q.errors.size(), 1u) << all_errors(q);
        EXPECT_EQ(q.errors[0], "cannot parse config: run.yaml, line 1, column 70: lists and "
                               "mappings are nested more than 64 deep (the limit of a config)");
    }
    Problems flow_ok;
    parse_config("name: " + std::string(63, '[') + std::string(63, ']') + "\n", "/x/run.yaml",
                 flow_ok);
    EXPECT_FALSE(mentions(flow_ok, "nested more than")) << all_errors(flow_ok);
}

TEST(Config, ScalarsAreLimitedTo64KiB) {
    ASSERT_EQ(MAX_CONFIG_SCALAR_BYTES, 65536u);
    Problems ok;
    parse_config("name: " + std::string(65536, 'x') + "\n", "/x/run.yaml", ok);
    EXPECT_FALSE(mentions(ok, "a config value may have")) << all_errors(ok).substr(0, 300);
    Problems p;
    parse_config("output_dir: out\nname: \"" + std::string(65537, 'x') + "\"\n", "/x/run.yaml", p);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0], "cannot parse config: run.yaml, line 2, column 7: a value of 65537 "
                           "bytes is longer than the 65536 bytes a config value may have");
    // Keys are scalars too (an implicit key is limited to 1024 characters by YAML itself; an
    // explicit "? key" is not).
    Problems k;
    parse_config("? " + std::string(70000, 'k') + "\n: 1\n", "/x/run.yaml", k);
    ASSERT_EQ(k.errors.size(), 1u);
    EXPECT_EQ(k.errors[0], "cannot parse config: run.yaml, line 1, column 3: a value of 70000 "
                           "bytes is longer than the 65536 bytes a config value may have");
}

TEST(Config, TextIsLimitedTo1MiB) {
    ASSERT_EQ(MAX_CONFIG_BYTES, 1048576u);
    const std::string head = MINIMAL;
    // Exactly 1 MiB: a comment pads the valid config.
    const std::string pad = "# " + std::string(MAX_CONFIG_BYTES - head.size() - 3, 'x') + "\n";
    Problems ok;
    parse_config(head + pad, "/x/run.yaml", ok);
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
    Problems p;
    parse_config(head + pad + "\n", "/x/run.yaml", p);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0], "cannot parse config: run.yaml: the text has 1048577 bytes, more than "
                           "the 1 MiB (1048576 bytes) a config may have");
}

TEST(Config, DuplicateYearAndDuplicateKey) {
    Problems p;
    const char *text = R"(name: demo
name: again
output_dir: out
land_cover:
  epochs:
    2015: a.tif
    2015: b.tif
models:
  stocks: {method: lookup, table: p.csv}
)";
    parse_config(text, "/x/dup.yaml", p);
    EXPECT_TRUE(has_error(p, "duplicate config key \"name\": dup.yaml, line 2: the key is given "
                             "twice"))
        << all_errors(p);
    EXPECT_TRUE(has_error(p, "invalid config value land_cover.epochs: dup.yaml, line 7: year 2015 "
                             "is listed twice"))
        << all_errors(p);
}

TEST(Config, WrongTypesAndRanges) {
    Problems p;
    std::string text = std::string(MINIMAL) +
                       "processing:\n  block_cells: 10\n  tile_size: 100\noutputs:\n"
                       "  rasters: maybe\n  compression: deflat\n";
    parse_config(text, "/x/run.yaml", p);
    EXPECT_TRUE(has_error(p, "invalid config value processing.block_cells: run.yaml, line 14: 10 "
                             "is out of range 256..67108864"))
        << all_errors(p);
    EXPECT_TRUE(has_error(p, "invalid config value processing.tile_size: run.yaml, line 15: 100 "
                             "is not a multiple of 16 (GeoTIFF tiles must be)"));
    EXPECT_TRUE(has_error(p, "invalid config value outputs.rasters: run.yaml, line 17: expected "
                             "true or false, got \"maybe\""));
    EXPECT_TRUE(has_error(p, "invalid config value outputs.compression: run.yaml, line 18: "
                             "\"deflat\" is not one of DEFLATE, LZW, ZSTD, NONE (did you mean "
                             "\"DEFLATE\"?)"));
}

TEST(Config, EpochsMustBeAMapping) {
    Problems p;
    std::string text = MINIMAL;
    const auto a = text.find("  epochs:");
    const auto b = text.find("models:");
    text.replace(a, b - a, "  epochs: [a.tif, b.tif]\n");
    parse_config(text, "/x/run.yaml", p);
    EXPECT_TRUE(has_error(p, "invalid config value land_cover.epochs: run.yaml, line 4: expected "
                             "a mapping of year: raster path, e.g. \"2015: lc2015.tif\", got a "
                             "list"))
        << all_errors(p);
}

TEST(Config, MissingFileIsReported) {
    Problems p;
    load_config("/nonexistent/dir/run.yaml", p);
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0], "cannot read config: /nonexistent/dir/run.yaml: file not found");
}

TEST(ClosestMatch, FindsTyposAndRejectsFarWords) {
    EXPECT_EQ(closest_match("land_cvoer", {"name", "land_cover", "models"}), "land_cover");
    EXPECT_EQ(closest_match("modles", {"name", "land_cover", "models"}), "models");
    EXPECT_EQ(closest_match("xyzzy", {"name", "land_cover", "models"}), "");
}

TEST(OrderedQueue, ConsumesInIndexOrderWhateverTheDepositOrder) {
    for (int trial = 0; trial < 20; ++trial) {
        const std::size_t n = 200;
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::mt19937 rng(static_cast<unsigned>(trial));
        std::shuffle(order.begin(), order.end(), rng);
        OrderedQueue<std::size_t> q;
        std::vector<std::size_t> seen;
        std::mutex seen_mutex;
        auto consume = [&](std::size_t index, const std::size_t &value) {
            EXPECT_EQ(index, value);
            std::lock_guard<std::mutex> lock(seen_mutex);
            seen.push_back(value);
        };
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (std::size_t i = static_cast<std::size_t>(t); i < n; i += 4) {
                    std::size_t v = order[i];
                    q.deposit(v, std::move(v), consume);
                }
            });
        }
        for (auto &th : threads) {
            th.join();
        }
        ASSERT_EQ(seen.size(), n);
        for (std::size_t i = 0; i < n; ++i) {
            ASSERT_EQ(seen[i], i);
        }
        EXPECT_EQ(q.consumed(), n);
    }
}

TEST(DistrictTotals, MergeOfExactValuesIsOrderIndependentAndSparseRecordsLandRight) {
    AccumDims dims{5, 2, 3, 2, 0, {}, {}};
    // Partials with values that are exact in binary floating point (multiples of 1/4), so any
    // merge order gives exactly the same totals: addition of such values is associative.
    std::vector<BlockPartial> parts;
    std::vector<double> expected(dims.districts * dims.stride(), 0.0);
    std::mt19937 rng(7);
    for (int b = 0; b < 30; ++b) {
        BlockScratch scratch(dims);
        for (int k = 0; k < 6; ++k) {
            const auto d = static_cast<uint32_t>(rng() % dims.districts);
            const std::size_t off = rng() % dims.stride();
            const double v = static_cast<double>(rng() % 1000) / 4.0;
            scratch.touch(d)[off] += v;
            expected[d * dims.stride() + off] += v;
        }
        BlockPartial p;
        p.status_pixels.assign(dims.epochs * dims.statuses, 1);
        scratch.extract(p);
        EXPECT_TRUE(std::is_sorted(p.districts.begin(), p.districts.end()));
        parts.push_back(std::move(p));
    }
    DistrictTotals forward(dims);
    for (const auto &p : parts) {
        forward.merge(p);
    }
    DistrictTotals backward(dims);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        backward.merge(*it);
    }
    for (std::size_t d = 0; d < dims.districts; ++d) {
        for (std::size_t j = 0; j < dims.stride(); ++j) {
            EXPECT_EQ(forward.value(d, j), expected[d * dims.stride() + j]);
            EXPECT_EQ(backward.value(d, j), forward.value(d, j));
        }
    }
    EXPECT_EQ(forward.status_pixels(1, 1), 30);
}

TEST(DistrictTotals, RecordLayoutOffsetsAreDistinct) {
    // Three epochs, two classes, and declared series of a period stage and of a month stage
    // (14 months).
    AccumDims dims{1, 3, 4, 3, 2, {"gain_loss_mg_c_per_yr", "npp"}, {2, 14}};
    std::vector<std::size_t> offs = {dims.area()};
    for (std::size_t e = 0; e < 3; ++e) {
        for (std::size_t p = 0; p < 4; ++p) {
            offs.push_back(dims.stock(e, p));
        }
        for (std::size_t s = 0; s < 3; ++s) {
            offs.push_back(dims.status_area(e, s));
        }
    }
    for (std::size_t k = 0; k < 2; ++k) {
        offs.push_back(dims.flux(k));
        offs.push_back(dims.flux_invalid_area(k));
        for (std::size_t i = 0; i < 2; ++i) {
            for (std::size_t j = 0; j < 2; ++j) {
                offs.push_back(dims.transition(k, i, j));
            }
        }
        offs.push_back(dims.series(0, k));
    }
    for (std::size_t m = 0; m < 14; ++m) {
        offs.push_back(dims.series(1, m));
    }
    EXPECT_EQ(dims.find_series("npp"), 1);
    EXPECT_EQ(dims.find_series("nep"), -1);
    std::sort(offs.begin(), offs.end());
    EXPECT_EQ(std::adjacent_find(offs.begin(), offs.end()), offs.end());
    EXPECT_EQ(offs.back(), dims.stride() - 1);
    EXPECT_EQ(offs.size(), dims.stride());
}

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, FileOfAMillionAs) {
    cs::test::TempDir dir;
    cs::test::write_text(dir.file("a.bin"), std::string(1000000, 'a'));
    uint64_t size = 0;
    EXPECT_EQ(sha256_file(dir.file("a.bin"), size),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    EXPECT_EQ(size, 1000000u);
    EXPECT_THROW(sha256_file(dir.file("missing.bin"), size), OutputError);
}

// ---- the terminal table and the CSV column names (issue 9, item 11) ---------------------------

namespace {

/// Terminal columns of a UTF-8 line, decoded independently of the program: ASCII 1, the CJK
/// ideographs and fullwidth forms used below 2, combining acute (U+0301) 0. Fails the test on
/// a byte sequence that is not UTF-8.
int columns_of(const std::string &line) {
    int w = 0;
    for (std::size_t i = 0; i < line.size();) {
        const auto b = static_cast<unsigned char>(line[i]);
        std::size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
        EXPECT_NE(n, 0u) << "stray continuation byte at " << i << " in " << line;
        if (n == 0 || i + n > line.size()) {
            ADD_FAILURE() << "cut UTF-8 character at byte " << i << " in " << line;
            return -1;
        }
        uint32_t c = n == 1 ? b : b & (0xFF >> (n + 1));
        for (std::size_t k = 1; k < n; ++k) {
            const auto cb = static_cast<unsigned char>(line[i + k]);
            EXPECT_EQ(cb & 0xC0, 0x80) << "bad continuation byte in " << line;
            c = (c << 6) | (cb & 0x3F);
        }
        w += c == 0x0301 ? 0 : (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xFF00 && c <= 0xFF60) ? 2 : 1;
        i += n;
    }
    return w;
}

cs::pipeline::DistrictResults table_fixture(std::vector<std::string> names) {
    cs::pipeline::DistrictResults r;
    r.years = {2001, 2015};
    for (std::size_t i = 0; i < names.size(); ++i) {
        r.ids.push_back(static_cast<int64_t>(i + 1));
        r.area_ha.push_back(10.0 * static_cast<double>(i + 1));
        r.total_mg_c.insert(r.total_mg_c.end(), {100.0, 200.0});
        r.stock_change_mg_c_per_yr.push_back(7.5);
    }
    r.names = std::move(names);
    return r;
}

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
        lines.push_back(text.substr(start, nl - start));
    }
    EXPECT_EQ(start, text.size()) << "the table must end with a newline";
    return lines;
}

} // namespace

TEST(DistrictTable, PadsByDisplayWidthAndNeverCutsACharacter) {
    // 和平区 is 3 ideographs = 6 columns; 沈阳市浑南区高新技术产业开发区 is 15 ideographs = 30
    // columns, wider than the 22-column name field; "Café" spelled with a combining accent is
    // 4 columns in 6 bytes; ＡＢＣ are fullwidth (2 columns each).
    const std::vector<std::string> names = {
        "和平区",       "沈阳市浑南区高新技术产业开发区",
        "Cafe\xCC\x81", "ＡＢＣ park",
        "plain ascii",  "a name that is much longer than twenty-two"};
    const auto lines = lines_of(cs::pipeline::format_district_table(table_fixture(names)));
    ASSERT_EQ(lines.size(), names.size() + 1);
    const int width = columns_of(lines[0]);
    for (const auto &line : lines) {
        EXPECT_EQ(columns_of(line), width) << line;
    }
    // The name field is 22 columns after "id" (10) and a space: the area column starts at 33.
    EXPECT_EQ(lines[1].substr(0, 11 + 9), "1          和平区"); // 6 columns + 16 spaces
    EXPECT_EQ(lines[1].substr(11 + 9, 16), std::string(16, ' '));
    // 10 ideographs (20 columns) fit before the "~" marker; the 11th would need 23.
    EXPECT_NE(lines[2].find("沈阳市浑南区高新技术~ "), std::string::npos) << lines[2];
    EXPECT_NE(lines[6].find("a name that is much l~ "), std::string::npos) << lines[6];
}

TEST(DistrictTable, ANewlineInANameStaysOnItsRow) {
    const auto lines = lines_of(cs::pipeline::format_district_table(
        table_fixture({"North\nSouth", "tab\there", "cr\rlf"})));
    ASSERT_EQ(lines.size(), 4u);
    EXPECT_NE(lines[1].find("North South"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("tab here"), std::string::npos) << lines[2];
    EXPECT_NE(lines[3].find("cr lf"), std::string::npos) << lines[3];
}

TEST(DistrictTable, PeriodLabelsUseFullYears) {
    const std::string table = cs::pipeline::format_district_table(table_fixture({"a"}));
    EXPECT_NE(table.find("change_Mg_C/yr_2001-2015"), std::string::npos) << table;
    EXPECT_EQ(table.find("_1-15"), std::string::npos) << table;
}

TEST(DistrictsCsv, AParentLevelNamedDistrictGetsItsOwnColumnName) {
    std::vector<cs::pipeline::DistrictResults> levels(3);
    levels[0].years = {2015, 2020};
    levels[0].level = "park";
    levels[1].level = "district";
    levels[2].level = "city";
    const std::vector<std::string> expected = {"district_id",
                                               "district_name",
                                               "area_ha",
                                               "stock_mg_c_2015",
                                               "stock_mg_c_2020",
                                               "stock_change_mg_c_per_yr_2015_2020",
                                               "net_emissions_mg_co2_per_yr_2015_2020",
                                               "invalid_area_ha_2015",
                                               "invalid_area_ha_2020",
                                               "level",
                                               "parent_district_id",
                                               "city_id"};
    EXPECT_EQ(cs::pipeline::districts_csv_columns(levels), expected);
    // A level named so that the renamed column exists already still gets a unique name.
    levels[2].level = "parent_district";
    auto cols = cs::pipeline::districts_csv_columns(levels);
    EXPECT_EQ(cols.back(), "parent_parent_district_id");
    levels[1].level = "district_id"; // its column "district_id_id" is free
    levels[2].level = "level";       // "level_id" is free too
    cols = cs::pipeline::districts_csv_columns(levels);
    EXPECT_EQ(cols[10], "district_id_id");
    EXPECT_EQ(cols[11], "level_id");
    std::sort(cols.begin(), cols.end());
    EXPECT_EQ(std::adjacent_find(cols.begin(), cols.end()), cols.end());
}

// Producers that outrun a slow consumer (the serial GeoTIFF writer) wait after depositing, so
// the items held stay bounded by the limit plus one per producer, whatever the number of items;
// a raised stop flag releases waiting producers.
TEST(OrderedQueue, WaitForRoomBoundsWhatWaitsForASlowConsumer) {
    const std::size_t n = 120;
    const std::size_t limit = 3;
    const int producers = 4;
    OrderedQueue<std::size_t> q;
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> deposited{0};
    std::atomic<std::size_t> consumed{0};
    std::atomic<std::size_t> most_held{0};
    std::atomic<bool> stop{false};
    auto consume = [&](std::size_t index, const std::size_t &) {
        EXPECT_EQ(index, consumed.load());
        std::this_thread::sleep_for(std::chrono::microseconds(300));
        ++consumed;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < producers; ++t) {
        threads.emplace_back([&] {
            for (std::size_t b = next++; b < n; b = next++) {
                std::size_t v = b;
                const std::size_t held = ++deposited - consumed.load();
                std::size_t seen = most_held.load();
                while (held > seen && !most_held.compare_exchange_weak(seen, held)) {
                }
                q.deposit(b, std::move(v), consume);
                q.wait_for_room(limit, stop);
            }
        });
    }
    for (auto &th : threads) {
        th.join();
    }
    EXPECT_EQ(q.consumed(), n);
    // Held = deposited and not yet consumed: at most the limit, one item per producer about to
    // wait, and the one being consumed.
    EXPECT_LE(most_held.load(), limit + producers + 1);

    // A stop flag releases a producer waiting on an item that will never come.
    OrderedQueue<std::size_t> stuck;
    for (std::size_t b = 1; b <= 5; ++b) {
        std::size_t v = b;
        stuck.deposit(b, std::move(v), consume);
    }
    std::atomic<bool> stopped{false};
    std::thread waiter([&] { stuck.wait_for_room(1, stopped); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stopped = true;
    waiter.join();
    EXPECT_EQ(stuck.consumed(), 0u);
}

TEST(Config, PathsAreJoinedWithoutCollapsingDotDot) {
    EXPECT_EQ(join_os_path("/srv/city", "proj/../pools.csv"), "/srv/city/proj/../pools.csv");
    EXPECT_EQ(join_os_path("/srv/city", "./data//lc.tif"), "/srv/city/data/lc.tif");
    EXPECT_EQ(join_os_path("/srv/city", "/abs/../x.tif"), "/abs/../x.tif");
    EXPECT_EQ(join_os_path("", "pools.csv"), "pools.csv");
    EXPECT_EQ(join_os_path("/srv/city", "."), "/srv/city");
    EXPECT_EQ(join_os_path("rel", "../x"), "rel/../x");
    // A pipe or descriptor has no folder; a regular file's folder is its path's parent.
    EXPECT_EQ(config_base_dir("/dev/stdin"), "");
    EXPECT_EQ(config_base_dir("/proc/self/fd/0"), "");
    EXPECT_EQ(config_base_dir("/srv/city/run.yaml"), "/srv/city");
    EXPECT_EQ(config_base_dir("run.yaml"), "");
}

TEST(Config, TextThatIsNotUtf8IsDescribed) {
    EXPECT_EQ(describe_non_utf8_config("name: a\n"), "");
    EXPECT_EQ(describe_non_utf8_config("\xEF\xBB\xBFname: 和平\n"), "");
    EXPECT_EQ(describe_non_utf8_config(std::string("\xFF\xFEn\0", 4)),
              "starts with a UTF-16 little-endian byte-order mark");
    EXPECT_EQ(describe_non_utf8_config(std::string("\xFE\xFF\0n", 4)),
              "starts with a UTF-16 big-endian byte-order mark");
    EXPECT_EQ(describe_non_utf8_config(std::string("\xFF\xFE\0\0n\0\0\0", 8)),
              "starts with a UTF-32 little-endian byte-order mark");
    EXPECT_EQ(describe_non_utf8_config(std::string("n\0a\0", 4)),
              "it holds a NUL byte at line 1, column 2 (UTF-16 text without a byte-order mark?)");
    EXPECT_EQ(describe_non_utf8_config("a: 1\nname: caf\xE9\n"),
              "invalid byte 0xE9 at line 2, column 10");
    // Overlong forms and UTF-16 surrogates are not UTF-8.
    EXPECT_EQ(describe_non_utf8_config("x\xC0\xAF"), "invalid byte 0xC0 at line 1, column 2");
    EXPECT_EQ(describe_non_utf8_config("x\xED\xA0\x80"), "invalid byte 0xED at line 1, column 2");
}

// The memory limit of a cgroup, read from a fake /sys/fs/cgroup tree: cgroup v2 and v1, the
// smallest limit along the path, "max" and v1's "no limit" ignored.
TEST(Resources, CgroupMemoryLimitIsTheSmallestAlongThePath) {
    using cs::test::TempDir;
    using cs::test::write_text;
    TempDir d;
    const std::string root = d.path();
    auto put = [&](const std::string &rel, const std::string &text) {
        std::filesystem::create_directories(std::filesystem::path(root + "/" + rel).parent_path());
        write_text(root + "/" + rel, text);
    };
    // v2: the process's own group says max, its parent 2 GiB.
    put("user.slice/memory.max", "2147483648\n");
    put("user.slice/memory.current", "1000\n");
    put("user.slice/app/memory.max", "max\n");
    auto m = cs::pipeline::cgroup_memory("0::/user.slice/app\n", root);
    EXPECT_TRUE(m.limited);
    EXPECT_EQ(m.limit, uint64_t{2147483648});
    EXPECT_EQ(m.usage, 1000u);
    EXPECT_EQ(m.where, root + "/user.slice/memory.max");
    // v2: a smaller limit deeper down wins.
    put("user.slice/app/memory.max", "1073741824\n");
    m = cs::pipeline::cgroup_memory("0::/user.slice/app\n", root);
    EXPECT_EQ(m.limit, uint64_t{1073741824});
    // v1: the memory controller's line; the group's "no limit" is skipped for its parent's.
    put("memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
    put("memory/docker/memory.limit_in_bytes", "536870912\n");
    m = cs::pipeline::cgroup_memory("5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n", root);
    EXPECT_TRUE(m.limited);
    EXPECT_EQ(m.limit, uint64_t{536870912});
    EXPECT_EQ(m.where, root + "/memory/docker/memory.limit_in_bytes");
    // No limit anywhere.
    EXPECT_FALSE(cs::pipeline::cgroup_memory("0::/other\n", root).limited);
    EXPECT_FALSE(cs::pipeline::cgroup_memory("4:memory:/elsewhere\n", d.path() + "/none").limited);
}

// ---- uncertainty (issue 11) ---------------------------------------------------------------

TEST(Config, UncertaintyDefaultsAndParameters) {
    Problems p;
    const std::string text = std::string(MINIMAL) + R"(uncertainty:
  parameters:
    "pools.csv:c_above[2]": {distribution: normal, sd: 4.5, source: "plot survey 2019"}
    "pools.csv:c_soil[2]": {distribution: triangular, low: 10, high: 30, mode: 20, source: x}
    "pools.csv:c_below[2]": {distribution: truncated_normal, u_pct: 30, low: 0, source: y}
  assume_exact: ["pools.csv:c_dead[2]"]
  land_cover_accuracy:
    2020: acc2020.csv
    2015: acc2015.csv
)";
    Config c = parse_config(text, "/srv/city/run.yaml", p);
    ASSERT_TRUE(p.ok()) << all_errors(p);
    const auto &u = c.uncertainty;
    EXPECT_TRUE(u.present);
    EXPECT_EQ(u.method, cs::models::UncertaintyMethod::monte_carlo);
    EXPECT_EQ(u.draws, 1000u);
    EXPECT_EQ(u.seed, 1u);
    EXPECT_DOUBLE_EQ(u.confidence, 0.95);
    ASSERT_EQ(u.parameters.size(), 3u);
    EXPECT_EQ(u.parameters[0].name, "pools.csv:c_above[2]");
    EXPECT_EQ(u.parameters[0].pdf.kind, cs::models::Distribution::normal);
    EXPECT_DOUBLE_EQ(u.parameters[0].pdf.sd, 4.5);
    EXPECT_EQ(u.parameters[0].source, "plot survey 2019");
    EXPECT_EQ(u.parameters[0].line, 15);
    EXPECT_EQ(u.parameters[1].pdf.kind, cs::models::Distribution::triangular);
    EXPECT_TRUE(u.parameters[1].mode_given);
    EXPECT_DOUBLE_EQ(u.parameters[1].pdf.mode, 20.0);
    EXPECT_DOUBLE_EQ(u.parameters[2].u_pct, 30.0);
    EXPECT_TRUE(u.parameters[2].low_given);
    EXPECT_FALSE(u.parameters[2].high_given);
    ASSERT_EQ(u.assume_exact.size(), 1u);
    EXPECT_EQ(u.assume_exact[0].name, "pools.csv:c_dead[2]");
    ASSERT_EQ(u.land_cover_accuracy.size(), 2u);
    EXPECT_EQ(u.land_cover_accuracy[0].year, 2015); // sorted by year
    EXPECT_EQ(u.land_cover_accuracy[0].path, "/srv/city/acc2015.csv");
    EXPECT_EQ(u.land_cover_accuracy[1].year, 2020);

    Problems p2;
    Config none = parse_config(MINIMAL, "/srv/city/run.yaml", p2);
    EXPECT_FALSE(none.uncertainty.present);
}

TEST(Config, UncertaintyMethodDrawsSeedConfidence) {
    Problems p;
    Config c = parse_config(std::string(MINIMAL) + "uncertainty:\n  method: error_propagation\n"
                                                   "  seed: 18446744073709551615\n"
                                                   "  confidence: 0.9\n",
                            "/srv/city/run.yaml", p);
    ASSERT_TRUE(p.ok()) << all_errors(p);
    EXPECT_EQ(c.uncertainty.method, cs::models::UncertaintyMethod::error_propagation);
    EXPECT_EQ(c.uncertainty.seed, 18446744073709551615ull);
    EXPECT_DOUBLE_EQ(c.uncertainty.confidence, 0.9);

    const auto errors_of = [](const std::string &tail) {
        Problems q;
        parse_config(std::string(MINIMAL) + "uncertainty:\n" + tail, "/srv/city/run.yaml", q);
        return q;
    };
    EXPECT_TRUE(has_error(errors_of("  method: monte_carl\n"),
                          "invalid config value uncertainty.method: run.yaml, line 14: "
                          "\"monte_carl\" is not one of monte_carlo (IPCC Approach 2), "
                          "error_propagation (IPCC Approach 1) (did you mean \"monte_carlo\"?)"));
    EXPECT_TRUE(has_error(errors_of("  method: error_propagation\n  draws: 500\n"),
                          "invalid config value uncertainty.draws: run.yaml, line 15: "
                          "error_propagation (IPCC Approach 1) draws nothing; remove draws or use "
                          "method monte_carlo"));
    EXPECT_FALSE(errors_of("  draws: 1\n").ok());
    EXPECT_FALSE(errors_of("  draws: 100001\n").ok());
    EXPECT_TRUE(errors_of("  draws: 100000\n").ok());
    EXPECT_TRUE(has_error(errors_of("  seed: -3\n"),
                          "invalid config value uncertainty.seed: run.yaml, line 14: expected a "
                          "whole number from 0 to 18446744073709551615, got \"-3\""));
    EXPECT_FALSE(errors_of("  seed: 18446744073709551616\n").ok());
    EXPECT_TRUE(has_error(errors_of("  confidence: 95\n"),
                          "invalid config value uncertainty.confidence: run.yaml, line 14: 95 is "
                          "not a probability between 0 and 1 (0.95 for a 95 % interval)"));
    EXPECT_TRUE(has_error(errors_of("  land_cover_accuracy:\n    2016: a.csv\n"),
                          "invalid config value uncertainty.land_cover_accuracy: run.yaml, line "
                          "15: \"2016\" is not an epoch of land_cover.epochs (2015, 2020)"));
    EXPECT_FALSE(errors_of("  drawz: 3\n").ok());
}

TEST(Config, UncertaintyParameterErrors) {
    const auto errors_of = [](const std::string &spec) {
        Problems q;
        parse_config(std::string(MINIMAL) + "uncertainty:\n  parameters:\n    \"a[1]\": " + spec +
                         "\n",
                     "/srv/city/run.yaml", q);
        return q;
    };
    const std::string at = "invalid config value uncertainty.parameters.\"a[1]\": run.yaml, line "
                           "15: ";
    EXPECT_TRUE(has_error(errors_of("{distribution: normal, sd: -1, source: s}"),
                          at + "sd -1 is negative (a standard deviation is >= 0)"));
    EXPECT_TRUE(has_error(errors_of("{distribution: normal, source: s}"),
                          at + "normal needs its spread: give sd (in the parameter's unit) or "
                               "u_pct (the 95 % half-width as % of the value), one of them"));
    EXPECT_TRUE(has_error(errors_of("{distribution: normal, sd: 1, u_pct: 3, source: s}"),
                          at + "normal needs its spread: give sd (in the parameter's unit) or "
                               "u_pct (the 95 % half-width as % of the value), one of them"));
    EXPECT_TRUE(has_error(errors_of("{distribution: uniform, low: 3, high: 1, source: s}"),
                          at + "low 3 is not below high 1"));
    EXPECT_TRUE(has_error(errors_of("{distribution: triangular, low: 1, high: 3, mode: 5, "
                                    "source: s}"),
                          at + "mode 5 is outside [low, high]"));
    EXPECT_TRUE(has_error(errors_of("{distribution: uniform, sd: 1, source: s}"),
                          at + "uniform is given by low and high, not by sd or u_pct"));
    EXPECT_TRUE(has_error(errors_of("{distribution: gamma, sd: 1, source: s}"),
                          "invalid config value uncertainty.parameters.\"a[1]\".distribution: "
                          "run.yaml, line 15: \"gamma\" is not one of normal, lognormal, "
                          "truncated_normal, uniform, triangular"));
    const Problems no_source = errors_of("{distribution: normal, sd: 1}");
    ASSERT_FALSE(no_source.ok());
    EXPECT_NE(no_source.errors[0].find("missing config key \"uncertainty.parameters.\"a[1]\"."
                                       "source\": run.yaml, line 15: say where the distribution "
                                       "comes from"),
              std::string::npos)
        << all_errors(no_source);

    Problems both;
    parse_config(std::string(MINIMAL) +
                     "uncertainty:\n  parameters:\n    \"a[1]\": {distribution: normal, sd: 1, "
                     "source: s}\n  assume_exact: [\"a[1]\"]\n",
                 "/srv/city/run.yaml", both);
    EXPECT_TRUE(has_error(both, "invalid config value uncertainty.assume_exact: run.yaml, line 16: "
                                "\"a[1]\" also has a distribution under uncertainty.parameters "
                                "(run.yaml, line 15); keep one"));
}
