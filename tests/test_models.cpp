// Tests of the models layer (CSV, pools table, stocks.lookup, soil.ipcc_tier1, flux kernels,
// registry); no GDAL.
#include "models/builtin_tables.hpp"
#include "models/crosswalk.hpp"
#include "models/csv.hpp"
#include "models/flux.hpp"
#include "models/gain_loss.hpp"
#include "models/inventory_stock.hpp"
#include "models/lookup_stock.hpp"
#include "models/losses.hpp"
#include "models/model_error.hpp"
#include "models/parameter_tables.hpp"
#include "models/pools_table.hpp"
#include "models/registry.hpp"
#include "models/soil_tier1.hpp"
#include "models/stock_model.hpp"
#include "models/units.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
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

PoolsRow row(int32_t code, double above, double below, double soil, double dead) {
    PoolsRow r;
    r.lucode = code;
    r.c_above_mg_c_per_ha = above;
    r.c_below_mg_c_per_ha = below;
    r.c_soil_mg_c_per_ha = soil;
    r.c_dead_mg_c_per_ha = dead;
    return r;
}

/// Result of running a stock model over a chunk.
struct ChunkResult {
    std::array<std::vector<double>, 4> pools;
    std::vector<uint8_t> status;
};

/// Run `model` over codes/valid in one chunk. Outputs are pre-filled with garbage so that the
/// test sees whether the model really writes every entry.
ChunkResult run_chunk(const StockModel &model, const std::vector<int32_t> &codes,
                      const std::vector<uint8_t> &valid) {
    ChunkResult r;
    const std::size_t n = codes.size();
    for (auto &p : r.pools) {
        p.assign(n, -999.0);
    }
    r.status.assign(n, 77);
    double *ptrs[4] = {r.pools[0].data(), r.pools[1].data(), r.pools[2].data(), r.pools[3].data()};
    StockInputs in;
    in.land_cover = codes.data();
    in.valid = valid.data();
    in.n = n;
    StockOutputs out;
    out.pool_density_mg_c_per_ha = ptrs;
    out.status = r.status.data();
    model.compute(in, out);
    return r;
}

/// A whitespace-separated line of a case file, split at "->"; comments stripped.
struct CaseLine {
    int line = 0;
    std::vector<std::string> left;
    std::vector<std::string> right;
    bool has_arrow = false;
};

std::vector<CaseLine> read_case_file(const std::string &path) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open case file " << path;
    std::vector<CaseLine> out;
    std::string text;
    int line_no = 0;
    while (std::getline(in, text)) {
        ++line_no;
        if (const auto hash = text.find('#'); hash != std::string::npos) {
            text.erase(hash);
        }
        std::istringstream ss(text);
        CaseLine cl;
        cl.line = line_no;
        std::string tok;
        while (ss >> tok) {
            if (tok == "->") {
                if (cl.has_arrow) {
                    ADD_FAILURE() << path << ":" << line_no << ": two \"->\" on one line";
                }
                cl.has_arrow = true;
            } else {
                (cl.has_arrow ? cl.right : cl.left).push_back(tok);
            }
        }
        if (!cl.left.empty() || cl.has_arrow) {
            out.push_back(std::move(cl));
        }
    }
    return out;
}

/// Strict number parsing for case files (independent of models::parse_number).
double case_number(const std::string &s, const std::string &where) {
    char *end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) {
        ADD_FAILURE() << where << ": \"" << s << "\" is not a number";
        return std::numeric_limits<double>::quiet_NaN();
    }
    return v;
}

int32_t case_int32(const std::string &s, const std::string &where) {
    char *end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size() || v < std::numeric_limits<int32_t>::min() ||
        v > std::numeric_limits<int32_t>::max()) {
        ADD_FAILURE() << where << ": \"" << s << "\" is not a 32-bit integer";
        return 0;
    }
    return static_cast<int32_t>(v);
}

// ---------------------------------------------------------------------------------------------
// CSV parser

TEST(Csv, QuotedFieldsWithCommasAndDoubledQuotes) {
    const CsvTable t = parse_csv("name,desc,n\n"
                                 "\"a,b\",\"say \"\"hi\"\"\",3\n"
                                 "plain,\"\",\"\"\"\"\n",
                                 "t.csv");
    ASSERT_EQ(t.header, (std::vector<std::string>{"name", "desc", "n"}));
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0].cells, (std::vector<std::string>{"a,b", "say \"hi\"", "3"}));
    EXPECT_EQ(t.rows[1].cells, (std::vector<std::string>{"plain", "", "\""}));
}

TEST(Csv, CrlfLineEndings) {
    const CsvTable t = parse_csv("a,b\r\n1,2\r\n3,4\r\n", "t.csv");
    ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0].cells, (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(t.rows[1].cells, (std::vector<std::string>{"3", "4"}));
    EXPECT_EQ(t.rows[0].line, 2);
    EXPECT_EQ(t.rows[1].line, 3);
}

TEST(Csv, Utf8BomIsSkipped) {
    const CsvTable t = parse_csv("\xEF\xBB\xBFlucode,c_above\n1,2\n", "t.csv");
    ASSERT_EQ(t.header.size(), 2u);
    EXPECT_EQ(t.header[0], "lucode");
    EXPECT_EQ(t.column("lucode"), 0);
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(t.rows[0].line, 2);
}

TEST(Csv, BlankLinesSkippedAndLineNumbersKept) {
    // Lines: 1 header, 2 blank, 3 data, 4 spaces only, 5 blank (CRLF), 6 data, 7 data without
    // a final newline.
    const CsvTable t = parse_csv("a,b\n\n1,2\n   \n\r\n3,4\n5,6", "t.csv");
    ASSERT_EQ(t.rows.size(), 3u);
    EXPECT_EQ(t.rows[0].line, 3);
    EXPECT_EQ(t.rows[1].line, 6);
    EXPECT_EQ(t.rows[2].line, 7);
    EXPECT_EQ(t.rows[2].cells, (std::vector<std::string>{"5", "6"}));
}

TEST(Csv, BlankLinesBeforeHeader) {
    const CsvTable t = parse_csv("\n\nx,y\n1,2\n", "t.csv");
    EXPECT_EQ(t.header, (std::vector<std::string>{"x", "y"}));
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(t.rows[0].line, 4);
}

TEST(Csv, QuotedNewlineCountsLinesForLaterRows) {
    // The quoted field of the row starting on line 2 spans lines 2-3; the next row is line 4.
    const CsvTable t = parse_csv("a,b\n\"x\ny\",1\n2,3\n", "t.csv");
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0].line, 2);
    EXPECT_EQ(t.rows[0].cells[0], "x\ny");
    EXPECT_EQ(t.rows[1].line, 4);
}

TEST(Csv, UnterminatedQuoteNamesTheLine) {
    const std::string msg =
        model_error_of([] { parse_csv("a,b\n1,2\n3,\"oops\n4,5\n", "pools.csv"); });
    EXPECT_EQ(msg, "pools.csv, line 3: a quoted field is not closed");
}

TEST(Csv, EmptyFileIsAnError) {
    EXPECT_EQ(model_error_of([] { parse_csv("", "pools.csv"); }),
              "pools.csv: the file is empty (a header row is required)");
    EXPECT_EQ(model_error_of([] { parse_csv("\n\r\n  \n", "pools.csv"); }),
              "pools.csv: the file is empty (a header row is required)");
}

TEST(Csv, ColumnLookupIsCaseInsensitiveAndTrimmed) {
    const CsvTable t = parse_csv("LUCode , C_Above,c_soil\n1,2,3\n", "t.csv");
    EXPECT_EQ(t.column("lucode"), 0);
    EXPECT_EQ(t.column("LUCODE"), 0);
    EXPECT_EQ(t.column("c_above"), 1);
    EXPECT_EQ(t.column("  C_ABOVE "), 1);
    EXPECT_EQ(t.column("C_Soil"), 2);
    EXPECT_EQ(t.column("c_dead"), -1);
    EXPECT_EQ(t.column("c_abov"), -1);
}

TEST(Csv, SemicolonSeparatedTableIsRefusedAtItsHeader) {
    // A BOM and two blank lines before the header: the header is line 3.
    EXPECT_EQ(model_error_of([] {
                  parse_csv("\xEF\xBB\xBF\n\nlucode;c_above;c_soil\n1;10;50\n2;Pines, mixed;80\n",
                            "pools.csv");
              }),
              "pools.csv, line 3: the table is separated by semicolons, not commas (the header "
              "has ';' and no ','); save it as CSV with ',' between columns and '.' as the "
              "decimal separator");
}

TEST(Csv, DecimalCommasAreNamedWithTheirLine) {
    // Line 2 has no comma; line 3 holds "-12,5" (the ',' splits it into "...;-12" and "5;3").
    EXPECT_EQ(model_error_of([] {
                  parse_csv("lucode;c_above;c_soil\n1;10;50\n2;-12,5;3\n3;0,25;1\n", "t.csv");
              }),
              "t.csv, line 3: the table is separated by semicolons and uses decimal commas "
              "(\"-12,5\"); save it as CSV with ',' between columns and '.' as the decimal "
              "separator");
    // A decimal comma in the first and in the last field of a row.
    EXPECT_EQ(model_error_of([] { parse_csv("a;b\n1,5;2\n", "t.csv"); }),
              "t.csv, line 2: the table is separated by semicolons and uses decimal commas "
              "(\"1,5\"); save it as CSV with ',' between columns and '.' as the decimal "
              "separator");
    EXPECT_EQ(model_error_of([] { parse_csv("a;b\n\n1;2,75\n", "t.csv"); }),
              "t.csv, line 3: the table is separated by semicolons and uses decimal commas "
              "(\"2,75\"); save it as CSV with ',' between columns and '.' as the decimal "
              "separator");
}

