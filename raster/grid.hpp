// Grids and windows: the reference grid of a run and the rectangles it is processed in.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace cs::raster {

/// Largest grid width or height, px: 2^31 - 1. GDAL addresses raster sizes and offsets as `int`,
/// and the coverage index stores columns as 32-bit unsigned integers, so wider or taller grids
/// are refused (BlockPlan, GeoTiffWriter, exact_polygon_coverage). Pixel counts, cell counts and
/// buffer sizes are 64-bit everywhere, so a grid may hold up to (2^31 - 1)^2 pixels in principle;
/// in practice memory and time bound it (see README "Limits").
inline constexpr int64_t MAX_GRID_SIZE_PX = 2147483647;

/// Empty when a `width` x `height` px grid is within MAX_GRID_SIZE_PX along both axes, else the
/// reason ("50000 x 3000000000 px: taller than 2147483647 px, the largest raster size GDAL can
/// address"). Does not check for empty grids.
std::string describe_oversized_grid(int64_t width, int64_t height);

/// A rectangle of pixels inside a grid, in pixel offsets of that grid.
struct Window {
    int64_t x_off = 0;
    int64_t y_off = 0;
    int64_t x_size = 0;
    int64_t y_size = 0;
    int64_t cells() const { return x_size * y_size; }
    bool operator==(const Window &) const = default;
};

/// A north-up or rotated raster grid: GDAL geotransform, size and CRS (WKT2, may be empty).
struct GridSpec {
    std::array<double, 6> geotransform{0, 1, 0, 0, 0, -1};
    int64_t width = 0;
    int64_t height = 0;
    std::string crs_wkt;

    int64_t cells() const { return width * height; }
    double pixel_width() const { return geotransform[1]; }
    double pixel_height() const { return geotransform[5]; }
};

/// One-line description of the first difference between two grids that prevents pixel-by-pixel
/// use ("origin x differs by 0.80 px", "size 100 x 80 vs 100 x 81", "CRS differs: ..."); empty
/// when `b` is on grid `a`. Tolerance: 1e-6 of a pixel for origins and 1e-9 relative for sizes.
std::string describe_misalignment(const GridSpec &a, const GridSpec &b);

/// True when the two CRS definitions describe the same CRS (both empty counts as same).
bool same_crs(const std::string &wkt_a, const std::string &wkt_b);

/// A short human name for a CRS: "EPSG:32651", or its name when it has no code, or "none".
std::string crs_short_name(const std::string &wkt);

} // namespace cs::raster
