// The model registry: one explicit list of every model, its inputs, parameters and sources.
#pragma once
#include <string>
#include <vector>

namespace cs::models {

struct ParameterInfo {
    std::string name;
    std::string unit;
    std::string description;
    std::string source;
};

struct ModelInfo {
    std::string name;    ///< dotted config name, e.g. "stocks.lookup"
    std::string section; ///< config section: "stocks" or "sink"
    std::string method;  ///< value of `method:` in that section
    std::string summary;
    std::vector<std::string> inputs;
    std::vector<ParameterInfo> parameters;
    std::vector<std::string> outputs;
    std::string reference;
};

/// Every model this build provides, in a fixed order.
const std::vector<ModelInfo> &model_registry();

/// The registry entry for `section`/`method`, or nullptr.
const ModelInfo *find_model(const std::string &section, const std::string &method);

} // namespace cs::models
