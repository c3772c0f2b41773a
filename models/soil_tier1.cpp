// soil.ipcc_tier1 implementation and the soil-management table.
#include "models/soil_tier1.hpp"

#include "models/carbon.hpp"
#include "models/csv.hpp"
#include "models/model_error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cs::models {

std::vector<SoilClassRule> parse_soil_management(const std::string &text, const std::string &where,
                                                 std::vector<std::string> &errors) {
    std::vector<SoilClassRule> out;
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return out;
    }
    const int c_code = csv.column("lucode");
    const int c_mode = csv.column("mode");
    if (c_code < 0 || c_mode < 0) {
        errors.push_back(where + ", line " + std::to_string(csv.header_line) +
                         ": required columns are lucode, mode (factors, reference or table), "
                         "land_use, lu_level, mg_level, i_level");
        return out;
    }
    const int c_lu = csv.column("land_use");
    const int c_l1 = csv.column("lu_level");
    const int c_l2 = csv.column("mg_level");
    const int c_l3 = csv.column("i_level");
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        auto cell = [&](int c) { return row.cell(c); };
        SoilClassRule r;
        r.line = row.line;
        double code = 0;
        if (!parse_number(cell(c_code), code) || code != std::floor(code)) {
            errors.push_back(at + ": lucode \"" + cell(c_code) + "\" is not an integer");
            continue;
        }
        r.lucode = static_cast<int32_t>(code);
        const std::string mode = cell(c_mode);
        if (mode == "factors") {
            r.mode = SoilClassRule::Mode::factors;
            r.land_use = cell(c_lu);
            r.lu_level = cell(c_l1);
            r.mg_level = cell(c_l2);
            r.i_level = cell(c_l3);
            if (r.land_use.empty() || r.lu_level.empty() || r.mg_level.empty() ||
                r.i_level.empty()) {
                errors.push_back(at + ": lucode " + std::to_string(r.lucode) +
                                 ": mode factors needs land_use, lu_level, mg_level and i_level");
                continue;
            }
        } else if (mode == "reference") {
            r.mode = SoilClassRule::Mode::reference;
        } else if (mode == "table") {
            r.mode = SoilClassRule::Mode::table;
        } else {
            errors.push_back(at + ": lucode " + std::to_string(r.lucode) + ": mode \"" + mode +
                             "\" is not one of factors, reference, table");
            continue;
        }
        out.push_back(r);
    }
    return out;
}

SoilTier1Model::SoilTier1Model(std::shared_ptr<const SoilTables> tables,
                               const std::vector<int32_t> &class_codes,
                               const std::vector<double> &table_soil_mg_c_per_ha,
                               const std::vector<SoilClassRule> &rules,
                               const std::map<int32_t, std::string> &soil_types,
                               double transition_years, std::vector<std::string> &errors)
    : m_years(transition_years) {
    const SoilTables &t = *tables;
    if (!(transition_years > 0.0)) {
        errors.push_back("transition_years must be > 0");
        return;
    }
    if (t.zones.rows.empty()) {
        errors.push_back("the climate-zone code table is empty");
        return;
    }
    m_zone_min = t.zones.rows.front().code;
    m_zones = static_cast<std::size_t>(t.zones.rows.back().code - m_zone_min + 1);
    for (const auto &[code, key] : soil_types) {
        m_soil_codes.push_back(code);
        bool known = false;
        for (const auto &r : t.soc_ref.rows) {
            known = known || r.soil_type == key;
        }
        if (!known) {
            errors.push_back("soil_types: code " + std::to_string(code) + ": soil type \"" + key +
                             "\" is not in ipcc2019_soc_ref.csv (hac, lac, sandy, spodic, "
                             "volcanic, wetland)");
        }
    }
    m_soils = m_soil_codes.size();
    if (m_soils == 0) {
        errors.push_back("soil_types is empty: map each soil raster code to a soil type");
        return;
    }
    m_classes = class_codes.size();
    // One rule per class.
    std::vector<const SoilClassRule *> rule_of(m_classes, nullptr);
    std::string missing;
    for (std::size_t c = 0; c < m_classes; ++c) {
        for (const auto &r : rules) {
            if (r.lucode == class_codes[c]) {
                rule_of[c] = &r;
            }
        }
        if (rule_of[c] == nullptr) {
            missing += (missing.empty() ? "" : ", ") + std::to_string(class_codes[c]);
        }
    }
    if (!missing.empty()) {
        errors.push_back("no soil rule for land-cover class " + missing +
                         " (every class of the pools table needs one)");
        return;
    }
    m_needs_strata.assign(m_classes, 1);
    m_eq.assign(m_zones * m_soils * m_classes, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t c = 0; c < m_classes; ++c) {
        const SoilClassRule &r = *rule_of[c];
        if (r.mode == SoilClassRule::Mode::table) {
            m_needs_strata[c] = 0;
        }
        if (r.mode == SoilClassRule::Mode::factors) {
            // The levels must exist for some zone, else the rule is a typo.
            bool lu = false, mg = false, in = false;
            for (const auto &f : t.factors.rows) {
                lu =
                    lu || (f.land_use == r.land_use && f.factor == "F_LU" && f.level == r.lu_level);
                mg =
                    mg || (f.land_use == r.land_use && f.factor == "F_MG" && f.level == r.mg_level);
                in = in || (f.land_use == r.land_use && f.factor == "F_I" && f.level == r.i_level);
            }
            if (!lu || !mg || !in) {
                errors.push_back("soil rule of class " + std::to_string(r.lucode) + " (line " +
                                 std::to_string(r.line) + "): " + r.land_use + " levels " +
                                 r.lu_level + "/" + r.mg_level + "/" + r.i_level +
                                 " are not all in ipcc2019_soc_factors.csv");
                continue;
            }
        }
        for (std::size_t z = 0; z < m_zones; ++z) {
            const auto *zone = t.zones.find(m_zone_min + static_cast<int>(z));
            for (std::size_t s = 0; s < m_soils; ++s) {
                double v = std::numeric_limits<double>::quiet_NaN();
                if (r.mode == SoilClassRule::Mode::table) {
                    v = table_soil_mg_c_per_ha[c];
                } else if (zone != nullptr) {
                    const auto *ref =
                        t.soc_ref.find(zone->climate_zone, soil_types.at(m_soil_codes[s]));
                    if (ref != nullptr) {
                        if (r.mode == SoilClassRule::Mode::reference) {
                            v = ref->soc_ref_t_c_per_ha;
                        } else {
                            bool f1 = false, f2 = false, f3 = false;
                            const double lu = t.factors.factor(r.land_use, "F_LU", r.lu_level,
                                                               zone->climate_zone, f1);
                            const double mg = t.factors.factor(r.land_use, "F_MG", r.mg_level,
                                                               zone->climate_zone, f2);
                            const double in = t.factors.factor(r.land_use, "F_I", r.i_level,
                                                               zone->climate_zone, f3);
                            if (f1 && f2 && f3) {
                                v = soc_equilibrium_mg_c_per_ha(ref->soc_ref_t_c_per_ha, lu, mg,
                                                                in);
                            }
                        }
                    }
                }
                m_eq[(z * m_soils + s) * m_classes + c] = v;
            }
        }
    }
}

