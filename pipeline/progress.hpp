// Progress reporting: a bar with ETA on a terminal, one line per phase otherwise.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace cs::pipeline {

/// Thread-safe progress reporter writing to stderr. On a terminal (and not quiet) `tick()`
/// redraws a bar with percentage and ETA at most 10 times a second; otherwise only phase lines
/// are printed. With `quiet`, phase lines are printed but no bar.
class Progress {
public:
    Progress(bool quiet, bool force_plain = false);
    /// Print "<phase>: <detail>" as one line (ends any bar first).
    void phase(const std::string &phase, const std::string &detail);
    /// Start counting `total` units of work for `phase`.
    void start(const std::string &phase, int64_t total);
    /// One unit done. Safe to call from any thread; cheap when no redraw is due.
    void tick();
    /// Finish the counted phase: prints "<phase>: done, <n> blocks in <s> s".
    void finish(const std::string &detail);
    bool is_terminal() const { return m_tty; }

private:
    void draw(int64_t done);
    bool m_tty;
    std::string m_phase;
    int64_t m_total = 0;
    std::atomic<int64_t> m_done{0};
    std::chrono::steady_clock::time_point m_t0;
    std::chrono::steady_clock::time_point m_last_draw;
    std::mutex m_mutex;
};

} // namespace cs::pipeline
