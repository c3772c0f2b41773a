// Exception type of the models layer.
#pragma once
#include <stdexcept>

namespace cs::models {

/// Thrown when a model or parameter table cannot be built (bad table, bad parameter). Models
/// never throw on bad pixel data: they mark the pixel invalid and count the reason.
class ModelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace cs::models
