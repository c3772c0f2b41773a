// soil.ipcc_tier1 implementation, the soil-management table and the management-code table.
#include "models/soil_tier1.hpp"

#include "models/carbon.hpp"
#include "models/csv.hpp"
#include "models/model_error.hpp"
#include "models/pools_table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

namespace cs::models {

namespace {

// File names of the shipped tables, as messages and the provenance name them.
constexpr const char *ZONES_FILE = "ipcc_climate_zone_codes.csv";
constexpr const char *SOC_REF_FILE = "ipcc2019_soc_ref.csv";
constexpr const char *FACTORS_FILE = "ipcc2019_soc_factors.csv";

std::string join(const std::set<std::string> &values) {
    std::string s;
    for (const auto &v : values) {
        s += (s.empty() ? "" : ", ") + v;
    }
    return s;
}

/// "warm_temperate_moist" -> "warm temperate moist"; "all" -> "all climate zones".
std::string zone_words(const std::string &key) {
    if (key == "all") {
        return "all climate zones";
    }
    std::string s = key;
    std::replace(s.begin(), s.end(), '_', ' ');
    return s;
}

/// An integer cell (in the int32 range); false otherwise.
bool parse_code(const std::string &cell, int32_t &out) {
    double v = 0;
    if (!parse_number(cell, v) || v != std::floor(v) ||
        v < static_cast<double>(std::numeric_limits<int32_t>::min()) ||
        v > static_cast<double>(std::numeric_limits<int32_t>::max())) {
        return false;
    }
    out = static_cast<int32_t>(v);
    return true;
}

} // namespace

bool check_soil_levels(const SocFactorTable &factors, const std::string &land_use,
                       const std::string &lu_level, const std::string &mg_level,
                       const std::string &i_level, const std::string &at,
                       std::vector<std::string> &errors) {
    std::set<std::string> uses;
    for (const auto &f : factors.rows) {
        uses.insert(f.land_use);
    }
    if (uses.count(land_use) == 0) {
        errors.push_back(at + ": land_use \"" + land_use + "\" is not one of " + join(uses));
        return false;
    }
    bool ok = true;
    const std::tuple<const char *, const char *, const std::string *> checks[] = {
        {"lu_level", "F_LU", &lu_level},
        {"mg_level", "F_MG", &mg_level},
        {"i_level", "F_I", &i_level}};
    for (const auto &[column, factor, level] : checks) {
        std::set<std::string> levels;
        for (const auto &f : factors.rows) {
            if (f.land_use == land_use && f.factor == factor) {
                levels.insert(f.level);
            }
        }
        if (levels.count(*level) == 0) {
            errors.push_back(at + ": " + column + " \"" + *level + "\" is not a " + land_use + " " +
                             factor + " level of " + FACTORS_FILE + " (" + join(levels) + ")");
            ok = false;
        }
    }
    return ok;
}

std::vector<SoilClassRule> parse_soil_management(const std::string &text, const std::string &where,
                                                 std::vector<std::string> &errors,
                                                 const SocFactorTable *factors) {
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
                         ": required columns are lucode, mode (factors, reference, table or "
                         "raster), land_use, lu_level, mg_level, i_level");
        return out;
    }
    const int c_lu = csv.column("land_use");
    const int c_l1 = csv.column("lu_level");
    const int c_l2 = csv.column("mg_level");
    const int c_l3 = csv.column("i_level");
    std::map<int32_t, int> line_of_code;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        auto cell = [&](int c) { return row.cell(c); };
        SoilClassRule r;
        r.line = row.line;
        if (!parse_code(cell(c_code), r.lucode)) {
            errors.push_back(at + ": lucode \"" + cell(c_code) + "\" is not an integer");
            continue;
        }
        if (const auto [pos, fresh] = line_of_code.emplace(r.lucode, row.line); !fresh) {
            errors.push_back(at + ": lucode " + std::to_string(r.lucode) +
                             " is listed twice (also line " + std::to_string(pos->second) + ")");
            continue;
        }
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
            if (factors != nullptr) {
                // Kept even when wrong, so the class does not also look like it has no rule.
                check_soil_levels(*factors, r.land_use, r.lu_level, r.mg_level, r.i_level,
                                  at + ": lucode " + std::to_string(r.lucode), errors);
            }
        } else if (mode == "reference") {
            r.mode = SoilClassRule::Mode::reference;
        } else if (mode == "table") {
            r.mode = SoilClassRule::Mode::table;
        } else if (mode == "raster") {
            r.mode = SoilClassRule::Mode::raster;
        } else {
            errors.push_back(at + ": lucode " + std::to_string(r.lucode) + ": mode \"" + mode +
                             "\" is not one of factors, reference, table, raster");
            continue;
        }
        out.push_back(r);
    }
    return out;
}

