// Faults: a run killed at any moment leaves nothing that looks complete; `run --resume` continues
// from the per-block checkpoints and gives byte-identical outputs; SIGINT stops cleanly; a full
// disk (a file-size limit) is exit 1 with a clear message. The output folder (output_folder.hpp):
// a refused, interrupted or killed run leaves every file in it as it was; two runs into one
// folder are one run and a refusal; a kill while committing is finished by the next run; links
// planted under our names are never followed; stale side-cars and the previous run's files go.
// Standard output that cannot be written (closed pipe, full device) is exit 1 and never costs
// the outputs.
//
// Kills use a real SIGKILL: either the process sends it to itself at a chosen block
// (CARBONSINK_FAILPOINT, pipeline/interrupt.hpp), which makes the moment reproducible, or the
// test sends it from outside while the run is computing.
#include "h5_read.hpp"
#include "test_support.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <gtest/gtest.h>
#include <ogr_srs_api.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

using namespace cs::test;
namespace fs = std::filesystem;

extern char **environ;

namespace {

const std::vector<std::string> OUTPUTS = {"results.h5",      "districts.csv",
                                          "transitions.csv", "stock_2015.tif",
                                          "stock_2020.tif",  "stock_change_2015_2020.tif"};
const std::string REPRO = "SOURCE_DATE_EPOCH=1";
/// What the shell of std::system reports for a command killed by SIGKILL.
constexpr int KILLED = 128 + SIGKILL;

/// 1500 x 1500 px, two epochs, 12 districts, cut into 36 blocks; plus an uninterrupted run.
class Faults : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new TempDir();
        const std::string gen = std::string(CS_SAMPLE_EXE) + " bench --out " + dir->path() +
                                " --size 1500 --districts 12 >/dev/null";
        ASSERT_EQ(std::system(gen.c_str()), 0);
        std::string cfg = read_text(dir->file("bench.yaml"));
        cfg.replace(cfg.find("output_dir: out\n"), 16,
                    "output_dir: out\nprocessing:\n  block_cells: 16384\n");
        write_text(dir->file("bench.yaml"), cfg);
        const auto r = run_carbonsink(
            "run " + dir->file("bench.yaml") + " --quiet --output-dir " + dir->file("ref"), REPRO);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    static void TearDownTestSuite() {
        delete dir;
        dir = nullptr;
    }
    void SetUp() override { fs::remove_all(out()); }

    static std::string cfg() { return dir->file("bench.yaml"); }
    static std::string out() { return dir->file("out"); }

    /// No file under a final output name; only hidden temporary files and the checkpoint.
    static void expect_nothing_looks_complete(const std::string &d) {
        if (!fs::exists(d)) {
            return;
        }
        for (const auto &e : fs::directory_iterator(d)) {
            const std::string name = e.path().filename().string();
            EXPECT_EQ(name[0], '.') << name << " left under its final name";
        }
        EXPECT_FALSE(fs::exists(d + "/results.h5"));
    }
    static void expect_same_as_reference() {
        for (const auto &f : OUTPUTS) {
            const std::string a = read_text(dir->file("ref/" + f));
            const std::string b = read_text(out() + "/" + f);
            EXPECT_FALSE(a.empty()) << f;
            EXPECT_TRUE(a == b) << f << " differs from the uninterrupted run";
        }
        EXPECT_FALSE(fs::exists(out() + "/.carbonsink-checkpoint"))
            << "the checkpoint must go once the run is complete";
        for (const auto &e : fs::directory_iterator(out())) {
            EXPECT_NE(e.path().extension(), ".partial") << e.path();
        }
    }
    static CliResult resume(int threads) {
        return run_carbonsink(
            "run " + cfg() + " --quiet --resume --threads " + std::to_string(threads), REPRO);
    }

    static TempDir *dir;
};
TempDir *Faults::dir = nullptr;

/// Start carbonsink with `args` (and SOURCE_DATE_EPOCH=1), its stderr to `err_path` (or
/// /dev/null); returns its pid.
pid_t spawn(const std::vector<std::string> &args, const std::string &err_path = "/dev/null") {
    std::vector<std::string> all = {CS_CARBONSINK_EXE};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &a : all) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    setenv("SOURCE_DATE_EPOCH", "1", 1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, all[0].c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    unsetenv("SOURCE_DATE_EPOCH");
    return rc == 0 ? pid : -1;
}

} // namespace

TEST_F(Faults, KilledAtChosenBlocksThenResumedIsByteIdentical) {
    // After the first block, in the middle, and with one block left (36 blocks); resumed with
    // 1, 2 and 3 threads.
    int threads = 1;
    for (int at : {1, 18, 35}) {
        SCOPED_TRACE("killed after block " + std::to_string(at));
        fs::remove_all(out());
        // One thread: with two, the other thread could append one more block before the
        // SIGKILL lands (seen under ThreadSanitizer), and the count below would be off by one.
        const auto k =
            run_carbonsink("run " + cfg() + " --quiet --threads 1",
                           "CARBONSINK_FAILPOINT=kill_after_blocks:" + std::to_string(at));
        EXPECT_EQ(k.exit_code, KILLED) << "the run should have been killed: " << k.err;
        expect_nothing_looks_complete(out());
        EXPECT_TRUE(fs::exists(out() + "/.carbonsink-checkpoint"));
        const auto r = resume(threads++);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("resume: " + std::to_string(at) + " of 36 blocks from the checkpoint"),
                  std::string::npos)
            << r.err;
        expect_same_as_reference();
    }
}

