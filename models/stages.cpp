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
    m_model.apply(in, *row.out);
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
                  management ? row.layer_valid[2] : nullptr, row.usage);
}

const std::string &GainLossStage::name() const {
    static const std::string NAME = "flux.gain_loss";
    return NAME;
}

std::vector<SeriesDecl> GainLossStage::series() const {
    return {{"gain_loss_mg_c_per_yr", "Mg C/yr", TimeAxis::period,
             "annual change of the gain-loss pools (part of the stock change)"}};
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
    m_model.period(in, row.change);
}

} // namespace cs::models
