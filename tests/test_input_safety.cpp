// Inputs are what the operating system says they are, provenance records what was read, and no
// input makes carbonsink abort or allocate without bounds (issue 9, items 4-6). Expected totals
// are worked out by hand: every scenario is N x N px of 30 m on EPSG:6933 (equal-area), so each
// pixel is 900 m² = 0.09 ha, and land cover is class 1 everywhere.
#include "h5_read.hpp"
#include "pipeline/provenance.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace cs::test;
namespace fs = std::filesystem;

namespace {

constexpr int N = 10;
constexpr double PIXEL_HA = 0.09;

/// Class 1 everywhere, N x N px (or `size` x `size`), uncompressed (a changed pixel keeps the
/// file's size).
void write_land_cover(const std::string &path, int size = N, double value = 1) {
    RasterSpec s;
    s.width = size;
    s.height = size;
    s.epsg = 6933;
    write_raster(path, s, std::vector<double>(static_cast<std::size_t>(size) * size, value));
}

/// A pools table whose class 1 holds `above` Mg C/ha in total: N x N px give
/// N * N * 0.09 * above Mg C.
std::string pools(double above) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "lucode,c_above,c_below,c_soil,c_dead\n1,%g,0,0,0\n", above);
    return buf;
}

std::string config(const std::string &lc, const std::string &table,
                   const std::string &output_dir = "out", const std::string &extra = "") {
    return "name: safety\n"
           "output_dir: " +
           output_dir +
           "\n"
           "land_cover:\n"
           "  epochs:\n"
           "    2010: " +
           lc + "\n    2020: " + lc +
           "\n"
           "models:\n"
           "  stocks:\n"
           "    method: lookup\n"
           "    table: " +
           table +
           "\n"
           "  sink:\n"
           "    method: stock_difference\n" +
           extra;
}

/// The stock_mg_c_2010 cell of the first district row of a districts.csv.
double stock_2010(const std::string &csv) {
    const auto rows = read_csv(csv);
    if (rows.size() < 2) {
        return -1;
    }
    for (std::size_t c = 0; c < rows[0].size(); ++c) {
        if (rows[0][c] == "stock_mg_c_2010") {
            return std::stod(rows[1][c]);
        }
    }
    return -1;
}

/// Every element of a 1-D string attribute.
std::vector<std::string> h5_attr_strings(const std::string &file, const std::string &name) {
    std::vector<std::string> out;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        return out;
    }
    hid_t a = H5Aopen_by_name(f, "/", name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        hid_t s = H5Aget_space(a);
        const hssize_t n = H5Sget_simple_extent_npoints(s);
        std::vector<char *> buf(static_cast<std::size_t>(n), nullptr);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5T_CSET_UTF8);
        if (n > 0 && H5Aread(a, mt, buf.data()) >= 0) {
            for (auto *p : buf) {
                out.emplace_back(p ? p : "");
            }
            H5Dvlen_reclaim(mt, s, H5P_DEFAULT, buf.data());
        }
        H5Tclose(mt);
        H5Sclose(s);
        H5Aclose(a);
    }
    H5Fclose(f);
    return out;
}

/// SHA-256 of a file by coreutils' sha256sum (independent of carbonsink's code).
std::string sha256sum(const std::string &path) {
    const std::string cmd = "sha256sum '" + path + "'";
    FILE *p = popen(cmd.c_str(), "r");
    if (p == nullptr) {
        return {};
    }
    char buf[65] = {};
    const std::size_t n = std::fread(buf, 1, 64, p);
    pclose(p);
    return std::string(buf, n);
}

/// A Shapefile of one square district (id 210102, name 和平区) covering the N x N grid, its names
/// stored in GBK (OGR recodes on write); with a .cpg saying so when `declare`.
void write_gbk_districts(const std::string &shp, bool declare) {
    const double x0 = 500000.0;
    const double y0 = 4600000.0;
    const double x1 = x0 + N * 30.0;
    const double y1 = y0 - N * 30.0;
    write_polygons(shp, 6933, {{210102, "和平区", {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}}},
                   "GBK");
    if (!declare) {
        fs::remove(fs::path(shp).replace_extension(".cpg"));
    }
}

/// Sanitizers reserve terabytes of address space, so an address-space limit (ulimit -v) cannot
/// be used under them.
bool sanitized() {
#if defined(CS_SANITIZED)
    return true;
#else
    return false;
#endif
}

} // namespace

// ---- Item 4: paths mean what the operating system means

