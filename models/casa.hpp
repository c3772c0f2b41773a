// Seasonal flux (models.nep): CASA NPP, Pei heterotrophic respiration and NEP, monthly.
//
// Science: ../shared/science.md §5 (CASA after Potter et al. 1993 with the Chinese
// parameterisation of Zhu Wenquan et al.; R_H after Pei et al. 2009; NEP = NPP - R_H, > 0 is a
// sink). Vegetation parameters: configs/parameters/casa_vegetation.csv (parse_casa_table).
//
// Units are in every name: g_c_per_m2 = g C m-2 per month, mj_per_m2 = MJ m-2 per month,
// mm = mm per month, c = degrees Celsius. The scalar kernels are pure and inline; the row
// kernels (casa_nep_row, npp_raster_nep_row) take every month of the run for one row of pixels
// at once, write into caller buffers and never allocate, throw or lock.
#pragma once
#include "models/chain.hpp"
#include "models/parameter_tables.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

// ---------------------------------------------------------------------------------------------
// Constants (each with its source)

/// PAR share of total solar radiation in APAR = SOL x FPAR x 0.5 (science.md §5.1; Potter et al.
/// 1993; ChinaXiv-201704.00147 Table 1).
inline constexpr double CASA_PAR_SHARE = 0.5;
/// Weight of the NDVI-based FPAR in the blend FPAR = a FPAR_NDVI + (1 - a) FPAR_SR, a = 0.5
/// (science.md §5.1; ChinaXiv-201805.00093).
inline constexpr double CASA_FPAR_ALPHA = 0.5;
/// FPAR bounds: FPAR_max 0.95, FPAR_min 0.001 (science.md §5.1; ChinaXiv-201805.00093;
/// valentingar/remotepp R/FAPAR.R defaults FAPAR_max = 0.95, FAPAR_min = 0.001).
inline constexpr double CASA_FPAR_MAX = 0.95;
inline constexpr double CASA_FPAR_MIN = 0.001;
/// Tε1 = 0.8 + 0.02 T_opt - 0.0005 T_opt^2 (science.md §5.1; Potter et al. 1993 via
/// ChinaXiv-201704.00147 Table 1; remotepp R/TSC.R calc_TSC1).
inline constexpr double CASA_TE1_A = 0.8;
inline constexpr double CASA_TE1_B = 0.02;
inline constexpr double CASA_TE1_C = 0.0005;
/// Tε1 = 0 when the month's mean temperature is at or below -10 °C (science.md §5.1; remotepp
/// R/TSC.R sets 0 below -10; issue 10 item 2 fixes "T <= -10 °C").
inline constexpr double CASA_TE1_COLD_LIMIT_C = -10.0;
/// Tε2 = 1.184 / {1 + exp[0.2 (T_opt - 10 - T)]} x 1 / {1 + exp[0.3 (-T_opt - 10 + T)]}
/// (science.md §5.1, ChinaXiv-201704.00147 Table 1; remotepp uses 1.1814: both give
/// Tε2 ~ 0.99 at T = T_opt; 1.184 is the one issue 10 item 2 fixes).
inline constexpr double CASA_TE2_SCALE = 1.184;
inline constexpr double CASA_TE2_WARM_SLOPE = 0.2;
inline constexpr double CASA_TE2_COLD_SLOPE = 0.3;
inline constexpr double CASA_TE2_OFFSET_C = 10.0;
/// Half-value rule: when T is more than 10 °C above or more than 13 °C below T_opt, Tε2 is half
/// its value at T = T_opt (science.md §5.1; ChinaXiv-201704.00147).
inline constexpr double CASA_TE2_HALF_ABOVE_C = 10.0;
inline constexpr double CASA_TE2_HALF_BELOW_C = 13.0;
/// Pei et al. 2009 (J. Integr. Plant Biol. 51(5):521) as printed in ChinaXiv-202106.00081
/// §1.3.3: R_H = 0.22 [exp(0.0912 T) + ln(0.3145 P + 1)] x 30 x 46.5 % (science.md §5.2).
inline constexpr double PEI_RH_A = 0.22;
inline constexpr double PEI_RH_T_COEF = 0.0912;
inline constexpr double PEI_RH_P_COEF = 0.3145;
inline constexpr double PEI_RH_DAYS_PER_MONTH = 30.0;   ///< "x 30", days per month (§5.2)
inline constexpr double PEI_RH_MICROBIAL_SHARE = 0.465; ///< "46.5 %", as printed (§5.2)

// ---------------------------------------------------------------------------------------------
// Scalar kernels

/// Simple ratio SR = (1 + NDVI) / (1 - NDVI) (science.md §5.1). +inf at NDVI = 1.
inline double casa_simple_ratio(double ndvi) { return (1.0 + ndvi) / (1.0 - ndvi); }

