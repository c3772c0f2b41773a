// Unit tests of the pipeline layer: config parsing, suggestions, ordered reduction, checksums.
#include "pipeline/accumulator.hpp"
#include "pipeline/config.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/sha256.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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
                             "is out of range 256..268435456"))
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
    AccumDims dims{5, 2, 3, 2};
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
    AccumDims dims{1, 3, 4, 3};
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
    }
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
