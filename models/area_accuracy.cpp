// Error matrix parsing and the stratified area estimator of Olofsson et al. (2014).
#include "models/area_accuracy.hpp"

#include "models/csv.hpp"
#include "models/model_error.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace cs::models {

namespace {

std::string trimmed_lower(const std::string &s) {
    std::string out;
    for (char c : s) {
        if (!std::isspace(static_cast<unsigned char>(c))) {
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return out;
}

bool parse_code(const std::string &cell, int32_t &out) {
    double v = 0.0;
    if (!parse_number(cell, v) || v != std::floor(v) || v < std::numeric_limits<int32_t>::min() ||
        v > std::numeric_limits<int32_t>::max()) {
        return false;
    }
    out = static_cast<int32_t>(v);
    return true;
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

std::string codes_text(const std::vector<int32_t> &codes) {
    std::string s;
    for (std::size_t i = 0; i < codes.size(); ++i) {
        s += (i ? ", " : "") + std::to_string(codes[i]);
    }
    return s;
}

} // namespace

ErrorMatrix parse_error_matrix(const std::string &text, const std::string &where,
                               std::vector<std::string> &errors) {
    ErrorMatrix m;
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return m;
    }
    const std::size_t errors_before = errors.size();
    const std::string header_at = where + ", line " + std::to_string(csv.header_line) + ": ";
    if (csv.header.empty() || trimmed_lower(csv.header[0]) != "map_class") {
        errors.push_back(header_at + "the first header cell is \"" +
                         (csv.header.empty() ? std::string() : csv.header[0]) +
                         "\", expected \"map_class\" (rows are map classes, the other header "
                         "cells the reference class codes)");
        return m;
    }
    // Reference class codes of the header, by column.
    std::vector<int32_t> col_code;
    std::map<int32_t, std::size_t> col_of; // code -> column (1-based cell index)
    bool header_ok = true;
    for (std::size_t c = 1; c < csv.header.size(); ++c) {
        int32_t code = 0;
        if (!parse_code(csv.header[c], code)) {
            errors.push_back(header_at + "reference class \"" + csv.header[c] + "\" (column " +
                             std::to_string(c + 1) + ") is not an integer code");
            header_ok = false;
            col_code.push_back(0);
            continue;
        }
        if (auto [pos, fresh] = col_of.emplace(code, c); !fresh) {
            errors.push_back(header_at + "reference class " + std::to_string(code) +
                             " is listed twice (columns " + std::to_string(pos->second + 1) +
                             " and " + std::to_string(c + 1) + ")");
            header_ok = false;
        }
        col_code.push_back(code);
    }
    if (csv.header.size() < 2) {
        errors.push_back(header_at + "no reference class columns after \"map_class\"");
        header_ok = false;
    }
    if (csv.rows.empty()) {
        errors.push_back(where + ": the error matrix has no rows (one per map class)");
        return m;
    }
    if (!header_ok) {
        return m;
    }
    const std::size_t ncol = col_code.size();
    std::map<int32_t, std::vector<int64_t>> row_of;
    std::map<int32_t, int> line_of;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line) + ": ";
        int32_t code = 0;
        if (!parse_code(row.cell(0), code)) {
            errors.push_back(at + "map class \"" + row.cell(0) + "\" is not an integer code");
            continue;
        }
        // Recorded before the counts are checked: a row with a bad count is not also reported
        // as missing.
        if (auto [pos, fresh] = line_of.emplace(code, row.line); !fresh) {
            errors.push_back(at + "map class " + std::to_string(code) +
                             " is listed twice (also line " + std::to_string(pos->second) + ")");
            continue;
        }
        if (row.cells.size() != ncol + 1) {
            errors.push_back(at + "map class " + std::to_string(code) + " has " +
                             std::to_string(row.cells.size() - 1) + " counts, the header has " +
                             std::to_string(ncol) + " reference classes");
            continue;
        }
        bool ok = true;
        std::vector<int64_t> counts(ncol, 0);
        int64_t total = 0;
        for (std::size_t c = 0; c < ncol; ++c) {
            const std::string cell = row.cell(static_cast<int>(c + 1));
            double v = 0.0;
            const std::string what = "count of map class " + std::to_string(code) +
                                     ", reference class " + std::to_string(col_code[c]) + " ";
            if (!parse_number(cell, v)) {
                errors.push_back(at + what + "\"" + cell + "\" is not a number");
                ok = false;
            } else if (v < 0.0) {
                errors.push_back(at + what + cell +
                                 " is negative (cells are sample counts, whole numbers >= 0)");
                ok = false;
            } else if (v != std::floor(v) || v > 1e15) {
                errors.push_back(at + what + cell +
                                 " is not a whole number (cells are sample counts, not "
                                 "proportions or areas)");
                ok = false;
            } else {
                counts[c] = static_cast<int64_t>(v);
                total += counts[c];
            }
        }
        if (!ok) {
            continue;
        }
        if (total == 0) {
            errors.push_back(at + "map class " + std::to_string(code) +
                             " has no samples (n_i. = 0): the area of this stratum cannot be "
                             "estimated; sample it or merge it with another class");
            continue;
        }
        if (total < 2) {
            errors.push_back(at + "map class " + std::to_string(code) +
                             " has 1 sample: the variance of a stratum needs n_i. >= 2 (it "
                             "divides by n_i. - 1)");
            continue;
        }
        row_of.emplace(code, std::move(counts));
    }
    // Same code set for rows and columns.
    std::vector<int32_t> missing_rows;
    std::vector<int32_t> missing_cols;
    for (const auto &[code, c] : col_of) {
        if (!line_of.count(code)) {
            missing_rows.push_back(code);
        }
    }
    for (const auto &[code, l] : line_of) {
        if (!col_of.count(code)) {
            missing_cols.push_back(code);
        }
    }
    if (!missing_rows.empty()) {
        errors.push_back(where + ": reference class" + (missing_rows.size() > 1 ? "es " : " ") +
                         codes_text(missing_rows) + " of the header ha" +
                         (missing_rows.size() > 1 ? "ve" : "s") +
                         " no map class row: rows and columns must list the same classes");
    }
    if (!missing_cols.empty()) {
        errors.push_back(where + ": map class" + (missing_cols.size() > 1 ? "es " : " ") +
                         codes_text(missing_cols) + " ha" + (missing_cols.size() > 1 ? "ve" : "s") +
                         " no reference class column in the header: rows and columns must list "
                         "the same classes");
    }
    if (errors.size() != errors_before) {
        return m;
    }
    // Codes ascending; columns reordered to the same order.
    for (const auto &[code, c] : row_of) {
        m.codes.push_back(code);
    }
    const std::size_t k = m.codes.size();
    m.counts.assign(k * k, 0);
    for (std::size_t i = 0; i < k; ++i) {
        const std::vector<int64_t> &counts = row_of.at(m.codes[i]);
        for (std::size_t j = 0; j < k; ++j) {
            m.counts[i * k + j] = counts[col_of.at(m.codes[j]) - 1];
        }
    }
    return m;
}