/// FPAR from NDVI: (NDVI - NDVI_min)/(NDVI_max - NDVI_min) x (FPAR_max - FPAR_min) + FPAR_min,
/// NDVI_min/max of the vegetation type (science.md §5.1). Not clipped.
inline double casa_fpar_ndvi(double ndvi, double ndvi_min, double ndvi_max) {
    return (ndvi - ndvi_min) / (ndvi_max - ndvi_min) * (CASA_FPAR_MAX - CASA_FPAR_MIN) +
           CASA_FPAR_MIN;
}

/// FPAR from SR: (SR - SR_min)/(SR_max - SR_min) x (FPAR_max - FPAR_min) + FPAR_min
/// (science.md §5.1). Not clipped.
inline double casa_fpar_sr(double sr, double sr_min, double sr_max) {
    return (sr - sr_min) / (sr_max - sr_min) * (CASA_FPAR_MAX - CASA_FPAR_MIN) + CASA_FPAR_MIN;
}

/// FPAR = a FPAR_NDVI + (1 - a) FPAR_SR with a = 0.5, the blend clipped to [0.001, 0.95]
/// (science.md §5.1; issue 10 item 2). NDVI in [-1, 1]; at NDVI = 1, SR and FPAR_SR are
/// infinite and the blend is FPAR_max (the limit, taken explicitly).
inline double casa_fpar(double ndvi, double ndvi_min, double ndvi_max, double sr_min,
                        double sr_max) {
    if (ndvi >= 1.0) {
        return CASA_FPAR_MAX;
    }
    const double blend =
        CASA_FPAR_ALPHA * casa_fpar_ndvi(ndvi, ndvi_min, ndvi_max) +
        (1.0 - CASA_FPAR_ALPHA) * casa_fpar_sr(casa_simple_ratio(ndvi), sr_min, sr_max);
    return std::clamp(blend, CASA_FPAR_MIN, CASA_FPAR_MAX);
}

/// APAR = SOL x FPAR x 0.5, MJ m-2 per month (science.md §5.1).
inline double casa_apar_mj_per_m2(double solar_mj_per_m2, double fpar) {
    return solar_mj_per_m2 * fpar * CASA_PAR_SHARE;
}

/// Tε1 = 0.8 + 0.02 T_opt - 0.0005 T_opt^2, and 0 when the month's mean T <= -10 °C
/// (science.md §5.1).
inline double casa_t_epsilon1(double t_c, double t_opt_c) {
    if (t_c <= CASA_TE1_COLD_LIMIT_C) {
        return 0.0;
    }
    return CASA_TE1_A + CASA_TE1_B * t_opt_c - CASA_TE1_C * t_opt_c * t_opt_c;
}

/// Tε2 by the printed formula alone (no half-value rule), science.md §5.1.
inline double casa_t_epsilon2_formula(double t_c, double t_opt_c) {
    return CASA_TE2_SCALE /
           (1.0 + std::exp(CASA_TE2_WARM_SLOPE * (t_opt_c - CASA_TE2_OFFSET_C - t_c))) /
           (1.0 + std::exp(CASA_TE2_COLD_SLOPE * (-t_opt_c - CASA_TE2_OFFSET_C + t_c)));
}

/// Tε2 with the half-value rule: when T > T_opt + 10 or T < T_opt - 13 (strictly: "more
/// than"), half of Tε2 at T = T_opt (science.md §5.1; ChinaXiv-201704.00147).
inline double casa_t_epsilon2(double t_c, double t_opt_c) {
    if (t_c > t_opt_c + CASA_TE2_HALF_ABOVE_C || t_c < t_opt_c - CASA_TE2_HALF_BELOW_C) {
        return 0.5 * casa_t_epsilon2_formula(t_opt_c, t_opt_c);
    }
    return casa_t_epsilon2_formula(t_c, t_opt_c);
}

/// Wε = 0.5 + 0.5 E/Ep with E/Ep clipped to [0, 1]; Ep = 0 gives 1 (no evaporative demand, no
/// water stress; the caller counts it). science.md §5.1; issue 10 item 2. Precondition: Ep >= 0.
inline double casa_w_epsilon(double et_mm, double pet_mm) {
    if (pet_mm == 0.0) {
        return 1.0;
    }
    return 0.5 + 0.5 * std::clamp(et_mm / pet_mm, 0.0, 1.0);
}

/// ε = Tε1 x Tε2 x Wε x ε_max, g C MJ-1 (science.md §5.1).
inline double casa_epsilon_g_c_per_mj(double t_e1, double t_e2, double w_e, double eps_max) {
    return t_e1 * t_e2 * w_e * eps_max;
}