TEST(Csv, CommaTablesWithSemicolonsInCellsAreNotSemicolonTables) {
    const CsvTable t = parse_csv("name,note\nx;y,\"a;b\"\n", "t.csv");
    EXPECT_EQ(t.header, (std::vector<std::string>{"name", "note"}));
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(t.rows[0].cells, (std::vector<std::string>{"x;y", "a;b"}));
    // One column without ';' is a (one-column) table.
    EXPECT_EQ(parse_csv("code\n1\n", "t.csv").header, (std::vector<std::string>{"code"}));
}

TEST(Csv, DuplicateColumnNamesAreRefusedWithoutCase) {
    EXPECT_EQ(
        model_error_of([] { parse_csv("lucode, C_Above ,c_soil,c_above\n1,2,3,4\n", "p.csv"); }),
        "p.csv, line 1: column \"c_above\" (column 4) repeats \"C_Above\" (column 2); "
        "column names are compared without case, so each must be distinct");
    // Empty names (trailing commas of a spreadsheet export) may repeat.
    const CsvTable t = parse_csv("a,b,,\n1,2,,\n", "t.csv");
    EXPECT_EQ(t.header.size(), 4u);
    EXPECT_EQ(t.column("b"), 1);
}

TEST(Csv, EveryTableParserRefusesSemicolonsAndDuplicateColumns) {
    // Every table of models/ reads through parse_csv, so each reports the same problem.
    const InventoryTables inventory;
    const Tier1GrowthTable growth;
    using Parse = std::function<void(const std::string &, std::vector<std::string> &)>;
    const std::vector<std::pair<std::string, Parse>> parsers = {
        {"pools", [](auto &t, auto &e) { parse_pools_table(t, "x.csv", e); }},
        {"cbef", [](auto &t, auto &e) { parse_cbef_table(t, "x.csv", e); }},
        {"bcef", [](auto &t, auto &e) { parse_bcef_table(t, "x.csv", e); }},
        {"root_shoot", [](auto &t, auto &e) { parse_root_shoot_table(t, "x.csv", e); }},
        {"dom", [](auto &t, auto &e) { parse_dom_table(t, "x.csv", e); }},
        {"soc_ref", [](auto &t, auto &e) { parse_soc_ref_table(t, "x.csv", e); }},
        {"soc_factor", [](auto &t, auto &e) { parse_soc_factor_table(t, "x.csv", e); }},
        {"climate_zone_codes",
         [](auto &t, auto &e) { parse_climate_zone_code_table(t, "x.csv", e); }},
        {"tier1_growth", [](auto &t, auto &e) { parse_tier1_growth_table(t, "x.csv", e); }},
        {"forest_types", [&](auto &t, auto &e) { parse_forest_types(t, "x.csv", inventory, e); }},
        {"soil_management", [](auto &t, auto &e) { parse_soil_management(t, "x.csv", e); }},
        {"management_codes", [](auto &t, auto &e) { parse_soil_management_codes(t, "x.csv", e); }},
        {"crosswalk", [](auto &t, auto &e) { Crosswalk::parse(t, "x.csv", e); }},
        {"growth_types", [&](auto &t, auto &e) { parse_growth_types(t, "x.csv", growth, e); }},
    };
    for (const auto &[name, parse] : parsers) {
        std::vector<std::string> errs;
        parse("code;name;value\n1;a;0,5\n", errs);
        ASSERT_EQ(errs.size(), 1u) << name;
        EXPECT_NE(errs[0].find("x.csv, line 2: the table is separated by semicolons and uses "
                               "decimal commas (\"0,5\")"),
                  std::string::npos)
            << name << ": " << errs[0];
        errs.clear();
        parse("code,Name,NAME\n1,a,b\n", errs);
        ASSERT_EQ(errs.size(), 1u) << name;
        EXPECT_NE(errs[0].find("x.csv, line 1: column \"NAME\" (column 3) repeats \"Name\" "
                               "(column 2)"),
                  std::string::npos)
            << name << ": " << errs[0];
    }
}

TEST(Csv, ParseNumberRejects) {
    for (const char *bad :
         {"", "   ", "abc", "1e999", "-1e999", "nan", "NaN", "inf", "-inf", "1.5x", "1 2", "--1"}) {
        double v = 12345.0;
        EXPECT_FALSE(parse_number(bad, v)) << "\"" << bad << "\"";
        EXPECT_EQ(v, 12345.0) << "output changed for rejected \"" << bad << "\"";
    }
}

TEST(Csv, ParseNumberAccepts) {
    const std::vector<std::pair<std::string, double>> good = {
        {" 2.5 ", 2.5}, {"-3", -3.0},    {"1e2", 100.0}, {"0", 0.0},
        {"\t7\t", 7.0}, {"+4.25", 4.25}, {".5", 0.5},    {"-0.125", -0.125}};
    for (const auto &[text, want] : good) {
        double v = -1.0;
        EXPECT_TRUE(parse_number(text, v)) << "\"" << text << "\"";
        EXPECT_EQ(v, want) << "\"" << text << "\"";
    }
}

// ---------------------------------------------------------------------------------------------
// Pools table

TEST(PoolsTable, InvestStyleTableWithExtraColumnsAndUpperCaseHeaders) {
    const std::string text = "LUCODE,LULC_Name,C_ABOVE,C_BELOW,C_SOIL,C_DEAD,Notes\r\n"
                             "5,\"Cropland, irrigated\",0,0,45.5,0,from survey\r\n"
                             "1,Forest,120.5,30,85,12.25,\r\n"
                             "\r\n"
                             "3,Grassland,2,8,70,1,\"a, b\"\r\n";
    std::vector<std::string> errors;
    const PoolsTable t = parse_pools_table(text, "pools.csv", errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    ASSERT_EQ(t.rows.size(), 3u);
    // Sorted by lucode, each row remembering its line.
    EXPECT_EQ(t.rows[0].lucode, 1);
    EXPECT_EQ(t.rows[0].name, "Forest");
    EXPECT_EQ(t.rows[0].line, 3);
    EXPECT_EQ(t.rows[0].c_above_mg_c_per_ha, 120.5);
    EXPECT_EQ(t.rows[0].c_below_mg_c_per_ha, 30.0);
    EXPECT_EQ(t.rows[0].c_soil_mg_c_per_ha, 85.0);
    EXPECT_EQ(t.rows[0].c_dead_mg_c_per_ha, 12.25);
    EXPECT_EQ(t.rows[1].lucode, 3);
    EXPECT_EQ(t.rows[1].line, 5);
    EXPECT_EQ(t.rows[1].c_below_mg_c_per_ha, 8.0);
    EXPECT_EQ(t.rows[2].lucode, 5);
    EXPECT_EQ(t.rows[2].name, "Cropland, irrigated");
    EXPECT_EQ(t.rows[2].line, 2);
    EXPECT_EQ(t.rows[2].c_soil_mg_c_per_ha, 45.5);
}

TEST(PoolsTable, MissingColumnIsNamed) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil\n1,1,2,3\n", "pools.csv", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv, line 1: required column \"c_dead\" is missing (the header "
                         "must have lucode, c_above, c_below, c_soil and c_dead, or c_dead_wood "
                         "and c_litter instead of c_dead)");
}

TEST(PoolsTable, MissingColumnNamesTheHeaderLine) {
    // Blank lines before the header are skipped by the CSV reader, so the header is on line 3
    // and the message must say so.
    std::vector<std::string> errors;
    parse_pools_table("\n\nlucode,c_above,c_below,c_soil\n1,1,2,3\n", "pools.csv", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv, line 3: required column \"c_dead\" is missing (the header "
                         "must have lucode, c_above, c_below, c_soil and c_dead, or c_dead_wood "
                         "and c_litter instead of c_dead)");
}

TEST(PoolsTable, EveryMissingColumnIsReported) {
    std::vector<std::string> errors;
    parse_pools_table("code,c_above,c_soil\n1,1,2\n", "pools.csv", errors);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_NE(errors[0].find("\"lucode\" is missing"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("\"c_below\" is missing"), std::string::npos) << errors[1];
    EXPECT_NE(errors[2].find("\"c_dead\" is missing"), std::string::npos) << errors[2];
    for (const auto &e : errors) {
        EXPECT_EQ(e.rfind("pools.csv, line 1: required column ", 0), 0u) << e;
    }
}

TEST(PoolsTable, NonIntegerLucode) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n1.5,1,1,1,1\n", "pools.csv",
                      errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv, line 3: lucode \"1.5\" is not an integer");
}

TEST(PoolsTable, LucodeOutsideInt32) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n3000000000,1,1,1,1\n", "pools.csv",
                      errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv, line 2: lucode \"3000000000\" is not an integer");
}

