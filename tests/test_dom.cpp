// Tests of the five-pool split and dead organic matter from AGB (pools table with c_dead_wood and
// c_litter, the stock models' AGB output, dom.agb_fraction); standard library only, no GDAL.
// Expected values are worked by hand in the comments (dom_fractions.csv: science.md §2.5).
#include "models/agb_raster_stock.hpp"
#include "models/builtin_tables.hpp"
#include "models/dom_fraction.hpp"
#include "models/inventory_stock.hpp"
#include "models/lookup_stock.hpp"
#include "models/model_error.hpp"
#include "models/pools_table.hpp"
#include "models/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace cs::models;

const double NaN = std::numeric_limits<double>::quiet_NaN();
const auto V = static_cast<uint8_t>(PixelStatus::valid);
const auto ND = static_cast<uint8_t>(PixelStatus::nodata);
const auto MP = static_cast<uint8_t>(PixelStatus::missing_parameter);

/// The ModelError message of `f`; fails the test when nothing is thrown.
template <class F> std::string model_error_of(F &&f) {
    try {
        f();
    } catch (const ModelError &e) {
        return e.what();
    }
    ADD_FAILURE() << "expected ModelError, nothing was thrown";
    return {};
}

std::string join(const std::vector<std::string> &v) {
    std::string s;
    for (const auto &e : v) {
        s += e + "\n";
    }
    return s;
}

/// Cropland 1 (dead wood 0.5, litter 0.25), forest 2 (3, 2), settlement 3 (0, 0).
const char *SPLIT_TABLE = "lucode,c_above,c_below,c_dead_wood,c_litter,c_soil\n"
                          "1,10,2,0.5,0.25,50\n"
                          "2,100,20,3,2,80\n"
                          "3,0,0,0,0,30\n";

PoolsTable split_table() {
    std::vector<std::string> errors;
    PoolsTable t = parse_pools_table(SPLIT_TABLE, "pools.csv", errors);
    EXPECT_TRUE(errors.empty()) << join(errors);
    return t;
}

/// Outputs of one chunk: pools (pre-filled with garbage so unwritten entries show), status,
/// class index, method code and AGB.
struct Chunk {
    std::vector<std::vector<double>> pools;
    std::vector<double *> ptrs;
    std::vector<uint8_t> status;
    std::vector<int32_t> class_index;
    std::vector<uint8_t> method;
    std::vector<double> agb;
    StockOutputs out;

    Chunk(std::size_t n_pools, std::size_t n)
        : pools(n_pools, std::vector<double>(n, -999.0)), status(n, 77), class_index(n, 77),
          method(n, 77), agb(n, -999.0) {
        for (auto &p : pools) {
            ptrs.push_back(p.data());
        }
        out = {ptrs.data(), status.data(), class_index.data(), method.data(), agb.data()};
    }
};

/// Run a stock model over codes (all valid) with its layers; NaN in a layer is nodata (read as
/// value 0, invalid, as RasterReader::read_double gives nodata).
Chunk run_model(const StockModel &m, const std::vector<int32_t> &codes,
                const std::vector<std::vector<double>> &layers = {}) {
    const std::size_t n = codes.size();
    Chunk c(m.pool_names().size(), n);
    const std::vector<uint8_t> valid(n, 1);
    std::vector<std::vector<double>> values;
    std::vector<const double *> lp;
    std::vector<std::vector<uint8_t>> lv;
    std::vector<const uint8_t *> lvp;
    for (const auto &l : layers) {
        values.emplace_back(n);
        lv.emplace_back(n);
        for (std::size_t i = 0; i < n; ++i) {
            lv.back()[i] = std::isnan(l[i]) ? 0 : 1;
            values.back()[i] = std::isnan(l[i]) ? 0.0 : l[i];
        }
    }
    for (const auto &v : values) {
        lp.push_back(v.data());
    }
    for (const auto &v : lv) {
        lvp.push_back(v.data());
    }
    const StockInputs in{codes.data(), valid.data(), n, lp.data(), lvp.data()};
    m.compute(in, c.out);
    return c;
}

