// SIGINT/SIGTERM, or the cancel flag of a library call (carbonsink::RunOptions::cancel): stop a
// run cleanly between blocks, keeping its checkpoint for --resume.
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace cs::pipeline {

/// Install handlers that make SIGINT and SIGTERM set a flag instead of killing the process, and
/// make SIGXFSZ (file-size limit) a write error (EFBIG) instead of a kill. Only the CLI calls
/// this: the library never installs signal handlers.
void install_signal_handlers();
/// The cancel flag of the library call in progress (null: none). The API sets it for the
/// duration of a call (calls are serialised) and clears it at the end.
void set_cancel_flag(const std::atomic<bool> *flag);
/// True once SIGINT or SIGTERM was received, or the cancel flag of the call is set.
bool interrupted();
/// Number of the signal that interrupted the run (0 when none).
int interrupt_signal();
/// What stopped the run: "signal N", or "a cancel request" when the cancel flag did.
std::string interrupt_cause();
/// Throws Interrupted ("stopped by <interrupt_cause()> while <doing>"). Every pass over the grid
/// checks interrupted() once per block and calls this, so that prepare's scans of a huge grid stop
/// as promptly as the computation does.
[[noreturn]] void throw_interrupted(const std::string &doing);

/// Fault injection for the crash tests: when the environment variable CARBONSINK_FAILPOINT is
/// "<name>:<N>" (or "<name>"), returns N (or 0); otherwise -1. The runner kills its own process
/// with SIGKILL after N checkpointed blocks (`kill_after_blocks`), sends itself SIGINT after N
/// (`sigint_after_blocks`), stops itself with SIGSTOP after N blocks (`pause_after_blocks`: the
/// test changes an input, then sends SIGCONT), and the writer kills the process before
/// results.h5 (`kill_before_results`), exactly as an external `kill -9` at that moment would.
/// An MPI worker kills itself after sending N blocks (`mpi_worker_kill_after_blocks`).
int64_t failpoint(const std::string &name);

/// A run stopped by SIGINT/SIGTERM (exit code 128 + signal) or by its cancel flag.
class Interrupted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace cs::pipeline