AreaEstimate estimate_areas(const ErrorMatrix &matrix, const std::vector<double> &mapped_ha,
                            double confidence) {
    const std::size_t k = matrix.codes.size();
    if (matrix.counts.size() != k * k || mapped_ha.size() != k || k == 0) {
        throw ModelError("land-cover area estimate: " + std::to_string(k) + " classes, " +
                         std::to_string(matrix.counts.size()) + " counts and " +
                         std::to_string(mapped_ha.size()) +
                         " mapped areas: give k x k counts and k mapped areas");
    }
    if (!(confidence > 0.0 && confidence < 1.0)) {
        throw ModelError("land-cover area estimate: confidence " + num(confidence) +
                         " is outside (0, 1): give e.g. 0.95");
    }
    double total_ha = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
        if (!(mapped_ha[i] >= 0.0) || !std::isfinite(mapped_ha[i])) {
            throw ModelError("land-cover area estimate: class " + std::to_string(matrix.codes[i]) +
                             ": mapped area " + num(mapped_ha[i]) +
                             " ha is negative or not finite: mapped areas are >= 0 ha");
        }
        total_ha += mapped_ha[i];
    }
    if (!(total_ha > 0.0)) {
        throw ModelError("land-cover area estimate: the mapped areas sum to 0 ha: no class of "
                         "the error matrix is on the map");
    }
    std::vector<double> n_row(k, 0.0);
    for (std::size_t i = 0; i < k; ++i) {
        for (std::size_t j = 0; j < k; ++j) {
            if (matrix.counts[i * k + j] < 0) {
                throw ModelError("land-cover area estimate: class " +
                                 std::to_string(matrix.codes[i]) + " has a negative count");
            }
            n_row[i] += static_cast<double>(matrix.counts[i * k + j]);
        }
        if (n_row[i] < 2.0) {
            throw ModelError("land-cover area estimate: map class " +
                             std::to_string(matrix.codes[i]) + " has " + num(n_row[i]) +
                             " samples: the stratified variance needs n_i. >= 2");
        }
    }
    const double z = normal_quantile(0.5 * (1.0 + confidence));
    AreaEstimate e;
    e.codes = matrix.codes;
    e.mapped_ha = mapped_ha;
    e.adjusted_ha.assign(k, 0.0);
    e.se_ha.assign(k, 0.0);
    e.ci_low_ha.assign(k, 0.0);
    e.ci_high_ha.assign(k, 0.0);
    e.users_accuracy.assign(k, 0.0);
    e.producers_accuracy.assign(k, 0.0);
    // Olofsson et al. (2014), as the brief of this estimator gives it: W_i = A_m,i / A_tot,
    // p_ij = W_i n_ij / n_i. (estimated area proportions); p_.j = sum_i p_ij; A_j = A_tot p_.j;
    // SE(p_.j) = sqrt(sum_i W_i^2 (n_ij / n_i.)(1 - n_ij / n_i.) / (n_i. - 1)); SE(A_j) = A_tot
    // SE(p_.j); CI = A_j -/+ z SE(A_j). U_i = p_ii / p_i., P_j = p_jj / p_.j, O = sum_j p_jj.
    // (Equation and section numbers not given: the paper's text was not read here, only its
    // example data, through the R package mapaccuracy; see tests/test_uncertainty.cpp.)
    std::vector<double> w(k);
    for (std::size_t i = 0; i < k; ++i) {
        w[i] = mapped_ha[i] / total_ha;
    }
    for (std::size_t j = 0; j < k; ++j) {
        double p_col = 0.0;
        double var = 0.0;
        for (std::size_t i = 0; i < k; ++i) {
            const double f = static_cast<double>(matrix.counts[i * k + j]) / n_row[i];
            p_col += w[i] * f;
            var += w[i] * w[i] * f * (1.0 - f) / (n_row[i] - 1.0);
        }
        const double p_jj = w[j] * static_cast<double>(matrix.counts[j * k + j]) / n_row[j];
        e.adjusted_ha[j] = total_ha * p_col;
        e.se_ha[j] = total_ha * std::sqrt(var);
        e.ci_low_ha[j] = e.adjusted_ha[j] - z * e.se_ha[j];
        e.ci_high_ha[j] = e.adjusted_ha[j] + z * e.se_ha[j];
        e.producers_accuracy[j] =
            p_col > 0.0 ? p_jj / p_col : std::numeric_limits<double>::quiet_NaN();
        // p_i. = sum_j p_ij = W_i, so U_i = p_ii / W_i = n_ii / n_i. (defined even if W_i = 0).
        e.users_accuracy[j] = static_cast<double>(matrix.counts[j * k + j]) / n_row[j];
        e.overall_accuracy += p_jj;
    }
    return e;
}

