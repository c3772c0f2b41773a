// Reading results.h5 in tests with the HDF5 C API, as a user's script would.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cs::test {

struct H5Array {
    std::vector<uint64_t> shape;
    std::vector<double> values;
};

/// Read a numeric dataset as doubles; empty shape when the dataset is missing.
inline H5Array h5_read(const std::string &file, const std::string &dataset) {
    H5Array a;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        return a;
    }
    hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    if (d >= 0) {
        hid_t s = H5Dget_space(d);
        const int rank = H5Sget_simple_extent_ndims(s);
        std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
        H5Sget_simple_extent_dims(s, dims.data(), nullptr);
        std::size_t n = 1;
        for (auto v : dims) {
            a.shape.push_back(v);
            n *= v;
        }
        a.values.resize(n);
        if (n > 0) {
            H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data());
        }
        H5Sclose(s);
        H5Dclose(d);
    }
    H5Fclose(f);
    return a;
}

/// Read a scalar or 1-D string attribute (first element), "" when missing.
inline std::string h5_attr(const std::string &file, const std::string &object,
                           const std::string &name) {
    std::string out;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        return out;
    }
    hid_t a = H5Aopen_by_name(f, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        hid_t t = H5Aget_type(a);
        hid_t s = H5Aget_space(a);
        const hssize_t n = H5Sget_simple_extent_npoints(s);
        if (H5Tis_variable_str(t) > 0 && n > 0) {
            std::vector<char *> buf(static_cast<std::size_t>(n), nullptr);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5T_CSET_UTF8);
            if (H5Aread(a, mt, buf.data()) >= 0 && buf[0] != nullptr) {
                out = buf[0];
            }
            H5Dvlen_reclaim(mt, s, H5P_DEFAULT, buf.data());
            H5Tclose(mt);
        }
        H5Sclose(s);
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Fclose(f);
    return out;
}

/// Read a 1-D variable-length string dataset.
inline std::vector<std::string> h5_strings(const std::string &file, const std::string &dataset) {
    std::vector<std::string> out;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        return out;
    }
    hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    if (d >= 0) {
        hid_t s = H5Dget_space(d);
        const hssize_t n = H5Sget_simple_extent_npoints(s);
        std::vector<char *> buf(static_cast<std::size_t>(n), nullptr);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5T_CSET_UTF8);
        if (n > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) >= 0) {
            for (auto *p : buf) {
                out.emplace_back(p ? p : "");
            }
            H5Dvlen_reclaim(mt, s, H5P_DEFAULT, buf.data());
        }
        H5Tclose(mt);
        H5Sclose(s);
        H5Dclose(d);
    }
    H5Fclose(f);
    return out;
}

} // namespace cs::test
