// Uncertainty of every district figure at the cost of one pass (issue 11; science.md §7;
// models/uncertainty.hpp for the theory): the driver's side. Collects the parameters the chain's
// stages declare, applies `uncertainty.parameters` and `assume_exact`, lays out the sufficient
// statistics in the district records (AccumDims::stat_cells), sums them during the pass and,
// after it, evaluates the interval of every figure of every reporting unit from the same
// parameter draws.
//
// Layout. A "copy" is one set of a stage's epoch statistics summed over some pixels: copy e
// (e < E) over the pixels valid at epoch e (they give the stocks of epoch e); copies E + 2k and
// E + 2k + 1 over the pixels whose stock change of period k counts (not NaN), holding the
// statistics of epochs k and k + 1 (they give the stock change, whose pixels are not those of
// either stock: a pixel valid at one epoch only counts in that epoch's stock but not in the
// change). Within a copy, each statistic of each stage has keys x M cells, M = 1, or the number
// of classes when the epoch has a land-cover accuracy (the cell then also says the pixel's
// class, whose area factor multiplies every term).
#pragma once
#include "models/area_accuracy.hpp"
#include "models/chain.hpp"
#include "models/months.hpp"
#include "models/uncertainty.hpp"
#include "pipeline/accumulator.hpp"
#include "pipeline/config.hpp"
#include "pipeline/problems.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cs::pipeline {

/// A term of a key that gives a pool's value: the pool and the global monomial, per class when
/// the epoch has a land-cover accuracy (monomial x that class's area factor).
struct KeptTerm {
    uint32_t pool = 0;
    uint32_t monomial = 0;
    std::vector<std::vector<uint32_t>> by_epoch_class; ///< [epoch][class], empty without accuracy
};

/// One epoch statistic of one stage.
struct StatBlock {
    std::size_t stage = 0; ///< index in the chain
    std::size_t stat = 0;  ///< index in the stage's statistics()
    std::size_t keys = 0;
    std::size_t pairs = 1;
    std::size_t slot = 0; ///< first row slot in the stage's StatisticRows (stat x pairs_max)
    /// per key: the terms that give a pool's value (epoch statistics) or a series of the
    /// stage (period and month statistics: KeptTerm::pool is the series index in the stage)
    std::vector<std::vector<KeptTerm>> terms;
    /// Month statistics: index in UncertaintySetup::month_series of each of the stage's series.
    std::vector<uint32_t> series_index;
};

/// Land-cover map accuracy of one epoch (Olofsson et al. 2014).
struct EpochAccuracy {
    bool present = false;
    std::string where; ///< "uncertainty.land_cover_accuracy.2015 (acc.csv)"
    models::ErrorMatrix matrix;
    /// Column of each run class in the matrix, or -1 (a class the matrix does not have).
    std::vector<int> matrix_index;
    std::vector<uint32_t> area_parameter; ///< per run class: its land_cover_area parameter
};

/// Everything the run needs to propagate uncertainty, built once by prepare.
struct UncertaintySetup {
    models::UncertaintyMethod method = models::UncertaintyMethod::monte_carlo;
    std::size_t draws = 0;
    uint64_t seed = 0;
    double confidence = 0.95;
    std::vector<models::UncertainParameter> parameters; ///< global, after the config
    std::vector<models::Monomial> monomials;            ///< global, sorted indices each
    std::vector<StatBlock> blocks;                      ///< epoch statistics
    std::vector<StatBlock> period_blocks;               ///< period statistics (period stages)
    std::vector<StatBlock> month_blocks;                ///< month statistics (month stages)
    /// Names of the month series the month statistics give, e.g. "nep_mg_c".
    std::vector<std::string> month_series;
    /// Per chain stage: pairs_max, number of statistics (0 = the stage has none) and the axis.
    std::vector<std::size_t> stage_pairs_max, stage_stats;
    std::vector<models::TimeAxis> stage_axis;
    std::size_t epochs = 0, periods = 0, classes = 0, pools = 0, months = 0;
    /// Per pool: 1 when a period stage claims its change (the copies then leave it out).
    std::vector<uint8_t> claimed;
    std::vector<int> month_year;                       ///< calendar year of each month of the run
    std::vector<models::YearMonth> month_list;         ///< the months of the run
    std::vector<std::vector<std::size_t>> period_base; ///< [period][period block]
    std::vector<std::vector<std::size_t>> month_base;  ///< [month][month block]
    std::vector<EpochAccuracy> accuracy;               ///< per epoch
    /// Cell offsets (relative to AccumDims::stat(0)): [copy][block].
    std::vector<std::vector<std::size_t>> base;
    std::size_t cells = 0;
    std::vector<double> years; ///< per period
    std::vector<std::string> pool_names;
    std::vector<int32_t> class_codes;

