// flux.gain_loss: the annual change of the live-biomass pools from growth minus losses (IPCC 2006
// Vol. 4 Ch. 2 Eq. 2.7), the alternative to the stock difference for those pools.
#pragma once
#include "models/code_index.hpp"
#include "models/inventory_stock.hpp"
#include "models/losses.hpp"
#include "models/parameter_tables.hpp"
#include "models/uncertainty.hpp"

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
    std::string table_file; ///< basename of the growth table, the first part of parameter names
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
    // Losses of the period (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14); null when not given.
    const double *removals = nullptr; ///< H: roundwood removals, m3/ha/yr (Eq. 2.12)
    const uint8_t *removals_ok = nullptr;
    const double *fuelwood = nullptr; ///< FG_trees: fuelwood removed as whole trees, m3/ha/yr
    const uint8_t *fuelwood_ok = nullptr;
    const double *fuelwood_parts = nullptr; ///< FG_part: fuelwood removed as parts, m3/ha/yr
    const uint8_t *fuelwood_parts_ok = nullptr;
    /// Share of the pixel's area disturbed during the period, [0, 1] (A_disturbance of Eq. 2.14
    /// is this share / years).
    const double *disturbed = nullptr;
    const uint8_t *disturbed_ok = nullptr;
    const double *disturbance_type = nullptr; ///< codes of the disturbance table
    const uint8_t *disturbance_type_ok = nullptr;
    /// Rows of GainLossModel::statistics() for this period; null without uncertainty.
    const StatisticRows *stats = nullptr;
};

/// The parts of a period's gain-loss change, per pixel, Mg C/ha/yr, each >= 0 except
/// conversion: change = growth + conversion - (removals + fuelwood + disturbance). Forest
/// remaining forest has growth and losses and conversion 0; every other pixel has only its
/// conversion change. Where the change is NaN the parts are 0. The losses are the carbon
/// transferred out of the live-biomass pools (removals and fuelwood leave the land as wood;
/// disturbance leaves the live pools for the atmosphere or dead matter).
struct GainLossParts {
    double *growth = nullptr;
    double *removals = nullptr;
    double *fuelwood = nullptr;
    double *disturbance = nullptr;
    double *conversion = nullptr;
    /// Per pixel, the loss inputs a forest-remaining-forest pixel needed whose value is not
    /// nodata but impossible (negative, NaN or infinite; a disturbed fraction above 1): bits
    /// LOSS_BAD_REMOVALS... (0 = none). Such a pixel's change is NaN; the pipeline refuses the
    /// run (bad input, not a data gap).
    uint8_t *bad_input = nullptr;
};

inline constexpr uint8_t LOSS_BAD_REMOVALS = 1;       ///< harvest volume H
inline constexpr uint8_t LOSS_BAD_FUELWOOD = 2;       ///< FG_trees
inline constexpr uint8_t LOSS_BAD_FUELWOOD_PARTS = 4; ///< FG_part
inline constexpr uint8_t LOSS_BAD_DISTURBED = 8;      ///< disturbed fraction

