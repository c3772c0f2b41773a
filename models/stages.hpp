// The chain stages of the built-in models: thin adapters from the driver's rows (chain.hpp) to
// the models' own kernels, which stay as they are.
#pragma once
#include "models/chain.hpp"
#include "models/dom_fraction.hpp"
#include "models/gain_loss.hpp"
#include "models/soil_tier1.hpp"
#include "models/stock_model.hpp"

#include <string>
#include <vector>

namespace cs::models {

/// The variable a stock model gives where it computes above-ground biomass (t d.m./ha, NaN
/// elsewhere; StockOutputs::agb_t_dm_per_ha).
inline const std::string AGB_VARIABLE = "agb_t_dm_per_ha";

/// stocks.*: the stock model, first stage of every chain (it defines the pools and classes).
class StockStage final : public Stage {
public:
    /// Throws ModelError when the model declares more layers than a row can pass.
    explicit StockStage(const StockModel &model);
    const std::string &name() const override { return m_model.name(); }
    StageKind kind() const override { return StageKind::epoch_pools; }
    std::vector<LayerDecl> layers() const override;
    std::vector<std::string> pools_written() const override { return m_model.pool_names(); }
    std::vector<std::string> variables_produced() const override { return {AGB_VARIABLE}; }
    bool describes_uncertainty() const override { return m_model.describes_uncertainty(); }
    std::vector<UncertainParameter> uncertain_parameters() const override {
        return m_model.uncertain_parameters();
    }
    std::vector<StatisticDecl> statistics() const override { return m_model.statistics(); }
    /// Passes row.stats to the model (StockOutputs::stats).
    void epoch_row(const EpochRow &row) const override;

private:
    const StockModel &m_model;
    std::size_t m_layer_count; ///< m_model.layers().size(), counted once
};

/// dom.agb_fraction: dead wood and litter from the AGB the stock model gave.
class DomStage final : public Stage {
public:
    DomStage(const DomFractionModel &model, std::vector<std::string> pools)
        : m_model(model), m_pools(std::move(pools)), m_layer_count(model.layers().size()) {}
    const std::string &name() const override { return DomFractionModel::name(); }
    StageKind kind() const override { return StageKind::epoch_pools; }
    std::vector<LayerDecl> layers() const override;
    std::vector<std::string> pools_written() const override { return m_pools; }
    std::vector<std::string> variables_consumed() const override { return {AGB_VARIABLE}; }
    /// Uncertainty: the model's parameters and its statistic "dom_from_agb" (DomFractionModel).
    bool describes_uncertainty() const override { return m_model.describes_uncertainty(); }
    std::vector<UncertainParameter> uncertain_parameters() const override {
        return m_model.uncertain_parameters();
    }
    std::vector<StatisticDecl> statistics() const override { return m_model.statistics(); }
    /// Passes row.stats to the model (StockOutputs::stats).
    void epoch_row(const EpochRow &row) const override;

private:
    const DomFractionModel &m_model;
    std::vector<std::string> m_pools;
    std::size_t m_layer_count;
};

/// soil.ipcc_tier1: the soil pool of every epoch (its transitions link a pixel's epochs).
class SoilStage final : public Stage {
public:
    /// `epochs`: the number of epochs of the run (a pixel's soil at an epoch is a combination of
    /// at most that many equilibrium states: the pairs of its statistic).
    SoilStage(const SoilTier1Model &model, std::size_t soil_pool, std::string soil_pool_name,
              std::size_t epochs)
        : m_model(model), m_pool(soil_pool), m_pool_name(std::move(soil_pool_name)),
          m_epochs(epochs) {}
    const std::string &name() const override;
    StageKind kind() const override { return StageKind::across_epochs; }
    std::vector<LayerDecl> layers() const override;
    std::vector<std::string> pools_written() const override { return {m_pool_name}; }
    std::size_t usage_cells() const override { return m_model.usage_cells(); }
    std::vector<std::string>
    unverified_parameters(const std::vector<int64_t> &usage) const override {
        return m_model.unverified_parameters(usage);
    }
    /// Uncertainty: the model's parameters and its statistic "soc_by_state" (SoilTier1Model).
    bool describes_uncertainty() const override { return true; }
    std::vector<UncertainParameter> uncertain_parameters() const override {
        return m_model.uncertain_parameters();
    }
    std::vector<StatisticDecl> statistics() const override {
        return {m_model.statistic(m_epochs, static_cast<uint32_t>(m_pool))};
    }
    /// Passes row.stats (one StatisticRows per epoch) to SoilTier1Model::apply.
    void across_epochs_row(const AcrossEpochsRow &row) const override;

private:
    const SoilTier1Model &m_model;
    std::size_t m_pool;
    std::string m_pool_name;
    std::size_t m_epochs;
};

/// Names of the parts of the gain-loss change, in the order of GainLossParts: change = growth +
/// conversion - wood_removals - fuelwood - disturbance.
inline constexpr const char *GAIN_LOSS_PART_NAMES[] = {"growth", "wood_removals", "fuelwood",
                                                       "disturbance", "conversion"};
inline constexpr std::size_t GAIN_LOSS_PART_COUNT = 5;

/// The district series of gain-loss part `part` (a GAIN_LOSS_PART_NAMES entry).
inline std::string gain_loss_part_series(const std::string &part) {
    return "gain_loss_" + part + "_mg_c_per_yr";
}

/// The loss layers of flux.gain_loss (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14), in the order
/// of their LOSS_BAD_* bits, then the disturbance types: one raster for every period or one per
/// period, each optional.
std::vector<LayerDecl> gain_loss_loss_layers();

/// flux.gain_loss: the change of the live-biomass pools from growth minus losses (the other
/// pools keep their stock difference).
class GainLossStage final : public Stage {
public:
    /// `layers`: the driver (stand age or volume increment), the forest types, for volume
    /// increment the growing stock, then, with losses, gain_loss_loss_layers(). With losses the
    /// stage also adds the parts of the change as district series.
    GainLossStage(const GainLossModel &model, std::vector<std::string> pools,
                  std::vector<LayerDecl> layers);
    const std::string &name() const override;
    StageKind kind() const override { return StageKind::period; }
    std::vector<LayerDecl> layers() const override { return m_layers; }
    std::vector<std::string> pools_written() const override { return m_pools; }
    std::vector<SeriesDecl> series() const override;
    std::vector<std::string>
    unverified_parameters(const std::vector<int64_t> &usage) const override {
        (void)usage;
        return m_model.unverified_parameters();
    }
    /// Uncertainty: the model's parameters and statistics (GainLossModel class comment).
    bool describes_uncertainty() const override { return true; }
    std::vector<UncertainParameter> uncertain_parameters() const override {
        return m_model.uncertain_parameters();
    }
    std::vector<StatisticDecl> statistics() const override { return m_model.statistics(); }
    void period_row(const PeriodRow &row) const override;

private:
    const GainLossModel &m_model;
    std::vector<std::string> m_pools;
    std::vector<LayerDecl> m_layers; ///< driver (age or increment), forest type, [volume]
    std::size_t m_first_loss = 0;    ///< index of the first loss layer, 0 without losses
};

} // namespace cs::models
