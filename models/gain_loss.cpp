// flux.gain_loss implementation and the growth table.
#include "models/gain_loss.hpp"

#include "models/carbon.hpp"
#include "models/csv.hpp"
#include "models/model_error.hpp"
#include "models/units.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace cs::models {

namespace {
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

/// The codes of `types` (sorted by code), for DenseCodeIndex::build.
template <class T> std::vector<int32_t> codes_of(const std::vector<T> &types, const char *what) {
    if (types.empty()) {
        throw ModelError(std::string("flux.gain_loss: the ") + what + " has no usable rows");
    }
    std::vector<int32_t> codes;
    for (const auto &t : types) {
        codes.push_back(t.code);
    }
    return codes;
}
} // namespace

std::vector<GrowthType> parse_growth_types(const std::string &text, const std::string &where,
                                           const Tier1GrowthTable &table,
                                           std::vector<std::string> &errors) {
    std::vector<GrowthType> out;
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return out;
    }
    const int c_code = csv.column("code");
    const int c_name = csv.column("name");
    const int c_zone = csv.column("ecozone");
    const int c_cont = csv.column("continent");
    const int c_type = csv.column("growth_forest_type");
    const int c_cf = csv.column("carbon_fraction");
    const int c_status = csv.column("status");
    bool columns_ok = true;
    for (const auto &[col, name] :
         {std::pair{c_code, "code"}, std::pair{c_zone, "ecozone"}, std::pair{c_cont, "continent"},
          std::pair{c_type, "growth_forest_type"}, std::pair{c_cf, "carbon_fraction"}}) {
        if (col < 0) {
            errors.push_back(where + ", line " + std::to_string(csv.header_line) +
                             ": required column \"" + name +
                             "\" is missing (the header must have code, ecozone, continent, "
                             "growth_forest_type, carbon_fraction)");
            columns_ok = false;
        }
    }
    if (!columns_ok) {
        return out;
    }
    std::map<int32_t, int> seen;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        GrowthType t;
        t.line = row.line;
        double code = 0;
        if (!parse_number(row.cell(c_code), code) || code != std::floor(code) ||
            std::fabs(code) > 2147483647.0) {
            errors.push_back(at + ": code \"" + row.cell(c_code) + "\" is not an integer");
            continue;
        }
        t.code = static_cast<int32_t>(code);
        if (auto [it, fresh] = seen.emplace(t.code, row.line); !fresh) {
            errors.push_back(at + ": forest type code " + std::to_string(t.code) +
                             " is listed twice (also line " + std::to_string(it->second) + ")");
            continue;
        }
        t.name = row.cell(c_name);
        const std::string label =
            "forest type " + std::to_string(t.code) + (t.name.empty() ? "" : " (" + t.name + ")");
        const std::string zone = row.cell(c_zone);
        const std::string cont = row.cell(c_cont);
        const std::string type = row.cell(c_type);
        t.row = table.find(zone, cont, type);
        bool ok = true;
        if (t.row == nullptr) {
            std::set<std::string> valid;
            for (const auto &r : table.rows) {
                if (r.ecozone == zone && r.continent == cont) {
                    valid.insert(r.forest_type);
                }
            }
            std::string list;
            for (const auto &v : valid) {
                list += (list.empty() ? "" : ", ") + v;
            }
            errors.push_back(at + ": " + label + ": ecozone/continent/growth_forest_type \"" +
                             zone + "/" + cont + "/" + type + "\" is not in ipcc_tier1_growth.csv" +
                             (list.empty()
                                  ? " (no row has this ecozone and continent)"
                                  : "; forest types of " + zone + "/" + cont + ": " + list));
            ok = false;
        }
        double cf = 0;
        if (!parse_number(row.cell(c_cf), cf) || !(cf > 0.0 && cf <= 1.0)) {
            errors.push_back(at + ": " + label + ": carbon_fraction \"" + row.cell(c_cf) +
                             "\" is not a number in (0, 1] (IPCC 2006 Vol. 4 Table 4.3)");
            ok = false;
        }
        if (!ok) {
            continue;
        }
        t.carbon_fraction = cf;
        t.status = t.row->status;
        const std::string user_status = row.cell(c_status);
        if (is_unverified(user_status) || is_unverified(t.row->rs_status)) {
            t.status = is_unverified(user_status) ? user_status : t.row->rs_status;
        }
        t.description = label + ": tier1 growth " + zone + "/" + cont + "/" + type +
                        " (ipcc_tier1_growth.csv line " + std::to_string(t.row->line) +
                        ", status " + t.status + "), CF " + row.cell(c_cf);
        out.push_back(std::move(t));
    }
    if (csv.rows.empty()) {
        errors.push_back(where + ": the table has no rows");
    }
    std::sort(out.begin(), out.end(),
              [](const GrowthType &a, const GrowthType &b) { return a.code < b.code; });
    return out;
}