/// Loss parameters of models.flux (Eqs. 2.13, 2.14).
struct LossParameters {
    std::vector<DisturbanceType> disturbance_types; ///< the user's fd table (sorted by code)
    double wood_density = 0.0; ///< D of Eq. 2.13, t d.m./m3 (used with fuelwood_parts only)
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
///   forest remaining forest, losses given (set_losses): growth minus the losses of Eq. 2.11,
///     wood removals (Eq. 2.12), fuelwood (Eq. 2.13) and disturbance (Eq. 2.14):
///     BCEF_R and R for the removed volumes: ipcc_bcef forest types: BCEF_R by the
///       growing-stock class of V at epoch k, R by the class of AGB = V x BCEF_S, as the growth;
///       china_cbef: a of B = aV + b per m3 (roots included, so R = 0); tier1 growth has no
///       BCEF_R (removal volumes are refused by the config check; NaN here).
///     disturbance: share of the pixel disturbed during the period / years x fd of its type x
///       the carbon of the gain-loss pools at epoch k (= B_W x (1 + R) x CF of Eq. 2.14).
///     Losses are not applied to other pixels: their stock difference already contains them.
/// Results are Mg C/ha/yr, > 0 = gain; NaN where the change cannot be computed (an epoch not
/// valid, forest type / age / increment nodata, a negative age or increment, no parameter row,
/// a loss input nodata, negative or (disturbed share) above 1, a disturbed pixel whose type is
/// nodata or not in the table).
///
/// Uncertainty (models/uncertainty.hpp; science.md §7). The change and its parts are written as
/// sums of pixel weights times products of parameters, per ha and year:
///   tier1 growth:   G_W x (1 + R) x CF with G_W = sum_p c_p x p over p = r0, r20, K20, Kmax
///                   of the row; the coefficients c_p (per year) come from the Tier 1 curve at
///                   the central values: which branch of each min() applies at the two ages
///                   (the K20/Kmax caps) is held at the central values, and so is the R class
///                   (rs_young or rs_old, chosen by the central AGB at the start of the period).
///                   Terms {p, CF} and {p, R, CF}, weight c_p.
///   volume growth:  ipcc_bcef: I_V x BCEF_I x (1 + R) x CF, weight I_V (data), terms
///                   {BCEF_I, CF}, {BCEF_I, R, CF}; the growing-stock class of BCEF_I follows V
///                   (data); the AGB class of R follows V x BCEF_S and is held at the central
///                   BCEF_S (BCEF_S is the stock model's parameter, not declared here).
///                   china_cbef: I_V x a x CF, term {a, CF}.
///   removals:       H x BCEF_R x (1 + R) x CF (china_cbef: H x a x CF), weight H (data).
///   fuelwood:       FG_trees as the removals; FG_part x D x CF, weight FG_part.
///   disturbance:    share / years x C_k x fd, term {fd}, weight share / years x C_k: the
///                   carbon C_k of the gain-loss pools at epoch k comes from the upstream stock
///                   model and is held at its central value here.
///   conversion:     (C_k+1 - C_k) / years of the other pixels is held at its central value
///                   (an exact term with an empty monomial): its uncertainty is that of the
///                   upstream stocks, which this stage does not see.
/// Statistic 0 "gain_loss_change" (axis period) has one term per key with target 0 (the change;
/// losses enter with negative weights); with losses, statistic 1 "gain_loss_parts" has the same
/// keys with target 1 + part index (GainLossParts order: growth, removals, fuelwood,
/// disturbance, conversion) and positive weights. Pairs: 0..3 growth (tier1: r0, r20, K20,
/// Kmax; volume: pair 0), conversion in pair 0; with losses 4 removals, 5 fuelwood as trees, 6
/// fuelwood as parts, 7 disturbance. Where the change is NaN every pair is -1.
/// Parameters: ipcc_tier1_growth.csv r0/r20/K20/Kmax get a distribution only where the row's
/// rate_uncertainty_type / cap_uncertainty_type says exactly "standard deviation", "95%
/// confidence interval", "range" or "range of values" (tier1_bounds_pdf); every other
/// parameter (rs_young, rs_old, BCEF, R of Table 4.4, china_cbef a, every CF, D, fd) has no
/// documented uncertainty (science.md §7.1) and is Distribution::none, with a source naming its
/// table and row.
class GainLossModel {
public:
    enum class Growth { tier1, volume_increment };

    /// Tier 1 growth. `is_forest_class[c]`: 1 when class index c is forest.
    GainLossModel(std::vector<GrowthType> types, std::vector<uint8_t> is_forest_class);
    /// Volume-increment growth with the inventory model's forest types and tables.
    /// `forest_types_where`: where the forest types were read (e.g. "models.stocks.forest_types
    /// (ft.csv)"), whose basename names their carbon-fraction parameters.
    GainLossModel(std::shared_ptr<const InventoryTables> tables, std::vector<ForestType> types,
                  std::vector<uint8_t> is_forest_class, const std::string &forest_types_where = "");

