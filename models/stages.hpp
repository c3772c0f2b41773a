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
    void epoch_row(const EpochRow &row) const override;

private:
    const DomFractionModel &m_model;
    std::vector<std::string> m_pools;
    std::size_t m_layer_count;
};

/// soil.ipcc_tier1: the soil pool of every epoch (its transitions link a pixel's epochs).
class SoilStage final : public Stage {
public:
    SoilStage(const SoilTier1Model &model, std::size_t soil_pool, std::string soil_pool_name)
        : m_model(model), m_pool(soil_pool), m_pool_name(std::move(soil_pool_name)) {}
    const std::string &name() const override;
    StageKind kind() const override { return StageKind::across_epochs; }
    std::vector<LayerDecl> layers() const override;
    std::vector<std::string> pools_written() const override { return {m_pool_name}; }
    std::size_t usage_cells() const override { return m_model.usage_cells(); }
    std::vector<std::string>
    unverified_parameters(const std::vector<int64_t> &usage) const override {
        return m_model.unverified_parameters(usage);
    }
    void across_epochs_row(const AcrossEpochsRow &row) const override;

private:
    const SoilTier1Model &m_model;
    std::size_t m_pool;
    std::string m_pool_name;
};

/// flux.gain_loss: the change of the live-biomass pools from growth (the other pools keep
/// their stock difference).
class GainLossStage final : public Stage {
public:
    /// `layers`: the driver (stand age or volume increment), the forest types, and for volume
    /// increment the growing stock.
    GainLossStage(const GainLossModel &model, std::vector<std::string> pools,
                  std::vector<LayerDecl> layers)
        : m_model(model), m_pools(std::move(pools)), m_layers(std::move(layers)) {}
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
    void period_row(const PeriodRow &row) const override;

private:
    const GainLossModel &m_model;
    std::vector<std::string> m_pools;
    std::vector<LayerDecl> m_layers; ///< driver (age or increment), forest type, [volume]
};

} // namespace cs::models
