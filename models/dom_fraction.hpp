// dom.agb_fraction: dead wood and litter carbon as fractions of above-ground biomass, by climate
// domain, elevation and annual precipitation (CDM AR-TOOL12; science.md §2.5).
#pragma once
#include "models/parameter_tables.hpp"
#include "models/pools_table.hpp"
#include "models/stock_model.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// The shipped tables the DOM model reads (configs/parameters).
struct DomTables {
    DomTable fractions;         ///< dom_fractions.csv
    ClimateZoneCodeTable zones; ///< ipcc_climate_zone_codes.csv (climate_zone mode only)
};

/// Where a pixel's climate domain comes from.
enum class DomDomainSource {
    temperate_or_boreal, ///< every pixel: the table's temperate row (one source row for both)
    tropical,            ///< every pixel: the tropical rows, by elevation and precipitation
    climate_zone,        ///< per pixel, from an IPCC climate-zone raster: zones named tropical_*
                         ///< use the tropical rows, boreal_* the boreal row, others temperate
};

/// Inputs of one chunk of one epoch.
struct DomInputs {
    std::size_t n = 0;
    /// AGB (t d.m./ha) from the stock model (StockOutputs::agb_t_dm_per_ha); NaN where it has
    /// none, and those pixels keep the pools table's dead wood and litter.
    const double *agb_t_dm_per_ha = nullptr;
    /// The model's layers(), in order: values and validity.
    const double *const *layer = nullptr;
    const uint8_t *const *layer_valid = nullptr;
};

/// Dead organic matter from AGB (CDM AR-TOOL12 v3.0 pp. 17-18, as in wri/carbon-budget
/// create_carbon_pools.py; science.md §2.5), for every valid pixel whose stock model gives AGB:
///   dead_wood = AGB x f_deadwood x CF_deadwood,   litter = AGB x f_litter x CF_litter,
/// f and CF from the dom_fractions.csv row of the pixel's domain, elevation and precipitation
/// (classes (lower, upper], parameter_tables.hpp). Pixels without AGB keep the pools table's
/// c_dead_wood and c_litter. A pixel with AGB whose domain inputs are nodata becomes nodata; a
/// climate-zone code missing from the zone table, or a (domain, elevation, precipitation) with
/// no row, becomes missing_parameter. Either way all its pools become 0, its class index -1 and
/// its method code none (invalid pixels hold no carbon). Immutable after construction.
///
/// Uncertainty (models/uncertainty.hpp; given the pools table, else describes_uncertainty() is
/// false). Parameters: first the pools table's c_dead_wood and c_litter of each row
/// (pools_uncertain_parameter: the stock model's parameters, same names; index 2 row and 2 row +
/// 1), then per dom_fractions.csv row "dom_fractions.csv:<column>[<domain>,<elevation lower>,
/// <elevation upper>,<precipitation lower>,<precipitation upper>]" (bounds as in the file) for
/// deadwood_fraction_of_agb, litter_fraction_of_agb, deadwood_carbon_fraction and
/// litter_carbon_fraction: Distribution::none (science.md §7.1: the Table 2.2 ranges are [U];
/// CDM AR-TOOL12 prints none), source the table line. One statistic "dom_from_agb" (axis
/// epoch, one pair; key -1 where the pixel is not valid):
///   keys [0, table rows): a valid pixel without AGB, key = its class index (the pools-table
///     row: the stock models that give AGB take their classes from that table), weight 1,
///     terms dead_wood {c_dead_wood(row)} and litter {c_litter(row)}: the upstream value the
///     stage leaves in place, so these pools stay described (the stock model's terms for them
///     are dropped, this stage being the last to write them);
///   keys table rows + r: a pixel with AGB whose fractions are row r, weight = the pixel's AGB,
///     terms dead_wood {f_deadwood, CF_deadwood} and litter {f_litter, CF_litter}.
/// Held at the central value: the AGB weight where the AGB itself comes from uncertain
/// parameters (V x BCEF_S of stocks.inventory, a carbon AGB map divided by its CF); a dry-matter
/// AGB map is data, exact.
class DomFractionModel {
public:
    /// `pool_count`, `dead_wood_pool`, `litter_pool`: the stock model's pools. `has_strata`:
    /// elevation and precipitation rasters are given. `pools_table`: the stock model's pools
    /// table (with c_dead_wood and c_litter), for the uncertainty of the pixels the model leaves
    /// as they were; null: the model does not describe its uncertainty. Every problem (a domain
    /// missing from the table; tropical without elevation and precipitation) is appended to
    /// `errors`; the model is usable only when none was added.
    DomFractionModel(const DomTables &tables, DomDomainSource source, bool has_strata,
                     std::size_t pool_count, int dead_wood_pool, int litter_pool,
                     std::vector<std::string> &errors, const PoolsTable *pools_table = nullptr);