    Growth growth() const { return m_growth; }
    /// Take losses into account (Eqs. 2.11-2.14). Throws ModelError when the disturbance codes
    /// span too many values.
    void set_losses(LossParameters losses);
    /// Change of one period; `out[i]` in Mg C/ha/yr (NaN when not computable). `parts`, when
    /// not null, receives the growth, losses and conversion change of every pixel.
    void period(const GainLossPeriod &in, double *out, const GainLossParts *parts = nullptr) const;
    /// Codes of the forest types the model knows, ascending.
    std::vector<int32_t> type_codes() const;
    /// Codes of the disturbance table (set_losses), ascending.
    std::vector<int32_t> disturbance_codes() const;
    /// Descriptions of unverified parameter rows (status U or PLACEHOLDER) the model can use.
    std::vector<std::string> unverified_parameters() const;
    /// Has losses (set_losses was called): the parts statistic and series exist.
    bool has_losses() const { return m_has_losses; }
    /// The parameters the statistics' monomials index (see the class comment).
    const std::vector<UncertainParameter> &uncertain_parameters() const { return m_params; }
    /// The statistics the period fills through GainLossPeriod::stats (see the class comment).
    std::vector<StatisticDecl> statistics() const;

private:
    double tier1_gain(std::size_t t, double age_from, double years) const;
    double volume_gain(std::size_t t, double volume_from, double increment) const;
    /// BCEF_R, R and CF for removed volumes of forest type t (false when unknown).
    bool removal_factors(std::size_t t, double volume_from, double &bcef_r, double &root_shoot,
                         double &cf) const;
    /// Build m_params and the keys' monomials (constructors and set_losses).
    void build_uncertainty();
    /// Fill the statistics of pixels whose change `out` is computed (second pass, only when
    /// in.stats is not null).
    void fill_statistics(const GainLossPeriod &in, const double *out) const;
    /// Losses of one forest-remaining-forest pixel (NaN when not computable).
    void pixel_losses(const GainLossPeriod &in, std::size_t i, std::size_t t, double &removals,
                      double &fuelwood, double &disturbance, uint8_t &bad) const;

    Growth m_growth;
    std::vector<GrowthType> m_tier1;
    std::shared_ptr<const InventoryTables> m_tables;
    std::vector<ForestType> m_inventory;
    std::vector<uint8_t> m_is_forest;
    DenseCodeIndex m_type_index; ///< forest-type code -> index in m_tier1 / m_inventory
    LossParameters m_losses;
    DenseCodeIndex m_disturbance_index; ///< disturbance code -> index in disturbance_types
    bool m_has_losses = false;
    std::string m_forest_types_file; ///< volume_increment: basename of the forest-types table
    // Uncertainty (build_uncertainty)
    std::vector<UncertainParameter> m_params;
    std::vector<std::vector<Monomial>> m_key_monomials; ///< per key
    std::vector<uint8_t> m_key_part;                    ///< per key: GainLossParts index
    std::vector<uint32_t> m_type_key;                   ///< per forest type: its first key
    uint32_t m_disturbance_key = 0;                     ///< first disturbance key
    uint32_t m_conversion_key = 0;
};

/// The distribution of a Tier 1 growth or cap value from its bounds and the compilation's label
/// (science.md §2.4, §7.1): "standard deviation": the bounds are central -/+ SD (science.md
/// §2.4 "low/high given as SD"), normal with sd = (high - low) / 2; "95% confidence interval":
/// normal with sd = half-width / 1.96; "range" or "range of values": uniform [low, high].
/// Anything else (a label with "default": the compiler's x/÷1.9 envelope, not a statistic; a
/// label naming two kinds; an empty label), missing bounds, or bounds not symmetric about the
/// value for a normal give Distribution::none, and `why` says why.
Pdf tier1_bounds_pdf(const std::string &label, double central, double low, double high,
                     std::string &why);

} // namespace cs::models
