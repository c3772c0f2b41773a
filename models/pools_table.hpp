// The InVEST-compatible carbon pools table: carbon density per land-cover class and pool.
#pragma once
#include "models/uncertainty.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace cs::models {

/// One row of the pools table: class code and densities in Mg C/ha.
struct PoolsRow {
    int32_t lucode = 0;
    double c_above_mg_c_per_ha = 0.0;
    double c_below_mg_c_per_ha = 0.0;
    double c_soil_mg_c_per_ha = 0.0;
    double c_dead_mg_c_per_ha = 0.0;      ///< c_dead; in a split table, c_dead_wood + c_litter
    double c_dead_wood_mg_c_per_ha = 0.0; ///< c_dead_wood (split tables only)
    double c_litter_mg_c_per_ha = 0.0;    ///< c_litter (split tables only)
    std::string name;                     ///< from an optional `lulc_name` column
    std::string source;                   ///< from an optional `source` column
    std::string status; ///< from an optional `status` column (V, V2, U, PLACEHOLDER, ...)
    int line = 0;       ///< line in the file, for messages
    /// Standard deviations (Mg C/ha) of the densities, from the optional `<column>_sd` or
    /// `<column>_u_pct` columns (sd = value x U / 100 / 1.96, U the half-width of the 95 %
    /// interval in % of the value: science.md §7); NaN where the table gives none.
    double c_above_sd = std::numeric_limits<double>::quiet_NaN();
    double c_below_sd = std::numeric_limits<double>::quiet_NaN();
    double c_soil_sd = std::numeric_limits<double>::quiet_NaN();
    double c_dead_sd = std::numeric_limits<double>::quiet_NaN();
    double c_dead_wood_sd = std::numeric_limits<double>::quiet_NaN();
    double c_litter_sd = std::numeric_limits<double>::quiet_NaN();
    std::string uncertainty_source; ///< from an optional `uncertainty_source` column
};

/// True when a parameter status marks an unverified value a user must confirm (any case): it
/// contains "PLACEHOLDER", or, after leading blanks, quotes or "[", is "U" alone, "U" followed
/// by a non-letter ("U-single", "[U] ...") or starts with "unverified". "user" is not. The one
/// rule of the project (pools table, crosswalks, parameter tables).
bool is_unverified_status(const std::string &status);

/// Rows of a pools table, sorted by lucode, and which dead-organic-matter columns it has.
struct PoolsTable {
    std::vector<PoolsRow> rows;
    /// false: one column c_dead, one pool dead_organic_matter (InVEST); true: columns
    /// c_dead_wood and c_litter, pools dead_wood and litter.
    bool split_dead_matter = false;
    /// The file name of the table (basename of the `where` it was parsed with, e.g.
    /// "pools.csv"): the first part of its parameter names (pools_parameter_name).
    std::string file_name;

    /// The table's pools in output order: above_ground, below_ground, soil, dead_organic_matter
    /// (c_dead; unchanged from InVEST), or above_ground, below_ground, dead_wood, litter, soil
    /// (split), the five pools of IPCC 2006 Vol. 4 Ch. 2 Eq. 2.3.
    const std::vector<std::string> &pool_names() const;
    /// Append the densities (Mg C/ha) of `row` in pool_names() order.
    void append_densities(const PoolsRow &row, std::vector<double> &out) const;
    /// The density columns in pool_names() order: c_above, c_below, c_soil, c_dead (or
    /// c_above, c_below, c_dead_wood, c_litter, c_soil).
    const std::vector<std::string> &density_columns() const;
    /// Append the standard deviations (Mg C/ha, NaN = none) of `row` in pool_names() order.
    void append_sds(const PoolsRow &row, std::vector<double> &out) const;
};

/// The name of the uncertain parameter "density `column` of class `lucode`" of a pools table:
/// "<table file>:<column>[<lucode>]", e.g. pools_parameter_name("pools.csv", "c_above", 2) ==
/// "pools.csv:c_above[2]". The one scheme for every stage that uses a pools-table density (a
/// stage's parameters are matched by name: same name, one draw) and for the keys of
/// `uncertainty.parameters` and `assume_exact` in configs.
std::string pools_parameter_name(const std::string &table_file, const std::string &column,
                                 int32_t lucode);

/// The uncertain parameter "density of pool `pool` (PoolsTable::pool_names() index) of `row`":
/// name pools_parameter_name(table.file_name, column, lucode), unit Mg C/ha, central the
/// density, non-negative, normal(density, sd) with the row's sd (Distribution::exact for sd 0,
/// ::none where the table gives none: never invented), source the row's uncertainty_source or
/// "<file>, line N", status the row's status. Every stage that uses a pools-table density
/// declares it through this function, so the same density is the same parameter.
UncertainParameter pools_uncertain_parameter(const PoolsTable &table, const PoolsRow &row,
                                             std::size_t pool);

/// Every density of `table` as pools_uncertain_parameter, index row x pool count + pool (the
/// layout of stocks.lookup's uncertain_parameters(), which the other stock models share).
std::vector<UncertainParameter> pools_uncertain_parameters(const PoolsTable &table);

/// Parse a pools table (CSV text). Columns, case-insensitive: lucode, c_above, c_below, c_soil
/// and either c_dead or both c_dead_wood and c_litter (Mg C/ha); others are ignored. Every
/// problem is appended to `errors` as "<where>, line N: <why>": missing columns, c_dead together
/// with a split column or one split column alone (naming the header line), non-integer codes,
/// non-numeric, negative or non-finite densities, duplicate codes. The table is usable only when
/// no error was added.
///
/// Uncertainty (optional): per density column c of the table, either `<c>_sd` (a standard
/// deviation, Mg C/ha) or `<c>_u_pct` (the half-width of the 95 % interval in % of the value,
/// science.md §7), never both (an error naming the header line); `<c>_sd` / `<c>_u_pct` of a
/// density column the table does not have is an error too. An empty cell is "no uncertainty
/// for this row"; a non-numeric, negative or non-finite one is an error. An optional
/// `uncertainty_source` column says where the row's uncertainties come from.
PoolsTable parse_pools_table(const std::string &text, const std::string &where,
                             std::vector<std::string> &errors);

} // namespace cs::models
