// The runner's view of other processes computing blocks (pipeline/mpi_run.hpp implements it with
// MPI). Kept free of MPI headers so that runner.cpp builds the same with and without CS_MPI.
#pragma once
#include "pipeline/accumulator.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::pipeline {

class CheckpointLog;

/// Blocks computed by the processes of a job. The root (rank 0) writes every output: its writer
/// threads `take` each block's results in block order instead of computing them. Workers (the
/// other ranks, and a group of compute threads on the root itself) compute the blocks the root
/// hands them and `send` the results.
class RemoteBlocks {
public:
    virtual ~RemoteBlocks() = default;
    virtual bool is_root() const = 0;

    // Root.
    /// Hand the blocks to the workers (blocks `checkpoint` holds are never handed out).
    /// `n_outputs` is the number of output windows of a block (sent to the workers);
    /// `local_threads` the root's own compute threads (the worker calls below, from one more
    /// thread group of the root). Blocks are handed out while `stop` is false.
    virtual void start(std::size_t n_blocks, const CheckpointLog *checkpoint, std::size_t n_outputs,
                       int local_threads, std::atomic<bool> &stop) = 0;
    /// Wait for block `b`'s results. False when the run stops first (stop, signal).
    virtual bool take(std::size_t b, BlockPartial &partial,
                      std::vector<std::vector<float>> &windows) = 0;
    /// Tell the workers to stop, wait until they have, and return the sum of their per-stage
    /// usage counters (the concatenation over the chain's stages of Stage::usage_cells() each;
    /// empty when the run stopped early). No-op when `start` was not called.
    virtual std::vector<int64_t> finish() = 0;

    // Worker.
    /// Number of output windows per block (from the root's `start`), after telling the root
    /// this rank's `threads` (they size the root's window of blocks in flight); false when the
    /// root stopped before handing out any block. Collective with the root's `start`.
    virtual bool output_count(int threads, std::size_t &n_outputs) = 0;
    /// Next block for worker thread `thread`; false when there is none left.
    virtual bool next_block(int thread, std::size_t &b) = 0;
    /// Send block `b`'s results to the root.
    virtual void send(int thread, std::size_t b, const BlockPartial &partial,
                      const std::vector<std::vector<float>> &windows) = 0;
    /// Send this rank's usage counters (layout of `finish`) after its last block.
    virtual void send_usage(const std::vector<int64_t> &usage) = 0;
    /// A worker that cannot go on (I/O error) ends the whole job: printed with its rank, exit 1.
    [[noreturn]] virtual void abort_job(const std::string &message) = 0;
};

} // namespace cs::pipeline
