// flux.gain_loss implementation and the growth table.
#include "models/gain_loss.hpp"

#include "models/carbon.hpp"
#include "models/csv.hpp"
#include "models/model_error.hpp"
#include "models/units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
        t.table_file = parameter_file_name(where);
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
    build_uncertainty();
}

GainLossModel::GainLossModel(std::shared_ptr<const InventoryTables> tables,
                             std::vector<ForestType> types, std::vector<uint8_t> is_forest_class,
                             const std::string &forest_types_where)
    : m_growth(Growth::volume_increment), m_tables(std::move(tables)),
      m_inventory(std::move(types)), m_is_forest(std::move(is_forest_class)),
      m_forest_types_file(forest_types_where.empty() ? std::string("models.stocks.forest_types")
                                                     : parameter_file_name(forest_types_where)) {
    m_type_index.build(codes_of(m_inventory, "forest-types table"), "flux.gain_loss");
    build_uncertainty();
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
    m_has_losses = true;
    build_uncertainty();
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
    if (in.stats != nullptr) {
        fill_statistics(in, out);
    }
}

// ---- Uncertainty (see the class comment in gain_loss.hpp) -----------------------------------

namespace {

constexpr std::size_t GROWTH_PAIRS = 4; ///< tier1: r0, r20, K20, Kmax
constexpr std::size_t PAIR_REMOVALS = 4;
constexpr std::size_t PAIR_FUELWOOD_TREES = 5;
constexpr std::size_t PAIR_FUELWOOD_PARTS = 6;
constexpr std::size_t PAIR_DISTURBANCE = 7;
constexpr std::size_t LOSS_PAIRS = 4;
// GainLossParts order (stages.hpp GAIN_LOSS_PART_NAMES)
constexpr uint8_t PART_GROWTH = 0, PART_REMOVALS = 1, PART_FUELWOOD = 2, PART_DISTURBANCE = 3,
                  PART_CONVERSION = 4;

std::string lower_trimmed(const std::string &s) {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) {
        ++b;
    }
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) {
        --e;
    }
    std::string out = s.substr(b, e - b);
    for (char &c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

/// A class bound as the tables write it: "INF" / "-INF" for infinities, else the shortest
/// decimal that reads back.
std::string bound_text(double x) {
    if (std::isinf(x)) {
        return x > 0 ? "INF" : "-INF";
    }
    char buf[32];
    if (x == std::floor(x) && std::fabs(x) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", x); // the tables' class bounds: 20, not 2e+01
        return buf;
    }
    for (int prec = 1; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (std::strtod(buf, nullptr) == x) {
            break;
        }
    }
    return buf;
}

/// Coefficients of the Tier 1 AGB(t) (carbon.hpp tier1_agb_t_dm_per_ha) in r0, r20, K20, Kmax,
/// with every min() taking the branch it takes at the central values (std::min(a, b) is b
/// only when b < a), so that sum c_p x p equals AGB(t) at the central values.
std::array<double, GROWTH_PAIRS> tier1_agb_coefficients(const Tier1GrowthRow &r, double t) {
    std::array<double, GROWTH_PAIRS> c{};
    if (!(t > 0.0)) {
        return c; // age <= 0: no stand yet
    }
    const double r0 = r.r0_t_dm_per_ha_yr;
    const double year20_cap = std::min(r.k20_t_dm_per_ha, 20.0 * r0);
    const bool cap_is_20r0 = 20.0 * r0 < r.k20_t_dm_per_ha;
    const double first = std::min(year20_cap, t * r0);
    const double agb = first + std::max(0.0, t - 20.0) * r.r20_t_dm_per_ha_yr;
    if (!(agb < r.kmax_t_dm_per_ha)) {
        c[3] = 1.0; // capped at Kmax
        return c;
    }
    if (t * r0 < year20_cap) {
        c[0] = t;
    } else if (cap_is_20r0) {
        c[0] = 20.0;
    } else {
        c[2] = 1.0; // K20
    }
    c[1] = std::max(0.0, t - 20.0);
    return c;
}

} // namespace

