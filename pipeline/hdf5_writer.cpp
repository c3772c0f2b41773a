// HDF5 C API wrapper used for results.h5.
#include "pipeline/hdf5_writer.hpp"

#include "pipeline/problems.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <functional>
#include <string>
#include <vector>

namespace cs::pipeline {

namespace {
hid_t scalar_or_simple(const std::vector<uint64_t> &shape) {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    return H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
}

/// The cause HDF5 recorded for its last failure: the system error message when there is one
/// ("No space left on device"), otherwise the description of the innermost error.
std::string hdf5_cause() {
    std::vector<std::string> descs;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_DOWNWARD,
        [](unsigned, const H5E_error2_t *e, void *data) -> herr_t {
            if (e->desc != nullptr) {
                static_cast<std::vector<std::string> *>(data)->emplace_back(e->desc);
            }
            return 0;
        },
        &descs);
    for (auto it = descs.rbegin(); it != descs.rend(); ++it) {
        const std::string key = "error message = '";
        const auto p = it->find(key);
        if (p != std::string::npos) {
            const auto q = it->find('\'', p + key.size());
            return it->substr(p + key.size(), q == std::string::npos ? q : q - p - key.size());
        }
    }
    return descs.empty() ? std::string() : descs.back();
}

hid_t utf8_vlen_string_type() {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}
} // namespace

Hdf5Writer::Hdf5Writer(const std::string &path) : m_path(path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    m_ocpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(m_ocpl, 0);
    m_file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, m_ocpl, H5P_DEFAULT);
    const std::string cause = m_file < 0 ? hdf5_cause() : std::string();
    H5Pclose(m_ocpl);
    m_ocpl = -1;
    if (m_file < 0) {
        fail("cannot create the file", cause);
    }
}

Hdf5Writer::~Hdf5Writer() {
    if (m_file >= 0) {
        H5Fclose(m_file);
    }
}

void Hdf5Writer::fail(const std::string &what) const { fail(what, hdf5_cause()); }

void Hdf5Writer::fail(const std::string &what, const std::string &cause) const {
    throw OutputError("cannot write results: " + m_path + ": " + what +
                      (cause.empty() ? "" : ": " + cause));
}

void Hdf5Writer::group(const std::string &path) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(m_file, path.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT);
    const std::string cause = g < 0 ? hdf5_cause() : std::string();
    H5Pclose(gcpl);
    if (g < 0) {
        fail("cannot create group " + path, cause);
    }
    H5Gclose(g);
}

namespace {
template <class T>
void write_numeric(hid_t file, const std::string &path, const std::vector<uint64_t> &shape,
                   const std::vector<T> &values, hid_t mem_type, hid_t file_type,
                   const std::function<void(const std::string &, const std::string &)> &fail) {
    hid_t space = scalar_or_simple(shape);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(file, path.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    std::string cause = ds < 0 ? hdf5_cause() : std::string();
    H5Pclose(dcpl);
    H5Sclose(space);
    if (ds < 0) {
        fail("cannot create dataset " + path, cause);
    }
    herr_t err =
        values.empty() ? 0 : H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    cause = err < 0 ? hdf5_cause() : std::string();
    H5Dclose(ds);
    if (err < 0) {
        fail("cannot write dataset " + path, cause);
    }
}
} // namespace

void Hdf5Writer::dataset(const std::string &path, const std::vector<uint64_t> &shape,
                         const std::vector<double> &values, const std::string &units) {
    write_numeric(m_file, path, shape, values, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE,
                  [this](const std::string &w, const std::string &c) { fail(w, c); });
    attribute(path, "units", units);
}

void Hdf5Writer::dataset(const std::string &path, const std::vector<uint64_t> &shape,
                         const std::vector<int64_t> &values, const std::string &units) {
    write_numeric(m_file, path, shape, values, H5T_NATIVE_INT64, H5T_STD_I64LE,
                  [this](const std::string &w, const std::string &c) { fail(w, c); });
    attribute(path, "units", units);
}

void Hdf5Writer::dataset(const std::string &path, const std::vector<uint64_t> &shape,
                         const std::vector<int32_t> &values, const std::string &units) {
    write_numeric(m_file, path, shape, values, H5T_NATIVE_INT32, H5T_STD_I32LE,
                  [this](const std::string &w, const std::string &c) { fail(w, c); });
    attribute(path, "units", units);
}

void Hdf5Writer::dataset(const std::string &path, const std::vector<std::string> &values,
                         const std::string &units) {
    std::vector<const char *> ptrs;
    for (const auto &v : values) {
        ptrs.push_back(v.c_str());
    }
    hid_t type = utf8_vlen_string_type();
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(m_file, path.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    std::string cause = ds < 0 ? hdf5_cause() : std::string();
    H5Pclose(dcpl);
    H5Sclose(space);
    if (ds < 0) {
        H5Tclose(type);
        fail("cannot create dataset " + path, cause);
    }
    herr_t err = ptrs.empty() ? 0 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
    cause = err < 0 ? hdf5_cause() : std::string();
    H5Dclose(ds);
    H5Tclose(type);
    if (err < 0) {
        fail("cannot write dataset " + path, cause);
    }
    attribute(path, "units", units);
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::string &value) {
    hid_t type = utf8_vlen_string_type();
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), type, space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT);
    std::string cause = attr < 0 ? hdf5_cause() : std::string();
    H5Sclose(space);
    if (attr < 0) {
        H5Tclose(type);
        fail("cannot create attribute " + object + "@" + name, cause);
    }
    const char *p = value.c_str();
    herr_t err = H5Awrite(attr, type, &p);
    cause = err < 0 ? hdf5_cause() : std::string();
    H5Aclose(attr);
    H5Tclose(type);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name, cause);
    }
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::vector<std::string> &values) {
    if (values.empty()) {
        // GDAL 3.6 (gdalinfo, QGIS) crashes on a string attribute with no element: an empty list
        // must be a dataset (see dataset()).
        fail("cannot write attribute " + object + "@" + name,
             "an empty list of strings cannot be an attribute (GDAL 3.6 crashes on it)");
    }
    std::vector<const char *> ptrs;
    for (const auto &v : values) {
        ptrs.push_back(v.c_str());
    }
    hid_t type = utf8_vlen_string_type();
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), type, space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT);
    std::string cause = attr < 0 ? hdf5_cause() : std::string();
    H5Sclose(space);
    if (attr < 0) {
        H5Tclose(type);
        fail("cannot create attribute " + object + "@" + name, cause);
    }
    herr_t err = ptrs.empty() ? 0 : H5Awrite(attr, type, ptrs.data());
    cause = err < 0 ? hdf5_cause() : std::string();
    H5Aclose(attr);
    H5Tclose(type);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name, cause);
    }
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::vector<int64_t> &values) {
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), H5T_STD_I64LE, space,
                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::string cause = attr < 0 ? hdf5_cause() : std::string();
    H5Sclose(space);
    if (attr < 0) {
        fail("cannot create attribute " + object + "@" + name, cause);
    }
    herr_t err = values.empty() ? 0 : H5Awrite(attr, H5T_NATIVE_INT64, values.data());
    cause = err < 0 ? hdf5_cause() : std::string();
    H5Aclose(attr);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name, cause);
    }
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::vector<double> &values) {
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), H5T_IEEE_F64LE, space,
                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::string cause = attr < 0 ? hdf5_cause() : std::string();
    H5Sclose(space);
    if (attr < 0) {
        fail("cannot create attribute " + object + "@" + name, cause);
    }
    herr_t err = values.empty() ? 0 : H5Awrite(attr, H5T_NATIVE_DOUBLE, values.data());
    cause = err < 0 ? hdf5_cause() : std::string();
    H5Aclose(attr);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name, cause);
    }
}

