// Physical constants and unit conversions used by every model (science.md §1.1–1.2).
#pragma once

namespace cs::models {

/// Mass ratio CO2 : C = 44/12 (science.md §1.1; WRI carbon-budget constants.h `C_to_CO2`).
inline constexpr double CO2_PER_C = 44.0 / 12.0;
/// Square metres per hectare.
inline constexpr double M2_PER_HA = 10000.0;

} // namespace cs::models
