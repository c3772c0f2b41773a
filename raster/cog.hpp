// Cloud-optimized GeoTIFF outputs: overview levels computed while an output's tiles stream in,
// and the final file assembled from the tiled level files by copying their compressed tiles.
//
// Theory of operation. GeoTiffWriter receives tile-aligned windows in block-plan order (row-major:
// whole-width strips of tile rows, or one tile row cut into column groups, left to right).
// OverviewBuilder reduces each 2 x 2 pixels of the window to one pixel of the first overview
// level, and each finished tile row of a level to half a tile row of the next level, so every
// level holds one tile row in memory (tile x level-width floats), never a whole level. A level's
// tiles go to a sink (GeoTiffWriter writes them to one tiled, compressed temporary GeoTIFF per
// level, with the main file's tile size, compression and predictor). Levels halve the size
// (rounding up) until the level fits in one tile, as GDAL's COG driver does.
//
// At commit, assemble_cog() writes the cloud-optimized layout that GDAL's validator
// (validate_cloud_optimized_geotiff.py) checks: header, then the main image's IFD at byte 8 (16
// for BigTIFF), the overview IFDs in decreasing size, each followed by its out-of-line tag values,
// then the tile data of the smallest overview first and the main image last, each level's tiles
// in row-major order. The tiles are copied as compressed bytes: nothing is decompressed or
// compressed again, so assembling costs one sequential copy of the files.
#pragma once
#include "raster/grid.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cs::raster {

struct LevelSize {
    int64_t width = 0;
    int64_t height = 0;
};

/// Sizes of the overview levels of a `width` x `height` raster tiled in `tile` px tiles: each
/// level is the previous one halved, rounding up, until a level fits in one tile. Empty when the
/// raster itself fits in one tile.
std::vector<LevelSize> overview_levels(int64_t width, int64_t height, int64_t tile);

/// Streams the overview levels of one raster (see the file comment).
///
/// Resampling: Float32 rasters take the AVERAGE of the valid (non-NaN) pixels of each 2 x 2 block
/// (NaN where none is valid), computed in double; Byte rasters of class codes (`categorical`,
/// nodata 0) take the MODE of the non-zero codes (ties: the smallest code; 0 where none). Levels
/// after the first are computed from the previous level, as GDAL's gdaladdo does.
class OverviewBuilder {
public:
    /// `sink(level, tx, ty, tile)` receives each tile of overview `level` (0 = the largest) as
    /// tile x tile floats, row-major, NaN outside the level.
    using TileSink = std::function<void(std::size_t level, int64_t tx, int64_t ty, const float *)>;

    OverviewBuilder(int64_t width, int64_t height, int64_t tile, bool categorical, TileSink sink);

    /// Feed window `w` of the main raster (w.cells() values, row-major). Windows must come in
    /// block-plan order (see the file comment); throws RasterError otherwise.
    void add_window(const Window &w, const float *values);

    const std::vector<LevelSize> &levels() const { return m_levels; }
    /// True when every tile of every level went to the sink.
    bool complete() const;

private:
    void reduce_row(const float *a, const float *b, int64_t n, float *dst) const;
    void advance(std::size_t level, int64_t complete_rows);

    int64_t m_width;
    int64_t m_height;
    int64_t m_tile;
    bool m_categorical;
    TileSink m_sink;
    std::vector<LevelSize> m_levels;
    std::vector<std::vector<float>> m_rows; ///< per level: one tile row (tile x level width)
    std::vector<int64_t> m_flushed;         ///< per level: rows sent to the sink
    std::vector<float> m_tile_buf;
    int64_t m_main_done = 0; ///< main rows received for the whole width
    int64_t m_next_x = 0;    ///< column the next window of the current strip starts at
    int64_t m_strip_y = 0;
    int64_t m_strip_h = 0;
};

/// Write `out_path` as a cloud-optimized GeoTIFF (see the file comment) from `levels`: tiled
/// single-image little-endian TIFF files (classic or BigTIFF), the main image first, then its
/// overviews by decreasing size. Every tag of each file's first IFD is kept (geokeys,
/// GDAL_METADATA, GDAL_NODATA, compression, predictor, sample format, ...); overview IFDs get
/// NewSubfileType = 1 (reduced-resolution image). The result is BigTIFF when any input is, or
/// when it would exceed the 4 GiB of a classic TIFF. Returns true when it is BigTIFF. Throws
/// RasterError naming the file when an input cannot be read or holds a structure this layout does
/// not carry (strips, big-endian, sub-IFDs), or when the output cannot be written.
bool assemble_cog(const std::string &out_path, const std::vector<std::string> &levels);

} // namespace cs::raster
