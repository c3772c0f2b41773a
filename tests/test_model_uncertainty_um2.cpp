// Uncertainty declarations of stocks.inventory, stocks.agb_raster and dom.agb_fraction
// (models/uncertainty.hpp). The identity the driver relies on: for ANY parameter values,
//     sum over valid pixels of value(pixel) x area == sum_key S[key] x (sum of the key's term
//     products),  S[key] = sum of weight x area over the pixels giving that key,
// where, per pool, the terms are those of the last stage of the chain that writes the pool.
// Every parameter is scaled by its own pseudo-random factor; the pixel values on the left are
// recomputed here by brute force from the parameter tables' values transcribed by hand (with
// their line numbers), never read from the models. At the central values the statistics must
// give each pixel's pools exactly as the models computed them.
#include "models/agb_raster_stock.hpp"
#include "models/builtin_tables.hpp"
#include "models/dom_fraction.hpp"
#include "models/inventory_stock.hpp"
#include "models/parameter_tables.hpp"
#include "models/pools_table.hpp"
#include "models/stages.hpp"
#include "models/uncertainty.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
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
const double INF = std::numeric_limits<double>::infinity();
const auto VALID = static_cast<uint8_t>(PixelStatus::valid);
constexpr int32_t SENTINEL = 777777; // a key no stage writes: shows an unfilled slot

std::string join(const std::vector<std::string> &v) {
    std::string s;
    for (const auto &e : v) {
        s += e + "\n";
    }
    return s;
}

