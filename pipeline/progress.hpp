// Progress reporting: a bar with ETA on a terminal, one line per phase otherwise.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace cs::pipeline {

/// Where a library run's progress goes instead of stderr (the public API's ProgressCallback):
/// a phase line (`total` 0) or a count of `done` of `total` units of `phase` (`detail` empty).
using ProgressSink = std::function<void(const std::string &phase, const std::string &detail,
                                        int64_t done, int64_t total)>;

/// Thread-safe progress reporter. The printing kind (the CLI's) writes to stderr: on a terminal
/// (and not quiet) `tick()` redraws a bar with percentage and ETA at most 10 times a second;
/// otherwise only phase lines are printed. With `quiet`, phase lines are printed but no bar.
/// The sink kind (the library's) prints nothing and hands the same events to a ProgressSink,
/// counts at most 10 times a second and always the last one, one call at a time.
class Progress {
public:
    Progress(bool quiet, bool force_plain = false);
    explicit Progress(ProgressSink sink);
    /// Print "<phase>: <detail>" as one line (ends any bar first).
    void phase(const std::string &phase, const std::string &detail);
    /// Redraw the bar at `done` units (the CLI, from the counts of a sink); a no-op without one.
    void show(int64_t done);
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
    bool m_bar = false; ///< a bar is on the terminal's last line
    ProgressSink m_sink;
    std::string m_phase;
    int64_t m_total = 0;
    std::atomic<int64_t> m_done{0};
    std::chrono::steady_clock::time_point m_t0;
    std::chrono::steady_clock::time_point m_last_draw;
    std::mutex m_mutex;
};

} // namespace cs::pipeline
