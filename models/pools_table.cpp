// Pools table parsing and checks.
#include "models/pools_table.hpp"

#include "models/csv.hpp"
#include "models/model_error.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>

namespace cs::models {

bool is_unverified_status(const std::string &status) {
    std::string s;
    for (char c : status) {
        s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (s.find("placeholder") != std::string::npos) {
        return true;
    }
    // Skip leading blanks, quotes and brackets ("[U] ..."), then: "u" alone, "u" followed by a
    // non-letter ("u-single", "u: ..."), or a word starting with "unverified". "user" is not.
    const std::size_t b = s.find_first_not_of(" \t\"[");
    if (b == std::string::npos || s[b] != 'u') {
        return false;
    }
    return b + 1 == s.size() || !std::isalpha(static_cast<unsigned char>(s[b + 1])) ||
           s.compare(b, 10, "unverified") == 0;
}

namespace {
const std::vector<std::string> POOLS_COMBINED = {"above_ground", "below_ground", "soil",
                                                 "dead_organic_matter"};
const std::vector<std::string> POOLS_SPLIT = {"above_ground", "below_ground", "dead_wood", "litter",
                                              "soil"};
const std::vector<std::string> COLUMNS_COMBINED = {"c_above", "c_below", "c_soil", "c_dead"};
const std::vector<std::string> COLUMNS_SPLIT = {"c_above", "c_below", "c_dead_wood", "c_litter",
                                                "c_soil"};
/// Every density column a table may have, in the order of PoolsRow's fields.
const char *const ALL_DENSITY_COLUMNS[] = {"c_above", "c_below",     "c_soil",
                                           "c_dead",  "c_dead_wood", "c_litter"};
constexpr std::size_t DENSITY_COLUMN_COUNT = 6;

/// Half-width of a 95 % interval in standard deviations of a normal (science.md §7:
/// "sd = mean x U / 100 / 1.96", the constant FACTOR_U_DIST_95_PERCENT quoted there).
constexpr double Z95 = 1.96;

} // namespace

std::string pools_parameter_name(const std::string &table_file, const std::string &column,
                                 int32_t lucode) {
    return table_file + ":" + column + "[" + std::to_string(lucode) + "]";
}

UncertainParameter pools_uncertain_parameter(const PoolsTable &table, const PoolsRow &row,
                                             std::size_t pool) {
    std::vector<double> density;
    std::vector<double> sd;
    table.append_densities(row, density);
    table.append_sds(row, sd);
    UncertainParameter q;
    q.name = pools_parameter_name(table.file_name, table.density_columns()[pool], row.lucode);
    q.unit = "Mg C/ha";
    q.central = density[pool];
    q.non_negative = true; // a carbon density (science.md §7: truncated or lognormal for >= 0)
    q.pdf.mean = density[pool];
    if (std::isnan(sd[pool])) {
        q.pdf.kind = Distribution::none; // the table gives none: never invented
    } else if (sd[pool] == 0.0) {
        q.pdf.kind = Distribution::exact;
    } else {
        q.pdf.kind = Distribution::normal;
        q.pdf.sd = sd[pool];
    }
    // The row's uncertainty_source speaks for the columns it gives an uncertainty; a column
    // without one is named by where its value is.
    const std::string at = table.file_name + ", line " + std::to_string(row.line);
    const std::string &column = table.density_columns()[pool];
    q.source = std::isnan(sd[pool]) ? at + " (no " + column + "_sd or " + column + "_u_pct given)"
               : row.uncertainty_source.empty() ? at
                                                : row.uncertainty_source + " (" + at + ")";
    q.status = row.status;
    return q;
}

std::vector<UncertainParameter> pools_uncertain_parameters(const PoolsTable &table) {
    std::vector<UncertainParameter> out;
    const std::size_t pools = table.pool_names().size();
    for (const PoolsRow &row : table.rows) {
        for (std::size_t p = 0; p < pools; ++p) {
            out.push_back(pools_uncertain_parameter(table, row, p));
        }
    }
    return out;
}

const std::vector<std::string> &PoolsTable::density_columns() const {
    return split_dead_matter ? COLUMNS_SPLIT : COLUMNS_COMBINED;
}

void PoolsTable::append_sds(const PoolsRow &row, std::vector<double> &out) const {
    out.push_back(row.c_above_sd);
    out.push_back(row.c_below_sd);
    if (split_dead_matter) {
        out.push_back(row.c_dead_wood_sd);
        out.push_back(row.c_litter_sd);
        out.push_back(row.c_soil_sd);
    } else {
        out.push_back(row.c_soil_sd);
        out.push_back(row.c_dead_sd);
    }
}

const std::vector<std::string> &PoolsTable::pool_names() const {
    return split_dead_matter ? POOLS_SPLIT : POOLS_COMBINED;
}

void PoolsTable::append_densities(const PoolsRow &row, std::vector<double> &out) const {
    out.push_back(row.c_above_mg_c_per_ha);
    out.push_back(row.c_below_mg_c_per_ha);
    if (split_dead_matter) {
        out.push_back(row.c_dead_wood_mg_c_per_ha);
        out.push_back(row.c_litter_mg_c_per_ha);
        out.push_back(row.c_soil_mg_c_per_ha);
    } else {
        out.push_back(row.c_soil_mg_c_per_ha);
        out.push_back(row.c_dead_mg_c_per_ha);
    }
}

PoolsTable parse_pools_table(const std::string &text, const std::string &where,
                             std::vector<std::string> &errors) {
    PoolsTable table;
    table.file_name = parameter_file_name(where);
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return table;
    }
    const std::string header_at = where + ", line " + std::to_string(csv.header_line) + ": ";
    const int c_dead = csv.column("c_dead");
    const int c_wood = csv.column("c_dead_wood");
    const int c_litter = csv.column("c_litter");
    table.split_dead_matter = c_dead < 0 && (c_wood >= 0 || c_litter >= 0);
    bool missing = false;
    if (c_dead >= 0 && (c_wood >= 0 || c_litter >= 0)) {
        errors.push_back(header_at + "column \"c_dead\" cannot be combined with " +
                         (c_wood >= 0 && c_litter >= 0 ? "\"c_dead_wood\" and \"c_litter\""
                          : c_wood >= 0                ? "\"c_dead_wood\""
                                                       : "\"c_litter\"") +
                         ": give either c_dead (one dead_organic_matter pool, InVEST) or both "
                         "c_dead_wood and c_litter (pools dead_wood and litter)");
        missing = true;
    } else if (table.split_dead_matter && (c_wood < 0 || c_litter < 0)) {
        const char *have = c_wood >= 0 ? "c_dead_wood" : "c_litter";
        const char *lack = c_wood >= 0 ? "c_litter" : "c_dead_wood";
        errors.push_back(header_at + "column \"" + have + "\" needs \"" + lack +
                         "\": dead organic matter is split into dead wood and litter only with "
                         "both columns (or give c_dead alone)");
        missing = true;
    }
    // Columns in pool order (PoolsTable::pool_names), after the code.
    std::vector<std::string> required = {"lucode", "c_above", "c_below"};
    if (table.split_dead_matter) {
        required.insert(required.end(), {"c_dead_wood", "c_litter", "c_soil"});
    } else {
        required.insert(required.end(), {"c_soil", "c_dead"});
    }
    std::vector<int> idx;
    for (const auto &name : required) {
        idx.push_back(csv.column(name));
        // A split column without its partner was reported above.
        const bool split_column = name == "c_dead_wood" || name == "c_litter";
        if (idx.back() < 0 && !split_column) {
            errors.push_back(header_at + "required column \"" + name +
                             "\" is missing (the header must have lucode, c_above, c_below, "
                             "c_soil and c_dead, or c_dead_wood and c_litter instead of c_dead)");
            missing = true;
        }
    }
    if (missing) {
        return table;
    }
    // Uncertainty columns: per density column, <c>_sd or <c>_u_pct (science.md §7), not both,
    // and only for a density column the table has.
    int sd_idx[DENSITY_COLUMN_COUNT];
    int u_idx[DENSITY_COLUMN_COUNT];
    for (std::size_t c = 0; c < DENSITY_COLUMN_COUNT; ++c) {
        const std::string col = ALL_DENSITY_COLUMNS[c];
        sd_idx[c] = csv.column(col + "_sd");
        u_idx[c] = csv.column(col + "_u_pct");
        if (sd_idx[c] >= 0 && u_idx[c] >= 0) {
            errors.push_back(header_at + "columns \"" + col + "_sd\" and \"" + col +
                             "_u_pct\" cannot both be given: give the uncertainty of " + col +
                             " either as a standard deviation (Mg C/ha) or as the half-width of "
                             "its 95 % interval in % of the value");
            missing = true;
        }
        const bool used = std::find(required.begin(), required.end(), col) != required.end();
        if (!used && (sd_idx[c] >= 0 || u_idx[c] >= 0)) {
            errors.push_back(header_at + "column \"" + col + (sd_idx[c] >= 0 ? "_sd" : "_u_pct") +
                             "\" is the uncertainty of \"" + col +
                             "\", which the table does not have: remove it or add " + col);
            missing = true;
        }
    }
    if (missing) {
        return table;
    }
    const int uncertainty_source_idx = csv.column("uncertainty_source");
    const int name_idx = csv.column("lulc_name");
    const int source_idx = csv.column("source");
    const int status_idx = csv.column("status");
    std::map<int32_t, int> seen;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        auto cell = [&](int c) { return row.cell(c); };
        PoolsRow r;
        r.line = row.line;
        bool ok = true;
        double code = 0.0;
        if (!parse_number(cell(idx[0]), code) || code != std::floor(code) ||
            code < std::numeric_limits<int32_t>::min() ||
            code > std::numeric_limits<int32_t>::max()) {
            errors.push_back(at + ": lucode \"" + cell(idx[0]) + "\" is not an integer");
            ok = false;
        } else {
            r.lucode = static_cast<int32_t>(code);
        }
        double *const combined[4] = {&r.c_above_mg_c_per_ha, &r.c_below_mg_c_per_ha,
                                     &r.c_soil_mg_c_per_ha, &r.c_dead_mg_c_per_ha};
        double *const split[5] = {&r.c_above_mg_c_per_ha, &r.c_below_mg_c_per_ha,
                                  &r.c_dead_wood_mg_c_per_ha, &r.c_litter_mg_c_per_ha,
                                  &r.c_soil_mg_c_per_ha};
        double *const *dst = table.split_dead_matter ? split : combined;
        for (std::size_t p = 0; p + 1 < required.size(); ++p) {
            const std::string v = cell(idx[p + 1]);
            double d = 0.0;
            if (!parse_number(v, d)) {
                errors.push_back(at + ": " + required[p + 1] + " \"" + v +
                                 "\" is not a finite number");
                ok = false;
            } else if (d < 0.0) {
                errors.push_back(at + ": " + required[p + 1] + " " + v +
                                 " is negative (carbon densities are >= 0 Mg C/ha)");
                ok = false;
            } else {
                *dst[p] = d;
            }
        }
        if (table.split_dead_matter) {
            r.c_dead_mg_c_per_ha = r.c_dead_wood_mg_c_per_ha + r.c_litter_mg_c_per_ha;
        }
        const double value[DENSITY_COLUMN_COUNT] = {
            r.c_above_mg_c_per_ha, r.c_below_mg_c_per_ha,     r.c_soil_mg_c_per_ha,
            r.c_dead_mg_c_per_ha,  r.c_dead_wood_mg_c_per_ha, r.c_litter_mg_c_per_ha};
        double *const sd[DENSITY_COLUMN_COUNT] = {&r.c_above_sd, &r.c_below_sd,     &r.c_soil_sd,
                                                  &r.c_dead_sd,  &r.c_dead_wood_sd, &r.c_litter_sd};
        for (std::size_t c = 0; c < DENSITY_COLUMN_COUNT; ++c) {
            const bool as_sd = sd_idx[c] >= 0;
            const int column = as_sd ? sd_idx[c] : u_idx[c];
            const std::string v = column >= 0 ? cell(column) : std::string();
            if (v.find_first_not_of(" \t") == std::string::npos) {
                continue; // no uncertainty for this row
            }
            const std::string name =
                std::string(ALL_DENSITY_COLUMNS[c]) + (as_sd ? "_sd" : "_u_pct");
            double d = 0.0;
            if (!parse_number(v, d)) {
                errors.push_back(at + ": " + name + " \"" + v +
                                 "\" is not a finite number (leave the cell empty for no "
                                 "uncertainty)");
                ok = false;
            } else if (d < 0.0) {
                errors.push_back(
                    at + ": " + name + " " + v +
                    (as_sd ? " is a negative SD (a standard deviation is >= 0 Mg C/ha)"
                           : " is a negative uncertainty (the half-width of a 95 % interval is "
                             ">= 0 % of the value)"));
                ok = false;
            } else {
                // sd = value x U / 100 / 1.96 (science.md §7, U the 95 % half-width in %).
                *sd[c] = as_sd ? d : value[c] * d / 100.0 / Z95;
            }
        }
        if (uncertainty_source_idx >= 0) {
            r.uncertainty_source = cell(uncertainty_source_idx);
        }
        if (name_idx >= 0) {
            r.name = cell(name_idx);
        }
        if (source_idx >= 0) {
            r.source = cell(source_idx);
        }
        if (status_idx >= 0) {
            r.status = cell(status_idx);
        }
        if (!ok) {
            continue;
        }
        if (auto [pos, fresh] = seen.emplace(r.lucode, row.line); !fresh) {
            errors.push_back(at + ": lucode " + std::to_string(r.lucode) +
                             " is listed twice (also line " + std::to_string(pos->second) + ")");
            continue;
        }
        table.rows.push_back(r);
    }
    if (csv.rows.empty()) {
        errors.push_back(where + ": the table has no rows");
    }
    std::sort(table.rows.begin(), table.rows.end(),
              [](const PoolsRow &a, const PoolsRow &b) { return a.lucode < b.lucode; });
    return table;
}

} // namespace cs::models