bool ends_with(const std::string &s, const std::string &tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// True when `source` says ", line <line>" (not followed by another digit).
bool names_line(const std::string &source, std::size_t line) {
    const std::string at = ", line " + std::to_string(line);
    const std::size_t pos = source.find(at);
    return pos != std::string::npos &&
           (pos + at.size() == source.size() ||
            !std::isdigit(static_cast<unsigned char>(source[pos + at.size()])));
}

// ---- the data -------------------------------------------------------------------------------

/// Split pools table (lines 2-5): cropland 1, forest 2, settlement 3, forest 5; every density
/// different so a wrong row or column shows.
const char *POOLS = "lucode,c_above,c_below,c_dead_wood,c_litter,c_soil,status\n"
                    "1,10.5,2.25,0.5,0.75,50.5,V\n"
                    "2,101,21,3.5,2.5,81,V\n"
                    "3,0.25,0.125,0.0625,0.03125,30.5,U\n"
                    "5,91,19,4.5,1.5,71,V\n";
const std::vector<std::string> SPLIT_COLUMNS = {"c_above", "c_below", "c_dead_wood", "c_litter",
                                                "c_soil"};

PoolsTable pools_table(const char *text = POOLS) {
    std::vector<std::string> errors;
    PoolsTable t = parse_pools_table(text, "pools.csv", errors);
    EXPECT_TRUE(errors.empty()) << join(errors);
    return t;
}

std::shared_ptr<InventoryTables> inventory_tables() {
    auto tables = std::make_shared<InventoryTables>();
    std::vector<std::string> errors;
    std::string file;
    tables->cbef = parse_cbef_table(builtin_parameter_table("china_cbef", file), file, errors);
    tables->bcef = parse_bcef_table(builtin_parameter_table("ipcc_bcef", file), file, errors);
    tables->root_shoot =
        parse_root_shoot_table(builtin_parameter_table("ipcc_root_shoot", file), file, errors);
    EXPECT_TRUE(errors.empty()) << join(errors);
    return tables;
}

/// Forest types (lines 2-5): 1 and 4 share one china_cbef row (so its parameters), 2 and 3 use
/// IPCC BCEF; the quercus R classes start at AGB 70 (lower AGB: missing_parameter).
const char *FOREST_TYPES = "code,name,method,cbef_forest_type,climate_domain,bcef_forest_type,"
                           "root_shoot_zone,root_shoot_type,carbon_fraction\n"
                           "1,fir,china_cbef,cunninghamia_lanceolata,,,,,\n"
                           "2,pines,ipcc_bcef,,temperate,pines,temperate,conifer,0.47\n"
                           "3,oak,ipcc_bcef,,temperate,hardwoods,temperate,quercus,0.48\n"
                           "4,fir again,china_cbef,cunninghamia_lanceolata,,,,,\n";

std::unique_ptr<InventoryStockModel> inventory_model() {
    auto tables = inventory_tables();
    std::vector<std::string> errors;
    auto types = parse_forest_types(FOREST_TYPES, "models.stocks.forest_types (data/ft.csv)",
                                    *tables, errors);
    EXPECT_TRUE(errors.empty()) << join(errors);
    return std::make_unique<InventoryStockModel>(pools_table(), std::vector<int32_t>{2, 5}, tables,
                                                 types);
}

DomTables dom_tables() {
    DomTables t;
    std::vector<std::string> errors;
    std::string file;
    t.fractions = parse_dom_table(builtin_parameter_table("dom_fractions", file), file, errors);
    t.zones = parse_climate_zone_code_table(
        builtin_parameter_table("ipcc_climate_zone_codes", file), file, errors);
    EXPECT_TRUE(errors.empty()) << join(errors);
    return t;
}

/// A class of a classed parameter table, transcribed from configs/parameters (the test's own
/// copy: the brute force must not use the model's lookups).
struct HandClass {
    double lower, upper, value;
    std::string name; ///< the parameter's expected name
};

bool in_hand_class(double x, const HandClass &c) {
    return (x > c.lower || (x == 0.0 && c.lower == 0.0)) && x <= c.upper;
}

const HandClass *hand_find(const std::vector<HandClass> &classes, double x) {
    for (const auto &c : classes) {
        if (in_hand_class(x, c)) {
            return &c;
        }
    }
    return nullptr;
}

// ipcc_bcef.csv lines 18-27, ipcc_root_shoot.csv lines 6-9 (IPCC 2006 Vol. 4 Ch. 4 Tables
// 4.5 and 4.4), china_cbef.csv line 4 (Fang et al.), dom_fractions.csv lines 2-6 (AR-TOOL12).
const std::vector<HandClass> BCEF_PINES = {
    {0, 20, 1.8, "ipcc_bcef.csv:bcef_s[temperate,pines,0,20]"},
    {20, 40, 1.0, "ipcc_bcef.csv:bcef_s[temperate,pines,20,40]"},
    {40, 100, 0.75, "ipcc_bcef.csv:bcef_s[temperate,pines,40,100]"},
    {100, 200, 0.7, "ipcc_bcef.csv:bcef_s[temperate,pines,100,200]"},
    {200, INF, 0.7, "ipcc_bcef.csv:bcef_s[temperate,pines,200,INF]"}};
const std::vector<HandClass> BCEF_HARDWOODS = {
    {0, 20, 3.0, "ipcc_bcef.csv:bcef_s[temperate,hardwoods,0,20]"},
    {20, 40, 1.7, "ipcc_bcef.csv:bcef_s[temperate,hardwoods,20,40]"},
    {40, 100, 1.4, "ipcc_bcef.csv:bcef_s[temperate,hardwoods,40,100]"},
    {100, 200, 1.05, "ipcc_bcef.csv:bcef_s[temperate,hardwoods,100,200]"},
    {200, INF, 0.8, "ipcc_bcef.csv:bcef_s[temperate,hardwoods,200,INF]"}};
const std::vector<HandClass> R_CONIFER = {
    {0, 50, 0.40, "ipcc_root_shoot.csv:ratio[temperate,conifer,0,50]"},
    {50, 150, 0.29, "ipcc_root_shoot.csv:ratio[temperate,conifer,50,150]"},
    {150, INF, 0.20, "ipcc_root_shoot.csv:ratio[temperate,conifer,150,INF]"}};
const std::vector<HandClass> R_QUERCUS = {
    {70, INF, 0.30, "ipcc_root_shoot.csv:ratio[temperate,quercus,70,INF]"}};
const std::string CBEF_KEY = "[cunninghamia_lanceolata]";
const double CBEF_A = 0.4652, CBEF_B = 19.141, CBEF_CF = 0.5;
/// Tropical rows by precipitation below 2000 m, then above 2000 m; the temperate row.
const std::vector<HandClass> DOM_TROPICAL_LOW = {{0, 1000, 0, "[tropical,-INF,2000,0,1000]"},
                                                 {1000, 1600, 1, "[tropical,-INF,2000,1000,1600]"},
                                                 {1600, INF, 2, "[tropical,-INF,2000,1600,INF]"}};
const std::string DOM_TROPICAL_HIGH = "[tropical,2000,INF,0,INF]";
const std::string DOM_TEMPERATE = "[temperate,-INF,INF,0,INF]";

// ---- parameter values -----------------------------------------------------------------------

/// Values of parameters by name: central x a factor of their own in [0.5, 1.5) (or x 1).
struct Values {
    std::map<std::string, double> by_name;
    std::map<std::string, double> central;
    /// Add a stage's parameters; a name seen before must have the same central value and keeps
    /// its value (one parameter, one draw).
    void add(const std::vector<UncertainParameter> &params, std::mt19937_64 *rng) {
        std::uniform_real_distribution<double> scale(0.5, 1.5);
        for (const auto &p : params) {
            const auto it = central.find(p.name);
            if (it != central.end()) {
                EXPECT_EQ(it->second, p.central) << p.name << " declared with two values";
                continue;
            }
            central[p.name] = p.central;
            by_name[p.name] = p.central * (rng != nullptr ? scale(*rng) : 1.0);
        }
    }
    double operator()(const std::string &name) const {
        const auto it = by_name.find(name);
        EXPECT_NE(it, by_name.end()) << "no parameter " << name;
        return it == by_name.end() ? NaN : it->second;
    }
    /// A pools-table density by column and class (the table-file part of the name is the pools
    /// table's: any name ending in ":<column>[<lucode>]").
    double pools(const std::string &column, int32_t lucode) const {
        const std::string tail = ":" + column + "[" + std::to_string(lucode) + "]";
        double v = NaN;
        int found = 0;
        for (const auto &[name, value] : by_name) {
            if (ends_with(name, tail)) {
                v = value;
                ++found;
            }
        }
        EXPECT_EQ(found, 1) << "pools-table parameters ending in " << tail;
        return v;
    }
    /// The values of a stage's parameters, in its order.
    std::vector<double> theta(const std::vector<UncertainParameter> &params) const {
        std::vector<double> t;
        for (const auto &p : params) {
            t.push_back((*this)(p.name));
        }
        return t;
    }
};

// ---- statistics rows and their evaluation ----------------------------------------------------

/// The statistics rows of one stage for a chunk of n pixels, filled with a sentinel.
struct StageStats {
    std::vector<UncertainParameter> params;
    std::vector<StatisticDecl> decls;
    std::vector<std::string> pools_written; ///< pool names the stage writes
    std::size_t pairs_max = 1;
    std::vector<std::vector<int32_t>> key;
    std::vector<std::vector<double>> weight;
    std::vector<int32_t *> key_ptr;
    std::vector<double *> weight_ptr;
    StatisticRows rows;

    StageStats(std::vector<UncertainParameter> p, std::vector<StatisticDecl> d,
               std::vector<std::string> written, std::size_t n)
        : params(std::move(p)), decls(std::move(d)), pools_written(std::move(written)) {
        for (const auto &s : decls) {
            pairs_max = std::max(pairs_max, s.pairs);
        }
        const std::size_t slots = decls.size() * pairs_max;
        key.assign(slots, std::vector<int32_t>(n, SENTINEL));
        weight.assign(slots, std::vector<double>(n, NaN));
        for (std::size_t j = 0; j < slots; ++j) {
            key_ptr.push_back(key[j].data());
            weight_ptr.push_back(weight[j].data());
        }
        rows = StatisticRows{key_ptr.data(), weight_ptr.data(), pairs_max};
    }

    /// Every pair slot of every pixel written: a key of the statistic or -1, a finite weight.
    void expect_filled() const {
        for (std::size_t s = 0; s < decls.size(); ++s) {
            for (std::size_t j = 0; j < decls[s].pairs; ++j) {
                const auto &k = key[s * pairs_max + j];
                const auto &w = weight[s * pairs_max + j];
                for (std::size_t i = 0; i < k.size(); ++i) {
                    ASSERT_TRUE(k[i] >= -1 && k[i] < static_cast<int32_t>(decls[s].keys.size()))
                        << decls[s].name << " pair " << j << " pixel " << i << ": key " << k[i];
                    ASSERT_TRUE(std::isfinite(w[i]))
                        << decls[s].name << " pair " << j << " pixel " << i;
                }
            }
        }
    }

    /// Every monomial index refers to a parameter of the stage, every target to a pool.
    void expect_well_formed(std::size_t pools) const {
        for (const auto &d : decls) {
            EXPECT_EQ(d.axis, TimeAxis::epoch) << d.name;
            for (const auto &terms : d.keys) {
                for (const auto &t : terms) {
                    EXPECT_LT(t.target, pools) << d.name;
                    for (uint32_t q : t.monomial) {
                        EXPECT_LT(q, params.size()) << d.name;
                    }
                }
            }
        }
    }
};

/// Per pool: the chain-wide figure sum_key S[key] x sum of the key's term products, the terms of
/// each pool taken from the last stage writing it (the driver's rule), over the pixels whose
/// final status is valid; S[key] = sum of weight x area. `pixel` >= 0: that pixel alone, area 1.
std::vector<double> evaluate(const std::vector<const StageStats *> &chain,
                             const std::vector<std::string> &pool_names,
                             const std::vector<uint8_t> &status, const std::vector<double> &area,
                             const Values &values, long pixel = -1) {
    const std::size_t n = status.size();
    std::vector<std::size_t> last(pool_names.size(), chain.size());
    for (std::size_t s = 0; s < chain.size(); ++s) {
        for (const auto &w : chain[s]->pools_written) {
            const auto p = std::find(pool_names.begin(), pool_names.end(), w) - pool_names.begin();
            last[static_cast<std::size_t>(p)] = s;
        }
    }
    std::vector<double> figure(pool_names.size(), 0.0);
    for (std::size_t s = 0; s < chain.size(); ++s) {
        const StageStats &st = *chain[s];
        const std::vector<double> theta = values.theta(st.params);
        for (std::size_t d = 0; d < st.decls.size(); ++d) {
            const StatisticDecl &decl = st.decls[d];
            std::vector<double> S(decl.keys.size(), 0.0); // the sufficient statistics
            for (std::size_t j = 0; j < decl.pairs; ++j) {
                const auto &key = st.key[d * st.pairs_max + j];
                const auto &weight = st.weight[d * st.pairs_max + j];
                for (std::size_t i = 0; i < n; ++i) {
                    if (status[i] != VALID || key[i] < 0 ||
                        (pixel >= 0 && static_cast<long>(i) != pixel)) {
                        continue;
                    }
                    S[static_cast<std::size_t>(key[i])] += weight[i] * (pixel >= 0 ? 1 : area[i]);
                }
            }
            for (std::size_t k = 0; k < decl.keys.size(); ++k) {
                for (const Term &t : decl.keys[k]) {
                    if (last[t.target] != s) {
                        continue; // a later stage gives this pool's whole value
                    }
                    double prod = 1.0;
                    for (uint32_t q : t.monomial) {
                        prod *= theta[q];
                    }
                    figure[t.target] += S[k] * prod;
                }
            }
        }
    }
    return figure;
}

void expect_close(double got, double want, const std::string &what) {
    EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, std::fabs(want))) << what;
}

