// The time axis of a layer, a district series or a statistic. Standard library only.
#pragma once
#include <cstdint>

namespace cs::models {

/// How many rasters of a layer a run has: one for the whole run, one per land-cover epoch, one
/// per period between consecutive epochs, or one per month of the run.
enum class TimeAxis : uint8_t { once, epoch, period, month };

} // namespace cs::models
