// libFuzzer target: the YAML run configuration parser (pipeline/config.cpp).
// Any input must give a Config and a problem list: no crash, hang, leak or escaping exception.
#include "pipeline/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

/// Results are stored here so the optimiser keeps the parsing.
volatile std::size_t cs_fuzz_keep = 0;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    cs::pipeline::Problems problems;
    const cs::pipeline::Config cfg = cs::pipeline::parse_config(text, "fuzz.yaml", problems);
    // Touch what the caller reads next, so the parsed values are used.
    cs_fuzz_keep = cfg.epochs.size() + cfg.layers.size() + problems.errors.size() +
                   problems.warnings.size() + cfg.at(1).size();
    return 0;
}
