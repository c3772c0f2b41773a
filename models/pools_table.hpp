// The InVEST-compatible carbon pools table: carbon density per land-cover class and pool.
#pragma once
#include <array>
#include <cstdint>
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

    /// The table's pools in output order: above_ground, below_ground, soil, dead_organic_matter
    /// (c_dead; unchanged from InVEST), or above_ground, below_ground, dead_wood, litter, soil
    /// (split), the five pools of IPCC 2006 Vol. 4 Ch. 2 Eq. 2.3.
    const std::vector<std::string> &pool_names() const;
    /// Append the densities (Mg C/ha) of `row` in pool_names() order.
    void append_densities(const PoolsRow &row, std::vector<double> &out) const;
};

/// Parse a pools table (CSV text). Columns, case-insensitive: lucode, c_above, c_below, c_soil
/// and either c_dead or both c_dead_wood and c_litter (Mg C/ha); others are ignored. Every
/// problem is appended to `errors` as "<where>, line N: <why>": missing columns, c_dead together
/// with a split column or one split column alone (naming the header line), non-integer codes,
/// non-numeric, negative or non-finite densities, duplicate codes. The table is usable only when
/// no error was added.
PoolsTable parse_pools_table(const std::string &text, const std::string &where,
                             std::vector<std::string> &errors);

} // namespace cs::models
