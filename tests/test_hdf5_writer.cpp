// Dimension scales of results.h5 (pipeline/hdf5_writer.hpp): the names an axis gets, read back
// with the HDF5 high-level API the way netCDF-4 readers resolve them, and the error texts.
#include "pipeline/hdf5_writer.hpp"
#include "pipeline/problems.hpp"
#include "test_support.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

using namespace cs::pipeline;
using namespace cs::test;

namespace {

/// The name of the scale attached to axis `axis` of `dataset` ("" when none is attached): the
/// scale's own last path component, which is what h5netcdf names the dimension.
std::string attached_scale(const std::string &path, const std::string &dataset, unsigned axis) {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    std::string name;
    H5DSiterate_scales(
        ds, axis, nullptr,
        [](hid_t, unsigned, hid_t scale, void *out) -> herr_t {
            char buf[256] = {};
            H5Iget_name(scale, buf, sizeof buf);
            *static_cast<std::string *>(out) = buf;
            return 1;
        },
        &name);
    H5Dclose(ds);
    H5Fclose(f);
    return name;
}

std::string error_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const OutputError &e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST(Hdf5Writer, ScalesNameEachAxisFromTheVariablesGroup) {
    TempDir dir;
    const std::string path = dir.file("results.h5");
    {
        Hdf5Writer h5(path);
        h5.group("/stocks");
        h5.dataset("/stocks/district", {2}, std::vector<int64_t>{11, 12}, "1");
        h5.scale("/stocks/district");
        h5.dataset("/stocks/pool", std::vector<std::string>{"agb", "soil"}, "1");
        h5.scale("/stocks/pool");
        h5.dataset("/stocks/mg_c", {2, 2}, std::vector<double>{1, 2, 3, 4}, "Mg C");
        h5.attach("/stocks/mg_c", {"district", "pool"});
        h5.close();
    }
    EXPECT_EQ(attached_scale(path, "/stocks/mg_c", 0), "/stocks/district");
    EXPECT_EQ(attached_scale(path, "/stocks/mg_c", 1), "/stocks/pool");
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t sc = H5Dopen2(f, "/stocks/pool", H5P_DEFAULT);
    EXPECT_GT(H5DSis_scale(sc), 0);
    char name[32] = {};
    ASSERT_GT(H5DSget_scale_name(sc, name, sizeof name), 0);
    EXPECT_STREQ(name, "pool"); // the NAME attribute agrees with the dataset name
    H5Dclose(sc);
    H5Fclose(f);
}

TEST(Hdf5Writer, AttachErrorsNameTheDatasetAndTheCause) {
    TempDir dir;
    const std::string path = dir.file("results.h5");
    Hdf5Writer h5(path);
    h5.group("/flux");
    h5.dataset("/flux/district", {2}, std::vector<int64_t>{11, 12}, "1");
    h5.scale("/flux/district");
    h5.dataset("/flux/x", {2, 1}, std::vector<double>{1, 2}, "Mg C/yr");
    EXPECT_EQ(error_of([&] { h5.attach("/flux/x", {"district"}); }),
              "cannot write results: " + path +
                  ": cannot attach dimensions to dataset /flux/x: it has 2 dimensions but 1 "
                  "names were given (a bug: report it)");
    const std::string missing = error_of([&] { h5.attach("/flux/x", {"district", "period"}); });
    EXPECT_NE(missing.find("cannot attach dimension period to dataset /flux/x: the scale "
                           "/flux/period cannot be opened"),
              std::string::npos)
        << missing;
    EXPECT_NE(error_of([&] {
                  h5.scale("/flux/none");
              }).find("cannot open dataset /flux/none to make it a dimension scale"),
              std::string::npos);
}
