// Uncertainty declarations of stocks.lookup and soil.ipcc_tier1 (models/uncertainty.hpp): the
// pools table's uncertainty columns, the parameters the models declare, and the identity the
// driver relies on: for ANY parameter values, the sum over pixels of a pixel's value equals
// sum over keys of S[key] x (sum of the key's term products), S[key] = sum of weight x area.
// The per-pixel values on the right are recomputed here by brute force, not read from the
// models.
#include "models/builtin_tables.hpp"
#include "models/lookup_stock.hpp"
#include "models/parameter_tables.hpp"
#include "models/pools_table.hpp"
#include "models/soil_tier1.hpp"
#include "models/stages.hpp"
#include "models/uncertainty.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace cs::models;

const double NaN = std::numeric_limits<double>::quiet_NaN();

/// Rows of a StatisticRows: [slot][pixel], filled with a sentinel the stage must overwrite.
struct Rows {
    std::vector<std::vector<int32_t>> key;
    std::vector<std::vector<double>> weight;
    std::vector<int32_t *> key_ptr;
    std::vector<double *> weight_ptr;
    StatisticRows rows;
    Rows(std::size_t slots, std::size_t n)
        : key(slots, std::vector<int32_t>(n, 777777)), weight(slots, std::vector<double>(n, NaN)) {
        for (std::size_t j = 0; j < slots; ++j) {
            key_ptr.push_back(key[j].data());
            weight_ptr.push_back(weight[j].data());
        }
        rows.key = key_ptr.data();
        rows.weight = weight_ptr.data();
        rows.pairs_max = slots;
    }
};

/// Every parameter scaled by its own pseudo-random factor in [0.5, 1.5) (set 0: the central
/// values); exact parameters stay at their value (they are never drawn).
std::vector<std::vector<double>> parameter_sets(const std::vector<UncertainParameter> &params,
                                                std::size_t sets, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> scale(0.5, 1.5);
    std::vector<std::vector<double>> out;
    for (std::size_t s = 0; s < sets; ++s) {
        std::vector<double> v;
        for (const auto &p : params) {
            const double f = scale(rng);
            v.push_back(s == 0 || p.pdf.kind == Distribution::exact ? p.central : p.central * f);
        }
        out.push_back(v);
    }
    return out;
}

/// sum_key S[key] x (sum over the key's terms with this target of the product of its monomial).
double evaluate(const StatisticDecl &decl, const std::vector<double> &S,
                const std::vector<double> &value, uint32_t target) {
    double total = 0.0;
    for (std::size_t k = 0; k < decl.keys.size(); ++k) {
        for (const Term &t : decl.keys[k]) {
            if (t.target != target) {
                continue;
            }
            double prod = 1.0;
            for (uint32_t q : t.monomial) {
                prod *= value.at(q);
            }
            total += S[k] * prod;
        }
    }
    return total;
}

// ---- Pools table uncertainty columns ----------------------------------------------------------

TEST(PoolsUncertainty, ReadsSdAndPercentColumns) {
    std::vector<std::string> errors;
    const PoolsTable t = parse_pools_table(
        "lucode,c_above,c_below,c_soil,c_dead,c_above_sd,c_soil_u_pct,uncertainty_source\n"
        "2,50,10,98,4,2.5,10,plot survey 2019\n"
        "1,0,0,60,0,,,\n",
        "models.stocks.table (data/pools.csv)", errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(t.file_name, "pools.csv");
    ASSERT_EQ(t.rows.size(), 2U);
    const PoolsRow &forest = t.rows[1];
    EXPECT_EQ(forest.lucode, 2);
    EXPECT_DOUBLE_EQ(forest.c_above_sd, 2.5);
    // 95 % half-width 10 % of 98: sd = 98 x 0.10 / 1.96 = 5 (science.md §7).
    EXPECT_DOUBLE_EQ(forest.c_soil_sd, 5.0);
    EXPECT_TRUE(std::isnan(forest.c_below_sd));
    EXPECT_TRUE(std::isnan(forest.c_dead_sd));
    EXPECT_EQ(forest.uncertainty_source, "plot survey 2019");
    // Empty cells: no uncertainty.
    EXPECT_TRUE(std::isnan(t.rows[0].c_above_sd));
    EXPECT_TRUE(std::isnan(t.rows[0].c_soil_sd));
    std::vector<double> sds;
    t.append_sds(forest, sds);
    ASSERT_EQ(sds.size(), 4U); // above, below, soil, dead
    EXPECT_DOUBLE_EQ(sds[0], 2.5);
    EXPECT_DOUBLE_EQ(sds[2], 5.0);
    EXPECT_EQ(t.density_columns(),
              (std::vector<std::string>{"c_above", "c_below", "c_soil", "c_dead"}));
}

TEST(PoolsUncertainty, SplitTableColumnsInPoolOrder) {
    std::vector<std::string> errors;
    const PoolsTable t =
        parse_pools_table("lucode,c_above,c_below,c_dead_wood,c_litter,c_soil,c_litter_sd\n"
                          "3,1,2,3,4,5,0.5\n",
                          "pools_split.csv", errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(t.file_name, "pools_split.csv");
    std::vector<double> sds;
    t.append_sds(t.rows[0], sds);
    ASSERT_EQ(sds.size(), 5U); // above, below, dead_wood, litter, soil
    EXPECT_DOUBLE_EQ(sds[3], 0.5);
    EXPECT_TRUE(std::isnan(sds[2]));
    EXPECT_EQ(t.density_columns()[3], "c_litter");
}

TEST(PoolsUncertainty, RefusesBadValuesWithLineAndColumn) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead,c_above_sd,c_soil_u_pct\n"
                      "1,1,1,1,1,-1,\n"
                      "2,1,1,1,1,abc,\n"
                      "3,1,1,1,1,,-5\n"
                      "4,1,1,1,1,inf,\n",
                      "pools.csv", errors);
    EXPECT_EQ(errors,
              (std::vector<std::string>{
                  "pools.csv, line 2: c_above_sd -1 is a negative SD (a standard deviation is "
                  ">= 0 Mg C/ha)",
                  "pools.csv, line 3: c_above_sd \"abc\" is not a finite number (leave the cell "
                  "empty for no uncertainty)",
                  "pools.csv, line 4: c_soil_u_pct -5 is a negative uncertainty (the half-width "
                  "of a 95 % interval is >= 0 % of the value)",
                  "pools.csv, line 5: c_above_sd \"inf\" is not a finite number (leave the cell "
                  "empty for no uncertainty)"}));
}

