// stocks.lookup implementation.
#include "models/lookup_stock.hpp"

#include "models/model_error.hpp"

#include <algorithm>
#include <limits>

namespace cs::models {

namespace {
const std::string NAME = "stocks.lookup";
constexpr int64_t DENSE_LIMIT = int64_t{1} << 20;
} // namespace

const char *method_code_name(MethodCode c) {
    switch (c) {
    case MethodCode::none:
        return "no result";
    case MethodCode::pools_table:
        return "pools table";
    case MethodCode::agb_map:
        return "AGB map";
    case MethodCode::china_cbef:
        return "China CBEF";
    case MethodCode::ipcc_bcef:
        return "IPCC BCEF + root:shoot";
    }
    return "unknown";
}

const char *pixel_status_name(PixelStatus s) {
    switch (s) {
    case PixelStatus::valid:
        return "valid";
    case PixelStatus::nodata:
        return "nodata";
    case PixelStatus::unknown_class:
        return "unknown_class";
    case PixelStatus::invalid_value:
        return "invalid_value";
    case PixelStatus::missing_parameter:
        return "missing_parameter";
    }
    return "unknown";
}

LookupStockModel::LookupStockModel(PoolsTable table) : m_table(std::move(table)) {
    if (m_table.rows.empty()) {
        throw ModelError("stocks.lookup: the pools table has no rows");
    }
    std::sort(m_table.rows.begin(), m_table.rows.end(),
              [](const PoolsRow &a, const PoolsRow &b) { return a.lucode < b.lucode; });
    const int64_t lo = m_table.rows.front().lucode;
    const int64_t hi = m_table.rows.back().lucode;
    m_min_code = lo;
    m_pools = m_table.pool_names().size();
    m_dense = hi - lo + 1 <= DENSE_LIMIT;
    if (m_dense) {
        m_dense_rows.assign(static_cast<std::size_t>(hi - lo + 1), -1);
    }
    for (std::size_t r = 0; r < m_table.rows.size(); ++r) {
        const auto &row = m_table.rows[r];
        if (m_dense) {
            m_dense_rows[static_cast<std::size_t>(row.lucode - lo)] = static_cast<int32_t>(r);
        }
        m_codes.push_back(row.lucode);
        m_table.append_densities(row, m_density);
    }
    m_density.resize(m_density.size() + m_pools, 0.0); // the zero row of pixels without a class
}

std::vector<std::string> LookupStockModel::class_names() const {
    std::vector<std::string> names;
    names.reserve(m_table.rows.size());
    for (const auto &row : m_table.rows) {
        names.push_back(row.name);
    }
    return names;
}

int32_t LookupStockModel::find_row_sparse(int32_t code) const {
    const auto it = std::lower_bound(m_table.rows.begin(), m_table.rows.end(), code,
                                     [](const PoolsRow &r, int32_t c) { return r.lucode < c; });
    if (it == m_table.rows.end() || it->lucode != code) {
        return -1;
    }
    return static_cast<int32_t>(it - m_table.rows.begin());
}

const std::string &LookupStockModel::name() const { return NAME; }

std::vector<std::string> LookupStockModel::unverified_parameters(int32_t class_index) const {
    if (class_index < 0 || static_cast<std::size_t>(class_index) >= m_table.rows.size()) {
        return {};
    }
    const PoolsRow &row = m_table.rows[static_cast<std::size_t>(class_index)];
    if (!is_unverified_status(row.status)) {
        return {};
    }
    return {"pools table lucode " + std::to_string(row.lucode) +
            (row.name.empty() ? "" : " (" + row.name + ")") + ", line " + std::to_string(row.line) +
            ": status " + row.status + (row.source.empty() ? "" : "; source: " + row.source)};
}
const std::vector<std::string> &LookupStockModel::pool_names() const {
    return m_table.pool_names();
}

std::vector<UncertainParameter> LookupStockModel::uncertain_parameters() const {
    return pools_uncertain_parameters(m_table);
}

std::vector<StatisticDecl> LookupStockModel::statistics() const {
    StatisticDecl decl;
    decl.name = "area_by_class";
    decl.axis = TimeAxis::epoch;
    decl.pairs = 1;
    decl.keys.resize(m_table.rows.size());
    for (std::size_t r = 0; r < m_table.rows.size(); ++r) {
        for (std::size_t p = 0; p < m_pools; ++p) {
            decl.keys[r].push_back(
                Term{static_cast<uint32_t>(p), Monomial{static_cast<uint32_t>(r * m_pools + p)}});
        }
    }
    return {decl};
}

void LookupStockModel::compute(const StockInputs &in, StockOutputs &out) const {
    if (out.stats != nullptr) {
        compute_rows<true>(in, out);
    } else {
        compute_rows<false>(in, out);
    }
}

template <bool Stats>
void LookupStockModel::compute_rows(const StockInputs &in, StockOutputs &out) const {
    double *const *d = out.pool_density_mg_c_per_ha;
    // Statistic 0, pair 0 (the only one): key = the pixel's row, weight 1 (see statistics()).
    int32_t *stat_key = Stats ? out.stats->key[0] : nullptr;
    double *stat_weight = Stats ? out.stats->weight[0] : nullptr;
    const std::size_t pools = m_pools;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < in.n; ++i) {
        int32_t row = -1;
        uint8_t status = static_cast<uint8_t>(PixelStatus::nodata);
        if (in.valid[i]) {
            row = find_row(in.land_cover[i]);
            status =
                static_cast<uint8_t>(row >= 0 ? PixelStatus::valid : PixelStatus::unknown_class);
        }
        out.status[i] = status;
        if (out.class_index != nullptr) {
            out.class_index[i] = row;
        }
        if (out.method_code != nullptr) {
            out.method_code[i] = static_cast<uint8_t>(
                status == static_cast<uint8_t>(PixelStatus::valid) ? MethodCode::pools_table
                                                                   : MethodCode::none);
        }
        if (out.agb_t_dm_per_ha != nullptr) {
            out.agb_t_dm_per_ha[i] = nan; // class densities are carbon: no AGB in dry matter
        }
        // Pixels without a row read the row of zeros after the table's rows.
        const std::size_t r = row >= 0 ? static_cast<std::size_t>(row) : m_codes.size();
        const double *dens = &m_density[r * pools];
        for (std::size_t p = 0; p < pools; ++p) {
            d[p][i] = dens[p];
        }
        if constexpr (Stats) {
            const bool ok = status == static_cast<uint8_t>(PixelStatus::valid);
            stat_key[i] = ok ? row : -1;
            stat_weight[i] = ok ? 1.0 : 0.0;
        }
    }
}

} // namespace cs::models
