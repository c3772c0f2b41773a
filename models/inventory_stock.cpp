// stocks.inventory implementation and the forest-types table.
#include "models/inventory_stock.hpp"

#include "models/agb_raster_stock.hpp"
#include "models/carbon.hpp"
#include "models/csv.hpp"
#include "models/model_error.hpp"
#include "models/units.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace cs::models {

namespace {
const std::string NAME = "stocks.inventory";

std::string join_keys(const std::set<std::string> &keys) {
    std::string s;
    for (const auto &k : keys) {
        s += (s.empty() ? "" : ", ") + k;
    }
    return s;
}

/// A class bound as the parameter tables write it (INF, -INF, else the shortest decimal).
std::string bound_text(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "INF" : "-INF";
    }
    std::ostringstream s;
    s << v;
    return s.str();
}

// The shipped tables' file names (configs/parameters), the first part of parameter names.
const std::string CBEF_FILE = "china_cbef.csv";
const std::string BCEF_FILE = "ipcc_bcef.csv";
const std::string ROOT_SHOOT_FILE = "ipcc_root_shoot.csv";

/// A parameter with no documented uncertainty (science.md §7.1): Distribution::none.
UncertainParameter undocumented(std::string name, std::string unit, double central,
                                bool non_negative, std::string source, std::string status) {
    UncertainParameter q;
    q.name = std::move(name);
    q.unit = std::move(unit);
    q.central = central;
    q.non_negative = non_negative;
    q.pdf.kind = Distribution::none; // never invented: the user gives one in the config
    q.pdf.mean = central;
    q.source = std::move(source);
    q.status = std::move(status);
    return q;
}

/// The less verified of two statuses (U/PLACEHOLDER beats anything; else keep the first).
std::string worse_status(const std::string &a, const std::string &b) {
    return is_unverified(b) && !is_unverified(a) ? b : a;
}
} // namespace

