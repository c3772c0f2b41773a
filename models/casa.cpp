// CASA NPP, Pei R_H and NEP row kernels, and the vegetation mapping parser (see casa.hpp).
#include "models/casa.hpp"

#include "models/csv.hpp"
#include "models/model_error.hpp"

#include <limits>
#include <map>
#include <sstream>
#include <utility>

namespace cs::models {

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

bool is_data(const NepLayerRow &layer, std::size_t x) {
    return layer.valid == nullptr || layer.valid[x] != 0;
}

bool finite_non_negative(double v) { return v >= 0.0 && v <= std::numeric_limits<double>::max(); }

/// Writes one pixel-month's results and counts it.
void write_no_value(const NepRowOutputs &out, std::size_t m, std::size_t x, NepStatus s) {
    out.npp[m][x] = NaN;
    out.rh[m][x] = NaN;
    out.nep[m][x] = NaN;
    if (out.no_value != nullptr) {
        out.no_value[m][x] = 1.0;
    }
    if (out.status != nullptr) {
        out.status[m][x] = static_cast<uint8_t>(s);
    }
    if (out.status_count != nullptr) {
        ++out.status_count[m * NEP_STATUS_COUNT + static_cast<std::size_t>(s)];
    }
}

void write_value(const NepRowOutputs &out, std::size_t m, std::size_t x, double npp, double rh,
                 NepStatus s, int vegetation) {
    out.npp[m][x] = npp * out.scale;
    out.rh[m][x] = rh * out.scale;
    out.nep[m][x] = nep_g_c_per_m2(npp, rh) * out.scale;
    if (out.no_value != nullptr) {
        out.no_value[m][x] = NaN;
    }
    if (out.status != nullptr) {
        out.status[m][x] = static_cast<uint8_t>(s);
    }
    if (out.status_count != nullptr) {
        ++out.status_count[m * NEP_STATUS_COUNT + static_cast<std::size_t>(s)];
    }
    if (out.vegetation_used != nullptr && vegetation >= 0) {
        ++out.vegetation_used[vegetation];
    }
}

/// Vegetation index of pixel-month (m, x): >= 0 a CASA type, -1 a class without one (or every
/// class when `types` is null: 0), -2 land cover nodata.
int vegetation_of(const NepRowInputs &in, std::size_t m, std::size_t x) {
    if (in.land_cover_valid != nullptr && in.land_cover_valid[m][x] == 0) {
        return -2;
    }
    return in.types == nullptr ? 0 : in.types->find(in.land_cover[m][x]);
}

/// NDVI usable by CASA: finite and within [-1, 1].
bool ndvi_in_range(double ndvi) { return ndvi >= -1.0 && ndvi <= 1.0; }

} // namespace

const char *nep_status_name(NepStatus s) {
    switch (s) {
    case NepStatus::valid:
        return "valid";
    case NepStatus::valid_no_pet:
        return "valid_no_pet";
    case NepStatus::nodata:
        return "nodata";
    case NepStatus::no_vegetation_type:
        return "no_vegetation_type";
    case NepStatus::ndvi_out_of_range:
        return "ndvi_out_of_range";
    case NepStatus::invalid_value:
        return "invalid_value";
    }
    return "unknown";
}

