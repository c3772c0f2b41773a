// stocks.inventory: forest biomass from growing-stock volume and forest type (China's continuous
// BEF or IPCC BCEF with root:shoot), other classes and pools from the pools table.
#pragma once
#include "models/code_index.hpp"
#include "models/lookup_stock.hpp"
#include "models/parameter_tables.hpp"
#include "models/stock_model.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cs::models {

/// The shipped parameter tables the inventory model reads (configs/parameters).
struct InventoryTables {
    CbefTable cbef;            ///< china_cbef.csv
    BcefTable bcef;            ///< ipcc_bcef.csv
    RootShootTable root_shoot; ///< ipcc_root_shoot.csv
};

/// One forest type of the user's forest-types table, resolved against the parameter tables.
struct ForestType {
    int32_t code = 0;
    std::string name;
    enum class Method { china_cbef, ipcc_bcef } method = Method::china_cbef;
    const CbefRow *cbef = nullptr; ///< china_cbef: the B = aV + b row
    int bcef_group = -1;           ///< ipcc_bcef: BcefTable group of (domain, type)
    int root_shoot_group = -1;     ///< ipcc_bcef: RootShootTable group of (zone, type)
    double carbon_fraction = 0.0;  ///< ipcc_bcef: CF of the biomass
    std::string status;            ///< worst status of the parameters used (for provenance)
    std::string description;       ///< "forest type 1 (Chinese fir): china_cbef cunninghamia..."
    int line = 0;
    /// The forest-types file name (basename of the table's `where`, e.g. "forest_types.csv"):
    /// the first part of the name of its carbon_fraction parameter.
    std::string file;
};

/// Parse the user's forest-types CSV. Columns (case-insensitive): code (integer, unique), name,
/// method (`china_cbef` or `ipcc_bcef`); for china_cbef: cbef_forest_type (a key of
/// china_cbef.csv); for ipcc_bcef: climate_domain and bcef_forest_type (ipcc_bcef.csv),
/// root_shoot_zone and root_shoot_type (ipcc_root_shoot.csv), carbon_fraction (0, 1]. Unknown
/// keys are errors naming the key and the valid ones; every problem is appended to `errors` as
/// "<where>, line N: <why>". Which method a forest type uses is the table's choice.
std::vector<ForestType> parse_forest_types(const std::string &text, const std::string &where,
                                           const InventoryTables &tables,
                                           std::vector<std::string> &errors);