Pdf tier1_bounds_pdf(const std::string &label, double central, double low, double high,
                     std::string &why) {
    Pdf pdf;
    pdf.kind = Distribution::none;
    pdf.mean = central;
    const std::string l = lower_trimmed(label);
    if (!(low >= 0.0) || !(high >= low) || std::isinf(high)) {
        why = "no bounds in the row";
        return pdf;
    }
    const bool sd = l == "standard deviation";
    const bool ci = l == "95% confidence interval";
    if (sd || ci) {
        const double below = central - low;
        const double above = high - central;
        // The compilation rounds to about 2 decimals: bounds symmetric to that tolerance.
        if (!(std::fabs(above - below) <= 1e-6 * std::max(1.0, central) + 0.005)) {
            why = "bounds labelled \"" + label + "\" are not symmetric about the value";
            return pdf;
        }
        pdf.kind = Distribution::normal;
        // SD: low/high = value -/+ SD (science.md §2.4); 95 % CI: SD = half-width / 1.96
        // (science.md §7, IPCC 2006 Vol. 1 Ch. 3)
        pdf.sd = sd ? (high - low) / 2.0 : (high - low) / 2.0 / 1.96;
        why =
            sd ? "bounds labelled standard deviation: value -/+ SD (science.md §2.4)"
               : "bounds labelled 95% confidence interval: sd = half-width / 1.96 (science.md §7)";
        return pdf;
    }
    if (l == "range" || l == "range of values") {
        pdf.kind = Distribution::uniform;
        pdf.low = low;
        pdf.high = high;
        why = "bounds labelled \"" + label + "\": uniform over the range (science.md §7.1)";
        return pdf;
    }
    if (l.find("default") != std::string::npos) {
        why = "bounds labelled \"" + label +
              "\" are the compiler's multiply-or-divide-by-1.9 envelope, not a statistic "
              "(science.md §2.4, §7.1)";
    } else if (l.empty()) {
        why = "the bounds have no uncertainty type in the compilation";
    } else {
        why = "the bounds' uncertainty type \"" + label +
              "\" does not say which statistic they are (science.md §7.1)";
    }
    return pdf;
}

