// The carbonsink command line: run, validate, models, --version.
#pragma once

namespace cs::pipeline {

/// Run the CLI; returns the process exit code (0 success, 1 failure while running, 2 bad
/// usage, config or input).
int run_cli(int argc, char **argv);

} // namespace cs::pipeline