// ---- running the models ---------------------------------------------------------------------

/// One chunk's inputs (layers: NaN = nodata) and the stock model's outputs.
struct Chunk {
    std::size_t n = 0;
    std::vector<int32_t> codes;
    std::vector<uint8_t> lc_valid;
    std::vector<std::vector<double>> layer;
    std::vector<std::vector<uint8_t>> layer_ok;
    std::vector<std::vector<double>> pools;
    std::vector<double *> pool_ptr;
    std::vector<uint8_t> status;
    std::vector<int32_t> class_index;
    std::vector<uint8_t> method;
    std::vector<double> agb;
    StockOutputs out;

    Chunk(std::vector<int32_t> c, const std::vector<std::vector<double>> &layers,
          std::size_t n_pools)
        : n(c.size()), codes(std::move(c)), lc_valid(n, 1), pools(n_pools, std::vector<double>(n)),
          status(n), class_index(n), method(n), agb(n) {
        for (const auto &l : layers) {
            layer.emplace_back(n);
            layer_ok.emplace_back(n);
            for (std::size_t i = 0; i < n; ++i) {
                layer_ok.back()[i] = std::isnan(l[i]) ? 0 : 1;
                layer.back()[i] = std::isnan(l[i]) ? 0.0 : l[i];
            }
        }
        for (auto &p : pools) {
            pool_ptr.push_back(p.data());
        }
        out = {pool_ptr.data(), status.data(), class_index.data(), method.data(), agb.data()};
    }

