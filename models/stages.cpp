#include "models/stages.hpp"

#include "models/model_error.hpp"

namespace cs::models {

namespace {
constexpr std::size_t MAX_STOCK_LAYERS = 8;
} // namespace

StockStage::StockStage(const StockModel &model)
    : m_model(model), m_layer_count(model.layers().size()) {
    if (m_layer_count > MAX_STOCK_LAYERS) {
        throw ModelError(model.name() + " declares " + std::to_string(m_layer_count) +
                         " layers; a stock model may declare at most " +
                         std::to_string(MAX_STOCK_LAYERS));
    }
}

std::vector<LayerDecl> StockStage::layers() const {
    std::vector<LayerDecl> out;
    for (const auto &r : m_model.layers()) {
        out.push_back(layer_decl(r));
    }
    return out;
}

void StockStage::epoch_row(const EpochRow &row) const {
    // Layer rows as the StockModel interface takes them (structure of arrays); at most a few.
    const double *values[MAX_STOCK_LAYERS] = {};
    const uint8_t *valid[MAX_STOCK_LAYERS] = {};
    for (std::size_t l = 0; l < m_layer_count; ++l) {
        values[l] = row.layers[l].value;
        valid[l] = row.layers[l].valid;
    }
    const StockInputs in{row.land_cover, row.land_cover_valid, row.n, values, valid};
    StockOutputs out = *row.out;
    out.agb_t_dm_per_ha = row.variables[0]; // null when no stage consumes it
    out.stats = row.stats;                  // null when the run has no uncertainty
    m_model.compute(in, out);
}

std::vector<LayerDecl> DomStage::layers() const {
    std::vector<LayerDecl> out;
    for (const auto &r : m_model.layers()) {
        out.push_back(layer_decl(r));
    }
    return out;
}

void DomStage::epoch_row(const EpochRow &row) const {
    constexpr std::size_t MAX_LAYERS = 4;
    const double *values[MAX_LAYERS] = {};
    const uint8_t *valid[MAX_LAYERS] = {};
    for (std::size_t l = 0; l < m_layer_count && l < MAX_LAYERS; ++l) {
        values[l] = row.layers[l].value;
        valid[l] = row.layers[l].valid;
    }
    const DomInputs in{row.n, row.variables[0], values, valid};
    StockOutputs out = *row.out;
    out.stats = row.stats; // null when the run has no uncertainty
    m_model.apply(in, out);
}

const std::string &SoilStage::name() const {
    static const std::string NAME = "soil.ipcc_tier1";
    return NAME;
}

std::vector<LayerDecl> SoilStage::layers() const {
    std::vector<LayerDecl> out;
    for (const auto &r : m_model.layers()) {
        out.push_back(layer_decl(r));
    }
    return out;
}

void SoilStage::across_epochs_row(const AcrossEpochsRow &row) const {
    // Layers: climate zone and soil type (one raster for every epoch), then the management
    // codes of each epoch when a class has mode raster.
    const bool management = m_model.uses_management_raster();
    m_model.apply(row.n, *row.years, row.class_index, row.status, row.layer_value[0][0],
                  row.layer_valid[0][0], row.layer_value[1][0], row.layer_valid[1][0],
                  row.pools[m_pool], management ? row.layer_value[2] : nullptr,
                  management ? row.layer_valid[2] : nullptr, row.usage, row.stats);
}

const std::string &GainLossStage::name() const {
    static const std::string NAME = "flux.gain_loss";
    return NAME;
}

std::vector<LayerDecl> gain_loss_loss_layers() {
    auto period_layer = [](const char *name, const char *unit, bool categorical, const char *rule) {
        LayerDecl d{name, unit, TimeAxis::period, true, categorical};
        d.optional = true;
        d.refused_values = rule;
        return d;
    };
    return {period_layer("harvest_volume", "m3/ha/yr", false,
                         "a removal volume must be a finite number >= 0 m3/ha/yr"),
            period_layer("fuelwood_volume", "m3/ha/yr", false,
                         "a fuelwood volume must be a finite number >= 0 m3/ha/yr"),
            period_layer("fuelwood_parts_volume", "m3/ha/yr", false,
                         "a fuelwood volume must be a finite number >= 0 m3/ha/yr"),
            period_layer("disturbed_fraction", "fraction", false,
                         "a disturbed fraction must be a number from 0 to 1 (a share of the "
                         "pixel, not a percentage)"),
            period_layer("disturbance_type", "class", true, "")};
}

GainLossStage::GainLossStage(const GainLossModel &model, std::vector<std::string> pools,
                             std::vector<LayerDecl> layers)
    : m_model(model), m_pools(std::move(pools)), m_layers(std::move(layers)) {
    for (std::size_t l = 0; l < m_layers.size(); ++l) {
        if (m_layers[l].name == "harvest_volume") {
            m_first_loss = l;
            break;
        }
    }
    const std::size_t n_loss = gain_loss_loss_layers().size();
    if (m_first_loss > 0 && m_layers.size() != m_first_loss + n_loss) {
        throw ModelError("flux.gain_loss: the loss layers must come last, all " +
                         std::to_string(n_loss) + " of them");
    }
}

std::vector<SeriesDecl> GainLossStage::series() const {
    std::vector<SeriesDecl> out = {
        {"gain_loss_mg_c_per_yr", "Mg C/yr", TimeAxis::period,
         "annual change of the gain-loss pools (part of the stock change)"}};
    if (m_first_loss > 0) {
        for (const char *part : GAIN_LOSS_PART_NAMES) {
            out.push_back({gain_loss_part_series(part), "Mg C/yr", TimeAxis::period,
                           std::string("part ") + part + " of gain_loss_mg_c_per_yr"});
        }
    }
    return out;
}

void GainLossStage::period_row(const PeriodRow &row) const {
    GainLossPeriod in;
    in.n = row.n;
    in.class_from = row.class_from;
    in.class_to = row.class_to;
    in.stock_from = row.stock_from;
    in.stock_to = row.stock_to;
    in.driver = row.layers[0].value;
    in.driver_ok = row.layers[0].valid;
    in.forest_type = row.layers[1].value;
    in.forest_type_ok = row.layers[1].valid;
    if (m_layers.size() > 2) {
        in.volume_from = row.layers[2].value;
        in.volume_from_ok = row.layers[2].valid;
    }
    in.years_since_first_epoch = row.years_since_first_epoch;
    in.years = row.years;
    in.stats = row.stats;
    if (m_first_loss == 0) {
        m_model.period(in, row.change);
        return;
    }
    const LayerRow *loss = row.layers + m_first_loss;
    in.removals = loss[0].value;
    in.removals_ok = loss[0].valid;
    in.fuelwood = loss[1].value;
    in.fuelwood_ok = loss[1].valid;
    in.fuelwood_parts = loss[2].value;
    in.fuelwood_parts_ok = loss[2].valid;
    in.disturbed = loss[3].value;
    in.disturbed_ok = loss[3].valid;
    in.disturbance_type = loss[4].value;
    in.disturbance_type_ok = loss[4].valid;
    // The parts are the series after the first; the LOSS_BAD_* bits are those of the loss
    // layers with refused_values, in the same order.
    const GainLossParts parts{row.series[0], row.series[1], row.series[2],
                              row.series[3], row.series[4], row.refused};
    m_model.period(in, row.change, &parts);
}

} // namespace cs::models
