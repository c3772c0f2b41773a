// Problem lists and "did you mean" suggestions.
#include "pipeline/problems.hpp"

#include <algorithm>

namespace cs::pipeline {

InputError::InputError(std::vector<std::string> messages)
    : std::runtime_error(messages.empty() ? std::string("invalid input") : messages.front()),
      m_messages(std::move(messages)) {}

namespace {
std::size_t edit_distance(const std::string &a, const std::string &b) {
    std::vector<std::size_t> prev(b.size() + 1);
    std::vector<std::size_t> cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        prev[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
            // Adjacent transposition counts as one edit.
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                cur[j] = std::min(cur[j], prev[j - 1]);
            }
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}
} // namespace

std::string closest_match(const std::string &word, const std::vector<std::string> &candidates) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto &c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

} // namespace cs::pipeline
