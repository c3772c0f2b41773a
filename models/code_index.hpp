// Forest-type (or other category) code -> row index, dense, for per-pixel lookups.
#pragma once
#include "models/model_error.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// Maps integer codes (ascending, unique) to their row index with one bounds check and one load;
/// codes read from rasters come as doubles (non-integral or out-of-range values find nothing).
class DenseCodeIndex {
public:
    static constexpr int64_t LIMIT = int64_t{1} << 20; ///< widest code range indexed densely

    /// `codes` ascending. Throws ModelError "<model>: forest type codes span N values; ..."
    /// when they span more than LIMIT values.
    void build(const std::vector<int32_t> &codes, const std::string &model) {
        m_table.clear();
        if (codes.empty()) {
            return;
        }
        m_min = codes.front();
        const int64_t range = static_cast<int64_t>(codes.back()) - m_min + 1;
        if (range > LIMIT) {
            throw ModelError(model + ": forest type codes span " + std::to_string(range) +
                             " values; use codes within a range of " + std::to_string(LIMIT));
        }
        m_table.assign(static_cast<std::size_t>(range), -1);
        for (std::size_t i = 0; i < codes.size(); ++i) {
            m_table[static_cast<std::size_t>(codes[i] - m_min)] = static_cast<int32_t>(i);
        }
    }
    /// Row index of `code`, or -1. Allocation-free, for the pixel loop.
    int32_t find(double code) const {
        const double k = code - static_cast<double>(m_min);
        if (!(k >= 0.0) || k >= static_cast<double>(m_table.size()) || k != std::floor(k)) {
            return -1;
        }
        return m_table[static_cast<std::size_t>(k)];
    }

private:
    int64_t m_min = 0;
    std::vector<int32_t> m_table;
};

} // namespace cs::models
