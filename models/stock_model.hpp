// The per-chunk interface every stock model implements, and pixel status codes.
#pragma once
#include "models/uncertainty.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cs::models {

/// Why a pixel has no result. Counted per district and reported in the provenance.
enum class PixelStatus : uint8_t {
    valid = 0,
    nodata = 1,            ///< nodata (or masked) in an input the pixel needs
    unknown_class = 2,     ///< land-cover code not in the model's table
    invalid_value = 3,     ///< an input value no real pixel can have (e.g. negative biomass)
    missing_parameter = 4, ///< no parameter applies (e.g. an AGB outside every R class)
};
inline constexpr int PIXEL_STATUS_COUNT = 5;
/// Stable names of the statuses, indexed by the enum value ("valid", "nodata", "unknown_class").
const char *pixel_status_name(PixelStatus s);

/// An input raster a model needs besides land cover, declared by the model and provided by the
/// pipeline (opened, checked, aligned to the reference grid and read block by block).
struct LayerRequest {
    std::string name;         ///< config name, e.g. "agb", "volume", "climate_zone"
    std::string unit;         ///< e.g. "Mg dm/ha"; "class" for categorical layers
    bool per_epoch = true;    ///< one raster per epoch (else one raster for every epoch)
    bool categorical = false; ///< categorical layers are resampled with nearest/mode
    /// When true, the config chooses: one raster for every epoch, or one per epoch (`per_epoch`
    /// is then ignored).
    bool either_form = false;
    /// What the layer measures, e.g. "growing-stock volume" (for messages). When set, the
    /// layer's values must be finite and >= 0: a model marks a pixel whose value is negative,
    /// NaN or infinite (and not nodata) PixelStatus::invalid_value, and the pipeline refuses
    /// the run (bad input, exit 2), naming the raster and the first such pixel.
    std::string non_negative_quantity = {};
};

/// Which branch of which model produced a pixel's stocks: written per pixel to
/// method_<year>.tif (outputs.method_codes) so any district figure can be traced to its pixels,
/// like the node codes of the Global Forest Watch flux model.
enum class MethodCode : uint8_t {
    none = 0,        ///< no result (the pixel is invalid)
    pools_table = 1, ///< every pool from the pools table (class densities)
    agb_map = 2,     ///< biomass from the AGB map, soil (and dead matter, unless models.dom
                     ///< computes it from the AGB) from the pools table
    china_cbef = 3,  ///< forest: China continuous BEF from volume (B = aV + b)
    ipcc_bcef = 4,   ///< forest: IPCC BCEF_S from volume, root:shoot by AGB class
};
inline constexpr int METHOD_CODE_COUNT = 5;
/// Names of the method codes, indexed by value ("no result", "pools table", ...).
const char *method_code_name(MethodCode c);

/// Inputs of one chunk of pixels of one epoch (structure of arrays, `n` pixels each).
struct StockInputs {
    const int32_t *land_cover = nullptr; ///< class codes
    const uint8_t *valid = nullptr;      ///< 1 where the land cover is data
    std::size_t n = 0;
    /// The model's layers(), in order: values (categorical codes as whole numbers) and validity.
    const double *const *layer = nullptr;
    const uint8_t *const *layer_valid = nullptr;
};

/// Outputs of one chunk: `pool_density_mg_c_per_ha[p][i]` for each pool p of pool_names(), and
/// a status per pixel. Densities of non-valid pixels are 0.
struct StockOutputs {
    double *const *pool_density_mg_c_per_ha = nullptr;
    uint8_t *status = nullptr;
    int32_t *class_index = nullptr; ///< optional: index into class_codes(), -1 when not valid
    uint8_t *method_code = nullptr; ///< optional: MethodCode of each pixel
    /// Optional: above-ground biomass, t dry matter/ha, where the model computes it (an AGB map
    /// in dry matter, V x BCEF_S); NaN where it does not (pools-table classes, China CBEF
    /// pixels whose B = aV + b has no AGB/BGB split, invalid pixels). Read by models.dom.
    double *agb_t_dm_per_ha = nullptr;
    /// Optional: rows of the model's statistics() for this epoch (models/uncertainty.hpp);
    /// null when the run has no uncertainty. Terms target pools by pool_names() index.
    const StatisticRows *stats = nullptr;
};

/// A stock model: carbon density per pool from the inputs of one epoch. Implementations are
/// immutable after construction (so one instance serves every thread), validate their
/// parameters when built, and never throw from compute(): bad pixels get a status instead.
class StockModel {
public:
    virtual ~StockModel() = default;
    /// Dotted model name, e.g. "stocks.lookup".
    virtual const std::string &name() const = 0;
    /// Pool names in output order, e.g. above_ground, below_ground, soil, dead_organic_matter.
    virtual const std::vector<std::string> &pool_names() const = 0;
    /// Index of pool `pool` in pool_names(), or -1 when the model has no such pool.
    int pool_index(std::string_view pool) const {
        const auto &names = pool_names();
        const auto it = std::find(names.begin(), names.end(), pool);
        return it == names.end() ? -1 : static_cast<int>(it - names.begin());
    }
    /// Input rasters the model needs besides land cover (none by default).
    virtual std::vector<LayerRequest> layers() const { return {}; }
    /// The land-cover classes the model knows, ascending; class_index outputs index into it.
    virtual const std::vector<int32_t> &class_codes() const = 0;
    /// The class names in class_codes() order (e.g. the pools table's `lulc_name`); an empty
    /// string where the model has no name for a class. For people's outputs (XLSX, report).
    virtual std::vector<std::string> class_names() const {
        return std::vector<std::string>(class_codes().size());
    }
    /// Unverified parameter values a pixel of class index `class_index` uses, one description
    /// each ("pools table lucode 4 (grassland): status ..."); empty when all are verified.
    virtual std::vector<std::string> unverified_parameters(int32_t class_index) const {
        (void)class_index;
        return {};
    }
    /// Uncertainty (models/uncertainty.hpp; see Stage in chain.hpp): true when statistics()
    /// describe every pool the model writes.
    virtual bool describes_uncertainty() const { return false; }
    virtual std::vector<UncertainParameter> uncertain_parameters() const { return {}; }
    /// Statistics of axis epoch, filled by compute() through StockOutputs::stats.
    virtual std::vector<StatisticDecl> statistics() const { return {}; }
    /// Compute one chunk. One virtual call per chunk; the per-pixel work is inline.
    virtual void compute(const StockInputs &in, StockOutputs &out) const = 0;
};

} // namespace cs::models