// proj is a symbolic link to real/deep. The system resolves proj/.. to real, so the table is
// real/pools.csv (20 Mg C/ha: 100 px x 0.09 ha x 20 = 180 Mg C), the land cover
// proj/../../lc.tif is lc.tif and the outputs go to real/out. Collapsing ".." on the text would
// read pools.csv beside the config (10 Mg C/ha: 90 Mg C), look for lc.tif above the scenario
// folder and write to out/.
TEST(Paths, DotDotAfterASymbolicLinkIsResolvedByTheSystemLikeCat) {
    TempDir d;
    write_land_cover(d.file("lc.tif"));
    write_text(d.file("pools.csv"), pools(10));
    fs::create_directories(d.file("real/deep"));
    write_text(d.file("real/pools.csv"), pools(20));
    fs::create_directory_symlink("real/deep", d.file("proj"));
    // What `cat <config folder>/proj/../pools.csv` shows: the system's answer.
    ASSERT_EQ(read_text(d.file("proj/../pools.csv")), pools(20));
    write_text(d.file("run.yaml"), config("proj/../../lc.tif", "proj/../pools.csv", "proj/../out"));
    const auto r = run_carbonsink("run " + d.file("run.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NEAR(stock_2010(d.file("real/out/districts.csv")), N * N * PIXEL_HA * 20, 1e-9);
    EXPECT_FALSE(fs::exists(d.file("out"))) << "outputs written where the text, not the system, "
                                               "points";
    // The provenance names the paths as opened, with their ".." intact.
    const auto files = h5_attr_strings(d.file("real/out/results.h5"), "input_files");
    EXPECT_NE(std::find(files.begin(), files.end(), d.file("proj/../pools.csv")), files.end());
}

// A config read from a pipe (or any file descriptor: /dev/stdin, /dev/fd/N) has no folder: its
// relative paths resolve against the current folder, which holds pools.csv of 20 Mg C/ha
// (180 Mg C); the config's own folder holds one of 10 Mg C/ha (90 Mg C).
TEST(Paths, ConfigFromAPipeOrDescriptorResolvesAgainstTheCurrentFolder) {
    TempDir cfg_dir;
    TempDir cwd;
    write_land_cover(cfg_dir.file("lc.tif"));
    write_text(cfg_dir.file("pools.csv"), pools(10));
    write_land_cover(cwd.file("lc.tif"));
    write_text(cwd.file("pools.csv"), pools(20));
    write_text(cfg_dir.file("run.yaml"), config("lc.tif", "pools.csv"));
    const std::string cfg = cfg_dir.file("run.yaml");
    // A pipe as descriptor 3 (run_carbonsink sends /dev/null to stdin after it).
    auto r =
        run_carbonsink("run /dev/fd/3 3<&0 --quiet", "cd " + cwd.path() + " && cat " + cfg + " |");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NEAR(stock_2010(cwd.file("out/districts.csv")), N * N * PIXEL_HA * 20, 1e-9);
    EXPECT_FALSE(fs::exists(cfg_dir.file("out")));
    // A regular file behind /dev/fd/3 and /proc/self/fd/3: still no folder of its own.
    for (const std::string name : {"/dev/fd/3", "/proc/self/fd/3"}) {
        fs::remove_all(cwd.file("out"));
        r = run_carbonsink("run " + name + " 3<" + cfg + " --quiet", "cd " + cwd.path() + " &&");
        ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
        EXPECT_NEAR(stock_2010(cwd.file("out/districts.csv")), N * N * PIXEL_HA * 20, 1e-9) << name;
    }
    // The same config named by its path resolves against its folder.
    fs::remove_all(cwd.file("out"));
    r = run_carbonsink("run " + cfg + " --quiet", "cd " + cwd.path() + " &&");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NEAR(stock_2010(cfg_dir.file("out/districts.csv")), N * N * PIXEL_HA * 10, 1e-9);
}

// ---- Item 5: provenance is true

// results.h5 lists every file read, a VRT's source and the side files of a Shapefile included,
// with the SHA-256 of its
// bytes (checked with coreutils' sha256sum), and stores the config's bytes exactly: a UTF-8
// byte-order mark, CRLF line ends and non-ASCII comments included. The GBK names of the
// Shapefile, declared by its .cpg, come out as UTF-8.
TEST(Provenance, ChecksumsAreOfTheFilesReadAndTheConfigIsStoredWhole) {
    TempDir d;
    // The land cover is a VRT: its source file is read too, so it is listed.
    write_land_cover(d.file("lc_source.tif"));
    write_text(d.file("lc.vrt"),
               "<VRTDataset rasterXSize=\"10\" rasterYSize=\"10\">\n  <SRS>EPSG:6933</SRS>\n"
               "  <GeoTransform>500000, 30, 0, 4600000, 0, -30</GeoTransform>\n"
               "  <VRTRasterBand dataType=\"Byte\" band=\"1\">\n    <SimpleSource>\n"
               "      <SourceFilename relativeToVRT=\"1\">lc_source.tif</SourceFilename>\n"
               "      <SourceBand>1</SourceBand>\n    </SimpleSource>\n"
               "  </VRTRasterBand>\n</VRTDataset>\n");
    write_text(d.file("pools.csv"), pools(10));
    write_gbk_districts(d.file("districts.shp"), true);
    ASSERT_NE(read_text(d.file("districts.dbf")).find("\xBA\xCD\xC6\xBD\xC7\xF8"),
              std::string::npos)
        << "the test Shapefile must hold GBK bytes";
    std::string text = "\xEF\xBB\xBF# 和平区 und Überlingen: a comment\n" +
                       config("lc.vrt", "pools.csv", "out",
                              "districts:\n  path: districts.shp\n  id_field: code\n"
                              "  name_field: name\n");
    std::string crlf;
    for (char c : text) {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    write_text(d.file("run.yaml"), crlf);
    const auto r = run_carbonsink("run " + d.file("run.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = d.file("out/results.h5");
    EXPECT_TRUE(h5_attr(h5, "/", "config") == crlf) << "the config attribute is not the file";
    EXPECT_EQ(h5_strings(h5, "/districts/name"), std::vector<std::string>{"和平区"});
    EXPECT_NE(read_text(d.file("out/districts.csv")).find("210102,和平区,"), std::string::npos);
    const auto files = h5_attr_strings(h5, "input_files");
    const auto sums = h5_attr_strings(h5, "input_sha256");
    ASSERT_EQ(files.size(), sums.size());
    for (const char *f : {"lc.vrt", "lc_source.tif", "pools.csv", "districts.shp", "districts.shx",
                          "districts.dbf", "districts.prj", "districts.cpg"}) {
        const auto it = std::find(files.begin(), files.end(), d.file(f));
        ASSERT_NE(it, files.end()) << f << " is not in input_files";
        EXPECT_EQ(sums[static_cast<std::size_t>(it - files.begin())], sha256sum(d.file(f))) << f;
    }
}

// The content fingerprint of a resumable run: the whole file up to 8 MiB; beyond, the size, the
// first and last MiB and 64 slices of 64 KiB at k * (size - 64 KiB) / 63. A change inside a
// sample or of the size is caught; a change between samples is not (the documented limit).
TEST(Provenance, ContentFingerprintSamplesWhatItDocuments) {
    using cs::pipeline::content_fingerprint;
    using cs::pipeline::file_identity;
    using cs::pipeline::InputFile;
    TempDir d;
    const std::string path = d.file("big.bin");
    const int64_t size = 20 << 20;
    std::string bytes(static_cast<std::size_t>(size), '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<char>((i * 2654435761u) >> 24);
    }
    auto fingerprint_of = [&](const std::string &content) {
        write_text(path, content);
        return content_fingerprint(InputFile{"layer", path, file_identity(path)});
    };
    const std::string base = fingerprint_of(bytes);
    EXPECT_EQ(fingerprint_of(bytes), base) << "same bytes, same fingerprint";
    const int64_t slice = 64 << 10;
    const int64_t slice_10 = 10 * (size - slice) / 63;
    for (int64_t offset : {int64_t{100}, size - 100, slice_10 + 5}) {
        std::string changed = bytes;
        changed[static_cast<std::size_t>(offset)] ^= 1;
        EXPECT_NE(fingerprint_of(changed), base) << "byte " << offset << " is sampled";
    }
    std::string between = bytes;
    between[static_cast<std::size_t>(slice_10 + slice + 1000)] ^= 1;
    EXPECT_EQ(fingerprint_of(between), base) << "a byte between samples is not read";
    EXPECT_NE(fingerprint_of(bytes + "x"), base) << "the size is part of it";
    // Small files are hashed whole.
    const std::string small(1 << 20, 'a');
    std::string small_changed = small;
    small_changed[700000] = 'b';
    EXPECT_NE(fingerprint_of(small), fingerprint_of(small_changed));
}

// A run killed after its first block; then lc2020.tif gets one pixel of class 2 (an uncompressed
// file: same size) and its old modification time back (touch -r). The resume is refused, naming
// the input, and never mixes the old blocks with the new file.
TEST(Provenance, ResumeRefusesAnInputReplacedBySameSizeSameMtimeContent) {
    TempDir d;
    const int size = 512; // 4 blocks of one 256 x 256 tile
    write_land_cover(d.file("lc2010.tif"), size);
    write_land_cover(d.file("lc2020.tif"), size);
    write_text(d.file("pools.csv"), "lucode,c_above,c_below,c_soil,c_dead\n1,10,0,0,0\n"
                                    "2,20,0,0,0\n");
    std::string cfg =
        config("lc2010.tif", "pools.csv", "out", "processing:\n  block_cells: 65536\n");
    cfg.replace(cfg.find("2020: lc2010.tif"), 16, "2020: lc2020.tif");
    write_text(d.file("run.yaml"), cfg);
    auto r = run_carbonsink("run " + d.file("run.yaml") + " --quiet --threads 1",
                            "CARBONSINK_FAILPOINT=kill_after_blocks:1");
    ASSERT_NE(r.exit_code, 0);
    ASSERT_TRUE(fs::exists(d.file("out/.carbonsink-checkpoint")));
    struct stat before = {};
    ASSERT_EQ(::stat(d.file("lc2020.tif").c_str(), &before), 0);
    std::vector<double> changed(static_cast<std::size_t>(size) * size, 1);
    changed[300 * size + 300] = 2; // in block 3, not yet computed
    RasterSpec s;
    s.width = size;
    s.height = size;
    s.epsg = 6933;
    write_raster(d.file("lc2020.tif"), s, changed);
    const timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, d.file("lc2020.tif").c_str(), times, 0), 0);
    struct stat after = {};
    ASSERT_EQ(::stat(d.file("lc2020.tif").c_str(), &after), 0);
    ASSERT_EQ(after.st_size, before.st_size);
    ASSERT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    r = run_carbonsink("run " + d.file("run.yaml") + " --quiet --resume --threads 1");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("error: cannot resume: " + d.file("out/.carbonsink-checkpoint") +
                         ": the checkpoint was written for another configuration or other "
                         "inputs: the input land_cover/2020 (" +
                         d.file("lc2020.tif") +
                         ") changed since it was written (content fingerprint differs); run "
                         "without --resume to start over"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(d.file("out/results.h5")));
}

// ---- Item 6: what an input can make us allocate

// With an address-space limit, 1000 threads for the district coverage cannot all be created
// (each needs its stack): the threads that could be made do the work, where a joinable
// std::thread destroyed during the failure used to call std::terminate (abort, exit 134).
TEST(Limits, ThreadsTheSystemRefusesAreNoAbort) {
    if (sanitized()) {
        GTEST_SKIP() << "an address-space limit (ulimit -v) cannot be used with sanitizers";
    }
    TempDir d;
    write_land_cover(d.file("lc.tif"));
    write_text(d.file("pools.csv"), pools(10));
    write_gbk_districts(d.file("districts.shp"), true);
    write_text(d.file("run.yaml"), config("lc.tif", "pools.csv", "out",
                                          "districts:\n  path: districts.shp\n  id_field: code\n"));
    const auto r = run_carbonsink("validate " + d.file("run.yaml") + " --threads 1000",
                                  "ulimit -v 2000000 &&");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("valid: "), std::string::npos) << r.out << r.err;
}

// Memory that runs out although prepare's estimate fitted (here: an address-space limit of
// 800 MB below a block of 2^25 cells whose buffers take about 1.5 GB) is exit 1 with a message
// saying what was being done, never an abort, and no results.
TEST(Limits, OutOfMemoryWhileComputingIsExitOneWithItsPhase) {
    if (sanitized()) {
        GTEST_SKIP() << "an address-space limit (ulimit -v) cannot be used with sanitizers";
    }
    TempDir d;
    write_text(d.file("lc.vrt"), "<VRTDataset rasterXSize=\"8192\" rasterYSize=\"4096\">\n"
                                 "  <SRS>EPSG:6933</SRS>\n"
                                 "  <GeoTransform>500000, 30, 0, 4600000, 0, -30</GeoTransform>\n"
                                 "  <VRTRasterBand dataType=\"Byte\" band=\"1\">\n"
                                 "    <NoDataValue>1</NoDataValue>\n"
                                 "    <HideNoDataValue>1</HideNoDataValue>\n"
                                 "  </VRTRasterBand>\n</VRTDataset>\n");
    write_text(d.file("pools.csv"), pools(10));
    write_text(d.file("run.yaml"),
               config("lc.vrt", "pools.csv", "out", "processing:\n  block_cells: 33554432\n"));
    const auto r =
        run_carbonsink("run " + d.file("run.yaml") + " --quiet --threads 1", "ulimit -v 800000 &&");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: out of memory: while computing the blocks of " +
                         d.file("run.yaml") + " (1 thread, processing.block_cells 33554432): "),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d.file("out/results.h5")));
}
