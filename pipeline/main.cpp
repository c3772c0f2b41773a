// carbonsink executable entry point.
#include "pipeline/cli.hpp"

int main(int argc, char **argv) { return cs::pipeline::run_cli(argc, argv); }
