// Pixel areas: planar for projected grids, per-row ellipsoidal for geographic grids.
#include "raster/pixel_area.hpp"

#include "raster/raster_error.hpp"

#include <ogr_spatialref.h>

#include <cmath>
#include <numbers>

namespace cs::raster {

double ellipsoid_zone_area_m2(double lat_deg, double semi_major_m, double inv_flattening) {
    const double a = semi_major_m;
    const double f = inv_flattening > 0.0 ? 1.0 / inv_flattening : 0.0;
    const double b = a * (1.0 - f);
    const double s = std::sin(lat_deg * std::numbers::pi / 180.0);
    if (f == 0.0) {
        return 2.0 * std::numbers::pi * a * a * s; // sphere
    }
    const double e = std::sqrt(1.0 - (b * b) / (a * a));
    const double es = e * s;
    return std::numbers::pi * b * b * (std::atanh(es) / e + s / ((1.0 + es) * (1.0 - es)));
}

double ellipsoid_cell_area_m2(double lat1_deg, double lat2_deg, double dlon_deg,
                              double semi_major_m, double inv_flattening) {
    const double z1 = ellipsoid_zone_area_m2(lat1_deg, semi_major_m, inv_flattening);
    const double z2 = ellipsoid_zone_area_m2(lat2_deg, semi_major_m, inv_flattening);
    return std::fabs(z2 - z1) * std::fabs(dlon_deg) / 360.0;
}

PixelArea::PixelArea(const GridSpec &grid) {
    if (grid.crs_wkt.empty()) {
        throw RasterError("pixel area: reference grid: the raster has no CRS, so pixel areas "
                          "are unknown (assign one with gdal_edit.py -a_srs)");
    }
    OGRSpatialReference srs;
    if (srs.importFromWkt(grid.crs_wkt.c_str()) != OGRERR_NONE) {
        throw RasterError("pixel area: reference grid: the CRS definition cannot be read");
    }
    const auto &gt = grid.geotransform;
    if (srs.IsGeographic()) {
        if (gt[2] != 0.0 || gt[4] != 0.0) {
            throw RasterError("pixel area: reference grid: rotated geographic grids are not "
                              "supported");
        }
        OGRErr err = OGRERR_NONE;
        const double a = srs.GetSemiMajor(&err);
        const double inv_f = srs.GetInvFlattening(&err);
        // Angular unit of the CRS in degrees (almost always 1).
        const double unit_deg = srs.GetAngularUnits(nullptr) * 180.0 / std::numbers::pi;
        m_constant = false;
        m_row_ha.resize(static_cast<std::size_t>(grid.height));
        for (int64_t r = 0; r < grid.height; ++r) {
            const double lat1 = (gt[3] + gt[5] * static_cast<double>(r)) * unit_deg;
            const double lat2 = (gt[3] + gt[5] * static_cast<double>(r + 1)) * unit_deg;
            m_row_ha[static_cast<std::size_t>(r)] =
                ellipsoid_cell_area_m2(lat1, lat2, gt[1] * unit_deg, a, inv_f) / 10000.0;
        }
        const char *ell = srs.GetAttrValue("ELLIPSOID");
        if (ell == nullptr) {
            ell = srs.GetAttrValue("SPHEROID");
        }
        m_method = std::string("ellipsoidal per row (") + (ell ? ell : "unnamed ellipsoid") + ")";
        return;
    }
    const double to_m = srs.GetLinearUnits(nullptr);
    if (!(to_m > 0.0)) {
        throw RasterError("pixel area: reference grid: the CRS has no linear unit");
    }
    const double area_units = std::fabs(gt[1] * gt[5] - gt[2] * gt[4]);
    m_constant = true;
    m_constant_ha = area_units * to_m * to_m / 10000.0;
    m_method = "planar (projected CRS, map units)";
}

} // namespace cs::raster
