// flux.gain_loss: the annual change of the live-biomass pools from growth minus losses (IPCC 2006
// Vol. 4 Ch. 2 Eq. 2.7), the alternative to the stock difference for those pools.
#pragma once
#include "models/code_index.hpp"
#include "models/inventory_stock.hpp"
#include "models/parameter_tables.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cs::models {

/// One row of the user's growth table (flux.gain_loss with growth: tier1): a forest-type code
/// of the forest-type raster and the ipcc_tier1_growth.csv row it uses.
struct GrowthType {
    int32_t code = 0;
    std::string name;
    const Tier1GrowthRow *row = nullptr;
    double carbon_fraction = 0.0; ///< CF of the growth (dry matter -> carbon)
    std::string status;           ///< worst status of the row and the user's source
    std::string description;      ///< for provenance and warnings
    int line = 0;
};

/// Parse the growth table. Columns (case-insensitive): code (integer, unique), name (optional),
/// ecozone, continent, growth_forest_type (a key of ipcc_tier1_growth.csv), carbon_fraction
/// (0, 1], source (optional), status (optional). Every problem is appended to `errors` as
/// "<where>, line N: <why>"; an unknown (ecozone, continent, forest type) names the valid ones
/// of that ecozone and continent.
std::vector<GrowthType> parse_growth_types(const std::string &text, const std::string &where,
                                           const Tier1GrowthTable &table,
                                           std::vector<std::string> &errors);

/// Inputs of one period (epochs k and k+1) for `n` pixels.
struct GainLossPeriod {
    std::size_t n = 0;
    const int32_t *class_from = nullptr; ///< class index at epoch k, -1 when not valid
    const int32_t *class_to = nullptr;   ///< class index at epoch k+1, -1 when not valid
    const double *stock_from = nullptr;  ///< sum of the gain-loss pools at epoch k, Mg C/ha
    const double *stock_to = nullptr;    ///< same at epoch k+1
    const double *forest_type = nullptr; ///< forest-type codes
    const uint8_t *forest_type_ok = nullptr;
    /// tier1: stand age at the first epoch (yr); volume_increment: net annual volume increment
    /// I_V (m3/ha/yr).
    const double *driver = nullptr;
    const uint8_t *driver_ok = nullptr;
    const double *volume_from = nullptr; ///< volume_increment: growing stock at epoch k, m3/ha
    const uint8_t *volume_from_ok = nullptr;
    double years_since_first_epoch = 0.0; ///< year of epoch k - year of the first epoch
    double years = 0.0;                   ///< length of the period, > 0
};

/// Gain-loss change of the live-biomass pools, IPCC 2006 Vol. 4 Ch. 2:
///   forest remaining forest (a forest class at both epochs): the annual gain
///     dC_G = G_TOTAL x CF with G_TOTAL = G_W x (1 + R)                         (Eqs. 2.9, 2.10)
///     tier1:            G_W = mean AGB growth of the Tier 1 curve between the stand's ages at
///                       the two epochs (r0 up to 20 yr, r20 after, capped by K20/Kmax;
///                       ipcc_tier1_growth.csv, science.md §2.4); R = rs_young below the row's
///                       root_shoot_break at the start of the period, else rs_old.
///     volume_increment: ipcc_bcef forest types: G_W = I_V x BCEF_I, BCEF_I by the growing-stock
///                       class of V at epoch k (Table 4.5), R by the class of AGB = V x BCEF_S
///                       (Table 4.4), CF of the forest type (Eq. 2.10, Tier 2).
///                       china_cbef forest types: B = aV + b includes roots, so the growth of B
///                       is a x I_V (the derivative of Fang et al.'s line), times the row's CF,
///                       never multiplied by (1 + R).
///   every other pixel (land converted to or from forest, or non-forest): the conversion change
///     of the pools, (C_k+1 - C_k) / years (Eqs. 2.15, 2.16 annualised over the period).
/// Losses from harvest and disturbance inside forest remaining forest (Eqs. 2.11-2.14) need
/// removal and disturbance data that carbonsink does not read yet: they are not included.
/// Results are Mg C/ha/yr, > 0 = gain; NaN where the change cannot be computed (an epoch not
/// valid, forest type / age / increment nodata, a negative age or increment, no parameter row).
class GainLossModel {
public:
    enum class Growth { tier1, volume_increment };

    /// Tier 1 growth. `is_forest_class[c]`: 1 when class index c is forest.
    GainLossModel(std::vector<GrowthType> types, std::vector<uint8_t> is_forest_class);
    /// Volume-increment growth with the inventory model's forest types and tables.
    GainLossModel(std::shared_ptr<const InventoryTables> tables, std::vector<ForestType> types,
                  std::vector<uint8_t> is_forest_class);

    Growth growth() const { return m_growth; }
    /// Change of one period; `out[i]` in Mg C/ha/yr (NaN when not computable).
    void period(const GainLossPeriod &in, double *out) const;
    /// Codes of the forest types the model knows, ascending.
    std::vector<int32_t> type_codes() const;
    /// Descriptions of unverified parameter rows (status U or PLACEHOLDER) the model can use.
    std::vector<std::string> unverified_parameters() const;

private:
    double tier1_gain(std::size_t t, double age_from, double years) const;
    double volume_gain(std::size_t t, double volume_from, double increment) const;

    Growth m_growth;
    std::vector<GrowthType> m_tier1;
    std::shared_ptr<const InventoryTables> m_tables;
    std::vector<ForestType> m_inventory;
    std::vector<uint8_t> m_is_forest;
    DenseCodeIndex m_type_index; ///< forest-type code -> index in m_tier1 / m_inventory
};

} // namespace cs::models