std::vector<LayerRequest> SoilTier1Model::layers() const {
    return {{"climate_zone", "class", false, true}, {"soil_type", "class", false, true}};
}

void SoilTier1Model::apply(std::size_t n, const std::vector<int> &years,
                           const int32_t *const *class_row, uint8_t *const *status,
                           const double *zone, const uint8_t *zone_ok, const double *soil_code,
                           const uint8_t *soil_ok, double *const *soil) const {
    const auto valid = static_cast<uint8_t>(PixelStatus::valid);
    const std::size_t epochs = years.size();
    for (std::size_t i = 0; i < n; ++i) {
        // Strata indices (static over epochs).
        std::size_t zi = m_zones;
        std::size_t si = m_soils;
        if (zone_ok[i] && soil_ok[i]) {
            const double z = zone[i] - m_zone_min;
            if (z >= 0 && z < static_cast<double>(m_zones) && z == std::floor(z)) {
                zi = static_cast<std::size_t>(z);
            }
            const auto it = std::lower_bound(m_soil_codes.begin(), m_soil_codes.end(),
                                             static_cast<int32_t>(soil_code[i]));
            if (it != m_soil_codes.end() && *it == soil_code[i]) {
                si = static_cast<std::size_t>(it - m_soil_codes.begin());
            }
        }
        // The linear transition state of this pixel.
        bool have = false;
        double start = 0, target = 0, soc_prev = 0;
        double change_year = 0, prev_year = 0;
        for (std::size_t e = 0; e < epochs; ++e) {
            if (status[e][i] != valid) {
                soil[e][i] = 0.0;
                have = false; // land use unknown in this epoch: restart from equilibrium
                continue;
            }
            const auto c = static_cast<std::size_t>(class_row[e][i]);
            double q = std::numeric_limits<double>::quiet_NaN();
            if (!m_needs_strata[c]) {
                q = m_eq[c]; // table mode: the same value for every stratum (index 0, 0)
            } else if (!zone_ok[i] || !soil_ok[i]) {
                status[e][i] = static_cast<uint8_t>(PixelStatus::nodata);
            } else if (zi < m_zones && si < m_soils) {
                q = eq(zi, si, c);
            }
            if (std::isnan(q)) {
                if (status[e][i] == valid) {
                    status[e][i] = static_cast<uint8_t>(PixelStatus::missing_parameter);
                }
                soil[e][i] = 0.0;
                have = false;
                continue;
            }
            const double year = years[e];
            double soc = q;
            if (!have) {
                start = target = q; // first known epoch: equilibrium
                change_year = year;
                have = true;
            } else {
                if (q != target) { // land use or management changed since the earlier epoch
                    start = soc_prev;
                    target = q;
                    change_year = prev_year;
                }
                soc = soc_after_change_mg_c_per_ha(start, target, year - change_year, m_years);
            }
            soil[e][i] = soc;
            soc_prev = soc;
            prev_year = year;
        }
    }
}

} // namespace cs::models
