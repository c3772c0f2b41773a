// Access to the parameter tables embedded by CMake (cs_embed_tables).
#include "models/builtin_tables.hpp"

#include "models/model_error.hpp"

#include <cstddef>

namespace cs::models {

// Defined in the generated ${CMAKE_BINARY_DIR}/generated/models/builtin_parameters.cpp.
namespace generated {
extern const std::size_t BUILTIN_PARAMETER_COUNT;
extern const char *const BUILTIN_PARAMETER_NAMES[];
extern const char *const BUILTIN_PARAMETER_FILES[];
extern const char *const BUILTIN_PARAMETER_CSV[];
} // namespace generated

std::vector<std::string> builtin_parameter_names() {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < generated::BUILTIN_PARAMETER_COUNT; ++i) {
        names.emplace_back(generated::BUILTIN_PARAMETER_NAMES[i]);
    }
    return names;
}

const char *builtin_parameter_table(const std::string &name, std::string &file) {
    for (std::size_t i = 0; i < generated::BUILTIN_PARAMETER_COUNT; ++i) {
        if (name == generated::BUILTIN_PARAMETER_NAMES[i]) {
            file = generated::BUILTIN_PARAMETER_FILES[i];
            return generated::BUILTIN_PARAMETER_CSV[i];
        }
    }
    std::string all;
    for (const auto &n : builtin_parameter_names()) {
        all += (all.empty() ? "" : ", ") + n;
    }
    throw ModelError("unknown built-in parameter table \"" + name + "\": available: " + all);
}

} // namespace cs::models
