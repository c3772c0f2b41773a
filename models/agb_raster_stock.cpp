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

std::vector<UncertainParameter> AgbRasterStockModel::uncertain_parameters() const {
    std::vector<UncertainParameter> out = pools_uncertain_parameters(m_lookup.table());
    // Config values: no documented uncertainty for a user's CF or R (science.md §7.1), so none;
    // the user gives one under uncertainty.parameters by these names.
    auto config_parameter = [&](const std::string &key, double value, const std::string &what) {
        Pdf pdf;
        pdf.mean = value; // kind none
        out.push_back(UncertainParameter{key, "1", value, true, pdf,
                                         "config " + key + " (" + what + ")", "user"});
    };
    if (!m_options.agb_is_carbon) {
        config_parameter("models.stocks.carbon_fraction", m_options.carbon_fraction,
                         "carbon fraction of the AGB map's dry matter");
    }
    config_parameter("models.stocks.root_shoot_ratio", m_options.root_shoot_ratio,
                     "root:shoot ratio R = BGB / AGB");
    return out;
}

std::vector<StatisticDecl> AgbRasterStockModel::statistics() const {
    const std::size_t pools = m_lookup.pool_count();
    const std::size_t rows = m_lookup.table().rows.size();
    StatisticDecl by_class;
    by_class.name = "area_by_class";
    by_class.pairs = 1;
    by_class.keys.resize(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t p = 2; p < pools; ++p) { // soil and dead matter: the table's density
            by_class.keys[r].push_back(
                Term{static_cast<uint32_t>(p), Monomial{static_cast<uint32_t>(r * pools + p)}});
        }
    }
    // above = AGB x CF (IPCC 2006 Vol. 4 Ch. 4 Table 4.3), below = above x R (Table 4.4).
    const auto first = static_cast<uint32_t>(rows * pools);
    Monomial above;
    if (!m_options.agb_is_carbon) {
        above.push_back(first); // CF
    }
    Monomial below = above;
    below.push_back(m_options.agb_is_carbon ? first : first + 1); // R
    StatisticDecl map;
    map.name = "agb_map";
    map.pairs = 1;
    map.keys = {{Term{0, above}, Term{1, below}}};
    return {by_class, map};
}

void AgbRasterStockModel::compute(const StockInputs &in, StockOutputs &out) const {
    if (out.stats != nullptr) {
        compute_rows<true>(in, out);
    } else {
        compute_rows<false>(in, out);
    }
}

template <bool Stats>
void AgbRasterStockModel::compute_rows(const StockInputs &in, StockOutputs &out) const {
    double *const *d = out.pool_density_mg_c_per_ha;
    // Statistics 0 (area_by_class) and 1 (agb_map), pair 0 each (see statistics()).
    const std::size_t slots = Stats ? out.stats->pairs_max : 0;
    int32_t *class_key = Stats ? out.stats->key[0] : nullptr;
    double *class_weight = Stats ? out.stats->weight[0] : nullptr;
    int32_t *map_key = Stats ? out.stats->key[slots] : nullptr;
    double *map_weight = Stats ? out.stats->weight[slots] : nullptr;
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
        if constexpr (Stats) {
            const bool ok = status == PixelStatus::valid;
            class_key[i] = ok ? row : -1;
            class_weight[i] = ok ? 1.0 : 0.0;
            map_key[i] = ok ? 0 : -1;
            map_weight[i] = ok ? agb[i] : 0.0;
        }
        if (out.agb_t_dm_per_ha != nullptr) {
            // Dry matter: the map value, or a carbon map back through its CF (unknown: NaN).
            out.agb_t_dm_per_ha[i] =
                status == PixelStatus::valid && m_map_per_agb > 0.0 ? agb[i] / m_map_per_agb : nan;
        }
    }
}

} // namespace cs::models