DomTables builtin_dom_tables() {
    DomTables t;
    std::vector<std::string> errors;
    std::string file;
    t.fractions = parse_dom_table(builtin_parameter_table("dom_fractions", file), file, errors);
    t.zones = parse_climate_zone_code_table(
        builtin_parameter_table("ipcc_climate_zone_codes", file), file, errors);
    EXPECT_TRUE(errors.empty()) << join(errors);
    return t;
}

/// Apply `dom` to a chunk; layer values NaN = nodata.
void apply_dom(const DomFractionModel &dom, Chunk &c, const std::vector<double> &agb,
               const std::vector<std::vector<double>> &layers) {
    std::vector<const double *> lp;
    std::vector<std::vector<uint8_t>> lv;
    std::vector<const uint8_t *> lvp;
    for (const auto &l : layers) {
        lp.push_back(l.data());
        lv.emplace_back(l.size());
        for (std::size_t i = 0; i < l.size(); ++i) {
            lv.back()[i] = std::isnan(l[i]) ? 0 : 1;
        }
    }
    for (const auto &v : lv) {
        lvp.push_back(v.data());
    }
    const DomInputs in{agb.size(), agb.data(), lp.data(), lvp.data()};
    dom.apply(in, c.out);
}

// ---------------------------------------------------------------------------------------------
// Pools table: c_dead, or c_dead_wood and c_litter

TEST(PoolsTableSplit, DeadWoodAndLitterColumnsGiveFivePools) {
    const PoolsTable t = split_table();
    EXPECT_TRUE(t.split_dead_matter);
    EXPECT_EQ(t.pool_names(), (std::vector<std::string>{"above_ground", "below_ground", "dead_wood",
                                                        "litter", "soil"}));
    ASSERT_EQ(t.rows.size(), 3u);
    EXPECT_EQ(t.rows[0].c_dead_wood_mg_c_per_ha, 0.5);
    EXPECT_EQ(t.rows[0].c_litter_mg_c_per_ha, 0.25);
    EXPECT_EQ(t.rows[0].c_soil_mg_c_per_ha, 50.0);
    EXPECT_EQ(t.rows[0].c_dead_mg_c_per_ha, 0.75); // 0.5 + 0.25
    // A c_dead table keeps the InVEST layout and pool order.
    std::vector<std::string> errors;
    const PoolsTable legacy =
        parse_pools_table("lucode,c_above,c_below,c_soil,c_dead\n1,1,2,3,4\n", "p.csv", errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_FALSE(legacy.split_dead_matter);
    EXPECT_EQ(legacy.pool_names(), (std::vector<std::string>{"above_ground", "below_ground", "soil",
                                                             "dead_organic_matter"}));
}

TEST(PoolsTableSplit, DeadTogetherWithASplitColumnIsAnError) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead,c_litter\n1,1,1,1,1,1\n", "pools.csv",
                      errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "pools.csv, line 1: column \"c_dead\" cannot be combined with "
                          "\"c_litter\": give either c_dead (one dead_organic_matter pool, "
                          "InVEST) or both c_dead_wood and c_litter (pools dead_wood and "
                          "litter)"}));
    errors.clear();
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead,c_dead_wood,c_litter\n1,1,1,1,1,1,1\n",
                      "pools.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "pools.csv, line 1: column \"c_dead\" cannot be combined with "
                          "\"c_dead_wood\" and \"c_litter\": give either c_dead (one "
                          "dead_organic_matter pool, InVEST) or both c_dead_wood and c_litter "
                          "(pools dead_wood and litter)"}));
}