    void run(const StockModel &m, const StatisticRows *stats) {
        std::vector<const double *> values;
        std::vector<const uint8_t *> valid;
        for (std::size_t l = 0; l < layer.size(); ++l) {
            values.push_back(layer[l].data());
            valid.push_back(layer_ok[l].data());
        }
        out.stats = stats;
        m.compute({codes.data(), lc_valid.data(), n, values.data(), valid.data()}, out);
        out.stats = nullptr;
    }
};

/// Run DomStage (its epoch_row, as the driver calls it) on a chunk the stock model filled.
void run_dom_stage(const DomStage &stage, Chunk &c, const std::vector<std::vector<double>> &layers,
                   const StatisticRows *stats, std::vector<std::vector<double>> &layer_store,
                   std::vector<std::vector<uint8_t>> &valid_store) {
    std::vector<LayerRow> rows;
    for (const auto &l : layers) {
        layer_store.emplace_back(c.n);
        valid_store.emplace_back(c.n);
        for (std::size_t i = 0; i < c.n; ++i) {
            valid_store.back()[i] = std::isnan(l[i]) ? 0 : 1;
            layer_store.back()[i] = std::isnan(l[i]) ? 0.0 : l[i];
        }
    }
    for (std::size_t l = 0; l < layers.size(); ++l) {
        rows.push_back({layer_store[l].data(), valid_store[l].data()});
    }
    double *variables[] = {c.agb.data()};
    EpochRow row;
    row.n = c.n;
    row.land_cover = c.codes.data();
    row.land_cover_valid = c.lc_valid.data();
    row.layers = rows.data();
    row.variables = variables;
    row.out = &c.out;
    row.stats = stats;
    stage.epoch_row(row);
}

/// At the central values, each valid pixel's statistics give exactly its pools as computed.
void expect_central_reproduces(const std::vector<const StageStats *> &chain, const Chunk &c,
                               const std::vector<std::string> &pool_names) {
    Values central;
    for (const auto *s : chain) {
        central.add(s->params, nullptr);
    }
    const std::vector<double> area(c.n, 1.0);
    std::size_t valid = 0;
    for (std::size_t i = 0; i < c.n; ++i) {
        if (c.status[i] != VALID) {
            continue;
        }
        ++valid;
        const auto v = evaluate(chain, pool_names, c.status, area, central, static_cast<long>(i));
        for (std::size_t p = 0; p < pool_names.size(); ++p) {
            expect_close(v[p], c.pools[p][i],
                         "pixel " + std::to_string(i) + " pool " + pool_names[p]);
        }
    }
    EXPECT_GT(valid, c.n / 3) << "too few valid pixels for the test to mean much";
}

// ---- stocks.inventory -----------------------------------------------------------------------

/// Brute-force pools of one inventory pixel (above, below, live_biomass_cbef, dead_wood,
/// litter, soil) with the parameter values `v`; false when the pixel is not valid. R class by
/// the central AGB (held, as the model documents).
bool inventory_pixel(int32_t code, double volume, double type, const Values &v, double out[6],
                     double *agb_central) {
    *agb_central = NaN;
    if (code != 1 && code != 2 && code != 3 && code != 5) {
        return false;
    }
    out[3] = v.pools("c_dead_wood", code);
    out[4] = v.pools("c_litter", code);
    out[5] = v.pools("c_soil", code);
    out[0] = out[1] = out[2] = 0.0;
    if (code == 1 || code == 3) { // not forest: the table's live biomass
        out[0] = v.pools("c_above", code);
        out[1] = v.pools("c_below", code);
        return true;
    }
    if (std::isnan(volume) || std::isnan(type)) {
        return false; // nodata
    }
    if (type == 1 || type == 4) { // (aV + b) x CF, 0 without a stand (Fang et al. 2001)
        if (volume > 0) {
            EXPECT_GE(CBEF_A * volume + CBEF_B, 0.0); // the clamp at 0 never applies here
            out[2] = (v("china_cbef.csv:a_t_per_m3" + CBEF_KEY) * volume +
                      v("china_cbef.csv:b_t_per_ha" + CBEF_KEY)) *
                     v("china_cbef.csv:carbon_fraction" + CBEF_KEY);
        }
        return true;
    }
    if (type != 2 && type != 3) {
        return false; // missing parameter
    }
    const auto &bcef_classes = type == 2 ? BCEF_PINES : BCEF_HARDWOODS;
    const auto &r_classes = type == 2 ? R_CONIFER : R_QUERCUS;
    const HandClass *bcef = hand_find(bcef_classes, volume);
    const HandClass *r = bcef != nullptr ? hand_find(r_classes, volume * bcef->value) : nullptr;
    if (r == nullptr) {
        return false; // AGB outside every R class
    }
    *agb_central = volume * bcef->value;
    const double cf = v(std::string("ft.csv:carbon_fraction[") + (type == 2 ? "2" : "3") + "]");
    // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8: AGB = V x BCEF_S, BGB = AGB x R; carbon = x CF.
    out[0] = volume * v(bcef->name) * cf;
    out[1] = volume * v(bcef->name) * v(r->name) * cf;
    return true;
}

