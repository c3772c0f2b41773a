// Tests of the land-cover crosswalks: built-in tables, custom parsing and error texts; no GDAL.
#include "models/crosswalk.hpp"
#include "models/csv.hpp"
#include "models/model_error.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace cs::models;

// ---------------------------------------------------------------------------------------------
// Helpers

const std::vector<std::string> SCHEMES = {"clcd", "esa_cci_lc", "esa_worldcover", "globeland30",
                                          "modis_igbp"};

/// Call `f` and return the ModelError message; fails the test when nothing (or something else)
/// is thrown.
template <class F> std::string model_error_of(F &&f) {
    try {
        f();
    } catch (const ModelError &e) {
        return e.what();
    } catch (const std::exception &e) {
        ADD_FAILURE() << "expected ModelError, got another exception: " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected ModelError, nothing was thrown";
    return {};
}

/// Whole file as text; empty (and `ok` false) when it cannot be opened.
std::string read_text(const std::string &path, bool &ok) {
    std::ifstream in(path, std::ios::binary);
    ok = in.good();
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Parse `text` as a custom crosswalk that must have no errors.
Crosswalk parse_ok(const std::string &text, const std::string &where = "crosswalk (t.csv)") {
    std::vector<std::string> errors;
    Crosswalk cw = Crosswalk::parse(text, where, errors);
    EXPECT_TRUE(errors.empty()) << (errors.empty() ? std::string() : errors.front());
    return cw;
}

/// Codes of `rows`, in order.
std::vector<int32_t> codes_of(const std::vector<const CrosswalkRow *> &rows) {
    std::vector<int32_t> out;
    for (const auto *r : rows) {
        out.push_back(r->code);
    }
    return out;
}

/// Expect `code` of `cw` to map to `category`/`leaf`, with the legend's class name `name`.
void expect_row(const Crosswalk &cw, int32_t code, const std::string &name, IpccCategory category,
                LeafType leaf) {
    const CrosswalkRow *r = cw.find(code);
    ASSERT_NE(r, nullptr) << cw.scheme() << " " << code;
    EXPECT_EQ(r->code, code);
    EXPECT_EQ(r->class_name, name) << cw.scheme() << " " << code;
    EXPECT_EQ(r->category, category)
        << cw.scheme() << " " << code << ": got " << ipcc_category_name(r->category);
    EXPECT_EQ(r->leaf_type, leaf) << cw.scheme() << " " << code << ": got "
                                  << leaf_type_name(r->leaf_type);
}

// ---------------------------------------------------------------------------------------------
// Names

TEST(CrosswalkNames, CategoryAndLeafTypeNames) {
    EXPECT_STREQ(ipcc_category_name(IpccCategory::forest), "forest");
    EXPECT_STREQ(ipcc_category_name(IpccCategory::cropland), "cropland");
    EXPECT_STREQ(ipcc_category_name(IpccCategory::grassland), "grassland");
    EXPECT_STREQ(ipcc_category_name(IpccCategory::wetland), "wetland");
    EXPECT_STREQ(ipcc_category_name(IpccCategory::settlement), "settlement");
    EXPECT_STREQ(ipcc_category_name(IpccCategory::other_land), "other_land");
    EXPECT_STREQ(leaf_type_name(LeafType::none), "none");
    EXPECT_STREQ(leaf_type_name(LeafType::broadleaf), "broadleaf");
    EXPECT_STREQ(leaf_type_name(LeafType::needleleaf), "needleleaf");
    EXPECT_STREQ(leaf_type_name(LeafType::mixed), "mixed");
    EXPECT_STREQ(leaf_type_name(LeafType::unknown), "unknown");
}

// ---------------------------------------------------------------------------------------------
// Built-in crosswalks

TEST(BuiltinCrosswalk, NamesAreTheFiveSchemesAscending) {
    EXPECT_EQ(Crosswalk::builtin_names(), SCHEMES);
}

TEST(BuiltinCrosswalk, EveryBuiltinLoadsWithoutErrors) {
    // Class counts of the legends in ../shared/tables, without the nodata rows (0, 255).
    const std::map<std::string, std::size_t> n_rows = {{"clcd", 9},
                                                       {"esa_cci_lc", 37},
                                                       {"esa_worldcover", 11},
                                                       {"globeland30", 10},
                                                       {"modis_igbp", 17}};
    for (const auto &name : SCHEMES) {
        SCOPED_TRACE(name);
        Crosswalk cw;
        ASSERT_NO_THROW(cw = Crosswalk::builtin(name));
        EXPECT_EQ(cw.scheme(), name);
        EXPECT_EQ(cw.rows().size(), n_rows.at(name));
        int32_t previous = std::numeric_limits<int32_t>::min();
        for (const auto &r : cw.rows()) {
            EXPECT_GT(r.code, previous) << "rows must be ascending and unique";
            previous = r.code;
            EXPECT_FALSE(r.class_name.empty()) << r.code;
            EXPECT_NE(r.source.find("Legend: "), std::string::npos) << r.code;
            EXPECT_NE(r.source.find("IPCC category: carbonsink mapping, rule "), std::string::npos)
                << r.code;
            EXPECT_TRUE(r.status == "V" || r.status == "V2" || r.status == "U")
                << r.code << ": status " << r.status;
            EXPECT_EQ(r.leaf_type == LeafType::none, r.category != IpccCategory::forest) << r.code;
            EXPECT_EQ(cw.find(r.code), &r);
        }
    }
}

TEST(BuiltinCrosswalk, EmbeddedTextIsTheConfigsFile) {
    // The library embeds configs/crosswalks/<name>.csv at build time; parsing the file on disk
    // must give the same rows (a stale build or a broken embedding would differ).
    for (const auto &name : SCHEMES) {
        SCOPED_TRACE(name);
        bool ok = false;
        const std::string path =
            std::string(CS_SOURCE_DIR) + "/configs/crosswalks/" + name + ".csv";
        const std::string text = read_text(path, ok);
        ASSERT_TRUE(ok) << "cannot read " << path;
        const Crosswalk disk = parse_ok(text, path);
        const Crosswalk built = Crosswalk::builtin(name);
        ASSERT_EQ(disk.rows().size(), built.rows().size());
        for (std::size_t i = 0; i < disk.rows().size(); ++i) {
            const auto &a = disk.rows()[i];
            const auto &b = built.rows()[i];
            EXPECT_EQ(a.code, b.code);
            EXPECT_EQ(a.class_name, b.class_name);
            EXPECT_EQ(a.category, b.category);
            EXPECT_EQ(a.leaf_type, b.leaf_type);
            EXPECT_EQ(a.source, b.source);
            EXPECT_EQ(a.status, b.status);
            EXPECT_EQ(a.line, b.line);
        }
    }
}

TEST(BuiltinCrosswalk, EsaWorldCoverHandChecked) {
    const Crosswalk cw = Crosswalk::builtin("esa_worldcover");
    expect_row(cw, 10, "Tree cover", IpccCategory::forest, LeafType::unknown);
    expect_row(cw, 20, "Shrubland", IpccCategory::grassland, LeafType::none);
    expect_row(cw, 40, "Cropland", IpccCategory::cropland, LeafType::none);
    expect_row(cw, 50, "Built-up", IpccCategory::settlement, LeafType::none);
    expect_row(cw, 60, "Bare / sparse vegetation", IpccCategory::other_land, LeafType::none);
    expect_row(cw, 70, "Snow and ice", IpccCategory::other_land, LeafType::none);
    expect_row(cw, 80, "Permanent water bodies", IpccCategory::wetland, LeafType::none);
    expect_row(cw, 90, "Herbaceous wetland", IpccCategory::wetland, LeafType::none);
    expect_row(cw, 95, "Mangroves", IpccCategory::forest, LeafType::broadleaf);
    expect_row(cw, 100, "Moss and lichen", IpccCategory::grassland, LeafType::none);
    EXPECT_EQ(cw.find(0), nullptr) << "0 is nodata, not a class";
    EXPECT_EQ(cw.find(10)->status, "V");
}

TEST(BuiltinCrosswalk, EsaCciHandChecked) {
    const Crosswalk cw = Crosswalk::builtin("esa_cci_lc");
    expect_row(cw, 10, "Cropland, rainfed", IpccCategory::cropland, LeafType::none);
    expect_row(cw, 12, "Tree or shrub cover", IpccCategory::cropland, LeafType::none);
    expect_row(cw, 50, "Tree cover, broadleaved, evergreen, closed to open (>15%)",
               IpccCategory::forest, LeafType::broadleaf);
    expect_row(cw, 62, "Tree cover, broadleaved, deciduous, open (15-40%)", IpccCategory::forest,
               LeafType::broadleaf);
    expect_row(cw, 70, "Tree cover, needleleaved, evergreen, closed to open (>15%)",
               IpccCategory::forest, LeafType::needleleaf);
    expect_row(cw, 82, "Tree cover, needleleaved, deciduous, open (15-40%)", IpccCategory::forest,
               LeafType::needleleaf);
    expect_row(cw, 90, "Tree cover, mixed leaf type (broadleaved and needleleaved)",
               IpccCategory::forest, LeafType::mixed);
    expect_row(cw, 120, "Shrubland", IpccCategory::grassland, LeafType::none);
    expect_row(cw, 150, "Sparse vegetation (tree, shrub, herbaceous cover) (<15%)",
               IpccCategory::other_land, LeafType::none);
    expect_row(cw, 160, "Tree cover, flooded, fresh or brackish water", IpccCategory::forest,
               LeafType::unknown);
    expect_row(cw, 170, "Tree cover, flooded, saline water", IpccCategory::forest,
               LeafType::unknown);
    expect_row(cw, 180, "Shrub or herbaceous cover, flooded, fresh/saline/brackish water",
               IpccCategory::wetland, LeafType::none);
    expect_row(cw, 190, "Urban areas", IpccCategory::settlement, LeafType::none);
    expect_row(cw, 210, "Water bodies", IpccCategory::wetland, LeafType::none);
    expect_row(cw, 220, "Permanent snow and ice", IpccCategory::other_land, LeafType::none);
    EXPECT_EQ(cw.find(0), nullptr);
}

TEST(BuiltinCrosswalk, ModisIgbpHandChecked) {
    const Crosswalk cw = Crosswalk::builtin("modis_igbp");
    expect_row(cw, 1, "Evergreen Needleleaf Forests", IpccCategory::forest, LeafType::needleleaf);
    expect_row(cw, 2, "Evergreen Broadleaf Forests", IpccCategory::forest, LeafType::broadleaf);
    expect_row(cw, 3, "Deciduous Needleleaf Forests", IpccCategory::forest, LeafType::needleleaf);
    expect_row(cw, 4, "Deciduous Broadleaf Forests", IpccCategory::forest, LeafType::broadleaf);
    expect_row(cw, 5, "Mixed Forests", IpccCategory::forest, LeafType::mixed);
    expect_row(cw, 8, "Woody Savannas", IpccCategory::grassland, LeafType::none);
    expect_row(cw, 11, "Permanent Wetlands", IpccCategory::wetland, LeafType::none);
    expect_row(cw, 12, "Croplands", IpccCategory::cropland, LeafType::none);
    expect_row(cw, 13, "Urban and Built-up Lands", IpccCategory::settlement, LeafType::none);
    expect_row(cw, 14, "Cropland/Natural Vegetation Mosaics", IpccCategory::cropland,
               LeafType::none);
    expect_row(cw, 16, "Barren", IpccCategory::other_land, LeafType::none);
    expect_row(cw, 17, "Water Bodies", IpccCategory::wetland, LeafType::none);
}

TEST(BuiltinCrosswalk, ClcdHandChecked) {
    const Crosswalk cw = Crosswalk::builtin("clcd");
    expect_row(cw, 1, "Cropland", IpccCategory::cropland, LeafType::none);
    expect_row(cw, 2, "Forest", IpccCategory::forest, LeafType::unknown);
    expect_row(cw, 3, "Shrub", IpccCategory::grassland, LeafType::none);
    expect_row(cw, 8, "Impervious", IpccCategory::settlement, LeafType::none);
    expect_row(cw, 9, "Wetland", IpccCategory::wetland, LeafType::none);
    // Codes 4 and 5: one source says 4 = grassland, 5 = water; a conflicting script says the
    // reverse. The row keeps V2 and says so.
    expect_row(cw, 4, "Grassland", IpccCategory::grassland, LeafType::none);
    expect_row(cw, 5, "Water", IpccCategory::wetland, LeafType::none);
    for (const int32_t code : {4, 5}) {
        EXPECT_EQ(cw.find(code)->status, "V2");
        EXPECT_NE(cw.find(code)->source.find("CODE CONFLICT"), std::string::npos) << code;
    }
    EXPECT_EQ(cw.find(1)->source.find("CODE CONFLICT"), std::string::npos);
    EXPECT_TRUE(cw.unverified().empty());
}

TEST(BuiltinCrosswalk, GlobeLand30HandChecked) {
    const Crosswalk cw = Crosswalk::builtin("globeland30");
    expect_row(cw, 10, "Cultivated land", IpccCategory::cropland, LeafType::none);
    expect_row(cw, 20, "Forest", IpccCategory::forest, LeafType::unknown);
    expect_row(cw, 60, "Water bodies", IpccCategory::wetland, LeafType::none);
    expect_row(cw, 70, "Tundra", IpccCategory::grassland, LeafType::none);
    expect_row(cw, 80, "Artificial surfaces", IpccCategory::settlement, LeafType::none);
    EXPECT_EQ(cw.find(10)->status, "V");
    EXPECT_EQ(cw.find(20)->status, "V");
    EXPECT_EQ(cw.find(0), nullptr) << "0 is nodata";
    EXPECT_EQ(cw.find(255), nullptr) << "255 (ocean) is handled as nodata";
}

TEST(BuiltinCrosswalk, UnverifiedListsGlobeLand30CodesOtherThan10And20) {
    const Crosswalk gl = Crosswalk::builtin("globeland30");
    EXPECT_EQ(codes_of(gl.unverified()), (std::vector<int32_t>{30, 40, 50, 60, 70, 80, 90, 100}));
    for (const auto &name : {"clcd", "esa_cci_lc", "esa_worldcover", "modis_igbp"}) {
        EXPECT_TRUE(Crosswalk::builtin(name).unverified().empty()) << name;
    }
}

TEST(BuiltinCrosswalk, UnknownNameListsTheAvailableOnesWithASuggestion) {
    const std::string available =
        "available: clcd, esa_cci_lc, esa_worldcover, globeland30, modis_igbp";
    EXPECT_EQ(model_error_of([] { Crosswalk::builtin("esa_worldcovr"); }),
              "unknown crosswalk \"esa_worldcovr\": did you mean \"esa_worldcover\"? " + available);
    EXPECT_EQ(model_error_of([] { Crosswalk::builtin("CLCD"); }),
              "unknown crosswalk \"CLCD\": did you mean \"clcd\"? " + available);
    EXPECT_EQ(model_error_of([] { Crosswalk::builtin("modis_igpb"); }),
              "unknown crosswalk \"modis_igpb\": did you mean \"modis_igbp\"? " + available);
    EXPECT_EQ(model_error_of([] { Crosswalk::builtin("corine"); }),
              "unknown crosswalk \"corine\": " + available);
    EXPECT_EQ(model_error_of([] { Crosswalk::builtin(""); }),
              "unknown crosswalk \"\": " + available);
}

TEST(BuiltinCrosswalk, CodesNamesAndStatusesMatchTheSharedLegends) {
    // Every row must be a class of the legend tables in ../shared/tables (same code and name; no
    // invented codes), every legend class except nodata and ocean must have a row, and the status
    // must follow the legend's verification column. Skipped in a user's clone (no ../shared).
    const std::map<std::string, std::string> files = {
        {"clcd", "landcover_china_clcd.csv"},
        {"esa_cci_lc", "landcover_esa_cci_lc.csv"},
        {"esa_worldcover", "landcover_esa_worldcover.csv"},
        {"globeland30", "landcover_globeland30.csv"},
        {"modis_igbp", "landcover_modis_igbp_lc_type1.csv"}};
    const std::map<std::string, std::string> default_status = {
        {"esa_cci_lc", "V"}, {"esa_worldcover", "V"}, {"modis_igbp", "V"}};
    for (const auto &[name, file] : files) {
        SCOPED_TRACE(name);
        bool ok = false;
        const std::string path = std::string(CS_SHARED_TABLES) + "/" + file;
        const std::string text = read_text(path, ok);
        if (!ok) {
            GTEST_SKIP() << "shared legend tables not found (" << path << ")";
        }
        const CsvTable legend = parse_csv(text, path);
        const int code_col = legend.column("code");
        const int class_col = legend.column("class");
        const int verif_col = legend.column("verification");
        ASSERT_GE(code_col, 0);
        ASSERT_GE(class_col, 0);
        const Crosswalk cw = Crosswalk::builtin(name);
        std::set<int32_t> legend_codes;
        for (const auto &row : legend.rows) {
            const int32_t code = std::stoi(row.cells[static_cast<std::size_t>(code_col)]);
            const std::string cls = row.cells[static_cast<std::size_t>(class_col)];
            legend_codes.insert(code);
            const CrosswalkRow *r = cw.find(code);
            const bool nodata =
                cls == "No data" || cls == "no data" || (name == "globeland30" && code == 255);
            if (nodata) {
                EXPECT_EQ(r, nullptr) << code << " (" << cls << ") must not be a row";
                continue;
            }
            ASSERT_NE(r, nullptr) << "legend class " << code << " (" << cls << ") has no row";
            EXPECT_EQ(r->class_name, cls) << code;
            std::string want = default_status.count(name) ? default_status.at(name) : "";
            if (verif_col >= 0) {
                const std::string v = row.cells[static_cast<std::size_t>(verif_col)];
                want = v.rfind("UNVERIFIED", 0) == 0 ? "U" : v.substr(0, v.find(':'));
            }
            EXPECT_EQ(r->status, want) << code;
        }
        for (const auto &r : cw.rows()) {
            EXPECT_EQ(legend_codes.count(r.code), 1U) << r.code << " is not in " << file;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Custom crosswalks

TEST(CustomCrosswalk, MinimalColumnsAndDefaults) {
    // Only the required columns, other case, other order, an extra column, padded values.
    const Crosswalk cw = parse_ok("IPCC_Category,Notes,CODE\n"
                                  " Forest ,planted,1\n"
                                  "grassland,,2\n"
                                  "OTHER_LAND,,-3\n",
                                  "crosswalk (mine.csv)");
    EXPECT_EQ(cw.scheme(), "crosswalk (mine.csv)");
    ASSERT_EQ(cw.rows().size(), 3U);
    const CrosswalkRow *forest = cw.find(1);
    ASSERT_NE(forest, nullptr);
    EXPECT_EQ(forest->category, IpccCategory::forest);
    EXPECT_EQ(forest->leaf_type, LeafType::unknown) << "forest without leaf_type is unknown";
    EXPECT_EQ(forest->status, "user");
    EXPECT_EQ(forest->class_name, "");
    EXPECT_EQ(forest->source, "");
    EXPECT_EQ(forest->line, 2);
    EXPECT_EQ(cw.find(2)->leaf_type, LeafType::none) << "non-forest without leaf_type is none";
    EXPECT_EQ(cw.find(-3)->category, IpccCategory::other_land);
    EXPECT_EQ(cw.rows().front().code, -3) << "rows are sorted by code";
    EXPECT_TRUE(cw.unverified().empty()) << "\"user\" is not unverified";
}

TEST(CustomCrosswalk, AllColumnsQuotedFieldsAndBlankLines) {
    const Crosswalk cw = parse_ok("\xEF\xBB\xBF"
                                  "code,class_name,ipcc_category,leaf_type,source,status\r\n"
                                  "\r\n"
                                  "11,\"Pine, planted\",forest,Needleleaf,\"survey, 2020\",V\r\n"
                                  "12,Oak,forest,broadleaf,survey,V2\r\n"
                                  "13,Mixed stand,forest,MIXED,survey,\r\n"
                                  "20,\"Rice \"\"paddy\"\"\",cropland,none,survey,U\r\n");
    ASSERT_EQ(cw.rows().size(), 4U);
    const CrosswalkRow *pine = cw.find(11);
    ASSERT_NE(pine, nullptr);
    EXPECT_EQ(pine->class_name, "Pine, planted");
    EXPECT_EQ(pine->leaf_type, LeafType::needleleaf);
    EXPECT_EQ(pine->source, "survey, 2020");
    EXPECT_EQ(pine->status, "V");
    EXPECT_EQ(pine->line, 3);
    EXPECT_EQ(cw.find(12)->leaf_type, LeafType::broadleaf);
    EXPECT_EQ(cw.find(13)->leaf_type, LeafType::mixed);
    EXPECT_EQ(cw.find(13)->status, "user") << "an empty status means user";
    EXPECT_EQ(cw.find(20)->class_name, "Rice \"paddy\"");
    EXPECT_EQ(codes_of(cw.unverified()), (std::vector<int32_t>{20}));
}

TEST(CustomCrosswalk, TheReadmeExampleParses) {
    // The custom crosswalk shown in configs/crosswalks/README.md must be valid.
    bool ok = false;
    const std::string path = std::string(CS_SOURCE_DIR) + "/configs/crosswalks/README.md";
    const std::string readme = read_text(path, ok);
    ASSERT_TRUE(ok) << "cannot read " << path;
    const std::size_t begin = readme.find("```csv\n");
    ASSERT_NE(begin, std::string::npos) << "no ```csv block in " << path;
    const std::size_t end = readme.find("```", begin + 7);
    ASSERT_NE(end, std::string::npos);
    const Crosswalk cw = parse_ok(readme.substr(begin + 7, end - begin - 7), path);
    ASSERT_EQ(cw.rows().size(), 5U);
    EXPECT_EQ(cw.find(3)->category, IpccCategory::forest);
    EXPECT_EQ(cw.find(3)->leaf_type, LeafType::unknown);
    EXPECT_EQ(cw.find(10)->category, IpccCategory::cropland);
    EXPECT_EQ(cw.find(10)->status, "user");
}

TEST(CustomCrosswalk, TheReadmeExampleErrorText) {
    std::vector<std::string> errors;
    Crosswalk::parse("code,class_name,ipcc_category\n"
                     "1,a,forest\n"
                     "2,b,forest\n"
                     "3,c,forest\n"
                     "4,d,forest\n"
                     "5,e,forest\n"
                     "6,f,forrest\n",
                     "crosswalk (my.csv)", errors);
    EXPECT_EQ(errors,
              (std::vector<std::string>{
                  "invalid crosswalk: crosswalk (my.csv), line 7: ipcc_category \"forrest\" "
                  "is not one of forest, cropland, grassland, wetland, settlement, "
                  "other_land"}));
}

TEST(CustomCrosswalk, EveryRowErrorWithItsLine) {
    const std::string text = "code,class_name,ipcc_category,leaf_type\n" // line 1
                             "10,Tree cover,forest,broadleaf\n"          // 2: fine
                             "1.5,Half,cropland,\n"                      // 3
                             "x,Letters,cropland,\n"                     // 4
                             "20,Crops,forrest,\n"                       // 5
                             "30,Grass,,\n"                              // 6
                             "40,Pine,forest,conifer\n"                  // 7
                             "50,Meadow,grassland,broadleaf\n"           // 8
                             "60,Woods,forest,none\n"                    // 9
                             "10,Again,wetland,\n"                       // 10
                             "3000000000,Big,wetland,\n"                 // 11
                             "\n"                                        // 12: blank, skipped
                             "70,\"Water, open\",wetland,none\n"         // 13: fine
                             ",No code,wetland,\n"                       // 14
                             "80\n";                                     // 15: short row
    std::vector<std::string> errors;
    const Crosswalk cw = Crosswalk::parse(text, "crosswalk (bad.csv)", errors);
    const std::string at = "invalid crosswalk: crosswalk (bad.csv), line ";
    const std::string cats = "forest, cropland, grassland, wetland, settlement, other_land";
    const std::vector<std::string> want = {
        at + "3: code \"1.5\" is not an integer",
        at + "4: code \"x\" is not an integer",
        at + "5: ipcc_category \"forrest\" is not one of " + cats,
        at + "6: ipcc_category is empty (it must be one of " + cats + ")",
        at + "7: leaf_type \"conifer\" is not one of broadleaf, needleleaf, mixed, none, unknown",
        at + "8: leaf_type \"broadleaf\" is for forest rows only (ipcc_category is grassland: use "
             "none or leave it empty)",
        at + "9: leaf_type \"none\" does not fit ipcc_category forest (use broadleaf, "
             "needleleaf, mixed or unknown, or leave it empty)",
        at + "10: code 10 is listed twice (also line 2)",
        at + "11: code 3000000000 is outside the 32-bit integer range of land-cover rasters",
        at + "14: code \"\" is not an integer",
        at + "15: ipcc_category is empty (it must be one of " + cats + ")",
    };
    EXPECT_EQ(errors, want);
    // The good rows are still there (the crosswalk is not to be used, but is consistent).
    ASSERT_EQ(cw.rows().size(), 2U);
    EXPECT_EQ(cw.find(10)->class_name, "Tree cover");
    EXPECT_EQ(cw.find(70)->class_name, "Water, open");
}

TEST(CustomCrosswalk, MissingRequiredColumns) {
    std::vector<std::string> errors;
    Crosswalk::parse("\nlucode,category\n1,forest\n", "crosswalk (cols.csv)", errors);
    const std::string tail = "is missing (the header must have code and ipcc_category; "
                             "class_name, leaf_type, source and status are optional)";
    EXPECT_EQ(
        errors,
        (std::vector<std::string>{
            "invalid crosswalk: crosswalk (cols.csv), line 2: required column \"code\" " + tail,
            "invalid crosswalk: crosswalk (cols.csv), line 2: required column "
            "\"ipcc_category\" " +
                tail}));
}

TEST(CustomCrosswalk, EmptyFileHeaderOnlyAndOpenQuote) {
    std::vector<std::string> errors;
    Crosswalk::parse("", "crosswalk (empty.csv)", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"invalid crosswalk: crosswalk (empty.csv): the "
                                                "file is empty (a header row is required)"}));
    errors.clear();
    const Crosswalk none = Crosswalk::parse("code,ipcc_category\n", "crosswalk (h.csv)", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "invalid crosswalk: crosswalk (h.csv): the crosswalk has no rows"}));
    EXPECT_EQ(none.find(0), nullptr);
    errors.clear();
    Crosswalk::parse("code,ipcc_category\n1,forest\n2,\"wetland\n", "crosswalk (q.csv)", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"invalid crosswalk: crosswalk (q.csv), line 3: a "
                                                "quoted field is not closed"}));
}

