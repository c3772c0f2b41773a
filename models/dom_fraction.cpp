// dom.agb_fraction implementation.
#include "models/dom_fraction.hpp"

#include "models/carbon.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace cs::models {

namespace {
const std::string NAME = "dom.agb_fraction";
const char *const DOMAIN_KEYS[] = {"temperate", "boreal", "tropical"}; // dom_fractions.csv keys

std::string number(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}
} // namespace

DomFractionModel::DomFractionModel(const DomTables &tables, DomDomainSource source, bool has_strata,
                                   std::size_t pool_count, int dead_wood_pool, int litter_pool,
                                   std::vector<std::string> &errors)
    : m_table(tables.fractions), m_source(source), m_has_strata(has_strata), m_pools(pool_count),
      m_dead_wood(static_cast<std::size_t>(dead_wood_pool)),
      m_litter(static_cast<std::size_t>(litter_pool)) {
    if (dead_wood_pool < 0 || litter_pool < 0 ||
        static_cast<std::size_t>(dead_wood_pool) >= pool_count ||
        static_cast<std::size_t>(litter_pool) >= pool_count) {
        errors.emplace_back("the stock model has no dead_wood and litter pools");
        return;
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

void DomFractionModel::apply(const DomInputs &in, StockOutputs &out) const {
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
        if (out.status[i] != valid || !std::isfinite(agb)) {
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
