// The one OpenMP block loop every pass over the grid uses (compute, scans, I/O floor).
#pragma once
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

namespace cs::pipeline {

/// Call `body(state, block_index)` for every block index in [0, n_blocks) on `threads` OpenMP
/// threads (never more than there are blocks). Blocks are handed out one at a time in increasing
/// index order from a shared counter (what schedule(dynamic, 1) does in GCC's libgomp; LLVM's
/// libomp gives each thread a range and lets idle threads steal, so thread 2 would start in the
/// middle of the grid): a block is taken only after every lower block was, which keeps the
/// ordered queues short and lets OrderedQueue::wait_for_room bound them without deadlock. Each
/// thread first builds
/// its own state with `make_state()` (GDAL handles, scratch buffers) into `states[thread]`;
/// `states` is resized to the number of threads and kept after the loop so callers can collect
/// per-thread results. The first exception (from
/// make_state or body) stops the loop: remaining blocks are skipped and the exception is rethrown
/// after the parallel region. `stop` can also be raised by the body (e.g. on a data problem) to
/// skip remaining blocks.
template <class State, class MakeState, class Body>
void parallel_blocks(std::size_t n_blocks, int threads, std::vector<std::unique_ptr<State>> &states,
                     MakeState &&make_state, Body &&body, std::atomic<bool> &stop) {
    // A thread without a block would only build a state (buffers sized for a block) for nothing.
    threads = static_cast<int>(
        std::clamp<std::size_t>(n_blocks, 1, static_cast<std::size_t>(std::max(threads, 1))));
    states.clear();
    states.resize(static_cast<std::size_t>(threads));
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto keep_error = [&] {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) {
            error = std::current_exception();
        }
        stop = true;
    };
#pragma omp parallel num_threads(threads)
    {
        std::unique_ptr<State> &state = states[static_cast<std::size_t>(omp_get_thread_num())];
        try {
            state = make_state();
        } catch (...) {
            keep_error();
        }
        for (std::size_t b = next++; b < n_blocks && !stop; b = next++) {
            try {
                body(*state, b);
            } catch (...) {
                keep_error();
            }
        }
    }
    if (error) {
        std::rethrow_exception(error);
    }
}

} // namespace cs::pipeline
