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

SoilTier1Model::SoilTier1Model(
    std::shared_ptr<const SoilTables> tables, const std::vector<int32_t> &class_codes,
    const std::vector<double> &table_soil_mg_c_per_ha, const std::vector<SoilClassRule> &rules,
    const SoilManagementCodes &management, const std::map<int32_t, std::string> &soil_types,
    double transition_years, std::vector<std::string> &errors, const PoolsTable *pools_table)
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
    // Uncertain parameters by name (one per table row, whichever cells use it).
    std::map<std::string, uint32_t> parameter_index;
    auto parameter = [&](UncertainParameter q) {
        const auto [pos, fresh] =
            parameter_index.emplace(q.name, static_cast<uint32_t>(m_parameters.size()));
        if (fresh) {
            m_parameters.push_back(std::move(q));
        }
        return pos->second;
    };
    // SOC_REF: the printed "±U %" is the half-width of the 95 % interval, sd = value x U / 100 /
    // 1.96 (science.md §7, [V2]). non_negative: the engine truncates the draws at 0 (a ±90 %
    // cell puts about 1.5 % of normal draws below zero).
    auto soc_ref_parameter = [&](const SocRefRow &ref) {
        UncertainParameter q;
        q.name =
            std::string(SOC_REF_FILE) + ":soc_ref[" + ref.climate_zone + "," + ref.soil_type + "]";
        q.unit = "Mg C/ha";
        q.central = ref.soc_ref_t_c_per_ha;
        q.non_negative = true;
        q.pdf.mean = q.central;
        if (std::isnan(ref.uncertainty_pct)) {
            q.pdf.kind = Distribution::none; // no printed uncertainty: never invented
        } else {
            q.pdf.kind = Distribution::normal;
            q.pdf.sd = q.central * ref.uncertainty_pct / 100.0 / 1.96;
        }
        q.source = ref.source;
        q.status = ref.status;
        return parameter(std::move(q));
    };
    // A stock-change factor: the printed "±E %" is two standard deviations, sd = value x E /
    // 100 / 2 (science.md §7, [V2]); reference levels are 1 by definition (exact).
    auto factor_parameter = [&](const SocFactorRow &row) {
        UncertainParameter q;
        q.name = std::string(FACTORS_FILE) + ":" + row.factor + "[" + row.land_use + "," +
                 row.level + "," + row.climate_zone + "]";
        q.unit = "1";
        q.central = row.value;
        q.non_negative = true;
        q.pdf.mean = q.central;
        if (row.reference_level()) {
            q.pdf.kind = Distribution::exact;
        } else if (std::isnan(row.error_pct)) {
            q.pdf.kind = Distribution::none; // no printed error: never invented
        } else {
            q.pdf.kind = Distribution::normal;
            q.pdf.sd = q.central * row.error_pct / 100.0 / 2.0;
        }
        q.source = row.source;
        q.status = row.status;
        return parameter(std::move(q));
    };
    // The monomial of each cell (empty where SOC_eq is missing).
    std::vector<Monomial> cell_monomial(m_zones * m_soils * m_columns);

    auto equilibrium = [&](const ClimateZoneCodeRow &zone, const std::string &soil,
                           const std::string *land_use, const std::string *levels,
                           std::vector<RowKey> &keys, Monomial &mono) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const SocRefRow *ref = t.soc_ref.find(zone.climate_zone, soil);
        if (ref == nullptr) {
            return nan;
        }
        mono.clear();
        mono.push_back(soc_ref_parameter(*ref));
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
            mono.push_back(factor_parameter(*row));
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

    // c_soil of a class with mode table: the pools table's parameter (the stock model's).
    auto table_parameter = [&](std::size_t col) {
        const int32_t lucode = class_codes[col];
        const PoolsRow *row = nullptr;
        if (pools_table != nullptr) {
            for (const PoolsRow &pr : pools_table->rows) {
                row = pr.lucode == lucode ? &pr : row;
            }
        }
        if (row != nullptr) {
            const auto &columns = pools_table->density_columns();
            const auto soil_column = static_cast<std::size_t>(
                std::find(columns.begin(), columns.end(), "c_soil") - columns.begin());
            UncertainParameter q = pools_uncertain_parameter(*pools_table, *row, soil_column);
            q.central = table_soil_mg_c_per_ha[col]; // the value apply() uses
            return parameter(std::move(q));
        }
        UncertainParameter q;
        q.name = pools_parameter_name("pools table", "c_soil", lucode);
        q.unit = "Mg C/ha";
        q.central = table_soil_mg_c_per_ha[col];
        q.pdf.mean = q.central;
        q.source = "pools table c_soil of class " + std::to_string(lucode);
        return parameter(std::move(q));
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
                Monomial mono;
                if (r != nullptr && r->mode == SoilClassRule::Mode::table) {
                    v = table_soil_mg_c_per_ha[col];
                    mono = {table_parameter(col)};
                } else if (zone != nullptr) {
                    const std::string &soil = soil_types.at(m_soil_codes[s]);
                    if (r != nullptr && r->mode == SoilClassRule::Mode::reference) {
                        v = equilibrium(*zone, soil, nullptr, nullptr, keys, mono);
                    } else if (r != nullptr) {
                        const std::string levels[3] = {r->lu_level, r->mg_level, r->i_level};
                        v = equilibrium(*zone, soil, &r->land_use, levels, keys, mono);
                    } else {
                        const std::string levels[3] = {code->lu_level, code->mg_level,
                                                       code->i_level};
                        v = equilibrium(*zone, soil, &code->land_use, levels, keys, mono);
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
                    cell_monomial[k] = std::move(mono);
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
    // One key per distinct equilibrium state (monomial), in cell order.
    std::map<Monomial, int32_t> key_of;
    m_cell_key.assign(m_eq.size(), -1);
    for (std::size_t k = 0; k < m_eq.size(); ++k) {
        if (std::isnan(m_eq[k])) {
            continue;
        }
        const auto [pos, fresh] =
            key_of.emplace(cell_monomial[k], static_cast<int32_t>(m_key_monomials.size()));
        if (fresh) {
            m_key_monomials.push_back(cell_monomial[k]);
        }
        m_cell_key[k] = pos->second;
    }
}

StatisticDecl SoilTier1Model::statistic(std::size_t epochs, uint32_t soil_pool) const {
    StatisticDecl decl;
    decl.name = "soc_by_state";
    decl.axis = TimeAxis::epoch;
    decl.pairs = std::max<std::size_t>(epochs, 1);
    for (const Monomial &m : m_key_monomials) {
        decl.keys.push_back({Term{soil_pool, m}});
    }
    return decl;
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
                           int64_t *usage, const StatisticRows *stats) const {
    if (stats != nullptr) {
        apply_rows<true>(n, years, class_row, status, zone, zone_ok, soil_code, soil_ok, soil,
                         management, management_ok, usage, stats);
    } else {
        apply_rows<false>(n, years, class_row, status, zone, zone_ok, soil_code, soil_ok, soil,
                          management, management_ok, usage, stats);
    }
}

template <bool Stats>
void SoilTier1Model::apply_rows(std::size_t n, const std::vector<int> &years,
                                const int32_t *const *class_row, uint8_t *const *status,
                                const double *zone, const uint8_t *zone_ok, const double *soil_code,
                                const uint8_t *soil_ok, double *const *soil,
                                const double *const *management,
                                const uint8_t *const *management_ok, int64_t *usage,
                                const StatisticRows *stats) const {
    const auto valid = static_cast<uint8_t>(PixelStatus::valid);
    const auto nodata = static_cast<uint8_t>(PixelStatus::nodata);
    const std::size_t epochs = years.size();
    const std::size_t none = std::numeric_limits<std::size_t>::max();
    const bool count = usage != nullptr && m_any_flag;
    // Statistic 0 (statistic()): `epochs` pairs per pixel; a pixel's composition at an epoch
    // (key, weight pairs) is written to stats[e] and read back as the start of a later
    // transition, so no scratch is needed.
    const std::size_t pairs = epochs;
    // Pairs of pixel i at epoch e: no key.
    auto clear_pairs = [&](std::size_t e, std::size_t i) {
        for (std::size_t j = 0; j < pairs; ++j) {
            stats[e].key[j][i] = -1;
            stats[e].weight[j][i] = 0.0;
        }
    };
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
        // Statistics: the key of the target state, the epoch whose composition is the start of
        // the transition (none: the start is the target itself, the first known epoch) and the
        // previous valid epoch.
        int32_t target_key = -1;
        std::size_t start_epoch = none;
        std::size_t prev_epoch = none;
        for (std::size_t e = 0; e < epochs; ++e) {
            if (status[e][i] != valid) {
                soil[e][i] = 0.0;
                have = false; // land use unknown in this epoch: restart from equilibrium
                if constexpr (Stats) {
                    clear_pairs(e, i);
                }
                continue;
            }
            const auto c = static_cast<std::size_t>(class_row[e][i]);
            const uint8_t kind = m_kind[c];
            double q = std::numeric_limits<double>::quiet_NaN();
            std::size_t k = none;
            if (kind == 0) {
                q = m_eq[c]; // table mode: the same value for every stratum (cell 0, 0, c)
                k = c;       // its cell (0, 0, c), for the key (never flagged: no table rows)
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
                if constexpr (Stats) {
                    clear_pairs(e, i);
                }
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
                if constexpr (Stats) {
                    target_key = m_cell_key[k];
                    start_epoch = none;
                }
            } else {
                if (q != target) { // land use or management changed since the earlier epoch
                    start = soc_prev;
                    target = q;
                    change_year = prev_year;
                    if constexpr (Stats) {
                        target_key = m_cell_key[k];
                        start_epoch = prev_epoch;
                    }
                }
                soc = soc_after_change_mg_c_per_ha(start, target, year - change_year, m_years);
            }
            if constexpr (Stats) {
                // SOC = (1 - f) x (the composition at start_epoch) + f x SOC_eq(target), f the
                // share of the transition done (soc_after_change_mg_c_per_ha, IPCC 2019
                // Eq. 2.25 with the linear approach over D years).
                const double t = year - change_year;
                const double f = start_epoch == none || t >= m_years ? 1.0
                                 : t <= 0.0                          ? 0.0
                                                                     : t / m_years;
                std::size_t used = 0;
                bool merged = false;
                if (f < 1.0) {
                    for (std::size_t j = 0; j < pairs; ++j) {
                        const int32_t key = stats[start_epoch].key[j][i];
                        if (key < 0) {
                            continue;
                        }
                        double w = (1.0 - f) * stats[start_epoch].weight[j][i];
                        if (key == target_key) {
                            w += f;
                            merged = true;
                        }
                        stats[e].key[used][i] = key;
                        stats[e].weight[used][i] = w;
                        ++used;
                    }
                }
                // At most one pair per valid epoch since the start of the run, so `used` <
                // `pairs` here; the guard only keeps a wrong `pairs` from writing out of bounds.
                if (!merged && f > 0.0 && used < pairs) {
                    stats[e].key[used][i] = target_key;
                    stats[e].weight[used][i] = f;
                    ++used;
                }
                for (std::size_t j = used; j < pairs; ++j) {
                    stats[e].key[j][i] = -1;
                    stats[e].weight[j][i] = 0.0;
                }
                prev_epoch = e;
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
