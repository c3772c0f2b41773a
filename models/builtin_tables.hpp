// The parameter tables shipped in configs/parameters, embedded in the library at build time.
#pragma once
#include <string>
#include <vector>

namespace cs::models {

/// Names of the built-in parameter tables ("china_cbef", "ipcc_bcef", ...), ascending.
std::vector<std::string> builtin_parameter_names();

/// The CSV text of built-in table `name` and, in `file`, its path in the repository
/// ("configs/parameters/china_cbef.csv"). Throws ModelError for an unknown name.
const char *builtin_parameter_table(const std::string &name, std::string &file);

} // namespace cs::models