TEST(PoolsUncertainty, RefusesBothFormsAndColumnsWithoutTheirDensity) {
    std::vector<std::string> errors;
    parse_pools_table("lucode,c_above,c_below,c_soil,c_dead,c_soil_sd,c_soil_u_pct\n"
                      "1,1,1,1,1,1,1\n",
                      "pools.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "pools.csv, line 1: columns \"c_soil_sd\" and \"c_soil_u_pct\" cannot "
                          "both be given: give the uncertainty of c_soil either as a standard "
                          "deviation (Mg C/ha) or as the half-width of its 95 % interval in % of "
                          "the value"}));
    errors.clear();
    parse_pools_table("lucode,c_above,c_below,c_dead_wood,c_litter,c_soil,c_dead_u_pct\n"
                      "1,1,1,1,1,1,1\n",
                      "pools.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "pools.csv, line 1: column \"c_dead_u_pct\" is the uncertainty of "
                          "\"c_dead\", which the table does not have: remove it or add c_dead"}));
}

TEST(PoolsUncertainty, ParameterNames) {
    EXPECT_EQ(pools_parameter_name("pools.csv", "c_above", 2), "pools.csv:c_above[2]");
    EXPECT_EQ(pools_parameter_name("t.csv", "c_litter", -3), "t.csv:c_litter[-3]");
}

// ---- stocks.lookup ---------------------------------------------------------------------------

const char *LOOKUP_TABLE =
    "lucode,c_above,c_below,c_soil,c_dead,c_above_sd,c_below_u_pct,c_soil_sd,status,"
    "uncertainty_source\n"
    "1,0,0,56.7,0,,,3.7,V2,product rule\n"
    "2,53.05,15.39,81,5.91,4,19.6,2.07,V2,\n"
    "4,0,0,81,0,0,,,PLACEHOLDER,\n";

TEST(LookupUncertainty, DeclaresEveryDensity) {
    std::vector<std::string> errors;
    const LookupStockModel m(parse_pools_table(LOOKUP_TABLE, "pools.csv", errors));
    ASSERT_TRUE(errors.empty()) << errors.front();
    EXPECT_TRUE(m.describes_uncertainty());
    const auto params = m.uncertain_parameters();
    ASSERT_EQ(params.size(), 12U); // 3 rows x 4 pools, index row x 4 + pool
    EXPECT_EQ(params[0].name, "pools.csv:c_above[1]");
    EXPECT_EQ(params[2].name, "pools.csv:c_soil[1]");
    EXPECT_EQ(params[2].pdf.kind, Distribution::normal);
    EXPECT_DOUBLE_EQ(params[2].pdf.sd, 3.7);
    EXPECT_DOUBLE_EQ(params[2].pdf.mean, 56.7);
    EXPECT_DOUBLE_EQ(params[2].central, 56.7);
    EXPECT_EQ(params[2].source, "product rule (pools.csv, line 2)");
    EXPECT_EQ(params[2].unit, "Mg C/ha");
    EXPECT_TRUE(params[2].non_negative);
    EXPECT_EQ(params[0].pdf.kind, Distribution::none); // no sd in the table
    // Row 2: c_above sd 4; c_below 19.6 % of 15.39 as a 95 % half-width: sd = 15.39 x 0.1.
    EXPECT_EQ(params[4].name, "pools.csv:c_above[2]");
    EXPECT_DOUBLE_EQ(params[4].pdf.sd, 4.0);
    EXPECT_NEAR(params[5].pdf.sd, 1.539, 1e-12);
    EXPECT_EQ(params[5].source, "pools.csv, line 3"); // no uncertainty_source: the row
    EXPECT_EQ(params[5].status, "V2");
    EXPECT_EQ(params[7].name, "pools.csv:c_dead[2]");
    EXPECT_EQ(params[7].pdf.kind, Distribution::none);
    EXPECT_EQ(params[7].source, "pools.csv, line 3 (no c_dead_sd or c_dead_u_pct given)");
    // sd 0: exact.
    EXPECT_EQ(params[8].name, "pools.csv:c_above[4]");
    EXPECT_EQ(params[8].pdf.kind, Distribution::exact);
    EXPECT_EQ(params[8].status, "PLACEHOLDER");

    const auto stats = m.statistics();
    ASSERT_EQ(stats.size(), 1U);
    EXPECT_EQ(stats[0].name, "area_by_class");
    EXPECT_EQ(stats[0].axis, TimeAxis::epoch);
    EXPECT_EQ(stats[0].pairs, 1U);
    ASSERT_EQ(stats[0].keys.size(), 3U);
    ASSERT_EQ(stats[0].keys[1].size(), 4U);
    EXPECT_EQ(stats[0].keys[1][2].target, 2U);
    EXPECT_EQ(stats[0].keys[1][2].monomial, (Monomial{6}));
}