const SoilManagementCode *SoilManagementCodes::find(int32_t code) const noexcept {
    const auto it =
        std::lower_bound(codes.begin(), codes.end(), code,
                         [](const SoilManagementCode &c, int32_t value) { return c.code < value; });
    return it != codes.end() && it->code == code ? &*it : nullptr;
}

SoilManagementCodes parse_soil_management_codes(const std::string &text, const std::string &where,
                                                std::vector<std::string> &errors,
                                                const SocFactorTable *factors) {
    SoilManagementCodes out;
    out.where = where;
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return out;
    }
    const char *names[] = {"code",    "land_use", "lu_level", "mg_level",
                           "i_level", "source",   "status"};
    int col[7];
    std::string missing;
    int n_missing = 0;
    for (int k = 0; k < 7; ++k) {
        col[k] = csv.column(names[k]);
        if (col[k] < 0) {
            missing += (missing.empty() ? "" : ", ") + std::string(names[k]);
            ++n_missing;
        }
    }
    if (!missing.empty()) {
        errors.push_back(where + ", line " + std::to_string(csv.header_line) + ": missing column" +
                         (n_missing == 1 ? " " : "s ") + missing +
                         " (the columns are code, land_use, lu_level, mg_level, i_level, source, "
                         "status)");
        return out;
    }
    std::map<int32_t, int> line_of;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        SoilManagementCode m;
        m.line = row.line;
        if (!parse_code(row.cell(col[0]), m.code)) {
            errors.push_back(at + ": code \"" + row.cell(col[0]) + "\" is not an integer");
            continue;
        }
        const std::string what = "code " + std::to_string(m.code);
        m.land_use = row.cell(col[1]);
        m.lu_level = row.cell(col[2]);
        m.mg_level = row.cell(col[3]);
        m.i_level = row.cell(col[4]);
        m.source = row.cell(col[5]);
        m.status = row.cell(col[6]);
        if (m.land_use.empty() || m.lu_level.empty() || m.mg_level.empty() || m.i_level.empty()) {
            errors.push_back(at + ": " + what +
                             ": land_use, lu_level, mg_level and i_level are all required");
            continue;
        }
        if (factors != nullptr && !check_soil_levels(*factors, m.land_use, m.lu_level, m.mg_level,
                                                     m.i_level, at + ": " + what, errors)) {
            continue;
        }
        const auto [it, fresh] = line_of.emplace(m.code, m.line);
        if (!fresh) {
            errors.push_back(at + ": " + what + " is listed twice (also line " +
                             std::to_string(it->second) + ")");
            continue;
        }
        out.codes.push_back(std::move(m));
    }
    std::sort(
        out.codes.begin(), out.codes.end(),
        [](const SoilManagementCode &a, const SoilManagementCode &b) { return a.code < b.code; });
    return out;
}

