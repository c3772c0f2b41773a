// Physical constants and unit conversions used by every model (science.md §1.1–1.2).
#pragma once

namespace cs::models {

/// Mass ratio CO2 : C = 44/12 (science.md §1.1; WRI carbon-budget constants.h `C_to_CO2`).
inline constexpr double CO2_PER_C = 44.0 / 12.0;
/// Square metres per hectare.
inline constexpr double M2_PER_HA = 10000.0;

/// Carbon in dry-matter biomass: t_dm x CF (IPCC 2006 Vol. 4 Ch. 4 Table 4.3 gives CF by
/// climate and leaf type; science.md §2.1). The one place dry matter becomes carbon.
inline double carbon_from_dry_matter(double t_dm, double carbon_fraction) {
    return t_dm * carbon_fraction;
}

} // namespace cs::models