TEST(PoolsTable, NonNumericDensity) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,abc,1\n", "pools.csv", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv, line 2: c_soil \"abc\" is not a finite number");
}

TEST(PoolsTable, NegativeDensity) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n1,1,-2,1,1\n", "pools.csv", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0],
              "pools.csv, line 2: c_below -2 is negative (carbon densities are >= 0 Mg C/ha)");
}

TEST(PoolsTable, DuplicateLucode) {
    std::vector<std::string> errors;
    const PoolsTable t =
        parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n3,1,1,1,1\n4,2,2,2,2\n3,9,9,9,9\n",
                          "pools.csv", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv, line 4: lucode 3 is listed twice (also line 2)");
    // The first row of the code is the one kept.
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.rows[0].lucode, 3);
    EXPECT_EQ(t.rows[0].c_above_mg_c_per_ha, 1.0);
}

TEST(PoolsTable, EmptyTable) {
    std::vector<std::string> errors;
    const PoolsTable t =
        parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n\n", "pools.csv", errors);
    EXPECT_TRUE(t.rows.empty());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv: the table has no rows");

    errors.clear();
    parse_pools_table("", "pools.csv", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv: the file is empty (a header row is required)");
}

TEST(PoolsTable, UnterminatedQuoteIsReportedAsAnError) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,\"1\n", "pools.csv", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "pools.csv, line 2: a quoted field is not closed");
}

TEST(PoolsTable, AllErrorsOfOneTableAreReported) {
    const std::string text = "lucode,c_above,c_below,c_soil,c_dead\n" // line 1
                             "1,10,2,30,1\n"                          // line 2: good
                             "x,1,1,1,1\n"                            // line 3: bad code
                             "2,1,nan,-1,1\n"                         // line 4: two bad cells
                             "1,5,5,5,5\n"                            // line 5: duplicate of 2
                             "4,1,1,1\n"                              // line 6: short row
                             "5,1,1,1,1e999\n";                       // line 7: overflow
    std::vector<std::string> errors;
    const PoolsTable t = parse_pools_table(text, "p.csv", errors);
    const std::vector<std::string> want = {
        "p.csv, line 3: lucode \"x\" is not an integer",
        "p.csv, line 4: c_below \"nan\" is not a finite number",
        "p.csv, line 4: c_soil -1 is negative (carbon densities are >= 0 Mg C/ha)",
        "p.csv, line 5: lucode 1 is listed twice (also line 2)",
        "p.csv, line 6: c_dead \"\" is not a finite number",
        "p.csv, line 7: c_dead \"1e999\" is not a finite number",
    };
    EXPECT_EQ(errors, want);
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(t.rows[0].lucode, 1);
}

// ---------------------------------------------------------------------------------------------
// stocks.lookup

TEST(LookupStockModel, NameAndPoolOrder) {
    PoolsTable t;
    t.rows = {row(1, 1, 2, 3, 4)};
    const LookupStockModel m(t);
    EXPECT_EQ(m.name(), "stocks.lookup");
    EXPECT_EQ(m.pool_names(), (std::vector<std::string>{"above_ground", "below_ground", "soil",
                                                        "dead_organic_matter"}));
}

TEST(LookupStockModel, EmptyTableThrows) {
    EXPECT_EQ(model_error_of([] { LookupStockModel m{PoolsTable{}}; }),
              "stocks.lookup: the pools table has no rows");
}

TEST(LookupStockModel, PixelStatusNames) {
    EXPECT_STREQ(pixel_status_name(PixelStatus::valid), "valid");
    EXPECT_STREQ(pixel_status_name(PixelStatus::nodata), "nodata");
    EXPECT_STREQ(pixel_status_name(PixelStatus::unknown_class), "unknown_class");
    EXPECT_STREQ(pixel_status_name(PixelStatus::invalid_value), "invalid_value");
    EXPECT_STREQ(pixel_status_name(PixelStatus::missing_parameter), "missing_parameter");
    EXPECT_EQ(PIXEL_STATUS_COUNT, 5);
}

/// Check one model on a fixed set of pixels against a table that has codes `lo` and `hi`.
void check_lookup(int32_t lo, int32_t hi) {
    PoolsTable t;
    // Rows deliberately unsorted: the model must not depend on the order given.
    t.rows = {row(hi, 5.5, 6.5, 7.5, 8.5), row(lo, 1.0, 2.0, 3.0, 4.0)};
    const LookupStockModel m(t);
    EXPECT_TRUE(m.has_code(lo));
    EXPECT_TRUE(m.has_code(hi));
    EXPECT_FALSE(m.has_code(lo - 1));
    EXPECT_FALSE(m.has_code(lo + 1));
    EXPECT_FALSE(m.has_code(hi - 1));
    EXPECT_FALSE(m.has_code(hi + 1));
    EXPECT_FALSE(m.has_code(std::numeric_limits<int32_t>::min()));
    EXPECT_FALSE(m.has_code(std::numeric_limits<int32_t>::max()));

    const std::vector<int32_t> codes = {lo, hi, lo + 1, hi, 0, lo};
    const std::vector<uint8_t> valid = {1, 1, 1, 0, 1, 0};
    const ChunkResult r = run_chunk(m, codes, valid);
    const auto V = static_cast<uint8_t>(PixelStatus::valid);
    const auto N = static_cast<uint8_t>(PixelStatus::nodata);
    const auto U = static_cast<uint8_t>(PixelStatus::unknown_class);
    const uint8_t want_zero_status = (lo == 0 || hi == 0) ? V : U;
    EXPECT_EQ(r.status, (std::vector<uint8_t>{V, V, U, N, want_zero_status, N}));
    const std::array<std::array<double, 6>, 4> want = {{
        {1.0, 5.5, 0, 0, 0, 0},
        {2.0, 6.5, 0, 0, 0, 0},
        {3.0, 7.5, 0, 0, 0, 0},
        {4.0, 8.5, 0, 0, 0, 0},
    }};
    for (int p = 0; p < 4; ++p) {
        for (int i = 0; i < 6; ++i) {
            EXPECT_EQ(r.pools[p][i], want[p][i]) << "pool " << p << " pixel " << i;
        }
    }
}

TEST(LookupStockModel, DenseIndex) {
    SCOPED_TRACE("codes 1 and 100");
    check_lookup(1, 100);
}

TEST(LookupStockModel, DenseIndexAtTheLimit) {
    // Span hi - lo + 1 = 2^20 exactly: still the dense index.
    SCOPED_TRACE("codes 10 and 10 + 2^20 - 1");
    check_lookup(10, 10 + (1 << 20) - 1);
}

TEST(LookupStockModel, SparseIndex) {
    SCOPED_TRACE("codes 1 and 5000000");
    check_lookup(1, 5000000);
}

TEST(LookupStockModel, SparseIndexWithExtremeCodes) {
    SCOPED_TRACE("codes -2000000000 and 2000000000");
    check_lookup(-2000000000, 2000000000);
}