SoilTier1Model::SoilTier1Model(std::shared_ptr<const SoilTables> tables,
                               const std::vector<int32_t> &class_codes,
                               const std::vector<double> &table_soil_mg_c_per_ha,
                               const std::vector<SoilClassRule> &rules,
                               const SoilManagementCodes &management,
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
    std::string raster_classes;
    for (std::size_t c = 0; c < m_classes; ++c) {
        for (const auto &r : rules) {
            if (r.lucode == class_codes[c]) {
                rule_of[c] = &r;
            }
        }
        if (rule_of[c] == nullptr) {
            missing += (missing.empty() ? "" : ", ") + std::to_string(class_codes[c]);
        } else if (rule_of[c]->mode == SoilClassRule::Mode::raster) {
            raster_classes += (raster_classes.empty() ? "" : ", ") +
                              std::to_string(class_codes[c]) + " (line " +
                              std::to_string(rule_of[c]->line) + ")";
        }
    }
    if (!missing.empty()) {
        errors.push_back("no soil rule for land-cover class " + missing +
                         " (every class of the pools table needs one)");
        return;
    }
    // Management codes: only when a class reads them.
    if (!raster_classes.empty()) {
        if (management.codes.empty()) {
            errors.push_back("soil rule of class " + raster_classes +
                             ": mode raster needs a management raster and its code table "
                             "(models.soil.management_raster, management_codes)");
            return;
        }
        bool ok = true;
        for (const auto &m : management.codes) {
            if (!m_mg_codes.empty() && m.code <= m_mg_codes.back()) {
                errors.push_back(management.where + ", line " + std::to_string(m.line) + ": code " +
                                 std::to_string(m.code) + " is listed twice or out of order");
                ok = false;
            }
            ok = check_soil_levels(t.factors, m.land_use, m.lu_level, m.mg_level, m.i_level,
                                   management.where + ", line " + std::to_string(m.line) +
                                       ": code " + std::to_string(m.code),
                                   errors) &&
                 ok;
            m_mg_codes.push_back(m.code);
        }
        if (!ok) {
            return;
        }
    }
    m_codes = m_mg_codes.size();
    m_columns = m_classes + m_codes;
    m_kind.assign(m_classes, 1);

    // Unverified rows used by each cell, keyed by (table, line) so the report is in table and
    // line order: 0 zone codes, 1 SOC_REF, 2 factors, 3 management codes.
    using RowKey = std::pair<int, int>;
    std::map<RowKey, std::string> unverified;
    std::vector<std::vector<RowKey>> cell_keys(m_zones * m_soils * m_columns);
    // SOC_eq of (zone, soil) with optional factors; NaN when a value is missing. Unverified
    // rows of a finite result are added to `keys`.
    auto equilibrium = [&](const ClimateZoneCodeRow &zone, const std::string &soil,
                           const std::string *land_use, const std::string *levels,
                           std::vector<RowKey> &keys) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const SocRefRow *ref = t.soc_ref.find(zone.climate_zone, soil);
        if (ref == nullptr) {
            return nan;
        }
        if (is_unverified_status(zone.status)) {
            keys.emplace_back(0, zone.line);
            unverified[keys.back()] = std::string(ZONES_FILE) + " line " +
                                      std::to_string(zone.line) + ": code " +
                                      std::to_string(zone.code) + " (" +
                                      zone_words(zone.climate_zone) + "): status " + zone.status;
        }
        if (is_unverified_status(ref->status)) {
            keys.emplace_back(1, ref->line);
            unverified[keys.back()] = std::string(SOC_REF_FILE) + " line " +
                                      std::to_string(ref->line) + ": SOC_REF " + soil + " (" +
                                      zone_words(zone.climate_zone) + "): status " + ref->status;
        }
        if (land_use == nullptr) {
            return ref->soc_ref_t_c_per_ha;
        }
        const char *names[] = {"F_LU", "F_MG", "F_I"};
        double f[3] = {0, 0, 0};
        for (int k = 0; k < 3; ++k) {
            const SocFactorRow *row =
                t.factors.find(*land_use, names[k], levels[k], zone.climate_zone);
            if (row == nullptr) {
                return nan;
            }
            f[k] = row->value;
            if (is_unverified_status(row->status)) {
                keys.emplace_back(2, row->line);
                unverified[keys.back()] =
                    std::string(FACTORS_FILE) + " line " + std::to_string(row->line) + ": " +
                    *land_use + " " + names[k] + " " + levels[k] + " (" +
                    zone_words(row->climate_zone) + "): status " + row->status;
            }
        }
        return soc_equilibrium_mg_c_per_ha(ref->soc_ref_t_c_per_ha, f[0], f[1], f[2]);
    };

    m_eq.assign(m_zones * m_soils * m_columns, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t col = 0; col < m_columns; ++col) {
        const SoilClassRule *r = col < m_classes ? rule_of[col] : nullptr;
        const SoilManagementCode *code =
            col < m_classes ? nullptr : &management.codes[col - m_classes];
        if (r != nullptr && r->mode == SoilClassRule::Mode::table) {
            m_kind[col] = 0;
        }
        if (r != nullptr && r->mode == SoilClassRule::Mode::raster) {
            m_kind[col] = 2;
            continue; // its pixels use the code columns
        }
        if (r != nullptr && r->mode == SoilClassRule::Mode::factors &&
            !check_soil_levels(t.factors, r->land_use, r->lu_level, r->mg_level, r->i_level,
                               "soil rule of class " + std::to_string(r->lucode) + " (line " +
                                   std::to_string(r->line) + ")",
                               errors)) {
            continue;
        }
        for (std::size_t z = 0; z < m_zones; ++z) {
            const auto *zone = t.zones.find(m_zone_min + static_cast<int>(z));
            for (std::size_t s = 0; s < m_soils; ++s) {
                const std::size_t k = cell(z, s, col);
                double v = std::numeric_limits<double>::quiet_NaN();
                std::vector<RowKey> keys;
                if (r != nullptr && r->mode == SoilClassRule::Mode::table) {
                    v = table_soil_mg_c_per_ha[col];
                } else if (zone != nullptr) {
                    const std::string &soil = soil_types.at(m_soil_codes[s]);
                    if (r != nullptr && r->mode == SoilClassRule::Mode::reference) {
                        v = equilibrium(*zone, soil, nullptr, nullptr, keys);
                    } else if (r != nullptr) {
                        const std::string levels[3] = {r->lu_level, r->mg_level, r->i_level};
                        v = equilibrium(*zone, soil, &r->land_use, levels, keys);
                    } else {
                        const std::string levels[3] = {code->lu_level, code->mg_level,
                                                       code->i_level};
                        v = equilibrium(*zone, soil, &code->land_use, levels, keys);
                        if (!std::isnan(v) && is_unverified_status(code->status)) {
                            keys.emplace_back(3, code->line);
                            unverified[keys.back()] =
                                management.where + " line " + std::to_string(code->line) +
                                ": management code " + std::to_string(code->code) + " (" +
                                code->land_use + " " + code->lu_level + "/" + code->mg_level + "/" +
                                code->i_level + "): status " + code->status;
                        }
                    }
                }
                m_eq[k] = v;
                if (!std::isnan(v)) {
                    cell_keys[k] = std::move(keys);
                }
            }
        }
    }
    // Number the unverified rows in (table, line) order and flag the cells that use them.
    std::map<RowKey, uint32_t> index;
    for (const auto &[key, description] : unverified) {
        index[key] = static_cast<uint32_t>(m_unverified_rows.size());
        m_unverified_rows.push_back(description);
    }
    m_flag.assign(m_eq.size(), 0);
    m_cell_rows.resize(m_eq.size());
    for (std::size_t k = 0; k < m_eq.size(); ++k) {
        for (const RowKey &key : cell_keys[k]) {
            m_cell_rows[k].push_back(index.at(key));
        }
        m_flag[k] = m_cell_rows[k].empty() ? 0 : 1;
        m_any_flag = m_any_flag || m_flag[k] != 0;
    }
}

