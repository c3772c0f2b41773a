// `mpirun -n N carbonsink run CONFIG.yaml [--threads T]`: one run split across N processes.
//
// Theory of operation. Every rank reads the config and runs prepare (the inputs must be at the
// same paths on every node: a shared filesystem). Ranks other than 0 send stdout and stderr to
// /dev/null, so every problem is printed once, by rank 0; an MPI_Allreduce of "prepare was ok"
// then makes all ranks go on, or all exit 2, without a hang (mpi_agree).
//
// Rank 0 (the root) is the only writer: it owns the output folder (lock, staging, commit), the
// checkpoint log and every output file, exactly as a single process does. Its runner threads
// walk the blocks in index order as usual, but instead of computing a block they `take` its
// results from a worker; everything after that (checkpoint append, ordered merge of the district
// partials, ordered GeoTIFF writes) is the single-process code path, so every output is
// byte-identical to a run of one process whatever N and T (the determinism rule of runner.cpp:
// partials merged and tiles written in block order).
//
// Every rank computes: ranks 1..N-1 and a group of T compute threads on rank 0 (a second
// OpenMP team started from its own std::thread, messaging rank 0 itself) are the workers. Each
// worker thread asks the server for a block index, computes it with the runner's own block
// function and sends back the district partial and the output windows (raw float32,
// uncompressed: the GeoTIFF compression is done once, by the root's writer). Blocks are handed out
// on request, one at a time in increasing index order, so uneven blocks balance. A server thread on
// rank 0 answers requests and receives results (the only thread of rank 0 that calls MPI during the
// compute phase); it hands out a block only while it is fewer than `window` blocks (2 x the
// workers' threads + 1) ahead of the lowest block its writer threads have not taken yet, which
// bounds rank 0's memory to `window` blocks' results however much faster the workers compute than
// rank 0 writes. Blocks the checkpoint log already holds are never handed out: --resume replays
// them on rank 0.
//
// Limits (README "Many machines"): rank 0 is the one writer, so the job scales until rank 0's
// network input (4 bytes x outputs x cells) or its compression and write bandwidth is
// saturated; rank 0 holds 2 x T threads' buffers (its writer threads build the same per-thread
// state as compute threads, unused). A worker that fails (I/O error) ends the job with MPI_Abort
// (exit 1); the blocks rank 0 already logged stay in the checkpoint for --resume.
#include "pipeline/mpi_run.hpp"

#include "pipeline/block_bytes.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/interrupt.hpp"

#include <cstdlib>
#include <cstring>
#include <string>

#ifdef CS_HAVE_MPI
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#endif

