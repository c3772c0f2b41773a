// District polygons: read from any OGR vector source, reprojected to the reference grid, and
// rasterized block by block at pixel centres.
#pragma once
#include "raster/grid.hpp"
#include "raster/raster_error.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cs::raster {

/// One district as read from its source: id, name and its geometry (owned by VectorDistricts).
struct DistrictRecord {
    int64_t id = 0;
    std::string name;
    bool empty_geometry = false;
};

/// Where to read districts from.
struct VectorDistrictSpec {
    std::string label = "districts"; ///< config key, for messages
    std::string path;
    std::string layer;      ///< empty = the first layer
    std::string id_field;   ///< integer field (or text holding an integer)
    std::string name_field; ///< optional
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

    /// Write, for each pixel of window `w`, 1 + the index (in districts()) of the district whose
    /// polygon contains the pixel centre, or 0 when none does. Where polygons overlap, the
    /// district with the larger id wins. `out` holds w.cells() values. Throws RasterError.
    void rasterize(const Window &w, int32_t *out) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::vector<DistrictRecord> m_records;
    GridSpec m_grid;
};

} // namespace cs::raster