std::vector<UncertainParameter> land_cover_area_parameters(const AreaEstimate &estimate, int year,
                                                           const std::string &where,
                                                           std::vector<std::string> &warnings) {
    std::vector<UncertainParameter> out;
    for (std::size_t i = 0; i < estimate.codes.size(); ++i) {
        UncertainParameter p;
        // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "literal" + string.
        p.name = "land_cover_area[";
        p.name += std::to_string(year);
        p.name += ',';
        p.name += std::to_string(estimate.codes[i]);
        p.name += ']';
        p.unit = std::string(1, '1');
        p.central = 1.0;
        p.non_negative = true;
        p.source = "Olofsson et al. 2014 stratified estimator from " + where;
        p.status = "user";
        const double mapped = estimate.mapped_ha[i];
        if (mapped > 0.0) {
            p.pdf.kind = Distribution::normal;
            p.pdf.mean = estimate.adjusted_ha[i] / mapped;
            p.pdf.sd = estimate.se_ha[i] / mapped;
        } else {
            p.pdf.kind = Distribution::exact;
            p.pdf.mean = 1.0;
            if (estimate.adjusted_ha[i] > 0.0) {
                warnings.push_back(where + ": class " + std::to_string(estimate.codes[i]) +
                                   " is mapped on 0 ha in " + std::to_string(year) +
                                   " but its area-adjusted estimate is " +
                                   num(estimate.adjusted_ha[i]) +
                                   " ha: no pixel can carry that area, so its uncertainty is "
                                   "left out of the district figures");
            }
        }
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace cs::models
