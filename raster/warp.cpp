// Warped VRTs (GDALWarp -of VRT) that put inputs on the reference grid, and grid overrides.
#include "raster/warp.hpp"

#include "raster/raster_error.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace cs::raster {

namespace {

namespace fs = std::filesystem;

std::string fmt17(double v) {
    if (std::isnan(v)) {
        return "nan";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string fmt_short(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

/// A CRS text as shown in messages: cut after 60 characters.
std::string quoted_crs(const std::string &crs) {
    if (crs.size() <= 60) {
        return "\"" + crs + "\"";
    }
    return "\"" + crs.substr(0, 60) + "...\"";
}

/// Square root of the pixel area of `g`: in CRS units, or in metres on the ground when
/// `in_metres` (see default_resampling).
double pixel_size(const GridSpec &g, bool in_metres) {
    const auto &gt = g.geotransform;
    const double area_units = std::fabs(gt[1] * gt[5] - gt[2] * gt[4]);
    OGRSpatialReference srs;
    if (!in_metres || g.crs_wkt.empty() || srs.importFromWkt(g.crs_wkt.c_str()) != OGRERR_NONE) {
        return std::sqrt(area_units);
    }
    if (srs.IsGeographic()) {
        const double unit_rad = srs.GetAngularUnits(nullptr);
        OGRErr err = OGRERR_NONE;
        const double a = srs.GetSemiMajor(&err);
        const double inv_f = srs.GetInvFlattening(&err);
        const double f = inv_f > 0.0 ? 1.0 / inv_f : 0.0;
        const double e2 = f * (2.0 - f);
        const double half_w = static_cast<double>(g.width) / 2.0;
        const double half_h = static_cast<double>(g.height) / 2.0;
        const double phi = (gt[3] + gt[4] * half_w + gt[5] * half_h) * unit_rad;
        const double s2 = std::sin(phi) * std::sin(phi);
        const double n = a / std::sqrt(1.0 - e2 * s2);                  // prime vertical radius
        const double m = a * (1.0 - e2) / std::pow(1.0 - e2 * s2, 1.5); // meridian radius
        return std::sqrt(area_units * unit_rad * unit_rad * m * n * std::cos(phi));
    }
    const double to_m = srs.GetLinearUnits(nullptr);
    return std::sqrt(area_units) * (to_m > 0.0 ? to_m : 1.0);
}

/// An absolute path for local files, so VRTs written elsewhere find their sources. Not
/// normalised: ".." after a symbolic link must stay for the system to resolve.
std::string absolute_source_path(const std::string &path) {
    std::error_code ec;
    if (fs::exists(path, ec)) {
        const fs::path abs = fs::absolute(path, ec);
        if (!ec) {
            return abs.string();
        }
    }
    return path;
}

struct DatasetCloser {
    void operator()(void *ds) const {
        if (ds != nullptr) {
            GDALClose(ds);
        }
    }
};
using Dataset = std::unique_ptr<void, DatasetCloser>;

} // namespace

const char *resampling_name(Resampling r) {
    switch (r) {
    case Resampling::nearest:
        return "nearest";
    case Resampling::mode:
        return "mode";
    case Resampling::average:
        return "average";
    case Resampling::bilinear:
        return "bilinear";
    }
    return "nearest";
}

Resampling default_resampling(const RasterInfo &source, const GridSpec &target, bool categorical) {
    const bool in_metres = !same_crs(source.grid.crs_wkt, target.crs_wkt);
    const double src = pixel_size(source.grid, in_metres);
    const double dst = pixel_size(target, in_metres);
    // Aggregation (mode/average) only when a target pixel spans at least 1.5 source pixels in
    // each direction; below that, mode over 1-4 partly overlapping pixels invents class changes
    // at every boundary (seen on the CORINE 100 m pair: 12.9 % of Lausanne "changed").
    const bool aggregating = dst >= 1.5 * src;
    if (categorical) {
        return aggregating ? Resampling::mode : Resampling::nearest;
    }
    return aggregating ? Resampling::average : Resampling::bilinear;
}

RasterInfo warp_to_grid(const RasterInfo &source, const GridSpec &target, Resampling r,
                        const std::string &vrt_path) {
    init_gdal();
    const std::string what = "cannot warp raster: " + source.where() + ": ";
    if (source.grid.crs_wkt.empty()) {
        throw RasterError(what + "has no CRS, so it cannot be put on the reference grid (assign "
                                 "one with gdal_edit.py -a_srs)");
    }
    if (target.crs_wkt.empty()) {
        throw RasterError(what + "the target grid has no CRS");
    }
    if (target.width <= 0 || target.height <= 0 || target.width > INT_MAX ||
        target.height > INT_MAX) {
        throw RasterError(what + "the target grid size " + std::to_string(target.width) + " x " +
                          std::to_string(target.height) + " px is empty or too large");
    }
    const auto &gt = target.geotransform;
    if (gt[2] != 0.0 || gt[4] != 0.0 || !(gt[1] > 0.0) || !(gt[5] < 0.0)) {
        throw RasterError(what + "the target grid is rotated or not north-up, which warping "
                                 "does not support");
    }

    CPLErrorReset();
    const std::string src_path = absolute_source_path(source.path);
    Dataset src(
        GDALOpenEx(src_path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!src) {
        throw RasterError(what + last_gdal_error());
    }
    const int bands = GDALGetRasterCount(src.get());
    if (source.band < 1 || source.band > bands) {
        throw RasterError(what + "band " + std::to_string(source.band) +
                          " does not exist (the file has " + std::to_string(bands) + " band" +
                          (bands == 1 ? "" : "s") + ")");
    }

    // GDAL 3.6's GDALWarp warps every band: reduce a multi-band source to its band first.
    Dataset band_vrt;
    GDALDatasetH warp_source = src.get();
    if (bands > 1) {
        const std::string band_path =
            absolute_source_path(vrt_path) + ".band" + std::to_string(source.band) + ".vrt";
        CPLStringList targs;
        targs.AddString("-of");
        targs.AddString("VRT");
        targs.AddString("-b");
        targs.AddString(std::to_string(source.band).c_str());
        GDALTranslateOptions *topts = GDALTranslateOptionsNew(targs.List(), nullptr);
        int usage_error = 0;
        band_vrt.reset(GDALTranslate(band_path.c_str(), src.get(), topts, &usage_error));
        GDALTranslateOptionsFree(topts);
        if (!band_vrt) {
            throw RasterError(what + "cannot write " + band_path + ": " + last_gdal_error());
        }
        warp_source = band_vrt.get();
    }

    CPLStringList args;
    auto add = [&args](const std::string &s) { args.AddString(s.c_str()); };
    add("-of");
    add("VRT");
    add("-t_srs");
    add(target.crs_wkt);
    add("-te");
    add(fmt17(gt[0]));
    add(fmt17(gt[3] + gt[5] * static_cast<double>(target.height)));
    add(fmt17(gt[0] + gt[1] * static_cast<double>(target.width)));
    add(fmt17(gt[3]));
    add("-ts");
    add(std::to_string(target.width));
    add(std::to_string(target.height));
    add("-r");
    add(resampling_name(r));
    add("-ovr");
    add("NONE");
    if (source.has_nodata) {
        add("-dstnodata");
        add(fmt17(source.nodata));
    } else {
        add("-dstalpha");
    }
    GDALWarpAppOptions *wopts = GDALWarpAppOptionsNew(args.List(), nullptr);
    if (wopts == nullptr) {
        throw RasterError(what + "invalid warp options: " + last_gdal_error());
    }
    int usage_error = 0;
    CPLErrorReset();
    Dataset out(GDALWarp(vrt_path.c_str(), nullptr, 1, &warp_source, wopts, &usage_error));
    GDALWarpAppOptionsFree(wopts);
    if (!out) {
        throw RasterError(what + "GDAL cannot warp it onto the reference grid (" +
                          crs_short_name(target.crs_wkt) + "): " + last_gdal_error());
    }
    CPLErrorReset();
    GDALFlushCache(out.get());
    out.reset();
    band_vrt.reset();
    src.reset();
    if (CPLGetLastErrorType() >= CE_Failure) {
        throw RasterError(what + "cannot write " + vrt_path + ": " + last_gdal_error());
    }
    RasterInfo info = inspect_raster(source.label, vrt_path, 1);
    info.grid = target;
    return info;
}

GridSpec grid_from_override(const std::string &crs, double resolution,
                            const std::vector<double> &extent, const RasterInfo &reference) {
    init_gdal();
    OGRSpatialReference srs;
    CPLErrorReset();
    if (crs.empty() || srs.SetFromUserInput(crs.c_str()) != OGRERR_NONE) {
        throw RasterError("bad grid override: crs " + quoted_crs(crs) +
                          ": not a CRS GDAL/PROJ can read (use e.g. \"EPSG:4547\", a WKT or a "
                          "PROJ string)");
    }
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (!std::isfinite(resolution) || !(resolution > 0.0)) {
        throw RasterError("bad grid override: resolution " + fmt_short(resolution) +
                          ": must be a positive pixel size in CRS units");
    }

    double xmin = 0.0;
    double ymin = 0.0;
    double xmax = 0.0;
    double ymax = 0.0;
    if (extent.empty()) {
        const GridSpec &ref = reference.grid;
        OGRSpatialReference ref_srs;
        if (ref.crs_wkt.empty() || ref_srs.importFromWkt(ref.crs_wkt.c_str()) != OGRERR_NONE) {
            throw RasterError("bad grid override: extent: the reference raster " +
                              reference.where() +
                              " has no CRS, so its extent cannot be transformed; give the "
                              "extent explicitly");
        }
        ref_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        // Bounding box of the reference grid's corners in its own CRS.
        const auto &g = ref.geotransform;
        const double w = static_cast<double>(ref.width);
        const double h = static_cast<double>(ref.height);
        const double cx[4] = {g[0], g[0] + w * g[1], g[0] + h * g[2], g[0] + w * g[1] + h * g[2]};
        const double cy[4] = {g[3], g[3] + w * g[4], g[3] + h * g[5], g[3] + w * g[4] + h * g[5]};
        const double rxmin = *std::min_element(cx, cx + 4);
        const double rxmax = *std::max_element(cx, cx + 4);
        const double rymin = *std::min_element(cy, cy + 4);
        const double rymax = *std::max_element(cy, cy + 4);
        std::unique_ptr<OGRCoordinateTransformation> ct(
            OGRCreateCoordinateTransformation(&ref_srs, &srs));
        CPLErrorReset();
        if (!ct ||
            !ct->TransformBounds(rxmin, rymin, rxmax, rymax, &xmin, &ymin, &xmax, &ymax, 21)) {
            throw RasterError("bad grid override: extent: cannot transform the extent of the "
                              "reference raster " +
                              reference.where() + " to " + quoted_crs(crs) + ": " +
                              last_gdal_error());
        }
    } else {
        const bool finite =
            std::all_of(extent.begin(), extent.end(), [](double v) { return std::isfinite(v); });
        if (extent.size() != 4 || !finite || !(extent[0] < extent[2]) || !(extent[1] < extent[3])) {
            std::string list;
            for (double v : extent) {
                list += (list.empty() ? "" : ", ") + fmt_short(v);
            }
            throw RasterError("bad grid override: extent [" + list +
                              "]: must be 4 finite numbers xmin, ymin, xmax, ymax with xmin < "
                              "xmax and ymin < ymax");
        }
        xmin = extent[0];
        ymin = extent[1];
        xmax = extent[2];
        ymax = extent[3];
    }

    // Target-aligned pixels (gdalwarp -tap); the tolerance keeps an edge that is a multiple of
    // the resolution up to rounding where it is.
    const double tol = 1e-9;
    const double kx0 = std::floor(xmin / resolution + tol);
    const double ky0 = std::floor(ymin / resolution + tol);
    const double kx1 = std::ceil(xmax / resolution - tol);
    const double ky1 = std::ceil(ymax / resolution - tol);
    const double width = std::max(1.0, kx1 - kx0);
    const double height = std::max(1.0, ky1 - ky0);
    if (width > INT_MAX || height > INT_MAX) {
        throw RasterError("bad grid override: resolution " + fmt_short(resolution) +
                          ": the grid would be " + fmt_short(width) + " x " + fmt_short(height) +
                          " px, more than GDAL's 2147483647 px per side");
    }
    GridSpec grid;
    grid.geotransform = {kx0 * resolution, resolution, 0.0, (ky0 + height) * resolution, 0.0,
                         -resolution};
    grid.width = static_cast<int64_t>(width);
    grid.height = static_cast<int64_t>(height);
    char *wkt = nullptr;
    const char *opts[] = {"FORMAT=WKT2_2019", nullptr};
    if (srs.exportToWkt(&wkt, opts) != OGRERR_NONE || wkt == nullptr) {
        CPLFree(wkt);
        throw RasterError("bad grid override: crs " + quoted_crs(crs) +
                          ": cannot be written as WKT2: " + last_gdal_error());
    }
    grid.crs_wkt = wkt;
    CPLFree(wkt);
    return grid;
}

} // namespace cs::raster
