// models.nep as a stage of the model chain (chain.hpp): monthly NPP (CASA or the user's NPP
// maps), heterotrophic respiration and NEP per pixel, summed per district and month by the
// driver. The science is in casa.hpp; this file only connects it to the driver's rows.
#pragma once
#include "models/casa.hpp"
#include "models/chain.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// The series a NEP stage adds, per district and month (names as /nep in results.h5).
inline const char *const NEP_SERIES_NPP = "npp_mg_c";
inline const char *const NEP_SERIES_RH = "rh_mg_c";
inline const char *const NEP_SERIES_NEP = "nep_mg_c";
inline const char *const NEP_SERIES_INVALID = "nep_invalid_area_ha";

class NepStage final : public Stage {
public:
    enum class Method { casa, npp_raster };
    /// `layer_names`: the monthly layers in the order of the config (nep_layer_names);
    /// `mapping`: the user's land-cover class -> CASA type rows (may be empty for npp_raster:
    /// then every class has NEP); `table`/`table_where`: the CASA vegetation table and its name
    /// for messages; `month_labels`: the months of the run ("2020-01", ...).
    NepStage(Method method, std::vector<std::string> layer_names, CasaVegetationTable table,
             std::string table_where, const std::vector<CasaClassMapping> &mapping,
             std::string mapping_where, std::vector<std::string> month_labels);
    const std::string &name() const override { return m_name; }
    StageKind kind() const override { return StageKind::month; }
    std::vector<LayerDecl> layers() const override;
    std::vector<SeriesDecl> series() const override;
    /// [month][status] pixel-month counts, then one per vegetation-table row.
    std::size_t usage_cells() const override {
        return m_months * static_cast<std::size_t>(NEP_STATUS_COUNT) + m_table.rows.size();
    }
    std::vector<std::string>
    unverified_parameters(const std::vector<int64_t> &usage) const override;
    std::vector<std::string> warnings(const std::vector<int64_t> &usage) const override;
    void month_row(const MonthRow &row) const override;

private:
    Method m_method;
    std::string m_name;
    std::vector<std::string> m_layer_names;
    CasaVegetationTable m_table;
    std::string m_table_where;
    std::string m_mapping_where;
    bool m_has_types = false;
    CasaTypeOfClass m_types;
    std::vector<CasaParameters> m_parameters; ///< per table row
    std::size_t m_months = 0;
    std::vector<std::string> m_month_labels; ///< "2020-01", ... for messages
    /// Index in m_layer_names of each layer the kernels read, -1 when absent.
    int m_ndvi = -1, m_t = -1, m_p = -1, m_sol = -1, m_et = -1, m_pet = -1, m_npp = -1;
};

} // namespace cs::models