TEST(PoolsTableSplit, OneSplitColumnAloneIsAnErrorNamingTheHeaderLine) {
    // Two blank lines first: the header is on line 3.
    std::vector<std::string> errors;
    parse_pools_table("\n\nlucode,c_above,c_below,c_soil,c_dead_wood\n1,1,1,1,1\n", "pools.csv",
                      errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "pools.csv, line 3: column \"c_dead_wood\" needs \"c_litter\": dead "
                          "organic matter is split into dead wood and litter only with both "
                          "columns (or give c_dead alone)"}));
    errors.clear();
    parse_pools_table("lucode,c_above,c_below,c_litter\n1,1,1,1\n", "pools.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "pools.csv, line 1: column \"c_litter\" needs \"c_dead_wood\": dead "
                          "organic matter is split into dead wood and litter only with both "
                          "columns (or give c_dead alone)",
                          "pools.csv, line 1: required column \"c_soil\" is missing (the header "
                          "must have lucode, c_above, c_below, c_soil and c_dead, or "
                          "c_dead_wood and c_litter instead of c_dead)"}));
}

TEST(PoolsTableSplit, BadSplitValuesNameTheirColumn) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead_wood,c_litter\n1,1,1,1,-2,x\n",
                      "pools.csv", errors);
    EXPECT_EQ(errors,
              (std::vector<std::string>{
                  "pools.csv, line 2: c_dead_wood -2 is negative (carbon densities are >= 0 Mg "
                  "C/ha)",
                  "pools.csv, line 2: c_litter \"x\" is not a finite number"}));
}

// ---------------------------------------------------------------------------------------------
// Stock models with a split table, and their AGB output

TEST(StockModelsSplit, LookupHasFivePoolsAndNoAgb) {
    const LookupStockModel m(split_table());
    EXPECT_EQ(m.pool_count(), 5u);
    EXPECT_EQ(m.pool_index("dead_wood"), 2);
    EXPECT_EQ(m.pool_index("litter"), 3);
    EXPECT_EQ(m.pool_index("soil"), 4);
    EXPECT_EQ(m.pool_index("dead_organic_matter"), -1);
    const Chunk c = run_model(m, {2, 1, 9});
    EXPECT_EQ(c.status,
              (std::vector<uint8_t>{V, V, static_cast<uint8_t>(PixelStatus::unknown_class)}));
    const double want[5][3] = {{100, 10, 0}, {20, 2, 0}, {3, 0.5, 0}, {2, 0.25, 0}, {80, 50, 0}};
    for (int p = 0; p < 5; ++p) {
        for (int i = 0; i < 3; ++i) {
            EXPECT_EQ(c.pools[p][i], want[p][i]) << "pool " << p << " pixel " << i;
        }
    }
    for (double a : c.agb) {
        EXPECT_TRUE(std::isnan(a)) << "pools-table densities are carbon: no AGB";
    }
}