TEST(LookupStockModel, ManyCodesSparseMatchesDense) {
    // The same 200 classes, once alone (dense) and once with one far-away class (sparse): every
    // code from -5 to 1000 must give the same result, and the expected one.
    PoolsTable t;
    for (int32_t c = 0; c < 200; ++c) {
        t.rows.push_back(row(c * 3, c, 2.0 * c, 0.5 * c, 1000 - c));
    }
    PoolsTable t_sparse = t;
    t_sparse.rows.push_back(row(9000000, 1, 1, 1, 1));
    const LookupStockModel dense(t);
    const LookupStockModel sparse(t_sparse);
    std::vector<int32_t> codes;
    for (int32_t c = -5; c <= 1000; ++c) {
        codes.push_back(c);
    }
    const std::vector<uint8_t> valid(codes.size(), 1);
    const ChunkResult a = run_chunk(dense, codes, valid);
    const ChunkResult b = run_chunk(sparse, codes, valid);
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const int32_t c = codes[i];
        const bool known = c >= 0 && c % 3 == 0 && c / 3 < 200;
        const auto want_status =
            static_cast<uint8_t>(known ? PixelStatus::valid : PixelStatus::unknown_class);
        ASSERT_EQ(a.status[i], want_status) << "code " << c;
        ASSERT_EQ(b.status[i], want_status) << "code " << c;
        const double k = known ? c / 3 : 0.0;
        const double want_dead = known ? 1000 - k : 0.0;
        ASSERT_EQ(a.pools[0][i], k) << "code " << c;
        ASSERT_EQ(a.pools[1][i], 2.0 * k) << "code " << c;
        ASSERT_EQ(a.pools[2][i], 0.5 * k) << "code " << c;
        ASSERT_EQ(a.pools[3][i], want_dead) << "code " << c;
        for (int p = 0; p < 4; ++p) {
            ASSERT_EQ(a.pools[p][i], b.pools[p][i]) << "code " << c << " pool " << p;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Flux kernels and constants

TEST(Flux, Co2PerCarbonRatio) {
    EXPECT_EQ(CO2_PER_C, 44.0 / 12.0);
    EXPECT_EQ(M2_PER_HA, 10000.0);
}

TEST(Flux, SinkHasNegativeNetEmissions) {
    const double change = stock_change_per_yr(100.0, 110.0, 5.0);
    EXPECT_GT(change, 0.0);
    EXPECT_LT(net_emissions_co2(change), 0.0);
    const double loss = stock_change_per_yr(110.0, 100.0, 5.0);
    EXPECT_LT(loss, 0.0);
    EXPECT_GT(net_emissions_co2(loss), 0.0);
}

TEST(CaseFiles, StockDifference) {
    const std::string path = std::string(CS_TEST_CASES) + "/stock_difference.txt";
    const auto lines = read_case_file(path);
    int cases = 0;
    for (const auto &cl : lines) {
        const std::string where = path + ":" + std::to_string(cl.line);
        SCOPED_TRACE(where);
        if (!cl.has_arrow || cl.left.size() != 3 || cl.right.size() != 3) {
            ADD_FAILURE() << where
                          << ": expected \"t1 t2 years -> change net_emissions "
                             "tolerance\"";
            continue;
        }
        const double t1 = case_number(cl.left[0], where);
        const double t2 = case_number(cl.left[1], where);
        const double years = case_number(cl.left[2], where);
        const double want_change = case_number(cl.right[0], where);
        const double want_net = case_number(cl.right[1], where);
        const double tol = case_number(cl.right[2], where);
        ASSERT_GT(years, 0.0) << where << ": years must be > 0";
        ASSERT_GE(tol, 0.0) << where << ": tolerance must be >= 0";
        const double change = stock_change_per_yr(t1, t2, years);
        const double net = net_emissions_co2(change);
        EXPECT_NEAR(change, want_change, tol) << where << ": change";
        EXPECT_NEAR(net, want_net, tol) << where << ": net_emissions";
        // The case file's own two expectations must agree with the sign convention.
        EXPECT_NEAR(want_net, -44.0 / 12.0 * want_change, tol + 1e-12 * std::fabs(want_net))
            << where << ": the case's net_emissions is not -44/12 x its change";
        ++cases;
    }
    EXPECT_GE(cases, 8) << "too few cases in " << path;
}

TEST(CaseFiles, Lookup) {
    const std::string path = std::string(CS_TEST_CASES) + "/lookup.txt";
    const auto lines = read_case_file(path);
    const std::map<std::string, PixelStatus> statuses = {
        {"valid", PixelStatus::valid},
        {"nodata", PixelStatus::nodata},
        {"unknown_class", PixelStatus::unknown_class}};
    PoolsTable table;
    struct Case {
        std::string where;
        int32_t code = 0;
        uint8_t valid = 0;
        PixelStatus status = PixelStatus::valid;
        std::array<double, 4> pools{};
    };
    std::vector<Case> cases;
    std::set<int32_t> table_codes;
    for (const auto &cl : lines) {
        const std::string where = path + ":" + std::to_string(cl.line);
        if (!cl.has_arrow && !cl.left.empty() && cl.left[0] == "class") {
            if (cl.left.size() != 6) {
                ADD_FAILURE() << where
                              << ": expected \"class lucode c_above c_below c_soil "
                                 "c_dead\"";
                continue;
            }
            const int32_t code = case_int32(cl.left[1], where);
            EXPECT_TRUE(table_codes.insert(code).second) << where << ": duplicate class";
            table.rows.push_back(row(code, case_number(cl.left[2], where),
                                     case_number(cl.left[3], where), case_number(cl.left[4], where),
                                     case_number(cl.left[5], where)));
            continue;
        }
        if (!cl.has_arrow || cl.left.size() != 2 || cl.right.size() != 5) {
            ADD_FAILURE() << where << ": expected \"code valid -> status above below soil dead\"";
            continue;
        }
        Case c;
        c.where = where;
        c.code = case_int32(cl.left[0], where);
        const int32_t v = case_int32(cl.left[1], where);
        EXPECT_TRUE(v == 0 || v == 1) << where << ": valid must be 0 or 1";
        c.valid = static_cast<uint8_t>(v);
        const auto st = statuses.find(cl.right[0]);
        if (st == statuses.end()) {
            ADD_FAILURE() << where << ": unknown status \"" << cl.right[0] << "\"";
            continue;
        }
        c.status = st->second;
        for (int p = 0; p < 4; ++p) {
            c.pools[static_cast<std::size_t>(p)] = case_number(cl.right[p + 1], where);
        }
        cases.push_back(c);
    }
    ASSERT_GE(table.rows.size(), 3u) << "too few class lines in " << path;
    ASSERT_GE(cases.size(), 8u) << "too few cases in " << path;

    // Second table: one extra class far away forces the sparse index.
    PoolsTable sparse_table = table;
    const int64_t far = int64_t{*table_codes.rbegin()} + (int64_t{1} << 21);
    ASSERT_LE(far, std::numeric_limits<int32_t>::max());
    sparse_table.rows.push_back(row(static_cast<int32_t>(far), 99, 99, 99, 99));

    std::vector<int32_t> codes;
    std::vector<uint8_t> valid;
    for (const auto &c : cases) {
        ASSERT_NE(c.code, far) << c.where << ": code reserved by the test";
        codes.push_back(c.code);
        valid.push_back(c.valid);
    }
    for (const PoolsTable *t : {&table, &sparse_table}) {
        const char *index = t == &table ? "dense index" : "sparse index";
        const LookupStockModel m(*t);
        const ChunkResult r = run_chunk(m, codes, valid);
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const Case &c = cases[i];
            EXPECT_EQ(pixel_status_name(static_cast<PixelStatus>(r.status[i])),
                      std::string(pixel_status_name(c.status)))
                << c.where << " (" << index << ")";
            for (int p = 0; p < 4; ++p) {
                EXPECT_EQ(r.pools[p][i], c.pools[static_cast<std::size_t>(p)])
                    << c.where << " (" << index << "): pool " << m.pool_names()[p];
            }
            EXPECT_EQ(m.has_code(c.code), table_codes.count(c.code) == 1)
                << c.where << " (" << index << ")";
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Registry

TEST(Registry, ContainsTheModelsWithReferencesAndParameters) {
    const auto &reg = model_registry();
    std::set<std::string> names;
    for (const auto &m : reg) {
        EXPECT_TRUE(names.insert(m.name).second) << "duplicate model " << m.name;
    }
    for (const char *want : {"stocks.lookup", "flux.stock_difference"}) {
        const ModelInfo *found = nullptr;
        for (const auto &m : reg) {
            if (m.name == want) {
                found = &m;
            }
        }
        ASSERT_NE(found, nullptr) << want << " is not in the registry";
        EXPECT_FALSE(found->reference.empty()) << want;
        EXPECT_FALSE(found->parameters.empty()) << want;
        EXPECT_FALSE(found->summary.empty()) << want;
        EXPECT_FALSE(found->inputs.empty()) << want;
        EXPECT_FALSE(found->outputs.empty()) << want;
        for (const auto &p : found->parameters) {
            EXPECT_FALSE(p.name.empty()) << want;
            EXPECT_FALSE(p.unit.empty()) << want << " parameter " << p.name;
            EXPECT_FALSE(p.source.empty()) << want << " parameter " << p.name;
        }
    }
}

TEST(Registry, FindModel) {
    const ModelInfo *lookup = find_model("stocks", "lookup");
    ASSERT_NE(lookup, nullptr);
    EXPECT_EQ(lookup->name, "stocks.lookup");
    const ModelInfo *diff = find_model("sink", "stock_difference");
    ASSERT_NE(diff, nullptr);
    EXPECT_EQ(diff->name, "flux.stock_difference");
    EXPECT_EQ(find_model("stocks", "no_such_method"), nullptr);
    EXPECT_EQ(find_model("no_such_section", "lookup"), nullptr);
    EXPECT_EQ(find_model("sink", "lookup"), nullptr);
}

} // namespace

TEST(PoolsTable, UnverifiedStatus) {
    EXPECT_TRUE(cs::models::is_unverified_status("U"));
    EXPECT_TRUE(cs::models::is_unverified_status(" [U] not checked"));
    EXPECT_TRUE(cs::models::is_unverified_status("PLACEHOLDER - confirm before use"));
    EXPECT_TRUE(cs::models::is_unverified_status("V2 (soil); placeholder (biomass)"));
    EXPECT_FALSE(cs::models::is_unverified_status("V"));
    EXPECT_FALSE(cs::models::is_unverified_status("V2-single"));
    EXPECT_FALSE(cs::models::is_unverified_status(""));
    // One rule for the whole project: a "user" status is not unverified, "U-single" is.
    EXPECT_FALSE(cs::models::is_unverified_status("user"));
    EXPECT_TRUE(cs::models::is_unverified_status("U-single"));
    EXPECT_TRUE(cs::models::is_unverified_status("unverified copy"));
}

// flux.gain_loss, per pixel. Growth row: subtropical humid forest, Asia, natural (r0 2.5, r20 1.0,
// K20 = Kmax = 258.4, R 0.23 below 125 t/ha), CF 0.5. Class 0 = cropland, 1 = forest.
TEST(GainLoss, EachBranchOfThePixelRule) {
    std::vector<std::string> errs;
    std::string file;
    const auto table = cs::models::parse_tier1_growth_table(
        cs::models::builtin_parameter_table("ipcc_tier1_growth", file), file, errs);
    auto types =
        cs::models::parse_growth_types("code,ecozone,continent,growth_forest_type,carbon_fraction\n"
                                       "4,subtropical_humid_forest,asia,natural,0.5\n",
                                       "growth.csv", table, errs);
    ASSERT_TRUE(errs.empty()) << errs.front();
    const cs::models::GainLossModel model(std::move(types), {0, 1});
    // Pixels: 0 forest-forest age 0 (0 -> 5 yr: AGB 0 -> 12.5, G_W 2.5, 2.5 x 1.23 x 0.5);
    // 1 age 18 over 5 yr (AGB 45 -> 20 x 2.5 + 3 x 1.0 = 53: G_W 1.6, x 1.23 x 0.5);
    // 2 age nodata; 3 negative age; 4 forest type 9 (not in the table); 5 cropland -> forest
    // (conversion: (30 - 10) / 5 = 4); 6 forest -> invalid epoch (NaN); 7 type nodata.
    const int32_t from[] = {1, 1, 1, 1, 1, 0, 1, 1};
    const int32_t to[] = {1, 1, 1, 1, 1, 1, -1, 1};
    const double s0[] = {0, 0, 0, 0, 0, 10, 0, 0};
    const double s1[] = {0, 0, 0, 0, 0, 30, 0, 0};
    const double ft[] = {4, 4, 4, 4, 9, 4, 4, 4};
    const uint8_t ft_ok[] = {1, 1, 1, 1, 1, 1, 1, 0};
    const double age[] = {0, 18, 5, -1, 5, 5, 5, 5};
    const uint8_t age_ok[] = {1, 1, 0, 1, 1, 1, 1, 1};
    cs::models::GainLossPeriod in;
    in.n = 8;
    in.class_from = from;
    in.class_to = to;
    in.stock_from = s0;
    in.stock_to = s1;
    in.forest_type = ft;
    in.forest_type_ok = ft_ok;
    in.driver = age;
    in.driver_ok = age_ok;
    in.years = 5;
    double out[8];
    model.period(in, out);
    EXPECT_NEAR(out[0], 2.5 * 1.23 * 0.5, 1e-12);
    EXPECT_NEAR(out[1], 1.6 * 1.23 * 0.5, 1e-12);
    EXPECT_TRUE(std::isnan(out[2]));
    EXPECT_TRUE(std::isnan(out[3]));
    EXPECT_TRUE(std::isnan(out[4]));
    EXPECT_DOUBLE_EQ(out[5], 4.0);
    EXPECT_TRUE(std::isnan(out[6]));
    EXPECT_TRUE(std::isnan(out[7]));
    // Ages advance with the epochs: the same pixel 10 years after the first epoch is 28 yr old
    // (AGB 58 -> 63 over 5 yr: G_W 1.0).
    in.years_since_first_epoch = 10;
    model.period(in, out);
    EXPECT_NEAR(out[1], 1.0 * 1.23 * 0.5, 1e-12);
}

TEST(GainLoss, GrowthTableErrors) {
    std::vector<std::string> errs;
    std::string file;
    const auto table = cs::models::parse_tier1_growth_table(
        cs::models::builtin_parameter_table("ipcc_tier1_growth", file), file, errs);
    cs::models::parse_growth_types("code,ecozone,continent,carbon_fraction\n1,a,b,0.5\n", "g.csv",
                                   table, errs);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0], "g.csv, line 1: required column \"growth_forest_type\" is missing (the "
                       "header must have code, ecozone, continent, growth_forest_type, "
                       "carbon_fraction)");
    errs.clear();
    cs::models::parse_growth_types("code,ecozone,continent,growth_forest_type,carbon_fraction\n"
                                   "1,subtropical_humid_forest,asia,natural,1.5\n"
                                   "1,subtropical_humid_forest,asia,natural,0.5\n"
                                   "x,subtropical_humid_forest,asia,natural,0.5\n",
                                   "g.csv", table, errs);
    ASSERT_EQ(errs.size(), 3u);
    EXPECT_EQ(errs[0], "g.csv, line 2: forest type 1: carbon_fraction \"1.5\" is not a number in "
                       "(0, 1] (IPCC 2006 Vol. 4 Table 4.3)");
    EXPECT_EQ(errs[1], "g.csv, line 3: forest type code 1 is listed twice (also line 2)");
    EXPECT_EQ(errs[2], "g.csv, line 4: code \"x\" is not an integer");
}

// Losses, IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14, worked by hand. BCEF_R 0.77 and R 0.29 are the
// Table 4.5 / 4.4 values of temperate pines at 100-200 m3/ha and temperate conifers at
// 50-150 t/ha; CF 0.47 (Table 4.3).
TEST(Losses, KernelsByHand) {
    // Eq. 2.12: 10 m3 x 0.77 x 1.29 x 0.47 = 4.66851 t C
    EXPECT_NEAR(wood_removals_loss_t_c(10.0, 0.77, 0.29, 0.47), 4.66851, 1e-12);
    // Eq. 2.13: (2 m3 x 0.77 x 1.29 + 1 m3 x 0.5 t/m3) x 0.47 = (1.9866 + 0.5) x 0.47 = 1.168702
    EXPECT_NEAR(fuelwood_loss_t_c(2.0, 1.0, 0.77, 0.29, 0.5, 0.47), 1.168702, 1e-12);
    // Eq. 2.14: 0.1/yr x 100 t x 1.29 x 0.47 x fd 0.5 = 3.0315 t C
    EXPECT_NEAR(disturbance_loss_t_c(0.1, 100.0, 0.29, 0.47, 0.5), 3.0315, 1e-12);
    // the same with the live carbon 100 x 1.29 x 0.47 = 60.63 t C/ha given directly
    EXPECT_NEAR(disturbance_loss_from_carbon_t_c(0.1, 60.63, 0.5), 3.0315, 1e-12);
    // Eq. 2.11
    EXPECT_DOUBLE_EQ(total_loss_t_c(1.0, 2.0, 4.0), 7.0);
    EXPECT_TRUE(std::isnan(wood_removals_loss_t_c(std::nan(""), 0.77, 0.29, 0.47)));
}

TEST(Losses, DisturbanceTable) {
    std::vector<std::string> errs;
    const auto rows = parse_disturbance_types("code,name,fd,source,status\n"
                                              "7,fire,0.6,national fire survey 2019,V\n"
                                              "3,windthrow,0.25,user field estimate,U\n",
                                              "fd.csv", errs);
    ASSERT_TRUE(errs.empty()) << errs.front();
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].code, 3); // sorted by code
    EXPECT_EQ(rows[0].fd, 0.25);
    EXPECT_EQ(rows[1].name, "fire");
    EXPECT_EQ(rows[0].description,
              "disturbance type 3 (windthrow): fd 0.25 (fd.csv line 3, status U)");
    parse_disturbance_types("code,fd,source\n1,0.5,x\n", "fd.csv", errs);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0], "fd.csv, line 1: required column \"status\" is missing (the header must "
                       "have code, fd, source, status)");
    errs.clear();
    parse_disturbance_types("code,fd,source,status\n"
                            "1,1.5,x,V\n"
                            "2,0.5,x,V\n"
                            "2,0.5,x,V\n"
                            "2.5,0.5,x,V\n"
                            "4,-0.1,x,V\n"
                            "5,0.3,,V\n",
                            "fd.csv", errs);
    ASSERT_EQ(errs.size(), 5u);
    EXPECT_EQ(errs[0], "fd.csv, line 2: disturbance type 1: fd \"1.5\" is not a number in [0, 1] "
                       "(the fraction of the live biomass the disturbance removes, IPCC 2006 "
                       "Vol. 4 Ch. 2 Eq. 2.14)");
    EXPECT_EQ(errs[1], "fd.csv, line 4: disturbance type code 2 is listed twice (also line 3)");
    EXPECT_EQ(errs[2], "fd.csv, line 5: code \"2.5\" is not an integer");
    EXPECT_EQ(errs[3], "fd.csv, line 6: disturbance type 4: fd \"-0.1\" is not a number in [0, 1] "
                       "(the fraction of the live biomass the disturbance removes, IPCC 2006 "
                       "Vol. 4 Ch. 2 Eq. 2.14)");
    EXPECT_EQ(errs[4],
              "fd.csv, line 7: disturbance type 5: source is empty (say where fd comes from; no "
              "default exists)");
    errs.clear();
    parse_disturbance_types("code,fd,source,status\n", "fd.csv", errs);
    ASSERT_EQ(errs.size(), 1u);
    EXPECT_EQ(errs[0], "fd.csv: the table has no rows");
}