    static const std::string &name();
    /// Layers, one raster each for every epoch: dom_climate_zone (categorical, climate_zone
    /// mode), then elevation (m) and precipitation (mm/yr) (continuous) when has_strata.
    std::vector<LayerRequest> layers() const;

    /// True when pixels of climate-zone code `code` need elevation and precipitation (their
    /// domain's fractions depend on them: the tropical rows). False for unknown codes.
    bool zone_needs_strata(double code) const;

    /// Replace dead wood and litter of the pixels with AGB, in place (`out` as the stock model
    /// wrote it: pool densities, status, optional class index and method code). Thread-safe,
    /// no allocation. When out.stats is not null, also fills the rows of statistics() (then
    /// out.class_index must be given: it keys the pixels without AGB).
    void apply(const DomInputs &in, StockOutputs &out) const;

    /// Uncertainty (see the class comment).
    bool describes_uncertainty() const { return m_has_pools; }
    std::vector<UncertainParameter> uncertain_parameters() const;
    std::vector<StatisticDecl> statistics() const;

    /// The dom_fractions.csv rows the model can use, one line each ("temperate (line 6): dead
    /// wood 0.08 x AGB x CF 0.47, litter 0.04 x AGB x CF 0.37, status V"), for provenance.
    std::vector<std::string> rows_used() const;

private:
    /// One dom_fractions.csv row, as numbers.
    struct Row {
        double elevation_lower_m, elevation_upper_m;
        double precip_lower_mm_per_yr, precip_upper_mm_per_yr;
        double deadwood_fraction, litter_fraction;
        double deadwood_cf, litter_cf;
        std::size_t table_row; ///< index in m_table.rows (provenance)
    };
    /// The rows of one domain, [begin, end) in m_rows; `uniform` when one row holds every
    /// elevation and precipitation (no strata needed).
    struct Group {
        std::size_t begin = 0, end = 0;
        bool uniform = false;
    };
    enum : int { TEMPERATE = 0, BOREAL = 1, TROPICAL = 2, DOMAINS = 3 };

    /// The pixel loop of apply(); `Stats`: also fill out.stats (decided once per chunk).
    template <bool Stats> void apply_rows(const DomInputs &in, StockOutputs &out) const;

    DomTable m_table;
    std::vector<Row> m_rows;
    Group m_groups[DOMAINS];
    DomDomainSource m_source;
    bool m_has_strata;
    std::size_t m_pools;
    std::size_t m_dead_wood;
    std::size_t m_litter;
    int m_fixed_group = -1;           ///< the group of every pixel, or -1 (climate_zone mode)
    int m_zone_min = 0;               ///< climate_zone mode: first code of the zone table
    std::vector<int8_t> m_zone_group; ///< code - m_zone_min -> group, -1 when not in the table
    bool m_has_pools = false;         ///< a pools table was given (uncertainty described)
    /// Per pools-table row: its c_dead_wood and c_litter parameters, index 2 row and 2 row + 1.
    std::vector<UncertainParameter> m_pools_parameters;
};

} // namespace cs::models
