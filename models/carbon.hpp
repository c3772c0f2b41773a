// Carbon kernels: live biomass from volume, dead organic matter, soil carbon and forest growth.
//
// Pure functions, inline, no allocation, no exceptions: bad inputs (NaN) propagate as NaN and the
// caller marks the pixel invalid. Units are in every name: t_dm = tonnes of dry matter,
// t_c / mg_c = tonnes (= megagrams) of carbon, per hectare; volumes in m3/ha; ages in years.
// Dry matter becomes carbon only through carbon_from_dry_matter() (models/units.hpp).
// Equations and parameters: ../shared/science.md §2 (IPCC 2006 Vol. 4 Ch. 2 and 4, 2019
// Refinement), §3 (soil), §4 (China inventory); tables in configs/parameters/.
#pragma once
#include "models/parameter_tables.hpp"
#include "models/units.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

namespace cs::models {

/// SOC transition period D of IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25, default 20 years (science.md §2;
/// also WRI carbon-budget constants.h `soil_emis_period {20}`).
inline constexpr double SOC_TRANSITION_YEARS_DEFAULT = 20.0;

// ---------------------------------------------------------------------------------------------
// China continuous BEF (Fang et al. 1996/1998/2001; science.md §4.1)

/// Total live tree biomass, t d.m./ha, from stand volume: B = a V + b (Fang et al. 2001, Science
/// 292:2320; coefficients in configs/parameters/china_cbef.csv, science.md §4.2).
///
/// B is stem + branch + leaf + bark + ROOTS (ChinaXiv-201803.01069 §1.3.1). No source found gives
/// its split into AGB and BGB, so none is made here: the pipeline must book B as "live biomass
/// (AGB+BGB)" and must never multiply it by (1 + R) again.
///
/// V <= 0 gives 0: with no stand there is no biomass; the intercept b describes stands (the fit
/// is over stand plots with V > 0), not bare ground. A negative intercept (allowed by the loader
/// for regional fits) cannot make biomass negative: the result is clamped at 0. NaN propagates.
inline double total_biomass_from_volume_t_dm_per_ha(double volume_m3_per_ha, double a_t_per_m3,
                                                    double b_t_per_ha) {
    if (volume_m3_per_ha <= 0.0) {
        return 0.0;
    }
    const double b = a_t_per_m3 * volume_m3_per_ha + b_t_per_ha; // Fang et al. 2001: B = aV + b
    return b < 0.0 ? 0.0 : b;
}

/// Live biomass carbon (AGB+BGB), t C/ha, from stand volume with one china_cbef.csv row:
/// (a V + b) x CF (Fang et al. 2001; CF per row, science.md §2.1).
inline double china_live_biomass_carbon_t_c_per_ha(const CbefRow &row, double volume_m3_per_ha) {
    return carbon_from_dry_matter(
        total_biomass_from_volume_t_dm_per_ha(volume_m3_per_ha, row.a_t_per_m3, row.b_t_per_ha),
        row.carbon_fraction);
}

// ---------------------------------------------------------------------------------------------
// IPCC stock-difference biomass from growing-stock volume (2006 Vol. 4 Ch. 2 Eq. 2.8)

/// Above-ground biomass, t d.m./ha = V x BCEF_S: the V_ij x BCEF_S,ij term of IPCC 2006 Vol. 4
/// Ch. 2 Eq. 2.8 (BCEF_S from Vol. 4 Ch. 4 Table 4.5, chosen by the growing-stock class of V).
/// Precondition: V >= 0.
inline double agb_from_volume_t_dm_per_ha(double volume_m3_per_ha, double bcef_s) {
    return volume_m3_per_ha * bcef_s; // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8
}

/// Below-ground biomass, t d.m./ha = AGB x R: the R term of (1 + R) in IPCC 2006 Vol. 4 Ch. 2
/// Eq. 2.8 (R = BGB/AGB from Vol. 4 Ch. 4 Table 4.4, chosen by the AGB class).
inline double bgb_from_agb_t_dm_per_ha(double agb_t_dm_per_ha, double root_shoot_ratio) {
    return agb_t_dm_per_ha * root_shoot_ratio; // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8, (1 + R)
}

/// Result of ipcc_live_biomass_from_volume().
struct IpccLiveBiomass {
    double agb_t_dm_per_ha = 0.0;
    double bgb_t_dm_per_ha = 0.0;
    double root_shoot_ratio = 0.0;
    const BcefRow *bcef = nullptr;            ///< the Table 4.5 row used (provenance)
    const RootShootRow *root_shoot = nullptr; ///< the Table 4.4 row used (provenance)
    bool found = false; ///< false when V has no BCEF class or the AGB no R class
};

/// AGB and BGB (t d.m./ha) from growing-stock volume, IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8:
/// AGB = V x BCEF_S (BCEF_S by the growing-stock class of V, Ch. 4 Table 4.5), then
/// BGB = AGB x R with R chosen by the class of the resulting AGB (Ch. 4 Table 4.4).
/// `bcef_group` and `root_shoot_group` come from BcefTable::group / RootShootTable::group
/// (resolve them once, outside the pixel loop).
IpccLiveBiomass ipcc_live_biomass_from_volume(const BcefTable &bcef, int bcef_group,
                                              const RootShootTable &root_shoot,
                                              int root_shoot_group,
                                              double volume_m3_per_ha) noexcept;

// ---------------------------------------------------------------------------------------------
// Dead organic matter as fractions of AGB (CDM AR-TOOL12 v3.0 pp. 17-18; science.md §2.5)

/// Dead-wood carbon, t C/ha = AGB x f_deadwood x CF_deadwood (CDM AR-TOOL12 v3.0 pp. 17-18 as in
/// wri/carbon-budget create_carbon_pools.py; science.md §2.5; CF 0.47 in dom_fractions.csv).
inline double deadwood_carbon_t_c_per_ha(double agb_t_dm_per_ha, double deadwood_fraction_of_agb,
                                         double deadwood_carbon_fraction) {
    return carbon_from_dry_matter(agb_t_dm_per_ha * deadwood_fraction_of_agb,
                                  deadwood_carbon_fraction);
}

/// Litter carbon, t C/ha = AGB x f_litter x CF_litter (CDM AR-TOOL12 v3.0 pp. 17-18 as in
/// wri/carbon-budget create_carbon_pools.py; science.md §2.5; CF 0.37 in dom_fractions.csv).
inline double litter_carbon_t_c_per_ha(double agb_t_dm_per_ha, double litter_fraction_of_agb,
                                       double litter_carbon_fraction) {
    return carbon_from_dry_matter(agb_t_dm_per_ha * litter_fraction_of_agb, litter_carbon_fraction);
}

/// Result of dom_carbon_from_agb().
struct DomCarbon {
    double deadwood_t_c_per_ha = 0.0;
    double litter_t_c_per_ha = 0.0;
    const DomRow *row = nullptr; ///< the dom_fractions.csv row used (provenance)
    bool found = false;          ///< false when no row matches domain, elevation, precipitation
};

/// Dead wood and litter carbon from AGB with the dom_fractions.csv row of this climate domain,
/// elevation (m) and annual precipitation (mm/yr) (CDM AR-TOOL12; science.md §2.5).
DomCarbon dom_carbon_from_agb(const DomTable &table, std::string_view climate_domain,
                              double elevation_m, double precip_mm_per_yr,
                              double agb_t_dm_per_ha) noexcept;

// ---------------------------------------------------------------------------------------------
// Soil organic carbon (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25; 2019 Refinement tables; science.md §3)

/// Equilibrium SOC (0-30 cm), Mg C/ha = SOC_REF x F_LU x F_MG x F_I (IPCC 2006 Vol. 4 Ch. 2
/// Eq. 2.25, per hectare; SOC_REF from 2019 Table 2.3, factors from 2019 Tables 5.5/6.2).
inline double soc_equilibrium_mg_c_per_ha(double soc_ref_mg_c_per_ha, double f_lu, double f_mg,
                                          double f_i) {
    return soc_ref_mg_c_per_ha * f_lu * f_mg * f_i; // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25
}

/// SOC (Mg C/ha) `years_since_change` years after a land-use change that moves the
/// equilibrium from `soc_start` to `soc_target`: it moves linearly and reaches the target after
/// D = `transition_years` (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25, dC = (SOC_0 - SOC_(0-T)) / D with
/// D = 20 yr by default; science.md §2 implementation notes). Before the change (years < 0) it
/// is soc_start. Precondition: transition_years > 0.
inline double soc_after_change_mg_c_per_ha(double soc_start_mg_c_per_ha,
                                           double soc_target_mg_c_per_ha, double years_since_change,
                                           double transition_years = SOC_TRANSITION_YEARS_DEFAULT) {
    if (years_since_change <= 0.0) {
        return soc_start_mg_c_per_ha;
    }
    if (years_since_change >= transition_years) {
        return soc_target_mg_c_per_ha;
    }
    // Linear approach over D years (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25 with D = transition_years)
    return soc_start_mg_c_per_ha + (soc_target_mg_c_per_ha - soc_start_mg_c_per_ha) *
                                       (years_since_change / transition_years);
}

/// Mean annual SOC change (Mg C/ha/yr, > 0 = gain) between two epochs for a pixel whose land
/// use changed in `change_year` (equilibrium soc_start -> soc_target):
/// (SOC(epoch2) - SOC(epoch1)) / (epoch2 - epoch1), SOC(t) from soc_after_change_mg_c_per_ha()
/// (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25: (SOC_new - SOC_old) / D per year for D years, then 0;
/// stock difference as Eq. 2.8). NaN when epoch2_year <= epoch1_year.
inline double
soc_change_between_epochs_mg_c_per_ha_yr(double soc_start_mg_c_per_ha,
                                         double soc_target_mg_c_per_ha, double change_year,
                                         double epoch1_year, double epoch2_year,
                                         double transition_years = SOC_TRANSITION_YEARS_DEFAULT) {
    if (!(epoch2_year > epoch1_year)) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const double soc1 = soc_after_change_mg_c_per_ha(soc_start_mg_c_per_ha, soc_target_mg_c_per_ha,
                                                     epoch1_year - change_year, transition_years);
    const double soc2 = soc_after_change_mg_c_per_ha(soc_start_mg_c_per_ha, soc_target_mg_c_per_ha,
                                                     epoch2_year - change_year, transition_years);
    return (soc2 - soc1) / (epoch2_year - epoch1_year); // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8 form
}

// ---------------------------------------------------------------------------------------------
// Gain-loss growth (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.9 / 2.10)

/// Tier 1 AGB growth rate G_W (t d.m./ha/yr) for a stand of this age: r0 for age <= 20 yr,
/// r20 for age > 20 yr (IPCC 2019 Refinement Vol. 4 Ch. 4 Tables 4.9/4.10 age classes, as
/// compiled in ipcc_tier1_growth.csv; science.md §2.4). Ignores the K20/Kmax caps: use
/// tier1_agb_growth_t_dm_per_ha_yr() for growth that respects them.
inline double tier1_agb_growth_rate_t_dm_per_ha_yr(double stand_age_yr, double r0_t_dm_per_ha_yr,
                                                   double r20_t_dm_per_ha_yr) {
    return stand_age_yr <= 20.0 ? r0_t_dm_per_ha_yr : r20_t_dm_per_ha_yr;
}

/// Tier 1 AGB (t d.m./ha) of a stand of age t, Earthshot formulation of IPCC 2019 Tables
/// 4.7-4.10 (Earthshot-Labs/earthshot_model_utils model_utilities/ipcc_tier_1.py `_expandIPCC`;
/// science.md §2.4): AGB(t) = min(min(K20, 20 r0), t r0) + max(0, t - 20) r20, capped at Kmax.
/// Age <= 0 gives 0 (no stand yet).
inline double tier1_agb_t_dm_per_ha(double stand_age_yr, double r0_t_dm_per_ha_yr,
                                    double r20_t_dm_per_ha_yr, double k20_t_dm_per_ha,
                                    double kmax_t_dm_per_ha) {
    if (std::isnan(stand_age_yr)) {
        return stand_age_yr; // NaN propagates (std::min/max below would drop it)
    }
    if (stand_age_yr <= 0.0) {
        return 0.0;
    }
    // Earthshot _expandIPCC: year20cap = min(K20, 20 r0); Biomass = min(year20cap, t r0)
    //                        + max(0, t - 20) r20; Biomass = min(Kmax, Biomass)
    const double year20_cap = std::min(k20_t_dm_per_ha, 20.0 * r0_t_dm_per_ha_yr);
    const double agb = std::min(year20_cap, stand_age_yr * r0_t_dm_per_ha_yr) +
                       std::max(0.0, stand_age_yr - 20.0) * r20_t_dm_per_ha_yr;
    return std::min(kmax_t_dm_per_ha, agb);
}

/// Tier 1 AGB of a stand of this age with one ipcc_tier1_growth.csv row (central values).
inline double tier1_agb_t_dm_per_ha(const Tier1GrowthRow &row, double stand_age_yr) {
    return tier1_agb_t_dm_per_ha(stand_age_yr, row.r0_t_dm_per_ha_yr, row.r20_t_dm_per_ha_yr,
                                 row.k20_t_dm_per_ha, row.kmax_t_dm_per_ha);
}

/// Mean annual Tier 1 AGB growth G_W (t d.m./ha/yr) between two stand ages, respecting the
/// K20/Kmax caps: (AGB(age_to) - AGB(age_from)) / (age_to - age_from) with
/// tier1_agb_t_dm_per_ha() (G_W of IPCC 2006 Vol. 4 Ch. 2 Eq. 2.10). NaN when
/// age_to <= age_from.
inline double tier1_agb_growth_t_dm_per_ha_yr(double stand_age_from_yr, double stand_age_to_yr,
                                              double r0_t_dm_per_ha_yr, double r20_t_dm_per_ha_yr,
                                              double k20_t_dm_per_ha, double kmax_t_dm_per_ha) {
    if (!(stand_age_to_yr > stand_age_from_yr)) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const double from =
        tier1_agb_t_dm_per_ha(stand_age_from_yr, r0_t_dm_per_ha_yr, r20_t_dm_per_ha_yr,
                              k20_t_dm_per_ha, kmax_t_dm_per_ha);
    const double to = tier1_agb_t_dm_per_ha(stand_age_to_yr, r0_t_dm_per_ha_yr, r20_t_dm_per_ha_yr,
                                            k20_t_dm_per_ha, kmax_t_dm_per_ha);
    return (to - from) / (stand_age_to_yr - stand_age_from_yr);
}

/// Tier 1 root:shoot ratio for this AGB: rs_young when AGB < root_shoot_break, else rs_old
/// (Earthshot ipcc_tier_1.py `_expandIPCC`: `rs_old + (rs_young - rs_old) * (Biomass <
/// root_shoot_break)`; IPCC 2019 Table 4.4 AGB classes, threshold 125 t/ha, 75 for boreal).
inline double tier1_root_shoot_ratio(double agb_t_dm_per_ha, double root_shoot_break_t_dm_per_ha,
                                     double rs_young, double rs_old) {
    return agb_t_dm_per_ha < root_shoot_break_t_dm_per_ha ? rs_young : rs_old;
}

/// Total (above + below ground) biomass growth G_TOTAL = G_W x (1 + R), t d.m./ha/yr (IPCC 2006
/// Vol. 4 Ch. 2 Eq. 2.10). The carbon gain of Eq. 2.9 per hectare is then
/// carbon_from_dry_matter(G_TOTAL, CF).
inline double total_growth_t_dm_per_ha_yr(double agb_growth_t_dm_per_ha_yr,
                                          double root_shoot_ratio) {
    return agb_growth_t_dm_per_ha_yr * (1.0 + root_shoot_ratio); // IPCC 2006 Eq. 2.10
}

/// Tier 2 AGB growth G_W = I_V x BCEF_I, t d.m./ha/yr, from the net annual volume increment
/// I_V (m3/ha/yr) (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.10; BCEF_I from Ch. 4 Table 4.5).
inline double growth_from_volume_increment_t_dm_per_ha_yr(double iv_m3_per_ha_yr, double bcef_i) {
    return iv_m3_per_ha_yr * bcef_i; // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.10, Tier 2
}

} // namespace cs::models
