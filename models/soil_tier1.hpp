// soil.ipcc_tier1: mineral-soil organic carbon by climate zone, soil type and land use/management
// (IPCC 2019 Eq. 2.25), moving linearly to a new equilibrium after a change (D = 20 years).
#pragma once
#include "models/parameter_tables.hpp"
#include "models/pools_table.hpp"
#include "models/stock_model.hpp"
#include "models/uncertainty.hpp"

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
        raster,    ///< as factors, with land use and levels of the management-raster code
    } mode = Mode::reference;
    std::string land_use; ///< factors: cropland or grassland
    std::string lu_level, mg_level, i_level;
    int line = 0;
};

/// One code of the management raster: the land use and factor levels of its pixels (for
/// classes whose rule has mode raster), with its provenance.
struct SoilManagementCode {
    int32_t code = 0;
    std::string land_use; ///< cropland or grassland
    std::string lu_level, mg_level, i_level;
    std::string source, status;
    int line = 0; ///< 1-based line in the codes table
};

/// The management-code table: its rows sorted by code, and where it was read from (for
/// messages and the provenance, e.g. "models.soil.management_codes (codes.csv)").
struct SoilManagementCodes {
    std::string where;
    std::vector<SoilManagementCode> codes;
    /// The row of `code`, or nullptr.
    const SoilManagementCode *find(int32_t code) const noexcept;
};

/// Check a land use and its F_LU, F_MG and F_I levels against the factor table. Each unknown
/// one appends "<at>: land_use \"x\" is not one of cropland, grassland" or "<at>: mg_level
/// \"x\" is not a cropland F_MG level of ipcc2019_soc_factors.csv (full_tillage, ...)" to
/// `errors`. Returns true when all four are known.
bool check_soil_levels(const SocFactorTable &factors, const std::string &land_use,
                       const std::string &lu_level, const std::string &mg_level,
                       const std::string &i_level, const std::string &at,
                       std::vector<std::string> &errors);

/// Parse the soil-management CSV: lucode, mode (factors | reference | table | raster), land_use,
/// lu_level, mg_level, i_level (the last four for mode factors; mode raster takes them from the
/// management raster). Problems appended to `errors` as "<where>, line N: ...". With `factors`,
/// the land use and levels of mode factors are checked too (check_soil_levels).
std::vector<SoilClassRule> parse_soil_management(const std::string &text, const std::string &where,
                                                 std::vector<std::string> &errors,
                                                 const SocFactorTable *factors = nullptr);

/// Parse the management-code CSV: code (integer, unique), land_use, lu_level, mg_level, i_level,
/// source, status (all columns required; source and status may be empty). Problems appended to
/// `errors` as "<where>, line N: ...". With `factors`, land uses and levels are checked too
/// (check_soil_levels).
SoilManagementCodes parse_soil_management_codes(const std::string &text, const std::string &where,
                                                std::vector<std::string> &errors,
                                                const SocFactorTable *factors = nullptr);

