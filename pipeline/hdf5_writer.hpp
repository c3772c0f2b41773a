// A small RAII layer over the HDF5 C API for writing results.h5 deterministically.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cs::pipeline {

/// Writes one HDF5 file. Object modification times are not recorded, so identical content
/// gives identical bytes. Every failure throws OutputError naming the file and object.
class Hdf5Writer {
public:
    explicit Hdf5Writer(const std::string &path);
    ~Hdf5Writer();
    Hdf5Writer(const Hdf5Writer &) = delete;
    Hdf5Writer &operator=(const Hdf5Writer &) = delete;

    /// Create group `path` (e.g. "/districts"); parents must exist.
    void group(const std::string &path);
    void dataset(const std::string &path, const std::vector<uint64_t> &shape,
                 const std::vector<double> &values, const std::string &units);
    void dataset(const std::string &path, const std::vector<uint64_t> &shape,
                 const std::vector<int64_t> &values, const std::string &units);
    void dataset(const std::string &path, const std::vector<uint64_t> &shape,
                 const std::vector<int32_t> &values, const std::string &units);
    /// 1-D variable-length UTF-8 strings.
    void dataset(const std::string &path, const std::vector<std::string> &values,
                 const std::string &units);
    /// Attributes on an existing object ("/" for the root group).
    void attribute(const std::string &object, const std::string &name, const std::string &value);
    /// A 1-D string attribute of at least one element: GDAL 3.6 (gdalinfo, QGIS) crashes on a
    /// string attribute without elements, so an empty list throws OutputError; write lists that
    /// may be empty as datasets.
    void attribute(const std::string &object, const std::string &name,
                   const std::vector<std::string> &values);
    void attribute(const std::string &object, const std::string &name,
                   const std::vector<int64_t> &values);
    void attribute(const std::string &object, const std::string &name,
                   const std::vector<double> &values);
    /// Make the existing dataset `path` an HDF5 dimension scale (H5DSset_scale). Readers that
    /// follow the netCDF-4 data model (h5netcdf, xarray, netCDF-C) name a dimension after the
    /// scale dataset's own name, not its NAME attribute, and find it only in the variable's
    /// group or an ancestor; xarray opens one group at a time and takes coordinates from that
    /// group only. So a scale is written in each group that uses it and named as the dimension
    /// ("district", "epoch", ...); checked with h5netcdf 1.1 / xarray 2023.01 by
    /// tests/check_dimensions.py.
    void scale(const std::string &path);
    /// Attach to axis i of the dataset `path` the scale `<group of path>/<dims[i]>`
    /// (H5DSattach_scale); the number of names must equal the dataset's rank.
    void attach(const std::string &path, const std::vector<std::string> &dims);
    /// Flush and close; throws OutputError when the file cannot be completed.
    void close();

private:
    /// Throws OutputError naming the file, `what` failed and the cause HDF5 recorded.
    [[noreturn]] void fail(const std::string &what) const;
    [[noreturn]] void fail(const std::string &what, const std::string &cause) const;
    std::string m_path;
    int64_t m_file = -1;
    int64_t m_ocpl = -1;
};

} // namespace cs::pipeline
