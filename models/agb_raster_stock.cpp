// stocks.agb_raster implementation.
#include "models/agb_raster_stock.hpp"

#include "models/model_error.hpp"
#include "models/units.hpp"

#include <cmath>

namespace cs::models {

namespace {
const std::string NAME = "stocks.agb_raster";
const std::vector<std::string> POOLS = {"above_ground", "below_ground", "soil",
                                        "dead_organic_matter"};
} // namespace

AgbRasterStockModel::AgbRasterStockModel(PoolsTable table, AgbRasterOptions options)
    : m_lookup(std::move(table)), m_options(options) {
    if (!options.agb_is_carbon &&
        !(options.carbon_fraction > 0.0 && options.carbon_fraction <= 1.0)) {
        throw ModelError("stocks.agb_raster: carbon_fraction " +
                         std::to_string(options.carbon_fraction) +
                         " is not in (0, 1]; a dry-matter AGB map needs its carbon fraction");
    }
    if (!(options.root_shoot_ratio >= 0.0) || !std::isfinite(options.root_shoot_ratio)) {
        throw ModelError("stocks.agb_raster: root_shoot_ratio " +
                         std::to_string(options.root_shoot_ratio) + " must be a number >= 0");
    }
    m_agb_to_carbon = options.agb_is_carbon ? 1.0 : options.carbon_fraction;
}

const std::string &AgbRasterStockModel::name() const { return NAME; }
const std::vector<std::string> &AgbRasterStockModel::pool_names() const { return POOLS; }

std::vector<LayerRequest> AgbRasterStockModel::layers() const {
    return {{"agb", m_options.agb_is_carbon ? "Mg C/ha" : "Mg dm/ha", true, false}};
}

void AgbRasterStockModel::compute(const StockInputs &in, StockOutputs &out) const {
    double *const *d = out.pool_density_mg_c_per_ha;
    const double *agb = in.layer[0];
    const uint8_t *agb_ok = in.layer_valid[0];
    const double r = m_options.root_shoot_ratio;
    for (std::size_t i = 0; i < in.n; ++i) {
        int32_t row = -1;
        auto status = PixelStatus::nodata;
        if (in.valid[i]) {
            row = m_lookup.row_of(in.land_cover[i]);
            status = row < 0        ? PixelStatus::unknown_class
                     : !agb_ok[i]   ? PixelStatus::nodata
                     : agb[i] < 0.0 ? PixelStatus::invalid_value
                                    : PixelStatus::valid;
        }
        out.status[i] = static_cast<uint8_t>(status);
        if (out.class_index != nullptr) {
            out.class_index[i] = status == PixelStatus::valid ? row : -1;
        }
        if (out.method_code != nullptr) {
            out.method_code[i] = static_cast<uint8_t>(
                status == PixelStatus::valid ? MethodCode::agb_map : MethodCode::none);
        }
        if (status == PixelStatus::valid) {
            const double above = carbon_from_dry_matter(agb[i], m_agb_to_carbon);
            const double *dens = m_lookup.row_densities(row);
            d[0][i] = above;
            d[1][i] = above * r;
            d[2][i] = dens[2];
            d[3][i] = dens[3];
        } else {
            d[0][i] = d[1][i] = d[2][i] = d[3][i] = 0.0;
        }
    }
}

} // namespace cs::models