// Tier 1 growth with disturbance (the growth row of EachBranchOfThePixelRule: pixel age 0 grows
// 2.5 x 1.23 x 0.5 = 1.5375 Mg C/ha/yr over 0 -> 5 yr).
TEST(GainLoss, Tier1GrowthMinusDisturbance) {
    std::vector<std::string> errs;
    std::string file;
    const auto table =
        parse_tier1_growth_table(builtin_parameter_table("ipcc_tier1_growth", file), file, errs);
    auto types = parse_growth_types("code,ecozone,continent,growth_forest_type,carbon_fraction\n"
                                    "4,subtropical_humid_forest,asia,natural,0.5\n",
                                    "growth.csv", table, errs);
    GainLossModel model(std::move(types), {0, 1});
    model.set_losses(
        {parse_disturbance_types("code,fd,source,status\n3,0.6,s,V\n", "fd.csv", errs), 0.0});
    ASSERT_TRUE(errs.empty()) << errs.front();
    // Pixels, all forest -> forest at age 0 with 40 Mg C/ha in the gain-loss pools at epoch k,
    // except 6 (cropland -> forest, 10 -> 30):
    // 0: 25 % disturbed by type 3 over 5 yr: 0.25 / 5 x 40 x 0.6 = 1.2; change 0.3375
    // 1: not disturbed, type nodata: growth only; 2: disturbed, type 9 not in the table: NaN
    // 3: disturbed share nodata: NaN; 4: share 1.5: NaN; 5: disturbed, type nodata: NaN
    // 6: conversion: losses ignored, (30 - 10) / 5 = 4; 7: share 1 -> whole stock: 1.5375 - 4.8
    const int32_t from[] = {1, 1, 1, 1, 1, 1, 0, 1};
    const int32_t to[] = {1, 1, 1, 1, 1, 1, 1, 1};
    const double s0[] = {40, 40, 40, 40, 40, 40, 10, 40};
    const double s1[] = {0, 0, 0, 0, 0, 0, 30, 0};
    const double ft[] = {4, 4, 4, 4, 4, 4, 4, 4};
    const uint8_t ok[] = {1, 1, 1, 1, 1, 1, 1, 1};
    const double age[] = {0, 0, 0, 0, 0, 0, 0, 0};
    const double share[] = {0.25, 0, 0.5, 0.5, 1.5, 0.5, 0.5, 1.0};
    const uint8_t share_ok[] = {1, 1, 1, 0, 1, 1, 1, 1};
    const double dtype[] = {3, 0, 9, 3, 3, 3, 3, 3};
    const uint8_t dtype_ok[] = {1, 0, 1, 1, 1, 0, 1, 1};
    GainLossPeriod in;
    in.n = 8;
    in.class_from = from;
    in.class_to = to;
    in.stock_from = s0;
    in.stock_to = s1;
    in.forest_type = ft;
    in.forest_type_ok = ok;
    in.driver = age;
    in.driver_ok = ok;
    in.years = 5;
    in.disturbed = share;
    in.disturbed_ok = share_ok;
    in.disturbance_type = dtype;
    in.disturbance_type_ok = dtype_ok;
    double out[8];
    std::array<std::array<double, 8>, 5> p{};
    std::array<uint8_t, 8> bad{};
    const GainLossParts parts{p[0].data(), p[1].data(), p[2].data(),
                              p[3].data(), p[4].data(), bad.data()};
    model.period(in, out, &parts);
    // Only the share above 1 is an impossible value; nodata and unknown types are gaps.
    EXPECT_EQ(bad, (std::array<uint8_t, 8>{0, 0, 0, 0, LOSS_BAD_DISTURBED, 0, 0, 0}));
    EXPECT_NEAR(out[0], 1.5375 - 1.2, 1e-12);
    EXPECT_NEAR(p[0][0], 1.5375, 1e-12);
    EXPECT_NEAR(p[3][0], 1.2, 1e-12);
    EXPECT_EQ(p[1][0], 0.0);
    EXPECT_EQ(p[2][0], 0.0);
    EXPECT_NEAR(out[1], 1.5375, 1e-12);
    for (int i : {2, 3, 4, 5}) {
        EXPECT_TRUE(std::isnan(out[i])) << i;
        for (std::size_t k = 0; k < 5; ++k) {
            EXPECT_EQ(p[k][static_cast<std::size_t>(i)], 0.0) << i;
        }
    }
    EXPECT_DOUBLE_EQ(out[6], 4.0);
    EXPECT_DOUBLE_EQ(p[4][6], 4.0);
    EXPECT_EQ(p[3][6], 0.0);
    EXPECT_NEAR(out[7], 1.5375 - 40.0 / 5 * 0.6, 1e-12);
    // Tier 1 rows have no BCEF_R: a removal volume leaves the change unknown.
    const double h[] = {1, 0, 0, 0, 0, 0, 0, 0};
    in.removals = h;
    in.removals_ok = ok;
    model.period(in, out, &parts);
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_NEAR(out[1], 1.5375, 1e-12);
    // The fd table's unverified rows are reported.
    GainLossModel model2(parse_growth_types("code,ecozone,continent,growth_forest_type,"
                                            "carbon_fraction\n"
                                            "4,subtropical_humid_forest,asia,natural,0.5\n",
                                            "growth.csv", table, errs),
                         {0, 1});
    model2.set_losses(
        {parse_disturbance_types("code,fd,source,status\n3,0.6,s,U\n", "fd.csv", errs), 0.0});
    const auto unverified = model2.unverified_parameters();
    ASSERT_EQ(unverified.size(), 1u);
    EXPECT_EQ(unverified[0], "flux.gain_loss disturbance type 3: fd 0.6 (fd.csv line 2, status U)");
}

