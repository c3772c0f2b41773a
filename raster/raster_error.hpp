// Exception type of the raster layer and GDAL process set-up.
#pragma once
#include <stdexcept>
#include <string>

namespace cs::raster {

/// Thrown for any GDAL/OGR/PROJ failure or unusable raster input. The message follows the
/// project grammar `<what failed>: <which input, where>: <why>`.
class RasterError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Register GDAL drivers once and set process-wide options (quiet error handler, cache size).
/// Thread-safe; idempotent.
void init_gdal();

/// The last GDAL error message of this thread, or "unknown GDAL error" when there is none.
std::string last_gdal_error();

} // namespace cs::raster

#include <vector>
namespace cs::raster {
/// Problems found while checking an input: errors stop the run, warnings are reported.
struct Findings {
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
};
} // namespace cs::raster