TEST(CustomCrosswalk, UnverifiedStatuses) {
    const Crosswalk cw = parse_ok("code,ipcc_category,status\n"
                                  "1,forest,U\n"
                                  "2,forest,U-single\n"
                                  "3,forest,u: code number not confirmed\n"
                                  "4,forest,UNVERIFIED code number\n"
                                  "5,forest,V2 PLACEHOLDER\n"
                                  "6,forest,placeholder\n"
                                  "7,forest,V\n"
                                  "8,forest,V2\n"
                                  "9,forest,user\n"
                                  "10,forest,\n"
                                  "11,forest,Usable\n");
    EXPECT_EQ(codes_of(cw.unverified()), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
}

// ---------------------------------------------------------------------------------------------
// Look-ups

TEST(CrosswalkFind, DenseIndex) {
    const Crosswalk cw = parse_ok("code,ipcc_category\n7,wetland\n-5,forest\n0,cropland\n");
    ASSERT_NE(cw.find(-5), nullptr);
    EXPECT_EQ(cw.find(-5)->category, IpccCategory::forest);
    EXPECT_EQ(cw.find(0)->category, IpccCategory::cropland);
    EXPECT_EQ(cw.find(7)->category, IpccCategory::wetland);
    for (const int32_t absent : {-6, -4, 1, 6, 8, std::numeric_limits<int32_t>::min(),
                                 std::numeric_limits<int32_t>::max()}) {
        EXPECT_EQ(cw.find(absent), nullptr) << absent;
    }
}

TEST(CrosswalkFind, SparseIndexOverAWideCodeRange) {
    // Codes spanning more than 2^20 values use a binary search instead of a dense table.
    const Crosswalk cw = parse_ok("code,ipcc_category\n"
                                  "2147483647,settlement\n"
                                  "1,forest\n"
                                  "-2147483648,other_land\n"
                                  "3000000,grassland\n");
    EXPECT_EQ(cw.find(std::numeric_limits<int32_t>::max())->category, IpccCategory::settlement);
    EXPECT_EQ(cw.find(std::numeric_limits<int32_t>::min())->category, IpccCategory::other_land);
    EXPECT_EQ(cw.find(1)->category, IpccCategory::forest);
    EXPECT_EQ(cw.find(3000000)->category, IpccCategory::grassland);
    for (const int32_t absent : {0, 2, 2999999, 3000001, -1}) {
        EXPECT_EQ(cw.find(absent), nullptr) << absent;
    }
}

TEST(CrosswalkFind, CopiesAreIndependent) {
    const Crosswalk original = Crosswalk::builtin("clcd");
    Crosswalk copy = original;
    const CrosswalkRow *r = copy.find(2);
    ASSERT_NE(r, nullptr);
    EXPECT_GE(r, copy.rows().data());
    EXPECT_LT(r, copy.rows().data() + copy.rows().size()) << "the copy must point at its own rows";
    EXPECT_EQ(r->category, IpccCategory::forest);
}

TEST(CrosswalkMissing, CodesAndMessage) {
    const Crosswalk cw = Crosswalk::builtin("clcd");
    const std::vector<int32_t> codes = {201, 1, 12, 200, 9, 200, 12, 5};
    EXPECT_EQ(cw.missing(codes), (std::vector<int32_t>{12, 200, 201}));
    EXPECT_EQ(cw.missing_message("land_cover/2020 (lc2020.tif, band 1)", codes),
              "land_cover/2020 (lc2020.tif, band 1): 3 class codes are not in crosswalk clcd: 12, "
              "200, 201");
    EXPECT_EQ(cw.missing_message("land_cover/2015 (lc2015.tif, band 1)", {0, 3}),
              "land_cover/2015 (lc2015.tif, band 1): 1 class code is not in crosswalk clcd: 0");
    EXPECT_TRUE(cw.missing({1, 2, 3, 4, 5, 6, 7, 8, 9}).empty());
    EXPECT_EQ(cw.missing_message("x", {1, 9}), "");
    EXPECT_TRUE(cw.missing({}).empty());
    const Crosswalk custom = parse_ok("code,ipcc_category\n1,forest\n", "crosswalk (mine.csv)");
    EXPECT_EQ(custom.missing_message("lc", {-7, 1}),
              "lc: 1 class code is not in crosswalk crosswalk (mine.csv): -7");
}

// ---------------------------------------------------------------------------------------------
// Case file (tests/cases/crosswalk_cases.txt)

TEST(CaseFiles, Crosswalk) {
    const std::string path = std::string(CS_TEST_CASES) + "/crosswalk_cases.txt";
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << "cannot open case file " << path;
    const std::map<std::string, IpccCategory> categories = {
        {"forest", IpccCategory::forest},         {"cropland", IpccCategory::cropland},
        {"grassland", IpccCategory::grassland},   {"wetland", IpccCategory::wetland},
        {"settlement", IpccCategory::settlement}, {"other_land", IpccCategory::other_land}};
    const std::map<std::string, LeafType> leaves = {{"none", LeafType::none},
                                                    {"broadleaf", LeafType::broadleaf},
                                                    {"needleleaf", LeafType::needleleaf},
                                                    {"mixed", LeafType::mixed},
                                                    {"unknown", LeafType::unknown}};
    std::map<std::string, Crosswalk> crosswalks;
    std::map<std::string, std::set<int32_t>> covered;
    std::string text;
    int line_no = 0;
    int cases = 0;
    while (std::getline(in, text)) {
        ++line_no;
        if (const auto hash = text.find('#'); hash != std::string::npos) {
            text.erase(hash);
        }
        std::istringstream ss(text);
        std::vector<std::string> tok;
        for (std::string t; ss >> t;) {
            tok.push_back(t);
        }
        if (tok.empty()) {
            continue;
        }
        const std::string where = path + ":" + std::to_string(line_no);
        const bool absent = tok.size() == 4 && tok[2] == "->" && tok[3] == "absent";
        if (!absent && (tok.size() != 6 || tok[2] != "->")) {
            ADD_FAILURE() << where
                          << ": expected \"scheme code -> category leaf_type status\" or "
                             "\"scheme code -> absent\"";
            continue;
        }
        if (!crosswalks.count(tok[0])) {
            try {
                crosswalks.emplace(tok[0], Crosswalk::builtin(tok[0]));
            } catch (const ModelError &e) {
                ADD_FAILURE() << where << ": " << e.what();
                continue;
            }
        }
        const Crosswalk &cw = crosswalks.at(tok[0]);
        std::size_t used = 0;
        int32_t code = 0;
        try {
            code = static_cast<int32_t>(std::stol(tok[1], &used));
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != tok[1].size()) {
            ADD_FAILURE() << where << ": \"" << tok[1] << "\" is not an integer code";
            continue;
        }
        ++cases;
        const CrosswalkRow *r = cw.find(code);
        if (absent) {
            EXPECT_EQ(r, nullptr) << where << ": code " << code << " must have no row";
            continue;
        }
        if (!categories.count(tok[3]) || !leaves.count(tok[4])) {
            ADD_FAILURE() << where << ": unknown category or leaf type";
            continue;
        }
        if (r == nullptr) {
            ADD_FAILURE() << where << ": code " << code << " has no row in " << tok[0];
            continue;
        }
        covered[tok[0]].insert(code);
        EXPECT_EQ(r->category, categories.at(tok[3]))
            << where << ": got " << ipcc_category_name(r->category);
        EXPECT_EQ(r->leaf_type, leaves.at(tok[4]))
            << where << ": got " << leaf_type_name(r->leaf_type);
        EXPECT_EQ(r->status, tok[5]) << where;
    }
    EXPECT_GE(cases, 90) << "too few cases in " << path;
    // Every row of every built-in crosswalk has a reviewed case.
    for (const auto &name : Crosswalk::builtin_names()) {
        const Crosswalk cw = Crosswalk::builtin(name);
        for (const auto &r : cw.rows()) {
            EXPECT_EQ(covered[name].count(r.code), 1U)
                << name << " " << r.code << " (" << r.class_name << ") has no case in " << path;
        }
    }
}

} // namespace
