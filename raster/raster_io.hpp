// Raster inputs (inspection and per-thread readers) and tiled GeoTIFF outputs.
#pragma once
#include "raster/grid.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

typedef void *GDALDatasetH;
typedef void *GDALRasterBandH;

namespace cs::raster {

/// What a run needs to know about one raster input, read once in prepare.
struct RasterInfo {
    std::string label; ///< config name of the layer, e.g. "land_cover/2015"
    std::string path;  ///< path as opened
    int band = 1;      ///< 1-based band number
    GridSpec grid;
    std::string data_type; ///< GDAL type name, e.g. "Byte"
    bool is_integer = true;
    bool fits_int32 = true; ///< integer type whose whole range fits in int32
    bool has_nodata = false;
    double nodata = 0.0;
    bool has_mask_band = false; ///< a per-dataset or alpha mask marks valid pixels
    /// The band's scale and offset (GDAL metadata, e.g. MODIS NDVI stored as Int16 x 0.0001):
    /// read_double gives stored x scale + offset; read_int32 gives the stored codes.
    double scale = 1.0;
    double offset = 0.0;

    /// "land_cover/2015 (data/lc2015.tif, band 1)": the place part of error messages.
    std::string where() const;
};

/// Open `path`, check `band` exists, and describe it. `label` names the input in messages.
/// Throws RasterError: missing file, not a raster, band out of range.
RasterInfo inspect_raster(const std::string &label, const std::string &path, int band);

/// Every file GDAL reads for the dataset at `path` (raster or vector): the file itself, then
/// its side files (a Shapefile's .shx, .dbf, .prj, .cpg; a raster's .aux.xml, .ovr, .msk, world
/// file; the source files a VRT names), as GDALGetFileList reports them. Empty when the
/// dataset cannot be opened.
std::vector<std::string> dataset_files(const std::string &path);

/// Reads windows of one raster band. Each thread owns its own reader (GDAL datasets are not
/// thread-safe). Buffers are reused, so reads allocate nothing after the first block.
class RasterReader {
public:
    explicit RasterReader(const RasterInfo &info);
    ~RasterReader();
    RasterReader(const RasterReader &) = delete;
    RasterReader &operator=(const RasterReader &) = delete;

    /// Read `w` as integers into `values` (w.cells() entries, row-major) and set `valid[i]` to 1
    /// where the pixel is data: not nodata, not masked, not NaN, integral and inside int32
    /// range for float rasters. Invalid entries of `values` are 0. Throws RasterError on read
    /// failure, naming the input and window.
    void read_int32(const Window &w, int32_t *values, uint8_t *valid);

    /// Read `w` as double values (continuous layers: volume, biomass, elevation, ...), with the
    /// band's scale and offset applied to data pixels (nodata is the stored value), and set
    /// `valid[i]` to 1 where the pixel is data: not nodata, not masked, finite. Nodata pixels
    /// (the band's nodata value, NaN only when that value is NaN, or masked) read as 0; a NaN or
    /// infinite value that is not nodata is a bad value: `valid[i]` is 0 but `values[i]` keeps
    /// it, so callers can tell a bad value from nodata. Throws RasterError on read failure,
    /// naming the input and window.
    void read_double(const Window &w, double *values, uint8_t *valid);

    const RasterInfo &info() const { return m_info; }

private:
    void read_mask(const Window &w, uint8_t *valid);
    [[noreturn]] void fail(const Window &w) const;

