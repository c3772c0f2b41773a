// `mpirun -n N carbonsink run CONFIG.yaml`: one run split across processes (README "Many
// machines"). See the theory of operation in mpi_run.cpp. Without CS_MPI every function here
// describes a job of one process, so callers need no #ifdef.
#pragma once
#include "pipeline/remote_blocks.hpp"

#include <memory>
#include <string>

namespace cs::pipeline {

/// " (MPI: <library version>)" when MPI is built in (for --version), else "".
std::string mpi_version_suffix();

/// Start MPI when the process was launched by mpirun/srun (their environment variables) and MPI
/// is built in. On ranks other than 0, stdout and stderr go to /dev/null from here on (rank 0
/// reports for the job; a worker's own fatal error is still printed, see abort_job).
void mpi_start(int *argc, char ***argv);
/// True when this process is one of a job of more than one process.
bool mpi_active();
/// This process's rank (0 when not in a job).
int mpi_rank();
/// True when every rank passes `ok` true (collective; `ok` itself when not in a job). Rank 0,
/// itself ok, says that another rank failed to prepare.
bool mpi_agree(bool ok);
/// The blocks hand-out of the job, null when not in a job.
std::unique_ptr<RemoteBlocks> mpi_remote_blocks();
/// End the job: every rank returns rank 0's exit code (a worker's own failure wins); then MPI
/// is finalised. Returns `code` when not in a job.
int mpi_finish(int code);

} // namespace cs::pipeline