/// NPP = APAR x ε, g C m-2 per month (science.md §5.1).
inline double casa_npp_g_c_per_m2(double apar_mj_per_m2, double epsilon_g_c_per_mj) {
    return apar_mj_per_m2 * epsilon_g_c_per_mj;
}

/// Heterotrophic respiration after Pei et al. 2009 as printed in ChinaXiv-202106.00081 §1.3.3:
/// R_H = 0.22 [exp(0.0912 T) + ln(0.3145 P + 1)] x 30 x 46.5 %, g C m-2 per month, T monthly
/// mean air temperature °C, P monthly precipitation mm (science.md §5.2; R_H(20, 100) = 29.7).
inline double pei_rh_g_c_per_m2(double t_c, double precipitation_mm) {
    return PEI_RH_A *
           (std::exp(PEI_RH_T_COEF * t_c) + std::log(PEI_RH_P_COEF * precipitation_mm + 1.0)) *
           PEI_RH_DAYS_PER_MONTH * PEI_RH_MICROBIAL_SHARE;
}

/// NEP = NPP - R_H, g C m-2 per month; > 0 is a sink (science.md §5.3, §1.2).
inline double nep_g_c_per_m2(double npp_g_c_per_m2, double rh_g_c_per_m2) {
    return npp_g_c_per_m2 - rh_g_c_per_m2;
}

// ---------------------------------------------------------------------------------------------
// The user's vegetation mapping (models.nep.vegetation: lucode,casa_type)

/// One land-cover class mapped to a CASA vegetation type.
struct CasaClassMapping {
    int32_t lucode = 0;
    int casa_index = -1; ///< index into CasaVegetationTable::rows
    int line = 0;
};

/// Parse the user's mapping. Columns (case-insensitive): lucode (an integer code, unique),
/// casa_type (a key of the vegetation table). Errors, appended as "<where>, line N: <why>": a
/// missing column, a lucode that is not an integer, a lucode listed twice, an unknown casa_type
/// (the message lists the valid ones). The result is sorted by lucode.
std::vector<CasaClassMapping> parse_casa_mapping(const std::string &text, const std::string &where,
                                                 const CasaVegetationTable &table,
                                                 std::vector<std::string> &errors);

/// The unverified rows of the vegetation table a run used, one line each in table order, in the
/// form of the other unverified parameters: "casa_vegetation.csv line 4: CASA type
/// evergreen_broadleaf_forest (evergreen broadleaf forest): epsilon_max 0.692 g C/MJ, status U
/// (used by 120 pixel-months)". `used` holds one counter per table row (the row kernels'
/// vegetation_used, summed over threads); rows that are verified or unused are left out.
std::vector<std::string> casa_unverified_parameters(const CasaVegetationTable &table,
                                                    const std::string &where,
                                                    const std::vector<int64_t> &used);

// ---------------------------------------------------------------------------------------------
// Row kernels: every month of the run for one row of pixels

/// Why a pixel-month has no NEP, or how it got one. Counted per month by the stage.
enum class NepStatus : uint8_t {
    valid = 0,              ///< NPP, R_H and NEP computed
    valid_no_pet = 1,       ///< computed with Wε = 1 because Ep = 0 (counted and reported)
    nodata = 2,             ///< nodata in the land cover or a layer the pixel-month needs
    no_vegetation_type = 3, ///< the land-cover class has no row in models.nep.vegetation
    ndvi_out_of_range = 4,  ///< NDVI outside [-1, 1] (or not finite) and not nodata
    invalid_value = 5,      ///< negative precipitation, solar radiation or Ep; a value not finite
};
inline constexpr int NEP_STATUS_COUNT = 6;
/// Stable names, indexed by the enum value ("valid", "valid_no_pet", "nodata", ...).
const char *nep_status_name(NepStatus s);
/// True when the pixel-month has NPP, R_H and NEP (valid or valid_no_pet).
inline bool nep_status_has_value(uint8_t s) {
    return s <= static_cast<uint8_t>(NepStatus::valid_no_pet);
}

/// g C m-2 to Mg C ha-1: 1 g m-2 = 10 kg ha-1 = 0.01 Mg ha-1 (science.md §5.3). The row kernels
/// write NPP, R_H and NEP times NepRowOutputs::scale (1: g C m-2 per month; this: Mg C ha-1).
inline constexpr double MG_C_PER_HA_PER_G_C_PER_M2 = 0.01;