    RasterInfo m_info;
    GDALDatasetH m_ds = nullptr;
    GDALRasterBandH m_band = nullptr;
    std::vector<double> m_scratch;
    std::vector<uint8_t> m_mask_scratch;
};

/// Options for GeoTIFF outputs.
struct GeoTiffOptions {
    /// "Float32" (nodata NaN) or "Byte" (nodata 0; values given as floats are rounded, NaN -> 0).
    std::string data_type = "Float32";
    std::vector<std::string> category_names; ///< Byte rasters: band metadata code_<i> = name
    int tile = 256;
    std::string compress = "DEFLATE";
    int zlevel = 6;
    /// Internal overviews, laid out as a cloud-optimized GeoTIFF (raster/cog.hpp). Windows must
    /// then come in block-plan order (row-major).
    bool overviews = false;
    /// Threads GDAL compresses the main image's tiles on (its NUM_THREADS creation option; the
    /// tiles are still written in call order, so the bytes do not depend on it). 1: compress in
    /// the calling thread. The overview level files are always compressed in the calling thread
    /// (each dataset with NUM_THREADS keeps its own queue of tile buffers).
    int compress_threads = 1;
};

/// Uncompressed size above which GeoTIFF outputs are written as BigTIFF: 2 GiB (see
/// needs_bigtiff).
inline constexpr int64_t BIGTIFF_ABOVE_BYTES = int64_t{1} << 31;

/// True when a GeoTIFF output of `width` x `height` px with `bytes_per_pixel` bytes per pixel,
/// tiled in `tile` x `tile` px tiles, must be written as BigTIFF. A classic TIFF has 32-bit file
/// offsets, so it cannot exceed 4 GiB, and GDAL's default (BIGTIFF=IF_NEEDED) only switches for
/// uncompressed files, so a compressed output of incompressible data could fail at 4 GiB. Rule:
/// BigTIFF when the uncompressed size of the whole tiles (edge tiles are stored whole) exceeds
/// BIGTIFF_ABOVE_BYTES = 2 GiB. The other 2 GiB is the margin for codecs that expand
/// incompressible tiles (LZW by at most 1.5x: one 9 to 12-bit code per input byte at worst;
/// DEFLATE and ZSTD by far less than 1 %) and for the tile index and metadata. Pure; computed
/// without integer overflow for any size.
bool needs_bigtiff(int64_t width, int64_t height, int64_t tile, int64_t bytes_per_pixel);

class OverviewBuilder;

/// A Float32 GeoTIFF output on the reference grid, written tile by tile under a temporary name
/// and renamed to its final name by commit(). Tiles are written straight to the file (no block
/// cache), in the order write_window() is called, so the same sequence of calls gives the same
/// bytes. Written as BigTIFF when needs_bigtiff() says so. Not thread-safe: callers serialize
/// access per output.
///
/// With GeoTiffOptions::overviews (and a raster larger than one tile), the overview levels are
/// computed as the windows stream in and written to one temporary tiled file per level
/// (`.<name>.partial.ovr<k>`); commit() assembles the main file and the levels into a
/// cloud-optimized GeoTIFF by copying their compressed tiles (raster/cog.hpp).
class GeoTiffWriter {
public:
    /// Creates `<dir>/.<name>.partial`; metadata: band description, `units`, nodata (NaN, or
    /// 0 for Byte rasters), the legend of Byte rasters as band metadata code_<i>. Throws
    /// RasterError when the file cannot be created or the grid is larger than MAX_GRID_SIZE_PX.
    GeoTiffWriter(const std::string &final_path, const GridSpec &grid,
                  const std::string &description, const std::string &units,
                  const std::map<std::string, std::string> &metadata,
                  const GeoTiffOptions &options);
    ~GeoTiffWriter();
    GeoTiffWriter(const GeoTiffWriter &) = delete;
    GeoTiffWriter &operator=(const GeoTiffWriter &) = delete;

    /// Write `values` (w.cells() floats, row-major) for a window aligned to the tiling.
    /// Throws RasterError on write failure (e.g. disk full), naming the file.
    void write_window(const Window &w, const float *values);

    /// Close the file and rename it to its final name. Throws RasterError on failure.
    void commit();
    /// Close and delete the temporary file (called by the destructor when not committed).
    void discard() noexcept;

    const std::string &final_path() const { return m_final; }
    const std::string &temp_path() const { return m_temp; }
    /// True when the file is a BigTIFF (needs_bigtiff()).
    bool bigtiff() const { return m_bigtiff; }

private:
    std::string m_final;
    std::string m_temp;
    GDALDatasetH m_ds = nullptr;
    GDALRasterBandH m_band = nullptr;
    GridSpec m_grid;
    int m_tile;
    std::vector<float> m_tile_buf;
    std::vector<uint8_t> m_byte_buf; ///< Byte rasters: the tile converted
    bool m_byte = false;
    /// Float32 with the floating-point predictor: the main image's tiles are encoded by
    /// float_predictor_rows() into m_byte_buf and written to a file created without predictor,
    /// whose Predictor tag commit() then sets to 3 (libtiff's own encoder for it is a byte loop
    /// that took a quarter of a run's CPU time: issue 13).
    bool m_own_predictor = false;
    /// With m_own_predictor: which main-image tiles were written (row-major). commit() writes
    /// the others as nodata through the same encoder: GDAL would fill them at close without the
    /// predictor, and they would decode as garbage once the tag says 3.
    std::vector<uint8_t> m_tile_written;
    bool m_bigtiff = false;
    // Overviews: the streaming builder, and per level its temporary file.
    std::unique_ptr<OverviewBuilder> m_overviews;
    std::vector<std::string> m_ovr_paths;
    std::vector<GDALDatasetH> m_ovr_ds;

    /// Write one tile of the main image (`level` 0) or of overview `level` (1, 2, ...).
    void write_tile(GDALRasterBandH band, int64_t tx, int64_t ty, const float *tile,
                    std::size_t level);
    void close_all_discarding() noexcept;
};

/// The floating-point predictor of TIFF (Predictor = 3; Adobe Photoshop TIFF Technical Note 3,
/// April 2005, section "Floating point predictor") applied to `rows` rows of `width` Float32
/// samples (one sample per pixel): per row, the bytes of the samples are laid out in planes,
/// most significant byte first (each plane `width` bytes), and every byte of the row but the
/// first is replaced by its difference (mod 256) to the byte before it. `out` receives
/// rows x width x 4 bytes. A little-endian file's tile, so encoded and then compressed, is the
/// tile libtiff writes for Predictor = 3. Little-endian hosts only.
void float_predictor_rows(const float *values, int64_t width, int64_t rows, uint8_t *out);

/// Set the Predictor tag (317) of the first IFD of the little-endian TIFF or BigTIFF at `path`
/// to `predictor`, in place (the tag must be present: GDAL writes it for every DEFLATE, LZW and
/// ZSTD file). Throws RasterError naming the file when it cannot be read or written, is not a
/// little-endian TIFF, or has no Predictor tag.
void set_tiff_predictor(const std::string &path, uint16_t predictor);

/// The temporary name used for `final_path` while it is written: same directory, name
/// `.<file name>.partial`.
std::string partial_path(const std::string &final_path);

} // namespace cs::raster