/// n pseudo-random inventory pixels: classes 1, 2, 3, 5 and 9 (unknown), forest types 1-4 and
/// 7 (unknown), volumes 0 to 300 m3/ha, some nodata.
Chunk inventory_chunk(std::size_t n, uint64_t seed, std::size_t pools) {
    std::mt19937_64 rng(seed);
    const int32_t classes[] = {1, 2, 3, 5, 2, 5, 9};
    const double types[] = {1, 2, 3, 4, 2, 3, 7};
    std::uniform_int_distribution<int> pick(0, 6);
    std::uniform_real_distribution<double> vol(0.0, 300.0);
    std::vector<int32_t> codes(n);
    std::vector<double> volume(n), type(n);
    for (std::size_t i = 0; i < n; ++i) {
        codes[i] = classes[pick(rng)];
        type[i] = types[pick(rng)];
        const int r = pick(rng);
        volume[i] = r == 0 ? 0.0 : vol(rng);
        if (pick(rng) == 0 && pick(rng) < 3) {
            (r < 3 ? volume : type)[i] = NaN; // nodata
        }
    }
    return Chunk(codes, {volume, type}, pools);
}

TEST(InventoryUncertainty, StatisticsGiveEveryPixelsPoolsForAnyParameterValues) {
    const auto m = inventory_model();
    ASSERT_TRUE(m->describes_uncertainty());
    const auto &names = m->pool_names();
    Chunk c = inventory_chunk(400, 11, names.size());
    StageStats st(m->uncertain_parameters(), m->statistics(), names, c.n);
    st.expect_well_formed(names.size());
    c.run(*m, &st.rows);
    st.expect_filled();
    // Names are unique: types 1 and 4 share the cunninghamia row, so its a, b and CF.
    std::set<std::string> unique;
    for (const auto &p : st.params) {
        EXPECT_TRUE(unique.insert(p.name).second) << p.name << " declared twice";
    }
    EXPECT_EQ(unique.count("china_cbef.csv:a_t_per_m3" + CBEF_KEY), 1u);

    expect_central_reproduces({&st}, c, names);

    std::mt19937_64 rng(2024);
    std::uniform_real_distribution<double> ha(0.2, 1.8);
    std::vector<double> area(c.n);
    for (auto &a : area) {
        a = ha(rng);
    }
    std::set<uint8_t> statuses;
    for (int set = 0; set < 4; ++set) {
        Values v;
        v.add(st.params, &rng);
        std::vector<double> want(names.size(), 0.0);
        for (std::size_t i = 0; i < c.n; ++i) {
            double px[6];
            double agb = NaN;
            const double volume = c.layer_ok[0][i] ? c.layer[0][i] : NaN;
            const double type = c.layer_ok[1][i] ? c.layer[1][i] : NaN;
            const bool ok = inventory_pixel(c.codes[i], volume, type, v, px, &agb);
            ASSERT_EQ(ok, c.status[i] == VALID) << "pixel " << i;
            statuses.insert(c.status[i]);
            for (std::size_t p = 0; ok && p < 6; ++p) {
                want[p] += px[p] * area[i];
            }
        }
        const auto got = evaluate({&st}, names, c.status, area, v);
        for (std::size_t p = 0; p < names.size(); ++p) {
            expect_close(got[p], want[p], "set " + std::to_string(set) + " pool " + names[p]);
        }
    }
    // The chunk has valid, nodata, unknown-class and missing-parameter pixels.
    EXPECT_EQ(statuses.size(), 4u);
}

TEST(InventoryUncertainty, ParametersWithoutDocumentedUncertaintyAreNoneWithTheirTableLine) {
    const auto m = inventory_model();
    const auto params = m->uncertain_parameters();
    auto find = [&](const std::string &name) -> const UncertainParameter * {
        for (const auto &p : params) {
            if (p.name == name) {
                return &p;
            }
        }
        ADD_FAILURE() << "no parameter " << name;
        return nullptr;
    };
    struct Expect {
        std::string name;
        double central;
        std::string source_start;
        bool non_negative;
    };
    // Values and lines of configs/parameters/*.csv and of FOREST_TYPES, read by hand.
    const std::vector<Expect> expected = {
        {"china_cbef.csv:a_t_per_m3" + CBEF_KEY, 0.4652, "china_cbef.csv, line 4 (", true},
        {"china_cbef.csv:b_t_per_ha" + CBEF_KEY, 19.141, "china_cbef.csv, line 4 (", false},
        {"china_cbef.csv:carbon_fraction" + CBEF_KEY, 0.5, "china_cbef.csv, line 4 (", true},
        {"ipcc_bcef.csv:bcef_s[temperate,pines,40,100]", 0.75, "ipcc_bcef.csv, line 25 (", true},
        {"ipcc_bcef.csv:bcef_s[temperate,hardwoods,200,INF]", 0.8, "ipcc_bcef.csv, line 22 (",
         true},
        {"ipcc_root_shoot.csv:ratio[temperate,conifer,50,150]", 0.29,
         "ipcc_root_shoot.csv, line 7 (", true},
        {"ipcc_root_shoot.csv:ratio[temperate,quercus,70,INF]", 0.30,
         "ipcc_root_shoot.csv, line 9 (", true},
        {"ft.csv:carbon_fraction[2]", 0.47, "ft.csv, line 3", true},
        {"ft.csv:carbon_fraction[3]", 0.48, "ft.csv, line 4", true},
    };
    for (const auto &e : expected) {
        const UncertainParameter *p = find(e.name);
        if (p == nullptr) {
            continue;
        }
        EXPECT_EQ(p->pdf.kind, Distribution::none) << e.name;
        EXPECT_EQ(p->central, e.central) << e.name;
        EXPECT_EQ(p->non_negative, e.non_negative) << e.name;
        EXPECT_EQ(p->source.rfind(e.source_start, 0), 0u) << e.name << ": " << p->source;
    }
    // Only the rows the forest types use: not pinus_massoniana, nor the boreal BCEF rows.
    for (const auto &p : params) {
        EXPECT_EQ(p.name.find("pinus_massoniana"), std::string::npos) << p.name;
        EXPECT_EQ(p.name.find("boreal"), std::string::npos) << p.name;
    }
    // Pools-table densities: stocks.lookup's layout (row x 5 + pool) and naming, none, line.
    ASSERT_GE(params.size(), 20u);
    for (std::size_t r = 0; r < 4; ++r) {
        const int32_t codes[] = {1, 2, 3, 5};
        for (std::size_t p = 0; p < 5; ++p) {
            const UncertainParameter &q = params[r * 5 + p];
            EXPECT_TRUE(
                ends_with(q.name, ":" + SPLIT_COLUMNS[p] + "[" + std::to_string(codes[r]) + "]"))
                << q.name;
            EXPECT_EQ(q.pdf.kind, Distribution::none) << q.name;
            EXPECT_TRUE(names_line(q.source, r + 2)) << q.source;
        }
    }
    EXPECT_EQ(params[2 * 5 + 4].central, 30.5); // c_soil of class 3
    EXPECT_EQ(params[2 * 5 + 4].status, "U");
}