/// Pixels of the identity tests: codes of the table, an unknown code, nodata.
struct LookupCase {
    std::vector<int32_t> code;
    std::vector<uint8_t> valid;
    std::vector<double> area;
};

LookupCase lookup_case(std::size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    const int32_t codes[] = {1, 2, 4, 7}; // 7: not in the table
    std::uniform_int_distribution<int> pick(0, 3);
    std::uniform_real_distribution<double> area(0.05, 1.2);
    std::bernoulli_distribution nodata(0.1);
    LookupCase c;
    for (std::size_t i = 0; i < n; ++i) {
        c.code.push_back(codes[pick(rng)]);
        c.valid.push_back(nodata(rng) ? 0 : 1);
        c.area.push_back(area(rng));
    }
    c.code[0] = 7; // at least one unknown class
    c.valid[0] = 1;
    return c;
}

void lookup_identity(const char *table_text, std::size_t pools) {
    std::vector<std::string> errors;
    const PoolsTable table = parse_pools_table(table_text, "pools.csv", errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    const LookupStockModel m(table);
    const std::size_t n = 300;
    const LookupCase c = lookup_case(n, 11);
    std::vector<std::vector<double>> dens(pools, std::vector<double>(n, -1.0));
    std::vector<double *> dp;
    for (auto &d : dens) {
        dp.push_back(d.data());
    }
    std::vector<uint8_t> status(n, 99);
    Rows rows(1, n);
    const StockInputs in{c.code.data(), c.valid.data(), n, nullptr, nullptr};
    StockOutputs out;
    out.pool_density_mg_c_per_ha = dp.data();
    out.status = status.data();
    out.stats = &rows.rows;
    m.compute(in, out);

    // The same densities without statistics (the branch without them).
    std::vector<std::vector<double>> plain(pools, std::vector<double>(n, -1.0));
    std::vector<double *> pp;
    for (auto &d : plain) {
        pp.push_back(d.data());
    }
    std::vector<uint8_t> status2(n, 99);
    StockOutputs out2;
    out2.pool_density_mg_c_per_ha = pp.data();
    out2.status = status2.data();
    m.compute(in, out2);
    EXPECT_EQ(plain, dens);
    EXPECT_EQ(status2, status);

    const StatisticDecl decl = m.statistics()[0];
    std::vector<double> S(decl.keys.size(), 0.0);
    int unknown_pixels = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const int32_t k = rows.key[0][i];
        ASSERT_TRUE(k >= -1 && k < static_cast<int32_t>(decl.keys.size())) << k;
        if (k < 0) {
            unknown_pixels += c.valid[i] && c.code[i] == 7;
            continue;
        }
        S[static_cast<std::size_t>(k)] += rows.weight[0][i] * c.area[i];
    }
    EXPECT_GE(unknown_pixels, 1);

    // Brute force: the density of a pixel = the table row of its code, by name.
    const auto params = m.uncertain_parameters();
    std::map<std::string, std::size_t> index;
    for (std::size_t q = 0; q < params.size(); ++q) {
        index[params[q].name] = q;
    }
    const auto sets = parameter_sets(params, 6, 42);
    for (const auto &value : sets) {
        for (std::size_t p = 0; p < pools; ++p) {
            double expected = 0.0;
            for (std::size_t i = 0; i < n; ++i) {
                if (!c.valid[i]) {
                    continue;
                }
                const std::string name =
                    pools_parameter_name("pools.csv", table.density_columns()[p], c.code[i]);
                const auto it = index.find(name);
                if (c.code[i] == 7) {
                    EXPECT_TRUE(it == index.end());
                    continue; // unknown class: no stock
                }
                ASSERT_TRUE(it != index.end()) << name;
                expected += c.area[i] * value[it->second];
            }
            const double got = evaluate(decl, S, value, static_cast<uint32_t>(p));
            EXPECT_NEAR(got, expected, 1e-9 * std::abs(expected)) << "pool " << p;
        }
    }
    // At the central values, the district total of the deterministic run.
    for (std::size_t p = 0; p < pools; ++p) {
        double total = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            total += dens[p][i] * c.area[i];
        }
        EXPECT_NEAR(evaluate(decl, S, sets[0], static_cast<uint32_t>(p)), total,
                    1e-9 * std::abs(total));
    }
}

TEST(LookupUncertainty, IdentityForArbitraryParameterValues) { lookup_identity(LOOKUP_TABLE, 4); }

TEST(LookupUncertainty, IdentityForSplitTable) {
    lookup_identity("lucode,c_above,c_below,c_dead_wood,c_litter,c_soil\n"
                    "1,0,0,0,0,56.7\n"
                    "2,53.05,15.39,4.24,1.67,81\n"
                    "4,3,1,0.5,0.25,81\n",
                    5);
}

