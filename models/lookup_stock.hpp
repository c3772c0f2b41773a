// stocks.lookup: carbon density per land-cover class from an InVEST carbon pools table.
#pragma once
#include "models/pools_table.hpp"
#include "models/stock_model.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// Carbon stock by class look-up, as in the InVEST Carbon Storage model (Sharp et al., InVEST
/// User's Guide, "Carbon Storage and Sequestration"): the density of each pool is a constant per
/// land-cover class, C_pool(pixel) = table[lucode(pixel)].c_pool (Mg C/ha). This is IPCC Tier 1
/// stock accounting by land category when the table holds Tier 1 defaults.
/// Pools (PoolsTable::pool_names): above_ground (c_above), below_ground (c_below), soil (c_soil),
/// dead_organic_matter (c_dead); or, for a table with c_dead_wood and c_litter, above_ground,
/// below_ground, dead_wood, litter, soil.
///
/// Uncertainty (models/uncertainty.hpp): every density is a parameter, named
/// pools_parameter_name(table file, column, lucode), normal(density, sd) with the sd of the
/// table's `<column>_sd` / `<column>_u_pct` (Distribution::none where the table gives none,
/// ::exact where it gives 0), non-negative. One statistic, "area_by_class" (axis epoch, one
/// pair): key = the pixel's table row (-1 where the pixel is not valid), weight 1; key r has
/// one term per pool p with monomial {density(r, p)}. The decomposition is exact: nothing is
/// held at the central value.
class LookupStockModel final : public StockModel {
public:
    /// Throws ModelError when the table is empty.
    explicit LookupStockModel(PoolsTable table);

    const std::string &name() const override;
    const std::vector<std::string> &pool_names() const override;
    const std::vector<int32_t> &class_codes() const override { return m_codes; }
    /// The `lulc_name` of each row (empty when the table has no such column).
    std::vector<std::string> class_names() const override;
    void compute(const StockInputs &in, StockOutputs &out) const override;
    std::vector<std::string> unverified_parameters(int32_t class_index) const override;
    bool describes_uncertainty() const override { return true; }
    /// One per (row, pool), index row x pool_count() + pool.
    std::vector<UncertainParameter> uncertain_parameters() const override;
    std::vector<StatisticDecl> statistics() const override;

    /// True when `code` has a row in the table.
    bool has_code(int32_t code) const { return find_row(code) >= 0; }
    const PoolsTable &table() const { return m_table; }
    /// Row index of `code` in table().rows, or -1. Inline, allocation-free: for the hot loop.
    int32_t row_of(int32_t code) const { return find_row(code); }
    /// Number of pools (4, or 5 for a table with dead wood and litter apart).
    std::size_t pool_count() const { return m_pools; }
    /// Densities of row `row` in pool_names() order, pool_count() values, Mg C/ha.
    const double *row_densities(int32_t row) const {
        return &m_density[static_cast<std::size_t>(row) * m_pools];
    }

private:
    int32_t find_row(int32_t code) const {
        if (m_dense) {
            const int64_t k = static_cast<int64_t>(code) - m_min_code;
            return (k >= 0 && k < static_cast<int64_t>(m_dense_rows.size()))
                       ? m_dense_rows[static_cast<std::size_t>(k)]
                       : -1;
        }
        return find_row_sparse(code);
    }
    int32_t find_row_sparse(int32_t code) const;
    /// The pixel loop of compute(); `Stats`: also fill out.stats (decided once per chunk).
    template <bool Stats> void compute_rows(const StockInputs &in, StockOutputs &out) const;

    PoolsTable m_table;
    bool m_dense = true;
    int64_t m_min_code = 0;
    std::vector<int32_t> m_dense_rows; ///< code - min -> row, -1 when absent
    std::size_t m_pools = 4;
    std::vector<double> m_density; ///< row-major [row][pool]
    std::vector<int32_t> m_codes;  ///< table codes, ascending (row order)
};

} // namespace cs::models
