// stocks.agb_raster implementation.
#include "models/agb_raster_stock.hpp"

#include "models/model_error.hpp"
#include "models/units.hpp"

#include <cmath>
#include <limits>

namespace cs::models {

namespace {
const std::string NAME = "stocks.agb_raster";
} // namespace

AgbRasterStockModel::AgbRasterStockModel(PoolsTable table, AgbRasterOptions options)
    : m_lookup(std::move(table)), m_options(options) {
    if (!options.agb_is_carbon &&
        !(options.carbon_fraction > 0.0 && options.carbon_fraction <= 1.0)) {
        throw ModelError("stocks.agb_raster: carbon_fraction " +
                         std::to_string(options.carbon_fraction) +
                         " is not in (0, 1]; a dry-matter AGB map needs its carbon fraction");
    }
    if (options.agb_is_carbon && options.carbon_fraction != 0.0 &&
        !(options.carbon_fraction > 0.0 && options.carbon_fraction <= 1.0)) {
        throw ModelError("stocks.agb_raster: carbon_fraction " +
                         std::to_string(options.carbon_fraction) + " is not in (0, 1]");
    }
    if (!(options.root_shoot_ratio >= 0.0) || !std::isfinite(options.root_shoot_ratio)) {
        throw ModelError("stocks.agb_raster: root_shoot_ratio " +
                         std::to_string(options.root_shoot_ratio) + " must be a number >= 0");
    }
    m_agb_to_carbon = options.agb_is_carbon ? 1.0 : options.carbon_fraction;
    m_map_per_agb = !options.agb_is_carbon ? 1.0 : options.carbon_fraction;
}

const std::string &AgbRasterStockModel::name() const { return NAME; }
const std::vector<std::string> &AgbRasterStockModel::pool_names() const {
    return m_lookup.pool_names();
}

std::vector<LayerRequest> AgbRasterStockModel::layers() const {
    return {{"agb", m_options.agb_is_carbon ? "Mg C/ha" : "Mg dm/ha", true, false, false,
             "above-ground biomass"}};
}

void AgbRasterStockModel::compute(const StockInputs &in, StockOutputs &out) const {
    double *const *d = out.pool_density_mg_c_per_ha;
    const double *agb = in.layer[0];
    const uint8_t *agb_ok = in.layer_valid[0];
    const double r = m_options.root_shoot_ratio;
    const std::size_t pools = m_lookup.pool_count();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < in.n; ++i) {
        int32_t row = -1;
        auto status = PixelStatus::nodata;
        if (in.valid[i]) {
            row = m_lookup.row_of(in.land_cover[i]);
            // Not data and not finite: a bad value (NaN or infinity that is not the nodata
            // value; see RasterReader::read_double), not nodata.
            status = row < 0                               ? PixelStatus::unknown_class
                     : !agb_ok[i] && std::isfinite(agb[i]) ? PixelStatus::nodata
                     : !agb_ok[i] || agb[i] < 0.0          ? PixelStatus::invalid_value
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
            for (std::size_t p = 2; p < pools; ++p) { // soil and dead matter: the pools table
                d[p][i] = dens[p];
            }
        } else {
            for (std::size_t p = 0; p < pools; ++p) {
                d[p][i] = 0.0;
            }
        }
        if (out.agb_t_dm_per_ha != nullptr) {
            // Dry matter: the map value, or a carbon map back through its CF (unknown: NaN).
            out.agb_t_dm_per_ha[i] =
                status == PixelStatus::valid && m_map_per_agb > 0.0 ? agb[i] / m_map_per_agb : nan;
        }
    }
}

} // namespace cs::models