TEST(StockModelsSplit, AgbRasterKeepsTheTableOrderAndGivesItsAgb) {
    // Dry-matter map, CF 0.47, R 0.24: AGB 200 -> above 94, below 22.56; dead wood, litter and
    // soil of the class from the table. AGB out = the map value; a negative AGB is invalid.
    const AgbRasterStockModel m(split_table(), {false, 0.47, 0.24});
    EXPECT_EQ(m.pool_names(), split_table().pool_names());
    EXPECT_TRUE(m.has_dry_matter_agb());
    const Chunk c = run_model(m, {2, 1, 2}, {{200, 10, -5}});
    EXPECT_EQ(c.status[2], static_cast<uint8_t>(PixelStatus::invalid_value));
    EXPECT_DOUBLE_EQ(c.pools[0][0], 94.0);
    EXPECT_DOUBLE_EQ(c.pools[1][0], 94.0 * 0.24);
    EXPECT_EQ(c.pools[2][0], 3.0);
    EXPECT_EQ(c.pools[3][0], 2.0);
    EXPECT_EQ(c.pools[4][0], 80.0);
    EXPECT_EQ(c.pools[3][1], 0.25);
    for (int p = 0; p < 5; ++p) {
        EXPECT_EQ(c.pools[p][2], 0.0) << "invalid pixel, pool " << p;
    }
    EXPECT_EQ(c.agb[0], 200.0);
    EXPECT_EQ(c.agb[1], 10.0);
    EXPECT_TRUE(std::isnan(c.agb[2]));
    // A carbon map gives AGB = value / CF when the CF is known, else none.
    const AgbRasterStockModel carbon_cf(split_table(), {true, 0.5, 0.24});
    EXPECT_EQ(run_model(carbon_cf, {2}, {{94}}).agb[0], 188.0); // 94 / 0.5
    const AgbRasterStockModel carbon(split_table(), {true, 0.0, 0.24});
    EXPECT_FALSE(carbon.has_dry_matter_agb());
    EXPECT_TRUE(std::isnan(run_model(carbon, {2}, {{94}}).agb[0]));
    EXPECT_EQ(model_error_of([] {
                  AgbRasterStockModel x(split_table(), {true, 1.5, 0.2});
              }),
              "stocks.agb_raster: carbon_fraction 1.500000 is not in (0, 1]");
}

TEST(StockModelsSplit, AgbRasterTellsBadValuesFromNodata) {
    // RasterReader::read_double's convention: nodata reads as (0, invalid); a NaN or infinity
    // that is not nodata stays in the value (invalid). The first is a gap (nodata), the second
    // bad input (invalid_value), like a negative AGB.
    const AgbRasterStockModel m(split_table(), {false, 0.47, 0.24});
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<int32_t> codes(5, 2);
    const std::vector<uint8_t> lc_valid(5, 1);
    const std::vector<double> agb = {0.0, std::numeric_limits<double>::quiet_NaN(), inf, -1.0,
                                     50.0};
    const std::vector<uint8_t> agb_valid = {0, 0, 0, 1, 1};
    const double *layers[] = {agb.data()};
    const uint8_t *layers_valid[] = {agb_valid.data()};
    Chunk c(m.pool_names().size(), 5);
    m.compute({codes.data(), lc_valid.data(), 5, layers, layers_valid}, c.out);
    const auto nodata = static_cast<uint8_t>(PixelStatus::nodata);
    const auto bad = static_cast<uint8_t>(PixelStatus::invalid_value);
    EXPECT_EQ(c.status, (std::vector<uint8_t>{nodata, bad, bad, bad, V}));
}