void GainLossModel::build_uncertainty() {
    m_params.clear();
    m_key_monomials.clear();
    m_key_part.clear();
    m_type_key.clear();
    std::map<std::string, uint32_t> index;
    // One parameter per name: two forest types on one table row share its parameters.
    auto param = [&](UncertainParameter p) {
        const auto [it, fresh] = index.emplace(p.name, static_cast<uint32_t>(m_params.size()));
        if (fresh) {
            m_params.push_back(std::move(p));
        }
        return it->second;
    };
    auto none = [](std::string name, std::string unit, double central, std::string source,
                   std::string status) {
        UncertainParameter p;
        p.name = std::move(name);
        p.unit = std::move(unit);
        p.central = central;
        p.pdf.kind = Distribution::none;
        p.pdf.mean = central;
        p.source = std::move(source);
        p.status = std::move(status);
        return p;
    };
    auto key = [&](uint8_t part, std::vector<Monomial> monomials) {
        for (auto &m : monomials) {
            std::sort(m.begin(), m.end());
        }
        m_key_monomials.push_back(std::move(monomials));
        m_key_part.push_back(part);
    };
    // The loss keys of a type whose removals use BCEF_R (or a) x [1 + R] x CF and whose
    // fuelwood as parts uses D x CF.
    uint32_t density = 0;
    if (m_has_losses) {
        density = param(none("models.flux.wood_density", "t d.m./m3", m_losses.wood_density,
                             "user: models.flux.wood_density (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.13 D); "
                             "no documented uncertainty",
                             "user"));
    }
    if (m_growth == Growth::tier1) {
        for (const GrowthType &g : m_tier1) {
            m_type_key.push_back(static_cast<uint32_t>(m_key_monomials.size()));
            const Tier1GrowthRow &r = *g.row;
            const std::string row_key =
                "[" + r.ecozone + "," + r.continent + "," + r.forest_type + "]";
            const std::string at = "ipcc_tier1_growth.csv line " + std::to_string(r.line);
            struct Col {
                const char *name;
                const char *unit;
                double c, l, h;
                const std::string *label;
            };
            const Col cols[GROWTH_PAIRS] = {
                {"r0_t_dm_per_ha_yr", "t d.m./ha/yr", r.r0_t_dm_per_ha_yr, r.r0_low, r.r0_high,
                 &r.rate_uncertainty_type},
                {"r20_t_dm_per_ha_yr", "t d.m./ha/yr", r.r20_t_dm_per_ha_yr, r.r20_low, r.r20_high,
                 &r.rate_uncertainty_type},
                {"k20_t_dm_per_ha", "t d.m./ha", r.k20_t_dm_per_ha, r.k20_low, r.k20_high,
                 &r.cap_uncertainty_type},
                {"kmax_t_dm_per_ha", "t d.m./ha", r.kmax_t_dm_per_ha, r.kmax_low, r.kmax_high,
                 &r.cap_uncertainty_type}};
            uint32_t growth[GROWTH_PAIRS];
            for (std::size_t p = 0; p < GROWTH_PAIRS; ++p) {
                UncertainParameter q;
                q.name = std::string("ipcc_tier1_growth.csv:") + cols[p].name + row_key;
                q.unit = cols[p].unit;
                q.central = cols[p].c;
                std::string why;
                q.pdf = is_unverified(r.status) ? Pdf{Distribution::none, cols[p].c, 0, 0, 0, 0}
                                                : tier1_bounds_pdf(*cols[p].label, cols[p].c,
                                                                   cols[p].l, cols[p].h, why);
                if (is_unverified(r.status)) {
                    why = "the row is unverified (status " + r.status + ")";
                }
                q.source = at + " (" + r.source + "); uncertainty: " + why;
                q.status = r.status;
                growth[p] = param(std::move(q));
            }
            const std::string rs_why = " (IPCC 2019 Table 4.4 as compiled; the table gives no "
                                       "uncertainty and the R ranges are [U], science.md §2.2, "
                                       "§7.1)";
            const uint32_t rs[2] = {param(none("ipcc_tier1_growth.csv:rs_young" + row_key, "1",
                                               r.rs_young, at + rs_why, r.rs_status)),
                                    param(none("ipcc_tier1_growth.csv:rs_old" + row_key, "1",
                                               r.rs_old, at + rs_why, r.rs_status))};
            const uint32_t cf =
                param(none(g.table_file + ":carbon_fraction[" + std::to_string(g.code) + "]", "1",
                           g.carbon_fraction,
                           g.table_file + " line " + std::to_string(g.line) +
                               " (the user's growth table gives no uncertainty; science.md §7.1)",
                           g.status));
            // keys (p x 2 + R class): G_W part p x (1 + R) x CF
            for (std::size_t p = 0; p < GROWTH_PAIRS; ++p) {
                for (uint32_t rc : rs) {
                    key(PART_GROWTH, {{growth[p], cf}, {growth[p], rc, cf}});
                }
            }
        }
    } else {
        const std::string bcef_why = " (IPCC 2006 Vol. 4 Ch. 4 Table 4.5; its ranges are [U], "
                                     "science.md §2.3, §7.1)";
        const std::string rs_why = " (IPCC 2006 Vol. 4 Ch. 4 Table 4.4; its ranges are [U], "
                                   "science.md §2.2, §7.1)";
        const std::string cbef_why = " (Fang et al. B = aV + b: n and R² only, no parameter "
                                     "SEs, science.md §4, §7.1)";
        for (const ForestType &ft : m_inventory) {
            m_type_key.push_back(static_cast<uint32_t>(m_key_monomials.size()));
            if (ft.method == ForestType::Method::china_cbef) {
                const CbefRow &c = *ft.cbef;
                const std::string at = "china_cbef.csv line " + std::to_string(c.line);
                const uint32_t a = param(none("china_cbef.csv:a_t_per_m3[" + c.forest_type + "]",
                                              "t d.m./m3", c.a_t_per_m3, at + cbef_why, c.status));
                const uint32_t cf =
                    param(none("china_cbef.csv:carbon_fraction[" + c.forest_type + "]", "1",
                               c.carbon_fraction, at + cbef_why, c.status));
                key(PART_GROWTH, {{a, cf}});
                if (m_has_losses) {
                    key(PART_REMOVALS, {{a, cf}});
                    key(PART_FUELWOOD, {{a, cf}});
                    key(PART_FUELWOOD, {{density, cf}});
                }
                continue;
            }
            const uint32_t cf = param(
                none(m_forest_types_file + ":carbon_fraction[" + std::to_string(ft.code) + "]", "1",
                     ft.carbon_fraction,
                     m_forest_types_file + " line " + std::to_string(ft.line) +
                         " (the user's forest types give no uncertainty; science.md §7.1)",
                     ft.status));
            const ClassGroup &bg = m_tables->bcef.groups[static_cast<std::size_t>(ft.bcef_group)];
            const ClassGroup &rg =
                m_tables->root_shoot.groups[static_cast<std::size_t>(ft.root_shoot_group)];
            std::vector<uint32_t> bi, br, rr;
            for (std::size_t b = bg.begin; b < bg.end; ++b) {
                const BcefRow &row = m_tables->bcef.rows[b];
                const std::string rk = "[" + row.climate_domain + "," + row.forest_type + "," +
                                       bound_text(row.gs_lower_m3_per_ha) + "," +
                                       bound_text(row.gs_upper_m3_per_ha) + "]";
                const std::string at = "ipcc_bcef.csv line " + std::to_string(row.line);
                bi.push_back(param(none("ipcc_bcef.csv:bcef_i" + rk, "t d.m./m3", row.bcef_i,
                                        at + bcef_why, row.status)));
                if (m_has_losses) { // BCEF_R only converts removed volumes
                    br.push_back(param(none("ipcc_bcef.csv:bcef_r" + rk, "t d.m./m3", row.bcef_r,
                                            at + bcef_why, row.status)));
                }
            }
            for (std::size_t q = rg.begin; q < rg.end; ++q) {
                const RootShootRow &row = m_tables->root_shoot.rows[q];
                const std::string rk = "[" + row.climate_zone + "," + row.forest_type + "," +
                                       bound_text(row.agb_lower_t_per_ha) + "," +
                                       bound_text(row.agb_upper_t_per_ha) + "]";
                rr.push_back(param(none(
                    "ipcc_root_shoot.csv:ratio" + rk, "1", row.ratio,
                    "ipcc_root_shoot.csv line " + std::to_string(row.line) + rs_why, row.status)));
            }
            // growth (bcef class x R class), removals, fuelwood as trees, fuelwood as parts
            for (uint32_t b : bi) {
                for (uint32_t r : rr) {
                    key(PART_GROWTH, {{b, cf}, {b, r, cf}});
                }
            }
            if (!m_has_losses) {
                continue;
            }
            for (uint8_t part : {PART_REMOVALS, PART_FUELWOOD}) {
                for (uint32_t b : br) {
                    for (uint32_t r : rr) {
                        key(part, {{b, cf}, {b, r, cf}});
                    }
                }
            }
            key(PART_FUELWOOD, {{density, cf}});
        }
    }
    m_disturbance_key = static_cast<uint32_t>(m_key_monomials.size());
    for (const DisturbanceType &d : m_losses.disturbance_types) {
        const uint32_t fd = param(none(
            d.table_file + ":fd[" + std::to_string(d.code) + "]", "1", d.fd,
            (d.source.empty() ? std::string() : d.source + "; ") + d.table_file + " line " +
                std::to_string(d.line) + " (the user's disturbance table gives no uncertainty)",
            d.status));
        key(PART_DISTURBANCE, {{fd}});
    }
    m_conversion_key = static_cast<uint32_t>(m_key_monomials.size());
    key(PART_CONVERSION, {Monomial{}}); // held at the central value: exact
}

