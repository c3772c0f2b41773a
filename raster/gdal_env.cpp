// GDAL process set-up: driver registration, cache size and per-thread error capture.
#include "raster/raster_error.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>

#include <mutex>

namespace cs::raster {

namespace {
void CPL_STDCALL quiet_handler(CPLErr, CPLErrorNum, const char *) {
    // Errors are turned into exceptions with CPLGetLastErrorMsg(); warnings are not printed
    // because GDAL's warnings would break the one-line-per-phase output contract.
}
} // namespace

void init_gdal() {
    static std::once_flag once;
    std::call_once(once, [] {
        GDALAllRegister();
        CPLSetErrorHandler(quiet_handler);
        // Bounded block cache: outputs are written tile-aligned so little caching is needed;
        // an explicit GDAL_CACHEMAX in the environment wins.
        if (CPLGetConfigOption("GDAL_CACHEMAX", nullptr) == nullptr) {
            GDALSetCacheMax64(static_cast<GIntBig>(192) * 1024 * 1024);
        }
    });
}

std::string last_gdal_error() {
    const char *msg = CPLGetLastErrorMsg();
    if (msg == nullptr || *msg == '\0') {
        return "unknown GDAL error";
    }
    return msg;
}

} // namespace cs::raster
