// stocks.agb_raster: the user's above-ground biomass map per epoch, plus a pools table.
#pragma once
#include "models/lookup_stock.hpp"
#include "models/stock_model.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace cs::models {

/// How to read the AGB rasters.
struct AgbRasterOptions {
    bool agb_is_carbon = false; ///< true: Mg C/ha; false: Mg dry matter/ha
    /// CF, dry matter -> carbon: required when agb_is_carbon is false; optional (0 = not given)
    /// for a carbon map, where it turns the map back into dry matter for models.dom.
    double carbon_fraction = 0.0;
    double root_shoot_ratio = 0.0; ///< R = BGB / AGB
};

/// Carbon stocks from an above-ground biomass map (the most requested InVEST feature):
///   above_ground = AGB x CF          (or AGB when the map is already Mg C/ha; IPCC 2006 Vol. 4
///                                     Ch. 4 Table 4.3 for CF)
///   below_ground = above_ground x R  (R = BGB/AGB, IPCC 2006 Vol. 4 Ch. 4 Table 4.4)
///   soil, dead_organic_matter        = c_soil, c_dead of the pixel's land-cover class in the
///   (or dead_wood, litter)             pools table (c_above and c_below are not used)
/// Pools in the pools table's order (PoolsTable::pool_names). A pixel whose AGB is nodata is
/// invalid (nodata); negative, NaN or infinite AGB is invalid_value. AGB output
/// (StockOutputs::agb_t_dm_per_ha): the map value for a dry-matter map, value / CF for a carbon
/// map with a carbon fraction, else NaN.
///
/// Uncertainty (models/uncertainty.hpp). Parameters: first every pools-table density
/// (pools_uncertain_parameters, index row x pool count + pool), then
/// "models.stocks.carbon_fraction" (dry-matter map only: a carbon map's CF does not enter the
/// pools) and "models.stocks.root_shoot_ratio", both config values with no documented uncertainty
/// (Distribution::none: the user gives one under uncertainty.parameters; science.md §7.1 has
/// no verified range for a user's CF or R). The map values are data, exact per pixel.
/// Statistics (axis epoch, one pair each; key -1 where the pixel is not valid):
///   0 "area_by_class": key = the pixel's table row, weight 1, terms soil and dead matter
///     {density(row, pool)} (the pools above_ground and below_ground are not from the table);
///   1 "agb_map": one key (0), weight = the map value, terms above_ground {CF} and below_ground
///     {CF, R} ({} and {R} for a carbon map).
/// Exact for any parameter values: nothing is held at the central value.
class AgbRasterStockModel final : public StockModel {
public:
    /// Throws ModelError when the table is empty, CF is not in (0, 1] for a dry-matter map (or
    /// is given, not 0, and not in (0, 1] for a carbon map), or R is negative or not finite.
    AgbRasterStockModel(PoolsTable table, AgbRasterOptions options);

    const std::string &name() const override;
    const std::vector<std::string> &pool_names() const override;
    const std::vector<int32_t> &class_codes() const override { return m_lookup.class_codes(); }
    std::vector<std::string> class_names() const override { return m_lookup.class_names(); }
    /// True when the model can give AGB in dry matter (a dry-matter map, or a carbon map with
    /// a carbon fraction).
    bool has_dry_matter_agb() const { return m_map_per_agb > 0.0; }
    std::vector<LayerRequest> layers() const override;
    void compute(const StockInputs &in, StockOutputs &out) const override;
    std::vector<std::string> unverified_parameters(int32_t class_index) const override {
        return m_lookup.unverified_parameters(class_index);
    }
    bool describes_uncertainty() const override { return true; }
    std::vector<UncertainParameter> uncertain_parameters() const override;
    std::vector<StatisticDecl> statistics() const override;

private:
    /// The pixel loop of compute(); `Stats`: also fill out.stats (decided once per chunk).
    template <bool Stats> void compute_rows(const StockInputs &in, StockOutputs &out) const;

    LookupStockModel m_lookup;
    AgbRasterOptions m_options;
    double m_agb_to_carbon = 1.0; ///< CF, or 1 for a carbon map
    double m_map_per_agb = 0.0;   ///< map units per t dm: 1, CF (carbon map), 0 (unknown)
};

} // namespace cs::models