/// Land-cover code -> CASA vegetation index (a row of the vegetation table), built once from
/// the user's mapping. A dense table when the codes span at most 2^20 values (one bounds check
/// and one load per pixel), else a binary search; never allocates.
class CasaTypeOfClass {
public:
    /// `mapping` as parse_casa_mapping returns it (sorted by lucode, unique).
    void build(const std::vector<CasaClassMapping> &mapping);
    /// The vegetation index of `code`, or -1 when the class has no CASA type.
    int find(int32_t code) const {
        if (!m_dense.empty()) {
            const int64_t k = static_cast<int64_t>(code) - m_min;
            return k >= 0 && k < static_cast<int64_t>(m_dense.size())
                       ? m_dense[static_cast<std::size_t>(k)]
                       : -1;
        }
        const auto it = std::lower_bound(m_codes.begin(), m_codes.end(), code);
        return it != m_codes.end() && *it == code
                   ? m_types[static_cast<std::size_t>(it - m_codes.begin())]
                   : -1;
    }

private:
    int64_t m_min = 0;
    std::vector<int> m_dense;     ///< type of code m_min + k, -1 for none
    std::vector<int32_t> m_codes; ///< sparse: ascending codes
    std::vector<int> m_types;     ///< sparse: type of m_codes[i]
};

/// One month of one layer for a row of pixels: values, and valid[x] = 1 where the value is data
/// (valid == nullptr: every value is data); the driver's row of a monthly layer.
using NepLayerRow = LayerRow;

/// Inputs of one row of pixels for every month of the run. Every `const X *const *` and every
/// layer is an array over the months of the run, each entry a row of `width` pixels.
struct NepRowInputs {
    std::size_t width = 0;  ///< pixels in the row
    std::size_t months = 0; ///< months of the run, consecutive and ascending
    /// Calendar year of each month (T_opt is chosen per pixel and calendar year).
    const int *year = nullptr;
    /// Land-cover code of each pixel-month (the land cover of the month's epoch) and its
    /// validity (nullptr: every code is data).
    const int32_t *const *land_cover = nullptr;
    const uint8_t *const *land_cover_valid = nullptr;
    /// Land-cover class -> CASA vegetation type. Required for casa; for npp_raster nullptr means
    /// every class has NEP.
    const CasaTypeOfClass *types = nullptr;
    /// CASA parameters per vegetation index (casa only).
    const CasaParameters *parameters = nullptr;
    const NepLayerRow *ndvi = nullptr;
    const NepLayerRow *temperature_c = nullptr;
    const NepLayerRow *precipitation_mm = nullptr;
    const NepLayerRow *solar_mj_per_m2 = nullptr;
    const NepLayerRow *et_mm = nullptr;
    const NepLayerRow *pet_mm = nullptr;
    const NepLayerRow *npp_g_c_per_m2 = nullptr; ///< npp_raster only
};

/// Outputs, each an array over the months of rows of `width` values. NPP, R_H and NEP (times
/// `scale`) are NaN where the pixel-month has no value. Optional (nullptr: not written):
/// `no_value` rows (1 where the pixel-month has no value, NaN where it has one: summed as area,
/// the invalid area), `status` rows, `status_count` (months x NEP_STATUS_COUNT counters,
/// [month][status], incremented) and `vegetation_used` (one counter per vegetation-table row,
/// incremented for each pixel-month with a value, so the stage can warn about [U] rows used).
struct NepRowOutputs {
    double *const *npp = nullptr;
    double *const *rh = nullptr;
    double *const *nep = nullptr;
    double scale = 1.0;
    double *const *no_value = nullptr;
    uint8_t *const *status = nullptr;
    int64_t *status_count = nullptr;
    int64_t *vegetation_used = nullptr;
};

/// CASA (science.md §5.1) and Pei R_H (§5.2) for every month of one row. Per pixel and calendar
/// year, T_opt is the mean temperature of the month with the highest NDVI among the run's
/// months of that year whose NDVI is in [-1, 1] and whose NDVI and temperature are data (the
/// earliest such month on a tie); every month of that year uses it. A pixel-month's status is
/// the first that applies of: nodata (land cover, NDVI, T, P, SOL, E or Ep), no_vegetation_type,
/// ndvi_out_of_range, invalid_value (P, SOL or Ep negative; T, E not finite), valid_no_pet
/// (Ep = 0), valid.
void casa_nep_row(const NepRowInputs &in, const NepRowOutputs &out);

/// Method npp_raster: NPP from the user's monthly NPP maps (g C m-2 per month), R_H from T and P
/// (§5.2), NEP = NPP - R_H. Statuses as casa_nep_row (nodata in land cover, NPP, T or P; a
/// class without a CASA type when `types` is given; P negative or a value not finite).
void npp_raster_nep_row(const NepRowInputs &in, const NepRowOutputs &out);

} // namespace cs::models