std::vector<ForestType> parse_forest_types(const std::string &text, const std::string &where,
                                           const InventoryTables &tables,
                                           std::vector<std::string> &errors) {
    std::vector<ForestType> out;
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return out;
    }
    const int c_code = csv.column("code");
    const int c_name = csv.column("name");
    const int c_method = csv.column("method");
    const int c_cbef = csv.column("cbef_forest_type");
    const int c_domain = csv.column("climate_domain");
    const int c_btype = csv.column("bcef_forest_type");
    const int c_zone = csv.column("root_shoot_zone");
    const int c_rtype = csv.column("root_shoot_type");
    const int c_cf = csv.column("carbon_fraction");
    for (const auto &[col, name] : {std::pair{c_code, "code"}, std::pair{c_method, "method"}}) {
        if (col < 0) {
            errors.push_back(where + ", line " + std::to_string(csv.header_line) +
                             ": required column \"" + name + "\" is missing");
        }
    }
    if (c_code < 0 || c_method < 0) {
        return out;
    }
    std::set<std::string> cbef_keys, bcef_keys, rs_keys;
    for (const auto &r : tables.cbef.rows) {
        cbef_keys.insert(r.forest_type);
    }
    for (const auto &g : tables.bcef.groups) {
        bcef_keys.insert(g.key1 + "/" + g.key2);
    }
    for (const auto &g : tables.root_shoot.groups) {
        rs_keys.insert(g.key1 + "/" + g.key2);
    }
    std::map<int32_t, int> seen;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        auto cell = [&](int c) { return row.cell(c); };
        ForestType t;
        t.line = row.line;
        t.file = parameter_file_name(where);
        double code = 0;
        if (!parse_number(cell(c_code), code) || code != std::floor(code) ||
            std::fabs(code) > 2147483647.0) {
            errors.push_back(at + ": code \"" + cell(c_code) + "\" is not an integer");
            continue;
        }
        t.code = static_cast<int32_t>(code);
        if (auto [it, fresh] = seen.emplace(t.code, row.line); !fresh) {
            errors.push_back(at + ": forest type code " + std::to_string(t.code) +
                             " is listed twice (also line " + std::to_string(it->second) + ")");
            continue;
        }
        t.name = cell(c_name);
        const std::string method = cell(c_method);
        const std::string label =
            "forest type " + std::to_string(t.code) + (t.name.empty() ? "" : " (" + t.name + ")");
        if (method == "china_cbef") {
            t.method = ForestType::Method::china_cbef;
            const std::string key = cell(c_cbef);
            t.cbef = tables.cbef.find(key);
            if (t.cbef == nullptr) {
                errors.push_back(
                    at + ": " + label + ": cbef_forest_type \"" + key +
                    "\" is not in china_cbef.csv; valid keys: " + join_keys(cbef_keys));
                continue;
            }
            t.status = t.cbef->status;
            t.description = label + ": china_cbef " + key + " (line " +
                            std::to_string(t.cbef->line) + ", status " + t.cbef->status + ")";
        } else if (method == "ipcc_bcef") {
            t.method = ForestType::Method::ipcc_bcef;
            const std::string domain = cell(c_domain);
            const std::string btype = cell(c_btype);
            const std::string zone = cell(c_zone);
            const std::string rtype = cell(c_rtype);
            t.bcef_group = tables.bcef.group(domain, btype);
            t.root_shoot_group = tables.root_shoot.group(zone, rtype);
            bool ok = true;
            if (t.bcef_group < 0) {
                errors.push_back(at + ": " + label + ": climate_domain/bcef_forest_type \"" +
                                 domain + "/" + btype +
                                 "\" is not in ipcc_bcef.csv; valid: " + join_keys(bcef_keys));
                ok = false;
            }
            if (t.root_shoot_group < 0) {
                errors.push_back(at + ": " + label + ": root_shoot_zone/root_shoot_type \"" + zone +
                                 "/" + rtype +
                                 "\" is not in ipcc_root_shoot.csv; valid: " + join_keys(rs_keys));
                ok = false;
            }
            double cf = 0;
            if (!parse_number(cell(c_cf), cf) || !(cf > 0.0 && cf <= 1.0)) {
                errors.push_back(at + ": " + label + ": carbon_fraction \"" + cell(c_cf) +
                                 "\" is not a number in (0, 1] (IPCC 2006 Vol. 4 Table 4.3)");
                ok = false;
            }
            if (!ok) {
                continue;
            }
            t.carbon_fraction = cf;
            const auto &bg = tables.bcef.groups[static_cast<std::size_t>(t.bcef_group)];
            const auto &rg = tables.root_shoot.groups[static_cast<std::size_t>(t.root_shoot_group)];
            for (std::size_t i = bg.begin; i < bg.end; ++i) {
                t.status = t.status.empty() ? tables.bcef.rows[i].status
                                            : worse_status(t.status, tables.bcef.rows[i].status);
            }
            for (std::size_t i = rg.begin; i < rg.end; ++i) {
                t.status = worse_status(t.status, tables.root_shoot.rows[i].status);
            }
            t.description = label + ": ipcc_bcef " + domain + "/" + btype + ", root:shoot " + zone +
                            "/" + rtype + ", CF " + cell(c_cf) + " (status " + t.status + ")";
        } else {
            errors.push_back(at + ": " + label + ": method \"" + method +
                             "\" is not one of china_cbef, ipcc_bcef");
            continue;
        }
        out.push_back(std::move(t));
    }
    if (csv.rows.empty()) {
        errors.push_back(where + ": the table has no rows");
    }
    std::sort(out.begin(), out.end(),
              [](const ForestType &a, const ForestType &b) { return a.code < b.code; });
    return out;
}

InventoryStockModel::InventoryStockModel(PoolsTable pools,
                                         const std::vector<int32_t> &forest_classes,
                                         std::shared_ptr<const InventoryTables> tables,
                                         std::vector<ForestType> forest_types)
    : m_lookup(std::move(pools)), m_tables(std::move(tables)), m_types(std::move(forest_types)) {
    // above_ground, below_ground, live_biomass_cbef, then the table's other pools in its order.
    const auto &table_pools = m_lookup.pool_names();
    m_pool_names = {table_pools[0], table_pools[1], "live_biomass_cbef"};
    m_pool_names.insert(m_pool_names.end(), table_pools.begin() + 2, table_pools.end());
    m_is_forest_row.assign(m_lookup.class_codes().size(), 0);
    for (int32_t code : forest_classes) {
        const int32_t row = m_lookup.row_of(code);
        if (row < 0) {
            throw ModelError("stocks.inventory: forest class " + std::to_string(code) +
                             " is not in the pools table (its soil and dead organic matter come "
                             "from there)");
        }
        m_is_forest_row[static_cast<std::size_t>(row)] = 1;
    }
    if (m_types.empty()) {
        throw ModelError("stocks.inventory: the forest-types table has no usable rows");
    }
    std::vector<int32_t> codes;
    for (const auto &t : m_types) {
        codes.push_back(t.code);
    }
    m_type_index.build(codes, "stocks.inventory");
    declare_uncertainty();
}