    std::size_t copies() const { return epochs + 2 * periods; }
    std::size_t copy_epoch(std::size_t c) const {
        return c < epochs ? c : (c - epochs) / 2 + (c - epochs) % 2;
    }
    std::size_t mult(std::size_t epoch) const { return accuracy[epoch].present ? classes : 1; }
};

/// Build the setup from the config and the chain, or add errors to `problems` (exit 2): a
/// stage that computes values without describing their uncertainty; a name under
/// uncertainty.parameters or assume_exact that no model declares; a distribution a parameter
/// cannot have (bounds below 0 for a non-negative quantity, the model's value outside [low,
/// high]); an unreadable or malformed error matrix. Returns null when `uncertainty` is absent
/// or on error. `read(role, path)` reads an input table (recorded in the provenance).
std::unique_ptr<UncertaintySetup> plan_uncertainty(
    const Config &config, const std::vector<std::unique_ptr<models::Stage>> &chain,
    const std::vector<std::string> &pool_names, const std::vector<int32_t> &class_codes,
    Problems &problems,
    const std::function<std::string(const std::string &role, const std::string &path)> &read);

/// Per-thread rows the stages fill (one StatisticRows per stage and epoch).
class UncertaintyRows {
public:
    UncertaintyRows(const UncertaintySetup &u, std::size_t row_len);
    /// Rows of stage `s` (chain index) for epoch, period or month `e` (the stage's axis); null
    /// when the stage has no statistics.
    const models::StatisticRows *rows(std::size_t s, std::size_t e) const {
        return m_stage_rows[s].empty() ? nullptr : &m_stage_rows[s][e];
    }
    /// Per epoch (or month), for AcrossEpochsRow::stats and MonthRow::stats; null when the
    /// stage has no statistics.
    const models::StatisticRows *epoch_rows(std::size_t s) const {
        return m_stage_rows[s].empty() ? nullptr : m_stage_rows[s].data();
    }
    /// Add pixels [i0, i1) of the row (offsets within the rows) to the statistics of a district
    /// record `stats` (= record + AccumDims::stat(0)), each weighted by f x its area:
    /// `status` [epoch] and `change` [period] rows decide which copies count a pixel, `cls`
    /// [epoch] gives its class.
    void add(const UncertaintySetup &u, double *stats, std::size_t i0, std::size_t i1, double f,
             const double *area_row, const uint8_t *const *status, const double *const *change,
             const int32_t *const *cls) const;

    /// The period and month statistics of the same pixels: `stage_change[s][k]` is the row of
    /// chain stage s's change of period k (period stages only).
    void add_series(const UncertaintySetup &u, double *stats, std::size_t i0, std::size_t i1,
                    double f, const double *area_row,
                    const double *const *const *stage_change) const;
    bool has_series(const UncertaintySetup &u) const {
        return !u.period_blocks.empty() || !u.month_blocks.empty();
    }

private:
    std::vector<std::vector<std::vector<int32_t>>> m_keys;   ///< [stage][epoch x slot][i]
    std::vector<std::vector<std::vector<double>>> m_weights; ///< [stage][epoch x slot][i]
    std::vector<std::vector<std::vector<int32_t *>>> m_key_ptrs;
    std::vector<std::vector<std::vector<double *>>> m_weight_ptrs;
    std::vector<std::vector<models::StatisticRows>> m_stage_rows; ///< [stage][epoch]
};

