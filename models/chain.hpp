// The model chain: what each stage of a run declares (the layers it reads, the pools it writes,
// the per-pixel variables it produces or consumes, the district series it adds) and the rows
// the fixed driver (pipeline/runner.cpp) hands it. Like FLINT modules and PDAL stages, a stage
// says what it needs by name; the driver allocates, reads and sums by those names without
// knowing what they mean. Standard library only.
//
// The driver runs, per row of a block, every stage of one kind before the next kind, in this
// order: epoch_pools (per epoch: the stock model, then stages that refine its pools), then
// across_epochs (stages that link a pixel's epochs), then period (per pair of consecutive
// epochs: the change of the pools a stage claims), then month (every month of the run at
// once). Within a kind, stages run in chain order. One virtual call per stage per row, never
// per pixel; stages never allocate in these calls and never throw from them (bad pixels get a
// status or NaN instead).
#pragma once
#include "models/stock_model.hpp"
#include "models/time_axis.hpp"
#include "models/uncertainty.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// An input raster a stage reads, opened and aligned to the reference grid by prepare and read
/// block by block by the driver. Two stages declaring the same name share one raster (read
/// once per block).
struct LayerDecl {
    std::string name; ///< config name, e.g. "volume", "stand_age", "ndvi"
    std::string unit; ///< e.g. "m3/ha"; "class" for categorical layers
    TimeAxis axis = TimeAxis::once;
    /// The config picks one raster for the whole run, or one per epoch (axis once or epoch)
    /// or per period (axis period).
    bool either_form = false;
    bool categorical = false; ///< resampled with nearest/mode when warped
    /// What the layer measures, for messages; when set, values must be finite and >= 0
    /// (LayerRequest::non_negative_quantity).
    std::string non_negative_quantity = {};
    /// The stage runs without it (its rows are then null).
    bool optional = false;
    /// When set (period stages), the stage flags the pixels where it needs this layer and its
    /// value is impossible (PeriodRow::refused); the driver sums their area per district and
    /// refuses the run after it (bad input), citing this rule, e.g. "a removal volume must be
    /// a finite number >= 0 m3/ha/yr". At most 8 layers of a stage.
    std::string refused_values = {};
};

/// The LayerDecl of a stock model's LayerRequest.
inline LayerDecl layer_decl(const LayerRequest &r) {
    return LayerDecl{r.name,        r.unit,        r.per_epoch ? TimeAxis::epoch : TimeAxis::once,
                     r.either_form, r.categorical, r.non_negative_quantity,
                     false};
}

/// A district sum a stage adds: per pixel value x true pixel area (ha) x coverage fraction,
/// summed like the stocks (NaN values are skipped), one value per epoch, period or month.
struct SeriesDecl {
    std::string name; ///< e.g. "gain_loss_mg_c_per_yr"
    std::string unit; ///< unit of the district sum, e.g. "Mg C/yr"
    TimeAxis axis = TimeAxis::period;
    std::string description = {};
    /// Month series only: per-pixel GeoTIFF outputs (empty: none). With outputs.rasters,
    /// `<raster_prefix>_<yyyy>.tif` holds the sum of the run's months of each calendar year
    /// (NaN where any of those months has no value), and with outputs.monthly_rasters
    /// `<raster_prefix>_<yyyy><mm>.tif` each month; values are the per-ha row values times
    /// `raster_scale`, in `raster_unit`.
    std::string raster_prefix = {};
    std::string raster_unit = {};
    double raster_scale = 1.0;
    std::string raster_note = {}; ///< appended to each band description (e.g. the sign rule)
};

/// The phase of the driver a stage runs in (see the file comment).
enum class StageKind : uint8_t { epoch_pools, across_epochs, period, month };

/// One row (n pixels) of a layer: values and validity (null when an optional layer is absent).
struct LayerRow {
    const double *value = nullptr;
    const uint8_t *valid = nullptr;
};

/// epoch_pools: one row of one epoch.
struct EpochRow {
    std::size_t n = 0;
    std::size_t epoch = 0;
    const int32_t *land_cover = nullptr;
    const uint8_t *land_cover_valid = nullptr;
    const LayerRow *layers = nullptr; ///< the stage's layers(), in order, of this epoch
    /// The stage's variables (variables_produced() then variables_consumed()) of this epoch;
    /// null for a produced variable no later stage consumes.
    double *const *variables = nullptr;
    StockOutputs *out = nullptr; ///< pools (all of the chain's), status, class, method code
    /// Rows of the stage's statistics() of axis epoch for this epoch; null when the run has no
    /// uncertainty (the stage then writes none).
    const StatisticRows *stats = nullptr;
};

/// across_epochs: one row of every epoch.
struct AcrossEpochsRow {
    std::size_t n = 0;
    std::size_t epochs = 0;
    const std::vector<int> *years = nullptr; ///< per epoch
    /// [stage layer][epoch] rows (a layer with one raster gives the same row every epoch).
    const double *const *const *layer_value = nullptr;
    const uint8_t *const *const *layer_valid = nullptr;
    const int32_t *const *class_index = nullptr; ///< per epoch
    uint8_t *const *status = nullptr;            ///< per epoch, updated in place
    double *const *const *pools = nullptr;       ///< [pool][epoch]
    int64_t *usage = nullptr;                    ///< usage_cells() counters of this thread
    /// Per epoch: rows of the stage's statistics() of axis epoch; null without uncertainty.
    const StatisticRows *stats = nullptr;
};

