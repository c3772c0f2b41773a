// Error types of the pipeline layer and the problem list that validation fills.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace cs::pipeline {

/// Every problem found while checking a run, in the order found. Messages follow the grammar
/// `<what failed>: <which input, where>: <why>` (without the "error: " prefix).
struct Problems {
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
    void error(std::string m) { errors.push_back(std::move(m)); }
    void warn(std::string m) { warnings.push_back(std::move(m)); }
    bool ok() const { return errors.empty(); }
};

/// Bad usage, config or input: exit code 2. Carries every message found.
class InputError : public std::runtime_error {
public:
    explicit InputError(std::vector<std::string> messages);
    const std::vector<std::string> &messages() const { return m_messages; }

private:
    std::vector<std::string> m_messages;
};

/// Failure while writing outputs (I/O error, disk full): exit code 1.
class OutputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The closest candidate to `word` by edit distance, or "" when none is close (distance at
/// most max(2, len/3)).
std::string closest_match(const std::string &word, const std::vector<std::string> &candidates);

} // namespace cs::pipeline