/// Carbon stocks of forest pixels from the forest inventory:
///   china_cbef: live biomass carbon = (a V + b) x CF (Fang et al.; science.md §4). B includes
///               roots and no source splits it, so it is booked in its own pool
///               `live_biomass_cbef` (above- plus below-ground), never multiplied by (1 + R).
///   ipcc_bcef:  AGB = V x BCEF_S(class of V), BGB = AGB x R(class of AGB) (IPCC 2006 Vol. 4
///               Ch. 2 Eq. 2.8, Ch. 4 Tables 4.4 and 4.5); above_ground = AGB x CF,
///               below_ground = BGB x CF.
/// Soil and dead organic matter of forest pixels, and every pool of the other land-cover
/// classes, come from the pools table. Forest pixels need volume and forest type: nodata in
/// either makes the pixel invalid; negative, NaN or infinite volume is invalid_value; a
/// forest-type code not in the table or an AGB outside every root:shoot class is
/// missing_parameter.
/// Pools: above_ground, below_ground, live_biomass_cbef, then the pools table's others in its
/// order: soil, dead_organic_matter (c_dead) or dead_wood, litter, soil (c_dead_wood, c_litter).
/// AGB output (StockOutputs::agb_t_dm_per_ha): V x BCEF_S on ipcc_bcef pixels, NaN elsewhere
/// (China CBEF's B = aV + b has no AGB/BGB split; pools-table classes have no AGB).
///
/// Uncertainty (models/uncertainty.hpp). Parameters: first every pools-table density
/// (pools_uncertain_parameters: the names and index layout of stocks.lookup, row x table pool
/// count + pool), then, for the forest types the table uses, "china_cbef.csv:a_t_per_m3[<type>]",
/// "china_cbef.csv:b_t_per_ha[<type>]" (may be negative) and "china_cbef.csv:carbon_fraction
/// [<type>]", "ipcc_bcef.csv:bcef_s[<domain>,<type>,<gs lower>,<gs upper>]",
/// "ipcc_root_shoot.csv:ratio[<zone>,<type>,<agb lower>,<agb upper>]" (bounds as in the file,
/// INF for infinity) and "<forest-types file>:carbon_fraction[<code>]". None of these has a
/// documented uncertainty we could verify (science.md §7.1: Fang-type fits give n and R only;
/// BCEF and R ranges are [U]; the CF is the user's choice), so all are Distribution::none,
/// with the table and line as source: the user gives one under uncertainty.parameters.
/// Statistics (axis epoch; key -1 where the pixel is not valid or has no such term):
///   0 "area_by_class" (one pair): key = the pixel's table row, weight 1; terms
///     {density(row, pool)} for every pool the table gives that pixel: all of them for a
///     non-forest class, soil and dead matter for a forest class;
///   1 "forest_biomass" (two pairs): china_cbef: key (type, a) weight V, term live_biomass_cbef
///     {a, CF}, and key (type, b) weight 1, term live_biomass_cbef {b, CF} (Fang et al. 2001:
///     B = aV + b; science.md §4); ipcc_bcef: key (type, BCEF_S row, R row) weight V, terms
///     above_ground {BCEF_S, CF} and below_ground {BCEF_S, R, CF} (IPCC 2006 Vol. 4 Ch. 2 Eq.
///     2.8), second pair -1.
/// Held at the central value (documented approximations of the decomposition): the root:shoot
/// CLASS of an ipcc_bcef pixel (chosen by its central AGB; R itself is a parameter), and the
/// clamp of B = aV + b at 0 (a pixel whose central aV + b < 0 has no biomass term). The BCEF_S
/// class depends on the volume only (data), so it is exact.
class InventoryStockModel final : public StockModel {
public:
    /// `forest_classes`: land-cover codes that are forest. Throws ModelError when a forest class
    /// is not in the pools table (its soil and dead organic matter come from there).
    InventoryStockModel(PoolsTable pools, const std::vector<int32_t> &forest_classes,
                        std::shared_ptr<const InventoryTables> tables,
                        std::vector<ForestType> forest_types);

    const std::string &name() const override;
    const std::vector<std::string> &pool_names() const override;
    const std::vector<int32_t> &class_codes() const override { return m_lookup.class_codes(); }
    std::vector<std::string> class_names() const override { return m_lookup.class_names(); }
    std::vector<LayerRequest> layers() const override;
    void compute(const StockInputs &in, StockOutputs &out) const override;
    std::vector<std::string> unverified_parameters(int32_t class_index) const override;
    bool describes_uncertainty() const override { return true; }
    std::vector<UncertainParameter> uncertain_parameters() const override { return m_parameters; }
    std::vector<StatisticDecl> statistics() const override { return m_statistics; }

    const std::vector<ForestType> &forest_types() const { return m_types; }
    const std::shared_ptr<const InventoryTables> &tables() const { return m_tables; }
    /// Per class index (class_codes()): 1 when the class is forest.
    const std::vector<uint8_t> &forest_classes() const { return m_is_forest_row; }

private:
    /// Build m_parameters, m_statistics and the key bases (constructor).
    void declare_uncertainty();
    /// The pixel loop of compute(); `Stats`: also fill out.stats (decided once per chunk).
    template <bool Stats> void compute_rows(const StockInputs &in, StockOutputs &out) const;

    LookupStockModel m_lookup;
    std::vector<std::string> m_pool_names;
    std::shared_ptr<const InventoryTables> m_tables;
    std::vector<ForestType> m_types;
    std::vector<uint8_t> m_is_forest_row; ///< per pools-table row
    DenseCodeIndex m_type_index;          ///< forest-type code -> index in m_types
    std::vector<UncertainParameter> m_parameters;
    std::vector<StatisticDecl> m_statistics;
    /// Per forest type: its first key of statistic 1 (china: keys base (a) and base + 1 (b);
    /// ipcc: base + (BCEF_S row - group begin) x R rows of its group + (R row - group begin)).
    std::vector<int32_t> m_key_base;
    std::vector<int32_t> m_rs_rows; ///< per forest type: rows of its root:shoot group (ipcc)
};

} // namespace cs::models