TEST(StockModelsSplit, InventoryKeepsItsCbefPoolAfterBelowGroundAndGivesIpccAgb) {
    auto tables = std::make_shared<InventoryTables>();
    std::vector<std::string> errors;
    std::string file;
    tables->cbef = parse_cbef_table(builtin_parameter_table("china_cbef", file), file, errors);
    tables->bcef = parse_bcef_table(builtin_parameter_table("ipcc_bcef", file), file, errors);
    tables->root_shoot =
        parse_root_shoot_table(builtin_parameter_table("ipcc_root_shoot", file), file, errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const auto types = parse_forest_types(
        "code,name,method,cbef_forest_type,climate_domain,bcef_forest_type,root_shoot_zone,"
        "root_shoot_type,carbon_fraction\n"
        "1,fir,china_cbef,cunninghamia_lanceolata,,,,,\n"
        "2,pines,ipcc_bcef,,temperate,pines,temperate,conifer,0.47\n",
        "forest_types.csv", *tables, errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const InventoryStockModel m(split_table(), {2}, tables, types);
    EXPECT_EQ(m.pool_names(),
              (std::vector<std::string>{"above_ground", "below_ground", "live_biomass_cbef",
                                        "dead_wood", "litter", "soil"}));
    // Pixels: fir at V 100, pines at V 100 (BCEF_S 0.75 for 40 < V <= 100: AGB 75), cropland.
    const Chunk c = run_model(m, {2, 2, 1}, {{100, 100, 100}, {1, 2, 1}});
    EXPECT_EQ(c.status, (std::vector<uint8_t>{V, V, V}));
    // fir: B = 0.4652 x 100 + 19.141 = 65.661 t, x CF 0.5 = 32.8305; dead matter from the table.
    EXPECT_NEAR(c.pools[2][0], 32.8305, 1e-9);
    EXPECT_EQ(c.pools[0][0], 0.0);
    EXPECT_EQ(c.pools[3][0], 3.0);
    EXPECT_EQ(c.pools[4][0], 2.0);
    EXPECT_EQ(c.pools[5][0], 80.0);
    // pines: above 75 x 0.47 = 35.25; below 75 x 0.29 x 0.47 = 10.2225.
    EXPECT_NEAR(c.pools[0][1], 35.25, 1e-9);
    EXPECT_NEAR(c.pools[1][1], 10.2225, 1e-9);
    EXPECT_EQ(c.pools[2][1], 0.0);
    // cropland: every pool from the table.
    EXPECT_EQ(c.pools[0][2], 10.0);
    EXPECT_EQ(c.pools[3][2], 0.5);
    EXPECT_EQ(c.pools[5][2], 50.0);
    // AGB only where IPCC BCEF computed it: China CBEF has no AGB/BGB split.
    EXPECT_TRUE(std::isnan(c.agb[0]));
    EXPECT_NEAR(c.agb[1], 75.0, 1e-12);
    EXPECT_TRUE(std::isnan(c.agb[2]));
}

// ---------------------------------------------------------------------------------------------
// dom.agb_fraction

/// A chunk of `n` valid forest pixels (class index 1, method code agb_map) holding the table's
/// split pools of class 2 (above 100, below 20, dead wood 3, litter 2, soil 80).
Chunk forest_chunk(std::size_t n) {
    Chunk c(5, n);
    const double dens[5] = {100, 20, 3, 2, 80};
    for (std::size_t i = 0; i < n; ++i) {
        for (int p = 0; p < 5; ++p) {
            c.pools[p][i] = dens[p];
        }
        c.status[i] = V;
        c.class_index[i] = 1;
        c.method[i] = static_cast<uint8_t>(MethodCode::agb_map);
    }
    return c;
}

TEST(DomFraction, TemperateOrBorealFractionsAreConstants) {
    std::vector<std::string> errors;
    const DomFractionModel dom(builtin_dom_tables(), DomDomainSource::temperate_or_boreal, false, 5,
                               2, 3, errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    EXPECT_TRUE(dom.layers().empty());
    Chunk c = forest_chunk(4);
    c.status[3] = ND; // an invalid pixel is left alone
    for (int p = 0; p < 5; ++p) {
        c.pools[p][3] = 0.0;
    }
    // AGB 100: dead wood 100 x 0.08 x 0.47 = 3.76; litter 100 x 0.04 x 0.37 = 1.48.
    // AGB 0: no dead matter. No AGB (NaN): the table's 3 and 2 stay.
    apply_dom(dom, c, {100, 0, NaN, 100}, {});
    EXPECT_EQ(c.status, (std::vector<uint8_t>{V, V, V, ND}));
    EXPECT_NEAR(c.pools[2][0], 3.76, 1e-12);
    EXPECT_NEAR(c.pools[3][0], 1.48, 1e-12);
    EXPECT_EQ(c.pools[2][1], 0.0);
    EXPECT_EQ(c.pools[3][1], 0.0);
    EXPECT_EQ(c.pools[2][2], 3.0);
    EXPECT_EQ(c.pools[3][2], 2.0);
    for (int p = 0; p < 5; ++p) {
        EXPECT_EQ(c.pools[p][3], 0.0);
    }
    // The other pools are untouched.
    EXPECT_EQ(c.pools[0][0], 100.0);
    EXPECT_EQ(c.pools[4][0], 80.0);
    const auto rows = dom.rows_used();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], "dom_fractions.csv line 6: temperate, elevation (-inf, inf] m, "
                       "precipitation (0, inf] mm/yr: dead wood 0.08 x AGB x CF 0.47, litter "
                       "0.04 x AGB x CF 0.37 (status V)");
}

TEST(DomFraction, TropicalByElevationAndPrecipitation) {
    std::vector<std::string> errors;
    const DomFractionModel dom(builtin_dom_tables(), DomDomainSource::tropical, true, 5, 2, 3,
                               errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const auto layers = dom.layers();
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(layers[0].name, "elevation");
    EXPECT_FALSE(layers[0].categorical);
    EXPECT_FALSE(layers[0].per_epoch);
    EXPECT_EQ(layers[1].name, "precipitation");
    // AGB 100 everywhere. Classes are (lower, upper]:
    //  0: 500 m, 1200 mm   -> (1000, 1600]: 0.01 / 0.01 -> 0.47 / 0.37
    //  1: 2500 m, 1200 mm  -> above 2000 m: 0.07 / 0.01 -> 3.29 / 0.37
    //  2: 2000 m, 1000 mm  -> <= 2000 m, <= 1000 mm: 0.02 / 0.04 -> 0.94 / 1.48
    //  3: 2000 m, 1600 mm  -> (1000, 1600]: 0.01 / 0.01 -> 0.47 / 0.37
    //  4: 1999 m, 1600.5 mm -> > 1600: 0.06 / 0.01 -> 2.82 / 0.37
    //  5: 2000.5 m, 1000 mm -> above 2000 m: 0.07 / 0.01 -> 3.29 / 0.37
    //  6: elevation nodata -> nodata, every pool 0
    //  7: precipitation -5 mm (no class) -> missing_parameter, every pool 0
    //  8: no AGB, elevation nodata -> the table's 3 / 2 stay (no DOM to compute)
    Chunk c = forest_chunk(9);
    apply_dom(dom, c, {100, 100, 100, 100, 100, 100, 100, 100, NaN},
              {{500, 2500, 2000, 2000, 1999, 2000.5, NaN, 500, NaN},
               {1200, 1200, 1000, 1600, 1600.5, 1000, 1200, -5, 1200}});
    EXPECT_EQ(c.status, (std::vector<uint8_t>{V, V, V, V, V, V, ND, MP, V}));
    const double dw[] = {0.47, 3.29, 0.94, 0.47, 2.82, 3.29};
    const double lit[] = {0.37, 0.37, 1.48, 0.37, 0.37, 0.37};
    for (int i = 0; i < 6; ++i) {
        EXPECT_NEAR(c.pools[2][i], dw[i], 1e-12) << "pixel " << i;
        EXPECT_NEAR(c.pools[3][i], lit[i], 1e-12) << "pixel " << i;
    }
    for (int i : {6, 7}) {
        for (int p = 0; p < 5; ++p) {
            EXPECT_EQ(c.pools[p][i], 0.0) << "invalid pixel " << i << " pool " << p;
        }
        EXPECT_EQ(c.class_index[i], -1);
        EXPECT_EQ(c.method[i], static_cast<uint8_t>(MethodCode::none));
    }
    EXPECT_EQ(c.pools[2][8], 3.0);
    EXPECT_EQ(c.pools[3][8], 2.0);
    EXPECT_EQ(c.method[0], static_cast<uint8_t>(MethodCode::agb_map));
    EXPECT_EQ(dom.rows_used().size(), 4u);
}

TEST(DomFraction, DomainOfEachPixelFromTheClimateZone) {
    std::vector<std::string> errors;
    const DomFractionModel dom(builtin_dom_tables(), DomDomainSource::climate_zone, true, 5, 2, 3,
                               errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const auto layers = dom.layers();
    ASSERT_EQ(layers.size(), 3u);
    EXPECT_EQ(layers[0].name, "dom_climate_zone");
    EXPECT_TRUE(layers[0].categorical);
    // ipcc_climate_zone_codes.csv: 3 cool temperate moist, 7 boreal moist, 11 tropical moist.
    EXPECT_FALSE(dom.zone_needs_strata(3));
    EXPECT_FALSE(dom.zone_needs_strata(7));
    EXPECT_TRUE(dom.zone_needs_strata(11));
    EXPECT_TRUE(dom.zone_needs_strata(9));
    EXPECT_FALSE(dom.zone_needs_strata(99));
    EXPECT_FALSE(dom.zone_needs_strata(3.5));
    // AGB 100. 0: zone 3 -> temperate 3.76 / 1.48 (elevation nodata does not matter);
    // 1: zone 7 -> boreal row, same fractions 3.76 / 1.48; 2: zone 11 at 500 m, 1200 mm ->
    // 0.47 / 0.37; 3: zone 99 (not in the table) -> missing_parameter; 4: zone nodata -> nodata;
    // 5: zone 11 with precipitation nodata -> nodata.
    Chunk c = forest_chunk(6);
    apply_dom(dom, c, {100, 100, 100, 100, 100, 100},
              {{3, 7, 11, 99, NaN, 11},
               {NaN, 100, 500, 500, 500, 500},
               {1200, 1200, 1200, 1200, 1200, NaN}});
    EXPECT_EQ(c.status, (std::vector<uint8_t>{V, V, V, MP, ND, ND}));
    EXPECT_NEAR(c.pools[2][0], 3.76, 1e-12);
    EXPECT_NEAR(c.pools[3][0], 1.48, 1e-12);
    EXPECT_NEAR(c.pools[2][1], 3.76, 1e-12);
    EXPECT_NEAR(c.pools[3][1], 1.48, 1e-12);
    EXPECT_NEAR(c.pools[2][2], 0.47, 1e-12);
    EXPECT_NEAR(c.pools[3][2], 0.37, 1e-12);
    for (int i : {3, 4, 5}) {
        for (int p = 0; p < 5; ++p) {
            EXPECT_EQ(c.pools[p][i], 0.0) << "invalid pixel " << i << " pool " << p;
        }
    }
    // temperate (line 6), boreal (line 7), tropical (lines 2-5).
    EXPECT_EQ(dom.rows_used().size(), 6u);
}

TEST(DomFraction, ConstructionErrors) {
    std::vector<std::string> errors;
    DomFractionModel tropical(builtin_dom_tables(), DomDomainSource::tropical, false, 5, 2, 3,
                              errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"the tropical fractions depend on elevation and "
                                                "precipitation: give both rasters"}));
    errors.clear();
    DomFractionModel legacy(builtin_dom_tables(), DomDomainSource::temperate_or_boreal, false, 4,
                            -1, -1, errors);
    EXPECT_EQ(errors,
              (std::vector<std::string>{"the stock model has no dead_wood and litter pools"}));
    errors.clear();
    DomTables no_boreal = builtin_dom_tables();
    std::erase_if(no_boreal.fractions.rows,
                  [](const DomRow &r) { return r.climate_domain == "boreal"; });
    DomFractionModel zones(no_boreal, DomDomainSource::climate_zone, true, 5, 2, 3, errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"dom_fractions.csv has no boreal rows"}));
}

TEST(DomFraction, InTheRegistry) {
    const ModelInfo *m = find_model("dom", "agb_fraction");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->name, "dom.agb_fraction");
    EXPECT_EQ(m->name, DomFractionModel::name());
    EXPECT_FALSE(m->inputs.empty());
    EXPECT_FALSE(m->reference.empty());
    for (const auto &p : m->parameters) {
        EXPECT_FALSE(p.unit.empty()) << p.name;
        EXPECT_NE(p.source.find("dom_fractions.csv"), std::string::npos) << p.name;
    }
}

} // namespace
