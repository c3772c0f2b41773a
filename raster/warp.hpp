// On-the-fly alignment: warped VRTs of inputs off the reference grid, and grid overrides.
#pragma once
#include "raster/grid.hpp"
#include "raster/raster_io.hpp"

#include <string>
#include <vector>

namespace cs::raster {

/// GDAL resampling methods used to put an input on the reference grid.
enum class Resampling { nearest, mode, average, bilinear };

/// GDAL's name of `r`: "nearest", "mode", "average" or "bilinear". Thread-safe.
const char *resampling_name(Resampling r);

/// Default resampling for a layer: categorical -> mode when aggregating (the target pixel is at
/// least 1.5 times the source pixel), nearest otherwise; continuous -> average, respectively
/// bilinear. Pixel sizes are compared as the
/// square root of the pixel area: in CRS units when both grids have the same CRS, otherwise in
/// metres on the ground (projected units times the unit's size in metres; geographic degrees
/// converted to metres with the ellipsoid's radii of curvature at the latitude of the grid
/// centre). Thread-safe; throws nothing (a grid
/// without CRS is compared in its own units).
Resampling default_resampling(const RasterInfo &source, const GridSpec &target, bool categorical);

/// Write a warped VRT of band `source.band` of `source` on exactly `target` (same CRS,
/// geotransform and size) with resampling `r` to `vrt_path`, a real file path chosen by the
/// caller (e.g. in a temporary directory), so that each thread can open it with its own
/// RasterReader. The source is read at full resolution (no overviews); GDAL's default error
/// threshold of 0.125 px applies to the approximate reprojection. The source's nodata value is
/// the VRT's nodata value; a source without nodata gets an alpha band, so pixels outside the
/// source (or masked in it) read as masked, not as 0. A multi-band source is first reduced to
/// its band in `<vrt_path>.band<N>.vrt`, written next to it. The output keeps the source data
/// type. Returns the VRT described by inspect_raster (label kept, path = vrt_path, band 1) with
/// grid = target. Thread-safe for distinct vrt_paths. Throws RasterError naming the input: the
/// source has no CRS, the target grid has no CRS, is empty, rotated or south-up, or GDAL/PROJ
/// cannot build the warp (e.g. no transformation between the CRSs) or write the file.
RasterInfo warp_to_grid(const RasterInfo &source, const GridSpec &target, Resampling r,
                        const std::string &vrt_path);

/// Target grid from a grid override. `crs`: any text OGRSpatialReference::SetFromUserInput
/// accepts ("EPSG:4547", WKT, PROJ string); `resolution`: square pixel size in CRS units (> 0);
/// `extent`: {xmin, ymin, xmax, ymax} in CRS units (x = easting or longitude), or empty for the
/// extent of `reference` transformed to `crs` (edges densified, 21 points per side). The grid is
/// aligned like gdalwarp -tap: xmin and ymin are rounded down and xmax and ymax up to multiples
/// of the resolution (with a 1e-9 px tolerance, so an edge already on a multiple stays there);
/// the geotransform is (xmin, res, 0, ymax, 0, -res) and the CRS is stored as WKT2. Thread-safe.
/// Throws RasterError for an unreadable CRS, a non-positive or non-finite resolution, an extent
/// that is not 4 finite numbers with xmin < xmax and ymin < ymax, a reference without CRS (when
/// the extent is empty) or a grid larger than GDAL's 2^31 - 1 px per side.
GridSpec grid_from_override(const std::string &crs, double resolution,
                            const std::vector<double> &extent, const RasterInfo &reference);

} // namespace cs::raster
