// Flux kernels: stock-difference sink and the reporting sign convention.
//
// Sign conventions (science.md §1.2). A stock change dC > 0 is a gain of carbon on the land,
// i.e. a sink (uptake). National inventories report removals as negative emissions, so
// net_emissions = -(44/12) * dC. Both are written to the outputs, each with its convention
// stated in its name and units.
#pragma once
#include "models/units.hpp"

namespace cs::models {

/// flux.stock_difference, IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8: annual stock change
/// dC = (C_t2 - C_t1) / (t2 - t1). Units follow the inputs (Mg C/ha -> Mg C/ha/yr, or
/// Mg C -> Mg C/yr). Precondition: years > 0 (checked in config validation).
inline double stock_change_per_yr(double stock_t1, double stock_t2, double years) {
    return (stock_t2 - stock_t1) / years;
}

/// Net CO2 emissions from a stock change: -(44/12) * dC, Mg CO2/yr from Mg C/yr (negative =
/// net removal, inventory convention; science.md §1.2).
inline double net_emissions_co2(double stock_change_c) { return -CO2_PER_C * stock_change_c; }

} // namespace cs::models
