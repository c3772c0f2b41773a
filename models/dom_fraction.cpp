// dom.agb_fraction implementation.
#include "models/dom_fraction.hpp"

#include "models/agb_raster_stock.hpp"
#include "models/carbon.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace cs::models {

namespace {
const std::string NAME = "dom.agb_fraction";
const std::string DOM_FILE = "dom_fractions.csv"; // the shipped table (configs/parameters)
const char *const DOMAIN_KEYS[] = {"temperate", "boreal", "tropical"}; // dom_fractions.csv keys

std::string number(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

/// A class bound as the parameter tables write it (INF, -INF, else as number()).
std::string bound_text(double v) { return std::isinf(v) ? (v > 0 ? "INF" : "-INF") : number(v); }
} // namespace

DomFractionModel::DomFractionModel(const DomTables &tables, DomDomainSource source, bool has_strata,
                                   std::size_t pool_count, int dead_wood_pool, int litter_pool,
                                   std::vector<std::string> &errors, const PoolsTable *pools_table)
    : m_table(tables.fractions), m_source(source), m_has_strata(has_strata), m_pools(pool_count),
      m_dead_wood(static_cast<std::size_t>(dead_wood_pool)),
      m_litter(static_cast<std::size_t>(litter_pool)) {
    if (dead_wood_pool < 0 || litter_pool < 0 ||
        static_cast<std::size_t>(dead_wood_pool) >= pool_count ||
        static_cast<std::size_t>(litter_pool) >= pool_count) {
        errors.emplace_back("the stock model has no dead_wood and litter pools");
        return;
    }
    if (pools_table != nullptr) {
        const auto &names = pools_table->pool_names();
        const auto dead_wood = std::find(names.begin(), names.end(), "dead_wood");
        const auto litter = std::find(names.begin(), names.end(), "litter");
        if (dead_wood == names.end() || litter == names.end()) {
            errors.emplace_back(
                "the pools table has no c_dead_wood and c_litter columns: give "
                "both (dead wood and litter of pixels without AGB come from there)");
            return;
        }
        for (const PoolsRow &row : pools_table->rows) {
            m_pools_parameters.push_back(pools_uncertain_parameter(
                *pools_table, row, static_cast<std::size_t>(dead_wood - names.begin())));
            m_pools_parameters.push_back(pools_uncertain_parameter(
                *pools_table, row, static_cast<std::size_t>(litter - names.begin())));
        }
        m_has_pools = true;
    }
    const double inf = std::numeric_limits<double>::infinity();
    for (int g = 0; g < DOMAINS; ++g) {
        Group &group = m_groups[g];
        group.begin = m_rows.size();
        for (std::size_t r = 0; r < m_table.rows.size(); ++r) {
            const DomRow &t = m_table.rows[r];
            if (t.climate_domain == DOMAIN_KEYS[g]) {
                m_rows.push_back({t.elevation_lower_m, t.elevation_upper_m,
                                  t.precip_lower_mm_per_yr, t.precip_upper_mm_per_yr,
                                  t.deadwood_fraction_of_agb, t.litter_fraction_of_agb,
                                  t.deadwood_carbon_fraction, t.litter_carbon_fraction, r});
            }
        }
        group.end = m_rows.size();
        const Row *first = group.end > group.begin ? &m_rows[group.begin] : nullptr;
        // One row for every elevation and every (non-negative) precipitation: no strata needed.
        group.uniform = group.end == group.begin + 1 && first->elevation_lower_m == -inf &&
                        first->elevation_upper_m == inf && first->precip_lower_mm_per_yr <= 0.0 &&
                        first->precip_upper_mm_per_yr == inf;
    }
    std::vector<int> needed;
    switch (source) {
    case DomDomainSource::temperate_or_boreal:
        m_fixed_group = TEMPERATE;
        needed.push_back(TEMPERATE);
        break;
    case DomDomainSource::tropical:
        m_fixed_group = TROPICAL;
        needed.push_back(TROPICAL);
        break;
    case DomDomainSource::climate_zone: {
        if (tables.zones.rows.empty()) {
            errors.emplace_back("the climate-zone code table is empty");
            return;
        }
        m_zone_min = tables.zones.rows.front().code;
        m_zone_group.assign(
            static_cast<std::size_t>(tables.zones.rows.back().code - m_zone_min + 1), -1);
        for (const auto &z : tables.zones.rows) {
            const int g = z.climate_zone.rfind("tropical", 0) == 0 ? TROPICAL
                          : z.climate_zone.rfind("boreal", 0) == 0 ? BOREAL
                                                                   : TEMPERATE;
            m_zone_group[static_cast<std::size_t>(z.code - m_zone_min)] = static_cast<int8_t>(g);
            if (std::find(needed.begin(), needed.end(), g) == needed.end()) {
                needed.push_back(g);
            }
        }
        break;
    }
    }
    for (int g : needed) {
        if (m_groups[g].begin == m_groups[g].end) {
            errors.push_back(std::string("dom_fractions.csv has no ") + DOMAIN_KEYS[g] + " rows");
        } else if (source == DomDomainSource::tropical && !m_groups[g].uniform && !has_strata) {
            errors.emplace_back("the tropical fractions depend on elevation and precipitation: "
                                "give both rasters");
        }
    }
}

const std::string &DomFractionModel::name() { return NAME; }

std::vector<LayerRequest> DomFractionModel::layers() const {
    std::vector<LayerRequest> out;
    if (m_source == DomDomainSource::climate_zone) {
        out.push_back({"dom_climate_zone", "class", false, true});
    }
    if (m_has_strata) {
        out.push_back({"elevation", "m", false, false});
        out.push_back({"precipitation", "mm/yr", false, false});
    }
    return out;
}

bool DomFractionModel::zone_needs_strata(double code) const {
    const double k = code - m_zone_min;
    if (!(k >= 0.0) || k >= static_cast<double>(m_zone_group.size()) || k != std::floor(k)) {
        return false;
    }
    const int g = m_zone_group[static_cast<std::size_t>(k)];
    return g >= 0 && !m_groups[g].uniform;
}

std::vector<UncertainParameter> DomFractionModel::uncertain_parameters() const {
    std::vector<UncertainParameter> out = m_pools_parameters;
    const char *columns[] = {"deadwood_fraction_of_agb", "litter_fraction_of_agb",
                             "deadwood_carbon_fraction", "litter_carbon_fraction"};
    for (const Row &c : m_rows) {
        const DomRow &t = m_table.rows[c.table_row];
        const std::string key = "[" + t.climate_domain + "," + bound_text(c.elevation_lower_m) +
                                "," + bound_text(c.elevation_upper_m) + "," +
                                bound_text(c.precip_lower_mm_per_yr) + "," +
                                bound_text(c.precip_upper_mm_per_yr) + "]";
        const double value[] = {c.deadwood_fraction, c.litter_fraction, c.deadwood_cf, c.litter_cf};
        for (int k = 0; k < 4; ++k) {
            UncertainParameter q;
            q.name = DOM_FILE + ":" + columns[k] + key;
            q.unit = "1";
            q.central = value[k];
            q.non_negative = true;
            // No documented uncertainty (science.md §7.1: dead-wood and litter ranges [U]).
            q.pdf.kind = Distribution::none;
            q.pdf.mean = value[k];
            q.source = DOM_FILE + ", line " + std::to_string(t.line) + " (" + t.source + ")";
            q.status = t.status;
            out.push_back(std::move(q));
        }
    }
    return out;
}

std::vector<StatisticDecl> DomFractionModel::statistics() const {
    StatisticDecl decl;
    decl.name = "dom_from_agb";
    decl.pairs = 1;
    const auto dead_wood = static_cast<uint32_t>(m_dead_wood);
    const auto litter = static_cast<uint32_t>(m_litter);
    const std::size_t classes = m_pools_parameters.size() / 2;
    for (std::size_t r = 0; r < classes; ++r) { // pixels without AGB: the pools table's values
        const auto q = static_cast<uint32_t>(2 * r);
        decl.keys.push_back({Term{dead_wood, Monomial{q}}, Term{litter, Monomial{q + 1}}});
    }
    for (std::size_t r = 0; r < m_rows.size(); ++r) {
        // DOM = AGB x fraction x CF (CDM AR-TOOL12 v3.0 pp. 17-18; science.md §2.5)
        const auto q = static_cast<uint32_t>(m_pools_parameters.size() + 4 * r);
        decl.keys.push_back(
            {Term{dead_wood, Monomial{q, q + 2}}, Term{litter, Monomial{q + 1, q + 3}}});
    }
    return {decl};
}

void DomFractionModel::apply(const DomInputs &in, StockOutputs &out) const {
    if (out.stats != nullptr) {
        apply_rows<true>(in, out);
    } else {
        apply_rows<false>(in, out);
    }
}

template <bool Stats>
void DomFractionModel::apply_rows(const DomInputs &in, StockOutputs &out) const {
    // Statistic 0, pair 0 (see statistics()).
    int32_t *stat_key = Stats ? out.stats->key[0] : nullptr;
    double *stat_weight = Stats ? out.stats->weight[0] : nullptr;
    const auto classes = static_cast<int32_t>(m_pools_parameters.size() / 2);
    const auto valid = static_cast<uint8_t>(PixelStatus::valid);
    std::size_t l = 0;
    const double *zone = nullptr;
    const uint8_t *zone_ok = nullptr;
    if (m_source == DomDomainSource::climate_zone) {
        zone = in.layer[l];
        zone_ok = in.layer_valid[l];
        ++l;
    }
    const double *elevation = nullptr;
    const double *precip = nullptr;
    const uint8_t *elevation_ok = nullptr;
    const uint8_t *precip_ok = nullptr;
    if (m_has_strata) {
        elevation = in.layer[l];
        elevation_ok = in.layer_valid[l];
        precip = in.layer[l + 1];
        precip_ok = in.layer_valid[l + 1];
    }
    const auto zones = static_cast<double>(m_zone_group.size());
    double *const *d = out.pool_density_mg_c_per_ha;
    for (std::size_t i = 0; i < in.n; ++i) {
        const double agb = in.agb_t_dm_per_ha[i];
        if constexpr (Stats) {
            stat_key[i] = -1;
            stat_weight[i] = 0.0;
        }
        if (out.status[i] != valid || !std::isfinite(agb)) {
            if constexpr (Stats) {
                // No AGB: the stock model's dead wood and litter stand (the class's densities).
                const int32_t c = out.class_index != nullptr ? out.class_index[i] : -1;
                if (out.status[i] == valid && c >= 0 && c < classes) {
                    stat_key[i] = c;
                    stat_weight[i] = 1.0;
                }
            }
            continue; // invalid, or no AGB: the stock model's pools stand
        }
        auto status = PixelStatus::valid;
        int g = m_fixed_group;
        if (g < 0) {
            const double k = zone[i] - m_zone_min;
            if (!zone_ok[i]) {
                status = PixelStatus::nodata;
            } else if (k >= 0.0 && k < zones && k == std::floor(k)) {
                g = m_zone_group[static_cast<std::size_t>(k)];
            }
            if (status == PixelStatus::valid && g < 0) {
                status = PixelStatus::missing_parameter; // a code not in the zone table
            }
        }
        const Row *row = nullptr;
        if (status == PixelStatus::valid) {
            const Group &group = m_groups[g];
            if (group.uniform) {
                row = &m_rows[group.begin];
            } else if (elevation == nullptr || !elevation_ok[i] || !precip_ok[i]) {
                status = PixelStatus::nodata;
            } else {
                for (std::size_t r = group.begin; r < group.end && row == nullptr; ++r) {
                    const Row &c = m_rows[r];
                    if (in_class(elevation[i], c.elevation_lower_m, c.elevation_upper_m) &&
                        in_class(precip[i], c.precip_lower_mm_per_yr, c.precip_upper_mm_per_yr)) {
                        row = &c;
                    }
                }
                if (row == nullptr) {
                    status = PixelStatus::missing_parameter;
                }
            }
        }
        if (row != nullptr) {
            // CDM AR-TOOL12 v3.0 pp. 17-18: DOM = AGB x fraction x CF (science.md §2.5)
            d[m_dead_wood][i] =
                deadwood_carbon_t_c_per_ha(agb, row->deadwood_fraction, row->deadwood_cf);
            d[m_litter][i] = litter_carbon_t_c_per_ha(agb, row->litter_fraction, row->litter_cf);
            if constexpr (Stats) {
                stat_key[i] = classes + static_cast<int32_t>(row - m_rows.data());
                stat_weight[i] = agb; // held at its central value (see the class comment)
            }
            continue;
        }
        out.status[i] = static_cast<uint8_t>(status);
        for (std::size_t p = 0; p < m_pools; ++p) {
            d[p][i] = 0.0;
        }
        if (out.class_index != nullptr) {
            out.class_index[i] = -1;
        }
        if (out.method_code != nullptr) {
            out.method_code[i] = static_cast<uint8_t>(MethodCode::none);
        }
    }
}

std::vector<std::string> DomFractionModel::rows_used() const {
    std::vector<int> groups;
    if (m_fixed_group >= 0) {
        groups.push_back(m_fixed_group);
    } else {
        for (int g = 0; g < DOMAINS; ++g) {
            if (std::find(m_zone_group.begin(), m_zone_group.end(), g) != m_zone_group.end()) {
                groups.push_back(g);
            }
        }
    }
    std::vector<std::string> out;
    for (int g : groups) {
        for (std::size_t r = m_groups[g].begin; r < m_groups[g].end; ++r) {
            const Row &c = m_rows[r];
            const DomRow &t = m_table.rows[c.table_row];
            out.push_back("dom_fractions.csv line " + std::to_string(t.line) + ": " +
                          t.climate_domain + ", elevation (" + number(c.elevation_lower_m) + ", " +
                          number(c.elevation_upper_m) + "] m, precipitation (" +
                          number(c.precip_lower_mm_per_yr) + ", " +
                          number(c.precip_upper_mm_per_yr) + "] mm/yr: dead wood " +
                          number(c.deadwood_fraction) + " x AGB x CF " + number(c.deadwood_cf) +
                          ", litter " + number(c.litter_fraction) + " x AGB x CF " +
                          number(c.litter_cf) + " (status " + t.status + ")");
        }
    }
    return out;
}

} // namespace cs::models