/// The parameters some unit of `totals` uses (a term with a non-zero statistic), ascending
/// indices into UncertaintySetup::parameters.
std::vector<uint32_t> used_parameters(const UncertaintySetup &u, const DistrictTotals &totals);

/// One message per parameter of `used` without an uncertainty (Distribution::none), naming it,
/// its value and where it comes from, then one saying how to give them one; empty when none.
std::vector<std::string> missing_uncertainty(const UncertaintySetup &u,
                                             const std::vector<uint32_t> &used);

/// The intervals of one figure kind for every unit: [units x figure shape] each.
struct FigureIntervals {
    std::vector<double> mean, sd, ci_low, ci_high, central;
};

/// Intervals of a level's units.
struct UncertaintyResults {
    FigureIntervals stock_mg_c;                  ///< [U, E, P]
    FigureIntervals total_mg_c;                  ///< [U, E]
    FigureIntervals stock_change_mg_c_per_yr;    ///< [U, K]
    FigureIntervals net_emissions_mg_co2_per_yr; ///< [U, K]
    /// Month series (UncertaintySetup::month_series) and their intervals, [U, months] each.
    std::vector<std::string> month_series;
    std::vector<FigureIntervals> month_intervals;
    /// With a month series "nep_mg_c": the calendar years of the months and the interval of
    /// each year's NEP sum (the months of the run in that year), [U, years].
    std::vector<int> nep_years;
    FigureIntervals annual_nep_mg_c;
    /// With "nep_mg_c": each meteorological season's NEP sum (models::seasons_of, as /nep),
    /// [U, seasons].
    std::size_t nep_seasons = 0;
    FigureIntervals season_nep_mg_c;
    std::string label; ///< e.g. "95 % interval, Monte Carlo (IPCC Approach 2), 1000 draws"
};

/// The area-adjusted class areas of one epoch (Olofsson et al. 2014).
struct EpochAreaEstimate {
    int year = 0;
    std::string where;
    models::AreaEstimate estimate;
};

/// What a land-cover accuracy gives after the pass: the final parameters (each class's area
/// factor filled in from the estimate), the estimates per epoch, and warnings.
struct AccuracyOutcome {
    std::vector<models::UncertainParameter> parameters;
    std::vector<EpochAreaEstimate> estimates;
    std::vector<std::string> warnings;
};

/// Estimate the areas of every epoch with a land-cover accuracy from the mapped areas of the
/// whole grid (`totals.class_area`). Assumption (documented in configs/README.md): a class's
/// grid-level adjustment applies to every district alike, i.e. district area of class c =
/// mapped district area x (adjusted / mapped grid area of c); the maps of different epochs
/// are assessed independently. Throws InputError when a class mapped on the grid has no row
/// in the matrix (its stratum was not sampled) or the estimator refuses the matrix.
AccuracyOutcome apply_land_cover_accuracy(const UncertaintySetup &u, const DistrictTotals &totals,
                                          const std::vector<int> &years);

/// The propagation of a run: the draws (or Approach 1 gradients) of every monomial, computed
/// once, then the intervals of any level's units.
class UncertaintyEngine {
public:
    /// `parameters`: the setup's, with the land-cover area factors filled in.
    UncertaintyEngine(const UncertaintySetup &u,
                      std::vector<models::UncertainParameter> parameters);
    const std::vector<models::UncertainParameter> &parameters() const {
        return m_propagation.parameters();
    }
    /// Intervals of every unit of `totals` (a level's totals), with `threads` threads;
    /// deterministic for any thread count.
    UncertaintyResults summarise(const DistrictTotals &totals, int threads) const;

private:
    const UncertaintySetup &m_u;
    models::Propagation m_propagation;
};

} // namespace cs::pipeline