std::vector<StatisticDecl> GainLossModel::statistics() const {
    const std::size_t pairs = GROWTH_PAIRS + (m_has_losses ? LOSS_PAIRS : 0);
    std::vector<StatisticDecl> out(m_has_losses ? 2 : 1);
    out[0].name = "gain_loss_change";
    out[0].axis = TimeAxis::period;
    out[0].pairs = pairs;
    for (const auto &monomials : m_key_monomials) {
        std::vector<Term> terms;
        for (const auto &m : monomials) {
            terms.push_back(Term{0, m});
        }
        out[0].keys.push_back(std::move(terms));
    }
    if (m_has_losses) {
        out[1].name = "gain_loss_parts";
        out[1].axis = TimeAxis::period;
        out[1].pairs = pairs;
        for (std::size_t k = 0; k < m_key_monomials.size(); ++k) {
            std::vector<Term> terms;
            for (const auto &m : m_key_monomials[k]) {
                terms.push_back(Term{1u + m_key_part[k], m});
            }
            out[1].keys.push_back(std::move(terms));
        }
    }
    return out;
}

void GainLossModel::fill_statistics(const GainLossPeriod &in, const double *out) const {
    const StatisticRows &st = *in.stats;
    const std::size_t pairs = GROWTH_PAIRS + (m_has_losses ? LOSS_PAIRS : 0);
    const std::size_t stats = m_has_losses ? 2 : 1;
    const bool tier1 = m_growth == Growth::tier1;
    for (std::size_t i = 0; i < in.n; ++i) {
        for (std::size_t s = 0; s < stats; ++s) {
            for (std::size_t j = 0; j < pairs; ++j) {
                st.key[s * st.pairs_max + j][i] = -1;
                st.weight[s * st.pairs_max + j][i] = 0.0;
            }
        }
        if (std::isnan(out[i])) {
            continue;
        }
        // `sign` is that of the term in the change (statistic 0); the parts are >= 0 except
        // the conversion, whose weight is its value in both.
        auto put = [&](std::size_t j, uint32_t k, double w, double sign) {
            st.key[j][i] = static_cast<int32_t>(k);
            st.weight[j][i] = sign * w;
            if (stats == 2) {
                st.key[st.pairs_max + j][i] = static_cast<int32_t>(k);
                st.weight[st.pairs_max + j][i] = w;
            }
        };
        const int32_t c0 = in.class_from[i];
        const int32_t c1 = in.class_to[i];
        if (!m_is_forest[static_cast<std::size_t>(c0)] ||
            !m_is_forest[static_cast<std::size_t>(c1)]) {
            put(0, m_conversion_key, (in.stock_to[i] - in.stock_from[i]) / in.years, 1.0);
            continue;
        }
        const auto t = static_cast<std::size_t>(m_type_index.find(in.forest_type[i]));
        const uint32_t k0 = m_type_key[t];
        // Class indices within the type's BCEF and R groups, at the central values.
        std::size_t nb = 0, nr = 0, bi = 0, ri = 0;
        auto find_classes = [&](double v) {
            const ForestType &ft = m_inventory[t];
            const ClassGroup &bg = m_tables->bcef.groups[static_cast<std::size_t>(ft.bcef_group)];
            const ClassGroup &rg =
                m_tables->root_shoot.groups[static_cast<std::size_t>(ft.root_shoot_group)];
            nb = bg.end - bg.begin;
            nr = rg.end - rg.begin;
            const BcefRow *row = m_tables->bcef.find(ft.bcef_group, v);
            const RootShootRow *rs =
                row == nullptr
                    ? nullptr
                    : m_tables->root_shoot.find(ft.root_shoot_group,
                                                agb_from_volume_t_dm_per_ha(v, row->bcef_s));
            if (rs != nullptr) {
                bi = static_cast<std::size_t>(row - m_tables->bcef.rows.data()) - bg.begin;
                ri = static_cast<std::size_t>(rs - m_tables->root_shoot.rows.data()) - rg.begin;
            }
        };
        const bool cbef = !tier1 && m_inventory[t].method == ForestType::Method::china_cbef;
        if (tier1) {
            const Tier1GrowthRow &r = *m_tier1[t].row;
            const double age = in.driver[i] + in.years_since_first_epoch;
            const auto from = tier1_agb_coefficients(r, age);
            const auto to = tier1_agb_coefficients(r, age + in.years);
            const std::size_t rc = tier1_agb_t_dm_per_ha(r, age) < r.root_shoot_break_t_dm_per_ha
                                       ? 0
                                       : 1; // rs_young, rs_old as tier1_root_shoot_ratio
            for (std::size_t p = 0; p < GROWTH_PAIRS; ++p) {
                const double c = (to[p] - from[p]) / in.years;
                if (c != 0.0) {
                    put(p, k0 + static_cast<uint32_t>(p * 2 + rc), c, 1.0);
                }
            }
        } else if (cbef) {
            put(0, k0, in.driver[i], 1.0);
        } else {
            find_classes(in.volume_from[i]);
            put(0, k0 + static_cast<uint32_t>(bi * nr + ri), in.driver[i], 1.0);
        }
        if (!m_has_losses) {
            continue;
        }
        auto loss_input = [&](const double *v) { return v == nullptr ? 0.0 : v[i]; };
        const double h = loss_input(in.removals);
        const double fg_trees = loss_input(in.fuelwood);
        const double fg_part = loss_input(in.fuelwood_parts);
        const double share = loss_input(in.disturbed);
        // Tier 1 rows have no BCEF_R: a removal volume left the change NaN (skipped above).
        if (!tier1 && (h > 0.0 || fg_trees > 0.0 || fg_part > 0.0)) {
            uint32_t kr = 0, kf = 0, kp = 0;
            if (cbef) {
                kr = k0 + 1;
                kf = k0 + 2;
                kp = k0 + 3;
            } else {
                find_classes(in.volume_from[i]); // computed: the change is not NaN
                const auto cell = static_cast<uint32_t>(bi * nr + ri);
                kr = k0 + static_cast<uint32_t>(nb * nr) + cell;
                kf = k0 + static_cast<uint32_t>(2 * nb * nr) + cell;
                kp = k0 + static_cast<uint32_t>(3 * nb * nr);
            }
            if (h > 0.0) {
                put(PAIR_REMOVALS, kr, h, -1.0);
            }
            if (fg_trees > 0.0) {
                put(PAIR_FUELWOOD_TREES, kf, fg_trees, -1.0);
            }
            if (fg_part > 0.0) {
                put(PAIR_FUELWOOD_PARTS, kp, fg_part, -1.0);
            }
        }
        if (share > 0.0) {
            const int32_t d = m_disturbance_index.find(in.disturbance_type[i]);
            put(PAIR_DISTURBANCE, m_disturbance_key + static_cast<uint32_t>(d),
                share / in.years * in.stock_from[i], -1.0);
        }
    }
}

} // namespace cs::models