void InventoryStockModel::declare_uncertainty() {
    const InventoryTables &tb = *m_tables;
    const PoolsTable &table = m_lookup.table();
    const std::size_t table_pools = m_lookup.pool_count();
    m_parameters = pools_uncertain_parameters(table); // index row x table_pools + pool
    std::map<std::string, uint32_t> index;
    for (std::size_t q = 0; q < m_parameters.size(); ++q) {
        index.emplace(m_parameters[q].name, static_cast<uint32_t>(q));
    }
    // One parameter per name: forest types sharing a table row share its parameters.
    auto parameter = [&](UncertainParameter q) {
        const auto [it, fresh] = index.emplace(q.name, static_cast<uint32_t>(m_parameters.size()));
        if (fresh) {
            m_parameters.push_back(std::move(q));
        }
        return it->second;
    };
    auto at = [](const std::string &file, const RowProvenance &r) {
        return file + ", line " + std::to_string(r.line) + " (" + r.source + ")";
    };

    // 0: the pools table's densities, per class row; a forest class's live biomass is not.
    StatisticDecl by_class;
    by_class.name = "area_by_class";
    by_class.pairs = 1;
    by_class.keys.resize(table.rows.size());
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        for (std::size_t p = m_is_forest_row[r] ? 2 : 0; p < table_pools; ++p) {
            const auto target = static_cast<uint32_t>(p < 2 ? p : p + 1); // skip live_biomass_cbef
            by_class.keys[r].push_back(
                Term{target, Monomial{static_cast<uint32_t>(r * table_pools + p)}});
        }
    }

    // 1: live biomass of forest pixels, per forest type.
    StatisticDecl biomass;
    biomass.name = "forest_biomass";
    biomass.pairs = 2;
    m_key_base.assign(m_types.size(), -1);
    m_rs_rows.assign(m_types.size(), 0);
    for (std::size_t t = 0; t < m_types.size(); ++t) {
        const ForestType &ft = m_types[t];
        m_key_base[t] = static_cast<int32_t>(biomass.keys.size());
        if (ft.method == ForestType::Method::china_cbef) {
            const CbefRow &c = *ft.cbef;
            const std::string key = "[" + c.forest_type + "]";
            const uint32_t a =
                parameter(undocumented(CBEF_FILE + ":a_t_per_m3" + key, "t d.m./m3", c.a_t_per_m3,
                                       true, at(CBEF_FILE, c), c.status));
            // b: regional fits may have a negative intercept (parameter_tables.hpp).
            const uint32_t b =
                parameter(undocumented(CBEF_FILE + ":b_t_per_ha" + key, "t d.m./ha", c.b_t_per_ha,
                                       false, at(CBEF_FILE, c), c.status));
            const uint32_t cf =
                parameter(undocumented(CBEF_FILE + ":carbon_fraction" + key, "1", c.carbon_fraction,
                                       true, at(CBEF_FILE, c), c.status));
            // (aV + b) x CF = V x {a, CF} + 1 x {b, CF} (Fang et al. 2001; science.md §4).
            biomass.keys.push_back({Term{2, Monomial{a, cf}}});
            biomass.keys.push_back({Term{2, Monomial{b, cf}}});
            continue;
        }
        const ClassGroup &bg = tb.bcef.groups[static_cast<std::size_t>(ft.bcef_group)];
        const ClassGroup &rg = tb.root_shoot.groups[static_cast<std::size_t>(ft.root_shoot_group)];
        m_rs_rows[t] = static_cast<int32_t>(rg.end - rg.begin);
        const uint32_t cf = parameter(undocumented(
            ft.file + ":carbon_fraction[" + std::to_string(ft.code) + "]", "1", ft.carbon_fraction,
            true, ft.file + ", line " + std::to_string(ft.line) + " (the user's forest types)",
            "user"));
        for (std::size_t j = bg.begin; j < bg.end; ++j) {
            const BcefRow &br = tb.bcef.rows[j];
            const uint32_t bcef = parameter(
                undocumented(BCEF_FILE + ":bcef_s[" + br.climate_domain + "," + br.forest_type +
                                 "," + bound_text(br.gs_lower_m3_per_ha) + "," +
                                 bound_text(br.gs_upper_m3_per_ha) + "]",
                             "t d.m./m3", br.bcef_s, true, at(BCEF_FILE, br), br.status));
            for (std::size_t m = rg.begin; m < rg.end; ++m) {
                const RootShootRow &rr = tb.root_shoot.rows[m];
                const uint32_t r = parameter(
                    undocumented(ROOT_SHOOT_FILE + ":ratio[" + rr.climate_zone + "," +
                                     rr.forest_type + "," + bound_text(rr.agb_lower_t_per_ha) +
                                     "," + bound_text(rr.agb_upper_t_per_ha) + "]",
                                 "1", rr.ratio, true, at(ROOT_SHOOT_FILE, rr), rr.status));
                // AGB = V x BCEF_S, BGB = AGB x R (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8), x CF.
                biomass.keys.push_back(
                    {Term{0, Monomial{bcef, cf}}, Term{1, Monomial{bcef, r, cf}}});
            }
        }
    }
    m_statistics = {std::move(by_class), std::move(biomass)};
}

