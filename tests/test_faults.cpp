// Faults: a run killed at any moment leaves nothing that looks complete; `run --resume` continues
// from the per-block checkpoints and gives byte-identical outputs; SIGINT stops cleanly; a full
// disk (a file-size limit) is exit 1 with a clear message.
//
// Kills use a real SIGKILL: either the process sends it to itself at a chosen block
// (CARBONSINK_FAILPOINT, pipeline/interrupt.hpp), which makes the moment reproducible, or the
// test sends it from outside while the run is computing.
#include "test_support.hpp"

#include <gtest/gtest.h>

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

/// Start carbonsink with `args` (and SOURCE_DATE_EPOCH=1); returns its pid.
pid_t spawn(const std::vector<std::string> &args) {
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
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
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
        const auto k =
            run_carbonsink("run " + cfg() + " --quiet",
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
    auto k =
        run_carbonsink("run " + cfg() + " --quiet", "CARBONSINK_FAILPOINT=kill_after_blocks:7");
    EXPECT_EQ(k.exit_code, KILLED);
    k = run_carbonsink("run " + cfg() + " --quiet --resume",
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
