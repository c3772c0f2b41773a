// Grid comparison and CRS naming.
#include "raster/grid.hpp"

#include <ogr_spatialref.h>

#include <cmath>
#include <cstdio>

namespace cs::raster {

namespace {
std::string fmt_double(const char *f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}
} // namespace

std::string describe_oversized_grid(int64_t width, int64_t height) {
    if (width <= MAX_GRID_SIZE_PX && height <= MAX_GRID_SIZE_PX) {
        return {};
    }
    return std::to_string(width) + " x " + std::to_string(height) +
           " px: " + (width > MAX_GRID_SIZE_PX ? "wider" : "taller") + " than " +
           std::to_string(MAX_GRID_SIZE_PX) + " px, the largest raster size GDAL can address";
}

bool same_crs(const std::string &wkt_a, const std::string &wkt_b) {
    if (wkt_a.empty() || wkt_b.empty()) {
        return wkt_a.empty() && wkt_b.empty();
    }
    if (wkt_a == wkt_b) {
        return true;
    }
    OGRSpatialReference a;
    OGRSpatialReference b;
    if (a.importFromWkt(wkt_a.c_str()) != OGRERR_NONE ||
        b.importFromWkt(wkt_b.c_str()) != OGRERR_NONE) {
        return false;
    }
    const char *options[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
                             "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", nullptr};
    return a.IsSame(&b, options) != 0;
}

std::string crs_short_name(const std::string &wkt) {
    if (wkt.empty()) {
        return "none";
    }
    OGRSpatialReference srs;
    if (srs.importFromWkt(wkt.c_str()) != OGRERR_NONE) {
        return "unreadable CRS";
    }
    const char *auth = srs.GetAuthorityName(nullptr);
    const char *code = srs.GetAuthorityCode(nullptr);
    if (auth != nullptr && code != nullptr) {
        return std::string(auth) + ":" + code;
    }
    const char *name = srs.GetName();
    return name != nullptr ? std::string("\"") + name + "\"" : "unnamed CRS";
}

std::string describe_misalignment(const GridSpec &a, const GridSpec &b) {
    if (!same_crs(a.crs_wkt, b.crs_wkt)) {
        return "CRS differs: " + crs_short_name(a.crs_wkt) + " vs " + crs_short_name(b.crs_wkt);
    }
    const auto &ga = a.geotransform;
    const auto &gb = b.geotransform;
    const char *names[6] = {"origin x", "pixel width",     "row rotation",
                            "origin y", "column rotation", "pixel height"};
    // Pixel sizes and rotations: relative comparison.
    for (int i : {1, 5, 2, 4}) {
        const double scale = std::max(std::fabs(ga[1]), std::fabs(ga[5]));
        if (std::fabs(ga[i] - gb[i]) > 1e-9 * scale) {
            return std::string(names[i]) + " differs: " + fmt_double("%.10g", ga[i]) + " vs " +
                   fmt_double("%.10g", gb[i]);
        }
    }
    // Origins: compare in pixels of the reference grid.
    const double dx = (gb[0] - ga[0]) / ga[1];
    const double dy = (gb[3] - ga[3]) / ga[5];
    if (std::fabs(dx) > 1e-6) {
        return "origin x differs by " + fmt_double("%.2f", dx) + " px";
    }
    if (std::fabs(dy) > 1e-6) {
        return "origin y differs by " + fmt_double("%.2f", dy) + " px";
    }
    if (a.width != b.width || a.height != b.height) {
        return "size differs: " + std::to_string(a.width) + " x " + std::to_string(a.height) +
               " vs " + std::to_string(b.width) + " x " + std::to_string(b.height) + " px";
    }
    return {};
}

} // namespace cs::raster