GainLossModel::GainLossModel(std::vector<GrowthType> types, std::vector<uint8_t> is_forest_class)
    : m_growth(Growth::tier1), m_tier1(std::move(types)), m_is_forest(std::move(is_forest_class)) {
    m_type_index.build(codes_of(m_tier1, "growth table"), "flux.gain_loss");
}

GainLossModel::GainLossModel(std::shared_ptr<const InventoryTables> tables,
                             std::vector<ForestType> types, std::vector<uint8_t> is_forest_class)
    : m_growth(Growth::volume_increment), m_tables(std::move(tables)),
      m_inventory(std::move(types)), m_is_forest(std::move(is_forest_class)) {
    m_type_index.build(codes_of(m_inventory, "forest-types table"), "flux.gain_loss");
}

std::vector<int32_t> GainLossModel::type_codes() const {
    std::vector<int32_t> codes;
    if (m_growth == Growth::tier1) {
        for (const auto &t : m_tier1) {
            codes.push_back(t.code);
        }
    } else {
        for (const auto &t : m_inventory) {
            codes.push_back(t.code);
        }
    }
    return codes;
}

std::vector<int32_t> GainLossModel::disturbance_codes() const {
    std::vector<int32_t> codes;
    for (const auto &d : m_losses.disturbance_types) {
        codes.push_back(d.code);
    }
    return codes;
}

std::vector<std::string> GainLossModel::unverified_parameters() const {
    std::vector<std::string> out;
    for (const auto &t : m_tier1) {
        if (is_unverified(t.status)) {
            out.push_back("flux.gain_loss " + t.description);
        }
    }
    for (const auto &t : m_inventory) {
        if (is_unverified(t.status)) {
            out.push_back("flux.gain_loss " + t.description);
        }
    }
    for (const auto &d : m_losses.disturbance_types) {
        if (is_unverified(d.status) || d.status.empty()) {
            out.push_back("flux.gain_loss " + d.description);
        }
    }
    return out;
}

double GainLossModel::tier1_gain(std::size_t t, double age_from, double years) const {
    const GrowthType &g = m_tier1[t];
    const Tier1GrowthRow &r = *g.row;
    // G_W: mean AGB growth of the Tier 1 curve over the period (science.md §2.4)
    const double gw = tier1_agb_growth_t_dm_per_ha_yr(age_from, age_from + years,
                                                      r.r0_t_dm_per_ha_yr, r.r20_t_dm_per_ha_yr,
                                                      r.k20_t_dm_per_ha, r.kmax_t_dm_per_ha);
    // R by the stand's AGB at the start of the period (IPCC 2019 Table 4.4 classes)
    const double ratio = tier1_root_shoot_ratio(
        tier1_agb_t_dm_per_ha(r, age_from), r.root_shoot_break_t_dm_per_ha, r.rs_young, r.rs_old);
    // IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.9, 2.10: dC_G = G_W x (1 + R) x CF
    return carbon_from_dry_matter(total_growth_t_dm_per_ha_yr(gw, ratio), g.carbon_fraction);
}