/// Soil organic carbon, 0-30 cm, Tier 1 (IPCC 2019 Vol. 4 Ch. 2 Eq. 2.25; science.md §3):
///   SOC_eq = SOC_REF(climate zone, soil type) x F_LU x F_MG x F_I   (mode factors)
///          = the same, land use and levels of the pixel's management code (mode raster)
///          = SOC_REF                                              (mode reference)
///          = c_soil of the pools table                            (mode table)
/// The first epoch is taken to be at equilibrium. When a pixel's SOC_eq changes between epochs
/// (land use, or management class or code changed), its SOC moves linearly from its value at the
/// earlier epoch to the new SOC_eq, reaching it after `transition_years` (IPCC default D = 20 yr;
/// the change is dated at the earlier epoch), so the sink between epochs follows the transition
/// instead of an instant jump.
///
/// Every SOC_eq is precomputed per (zone, soil, class) and per (zone, soil, management code)
/// ("cells"), so apply() does no lookups by name and allocates nothing. Cells that use a
/// parameter row whose status is unverified (is_unverified_status) are flagged; apply() counts
/// the valid pixel-epochs of flagged cells only, and unverified_parameters() turns the counts
/// into one description per row.
///
/// Uncertainty (models/uncertainty.hpp; science.md §7). Parameters, identified by name:
///   - SOC_REF of each (climate zone, soil type) row a cell uses:
///     "ipcc2019_soc_ref.csv:soc_ref[<climate_zone>,<soil_type>]", normal with
///     sd = value x U / 100 / 1.96 (U the printed half-width of the 95 % interval, [V2]);
///   - each stock-change factor row a cell uses:
///     "ipcc2019_soc_factors.csv:<F_LU|F_MG|F_I>[<land_use>,<level>,<climate_zone>]" (the row's
///     own climate_zone, "all" for the rows that apply to every zone), normal with
///     sd = value x E / 100 / 2 (E printed as two standard deviations, [V2]); reference levels
///     ("=1 by definition") are Distribution::exact;
///   - c_soil of each class with mode table: the pools table's parameter
///     (pools_uncertain_parameter), so it is the stock model's parameter of the same name.
/// A row without a printed uncertainty is Distribution::none (never invented). All are
/// non_negative: the engine truncates their draws at 0 (a ±90 % SOC_REF cell has sd = 0.46 x
/// mean, and a normal puts about 1.5 % of its draws below zero: science.md §7).
///
/// Keys: one per distinct equilibrium state, i.e. per distinct monomial: {SOC_REF, F_LU, F_MG,
/// F_I} (mode factors, or a management code), {SOC_REF} (mode reference), {c_soil[lucode]}
/// (mode table); cells of different classes or soil codes with the same rows share a key. The
/// keys are enumerated at construction from the cells (climate zones x soil types x classes
/// and management codes), at most zones x soil codes x (classes + codes), in practice a few
/// hundred. Each key has one term: target = the soil pool, monomial = the state's.
/// Statistic (axis epoch, `pairs` = the number of epochs): a pixel's SOC at an epoch is the
/// linear transitions written out as a combination of equilibria: at a change from a
/// composition A (the SOC at the earlier epoch) to the state b, t years later,
/// (1 - f) x A + f x SOC_eq(b) with f = min(1, t / D) (IPCC 2019 Eq. 2.25 with the linear
/// approach over D years), and recursively for later changes; the weights of one state are
/// added, so a pixel gives at most one pair per valid epoch. The decomposition is exact for any
/// parameter values: nothing is held at the central value. What stays fixed is when a
/// transition happens: a change is where the central SOC_eq changes, as in the deterministic
/// run, so a class change between two states with the same central SOC_eq (e.g. reference and
/// a grassland whose factors are all reference levels) is no transition and keeps the earlier
/// state's key.
class SoilTier1Model {
public:
    /// `class_codes` and `table_soil_mg_c_per_ha`: the stock model's classes (ascending) and
    /// their pools-table c_soil; `rules` one per class; `management`: the codes of the
    /// management raster (needed when a rule has mode raster, ignored otherwise); `soil_types`:
    /// soil raster code -> soil key of ipcc2019_soc_ref.csv (hac, lac, sandy, spodic, volcanic,
    /// wetland). Every problem (a class without a rule, unknown levels, land uses or soil keys,
    /// mode raster without codes) is appended to `errors`. `pools_table`: the table the classes
    /// and their c_soil come from, for the parameters of mode table (without it they are named
    /// pools_parameter_name("pools table", "c_soil", lucode) and have no uncertainty).
    SoilTier1Model(std::shared_ptr<const SoilTables> tables,
                   const std::vector<int32_t> &class_codes,
                   const std::vector<double> &table_soil_mg_c_per_ha,
                   const std::vector<SoilClassRule> &rules, const SoilManagementCodes &management,
                   const std::map<int32_t, std::string> &soil_types, double transition_years,
                   std::vector<std::string> &errors, const PoolsTable *pools_table = nullptr);

    /// Layers: climate_zone and soil_type (categorical, one raster each for every epoch), and
    /// management (categorical, one raster for every epoch or one per epoch) when a class has
    /// mode raster.
    std::vector<LayerRequest> layers() const;

    /// True when a class has mode raster (the model reads the management layer).
    bool uses_management_raster() const { return m_codes > 0; }
    /// The management codes the model knows, ascending (empty without mode raster).
    const std::vector<int32_t> &management_codes() const { return m_mg_codes; }