TEST_F(Faults, KilledAgainWhileResumingThenResumedIsByteIdentical) {
    // One thread in the killed runs, so that exactly 7 and 9 blocks reach the log (see above).
    auto k = run_carbonsink("run " + cfg() + " --quiet --threads 1",
                            "CARBONSINK_FAILPOINT=kill_after_blocks:7");
    EXPECT_EQ(k.exit_code, KILLED);
    k = run_carbonsink("run " + cfg() + " --quiet --resume --threads 1",
                       "CARBONSINK_FAILPOINT=kill_after_blocks:9");
    EXPECT_EQ(k.exit_code, KILLED);
    expect_nothing_looks_complete(out());
    const auto r = resume(2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("resume: 16 of 36 blocks"), std::string::npos) << r.err;
    expect_same_as_reference();
}

TEST_F(Faults, KilledWhileWritingTheOutputsLeavesNoResults) {
    // Killed after the rasters and CSV files were committed, before results.h5: a results.h5
    // on disk always means a complete run, so this run does not look complete.
    const auto k =
        run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=kill_before_results");
    EXPECT_EQ(k.exit_code, KILLED);
    EXPECT_FALSE(fs::exists(out() + "/results.h5"));
    const auto r = resume(2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("resume: 36 of 36 blocks"), std::string::npos) << r.err;
    expect_same_as_reference();
}