std::vector<CasaClassMapping> parse_casa_mapping(const std::string &text, const std::string &where,
                                                 const CasaVegetationTable &table,
                                                 std::vector<std::string> &errors) {
    std::vector<CasaClassMapping> out;
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return out;
    }
    const int c_code = csv.column("lucode");
    const int c_type = csv.column("casa_type");
    for (const auto &[col, name] : {std::pair{c_code, "lucode"}, std::pair{c_type, "casa_type"}}) {
        if (col < 0) {
            errors.push_back(where + ", line " + std::to_string(csv.header_line) +
                             ": required column \"" + name +
                             "\" is missing (the header must have lucode, casa_type)");
        }
    }
    if (c_code < 0 || c_type < 0) {
        return out;
    }
    if (csv.rows.empty()) {
        errors.push_back(where + ": the table has no rows");
        return out;
    }
    std::map<int32_t, int> seen;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        const std::string code_text = row.cell(c_code);
        double code = 0.0;
        if (!parse_number(code_text, code) || code != std::floor(code) ||
            std::fabs(code) > 2147483647.0) {
            errors.push_back(at + ": lucode \"" + code_text +
                             "\" is not an integer land-cover code");
            continue;
        }
        CasaClassMapping m;
        m.lucode = static_cast<int32_t>(code);
        m.line = row.line;
        if (auto [it, fresh] = seen.emplace(m.lucode, row.line); !fresh) {
            errors.push_back(at + ": lucode " + std::to_string(m.lucode) +
                             " is listed twice (also line " + std::to_string(it->second) + ")");
            continue;
        }
        std::string type = row.cell(c_type);
        const auto b = type.find_first_not_of(" \t");
        const auto e = type.find_last_not_of(" \t");
        type = b == std::string::npos ? std::string() : type.substr(b, e - b + 1);
        m.casa_index = table.find(type);
        if (m.casa_index < 0) {
            errors.push_back(at + ": lucode " + std::to_string(m.lucode) + ": casa_type \"" + type +
                             "\" is not a CASA vegetation type of casa_vegetation.csv; valid "
                             "types: " +
                             table.keys());
            continue;
        }
        out.push_back(m);
    }
    std::sort(out.begin(), out.end(), [](const CasaClassMapping &a, const CasaClassMapping &b) {
        return a.lucode < b.lucode;
    });
    return out;
}

std::vector<std::string> casa_unverified_parameters(const CasaVegetationTable &table,
                                                    const std::string &where,
                                                    const std::vector<int64_t> &used) {
    std::vector<std::pair<int, std::string>> lines;
    for (std::size_t r = 0; r < std::min(table.rows.size(), used.size()); ++r) {
        const CasaVegetationRow &row = table.rows[r];
        if (used[r] <= 0 || !is_unverified(row.status)) {
            continue;
        }
        std::ostringstream eps;
        eps << row.parameters.epsilon_max_g_c_per_mj;
        lines.emplace_back(row.line, where + " line " + std::to_string(row.line) + ": CASA type " +
                                         row.casa_type + " (" + row.vegetation_type_en +
                                         "): epsilon_max " + eps.str() + " g C/MJ, status " +
                                         row.status + " (used by " + std::to_string(used[r]) +
                                         " pixel-months)");
    }
    std::sort(lines.begin(), lines.end());
    std::vector<std::string> out;
    for (auto &l : lines) {
        out.push_back(std::move(l.second));
    }
    return out;
}

void CasaTypeOfClass::build(const std::vector<CasaClassMapping> &mapping) {
    m_dense.clear();
    m_codes.clear();
    m_types.clear();
    if (mapping.empty()) {
        return; // every find() is -1 through the empty sparse path
    }
    constexpr int64_t dense_limit = int64_t{1} << 20;
    m_min = mapping.front().lucode;
    const int64_t span = static_cast<int64_t>(mapping.back().lucode) - m_min + 1;
    if (span <= dense_limit) {
        m_dense.assign(static_cast<std::size_t>(span), -1);
        for (const auto &m : mapping) {
            m_dense[static_cast<std::size_t>(m.lucode - m_min)] = m.casa_index;
        }
        return;
    }
    for (const auto &m : mapping) {
        m_codes.push_back(m.lucode);
        m_types.push_back(m.casa_index);
    }
}