    /// Replace the soil pool of `n` pixels for every epoch. Per epoch e: `class_row[e]` (class
    /// index, as StockOutputs::class_index), `status[e]` (updated: nodata when a stratum or the
    /// management code is nodata for a class that needs it, missing_parameter when the tables
    /// have no value), `soil[e]` (output, Mg C/ha). `zone`/`soil_code` are the two strata;
    /// `management[e]`/`management_ok[e]` the management codes of epoch e (the same row for
    /// every epoch when one raster serves all; may be null without mode raster). `usage`
    /// (usage_cells() counters, or null): incremented for valid pixel-epochs whose SOC_eq uses
    /// an unverified row. Thread-safe (each thread passes its own `usage`).
    void apply(std::size_t n, const std::vector<int> &years, const int32_t *const *class_row,
               uint8_t *const *status, const double *zone, const uint8_t *zone_ok,
               const double *soil_code, const uint8_t *soil_ok, double *const *soil,
               const double *const *management = nullptr,
               const uint8_t *const *management_ok = nullptr, int64_t *usage = nullptr,
               const StatisticRows *stats = nullptr) const;

    /// Every parameter the keys' monomials refer to (Monomial indices index this).
    const std::vector<UncertainParameter> &uncertain_parameters() const { return m_parameters; }
    /// The statistic apply() fills through `stats`: "soc_by_state", axis epoch, `epochs` pairs,
    /// one key per equilibrium state with one term (target `soil_pool`, the chain's index of
    /// the soil pool).
    StatisticDecl statistic(std::size_t epochs, uint32_t soil_pool) const;
    /// Number of keys (equilibrium states).
    std::size_t key_count() const { return m_key_monomials.size(); }

    double transition_years() const { return m_years; }

    /// Number of counters apply() may increment in `usage`.
    std::size_t usage_cells() const { return m_eq.size(); }

    /// The unverified parameter rows used by the pixel-epochs counted in `usage` (usage_cells()
    /// counters summed over every apply()), one per row, in table and line order, e.g.
    /// "ipcc2019_soc_factors.csv line 33: cropland F_LU perennial_tree_crop (tropical montane):
    /// status U (used by 12 pixel-epochs)". Empty when no unverified row was used.
    std::vector<std::string> unverified_parameters(const std::vector<int64_t> &usage) const;

private:
    /// Index of the cell (zone index, soil index, column): columns are the classes, then the
    /// management codes.
    std::size_t cell(std::size_t z, std::size_t s, std::size_t col) const {
        return (z * m_soils + s) * m_columns + col;
    }

    /// The pixel loop of apply(); `Stats`: also fill `stats` (decided once per call).
    template <bool Stats>
    void apply_rows(std::size_t n, const std::vector<int> &years, const int32_t *const *class_row,
                    uint8_t *const *status, const double *zone, const uint8_t *zone_ok,
                    const double *soil_code, const uint8_t *soil_ok, double *const *soil,
                    const double *const *management, const uint8_t *const *management_ok,
                    int64_t *usage, const StatisticRows *stats) const;

    double m_years = 20.0;
    int m_zone_min = 0;
    std::size_t m_zones = 0;
    std::vector<int32_t> m_soil_codes; ///< ascending raster codes
    std::size_t m_soils = 0;
    std::size_t m_classes = 0;
    std::vector<int32_t> m_mg_codes; ///< ascending management codes (mode raster only)
    std::size_t m_codes = 0;
    std::size_t m_columns = 0;   ///< m_classes + m_codes
    std::vector<uint8_t> m_kind; ///< per class: 0 table, 1 strata (factors/reference), 2 raster
    std::vector<double> m_eq;    ///< SOC_eq per cell, NaN when missing
    std::vector<uint8_t> m_flag; ///< per cell: 1 when it uses an unverified row
    bool m_any_flag = false;
    std::vector<std::string> m_unverified_rows;     ///< descriptions, in table and line order
    std::vector<std::vector<uint32_t>> m_cell_rows; ///< per cell: indices into m_unverified_rows
    std::vector<UncertainParameter> m_parameters;
    std::vector<Monomial> m_key_monomials; ///< per key (equilibrium state)
    std::vector<int32_t> m_cell_key;       ///< per cell: its key, -1 where SOC_eq is missing
};

} // namespace cs::models