namespace cs::pipeline {

#ifndef CS_HAVE_MPI

std::string mpi_version_suffix() { return ""; }
void mpi_start(int *, char ***) {}
bool mpi_active() { return false; }
int mpi_rank() { return 0; }
bool mpi_agree(bool ok) { return ok; }
std::unique_ptr<RemoteBlocks> mpi_remote_blocks() { return nullptr; }
int mpi_finish(int code) { return code; }

#else

namespace {

bool g_initialized = false;
bool g_active = false;
int g_rank = 0;
int g_size = 1;
/// 0 before mpi_agree succeeded, 1 after, 2 once the blocks' hand-out began (start/output_count):
/// mpi_finish uses it to keep the ranks' collective calls matched when rank 0 fails in between.
int g_stage = 0;
int g_stderr = 2; ///< a worker's real stderr, for abort_job

constexpr int TAG_REQUEST = 1; ///< worker thread -> root: int32 thread number
constexpr int TAG_RESULT = 2;  ///< worker -> root: a block's results (encode_result)
constexpr int TAG_USAGE = 3;   ///< worker -> root: int64 usage counters after its last block
constexpr int TAG_REPLY = 100; ///< root -> worker thread t (tag 100 + t): int64 block, -1 = none
constexpr uint64_t NO_BLOCKS = UINT64_MAX; ///< broadcast instead of the output count: stop

std::vector<unsigned char> encode_result(std::size_t b, const BlockPartial &partial,
                                         const std::vector<std::vector<float>> &windows) {
    ByteWriter w;
    w.put<uint64_t>(b);
    w.put_partial(partial);
    w.put<uint64_t>(windows.size());
    for (const auto &win : windows) {
        w.put_vector(win);
    }
    return std::move(w.buf);
}

/// Wait for a non-blocking request by testing it with growing sleeps (20 us to 1 ms) in between.
/// A blocking MPI_Send or MPI_Recv polls the network without sleeping (Open MPI yields at most),
/// so a worker thread waiting for its next block, or for rank 0 to take a result, burnt a core:
/// on 2 cores, 2 ranks x 1 thread used twice the CPU of one process and ran 1.6 x slower than
/// it (issue 13). The added latency, at most 1 ms per message, is small against a block.
void wait_sleeping(MPI_Request &request) {
    auto pause = std::chrono::microseconds(20);
    for (;;) {
        int done = 0;
        MPI_Test(&request, &done, MPI_STATUS_IGNORE);
        if (done != 0) {
            return;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
}

std::size_t decode_result(const std::vector<unsigned char> &buf, BlockPartial &partial,
                          std::vector<std::vector<float>> &windows) {
    ByteReader r(buf.data(), buf.size());
    const auto b = static_cast<std::size_t>(r.get<uint64_t>());
    r.get_partial(partial);
    windows.resize(static_cast<std::size_t>(r.get<uint64_t>()));
    for (auto &win : windows) {
        r.get_vector(win);
    }
    return b;
}

struct Result {
    BlockPartial partial;
    std::vector<std::vector<float>> windows;
};

class MpiBlocks final : public RemoteBlocks {
public:
    ~MpiBlocks() override {
        if (m_server.joinable()) {
            m_finishing = true;
            m_server.join();
        }
    }
    bool is_root() const override { return g_rank == 0; }

    void start(std::size_t n_blocks, const CheckpointLog *checkpoint, std::size_t n_outputs,
               int local_threads, std::atomic<bool> &stop) override {
        auto count = static_cast<uint64_t>(n_outputs);
        MPI_Bcast(&count, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        int mine = std::max(local_threads, 0), worker_threads = 0;
        m_senders = g_size - 1 + (mine > 0 ? 1 : 0); // ranks (and rank 0) that send usage
        MPI_Reduce(&mine, &worker_threads, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
        g_stage = 2;
        m_n_blocks = n_blocks;
        m_checkpoint = checkpoint;
        m_stop = &stop;
        m_window = 2 * static_cast<std::size_t>(std::max(worker_threads, 1)) + 1;
        m_taken.assign(n_blocks, 0);
        m_server = std::thread([this] { serve(); });
    }

    bool take(std::size_t b, BlockPartial &partial,
              std::vector<std::vector<float>> &windows) override {
        std::unique_lock<std::mutex> lock(m_mutex);
        for (;;) {
            if (const auto it = m_ready.find(b); it != m_ready.end()) {
                partial = std::move(it->second.partial);
                windows = std::move(it->second.windows);
                m_ready.erase(it);
                m_taken[b] = 1;
                return true;
            }
            if (m_stop->load() || interrupted() || m_server_done) {
                return false;
            }
            m_cv.wait_for(lock, std::chrono::milliseconds(20));
        }
    }

    std::vector<int64_t> finish() override {
        if (!m_server.joinable()) {
            return {};
        }
        m_finishing = true;
        m_server.join();
        if (!m_server_error.empty()) {
            throw std::runtime_error(m_server_error);
        }
        return m_usage_from == m_senders ? m_usage : std::vector<int64_t>{};
    }

    bool output_count(int threads, std::size_t &n_outputs) override {
        uint64_t count = 0;
        MPI_Bcast(&count, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        if (count == NO_BLOCKS) {
            return false;
        }
        MPI_Reduce(&threads, nullptr, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
        g_stage = 2;
        n_outputs = static_cast<std::size_t>(count);
        return true;
    }

    bool next_block(int thread, std::size_t &b) override {
        const auto t = static_cast<int32_t>(thread);
        int64_t reply = -1;
        MPI_Request recv;
        MPI_Irecv(&reply, 1, MPI_INT64_T, 0, TAG_REPLY + thread, MPI_COMM_WORLD, &recv);
        MPI_Request request;
        MPI_Isend(&t, 1, MPI_INT32_T, 0, TAG_REQUEST, MPI_COMM_WORLD, &request);
        wait_sleeping(request);
        wait_sleeping(recv);
        if (reply < 0) {
            return false;
        }
        b = static_cast<std::size_t>(reply);
        return true;
    }

    void send(int, std::size_t b, const BlockPartial &partial,
              const std::vector<std::vector<float>> &windows) override {
        const std::vector<unsigned char> buf = encode_result(b, partial, windows);
        if (buf.size() > static_cast<std::size_t>(INT_MAX)) {
            abort_job("the results of block " + std::to_string(b) + " take " +
                      std::to_string(buf.size()) +
                      " bytes, more than one MPI message holds (2 GiB): use a smaller "
                      "processing.block_cells");
        }
        MPI_Request request;
        MPI_Isend(buf.data(), static_cast<int>(buf.size()), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD,
                  &request);
        wait_sleeping(request);
    }

    void send_usage(const std::vector<int64_t> &usage) override {
        MPI_Send(usage.data(), static_cast<int>(usage.size()), MPI_INT64_T, 0, TAG_USAGE,
                 MPI_COMM_WORLD);
    }

    [[noreturn]] void abort_job(const std::string &message) override {
        const std::string text = "error: MPI rank " + std::to_string(g_rank) + ": " + message +
                                 "; the whole job stops (rank 0 keeps the finished blocks in "
                                 "its checkpoint: fix the cause, then run again with --resume)\n";
        [[maybe_unused]] const ssize_t n = ::write(g_stderr, text.data(), text.size());
        MPI_Abort(MPI_COMM_WORLD, 1);
        std::_Exit(1);
    }

private:
    // Rank 0's server thread: answers block requests, receives results, then the workers' usage.
    void serve() {
        try {
            serve_loop();
        } catch (const std::exception &e) {
            m_server_error = std::string("MPI block server: ") + e.what();
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        m_server_done = true;
        m_cv.notify_all();
    }

    void serve_loop() {
        // Lowest block rank 0's writer has not yet taken (nor replays from the checkpoint):
        // blocks are handed out at most `window` ahead of it, so that a writer slower than the
        // workers holds at most `window` blocks' results (m_ready), not the whole grid's.
        std::size_t low = 0;
        std::size_t next = 0;                    // next block to hand out
        std::deque<std::pair<int, int>> waiting; // (rank, thread) of unanswered requests
        const auto logged = [&](std::size_t b) {
            return m_checkpoint != nullptr && m_checkpoint->has(b);
        };
        std::vector<unsigned char> buf;
        std::chrono::steady_clock::time_point interrupted_at{};
        while (m_usage_from < m_senders) {
            if (interrupted()) {
                // Workers are told to stop (below); mpirun stops them too after a signal, so
                // their last messages are not waited for long.
                const auto now = std::chrono::steady_clock::now();
                if (interrupted_at == std::chrono::steady_clock::time_point{}) {
                    interrupted_at = now;
                } else if (now - interrupted_at > std::chrono::seconds(2)) {
                    return;
                }
            }
            int flag = 0;
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
            if (flag != 0) {
                int bytes = 0;
                MPI_Get_count(&st, MPI_BYTE, &bytes);
                buf.resize(static_cast<std::size_t>(bytes));
                MPI_Recv(buf.data(), bytes, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                if (st.MPI_TAG == TAG_REQUEST) {
                    int32_t thread = 0;
                    std::memcpy(&thread, buf.data(), std::min<std::size_t>(buf.size(), 4));
                    waiting.emplace_back(st.MPI_SOURCE, thread);
                } else if (st.MPI_TAG == TAG_RESULT && !m_finishing) {
                    Result r;
                    std::size_t b = 0;
                    try {
                        b = decode_result(buf, r.partial, r.windows);
                    } catch (const std::runtime_error &e) {
                        throw std::runtime_error(
                            "the result message of " + std::to_string(bytes) + " bytes from rank " +
                            std::to_string(st.MPI_SOURCE) + " is damaged (" + e.what() +
                            "): every rank must run the same carbonsink build");
                    }
                    if (b < m_n_blocks) {
                        std::lock_guard<std::mutex> lock(m_mutex);
                        m_ready[b] = std::move(r);
                        m_cv.notify_all();
                    }
                } else if (st.MPI_TAG == TAG_USAGE) {
                    const std::size_t n = buf.size() / sizeof(int64_t);
                    if (m_usage.size() < n) {
                        m_usage.resize(n, 0);
                    }
                    for (std::size_t k = 0; k < n; ++k) {
                        int64_t v = 0;
                        std::memcpy(&v, buf.data() + k * sizeof v, sizeof v);
                        m_usage[k] += v; // integer counts: the sum does not depend on order
                    }
                    ++m_usage_from;
                }
            }
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                while (low < m_n_blocks && (m_taken[low] != 0 || logged(low))) {
                    ++low;
                }
            }
            while (!waiting.empty()) {
                while (next < m_n_blocks && logged(next)) {
                    ++next;
                }
                int64_t reply = -1;
                if (!m_finishing && !m_stop->load() && !interrupted() && next < m_n_blocks) {
                    if (next >= low + m_window) {
                        break; // the writer is behind: answer once it has taken more
                    }
                    reply = static_cast<int64_t>(next++);
                }
                MPI_Send(&reply, 1, MPI_INT64_T, waiting.front().first,
                         TAG_REPLY + waiting.front().second, MPI_COMM_WORLD);
                waiting.pop_front();
            }
            if (flag == 0) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
        }
    }

    std::size_t m_n_blocks = 0;
    std::size_t m_window = 1;
    const CheckpointLog *m_checkpoint = nullptr;
    std::atomic<bool> *m_stop = nullptr;
    std::atomic<bool> m_finishing{false};
    std::thread m_server;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::map<std::size_t, Result> m_ready; ///< received, not yet taken (guarded by m_mutex)
    std::vector<char> m_taken;             ///< per block: taken by a writer thread (m_mutex)
    bool m_server_done = false;            ///< guarded by m_mutex
    std::string m_server_error;
    std::vector<int64_t> m_usage;
    int m_usage_from = 0; ///< workers whose usage arrived (server thread, then after join)
    int m_senders = 0;    ///< workers that send usage: the other ranks, and rank 0's own group
};

} // namespace

std::string mpi_version_suffix() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int len = 0;
    MPI_Get_library_version(text, &len); // allowed before MPI_Init (MPI 3.1 section 8.1.1)
    std::string v(text, static_cast<std::size_t>(std::max(len, 0)));
    // "Open MPI v4.1.4, package: Debian OpenMPI, ..." -> "Open MPI v4.1.4"
    if (const auto cut = v.find_first_of(",\n"); cut != std::string::npos) {
        v.resize(cut);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) {
        v.pop_back();
    }
    return " (MPI: " + v + ")";
}

void mpi_start(int *argc, char ***argv) {
    // Only under a launcher: a plain `carbonsink run` must not start an MPI runtime.
    const char *launched[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    bool under_launcher = false;
    for (const char *name : launched) {
        under_launcher = under_launcher || std::getenv(name) != nullptr;
    }
    if (!under_launcher) {
        return;
    }
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    g_initialized = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_active = g_size > 1;
    if (g_active && provided < MPI_THREAD_MULTIPLE) {
        if (g_rank == 0) {
            std::fprintf(stderr,
                         "error: the MPI library gives thread level %d, not MPI_THREAD_MULTIPLE "
                         "(%d) that carbonsink's threads need: use an MPI built with thread "
                         "support (Debian's Open MPI is)\n",
                         provided, MPI_THREAD_MULTIPLE);
        }
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (g_active && g_rank > 0) {
        std::fflush(stdout);
        std::fflush(stderr);
        g_stderr = ::dup(2);
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) {
            ::dup2(null, 1);
            ::dup2(null, 2);
            ::close(null);
        }
    }
}

bool mpi_active() { return g_active; }
int mpi_rank() { return g_rank; }

bool mpi_agree(bool ok) {
    if (!g_active) {
        return ok;
    }
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (all == 1) {
        g_stage = 1;
    } else if (ok && g_rank == 0) {
        std::fprintf(stderr,
                     "error: another MPI rank could not prepare the run although rank 0 could "
                     "(ranks other than 0 print nothing): every rank must see the config and "
                     "the same input files at the same paths (a shared filesystem); run "
                     "`carbonsink validate CONFIG` on each node to see its problem\n");
    }
    return all == 1;
}

std::unique_ptr<RemoteBlocks> mpi_remote_blocks() {
    if (!g_active) {
        return nullptr;
    }
    return std::make_unique<MpiBlocks>();
}

int mpi_finish(int code) {
    if (!g_initialized) {
        return code;
    }
    if (g_active) {
        if (g_rank == 0 && g_stage == 1) {
            uint64_t none = NO_BLOCKS; // rank 0 stopped before handing out blocks
            MPI_Bcast(&none, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        } else if (g_rank > 0 && g_stage == 1 && code != 0) {
            const std::string text = "error: MPI rank " + std::to_string(g_rank) +
                                     " failed before computing (exit " + std::to_string(code) +
                                     "); the whole job stops\n";
            [[maybe_unused]] const ssize_t n = ::write(g_stderr, text.data(), text.size());
            MPI_Abort(MPI_COMM_WORLD, code);
        }
        // Workers wait here while rank 0 writes the outputs: sleeping, not polling (see
        // wait_sleeping). Every rank makes this call non-blocking, so the collectives match.
        int root_code = code;
        MPI_Request request;
        MPI_Ibcast(&root_code, 1, MPI_INT, 0, MPI_COMM_WORLD, &request);
        wait_sleeping(request);
        if (g_rank > 0 && code == 0) {
            code = root_code;
        }
    }
    MPI_Finalize();
    return code;
}

#endif

} // namespace cs::pipeline