TEST_F(Faults, KilledFromOutsideWhileComputingThenResumedIsByteIdentical) {
    // kill -9 from another process as soon as the checkpoint log holds some blocks (header 96
    // bytes; a record is about 1-2 KB here). If a run happens to finish first, the resume below
    // still has to reproduce the reference.
    for (std::uintmax_t after_bytes : {100u, 8000u, 30000u}) {
        SCOPED_TRACE("killed after " + std::to_string(after_bytes) + " checkpoint bytes");
        fs::remove_all(out());
        const pid_t pid = spawn({"run", cfg(), "--quiet", "--threads", "2"});
        ASSERT_GT(pid, 0);
        const std::string log = out() + "/.carbonsink-checkpoint";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        int status = 0;
        bool exited = false;
        while (std::chrono::steady_clock::now() < deadline) {
            std::error_code ec;
            if (fs::file_size(log, ec) >= after_bytes && !ec) {
                break;
            }
            if (waitpid(pid, &status, WNOHANG) == pid) {
                exited = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        if (!exited) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
        if (WIFSIGNALED(status)) {
            expect_nothing_looks_complete(out());
        }
        const auto r = resume(1);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        expect_same_as_reference();
    }
}

TEST_F(Faults, SigintStopsCleanlyAndTheRunCanBeResumed) {
    const auto k =
        run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=sigint_after_blocks:5");
    EXPECT_EQ(k.exit_code, 130) << k.err;
    EXPECT_NE(k.err.find("error: interrupted: stopped by signal 2 after "), std::string::npos)
        << k.err;
    EXPECT_NE(k.err.find("of 36 blocks; no output was written. "), std::string::npos) << k.err;
    EXPECT_NE(k.err.find("continue with `carbonsink run " + cfg() + " --resume`"),
              std::string::npos)
        << k.err;
    // Clean: no temporary rasters either, only the checkpoint.
    for (const auto &e : fs::directory_iterator(out())) {
        EXPECT_EQ(e.path().filename().string(), ".carbonsink-checkpoint") << e.path();
    }
    const auto r = resume(2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_as_reference();
}

TEST_F(Faults, FullDiskIsExitOneWithAClearMessageAndCanBeResumed) {
    // A 100 KiB file-size limit: the checkpoint log or a GeoTIFF hits it while being written.
    const std::string cmd = "bash -c 'ulimit -f 100; exec " + std::string(CS_CARBONSINK_EXE) +
                            " run " + cfg() + " --quiet' >/dev/null 2>" + dir->file("err.txt");
    const int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1);
    const std::string err = read_text(dir->file("err.txt"));
    EXPECT_NE(err.find("File too large"), std::string::npos) << err;
    EXPECT_NE(err.find("error: cannot write"), std::string::npos) << err;
    expect_nothing_looks_complete(out());
    // With room again, --resume finishes the run (the computed blocks are reused).
    const auto r = resume(2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_as_reference();
}

TEST_F(Faults, ResumeRefusesACheckpointOfAnotherRun) {
    const auto k =
        run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=kill_after_blocks:3");
    EXPECT_EQ(k.exit_code, KILLED);
    // The pools table changes: the computed blocks are no longer valid.
    const std::string pools = read_text(dir->file("pools.csv"));
    write_text(dir->file("pools.csv"), pools + "\n");
    const auto r = resume(2);
    write_text(dir->file("pools.csv"), pools);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: cannot resume: " + out() +
                         "/.carbonsink-checkpoint: the "
                         "checkpoint was written for another configuration or other inputs"),
              std::string::npos)
        << r.err;
    expect_nothing_looks_complete(out());
    // Without --resume the run starts over and replaces the log.
    const auto fresh = run_carbonsink("run " + cfg() + " --quiet", REPRO);
    ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
    expect_same_as_reference();
}

// ---- The output folder: refused, interrupted, killed and concurrent runs --------------------

namespace {

/// Content and modification time of a file (or the target of a link), to tell "untouched".
struct FileState {
    std::string content;
    int64_t mtime_ns = 0;
    bool operator==(const FileState &o) const {
        return content == o.content && mtime_ns == o.mtime_ns;
    }
};

/// Every file in `d` except those a run keeps for --resume (the checkpoint) or a killed run
/// cannot remove (the lock file, its staging folder).
std::map<std::string, FileState> folder_state(const std::string &d) {
    std::map<std::string, FileState> out;
    for (const auto &e : fs::directory_iterator(d)) {
        const std::string name = e.path().filename().string();
        if (name == ".carbonsink-checkpoint" || name == ".carbonsink.lock" ||
            name.rfind(".carbonsink-staging-", 0) == 0) {
            continue;
        }
        struct stat st {};
        lstat(e.path().c_str(), &st);
        FileState f;
        f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
        f.content = S_ISLNK(st.st_mode) ? "-> " + fs::read_symlink(e.path()).string()
                                        : read_text(e.path().string());
        out[name] = f;
    }
    return out;
}

std::vector<std::string> staging_folders(const std::string &d) {
    std::vector<std::string> out;
    for (const auto &e : fs::directory_iterator(d)) {
        if (e.path().filename().string().rfind(".carbonsink-staging-", 0) == 0) {
            out.push_back(e.path().filename().string());
        }
    }
    return out;
}

/// GeoTIFF metadata item carbonsink_run (the run's name), "" when absent.
std::string tif_run_name(const std::string &path) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    if (ds == nullptr) {
        return "";
    }
    const char *v = GDALGetMetadataItem(ds, "carbonsink_run", nullptr);
    const std::string name = v != nullptr ? v : "";
    GDALClose(ds);
    return name;
}

/// Exit code of a child: its status, or 128 + the signal that killed it.
int wait_exit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Run a bash script; its exit code.
int bash(const std::string &script, const std::string &dir_for_script) {
    const std::string path = dir_for_script + "/script.sh";
    write_text(path, script);
    const int status = std::system(("bash " + path).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

/// A three-epoch variant of the bench config (2025 = the 2020 land cover), named differently.
static std::string three_epoch_config(TempDir &d) {
    const std::string path = d.file("bench3.yaml");
    if (!fs::exists(path)) {
        fs::copy_file(d.file("land_cover_2020.tif"), d.file("land_cover_2025.tif"));
        std::string c = read_text(d.file("bench.yaml"));
        c.replace(c.find("name: bench-1500"), 16, "name: bench-three");
        const std::string e = "    2020: land_cover_2020.tif\n";
        c.replace(c.find(e), e.size(), e + "    2025: land_cover_2025.tif\n");
        write_text(path, c);
    }
    return path;
}

/// The folder holds exactly one run named `name` with `years`: results.h5, every GeoTIFF and
/// the manifest agree.
static void expect_one_run(const std::string &d, const std::string &name,
                           const std::vector<int> &years) {
    EXPECT_EQ(h5_attr(d + "/results.h5", "/", "run_name"), name);
    std::set<std::string> want, tifs;
    for (std::size_t i = 0; i < years.size(); ++i) {
        want.insert("stock_" + std::to_string(years[i]) + ".tif");
        if (i + 1 < years.size()) {
            want.insert("stock_change_" + std::to_string(years[i]) + "_" +
                        std::to_string(years[i + 1]) + ".tif");
        }
    }
    for (const auto &e : fs::directory_iterator(d)) {
        if (e.path().extension() == ".tif") {
            tifs.insert(e.path().filename().string());
            EXPECT_EQ(tif_run_name(e.path().string()), name) << e.path();
        }
    }
    EXPECT_EQ(tifs, want);
    const std::string manifest = read_text(d + "/.carbonsink-manifest");
    for (const auto &t : want) {
        EXPECT_NE(manifest.find(" " + t + "\n"), std::string::npos) << t << " not in\n" << manifest;
    }
    EXPECT_TRUE(staging_folders(d).empty());
    EXPECT_FALSE(fs::exists(d + "/.carbonsink.lock"));
}

TEST_F(Faults, RefusedInterruptedAndKilledRunsLeaveThePreviousOutputsUntouched) {
    ASSERT_EQ(run_carbonsink("run " + cfg() + " --quiet", REPRO).exit_code, 0);
    write_text(out() + "/notes.txt", "the user's own file\n");
    const auto before = folder_state(out());
    ASSERT_EQ(before.count("results.h5"), 1u);
    ASSERT_EQ(before.count(".carbonsink-manifest"), 1u);

    // Refused while computing: class 8 (impervious) is missing from the pools table.
    const std::string pools = read_text(dir->file("pools.csv"));
    const auto row = pools.find("\n8,impervious");
    ASSERT_NE(row, std::string::npos);
    write_text(dir->file("pools.csv"),
               pools.substr(0, row + 1) + pools.substr(pools.find('\n', row + 1) + 1));
    const auto refused = run_carbonsink("run " + cfg() + " --quiet", REPRO);
    write_text(dir->file("pools.csv"), pools);
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("1 class code is not in the pools table (pools.csv): 8"),
              std::string::npos)
        << refused.err;
    EXPECT_TRUE(folder_state(out()) == before) << "a refused run changed the output folder";
    EXPECT_FALSE(fs::exists(out() + "/.carbonsink-checkpoint")) << "deleted after bad input";
    EXPECT_TRUE(staging_folders(out()).empty());
    EXPECT_FALSE(fs::exists(out() + "/.carbonsink.lock"));

    // Ctrl-C while computing.
    const auto stopped =
        run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=sigint_after_blocks:5");
    EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
    EXPECT_TRUE(folder_state(out()) == before) << "Ctrl-C changed the output folder";
    EXPECT_TRUE(fs::exists(out() + "/.carbonsink-checkpoint"));
    EXPECT_TRUE(staging_folders(out()).empty());

    // SIGKILL while computing, and once every output was written (into the staging folder).
    for (const std::string fp : {"kill_after_blocks:5", "kill_before_results"}) {
        SCOPED_TRACE(fp);
        const auto k = run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=" + fp);
        EXPECT_EQ(k.exit_code, KILLED) << k.err;
        EXPECT_TRUE(folder_state(out()) == before) << "a killed run changed the output folder";
    }
    EXPECT_FALSE(staging_folders(out()).empty()) << "a killed run cannot remove its staging";

    // The next run removes the killed runs' staging folders and replaces the outputs as a set;
    // the user's file stays.
    const auto r = resume(2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_as_reference();
    EXPECT_EQ(read_text(out() + "/notes.txt"), "the user's own file\n");
    expect_one_run(out(), "bench-1500", {2015, 2020});
}

TEST_F(Faults, KilledWhileCommittingThenResumedIsByteIdentical) {
    const auto k =
        run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=kill_during_commit:2");
    EXPECT_EQ(k.exit_code, KILLED) << k.err;
    EXPECT_FALSE(fs::exists(out() + "/results.h5")) << "a half-done commit must not look complete";
    EXPECT_TRUE(fs::exists(out() + "/districts.csv")); // the first two files were moved in
    const auto r = resume(3);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_as_reference();
    expect_one_run(out(), "bench-1500", {2015, 2020});
}

TEST_F(Faults, AKillWhileCommittingIsFinishedByTheNextRun) {
    const std::string three = three_epoch_config(*dir);
    ASSERT_EQ(run_carbonsink("run " + cfg() + " --quiet", REPRO).exit_code, 0);
    // A three-epoch run killed after moving 8 files in: districts.csv, .csvt, .gpkg, .xlsx,
    // report.html and stock_2015, 2020 and 2025.tif (names in order, results.h5 last; the old
    // results.h5 is removed first).
    const auto k =
        run_carbonsink("run " + three + " --quiet", "CARBONSINK_FAILPOINT=kill_during_commit:8");
    EXPECT_EQ(k.exit_code, KILLED) << k.err;
    EXPECT_FALSE(fs::exists(out() + "/results.h5")) << "a half-done commit must not look complete";
    EXPECT_TRUE(fs::exists(out() + "/stock_2025.tif"));
    EXPECT_FALSE(fs::exists(out() + "/stock_change_2020_2025.tif"));
    EXPECT_EQ(staging_folders(out()).size(), 1u);
    // The next run (two epochs again) first finishes that commit, so the three-epoch run's files
    // are recorded as carbonsink's and then replaced: nothing of it is left.
    const auto r = run_carbonsink("run " + cfg() + " --quiet", REPRO);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("note: finished committing the outputs of a run that was killed while "
                         "committing them in " +
                         out()),
              std::string::npos)
        << r.err;
    expect_same_as_reference();
    EXPECT_FALSE(fs::exists(out() + "/stock_2025.tif"));
    EXPECT_FALSE(fs::exists(out() + "/stock_change_2020_2025.tif"));
    expect_one_run(out(), "bench-1500", {2015, 2020});
}

TEST_F(Faults, ReplacingOutputsRemovesStaleSideCarsAndThePreviousRunsFilesOnly) {
    const std::string three = three_epoch_config(*dir);
    ASSERT_EQ(run_carbonsink("run " + three + " --quiet", REPRO).exit_code, 0);
    // Side-cars GDAL and QGIS would read as statistics, overviews and masks of the new files.
    const std::string bogus = "<PAMDataset><PAMRasterBand band=\"1\"><Metadata><MDI "
                              "key=\"STATISTICS_MAXIMUM\">9999</MDI></Metadata></PAMRasterBand>"
                              "</PAMDataset>\n";
    const std::vector<std::string> side_cars = {
        "stock_2015.tif.aux.xml", "stock_2015.tif.ovr", "stock_change_2015_2020.tif.msk",
        "results.h5.aux.xml", "stock_change_2020_2025.tif.aux.xml"};
    for (const auto &sc : side_cars) {
        write_text(out() + "/" + sc, bogus);
    }
    write_text(out() + "/stock_2025.tif.aux.xml", bogus);
    ASSERT_EQ(tif_run_name(out() + "/stock_change_2020_2025.tif"), "bench-three");
    // The user replaced one of the previous run's files with a file of their own.
    write_text(out() + "/stock_2025.tif", "the user's own file under an old output name\n");
    write_text(out() + "/notes.txt", "the user's notes\n");
    const auto r = run_carbonsink("run " + cfg() + " --quiet", REPRO);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto &sc : side_cars) {
        EXPECT_FALSE(fs::exists(out() + "/" + sc)) << sc << " is stale";
    }
    EXPECT_FALSE(fs::exists(out() + "/stock_change_2020_2025.tif"))
        << "a file of the previous run that this run does not write";
    EXPECT_EQ(read_text(out() + "/stock_2025.tif"),
              "the user's own file under an old output name\n");
    EXPECT_EQ(read_text(out() + "/stock_2025.tif.aux.xml"), bogus) << "beside the user's file";
    EXPECT_EQ(read_text(out() + "/notes.txt"), "the user's notes\n");
    expect_same_as_reference();
    EXPECT_EQ(h5_attr(out() + "/results.h5", "/", "run_name"), "bench-1500");
}

TEST_F(Faults, TwoRunsIntoOneFolderAreOneRunAndARefusal) {
    const std::string three = three_epoch_config(*dir);
    struct Config {
        std::string path, name;
        std::vector<int> years;
    };
    const Config two_epochs{cfg(), "bench-1500", {2015, 2020}};
    const Config three_epochs{three, "bench-three", {2015, 2020, 2025}};
    const std::string err1 = dir->file("err1.txt");
    const std::string err2 = dir->file("err2.txt");
    auto refusal = [&](pid_t holder) {
        return "error: output folder in use: " + out() + ": another carbonsink run (pid " +
               std::to_string(holder) + " on host ";
    };
    // The second run starts while the first holds the folder: same config, different configs.
    for (const auto &[a, b] :
         {std::pair{two_epochs, two_epochs}, std::pair{two_epochs, three_epochs},
          std::pair{three_epochs, two_epochs}}) {
        SCOPED_TRACE(a.name + " then " + b.name);
        fs::remove_all(out());
        const pid_t p1 = spawn({"run", a.path, "--quiet"}, err1);
        ASSERT_GT(p1, 0);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (read_text(out() + "/.carbonsink.lock").find("pid " + std::to_string(p1) + "\n") ==
               std::string::npos) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the first run never locked";
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        const pid_t p2 = spawn({"run", b.path, "--quiet"}, err2);
        ASSERT_GT(p2, 0);
        EXPECT_EQ(wait_exit(p2), 2) << read_text(err2);
        EXPECT_EQ(wait_exit(p1), 0) << read_text(err1);
        const std::string e2 = read_text(err2);
        EXPECT_NE(e2.find(refusal(p1)), std::string::npos) << e2;
        EXPECT_NE(e2.find(") is writing to it; wait for it to finish or choose another "
                          "output_dir"),
                  std::string::npos)
            << e2;
        expect_one_run(out(), a.name, a.years);
    }
    // Both started at the same moment: one wins the folder, the other is refused naming it.
    fs::remove_all(out());
    const pid_t p1 = spawn({"run", two_epochs.path, "--quiet"}, err1);
    const pid_t p2 = spawn({"run", three_epochs.path, "--quiet"}, err2);
    const int s1 = wait_exit(p1);
    const int s2 = wait_exit(p2);
    ASSERT_TRUE((s1 == 0 && s2 == 2) || (s1 == 2 && s2 == 0)) << s1 << " " << s2 << "\n"
                                                              << read_text(err1) << read_text(err2);
    const bool first_won = s1 == 0;
    const std::string loser_err = read_text(first_won ? err2 : err1);
    EXPECT_NE(loser_err.find(refusal(first_won ? p1 : p2)), std::string::npos) << loser_err;
    const Config &winner = first_won ? two_epochs : three_epochs;
    expect_one_run(out(), winner.name, winner.years);
}

TEST_F(Faults, AStaleLockOfAKilledRunDoesNotBlockAndALiveOneDoes) {
    const auto k =
        run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=kill_after_blocks:3");
    EXPECT_EQ(k.exit_code, KILLED);
    // The lock file of the killed run is still there, naming a process that is gone.
    EXPECT_NE(read_text(out() + "/.carbonsink.lock").find("pid "), std::string::npos);
    const auto r = resume(2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_as_reference();
    EXPECT_FALSE(fs::exists(out() + "/.carbonsink.lock"));

    // A live run holds the folder: --resume is refused at once and leaves its checkpoint alone.
    fs::remove_all(out());
    const pid_t p1 = spawn({"run", cfg(), "--quiet"}, dir->file("err1.txt"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (read_text(out() + "/.carbonsink.lock").find("pid " + std::to_string(p1) + "\n") ==
           std::string::npos) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the first run never locked";
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    const auto refused = resume(2);
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("error: output folder in use: " + out() +
                               ": another carbonsink run (pid " + std::to_string(p1)),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(wait_exit(p1), 0) << read_text(dir->file("err1.txt"));
    expect_same_as_reference();
}

TEST_F(Faults, LinksPlantedUnderOurNamesAreNeverFollowed) {
    // A shared folder where someone planted links to a file outside it under every name a run
    // creates, opens or removes, and a link to a folder under a staging folder's name.
    const std::string victim = dir->file("victim.txt");
    write_text(victim, "a file outside the output folder\n");
    fs::create_directories(dir->file("elsewhere"));
    write_text(dir->file("elsewhere/keep.txt"), "keep\n");
    const auto victim_before = folder_state(dir->file("."))["victim.txt"];
    fs::create_directories(out());
    std::vector<std::string> names = {".carbonsink.lock",     ".carbonsink-checkpoint",
                                      ".carbonsink-manifest", "stock_2015.tif.aux.xml",
                                      "stock_2015.tif.ovr",   "stock_2015.tif.msk",
                                      "results.h5.aux.xml"};
    for (const auto &f : OUTPUTS) {
        names.push_back(f);
        names.push_back("." + f + ".partial"); // the temporary names of earlier versions
    }
    for (const auto &n : names) {
        fs::create_symlink(victim, out() + "/" + n);
    }
    fs::create_directory_symlink(dir->file("elsewhere"), out() + "/.carbonsink-staging-planted");
    const auto r = run_carbonsink("run " + cfg() + " --quiet", REPRO);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(folder_state(dir->file("."))["victim.txt"] == victim_before)
        << "a file outside the output folder was written";
    EXPECT_EQ(read_text(dir->file("elsewhere/keep.txt")), "keep\n");
    for (const auto &f : OUTPUTS) {
        EXPECT_FALSE(fs::is_symlink(out() + "/" + f)) << f;
        fs::remove(out() + "/." + f + ".partial"); // not ours: left alone by the run
    }
    EXPECT_FALSE(fs::exists(out() + "/stock_2015.tif.aux.xml")); // a stale side-car name
    expect_same_as_reference();

    // --resume never opens a planted link as its checkpoint.
    fs::create_symlink(victim, out() + "/.carbonsink-checkpoint");
    const auto refused = resume(2);
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("error: cannot resume: " + out() +
                               "/.carbonsink-checkpoint: it is a symbolic link, not a checkpoint "
                               "log carbonsink wrote (links are never followed); remove it and "
                               "run without --resume"),
              std::string::npos)
        << refused.err;
    EXPECT_TRUE(folder_state(dir->file("."))["victim.txt"] == victim_before);
}

TEST_F(Faults, StandardOutputThatCannotBeWrittenIsExitOneAndTheOutputsAreComplete) {
    const std::string exe = CS_CARBONSINK_EXE;
    const std::string err = dir->file("err.txt");
    // A full device on stdout: the district table is lost, so the exit code says so.
    int code =
        bash("SOURCE_DATE_EPOCH=1 " + exe + " run " + cfg() + " --quiet >/dev/full 2>" + err + "\n",
             dir->path());
    EXPECT_EQ(code, 1) << read_text(err);
    EXPECT_NE(read_text(err).find("error: cannot write to standard output: No space left on "
                                  "device; the outputs in " +
                                  out() + " are complete"),
              std::string::npos)
        << read_text(err);
    expect_same_as_reference();
    // A pipe whose reader is gone before the table is printed: EPIPE, not a SIGPIPE kill.
    fs::remove_all(out());
    code = bash("SOURCE_DATE_EPOCH=1 " + exe + " run " + cfg() + " --quiet 2>" + err +
                    " | true\nexit ${PIPESTATUS[0]}\n",
                dir->path());
    EXPECT_EQ(code, 1) << read_text(err);
    EXPECT_NE(read_text(err).find("error: cannot write to standard output: Broken pipe; the "
                                  "outputs in " +
                                  out() + " are complete"),
              std::string::npos)
        << read_text(err);
    expect_same_as_reference();
    // `2>&1 | head -1`: the reader leaves after the first progress line; the run goes on,
    // commits its outputs and exits 1 (it cannot say why: stderr is that pipe).
    fs::remove_all(out());
    code = bash("SOURCE_DATE_EPOCH=1 " + exe + " run " + cfg() + " --quiet 2>&1 | head -1 >" +
                    dir->file("first.txt") + "\nexit ${PIPESTATUS[0]}\n",
                dir->path());
    EXPECT_EQ(code, 1);
    // Under ThreadSanitizer, libomp's tool (libarcher) prints a one-line advice about
    // TSAN_OPTIONS before anything of ours: the first line of carbonsink is the one after it.
    const std::string first = read_text(dir->file("first.txt"));
    const bool tsan_advice = first.rfind("Warning: please export TSAN_OPTIONS", 0) == 0;
    EXPECT_TRUE(tsan_advice || first.rfind("prepare: ", 0) == 0) << first;
    expect_same_as_reference();
}

TEST_F(Faults, AFullDiskNamesTheCauseAtEveryFileCreation) {
    // A real tmpfs in a private mount namespace (it disappears with the process), as small as
    // needed: nr_inodes=N allows N - 1 files and folders in it, so each N fails at the next
    // file a run creates.
    const std::string mnt = dir->file("mnt");
    fs::create_directories(mnt);
    if (std::system(
            ("unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs " + mnt + "' >/dev/null 2>&1")
                .c_str()) != 0) {
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root and `unshare -m`); the write path "
                        "of a full disk is covered by FullDiskIsExitOneWithAClearMessage...";
    }
    std::string c = read_text(cfg());
    c.replace(c.find("processing:\n"), 12, "processing:\n  checkpoint: false\n");
    // Without overviews: their level files are freed at each GeoTIFF's commit, before the
    // other outputs are written, which shifts the inode counts at which those fail.
    c += "outputs:\n  overviews: false\n";
    write_text(dir->file("bench-nockpt.yaml"), c);
    const std::string exe = CS_CARBONSINK_EXE;
    const std::string err = dir->file("err.txt");
    std::set<std::string> failed_at;
    bool completed = false;
    for (int inodes = 3; inodes <= 20 && !completed; ++inodes) {
        SCOPED_TRACE("nr_inodes=" + std::to_string(inodes));
        const int code = bash(
            "unshare -m sh -c 'mount -t tmpfs -o size=64m,nr_inodes=" + std::to_string(inodes) +
                " tmpfs " + mnt + " && exec " + exe + " run " + dir->file("bench-nockpt.yaml") +
                " --quiet --output-dir " + mnt + "/out' >/dev/null 2>" + err + "\n",
            dir->path());
        const std::string e = read_text(err);
        if (code == 0) {
            completed = true;
            break;
        }
        EXPECT_EQ(code, 1) << e;
        const auto at = e.find("error: cannot ");
        ASSERT_NE(at, std::string::npos) << e;
        EXPECT_NE(e.find("No space left on device", at), std::string::npos)
            << "the cause is missing:\n"
            << e;
        failed_at.insert(e.substr(at + 7, e.find(':', at + 7) - at - 7));
    }
    EXPECT_TRUE(completed) << "the run never had enough inodes";
    // Every kind of file creation was hit: staging folder, GeoTIFF, CSV, HDF5, manifest.
    for (const std::string what : {"cannot create staging folder", "cannot create output",
                                   "cannot write output", "cannot write results"}) {
        EXPECT_EQ(failed_at.count(what), 1u) << what;
    }
    // A full disk (no block left) while the checkpoint log is written.
    const int code = bash("unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs " + mnt +
                              " && (dd if=/dev/zero of=" + mnt +
                              "/fill bs=4k 2>/dev/null; true) && exec " + exe + " run " + cfg() +
                              " --quiet --output-dir " + mnt + "/out' >/dev/null 2>" + err + "\n",
                          dir->path());
    EXPECT_EQ(code, 1) << read_text(err);
    EXPECT_NE(read_text(err).find("error: cannot write checkpoint: " + mnt +
                                  "/out/.carbonsink-checkpoint: write failed: No space left on "
                                  "device (the disk or the file-size limit is full)"),
              std::string::npos)
        << read_text(err);
}

// ---- Inputs changed while a run reads them ----------------------------------------------------

namespace {

/// Start carbonsink with `args`, CARBONSINK_FAILPOINT=`failpoint` and stderr to `err`; run it
/// until the failpoint stops it (SIGSTOP), call `change()`, let it go on and return its exit
/// status (-1 when it did not stop or did not exit normally).
int run_paused(const std::vector<std::string> &args, const std::string &failpoint,
               const std::string &err, const std::function<void()> &change) {
    std::vector<std::string> all = {CS_CARBONSINK_EXE};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &a : all) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    setenv("CARBONSINK_FAILPOINT", failpoint.c_str(), 1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, all[0].c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    unsetenv("CARBONSINK_FAILPOINT");
    if (rc != 0) {
        return -1;
    }
    int status = 0;
    waitpid(pid, &status, WUNTRACED);
    if (!WIFSTOPPED(status)) {
        return -1;
    }
    change();
    kill(pid, SIGCONT);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_F(Faults, InputReplacedWhileComputingIsExitOneNamingItAndWritesNothing) {
    // After 5 of 36 blocks, land_cover_2020.tif is replaced (renamed over) by the 2015 file:
    // the blocks already computed read the old file, the rest would read the new one.
    const std::string lc = dir->file("land_cover_2020.tif");
    const std::string original = read_text(lc);
    const int code =
        run_paused({"run", cfg(), "--quiet", "--threads", "2"}, "pause_after_blocks:5",
                   dir->file("err.txt"), [&] {
                       fs::copy_file(dir->file("land_cover_2015.tif"), dir->file("new.tif"));
                       fs::rename(dir->file("new.tif"), lc);
                   });
    const std::string err = read_text(dir->file("err.txt"));
    write_text(dir->file("restore.tif"), original);
    fs::rename(dir->file("restore.tif"), lc);
    EXPECT_EQ(code, 1) << err;
    EXPECT_NE(err.find("error: input changed during the run: land_cover/2020 (" + lc +
                       "): replaced by another file at "),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("(inode differs); no output was written; run again"), std::string::npos)
        << err;
    expect_nothing_looks_complete(out());
    EXPECT_FALSE(fs::exists(out() + "/.carbonsink-checkpoint"))
        << "blocks of two different files must not be resumed";
}

TEST_F(Faults, InputRewrittenInPlaceWithItsOldMtimeWhileComputingIsCaught) {
    // The pools table is rewritten in place (same inode, same bytes) and its modification time
    // set back (touch -r): only the status-change time tells, and it is enough.
    const std::string table = dir->file("pools.csv");
    struct stat before = {};
    ASSERT_EQ(::stat(table.c_str(), &before), 0);
    const int code =
        run_paused({"run", cfg(), "--quiet", "--threads", "2"}, "pause_after_blocks:3",
                   dir->file("err.txt"), [&] {
                       const std::string bytes = read_text(table);
                       std::ofstream(table, std::ios::binary | std::ios::in | std::ios::out)
                           << bytes;
                       const timespec times[2] = {before.st_atim, before.st_mtim};
                       ::utimensat(AT_FDCWD, table.c_str(), times, 0);
                   });
    const std::string err = read_text(dir->file("err.txt"));
    EXPECT_EQ(code, 1) << err;
    EXPECT_NE(err.find("error: input changed during the run: models.stocks.table (" + table +
                       "): modified at "),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("(ctime differs); no output was written; run again"), std::string::npos)
        << err;
    expect_nothing_looks_complete(out());
}

namespace {

/// A sparse 300000 x 300000 px land cover (UTM 51N, 30 m, nodata 255) of a few hundred KB: no
/// block is written except, with `first_tile_class` > 0, the first tile (that class). Reading
/// it whole takes minutes, so a run on it is still scanning or computing when the test signals.
void write_huge_sparse_land_cover(const std::string &path, int first_tile_class) {
    GDALAllRegister();
    char **opts = nullptr;
    opts = CSLSetNameValue(opts, "TILED", "YES");
    opts = CSLSetNameValue(opts, "BLOCKXSIZE", "512");
    opts = CSLSetNameValue(opts, "BLOCKYSIZE", "512");
    opts = CSLSetNameValue(opts, "SPARSE_OK", "TRUE");
    GDALDatasetH ds =
        GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), 300000, 300000, 1, GDT_Byte, opts);
    CSLDestroy(opts);
    ASSERT_NE(ds, nullptr);
    double gt[6] = {300000.0, 30.0, 0.0, 5000000.0, 0.0, -30.0};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 32651);
    GDALSetSpatialRef(ds, srs);
    OSRDestroySpatialReference(srs);
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(band, 255);
    if (first_tile_class > 0) {
        std::vector<uint8_t> tile(512 * 512, static_cast<uint8_t>(first_tile_class));
        ASSERT_EQ(
            GDALRasterIO(band, GF_Write, 0, 0, 512, 512, tile.data(), 512, 512, GDT_Byte, 0, 0),
            CE_None);
    }
    GDALClose(ds);
}

/// Send SIGTERM to `pid` and give it `seconds` to exit; its exit code (-1: still running, then
/// killed).
int terminate_within(pid_t pid, int seconds) {
    kill(pid, SIGTERM);
    for (int i = 0; i < seconds * 10; ++i) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
}

} // namespace

TEST_F(Faults, SigtermWhilePreparingOrComputingAHugeGridStopsAtOnceAndChangesNothing) {
    // Before: prepare's scans of the inputs (is there any data? which class codes?) did not look
    // at the signal flag, so a run on a 10^12 px grid stopped by SIGTERM went on for hours; and
    // an interrupted run's unfinished GeoTIFFs were flushed whole (every unwritten tile filled)
    // before being deleted.
    fs::copy_file(dir->file("pools.csv"), dir->file("huge_pools.csv"),
                  fs::copy_options::overwrite_existing);
    const std::string yaml = "name: huge\noutput_dir: out\nland_cover:\n  epochs:\n"
                             "    2015: huge.tif\n    2020: huge.tif\nmodels:\n  stocks:\n"
                             "    method: lookup\n    table: huge_pools.csv\n  sink:\n"
                             "    method: stock_difference\n";
    write_text(dir->file("huge.yaml"), yaml);
    fs::create_directories(out());
    write_text(out() + "/notes.txt", "the user's own file\n");
    const auto before = folder_state(out());
    {
        SCOPED_TRACE("all nodata: stopped while prepare looks for data");
        write_huge_sparse_land_cover(dir->file("huge.tif"), 0);
        const std::string err = dir->file("err_prepare.txt");
        const pid_t pid = spawn({"run", dir->file("huge.yaml"), "--quiet"}, err);
        ASSERT_GT(pid, 0);
        // The run holds the folder's lock once its config is read (its signal handlers are
        // installed before that); prepare then scans the inputs for minutes. A fixed sleep
        // was not enough on a loaded machine: the signal came before the handlers.
        for (int i = 0; i < 600 && !fs::exists(out() + "/.carbonsink.lock"); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ASSERT_TRUE(fs::exists(out() + "/.carbonsink.lock")) << read_text(err);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        EXPECT_EQ(terminate_within(pid, 20), 128 + SIGTERM) << read_text(err);
        EXPECT_NE(read_text(err).find(
                      "error: interrupted: stopped by signal 15 while looking for data in "
                      "land_cover/2015 (" +
                      dir->file("huge.tif") + ", band 1); no output was written"),
                  std::string::npos)
            << read_text(err);
        EXPECT_TRUE(folder_state(out()) == before) << "a run stopped in prepare changed the folder";
    }
    {
        SCOPED_TRACE("data in the first tile: stopped while computing");
        write_huge_sparse_land_cover(dir->file("huge.tif"), 2);
        const std::string err = dir->file("err_compute.txt");
        const pid_t pid = spawn({"run", dir->file("huge.yaml"), "--quiet"}, err);
        ASSERT_GT(pid, 0);
        // Computing has begun once the checkpoint log exists.
        for (int i = 0; i < 600 && !fs::exists(out() + "/.carbonsink-checkpoint"); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ASSERT_TRUE(fs::exists(out() + "/.carbonsink-checkpoint")) << read_text(err);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        EXPECT_EQ(terminate_within(pid, 20), 128 + SIGTERM) << read_text(err);
        EXPECT_NE(read_text(err).find("error: interrupted: stopped by signal 15 after "),
                  std::string::npos)
            << read_text(err);
        // The checkpoint stays (for --resume); the staging folder and its rasters are gone.
        EXPECT_TRUE(fs::exists(out() + "/.carbonsink-checkpoint"));
        EXPECT_TRUE(staging_folders(out()).empty());
        EXPECT_TRUE(folder_state(out()) == before) << "a run stopped while computing changed it";
    }
}
