// The disturbance table of flux.gain_loss losses.
#include "models/losses.hpp"

#include "models/csv.hpp"
#include "models/model_error.hpp"
#include "models/uncertainty.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace cs::models {

std::vector<DisturbanceType> parse_disturbance_types(const std::string &text,
                                                     const std::string &where,
                                                     std::vector<std::string> &errors) {
    std::vector<DisturbanceType> out;
    CsvTable csv;
    try {
        csv = parse_csv(text, where);
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return out;
    }
    const int c_code = csv.column("code");
    const int c_name = csv.column("name");
    const int c_fd = csv.column("fd");
    const int c_source = csv.column("source");
    const int c_status = csv.column("status");
    bool columns_ok = true;
    for (const auto &[col, name] : {std::pair{c_code, "code"}, std::pair{c_fd, "fd"},
                                    std::pair{c_source, "source"}, std::pair{c_status, "status"}}) {
        if (col < 0) {
            errors.push_back(where + ", line " + std::to_string(csv.header_line) +
                             ": required column \"" + name +
                             "\" is missing (the header must have code, fd, source, status)");
            columns_ok = false;
        }
    }
    if (!columns_ok) {
        return out;
    }
    std::map<int32_t, int> seen;
    for (const auto &row : csv.rows) {
        const std::string at = where + ", line " + std::to_string(row.line);
        DisturbanceType t;
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
            errors.push_back(at + ": disturbance type code " + std::to_string(t.code) +
                             " is listed twice (also line " + std::to_string(it->second) + ")");
            continue;
        }
        t.name = row.cell(c_name);
        const std::string label = "disturbance type " + std::to_string(t.code) +
                                  (t.name.empty() ? "" : " (" + t.name + ")");
        double fd = 0;
        if (!parse_number(row.cell(c_fd), fd) || fd < 0.0 || fd > 1.0) {
            errors.push_back(at + ": " + label + ": fd \"" + row.cell(c_fd) +
                             "\" is not a number in [0, 1] (the fraction of the live biomass "
                             "the disturbance removes, IPCC 2006 Vol. 4 Ch. 2 Eq. 2.14)");
            continue;
        }
        t.fd = fd;
        t.source = row.cell(c_source);
        t.status = row.cell(c_status);
        if (t.source.empty()) {
            errors.push_back(at + ": " + label +
                             ": source is empty (say where fd comes from; no default exists)");
            continue;
        }
        t.description = label + ": fd " + row.cell(c_fd) + " (" + where + " line " +
                        std::to_string(row.line) + ", status " +
                        (t.status.empty() ? std::string("not given") : t.status) + ")";
        out.push_back(std::move(t));
    }
    if (csv.rows.empty()) {
        errors.push_back(where + ": the table has no rows");
    }
    std::sort(out.begin(), out.end(),
              [](const DisturbanceType &a, const DisturbanceType &b) { return a.code < b.code; });
    return out;
}

} // namespace cs::models