TEST(InventoryUncertainty, ForestTypesFileNameComesFromWhere) {
    auto tables = inventory_tables();
    std::vector<std::string> errors;
    const auto plain = parse_forest_types(FOREST_TYPES, "forest_types.csv", *tables, errors);
    const auto key = parse_forest_types(FOREST_TYPES, "models.stocks.forest_types (a/b/types.csv)",
                                        *tables, errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    EXPECT_EQ(plain.front().file, "forest_types.csv");
    EXPECT_EQ(key.front().file, "types.csv");
}

// ---- stocks.agb_raster ----------------------------------------------------------------------

/// n pseudo-random AGB-raster pixels: classes 1, 2, 3, 5, 9 (unknown), AGB 0 to 250, some
/// nodata and one negative (invalid).
Chunk agb_chunk(std::size_t n, uint64_t seed, std::size_t pools) {
    std::mt19937_64 rng(seed);
    const int32_t classes[] = {1, 2, 3, 5, 9, 2};
    std::uniform_int_distribution<int> pick(0, 5);
    std::uniform_real_distribution<double> value(0.0, 250.0);
    std::vector<int32_t> codes(n);
    std::vector<double> agb(n);
    for (std::size_t i = 0; i < n; ++i) {
        codes[i] = classes[pick(rng)];
        agb[i] = pick(rng) == 0 && pick(rng) == 0 ? NaN : value(rng);
    }
    agb[0] = -3.0;
    agb[1] = 0.0;
    codes[0] = codes[1] = 2;
    return Chunk(codes, {agb}, pools);
}

/// Brute-force pools of an AGB-raster pixel (split table order: above, below, dead wood,
/// litter, soil); false when not valid.
bool agb_pixel(int32_t code, double agb, bool carbon_map, const Values &v, double out[5]) {
    if ((code != 1 && code != 2 && code != 3 && code != 5) || !(agb >= 0.0)) {
        return false;
    }
    // above = AGB x CF (IPCC 2006 Vol. 4 Ch. 4 Table 4.3), below = above x R (Table 4.4).
    out[0] = carbon_map ? agb : agb * v("models.stocks.carbon_fraction");
    out[1] = out[0] * v("models.stocks.root_shoot_ratio");
    out[2] = v.pools("c_dead_wood", code);
    out[3] = v.pools("c_litter", code);
    out[4] = v.pools("c_soil", code);
    return true;
}

void check_agb_raster(bool carbon_map) {
    const AgbRasterStockModel m(pools_table(), {carbon_map, carbon_map ? 0.5 : 0.47, 0.24});
    ASSERT_TRUE(m.describes_uncertainty());
    const auto &names = m.pool_names();
    Chunk c = agb_chunk(300, carbon_map ? 5 : 6, names.size());
    StageStats st(m.uncertain_parameters(), m.statistics(), names, c.n);
    st.expect_well_formed(names.size());
    c.run(m, &st.rows);
    st.expect_filled();
    expect_central_reproduces({&st}, c, names);

    std::mt19937_64 rng(7);
    std::vector<double> area(c.n);
    for (std::size_t i = 0; i < c.n; ++i) {
        area[i] = 0.5 + static_cast<double>(i % 7) * 0.25;
    }
    for (int set = 0; set < 4; ++set) {
        Values v;
        v.add(st.params, &rng);
        std::vector<double> want(names.size(), 0.0);
        for (std::size_t i = 0; i < c.n; ++i) {
            double px[5];
            const double agb = c.layer_ok[0][i] ? c.layer[0][i] : NaN;
            const bool ok = agb_pixel(c.codes[i], agb, carbon_map, v, px);
            ASSERT_EQ(ok, c.status[i] == VALID) << "pixel " << i;
            for (std::size_t p = 0; ok && p < 5; ++p) {
                want[p] += px[p] * area[i];
            }
        }
        const auto got = evaluate({&st}, names, c.status, area, v);
        for (std::size_t p = 0; p < names.size(); ++p) {
            expect_close(got[p], want[p], "set " + std::to_string(set) + " pool " + names[p]);
        }
    }
}

TEST(AgbRasterUncertainty, DryMatterMapStatisticsGiveThePoolsForAnyParameterValues) {
    check_agb_raster(false);
}

TEST(AgbRasterUncertainty, CarbonMapStatisticsGiveThePoolsForAnyParameterValues) {
    check_agb_raster(true);
}

TEST(AgbRasterUncertainty, ConfigParametersAreNoneAndNamedByTheirConfigKey) {
    const AgbRasterStockModel dry(pools_table(), {false, 0.47, 0.24});
    const auto p = dry.uncertain_parameters();
    ASSERT_EQ(p.size(), 4u * 5u + 2u);
    EXPECT_EQ(p[20].name, "models.stocks.carbon_fraction");
    EXPECT_EQ(p[20].central, 0.47);
    EXPECT_EQ(p[21].name, "models.stocks.root_shoot_ratio");
    EXPECT_EQ(p[21].central, 0.24);
    for (std::size_t q = 20; q < 22; ++q) {
        EXPECT_EQ(p[q].pdf.kind, Distribution::none) << p[q].name;
        EXPECT_EQ(p[q].source.rfind("config " + p[q].name + " (", 0), 0u) << p[q].source;
    }
    EXPECT_EQ(p[1 * 5 + 4].central, 81.0); // c_soil of class 2
    EXPECT_TRUE(ends_with(p[1 * 5 + 4].name, ":c_soil[2]")) << p[1 * 5 + 4].name;
    // A carbon map's CF does not enter the pools: not a parameter.
    const AgbRasterStockModel carbon(pools_table(), {true, 0.5, 0.24});
    const auto q = carbon.uncertain_parameters();
    ASSERT_EQ(q.size(), 4u * 5u + 1u);
    EXPECT_EQ(q[20].name, "models.stocks.root_shoot_ratio");
}

// ---- dom.agb_fraction -----------------------------------------------------------------------

/// Brute-force dead wood and litter of a pixel with central AGB `agb` (AR-TOOL12: AGB x f x CF,
/// science.md §2.5) from dom_fractions.csv row `key`.
void dom_pixel(double agb, const std::string &key, const Values &v, double *dead_wood,
               double *litter) {
    *dead_wood = agb * v("dom_fractions.csv:deadwood_fraction_of_agb" + key) *
                 v("dom_fractions.csv:deadwood_carbon_fraction" + key);
    *litter = agb * v("dom_fractions.csv:litter_fraction_of_agb" + key) *
              v("dom_fractions.csv:litter_carbon_fraction" + key);
}

TEST(DomUncertainty, InventoryThenDomGiveEveryPoolForAnyParameterValues) {
    const auto m = inventory_model();
    const auto &names = m->pool_names(); // above, below, live_biomass_cbef, dead_wood, litter, soil
    std::vector<std::string> errors;
    const PoolsTable table = pools_table();
    const DomFractionModel dom(dom_tables(), DomDomainSource::temperate_or_boreal, false,
                               names.size(), 3, 4, errors, &table);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const DomStage stage(dom, {"dead_wood", "litter"});
    ASSERT_TRUE(stage.describes_uncertainty());
    Chunk c = inventory_chunk(400, 12, names.size());
    StageStats stock(m->uncertain_parameters(), m->statistics(), names, c.n);
    StageStats dstats(stage.uncertain_parameters(), stage.statistics(), stage.pools_written(), c.n);
    dstats.expect_well_formed(names.size());
    c.run(*m, &stock.rows);
    std::vector<std::vector<double>> ls;
    std::vector<std::vector<uint8_t>> lv;
    run_dom_stage(stage, c, {}, &dstats.rows, ls, lv);
    dstats.expect_filled();
    expect_central_reproduces({&stock, &dstats}, c, names);

    std::mt19937_64 rng(99);
    std::vector<double> area(c.n);
    for (std::size_t i = 0; i < c.n; ++i) {
        area[i] = 1.0 + 0.01 * static_cast<double>(i % 13);
    }
    for (int set = 0; set < 4; ++set) {
        Values v;
        v.add(stock.params, &rng);
        v.add(dstats.params, &rng); // the pools-table dead matter: the stock model's names
        std::vector<double> want(names.size(), 0.0);
        for (std::size_t i = 0; i < c.n; ++i) {
            double px[6];
            double agb = NaN;
            const double volume = c.layer_ok[0][i] ? c.layer[0][i] : NaN;
            const double type = c.layer_ok[1][i] ? c.layer[1][i] : NaN;
            const bool ok = inventory_pixel(c.codes[i], volume, type, v, px, &agb);
            ASSERT_EQ(ok, c.status[i] == VALID) << "pixel " << i;
            if (ok && std::isfinite(agb)) { // IPCC BCEF pixels: DOM from their central AGB
                dom_pixel(agb, DOM_TEMPERATE, v, &px[3], &px[4]);
            }
            for (std::size_t p = 0; ok && p < 6; ++p) {
                want[p] += px[p] * area[i];
            }
        }
        const auto got = evaluate({&stock, &dstats}, names, c.status, area, v);
        for (std::size_t p = 0; p < names.size(); ++p) {
            expect_close(got[p], want[p], "set " + std::to_string(set) + " pool " + names[p]);
        }
    }
}

TEST(DomUncertainty, TropicalStrataWithAgbMapGiveEveryPoolForAnyParameterValues) {
    const PoolsTable table = pools_table();
    const AgbRasterStockModel m(table, {false, 0.47, 0.24});
    const auto &names = m.pool_names(); // above, below, dead_wood, litter, soil
    std::vector<std::string> errors;
    const DomFractionModel dom(dom_tables(), DomDomainSource::tropical, true, names.size(), 2, 3,
                               errors, &table);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const DomStage stage(dom, {"dead_wood", "litter"});
    Chunk c = agb_chunk(300, 21, names.size());
    // Elevation and precipitation: every tropical row, and nodata (the pixel becomes nodata).
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> elev(0.0, 3000.0), precip(0.0, 2500.0);
    std::vector<double> elevation(c.n), precipitation(c.n);
    for (std::size_t i = 0; i < c.n; ++i) {
        elevation[i] = elev(rng);
        precipitation[i] = i % 17 == 3 ? NaN : precip(rng);
    }
    StageStats stock(m.uncertain_parameters(), m.statistics(), names, c.n);
    StageStats dstats(stage.uncertain_parameters(), stage.statistics(), stage.pools_written(), c.n);
    c.run(m, &stock.rows);
    std::vector<uint8_t> stock_status = c.status;
    std::vector<std::vector<double>> ls;
    std::vector<std::vector<uint8_t>> lv;
    run_dom_stage(stage, c, {elevation, precipitation}, &dstats.rows, ls, lv);
    dstats.expect_filled();
    expect_central_reproduces({&stock, &dstats}, c, names);

    std::vector<double> area(c.n, 0.75);
    std::size_t made_nodata = 0;
    for (int set = 0; set < 3; ++set) {
        Values v;
        v.add(stock.params, &rng);
        v.add(dstats.params, &rng);
        std::vector<double> want(names.size(), 0.0);
        made_nodata = 0;
        for (std::size_t i = 0; i < c.n; ++i) {
            double px[5];
            const double agb = c.layer_ok[0][i] ? c.layer[0][i] : NaN;
            bool ok = agb_pixel(c.codes[i], agb, false, v, px);
            ASSERT_EQ(ok, stock_status[i] == VALID) << "pixel " << i;
            if (ok && std::isnan(precipitation[i])) {
                ok = false; // DOM needs the strata: nodata
                ++made_nodata;
            }
            ASSERT_EQ(ok, c.status[i] == VALID) << "pixel " << i;
            if (!ok) {
                continue;
            }
            const HandClass *low = hand_find(DOM_TROPICAL_LOW, precipitation[i]);
            ASSERT_NE(low, nullptr);
            dom_pixel(agb, elevation[i] > 2000 ? DOM_TROPICAL_HIGH : low->name, v, &px[2], &px[3]);
            for (std::size_t p = 0; p < 5; ++p) {
                want[p] += px[p] * area[i];
            }
        }
        const auto got = evaluate({&stock, &dstats}, names, c.status, area, v);
        for (std::size_t p = 0; p < names.size(); ++p) {
            expect_close(got[p], want[p], "set " + std::to_string(set) + " pool " + names[p]);
        }
    }
    EXPECT_GT(made_nodata, 0u);
}

TEST(DomUncertainty, PoolsParametersAreTheStockModelsAndFractionsAreNoneWithTheirLine) {
    const PoolsTable table = pools_table();
    const AgbRasterStockModel m(table, {false, 0.47, 0.24});
    std::vector<std::string> errors;
    const DomFractionModel dom(dom_tables(), DomDomainSource::temperate_or_boreal, false, 5, 2, 3,
                               errors, &table);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const auto stock = m.uncertain_parameters();
    const auto params = dom.uncertain_parameters();
    // First c_dead_wood and c_litter of each row, identical to the stock model's.
    ASSERT_GE(params.size(), 8u);
    for (std::size_t r = 0; r < 4; ++r) {
        for (std::size_t k = 0; k < 2; ++k) {
            const UncertainParameter &q = params[2 * r + k];
            const UncertainParameter &s = stock[r * 5 + 2 + k]; // split order: dead_wood, litter
            EXPECT_EQ(q.name, s.name);
            EXPECT_EQ(q.central, s.central);
            EXPECT_EQ(q.unit, s.unit);
            EXPECT_EQ(q.source, s.source);
        }
    }
    EXPECT_TRUE(ends_with(params[2].name, ":c_dead_wood[2]")) << params[2].name;
    EXPECT_EQ(params[2].central, 3.5);
    // The fractions: dom_fractions.csv line 6 (temperate), values read by hand; none.
    const struct {
        const char *column;
        double value;
    } temperate[] = {{"deadwood_fraction_of_agb", 0.08},
                     {"litter_fraction_of_agb", 0.04},
                     {"deadwood_carbon_fraction", 0.47},
                     {"litter_carbon_fraction", 0.37}};
    for (const auto &e : temperate) {
        const std::string name = std::string("dom_fractions.csv:") + e.column + DOM_TEMPERATE;
        const auto it = std::find_if(params.begin(), params.end(),
                                     [&](const UncertainParameter &p) { return p.name == name; });
        ASSERT_NE(it, params.end()) << name;
        EXPECT_EQ(it->central, e.value) << name;
        EXPECT_EQ(it->pdf.kind, Distribution::none) << name;
        EXPECT_EQ(it->unit, "1");
        EXPECT_EQ(it->source.rfind("dom_fractions.csv, line 6 (", 0), 0u) << it->source;
    }
}

TEST(DomUncertainty, WithoutThePoolsTableTheModelDoesNotDescribeItsUncertainty) {
    std::vector<std::string> errors;
    const DomFractionModel dom(dom_tables(), DomDomainSource::temperate_or_boreal, false, 5, 2, 3,
                               errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    EXPECT_FALSE(dom.describes_uncertainty());
    EXPECT_FALSE(DomStage(dom, {"dead_wood", "litter"}).describes_uncertainty());
}

TEST(DomUncertainty, APoolsTableWithoutDeadWoodAndLitterIsRefused) {
    std::vector<std::string> errors;
    const PoolsTable combined = pools_table("lucode,c_above,c_below,c_soil,c_dead\n1,1,2,3,4\n");
    const DomFractionModel dom(dom_tables(), DomDomainSource::temperate_or_boreal, false, 5, 2, 3,
                               errors, &combined);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "the pools table has no c_dead_wood and c_litter columns: give both (dead "
                         "wood and litter of pixels without AGB come from there)");
    EXPECT_FALSE(dom.describes_uncertainty());
}

} // namespace
