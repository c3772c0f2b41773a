// Where the shipped tables come from (models/builtin_tables.hpp): CARBONSINK_DATA, the embedded
// copies of a build tree, and the errors for a bad data directory or a missing table. The
// installed layout (<prefix>/share/carbonsink beside bin/ and lib/) is tested end to end by
// tests/install_test.sh.
#include "models/builtin_tables.hpp"
#include "models/crosswalk.hpp"
#include "models/model_error.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using namespace cs::models;

/// A temporary data directory with parameters/ and crosswalks/; CARBONSINK_DATA points at it
/// for the test's lifetime.
struct DataDir {
    fs::path dir;
    DataDir() {
        dir = fs::temp_directory_path() /
              ("cs-data-dir-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
               "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir / "parameters");
        fs::create_directories(dir / "crosswalks");
        setenv("CARBONSINK_DATA", dir.c_str(), 1);
    }
    ~DataDir() {
        unsetenv("CARBONSINK_DATA");
        fs::remove_all(dir);
    }
    void write(const std::string &rel, const std::string &text) const {
        std::ofstream(dir / rel, std::ios::binary) << text;
    }
};

template <class F> std::string model_error_of(F &&f) {
    try {
        f();
    } catch (const ModelError &e) {
        return e.what();
    }
    ADD_FAILURE() << "no ModelError thrown";
    return {};
}

TEST(DataDirectory, BuildTreeUsesTheEmbeddedCopies) {
    unsetenv("CARBONSINK_DATA");
    // The test binary is build/tests/test_data_dir: no ../share/carbonsink beside it.
    const DataDirectory d = data_directory();
    EXPECT_EQ(d.path, "");
    EXPECT_EQ(d.origin, "embedded");
    const ShippedTable t = shipped_parameter_table("china_cbef");
    EXPECT_FALSE(t.installed);
    EXPECT_EQ(t.file, "configs/parameters/china_cbef.csv");
    // The embedded text is the repository file, byte for byte.
    std::ifstream in(std::string(CS_SOURCE_DIR) + "/configs/parameters/china_cbef.csv",
                     std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(t.text, file);
    EXPECT_EQ(shipped_tables_description().rfind("tables: built in (embedded at build time", 0),
              0u);
}

TEST(DataDirectory, CarbonsinkDataIsReadAndNamed) {
    DataDir data;
    data.write("parameters/china_cbef.csv", "forest_type,a\nx,1\n");
    const ShippedTable t = shipped_parameter_table("china_cbef");
    EXPECT_TRUE(t.installed);
    EXPECT_EQ(t.file, (fs::canonical(data.dir) / "parameters" / "china_cbef.csv").string());
    EXPECT_EQ(t.text, "forest_type,a\nx,1\n");
    EXPECT_EQ(data_directory().origin, "CARBONSINK_DATA");
    const std::string root = fs::canonical(data.dir).string();
    EXPECT_EQ(shipped_tables_description(), "tables: " + root + "/parameters/*.csv, " + root +
                                                "/crosswalks/*.csv (from CARBONSINK_DATA)");
}

TEST(DataDirectory, MissingTableIsAnErrorNamingTheFile) {
    DataDir data;
    const std::string root = fs::canonical(data.dir).string();
    EXPECT_EQ(model_error_of([] { shipped_parameter_table("ipcc_bcef"); }),
              "cannot read parameter table ipcc_bcef: " + root +
                  "/parameters/ipcc_bcef.csv: file not found; the data directory " + root +
                  " (CARBONSINK_DATA) is incomplete: reinstall carbonsink, or point "
                  "CARBONSINK_DATA at a directory holding parameters/ and crosswalks/ (unset it "
                  "to use the installed tables)");
    bool found = false;
    EXPECT_NE(model_error_of([&] { shipped_crosswalk_table("clcd", found); })
                  .find("cannot read crosswalk clcd: " + root +
                        "/crosswalks/clcd.csv: file not "
                        "found"),
              std::string::npos);
    // An unknown scheme is not looked up at all (the config check reports it).
    EXPECT_NO_THROW(shipped_crosswalk_table("no_such_scheme", found));
    EXPECT_FALSE(found);
}

TEST(DataDirectory, CorruptCrosswalkNamesFileAndLine) {
    DataDir data;
    data.write("crosswalks/clcd.csv", "code,ipcc_category\n1,cropland\n2,nonsense\n");
    bool found = false;
    const ShippedTable t = shipped_crosswalk_table("clcd", found);
    ASSERT_TRUE(found);
    const std::string message = model_error_of([&] { Crosswalk::builtin("clcd", t.text, t.file); });
    EXPECT_NE(message.find("built-in crosswalk clcd (" + t.file + "), line 3"), std::string::npos)
        << message;
}

TEST(DataDirectory, BadCarbonsinkDataIsAnError) {
    setenv("CARBONSINK_DATA", "/nonexistent/carbonsink-data", 1);
    EXPECT_EQ(model_error_of([] { data_directory(); }),
              "invalid environment variable CARBONSINK_DATA: /nonexistent/carbonsink-data: not a "
              "directory; set it to the directory holding the shipped tables (parameters/ and "
              "crosswalks/, e.g. /usr/share/carbonsink), or unset it");
    EXPECT_EQ(shipped_tables_description().rfind("tables: none usable: invalid environment "
                                                 "variable CARBONSINK_DATA",
                                                 0),
              0u);
    const fs::path empty = fs::temp_directory_path() / "cs-data-dir-empty";
    fs::create_directories(empty);
    setenv("CARBONSINK_DATA", empty.c_str(), 1);
    EXPECT_NE(model_error_of([] { data_directory(); }).find("has no parameters/ subdirectory"),
              std::string::npos);
    unsetenv("CARBONSINK_DATA");
    fs::remove_all(empty);
}

} // namespace
