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

/// Uncertainty (models/uncertainty.hpp; science.md §7). One statistic "nep_month" (axis month,
/// 3 pairs) per month, with targets the series() indices (0 NPP, 1 R_H, 2 NEP, 3 invalid area):
///   NPP = APAR x Tε1 x Tε2 x Wε x ε_max (science.md §5.1) is linear in ε_max of the pixel's
///     vegetation type: key v (a casa_vegetation.csv row) with terms {0: ε_max[v]} and {2:
///     ε_max[v]}, weight APAR x Tε1 x Tε2 x Wε at the pixel-month's values (computed as the
///     central NPP / ε_max[v]; T_opt, FPAR and the stress factors hold no table parameter with
///     a documented uncertainty and stay at their values). npp_raster: the user's NPP is data,
///     an exact key with the NPP as weight.
///   R_H = a x [exp(b T) + ln(c P + 1)] x 30 x s (Pei et al. 2009; science.md §5.2) is linear in
///     a = 0.22 and in the microbial share s = 46.5 %: monomial {a, s}, weight [exp(b T) +
///     ln(c P + 1)] x 30; b and c enter non-linearly and are held at their printed values. Two
///     keys: one for R_H (target 1, weight +) and one for NEP = NPP - R_H (target 2, weight -).
///   The invalid area: an exact key (target 3), weight 1 where the pixel-month has no value.
/// Pair 0: NPP key or invalid-area key; pair 1: R_H; pair 2: R_H in NEP; -1 where NaN.
/// Parameters: "casa_vegetation.csv:epsilon_max_g_c_per_mj[<casa_type>]" (casa only), "pei_rh:a"
/// and "pei_rh:microbial_share", all Distribution::none: ε_max and the R_H model error have no
/// documented uncertainty (science.md §7.1 [U]); a user can give one in the config by name.
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
    bool describes_uncertainty() const override { return true; }
    std::vector<UncertainParameter> uncertain_parameters() const override;
    std::vector<StatisticDecl> statistics() const override;
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
    /// Fill MonthRow::stats from the series rows the kernel wrote.
    void fill_statistics(const MonthRow &row) const;
};

/// Names of the R_H parameters of Pei et al. 2009 (science.md §5.2).
inline const char *const PEI_RH_A_PARAMETER = "pei_rh:a";
inline const char *const PEI_RH_SHARE_PARAMETER = "pei_rh:microbial_share";

} // namespace cs::models
