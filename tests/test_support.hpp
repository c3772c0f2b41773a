// Helpers shared by the test suites: temp dirs, synthetic rasters and vectors, running the CLI.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cs::test {

/// A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::string &path() const { return m_path; }
    std::string file(const std::string &name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

/// Spec of a synthetic single-band raster.
struct RasterSpec {
    int width = 10;
    int height = 10;
    double origin_x = 500000.0;
    double origin_y = 4600000.0;
    double pixel_size = 30.0;
    int epsg = 32651;          ///< 0 = no CRS
    std::string type = "Byte"; ///< GDAL type name
    bool has_nodata = true;
    double nodata = 255;
    bool tiled = false;
};

/// Write a GeoTIFF with `values` (row-major, width*height).
void write_raster(const std::string &path, const RasterSpec &spec,
                  const std::vector<double> &values);

/// A polygon ring as (x, y) vertices (closed automatically).
using Ring = std::vector<std::pair<double, double>>;
struct PolygonFeature {
    int64_t id = 0;
    std::string name;
    std::vector<Ring> rings; ///< first = outer, others = holes
};

/// Write polygons with fields `code` (Integer64) and `name` (String) in any OGR driver chosen by
/// extension (.gpkg, .geojson, .shp); `epsg` = 0 writes no CRS. A Shapefile with a
/// `shapefile_encoding` (e.g. "GBK") gets its names recoded to it by OGR and a .cpg naming it.
void write_polygons(const std::string &path, int epsg, const std::vector<PolygonFeature> &features,
                    const std::string &shapefile_encoding = "");

/// The hand-worked two-epoch city of the pipeline tests (test_integration.cpp works its totals):
/// 40 x 30 px of 30 m in EPSG:6933 (equal area: every pixel is 0.09 ha). 2010: columns 0-19
/// class 1 (cropland), columns 20-39 class 2 (forest). 2020: as 2010, but rows 0-9 of columns
/// 0-19 are class 2 and rows 20-29 of columns 30-39 class 3 (settlement); with `nodata_pixel`,
/// pixel (column 5, row 25) of 2020 is nodata (255). Writes `dir`/lc2010.tif and lc2020.tif and
/// returns their spec.
RasterSpec write_two_epoch_city(const TempDir &dir, bool nodata_pixel);

/// The pools table of that city (Mg C/ha): 1 = 10 + 2 + 50 + 1 = 63, 2 = 100 + 20 + 80 + 5 = 205,
/// 3 = 0 + 0 + 30 + 0 = 30.
inline constexpr const char *TWO_EPOCH_CITY_POOLS =
    "lucode,LULC_Name,C_above,c_below,c_soil,c_dead\n"
    "1,cropland,10,2,50,1\n"
    "2,forest,100,20,80,5\n"
    "3,settlement,0,0,30,0\n";

/// The polygon covering pixel columns [c0, c1) and rows [r0, r1) of a raster of `spec`.
PolygonFeature pixel_rectangle(const RasterSpec &spec, int64_t id, const std::string &name, int c0,
                               int r0, int c1, int r1);

/// Write a text file.
void write_text(const std::string &path, const std::string &text);
std::string read_text(const std::string &path);

/// Result of running the carbonsink executable.
struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// Run `carbonsink <args>` (args are shell-quoted by the caller where needed), capturing output.
/// `env` is prefixed to the command (e.g. "SOURCE_DATE_EPOCH=0").
CliResult run_carbonsink(const std::string &args, const std::string &env = "");

/// Open an HDF5 output with GDAL as gdalinfo and QGIS do (tests/gdal_reads.sh: gdalinfo on the
/// file and on each subdataset, gdalmdiminfo): "" when every one opens, otherwise what failed
/// (a crash is a failure).
std::string gdal_read_problems(const std::string &h5_path);

/// Path of a shared real-data folder, or "" when ../shared/data is absent.
std::string shared_data(const std::string &sub);

/// Parse a CSV file into rows of cells (simple: no embedded newlines).
std::vector<std::vector<std::string>> read_csv(const std::string &path);

} // namespace cs::test
