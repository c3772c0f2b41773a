// soil.ipcc_tier1: mineral-soil organic carbon by climate zone, soil type and land use/management
// (IPCC 2019 Eq. 2.25), moving linearly to a new equilibrium after a change (D = 20 years).
#pragma once
#include "models/parameter_tables.hpp"
#include "models/stock_model.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cs::models {

/// The shipped tables the soil model reads (configs/parameters).
struct SoilTables {
    SocRefTable soc_ref;        ///< ipcc2019_soc_ref.csv
    SocFactorTable factors;     ///< ipcc2019_soc_factors.csv
    ClimateZoneCodeTable zones; ///< ipcc_climate_zone_codes.csv
};

/// How the soil of one land-cover class is computed.
struct SoilClassRule {
    int32_t lucode = 0;
    enum class Mode {
        factors,   ///< SOC_REF x F_LU x F_MG x F_I of `land_use` with the three levels
        reference, ///< SOC_REF (native vegetation, e.g. natural forest: factors 1 by definition)
        table,     ///< the pools table's c_soil (classes with no IPCC factors: settlement, water)
    } mode = Mode::reference;
    std::string land_use; ///< factors: cropland or grassland
    std::string lu_level, mg_level, i_level;
    int line = 0;
};

/// Parse the soil-management CSV: lucode, mode (factors | reference | table), land_use,
/// lu_level, mg_level, i_level (the last four for mode factors). Problems appended to `errors`.
std::vector<SoilClassRule> parse_soil_management(const std::string &text, const std::string &where,
                                                 std::vector<std::string> &errors);

/// Soil organic carbon, 0-30 cm, Tier 1 (IPCC 2019 Vol. 4 Ch. 2 Eq. 2.25; science.md §3):
///   SOC_eq = SOC_REF(climate zone, soil type) x F_LU x F_MG x F_I   (mode factors)
///          = SOC_REF                                              (mode reference)
///          = c_soil of the pools table                            (mode table)
/// The first epoch is taken to be at equilibrium. When a pixel's SOC_eq changes between epochs
/// (land use or management changed), its SOC moves linearly from its value at the earlier epoch
/// to the new SOC_eq, reaching it after `transition_years` (IPCC default D = 20 yr; the change
/// is dated at the earlier epoch), so the sink between epochs follows the transition instead of
/// an instant jump.
class SoilTier1Model {
public:
    /// `class_codes` and `table_soil_mg_c_per_ha`: the stock model's classes (ascending) and
    /// their pools-table c_soil; `rules` one per class; `soil_types`: soil raster code -> soil
    /// key of ipcc2019_soc_ref.csv (hac, lac, sandy, spodic, volcanic, wetland). Every problem
    /// (a class without a rule, unknown levels, land uses or soil keys) is appended to `errors`.
    SoilTier1Model(std::shared_ptr<const SoilTables> tables,
                   const std::vector<int32_t> &class_codes,
                   const std::vector<double> &table_soil_mg_c_per_ha,
                   const std::vector<SoilClassRule> &rules,
                   const std::map<int32_t, std::string> &soil_types, double transition_years,
                   std::vector<std::string> &errors);

    /// Layers: climate_zone and soil_type (categorical, one raster each for every epoch).
    std::vector<LayerRequest> layers() const;

    /// Replace the soil pool of `n` pixels for every epoch. Per epoch e: `class_row[e]` (class
    /// index, as StockOutputs::class_index), `status[e]` (updated: nodata when a stratum is
    /// nodata for a class that needs it, missing_parameter when the table has no value),
    /// `soil[e]` (output, Mg C/ha). `zone`/`soil_code` are the two layers. Thread-safe.
    void apply(std::size_t n, const std::vector<int> &years, const int32_t *const *class_row,
               uint8_t *const *status, const double *zone, const uint8_t *zone_ok,
               const double *soil_code, const uint8_t *soil_ok, double *const *soil) const;

    double transition_years() const { return m_years; }

private:
    /// SOC_eq for (zone index, soil index, class); NaN when missing.
    double eq(std::size_t z, std::size_t s, std::size_t c) const {
        return m_eq[(z * m_soils + s) * m_classes + c];
    }

    double m_years = 20.0;
    int m_zone_min = 0;
    std::size_t m_zones = 0;
    std::vector<int32_t> m_soil_codes; ///< ascending raster codes
    std::size_t m_soils = 0;
    std::size_t m_classes = 0;
    std::vector<uint8_t> m_needs_strata; ///< per class: 0 for mode table
    std::vector<double> m_eq;
};

} // namespace cs::models