const std::string &InventoryStockModel::name() const { return NAME; }
const std::vector<std::string> &InventoryStockModel::pool_names() const { return m_pool_names; }

std::vector<LayerRequest> InventoryStockModel::layers() const {
    return {{"volume", "m3/ha", true, false, false, "growing-stock volume"},
            {"forest_type", "class", false, true}};
}

void InventoryStockModel::compute(const StockInputs &in, StockOutputs &out) const {
    if (out.stats != nullptr) {
        compute_rows<true>(in, out);
    } else {
        compute_rows<false>(in, out);
    }
}

template <bool Stats>
void InventoryStockModel::compute_rows(const StockInputs &in, StockOutputs &out) const {
    double *const *d = out.pool_density_mg_c_per_ha;
    // Statistic 0 (area_by_class), pair 0; statistic 1 (forest_biomass), pairs 0 and 1.
    const std::size_t slots = Stats ? out.stats->pairs_max : 0;
    int32_t *class_key = Stats ? out.stats->key[0] : nullptr;
    double *class_weight = Stats ? out.stats->weight[0] : nullptr;
    int32_t *bio_key0 = Stats ? out.stats->key[slots] : nullptr;
    double *bio_weight0 = Stats ? out.stats->weight[slots] : nullptr;
    int32_t *bio_key1 = Stats ? out.stats->key[slots + 1] : nullptr;
    double *bio_weight1 = Stats ? out.stats->weight[slots + 1] : nullptr;
    const double *volume = in.layer[0];
    const uint8_t *volume_ok = in.layer_valid[0];
    const double *ftype = in.layer[1];
    const uint8_t *ftype_ok = in.layer_valid[1];
    const InventoryTables &tb = *m_tables;
    const std::size_t table_pools = m_lookup.pool_count();
    const std::size_t pools = m_pool_names.size(); // table_pools + 1 (live_biomass_cbef)
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < in.n; ++i) {
        for (std::size_t p = 0; p < pools; ++p) {
            d[p][i] = 0.0;
        }
        double agb_t_dm = nan;
        int32_t row = -1;
        auto status = PixelStatus::nodata;
        auto method = MethodCode::pools_table;
        int32_t key0 = -1; // forest_biomass keys and weights of the pixel
        int32_t key1 = -1;
        double weight0 = 0.0;
        if (in.valid[i]) {
            row = m_lookup.row_of(in.land_cover[i]);
            status = row < 0 ? PixelStatus::unknown_class : PixelStatus::valid;
        }
        if (status == PixelStatus::valid) {
            const double *dens = m_lookup.row_densities(row);
            for (std::size_t p = 2; p < table_pools; ++p) { // soil and dead matter: the table
                d[p + 1][i] = dens[p];
            }
            if (!m_is_forest_row[static_cast<std::size_t>(row)]) {
                d[0][i] = dens[0];
                d[1][i] = dens[1];
            } else if (!volume_ok[i] && !std::isfinite(volume[i])) {
                status = PixelStatus::invalid_value; // NaN or infinity that is not nodata
            } else if (!volume_ok[i] || !ftype_ok[i]) {
                status = PixelStatus::nodata;
            } else if (volume[i] < 0.0) {
                status = PixelStatus::invalid_value;
            } else if (const int32_t t = m_type_index.find(ftype[i]); t < 0) {
                status = PixelStatus::missing_parameter;
            } else {
                const ForestType &ft = m_types[static_cast<std::size_t>(t)];
                if (ft.method == ForestType::Method::china_cbef) {
                    method = MethodCode::china_cbef;
                    d[2][i] = china_live_biomass_carbon_t_c_per_ha(*ft.cbef, volume[i]);
                    // No stand (V <= 0) or aV + b clamped at 0 (held): no biomass term.
                    if (Stats && volume[i] > 0.0 &&
                        ft.cbef->a_t_per_m3 * volume[i] + ft.cbef->b_t_per_ha >= 0.0) {
                        key0 = m_key_base[static_cast<std::size_t>(t)];
                        key1 = key0 + 1;
                        weight0 = volume[i];
                    }
                } else {
                    method = MethodCode::ipcc_bcef;
                    const IpccLiveBiomass b = ipcc_live_biomass_from_volume(
                        tb.bcef, ft.bcef_group, tb.root_shoot, ft.root_shoot_group, volume[i]);
                    if (!b.found) {
                        status = PixelStatus::missing_parameter;
                    } else {
                        agb_t_dm = b.agb_t_dm_per_ha;
                        d[0][i] = carbon_from_dry_matter(b.agb_t_dm_per_ha, ft.carbon_fraction);
                        d[1][i] = carbon_from_dry_matter(b.bgb_t_dm_per_ha, ft.carbon_fraction);
                        if constexpr (Stats) {
                            // The R class of the central AGB (held); BCEF_S class: by V (data).
                            const auto &bg =
                                tb.bcef.groups[static_cast<std::size_t>(ft.bcef_group)];
                            const auto &rg =
                                tb.root_shoot.groups[static_cast<std::size_t>(ft.root_shoot_group)];
                            const auto j = static_cast<int32_t>(b.bcef - tb.bcef.rows.data()) -
                                           static_cast<int32_t>(bg.begin);
                            const auto m =
                                static_cast<int32_t>(b.root_shoot - tb.root_shoot.rows.data()) -
                                static_cast<int32_t>(rg.begin);
                            key0 = m_key_base[static_cast<std::size_t>(t)] +
                                   j * m_rs_rows[static_cast<std::size_t>(t)] + m;
                            weight0 = volume[i];
                        }
                    }
                }
            }
        }
        if (status != PixelStatus::valid) {
            for (std::size_t p = 0; p < pools; ++p) {
                d[p][i] = 0.0;
            }
            agb_t_dm = nan;
        }
        if (out.agb_t_dm_per_ha != nullptr) {
            out.agb_t_dm_per_ha[i] = agb_t_dm;
        }
        if constexpr (Stats) {
            const bool ok = status == PixelStatus::valid;
            class_key[i] = ok ? row : -1;
            class_weight[i] = ok ? 1.0 : 0.0;
            bio_key0[i] = ok ? key0 : -1;
            bio_weight0[i] = ok && key0 >= 0 ? weight0 : 0.0;
            bio_key1[i] = ok ? key1 : -1;
            bio_weight1[i] = ok && key1 >= 0 ? 1.0 : 0.0;
        }
        out.status[i] = static_cast<uint8_t>(status);
        if (out.class_index != nullptr) {
            out.class_index[i] = status == PixelStatus::valid ? row : -1;
        }
        if (out.method_code != nullptr) {
            out.method_code[i] =
                static_cast<uint8_t>(status == PixelStatus::valid ? method : MethodCode::none);
        }
    }
}

std::vector<std::string> InventoryStockModel::unverified_parameters(int32_t class_index) const {
    std::vector<std::string> out = m_lookup.unverified_parameters(class_index);
    if (class_index >= 0 && static_cast<std::size_t>(class_index) < m_is_forest_row.size() &&
        m_is_forest_row[static_cast<std::size_t>(class_index)]) {
        for (const auto &t : m_types) {
            if (is_unverified(t.status)) {
                out.push_back(t.description);
            }
        }
    }
    return out;
}

} // namespace cs::models
