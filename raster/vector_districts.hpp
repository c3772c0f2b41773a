// District polygons: read from any OGR vector source, reprojected to the reference grid, and
// rasterized block by block at pixel centres.
#pragma once
#include "raster/coverage.hpp"
#include "raster/grid.hpp"
#include "raster/raster_error.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

class OGRGeometry;

namespace cs::raster {

/// One district as read from its source: id, name and its geometry (owned by VectorDistricts).
struct DistrictRecord {
    int64_t id = 0;
    std::string name;
    std::string name_en; ///< the second name (name_field_en), "" without it
    bool empty_geometry = false;
    std::vector<int64_t> parent_ids;       ///< one per parent level, bottom-up
    std::vector<std::string> parent_names; ///< parallel to parent_ids ("" when no name field)
};

/// A parent level of a district hierarchy: the fields holding the parent unit's id and name.
struct ParentLevelSpec {
    std::string level;      ///< e.g. "city"
    std::string id_field;   ///< integer field with the parent's id
    std::string name_field; ///< optional
};

/// Where to read districts from.
struct VectorDistrictSpec {
    std::string label = "districts"; ///< config key, for messages
    std::string path;
    std::string layer;                    ///< empty = the first layer
    std::string id_field;                 ///< integer field (or text holding an integer)
    std::string name_field;               ///< optional
    std::vector<ParentLevelSpec> parents; ///< optional hierarchy, bottom-up
    std::string config_at;     ///< where the config names the file ("run.yaml, line 8"), or empty
    std::string name_field_en; ///< optional second name field (e.g. English)
    /// Ids are 6-digit Chinese administrative codes (GB/T 2260): each district gets the parents
    /// city = code with its last two digits 00 and province = last four digits 0000 (names
    /// empty, for the caller to fill); `parents` must then be empty.
    bool china_adcode = false;
    /// The polygons' longitudes and latitudes are GCJ-02 (Chinese web maps): every vertex is
    /// converted to WGS 84 (raster/gcj02.hpp) before reprojection; the layer must be geographic.
    bool gcj02 = false;
};

/// The 6-digit administrative code a China adcode district's parent has at `level` (0 = city:
/// last two digits 00; 1 = province: last four digits 0000).
int64_t china_adcode_parent(int64_t code, std::size_t level);

/// A table of unit names by code: a CSV with a header naming columns code and name, or any OGR
/// vector layer (GeoJSON, GeoPackage, ...) with a field code or adcode and a field name (the
/// first layer). Problems go to `findings.errors`, naming `label` (the config key), the path as
/// the user wrote it and `config_at`.
std::map<int64_t, std::string> read_code_names(const std::string &label, const std::string &path,
                                               const std::string &path_as_written,
                                               const std::string &config_at, Findings &findings);

/// How a pixel counts toward a district.
enum class CoverageMode {
    exact,  ///< by the fraction of the pixel's area inside the polygon
    centre, ///< wholly, when the polygon contains the pixel centre (GDAL rasterize rule)
};

/// District polygons on a reference grid. Construction reads and checks every feature and
/// reports every problem (missing fields, null or duplicate ids, missing CRS) in `findings`;
/// the object is usable only when `findings.errors` is empty. Districts are kept in ascending
/// id order. rasterize() is thread-safe.
class VectorDistricts {
public:
    /// Throws RasterError when the source cannot be opened at all.
    VectorDistricts(const VectorDistrictSpec &spec, const GridSpec &grid, Findings &findings);
    ~VectorDistricts();
    VectorDistricts(const VectorDistricts &) = delete;
    VectorDistricts &operator=(const VectorDistricts &) = delete;

    const std::vector<DistrictRecord> &districts() const { return m_records; }

    /// The geometry of districts()[i] in the grid CRS, or null for an empty geometry (owned by
    /// this object; for outputs that draw the polygons, e.g. districts.gpkg).
    const OGRGeometry *geometry(std::size_t i) const;

    /// Write, for each pixel of window `w`, 1 + the index (in districts()) of the district whose
    /// polygon contains the pixel centre, or 0 when none does. Where polygons overlap, the
    /// district with the larger id wins. `out` holds w.cells() values. Throws RasterError.
    void rasterize(const Window &w, int32_t *out) const;

    /// The coverage index of every district over the grid, built with `threads` threads.
    /// exact: partial-pixel fractions (raster/coverage.hpp); centre: GDAL pixel-centre
    /// rasterization in row bands (overlaps go to the larger id). Thread-safe; throws RasterError.
    CoverageIndex build_coverage(CoverageMode mode, int threads) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::vector<DistrictRecord> m_records;
    GridSpec m_grid;
};

} // namespace cs::raster