void casa_nep_row(const NepRowInputs &in, const NepRowOutputs &out) {
    for (std::size_t x = 0; x < in.width; ++x) {
        for (std::size_t m0 = 0; m0 < in.months;) {
            // The months of one calendar year: [m0, m1).
            std::size_t m1 = m0 + 1;
            while (m1 < in.months && in.year[m1] == in.year[m0]) {
                ++m1;
            }
            // T_opt: mean temperature of the month with the highest NDVI (science.md §5.1),
            // among the months of this year with usable NDVI and temperature; earliest on a tie.
            double best_ndvi = -std::numeric_limits<double>::infinity();
            double t_opt = NaN;
            for (std::size_t m = m0; m < m1; ++m) {
                if (!is_data(in.ndvi[m], x) || !is_data(in.temperature_c[m], x)) {
                    continue;
                }
                const double ndvi = in.ndvi[m].value[x];
                const double t = in.temperature_c[m].value[x];
                if (ndvi_in_range(ndvi) && std::isfinite(t) && ndvi > best_ndvi) {
                    best_ndvi = ndvi;
                    t_opt = t;
                }
            }
            for (std::size_t m = m0; m < m1; ++m) {
                const int v = vegetation_of(in, m, x);
                if (v == -2 || !is_data(in.ndvi[m], x) || !is_data(in.temperature_c[m], x) ||
                    !is_data(in.precipitation_mm[m], x) || !is_data(in.solar_mj_per_m2[m], x) ||
                    !is_data(in.et_mm[m], x) || !is_data(in.pet_mm[m], x)) {
                    write_no_value(out, m, x, NepStatus::nodata);
                    continue;
                }
                if (v < 0) {
                    write_no_value(out, m, x, NepStatus::no_vegetation_type);
                    continue;
                }
                const double ndvi = in.ndvi[m].value[x];
                if (!ndvi_in_range(ndvi)) {
                    write_no_value(out, m, x, NepStatus::ndvi_out_of_range);
                    continue;
                }
                const double t = in.temperature_c[m].value[x];
                const double p = in.precipitation_mm[m].value[x];
                const double sol = in.solar_mj_per_m2[m].value[x];
                const double et = in.et_mm[m].value[x];
                const double pet = in.pet_mm[m].value[x];
                if (!std::isfinite(t) || !finite_non_negative(p) || !finite_non_negative(sol) ||
                    !std::isfinite(et) || !finite_non_negative(pet)) {
                    write_no_value(out, m, x, NepStatus::invalid_value);
                    continue;
                }
                // This month has usable NDVI and T, so t_opt is set.
                const CasaParameters &k = in.parameters[v];
                const double fpar = casa_fpar(ndvi, k.ndvi_min, k.ndvi_max, k.sr_min, k.sr_max);
                const double eps =
                    casa_epsilon_g_c_per_mj(casa_t_epsilon1(t, t_opt), casa_t_epsilon2(t, t_opt),
                                            casa_w_epsilon(et, pet), k.epsilon_max_g_c_per_mj);
                write_value(out, m, x, casa_npp_g_c_per_m2(casa_apar_mj_per_m2(sol, fpar), eps),
                            pei_rh_g_c_per_m2(t, p),
                            pet == 0.0 ? NepStatus::valid_no_pet : NepStatus::valid, v);
            }
            m0 = m1;
        }
    }
}

void npp_raster_nep_row(const NepRowInputs &in, const NepRowOutputs &out) {
    for (std::size_t m = 0; m < in.months; ++m) {
        for (std::size_t x = 0; x < in.width; ++x) {
            const int v = vegetation_of(in, m, x);
            if (v == -2 || !is_data(in.npp_g_c_per_m2[m], x) || !is_data(in.temperature_c[m], x) ||
                !is_data(in.precipitation_mm[m], x)) {
                write_no_value(out, m, x, NepStatus::nodata);
                continue;
            }
            if (v < 0) {
                write_no_value(out, m, x, NepStatus::no_vegetation_type);
                continue;
            }
            const double npp = in.npp_g_c_per_m2[m].value[x];
            const double t = in.temperature_c[m].value[x];
            const double p = in.precipitation_mm[m].value[x];
            if (!std::isfinite(npp) || !std::isfinite(t) || !finite_non_negative(p)) {
                write_no_value(out, m, x, NepStatus::invalid_value);
                continue;
            }
            write_value(out, m, x, npp, pei_rh_g_c_per_m2(t, p), NepStatus::valid,
                        in.types == nullptr ? -1 : v);
        }
    }
}

} // namespace cs::models