/// period: one row of period k (epochs k and k+1). The stage gives the annual change of the
/// pools it writes (pools_written()); the driver adds the stock difference of the other pools.
struct PeriodRow {
    std::size_t n = 0;
    std::size_t period = 0;
    double years = 0.0;                   ///< length of the period, > 0
    double years_since_first_epoch = 0.0; ///< year of epoch k - year of the first epoch
    const int32_t *class_from = nullptr;  ///< class index at epoch k, -1 when not valid
    const int32_t *class_to = nullptr;
    const double *stock_from = nullptr; ///< sum of the stage's pools at epoch k, Mg C/ha
    const double *stock_to = nullptr;
    const LayerRow *layers = nullptr; ///< the stage's layers() at epoch k (or of period k)
    double *change = nullptr;         ///< out: Mg C/ha/yr, NaN when not computable
    int64_t *usage = nullptr;
    /// out: rows of the stage's period series after the first (the first is the district sum
    /// of `change`): per pixel, the value per ha; NaN = not counted. The driver counts them
    /// only where the stage's change counts.
    double *const *series = nullptr;
    /// out: per pixel, bit j set when the value of the stage's j-th layer with refused_values
    /// is impossible where the stage needs it (0 elsewhere); null when no layer has a rule.
    uint8_t *refused = nullptr;
    /// Rows of the stage's statistics() of axis period for this period; null without
    /// uncertainty.
    const StatisticRows *stats = nullptr;
};

/// month: one row of every month of the run.
struct MonthRow {
    std::size_t n = 0;
    std::size_t months = 0;
    const int *year = nullptr;               ///< per month
    const int *month = nullptr;              ///< per month, 1..12
    const LayerRow *const *layers = nullptr; ///< [stage layer][month] (once: same row)
    /// Land cover of each month: the epoch at or before its year (the first epoch before it).
    const int32_t *const *land_cover = nullptr;       ///< [month] codes
    const uint8_t *const *land_cover_valid = nullptr; ///< [month]
    const int32_t *const *class_index = nullptr;      ///< [month], -1 when not valid
    const uint8_t *const *status = nullptr;           ///< [month]: the epoch's pixel status
    /// out: [series][month] rows of the stage's series() (axis month): per pixel, the value per
    /// ha (value x pixel area in ha is in the series' unit); NaN = not counted.
    double *const *const *series = nullptr;
    int64_t *usage = nullptr;
    /// Per month: rows of the stage's statistics() of axis month; null without uncertainty.
    const StatisticRows *stats = nullptr;
};

/// A stage of the chain. Immutable after construction: one instance serves every thread.
class Stage {
public:
    virtual ~Stage() = default;
    /// Dotted model name, e.g. "soil.ipcc_tier1".
    virtual const std::string &name() const = 0;
    virtual StageKind kind() const = 0;
    virtual std::vector<LayerDecl> layers() const { return {}; }
    /// Pools of the chain the stage writes (epoch and across-epoch stages: overwrites; period
    /// stages: claims their change).
    virtual std::vector<std::string> pools_written() const { return {}; }
    /// Per-pixel variables, one row per epoch, by name.
    virtual std::vector<std::string> variables_produced() const { return {}; }
    virtual std::vector<std::string> variables_consumed() const { return {}; }
    /// District sums the stage adds.
    virtual std::vector<SeriesDecl> series() const { return {}; }
    /// Number of per-thread usage counters the stage increments (unverified parameter rows).
    virtual std::size_t usage_cells() const { return 0; }
    /// Unverified parameters the run used, from the counters summed over every thread (empty
    /// `usage` when usage_cells() is 0): one description each.
    virtual std::vector<std::string>
    unverified_parameters(const std::vector<int64_t> &usage) const {
        (void)usage;
        return {};
    }

    /// Warnings about the pixels the run met (e.g. pixel-months without a parameter), from the
    /// same summed counters as unverified_parameters(); reported after the run and stored in
    /// the provenance.
    virtual std::vector<std::string> warnings(const std::vector<int64_t> &usage) const {
        (void)usage;
        return {};
    }

    /// Uncertainty (models/uncertainty.hpp). True when the stage describes every value it
    /// writes (pools_written() and series()) by statistics(); a run with `uncertainty` refuses
    /// a chain with a stage that writes values and does not, naming the stage.
    virtual bool describes_uncertainty() const { return false; }
    /// Every parameter the stage's statistics() terms refer to (Monomial indices index this).
    virtual std::vector<UncertainParameter> uncertain_parameters() const { return {}; }
    /// The sufficient statistics the stage fills through the rows' `stats` (when not null). For
    /// axis epoch, the terms of the last stage in chain order that writes a pool give that
    /// pool's whole value: a pixel a stage leaves as it found it gets a term holding the
    /// upstream value (held at the central value: say so in the stage's documentation).
    virtual std::vector<StatisticDecl> statistics() const { return {}; }

    virtual void epoch_row(const EpochRow &row) const { (void)row; }
    virtual void across_epochs_row(const AcrossEpochsRow &row) const { (void)row; }
    virtual void period_row(const PeriodRow &row) const { (void)row; }
    virtual void month_row(const MonthRow &row) const { (void)row; }
};

} // namespace cs::models
