// HDF5 C API wrapper used for results.h5.
#include "pipeline/hdf5_writer.hpp"

#include "pipeline/problems.hpp"

#include <hdf5.h>

#include <functional>

namespace cs::pipeline {

namespace {
hid_t scalar_or_simple(const std::vector<uint64_t> &shape) {
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    return H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
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
    H5Pclose(m_ocpl);
    m_ocpl = -1;
    if (m_file < 0) {
        fail("cannot create the file");
    }
}

Hdf5Writer::~Hdf5Writer() {
    if (m_file >= 0) {
        H5Fclose(m_file);
    }
}

void Hdf5Writer::fail(const std::string &what) const {
    throw OutputError("cannot write results: " + m_path + ": " + what);
}

void Hdf5Writer::group(const std::string &path) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(m_file, path.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0) {
        fail("cannot create group " + path);
    }
    H5Gclose(g);
}

namespace {
template <class T>
void write_numeric(hid_t file, const std::string &path, const std::vector<uint64_t> &shape,
                   const std::vector<T> &values, hid_t mem_type, hid_t file_type,
                   const std::function<void(const std::string &)> &fail) {
    hid_t space = scalar_or_simple(shape);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t ds = H5Dcreate2(file, path.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (ds < 0) {
        fail("cannot create dataset " + path);
    }
    herr_t err =
        values.empty() ? 0 : H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(ds);
    if (err < 0) {
        fail("cannot write dataset " + path + " (disk full?)");
    }
}
} // namespace

void Hdf5Writer::dataset(const std::string &path, const std::vector<uint64_t> &shape,
                         const std::vector<double> &values, const std::string &units) {
    write_numeric(m_file, path, shape, values, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE,
                  [this](const std::string &w) { fail(w); });
    attribute(path, "units", units);
}

void Hdf5Writer::dataset(const std::string &path, const std::vector<uint64_t> &shape,
                         const std::vector<int64_t> &values, const std::string &units) {
    write_numeric(m_file, path, shape, values, H5T_NATIVE_INT64, H5T_STD_I64LE,
                  [this](const std::string &w) { fail(w); });
    attribute(path, "units", units);
}

void Hdf5Writer::dataset(const std::string &path, const std::vector<uint64_t> &shape,
                         const std::vector<int32_t> &values, const std::string &units) {
    write_numeric(m_file, path, shape, values, H5T_NATIVE_INT32, H5T_STD_I32LE,
                  [this](const std::string &w) { fail(w); });
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
    H5Pclose(dcpl);
    H5Sclose(space);
    if (ds < 0) {
        H5Tclose(type);
        fail("cannot create dataset " + path);
    }
    herr_t err = ptrs.empty() ? 0 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
    H5Dclose(ds);
    H5Tclose(type);
    if (err < 0) {
        fail("cannot write dataset " + path + " (disk full?)");
    }
    attribute(path, "units", units);
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::string &value) {
    hid_t type = utf8_vlen_string_type();
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), type, space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    if (attr < 0) {
        H5Tclose(type);
        fail("cannot create attribute " + object + "@" + name);
    }
    const char *p = value.c_str();
    herr_t err = H5Awrite(attr, type, &p);
    H5Aclose(attr);
    H5Tclose(type);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name);
    }
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::vector<std::string> &values) {
    std::vector<const char *> ptrs;
    for (const auto &v : values) {
        ptrs.push_back(v.c_str());
    }
    hid_t type = utf8_vlen_string_type();
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), type, space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    if (attr < 0) {
        H5Tclose(type);
        fail("cannot create attribute " + object + "@" + name);
    }
    herr_t err = ptrs.empty() ? 0 : H5Awrite(attr, type, ptrs.data());
    H5Aclose(attr);
    H5Tclose(type);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name);
    }
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::vector<int64_t> &values) {
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), H5T_STD_I64LE, space,
                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    if (attr < 0) {
        fail("cannot create attribute " + object + "@" + name);
    }
    herr_t err = values.empty() ? 0 : H5Awrite(attr, H5T_NATIVE_INT64, values.data());
    H5Aclose(attr);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name);
    }
}

void Hdf5Writer::attribute(const std::string &object, const std::string &name,
                           const std::vector<double> &values) {
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t attr = H5Acreate_by_name(m_file, object.c_str(), name.c_str(), H5T_IEEE_F64LE, space,
                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(space);
    if (attr < 0) {
        fail("cannot create attribute " + object + "@" + name);
    }
    herr_t err = values.empty() ? 0 : H5Awrite(attr, H5T_NATIVE_DOUBLE, values.data());
    H5Aclose(attr);
    if (err < 0) {
        fail("cannot write attribute " + object + "@" + name);
    }
}

void Hdf5Writer::close() {
    if (m_file < 0) {
        return;
    }
    herr_t f = H5Fflush(m_file, H5F_SCOPE_GLOBAL);
    herr_t c = H5Fclose(m_file);
    m_file = -1;
    if (f < 0 || c < 0) {
        fail("cannot flush and close the file (disk full?)");
    }
}

} // namespace cs::pipeline