// Volume-increment growth minus removals, fuelwood and disturbance, per forest type method.
TEST(GainLoss, VolumeIncrementGrowthMinusEveryLoss) {
    auto tables = std::make_shared<InventoryTables>();
    std::vector<std::string> errs;
    std::string file;
    tables->cbef = parse_cbef_table(builtin_parameter_table("china_cbef", file), file, errs);
    tables->bcef = parse_bcef_table(builtin_parameter_table("ipcc_bcef", file), file, errs);
    tables->root_shoot =
        parse_root_shoot_table(builtin_parameter_table("ipcc_root_shoot", file), file, errs);
    auto types = parse_forest_types(
        "code,name,method,cbef_forest_type,climate_domain,bcef_forest_type,root_shoot_zone,"
        "root_shoot_type,carbon_fraction\n"
        "1,fir,china_cbef,cunninghamia_lanceolata,,,,,\n"
        "2,pines,ipcc_bcef,,temperate,pines,temperate,conifer,0.47\n",
        "forest_types.csv", *tables, errs);
    GainLossModel model(tables, std::move(types), {0, 1});
    model.set_losses(
        {parse_disturbance_types("code,fd,source,status\n1,0.5,s,V\n", "fd.csv", errs), 0.45});
    ASSERT_TRUE(errs.empty()) << errs.front();
    // Pixel 0, pines at V 100 (Table 4.5 class 40-100: BCEF_I 0.6, BCEF_R 0.83, BCEF_S 0.75,
    // AGB 75 -> R 0.29), I_V 5, H 2, FG_trees 1, FG_part 0.5, 20 % disturbed (fd 0.5) over 5 yr,
    // live carbon 45.4725 Mg C/ha at epoch k:
    //   growth 5 x 0.6 x 1.29 x 0.47 = 1.8189; removals 2 x 0.83 x 1.29 x 0.47 = 1.006458;
    //   fuelwood (1 x 0.83 x 1.29 + 0.5 x 0.45) x 0.47 = 0.608979;
    //   disturbance 0.2 / 5 x 45.4725 x 0.5 = 0.90945.
    // Pixel 1, fir (B = 0.4652 V + 19.141, CF 0.5; roots included): growth 0.4652 x 5 x 0.5 =
    //   1.163, removals 2 x 0.4652 x 0.5 = 0.4652, no fuelwood, no disturbance.
    // Pixel 2, removal volume nodata: NaN. Pixel 3, negative fuelwood: NaN.
    const int32_t cls[] = {1, 1, 1, 1};
    const double s0[] = {45.4725, 50, 50, 50};
    const double ft[] = {2, 1, 2, 2};
    const uint8_t ok[] = {1, 1, 1, 1};
    const double vol[] = {100, 100, 100, 100};
    const double inc[] = {5, 5, 5, 5};
    const double h[] = {2, 2, 2, 0};
    const uint8_t h_ok[] = {1, 1, 0, 1};
    const double fg[] = {1, 0, 0, -1};
    const double fgp[] = {0.5, 0, 0, 0};
    const double share[] = {0.2, 0, 0, 0};
    const double dtype[] = {1, 0, 0, 0};
    GainLossPeriod in;
    in.n = 4;
    in.class_from = cls;
    in.class_to = cls;
    in.stock_from = s0;
    in.stock_to = s0;
    in.forest_type = ft;
    in.forest_type_ok = ok;
    in.driver = inc;
    in.driver_ok = ok;
    in.volume_from = vol;
    in.volume_from_ok = ok;
    in.years = 5;
    in.removals = h;
    in.removals_ok = h_ok;
    in.fuelwood = fg;
    in.fuelwood_ok = ok;
    in.fuelwood_parts = fgp;
    in.fuelwood_parts_ok = ok;
    in.disturbed = share;
    in.disturbed_ok = ok;
    in.disturbance_type = dtype;
    in.disturbance_type_ok = ok;
    double out[4];
    std::array<std::array<double, 4>, 5> p{};
    std::array<uint8_t, 4> bad{};
    const GainLossParts parts{p[0].data(), p[1].data(), p[2].data(),
                              p[3].data(), p[4].data(), bad.data()};
    model.period(in, out, &parts);
    EXPECT_EQ(bad, (std::array<uint8_t, 4>{0, 0, 0, LOSS_BAD_FUELWOOD}));
    EXPECT_NEAR(p[0][0], 1.8189, 1e-12);
    EXPECT_NEAR(p[1][0], 1.006458, 1e-12);
    EXPECT_NEAR(p[2][0], 0.608979, 1e-12);
    EXPECT_NEAR(p[3][0], 0.90945, 1e-12);
    EXPECT_NEAR(out[0], 1.8189 - 1.006458 - 0.608979 - 0.90945, 1e-12);
    EXPECT_NEAR(out[1], 1.163 - 0.4652, 1e-12);
    EXPECT_NEAR(p[1][1], 0.4652, 1e-12);
    EXPECT_TRUE(std::isnan(out[2]));
    EXPECT_TRUE(std::isnan(out[3]));
}