double GainLossModel::volume_gain(std::size_t t, double volume_from, double increment) const {
    const ForestType &ft = m_inventory[t];
    if (ft.method == ForestType::Method::china_cbef) {
        // B = aV + b (Fang et al. 2001) includes roots: dB/dt = a x I_V, no (1 + R)
        return carbon_from_dry_matter(ft.cbef->a_t_per_m3 * increment, ft.cbef->carbon_fraction);
    }
    const BcefRow *row = m_tables->bcef.find(ft.bcef_group, volume_from);
    if (row == nullptr) {
        return NaN;
    }
    const RootShootRow *rs = m_tables->root_shoot.find(
        ft.root_shoot_group, agb_from_volume_t_dm_per_ha(volume_from, row->bcef_s));
    if (rs == nullptr) {
        return NaN;
    }
    // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.10 (Tier 2): G_W = I_V x BCEF_I; Eq. 2.9: x (1 + R) x CF
    const double gw = growth_from_volume_increment_t_dm_per_ha_yr(increment, row->bcef_i);
    return carbon_from_dry_matter(total_growth_t_dm_per_ha_yr(gw, rs->ratio), ft.carbon_fraction);
}

void GainLossModel::set_losses(LossParameters losses) {
    m_losses = std::move(losses);
    std::vector<int32_t> codes;
    for (const auto &d : m_losses.disturbance_types) {
        codes.push_back(d.code);
    }
    m_disturbance_index.build(codes, "flux.gain_loss disturbance table");
}

bool GainLossModel::removal_factors(std::size_t t, double volume_from, double &bcef_r,
                                    double &root_shoot, double &cf) const {
    if (m_growth != Growth::volume_increment) {
        return false; // Tier 1 growth rows have no BCEF_R
    }
    const ForestType &ft = m_inventory[t];
    if (ft.method == ForestType::Method::china_cbef) {
        // B = aV + b (Fang et al. 2001) includes roots: a removed m3 takes a t d.m. of live
        // biomass, never multiplied by (1 + R) again
        bcef_r = ft.cbef->a_t_per_m3;
        root_shoot = 0.0;
        cf = ft.cbef->carbon_fraction;
        return true;
    }
    if (!(volume_from >= 0.0)) {
        return false;
    }
    // BCEF_R of IPCC 2006 Vol. 4 Ch. 4 Table 4.5 by the growing-stock class of V; R of Table 4.4
    // by the class of AGB = V x BCEF_S, as for the growth
    const BcefRow *row = m_tables->bcef.find(ft.bcef_group, volume_from);
    if (row == nullptr) {
        return false;
    }
    const RootShootRow *rs = m_tables->root_shoot.find(
        ft.root_shoot_group, agb_from_volume_t_dm_per_ha(volume_from, row->bcef_s));
    if (rs == nullptr) {
        return false;
    }
    bcef_r = row->bcef_r;
    root_shoot = rs->ratio;
    cf = ft.carbon_fraction;
    return true;
}