void Hdf5Writer::scale(const std::string &path) {
    hid_t ds = H5Dopen2(m_file, path.c_str(), H5P_DEFAULT);
    if (ds < 0) {
        fail("cannot open dataset " + path + " to make it a dimension scale");
    }
    const std::string name = path.substr(path.rfind('/') + 1);
    const herr_t err = H5DSset_scale(ds, name.c_str());
    const std::string cause = err < 0 ? hdf5_cause() : std::string();
    H5Dclose(ds);
    if (err < 0) {
        fail("cannot make dataset " + path + " a dimension scale", cause);
    }
}

void Hdf5Writer::attach(const std::string &path, const std::vector<std::string> &dims) {
    hid_t ds = H5Dopen2(m_file, path.c_str(), H5P_DEFAULT);
    if (ds < 0) {
        fail("cannot open dataset " + path + " to attach its dimensions");
    }
    hid_t space = H5Dget_space(ds);
    const int rank = H5Sget_simple_extent_ndims(space);
    H5Sclose(space);
    if (rank != static_cast<int>(dims.size())) {
        H5Dclose(ds);
        fail("cannot attach dimensions to dataset " + path,
             "it has " + std::to_string(rank) + " dimensions but " + std::to_string(dims.size()) +
                 " names were given (a bug: report it)");
    }
    const std::string group = path.substr(0, path.rfind('/'));
    for (std::size_t i = 0; i < dims.size(); ++i) {
        const std::string scale_path = group + "/" + dims[i];
        hid_t sc = H5Dopen2(m_file, scale_path.c_str(), H5P_DEFAULT);
        if (sc < 0) {
            const std::string cause = hdf5_cause();
            H5Dclose(ds);
            fail("cannot attach dimension " + dims[i] + " to dataset " + path + ": the scale " +
                     scale_path + " cannot be opened",
                 cause);
        }
        const herr_t err = H5DSattach_scale(ds, sc, static_cast<unsigned>(i));
        const std::string cause = err < 0 ? hdf5_cause() : std::string();
        H5Dclose(sc);
        if (err < 0) {
            H5Dclose(ds);
            fail("cannot attach dimension " + dims[i] + " to dataset " + path, cause);
        }
    }
    H5Dclose(ds);
}

void Hdf5Writer::close() {
    if (m_file < 0) {
        return;
    }
    herr_t f = H5Fflush(m_file, H5F_SCOPE_GLOBAL);
    std::string cause = f < 0 ? hdf5_cause() : std::string();
    herr_t c = H5Fclose(m_file);
    if (f >= 0 && c < 0) {
        cause = hdf5_cause();
    }
    m_file = -1;
    if (f < 0 || c < 0) {
        fail("cannot flush and close the file", cause);
    }
}

} // namespace cs::pipeline