// ---------------------------------------------------------------------------------------------
// soil.ipcc_tier1: management by raster, and the unverified rows a run uses

namespace {

// Small SOC tables (not the shipped ones), so every SOC_eq below is easy to work out by hand.
// One climate zone (code 1, warm temperate moist). SOC_REF: HAC 50 (line 2), LAC 40 (line 3,
// status U). Factors, by line: 2 F_LU long_term_cultivated 1.0; 3 F_LU set_aside 0.8;
// 4 F_MG full_tillage 1.0 (all zones); 5 F_MG reduced_tillage 1.05; 6 F_MG no_tillage 1.1
// (status U); 7 F_I medium 1.0 (all zones); 8 F_I high_without_manure 1.1; 9-11 grassland 1.0.
const char *TEST_ZONES = "code,climate_zone,source,status\n"
                         "1,warm_temperate_moist,s,V2\n";
const char *TEST_SOC_REF =
    "climate_zone,soil_type,soc_ref_t_c_per_ha,uncertainty_pct,source,status\n"
    "warm_temperate_moist,hac,50,,s,V2\n"
    "warm_temperate_moist,lac,40,,s,U\n";
const char *TEST_FACTORS = "land_use,factor,level,climate_zone,value,error_pct,source,status\n"
                           "cropland,F_LU,long_term_cultivated,warm_temperate_moist,1.0,,s,V2\n"
                           "cropland,F_LU,set_aside,warm_temperate_moist,0.8,,s,V2\n"
                           "cropland,F_MG,full_tillage,all,1.0,,s,V2\n"
                           "cropland,F_MG,reduced_tillage,warm_temperate_moist,1.05,,s,V2\n"
                           "cropland,F_MG,no_tillage,warm_temperate_moist,1.1,,s,U\n"
                           "cropland,F_I,medium,all,1.0,,s,V2\n"
                           "cropland,F_I,high_without_manure,warm_temperate_moist,1.1,,s,V2\n"
                           "grassland,F_LU,all,all,1.0,,s,V2\n"
                           "grassland,F_MG,nominally_managed,all,1.0,,s,V2\n"
                           "grassland,F_I,medium,all,1.0,,s,V2\n";
// Management codes and their SOC_eq on HAC (SOC_REF 50):
//   1 long-term cultivated, full tillage, medium input: 50 x 1.0 x 1.0 x 1.0 = 50
//   2 set aside, full tillage, medium input:             50 x 0.8 x 1.0 x 1.0 = 40
//   3 set aside, reduced tillage, high input:            50 x 0.8 x 1.05 x 1.1 = 46.2
//   4 long-term cultivated, no-till (a U row), medium:   50 x 1.0 x 1.1 x 1.0 = 55
//   5 grassland, nominally managed (the code row is U):  50
const char *TEST_CODES = "code,land_use,lu_level,mg_level,i_level,source,status\n"
                         "1,cropland,long_term_cultivated,full_tillage,medium,survey,V\n"
                         "2,cropland,set_aside,full_tillage,medium,survey,V\n"
                         "3,cropland,set_aside,reduced_tillage,high_without_manure,survey,V\n"
                         "4,cropland,long_term_cultivated,no_tillage,medium,survey,V\n"
                         "5,grassland,all,nominally_managed,medium,guess,U\n";

std::shared_ptr<SoilTables> test_soil_tables() {
    auto t = std::make_shared<SoilTables>();
    std::vector<std::string> errors;
    t->zones = parse_climate_zone_code_table(TEST_ZONES, "zones.csv", errors);
    t->soc_ref = parse_soc_ref_table(TEST_SOC_REF, "ref.csv", errors);
    t->factors = parse_soc_factor_table(TEST_FACTORS, "factors.csv", errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    return t;
}

SoilManagementCodes test_codes() {
    std::vector<std::string> errors;
    auto t = test_soil_tables();
    SoilManagementCodes codes =
        parse_soil_management_codes(TEST_CODES, "codes.csv", errors, &t->factors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    return codes;
}

/// Classes 1 (cropland, mode raster), 2 (forest, reference) and 3 (settlement, table: c_soil
/// 30); soil code 1 = HAC, 2 = LAC.
std::unique_ptr<SoilTier1Model> raster_soil_model(std::vector<std::string> &errors,
                                                  double years = 20.0) {
    std::vector<SoilClassRule> rules(3);
    rules[0].lucode = 1;
    rules[0].mode = SoilClassRule::Mode::raster;
    rules[0].line = 2;
    rules[1].lucode = 2;
    rules[1].mode = SoilClassRule::Mode::reference;
    rules[2].lucode = 3;
    rules[2].mode = SoilClassRule::Mode::table;
    return std::make_unique<SoilTier1Model>(
        test_soil_tables(), std::vector<int32_t>{1, 2, 3}, std::vector<double>{0, 0, 30}, rules,
        test_codes(), std::map<int32_t, std::string>{{1, "hac"}, {2, "lac"}}, years, errors);
}

/// Inputs and outputs of SoilTier1Model::apply for `n` pixels and `e` epochs, all valid, zone 1
/// and HAC unless changed.
struct SoilChunk {
    std::size_t n;
    std::vector<int> years;
    std::vector<std::vector<int32_t>> cls;
    std::vector<std::vector<uint8_t>> status;
    std::vector<std::vector<double>> soil, mg;
    std::vector<std::vector<uint8_t>> mg_ok;
    std::vector<double> zone, soil_code;
    std::vector<uint8_t> zone_ok, soil_ok;
    SoilChunk(std::size_t pixels, std::vector<int> epoch_years)
        : n(pixels), years(std::move(epoch_years)), zone(pixels, 1), soil_code(pixels, 1),
          zone_ok(pixels, 1), soil_ok(pixels, 1) {
        for (std::size_t e = 0; e < years.size(); ++e) {
            cls.emplace_back(n, 0);
            status.emplace_back(n, static_cast<uint8_t>(PixelStatus::valid));
            soil.emplace_back(n, -1.0);
            mg.emplace_back(n, 0.0);
            mg_ok.emplace_back(n, 1);
        }
    }
    void apply(const SoilTier1Model &m, int64_t *usage = nullptr) {
        std::vector<const int32_t *> c;
        std::vector<uint8_t *> st;
        std::vector<double *> so;
        std::vector<const double *> g;
        std::vector<const uint8_t *> gok;
        for (std::size_t e = 0; e < years.size(); ++e) {
            c.push_back(cls[e].data());
            st.push_back(status[e].data());
            so.push_back(soil[e].data());
            g.push_back(mg[e].data());
            gok.push_back(mg_ok[e].data());
        }
        m.apply(n, years, c.data(), st.data(), zone.data(), zone_ok.data(), soil_code.data(),
                soil_ok.data(), so.data(), g.data(), gok.data(), usage);
    }
};

constexpr auto S_VALID = static_cast<uint8_t>(PixelStatus::valid);
constexpr auto S_NODATA = static_cast<uint8_t>(PixelStatus::nodata);
constexpr auto S_MISSING = static_cast<uint8_t>(PixelStatus::missing_parameter);

} // namespace

TEST(SoilTier1, RasterModeGivesEachPixelTheFactorsOfItsManagementCode) {
    std::vector<std::string> errors;
    const auto model = raster_soil_model(errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    ASSERT_TRUE(model->uses_management_raster());
    EXPECT_EQ(model->management_codes(), (std::vector<int32_t>{1, 2, 3, 4, 5}));
    const auto layers = model->layers();
    ASSERT_EQ(layers.size(), 3u);
    EXPECT_EQ(layers[2].name, "management");
    EXPECT_TRUE(layers[2].categorical);
    EXPECT_TRUE(layers[2].either_form);

    SoilChunk ch(6, {2000});
    // Pixels 0 and 1: the same class (cropland, mode raster), codes 1 and 3: 50 and
    // 50 x 0.8 x 1.05 x 1.1 = 46.2. Pixel 2: cropland with nodata management -> nodata.
    // Pixel 3: forest (reference) needs no management code: SOC_REF 50. Pixel 4: a code the
    // table lacks -> missing_parameter. Pixel 5: settlement (table) -> c_soil 30.
    ch.mg[0] = {1, 3, 0, 0, 9, 0};
    ch.mg_ok[0] = {1, 1, 0, 0, 1, 0};
    ch.cls[0] = {0, 0, 0, 1, 0, 2};
    std::vector<int64_t> usage(model->usage_cells(), 0);
    ch.apply(*model, usage.data());
    EXPECT_NEAR(ch.soil[0][0], 50.0, 1e-12);
    EXPECT_NEAR(ch.soil[0][1], 46.2, 1e-12);
    EXPECT_EQ(ch.status[0][2], S_NODATA);
    EXPECT_EQ(ch.soil[0][2], 0.0);
    EXPECT_EQ(ch.status[0][3], S_VALID);
    EXPECT_NEAR(ch.soil[0][3], 50.0, 1e-12);
    EXPECT_EQ(ch.status[0][4], S_MISSING);
    EXPECT_EQ(ch.soil[0][4], 0.0);
    EXPECT_NEAR(ch.soil[0][5], 30.0, 1e-12);
    for (int i : {0, 1, 3, 5}) {
        EXPECT_EQ(ch.status[0][i], S_VALID) << "pixel " << i;
    }
    // The tables hold U rows (LAC, no-till, code 5), but no pixel used one.
    EXPECT_TRUE(model->unverified_parameters(usage).empty());
}

TEST(SoilTier1, AManagementCodeChangeStartsTheLinearTransition) {
    std::vector<std::string> errors;
    const auto model = raster_soil_model(errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    // Pixel 0: code 1 (SOC_eq 50) in 2000, code 2 (40) from 2010: the change is dated 2000, so
    // in 2010 (10 of 20 years) SOC = 50 + (40 - 50) x 10 / 20 = 45, and in 2030 (30 years
    // after) it has reached 40. Pixel 1 keeps code 1: 50 throughout. Pixel 2 keeps code 3 but
    // becomes forest in 2010 (class change, 46.2 -> 50): 46.2 + 3.8 / 2 = 48.1, then 50.
    SoilChunk ch(3, {2000, 2010, 2030});
    ch.mg[0] = {1, 1, 3};
    ch.mg[1] = {2, 1, 3};
    ch.mg[2] = {2, 1, 3};
    ch.cls[1] = {0, 0, 1};
    ch.cls[2] = {0, 0, 1};
    ch.apply(*model);
    EXPECT_NEAR(ch.soil[0][0], 50.0, 1e-12);
    EXPECT_NEAR(ch.soil[1][0], 45.0, 1e-12);
    EXPECT_NEAR(ch.soil[2][0], 40.0, 1e-12);
    for (std::size_t e = 0; e < 3; ++e) {
        EXPECT_NEAR(ch.soil[e][1], 50.0, 1e-12);
    }
    EXPECT_NEAR(ch.soil[0][2], 46.2, 1e-12);
    EXPECT_NEAR(ch.soil[1][2], 48.1, 1e-12);
    EXPECT_NEAR(ch.soil[2][2], 50.0, 1e-12);
}

TEST(SoilTier1, UnverifiedRowsThatPixelsUseAreListedWithTheirCounts) {
    std::vector<std::string> errors;
    const auto model = raster_soil_model(errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    // Two epochs. Pixel 0: cropland with code 4 in both (no-till, factors line 6, U): 2
    // pixel-epochs. Pixel 1: code 5 (its own row, line 6 of codes.csv, is U) in 2000, code 1
    // in 2010: 1 pixel-epoch. Pixel 2: forest on LAC (SOC_REF line 3, U) in both: 2. Pixel 3:
    // code 4 but nodata management in both epochs: invalid, so not counted.
    SoilChunk ch(4, {2000, 2010});
    ch.mg[0] = {4, 5, 0, 4};
    ch.mg[1] = {4, 1, 0, 4};
    ch.mg_ok[0] = {1, 1, 1, 0};
    ch.mg_ok[1] = {1, 1, 1, 0};
    ch.cls[0] = {0, 0, 1, 0};
    ch.cls[1] = {0, 0, 1, 0};
    ch.soil_code[2] = 2;
    std::vector<int64_t> usage(model->usage_cells(), 0);
    ch.apply(*model, usage.data());
    EXPECT_NEAR(ch.soil[0][0], 55.0, 1e-12);
    EXPECT_NEAR(ch.soil[0][2], 40.0, 1e-12);
    EXPECT_EQ(ch.status[0][3], S_NODATA);
    EXPECT_EQ(model->unverified_parameters(usage),
              (std::vector<std::string>{
                  "ipcc2019_soc_ref.csv line 3: SOC_REF lac (warm temperate moist): status U "
                  "(used by 2 pixel-epochs)",
                  "ipcc2019_soc_factors.csv line 6: cropland F_MG no_tillage (warm temperate "
                  "moist): status U (used by 2 pixel-epochs)",
                  "codes.csv line 6: management code 5 (grassland all/nominally_managed/medium): "
                  "status U (used by 1 pixel-epochs)"}));
}

TEST(SoilTier1, ModeRasterWithoutCodesIsAnError) {
    std::vector<SoilClassRule> rules(1);
    rules[0].lucode = 1;
    rules[0].mode = SoilClassRule::Mode::raster;
    rules[0].line = 4;
    std::vector<std::string> errors;
    SoilTier1Model model(test_soil_tables(), {1}, {0}, rules, SoilManagementCodes{}, {{1, "hac"}},
                         20.0, errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "soil rule of class 1 (line 4): mode raster needs a management raster "
                          "and its code table (models.soil.management_raster, management_codes)"}));
    // Without a raster class, codes are not read and no management layer is requested.
    rules[0].mode = SoilClassRule::Mode::reference;
    errors.clear();
    SoilTier1Model plain(test_soil_tables(), {1}, {0}, rules, test_codes(), {{1, "hac"}}, 20.0,
                         errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_FALSE(plain.uses_management_raster());
    EXPECT_EQ(plain.layers().size(), 2u);
}

TEST(SoilTier1, ManagementCodeTableErrors) {
    const auto t = test_soil_tables();
    std::vector<std::string> errors;
    // The code column is named otherwise.
    auto codes =
        parse_soil_management_codes("mgmt_code,land_use,lu_level,mg_level,i_level,source,status\n"
                                    "1,cropland,long_term_cultivated,full_tillage,medium,s,V\n",
                                    "codes.csv", errors, &t->factors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "codes.csv, line 1: missing column code (the columns are code, "
                          "land_use, lu_level, mg_level, i_level, source, status)"}));
    EXPECT_TRUE(codes.codes.empty());
    errors.clear();
    codes = parse_soil_management_codes(
        "code,land_use,lu_level,mg_level,i_level\n1,cropland,long_term_cultivated,full_tillage,"
        "medium\n",
        "codes.csv", errors, &t->factors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "codes.csv, line 1: missing columns source, status (the columns are "
                          "code, land_use, lu_level, mg_level, i_level, source, status)"}));
    errors.clear();
    codes = parse_soil_management_codes(
        "code,land_use,lu_level,mg_level,i_level,source,status\n"
        "1,cropland,long_term_cultivated,zero_tillage,medium,s,V\n"   // line 2: bad F_MG level
        "2,orchard,long_term_cultivated,full_tillage,medium,s,V\n"    // line 3: bad land use
        "2.5,cropland,long_term_cultivated,full_tillage,medium,s,V\n" // line 4: not an integer
        "6,cropland,set_aside,full_tillage,low,s,V\n"                 // line 5: bad F_I level
        "7,cropland,set_aside,full_tillage,medium,s,V\n"              // line 6
        "7,cropland,set_aside,full_tillage,medium,s,V\n"              // line 7: listed twice
        "8,cropland,,full_tillage,medium,s,V\n",                      // line 8: level missing
        "codes.csv", errors, &t->factors);
    EXPECT_EQ(errors,
              (std::vector<std::string>{
                  "codes.csv, line 2: code 1: mg_level \"zero_tillage\" is not a cropland F_MG "
                  "level of ipcc2019_soc_factors.csv (full_tillage, no_tillage, reduced_tillage)",
                  "codes.csv, line 3: code 2: land_use \"orchard\" is not one of cropland, "
                  "grassland",
                  "codes.csv, line 4: code \"2.5\" is not an integer",
                  "codes.csv, line 5: code 6: i_level \"low\" is not a cropland F_I level of "
                  "ipcc2019_soc_factors.csv (high_without_manure, medium)",
                  "codes.csv, line 7: code 7 is listed twice (also line 6)",
                  "codes.csv, line 8: code 8: land_use, lu_level, mg_level and i_level are all "
                  "required"}));
    ASSERT_EQ(codes.codes.size(), 1u);
    EXPECT_EQ(codes.codes[0].code, 7);
    EXPECT_EQ(codes.codes[0].line, 6);
    EXPECT_EQ(codes.where, "codes.csv");
}

TEST(SoilTier1, ManagementTableAcceptsModeRasterAndChecksLevels) {
    const auto t = test_soil_tables();
    std::vector<std::string> errors;
    const auto rules = parse_soil_management("lucode,mode,land_use,lu_level,mg_level,i_level\n"
                                             "1,raster,,,,\n"
                                             "2,pasture,,,,\n"
                                             "3,factors,cropland,set_aside,full_tillage,lots\n",
                                             "m.csv", errors, &t->factors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "m.csv, line 3: lucode 2: mode \"pasture\" is not one of factors, "
                          "reference, table, raster",
                          "m.csv, line 4: lucode 3: i_level \"lots\" is not a cropland F_I level "
                          "of ipcc2019_soc_factors.csv (high_without_manure, medium)"}));
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].mode, SoilClassRule::Mode::raster);
    EXPECT_EQ(rules[1].lucode, 3); // kept, so the class does not also lack a rule
}