TEST(LookupUncertainty, StockStageForwardsStatistics) {
    std::vector<std::string> errors;
    const LookupStockModel m(parse_pools_table(LOOKUP_TABLE, "pools.csv", errors));
    const StockStage stage(m);
    EXPECT_TRUE(stage.describes_uncertainty());
    EXPECT_EQ(stage.uncertain_parameters().size(), 12U);
    EXPECT_EQ(stage.statistics().at(0).name, "area_by_class");
    const std::vector<int32_t> lc = {2, 7, 4};
    const std::vector<uint8_t> ok = {1, 1, 1};
    std::vector<std::vector<double>> dens(4, std::vector<double>(3, 0.0));
    std::vector<double *> dp;
    for (auto &d : dens) {
        dp.push_back(d.data());
    }
    std::vector<uint8_t> status(3, 0);
    StockOutputs out;
    out.pool_density_mg_c_per_ha = dp.data();
    out.status = status.data();
    Rows rows(1, 3);
    double *variables[1] = {nullptr};
    EpochRow row;
    row.n = 3;
    row.land_cover = lc.data();
    row.land_cover_valid = ok.data();
    row.variables = variables;
    row.out = &out;
    row.stats = &rows.rows;
    stage.epoch_row(row);
    EXPECT_EQ(rows.key[0], (std::vector<int32_t>{1, -1, 2})); // rows of codes 2 and 4
    EXPECT_EQ(rows.weight[0], (std::vector<double>{1.0, 0.0, 1.0}));
}

// ---- soil.ipcc_tier1 -------------------------------------------------------------------------