void GainLossModel::pixel_losses(const GainLossPeriod &in, std::size_t i, std::size_t t,
                                 double &removals, double &fuelwood, double &disturbance,
                                 uint8_t &bad) const {
    removals = 0.0;
    fuelwood = 0.0;
    disturbance = 0.0;
    bad = 0;
    // A loss input that is nodata leaves the pixel's change unknown (a data gap); one that is
    // negative or not finite (or a fraction above 1) is an impossible value, flagged as well.
    bool gap = false;
    auto value = [&](const double *v, const uint8_t *ok, double limit, uint8_t flag) {
        if (v == nullptr) {
            return 0.0;
        }
        const double x = v[i];
        if (!ok[i]) {
            gap = true;
        } else if (!(x >= 0.0 && x <= limit)) { // also NaN and infinities
            bad |= flag;
        }
        return x;
    };
    constexpr double ANY = std::numeric_limits<double>::max();
    const double h = value(in.removals, in.removals_ok, ANY, LOSS_BAD_REMOVALS);
    const double fg_trees = value(in.fuelwood, in.fuelwood_ok, ANY, LOSS_BAD_FUELWOOD);
    const double fg_part =
        value(in.fuelwood_parts, in.fuelwood_parts_ok, ANY, LOSS_BAD_FUELWOOD_PARTS);
    const double share = value(in.disturbed, in.disturbed_ok, 1.0, LOSS_BAD_DISTURBED);
    if (gap || bad != 0) {
        removals = NaN;
        return;
    }
    if (h > 0.0 || fg_trees > 0.0 || fg_part > 0.0) {
        double bcef_r = 0.0;
        double r = 0.0;
        double cf = 0.0;
        if (!removal_factors(
                t, in.volume_from != nullptr && in.volume_from_ok[i] ? in.volume_from[i] : NaN,
                bcef_r, r, cf)) {
            removals = NaN;
            return;
        }
        removals = wood_removals_loss_t_c(h, bcef_r, r, cf); // Eq. 2.12
        fuelwood = fuelwood_loss_t_c(fg_trees, fg_part, bcef_r, r, m_losses.wood_density,
                                     cf); // Eq. 2.13
    }
    if (share > 0.0) {
        const int32_t d = in.disturbance_type_ok != nullptr && in.disturbance_type_ok[i]
                              ? m_disturbance_index.find(in.disturbance_type[i])
                              : -1;
        if (d < 0) {
            removals = NaN;
            return;
        }
        // Eq. 2.14: the gain-loss pools at the start of the period are B_W x (1 + R) x CF
        disturbance = disturbance_loss_from_carbon_t_c(
            share / in.years, in.stock_from[i],
            m_losses.disturbance_types[static_cast<std::size_t>(d)].fd);
    }
}

void GainLossModel::period(const GainLossPeriod &in, double *out,
                           const GainLossParts *parts) const {
    const bool tier1 = m_growth == Growth::tier1;
    for (std::size_t i = 0; i < in.n; ++i) {
        double growth = 0.0;
        double removals = 0.0;
        double fuelwood = 0.0;
        double disturbance = 0.0;
        double conversion = 0.0;
        uint8_t bad = 0;
        const int32_t c0 = in.class_from[i];
        const int32_t c1 = in.class_to[i];
        double v = NaN;
        if (c0 < 0 || c1 < 0) {
            v = NaN;
        } else if (!m_is_forest[static_cast<std::size_t>(c0)] ||
                   !m_is_forest[static_cast<std::size_t>(c1)]) {
            // Land converted to or from forest, or non-forest: IPCC 2006 Eqs. 2.15/2.16
            conversion = (in.stock_to[i] - in.stock_from[i]) / in.years;
            v = conversion;
        } else {
            const int32_t t = in.forest_type_ok[i] ? m_type_index.find(in.forest_type[i]) : -1;
            if (t >= 0 && in.driver_ok[i] && in.driver[i] >= 0.0) {
                if (tier1) {
                    growth = tier1_gain(static_cast<std::size_t>(t),
                                        in.driver[i] + in.years_since_first_epoch, in.years);
                } else if (in.volume_from_ok[i] && in.volume_from[i] >= 0.0) {
                    growth =
                        volume_gain(static_cast<std::size_t>(t), in.volume_from[i], in.driver[i]);
                } else {
                    growth = NaN;
                }
                pixel_losses(in, i, static_cast<std::size_t>(t), removals, fuelwood, disturbance,
                             bad);
                // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.7: ΔC_B = ΔC_G - ΔC_L (Eq. 2.11)
                v = growth - total_loss_t_c(removals, fuelwood, disturbance);
            }
        }
        out[i] = v;
        if (parts != nullptr) {
            const bool ok = !std::isnan(v);
            parts->growth[i] = ok ? growth : 0.0;
            parts->removals[i] = ok ? removals : 0.0;
            parts->fuelwood[i] = ok ? fuelwood : 0.0;
            parts->disturbance[i] = ok ? disturbance : 0.0;
            parts->conversion[i] = ok ? conversion : 0.0;
            if (parts->bad_input != nullptr) {
                parts->bad_input[i] = bad;
            }
        }
    }
}

} // namespace cs::models
