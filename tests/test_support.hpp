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