std::shared_ptr<SoilTables> shipped_soil_tables() {
    auto t = std::make_shared<SoilTables>();
    std::vector<std::string> errors;
    std::string file;
    t->zones = parse_climate_zone_code_table(
        builtin_parameter_table("ipcc_climate_zone_codes", file), file, errors);
    t->soc_ref =
        parse_soc_ref_table(builtin_parameter_table("ipcc2019_soc_ref", file), file, errors);
    t->factors =
        parse_soc_factor_table(builtin_parameter_table("ipcc2019_soc_factors", file), file, errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    return t;
}

// Classes (ascending): 1 cropland by management raster, 2 forest (reference), 3 cropland by
// rule, 4 improved grassland, 5 table (c_soil 30 ± sd 3), 6 nominally managed grassland (every
// factor a reference level: the same central SOC_eq as reference).
const char *SOIL_POOLS = "lucode,c_above,c_below,c_soil,c_dead,c_soil_sd\n"
                         "1,0,0,56.7,0,\n"
                         "2,50,15,81,6,\n"
                         "3,0,0,50,0,\n"
                         "4,0,0,80,0,\n"
                         "5,0,0,30,0,3\n"
                         "6,0,0,81,0,\n";
const char *SOIL_CODES = "code,land_use,lu_level,mg_level,i_level,source,status\n"
                         "10,cropland,long_term_cultivated,full_tillage,medium,survey,V\n"
                         "11,cropland,paddy_rice,reduced_tillage,low,survey,V\n"
                         "12,cropland,set_aside,no_tillage,high_without_manure,survey,V\n";

struct SoilSetup {
    std::shared_ptr<SoilTables> tables = shipped_soil_tables();
    PoolsTable pools;
    std::vector<SoilClassRule> rules;
    SoilManagementCodes codes;
    std::map<int32_t, std::string> soil_types = {{1, "hac"}, {2, "lac"}, {3, "sandy"}, {4, "hac"}};
    std::unique_ptr<SoilTier1Model> model;
    SoilSetup() {
        std::vector<std::string> errors;
        pools = parse_pools_table(SOIL_POOLS, "pools.csv", errors);
        codes = parse_soil_management_codes(SOIL_CODES, "codes.csv", errors, &tables->factors);
        auto rule = [](int32_t code, SoilClassRule::Mode mode, const char *lu = "",
                       const char *l1 = "", const char *l2 = "", const char *l3 = "") {
            SoilClassRule r;
            r.lucode = code;
            r.mode = mode;
            r.land_use = lu;
            r.lu_level = l1;
            r.mg_level = l2;
            r.i_level = l3;
            return r;
        };
        using M = SoilClassRule::Mode;
        rules = {rule(1, M::raster),
                 rule(2, M::reference),
                 rule(3, M::factors, "cropland", "long_term_cultivated", "no_tillage",
                      "high_with_manure"),
                 rule(4, M::factors, "grassland", "all", "improved_grassland", "high"),
                 rule(5, M::table),
                 rule(6, M::factors, "grassland", "all", "nominally_managed", "medium")};
        std::vector<double> table_soil;
        for (const auto &r : pools.rows) {
            table_soil.push_back(r.c_soil_mg_c_per_ha);
        }
        model = std::make_unique<SoilTier1Model>(tables, std::vector<int32_t>{1, 2, 3, 4, 5, 6},
                                                 table_soil, rules, codes, soil_types, 20.0, errors,
                                                 &pools);
        EXPECT_TRUE(errors.empty()) << errors.front();
    }
};

const UncertainParameter *find_parameter(const std::vector<UncertainParameter> &params,
                                         const std::string &name) {
    for (const auto &p : params) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

TEST(SoilUncertainty, ParametersFromTheShippedTables) {
    const SoilSetup s;
    const auto &params = s.model->uncertain_parameters();
    // SOC_REF cool temperate moist HAC: 81 ± 5 % (95 % half-width): sd = 81 x 0.05 / 1.96.
    const auto *ref =
        find_parameter(params, "ipcc2019_soc_ref.csv:soc_ref[cool_temperate_moist,hac]");
    ASSERT_NE(ref, nullptr);
    EXPECT_DOUBLE_EQ(ref->central, 81.0);
    EXPECT_EQ(ref->pdf.kind, Distribution::normal);
    EXPECT_DOUBLE_EQ(ref->pdf.mean, 81.0);
    EXPECT_NEAR(ref->pdf.sd, 81.0 * 5.0 / 100.0 / 1.96, 1e-12);
    EXPECT_TRUE(ref->non_negative);
    EXPECT_EQ(ref->status, "V2");
    // F_LU cropland long-term cultivated, cool temperate moist: 0.70 ± 12 % (2 SD): sd 0.042.
    const auto *flu = find_parameter(
        params,
        "ipcc2019_soc_factors.csv:F_LU[cropland,long_term_cultivated,cool_temperate_moist]");
    ASSERT_NE(flu, nullptr);
    EXPECT_DOUBLE_EQ(flu->central, 0.7);
    EXPECT_EQ(flu->pdf.kind, Distribution::normal);
    EXPECT_NEAR(flu->pdf.sd, 0.042, 1e-12);
    // Reference levels: 1 by definition, exact.
    const auto *full =
        find_parameter(params, "ipcc2019_soc_factors.csv:F_MG[cropland,full_tillage,all]");
    ASSERT_NE(full, nullptr);
    EXPECT_EQ(full->pdf.kind, Distribution::exact);
    EXPECT_DOUBLE_EQ(full->central, 1.0);
    // The table class's c_soil is the stock model's parameter (same name and distribution).
    const auto *c5 = find_parameter(params, "pools.csv:c_soil[5]");
    ASSERT_NE(c5, nullptr);
    const LookupStockModel lookup(s.pools);
    const auto lp = lookup.uncertain_parameters();
    const auto *l5 = find_parameter(lp, "pools.csv:c_soil[5]");
    ASSERT_NE(l5, nullptr);
    EXPECT_DOUBLE_EQ(c5->central, l5->central);
    EXPECT_EQ(c5->pdf.kind, l5->pdf.kind);
    EXPECT_DOUBLE_EQ(c5->pdf.sd, 3.0);
    EXPECT_EQ(c5->source, l5->source);
    // Names are unique.
    std::set<std::string> names;
    for (const auto &p : params) {
        EXPECT_TRUE(names.insert(p.name).second) << p.name;
    }
}

TEST(SoilUncertainty, MissingPrintedUncertaintyIsNone) {
    auto t = std::make_shared<SoilTables>();
    std::vector<std::string> errors;
    t->zones = parse_climate_zone_code_table("code,climate_zone,source,status\n"
                                             "1,warm_temperate_moist,s,V2\n",
                                             "zones.csv", errors);
    t->soc_ref = parse_soc_ref_table(
        "climate_zone,soil_type,soc_ref_t_c_per_ha,uncertainty_pct,source,status\n"
        "warm_temperate_moist,hac,50,,s,V2\n",
        "ref.csv", errors);
    t->factors = parse_soc_factor_table(
        "land_use,factor,level,climate_zone,value,error_pct,notes,source,status\n"
        "grassland,F_LU,all,all,1.0,,reference level (=1 by definition),s,V2\n"
        "grassland,F_MG,improved_grassland,warm_temperate_moist,1.14,,,s,V2\n"
        "grassland,F_I,medium,all,1.0,,,s,V2\n",
        "factors.csv", errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    SoilClassRule r;
    r.lucode = 1;
    r.mode = SoilClassRule::Mode::factors;
    r.land_use = "grassland";
    r.lu_level = "all";
    r.mg_level = "improved_grassland";
    r.i_level = "medium";
    const SoilTier1Model m(t, {1}, {0}, {r}, SoilManagementCodes{}, {{1, "hac"}}, 20.0, errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    const auto &params = m.uncertain_parameters();
    ASSERT_EQ(params.size(), 4U);
    // Empty uncertainty_pct / error_pct: none (never invented); F_I medium has no note saying
    // it is a reference level, so it is none too.
    EXPECT_EQ(
        find_parameter(params, "ipcc2019_soc_ref.csv:soc_ref[warm_temperate_moist,hac]")->pdf.kind,
        Distribution::none);
    EXPECT_EQ(find_parameter(params, "ipcc2019_soc_factors.csv:F_LU[grassland,all,all]")->pdf.kind,
              Distribution::exact);
    EXPECT_EQ(find_parameter(params, "ipcc2019_soc_factors.csv:F_MG[grassland,improved_grassland,"
                                     "warm_temperate_moist]")
                  ->pdf.kind,
              Distribution::none);
    EXPECT_EQ(
        find_parameter(params, "ipcc2019_soc_factors.csv:F_I[grassland,medium,all]")->pdf.kind,
        Distribution::none);
    const StatisticDecl decl = m.statistic(3, 2);
    EXPECT_EQ(decl.pairs, 3U);
    ASSERT_EQ(decl.keys.size(), 1U);
    ASSERT_EQ(decl.keys[0].size(), 1U);
    EXPECT_EQ(decl.keys[0][0].target, 2U);
    EXPECT_EQ(decl.keys[0][0].monomial.size(), 4U); // SOC_REF x F_LU x F_MG x F_I
}

/// Brute force of one pixel's equilibrium (IPCC 2019 Eq. 2.25), straight from the tables, with
/// the parameter values `value` looked up by name.
struct SoilBruteForce {
    const SoilSetup &s;
    const std::map<std::string, std::size_t> &index;

    double get(const std::vector<double> &value, const std::string &name) const {
        const auto it = index.find(name);
        EXPECT_TRUE(it != index.end()) << name;
        return it == index.end() ? NaN : value[it->second];
    }

    double soc_ref(const std::vector<double> &value, const std::string &zone,
                   const std::string &soil) const {
        EXPECT_NE(s.tables->soc_ref.find(zone, soil), nullptr);
        return get(value, "ipcc2019_soc_ref.csv:soc_ref[" + zone + "," + soil + "]");
    }

    double factors(const std::vector<double> &value, const std::string &zone,
                   const std::string &land_use, const std::string &l1, const std::string &l2,
                   const std::string &l3) const {
        const char *names[] = {"F_LU", "F_MG", "F_I"};
        const std::string levels[] = {l1, l2, l3};
        double f = 1.0;
        for (int k = 0; k < 3; ++k) {
            const SocFactorRow *row = s.tables->factors.find(land_use, names[k], levels[k], zone);
            EXPECT_NE(row, nullptr);
            f *= get(value, std::string("ipcc2019_soc_factors.csv:") + names[k] + "[" + land_use +
                                "," + levels[k] + "," + row->climate_zone + "]");
        }
        return f;
    }

    /// SOC_eq of class index c with management code `mg` in (zone, soil).
    double eq(const std::vector<double> &value, std::size_t c, const std::string &zone,
              const std::string &soil, int32_t mg) const {
        const SoilClassRule &r = s.rules[c];
        switch (r.mode) {
        case SoilClassRule::Mode::table:
            return get(value, "pools.csv:c_soil[" + std::to_string(r.lucode) + "]");
        case SoilClassRule::Mode::reference:
            return soc_ref(value, zone, soil);
        case SoilClassRule::Mode::factors:
            return soc_ref(value, zone, soil) *
                   factors(value, zone, r.land_use, r.lu_level, r.mg_level, r.i_level);
        case SoilClassRule::Mode::raster: {
            const SoilManagementCode *code = s.codes.find(mg);
            EXPECT_NE(code, nullptr);
            return soc_ref(value, zone, soil) * factors(value, zone, code->land_use, code->lu_level,
                                                        code->mg_level, code->i_level);
        }
        }
        return NaN;
    }
};

TEST(SoilUncertainty, IdentityForArbitraryParameterValues) {
    const SoilSetup s;
    const SoilTier1Model &m = *s.model;
    const std::vector<int> years = {2000, 2004, 2010, 2016, 2031, 2032};
    const std::size_t E = years.size();
    const std::size_t n = 600;
    std::mt19937_64 rng(20261207);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double zones[] = {1, 3, 10, 13};  // 13: no such climate-zone code
    const double soils[] = {1, 2, 3, 4, 9}; // 4: HAC again; 9: no soil type
    const int32_t mgs[] = {10, 11, 12, 99}; // 99: no such management code
    std::vector<double> zone(n), soil_code(n), area(n);
    std::vector<uint8_t> zone_ok(n), soil_ok(n);
    std::vector<std::vector<int32_t>> cls(E, std::vector<int32_t>(n));
    std::vector<std::vector<uint8_t>> status(E, std::vector<uint8_t>(n));
    std::vector<std::vector<double>> soil(E, std::vector<double>(n, -1.0)),
        mg(E, std::vector<double>(n));
    std::vector<std::vector<uint8_t>> mg_ok(E, std::vector<uint8_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
        zone[i] = zones[static_cast<std::size_t>(unit(rng) < 0.95 ? unit(rng) * 3 : 3)];
        soil_code[i] = soils[static_cast<std::size_t>(unit(rng) < 0.95 ? unit(rng) * 4 : 4)];
        zone_ok[i] = unit(rng) < 0.97;
        soil_ok[i] = unit(rng) < 0.97;
        area[i] = 0.1 + unit(rng);
        int32_t c = static_cast<int32_t>(unit(rng) * 6);
        double code = mgs[static_cast<std::size_t>(unit(rng) * 3)];
        for (std::size_t e = 0; e < E; ++e) {
            if (unit(rng) < 0.45) { // a change of class
                c = static_cast<int32_t>(unit(rng) * 6);
            }
            if (unit(rng) < 0.3) { // a change of management
                code = mgs[static_cast<std::size_t>(unit(rng) < 0.97 ? unit(rng) * 3 : 3)];
            }
            cls[e][i] = c;
            mg[e][i] = code;
            mg_ok[e][i] = unit(rng) < 0.97;
            status[e][i] =
                static_cast<uint8_t>(unit(rng) < 0.93 ? PixelStatus::valid : PixelStatus::nodata);
        }
    }
    std::vector<std::vector<uint8_t>> status_in = status; // before apply() updates it
    std::vector<Rows> rows;
    std::vector<StatisticRows> stat_rows;
    for (std::size_t e = 0; e < E; ++e) {
        rows.emplace_back(E, n);
    }
    for (auto &r : rows) {
        stat_rows.push_back(r.rows);
    }
    std::vector<const int32_t *> c_ptr;
    std::vector<uint8_t *> st_ptr;
    std::vector<double *> so_ptr;
    std::vector<const double *> mg_ptr;
    std::vector<const uint8_t *> mgok_ptr;
    for (std::size_t e = 0; e < E; ++e) {
        c_ptr.push_back(cls[e].data());
        st_ptr.push_back(status[e].data());
        so_ptr.push_back(soil[e].data());
        mg_ptr.push_back(mg[e].data());
        mgok_ptr.push_back(mg_ok[e].data());
    }
    m.apply(n, years, c_ptr.data(), st_ptr.data(), zone.data(), zone_ok.data(), soil_code.data(),
            soil_ok.data(), so_ptr.data(), mg_ptr.data(), mgok_ptr.data(), nullptr,
            stat_rows.data());

    // The same soil and statuses without statistics (the branch without them).
    {
        std::vector<std::vector<double>> soil2(E, std::vector<double>(n, -1.0));
        std::vector<uint8_t *> st2;
        std::vector<double *> so2;
        for (std::size_t e = 0; e < E; ++e) {
            st2.push_back(status_in[e].data());
            so2.push_back(soil2[e].data());
        }
        m.apply(n, years, c_ptr.data(), st2.data(), zone.data(), zone_ok.data(), soil_code.data(),
                soil_ok.data(), so2.data(), mg_ptr.data(), mgok_ptr.data());
        EXPECT_EQ(soil2, soil);
        EXPECT_EQ(status_in, status);
    }

    const StatisticDecl decl = m.statistic(E, 2);
    ASSERT_EQ(decl.pairs, E);
    ASSERT_EQ(decl.keys.size(), m.key_count());
    {
        std::set<Monomial> distinct;
        for (const auto &k : decl.keys) {
            ASSERT_EQ(k.size(), 1U);
            EXPECT_EQ(k[0].target, 2U);
            EXPECT_TRUE(distinct.insert(k[0].monomial).second) << "two keys, one state";
        }
    }
    // Every slot written; S per epoch.
    std::vector<std::vector<double>> S(E, std::vector<double>(decl.keys.size(), 0.0));
    std::size_t max_pairs = 0;
    for (std::size_t e = 0; e < E; ++e) {
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t used = 0;
            for (std::size_t j = 0; j < E; ++j) {
                const int32_t k = rows[e].key[j][i];
                ASSERT_TRUE(k >= -1 && k < static_cast<int32_t>(decl.keys.size()))
                    << "epoch " << e << " pixel " << i << " slot " << j << ": " << k;
                ASSERT_FALSE(std::isnan(rows[e].weight[j][i]));
                if (k >= 0) {
                    ++used;
                    S[e][static_cast<std::size_t>(k)] += rows[e].weight[j][i] * area[i];
                } else {
                    EXPECT_EQ(rows[e].weight[j][i], 0.0);
                }
            }
            max_pairs = std::max(max_pairs, used);
            if (status[e][i] != static_cast<uint8_t>(PixelStatus::valid)) {
                EXPECT_EQ(used, 0U);
            }
        }
    }
    EXPECT_GE(max_pairs, 3U); // transitions on top of transitions happen in this case

    const auto &params = m.uncertain_parameters();
    std::map<std::string, std::size_t> index;
    for (std::size_t q = 0; q < params.size(); ++q) {
        index[params[q].name] = q;
    }
    const SoilBruteForce brute{s, index};
    const auto sets = parameter_sets(params, 7, 7);
    const std::vector<double> &central = sets[0];
    // The transition rule (IPCC 2019 Eq. 2.25, linear over D = 20 years), pixel by pixel from
    // the tables: the first known epoch is at equilibrium; where the central SOC_eq changes,
    // the SOC moves linearly from its value at the earlier epoch to the new SOC_eq, reached 20
    // years after the earlier epoch; an unknown epoch restarts at equilibrium. Gives pixel i's
    // SOC at every epoch (NaN where not valid) with the parameter values `value`, and counts
    // the transitions it met.
    const auto brute_socs = [&](const std::vector<double> &value, std::size_t i,
                                std::size_t &n_transitions) {
        std::vector<double> socs(E, NaN);
        bool have = false;
        double start = 0, target = 0, target_central = 0, prev = 0, change_year = 0, prev_year = 0;
        for (std::size_t e = 0; e < E; ++e) {
            if (status[e][i] != static_cast<uint8_t>(PixelStatus::valid)) {
                have = false;
                continue;
            }
            const auto c = static_cast<std::size_t>(cls[e][i]);
            const ClimateZoneCodeRow *z = s.tables->zones.find(static_cast<int>(zone[i]));
            const std::string zname = z ? z->climate_zone : "";
            const auto st = s.soil_types.find(static_cast<int32_t>(soil_code[i]));
            const std::string sname = st == s.soil_types.end() ? "" : st->second;
            const auto code = static_cast<int32_t>(mg[e][i]);
            const double q = brute.eq(value, c, zname, sname, code);
            const double qc = brute.eq(central, c, zname, sname, code);
            double soc = q;
            if (!have) {
                have = true;
                start = target = q;
                target_central = qc;
                change_year = years[e];
            } else {
                if (qc != target_central) {
                    start = prev;
                    target = q;
                    target_central = qc;
                    change_year = prev_year;
                    ++n_transitions;
                }
                const double t = years[e] - change_year;
                soc = t >= 20.0 ? target : start + (target - start) * t / 20.0;
            }
            prev = soc;
            prev_year = years[e];
            socs[e] = soc;
        }
        return socs;
    };
    std::size_t valid_pixel_epochs = 0;
    std::size_t transitions = 0;
    for (std::size_t set = 0; set < sets.size(); ++set) {
        const std::vector<double> &value = sets[set];
        std::vector<double> expected(E, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t met = 0;
            const std::vector<double> socs = brute_socs(value, i, met);
            transitions += set == 0 ? met : 0;
            for (std::size_t e = 0; e < E; ++e) {
                if (std::isnan(socs[e])) {
                    continue;
                }
                const double soc = socs[e];
                expected[e] += area[i] * soc;
                valid_pixel_epochs += set == 0;
                if (set == 0) {
                    EXPECT_NEAR(soc, soil[e][i], 1e-9 * soc) << "epoch " << e << " pixel " << i;
                }
                // Per pixel: sum over its pairs of weight x the key's value.
                double pixel = 0.0;
                for (std::size_t j = 0; j < E; ++j) {
                    const int32_t k = rows[e].key[j][i];
                    if (k >= 0) {
                        double prod = 1.0;
                        for (uint32_t p : decl.keys[static_cast<std::size_t>(k)][0].monomial) {
                            prod *= value[p];
                        }
                        pixel += rows[e].weight[j][i] * prod;
                    }
                }
                EXPECT_NEAR(pixel, soc, 1e-9 * soc)
                    << "set " << set << " epoch " << e << " pixel " << i;
            }
        }
        for (std::size_t e = 0; e < E; ++e) {
            const double got = evaluate(decl, S[e], value, 2);
            EXPECT_NEAR(got, expected[e], 1e-9 * expected[e]) << "set " << set << " epoch " << e;
        }
    }
    // The case exercises what it should.
    EXPECT_GT(valid_pixel_epochs, n * E / 2);
    EXPECT_GT(transitions, n / 2);

    // Monte Carlo against a brute force with the same shared draws (issue 11): draw every
    // parameter once per realisation (draw_parameter: seed, name, draw), recompute every
    // pixel's SOC per realisation with the transition rule above, sum; the Propagation of the
    // statistics must give the same mean, SD and interval of each epoch's total (1e-9).
    const auto brute_totals = [&](const std::vector<double> &value) {
        std::vector<double> total(E, 0.0);
        std::size_t ignored = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::vector<double> socs = brute_socs(value, i, ignored);
            for (std::size_t e = 0; e < E; ++e) {
                if (!std::isnan(socs[e])) {
                    total[e] += area[i] * socs[e];
                }
            }
        }
        return total;
    };
    constexpr std::size_t N = 200;
    constexpr uint64_t SEED = 424242;
    std::vector<std::vector<double>> draws(E, std::vector<double>(N));
    for (std::size_t d = 0; d < N; ++d) {
        std::vector<double> value(params.size());
        for (std::size_t q = 0; q < params.size(); ++q) {
            value[q] = draw_parameter(params[q], SEED, d);
        }
        const auto total = brute_totals(value);
        for (std::size_t e = 0; e < E; ++e) {
            draws[e][d] = total[e];
        }
    }
    std::vector<Monomial> monomials;
    for (const auto &k : decl.keys) {
        monomials.push_back(k[0].monomial);
    }
    const Propagation mc(params, monomials, UncertaintyMethod::monte_carlo, N, SEED, 0.9);
    for (std::size_t e = 0; e < E; ++e) {
        LinearFigure f;
        for (std::size_t k = 0; k < decl.keys.size(); ++k) {
            if (S[e][k] != 0.0) {
                f.monomial.push_back(static_cast<uint32_t>(k));
                f.coef.push_back(S[e][k]);
            }
        }
        FigureSummary got;
        mc.summarise(&f, 1, &got);
        std::vector<double> x = draws[e];
        double mean = 0.0;
        for (double v : x) {
            mean += v;
        }
        mean /= N;
        double ss = 0.0;
        for (double v : x) {
            ss += (v - mean) * (v - mean);
        }
        const double sd = std::sqrt(ss / (N - 1));
        std::sort(x.begin(), x.end());
        const auto q7 = [&](double p) { // R's type 7, by hand
            const double h = (N - 1) * p;
            const auto lo = static_cast<std::size_t>(std::floor(h));
            return lo + 1 < N ? x[lo] + (h - lo) * (x[lo + 1] - x[lo]) : x[lo];
        };
        EXPECT_NEAR(got.mean, mean, 1e-9 * mean) << "epoch " << e;
        EXPECT_NEAR(got.sd, sd, 1e-9 * sd) << "epoch " << e;
        EXPECT_GT(sd, 1e-3 * mean) << "epoch " << e; // the draws do vary
        EXPECT_NEAR(got.ci_low, q7(0.05), 1e-9 * mean) << "epoch " << e;
        EXPECT_NEAR(got.ci_high, q7(0.95), 1e-9 * mean) << "epoch " << e;
    }
}

TEST(SoilUncertainty, SoilStageForwards) {
    const SoilSetup s;
    const SoilStage stage(*s.model, 2, "soil", 4);
    EXPECT_TRUE(stage.describes_uncertainty());
    EXPECT_EQ(stage.uncertain_parameters().size(), s.model->uncertain_parameters().size());
    const auto stats = stage.statistics();
    ASSERT_EQ(stats.size(), 1U);
    EXPECT_EQ(stats[0].name, "soc_by_state");
    EXPECT_EQ(stats[0].pairs, 4U);
    EXPECT_EQ(stats[0].keys.size(), s.model->key_count());
    EXPECT_EQ(stats[0].keys.at(0).at(0).target, 2U);
}

} // namespace