std::vector<LayerRequest> SoilTier1Model::layers() const {
    std::vector<LayerRequest> out = {{"climate_zone", "class", false, true},
                                     {"soil_type", "class", false, true}};
    if (m_codes > 0) {
        out.push_back({"management", "class", false, true, true});
    }
    return out;
}

void SoilTier1Model::apply(std::size_t n, const std::vector<int> &years,
                           const int32_t *const *class_row, uint8_t *const *status,
                           const double *zone, const uint8_t *zone_ok, const double *soil_code,
                           const uint8_t *soil_ok, double *const *soil,
                           const double *const *management, const uint8_t *const *management_ok,
                           int64_t *usage) const {
    const auto valid = static_cast<uint8_t>(PixelStatus::valid);
    const auto nodata = static_cast<uint8_t>(PixelStatus::nodata);
    const std::size_t epochs = years.size();
    const std::size_t none = std::numeric_limits<std::size_t>::max();
    const bool count = usage != nullptr && m_any_flag;
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
            const uint8_t kind = m_kind[c];
            double q = std::numeric_limits<double>::quiet_NaN();
            std::size_t k = none;
            if (kind == 0) {
                q = m_eq[c]; // table mode: the same value for every stratum (cell 0, 0, c)
            } else if (!zone_ok[i] || !soil_ok[i]) {
                status[e][i] = nodata;
            } else if (zi < m_zones && si < m_soils) {
                if (kind == 1) {
                    k = cell(zi, si, c);
                } else if (management == nullptr || !management_ok[e][i]) {
                    status[e][i] = nodata; // mode raster: no management code at this pixel
                } else {
                    const double v = management[e][i];
                    const auto it = std::lower_bound(
                        m_mg_codes.begin(), m_mg_codes.end(),
                        static_cast<int32_t>(std::clamp(v, -2147483648.0, 2147483647.0)));
                    if (it != m_mg_codes.end() && *it == v) {
                        k = cell(zi, si,
                                 m_classes + static_cast<std::size_t>(it - m_mg_codes.begin()));
                    }
                }
                if (k != none) {
                    q = m_eq[k];
                }
            }
            if (std::isnan(q)) {
                if (status[e][i] == valid) {
                    status[e][i] = static_cast<uint8_t>(PixelStatus::missing_parameter);
                }
                soil[e][i] = 0.0;
                have = false;
                continue;
            }
            if (count && k != none && m_flag[k] != 0) {
                ++usage[k];
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

std::vector<std::string>
SoilTier1Model::unverified_parameters(const std::vector<int64_t> &usage) const {
    std::vector<int64_t> per_row(m_unverified_rows.size(), 0);
    for (std::size_t k = 0; k < std::min(usage.size(), m_cell_rows.size()); ++k) {
        if (usage[k] == 0) {
            continue;
        }
        for (uint32_t r : m_cell_rows[k]) {
            per_row[r] += usage[k];
        }
    }
    std::vector<std::string> out;
    for (std::size_t r = 0; r < per_row.size(); ++r) {
        if (per_row[r] > 0) {
            out.push_back(m_unverified_rows[r] + " (used by " + std::to_string(per_row[r]) +
                          " pixel-epochs)");
        }
    }
    return out;
}

} // namespace cs::models
